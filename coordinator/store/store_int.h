/* store_int: the store room's internal header, shared by store.c,
 * store_schema.c, store_write.c, store_query.c and the modules that keep
 * the other rooms' tables (store_incidents.c, store_outbox.c,
 * store_audit.c). Nothing outside coordinator/store/ includes it: other
 * rooms see only store.h, so the database (SQLite or PostgreSQL, behind
 * db.h) stays behind the store's functions. The store's own unit tests
 * may, for what only its internals show (a statement's plan).
 *
 * Must never: be included from another room. */
#ifndef ROTA_STORE_INT_H
#define ROTA_STORE_INT_H

#include <stdbool.h>

#include "db.h"
#include "store.h"
#include "store_codec.h"
#include "store_row.h"
#include "strbuf.h"

/* The statements prepared at open (store_schema.c), by name. */
enum {
	Q_RUN_INSERT,
	Q_STEP_INSERT,
	Q_STEP_OUTPUT_STATE,
	Q_STEP_OUTPUT_SET,
	Q_STEP_FIND,
	Q_OUTPUT_INSERT,
	Q_WORKER_UPSERT,
	Q_RUNS_LIST,
	Q_RUN_GET,
	Q_RUN_HOSTS,
	Q_STEPS_OF_RUN,
	Q_STEP_TAIL,
	Q_LOGS,
	Q_LOGS_HOST,
	Q_WORKERS_LIST,
	Q_WORKER_DELETE,
	Q_ACTIVE_STEPS,
	Q_RUN_RUNBOOK,
	Q_RUN_MATCH,
	Q_RUN_LAST,
	Q_RUN_HOST_LIST,
	Q_RUNBOOK_SAVE,
	Q_RUNBOOK_BY_PATH,
	Q_RUNBOOK_DELETE,
	Q_RUNBOOK_PATH_OTHERS,
	Q_RUNBOOK_LIST,
	Q_SCHEDULE_PUT,
	Q_SCHEDULE_GET,
	Q_SCHEDULE_DELETE,
	Q_SCHEDULE_LIST,
	Q_RUN_YAML,
	Q_RUN_CANCEL,
	Q_COUNT
};
/* A statement in both dialects: pg NULL when sql is valid PostgreSQL too
 * (db_prepare2). */
typedef struct {
	const char *sql;
	const char *pg;
} store_sql_t;
extern const store_sql_t store_sql[Q_COUNT];

/* Step run ids taken from the sequence in one round trip (store_write.c).
 * The query is waited for in the middle of a turn, so it also waits for a
 * COMMIT in flight (coordinator_commit.c): a block of 256 made one turn
 * in three of the throughput scenario lose its overlap; 4,096 ids is
 * about one a second at 5,000 steps/s, for 32 KiB here and a gap of at
 * most that many ids at a restart. */
#define STORE_STEP_IDS 4096
#define STORE_STEP_IDS_TEXT "4096"

/* Enough for every module's statements; store_stmt logs and fails past it. */
#define STORE_EXTRA_MAX 128

/* The turn's writes held until its end (store_batch.c). */
typedef struct store_batch store_batch_t;
/* What a statement's SQL names, of the tables whose writes are held:
 * runs or step_runs (STORE_BATCH_ROWS), events (STORE_BATCH_EVENTS). */
#define STORE_BATCH_ROWS 1u
#define STORE_BATCH_EVENTS 2u
/* Names runs, step_runs (step_run: outputs' and output_text's key) or
 * audit: the new rows held on PostgreSQL (store_adds.c) go first. */
#define STORE_BATCH_ADDS 4u
/* The turn's new runs, step runs and audit rows on PostgreSQL
 * (store_adds.c). */
typedef struct store_adds store_adds_t;

struct store {
	db_t *db;                    /* owned */
	db_stmt_t *q[Q_COUNT];       /* owned, prepared at open */
	unsigned q_touches[Q_COUNT]; /* store_batch_touches of each */
	store_batch_t *batch;        /* owned: the turn's held writes */
	store_adds_t *adds;          /* owned: the turn's held new rows */
	/* The maintenance windows store_maint_list read in this turn
	 * (store_maint.c): rows ending after maint_after, up to maint_limit;
	 * forgotten at every commit or rollback and at every write of a
	 * window. */
	store_maint_t *maint_rows; /* owned, maint_count of them */
	size_t maint_count, maint_limit;
	int64_t maint_after;
	bool maint_held;
	/* Statements of the modules that keep their own SQL (store_stmt),
	 * prepared on first use and found by their text's address. */
	struct {
		const char *sql;
		db_stmt_t *st; /* owned */
		unsigned touches;
	} extra[STORE_EXTRA_MAX];
	size_t extra_count;
	bool in_tx;
	/* SQLite: the WAL's checkpoints off the loop's thread
	 * (store_checkpoint.c); NULL when not started. Owned. */
	store_checkpointer_t *checkpointer;
	/* A write of this turn failed: the turn must not commit, so that no
	 * half-recorded change is acknowledged. */
	bool failed;
	/* The engine's word for the turn's first failure ("database is locked"),
	 * for the answers withheld with it (store_last_error). */
	char why[256];
	/* The lease's epoch this connection writes under (store_lease.c):
	 * store_commit runs the fence with it; 0: not leading. */
	uint64_t fence_epoch;
	bool deposed; /* the last commit was refused by the fence */
	/* A COMMIT sent by store_commit_start, its outcome not yet taken
	 * by store_commit_finish. */
	bool inflight;
	/* PostgreSQL: step run ids taken ahead from step_runs' sequence
	 * (store_write.c), the next at step_ids[step_id_next], and the epoch
	 * they were taken under (a new lease takes a new block, so that ids
	 * keep rising across leaders). */
	int64_t step_ids[STORE_STEP_IDS];
	size_t step_id_next, step_id_count;
	uint64_t step_ids_epoch;
	/* Output chunks queued for the search index since open (store_search.c). */
	uint64_t search_queued;
};

/* Runs the migrations from the file's version to STORE_SCHEMA_VERSION
 * (store_schema.c, SQLite). -1 with *error (caller frees). */
int store_migrate(store_t *s, char **error);
/* Checks, inside the open transaction, that fence_epoch is still the
 * lease's (store_lease.c); store_commit calls it before COMMIT. 0, or -1
 * with deposed set and why filled: roll back. */
int store_lease_fence(store_t *s);
/* After a COMMIT failed: true (deposed set, why filled) when the fence
 * refused it on the server (store_lease.c). */
bool store_lease_fenced(store_t *s, const char *error);
/* The same for a PostgreSQL database (store_schema_pg.c), and its schema
 * version (the same numbers as SQLite's user_version; -1 when it cannot be
 * read). */
int store_migrate_pg(store_t *s, char **error);
int store_schema_version_pg(store_t *s);
/* Keeps the engine's message for the turn's first failure. */
void store_note_error(store_t *s);
/* db_exec with the error logged and noted. */
int store_exec(store_t *s, const char *sql);
/* The prepared statement which (a Q_ value), reset and unbound. */
db_stmt_t *store_q(store_t *s, int which);
/* Steps a statement that returns no rows and resets it; on failure logs,
 * notes the error, marks the open turn failed and returns -1. */
int store_done(store_t *s, db_stmt_t *st);

/* The event rows of the writers' changes (store_events.c), in the open
 * turn: an output chunk just inserted (its step run and seq), a step run's
 * new status (run_id NULL: read from the row), a run's, a worker's state
 * (a row only when it changes: call it before the workers row is
 * written). 0, or -1 with the turn failed. A step's, a run's and an
 * incident's are held for the turn's end (store_batch_event). */
int store_event_output(store_t *s, int64_t step_row, int64_t seq, int64_t at_ms);
int store_event_step(store_t *s, const char *run_id, int64_t step_row, int status);
int store_event_run(store_t *s, const char *run_id, int status);
int store_event_worker(store_t *s, const char *id, const char *state);
/* An incident opened ("triggered"), acknowledged or resolved. */
int store_event_incident(store_t *s, const char *id, const char *status);

/* Statements outside the Q_ table (store_incidents.c, store_outbox.c,
 * store_audit.c, a rare query here), passed as a string with static
 * storage: prepared once on first use, kept (the store finalizes them) and
 * found again by that address. A writer calls store_begin first, like the
 * store's own writers, so its rows commit with the loop's turn. NULL
 * (logged, and the open turn marked failed) if it cannot be prepared. */
db_stmt_t *store_stmt(store_t *s, const char *sql);
/* The same, with the statement's PostgreSQL dialect (db_prepare2). */
db_stmt_t *store_stmt2(store_t *s, const char *sql, const char *pg_sql);
/* Steps a statement that returns no rows and resets it; on failure logs,
 * marks the open turn failed (it will not commit) and returns -1. */
int store_stmt_done(store_t *s, db_stmt_t *st);
/* Queues a just-stored output chunk (its step run and seq) for the search
 * index, in the turn that stores it (store_search.c); store_search_feed
 * indexes it later. 0, or -1 (the turn failed). */
int store_search_enqueue(store_t *s, int64_t row, int64_t seq);
/* One parameter of a write, in the order of the statement's `?`s:
 * STORE_TEXT(x) (NULL binds NULL) or STORE_INT(x). */
typedef struct {
	bool is_text;
	const char *text;
	int64_t num;
} store_arg_t;
#define STORE_TEXT(x) ((store_arg_t){.is_text = true, .text = (x)})
#define STORE_INT(x) ((store_arg_t){.num = (int64_t)(x)})
#define STORE_ARGS(...)                                                                            \
	(store_arg_t[]){__VA_ARGS__}, sizeof((store_arg_t[]){__VA_ARGS__}) / sizeof(store_arg_t)
/* The whole of a writer that is one statement: opens the turn, binds args
 * and steps the statement, a Q_ one (store_write_q) or one of a module's
 * own (store_write_sql, as store_stmt). 0, or -1 with the turn failed.
 * STORE_WRITE_Q(s, Q_RUN_CANCEL, STORE_TEXT(reason), STORE_TEXT(id)). */
int store_write_q(store_t *s, int which, const store_arg_t *args, size_t n);
int store_write_sql(store_t *s, const char *sql, const store_arg_t *args, size_t n);
#define STORE_WRITE_Q(s, which, ...) store_write_q((s), (which), STORE_ARGS(__VA_ARGS__))
#define STORE_WRITE_SQL(s, sql, ...) store_write_sql((s), (sql), STORE_ARGS(__VA_ARGS__))
/* A query that stepped to an error: logs, resets, marks the turn failed. */
void store_stmt_failed(store_t *s, db_stmt_t *st);
/* Steps an INSERT ... RETURNING id, bound, whose one row is read: the id
 * into *id and the statement stepped to its end and reset. 0, or -1 as
 * store_stmt_failed. */
int store_returning_id(store_t *s, db_stmt_t *st, int64_t *id);
/* Fills row (one zeroed element of a list's array) from the statement's
 * current row; ctx is the caller's. */
typedef void (*store_row_fn)(db_stmt_t *st, void *row, void *ctx);
/* The one loop of a list query: steps the bound statement st to its end,
 * appending to the array *rows (rows is a T **, count its length; grown as
 * needed, the caller's with what each put in it) one zeroed element of
 * size bytes a row, filled by each. The last db_step code: DB_DONE, or the
 * error, which the caller reports its own way; st is not reset. */
int store_rows(db_stmt_t *st, void *rows, size_t *count, size_t size, store_row_fn each, void *ctx);

/* ---- the turn's held writes (store_batch.c) ----
 * A run's update and outcome, a step run's update and the event rows of
 * the turn are held, by row, and written at its commit, or before any
 * statement whose SQL names their tables (store_batch_before). */
store_batch_t *store_batch_new(void);
void store_batch_destroy(store_batch_t **bp);
/* Forgets what is held (after a commit or a rollback). */
void store_batch_clear(store_batch_t *b);
/* Forgets the maintenance windows kept for the turn (store_maint.c). */
void store_maint_forget(store_t *s);
/* STORE_BATCH_ROWS | STORE_BATCH_EVENTS: what the SQL names. */
unsigned store_batch_touches(const char *sql);
/* Writes what is held of what `touches` names; a failure marks the turn
 * failed. store_q, store_stmt and store_exec call it. */
void store_batch_before(store_t *s, unsigned touches);
/* Writes what is held of `what` now. 0, or -1 with the turn failed. */
int store_batch_flush(store_t *s, unsigned what);
/* Holds a run's state (status, started_ms, ended_ms), its outcome (hosts
 * ok and failed, a reason: NULL keeps the row's), a step run's update,
 * an event row (ref 0: none; NULL texts are NULL). The caller has opened the
 * turn. 0. */
int store_batch_run(store_t *s, const char *run_id, int status, int64_t started_ms,
                    int64_t ended_ms);
int store_batch_outcome(store_t *s, const char *run_id, uint32_t hosts_ok, uint32_t hosts_failed,
                        const char *reason);
int store_batch_step(store_t *s, int64_t row, const store_step_state_t *st);
int store_batch_event(store_t *s, int64_t at_ms, int kind, const char *run_id, int64_t ref,
                      int status, const char *subject);

/* ---- PostgreSQL array literals (store_batch.c) ----
 * A column of held rows as one array parameter: an element (an integer,
 * NULL when !set; a text, NULL for NULL; a text of len bytes), then the
 * array bound at parameter i and its buffer freed ("{}" when empty). */
void store_arr_int(strbuf_t *a, bool set, int64_t v);
void store_arr_text(strbuf_t *a, const char *v);
void store_arr_text_n(strbuf_t *a, const char *v, size_t len);
void store_arr_bind(db_stmt_t *st, int i, strbuf_t *a);
/* The turn's held updates of runs (7 columns, the first the run's id) and
 * of step runs (8, the first the row's id), as PostgreSQL runs them (its
 * schema test explains their plans). */
extern const char store_batch_pg_runs[];
extern const char store_batch_pg_steps[];

/* ---- the turn's new rows, held on PostgreSQL (store_adds.c) ----
 * A run's, a step run's (its id given) and an audit row's INSERT, held to
 * the turn's end like its updates and written as one INSERT ... SELECT
 * FROM unnest() a table, before anything that names those tables. */
store_adds_t *store_adds_new(void);
void store_adds_destroy(store_adds_t **ap);
/* Forgets what is held (after a commit or a rollback). */
void store_adds_clear(store_adds_t *a);
/* Rows held. */
size_t store_adds_count(const store_adds_t *a);
/* Writes every held row: runs, then step runs, then audit rows, each in
 * the order held. 0, or -1 with the turn failed. */
int store_adds_flush(store_t *s);
int store_adds_run(store_t *s, const store_run_t *run);
int store_adds_step(store_t *s, int64_t id, const char *run_id, const char *step_id,
                    const char *host, uint32_t attempt, uint32_t position, int status,
                    const uint8_t *spec, size_t spec_len);
/* Folds a run's update (its state columns) into its held INSERT: true
 * when run_id is held, false when it is not (the caller holds the update,
 * store_batch_run). */
bool store_adds_run_update(store_t *s, const char *run_id, int status, int64_t started_ms,
                           int64_t ended_ms);
/* Folds a step run's update into its held INSERT: true when row id is
 * held (then nothing else is to be written for the update but its
 * event), false when it is not. */
bool store_adds_step_update(store_t *s, int64_t id, const store_step_state_t *st);
/* Each text cut as store_bind_text_cut cuts it (store_text_cut). */
int store_adds_audit(store_t *s, const store_audit_entry_t *e, size_t text_max);

#endif
