/* store_maint: maintenance windows (see store_maint.h). */
#include "store_int.h"

#include <stdlib.h>

#include "xalloc.h"

static const char sql_add[] =
    "INSERT INTO maintenance_windows (target, reason, is_freeze, starts_ms, ends_ms, created_by)"
    " VALUES (?, ?, ?, ?, ?, ?) RETURNING id";
static const char sql_end[] =
    "UPDATE maintenance_windows SET ends_ms = ?, ended_by = ? WHERE id = ? AND ends_ms > ?";
/* DO NOTHING: an occurrence ends once; the first who ended it stays. */
static const char sql_end_occurrence[] =
    "INSERT INTO maintenance_ended (name, starts_ms, ended_ms, ended_by) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (name, starts_ms) DO NOTHING";
static const char sql_ended_forget[] = "DELETE FROM maintenance_ended WHERE starts_ms < ?";
static const char sql_ended_list[] =
    "SELECT name, starts_ms, ended_ms, ended_by FROM maintenance_ended"
    " WHERE starts_ms > ? ORDER BY starts_ms DESC LIMIT ?";
static const char sql_list[] =
    "SELECT id, target, reason, is_freeze, starts_ms, ends_ms, created_by, ended_by"
    " FROM maintenance_windows WHERE ends_ms > ? ORDER BY id LIMIT ?";

int
store_maint_add(store_t *s, const store_maint_t *w, int64_t *id)
{
	store_maint_forget(s);
	if (store_begin(s) != 0)
		return -1;
	db_stmt_t *st = store_stmt(s, sql_add);
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, w->target);
	db_bind_text(st, 2, w->reason);
	db_bind_int64(st, 3, w->freeze ? 1 : 0);
	db_bind_int64(st, 4, w->starts_ms);
	db_bind_int64(st, 5, w->ends_ms);
	db_bind_text(st, 6, w->created_by);
	return store_returning_id(s, st, id);
}

int
store_maint_end(store_t *s, int64_t id, int64_t now_ms, const char *by)
{
	store_maint_forget(s);
	if (STORE_WRITE_SQL(s, sql_end, STORE_INT(now_ms), STORE_TEXT(by), STORE_INT(id),
	                    STORE_INT(now_ms)) != 0)
		return -1;
	int64_t ended = db_changes(s->db);
	if (ended < 0)
		return -1;
	return ended > 0 ? 0 : 1;
}

/* One window of sql_list (store_rows). */
static void
store_maint_row(db_stmt_t *st, void *row, void *ctx)
{
	(void)ctx;
	store_maint_t *w = row;
	w->id = db_column_int64(st, 0);
	w->target = store_column_dup(st, 1);
	w->reason = store_column_dup(st, 2);
	w->freeze = db_column_int64(st, 3) != 0;
	w->starts_ms = db_column_int64(st, 4);
	w->ends_ms = db_column_int64(st, 5);
	w->created_by = store_column_dup(st, 6);
	w->ended_by = store_column_dup(st, 7);
}

/* A copy of the n windows of rows that end after after_ms, for a caller
 * that frees it (store_maint_free). */
static store_maint_t *
store_maint_copy(const store_maint_t *rows, size_t n, int64_t after_ms, size_t *count)
{
	store_maint_t *out = n ? xcalloc(n, sizeof(*out)) : NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (rows[i].ends_ms <= after_ms)
			continue;
		out[k] = rows[i];
		out[k].target = xstrdup(rows[i].target);
		out[k].reason = xstrdup(rows[i].reason);
		out[k].created_by = xstrdup(rows[i].created_by);
		out[k].ended_by = xstrdup(rows[i].ended_by);
		k++;
	}
	*count = k;
	return out;
}

void
store_maint_forget(store_t *s)
{
	if (!s->maint_held)
		return;
	store_maint_free(s->maint_rows, s->maint_count);
	s->maint_rows = NULL;
	s->maint_count = 0;
	s->maint_held = false;
}

/* Every submit asks which windows are active (launcher.c), and on
 * PostgreSQL a SELECT is a round trip the turn waits for: one a run,
 * most of a turn's time under a stream of submits (docs/benchmarks.md,
 * "The loop's turn"). So the rows read are kept to the end of the turn
 * and a later ask in it is answered from them: within a turn nothing but
 * this store writes the table (the turn's own writes forget them; a
 * follower writes none, and a new leader's writes come after the lease
 * fence fails this one's commit), and the rows ending after a later
 * instant are those of an earlier read that ended after it, unless that
 * read was cut at its limit (then read again). Nothing is kept across
 * turns: a window still starts and ends on time. */
int
store_maint_list(store_t *s, int64_t after_ms, size_t limit, store_maint_t **out, size_t *count)
{
	*out = NULL;
	*count = 0;
	if (s->maint_held && after_ms >= s->maint_after && limit <= s->maint_limit &&
	    s->maint_count < s->maint_limit) {
		*out = store_maint_copy(s->maint_rows, s->maint_count, after_ms, count);
		if (*count > limit) {
			store_maint_free(*out, *count);
			*out = NULL;
			*count = 0;
		} else
			return 0;
	}
	db_stmt_t *st = store_stmt(s, sql_list);
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, after_ms);
	db_bind_int64(st, 2, (int64_t)limit);
	if (store_rows(st, out, count, sizeof(**out), store_maint_row, NULL) != DB_DONE) {
		store_stmt_failed(s, st);
		store_maint_free(*out, *count);
		*out = NULL;
		*count = 0;
		return -1;
	}
	db_reset(st);
	store_maint_forget(s);
	s->maint_rows = store_maint_copy(*out, *count, after_ms, &s->maint_count);
	s->maint_after = after_ms;
	s->maint_limit = limit;
	s->maint_held = true;
	return 0;
}

void
store_maint_free(store_maint_t *w, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		free(w[i].target);
		free(w[i].reason);
		free(w[i].created_by);
		free(w[i].ended_by);
	}
	free(w);
}

int
store_maint_end_occurrence(store_t *s, const char *name, int64_t starts_ms, int64_t now_ms,
                           const char *by)
{
	if (STORE_WRITE_SQL(s, sql_end_occurrence, STORE_TEXT(name), STORE_INT(starts_ms),
	                    STORE_INT(now_ms), STORE_TEXT(by)) != 0)
		return -1;
	int64_t ended = db_changes(s->db);
	if (ended < 0)
		return -1;
	if (STORE_WRITE_SQL(s, sql_ended_forget, STORE_INT(now_ms - STORE_MAINT_ENDED_KEEP_MS)) !=
	    0)
		return -1;
	return ended > 0 ? 0 : 1;
}

/* One occurrence of sql_ended_list (store_rows). */
static void
store_maint_ended_row(db_stmt_t *st, void *row, void *ctx)
{
	(void)ctx;
	store_maint_ended_t *e = row;
	e->name = store_column_dup(st, 0);
	e->starts_ms = db_column_int64(st, 1);
	e->ended_ms = db_column_int64(st, 2);
	e->ended_by = store_column_dup(st, 3);
}

int
store_maint_ended_list(store_t *s, int64_t after_ms, size_t limit, store_maint_ended_t **out,
                       size_t *count)
{
	*out = NULL;
	*count = 0;
	db_stmt_t *st = store_stmt(s, sql_ended_list);
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, after_ms);
	db_bind_int64(st, 2, (int64_t)limit);
	if (store_rows(st, out, count, sizeof(**out), store_maint_ended_row, NULL) != DB_DONE) {
		store_stmt_failed(s, st);
		store_maint_ended_free(*out, *count);
		*out = NULL;
		*count = 0;
		return -1;
	}
	db_reset(st);
	return 0;
}

void
store_maint_ended_free(store_maint_ended_t *e, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		free(e[i].name);
		free(e[i].ended_by);
	}
	free(e);
}
