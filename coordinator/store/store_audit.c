/* store_audit: the audit table (see store_audit.h). */
#include "store_int.h"

#include <stdlib.h>

#include "xalloc.h"

static const char sql_insert[] =
    "INSERT INTO audit (at_ms, actor, role, action, target, outcome, detail, peer, key, count)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
/* The newest first (so LIMIT keeps the newest). */
static const char sql_list[] =
    "SELECT id, at_ms, actor, role, action, target, outcome, detail, peer, key, count"
    " FROM audit WHERE at_ms >= ? ORDER BY id DESC LIMIT ?";

int
store_audit_insert(store_t *s, const store_audit_entry_t *e, size_t text_max)
{
	/* PostgreSQL: held for the turn's one INSERT of audit rows
	 * (store_adds.c), when there is a turn to hold it to. */
	if (store_is_postgresql(s) && store_in_transaction(s))
		return store_failed(s) ? -1 : store_adds_audit(s, e, text_max);
	db_stmt_t *st = store_stmt(s, sql_insert);
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, e->at_ms);
	store_bind_text_cut(st, 2, e->actor, text_max);
	store_bind_text_cut(st, 3, e->role, text_max);
	store_bind_text_cut(st, 4, e->action, text_max);
	store_bind_text_cut(st, 5, e->target, text_max);
	store_bind_text_cut(st, 6, e->outcome, text_max);
	store_bind_text_cut(st, 7, e->detail, text_max);
	store_bind_text_cut(st, 8, e->peer, text_max);
	store_bind_text_cut(st, 9, e->key, text_max);
	db_bind_int64(st, 10, e->count ? e->count : 1);
	return store_stmt_done(s, st);
}

int
store_audit_list(store_t *s, int64_t since_ms, uint32_t limit, Rota__AuditResponse *out)
{
	db_stmt_t *st = store_stmt(s, sql_list);
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, since_ms);
	db_bind_int64(st, 2, limit);
	out->entries = xcalloc(limit, sizeof(*out->entries));
	int rc;
	while ((rc = db_step(st)) == DB_ROW && out->n_entries < limit) {
		Rota__AuditEntry *e = xmalloc(sizeof(*e));
		rota__audit_entry__init(e);
		e->id = (uint64_t)db_column_int64(st, 0);
		e->at_ms = db_column_int64(st, 1);
		e->actor = store_column_dup(st, 2);
		e->role = store_column_dup(st, 3);
		e->action = store_column_dup(st, 4);
		e->target = store_column_dup(st, 5);
		e->outcome = store_column_dup(st, 6);
		e->detail = store_column_dup(st, 7);
		e->peer = store_column_dup(st, 8);
		e->key = store_column_dup(st, 9);
		e->count = (uint32_t)db_column_int64(st, 10);
		out->entries[out->n_entries++] = e;
	}
	if (rc != DB_ROW && rc != DB_DONE) {
		store_stmt_failed(s, st);
		return -1;
	}
	db_reset(st);
	return 0;
}
