/* security: who may talk to the coordinator (docs/security.md).
 *
 * Owns the coordinator's key pair, the keyring of admitted keys and the
 * ZAP handler. With a key, both ROUTER sockets are CURVE servers and every
 * connection is one of a listed key; each message is checked against the
 * keyring as it is now (SIGHUP reloads it), so a worker speaks only under
 * its own id and a removed key is refused from the next message on.
 * Without a key the coordinator listens on loopback only, unless told
 * --insecure.
 *
 * This is also the security room's public header: other rooms include it,
 * never keyring.h, zap.h or audit.h directly.
 *
 * Must never: bind a server socket before the ZAP handler, or let a
 * message through whose authenticated user is not the identity it claims. */
#ifndef ROTA_SECURITY_H
#define ROTA_SECURITY_H

#include <stdbool.h>
#include <stdint.h>

#include "audit.h"
#include "keyring.h"
#include "wire.h"
#include "zap.h"

#define SECURITY_KEY_FILE "coordinator.key_secret" /* in the data directory */
#define SECURITY_WORKERS_DIR "authorized_workers"  /* in the data directory */
#define SECURITY_OPERATORS_FILE "operators.yaml"   /* in the data directory */
#define SECURITY_CLI_CONFIG_FILE "cli.conf"        /* what --init writes */
/* The alert intake's bearer token (0600), in the data directory: --init
 * writes it and the coordinator uses it when no other is given. */
#define SECURITY_HTTP_TOKEN_FILE "alertmanager.token"
#define SECURITY_HTTP_TOKEN_BYTES 32 /* random bytes, written as hex */
#define SECURITY_DENIED_LOG_MS 60000 /* a refused peer is logged once a minute */

typedef struct {
	const char *key_file;       /* secret key; NULL: no CURVE */
	const char *workers_dir;    /* authorized_workers/ */
	const char *operators_file; /* operators.yaml */
	bool insecure;              /* may listen beyond loopback without CURVE */
	uint32_t heartbeat_ms;      /* ZMTP heartbeats close dead connections */
	/* The fleet's heartbeat bound (registry.h): libzmq's heartbeats on
	 * the workers' socket follow it too; 0: no bound. */
	uint32_t max_heartbeats_per_second;
	/* Told of every handshake the ZAP handler refuses (the audit trail
	 * and /metrics); ctx borrowed. May be NULL. */
	zap_refusal_fn on_refusal;
	void *on_refusal_ctx;
	/* Whether a worker holds its id on a live connection (zap.h). */
	zap_busy_fn worker_busy;
	void *worker_busy_ctx;
} security_config_t;

typedef struct {
	uint64_t worker_denied; /* messages whose user is not their identity, or unlisted */
	uint64_t api_denied;    /* requests from an operator no longer listed */
	uint64_t reloads_failed;
} security_stats_t;

typedef struct security security_t;

/* Loads the key and the keyring and binds the ZAP handler in zctx (with a
 * key); checks that endpoints without CURVE are on loopback unless
 * insecure. Call before binding. NULL with *error (caller frees). */
/* The rule for a coordinator without a key (key_file NULL): its endpoints
 * stay on loopback unless insecure. -1 with *error (the caller frees) when
 * it would listen beyond loopback; else 0, with *far the endpoint beyond
 * loopback that insecure allows (NULL when none). security_new and --check
 * both apply it. */
int security_check_endpoints(const char *key_file, const char *worker_ep, const char *api_ep,
                             bool insecure, const char **far, char **error);
security_t *security_new(const security_config_t *cfg, void *zctx, const char *worker_ep,
                         const char *api_ep, char **error);
void security_destroy(security_t **sp);

/* Whether both sockets use CURVE; whether it was started --insecure on a
 * non-loopback address (for status displays). */
bool security_curve(const security_t *s);
bool security_insecure(const security_t *s);

/* Makes both sockets CURVE servers with their ZAP domains (nothing
 * without a key). Under CURVE a worker's id is its key's: libzmq's
 * ROUTER_HANDOVER would let any admitted key take another worker's id
 * (and its orders), so it is turned off, and ZMTP heartbeats free the id
 * of a connection that died without a word. -1 with *error. */
int security_setup_sockets(security_t *s, void *worker_sock, void *api_sock, char **error);

/* The ZAP REP socket for the loop's poll (NULL without CURVE), and its
 * handler. */
/* The interval of libzmq's heartbeats on the workers' socket, set by
 * security_setup_sockets (0 without CURVE). */
uint32_t security_zmtp_heartbeat_ms(const security_t *s);
void *security_zap_socket(security_t *s);
void security_zap_handle(security_t *s);

/* Rereads the keyring (SIGHUP): the new lists apply to the next handshake
 * and the next message; a broken file keeps the old ones, said in the
 * log. */
void security_reload(security_t *s);

/* Whether a worker message may be handled: without CURVE always; with it
 * only when its user id is a listed worker and equals its identity.
 * Refusals are counted and logged (rate-limited). */
bool security_worker_allowed(security_t *s, const wire_msg_t *msg);
/* Why security_worker_allowed last refused a message (borrowed). */
const char *security_worker_denied(const security_t *s);

/* The operator behind an API message: *name (borrowed until the next
 * reload) and *role. Without CURVE, name "" and KEYRING_ROLE_NONE: nobody
 * is authenticated. false (counted, logged) when the key is not listed
 * any more; *why (static text) is for the answer. */
bool security_api_caller(security_t *s, const wire_msg_t *msg, const char **name,
                         keyring_role_t *role, const char **why);

/* The fingerprint of operator name's key into buf (at least
 * KEYS_FINGERPRINT_CHARS + 1 bytes): "" without CURVE or when not listed.
 * Returns buf. */
const char *security_operator_fingerprint(const security_t *s, const char *name, char *buf,
                                          size_t len);

/* The keyring as loaded now (borrowed until the next security_reload);
 * NULL without CURVE. For `rota keys` and `rota workers remove`. */
const keyring_t *security_keyring(const security_t *s);
/* The coordinator's public key as 40 Z85 characters; "" without CURVE. */
const char *security_public_z85(const security_t *s);
/* Where worker keys and operators are read from (NULL when not given). */
const char *security_workers_dir(const security_t *s);
const char *security_operators_file(const security_t *s);

const security_stats_t *security_stats(const security_t *s);
/* One log line of the counts, for the coordinator's stop. */
void security_log_stats(const security_t *s);

/* Whether endpoint can only be reached from this host (tcp on a loopback
 * address, ipc, inproc). */
bool security_endpoint_local(const char *endpoint);

/* The name a bearer token goes by in the audit trail: its file's name
 * without the directory and a trailing ".token" ("/etc/rota/alertmanager.token"
 * -> "alertmanager"), into buf. */
void security_token_name(const char *path, char *buf, size_t len);

/* rota-coordinator --init DIR: a new data directory with the coordinator's
 * key pair, an admin operator's key pair listed in operators.yaml, an
 * empty authorized_workers/ and DIR/cli.conf for rota; prints what to do
 * next. Refuses a directory that already has a key. api_endpoint goes in
 * cli.conf. -1 with *error. */
int security_init_dir(const char *dir, const char *api_endpoint, char **error);

#endif
