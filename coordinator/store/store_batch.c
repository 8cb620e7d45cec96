/* store_batch: the turn's writes that wait for its end. A run's and a step
 * run's updates are kept by row until the turn commits, so the states a
 * row passes through within one turn are written once (a step dispatched,
 * running and ended in one turn: one UPDATE), and the turn's event rows
 * are written together, as multi-row INSERTs (on PostgreSQL one INSERT
 * ... SELECT FROM unnest() a turn), in the order they were made.
 *
 * Why: every statement is a cost (a round trip's share on PostgreSQL, a
 * statement's work on both engines), and a one-step run cost about 19 of
 * them, 7 of which were event rows and 6 updates of its two rows
 * (docs/benchmarks.md, "Fewer statements a run").
 *
 * What a reader sees never changes: before any statement whose SQL names
 * the tables held back (runs and step_runs, or events), the store writes
 * what it holds back first (store_batch_before, from store_q, store_stmt
 * and store_exec), so a read inside the turn sees every change made
 * before it, and an event written at once (an output chunk's, a worker's)
 * comes after the ones held. The commit writes the rest before the fence
 * and the COMMIT: what was held back commits with the turn or not at all.
 *
 * Must never: keep anything across a turn (store_batch_clear after every
 * commit and rollback), or reorder two events. */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fnv.h"
#include "log.h"
#include "strbuf.h"
#include "xalloc.h"

/* Event rows a multi-row INSERT holds at most: each row is 6 parameters,
 * well inside both engines' limits. */
#define STORE_BATCH_EVENT_ROWS 128
#define STORE_BATCH_EVENT_SIZES 8 /* 1, 2, 4 ... 128 rows */
/* Rows one UPDATE ... FROM (VALUES ...) writes at most (8 parameters a
 * row). */
#define STORE_BATCH_ROW_UPDATES 64
#define STORE_BATCH_ROW_SIZES 7 /* 1, 2, 4 ... 64 rows */

typedef struct {
	int64_t at_ms;
	int kind;
	char *run_id; /* owned, may be NULL */
	int64_t ref;  /* 0: none */
	int status;
	char *subject; /* owned, may be NULL */
} store_batch_event_t;

typedef struct {
	char *run_id; /* owned */
	bool has_state;
	int status;
	int64_t started_ms, ended_ms;
	bool has_outcome;
	uint32_t hosts_ok, hosts_failed;
	char *reason; /* owned; NULL keeps the row's */
} store_batch_run_t;

typedef struct {
	int64_t row;
	int status, exit_code, signal;
	int64_t started_ms, ended_ms;
	char *detail;    /* owned, may be NULL */
	bool dispatched; /* one of its states was dispatched (step_runs.dispatched) */
} store_batch_step_t;

struct store_batch {
	store_batch_event_t *events; /* owned */
	size_t event_count, event_cap;
	store_batch_run_t *runs; /* owned */
	size_t run_count, run_cap;
	store_batch_step_t *steps; /* owned */
	size_t step_count, step_cap;
	/* Open addressing over runs and steps by key: slot = index + 1, 0 =
	 * empty; at most half full. A turn holds up to a few thousand rows,
	 * and a linear search for each update was quadratic. */
	uint32_t *run_slots, *step_slots; /* owned */
	size_t run_slot_cap, step_slot_cap;
	/* SQLite's statements of 2^k rows at [k], prepared on first use (the
	 * connection owns and finalizes them): the INSERT of event rows and
	 * the UPDATE of runs or step runs (store_batch_size). */
	db_stmt_t *insert[STORE_BATCH_EVENT_SIZES];
	db_stmt_t *runs_update[STORE_BATCH_ROW_SIZES];
	db_stmt_t *steps_update[STORE_BATCH_ROW_SIZES];
	/* PostgreSQL's UPDATE of any number of runs or step runs, their
	 * columns as arrays (store_batch_pg_write_rows), likewise. */
	db_stmt_t *runs_unnest, *steps_unnest, *events_unnest;
};

store_batch_t *
store_batch_new(void)
{
	return xcalloc(1, sizeof(store_batch_t));
}

void
store_batch_clear(store_batch_t *b)
{
	for (size_t i = 0; i < b->event_count; i++) {
		free(b->events[i].run_id);
		free(b->events[i].subject);
	}
	for (size_t i = 0; i < b->run_count; i++) {
		free(b->runs[i].run_id);
		free(b->runs[i].reason);
	}
	for (size_t i = 0; i < b->step_count; i++)
		free(b->steps[i].detail);
	b->event_count = b->run_count = b->step_count = 0;
	if (b->run_slots)
		memset(b->run_slots, 0, b->run_slot_cap * sizeof(*b->run_slots));
	if (b->step_slots)
		memset(b->step_slots, 0, b->step_slot_cap * sizeof(*b->step_slots));
}

void
store_batch_destroy(store_batch_t **bp)
{
	store_batch_t *b = *bp;
	if (b == NULL)
		return;
	store_batch_clear(b);
	free(b->events);
	free(b->runs);
	free(b->steps);
	free(b->run_slots);
	free(b->step_slots);
	free(b);
	*bp = NULL;
}

/* True for SQL that names runs or step_runs only to add a row with given
 * values (or to number one): it reads no column an update holds back, so
 * the turn's held rows need not be written before it, and a turn of many
 * submits keeps them all for one statement at its end. */
static bool
store_batch_adds_row(const char *sql)
{
	static const char *const adds[] = {
	    "INSERT INTO runs (",
	    "INSERT INTO step_runs (",
	    "SELECT nextval(pg_get_serial_sequence('step_runs', 'id'))",
	};
	for (size_t i = 0; i < sizeof(adds) / sizeof(adds[0]); i++)
		if (strncmp(sql, adds[i], strlen(adds[i])) == 0)
			return strstr(sql + strlen(adds[i]), "SELECT") == NULL;
	return false;
}

unsigned
store_batch_touches(const char *sql)
{
	unsigned t = 0;
	if (strstr(sql, "runs") != NULL && !store_batch_adds_row(sql))
		t |= STORE_BATCH_ROWS;
	/* Numbering step runs reads no row; anything else that names a table
	 * of held new rows, or one whose key refers to step_runs, must find
	 * them there (store_adds.c). */
	if ((strstr(sql, "runs") != NULL || strstr(sql, "step_run") != NULL ||
	     strstr(sql, "audit") != NULL) &&
	    strncmp(sql, "SELECT nextval(", 15) != 0)
		t |= STORE_BATCH_ADDS;
	if (strstr(sql, "events") != NULL)
		t |= STORE_BATCH_EVENTS;
	return t;
}

static uint64_t
store_batch_hash_row(int64_t row)
{
	return (uint64_t)row * 0x9e3779b97f4a7c15ULL;
}

/* The slot of key in slots (cap a power of two): its entry's, or the
 * empty one where it would go. */
static size_t
store_batch_run_slot(const store_batch_t *b, const char *run_id)
{
	size_t mask = b->run_slot_cap - 1;
	size_t i = (size_t)fnv_add(FNV_START, run_id) & mask;
	while (b->run_slots[i] != 0 && strcmp(b->runs[b->run_slots[i] - 1].run_id, run_id) != 0)
		i = (i + 1) & mask;
	return i;
}

static size_t
store_batch_step_slot(const store_batch_t *b, int64_t row)
{
	size_t mask = b->step_slot_cap - 1;
	size_t i = (size_t)store_batch_hash_row(row) & mask;
	while (b->step_slots[i] != 0 && b->steps[b->step_slots[i] - 1].row != row)
		i = (i + 1) & mask;
	return i;
}

/* Grows the run index to hold one more entry (rebuilt from runs). */
static void
store_batch_run_room(store_batch_t *b)
{
	if ((b->run_count + 1) * 2 <= b->run_slot_cap)
		return;
	size_t cap = b->run_slot_cap ? b->run_slot_cap * 2 : 64;
	free(b->run_slots);
	b->run_slots = xcalloc(cap, sizeof(*b->run_slots));
	b->run_slot_cap = cap;
	for (size_t k = 0; k < b->run_count; k++)
		b->run_slots[store_batch_run_slot(b, b->runs[k].run_id)] = (uint32_t)k + 1;
}

static void
store_batch_step_room(store_batch_t *b)
{
	if ((b->step_count + 1) * 2 <= b->step_slot_cap)
		return;
	size_t cap = b->step_slot_cap ? b->step_slot_cap * 2 : 64;
	free(b->step_slots);
	b->step_slots = xcalloc(cap, sizeof(*b->step_slots));
	b->step_slot_cap = cap;
	for (size_t k = 0; k < b->step_count; k++)
		b->step_slots[store_batch_step_slot(b, b->steps[k].row)] = (uint32_t)k + 1;
}

/* The held update of run_id, made empty when there is none. */
static store_batch_run_t *
store_batch_run_entry(store_batch_t *b, const char *run_id)
{
	store_batch_run_room(b);
	size_t i = store_batch_run_slot(b, run_id);
	if (b->run_slots[i] != 0)
		return &b->runs[b->run_slots[i] - 1];
	if (b->run_count == b->run_cap) {
		b->run_cap = b->run_cap ? b->run_cap * 2 : 64;
		b->runs = xrealloc(b->runs, b->run_cap * sizeof(*b->runs));
	}
	store_batch_run_t *r = &b->runs[b->run_count];
	memset(r, 0, sizeof(*r));
	r->run_id = xstrdup(run_id);
	b->run_slots[i] = (uint32_t)++b->run_count;
	return r;
}

int
store_batch_run(store_t *s, const char *run_id, int status, int64_t started_ms, int64_t ended_ms)
{
	store_batch_run_t *r = store_batch_run_entry(s->batch, run_id);
	r->has_state = true;
	r->status = status;
	r->started_ms = started_ms;
	r->ended_ms = ended_ms;
	return 0;
}

int
store_batch_outcome(store_t *s, const char *run_id, uint32_t hosts_ok, uint32_t hosts_failed,
                    const char *reason)
{
	store_batch_run_t *r = store_batch_run_entry(s->batch, run_id);
	r->has_outcome = true;
	r->hosts_ok = hosts_ok;
	r->hosts_failed = hosts_failed;
	/* COALESCE(?, reason) twice is the later reason, else the earlier. */
	if (reason != NULL) {
		free(r->reason);
		r->reason = xstrdup(reason);
	}
	return 0;
}

int
store_batch_step(store_t *s, int64_t row, const store_step_state_t *st)
{
	store_batch_t *b = s->batch;
	store_batch_step_room(b);
	size_t i = store_batch_step_slot(b, row);
	store_batch_step_t *e;
	if (b->step_slots[i] != 0) {
		e = &b->steps[b->step_slots[i] - 1];
		free(e->detail);
	} else {
		if (b->step_count == b->step_cap) {
			b->step_cap = b->step_cap ? b->step_cap * 2 : 64;
			b->steps = xrealloc(b->steps, b->step_cap * sizeof(*b->steps));
		}
		e = &b->steps[b->step_count];
		memset(e, 0, sizeof(*e));
		e->row = row;
		b->step_slots[i] = (uint32_t)++b->step_count;
	}
	e->status = st->status;
	e->exit_code = st->exit_code;
	e->signal = st->signal;
	e->started_ms = st->started_ms;
	e->ended_ms = st->ended_ms;
	e->detail = st->detail ? xstrdup(st->detail) : NULL;
	e->dispatched = e->dispatched || st->status == ROTA__STEP_STATUS__STEP_DISPATCHED;
	return 0;
}

int
store_batch_event(store_t *s, int64_t at_ms, int kind, const char *run_id, int64_t ref, int status,
                  const char *subject)
{
	store_batch_t *b = s->batch;
	/* Every event is kept, the same status twice included: a follower
	 * counts on one event per write, as before they were held. */
	if (b->event_count == b->event_cap) {
		b->event_cap = b->event_cap ? b->event_cap * 2 : 128;
		b->events = xrealloc(b->events, b->event_cap * sizeof(*b->events));
	}
	b->events[b->event_count++] = (store_batch_event_t){
	    .at_ms = at_ms,
	    .kind = kind,
	    .run_id = run_id ? xstrdup(run_id) : NULL,
	    .ref = ref,
	    .status = status,
	    .subject = subject ? xstrdup(subject) : NULL,
	};
	return 0;
}

/* The statement for n rows (SQLite): 2^*k rows, the least power of two
 * not below n; the rows past n are left NULL (db_reset clears every
 * binding) and change nothing. Why: a statement prepared for each number
 * of rows a turn held was up to 128 + 64 + 64 prepares, each parsing
 * and planning hundreds of parameters, 17.9k instructions a run in a
 * profile (docs/benchmarks.md, "A run's cost, second pass"); the powers
 * of two are 8 + 7 + 7, and a statement a chunk as before. */
static size_t
store_batch_size(size_t n, size_t *k)
{
	size_t rows = 1;
	*k = 0;
	while (rows < n) {
		rows <<= 1;
		(*k)++;
	}
	return rows;
}

/* The INSERT of rows event rows, at insert[k], prepared on first use. A
 * row whose at_ms is NULL is padding and is not inserted; the others are
 * inserted in the VALUES' order, so their ids rise in the order the
 * events were made (unit.store test_turns_of_every_size_prepare_a_fixed_set). */
static db_stmt_t *
store_batch_insert(store_t *s, size_t rows, size_t k)
{
	store_batch_t *b = s->batch;
	if (b->insert[k] != NULL) {
		db_reset(b->insert[k]);
		return b->insert[k];
	}
	static const char head[] = "INSERT INTO events (at_ms, kind, run_id, ref, status, subject)"
	                           " SELECT * FROM (VALUES ";
	static const char row[] = "(?, ?, ?, ?, ?, ?)";
	static const char tail[] = ") WHERE column1 IS NOT NULL";
	size_t len = sizeof(head) + rows * (sizeof(row) + 2) + sizeof(tail);
	char *sql = xmalloc(len); /* owned, freed below (the statement copies it) */
	size_t o = (size_t)snprintf(sql, len, "%s", head);
	for (size_t i = 0; i < rows; i++)
		o += (size_t)snprintf(sql + o, len - o, "%s%s", i ? ", " : "", row);
	snprintf(sql + o, len - o, "%s", tail);
	b->insert[k] = db_prepare(s->db, sql);
	if (b->insert[k] == NULL) {
		log_error("store: cannot prepare %s: %s", head, db_errmsg(s->db));
		store_note_error(s);
		s->failed = true;
	}
	free(sql);
	return b->insert[k];
}

static int
store_batch_write_events(store_t *s)
{
	store_batch_t *b = s->batch;
	for (size_t at = 0; at < b->event_count;) {
		size_t n = b->event_count - at;
		if (n > STORE_BATCH_EVENT_ROWS)
			n = STORE_BATCH_EVENT_ROWS;
		size_t k = 0;
		size_t rows = store_batch_size(n, &k);
		db_stmt_t *st = store_batch_insert(s, rows, k);
		if (st == NULL)
			return -1;
		for (size_t i = 0; i < n; i++) {
			const store_batch_event_t *e = &b->events[at + i];
			int p = (int)i * 6;
			db_bind_int64(st, p + 1, e->at_ms);
			db_bind_int64(st, p + 2, e->kind);
			db_bind_text(st, p + 3, e->run_id);
			db_bind_int64(st, p + 4, e->ref); /* the column's default is 0 */
			db_bind_int64(st, p + 5, e->status);
			db_bind_text(st, p + 6, e->subject);
		}
		if (store_done(s, st) != 0)
			return -1;
		at += n;
	}
	return 0;
}

/* "(CAST(? AS BIGINT), ...), (...)" : n rows of the given column types
 * ('i' BIGINT, 't' TEXT), typed so that PostgreSQL knows what each
 * parameter of a VALUES list is (SQLite takes the casts as they are). The
 * caller frees it. */
static char *
store_batch_values(size_t n, const char *types)
{
	size_t cols = strlen(types);
	size_t len = n * (cols * 24 + 4) + 1;
	char *out = xmalloc(len);
	size_t o = 0;
	for (size_t r = 0; r < n; r++) {
		o += (size_t)snprintf(out + o, len - o, "%s(", r ? ", " : "");
		for (size_t c = 0; c < cols; c++)
			o += (size_t)snprintf(out + o, len - o, "%sCAST(? AS %s)", c ? ", " : "",
			                      types[c] == 't' ? "TEXT" : "BIGINT");
		o += (size_t)snprintf(out + o, len - o, ")");
	}
	return out;
}

/* The statement for n rows at cache[k]: head, the VALUES of types for
 * store_batch_size(n) rows, tail; prepared once (the connection owns it).
 * The rows past n keep a NULL id, which matches no row. NULL with the
 * turn failed. */
static db_stmt_t *
store_batch_update_stmt(store_t *s, db_stmt_t **cache, size_t n, const char *head,
                        const char *types, const char *tail)
{
	size_t k = 0;
	size_t rows = store_batch_size(n, &k);
	if (cache[k] != NULL) {
		db_reset(cache[k]);
		return cache[k];
	}
	char *values = store_batch_values(rows, types); /* owned */
	char *sql = xasprintf("%s%s%s", head, values, tail);
	free(values);
	cache[k] = db_prepare(s->db, sql);
	if (cache[k] == NULL) {
		log_error("store: cannot prepare %s: %s", head, db_errmsg(s->db));
		store_note_error(s);
		s->failed = true;
	}
	free(sql);
	return cache[k];
}

/* A run's state and outcome, each when held: NULL keeps the column. */
static const char store_batch_runs_head[] =
    "UPDATE runs SET status = COALESCE(v.column2, runs.status),"
    " started_ms = COALESCE(v.column3, runs.started_ms),"
    " ended_ms = COALESCE(v.column4, runs.ended_ms),"
    " hosts_ok = COALESCE(v.column5, runs.hosts_ok),"
    " hosts_failed = COALESCE(v.column6, runs.hosts_failed),"
    " reason = COALESCE(v.column7, runs.reason) FROM (VALUES ";
static const char store_batch_runs_tail[] = ") AS v WHERE runs.id = v.column1";
/* column8 is 2 (dispatched) when any state the step passed in the turn
 * was: the row is marked sent to its worker for good (a CASE, not a
 * boolean: PostgreSQL's booleans are not numbers). */
static const char store_batch_steps_head[] =
    "UPDATE step_runs SET status = v.column2, exit_code = v.column3, signal = v.column4,"
    " started_ms = v.column5, ended_ms = v.column6, detail = v.column7,"
    " dispatched = CASE WHEN v.column8 = 2 THEN 1 ELSE step_runs.dispatched END"
    " FROM (VALUES ";
static const char store_batch_steps_tail[] = ") AS v WHERE step_runs.id = v.column1";

static void
store_batch_bind_int_or_null(db_stmt_t *st, int i, bool set, int64_t v)
{
	if (set)
		db_bind_int64(st, i, v);
	else
		db_bind_null(st, i);
}

static int
store_batch_write_runs(store_t *s, const store_batch_run_t *runs, size_t n)
{
	db_stmt_t *st = store_batch_update_stmt(s, s->batch->runs_update, n, store_batch_runs_head,
	                                        "tiiiiit", store_batch_runs_tail);
	if (st == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const store_batch_run_t *r = &runs[i];
		int p = (int)i * 7;
		db_bind_text(st, p + 1, r->run_id);
		store_batch_bind_int_or_null(st, p + 2, r->has_state, r->status);
		store_batch_bind_int_or_null(st, p + 3, r->has_state, r->started_ms);
		store_batch_bind_int_or_null(st, p + 4, r->has_state, r->ended_ms);
		store_batch_bind_int_or_null(st, p + 5, r->has_outcome, r->hosts_ok);
		store_batch_bind_int_or_null(st, p + 6, r->has_outcome, r->hosts_failed);
		db_bind_text(st, p + 7, r->has_outcome ? r->reason : NULL);
	}
	return store_done(s, st);
}

static int
store_batch_write_steps(store_t *s, const store_batch_step_t *steps, size_t n)
{
	db_stmt_t *st =
	    store_batch_update_stmt(s, s->batch->steps_update, n, store_batch_steps_head,
	                            "iiiiiiti", store_batch_steps_tail);
	if (st == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const store_batch_step_t *e = &steps[i];
		int p = (int)i * 8;
		db_bind_int64(st, p + 1, e->row);
		db_bind_int64(st, p + 2, e->status);
		db_bind_int64(st, p + 3, e->exit_code);
		db_bind_int64(st, p + 4, e->signal);
		db_bind_int64(st, p + 5, e->started_ms);
		db_bind_int64(st, p + 6, e->ended_ms);
		db_bind_text(st, p + 7, e->detail);
		/* 2 (dispatched) when any state it passed was, so the row is
		 * marked sent as the updates one by one would have marked it. */
		db_bind_int64(st, p + 8,
		              e->dispatched ? ROTA__STEP_STATUS__STEP_DISPATCHED : e->status);
	}
	return store_done(s, st);
}

/* ---- PostgreSQL: a table's held rows in one UPDATE, as arrays ----
 *
 * Why: an UPDATE ... FROM (VALUES ...) of 64 rows is a statement of 512
 * parameters, each in a CAST, and PostgreSQL plans it at each run
 * (db_pg_replanned: a plan kept from an empty table read the whole table):
 * parsing that text was a tenth of the server's CPU a run under the
 * throughput benchmark (docs/benchmarks.md, "PostgreSQL turn: where a run
 * waits"). Here each column goes as one array parameter, joined by
 * unnest(): a short statement, whatever the number of rows, so one a
 * table a turn. Same rows, same values, same order of writes. */

/* The next element: '{' before the first, ',' before the others. */
static void
store_arr_next(strbuf_t *a)
{
	strbuf_add(a, a->len == 0 ? "{" : ",", 1);
}

void
store_arr_int(strbuf_t *a, bool set, int64_t v)
{
	char num[24];
	store_arr_next(a);
	int n = set ? snprintf(num, sizeof(num), "%lld", (long long)v) : 0;
	if (set)
		strbuf_add(a, num, (size_t)n);
	else
		strbuf_add(a, "NULL", 4);
}

/* A text element of len bytes, quoted: a backslash before each '"' and
 * '\\' (the array literal's only escapes inside quotes). */
void
store_arr_text_n(strbuf_t *a, const char *v, size_t len)
{
	store_arr_next(a);
	strbuf_add(a, "\"", 1);
	const char *run = v;
	for (const char *p = v; p < v + len; p++) {
		if (*p != '"' && *p != '\\')
			continue;
		strbuf_add(a, run, (size_t)(p - run));
		strbuf_add(a, "\\", 1);
		run = p;
	}
	strbuf_add(a, run, (size_t)(v + len - run));
	strbuf_add(a, "\"", 1);
}

void
store_arr_text(strbuf_t *a, const char *v)
{
	if (v != NULL) {
		store_arr_text_n(a, v, strlen(v));
		return;
	}
	store_arr_next(a);
	strbuf_add(a, "NULL", 4);
}

void
store_arr_bind(db_stmt_t *st, int i, strbuf_t *a)
{
	strbuf_add(a, a->len == 0 ? "{}" : "}", a->len == 0 ? 2 : 1);
	db_bind_text(st, i, a->data);
	free(a->data);
	*a = (strbuf_t){0};
}

const char store_batch_pg_runs[] =
    "UPDATE runs SET status = COALESCE(v.status, runs.status),"
    " started_ms = COALESCE(v.started_ms, runs.started_ms),"
    " ended_ms = COALESCE(v.ended_ms, runs.ended_ms),"
    " hosts_ok = COALESCE(v.hosts_ok, runs.hosts_ok),"
    " hosts_failed = COALESCE(v.hosts_failed, runs.hosts_failed),"
    " reason = COALESCE(v.reason, runs.reason)"
    " FROM unnest(CAST($1 AS TEXT[]), CAST($2 AS BIGINT[]), CAST($3 AS BIGINT[]),"
    " CAST($4 AS BIGINT[]), CAST($5 AS BIGINT[]), CAST($6 AS BIGINT[]), CAST($7 AS TEXT[]))"
    " AS v (id, status, started_ms, ended_ms, hosts_ok, hosts_failed, reason)"
    " WHERE runs.id = v.id";
const char store_batch_pg_steps[] =
    "UPDATE step_runs SET status = v.status, exit_code = v.exit_code, signal = v.signal,"
    " started_ms = v.started_ms, ended_ms = v.ended_ms, detail = v.detail,"
    " dispatched = CASE WHEN v.sent = 2 THEN 1 ELSE step_runs.dispatched END"
    " FROM unnest(CAST($1 AS BIGINT[]), CAST($2 AS BIGINT[]), CAST($3 AS BIGINT[]),"
    " CAST($4 AS BIGINT[]), CAST($5 AS BIGINT[]), CAST($6 AS BIGINT[]), CAST($7 AS TEXT[]),"
    " CAST($8 AS BIGINT[]))"
    " AS v (id, status, exit_code, signal, started_ms, ended_ms, detail, sent)"
    " WHERE step_runs.id = v.id";

/* The statement at *cache, prepared on first use (the connection owns
 * it). NULL with the turn failed. */
static db_stmt_t *
store_batch_pg_stmt(store_t *s, db_stmt_t **cache, const char *sql)
{
	if (*cache != NULL) {
		db_reset(*cache);
		return *cache;
	}
	*cache = db_prepare(s->db, sql);
	if (*cache == NULL) {
		log_error("store: cannot prepare %.40s: %s", sql, db_errmsg(s->db));
		store_note_error(s);
		s->failed = true;
	}
	return *cache;
}

static int
store_batch_pg_write_runs(store_t *s)
{
	store_batch_t *b = s->batch;
	db_stmt_t *st = store_batch_pg_stmt(s, &b->runs_unnest, store_batch_pg_runs);
	if (st == NULL)
		return -1;
	strbuf_t col[7] = {{0}};
	for (size_t i = 0; i < b->run_count; i++) {
		const store_batch_run_t *r = &b->runs[i];
		store_arr_text(&col[0], r->run_id);
		store_arr_int(&col[1], r->has_state, r->status);
		store_arr_int(&col[2], r->has_state, r->started_ms);
		store_arr_int(&col[3], r->has_state, r->ended_ms);
		store_arr_int(&col[4], r->has_outcome, r->hosts_ok);
		store_arr_int(&col[5], r->has_outcome, r->hosts_failed);
		store_arr_text(&col[6], r->has_outcome ? r->reason : NULL);
	}
	for (int c = 0; c < 7; c++)
		store_arr_bind(st, c + 1, &col[c]);
	return store_done(s, st);
}

static int
store_batch_pg_write_steps(store_t *s)
{
	store_batch_t *b = s->batch;
	db_stmt_t *st = store_batch_pg_stmt(s, &b->steps_unnest, store_batch_pg_steps);
	if (st == NULL)
		return -1;
	strbuf_t col[8] = {{0}};
	for (size_t i = 0; i < b->step_count; i++) {
		const store_batch_step_t *e = &b->steps[i];
		store_arr_int(&col[0], true, e->row);
		store_arr_int(&col[1], true, e->status);
		store_arr_int(&col[2], true, e->exit_code);
		store_arr_int(&col[3], true, e->signal);
		store_arr_int(&col[4], true, e->started_ms);
		store_arr_int(&col[5], true, e->ended_ms);
		store_arr_text(&col[6], e->detail);
		/* As store_batch_write_steps says. */
		store_arr_int(&col[7], true,
		              e->dispatched ? ROTA__STEP_STATUS__STEP_DISPATCHED : e->status);
	}
	for (int c = 0; c < 8; c++)
		store_arr_bind(st, c + 1, &col[c]);
	return store_done(s, st);
}

/* The turn's events in one INSERT, each column an array: unnest() hands
 * the rows out in the arrays' order, so their ids rise in the order the
 * events were made, as with the VALUES lists (128 rows, 768 parameters,
 * a statement). */
static const char store_batch_pg_events[] =
    "INSERT INTO events (at_ms, kind, run_id, ref, status, subject)"
    " SELECT * FROM unnest(CAST($1 AS BIGINT[]), CAST($2 AS BIGINT[]), CAST($3 AS TEXT[]),"
    " CAST($4 AS BIGINT[]), CAST($5 AS BIGINT[]), CAST($6 AS TEXT[]))";

static int
store_batch_pg_write_events(store_t *s)
{
	store_batch_t *b = s->batch;
	db_stmt_t *st = store_batch_pg_stmt(s, &b->events_unnest, store_batch_pg_events);
	if (st == NULL)
		return -1;
	strbuf_t col[6] = {{0}};
	for (size_t i = 0; i < b->event_count; i++) {
		const store_batch_event_t *e = &b->events[i];
		store_arr_int(&col[0], true, e->at_ms);
		store_arr_int(&col[1], true, e->kind);
		store_arr_text(&col[2], e->run_id);
		store_arr_int(&col[3], true, e->ref); /* the column's default is 0 */
		store_arr_int(&col[4], true, e->status);
		store_arr_text(&col[5], e->subject);
	}
	for (int c = 0; c < 6; c++)
		store_arr_bind(st, c + 1, &col[c]);
	return store_done(s, st);
}

/* Writes the held rows, STORE_BATCH_ROW_UPDATES to a statement (on
 * PostgreSQL all of a table's in one). */
static int
store_batch_write_rows(store_t *s)
{
	store_batch_t *b = s->batch;
	if (store_is_postgresql(s)) {
		int rc = b->run_count > 0 ? store_batch_pg_write_runs(s) : 0;
		if (rc == 0 && b->step_count > 0)
			rc = store_batch_pg_write_steps(s);
		return rc;
	}
	int rc = 0;
	for (size_t at = 0; at < b->run_count && rc == 0; at += STORE_BATCH_ROW_UPDATES) {
		size_t n = b->run_count - at;
		rc = store_batch_write_runs(
		    s, &b->runs[at], n < STORE_BATCH_ROW_UPDATES ? n : STORE_BATCH_ROW_UPDATES);
	}
	for (size_t at = 0; at < b->step_count && rc == 0; at += STORE_BATCH_ROW_UPDATES) {
		size_t n = b->step_count - at;
		rc = store_batch_write_steps(
		    s, &b->steps[at], n < STORE_BATCH_ROW_UPDATES ? n : STORE_BATCH_ROW_UPDATES);
	}
	return rc;
}

int
store_batch_flush(store_t *s, unsigned what)
{
	store_batch_t *b = s->batch;
	int rc = 0;
	/* New rows first: the held updates may be of them. */
	if ((what & (STORE_BATCH_ADDS | STORE_BATCH_ROWS)) && store_adds_count(s->adds) > 0)
		rc = store_adds_flush(s);
	if ((what & STORE_BATCH_ROWS) && (b->run_count > 0 || b->step_count > 0)) {
		if (rc == 0)
			rc = store_batch_write_rows(s);
		for (size_t i = 0; i < b->run_count; i++) {
			free(b->runs[i].run_id);
			free(b->runs[i].reason);
		}
		for (size_t i = 0; i < b->step_count; i++)
			free(b->steps[i].detail);
		b->run_count = b->step_count = 0;
		if (b->run_slots)
			memset(b->run_slots, 0, b->run_slot_cap * sizeof(*b->run_slots));
		if (b->step_slots)
			memset(b->step_slots, 0, b->step_slot_cap * sizeof(*b->step_slots));
	}
	if ((what & STORE_BATCH_EVENTS) && b->event_count > 0) {
		if (rc == 0)
			rc = store_is_postgresql(s) ? store_batch_pg_write_events(s)
			                            : store_batch_write_events(s);
		for (size_t i = 0; i < b->event_count; i++) {
			free(b->events[i].run_id);
			free(b->events[i].subject);
		}
		b->event_count = 0;
	}
	return rc;
}

void
store_batch_before(store_t *s, unsigned touches)
{
	store_batch_t *b = s->batch;
	unsigned due = 0;
	if ((touches & (STORE_BATCH_ADDS | STORE_BATCH_ROWS)) && store_adds_count(s->adds) > 0)
		due |= STORE_BATCH_ADDS;
	if ((touches & STORE_BATCH_ROWS) && (b->run_count > 0 || b->step_count > 0))
		due |= STORE_BATCH_ROWS;
	if ((touches & STORE_BATCH_EVENTS) && b->event_count > 0)
		due |= STORE_BATCH_EVENTS;
	if (due != 0)
		store_batch_flush(s, due); /* a failure marks the turn failed */
}
