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
	if (db_step(st) != DB_ROW) {
		store_stmt_failed(s, st);
		return -1;
	}
	*id = db_column_int64(st, 0);
	/* RETURNING: the statement is done once its one row is read. */
	if (db_step(st) != DB_DONE) {
		store_stmt_failed(s, st);
		return -1;
	}
	db_reset(st);
	return 0;
}

int
store_maint_end(store_t *s, int64_t id, int64_t now_ms, const char *by)
{
	if (store_begin(s) != 0)
		return -1;
	db_stmt_t *st = store_stmt(s, sql_end);
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, now_ms);
	db_bind_text(st, 2, by);
	db_bind_int64(st, 3, id);
	db_bind_int64(st, 4, now_ms);
	if (store_stmt_done(s, st) != 0)
		return -1;
	int64_t ended = db_changes(s->db);
	if (ended < 0)
		return -1;
	return ended > 0 ? 0 : 1;
}

int
store_maint_list(store_t *s, int64_t after_ms, size_t limit, store_maint_t **out, size_t *count)
{
	*out = NULL;
	*count = 0;
	db_stmt_t *st = store_stmt(s, sql_list);
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, after_ms);
	db_bind_int64(st, 2, (int64_t)limit);
	int rc;
	size_t cap = 0;
	while ((rc = db_step(st)) == DB_ROW) {
		if (*count == cap) {
			cap = cap ? cap * 2 : 8;
			*out = xrealloc(*out, cap * sizeof(**out));
		}
		store_maint_t *w = &(*out)[(*count)++];
		w->id = db_column_int64(st, 0);
		w->target = store_column_dup(st, 1);
		w->reason = store_column_dup(st, 2);
		w->freeze = db_column_int64(st, 3) != 0;
		w->starts_ms = db_column_int64(st, 4);
		w->ends_ms = db_column_int64(st, 5);
		w->created_by = store_column_dup(st, 6);
		w->ended_by = store_column_dup(st, 7);
	}
	if (rc != DB_DONE) {
		store_stmt_failed(s, st);
		store_maint_free(*out, *count);
		*out = NULL;
		*count = 0;
		return -1;
	}
	db_reset(st);
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
	if (store_begin(s) != 0)
		return -1;
	db_stmt_t *st = store_stmt(s, sql_end_occurrence);
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, name);
	db_bind_int64(st, 2, starts_ms);
	db_bind_int64(st, 3, now_ms);
	db_bind_text(st, 4, by);
	if (store_stmt_done(s, st) != 0)
		return -1;
	int64_t ended = db_changes(s->db);
	if (ended < 0)
		return -1;
	db_stmt_t *forget = store_stmt(s, sql_ended_forget);
	if (forget == NULL)
		return -1;
	db_bind_int64(forget, 1, now_ms - STORE_MAINT_ENDED_KEEP_MS);
	if (store_stmt_done(s, forget) != 0)
		return -1;
	return ended > 0 ? 0 : 1;
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
	int rc;
	size_t cap = 0;
	while ((rc = db_step(st)) == DB_ROW) {
		if (*count == cap) {
			cap = cap ? cap * 2 : 8;
			*out = xrealloc(*out, cap * sizeof(**out));
		}
		store_maint_ended_t *e = &(*out)[(*count)++];
		e->name = store_column_dup(st, 0);
		e->starts_ms = db_column_int64(st, 1);
		e->ended_ms = db_column_int64(st, 2);
		e->ended_by = store_column_dup(st, 3);
	}
	if (rc != DB_DONE) {
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
