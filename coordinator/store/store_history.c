/* store_history: what a runbook's runs came to (`rota history`): counts
 * by outcome, durations, where the failed runs failed. The filtered list
 * of runs (`rota runs --runbook ... --before ID`) is store_runs_find in
 * store_query.c, the one runs query of the operator API and the HTTP API.
 *
 * The filters of that list have indexes (store_schema.c, 10 -> 11):
 * status and trigger each with created_ms, a host through step_runs
 * (host, run_id).
 *
 * Must never: put a caller's text into SQL (every value is bound). */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xalloc.h"

static bool
store_given(const char *v)
{
	return v != NULL && v[0] != '\0';
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
