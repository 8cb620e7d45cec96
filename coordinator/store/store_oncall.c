/* store_oncall: on-call overrides (see store_oncall.h). */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>

#include "xalloc.h"

static const char sql_add[] =
    "INSERT INTO oncall_overrides (rotation, person, from_ms, until_ms, created_by, created_ms)"
    " VALUES (?, ?, ?, ?, ?, ?)";
static const char sql_list[] = "SELECT person, from_ms, until_ms, created_by FROM oncall_overrides"
                               " WHERE rotation = ? AND until_ms > ? ORDER BY id";

int
store_oncall_override_add(store_t *s, const char *rotation, const rotation_override_t *o,
                          int64_t at_ms)
{
	return STORE_WRITE_SQL(s, sql_add, STORE_TEXT(rotation), STORE_TEXT(o->person),
	                       STORE_INT(o->from_ms), STORE_INT(o->until_ms),
	                       STORE_TEXT(o->by ? o->by : ""), STORE_INT(at_ms));
}

int
store_oncall_overrides(store_t *s, const char *rotation, int64_t after_ms,
                       rotation_override_t **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	db_stmt_t *st = store_stmt(s, sql_list);
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, rotation);
	db_bind_int64(st, 2, after_ms);
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		*out = xrealloc(*out, (*n + 1) * sizeof(**out));
		rotation_override_t *o = &(*out)[(*n)++];
		o->person = store_column_dup(st, 0);
		o->from_ms = db_column_int64(st, 1);
		o->until_ms = db_column_int64(st, 2);
		o->by = store_column_dup(st, 3);
	}
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}

static const char sql_feed_add[] =
    "INSERT INTO oncall_feeds (token_hash, rotation, created_by, created_ms) VALUES (?, ?, ?, ?)";
static const char sql_feed_revoke[] = "DELETE FROM oncall_feeds WHERE rotation = ?";
static const char sql_feed_find[] = "SELECT rotation FROM oncall_feeds WHERE token_hash = ?";

int
store_oncall_feed_add(store_t *s, const char *rotation, const char *hash, const char *by,
                      int64_t at_ms)
{
	return STORE_WRITE_SQL(s, sql_feed_add, STORE_TEXT(hash), STORE_TEXT(rotation),
	                       STORE_TEXT(by ? by : ""), STORE_INT(at_ms));
}

int
store_oncall_feed_revoke(store_t *s, const char *rotation, uint64_t *count)
{
	*count = 0;
	if (STORE_WRITE_SQL(s, sql_feed_revoke, STORE_TEXT(rotation)) != 0)
		return -1;
	int64_t n = db_changes(s->db);
	if (n < 0)
		return -1;
	*count = (uint64_t)n;
	return 0;
}

int
store_oncall_feed_find(store_t *s, const char *hash, char *out, size_t len)
{
	out[0] = '\0';
	db_stmt_t *st = store_stmt(s, sql_feed_find);
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, hash);
	int rc = db_step(st);
	if (rc == DB_ROW) {
		char *rot = store_column_dup(st, 0); /* owned */
		snprintf(out, len, "%s", rot);
		free(rot);
	}
	db_reset(st);
	return rc == DB_ROW ? 0 : rc == DB_DONE ? 1 : -1;
}
