/* store_query: the queries that fill the operator API's answers (runs,
 * a run's steps and output, logs, workers) and the reads the coordinator
 * resumes from at start-up (active steps, runbooks, schedules). They read
 * outside the turn's writes and never mark a turn failed. */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xalloc.h"

bool
store_run_exists(store_t *s, const char *run_id)
{
	char *name = store_run_runbook(s, run_id);
	free(name);
	return name != NULL;
}

int
store_runs_by_status(store_t *s, uint64_t *counts, size_t n)
{
	static const char sql[] = "SELECT status, COUNT(*) FROM runs GROUP BY status";
	db_stmt_t *st = store_stmt(s, sql);
	if (st == NULL)
		return -1;
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		int status = (int)db_column_int64(st, 0);
		if (status >= 0 && (size_t)status < n)
			counts[status] = (uint64_t)db_column_int64(st, 1);
	}
	if (rc != DB_DONE)
		log_warn("store: cannot count runs by status for /metrics: %s", db_errmsg(s->db));
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}

int
store_run_summary(store_t *s, const char *run_id, Rota__RunSummary *out)
{
	db_stmt_t *st = store_q(s, Q_RUN_GET);
	db_bind_text(st, 1, run_id);
	int rc = db_step(st);
	if (rc != DB_ROW) {
		db_reset(st);
		return rc == DB_DONE ? 1 : -1;
	}
	rota__run_summary__init(out);
	out->id = store_column_dup(st, 0);
	out->runbook = store_column_dup(st, 1);
	out->status = (Rota__RunStatus)db_column_int64(st, 2);
	out->created_ms = db_column_int64(st, 3);
	out->started_ms = db_column_int64(st, 4);
	out->ended_ms = db_column_int64(st, 5);
	out->trigger = store_column_dup(st, 6);
	out->reason = store_column_dup(st, 7);
	out->slot_ms = db_column_int64(st, 8);
	bool verdict = !db_column_is_null(st, 9);
	int64_t hosts_ok = db_column_int64(st, 9);
	int64_t hosts_failed = db_column_int64(st, 10);
	db_reset(st);

	st = store_q(s, Q_RUN_HOSTS);
	db_bind_text(st, 1, run_id);
	while ((rc = db_step(st)) == DB_ROW) {
		out->hosts_total++;
		if ((int)db_column_int64(st, 1))
			out->hosts_ok++;
		else if ((int)db_column_int64(st, 2))
			out->hosts_failed++;
	}
	db_reset(st);
	if (rc != DB_DONE) {
		free(out->id);
		free(out->runbook);
		free(out->trigger);
		free(out->reason);
		out->id = out->runbook = out->trigger = out->reason = NULL;
		return -1;
	}
	if (verdict) {
		/* The finished run's own verdict beats the step-status guess. */
		out->hosts_ok = (uint32_t)hosts_ok;
		out->hosts_failed = (uint32_t)hosts_failed;
	}
	return 0;
}

void
store_run_summary_clear(Rota__RunSummary *sum)
{
	free(sum->id);
	free(sum->runbook);
	free(sum->trigger);
	free(sum->reason);
	sum->id = sum->runbook = sum->trigger = sum->reason = NULL;
}

/* Each filter is "any" when its value is empty: one statement for every
 * combination, on the indexes runs_created_id and runs_runbook_keep; before is a
 * keyset cursor on (created_ms, id), never an OFFSET. The times are cast:
 * PostgreSQL takes "$n = 0" for a 32-bit integer, and a time in ms does
 * not fit one. */
static const char sql_runs_find[] =
    "SELECT id FROM runs WHERE (? = '' OR runbook = ?) AND (? = 0 OR status = ?)"
    " AND (? = '' OR trigger = ? OR (? = 'manual' AND (trigger IS NULL OR trigger = '')))"
    " AND (? = '' OR EXISTS (SELECT 1 FROM step_runs sr WHERE sr.run_id = runs.id"
    " AND sr.host = ?))"
    " AND (CAST(? AS BIGINT) = 0 OR created_ms >= ?)"
    " AND (CAST(? AS BIGINT) = 0 OR created_ms < ?)"
    /* The cursor's time as a bound the planner can seek runs_created_id to
     * (inside an OR it would walk the index from the newest run down: a
     * deep page of 100,000 runs took 66 ms); the exact cut is below. */
    " AND created_ms <= COALESCE((SELECT created_ms FROM runs b WHERE b.id = ?),"
    " 9223372036854775807)"
    " AND (? = '' OR created_ms < (SELECT created_ms FROM runs b WHERE b.id = ?)"
    " OR (created_ms = (SELECT created_ms FROM runs b WHERE b.id = ?) AND id < ?))"
    " ORDER BY created_ms DESC, id DESC LIMIT ?";

static const char *
store_or_empty(const char *v)
{
	return v != NULL ? v : "";
}

int
store_runs_list(store_t *s, uint32_t limit, Rota__ListRunsResponse *out)
{
	return store_runs_find(s, NULL, limit, out);
}

int
store_runs_find(store_t *s, const store_runs_filter_t *f, uint32_t limit,
                Rota__ListRunsResponse *out)
{
	rota__list_runs_response__init(out);
	db_stmt_t *st;
	if (f == NULL) {
		st = store_q(s, Q_RUNS_LIST);
		db_bind_int64(st, 1, limit);
	} else {
		st = store_stmt(s, sql_runs_find);
		if (st == NULL)
			return -1;
		const char *rb = store_or_empty(f->runbook), *tr = store_or_empty(f->trigger);
		const char *host = store_or_empty(f->host), *before = store_or_empty(f->before);
		int i = 1;
		db_bind_text(st, i++, rb);
		db_bind_text(st, i++, rb);
		db_bind_int64(st, i++, f->status);
		db_bind_int64(st, i++, f->status);
		db_bind_text(st, i++, tr);
		db_bind_text(st, i++, tr);
		db_bind_text(st, i++, tr);
		db_bind_text(st, i++, host);
		db_bind_text(st, i++, host);
		db_bind_int64(st, i++, f->since_ms);
		db_bind_int64(st, i++, f->since_ms);
		db_bind_int64(st, i++, f->until_ms);
		db_bind_int64(st, i++, f->until_ms);
		db_bind_text(st, i++, before);
		db_bind_text(st, i++, before);
		db_bind_text(st, i++, before);
		db_bind_text(st, i++, before);
		db_bind_text(st, i++, before);
		db_bind_int64(st, i++, limit);
	}
	char **ids = NULL;
	size_t n = 0;
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		ids = xrealloc(ids, (n + 1) * sizeof(*ids));
		ids[n++] = store_column_dup(st, 0);
	}
	db_reset(st);
	out->runs = xcalloc(n, sizeof(*out->runs));
	for (size_t i = 0; i < n; i++) {
		Rota__RunSummary *r = xmalloc(sizeof(*r));
		if (rc == DB_DONE && store_run_summary(s, ids[i], r) == 0)
			out->runs[out->n_runs++] = r;
		else
			free(r);
		free(ids[i]);
	}
	free(ids);
	/* A full page may have a next one; a short page is the last. */
	out->next_before = xstrdup(
	    rc == DB_DONE && n == limit && out->n_runs > 0 ? out->runs[out->n_runs - 1]->id : "");
	return rc == DB_DONE ? 0 : -1;
}

/* The last `lines` lines of a step's output, from its newest chunks, at
 * most max bytes of them. Returns whether it cut anything. */
static bool
store_step_tail(store_t *s, int64_t row, uint32_t lines, size_t max, ProtobufCBinaryData *out)
{
	db_stmt_t *st = store_q(s, Q_STEP_TAIL);
	db_bind_int64(st, 1, row);
	/* Chunks come newest first; collect them, then join oldest first. */
	uint8_t *buf = NULL;
	size_t len = 0;
	while (db_step(st) == DB_ROW) {
		size_t n = 0;
		uint8_t *d = store_codec_column_dup(st, 0, 1, &n); /* owned, freed below */
		uint8_t *joined = xmalloc(n + len);
		if (n)
			memcpy(joined, d, n);
		free(d);
		if (len)
			memcpy(joined + n, buf, len);
		free(buf);
		buf = joined;
		len += n;
		size_t newlines = 0;
		for (size_t i = 0; i < len; i++)
			newlines += buf[i] == '\n';
		if (newlines > lines || len > max)
			break;
	}
	db_reset(st);
	/* Keep from the start of the lines-th line from the end. */
	size_t start = len;
	uint32_t seen = 0;
	size_t end = len;
	if (end > 0 && buf[end - 1] == '\n')
		end--;
	start = end;
	while (start > 0) {
		if (buf[start - 1] == '\n' && ++seen == lines)
			break;
		start--;
	}
	bool cut = false;
	if (len - start > max) {
		/* From a line's start when one begins in the last max bytes. */
		size_t from = len - max;
		const uint8_t *nl = memchr(buf + from, '\n', len - from);
		start = nl != NULL && nl + 1 < buf + len ? (size_t)(nl + 1 - buf) : from;
		cut = true;
	}
	out->len = len - start;
	out->data = xmalloc(out->len ? out->len : 1);
	if (out->len)
		memcpy(out->data, buf + start, out->len);
	free(buf);
	return cut;
}

int
store_run_show(store_t *s, const char *run_id, uint32_t tail_lines, Rota__ShowRunResponse *out)
{
	rota__show_run_response__init(out);
	Rota__RunSummary *sum = xmalloc(sizeof(*sum));
	int rc = store_run_summary(s, run_id, sum);
	if (rc != 0) {
		free(sum);
		return rc;
	}
	out->run = sum;
	/* Its params and where each came from (launcher_params.c). A
	 * statement of this query's own, kept by its text (store_stmt). */
	static const char sql_params[] = "SELECT params FROM runs WHERE id = ?";
	db_stmt_t *pst = store_stmt(s, sql_params);
	if (pst != NULL) {
		db_bind_text(pst, 1, run_id);
		if (db_step(pst) == DB_ROW)
			out->params = store_column_dup(pst, 0);
		db_reset(pst);
	}
	if (out->params == NULL)
		out->params = xstrdup("");

	typedef struct {
		Rota__StepRunInfo *info;
		int64_t row;
	} row_t;
	row_t *rows = NULL;
	size_t n = 0;
	db_stmt_t *st = store_q(s, Q_STEPS_OF_RUN);
	db_bind_text(st, 1, run_id);
	while ((rc = db_step(st)) == DB_ROW) {
		Rota__StepRunInfo *i = xmalloc(sizeof(*i));
		rota__step_run_info__init(i);
		rows = xrealloc(rows, (n + 1) * sizeof(*rows));
		rows[n].row = db_column_int64(st, 0);
		i->host = store_column_dup(st, 1);
		i->step_id = store_column_dup(st, 2);
		i->attempt = (uint32_t)db_column_int64(st, 3);
		i->status = (Rota__StepStatus)db_column_int64(st, 4);
		i->exit_code = (int)db_column_int64(st, 5);
		i->signal = (int)db_column_int64(st, 6);
		i->started_ms = db_column_int64(st, 7);
		i->ended_ms = db_column_int64(st, 8);
		i->detail = store_column_dup(st, 9);
		i->position = (uint32_t)db_column_int64(st, 10);
		i->approved_by = store_column_dup(st, 11);
		i->approved_ms = db_column_int64(st, 12);
		rows[n++].info = i;
	}
	db_reset(st);
	out->steps = xcalloc(n, sizeof(*out->steps));
	out->n_steps = n;
	size_t budget = STORE_SHOW_TAILS_MAX_BYTES;
	for (size_t k = 0; k < n; k++) {
		if (tail_lines > 0) {
			/* Once the answer's previews are spent, max is 0: a step
			 * with output then has an empty preview marked cut. */
			size_t max = budget < STORE_TAIL_MAX_BYTES ? budget : STORE_TAIL_MAX_BYTES;
			rows[k].info->tail_cut =
			    store_step_tail(s, rows[k].row, tail_lines, max, &rows[k].info->tail);
			budget -= rows[k].info->tail.len;
		}
		out->steps[k] = rows[k].info;
	}
	free(rows);
	return rc == DB_DONE ? 0 : -1;
}

int
store_logs(store_t *s, const char *run_id, const char *host, uint64_t after, uint32_t limit,
           Rota__LogsResponse *out)
{
	rota__logs_response__init(out);
	db_stmt_t *st;
	if (host != NULL && host[0] != '\0') {
		st = store_q(s, Q_LOGS_HOST);
		db_bind_text(st, 1, run_id);
		db_bind_text(st, 2, host);
		db_bind_int64(st, 3, (int64_t)after);
		db_bind_int64(st, 4, limit);
	} else {
		st = store_q(s, Q_LOGS);
		db_bind_text(st, 1, run_id);
		db_bind_int64(st, 2, (int64_t)after);
		db_bind_int64(st, 3, limit);
	}
	out->next = after;
	out->chunks = xcalloc(limit, sizeof(*out->chunks));
	int rc;
	while ((rc = db_step(st)) == DB_ROW && out->n_chunks < limit) {
		Rota__OutputChunk *c = xmalloc(sizeof(*c));
		rota__output_chunk__init(c);
		c->id = (uint64_t)db_column_int64(st, 0);
		c->host = store_column_dup(st, 1);
		c->step_id = store_column_dup(st, 2);
		c->attempt = (uint32_t)db_column_int64(st, 3);
		c->stream = (Rota__Stream)db_column_int64(st, 4);
		c->data.data = store_codec_column_dup(st, 5, 7, &c->data.len);
		c->at_ms = db_column_int64(st, 6);
		out->chunks[out->n_chunks++] = c;
		out->next = c->id;
	}
	db_reset(st);
	return (rc == DB_DONE || rc == DB_ROW) ? 0 : -1;
}

int
store_workers_list(store_t *s, Rota__ListWorkersResponse *out)
{
	rota__list_workers_response__init(out);
	db_stmt_t *st = store_q(s, Q_WORKERS_LIST);
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		Rota__WorkerInfo *w = xmalloc(sizeof(*w));
		rota__worker_info__init(w);
		w->id = store_column_dup(st, 0);
		w->hostname = store_column_dup(st, 1);
		/* Labels are stored as "k=v,k=v"; the registry fills them in
		 * structured form for connected workers. */
		char *labels = store_column_dup(st, 2);
		size_t cap = 1;
		for (char *p = labels; *p; p++)
			cap += *p == ',';
		w->labels = xcalloc(cap, sizeof(*w->labels));
		char *save = NULL;
		for (char *tok = strtok_r(labels, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save)) {
			char *eq = strchr(tok, '=');
			if (eq == NULL)
				continue;
			Rota__Label *l = xmalloc(sizeof(*l));
			rota__label__init(l);
			l->key = xstrndup(tok, (size_t)(eq - tok));
			l->value = xstrdup(eq + 1);
			w->labels[w->n_labels++] = l;
		}
		free(labels);
		w->version = store_column_dup(st, 3);
		w->state = store_column_dup(st, 4);
		w->last_seen_ms = db_column_int64(st, 5);
		out->workers = xrealloc(out->workers, (out->n_workers + 1) * sizeof(*out->workers));
		out->workers[out->n_workers++] = w;
	}
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}

int
store_active_steps(store_t *s, store_step_row_t **rows, size_t *count)
{
	*rows = NULL;
	*count = 0;
	db_stmt_t *st = store_q(s, Q_ACTIVE_STEPS);
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		*rows = xrealloc(*rows, (*count + 1) * sizeof(**rows));
		store_step_row_t *r = &(*rows)[(*count)++];
		r->row = db_column_int64(st, 0);
		r->run_id = store_column_dup(st, 1);
		r->step_id = store_column_dup(st, 2);
		r->host = store_column_dup(st, 3);
		r->attempt = (uint32_t)db_column_int64(st, 4);
		r->position = (uint32_t)db_column_int64(st, 5);
		r->status = (int)db_column_int64(st, 6);
		r->spec = store_column_blob_dup(st, 7, &r->spec_len);
		r->started_ms = db_column_int64(st, 8);
		r->run_created_ms = db_column_int64(st, 9);
		r->run_started_ms = db_column_int64(st, 10);
	}
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}

void
store_step_rows_free(store_step_row_t *rows, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		free(rows[i].run_id);
		free(rows[i].step_id);
		free(rows[i].host);
		free(rows[i].spec);
	}
	free(rows);
}

char *
store_run_runbook(store_t *s, const char *run_id)
{
	db_stmt_t *st = store_q(s, Q_RUN_RUNBOOK);
	db_bind_text(st, 1, run_id);
	char *name = NULL;
	if (db_step(st) == DB_ROW)
		name = store_column_dup(st, 0);
	db_reset(st);
	return name;
}

int
store_run_resolve(store_t *s, const char *text, char **id, char **error)
{
	*id = NULL;
	*error = NULL;
	if (text == NULL || text[0] == '\0') {
		*error = xstrdup("no run id given; `rota runs` lists the recent ones");
		return 1;
	}
	if (store_run_exists(s, text)) {
		*id = xstrdup(text);
		return 0;
	}
	db_stmt_t *st;
	if (strcmp(text, "last") == 0) {
		st = store_q(s, Q_RUN_LAST);
		if (db_step(st) == DB_ROW)
			*id = store_column_dup(st, 0);
		db_reset(st);
		if (*id == NULL)
			*error = xstrdup("there are no runs yet");
		return *id ? 0 : 1;
	}
	st = store_q(s, Q_RUN_MATCH);
	db_bind_text(st, 1, text);
	char *found[6];
	size_t n = 0;
	while (n < 6 && db_step(st) == DB_ROW)
		found[n++] = store_column_dup(st, 0);
	db_reset(st);
	if (n == 1) {
		*id = found[0];
		return 0;
	}
	if (n == 0) {
		*error = xasprintf("no run '%s'; `rota runs` lists the recent ones", text);
	} else {
		*error = xasprintf("'%s' matches %s%zu runs (%s, %s%s); give more of the id", text,
		                   n == 6 ? "more than " : "", n == 6 ? (size_t)5 : n, found[0],
		                   found[1], n > 2 ? ", ..." : "");
	}
	for (size_t i = 0; i < n; i++)
		free(found[i]);
	return 1;
}

char *
store_run_hosts(store_t *s, const char *run_id, const char *host, bool *has_host)
{
	db_stmt_t *st = store_q(s, Q_RUN_HOST_LIST);
	db_bind_text(st, 1, run_id);
	char *list = xstrdup("");
	*has_host = false;
	while (db_step(st) == DB_ROW) {
		const char *h = db_column_text(st, 0);
		if (h == NULL)
			continue;
		if (host && strcmp(h, host) == 0)
			*has_host = true;
		char *grown = xasprintf("%s%s%s", list, list[0] ? ", " : "", h);
		free(list);
		list = grown;
	}
	db_reset(st);
	return list;
}

int
store_run_yaml(store_t *s, const char *run_id, char **yaml, char **trigger, bool *cancelled)
{
	db_stmt_t *st = store_q(s, Q_RUN_YAML);
	db_bind_text(st, 1, run_id);
	int rc = db_step(st);
	if (rc == DB_ROW) {
		*yaml = store_column_dup(st, 0);
		*trigger = store_column_dup(st, 1);
		*cancelled = (int)db_column_int64(st, 2) != 0;
	}
	db_reset(st);
	return rc == DB_ROW ? 0 : -1;
}

int
store_runbook_by_path(store_t *s, const char *path, char **name, char **hash, char **yaml,
                      int64_t *loaded_ms)
{
	db_stmt_t *st = store_q(s, Q_RUNBOOK_BY_PATH);
	db_bind_text(st, 1, path);
	int rc = db_step(st);
	if (rc == DB_ROW) {
		*name = store_column_dup(st, 0);
		*hash = store_column_dup(st, 1);
		*yaml = store_column_dup(st, 2);
		*loaded_ms = db_column_int64(st, 3);
	}
	db_reset(st);
	return rc == DB_ROW ? 0 : rc == DB_DONE ? 1 : -1;
}

int
store_runbook_list(store_t *s, store_runbook_row_fn fn, void *ctx)
{
	db_stmt_t *st = store_q(s, Q_RUNBOOK_LIST);
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		const char *name = db_column_text(st, 0), *path = db_column_text(st, 1),
		           *hash = db_column_text(st, 2);
		fn(ctx, name ? name : "", path ? path : "", hash ? hash : "");
	}
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}

/* One schedule row, in the columns Q_SCHEDULE_GET and Q_SCHEDULE_LIST
 * both select (store_row_fn). */
static void
store_schedule_row(db_stmt_t *st, void *row, void *ctx)
{
	(void)ctx;
	store_schedule_t *sc = row;
	sc->runbook = store_column_dup(st, 0);
	sc->cron = store_column_dup(st, 1);
	sc->timezone = store_column_dup(st, 2);
	sc->next_ms = db_column_int64(st, 3);
	sc->last_slot_ms = db_column_int64(st, 4);
	sc->last_run_id = store_column_dup_or_null(st, 5);
}

int
store_schedule_list(store_t *s, store_schedule_t **out, size_t *count)
{
	*out = NULL;
	*count = 0;
	db_stmt_t *st = store_q(s, Q_SCHEDULE_LIST);
	int rc = store_rows(st, out, count, sizeof(**out), store_schedule_row, NULL);
	db_reset(st);
	if (rc != DB_DONE) {
		for (size_t i = 0; i < *count; i++)
			store_schedule_clear(&(*out)[i]);
		free(*out);
		*out = NULL;
		*count = 0;
		return -1;
	}
	return 0;
}

int
store_schedule_get(store_t *s, const char *runbook, store_schedule_t *out)
{
	memset(out, 0, sizeof(*out));
	db_stmt_t *st = store_q(s, Q_SCHEDULE_GET);
	db_bind_text(st, 1, runbook);
	int rc = db_step(st);
	if (rc == DB_ROW)
		store_schedule_row(st, out, NULL);
	db_reset(st);
	return rc == DB_ROW ? 0 : rc == DB_DONE ? 1 : -1;
}

void
store_schedule_clear(store_schedule_t *sc)
{
	free(sc->runbook);
	free(sc->cron);
	free(sc->timezone);
	free(sc->last_run_id);
	memset(sc, 0, sizeof(*sc));
}
