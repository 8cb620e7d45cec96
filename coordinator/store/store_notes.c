/* store_notes: notes on incidents and runs, and a manual step's approver
 * (see store_notes.h). */
#include "store_int.h"

#include <stdlib.h>

#include "xalloc.h"

static const char sql_incident_note[] =
    "INSERT INTO incident_events (incident_id, at_ms, kind, text, author, note_kind)"
    " VALUES (?, ?, 'note', ?, ?, ?)";
static const char sql_run_note[] =
    "INSERT INTO run_notes (run_id, at_ms, note_kind, author, text) VALUES (?, ?, ?, ?, ?)";
static const char sql_run_notes[] =
    "SELECT at_ms, note_kind, author, text FROM run_notes WHERE run_id = ? ORDER BY id";
static const char sql_run_incidents[] =
    "SELECT incident_id FROM incident_runs WHERE run_id = ? ORDER BY id";
static const char sql_approver[] =
    "UPDATE step_runs SET approved_by = ?, approved_ms = ? WHERE id = ?";

int
store_note_incident_add(store_t *s, const char *id, const store_note_t *n)
{
	return STORE_WRITE_SQL(s, sql_incident_note, STORE_TEXT(id), STORE_INT(n->at_ms),
	                       STORE_TEXT(n->text), STORE_TEXT(n->author), STORE_TEXT(n->kind));
}

int
store_note_run_add(store_t *s, const char *run_id, const store_note_t *n)
{
	return STORE_WRITE_SQL(s, sql_run_note, STORE_TEXT(run_id), STORE_INT(n->at_ms),
	                       STORE_TEXT(n->kind), STORE_TEXT(n->author), STORE_TEXT(n->text));
}

int
store_note_run_list(store_t *s, const char *run_id, Rota__ShowRunResponse *out)
{
	db_stmt_t *st = store_stmt(s, sql_run_notes);
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, run_id);
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		Rota__IncidentEvent *e = xmalloc(sizeof(*e));
		rota__incident_event__init(e);
		e->at_ms = db_column_int64(st, 0);
		e->kind = xstrdup("note");
		e->note_kind = store_column_dup(st, 1);
		e->by = store_column_dup(st, 2);
		e->text = store_column_dup(st, 3);
		out->notes = xrealloc(out->notes, (out->n_notes + 1) * sizeof(*out->notes));
		out->notes[out->n_notes++] = e;
	}
	db_reset(st);
	if (rc != DB_DONE)
		return -1;
	st = store_stmt(s, sql_run_incidents);
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, run_id);
	while ((rc = db_step(st)) == DB_ROW) {
		out->incident_ids = xrealloc(out->incident_ids, (out->n_incident_ids + 1) *
		                                                    sizeof(*out->incident_ids));
		out->incident_ids[out->n_incident_ids++] = store_column_dup(st, 0);
	}
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}

int
store_note_approver(store_t *s, int64_t row, const char *by, int64_t at_ms)
{
	return STORE_WRITE_SQL(s, sql_approver, STORE_TEXT(by), STORE_INT(at_ms), STORE_INT(row));
}
