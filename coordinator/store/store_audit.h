/* store_audit: the audit table (schema 5) behind functions named for what
 * they do, so coordinator/security/ writes no SQL. Part of the store
 * room's public header (store.h includes it). What is audited, and the
 * limit on authentication-failure rows, is security/audit.h's business.
 *
 * Must never: store a string past the cut its caller asked for. */
#ifndef ROTA_STORE_AUDIT_H
#define ROTA_STORE_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "rota.pb-c.h"

typedef struct store store_t;

/* One row; every string borrowed, NULL written as "". */
typedef struct {
	int64_t at_ms; /* wall clock */
	const char *actor;
	const char *role;
	const char *action; /* "submit", "cancel", ..., "auth" */
	const char *target;
	const char *outcome; /* "ok", "refused", "failed" */
	const char *detail;
	const char *peer;
	const char *key; /* fingerprint */
	uint32_t count;  /* 0 is written as 1 */
} store_audit_entry_t;

/* Writes a row in the turn's transaction (the caller opened it with
 * store_begin), every string cut to at most text_max bytes. 0, or -1 (the
 * turn marked failed). */
int store_audit_insert(store_t *s, const store_audit_entry_t *e, size_t text_max);
/* The newest limit rows at or after since_ms, newest first, into
 * out->entries (allocated for limit entries; every field malloc'd). 0, or
 * -1 on a store error (the turn marked failed). */
int store_audit_list(store_t *s, int64_t since_ms, uint32_t limit, Rota__AuditResponse *out);

#endif
