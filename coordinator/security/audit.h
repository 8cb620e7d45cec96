/* audit: who did what to the coordinator, and who failed to get in.
 *
 * One table (store migration 4 -> 5), written in the loop's turn like any
 * other change: a state-changing operator request leaves its row in the
 * same transaction as what it changed (or as its refusal), so the answer
 * the operator sees and the row are committed together.
 *
 * Authentication failures come from peers, so a flood must not fill the
 * disk: at most one row per address per AUDIT_AUTH_INTERVAL_MS; what comes
 * in between is counted and written as one row (count > 1) by audit_tick.
 * Every failure is counted for /metrics, rows or not.
 *
 * Must never: store a key (only its fingerprint), or write a row for a
 * peer more often than the interval allows. */
#ifndef ROTA_AUDIT_H
#define ROTA_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define AUDIT_AUTH_INTERVAL_MS 1000 /* one auth-failure row per address per second */
#define AUDIT_AUTH_SLOTS 256        /* addresses tracked; the oldest is flushed and reused */
#define AUDIT_DEFAULT_LIST 50
#define AUDIT_MAX_LIST 1000
#define AUDIT_TEXT_MAX 512 /* bytes of a detail kept */

/* Outcomes of a request. */
#define AUDIT_OK "ok"
#define AUDIT_REFUSED "refused"
#define AUDIT_FAILED "failed"

/* Endpoints and reasons of authentication failures: the labels of
 * rota_auth_failures_total. */
typedef enum { AUDIT_EP_WORKERS = 0, AUDIT_EP_OPERATORS, AUDIT_EP_COUNT } audit_endpoint_t;
typedef enum {
	AUDIT_AUTH_UNLISTED = 0, /* a key not on the list of its endpoint */
	AUDIT_AUTH_MALFORMED,    /* not a CURVE handshake the coordinator understands */
	AUDIT_AUTH_DOMAIN,       /* an unknown ZAP domain */
	AUDIT_AUTH_REMOVED,      /* a key removed since its handshake (a request refused) */
	AUDIT_AUTH_COUNT
} audit_reason_t;

const char *audit_endpoint_name(audit_endpoint_t ep);
const char *audit_reason_name(audit_reason_t r);

/* One row; every string borrowed, NULL written as "" (store/store_audit.h). */
typedef store_audit_entry_t audit_entry_t;

/* Writes a row in the turn's transaction. -1 when the store failed (the
 * turn will not commit). */
int audit_record(store_t *s, const audit_entry_t *e);

/* The newest limit rows at or after since_ms (0: any time), oldest first,
 * into out (every field malloc'd; free with
 * rota__audit_response__free_unpacked). 0, or -1 on a store error. */
int audit_list(store_t *s, int64_t since_ms, uint32_t limit, Rota__AuditResponse *out);

typedef struct audit audit_t;

/* The authentication-failure side: counters and the per-address limit.
 * store is borrowed. Never NULL. */
audit_t *audit_new(store_t *store);
void audit_destroy(audit_t **ap);

/* One authentication failure: counted; a row now when the address had
 * none within the interval (and the store is writable, as the last
 * audit_tick said), else folded into its next one.
 * peer is the address, key the fingerprint ("" when none was offered),
 * why a sentence for the row. */
void audit_auth_failure(audit_t *a, int64_t mono_ms, int64_t wall_ms, audit_endpoint_t ep,
                        audit_reason_t reason, const char *peer, const char *key, const char *why);
/* Writes the rows of failures held back whose interval has passed (call
 * every tick); nothing while !writable (they wait, and an address
 * evicted meanwhile loses its held-back count from the table, not from
 * the metrics). */
void audit_tick(audit_t *a, int64_t mono_ms, int64_t wall_ms, bool writable);
/* Failures seen since start, by endpoint and reason (for /metrics). */
uint64_t audit_auth_count(const audit_t *a, audit_endpoint_t ep, audit_reason_t reason);

#endif
