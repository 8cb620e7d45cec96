/* zap: the coordinator's ZAP handler (RFC 27), served from its one loop.
 *
 * libzmq asks inproc://zeromq.zap.01 about every CURVE client before it
 * completes the handshake; this answers from the keyring: a listed key is
 * admitted (200) with its worker id or operator name as the user id, and
 * anything else is refused (400). The domain (ZMQ_ZAP_DOMAIN, set per
 * server socket) says which list a key must be on.
 *
 * Why in the loop and not a thread: libzmq's session sends the request
 * into an inproc pipe and goes on with its other connections; nothing
 * blocks on the answer but that one handshake, so serving it when the
 * loop polls the REP socket cannot deadlock. The loop never blocks
 * elsewhere (every send is ZMQ_DONTWAIT), so a handshake waits at most one
 * turn. And the loop already owns the keyring, which SIGHUP swaps in the
 * same thread, so there is no snapshot to share or lock.
 *
 * Must never: admit a key it was not asked about (the request is checked
 * frame by frame), or leave a request unanswered (the REP socket would
 * stop). */
#ifndef ROTA_ZAP_H
#define ROTA_ZAP_H

#include <stdint.h>

#include "keyring.h"
#include "log.h"

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define ZAP_DOMAIN_WORKERS "rota-workers"
#define ZAP_DOMAIN_OPERATORS "rota-operators"
#define ZAP_BATCH 100            /* requests answered per loop turn */
#define ZAP_REFUSAL_LOG_MS 60000 /* a refusal is logged once a minute per address */

typedef struct {
	uint64_t admitted;
	uint64_t refused;   /* a key not listed for the domain */
	uint64_t malformed; /* a request that was not RFC 27 CURVE */
} zap_stats_t;

typedef struct zap zap_t;

/* What a refusal was, for the audit trail and the metrics. */
typedef enum {
	ZAP_REFUSED_UNLISTED = 0, /* a key not on its domain's list */
	ZAP_REFUSED_MALFORMED,    /* not RFC 27 CURVE */
	ZAP_REFUSED_DOMAIN,       /* an unknown domain */
} zap_refusal_t;

/* Called for every refused handshake, from zap_handle (the loop's
 * thread). domain, address (the peer's IP), key (its fingerprint, "" when
 * none was offered) and why are borrowed for the call. */
typedef void (*zap_refusal_fn)(void *ctx, zap_refusal_t kind, const char *domain,
                               const char *address, const char *key, const char *why);

/* Binds the handler in zctx. Must come before any server socket binds
 * (a CURVE server with no handler admits everyone; ZMQ_ZAP_ENFORCE_DOMAIN
 * closes that too). NULL with *error (caller frees). */
zap_t *zap_new(void *zctx, char **error);
void zap_destroy(zap_t **zp);

/* Sets the refusal hook (NULL: none); ctx is borrowed. */
void zap_set_refusal_hook(zap_t *z, zap_refusal_fn fn, void *ctx);

/* Whether worker (a listed key's name) holds its id on a live connection
 * now, with why for the log. libzmq would keep the id with the first
 * connection and ignore the second without a word (no handover under
 * CURVE), so such a handshake is answered 500 instead: the status code is
 * all that reaches the client (a 300 closes the connection without one, a
 * 400 already means "key not listed"), and this handler answers 500 for
 * nothing else, so a worker reads it as "your id is in use". It tries
 * again later, and gets in once the first connection is gone. */
typedef bool (*zap_busy_fn)(void *ctx, const char *worker, char *why, size_t len);
void zap_set_busy_hook(zap_t *z, zap_busy_fn fn, void *ctx);

/* The REP socket, for the loop's zmq_poll. Borrowed. */
void *zap_socket(zap_t *z);

/* Answers up to ZAP_BATCH waiting requests from keys (borrowed). */
void zap_handle(zap_t *z, const keyring_t *keys);

const zap_stats_t *zap_stats(const zap_t *z);

/* Sets up a server socket: CURVE with secret, the ZAP domain, and
 * enforcement (no handler, no admission). -1 with errno. */
int zap_server_setup(void *sock, const uint8_t secret[32], const char *domain);

#endif
