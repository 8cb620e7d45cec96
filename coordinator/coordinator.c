/* coordinator: sockets, signals and the loop (see coordinator.h). */
#include "coordinator.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "api.h"
#include "security/security.h"
#include "catalog.h"
#include "config.h"
#include "http/http.h"
#include "incidents/incidents.h"
#include "launcher.h"
#include "scheduler.h"
#include "clock.h"
#include "dirlock.h"
#include "store/store.h"
#include "dispatcher.h"
#include "log.h"
#include "registry.h"
#include "sendq.h"
#include "wire.h"
#include "xalloc.h"

struct coordinator {
	coordinator_config_t cfg;
	void *zctx;             /* owned */
	void *worker_sock;      /* owned: ROUTER for workers */
	void *api_sock;         /* owned: ROUTER for operators */
	int sigfd;              /* owned */
	int lockfd;             /* owned: the data directory's lock */
	storelock_t *storelock; /* owned: the lock on rota.db itself, and its watch */
	/* owned: why the store on disk is no longer the one written, and what
	 * to do (NULL while it is): then no work is taken, nothing acked. */
	char *store_lost;
	int64_t next_store_check;
	store_t *store;                      /* owned */
	registry_t *registry;                /* owned */
	catalog_t *catalog;                  /* owned */
	dispatcher_t *dispatcher;            /* owned */
	scheduler_t *scheduler;              /* owned */
	sendq_t *sendq;                      /* owned */
	security_t *security;                /* owned: keys, ZAP, the secure default */
	config_t *config;                    /* owned */
	incidents_t *incidents;              /* owned */
	outbox_t *outbox;                    /* owned: the notification sender thread */
	httpd_t *httpd;                      /* owned: NULL with --http off */
	audit_t *audit;                      /* owned: auth-failure rows and counts */
	metrics_histogram_t *step_seconds;   /* owned */
	metrics_histogram_t *commit_seconds; /* owned */
	responder_t responder;
	api_t api;
	dispatcher_config_t dispatcher_cfg;
	uint64_t epoch;
	char coordinator_id[64];
	char bound_worker[256]; /* the endpoints as bound, for messages */
	char bound_api[256];
	char bound_http[300]; /* "" with --http off */
	bool http_token;      /* the alert intake requires a bearer token */
	bool http_insecure;   /* beyond loopback without a token (--insecure) */

	/* CURVE without a token: every alert is refused (401). */
	bool intake_closed;
	/* The audit's actor for what alerts do: the token file's name. */
	char http_token_name[128];
	int64_t started_wall;
	int64_t started_mono;
	wire_stats_t worker_wire;
	wire_stats_t api_wire;
	sendq_stats_t sent;
	log_limit_t drop_log;
	uint64_t commit_failures;
	uint64_t hello_refused;
	uint64_t workers_replaced; /* connections replaced by another process's Hello */
	uint64_t stale_frames;     /* from a connection that did not say Hello */
	bool resync_pending;
	/* The last turn that wrote could not be committed (disk full, a
	 * file-size limit, the file locked): refuse work until one can. */
	bool store_unwritable;
	bool stopping;
	/* Slots wait at start until the workers had a chance to come back
	 * (all known ones connected, or COORDINATOR_SETTLE_MS): a slot fired
	 * the moment a restarted coordinator opens finds nobody there. */
	bool settled;
	int64_t settle_deadline;
};

static void coordinator_reload(void *ctx, Rota__ReloadResponse *out);

static int
coordinator_bind(void *sock, const char *endpoint, char *bound, size_t len, char **error)
{
	if (zmq_bind(sock, endpoint) != 0) {
		*error = xasprintf("cannot bind %s: %s", endpoint, zmq_strerror(errno));
		return -1;
	}
	size_t n = len;
	if (zmq_getsockopt(sock, ZMQ_LAST_ENDPOINT, bound, &n) != 0)
		snprintf(bound, len, "%s", endpoint);
	return 0;
}

/* Tests and scripts bind port 0 ("tcp://127.0.0.1:*") and read the real
 * endpoints here; written to a temporary name and renamed, so a reader
 * never sees half a file. */
static int
coordinator_write_endpoints(const char *dir, const char *worker, const char *api, const char *http,
                            char **error)
{
	char *tmp = xasprintf("%s/endpoints.tmp", dir);
	char *path = xasprintf("%s/endpoints", dir);
	int rc = -1;
	FILE *f = fopen(tmp, "w");
	if (f == NULL) {
		*error = xasprintf("cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	fprintf(f, "worker=%s\napi=%s\n", worker, api);
	if (http != NULL)
		fprintf(f, "http=%s\n", http);
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		*error = xasprintf("cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(tmp);
	free(path);
	return rc;
}

static void
coordinator_load_workers(coordinator_t *c)
{
	Rota__ListWorkersResponse *known = xmalloc(sizeof(*known));
	if (store_workers_list(c->store, known) != 0)
		log_warn("could not read known workers from the store");
	else
		for (size_t i = 0; i < known->n_workers; i++)
			registry_add_known(c->registry, known->workers[i]);
	rota__list_workers_response__free_unpacked(known, NULL);
}

/* ---- HTTP: alert intake, /metrics, /healthz -------------------------------- */

/* Store commits take milliseconds: finer buckets than a step's. */
static const double coordinator_commit_buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                    0.05,   0.1,   0.25,   0.5,   1,    2.5};

static void coordinator_resync(coordinator_t *c);

/* An alert changes the store and its answer says so: the turn is
 * committed before the answer leaves (an HTTP reply cannot wait in the
 * send queue like an API response). */
static void
coordinator_http_alerts(void *ctx, const char *peer, const char *body, size_t len, unsigned *status,
                        char **reply)
{
	coordinator_t *c = ctx;
	if (c->store_lost != NULL) {
		*status = 503;
		*reply = xasprintf("%s\n", c->store_lost);
		return;
	}
	if (c->intake_closed) {
		*status = 401;
		*reply =
		    xasprintf("the alert intake is closed: this coordinator uses CURVE keys and"
		              " has no HTTP token; give it --http-token FILE (rota-coordinator"
		              " --init writes %s) and send Authorization: Bearer\n",
		              SECURITY_HTTP_TOKEN_FILE);
		return;
	}
	if (c->store_unwritable || c->stopping) {
		*status = 503;
		*reply = xstrdup(c->stopping ? "the coordinator is stopping; send again later\n"
		                             : "the coordinator cannot write its store; send again"
		                               " later\n");
		return;
	}
	responder_source_t src = {
	    .actor = c->http_token ? c->http_token_name : "anonymous",
	    .role = c->http_token ? "token" : "admin",
	    .peer = peer,
	};
	responder_alerts(&c->responder, &src, body, len, status, reply);
	dispatcher_end_turn(c->dispatcher);
	if (store_commit(c->store) != 0) {
		free(*reply);
		*status = 503;
		*reply = xstrdup("the coordinator could not record the alerts; send again later\n");
		coordinator_resync(c);
		return;
	}
	sendq_flush(c->sendq, &c->sent);
	if (incidents_take_wake(c->incidents))
		outbox_wake(c->outbox);
}

static bool
coordinator_http_healthy(void *ctx, char **why)
{
	coordinator_t *c = ctx;
	if (c->store_lost != NULL) {
		*why = xasprintf("%s\n", c->store_lost);
		return false;
	}
	if (c->store_unwritable || c->resync_pending) {
		*why = xstrdup("the store cannot be written (disk full, a file-size limit, or the"
		               " file locked); see the coordinator's log\n");
		return false;
	}
	if (c->stopping) {
		*why = xstrdup("the coordinator is stopping\n");
		return false;
	}
	return true;
}

static void
coordinator_metric_drops(metrics_t *m, const char *endpoint, const wire_stats_t *w)
{
	const struct {
		const char *reason;
		uint64_t n;
	} drops[] = {
	    {"shape", w->dropped_shape},   {"size", w->dropped_size},
	    {"decode", w->dropped_decode}, {"version", w->dropped_version},
	    {"empty", w->dropped_empty},   {"range", w->dropped_range},
	};
	for (size_t i = 0; i < sizeof(drops) / sizeof(drops[0]); i++) {
		metrics_label_t l[] = {{"endpoint", endpoint}, {"reason", drops[i].reason}};
		metrics_count(m, l, 2, drops[i].n);
	}
}

static char *
coordinator_http_metrics(void *ctx)
{
	coordinator_t *c = ctx;
	metrics_t *m = metrics_new();
	uint64_t by_status[32] = {0};
	metrics_family(m, "rota_runs_total", METRICS_COUNTER, "Runs recorded, by status.");
	if (store_runs_by_status(c->store, by_status, 32) == 0) {
		/* Every code without a name is "unknown": one series, summed
		 * (a series twice makes Prometheus reject the whole page). */
		uint64_t unknown = by_status[0];
		for (int s = 1; s < 32; s++) {
			const char *name = run_status_name(s);
			if (strcmp(name, "unknown") == 0) {
				unknown += by_status[s];
				continue;
			}
			metrics_label_t l = {"status", name};
			metrics_count(m, &l, 1, by_status[s]);
		}
		if (unknown > 0) {
			metrics_label_t l = {"status", "unknown"};
			metrics_count(m, &l, 1, unknown);
		}
	}
	const dispatcher_stats_t *ds = dispatcher_stats(c->dispatcher);
	metrics_family(m, "rota_steps_total", METRICS_COUNTER,
	               "Step attempts that ended since the coordinator started, by status.");
	for (int s = 0; s < DISPATCHER_STATUS_SLOTS; s++) {
		if (ds->steps_ended[s] == 0)
			continue;
		metrics_label_t l = {"status", run_step_status_name(s)};
		metrics_count(m, &l, 1, ds->steps_ended[s]);
	}
	metrics_family(m, "rota_step_duration_seconds", METRICS_HISTOGRAM,
	               "How long step attempts ran, from start to result.");
	metrics_histogram(m, NULL, 0, c->step_seconds);
	size_t connected = 0;
	for (size_t i = 0; i < registry_count(c->registry); i++)
		connected += registry_at(c->registry, i)->connected;
	metrics_family(m, "rota_workers_connected", METRICS_GAUGE, "Workers connected now.");
	metrics_value(m, NULL, 0, (double)connected);
	metrics_family(m, "rota_worker_spool_failing", METRICS_GAUGE,
	               "1 while a connected worker says its spool cannot write (output at risk).");
	for (size_t i = 0; i < registry_count(c->registry); i++) {
		const worker_t *w = registry_at(c->registry, i);
		if (!w->connected)
			continue;
		metrics_label_t l = {"worker", w->id};
		metrics_value(m, &l, 1, w->spool_error[0] ? 1 : 0);
	}
	metrics_family(m, "rota_dispatch_queue_depth", METRICS_GAUGE,
	               "Steps ready to run that wait for their worker (capacity, or away).");
	metrics_value(m, NULL, 0, (double)dispatcher_pending(c->dispatcher));
	metrics_family(m, "rota_store_commit_seconds", METRICS_HISTOGRAM,
	               "How long each turn's commit of the store took.");
	metrics_histogram(m, NULL, 0, c->commit_seconds);
	uint64_t pending = 0, given_up = 0;
	incidents_outbox_counts(c->incidents, &pending, &given_up);
	outbox_stats_t os;
	outbox_stats(c->outbox, &os);
	metrics_family(m, "rota_outbox_pending", METRICS_GAUGE,
	               "Notifications not yet delivered nor given up on.");
	metrics_value(m, NULL, 0, (double)pending);
	metrics_family(m, "rota_outbox_delivery_failures_total", METRICS_COUNTER,
	               "Delivery attempts that failed (each retry counts).");
	metrics_count(m, NULL, 0, os.failures);
	metrics_family(m, "rota_outbox_given_up_total", METRICS_COUNTER,
	               "Notifications given up on (in the store, over all time).");
	metrics_count(m, NULL, 0, given_up);
	metrics_family(m, "rota_frames_dropped_total", METRICS_COUNTER,
	               "Network frames dropped, by endpoint and reason.");
	coordinator_metric_drops(m, "worker", &c->worker_wire);
	coordinator_metric_drops(m, "api", &c->api_wire);
	metrics_label_t stale[] = {{"endpoint", "worker"}, {"reason", "no_hello"}};
	metrics_count(m, stale, 2, c->stale_frames);
	metrics_label_t refused[] = {{"endpoint", "worker"}, {"reason", "hello_refused"}};
	metrics_count(m, refused, 2, c->hello_refused);
	metrics_family(m, "rota_auth_failures_total", METRICS_COUNTER,
	               "Connections and requests refused for their key, by endpoint and reason.");
	for (int ep = 0; ep < AUDIT_EP_COUNT; ep++)
		for (int r = 0; r < AUDIT_AUTH_COUNT; r++) {
			metrics_label_t l[] = {{"endpoint", audit_endpoint_name(ep)},
			                       {"reason", audit_reason_name(r)}};
			metrics_count(m, l, 2, audit_auth_count(c->audit, ep, r));
		}
	uint64_t counts[5][3];
	metrics_family(m, "rota_incidents", METRICS_GAUGE, "Incidents, by severity and status.");
	if (incidents_counts(c->incidents, counts) == 0) {
		static const char *const sev[] = {"", "P1", "P2", "P3", "P4"};
		static const char *const st[] = {"triggered", "acknowledged", "resolved"};
		for (int i = 1; i <= 4; i++)
			for (int k = 0; k < 3; k++) {
				metrics_label_t l[] = {{"severity", sev[i]}, {"status", st[k]}};
				metrics_value(m, l, 2, (double)counts[i][k]);
			}
	}
	metrics_family(m, "rota_alerts_received_total", METRICS_COUNTER,
	               "Alerts received from Alertmanager, by what became of them.");
	const struct {
		const char *result;
		uint64_t n;
	} alerts[] = {
	    {"opened", c->responder.alerts.opened},
	    {"repeated", c->responder.alerts.repeated},
	    {"resolved", c->responder.alerts.resolved},
	    {"unmatched", c->responder.alerts.unmatched},
	    {"malformed", c->responder.alerts.malformed},
	    {"outside_targets", c->responder.alerts.outside},
	};
	for (size_t i = 0; i < sizeof(alerts) / sizeof(alerts[0]); i++) {
		metrics_label_t l = {"result", alerts[i].result};
		metrics_count(m, &l, 1, alerts[i].n);
	}
	/* Reads only, but a read transaction may have opened: close it. */
	store_commit(c->store);
	return metrics_finish(&m);
}

static int
coordinator_http_start(coordinator_t *c, char *bound, size_t len, char **error)
{
	const char *addr = c->cfg.http ? c->cfg.http : c->config->http;
	if (addr == NULL || strcmp(addr, "off") == 0)
		return 0;
	httpd_handlers_t h = {
	    .alerts = coordinator_http_alerts,
	    .metrics = coordinator_http_metrics,
	    .healthy = coordinator_http_healthy,
	    .ctx = c,
	};
	char *host = NULL;
	uint16_t port = 0;
	if (httpd_parse_addr(addr, &host, &port, error) != 0)
		return -1;
	const char *token_file =
	    c->cfg.http_token_file ? c->cfg.http_token_file : c->config->http_token_file;
	/* Else the data directory's, as --init writes it (like the key). */
	char *def_token = xasprintf("%s/%s", c->cfg.data_dir, SECURITY_HTTP_TOKEN_FILE);
	if (token_file == NULL && access(def_token, F_OK) == 0)
		token_file = def_token;
	char *token = NULL; /* owned here; httpd copies it */
	if (token_file != NULL && httpd_read_token(token_file, &token, error) != 0) {
		free(def_token);
		free(host);
		return -1;
	}
	if (token_file != NULL)
		security_token_name(token_file, c->http_token_name, sizeof(c->http_token_name));
	/* Anyone who can POST an alert starts runbooks on the fleet, as
	 * root, past every runbook's allowed_operators. With keys, the
	 * intake takes a token on every address, loopback included (any
	 * local user reaches loopback): without one it is closed. Without
	 * keys, beyond loopback that takes a token, unless the operator
	 * said --insecure. */
	if (token == NULL && security_curve(c->security)) {
		c->intake_closed = true;
		log_warn("HTTP: the alert intake is closed: CURVE is on and there is no HTTP token"
		         " (--http-token FILE, http_token_file:, or %s/%s as --init writes it);"
		         " every alert is answered 401",
		         c->cfg.data_dir, SECURITY_HTTP_TOKEN_FILE);
	} else if (token == NULL && !httpd_addr_is_loopback(host)) {
		if (!c->cfg.insecure) {
			*error = xasprintf(
			    "refusing to serve HTTP on %s without a bearer token: anyone who can"
			    " reach it could open incidents and start runbooks. Give --http-token"
			    " FILE (or http_token_file: in the configuration), bind it to"
			    " 127.0.0.1, or start with --insecure to accept that",
			    addr);
			free(def_token);
			free(host);
			return -1;
		}
		c->http_insecure = true;
		log_warn("INSECURE: HTTP on %s takes alerts without a bearer token (--insecure):"
		         " anyone who can reach it can open incidents and start runbooks",
		         addr);
	}
	if (c->config->http_protect_metrics && token == NULL) {
		*error = xstrdup("http_protect_metrics: true needs a token: give --http-token FILE"
		                 " or http_token_file:");
		free(def_token);
		free(host);
		return -1;
	}
	h.alert_token = token;
	h.protect_metrics = c->config->http_protect_metrics;
	h.request_deadline_ms = (uint32_t)c->config->http_request_deadline_ms;
	c->http_token = token != NULL || c->intake_closed;
	c->httpd = httpd_start(addr, &h, error);
	free(token);
	if (c->httpd == NULL) {
		free(def_token);
		free(host);
		return -1;
	}
	if (token_file != NULL)
		log_info("HTTP: the alert intake requires the bearer token of %s (audited as %s)%s",
		         token_file, c->http_token_name,
		         h.protect_metrics ? ", and so do /metrics and /healthz" : "");
	free(def_token);
	bool v6 = strchr(host, ':') != NULL;
	snprintf(bound, len, "%s%s%s:%u", v6 ? "[" : "", host[0] ? host : "0.0.0.0", v6 ? "]" : "",
	         httpd_port(c->httpd));
	free(host);
	return 0;
}

/* The ZAP handler refused a handshake: counted, audited (rate-limited
 * per address in audit.c), logged by zap.c (once a minute per address). */
static void
coordinator_auth_refused(void *ctx, zap_refusal_t kind, const char *domain, const char *address,
                         const char *key, const char *why)
{
	coordinator_t *c = ctx;
	audit_endpoint_t ep =
	    strcmp(domain, ZAP_DOMAIN_WORKERS) == 0 ? AUDIT_EP_WORKERS : AUDIT_EP_OPERATORS;
	audit_reason_t reason = kind == ZAP_REFUSED_MALFORMED ? AUDIT_AUTH_MALFORMED
	                        : kind == ZAP_REFUSED_DOMAIN  ? AUDIT_AUTH_DOMAIN
	                                                      : AUDIT_AUTH_UNLISTED;
	audit_auth_failure(c->audit, clock_mono_ms(), clock_wall_ms(), ep, reason, address, key,
	                   why);
}

/* rota status: what the coordinator knows of itself; strings borrowed. */
static void
coordinator_status(void *ctx, Rota__StatusResponse *out)
{
	coordinator_t *c = ctx;
	out->version = (char *)ROTA_VERSION;
	out->coordinator_id = c->coordinator_id;
	out->epoch = c->epoch;
	out->started_ms = c->started_wall;
	out->uptime_ms = clock_mono_ms() - c->started_mono;
	out->worker_endpoint = c->bound_worker;
	out->api_endpoint = c->bound_api;
	out->http_endpoint = c->bound_http;
	out->insecure = security_insecure(c->security) || c->http_insecure;
	out->http_token = c->http_token;
	uint32_t connected = 0;
	for (size_t i = 0; i < registry_count(c->registry); i++)
		connected += registry_at(c->registry, i)->connected;
	out->workers_connected = connected;
	out->workers_known = (uint32_t)registry_count(c->registry);
	uint32_t runs = 0;
	for (run_t *r = dispatcher_runs(c->dispatcher); r != NULL; r = r->next)
		runs++;
	out->runs_active = runs;
	uint64_t counts[5][3];
	if (incidents_counts(c->incidents, counts) == 0)
		for (int sev = 1; sev <= 4; sev++)
			out->incidents_open += (uint32_t)(counts[sev][0] + counts[sev][1]);
}

/* Whether the TCP connection a worker last spoke on is still open at both
 * ends: its fd still names the same peer and is ESTABLISHED. A worker that
 * gave up on a frozen coordinator closed it, so the coordinator's end is in
 * CLOSE_WAIT (or closed) the moment it thaws, even while the messages that
 * connection queued still make the worker look recently heard from. */
static bool
coordinator_conn_open(const worker_t *w)
{
	if (w->conn_fd < 0)
		return true; /* not a TCP peer we can ask: assume it is */
	wire_msg_t probe;
	memset(&probe, 0, sizeof(probe));
	probe.src_fd = w->conn_fd;
	if (strcmp(wire_peer(&probe), w->peer) != 0)
		return false; /* closed, or the fd number now names another */
	struct tcp_info ti;
	socklen_t tl = sizeof(ti);
	if (getsockopt(w->conn_fd, IPPROTO_TCP, TCP_INFO, &ti, &tl) == 0 &&
	    ti.tcpi_state != TCP_ESTABLISHED)
		return false;
	return true;
}

/* A second connection with a worker's key while that worker is connected,
 * not stopping, heard from within two heartbeats, and its connection still
 * open: libzmq would ignore it (no handover under CURVE), so ZAP refuses it
 * with the reason. A restarted worker whose old connection the coordinator
 * has not noticed is admitted once that one falls silent or closes. */
static bool
coordinator_worker_busy(void *ctx, const char *id, char *why, size_t len)
{
	coordinator_t *c = ctx;
	const worker_t *w = c->registry ? registry_find(c->registry, id) : NULL;
	int64_t ago = w ? clock_mono_ms() - w->last_seen_mono : 0;
	if (w == NULL || !w->connected || w->stopping || ago > 2 * (int64_t)c->cfg.heartbeat_ms ||
	    !coordinator_conn_open(w))
		return false;
	snprintf(why, len,
	         "worker %s is connected from %s (heard from %lld ms ago): a second process"
	         " with the id and key of %s?",
	         id, w->peer[0] ? w->peer : "?", (long long)ago, id);
	return true;
}

/* A data directory someone else made may let others read the store (or,
 * with write, replace it): said at start, with the fix. */
static void
coordinator_check_data_dir(const char *dir)
{
	struct stat st;
	if (stat(dir, &st) == 0 && (st.st_mode & 077) != 0)
		log_warn("data directory %s is readable by others (mode %04o): it holds rota.db,"
		         " every run's output and the audit log; chmod 700 %s",
		         dir, (unsigned)(st.st_mode & 07777), dir);
}

coordinator_t *
coordinator_new(const coordinator_config_t *config, char **error)
{
	coordinator_t *c = xcalloc(1, sizeof(*c));
	c->cfg = *config;
	c->sigfd = -1;
	c->lockfd = -1;
	char bound_worker[256], bound_api[256];

	/* The store holds every run's output and the audit log: whatever
	 * this process creates is its own (rota.db and its WAL files 0600). */
	umask(077);
	if (mkdir(config->data_dir, 0700) != 0 && errno != EEXIST) {
		*error = xasprintf("cannot create data directory %s: %s", config->data_dir,
		                   strerror(errno));
		goto fail;
	}
	coordinator_check_data_dir(config->data_dir);
	c->lockfd = dirlock_take(config->data_dir, "rota-coordinator", error);
	if (c->lockfd < 0)
		goto fail;
	/* Signals become loop events; block them before libzmq starts its
	 * threads so those inherit the mask. */
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* A write past a file-size limit (ulimit -f, LimitFSIZE=) must fail
	 * like a full disk (EFBIG: the turn is not committed), not kill the
	 * coordinator with SIGXFSZ. */
	signal(SIGXFSZ, SIG_IGN);
	c->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (c->sigfd < 0) {
		*error = xasprintf("signalfd: %s", strerror(errno));
		goto fail;
	}

	c->config =
	    config->config_path ? config_load(config->config_path, error) : config_default();
	if (c->config == NULL)
		goto fail;
	c->step_seconds =
	    metrics_histogram_new(METRICS_DURATION_BUCKETS, METRICS_DURATION_BUCKET_COUNT);
	c->commit_seconds = metrics_histogram_new(coordinator_commit_buckets,
	                                          sizeof(coordinator_commit_buckets) /
	                                              sizeof(coordinator_commit_buckets[0]));
	char *db = xasprintf("%s/rota.db", config->data_dir);
	/* Locked before SQLite touches it: DATA_DIR/lock can be deleted. */
	c->storelock = storelock_take(db, error);
	c->store = c->storelock != NULL ? store_open(db, error) : NULL;
	if (c->store == NULL) {
		free(db);
		goto fail;
	}
	char *why = NULL; /* the first check finds the WAL, to watch it too */
	if (storelock_check(c->storelock, &why) != 0) {
		*error = why;
		free(db);
		goto fail;
	}
	c->incidents = incidents_new(c->store, c->config);
	c->audit = audit_new(c->store);
	c->started_wall = clock_wall_ms();
	c->started_mono = clock_mono_ms();
	outbox_config_t ocfg = {
	    .db_path = db,
	    .channels = c->config->channels,
	    .channel_count = c->config->channel_count,
	    .link_base = c->config->link,
	    .give_up_ms = c->config->give_up_ms,
	    .backoff_ms = c->config->backoff_ms,
	    .max_backoff_ms = c->config->max_backoff_ms,
	    .timeout_ms = c->config->timeout_ms,
	};
	c->outbox = outbox_start(&ocfg, error);
	free(db);
	if (c->outbox == NULL)
		goto fail;
	if (store_epoch_next(c->store, &c->epoch) != 0) {
		*error = xstrdup("cannot advance the coordinator epoch in the store");
		goto fail;
	}
	c->catalog = catalog_load(config->runbooks_dir, NULL, c->store, error);
	if (c->catalog == NULL)
		goto fail;

	c->zctx = zmq_ctx_new();
	/* Keys and the ZAP handler come before any socket binds. */
	security_config_t sec = {
	    .key_file = config->key_file,
	    .workers_dir = config->workers_dir,
	    .operators_file = config->operators_file,
	    .insecure = config->insecure,
	    .heartbeat_ms = config->heartbeat_ms,
	    .on_refusal = coordinator_auth_refused,
	    .on_refusal_ctx = c,
	    .worker_busy = coordinator_worker_busy,
	    .worker_busy_ctx = c,
	};
	c->security =
	    security_new(&sec, c->zctx, config->worker_endpoint, config->api_endpoint, error);
	if (c->security == NULL)
		goto fail;
	c->worker_sock = zmq_socket(c->zctx, ZMQ_ROUTER);
	c->api_sock = zmq_socket(c->zctx, ZMQ_ROUTER);
	if (c->worker_sock == NULL || c->api_sock == NULL) {
		*error = xasprintf("cannot create sockets: %s", zmq_strerror(errno));
		goto fail;
	}
	int one = 1;
	wire_socket_setup(c->worker_sock);
	wire_socket_setup(c->api_sock);
	/* A worker that reconnects (after a crash, before its old TCP
	 * connection timed out) takes its identity over. */
	zmq_setsockopt(c->worker_sock, ZMQ_ROUTER_HANDOVER, &one, sizeof(one));
	/* Sends to a peer that is gone fail instead of vanishing. */
	zmq_setsockopt(c->worker_sock, ZMQ_ROUTER_MANDATORY, &one, sizeof(one));
	zmq_setsockopt(c->api_sock, ZMQ_ROUTER_MANDATORY, &one, sizeof(one));
	if (security_setup_sockets(c->security, c->worker_sock, c->api_sock, error) != 0)
		goto fail;
	if (coordinator_bind(c->worker_sock, config->worker_endpoint, bound_worker,
	                     sizeof(bound_worker), error) != 0 ||
	    coordinator_bind(c->api_sock, config->api_endpoint, bound_api, sizeof(bound_api),
	                     error) != 0)
		goto fail;
	char *bound_http = c->bound_http;
	if (coordinator_http_start(c, bound_http, sizeof(c->bound_http), error) != 0)
		goto fail;
	if (coordinator_write_endpoints(config->data_dir, bound_worker, bound_api,
	                                c->httpd ? bound_http : NULL, error) != 0)
		goto fail;
	snprintf(c->bound_worker, sizeof(c->bound_worker), "%s", bound_worker);
	snprintf(c->bound_api, sizeof(c->bound_api), "%s", bound_api);

	c->registry = registry_new();
	coordinator_load_workers(c);
	c->sendq = sendq_new();
	c->responder = (responder_t){
	    .store = c->store,
	    .registry = c->registry,
	    .catalog = c->catalog,
	    .config = c->config,
	    .incidents = c->incidents,
	    .output_cap = config->output_cap,
	};
	c->dispatcher_cfg = (dispatcher_config_t){
	    .store = c->store,
	    .registry = c->registry,
	    .sendq = c->sendq,
	    .worker_sock = c->worker_sock,
	    .epoch = c->epoch,
	    .output_cap = config->output_cap,
	    .lost_after_ms = (int64_t)config->heartbeat_ms * REGISTRY_LOST_INTERVALS,
	    .hooks = responder_hooks(&c->responder),
	    .step_seconds = c->step_seconds,
	};
	c->dispatcher = dispatcher_new(&c->dispatcher_cfg);
	c->responder.dispatcher = c->dispatcher;
	if (dispatcher_recover(c->dispatcher, clock_mono_ms()) != 0) {
		*error = xstrdup("cannot read unfinished runs from the store");
		goto fail;
	}
	c->scheduler = scheduler_new(c->store);
	c->settle_deadline = clock_mono_ms() + COORDINATOR_SETTLE_MS;
	if (catalog_persist(NULL, c->catalog, c->store) != 0 ||
	    scheduler_sync(c->scheduler, c->catalog, clock_wall_ms()) != 0 ||
	    store_commit(c->store) != 0) {
		*error = xstrdup("cannot record runbooks and schedules in the store");
		goto fail;
	}
	c->api = (api_t){
	    .store = c->store,
	    .registry = c->registry,
	    .dispatcher = c->dispatcher,
	    .catalog = c->catalog,
	    .scheduler = c->scheduler,
	    .incidents = c->incidents,
	    .responder = &c->responder,
	    .sendq = c->sendq,
	    .api_sock = c->api_sock,
	    .output_cap = config->output_cap,
	    .reload = coordinator_reload,
	    .reload_ctx = c,
	    .status = coordinator_status,
	    .status_ctx = c,
	    .curve = security_curve(c->security),
	    .security = c->security,
	    .settling = true,
	};
	char host[64] = "coordinator";
	gethostname(host, sizeof(host) - 1);
	snprintf(c->coordinator_id, sizeof(c->coordinator_id), "%s", host);
	log_info("coordinator %s epoch %llu: workers on %s, operators on %s, HTTP on %s, data in"
	         " %s",
	         c->coordinator_id, (unsigned long long)c->epoch, bound_worker, bound_api,
	         c->httpd ? bound_http : "nothing (--http off)", config->data_dir);
	return c;
fail:
	coordinator_destroy(&c);
	return NULL;
}

void
coordinator_destroy(coordinator_t **cp)
{
	coordinator_t *c = *cp;
	if (c == NULL)
		return;
	httpd_stop(&c->httpd);
	outbox_stop(&c->outbox);
	api_clear(&c->api);
	dispatcher_destroy(&c->dispatcher);
	scheduler_destroy(&c->scheduler);
	incidents_destroy(&c->incidents);
	audit_destroy(&c->audit);
	sendq_destroy(&c->sendq);
	registry_destroy(&c->registry);
	catalog_destroy(&c->catalog);
	store_destroy(&c->store);
	config_destroy(&c->config);
	metrics_histogram_destroy(&c->step_seconds);
	metrics_histogram_destroy(&c->commit_seconds);
	if (c->worker_sock)
		zmq_close(c->worker_sock);
	if (c->api_sock)
		zmq_close(c->api_sock);
	security_destroy(&c->security);
	if (c->zctx)
		zmq_ctx_term(c->zctx);
	if (c->sigfd >= 0)
		close(c->sigfd);
	storelock_release(&c->storelock); /* after every connection to the store closed */
	free(c->store_lost);
	dirlock_release(&c->lockfd);
	free(c);
	*cp = NULL;
}

/* One line per peer per minute for whatever a peer sent that was dropped,
 * with how many more were dropped meanwhile. */
static void
coordinator_log_drop(coordinator_t *c, const char *endpoint, const wire_msg_t *msg, const char *why)
{
	char peer[128];
	char key[160];
	wire_identity_str(msg->identity, msg->identity_len, peer, sizeof(peer));
	snprintf(key, sizeof(key), "%s/%s", endpoint, peer);
	uint64_t suppressed = 0;
	if (log_limit_allow(&c->drop_log, key, clock_mono_ms(), COORDINATOR_DROP_LOG_MS,
	                    &suppressed))
		log_warn("dropped a frame from %s peer %s: %s (%llu more dropped since last said)",
		         endpoint, peer, why, (unsigned long long)suppressed);
}

/* Tells a peer we do not know (yet) which coordinator it talks to, so it
 * says Hello again. */
static void
coordinator_nudge(coordinator_t *c, const wire_msg_t *msg, uint64_t epoch)
{
	Rota__Heartbeat hb = ROTA__HEARTBEAT__INIT;
	hb.epoch = epoch;
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_HEARTBEAT;
	env.heartbeat = &hb;
	sendq_push(c->sendq, c->worker_sock, msg->identity, msg->identity_len, &env);
}

/* Whether msg came on another connection than the one w said Hello on.
 * The fd tells connections apart while both are open, which is when it
 * matters: a closed connection sends nothing more. */
static bool
coordinator_other_connection(const wire_msg_t *msg, const worker_t *w)
{
	return msg->src_fd >= 0 && w->conn_fd >= 0 && msg->src_fd != w->conn_fd;
}

static void coordinator_redirect(coordinator_t *c, void *sock, const wire_msg_t *msg,
                                 uint64_t request_id, const char *text);

int
coordinator_hello_check(const Rota__Hello *hello, const uint8_t *identity, size_t identity_len,
                        const char **why)
{
	if (hello->worker_id == NULL || hello->worker_id[0] == '\0' ||
	    strlen(hello->worker_id) != identity_len ||
	    memcmp(hello->worker_id, identity, identity_len) != 0) {
		*why = "a Hello whose worker_id is not its identity";
		return -1;
	}
	if (hello->n_in_flight > COORDINATOR_HELLO_MAX_KEYS ||
	    hello->n_spooled > COORDINATOR_HELLO_MAX_KEYS) {
		*why = "a Hello over the limits of in-flight or spooled entries";
		return -1;
	}
	return 0;
}

static void
coordinator_hello(coordinator_t *c, const wire_msg_t *msg)
{
	const Rota__Hello *hello = msg->env->hello;
	const char *drop = NULL;
	if (coordinator_hello_check(hello, msg->identity, msg->identity_len, &drop) != 0) {
		c->hello_refused++;
		coordinator_log_drop(c, "worker", msg, drop);
		return;
	}
	char why[320];
	if (wire_hello_check(hello, why, sizeof(why)) != 0) {
		/* Stored, it would be in every `rota workers` answer: refused, and
		 * the worker is told why (it logs what the coordinator answered). */
		c->hello_refused++;
		coordinator_log_drop(c, "worker", msg, why);
		char text[512];
		snprintf(text, sizeof(text),
		         "Hello refused: %s (docs/protocol.md, \"Bounded fields\"); fix it and"
		         " restart the worker",
		         why);
		coordinator_redirect(c, c->worker_sock, msg, 0, text);
		return;
	}
	worker_t *w = registry_find(c->registry, hello->worker_id);
	bool was = w && w->connected;
	/* Another connection under this id: ZMQ_ROUTER_HANDOVER already gave
	 * it the identity, so the old connection's pending messages arrive
	 * under a libzmq-made id and are dropped; from now on only this
	 * connection speaks for the worker. */
	bool replacing = was && coordinator_other_connection(msg, w);
	/* Another process (a restart, or a second worker with this id): an
	 * order the old one was sent may have run there (dispatcher.h). */
	bool other = w && w->instance != 0 && hello->instance != w->instance;
	char old_peer[sizeof(w->peer)] = "";
	if (w)
		snprintf(old_peer, sizeof(old_peer), "%s", w->peer);
	char *old_host = was ? xstrdup(w->hostname) : NULL;
	char *old_labels = was ? registry_labels_string(w) : NULL;
	w = registry_hello(c->registry, hello, clock_mono_ms(), clock_wall_ms());
	w->conn_fd = msg->src_fd;
	snprintf(w->peer, sizeof(w->peer), "%s", wire_peer(msg));
	char *labels = registry_labels_string(w);
	if (replacing && other) {
		w->replaced++;
		c->workers_replaced++;
		char key[160];
		uint64_t suppressed = 0;
		snprintf(key, sizeof(key), "replaced/%s", w->id);
		if (log_limit_allow(&c->drop_log, key, clock_mono_ms(), COORDINATOR_DROP_LOG_MS,
		                    &suppressed))
			log_warn(
			    "worker %s: a Hello from %s (host %s, labels %s) replaces its"
			    " connection from %s (host %s, labels %s): the worker restarted, or"
			    " two workers use the id %s; the newest connection takes over"
			    " (%u replacement(s) so far, %llu not logged)",
			    w->id, w->peer[0] ? w->peer : "?", w->hostname,
			    labels[0] ? labels : "none", old_peer[0] ? old_peer : "?", old_host,
			    old_labels[0] ? old_labels : "none", w->id, w->replaced,
			    (unsigned long long)suppressed);
	} else if (replacing) {
		log_info("worker %s reconnected from %s (was %s)", w->id,
		         w->peer[0] ? w->peer : "?", old_peer[0] ? old_peer : "?");
	}
	free(old_host);
	free(old_labels);
	store_worker_upsert(c->store, w->id, w->hostname, labels, w->version, "connected",
	                    w->last_seen_wall);
	log_info("worker %s %s from %s (host %s, labels %s, %zu in flight, %zu spooled)", w->id,
	         !was    ? "connected"
	         : other ? "said hello again as a new process"
	                 : "said hello again",
	         w->peer[0] ? w->peer : "?", w->hostname, labels[0] ? labels : "none",
	         hello->n_in_flight, hello->n_spooled);
	free(labels);

	Rota__Welcome welcome = ROTA__WELCOME__INIT;
	welcome.coordinator_id = c->coordinator_id;
	welcome.epoch = c->epoch;
	welcome.heartbeat_ms = c->cfg.heartbeat_ms;
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_WELCOME;
	env.welcome = &welcome;
	sendq_push(c->sendq, c->worker_sock, msg->identity, msg->identity_len, &env);
	w->hb_sent_mono = clock_mono_ms();
	dispatcher_hello(c->dispatcher, w, hello, other);
}

/* A peer on the wrong endpoint (a worker pointed at the API, rota pointed
 * at the workers' endpoint) is told where to go instead of being left to
 * time out. */
static void
coordinator_redirect(coordinator_t *c, void *sock, const wire_msg_t *msg, uint64_t request_id,
                     const char *text)
{
	Rota__Error err = ROTA__ERROR__INIT;
	err.code = ROTA__ERROR_CODE__ERR_BAD_REQUEST;
	err.message = (char *)text;
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = request_id;
	resp.error = &err;
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_RESPONSE;
	env.response = &resp;
	sendq_push(c->sendq, sock, msg->identity, msg->identity_len, &env);
}

/* While the store cannot be written, a request that writes is refused at once with
 * the reason: queued, its answer would be withheld with its failed turn (the
 * CLI would time out), or it would be refused for a wrong reason (every
 * worker looks disconnected until its Hello can be recorded). The refusal
 * promises nothing, so it is sent now rather than after a commit. Reads
 * are still answered from what the store holds. */
static void
coordinator_refuse_unwritable(coordinator_t *c, const wire_msg_t *msg)
{
	Rota__Error err = ROTA__ERROR__INIT;
	err.code = ROTA__ERROR_CODE__ERR_UNAVAILABLE;
	err.message = "the coordinator cannot write its store (disk full, a file-size limit,"
	              " or the file locked by another process); it takes no new work until it"
	              " can, and nothing was done; see the coordinator's log";
	if (c->store_lost != NULL)
		err.message = c->store_lost;
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = msg->env->request->id;
	resp.error = &err;
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_RESPONSE;
	env.response = &resp;
	wire_send(c->api_sock, msg->identity, msg->identity_len, &env);
}

static void
coordinator_worker_message(coordinator_t *c, const wire_msg_t *msg)
{
	Rota__Envelope *env = msg->env;
	/* Under CURVE, a worker speaks only under its key's id; one that
	 * says Hello under another is told why it gets no Welcome. */
	if (!security_worker_allowed(c->security, msg)) {
		if (env->body_case == ROTA__ENVELOPE__BODY_HELLO) {
			char text[640];
			snprintf(text, sizeof(text), "the coordinator refused this worker: %s",
			         security_worker_denied(c->security));
			coordinator_redirect(c, c->worker_sock, msg, 0, text);
		}
		return;
	}
	if (env->body_case == ROTA__ENVELOPE__BODY_HELLO) {
		coordinator_hello(c, msg);
		return;
	}
	if (env->body_case == ROTA__ENVELOPE__BODY_REQUEST) {
		char text[640];
		snprintf(text, sizeof(text),
		         "%s is where workers connect; rota talks to the operator API at %s"
		         " (--coordinator or ROTA_COORDINATOR)",
		         c->bound_worker, c->bound_api);
		coordinator_redirect(c, c->worker_sock, msg, env->request->id, text);
		return;
	}
	/* Identities are compared as C strings from here on: one with a NUL
	 * in it could pass for another worker's. */
	if (msg->identity_len == 0 || memchr(msg->identity, '\0', msg->identity_len) != NULL) {
		c->worker_wire.dropped_empty++;
		coordinator_log_drop(c, "worker", msg, "its identity is empty or holds a NUL byte");
		return;
	}
	char id[WIRE_MAX_IDENTITY_BYTES + 1];
	memcpy(id, msg->identity, msg->identity_len);
	id[msg->identity_len] = '\0';
	worker_t *w = registry_find(c->registry, id);
	if (w == NULL || !w->connected) {
		/* Not connected here (unknown since a restart, or declared lost:
		 * a worker frozen past the silence window still holds our epoch).
		 * Epoch 0 differs from any a worker was welcomed with, so it says
		 * Hello again; a reply with ours would only look like a sign of
		 * life and the worker would never re-introduce itself. */
		coordinator_nudge(c, msg, 0);
		return;
	}
	if (coordinator_other_connection(msg, w)) {
		/* The identity moved to a connection that has not said Hello (a
		 * second process with this id, or libzmq reconnecting under a
		 * worker that did not notice): what it says is not recorded.
		 * Its epoch may be ours, so the nudge carries none to make it
		 * say Hello. */
		c->stale_frames++;
		coordinator_log_drop(c, "worker", msg,
		                     "a connection that has not said Hello; asked it to");
		coordinator_nudge(c, msg, 0);
		return;
	}
	registry_seen(w, clock_mono_ms(), clock_wall_ms());
	/* The store on disk is gone: a result recorded now would be lost at
	 * the next start, so it is not recorded nor acknowledged; the worker
	 * keeps it spooled and sends it again to the next coordinator. */
	if (c->store_lost != NULL && (env->body_case == ROTA__ENVELOPE__BODY_RESULT ||
	                              env->body_case == ROTA__ENVELOPE__BODY_OUTPUT))
		return;
	switch (env->body_case) {
	case ROTA__ENVELOPE__BODY_HEARTBEAT:
		switch (registry_spool_error(w, env->heartbeat->spool_error)) {
		case 1:
			log_warn("worker %s: its spool is failing (%s): output it cannot keep is at"
			         " risk",
			         w->id, w->spool_error);
			break;
		case -1:
			log_info("worker %s: its spool works again", w->id);
			break;
		}
		break;
	case ROTA__ENVELOPE__BODY_GOODBYE:
		if (!w->stopping)
			log_info("worker %s is stopping (%s): it finishes what it runs and is sent"
			         " nothing new",
			         w->id,
			         env->goodbye->reason && env->goodbye->reason[0]
			             ? env->goodbye->reason
			             : "no reason given");
		dispatcher_worker_stopping(c->dispatcher, w);
		break;
	case ROTA__ENVELOPE__BODY_ACCEPTED:
		dispatcher_accepted(c->dispatcher, w, env->accepted);
		break;
	case ROTA__ENVELOPE__BODY_OUTPUT:
		dispatcher_output(c->dispatcher, w, env->output);
		break;
	case ROTA__ENVELOPE__BODY_RESULT:
		dispatcher_result(c->dispatcher, w, env->result);
		break;
	default:
		c->worker_wire.dropped_empty++;
		coordinator_log_drop(c, "worker", msg, wire_strerror(WIRE_ERR_EMPTY));
		break;
	}
}

static void
coordinator_api_message(coordinator_t *c, const wire_msg_t *msg)
{
	if (msg->env->body_case == ROTA__ENVELOPE__BODY_HELLO) {
		char text[640];
		snprintf(
		    text, sizeof(text),
		    "%s is the operator API; workers connect to %s (rota-worker --coordinator)",
		    c->bound_api, c->bound_worker);
		coordinator_log_drop(c, "api", msg,
		                     "a worker's Hello; told it where workers connect");
		coordinator_redirect(c, c->api_sock, msg, 0, text);
		return;
	}
	if (msg->env->body_case != ROTA__ENVELOPE__BODY_REQUEST) {
		c->api_wire.dropped_empty++;
		coordinator_log_drop(c, "api", msg, wire_strerror(WIRE_ERR_EMPTY));
		return;
	}
	const char *caller, *why = NULL;
	keyring_role_t role;
	if (!security_api_caller(c->security, msg, &caller, &role, &why)) {
		char text[256];
		snprintf(text, sizeof(text), "operator '%.64s' is no longer in operators.yaml",
		         msg->user_id);
		audit_auth_failure(c->audit, clock_mono_ms(), clock_wall_ms(), AUDIT_EP_OPERATORS,
		                   AUDIT_AUTH_REMOVED, wire_peer(msg), "", text);
		coordinator_redirect(c, c->api_sock, msg, msg->env->request->id, why);
		return;
	}
	if ((c->store_unwritable || c->store_lost) && api_request_writes(msg->env->request)) {
		coordinator_refuse_unwritable(c, msg);
		return;
	}
	char fingerprint[KEYS_FINGERPRINT_CHARS + 1];
	c->api.caller = caller;
	c->api.caller_role = (int)role;
	c->api.caller_peer = wire_peer(msg);
	c->api.caller_key =
	    security_operator_fingerprint(c->security, caller, fingerprint, sizeof(fingerprint));
	api_handle(&c->api, msg->identity, msg->identity_len, msg->env->request);
	/* Borrowed for that call only (the fingerprint is on this stack). */
	c->api.caller_peer = "";
	c->api.caller_key = "";
}

/* Reads up to COORDINATOR_BATCH messages; returns false when more wait. */
static bool
coordinator_read(coordinator_t *c, void *sock, wire_stats_t *stats, const char *name,
                 void (*handle)(coordinator_t *, const wire_msg_t *))
{
	for (int i = 0; i < COORDINATOR_BATCH; i++) {
		wire_msg_t msg;
		int rc = wire_recv(sock, 1, &msg, stats);
		if (rc == WIRE_ERR_AGAIN)
			return true;
		if (rc == WIRE_ERR_IO) {
			log_error("%s socket: %s", name, zmq_strerror(errno));
			return true;
		}
		if (rc != WIRE_OK) {
			coordinator_log_drop(c, name, &msg, wire_strerror(rc));
			continue;
		}
		handle(c, &msg);
		wire_msg_clear(&msg);
	}
	return false;
}

static void
coordinator_heartbeat(coordinator_t *c, bool expire)
{
	Rota__Heartbeat hb = ROTA__HEARTBEAT__INIT;
	hb.epoch = c->epoch;
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_HEARTBEAT;
	env.heartbeat = &hb;
	/* Half an interval of slack, so a tick that comes a little early
	 * does not push a worker's heartbeat to the next one. Each worker's
	 * phase starts at its Welcome, which spreads the sends over the
	 * ticks. */
	int64_t now = clock_mono_ms();
	int64_t every = (int64_t)c->cfg.heartbeat_ms * (COORDINATOR_HEARTBEAT_EVERY - 1) +
	                (int64_t)c->cfg.heartbeat_ms / 2;
	for (size_t i = 0; i < registry_count(c->registry); i++) {
		worker_t *w = registry_at(c->registry, i);
		if (!w->connected || now - w->hb_sent_mono < every)
			continue;
		hb.running = w->running;
		sendq_push(c->sendq, c->worker_sock, (const uint8_t *)w->id, strlen(w->id), &env);
		w->hb_sent_mono = now;
	}
	/* Messages still queued may be the very heartbeats that keep workers
	 * alive: judge silence only once the queue is drained. */
	if (!expire)
		return;
	/* Room for every worker: a failed switch can lose them all at once. */
	size_t max = registry_count(c->registry);
	worker_t **lost = xcalloc(max, sizeof(*lost));
	int64_t timeout = (int64_t)c->cfg.heartbeat_ms * REGISTRY_LOST_INTERVALS;
	size_t n = registry_expire(c->registry, clock_mono_ms(), timeout, lost, max);
	for (size_t i = 0; i < n; i++) {
		worker_t *w = lost[i];
		log_warn("worker %s lost: silent for more than %lld ms", w->id, (long long)timeout);
		char *labels = registry_labels_string(w);
		store_worker_upsert(c->store, w->id, w->hostname, labels, w->version, "lost",
		                    w->last_seen_wall);
		free(labels);
		dispatcher_worker_lost(c->dispatcher, w);
	}
	free(lost);
}

static bool
coordinator_settled(coordinator_t *c, int64_t now)
{
	if (c->settled)
		return true;
	size_t away = 0;
	for (size_t i = 0; i < registry_count(c->registry); i++)
		away += !registry_at(c->registry, i)->connected;
	if (away > 0 && now < c->settle_deadline)
		return false;
	c->settled = true;
	c->api.settling = false;
	if (away > 0)
		log_info("scheduler starts with %zu known worker(s) still away", away);
	return true;
}

/* Starts the run of one schedule slot, or records why it did not start. */
static const char *
coordinator_fire(void *ctx, const schedule_t *sc, int64_t slot_ms, size_t missed)
{
	coordinator_t *c = ctx;
	static char run_id[32];
	const catalog_entry_t *e = catalog_find(c->catalog, sc->runbook);
	if (e == NULL)
		return NULL;
	char slot[32];
	clock_format(slot_ms, slot, sizeof(slot));
	launcher_t l = {
	    .store = c->store,
	    .registry = c->registry,
	    .dispatcher = c->dispatcher,
	    .output_cap = c->cfg.output_cap,
	};
	launch_t req = {
	    .rb = e->rb,
	    .yaml = e->yaml,
	    .trigger = "schedule",
	    .slot_ms = slot_ms,
	};
	run_t *active = dispatcher_active_of(c->dispatcher, sc->runbook);
	if (active != NULL && sc->concurrency == RUNBOOK_CONCURRENCY_FORBID) {
		char *reason = xasprintf("skipped: run %s of %s is still running (concurrency:"
		                         " forbid)",
		                         active->id, sc->runbook);
		int rc = launcher_record_ended(&l, &req, ROTA__RUN_STATUS__RUN_SKIPPED, reason,
		                               run_id, sizeof(run_id));
		free(reason);
		return rc == 0 ? run_id : NULL;
	}
	if (active != NULL && sc->concurrency == RUNBOOK_CONCURRENCY_REPLACE) {
		char *reason = xasprintf("cancelled: replaced by the %s UTC slot of its schedule"
		                         " (concurrency: replace)",
		                         slot);
		dispatcher_cancel(c->dispatcher, active, NULL, reason, NULL);
		free(reason);
	}
	if (missed > 0)
		log_info("schedule %s: one run for the %s UTC slot stands for %zu missed slot(s)",
		         sc->runbook, slot, missed + 1);
	launch_result_t res;
	int rc = launcher_start(&l, &req, &res);
	snprintf(run_id, sizeof(run_id), "%s", res.run_id);
	launch_result_clear(&res);
	return rc == 0 && run_id[0] ? run_id : NULL;
}

/* Loads the runbook directory into a new catalog and swaps it in: a file
 * that is broken now keeps its last good version (catalog.h). */
static void
coordinator_reload(void *ctx, Rota__ReloadResponse *out)
{
	coordinator_t *c = ctx;
	rota__reload_response__init(out);
	char *error = NULL;
	catalog_t *fresh = catalog_load(c->cfg.runbooks_dir, c->catalog, c->store, &error);
	if (fresh == NULL) {
		log_error("reload: %s; keeping the runbooks already loaded", error);
		free(error);
		api_runbooks_fill(c->catalog, &out->runbooks, &out->n_runbooks);
		out->loaded = (uint32_t)catalog_count(c->catalog);
		out->invalid = (uint32_t)catalog_invalid(c->catalog);
		return;
	}
	catalog_diff_t diff = catalog_diff(c->catalog, fresh);
	catalog_persist(c->catalog, fresh, c->store);
	catalog_destroy(&c->catalog);
	c->catalog = fresh;
	c->api.catalog = fresh;
	c->responder.catalog = fresh;
	scheduler_sync(c->scheduler, c->catalog, clock_wall_ms());
	out->loaded = (uint32_t)catalog_count(fresh);
	out->invalid = (uint32_t)catalog_invalid(fresh);
	for (size_t i = 0; i < catalog_count(fresh); i++)
		out->invalid += catalog_at(fresh, i)->errors != NULL; /* stale */
	out->added = diff.added;
	out->changed = diff.changed;
	out->removed = diff.removed;
	api_runbooks_fill(fresh, &out->runbooks, &out->n_runbooks);
	log_info("reloaded runbooks: %u loaded (%u added, %u changed, %u removed), %u invalid",
	         out->loaded, out->added, out->changed, out->removed, out->invalid);
}

static void
coordinator_signal(coordinator_t *c)
{
	struct signalfd_siginfo si;
	while (read(c->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			if (!c->stopping)
				log_info("signal %u: stopping: this turn is committed, workers are"
				         " told, new runs are refused",
				         si.ssi_signo);
			c->stopping = true;
			c->api.stopping = true;
			break;
		case SIGHUP: {
			security_reload(c->security);
			log_info("SIGHUP: reloading runbooks from %s", c->cfg.runbooks_dir);
			Rota__ReloadResponse out;
			coordinator_reload(c, &out);
			api_reload_response_clear(&out);
			break;
		}
		default:
			break;
		}
	}
}

/* Time this process did not run (stopped, swapped out, a stalled disk) is
 * not the workers' silence: move their clocks on by it, so a frozen
 * coordinator does not declare a healthy fleet lost the moment it thaws.
 * Called at each checkpoint of the loop with the time it meant to sleep
 * since the last one. */
static void
coordinator_forgive(coordinator_t *c, int64_t *last_check, int64_t slept)
{
	int64_t now = clock_mono_ms();
	int64_t stalled = now - *last_check - slept;
	if (stalled > (int64_t)c->cfg.heartbeat_ms * 2) {
		log_warn("the coordinator did not run for %lld ms; workers get that time back",
		         (long long)stalled);
		registry_shift(c->registry, stalled);
		dispatcher_shift(c->dispatcher, stalled);
	}
	*last_check = now;
}

/* A turn's changes could not be committed, so memory is ahead of the store.
 * Nothing of the turn was told to anyone (the send queue is dropped): reload
 * the runs from the store, and move to a new epoch so that every worker says
 * Hello again and resends what was not acknowledged. */
/* An answer withheld with its failed turn: the operator waiting for it is
 * told now that nothing was done, instead of timing out as if the
 * coordinator were unreachable. */
static void
coordinator_withheld(void *ctx, void *sock, const uint8_t *identity, size_t identity_len,
                     const uint8_t *data, size_t len)
{
	coordinator_t *c = ctx;
	Rota__Envelope *env = NULL;
	if (sock != c->api_sock || wire_decode(data, len, &env) != WIRE_OK)
		return;
	if (env->body_case == ROTA__ENVELOPE__BODY_RESPONSE && env->response != NULL) {
		char text[512];
		snprintf(text, sizeof(text),
		         "store: cannot commit: %s; not done (nothing of this request was recorded;"
		         " see the coordinator's log), try again",
		         store_last_error(c->store));
		Rota__Error err = ROTA__ERROR__INIT;
		err.code = ROTA__ERROR_CODE__ERR_UNAVAILABLE;
		err.message = text;
		Rota__Response resp = ROTA__RESPONSE__INIT;
		resp.id = env->response->id;
		resp.error = &err;
		Rota__Envelope out = ROTA__ENVELOPE__INIT;
		out.body_case = ROTA__ENVELOPE__BODY_RESPONSE;
		out.response = &resp;
		wire_send(c->api_sock, identity, identity_len, &out);
	}
	rota__envelope__free_unpacked(env, NULL);
}

static void
coordinator_resync(coordinator_t *c)
{
	size_t withheld = sendq_discard_each(c->sendq, coordinator_withheld, c);
	incidents_resync(c->incidents);
	if (c->resync_pending) {
		/* A retry of a reload that failed: only the reload again. */
		if (dispatcher_recover(c->dispatcher, clock_mono_ms()) == 0) {
			c->resync_pending = false;
			log_info("store: runs reloaded");
		}
		store_commit(c->store);
		return;
	}
	c->commit_failures++;
	c->store_unwritable = true;
	uint64_t epoch = 0;
	if (store_epoch_next(c->store, &epoch) == 0 && epoch > c->epoch)
		c->epoch = epoch;
	else
		c->epoch++;
	log_error("store: a turn could not be committed (%llu so far); %zu message(s) withheld;"
	          " reloading runs from the store and asking every worker to say hello again"
	          " (epoch %llu)",
	          (unsigned long long)c->commit_failures, withheld, (unsigned long long)c->epoch);
	dispatcher_stats_t stats = *dispatcher_stats(c->dispatcher);
	dispatcher_destroy(&c->dispatcher);
	c->dispatcher_cfg.epoch = c->epoch;
	c->dispatcher = dispatcher_new(&c->dispatcher_cfg);
	dispatcher_adopt_stats(c->dispatcher, &stats);
	c->api.dispatcher = c->dispatcher;
	c->responder.dispatcher = c->dispatcher;
	/* The schedules' slots of the failed turn were not recorded either. */
	scheduler_destroy(&c->scheduler);
	c->scheduler = scheduler_new(c->store);
	scheduler_sync(c->scheduler, c->catalog, clock_wall_ms());
	c->api.scheduler = c->scheduler;
	if (dispatcher_recover(c->dispatcher, clock_mono_ms()) != 0) {
		log_error("store: cannot reload runs; will try again");
		c->resync_pending = true;
	} else {
		c->resync_pending = false;
	}
	store_commit(c->store);
	for (size_t i = 0; i < registry_count(c->registry); i++) {
		worker_t *w = registry_at(c->registry, i);
		w->connected = false;
		w->running = 0;
	}
}

/* Tells every connected worker that this coordinator is going, so it says
 * Hello to the next one at once instead of waiting for 5 heartbeats of
 * silence. */
static void
coordinator_goodbye(coordinator_t *c)
{
	Rota__Goodbye bye = ROTA__GOODBYE__INIT;
	bye.reason = "the coordinator is stopping";
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_GOODBYE;
	env.goodbye = &bye;
	size_t n = 0;
	for (size_t i = 0; i < registry_count(c->registry); i++) {
		worker_t *w = registry_at(c->registry, i);
		if (!w->connected)
			continue;
		sendq_push(c->sendq, c->worker_sock, (const uint8_t *)w->id, strlen(w->id), &env);
		n++;
	}
	sendq_flush(c->sendq, &c->sent);
	log_info("told %zu worker(s) goodbye", n);
}

/* The end of the loop: the last turn's changes are committed (and only then
 * its messages sent), the workers are told, and for COORDINATOR_STOP_LINGER_MS
 * the operator API still answers, refusing what would change anything, so a
 * submit racing the stop gets a clear refusal rather than a timeout; that
 * time also lets libzmq put the goodbyes on the wire (sockets close with no
 * linger). Worker messages are left unread: what they send is resent to the
 * next coordinator. */
static void
coordinator_stop(coordinator_t *c)
{
	/* The store knows a worker's time of Hello: give it the last sighting,
	 * so the next start does not show seconds-old workers as long gone. */
	for (size_t i = 0; i < registry_count(c->registry); i++) {
		worker_t *w = registry_at(c->registry, i);
		if (!w->connected)
			continue;
		char *labels = registry_labels_string(w);
		store_worker_upsert(c->store, w->id, w->hostname, labels, w->version, "connected",
		                    w->last_seen_wall);
		free(labels);
	}
	dispatcher_end_turn(c->dispatcher);
	if (store_commit(c->store) == 0) {
		sendq_flush(c->sendq, &c->sent);
		if (incidents_take_wake(c->incidents))
			outbox_wake(c->outbox);
	} else
		log_error("store: the last turn could not be committed; its messages are"
		          " withheld (%zu)",
		          sendq_discard(c->sendq));
	coordinator_goodbye(c);
	int64_t end = clock_mono_ms() + COORDINATOR_STOP_LINGER_MS;
	for (int64_t now = clock_mono_ms(); now < end; now = clock_mono_ms()) {
		zmq_pollitem_t item[] = {
		    {c->api_sock, 0, ZMQ_POLLIN, 0},
		    {security_zap_socket(c->security), 0, ZMQ_POLLIN, 0},
		};
		if (zmq_poll(item, item[1].socket ? 2 : 1, (long)(end - now)) < 0 && errno != EINTR)
			break;
		if (item[1].socket && (item[1].revents & ZMQ_POLLIN))
			security_zap_handle(c->security);
		if (item[0].revents & ZMQ_POLLIN)
			coordinator_read(c, c->api_sock, &c->api_wire, "api",
			                 coordinator_api_message);
		/* Reads only: nothing to make durable, but close the read. */
		store_commit(c->store);
		sendq_flush(c->sendq, &c->sent);
	}
}

/* The store file, its WAL or the lock file deleted or replaced under a
 * running coordinator (storelock.h): what it writes from then on goes
 * where no restart will look. Between turns (no transaction open), once a
 * second. It saves what the open store holds to a new file, says once what
 * to do, and from then on takes no work and acknowledges nothing: a
 * restart is the way out. */
static void
coordinator_check_store(coordinator_t *c)
{
	const char *dir = c->cfg.data_dir;
	char *error = NULL;
	if (c->store_lost != NULL)
		return;
	if (!dirlock_held(c->lockfd, dir)) {
		int fd = dirlock_take(dir, "rota-coordinator", &error);
		if (fd >= 0) {
			dirlock_release(&c->lockfd);
			c->lockfd = fd;
			log_warn("%s/lock was deleted or replaced while in use: made it again (the"
			         " lock on the store file itself kept a second coordinator out)",
			         dir);
		} else {
			c->store_lost = xasprintf("%s/lock was deleted or replaced while in use,"
			                          " and cannot be taken again: %s",
			                          dir, error);
			free(error);
			error = NULL;
		}
	}
	char *why = NULL;
	if (c->store_lost == NULL && storelock_check(c->storelock, &why) != 0)
		c->store_lost = why;
	if (c->store_lost == NULL)
		return;
	char stamp[32];
	time_t now = (time_t)(clock_wall_ms() / 1000);
	struct tm tm;
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", gmtime_r(&now, &tm));
	char *rescue = xasprintf("%s/rota.db.rescued-%s", dir, stamp);
	char *what = NULL;
	if (store_backup(c->store, rescue, &error) == 0)
		what = xasprintf("%s. This coordinator takes no new work and acknowledges no"
		                 " results (workers keep them) until it is restarted. What its"
		                 " store held is saved in %s: stop the coordinator, move that file"
		                 " to %s/rota.db, and start it again",
		                 c->store_lost, rescue, dir);
	else
		what = xasprintf("%s. This coordinator takes no new work and acknowledges no"
		                 " results (workers keep them) until it is restarted; saving what"
		                 " its store held failed (%s): stop it, restore %s/rota.db from a"
		                 " backup, and start it again",
		                 c->store_lost, error, dir);
	free(error);
	free(rescue);
	free(c->store_lost);
	c->store_lost = what;
	log_error("store: %s", c->store_lost);
}

int
coordinator_run(coordinator_t *c)
{
	int64_t next_heartbeat = clock_mono_ms();
	int64_t next_tick = clock_mono_ms();
	int64_t last_check = clock_mono_ms();
	while (!c->stopping) {
		if (c->resync_pending) {
			/* No message may meet a dispatcher that lost its runs: wait
			 * for the store, answering only signals. */
			coordinator_resync(c);
			if (c->resync_pending) {
				zmq_pollitem_t sig = {NULL, c->sigfd, ZMQ_POLLIN, 0};
				if (zmq_poll(&sig, 1, COORDINATOR_RESYNC_RETRY_MS) > 0)
					coordinator_signal(c);
				last_check = clock_mono_ms();
				continue;
			}
		}
		int64_t now = clock_mono_ms();
		int64_t wait = next_heartbeat < next_tick ? next_heartbeat - now : next_tick - now;
		if (wait < 0)
			wait = 0;
		long http_wait = c->httpd ? httpd_timeout_ms(c->httpd) : -1;
		if (http_wait >= 0 && http_wait < wait)
			wait = http_wait;
		zmq_pollitem_t items[5] = {
		    {c->worker_sock, 0, ZMQ_POLLIN, 0},
		    {c->api_sock, 0, ZMQ_POLLIN, 0},
		    {NULL, c->sigfd, ZMQ_POLLIN, 0},
		};
		int n_items = 3, zap_item = -1;
		void *zap = security_zap_socket(c->security);
		if (zap != NULL) {
			/* ZAP: answered here, so handshakes wait at most a turn. */
			items[n_items] = (zmq_pollitem_t){zap, 0, ZMQ_POLLIN, 0};
			zap_item = n_items++;
		}
		if (c->httpd != NULL)
			items[n_items++] =
			    (zmq_pollitem_t){NULL, httpd_fd(c->httpd), ZMQ_POLLIN, 0};
		log_flush(); /* the turn's INFO lines, before waiting (log.h) */
		if (zmq_poll(items, n_items, (long)wait) < 0) {
			if (errno == EINTR)
				continue;
			log_error("zmq_poll: %s", zmq_strerror(errno));
			return -1;
		}
		coordinator_forgive(c, &last_check, wait);
		/* Signals first: a submit read in the same turn as SIGTERM is
		 * refused, not started by a coordinator about to go. */
		if (items[2].revents & ZMQ_POLLIN)
			coordinator_signal(c);
		if (zap_item >= 0 && (items[zap_item].revents & ZMQ_POLLIN))
			security_zap_handle(c->security);
		bool drained = true;
		if (items[0].revents & ZMQ_POLLIN)
			drained = coordinator_read(c, c->worker_sock, &c->worker_wire, "worker",
			                           coordinator_worker_message);
		if (items[1].revents & ZMQ_POLLIN)
			coordinator_read(c, c->api_sock, &c->api_wire, "api",
			                 coordinator_api_message);
		if (c->httpd && !c->resync_pending)
			httpd_run(c->httpd);
		coordinator_forgive(c, &last_check, 0);
		now = clock_mono_ms();
		if (now >= next_heartbeat) {
			coordinator_heartbeat(c, drained);
			next_heartbeat = now + c->cfg.heartbeat_ms;
		}
		if (now >= next_tick) {
			if (c->store_lost == NULL)
				dispatcher_tick(c->dispatcher, now);
			if (!c->stopping && c->store_lost == NULL && coordinator_settled(c, now))
				scheduler_run(c->scheduler, clock_wall_ms(), coordinator_fire, c);
			if (!c->store_unwritable && c->store_lost == NULL)
				incidents_tick(c->incidents, clock_wall_ms());
			audit_tick(c->audit, now, clock_wall_ms(), !c->store_unwritable);
			next_tick = now + COORDINATOR_TICK_MS;
		}
		/* Durable first, then tell. */
		dispatcher_end_turn(c->dispatcher);
		bool wrote = store_in_transaction(c->store);
		int64_t commit_start = clock_mono_us();
		if (store_commit(c->store) != 0) {
			coordinator_resync(c);
			continue;
		}
		if (wrote)
			metrics_histogram_observe(c->commit_seconds,
			                          (double)(clock_mono_us() - commit_start) / 1e6);
		if (wrote && c->store_unwritable) {
			c->store_unwritable = false;
			log_info("store: writable again; taking new work");
		}
		sendq_flush(c->sendq, &c->sent);
		if (incidents_take_wake(c->incidents))
			outbox_wake(c->outbox);
		if (now >= c->next_store_check) {
			coordinator_check_store(c);
			c->next_store_check = now + COORDINATOR_STORE_CHECK_MS;
		}
	}
	coordinator_stop(c);
	const wire_stats_t *w = &c->worker_wire;
	const dispatcher_stats_t *ds = dispatcher_stats(c->dispatcher);
	log_info("stopped: %llu worker frames (%llu dropped, %llu from connections that had not"
	         " said hello), %llu api frames (%llu dropped), %llu results recorded, %llu"
	         " duplicates, %llu worker connection(s) replaced; %llu output chunks recorded,"
	         " %llu duplicates, %llu ahead of a missing one, %llu lost",
	         (unsigned long long)w->received,
	         (unsigned long long)(w->dropped_shape + w->dropped_size + w->dropped_decode +
	                              w->dropped_version + w->dropped_empty),
	         (unsigned long long)c->stale_frames, (unsigned long long)c->api_wire.received,
	         (unsigned long long)(c->api_wire.dropped_shape + c->api_wire.dropped_size +
	                              c->api_wire.dropped_decode + c->api_wire.dropped_version +
	                              c->api_wire.dropped_empty),
	         (unsigned long long)ds->results_recorded,
	         (unsigned long long)ds->results_duplicate, (unsigned long long)c->workers_replaced,
	         (unsigned long long)ds->outputs_recorded,
	         (unsigned long long)ds->outputs_duplicate, (unsigned long long)ds->outputs_ahead,
	         (unsigned long long)ds->outputs_lost);
	security_log_stats(c->security);
	return 0;
}
