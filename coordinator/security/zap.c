/* zap: RFC 27 requests in, a 200 or a 400 out (see zap.h).
 *
 * Must never: block (every receive is ZMQ_DONTWAIT and a request is read
 * whole before it is answered), or answer 200 for a request it could not
 * fully check. */
#include "zap.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "clock.h"
#include "keys.h"
#include "wire.h"
#include "xalloc.h"

/* version, request id, domain, address, identity, mechanism, and the one
 * credential of CURVE (the client's public key). */
#define ZAP_CURVE_FRAMES 7
#define ZAP_MAX_FRAMES 16 /* read and dropped beyond this */
#define ZAP_FRAME_TEXT 256

struct zap {
	void *sock; /* owned: REP bound to ZAP_ENDPOINT */
	zap_stats_t stats;
	log_limit_t refusals;
	zap_refusal_fn on_refusal;
	void *on_refusal_ctx; /* borrowed */
	zap_busy_fn busy;
	void *busy_ctx; /* borrowed */
};

void
zap_set_busy_hook(zap_t *z, zap_busy_fn fn, void *ctx)
{
	z->busy = fn;
	z->busy_ctx = ctx;
}

void
zap_set_refusal_hook(zap_t *z, zap_refusal_fn fn, void *ctx)
{
	z->on_refusal = fn;
	z->on_refusal_ctx = ctx;
}

zap_t *
zap_new(void *zctx, char **error)
{
	zap_t *z = xcalloc(1, sizeof(*z));
	z->sock = zmq_socket(zctx, ZMQ_REP);
	if (z->sock == NULL) {
		*error = xasprintf("cannot make the ZAP socket: %s", zmq_strerror(errno));
		goto fail;
	}
	int linger = 0;
	zmq_setsockopt(z->sock, ZMQ_LINGER, &linger, sizeof(linger));
	if (zmq_bind(z->sock, ZAP_ENDPOINT) != 0) {
		*error = xasprintf("cannot bind the ZAP handler %s: %s", ZAP_ENDPOINT,
		                   zmq_strerror(errno));
		goto fail;
	}
	return z;
fail:
	zap_destroy(&z);
	return NULL;
}

void
zap_destroy(zap_t **zp)
{
	zap_t *z = *zp;
	if (z == NULL)
		return;
	if (z->sock != NULL)
		zmq_close(z->sock);
	free(z);
	*zp = NULL;
}

void *
zap_socket(zap_t *z)
{
	return z->sock;
}

const zap_stats_t *
zap_stats(const zap_t *z)
{
	return &z->stats;
}

/* A draft option in libzmq 4.3 (zmq.h hides it without
 * ZMQ_BUILD_DRAFT_API): with it, a CURVE server whose ZAP handler is gone
 * refuses every client instead of admitting all of them. */
#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN 93
#endif

int
zap_server_setup(void *sock, const uint8_t secret[32], const char *domain)
{
	int one = 1;
	if (zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof(one)) != 0 ||
	    zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, secret, 32) != 0 ||
	    zmq_setsockopt(sock, ZMQ_ZAP_DOMAIN, domain, strlen(domain)) != 0)
		return -1;
	/* A libzmq built without draft options refuses it (EINVAL); then the
	 * guarantee rests on the handler being bound before this socket and
	 * living as long (coordinator.c), which it is. */
	if (zmq_setsockopt(sock, ZMQ_ZAP_ENFORCE_DOMAIN, &one, sizeof(one)) != 0 && errno != EINVAL)
		return -1;
	return 0;
}

typedef struct {
	zmq_msg_t frames[ZAP_MAX_FRAMES];
	int count; /* frames kept (initialised) */
	int total; /* frames read */
} zap_request_t;

static void
zap_request_close(zap_request_t *r)
{
	for (int i = 0; i < r->count; i++)
		zmq_msg_close(&r->frames[i]);
	r->count = 0;
}

/* Reads one whole request. 0 when one was read, -1 when none waits. */
static int
zap_request_read(zap_t *z, zap_request_t *r)
{
	r->count = 0;
	r->total = 0;
	for (;;) {
		zmq_msg_t m;
		zmq_msg_init(&m);
		/* The first frame may not be there; the others always are (a
		 * message arrives whole). */
		if (zmq_msg_recv(&m, z->sock, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&m);
			return r->total == 0 ? -1 : 0;
		}
		int more = zmq_msg_more(&m);
		r->total++;
		if (r->count < ZAP_MAX_FRAMES)
			r->frames[r->count++] = m;
		else
			zmq_msg_close(&m);
		if (!more)
			return 0;
	}
}

/* Frame i as text (for version, domain, address, mechanism), "" when
 * absent or too long. */
static const char *
zap_text(zap_request_t *r, int i, char *buf, size_t len)
{
	buf[0] = '\0';
	if (i >= r->count)
		return buf;
	size_t n = zmq_msg_size(&r->frames[i]);
	if (n >= len)
		return buf;
	memcpy(buf, zmq_msg_data(&r->frames[i]), n);
	buf[n] = '\0';
	return buf;
}

/* The ZAP reply's metadata (ZMTP property encoding: a name of 1-byte
 * length, a value of 4-byte big-endian length): WIRE_KEY_PROPERTY holds the
 * Z85 of the key the connection authenticated with, so every message says
 * which key it came under and a key replaced under the same name on SIGHUP
 * stops its old connections too (security.c). */
static size_t
zap_metadata(const uint8_t *key, uint8_t *buf, size_t len)
{
	char z85[KEYS_Z85_CHARS + 1];
	if (key == NULL || zmq_z85_encode(z85, key, KEYS_BYTES) == NULL)
		return 0;
	size_t name = strlen(WIRE_KEY_PROPERTY), value = strlen(z85);
	if (1 + name + 4 + value > len)
		return 0;
	size_t n = 0;
	buf[n++] = (uint8_t)name;
	memcpy(buf + n, WIRE_KEY_PROPERTY, name);
	n += name;
	buf[n++] = 0;
	buf[n++] = 0;
	buf[n++] = 0;
	buf[n++] = (uint8_t)value;
	memcpy(buf + n, z85, value);
	return n + value;
}

static void
zap_reply(zap_t *z, zap_request_t *r, const char *status, const char *text, const char *user,
          const uint8_t *key)
{
	/* The request id is echoed as it came (it may be binary). */
	const void *rid = r->count > 1 ? zmq_msg_data(&r->frames[1]) : "";
	size_t rid_len = r->count > 1 ? zmq_msg_size(&r->frames[1]) : 0;
	uint8_t meta[128];
	size_t meta_len = zap_metadata(key, meta, sizeof(meta));
	if (zmq_send(z->sock, "1.0", 3, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
	    zmq_send(z->sock, rid, rid_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
	    zmq_send(z->sock, status, strlen(status), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
	    zmq_send(z->sock, text, strlen(text), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
	    zmq_send(z->sock, user, strlen(user), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
	    zmq_send(z->sock, meta, meta_len, ZMQ_DONTWAIT) < 0)
		log_error("ZAP: cannot answer a handshake: %s", zmq_strerror(errno));
}

static void
zap_refused(zap_t *z, zap_refusal_t kind, const char *domain, const char *address,
            const char *fingerprint, const char *why)
{
	/* Every refusal reaches the hook (counted and audited there, with its
	 * own limit); only the log line is limited here. */
	if (z->on_refusal != NULL)
		z->on_refusal(z->on_refusal_ctx, kind, domain, address, fingerprint, why);
	uint64_t suppressed = 0;
	char key[64];
	snprintf(key, sizeof(key), "zap/%s", address);
	if (log_limit_allow(&z->refusals, key, clock_mono_ms(), ZAP_REFUSAL_LOG_MS, &suppressed))
		log_warn("refused a connection from %s: %s (%llu more refusals from there since"
		         " last said)",
		         address[0] ? address : "?", why, (unsigned long long)suppressed);
}

static void
zap_answer(zap_t *z, zap_request_t *r, const keyring_t *keys)
{
	char version[ZAP_FRAME_TEXT], domain[ZAP_FRAME_TEXT], address[ZAP_FRAME_TEXT],
	    mechanism[ZAP_FRAME_TEXT];
	zap_text(r, 0, version, sizeof(version));
	zap_text(r, 2, domain, sizeof(domain));
	zap_text(r, 3, address, sizeof(address));
	zap_text(r, 5, mechanism, sizeof(mechanism));
	if (r->total != ZAP_CURVE_FRAMES || strcmp(version, "1.0") != 0 ||
	    strcmp(mechanism, "CURVE") != 0 || zmq_msg_size(&r->frames[6]) != KEYS_BYTES) {
		z->stats.malformed++;
		zap_refused(z, ZAP_REFUSED_MALFORMED, domain, address, "",
		            "not a CURVE handshake this coordinator understands");
		zap_reply(z, r, "400", "CURVE only", "", NULL);
		return;
	}
	const uint8_t *key = zmq_msg_data(&r->frames[6]);
	char fp[KEYS_FINGERPRINT_CHARS + 1];
	keys_fingerprint(key, fp, sizeof(fp));
	const keyring_entry_t *e = NULL;
	const char *list = NULL;
	if (strcmp(domain, ZAP_DOMAIN_WORKERS) == 0) {
		e = keys ? keyring_worker_by_key(keys, key) : NULL;
		list = "authorized_workers/";
	} else if (strcmp(domain, ZAP_DOMAIN_OPERATORS) == 0) {
		e = keys ? keyring_operator_by_key(keys, key) : NULL;
		list = "operators.yaml";
	}
	if (e == NULL) {
		z->stats.refused++;
		char why[256];
		if (list == NULL)
			snprintf(why, sizeof(why), "unknown ZAP domain '%.64s'", domain);
		else
			snprintf(why, sizeof(why), "key %s... is not in %s (endpoint %s)", fp, list,
			         strcmp(domain, ZAP_DOMAIN_WORKERS) == 0 ? "workers" : "operators");
		zap_refused(z, list == NULL ? ZAP_REFUSED_DOMAIN : ZAP_REFUSED_UNLISTED, domain,
		            address, fp, why);
		zap_reply(z, r, "400", "key not authorized", "", NULL);
		return;
	}
	char busy[384];
	if (strcmp(domain, ZAP_DOMAIN_WORKERS) == 0 && z->busy != NULL &&
	    z->busy(z->busy_ctx, e->name, busy, sizeof(busy))) {
		z->stats.refused++;
		uint64_t suppressed = 0;
		char lkey[64];
		snprintf(lkey, sizeof(lkey), "busy/%.48s", address);
		if (log_limit_allow(&z->refusals, lkey, clock_mono_ms(), ZAP_REFUSAL_LOG_MS,
		                    &suppressed))
			log_warn(
			    "refused a connection from %s with worker %s's key (%s...): %s; told"
			    " it so (ZAP status 500) (%llu more since last said)",
			    address[0] ? address : "?", e->name, fp, busy,
			    (unsigned long long)suppressed);
		zap_reply(z, r, "500", "worker id in use", "", NULL);
		return;
	}
	z->stats.admitted++;
	log_debug("admitted %s %s (key %s...) from %s",
	          strcmp(domain, ZAP_DOMAIN_WORKERS) == 0 ? "worker" : "operator", e->name, fp,
	          address);
	zap_reply(z, r, "200", "OK", e->name, key);
}

void
zap_handle(zap_t *z, const keyring_t *keys)
{
	for (int i = 0; i < ZAP_BATCH; i++) {
		zap_request_t r;
		if (zap_request_read(z, &r) != 0)
			return;
		zap_answer(z, &r, keys);
		zap_request_close(&r);
	}
}
