/* store_prune: retention's deletions, batch by batch (see store_prune.h).
 *
 * Each walk reads its rows through an index in the order they were made
 * (runs_created_id, audit_at, outbox_created, incidents_created), so a
 * batch costs its rows, not the table's size. The runs walk keeps a cursor
 * (the last run examined): the old runs that must stay (the newest of
 * their runbook, an open incident's) are looked at once a pass, not once a
 * batch. The other walks have no cursor: what they pass over without
 * deleting is only what is still pending (an undelivered notification, an
 * open incident), a handful of rows. */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* The runs one batch looks at, at most: each costs a few index look-ups
 * (is it kept?) even when nothing of it goes. */
#define PRUNE_RUNS_EXAMINED_MAX 64

enum { PHASE_RUNS, PHASE_AUDIT, PHASE_NOTIFICATIONS, PHASE_INCIDENTS, PHASE_EVENTS, PHASE_DONE };

static const char *const table_names[STORE_PRUNE_TABLES] = {
    [STORE_PRUNE_RUNS] = "runs",
    [STORE_PRUNE_STEPS] = "steps",
    [STORE_PRUNE_OUTPUTS] = "outputs",
    [STORE_PRUNE_AUDIT] = "audit",
    [STORE_PRUNE_NOTIFICATIONS] = "notifications",
    [STORE_PRUNE_INCIDENTS] = "incidents",
    [STORE_PRUNE_EVENTS] = "events",
};

/* The next runs after the cursor older than ?1, each with whether it must
 * stay: pending or running (an approval waits in a running run), linked to
 * an incident not resolved, or among the newest ?4 of its runbook
 * (runs_runbook_keep makes that a look at ?4 index entries). */
static const char sql_runs_walk[] =
    "SELECT r.id, r.created_ms,"
    " CASE WHEN r.status IN (1, 2) THEN 1"
    " WHEN EXISTS (SELECT 1 FROM incident_runs ir JOIN incidents i ON i.id = ir.incident_id"
    "   WHERE ir.run_id = r.id AND i.status NOT IN ('resolved', 'suppressed')) THEN 1"
    " WHEN r.id IN (SELECT k.id FROM runs k WHERE k.runbook = r.runbook"
    "   ORDER BY k.created_ms DESC, k.id DESC LIMIT ?4) THEN 1"
    " ELSE 0 END"
    " FROM runs r WHERE r.created_ms < ?1 AND (r.created_ms, r.id) > (?2, ?3)"
    " ORDER BY r.created_ms, r.id LIMIT ?5";
static const char sql_run_outputs_delete[] =
    "DELETE FROM outputs WHERE id IN (SELECT o.id FROM outputs o"
    " JOIN step_runs s ON s.id = o.step_run WHERE s.run_id = ? LIMIT ?)";
static const char sql_run_outputs_count[] =
    "SELECT COUNT(*) FROM outputs o JOIN step_runs s ON s.id = o.step_run WHERE s.run_id = ?";
/* rota search's copy of the run's output goes with the output (store_search.c):
 * what retention removed must not be findable. */
static const char sql_run_text_delete[] =
    "DELETE FROM output_text WHERE step_run IN (SELECT id FROM step_runs WHERE run_id = ?)";
static const char sql_run_steps_delete[] = "DELETE FROM step_runs WHERE run_id = ?";
static const char sql_run_steps_count[] = "SELECT COUNT(*) FROM step_runs WHERE run_id = ?";
static const char sql_run_delete[] = "DELETE FROM runs WHERE id = ?";
/* What operators wrote on the run goes with it (rota note RUN). */
static const char sql_run_notes_delete[] = "DELETE FROM run_notes WHERE run_id = ?";

static const char sql_audit_delete[] =
    "DELETE FROM audit WHERE id IN (SELECT id FROM audit WHERE at_ms < ? ORDER BY at_ms LIMIT ?)";
static const char sql_audit_count[] = "SELECT COUNT(*) FROM audit WHERE at_ms < ?";
static const char sql_audit_count_capped[] =
    "SELECT COUNT(*) FROM (SELECT 1 FROM audit WHERE at_ms < ? LIMIT ?) c";

#define NOTIFICATION_DONE "(delivered_ms > 0 OR given_up_ms > 0)"
static const char sql_notifications_delete[] =
    "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE created_ms < ?"
    " AND " NOTIFICATION_DONE " ORDER BY created_ms LIMIT ?)";
static const char sql_notifications_count[] =
    "SELECT COUNT(*) FROM outbox WHERE created_ms < ? AND " NOTIFICATION_DONE;
static const char sql_notifications_count_capped[] =
    "SELECT COUNT(*) FROM (SELECT 1 FROM outbox WHERE created_ms < ? AND " NOTIFICATION_DONE
    " LIMIT ?) c";

/* A resolved incident whose notifications are all over (one still being
 * sent keeps it). */
#define INCIDENT_GONE                                                                              \
	" FROM incidents i WHERE i.created_ms < ?1 AND i.status IN ('resolved', 'suppressed')"     \
	" AND i.resolved_ms > 0 AND i.resolved_ms < ?1 AND NOT EXISTS (SELECT 1 FROM outbox o"     \
	" WHERE o.incident_id = i.id AND o.delivered_ms = 0 AND o.given_up_ms = 0)"
static const char sql_incidents_next[] =
    "SELECT i.id" INCIDENT_GONE " ORDER BY i.created_ms, i.id LIMIT ?2";
static const char sql_incidents_count[] = "SELECT COUNT(*)" INCIDENT_GONE;
static const char sql_incidents_count_capped[] =
    "SELECT COUNT(*) FROM (SELECT 1" INCIDENT_GONE " LIMIT ?2) c";
/* What goes with an incident, the incident last (the foreign keys). */
static const char *const sql_incident_parts[] = {
    "DELETE FROM incident_events WHERE incident_id = ?",
    "DELETE FROM incident_runs WHERE incident_id = ?",
    "DELETE FROM escalations WHERE incident_id = ?",
    "DELETE FROM alerts WHERE incident_id = ?",
    "DELETE FROM outbox WHERE incident_id = ?",
    "DELETE FROM incidents WHERE id = ?",
};

const char *
store_prune_table_name(store_prune_table_t t)
{
	return (unsigned)t < STORE_PRUNE_TABLES ? table_names[t] : "?";
}

static int64_t
cut_of(int64_t now_ms, int64_t keep_ms)
{
	return keep_ms > 0 ? now_ms - keep_ms : 0;
}

void
store_prune_begin(store_prune_pass_t *p, const store_retention_t *r, int64_t now_ms)
{
	memset(p, 0, sizeof(*p));
	p->cut[STORE_PRUNE_RUNS] = cut_of(now_ms, r->runs_ms);
	p->cut[STORE_PRUNE_STEPS] = p->cut[STORE_PRUNE_RUNS];
	p->cut[STORE_PRUNE_OUTPUTS] = cut_of(now_ms, r->outputs_ms);
	p->cut[STORE_PRUNE_AUDIT] = cut_of(now_ms, r->audit_ms);
	p->cut[STORE_PRUNE_NOTIFICATIONS] = cut_of(now_ms, r->notifications_ms);
	p->cut[STORE_PRUNE_INCIDENTS] = cut_of(now_ms, r->incidents_ms);
	/* An event is kept as long as what it shows (an output, else a run). */
	int64_t outs = p->cut[STORE_PRUNE_OUTPUTS], runs = p->cut[STORE_PRUNE_RUNS];
	p->cut[STORE_PRUNE_EVENTS] = outs > runs ? outs : runs;
	p->events_keep = r->events_keep;
	p->keep = r->keep_runs_per_runbook;
	p->after_ms = -1; /* before every run (times are >= 0) */
	p->phase = PHASE_RUNS;
}

/* SELECT COUNT(*) with one text or integer parameter (and a cap as the
 * second when cap > 0). -1 on error. */
static int64_t
count_rows_capped(store_t *s, const char *sql, const char *text, int64_t num, int64_t cap)
{
	db_stmt_t *st = store_stmt(s, sql);
	if (st == NULL)
		return -1;
	if (text != NULL)
		db_bind_text(st, 1, text);
	else
		db_bind_int64(st, 1, num);
	if (cap > 0)
		db_bind_int64(st, 2, cap);
	int rc = db_step(st);
	if (rc != DB_ROW) {
		store_stmt_failed(s, st);
		return -1;
	}
	int64_t n = db_column_int64(st, 0);
	db_reset(st);
	return n;
}

static int64_t
count_rows(store_t *s, const char *sql, const char *text, int64_t num)
{
	return count_rows_capped(s, sql, text, num, 0);
}

/* A dry count of a whole table: capped when the dry run is bounded
 * (bounded), the pass then marked partial when the cap was reached. */
static int64_t
count_dry(store_t *s, store_prune_pass_t *p, const char *sql, const char *capped, int64_t num,
          bool bounded)
{
	if (!bounded)
		return count_rows(s, sql, NULL, num);
	int64_t n = count_rows_capped(s, capped, NULL, num, STORE_PRUNE_DRY_COUNT_MAX);
	if (n >= STORE_PRUNE_DRY_COUNT_MAX)
		p->partial = true;
	return n;
}

/* A DELETE with one text parameter (and a limit when limit > 0); the rows
 * it deleted, or -1. */
static int64_t
delete_rows(store_t *s, const char *sql, const char *text, int64_t num, int64_t limit)
{
	if (store_begin(s) != 0)
		return -1;
	db_stmt_t *st = store_stmt(s, sql);
	if (st == NULL)
		return -1;
	if (text != NULL)
		db_bind_text(st, 1, text);
	else
		db_bind_int64(st, 1, num);
	if (limit > 0)
		db_bind_int64(st, 2, limit);
	if (store_stmt_done(s, st) != 0)
		return -1;
	return db_changes(s->db);
}

typedef struct {
	char id[128];
	int64_t created_ms;
	bool kept;
} walked_run_t;

/* What goes of one run: everything (whole) or its outputs. With a budget
 * too small for its outputs, deletes part of them and returns 1: the run
 * is taken again by the next batch. */
static int
prune_run(store_t *s, store_prune_pass_t *p, const walked_run_t *w, bool whole, uint32_t *budget,
          bool dry)
{
	if (dry) {
		int64_t outs = count_rows(s, sql_run_outputs_count, w->id, 0);
		int64_t steps = whole ? count_rows(s, sql_run_steps_count, w->id, 0) : 0;
		if (outs < 0 || steps < 0)
			return -1;
		p->rows[STORE_PRUNE_OUTPUTS] += (uint64_t)outs;
		if (whole) {
			p->rows[STORE_PRUNE_STEPS] += (uint64_t)steps;
			p->rows[STORE_PRUNE_RUNS]++;
		}
		*budget = *budget > 1 ? *budget - 1 : 0;
		return 0;
	}
	int64_t limit = *budget > 0 ? *budget : 1;
	int64_t outs = delete_rows(s, sql_run_outputs_delete, w->id, 0, limit);
	if (outs < 0)
		return -1;
	p->rows[STORE_PRUNE_OUTPUTS] += (uint64_t)outs;
	*budget = (int64_t)*budget > outs ? *budget - (uint32_t)outs : 0;
	if (outs == limit)
		return 1; /* maybe more: the next batch goes on with this run */
	if (delete_rows(s, sql_run_text_delete, w->id, 0, 0) < 0)
		return -1;
	if (whole) {
		int64_t steps = delete_rows(s, sql_run_steps_delete, w->id, 0, 0);
		if (steps < 0 || delete_rows(s, sql_run_notes_delete, w->id, 0, 0) < 0 ||
		    delete_rows(s, sql_run_delete, w->id, 0, 0) < 0)
			return -1;
		p->rows[STORE_PRUNE_STEPS] += (uint64_t)steps;
		p->rows[STORE_PRUNE_RUNS]++;
		*budget = (int64_t)*budget > steps + 1 ? *budget - (uint32_t)(steps + 1) : 0;
	}
	return 0;
}

static int
prune_runs(store_t *s, store_prune_pass_t *p, uint32_t *budget, bool dry)
{
	int64_t runs_cut = p->cut[STORE_PRUNE_RUNS], outs_cut = p->cut[STORE_PRUNE_OUTPUTS];
	int64_t upto = runs_cut > outs_cut ? runs_cut : outs_cut;
	if (upto == 0) {
		p->phase++;
		return 0;
	}
	/* Read the batch first, then act: a statement is not stepped while
	 * the same connection deletes under it. */
	walked_run_t runs[PRUNE_RUNS_EXAMINED_MAX];
	size_t n = 0;
	db_stmt_t *st = store_stmt(s, sql_runs_walk);
	if (st == NULL)
		return -1;
	uint32_t want = *budget < PRUNE_RUNS_EXAMINED_MAX ? *budget : PRUNE_RUNS_EXAMINED_MAX;
	db_bind_int64(st, 1, upto);
	db_bind_int64(st, 2, p->after_ms);
	db_bind_text(st, 3, p->after_id);
	db_bind_int64(st, 4, p->keep);
	db_bind_int64(st, 5, want > 0 ? want : 1);
	int rc;
	while ((rc = db_step(st)) == DB_ROW && n < PRUNE_RUNS_EXAMINED_MAX) {
		snprintf(runs[n].id, sizeof(runs[n].id), "%s", db_column_text(st, 0));
		runs[n].created_ms = db_column_int64(st, 1);
		runs[n].kept = db_column_int64(st, 2) != 0;
		n++;
	}
	if (rc == DB_ERROR) {
		store_stmt_failed(s, st);
		return -1;
	}
	db_reset(st);
	if (n == 0) {
		p->phase++;
		return 0;
	}
	for (size_t i = 0; i<n && * budget> 0; i++) {
		const walked_run_t *w = &runs[i];
		bool whole = runs_cut > 0 && w->created_ms < runs_cut;
		bool outputs = outs_cut > 0 && w->created_ms < outs_cut;
		if (!w->kept && (whole || outputs)) {
			int more = prune_run(s, p, w, whole, budget, dry);
			if (more != 0)
				return more < 0 ? -1 : 0;
		} else {
			*budget -= 1; /* looked at, kept */
		}
		p->after_ms = w->created_ms;
		memcpy(p->after_id, w->id, sizeof(p->after_id)); /* both terminated, same size */
	}
	return 0;
}

/* One of the walks without a cursor: delete (dry: count every row) older
 * than the table's cut. */
static int
prune_simple(store_t *s, store_prune_pass_t *p, store_prune_table_t t, const char *del,
             const char *count, const char *capped, uint32_t *budget, bool dry, bool bounded)
{
	int64_t cut = p->cut[t];
	if (cut == 0) {
		p->phase++;
		return 0;
	}
	int64_t n = dry ? count_dry(s, p, count, capped, cut, bounded)
	                : delete_rows(s, del, NULL, cut, *budget > 0 ? *budget : 1);
	if (n < 0)
		return -1;
	p->rows[t] += (uint64_t)n;
	if (dry || n < (int64_t)*budget) {
		p->phase++;
		*budget = (int64_t)*budget > n ? *budget - (uint32_t)n : 0;
	} else {
		*budget = 0;
	}
	return 0;
}

static int
prune_incidents(store_t *s, store_prune_pass_t *p, uint32_t *budget, bool dry, bool bounded)
{
	int64_t cut = p->cut[STORE_PRUNE_INCIDENTS];
	if (cut == 0) {
		p->phase++;
		return 0;
	}
	if (dry) {
		int64_t n =
		    count_dry(s, p, sql_incidents_count, sql_incidents_count_capped, cut, bounded);
		if (n < 0)
			return -1;
		p->rows[STORE_PRUNE_INCIDENTS] += (uint64_t)n;
		p->phase++;
		return 0;
	}
	/* An incident has a handful of rows with it: count it as ten. */
	uint32_t want = *budget / 10 > 0 ? *budget / 10 : 1;
	char(*ids)[128] = xcalloc(want, sizeof(*ids)); /* owned, freed below */
	size_t n = 0;
	db_stmt_t *st = store_stmt(s, sql_incidents_next);
	if (st == NULL) {
		free(ids);
		return -1;
	}
	db_bind_int64(st, 1, cut);
	db_bind_int64(st, 2, want);
	int rc;
	while ((rc = db_step(st)) == DB_ROW && n < want)
		snprintf(ids[n++], sizeof(ids[0]), "%s", db_column_text(st, 0));
	if (rc == DB_ERROR) {
		store_stmt_failed(s, st);
		free(ids);
		return -1;
	}
	db_reset(st);
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < sizeof(sql_incident_parts) / sizeof(sql_incident_parts[0]);
		     k++) {
			if (delete_rows(s, sql_incident_parts[k], ids[i], 0, 0) < 0) {
				free(ids);
				return -1;
			}
		}
		p->rows[STORE_PRUNE_INCIDENTS]++;
	}
	free(ids);
	*budget = *budget > n * 10 ? *budget - (uint32_t)(n * 10) : 0;
	if (n < want)
		p->phase++;
	return 0;
}

/* The events walk: from the oldest event on (the cursor events_after),
 * a batch of at most budget rows, up to the first event not older than the
 * cut (events are written in the order of the clock: what follows it is
 * newer) and never past the newest events_keep. */
static const char sql_events_walk[] =
    "SELECT id, at_ms FROM events WHERE id > ? AND id <= ? ORDER BY id LIMIT ?";
static const char sql_events_delete[] = "DELETE FROM events WHERE id > ? AND id <= ?";
static const char sql_events_mark[] =
    "INSERT INTO meta (key, value) VALUES ('events_pruned_upto', ?)"
    " ON CONFLICT (key) DO UPDATE SET value = excluded.value";

static int
prune_events(store_t *s, store_prune_pass_t *p, uint32_t *budget, bool dry)
{
	int64_t cut = p->cut[STORE_PRUNE_EVENTS];
	uint64_t last = 0;
	if (cut == 0 || store_events_last(s, &last) != 0 || last <= p->events_keep) {
		p->phase++;
		return 0;
	}
	int64_t bound = (int64_t)(last - p->events_keep);
	db_stmt_t *st = store_stmt(s, sql_events_walk);
	if (st == NULL)
		return -1;
	int64_t want = *budget > 0 ? *budget : 1;
	db_bind_int64(st, 1, p->events_after);
	db_bind_int64(st, 2, bound);
	db_bind_int64(st, 3, want);
	int64_t seen = 0, old = 0, upto = p->events_after;
	bool newer = false;
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		seen++;
		if (newer)
			continue;
		if (db_column_int64(st, 1) >= cut) {
			newer = true;
			continue;
		}
		old++;
		upto = db_column_int64(st, 0);
	}
	if (rc == DB_ERROR) {
		store_stmt_failed(s, st);
		return -1;
	}
	db_reset(st);
	if (old > 0 && !dry) {
		if (store_begin(s) != 0 || (st = store_stmt(s, sql_events_delete)) == NULL)
			return -1;
		db_bind_int64(st, 1, p->events_after);
		db_bind_int64(st, 2, upto);
		if (store_stmt_done(s, st) != 0 || (st = store_stmt(s, sql_events_mark)) == NULL)
			return -1;
		char text[32];
		snprintf(text, sizeof(text), "%lld", (long long)upto);
		db_bind_text(st, 1, text);
		if (store_stmt_done(s, st) != 0)
			return -1;
	}
	p->rows[STORE_PRUNE_EVENTS] += (uint64_t)old;
	p->events_after = upto;
	*budget = (int64_t)*budget > old ? *budget - (uint32_t)old : 0;
	if (newer || seen < want)
		p->phase++;
	return 0;
}

int
store_events_pruned(store_t *s, uint64_t *upto)
{
	char *v; /* owned here */
	*upto = 0;
	if (store_meta_get(s, "events_pruned_upto", &v) != 0)
		return -1;
	if (v != NULL)
		*upto = strtoull(v, NULL, 10);
	free(v);
	return 0;
}

int
store_prune_step(store_t *s, store_prune_pass_t *p, uint32_t budget, bool dry)
{
	/* A dry run without a budget counts whole tables at once and walks
	 * the runs to the end; with one it is bounded like a batch (its
	 * caller takes as many as its time allows: pruner_dry_run). */
	bool whole = dry && budget == 0;
	bool bounded = dry && !whole;
	while (!p->done && (budget > 0 || whole)) {
		if (whole && budget == 0)
			budget = PRUNE_RUNS_EXAMINED_MAX;
		int rc = 0;
		switch (p->phase) {
		case PHASE_RUNS:
			rc = prune_runs(s, p, &budget, dry);
			break;
		case PHASE_AUDIT:
			rc =
			    prune_simple(s, p, STORE_PRUNE_AUDIT, sql_audit_delete, sql_audit_count,
			                 sql_audit_count_capped, &budget, dry, bounded);
			break;
		case PHASE_NOTIFICATIONS:
			rc = prune_simple(s, p, STORE_PRUNE_NOTIFICATIONS, sql_notifications_delete,
			                  sql_notifications_count, sql_notifications_count_capped,
			                  &budget, dry, bounded);
			break;
		case PHASE_INCIDENTS:
			rc = prune_incidents(s, p, &budget, dry, bounded);
			break;
		case PHASE_EVENTS:
			rc = prune_events(s, p, &budget, dry);
			break;
		default:
			p->done = true;
			break;
		}
		if (rc != 0)
			return -1;
	}
	return 0;
}

int
store_prune_vacuum(store_t *s, uint32_t pages, int64_t *left)
{
	*left = 0;
	if (store_is_postgresql(s))
		return 0;
	char sql[96];
	/* rota search's FTS5 index keeps deleted rows' entries until its
	 * segments are merged: a bounded merge first (a negative count merges
	 * every level, at most that many pages), so their pages come free. */
	snprintf(sql, sizeof(sql),
	         "INSERT INTO output_fts (output_fts, rank) VALUES ('merge', -%u)",
	         pages > 0 ? pages : 1);
	if (store_begin(s) != 0 || store_exec(s, sql) != 0) {
		s->failed = true;
		return -1;
	}
	snprintf(sql, sizeof(sql), "PRAGMA incremental_vacuum(%u)", pages > 0 ? pages : 1);
	if (store_exec(s, sql) != 0) {
		s->failed = true;
		return -1;
	}
	db_stmt_t *st = db_prepare(s->db, "PRAGMA freelist_count");
	if (st == NULL)
		return -1;
	if (db_step(st) == DB_ROW)
		*left = db_column_int64(st, 0);
	db_finalize(st);
	return 0;
}

static const char sql_mark[] = "INSERT INTO meta (key, value) VALUES ('last_prune_ms', ?)"
                               " ON CONFLICT (key) DO UPDATE SET value = excluded.value";

int
store_prune_mark(store_t *s, int64_t ended_ms)
{
	if (store_begin(s) != 0)
		return -1;
	db_stmt_t *st = store_stmt(s, sql_mark);
	if (st == NULL)
		return -1;
	char text[32];
	snprintf(text, sizeof(text), "%lld", (long long)ended_ms);
	db_bind_text(st, 1, text);
	return store_stmt_done(s, st);
}

int
store_prune_last(store_t *s, int64_t *ended_ms)
{
	char *v; /* owned here */
	*ended_ms = 0;
	if (store_meta_get(s, "last_prune_ms", &v) != 0)
		return -1;
	if (v != NULL)
		*ended_ms = strtoll(v, NULL, 10);
	free(v);
	return 0;
}

/* One integer from a query without parameters. */
static int
query_int(store_t *s, const char *sql, int64_t *out)
{
	db_stmt_t *st = store_stmt(s, sql);
	if (st == NULL)
		return -1;
	int rc = db_step(st);
	if (rc != DB_ROW) {
		store_stmt_failed(s, st);
		return -1;
	}
	*out = db_column_is_null(st, 0) ? 0 : db_column_int64(st, 0);
	db_reset(st);
	return 0;
}

int
store_size(store_t *s, int64_t *bytes)
{
	if (store_is_postgresql(s))
		return query_int(s, "SELECT pg_database_size(current_database())", bytes);
	int64_t count = 0, size = 0;
	if (query_int(s, "SELECT page_count FROM pragma_page_count()", &count) != 0 ||
	    query_int(s, "SELECT page_size FROM pragma_page_size()", &size) != 0)
		return -1;
	*bytes = count * size;
	return 0;
}

int
store_prune_oldest(store_t *s, int64_t oldest[STORE_PRUNE_TABLES])
{
	/* Each a MIN over an index: a look at one entry. */
	static const char *const sql[STORE_PRUNE_TABLES] = {
	    [STORE_PRUNE_RUNS] = "SELECT MIN(created_ms) FROM runs",
	    [STORE_PRUNE_STEPS] = "SELECT MIN(created_ms) FROM runs",
	    [STORE_PRUNE_OUTPUTS] = "SELECT at_ms FROM outputs ORDER BY id LIMIT 1",
	    [STORE_PRUNE_AUDIT] = "SELECT MIN(at_ms) FROM audit",
	    [STORE_PRUNE_NOTIFICATIONS] = "SELECT MIN(created_ms) FROM outbox",
	    [STORE_PRUNE_INCIDENTS] = "SELECT MIN(created_ms) FROM incidents",
	    [STORE_PRUNE_EVENTS] = "SELECT at_ms FROM events ORDER BY id LIMIT 1",
	};
	for (int t = 0; t < STORE_PRUNE_TABLES; t++) {
		oldest[t] = 0;
		db_stmt_t *st = store_stmt(s, sql[t]);
		if (st == NULL)
			return -1;
		int rc = db_step(st);
		if (rc == DB_ERROR) {
			store_stmt_failed(s, st);
			return -1;
		}
		if (rc == DB_ROW && !db_column_is_null(st, 0))
			oldest[t] = db_column_int64(st, 0);
		db_reset(st);
	}
	return 0;
}
