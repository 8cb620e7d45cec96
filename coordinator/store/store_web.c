/* store_web: the web console's sign-ins (see store_web.h). */
#include "store_int.h"

#include <stdio.h>
#include <string.h>

static const char sql_add[] =
    "INSERT INTO web_sessions (id, kind, operator, role, key, csrf, created_ms, expires_ms)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
static const char sql_get[] =
    "SELECT operator, role, key, csrf, created_ms, expires_ms FROM web_sessions"
    " WHERE id = ? AND kind = ? AND expires_ms > ?";
static const char sql_delete[] = "DELETE FROM web_sessions WHERE id = ?";
static const char sql_revoke_one[] = "DELETE FROM web_sessions WHERE operator = ?";
static const char sql_revoke_all[] = "DELETE FROM web_sessions WHERE expires_ms > ?";
static const char sql_expired[] = "DELETE FROM web_sessions WHERE expires_ms <= ?";

int
store_web_add(store_t *s, const store_web_session_t *w)
{
	return STORE_WRITE_SQL(s, sql_add, STORE_TEXT(w->id), STORE_TEXT(w->kind),
	                       STORE_TEXT(w->operator), STORE_INT(w->role), STORE_TEXT(w->key),
	                       STORE_TEXT(w->csrf), STORE_INT(w->created_ms),
	                       STORE_INT(w->expires_ms));
}

int
store_web_get(store_t *s, const char *id, const char *kind, int64_t now_ms,
              store_web_session_t *out)
{
	db_stmt_t *st = store_stmt(s, sql_get);
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, id);
	db_bind_text(st, 2, kind);
	db_bind_int64(st, 3, now_ms);
	int rc = db_step(st);
	if (rc == DB_DONE) {
		db_reset(st);
		return 1;
	}
	if (rc != DB_ROW) {
		store_stmt_failed(s, st);
		return -1;
	}
	memset(out, 0, sizeof(*out));
	snprintf(out->id, sizeof(out->id), "%s", id);
	snprintf(out->kind, sizeof(out->kind), "%s", kind);
	const char *t = db_column_text(st, 0);
	snprintf(out->operator, sizeof(out->operator), "%s", t ? t : "");
	out->role = (int)db_column_int64(st, 1);
	t = db_column_text(st, 2);
	snprintf(out->key, sizeof(out->key), "%s", t ? t : "");
	t = db_column_text(st, 3);
	snprintf(out->csrf, sizeof(out->csrf), "%s", t ? t : "");
	out->created_ms = db_column_int64(st, 4);
	out->expires_ms = db_column_int64(st, 5);
	db_reset(st);
	return 0;
}

int
store_web_delete(store_t *s, const char *id)
{
	return STORE_WRITE_SQL(s, sql_delete, STORE_TEXT(id));
}

int
store_web_revoke(store_t *s, const char *operator, int64_t now_ms, uint64_t *count)
{
	*count = 0;
	int rc = operator!= NULL ? STORE_WRITE_SQL(s, sql_revoke_one, STORE_TEXT(operator))
	                         : STORE_WRITE_SQL(s, sql_revoke_all, STORE_INT(now_ms));
	if (rc != 0)
		return -1;
	int64_t revoked = db_changes(s->db);
	if (revoked < 0)
		return -1;
	*count = (uint64_t)revoked;
	return STORE_WRITE_SQL(s, sql_expired, STORE_INT(now_ms));
}
