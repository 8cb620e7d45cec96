/* store_adds: on PostgreSQL, the turn's new runs, step runs and audit
 * rows, held to its end and written as one INSERT ... SELECT FROM
 * unnest() a table, each column one array parameter.
 *
 * Why: a submit was three single-row INSERTs (its run, its step run, its
 * audit row), about all of the statements a run cost, each the server's
 * executor start, its bind and its end (docs/benchmarks.md, "PostgreSQL
 * submits batched"). Held like the turn's updates (store_batch.c), a
 * turn of many submits is three statements whatever its size.
 *
 * What a reader sees never changes: before any statement whose SQL names
 * runs, step_runs (or step_run, the key of outputs and output_text) or
 * audit, and before the turn's held updates, the held rows are written
 * (STORE_BATCH_ADDS, store_batch_before), so a read or write inside the
 * turn sees every row added before it. The commit writes the rest before
 * the fence and the COMMIT: a submit's rows commit with its turn or not
 * at all, and its answer waits for that commit as before. The rows are
 * the ones the single-row INSERTs wrote, value for value (a step run's
 * id is given, as before; an audit row's identity is taken in the order
 * the rows were held).
 *
 * SQLite keeps its single-row INSERTs: there a statement is a call into
 * the library, not a message to a server, and it costs less than
 * building and parsing the arrays.
 *
 * A run's updates made in the turn that holds its INSERT are folded into
 * it (store_adds_run_update), as a step run's are: a submit whose first
 * step starts in its own turn wrote its run twice, an INSERT and then an
 * UPDATE whose new row version, not a HOT one (status is indexed),
 * made an entry in each of the table's indexes again. The events of
 * those updates are written as before (store_write.c): only the row is
 * written once.
 *
 * Must never: keep a row across a turn (store_adds_clear at every commit
 * and rollback), or write a table's rows out of the order they were held
 * in. */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fnv.h"
#include "log.h"
#include "xalloc.h"

/* One column's elements, and how many rows it holds. */
typedef struct {
	strbuf_t col[14];
	size_t rows;
} store_adds_table_t;

enum { ADDS_RUNS, ADDS_STEPS, ADDS_AUDIT, ADDS_TABLES };

/* A held step run: its INSERT's values, and the state of the updates
 * made to it in the turn since (folded in: one row version, not two). */
typedef struct {
	int64_t id;
	char *run_id, *step_id, *host; /* owned */
	uint32_t attempt, position;
	char *spec_hex; /* owned: the spec as hex text ("" for none) */
	int status, exit_code, signal;
	int64_t started_ms, ended_ms;
	char *detail;    /* owned, may be NULL */
	bool dispatched; /* one of its states was dispatched */
} store_adds_step_t;

/* A held run's state: the columns an update of the turn may change,
 * written into the INSERT's arrays at the flush. */
typedef struct {
	char *id; /* owned */
	int status;
	int64_t started_ms, ended_ms;
} store_adds_run_t;

struct store_adds {
	/* The runs and audit rows held, kept as their array literals as they
	 * come: nothing is copied twice, and a flush only closes and binds
	 * them. (t[ADDS_STEPS] is built from steps at the flush, and the
	 * runs' state columns from runs.) */
	store_adds_table_t t[ADDS_TABLES]; /* owned (each strbuf's data) */
	/* The step runs held, by rising id (ids come from the sequence in
	 * rising blocks), so an update finds its row by bisection. */
	store_adds_step_t *steps; /* owned */
	size_t step_count, step_cap;
	bool unsorted; /* an id came below the one before: search them all */
	/* The runs held, in the order held, and an index of them by id (open
	 * addressing, slot = index + 1, 0 = empty, at most half full): a
	 * turn holds up to a few thousand runs. */
	store_adds_run_t *runs; /* owned */
	size_t run_count, run_cap;
	uint32_t *run_slots; /* owned */
	size_t run_slot_cap;
	/* Each table's INSERT, prepared on first use (the connection owns
	 * and finalizes them). */
	db_stmt_t *insert[ADDS_TABLES];
};

static const char *const store_adds_sql[ADDS_TABLES] = {
    [ADDS_RUNS] = "INSERT INTO runs (id, runbook, runbook_yaml, params, status, created_ms,"
                  " trigger, reason, slot_ms, started_ms, ended_ms)"
                  " SELECT * FROM unnest(CAST($1 AS TEXT[]), CAST($2 AS TEXT[]),"
                  " CAST($3 AS TEXT[]), CAST($4 AS TEXT[]), CAST($5 AS BIGINT[]),"
                  " CAST($6 AS BIGINT[]), CAST($7 AS TEXT[]), CAST($8 AS TEXT[]),"
                  " CAST($9 AS BIGINT[]), CAST($10 AS BIGINT[]), CAST($11 AS BIGINT[]))",
    /* The spec as hex text (decode): an array literal of bytea would
     * need its escapes escaped again. The state columns are the
     * table's defaults unless an update was folded in. */
    [ADDS_STEPS] = "INSERT INTO step_runs (id, run_id, step_id, host, attempt, position, status,"
                   " spec, exit_code, signal, started_ms, ended_ms, detail, dispatched)"
                   " SELECT v.id, v.run_id, v.step_id, v.host, v.attempt, v.position,"
                   " v.status, decode(v.spec, 'hex'), v.exit_code, v.signal, v.started_ms,"
                   " v.ended_ms, v.detail, v.dispatched"
                   " FROM unnest(CAST($1 AS BIGINT[]), CAST($2 AS TEXT[]), CAST($3 AS TEXT[]),"
                   " CAST($4 AS TEXT[]), CAST($5 AS BIGINT[]), CAST($6 AS BIGINT[]),"
                   " CAST($7 AS BIGINT[]), CAST($8 AS TEXT[]), CAST($9 AS BIGINT[]),"
                   " CAST($10 AS BIGINT[]), CAST($11 AS BIGINT[]), CAST($12 AS BIGINT[]),"
                   " CAST($13 AS TEXT[]), CAST($14 AS BIGINT[]))"
                   " AS v (id, run_id, step_id, host, attempt, position, status, spec,"
                   " exit_code, signal, started_ms, ended_ms, detail, dispatched)",
    [ADDS_AUDIT] = "INSERT INTO audit (at_ms, actor, role, action, target, outcome, detail,"
                   " peer, key, count)"
                   " SELECT * FROM unnest(CAST($1 AS BIGINT[]), CAST($2 AS TEXT[]),"
                   " CAST($3 AS TEXT[]), CAST($4 AS TEXT[]), CAST($5 AS TEXT[]),"
                   " CAST($6 AS TEXT[]), CAST($7 AS TEXT[]), CAST($8 AS TEXT[]),"
                   " CAST($9 AS TEXT[]), CAST($10 AS BIGINT[]))",
};
static const int store_adds_cols[ADDS_TABLES] = {
    [ADDS_RUNS] = 11,
    [ADDS_STEPS] = 14,
    [ADDS_AUDIT] = 10,
};

store_adds_t *
store_adds_new(void)
{
	return xcalloc(1, sizeof(store_adds_t));
}

void
store_adds_clear(store_adds_t *a)
{
	for (size_t i = 0; i < a->step_count; i++) {
		store_adds_step_t *e = &a->steps[i];
		free(e->run_id);
		free(e->step_id);
		free(e->host);
		free(e->spec_hex);
		free(e->detail);
	}
	a->step_count = 0;
	a->unsorted = false;
	for (size_t i = 0; i < a->run_count; i++)
		free(a->runs[i].id);
	a->run_count = 0;
	if (a->run_slots != NULL)
		memset(a->run_slots, 0, a->run_slot_cap * sizeof(*a->run_slots));
	for (int t = 0; t < ADDS_TABLES; t++) {
		for (int c = 0; c < store_adds_cols[t]; c++) {
			free(a->t[t].col[c].data);
			a->t[t].col[c] = (strbuf_t){0};
		}
		a->t[t].rows = 0;
	}
}

void
store_adds_destroy(store_adds_t **ap)
{
	if (*ap == NULL)
		return;
	store_adds_clear(*ap);
	free((*ap)->steps);
	free((*ap)->runs);
	free((*ap)->run_slots);
	free(*ap);
	*ap = NULL;
}

size_t
store_adds_count(const store_adds_t *a)
{
	return a->t[ADDS_RUNS].rows + a->step_count + a->t[ADDS_AUDIT].rows;
}

/* The slot of run_id in the index: its run's, or the empty one where it
 * would go (the index is never full). */
static size_t
store_adds_run_slot(const store_adds_t *a, const char *run_id)
{
	size_t mask = a->run_slot_cap - 1;
	size_t i = (size_t)fnv_add(FNV_START, run_id) & mask;
	while (a->run_slots[i] != 0 && strcmp(a->runs[a->run_slots[i] - 1].id, run_id) != 0)
		i = (i + 1) & mask;
	return i;
}

int
store_adds_run(store_t *s, const store_run_t *run)
{
	store_adds_t *a = s->adds;
	store_adds_table_t *t = &a->t[ADDS_RUNS];
	size_t n = a->run_count;
	if (n == a->run_cap) {
		a->run_cap = a->run_cap ? a->run_cap * 2 : 64;
		a->runs = xrealloc(a->runs, a->run_cap * sizeof(*a->runs));
	}
	if ((n + 1) * 2 > a->run_slot_cap) {
		/* Grown and rebuilt from runs: at most half full. */
		a->run_slot_cap = a->run_slot_cap ? a->run_slot_cap * 2 : 128;
		free(a->run_slots);
		a->run_slots = xcalloc(a->run_slot_cap, sizeof(*a->run_slots));
		for (size_t k = 0; k < n; k++)
			a->run_slots[store_adds_run_slot(a, a->runs[k].id)] = (uint32_t)k + 1;
	}
	a->runs[n] = (store_adds_run_t){.id = xstrdup(run->id),
	                                .status = run->status,
	                                .started_ms = run->started_ms,
	                                .ended_ms = run->ended_ms};
	/* A second INSERT of an id is refused by the table at the flush, as
	 * it was before; the index keeps the first. */
	size_t slot = store_adds_run_slot(a, run->id);
	if (a->run_slots[slot] == 0)
		a->run_slots[slot] = (uint32_t)n + 1;
	/* Columns 4, 9 and 10 (the state) are written at the flush. */
	store_arr_text(&t->col[0], run->id);
	store_arr_text(&t->col[1], run->runbook);
	store_arr_text(&t->col[2], run->runbook_yaml);
	store_arr_text(&t->col[3], run->params_json);
	store_arr_int(&t->col[5], true, run->created_ms);
	store_arr_text(&t->col[6], run->trigger ? run->trigger : "manual");
	store_arr_text(&t->col[7], run->reason);
	store_arr_int(&t->col[8], true, run->slot_ms);
	t->rows++;
	a->run_count++;
	return 0;
}

bool
store_adds_run_update(store_t *s, const char *run_id, int status, int64_t started_ms,
                      int64_t ended_ms)
{
	store_adds_t *a = s->adds;
	if (a->run_count == 0)
		return false;
	size_t slot = store_adds_run_slot(a, run_id);
	if (a->run_slots[slot] == 0)
		return false;
	/* What store_batch_run holds and its UPDATE writes: the three state
	 * columns, the latest update's. */
	store_adds_run_t *r = &a->runs[a->run_slots[slot] - 1];
	r->status = status;
	r->started_ms = started_ms;
	r->ended_ms = ended_ms;
	return true;
}

int
store_adds_step(store_t *s, int64_t id, const char *run_id, const char *step_id, const char *host,
                uint32_t attempt, uint32_t position, int status, const uint8_t *spec,
                size_t spec_len)
{
	store_adds_t *a = s->adds;
	if (a->step_count == a->step_cap) {
		a->step_cap = a->step_cap ? a->step_cap * 2 : 64;
		a->steps = xrealloc(a->steps, a->step_cap * sizeof(*a->steps));
	}
	/* Never NULL: the single-row INSERT bound an empty blob for none
	 * (db_bind_blob), so an empty spec is '' here too. */
	static const char hex[] = "0123456789abcdef";
	char *h = xmalloc(spec_len * 2 + 1); /* owned by the row */
	for (size_t i = 0; i < spec_len; i++) {
		h[2 * i] = hex[spec[i] >> 4];
		h[2 * i + 1] = hex[spec[i] & 15];
	}
	h[spec_len * 2] = '\0';
	if (a->step_count > 0 && id <= a->steps[a->step_count - 1].id)
		a->unsorted = true;
	a->steps[a->step_count++] = (store_adds_step_t){
	    .id = id,
	    .run_id = xstrdup(run_id),
	    .step_id = xstrdup(step_id),
	    .host = xstrdup(host),
	    .attempt = attempt,
	    .position = position,
	    .spec_hex = h,
	    .status = status,
	    /* 0 whatever the status, as the single-row INSERT left it. */
	    .dispatched = false,
	};
	return 0;
}

/* The held step run id, or NULL. */
static store_adds_step_t *
store_adds_step_find(store_adds_t *a, int64_t id)
{
	if (a->unsorted) {
		for (size_t i = 0; i < a->step_count; i++)
			if (a->steps[i].id == id)
				return &a->steps[i];
		return NULL;
	}
	size_t lo = 0, hi = a->step_count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (a->steps[mid].id == id)
			return &a->steps[mid];
		if (a->steps[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

bool
store_adds_step_update(store_t *s, int64_t id, const store_step_state_t *st)
{
	store_adds_step_t *e = store_adds_step_find(s->adds, id);
	if (e == NULL)
		return false;
	/* What store_batch_step holds and its UPDATE writes: every state
	 * column, and dispatched once any state was. */
	e->status = st->status;
	e->exit_code = st->exit_code;
	e->signal = st->signal;
	e->started_ms = st->started_ms;
	e->ended_ms = st->ended_ms;
	free(e->detail);
	e->detail = st->detail ? xstrdup(st->detail) : NULL;
	e->dispatched = e->dispatched || st->status == ROTA__STEP_STATUS__STEP_DISPATCHED;
	return true;
}

int
store_adds_audit(store_t *s, const store_audit_entry_t *e, size_t text_max)
{
	store_adds_table_t *t = &s->adds->t[ADDS_AUDIT];
	const char *texts[] = {e->actor,   e->role,   e->action, e->target,
	                       e->outcome, e->detail, e->peer,   e->key};
	store_arr_int(&t->col[0], true, e->at_ms);
	for (int i = 0; i < 8; i++) {
		const char *v = texts[i] ? texts[i] : "";
		store_arr_text_n(&t->col[1 + i], v, store_text_cut(v, text_max));
	}
	store_arr_int(&t->col[9], true, e->count ? e->count : 1);
	t->rows++;
	return 0;
}

/* The held step runs as their columns' array literals. */
static void
store_adds_step_columns(store_adds_t *a)
{
	store_adds_table_t *t = &a->t[ADDS_STEPS];
	for (size_t i = 0; i < a->step_count; i++) {
		const store_adds_step_t *e = &a->steps[i];
		store_arr_int(&t->col[0], true, e->id);
		store_arr_text(&t->col[1], e->run_id);
		store_arr_text(&t->col[2], e->step_id);
		store_arr_text(&t->col[3], e->host);
		store_arr_int(&t->col[4], true, e->attempt);
		store_arr_int(&t->col[5], true, e->position);
		store_arr_int(&t->col[6], true, e->status);
		store_arr_text(&t->col[7], e->spec_hex);
		store_arr_int(&t->col[8], true, e->exit_code);
		store_arr_int(&t->col[9], true, e->signal);
		store_arr_int(&t->col[10], true, e->started_ms);
		store_arr_int(&t->col[11], true, e->ended_ms);
		store_arr_text(&t->col[12], e->detail);
		store_arr_int(&t->col[13], true, e->dispatched ? 1 : 0);
	}
	t->rows = a->step_count;
}

/* The held runs' state columns, as the updates folded in left them. */
static void
store_adds_run_columns(store_adds_t *a)
{
	store_adds_table_t *t = &a->t[ADDS_RUNS];
	for (size_t i = 0; i < a->run_count; i++) {
		const store_adds_run_t *r = &a->runs[i];
		store_arr_int(&t->col[4], true, r->status);
		store_arr_int(&t->col[9], true, r->started_ms);
		store_arr_int(&t->col[10], true, r->ended_ms);
	}
}

/* Writes table t's held rows, if any, in one statement. */
static int
store_adds_write(store_t *s, int t)
{
	store_adds_t *a = s->adds;
	if (t == ADDS_STEPS)
		store_adds_step_columns(a);
	if (t == ADDS_RUNS)
		store_adds_run_columns(a);
	if (a->t[t].rows == 0)
		return 0;
	if (a->insert[t] == NULL && (a->insert[t] = db_prepare(s->db, store_adds_sql[t])) == NULL) {
		log_error("store: cannot prepare %.40s: %s", store_adds_sql[t], db_errmsg(s->db));
		store_note_error(s);
		s->failed = true;
		return -1;
	}
	db_stmt_t *st = a->insert[t];
	db_reset(st);
	for (int c = 0; c < store_adds_cols[t]; c++)
		store_arr_bind(st, c + 1, &a->t[t].col[c]);
	a->t[t].rows = 0;
	return store_done(s, st);
}

int
store_adds_flush(store_t *s)
{
	/* Runs before their step runs (step_runs.run_id references runs). */
	int rc = store_adds_write(s, ADDS_RUNS);
	if (rc == 0)
		rc = store_adds_write(s, ADDS_STEPS);
	if (rc == 0)
		rc = store_adds_write(s, ADDS_AUDIT);
	/* On a failure the turn is failed: what is left goes with it. */
	store_adds_clear(s->adds);
	return rc;
}
