/* store: the coordinator's database: a SQLite file in the data directory
 * (WAL mode), or a PostgreSQL database shared by several coordinators.
 *
 * Schema versioned with forward migrations run at open. Writes are
 * grouped: the loop calls store_begin lazily through every writer and
 * store_commit once at the end of its turn, and only then tells anyone
 * (ResultAck, API responses) what changed. Queries fill protobuf messages
 * whose every field is malloc'd, so the caller frees a whole answer with
 * the message's free_unpacked.
 *
 * This is also the store room's public header: other rooms include it
 * (storelock.h, store_incidents.h, store_outbox.h and store_audit.h come
 * with it), never the room's other headers. No SQL, no sqlite3.h and no
 * libpq outside coordinator/store/.
 *
 * Must never: leave a transaction open across a loop turn, or report a
 * state change it did not commit. */
#ifndef ROTA_STORE_H
#define ROTA_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rota.pb-c.h"

/* Where the store is (store_open, store_outbox_open). */
typedef struct store_options {
	const char *target;        /* a file path, or a postgresql:// URL */
	const char *password_file; /* PostgreSQL only; NULL: libpq's own */
} store_options_t;

#include "store_audit.h"
#include "store_import.h"
#include "store_incidents.h"
#include "store_notes.h"
#include "store_oncall.h"
#include "store_outbox.h"
#include "store_prune.h"
#include "store_values.h"
#include "store_web.h"
#include "store_maint.h"
#include "store_stats.h"
#include "storelock.h"

#define STORE_SCHEMA_VERSION 19
/* How long a write waits for another process holding the file (an operator's
 * sqlite3 shell): the loop stalls meanwhile, so keep it short. */
#define STORE_BUSY_TIMEOUT_MS 2000

typedef struct store store_t;

/* Opens (a SQLite file: creating it if needed) and migrates the store
 * o->target names. On failure returns NULL and sets *error to a message
 * the caller frees (naming the target without any password). */
store_t *store_open(const store_options_t *o, char **error);
/* A SQLite store's WAL checkpoints, taken from now on by a thread with a
 * connection of its own whenever the WAL reaches STORE_CHECKPOINT_PAGES,
 * not by the commit that took it there (the loop's: store_checkpoint.c
 * says why). Nothing for PostgreSQL. Stopped by store_destroy. 0, or -1
 * with *error (the caller frees). */
#define STORE_CHECKPOINT_PAGES 1000
typedef struct store_checkpointer store_checkpointer_t;
int store_checkpointer_start(store_t *s, char **error);
void store_checkpointer_stop(store_t *s);
/* The checkpoints the thread has taken (0 when not started). */
uint64_t store_checkpoints(store_t *s);
/* True when the store is a PostgreSQL database (no file, no WAL, no
 * backup: what is SQLite-only is skipped). */
bool store_is_postgresql(const store_t *s);
void store_destroy(store_t **sp);
/* Copies the whole store, as this connection sees it (the WAL included),
 * to a new file dest with SQLite's backup API: a way to keep what a
 * deleted store file still holds. Call it between turns (no transaction
 * open); it blocks for as long as the copy takes. 0, or -1 with *error
 * (the caller frees). SQLite only: -1 on PostgreSQL. */
int store_backup(store_t *s, const char *dest, char **error);
int store_schema_version(store_t *s);

/* Opens the turn's transaction if none is open; every writer calls it. */
int store_begin(store_t *s);
/* Commits the open transaction, if any. -1 when the commit failed or any
 * write of the turn failed: then everything of the turn is rolled back and
 * the caller must not tell anyone of it. */
int store_commit(store_t *s);
/* store_commit in two halves, so that the loop reads the next turn while
 * the server commits this one (PostgreSQL; on SQLite the start commits
 * and the finish returns 0). store_commit_start: -1 as store_commit when
 * the turn fails before its COMMIT is sent. store_commit_finish: the
 * COMMIT's outcome (0 when none is in flight); on a failure, what was
 * begun since (the next turn rests on this one) is rolled back with it.
 * Between the two, store_commit fails (a turn in flight is finished
 * first: its answers go before the next turn's); other calls may run,
 * waiting for the COMMIT's answer first. */
int store_commit_start(store_t *s);
int store_commit_finish(store_t *s);
bool store_commit_inflight(const store_t *s);
/* Writes what the turn held back now, inside its transaction, without
 * committing: on PostgreSQL the statements are sent and left, so with the
 * turn before still committing the server takes them up right after its
 * COMMIT instead of waiting for this turn's end. 0, or -1 with the turn
 * failed (store_commit_start then refuses it). */
int store_send_held(store_t *s);
/* The descriptor that becomes readable when the COMMIT in flight is
 * answered; -1 on SQLite. */
int store_socket(store_t *s);
bool store_in_transaction(const store_t *s);
/* After store_commit failed: the database's message for the turn's first failure
 * ("database is locked", "database or disk is full"); borrowed until the
 * next commit. */
const char *store_last_error(const store_t *s);
/* True once a write of the open turn has failed (the commit will refuse). */
bool store_failed(const store_t *s);
bool store_run_exists(store_t *s, const char *run_id);
/* Statements this connection has run since it was opened (db_statements). */
uint64_t store_statements(const store_t *s);
/* Statements this connection has prepared since it was opened (db_prepares). */
uint64_t store_prepares(const store_t *s);

/* Increments and returns the coordinator epoch (committed at once). */
int store_epoch_next(store_t *s, uint64_t *epoch);

typedef struct {
	const char *id;
	const char *runbook;
	const char *runbook_yaml;
	const char *params_json;
	int status; /* Rota__RunStatus */
	int64_t created_ms;
	const char *trigger; /* "manual" (NULL) or "schedule" */
	const char *reason;  /* why it failed or was skipped before any step; may be NULL */
	int64_t slot_ms;     /* schedule: the slot it fired for */
	int64_t started_ms;
	int64_t ended_ms; /* a run recorded already over (skipped, no targets) */
} store_run_t;

int store_run_insert(store_t *s, const store_run_t *run);
int store_run_update(store_t *s, const char *run_id, int status, int64_t started_ms,
                     int64_t ended_ms);

/* Inserts a step run; *row is its id, the handle for later updates. spec is
 * the packed StepSpec the step is dispatched with. */
int store_step_insert(store_t *s, const char *run_id, const char *step_id, const char *host,
                      uint32_t attempt, uint32_t position, int status, const uint8_t *spec,
                      size_t spec_len, int64_t *row);
typedef struct {
	/* The step run's run: its event is then held to the turn's end with
	 * the others; NULL reads it from the row, a statement of its own. */
	const char *run_id;
	int status;
	int exit_code;
	int signal;
	int64_t started_ms;
	int64_t ended_ms;
	const char *detail; /* may be NULL */
} store_step_state_t;
int store_step_update(store_t *s, int64_t row, const store_step_state_t *st);

/* The step run of a key. 0 with *row, 1 when there is none, -1 on error. */
int store_step_find(store_t *s, const char *run_id, const char *step_id, const char *host,
                    uint32_t attempt, int64_t *row);

/* What became of an output chunk. */
typedef enum {
	STORE_OUTPUT_STORED,    /* the next in seq order: kept, or cut by the cap */
	STORE_OUTPUT_DUPLICATE, /* its seq is already accounted for */
	STORE_OUTPUT_AHEAD,     /* an earlier seq is missing: not stored */
	STORE_OUTPUT_REFUSED,   /* the step run was never dispatched (or seq 0) */
} store_output_t;

/* Records one output chunk of step run row, in seq order only, so the lines
 * of a step are stored (and listed) in the order the worker read them: seq
 * must be the one after the step's output_seq. At most cap bytes are kept
 * per step: the chunk that crosses it is cut, a system line saying so is
 * stored once (under seq 0), and later chunks are accounted for without
 * being kept. *recorded is the step's output_seq afterwards: every chunk up
 * to it is accounted for. -1 on a store error (the turn will not commit). */
int store_output_append(store_t *s, int64_t row, uint64_t seq, int stream, const uint8_t *data,
                        size_t len, uint64_t cap, int64_t at_ms, store_output_t *outcome,
                        uint64_t *recorded);
/* The step run's output_seq (see store_output_append). */
int store_output_seq(store_t *s, int64_t row, uint64_t *seq);
/* step_runs.output_truncated is non-zero when the step's output is not
 * whole: STORE_OUTPUT_CUT past the cap (later chunks are counted, not
 * kept), STORE_OUTPUT_LOST some chunks never came. */
#define STORE_OUTPUT_CUT 1
#define STORE_OUTPUT_LOST 2
/* Gives up on the chunks after the step's output_seq up to upto: stores a
 * system line saying they are lost, sets output_truncated, and moves
 * output_seq to upto. why (NULL or "": not known) is the worker's reason
 * (its Result.spool_error); sent_bytes (0: not known) the data bytes the
 * worker sent in chunks 1..upto, so the line says how many bytes are lost. */
int store_output_lost(store_t *s, int64_t row, uint64_t upto, uint64_t sent_bytes, const char *why,
                      int64_t at_ms);

int store_worker_upsert(store_t *s, const char *id, const char *hostname, const char *labels,
                        const char *version, const char *state, int64_t last_seen_ms);
/* Forgets a worker (rota workers remove) in the turn's transaction; its
 * past step runs keep its id as their host. 0 also when there was no row. */
int store_worker_delete(store_t *s, const char *id);

/* Which runs store_runs_find returns: NULL, "" and 0 are "any" (status
 * 0 is RUN_STATUS_UNSPECIFIED, which no run has). before: a run id, for the runs older than it (the
 * next page). The one place the filters are read, for the CLI and the HTTP API alike. */
typedef struct {
	const char *runbook;
	int status;
	const char *trigger; /* "manual" also matches runs recorded with none */
	const char *host;
	int64_t since_ms;
	int64_t until_ms;
	const char *before;
} store_runs_filter_t;

/* Answers for the operator API. Return 0, or -1 on a store error. */
int store_runs_list(store_t *s, uint32_t limit, Rota__ListRunsResponse *out);
/* The newest limit runs that pass f (NULL: every run), newest first.
 * out->next_before is the id to pass as before for the next page ("" after
 * the last). */
int store_runs_find(store_t *s, const store_runs_filter_t *f, uint32_t limit,
                    Rota__ListRunsResponse *out);

/* ---- history and search (store_history.c, store_search.c) ---- */

/* What the runs of runbook created at or after since_ms came to: counts by
 * outcome, p50/p95 of the finished runs' durations, the hosts and steps
 * the failed runs failed on, and the last failure's reason. 0, or -1. */
int store_history(store_t *s, const char *runbook, int64_t since_ms, Rota__HistoryResponse *out);

/* A search over stored step output: text is a phrase (its words, in
 * order, as whole words, case-insensitive). */
typedef struct {
	const char *text;
	const char *runbook; /* NULL or "": any */
	const char *host;    /* NULL or "": any */
	int64_t since_ms;    /* output stored at or after; 0: any */
	uint32_t limit;      /* hits at most; more says when there were more */
	uint32_t context;    /* lines of context either side of a hit */
} store_search_t;
/* A hit's line and each line of its context is cut to this many bytes. */
#define STORE_SEARCH_LINE_MAX 1024
/* The newest hits first, each a matching line with its context. 0, 1 when
 * text has no word to search for, -1 on a store error. */
int store_search(store_t *s, const store_search_t *q, Rota__SearchResponse *out);
/* The search index is fed after the turn that stores output, not in it:
 * that turn only queues each chunk (search_queue, one integer row), and
 * store_search_feed indexes queued chunks later, oldest first, a batch at
 * a time (the indexer module decides when). Output stored before the
 * index existed is queued by the migration that made the queue, so the
 * same batches index it. A search finds a chunk once it has been fed. */
/* Indexes up to rows queued chunks in the open transaction (opens one;
 * the caller commits): each one's text into output_text, the engine's
 * index with it; a chunk retention removed meanwhile is only dequeued.
 * How many it took from the queue (fewer than rows: the queue is empty
 * now), or -1 (the transaction failed). */
int store_search_feed(store_t *s, uint32_t rows);
/* How many chunks wait to be indexed (a count of the queue). 0, or -1. */
int store_search_backlog(store_t *s, int64_t *rows);
/* How many chunks this connection has queued since it was opened, turns
 * rolled back included: a change says there is new work, without a
 * query. */
uint64_t store_search_queued(const store_t *s);
/* Returns 1 when the run does not exist. */
/* A step's output preview in store_run_show is cut to its last
 * STORE_TAIL_MAX_BYTES, and the previews of one answer together to
 * STORE_SHOW_TAILS_MAX_BYTES (the steps after that get none), so a run of
 * a thousand chatty steps still fits one frame; a cut preview has tail_cut
 * set and the CLI says so. */
#define STORE_TAIL_MAX_BYTES 4096
#define STORE_SHOW_TAILS_MAX_BYTES (1024 * 1024)
int store_run_show(store_t *s, const char *run_id, uint32_t tail_lines, Rota__ShowRunResponse *out);
int store_run_summary(store_t *s, const char *run_id, Rota__RunSummary *out);
/* Frees the strings store_run_summary filled into a summary the caller
 * holds (not the summary itself). */
void store_run_summary_clear(Rota__RunSummary *sum);
int store_logs(store_t *s, const char *run_id, const char *host, uint64_t after, uint32_t limit,
               Rota__LogsResponse *out);
/* The event stream (store_events.c): every committed change a follower
 * can see is a row of `events`, written by the writers above in the same
 * transaction; its id is the cursor. store_events_last: the highest id
 * (0: none). store_events_read: the events after `after` and at most `upto`
 * (the last one known committed: rows of an open turn are never read), of
 * run_id only unless it is NULL or "", at most limit, oldest first; each a
 * whole Event (cursor, run_id, at_ms and its body; request_id 0) that the
 * caller frees with store_events_free. */
int store_events_last(store_t *s, uint64_t *cursor);
int store_events_read(store_t *s, uint64_t after, uint64_t upto, const char *run_id, uint32_t limit,
                      Rota__Event ***out, size_t *count);
void store_events_free(Rota__Event **evs, size_t count);
/* Every stored worker, for `rota workers` after a restart. */
int store_workers_list(store_t *s, Rota__ListWorkersResponse *out);
/* counts[status] = runs recorded with that Rota__RunStatus, for status < n. */
int store_runs_by_status(store_t *s, uint64_t *counts, size_t n);

/* A step run read back at start-up to resume runs that were in flight. */
typedef struct {
	int64_t row;
	char *run_id;
	char *step_id;
	char *host;
	uint32_t attempt;
	uint32_t position;
	int status;
	uint8_t *spec;
	size_t spec_len;
	int64_t started_ms;
	int64_t run_created_ms;
	int64_t run_started_ms;
} store_step_row_t;
/* Every step run of every run that is not finished, ordered by run, host,
 * position. The caller frees with store_step_rows_free. */
int store_active_steps(store_t *s, store_step_row_t **rows, size_t *count);
void store_step_rows_free(store_step_row_t *rows, size_t count);
/* Finds the run an operator means: its full id, a unique start or end of
 * it, or "last". 0 with *id (caller frees); 1 with *error (caller frees)
 * when none or several match. */
int store_run_resolve(store_t *s, const char *text, char **id, char **error);
/* "h1, h2" (caller frees): the hosts of a run; *has_host says whether host
 * is among them. */
char *store_run_hosts(store_t *s, const char *run_id, const char *host, bool *has_host);
/* Runbook name of a run, for resuming (caller frees), NULL if none. */
char *store_run_runbook(store_t *s, const char *run_id);
/* The YAML a run was started from and its trigger (both caller frees), and
 * whether it was cancelled. */
int store_run_yaml(store_t *s, const char *run_id, char **yaml, char **trigger, bool *cancelled);
/* Records that an operator (or a replacing slot) cancelled the run, so a
 * restarted coordinator goes on cancelling it. */
int store_run_cancel(store_t *s, const char *run_id, const char *reason);
/* The run's verdict when it ends: hosts ok and failed, and a reason (NULL
 * keeps the one recorded). */
int store_run_outcome(store_t *s, const char *run_id, uint32_t hosts_ok, uint32_t hosts_failed,
                      const char *reason);

/* The last good version of each runbook, so a file broken while the
 * coordinator was down does not take its runbook away. A path holds one
 * runbook: saving forgets another name saved from the same path. */
int store_runbook_save(store_t *s, const char *name, const char *path, const char *hash,
                       const char *yaml, int64_t loaded_ms);
/* store_runbook_save's two halves: the row saved (unchanged when its hash
 * and path are), and the other names saved from path forgotten. */
int store_runbook_put(store_t *s, const char *name, const char *path, const char *hash,
                      const char *yaml, int64_t loaded_ms);
int store_runbook_forget_path(store_t *s, const char *path, const char *name);
/* 0 with the strings (caller frees), 1 when none was saved from path. */
int store_runbook_by_path(store_t *s, const char *path, char **name, char **hash, char **yaml,
                          int64_t *loaded_ms);
int store_runbook_delete(store_t *s, const char *name);
/* Every saved runbook's name, path and hash, one call of fn each (borrowed
 * strings, valid during the call), in no order: one statement where a
 * look-up per runbook would be 100,000. 0, or -1 on a store error. */
typedef void (*store_runbook_row_fn)(void *ctx, const char *name, const char *path,
                                     const char *hash);
int store_runbook_list(store_t *s, store_runbook_row_fn fn, void *ctx);

/* A schedule's persisted state: the next slot to fire and the last one
 * fired. Written in the same transaction as the run a slot starts, so a
 * restart neither fires a slot twice nor forgets one. */
typedef struct {
	char *runbook;
	char *cron;
	char *timezone;
	int64_t next_ms;
	int64_t last_slot_ms;
	char *last_run_id; /* may be NULL */
} store_schedule_t;
int store_schedule_put(store_t *s, const store_schedule_t *sc);
/* 0 and *out filled (free with store_schedule_clear), 1 when none. */
int store_schedule_get(store_t *s, const char *runbook, store_schedule_t *out);
void store_schedule_clear(store_schedule_t *sc);
/* Every saved schedule, in no order: *out an array of *count (the caller
 * frees each with store_schedule_clear, then the array). 0, or -1. */
int store_schedule_list(store_t *s, store_schedule_t **out, size_t *count);
int store_schedule_delete(store_t *s, const char *runbook);

/* ---- online backup (store_backup.c; docs/operations.md) ----
 * `rota backup FILE`: the SQLite store copied in slices while the loop
 * works, then FILE.sha256 and FILE put in place. */
typedef struct store_backup store_backup_t;

/* What a finished backup (or a verified one) is. */
typedef struct {
	uint64_t bytes;
	uint64_t pages;
	int schema_version; /* the copy's own (SQLite's user_version) */
	uint64_t runs;      /* runs the copy holds */
	char sha256[65];    /* hex */
} store_backup_result_t;

/* On PostgreSQL, why rota makes no copy and what does. */
#define STORE_BACKUP_PG_HINT                                                                       \
	"this coordinator's store is a PostgreSQL database: rota does not copy it; back it up"     \
	" with pg_dump (pg_dump --format=custom --file=rota.dump DATABASE_URL) or the server's"    \
	" own backups (pg_basebackup and WAL archiving); docs/operations.md shows the commands"

/* Starts a backup of s to dest (an absolute path on this host): made as
 * dest.partial, new, 0600. NULL with *error (caller frees) when dest
 * exists, the partial cannot be made, or the store is PostgreSQL. The
 * backup borrows s: abort it before s is destroyed. */
store_backup_t *store_backup_begin(store_t *s, const char *dest, char **error);
/* One slice: copies (then hashes) about pages pages. Never with the turn's
 * transaction open. 1 more to do, 0 done (dest and dest.sha256 in place;
 * store_backup_result says what they are), -1 failed (*error, caller
 * frees; abort it, which removes the partial file). */
int store_backup_step(store_backup_t *b, int pages, char **error);
const store_backup_result_t *store_backup_result(const store_backup_t *b);
const char *store_backup_dest(const store_backup_t *b);
/* What the next slice does: "copy", "count", "checksum", "fsync", ... */
const char *store_backup_phase(const store_backup_t *b);
/* Ends the backup: a partial file is removed. Accepts NULL; nulls *bp. */
void store_backup_abort(store_backup_t **bp);
/* --restore's checks of copy, a copy of the backup file (whose checksum
 * is file.sha256): its checksum, SQLite's integrity check, a schema
 * version not newer than STORE_SCHEMA_VERSION, a runs table. 0 with *out,
 * or -1 with *error (caller frees) saying which check failed and why. */
int store_backup_verify(const char *copy, const char *file, store_backup_result_t *out,
                        char **error);

/* From now on this connection refuses every write (--read-only). */
int store_read_only(store_t *s);
/* A value of the meta table (the last backup's outcome, the last prune):
 * set in the turn's transaction. get sets *value to the key's value
 * (caller frees) or NULL when unset, and returns -1 when the read failed,
 * which an unset key must not be mistaken for. */
int store_meta_set(store_t *s, const char *key, const char *value);
int store_meta_get(store_t *s, const char *key, char **value);
/* The store's size in bytes (SQLite: its pages; PostgreSQL: the
 * database's), -1 on error: rota_store_bytes. */
int64_t store_bytes(store_t *s);

/* ---- leadership (store_lease.c; docs/ha.md) ----
 * Several coordinators may share a PostgreSQL store: one leads, by a lease
 * on the database's clock, and every write transaction it commits checks
 * inside the transaction that its epoch is still the lease's (the fence).
 * On SQLite the file lock admits one coordinator: it always leads, taking
 * the next epoch at once; renewing and fencing cost nothing. */

/* What a coordinator says of itself when it takes or renews the lease. */
typedef struct {
	const char *holder;          /* its coordinator id */
	const char *worker_endpoint; /* advertised: where workers are sent */
	const char *api_endpoint;    /* where operators are sent */
	const char *http_endpoint;   /* "" with --http off */
	int64_t lease_ms;
} store_lease_t;

/* True on a store coordinators share (PostgreSQL). */
bool store_shared(const store_t *s);
/* Takes the lease when free or expired, raising the epoch. 1 taken (*epoch
 * the new one, and the fence set to it), 0 another holds it, -1 the store
 * could not say (logged). Never with a transaction open. */
int store_lease_take(store_t *s, const store_lease_t *lease, uint64_t *epoch);
/* Renews the lease held under epoch. 1 renewed, 0 deposed (the epoch is no
 * longer the lease's), -1 the store could not say. */
int store_lease_renew(store_t *s, const store_lease_t *lease, uint64_t epoch);
/* Gives the lease of epoch up (best effort) and clears the fence: from now
 * on every write transaction of this connection is refused. */
void store_lease_release(store_t *s, uint64_t epoch);
/* Clears the fence without touching the lease (deposed: it is another's). */
void store_lease_drop(store_t *s);
/* A leader's resync: raises the epoch of the lease it holds (workers say
 * Hello again). 1 with *next (the fence moves with it), 0 deposed, -1 the
 * store could not say. */
int store_lease_raise(store_t *s, uint64_t epoch, uint64_t *next);
/* True when the last store_commit failed because the fence refused it:
 * this coordinator is no longer the leader. */
bool store_deposed(const store_t *s);

/* The lease as the store holds it (rota status, and where a follower
 * sends workers and operators). */
typedef struct {
	uint64_t epoch;
	char *holder; /* owned, like the endpoints */
	char *worker_endpoint;
	char *api_endpoint;
	char *http_endpoint;
	int64_t expires_in_ms; /* on the database's clock; negative: expired */
} store_leader_t;
/* 0 with *out (free with store_leader_clear), 1 when nobody ever led, -1
 * on a store error. */
int store_leader_read(store_t *s, store_leader_t *out);
void store_leader_clear(store_leader_t *l);

/* Records that a coordinator is alive (once a second, outside the turn's
 * transaction: a follower's one write, never fenced). role: "leader" or
 * "follower"; epoch its lease's, or the last it saw. */
int store_coordinator_seen(store_t *s, const store_lease_t *self, const char *role, uint64_t epoch);
/* Every coordinator that said it is alive, into out->coordinators (each
 * field malloc'd: free with store_coordinators_clear). */
int store_coordinators_list(store_t *s, Rota__StatusResponse *out);
void store_coordinators_clear(Rota__StatusResponse *out);

/* ---- the alert inbox (store_inbox.c) ----
 * An alert posted to a follower is kept here, durable before the follower
 * answers 202, and acted on by the leader, which deletes it in the turn
 * that acts on it: taken in once, acted on once. */
typedef struct {
	int64_t id;
	int64_t received_ms;
	char *peer; /* owned, like actor, role and body */
	char *actor;
	char *role;
	char *body; /* NUL-terminated; len bytes before it */
	size_t len;
} store_inbox_item_t;

/* Keeps an alert in a transaction of its own, committed when this
 * returns 0 (never fenced: a follower's one write of an alert). -1 (the
 * store's error noted) when it was not kept, or a turn's transaction is
 * open. */
int store_inbox_add(store_t *s, const char *peer, const char *actor, const char *role,
                    const char *body, size_t len, int64_t now_ms);
/* The oldest alert kept: 0 with *item (free with store_inbox_clear), 1
 * when there is none, -1 on error. */
int store_inbox_next(store_t *s, store_inbox_item_t *item);
/* Deletes the alert in the open turn (store_begin): it goes with the
 * changes acting on it, or not at all. */
int store_inbox_delete(store_t *s, int64_t id);
void store_inbox_clear(store_inbox_item_t *item);

#endif
