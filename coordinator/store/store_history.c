/* store_history: runs found by a filter, a page at a time, and what a
 * runbook's runs came to (`rota runs --runbook ... --before ID`, `rota
 * history`). The one query behind every filtered list of runs: the
 * operator API and the HTTP API both call store_runs_find, so the two
 * never disagree on what a filter means.
 *
 * Every filter has an index (store_schema.c, 8 -> 9): runbook, status and
 * trigger each with created_ms, a host through step_runs (host, run_id).
 * The statement is built with only the conditions given, so the planner
 * sees which index fits (a `? = '' OR runbook = ?` would hide it).
 *
 * Must never: put a caller's text into SQL (every value is bound). */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xalloc.h"

/* Appends " AND cond" to sql (at most len). */
static void
store_cond(char *sql, size_t len, const char *cond)
{
	size_t used = strlen(sql);
	snprintf(sql + used, len - used, " AND %s", cond);
}

static bool
store_given(const char *v)
{
	return v != NULL && v[0] != '\0';
}

/* The created_ms of run id: 0 with *created, 1 when there is no such run. */
static int
store_run_created(store_t *s, const char *id, int64_t *created)
{
	static const char sql[] = "SELECT created_ms FROM runs WHERE id = ?";
	db_stmt_t *st = store_stmt(s, sql);
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, id);
	int rc = db_step(st);
	if (rc == DB_ROW)
		*created = db_column_int64(st, 0);
	db_reset(st);
	return rc == DB_ROW ? 0 : rc == DB_DONE ? 1 : -1;
}

int
store_runs_find(store_t *s, const store_run_filter_t *f, const char *before, uint32_t limit,
                Rota__ListRunsResponse *out)
{
	static const store_run_filter_t all = {0};
	if (f == NULL)
		f = &all;
	rota__list_runs_response__init(out);
	int64_t before_ms = 0;
	if (store_given(before)) {
		int rc = store_run_created(s, before, &before_ms);
		if (rc != 0)
			return rc;
	}
	char sql[1024] = "SELECT id FROM runs WHERE 1 = 1";
	int n = 0;
	if (store_given(f->runbook))
		store_cond(sql, sizeof(sql), "runbook = ?");
	if (f->status != 0)
		store_cond(sql, sizeof(sql), "status = ?");
	if (store_given(f->trigger))
		store_cond(sql, sizeof(sql), "trigger = ?");
	if (f->since_ms > 0)
		store_cond(sql, sizeof(sql), "created_ms >= ?");
	if (f->until_ms > 0)
		store_cond(sql, sizeof(sql), "created_ms < ?");
	if (store_given(f->host))
		store_cond(sql, sizeof(sql), "id IN (SELECT run_id FROM step_runs WHERE host = ?)");
	/* The page after `before`, in the list's order (newest first, id
	 * breaking ties), so no run is skipped or listed twice. */
	if (store_given(before))
		store_cond(sql, sizeof(sql), "(created_ms < ? OR (created_ms = ? AND id < ?))");
	size_t used = strlen(sql);
	snprintf(sql + used, sizeof(sql) - used, " ORDER BY created_ms DESC, id DESC LIMIT ?");

	/* Built per call (a viewer's request, not the loop's hot path). */
	db_stmt_t *st = db_prepare(s->db, sql);
	if (st == NULL) {
		log_warn("store: cannot list runs: %s", db_errmsg(s->db));
		return -1;
	}
	if (store_given(f->runbook))
		db_bind_text(st, ++n, f->runbook);
	if (f->status != 0)
		db_bind_int64(st, ++n, f->status);
	if (store_given(f->trigger))
		db_bind_text(st, ++n, f->trigger);
	if (f->since_ms > 0)
		db_bind_int64(st, ++n, f->since_ms);
	if (f->until_ms > 0)
		db_bind_int64(st, ++n, f->until_ms);
	if (store_given(f->host))
		db_bind_text(st, ++n, f->host);
	if (store_given(before)) {
		db_bind_int64(st, ++n, before_ms);
		db_bind_int64(st, ++n, before_ms);
		db_bind_text(st, ++n, before);
	}
	db_bind_int64(st, ++n, limit);
	char **ids = NULL;
	size_t count = 0;
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		ids = xrealloc(ids, (count + 1) * sizeof(*ids));
		ids[count++] = store_column_dup(st, 0);
	}
	if (rc != DB_DONE)
		log_warn("store: cannot list runs: %s", db_errmsg(s->db));
	db_finalize(st);
	out->runs = xcalloc(count ? count : 1, sizeof(*out->runs));
	for (size_t i = 0; i < count; i++) {
		Rota__RunSummary *r = xmalloc(sizeof(*r));
		if (rc == DB_DONE && store_run_summary(s, ids[i], r) == 0)
			out->runs[out->n_runs++] = r;
		else
			free(r);
		free(ids[i]);
	}
	free(ids);
	/* A full page may have a next one; a short page is the last. */
	out->next_before = xstrdup(rc == DB_DONE && count == limit && out->n_runs > 0
	                               ? out->runs[out->n_runs - 1]->id
	                               : "");
	return rc == DB_DONE ? 0 : -1;
}

int
store_runs_list(store_t *s, uint32_t limit, Rota__ListRunsResponse *out)
{
	return store_runs_find(s, NULL, NULL, limit, out);
}

/* Step statuses that fail a host (run.c's verdict): failed, timed out,
 * lost, could not start, unreachable. A cancelled step is not a failure. */
#define STORE_FAILED_STEPS "(5, 6, 7, 10, 12)"

/* The counts of a GROUP BY name, most first, into *out. */
static int
store_history_counts(store_t *s, const char *sql, const char *runbook, int64_t since_ms,
                     Rota__HistoryCount ***out, size_t *n)
{
	db_stmt_t *st = store_stmt(s, sql);
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, runbook);
	db_bind_int64(st, 2, since_ms);
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		Rota__HistoryCount *c = xmalloc(sizeof(*c));
		rota__history_count__init(c);
		c->name = store_column_dup(st, 0);
		c->runs = (uint32_t)db_column_int64(st, 1);
		*out = xrealloc(*out, (*n + 1) * sizeof(**out));
		(*out)[(*n)++] = c;
	}
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}

/* The nearest-rank percentile p (0..100) of sorted v[0..n). */
static int64_t
store_percentile(const int64_t *v, size_t n, unsigned p)
{
	if (n == 0)
		return 0;
	size_t rank = (n * p + 99) / 100; /* ceil(n * p / 100), 1-based */
	return v[rank > 0 ? rank - 1 : 0];
}

/* Why the failed run run_id failed, in words (caller frees): its own
 * reason, else its first failed step's. */
static char *
store_history_reason(store_t *s, const char *run_id, const char *reason)
{
	if (store_given(reason))
		return xstrdup(reason);
	static const char sql[] =
	    "SELECT step_id, host, status, exit_code, signal, detail"
	    " FROM step_runs WHERE run_id = ? AND status IN " STORE_FAILED_STEPS
	    " ORDER BY ended_ms, id LIMIT 1";
	db_stmt_t *st = store_stmt(s, sql);
	if (st == NULL)
		return xstrdup("");
	db_bind_text(st, 1, run_id);
	char *why = NULL;
	if (db_step(st) == DB_ROW) {
		const char *step = db_column_text(st, 0), *host = db_column_text(st, 1);
		int status = (int)db_column_int64(st, 2);
		int code = (int)db_column_int64(st, 3), sig = (int)db_column_int64(st, 4);
		const char *detail = db_column_text(st, 5);
		char what[64];
		if (status == 5 && sig != 0)
			snprintf(what, sizeof(what), "was killed by signal %d", sig);
		else if (status == 5)
			snprintf(what, sizeof(what), "failed with exit code %d", code);
		else
			snprintf(what, sizeof(what), "%s",
			         status == 6    ? "timed out"
			         : status == 7  ? "was lost with its worker"
			         : status == 10 ? "could not start"
			                        : "found its worker unreachable");
		why = xasprintf("step %s on %s %s%s%s", step, host, what, detail[0] ? ": " : "",
		                detail);
	}
	db_reset(st);
	return why != NULL ? why : xstrdup("");
}

int
store_history(store_t *s, const char *runbook, int64_t since_ms, Rota__HistoryResponse *out)
{
	rota__history_response__init(out);
	out->runbook = xstrdup(runbook);
	out->since_ms = since_ms;
	out->last_failure_run = xstrdup("");
	out->last_failure_reason = xstrdup("");
	static const char sql_status[] = "SELECT status, COUNT(*) FROM runs"
	                                 " WHERE runbook = ? AND created_ms >= ? GROUP BY status";
	db_stmt_t *st = store_stmt(s, sql_status);
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, runbook);
	db_bind_int64(st, 2, since_ms);
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		uint32_t count = (uint32_t)db_column_int64(st, 1);
		out->runs += count;
		switch (db_column_int64(st, 0)) {
		case ROTA__RUN_STATUS__RUN_SUCCEEDED:
			out->succeeded += count;
			break;
		case ROTA__RUN_STATUS__RUN_FAILED:
			out->failed += count;
			break;
		case ROTA__RUN_STATUS__RUN_CANCELLED:
			out->cancelled += count;
			break;
		case ROTA__RUN_STATUS__RUN_SKIPPED:
			out->skipped += count;
			break;
		default:
			out->active += count;
		}
	}
	db_reset(st);
	if (rc != DB_DONE)
		return -1;

	/* Durations of the runs that ran to their end (succeeded or failed):
	 * a cancelled run's would say when someone stopped it. */
	static const char sql_durations[] =
	    "SELECT ended_ms - started_ms FROM runs WHERE runbook = ? AND created_ms >= ?"
	    " AND status IN (3, 4) AND started_ms > 0 AND ended_ms >= started_ms ORDER BY 1";
	st = store_stmt(s, sql_durations);
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, runbook);
	db_bind_int64(st, 2, since_ms);
	int64_t *v = NULL;
	size_t n = 0;
	while ((rc = db_step(st)) == DB_ROW) {
		v = xrealloc(v, (n + 1) * sizeof(*v));
		v[n++] = db_column_int64(st, 0);
	}
	db_reset(st);
	out->timed = (uint32_t)n;
	out->p50_ms = store_percentile(v, n, 50);
	out->p95_ms = store_percentile(v, n, 95);
	free(v);
	if (rc != DB_DONE)
		return -1;

	/* Where the failed runs failed: each host and step counted once a
	 * run. */
	static const char sql_hosts[] =
	    "SELECT s.host, COUNT(DISTINCT s.run_id) FROM step_runs s JOIN runs r ON r.id = "
	    "s.run_id"
	    " WHERE r.runbook = ? AND r.created_ms >= ? AND r.status = 4"
	    " AND s.status IN " STORE_FAILED_STEPS " GROUP BY s.host ORDER BY 2 DESC, 1 LIMIT 20";
	static const char sql_steps[] =
	    "SELECT s.step_id, COUNT(DISTINCT s.run_id) FROM step_runs s JOIN runs r ON r.id = "
	    "s.run_id"
	    " WHERE r.runbook = ? AND r.created_ms >= ? AND r.status = 4"
	    " AND s.status IN " STORE_FAILED_STEPS
	    " GROUP BY s.step_id ORDER BY 2 DESC, 1 LIMIT 20";
	if (store_history_counts(s, sql_hosts, runbook, since_ms, &out->failed_hosts,
	                         &out->n_failed_hosts) != 0 ||
	    store_history_counts(s, sql_steps, runbook, since_ms, &out->failed_steps,
	                         &out->n_failed_steps) != 0)
		return -1;

	static const char sql_last[] =
	    "SELECT id, CASE WHEN ended_ms > 0 THEN ended_ms ELSE created_ms END, reason FROM runs"
	    " WHERE runbook = ? AND created_ms >= ? AND status = 4"
	    " ORDER BY created_ms DESC, id DESC LIMIT 1";
	st = store_stmt(s, sql_last);
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, runbook);
	db_bind_int64(st, 2, since_ms);
	rc = db_step(st);
	char *reason = NULL;
	if (rc == DB_ROW) {
		free(out->last_failure_run);
		out->last_failure_run = store_column_dup(st, 0);
		out->last_failure_ms = db_column_int64(st, 1);
		reason = store_column_dup(st, 2);
	}
	db_reset(st);
	if (rc == DB_ERROR) {
		free(reason);
		return -1;
	}
	if (reason != NULL) {
		free(out->last_failure_reason);
		out->last_failure_reason = store_history_reason(s, out->last_failure_run, reason);
		free(reason);
	}
	return 0;
}
