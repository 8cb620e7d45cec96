/* security: keys, the keyring, ZAP and the secure defaults (security.h).
 *
 * Must never: start with a server socket that admits unlisted keys, or
 * listen beyond loopback without CURVE unless the operator said
 * --insecure (and then it says so loudly). */
#include "security.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "clock.h"
#include "keys.h"
#include "log.h"
#include "registry.h"
#include "xalloc.h"
#include "zap.h"

struct security {
	security_config_t cfg; /* paths borrowed from the caller (main's) */
	bool curve;
	bool insecure; /* listening beyond loopback without CURVE */
	keys_pair_t key;
	keyring_t *keyring; /* owned; NULL without CURVE */
	zap_t *zap;         /* owned; NULL without CURVE */
	security_stats_t stats;
	log_limit_t denied_log;
	uint32_t zmtp_ms;        /* libzmq's heartbeat on the workers' socket */
	char worker_denied[512]; /* why a worker message was last refused */
};

bool
security_endpoint_local(const char *endpoint)
{
	if (strncmp(endpoint, "ipc://", 6) == 0 || strncmp(endpoint, "inproc://", 9) == 0)
		return true;
	if (strncmp(endpoint, "tcp://", 6) != 0)
		return false;
	const char *host = endpoint + 6;
	/* tcp://SOURCE;HOST:PORT names a source address: the host is after ';'. */
	const char *semi = strchr(host, ';');
	if (semi != NULL)
		host = semi + 1;
	const char *colon = strrchr(host, ':');
	size_t n = colon ? (size_t)(colon - host) : strlen(host);
	if (n == 9 && strncmp(host, "localhost", 9) == 0)
		return true;
	if (n == 5 && strncmp(host, "[::1]", 5) == 0)
		return true;
	/* 127.0.0.0/8, written as digits and dots only (an interface name
	 * like "lo" is not taken on trust). */
	if (n >= 9 && strncmp(host, "127.", 4) == 0) {
		for (size_t i = 4; i < n; i++)
			if (!((host[i] >= '0' && host[i] <= '9') || host[i] == '.'))
				return false;
		return true;
	}
	return false;
}

static void
security_log_keyring(const security_t *s)
{
	log_info("CURVE on: %zu worker key(s) from %s, %zu operator key(s) from %s",
	         keyring_worker_count(s->keyring), s->cfg.workers_dir ? s->cfg.workers_dir : "-",
	         keyring_operator_count(s->keyring),
	         s->cfg.operators_file ? s->cfg.operators_file : "-");
	if (keyring_operator_count(s->keyring) == 0)
		log_warn("no operator keys (%s): nobody can use the operator API; list one and"
		         " send SIGHUP",
		         s->cfg.operators_file ? s->cfg.operators_file : "no --operators");
}

int
security_check_endpoints(const char *key_file, const char *worker_ep, const char *api_ep,
                         bool insecure, const char **far, char **error)
{
	*far = NULL;
	if (key_file != NULL)
		return 0;
	*far = !security_endpoint_local(worker_ep) ? worker_ep
	       : !security_endpoint_local(api_ep)  ? api_ep
	                                           : NULL;
	if (*far != NULL && !insecure) {
		*error =
		    xasprintf("refusing to listen on %s without CURVE: anyone who can reach it"
		              " could run commands on every worker. Give the coordinator a key"
		              " (--key FILE, or 'rota-coordinator --init DIR' makes a data"
		              " directory with one), or start it with --insecure to accept that",
		              *far);
		return -1;
	}
	return 0;
}

security_t *
security_new(const security_config_t *cfg, void *zctx, const char *worker_ep, const char *api_ep,
             char **error)
{
	security_t *s = xcalloc(1, sizeof(*s));
	s->cfg = *cfg;
	if (cfg->key_file == NULL) {
		const char *far = NULL;
		if (security_check_endpoints(NULL, worker_ep, api_ep, cfg->insecure, &far, error) !=
		    0)
			goto fail;
		if (far != NULL) {
			s->insecure = true;
			log_warn("INSECURE: listening on %s without CURVE (--insecure): anyone who"
			         " can reach it can pose as any worker or operator and run commands"
			         " on every worker",
			         far);
		} else {
			log_warn(
			    "no key: the endpoints are unauthenticated and unencrypted (loopback"
			    " only); give --key to use CURVE");
		}
		return s;
	}
	if (keys_load_secret(cfg->key_file, &s->key, error) != 0)
		goto fail;
	s->curve = true;
	s->keyring = keyring_load(cfg->workers_dir, cfg->operators_file, error);
	if (s->keyring == NULL)
		goto fail;
	/* Before any server socket binds: a CURVE server with no handler
	 * would admit every key. */
	s->zap = zap_new(zctx, error);
	if (s->zap == NULL)
		goto fail;
	zap_set_refusal_hook(s->zap, cfg->on_refusal, cfg->on_refusal_ctx);
	zap_set_busy_hook(s->zap, cfg->worker_busy, cfg->worker_busy_ctx);
	log_info("coordinator public key %s (%s)", s->key.public_z85, cfg->key_file);
	security_log_keyring(s);
	return s;
fail:
	security_destroy(&s);
	return NULL;
}

void
security_destroy(security_t **sp)
{
	security_t *s = *sp;
	if (s == NULL)
		return;
	zap_destroy(&s->zap);
	keyring_destroy(&s->keyring);
	keys_wipe(&s->key);
	free(s);
	*sp = NULL;
}

bool
security_curve(const security_t *s)
{
	return s->curve;
}

bool
security_insecure(const security_t *s)
{
	return s->insecure;
}

int
security_setup_sockets(security_t *s, void *worker_sock, void *api_sock, char **error)
{
	if (!s->curve)
		return 0;
	int zero = 0;
	/* libzmq pings every connection each interval, whatever else flows
	 * on it: under CURVE an encrypted PING and PONG each, a fleet's worth
	 * a second. They follow the bound the workers' own heartbeats follow,
	 * sized by the keys that may connect, since libzmq reads the option
	 * only at bind. The timeout after a PING stays five base intervals:
	 * any frame answers it, and a live peer's PONG comes at once. */
	s->zmtp_ms = registry_interval_for(s->cfg.heartbeat_ms, keyring_worker_count(s->keyring),
	                                   s->cfg.max_heartbeats_per_second);
	int ivl = (int)s->zmtp_ms;
	int timeout = (int)s->cfg.heartbeat_ms * 5;
	if (s->zmtp_ms > s->cfg.heartbeat_ms)
		log_info("libzmq's heartbeats on the workers' socket every %.1f s, for %zu"
		         " authorized workers (--max-heartbeats-per-second %u)",
		         s->zmtp_ms / 1000.0, keyring_worker_count(s->keyring),
		         s->cfg.max_heartbeats_per_second);
	if (zap_server_setup(worker_sock, s->key.secret_key, ZAP_DOMAIN_WORKERS) != 0 ||
	    zap_server_setup(api_sock, s->key.secret_key, ZAP_DOMAIN_OPERATORS) != 0 ||
	    zmq_setsockopt(worker_sock, ZMQ_ROUTER_HANDOVER, &zero, sizeof(zero)) != 0 ||
	    zmq_setsockopt(worker_sock, ZMQ_HEARTBEAT_IVL, &ivl, sizeof(ivl)) != 0 ||
	    zmq_setsockopt(worker_sock, ZMQ_HEARTBEAT_TIMEOUT, &timeout, sizeof(timeout)) != 0) {
		*error =
		    xasprintf("cannot make the sockets CURVE servers: %s", zmq_strerror(errno));
		return -1;
	}
	return 0;
}

uint32_t
security_zmtp_heartbeat_ms(const security_t *s)
{
	return s->zmtp_ms;
}

void *
security_zap_socket(security_t *s)
{
	return s->zap ? zap_socket(s->zap) : NULL;
}

void
security_zap_handle(security_t *s)
{
	if (s->zap)
		zap_handle(s->zap, s->keyring);
}

void
security_reload(security_t *s)
{
	if (!s->curve)
		return;
	char *error = NULL;
	keyring_t *fresh = keyring_load(s->cfg.workers_dir, s->cfg.operators_file, &error);
	if (fresh == NULL) {
		s->stats.reloads_failed++;
		log_error("keys: %s; keeping the keys already loaded", error);
		free(error);
		return;
	}
	keyring_destroy(&s->keyring);
	s->keyring = fresh;
	security_log_keyring(s);
}

static void
security_denied(security_t *s, const char *endpoint, const wire_msg_t *msg, const char *why)
{
	char key[64];
	uint64_t suppressed = 0;
	snprintf(key, sizeof(key), "%s/%.40s/%.16s", endpoint, msg->user_id, wire_peer(msg));
	if (log_limit_allow(&s->denied_log, key, clock_mono_ms(), SECURITY_DENIED_LOG_MS,
	                    &suppressed))
		log_warn("dropped a %s message from %s: %s (%llu more dropped since last said)",
		         endpoint, wire_peer(msg)[0] ? wire_peer(msg) : "?", why,
		         (unsigned long long)suppressed);
}

/* Whether the key msg's connection authenticated with is still e's: a key
 * replaced under the same name (a rotation after a leak) must not keep its
 * old connections. */
static bool
security_same_key(const keyring_entry_t *e, const wire_msg_t *msg)
{
	char z85[KEYS_Z85_CHARS + 1];
	return zmq_z85_encode(z85, e->key, KEYS_BYTES) != NULL && strcmp(z85, msg->user_key) == 0;
}

bool
security_worker_allowed(security_t *s, const wire_msg_t *msg)
{
	if (!s->curve)
		return true;
	char why[512];
	char ident[128];
	wire_identity_str(msg->identity, msg->identity_len, ident, sizeof(ident));
	const keyring_entry_t *e =
	    msg->user_id[0] ? keyring_worker_by_id(s->keyring, msg->user_id) : NULL;
	if (e == NULL) {
		snprintf(why, sizeof(why),
		         "its key (worker '%s') is no longer in the authorized workers; it was"
		         " admitted before a reload removed it",
		         msg->user_id[0] ? msg->user_id : "?");
	} else if (!security_same_key(e, msg)) {
		snprintf(why, sizeof(why),
		         "worker '%s' has another key since a reload; this connection came with"
		         " the old one",
		         msg->user_id);
	} else if (msg->identity_len != strlen(msg->user_id) ||
	           memcmp(msg->identity, msg->user_id, msg->identity_len) != 0) {
		snprintf(why, sizeof(why),
		         "the key of worker '%s' speaks under the id '%s': a worker may use only"
		         " the id its key is listed under (or a second connection with that key"
		         " while the first holds the id)",
		         msg->user_id, ident);
	} else {
		return true;
	}
	s->stats.worker_denied++;
	security_denied(s, "worker", msg, why);
	snprintf(s->worker_denied, sizeof(s->worker_denied), "%s", why);
	return false;
}

const char *
security_worker_denied(const security_t *s)
{
	return s->worker_denied;
}

bool
security_api_caller(security_t *s, const wire_msg_t *msg, const char **name, keyring_role_t *role,
                    const char **why)
{
	*name = "";
	*role = KEYRING_ROLE_NONE;
	if (!s->curve)
		return true;
	const keyring_entry_t *e = keyring_operator_by_name(s->keyring, msg->user_id);
	if (e == NULL || !security_same_key(e, msg)) {
		s->stats.api_denied++;
		*why = "your key is no longer listed in the coordinator's operators.yaml";
		char text[256];
		snprintf(text, sizeof(text), "operator '%s' is %s",
		         msg->user_id[0] ? msg->user_id : "?",
		         e == NULL ? "no longer listed" : "listed with another key since a reload");
		security_denied(s, "api", msg, text);
		return false;
	}
	*name = e->name;
	*role = e->role;
	return true;
}

const char *
security_operator_fingerprint(const security_t *s, const char *name, char *buf, size_t len)
{
	buf[0] = '\0';
	const keyring_entry_t *e =
	    s->curve && name != NULL ? keyring_operator_by_name(s->keyring, name) : NULL;
	if (e != NULL)
		keys_fingerprint(e->key, buf, len);
	return buf;
}

const keyring_t *
security_keyring(const security_t *s)
{
	return s->curve ? s->keyring : NULL;
}

const char *
security_public_z85(const security_t *s)
{
	return s->curve ? s->key.public_z85 : "";
}

const char *
security_workers_dir(const security_t *s)
{
	return s->cfg.workers_dir;
}

const char *
security_operators_file(const security_t *s)
{
	return s->cfg.operators_file;
}

const security_stats_t *
security_stats(const security_t *s)
{
	return &s->stats;
}

void
security_log_stats(const security_t *s)
{
	if (!s->curve)
		return;
	const zap_stats_t *z = zap_stats(s->zap);
	log_info("security: %llu handshake(s) admitted, %llu refused, %llu malformed; %llu worker"
	         " message(s) and %llu request(s) dropped for their key; %llu key reload(s)"
	         " failed",
	         (unsigned long long)z->admitted, (unsigned long long)z->refused,
	         (unsigned long long)z->malformed, (unsigned long long)s->stats.worker_denied,
	         (unsigned long long)s->stats.api_denied,
	         (unsigned long long)s->stats.reloads_failed);
}

/* ---- --init -------------------------------------------------------------- */

static int
security_write_text(const char *path, mode_t mode, const char *text, char **error)
{
	FILE *f = NULL;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd >= 0)
		f = fdopen(fd, "w");
	if (f == NULL) {
		*error = xasprintf("cannot write %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	fputs(text, f);
	if (fclose(f) != 0) {
		*error = xasprintf("cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

void
security_token_name(const char *path, char *buf, size_t len)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t n = strlen(base);
	const char *suffix = ".token";
	if (n > strlen(suffix) && strcmp(base + n - strlen(suffix), suffix) == 0)
		n -= strlen(suffix);
	if (n == 0)
		snprintf(buf, len, "token");
	else
		snprintf(buf, len, "%.*s", (int)n, base);
}

/* A new bearer token for the alert intake into path (0600). */
static int
security_write_token(const char *path, char **error)
{
	uint8_t raw[SECURITY_HTTP_TOKEN_BYTES];
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
		*error = xasprintf("cannot make an HTTP token: getrandom: %s", strerror(errno));
		return -1;
	}
	char text[2 * SECURITY_HTTP_TOKEN_BYTES + 2];
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(text + 2 * i, 3, "%02x", raw[i]);
	memcpy(text + 2 * sizeof(raw), "\n", 2);
	explicit_bzero(raw, sizeof(raw));
	int rc = security_write_text(path, 0600, text, error);
	explicit_bzero(text, sizeof(text));
	return rc;
}

int
security_init_dir(const char *dir, const char *api_endpoint, char **error)
{
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		*error = xasprintf("cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	char abs[PATH_MAX];
	if (realpath(dir, abs) == NULL) {
		*error = xasprintf("cannot resolve %s: %s", dir, strerror(errno));
		return -1;
	}
	char *secret = xasprintf("%s/%s", abs, SECURITY_KEY_FILE);          /* owned */
	char *workers = xasprintf("%s/%s", abs, SECURITY_WORKERS_DIR);      /* owned */
	char *operators = xasprintf("%s/%s", abs, SECURITY_OPERATORS_FILE); /* owned */
	char *conf = xasprintf("%s/%s", abs, SECURITY_CLI_CONFIG_FILE);     /* owned */
	char *token = xasprintf("%s/%s", abs, SECURITY_HTTP_TOKEN_FILE);    /* owned */
	char *c_pub = NULL, *c_sec = NULL, *a_pub = NULL, *a_sec = NULL;    /* owned */
	char *text = NULL;                                                  /* owned */
	keys_pair_t coord, admin;
	memset(&coord, 0, sizeof(coord));
	memset(&admin, 0, sizeof(admin));
	int rc = -1;
	if (access(secret, F_OK) == 0 || access(operators, F_OK) == 0 || access(token, F_OK) == 0) {
		*error = xasprintf("%s already holds a coordinator key, operators.yaml or an HTTP"
		                   " token; --init"
		                   " never replaces keys (pick an empty directory)",
		                   abs);
		goto out;
	}
	if (keys_generate(&coord) != 0 || keys_generate(&admin) != 0) {
		*error = xstrdup("cannot make key pairs: libzmq was built without CURVE");
		goto out;
	}
	if (keys_write(abs, "coordinator", &coord, false, &c_pub, &c_sec, error) != 0 ||
	    keys_write(abs, "admin", &admin, false, &a_pub, &a_sec, error) != 0)
		goto out;
	if (mkdir(workers, 0700) != 0 && errno != EEXIST) {
		*error = xasprintf("cannot create %s: %s", workers, strerror(errno));
		goto out;
	}
	text = xasprintf("# Operators of this coordinator: name, public key, role (viewer,"
	                 " operator or admin).\n"
	                 "# Add one with 'rota keygen NAME', paste its public key here, then"
	                 " send the coordinator SIGHUP.\n"
	                 "operators:\n"
	                 "  - name: admin\n"
	                 "    key: \"%s\"\n"
	                 "    role: admin\n",
	                 admin.public_z85);
	if (security_write_text(operators, 0644, text, error) != 0)
		goto out;
	free(text);
	text = xasprintf("# rota CLI configuration, written by rota-coordinator --init.\n"
	                 "# Use it with ROTA_CONFIG=%s, or copy it to ~/.config/rota/config.\n"
	                 "coordinator = %s\n"
	                 "key = %s\n"
	                 "coordinator-key = %s\n",
	                 conf, api_endpoint, a_sec, c_pub);
	if (security_write_text(conf, 0600, text, error) != 0)
		goto out;
	if (security_write_token(token, error) != 0)
		goto out;
	printf("Made a rota data directory in %s:\n"
	       "  %s  the coordinator's key pair (public key %s)\n"
	       "  %s  the admin operator's key pair, listed in %s\n"
	       "  %s/  empty: the workers' public keys go here\n"
	       "  %s  for rota: the endpoint and both keys\n"
	       "  %s  the alert intake's bearer token (0600): Alertmanager sends it as\n"
	       "      Authorization: Bearer (credentials_file); alerts are audited as\n"
	       "      'alertmanager'\n"
	       "\n"
	       "Next:\n"
	       "  1. rota-coordinator --data-dir %s --runbooks DIR   (it finds its keys there)\n"
	       "  2. export ROTA_CONFIG=%s   (or copy it to ~/.config/rota/config)\n"
	       "  3. For each worker, on its host:\n"
	       "       rota keygen w1 --out /etc/rota-worker\n"
	       "     copy /etc/rota-worker/w1.key to %s/w1 on this host (the file name is\n"
	       "     the worker id), then: kill -HUP $(pidof rota-coordinator)\n"
	       "     copy %s to the worker's host, and start it with\n"
	       "       rota-worker --id w1 --key /etc/rota-worker/w1.key_secret \\\n"
	       "         --coordinator-key /etc/rota-worker/coordinator.key"
	       " --coordinator tcp://HOST:7400\n",
	       abs, c_sec, coord.public_z85, a_sec, operators, workers, conf, token, abs, conf,
	       workers, c_pub);
	rc = 0;
out:
	keys_wipe(&coord);
	keys_wipe(&admin);
	free(text);
	free(secret);
	free(workers);
	free(operators);
	free(conf);
	free(token);
	free(c_pub);
	free(c_sec);
	free(a_pub);
	free(a_sec);
	return rc;
}
