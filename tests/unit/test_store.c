/* store: migrations from an empty file and re-open, and from schema 5; runs, steps and output
 * round-trip; output is capped with one truncation marker; output is stored
 * in seq order only, once, and only for a dispatched attempt; chunks given
 * up on leave one note. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture_pg.h"
#include "fixture_store.h"
#include "store/store.h"
#include "strlist.h"
#include "xalloc.h"

typedef struct {
	char dir[64];
	char path[128];
} fixture_t;

static int
setup(void **state)
{
	fixture_t *f = xcalloc(1, sizeof(*f));
	if (fixture_store_dir("store", f->dir, sizeof(f->dir), f->path, sizeof(f->path)) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	fixture_t *f = *state;
	if (fixture_store_remove(NULL, f->dir) != 0)
		return -1;
	free(f);
	return 0;
}

static store_t *
open_ok(const char *path)
{
	store_t *s = fixture_store_open(path);
	if (s == NULL)
		fail_msg("store_open failed (the reason is above)");
	return s;
}

static void
test_migrates_empty_file_and_reopens(void **state)
{
	fixture_t *f = *state;
	store_t *s = open_ok(f->path);
	assert_int_equal(store_schema_version(s), STORE_SCHEMA_VERSION);
	uint64_t e1, e2;
	assert_int_equal(store_epoch_next(s, &e1), 0);
	assert_int_equal(e1, 1);
	store_run_t run = {.id = "r1", .runbook = "book", .status = 2, .created_ms = 1000};
	assert_int_equal(store_run_insert(s, &run), 0);
	assert_int_equal(store_commit(s), 0);
	store_destroy(&s);
	assert_null(s);

	/* Re-open: no migration runs again, data and epoch survive. */
	s = open_ok(f->path);
	assert_int_equal(store_schema_version(s), STORE_SCHEMA_VERSION);
	assert_int_equal(store_epoch_next(s, &e2), 0);
	assert_int_equal(e2, 2);
	Rota__RunSummary sum;
	assert_int_equal(store_run_summary(s, "r1", &sum), 0);
	assert_string_equal(sum.runbook, "book");
	store_run_summary_clear(&sum);
	assert_int_equal(store_run_summary(s, "nope", &sum), 1);
	bool pg = store_is_postgresql(s);
	store_destroy(&s);
	if (pg)
		return; /* no file, no WAL */

	/* WAL mode is on. */
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	sqlite3_stmt *st;
	sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static void
test_refuses_a_newer_schema(void **state)
{
	fixture_t *f = *state;
	if (fixture_pg_enabled())
		skip(); /* SQLite's version stamp; unit.store_schema_pg checks PostgreSQL's */
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	char *err = NULL;
	store_t *s = store_open(&(store_options_t){.target = f->path}, &err);
	assert_null(s);
	assert_non_null(strstr(err, "newer than this rota"));
	free(err);
}

/* Schema 19 dropped the runs indexes that lead another (runs_created,
 * runs_status, runs_runbook): the queries they served seek the longer
 * index, never scan the table. The plans are SQLite's; PostgreSQL's index
 * list is checked against this one by unit.store_schema_pg. */
static void
test_runs_keep_no_index_that_leads_another(void **state)
{
	fixture_t *f = *state;
	if (fixture_pg_enabled())
		skip(); /* SQLite's catalogue and plans */
	store_t *s = open_ok(f->path);
	store_destroy(&s);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(
	    sqlite3_prepare_v2(db,
	                       "SELECT group_concat(name, ' ') FROM (SELECT name FROM"
	                       " sqlite_master WHERE type = 'index' AND tbl_name = 'runs'"
	                       " AND sql IS NOT NULL ORDER BY name)",
	                       -1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0),
	                    "runs_created_id runs_runbook_keep runs_status_created runs_trigger");
	sqlite3_finalize(st);
	/* What used them: the list's order and filters (store_query.c), the
	 * history's runbook and status (store_history.c), the pruner's oldest
	 * run (store_prune.c), /metrics' counts and the bench's ended runs. */
	static const char *const queries[] = {
	    "SELECT id FROM runs ORDER BY created_ms DESC, id DESC LIMIT 50",
	    "SELECT id FROM runs WHERE created_ms < 5 ORDER BY created_ms DESC, id DESC LIMIT 50",
	    "SELECT status, COUNT(*) FROM runs WHERE runbook = 'b' AND created_ms >= 0"
	    " GROUP BY status",
	    "SELECT id FROM runs WHERE runbook = 'b' AND created_ms >= 0 AND status = 4"
	    " ORDER BY created_ms DESC, id DESC LIMIT 1",
	    "SELECT id FROM runs WHERE status = 4 ORDER BY created_ms DESC LIMIT 50",
	    "SELECT MIN(created_ms) FROM runs",
	    "SELECT status, COUNT(*) FROM runs GROUP BY status",
	    "SELECT COUNT(*) FROM runs WHERE status IN (3, 4)",
	};
	for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
		char *sql = xasprintf("EXPLAIN QUERY PLAN %s", queries[i]);
		assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *d = (const char *)sqlite3_column_text(st, 3);
			if (strcmp(d, "SCAN runs") == 0)
				fail_msg("%s: scans runs", queries[i]);
		}
		sqlite3_finalize(st);
		free(sql);
	}
	sqlite3_close(db);
}

/* Schema 6 gave incident_runs an id: a store of schema 5 keeps its runs in
 * the order they were linked (their rowid), and links after it go last. */
static void
test_migration_6_keeps_the_order_runs_were_linked_in(void **state)
{
	fixture_t *f = *state;
	store_t *s = open_ok(f->path);
	if (store_is_postgresql(s)) {
		store_destroy(&s);
		skip(); /* SQLite's migration; PostgreSQL's schema starts at 6 */
	}
	char id[32];
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_incident_next_id(s, id, sizeof(id)), 0);
	fixture_store_incident(s, id, 1000);
	assert_int_equal(store_commit(s), 0);
	store_destroy(&s);

	/* Back to schema 5's table, runs linked z, a, m, and without what
	 * schema 8 added (notes, approvers), which migrates again. */
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
	                              "ALTER TABLE incident_events DROP COLUMN author;"
	                              "ALTER TABLE incident_events DROP COLUMN note_kind;"
	                              "ALTER TABLE step_runs DROP COLUMN approved_by;"
	                              "ALTER TABLE step_runs DROP COLUMN approved_ms;"
	                              "DROP TABLE run_notes;"
	                              "DROP TABLE incident_runs;"
	                              "CREATE TABLE incident_runs ("
	                              "  incident_id TEXT NOT NULL REFERENCES incidents (id),"
	                              "  run_id TEXT NOT NULL, PRIMARY KEY (incident_id, run_id));"
	                              "CREATE INDEX incident_runs_run ON incident_runs (run_id);"
	                              "INSERT INTO incident_runs VALUES ('INC-1', 'r-z');"
	                              "INSERT INTO incident_runs VALUES ('INC-1', 'r-a');"
	                              "INSERT INTO incident_runs VALUES ('INC-1', 'r-m');"
	                              /* and without schema 9's column and indexes */
	                              "ALTER TABLE outputs DROP COLUMN codec;"
	                              "DROP INDEX runs_created_id;"
	                              "DROP INDEX runs_runbook_keep;"
	                              "DROP INDEX outbox_created;"
	                              "PRAGMA user_version = 5;",
	                              NULL, NULL, NULL),
	                 SQLITE_OK);
	sqlite3_close(db);

	s = open_ok(f->path);
	assert_int_equal(store_schema_version(s), STORE_SCHEMA_VERSION);
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_incident_link_run(s, "INC-1", "r-b"), 0);
	assert_int_equal(store_commit(s), 0);
	strlist_t runs = {0};
	assert_int_equal(store_incident_runs(s, "INC-1", &runs), 0);
	char *joined = strlist_join_sep(&runs, ",", "");
	assert_string_equal(joined, "r-z,r-a,r-m,r-b");
	free(joined);
	strlist_free(&runs);
	store_destroy(&s);
}

/* A PostgreSQL store has no file to lock or watch: the watch says all is
 * well rather than failing every turn. */
static void
test_no_file_no_watch(void **state)
{
	(void)state;
	char *why = NULL;
	assert_int_equal(storelock_check(NULL, &why), 0);
	assert_null(why);
}

static void
test_rollback_leaves_nothing(void **state)
{
	fixture_t *f = *state;
	store_t *s = open_ok(f->path);
	store_run_t run = {.id = "r1", .runbook = "book", .status = 2, .created_ms = 1000};
	assert_int_equal(store_run_insert(s, &run), 0);
	assert_true(store_in_transaction(s));
	/* A duplicate id fails inside the same transaction (on PostgreSQL
	 * the write is sent without waiting, and its failure is the
	 * commit's)... */
	if (store_is_postgresql(s)) {
		assert_int_equal(store_run_insert(s, &run), 0);
	} else {
		assert_int_equal(store_run_insert(s, &run), -1);
		assert_true(store_failed(s));
	}
	/* ...so the whole turn is refused and rolled back: nothing of a turn
	 * with a failed write may be acknowledged. */
	assert_int_equal(store_commit(s), -1);
	assert_false(store_in_transaction(s));
	assert_false(store_failed(s));
	Rota__ListRunsResponse list;
	assert_int_equal(store_runs_list(s, 10, &list), 0);
	assert_int_equal(list.n_runs, 0);
	free(list.runs);
	free(list.next_before);
	/* The next turn works again. */
	assert_int_equal(store_run_insert(s, &run), 0);
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(store_runs_list(s, 10, &list), 0);
	assert_int_equal(list.n_runs, 1);
	for (size_t i = 0; i < list.n_runs; i++) {
		store_run_summary_clear(list.runs[i]);
		free(list.runs[i]);
	}
	free(list.runs);
	free(list.next_before);
	store_destroy(&s);
}

/* Marks a step run dispatched, as the dispatcher does before sending it. */
static void
dispatch(store_t *s, int64_t row)
{
	store_step_state_t st = {.status = ROTA__STEP_STATUS__STEP_DISPATCHED};
	assert_int_equal(store_step_update(s, row, &st), 0);
}

/* Appends text as chunk seq; returns the outcome, *recorded the step's seq. */
static store_output_t
append(store_t *s, int64_t row, uint64_t seq, const char *text, uint64_t *recorded)
{
	store_output_t outcome;
	uint64_t rec = 0;
	assert_int_equal(store_output_append(s, row, seq, 1, (const uint8_t *)text, strlen(text),
	                                     1024, (int64_t)seq, &outcome, &rec),
	                 0);
	if (recorded)
		*recorded = rec;
	return outcome;
}

static void
test_output_in_seq_order_once_and_only_when_dispatched(void **state)
{
	fixture_t *f = *state;
	store_t *s = open_ok(f->path);
	store_run_t run = {.id = "r1", .runbook = "book", .status = 2, .created_ms = 1000};
	assert_int_equal(store_run_insert(s, &run), 0);
	int64_t row, never, found = 0;
	assert_int_equal(store_step_insert(s, "r1", "a", "w1", 1, 0, 1, NULL, 0, &row), 0);
	assert_int_equal(store_step_insert(s, "r1", "a", "w1", 2, 0, 1, NULL, 0, &never), 0);
	assert_int_equal(store_step_find(s, "r1", "a", "w1", 1, &found), 0);
	assert_int_equal(found, row);
	assert_int_equal(store_step_find(s, "r1", "a", "w2", 1, &found), 1);
	assert_int_equal(store_step_find(s, "r1", "a", "w1", 3, &found), 1);

	/* Not dispatched (yet): refused, whatever the seq. */
	uint64_t rec = 99;
	assert_int_equal(append(s, row, 1, "one\n", &rec), STORE_OUTPUT_REFUSED);
	assert_int_equal(rec, 0);
	dispatch(s, row);
	assert_int_equal(append(s, row, 1, "one\n", &rec), STORE_OUTPUT_STORED);
	assert_int_equal(rec, 1);
	/* A later seq before the missing one is not stored... */
	assert_int_equal(append(s, row, 3, "three\n", &rec), STORE_OUTPUT_AHEAD);
	assert_int_equal(rec, 1);
	/* ...the missing one and the later one, resent, are, in order. */
	assert_int_equal(append(s, row, 2, "two\n", &rec), STORE_OUTPUT_STORED);
	assert_int_equal(append(s, row, 3, "three\n", &rec), STORE_OUTPUT_STORED);
	assert_int_equal(rec, 3);
	assert_int_equal(append(s, row, 2, "two\n", &rec), STORE_OUTPUT_DUPLICATE);
	assert_int_equal(rec, 3);
	/* An empty chunk is accounted for without a row. */
	assert_int_equal(append(s, row, 4, "", &rec), STORE_OUTPUT_STORED);
	assert_int_equal(rec, 4);
	assert_int_equal(append(s, never, 1, "no\n", NULL), STORE_OUTPUT_REFUSED);
	assert_int_equal(store_commit(s), 0);

	/* Dispatched stays dispatched when the step ends. */
	store_step_state_t st = {.status = ROTA__STEP_STATUS__STEP_SUCCEEDED};
	assert_int_equal(store_step_update(s, row, &st), 0);
	assert_int_equal(append(s, row, 5, "five\n", &rec), STORE_OUTPUT_STORED);

	/* Chunks 6 and 7 never come: given up on with one note, after which
	 * they are duplicates and 8 goes on. */
	assert_int_equal(store_output_lost(s, row, 7, 0, NULL, 50), 0);
	assert_int_equal(store_output_seq(s, row, &rec), 0);
	assert_int_equal(rec, 7);
	assert_int_equal(store_output_lost(s, row, 7, 0, NULL, 50), 0); /* nothing more */
	assert_int_equal(append(s, row, 6, "six\n", NULL), STORE_OUTPUT_DUPLICATE);
	assert_int_equal(append(s, row, 8, "eight\n", NULL), STORE_OUTPUT_STORED);
	/* Chunks 9 and 10 were lost with the worker's spool: the note says
	 * how many bytes (what the worker sent less what is here) and why. */
	assert_int_equal(store_output_lost(s, row, 10, 25 + 183412,
	                                   "spool write failed: No space left on device", 50),
	                 0);
	assert_int_equal(store_commit(s), 0);
	char *text = fixture_store_logs(s, "r1");
	assert_string_equal(
	    text, "one\ntwo\nthree\nfive\n[rota: output lost: chunks 6 to 7 of this step never"
	          " arrived]\neight\n[rota: 183,412 bytes of output lost: spool write failed: No"
	          " space left on device]\n");
	free(text);
	store_destroy(&s);

	/* The seq survives a reopen. */
	s = open_ok(f->path);
	assert_int_equal(store_output_seq(s, row, &rec), 0);
	assert_int_equal(rec, 10);
	store_destroy(&s);
}

static void
test_steps_and_output(void **state)
{
	fixture_t *f = *state;
	store_t *s = open_ok(f->path);
	store_run_t run = {.id = "r1", .runbook = "book", .status = 2, .created_ms = 1000};
	assert_int_equal(store_run_insert(s, &run), 0);
	int64_t row1, row2;
	uint8_t spec[] = {1, 2, 3};
	assert_int_equal(store_step_insert(s, "r1", "disk", "w1", 1, 0, 1, spec, 3, &row1), 0);
	assert_int_equal(store_step_insert(s, "r1", "load", "w1", 1, 1, 1, spec, 3, &row2), 0);

	dispatch(s, row1);
	store_output_t outcome;
	uint64_t rec;
	const char *a = "line one\nline two\n";
	const char *b = "line three\n";
	assert_int_equal(store_output_append(s, row1, 1, 1, (const uint8_t *)a, strlen(a), 1024, 5,
	                                     &outcome, &rec),
	                 0);
	assert_int_equal(outcome, STORE_OUTPUT_STORED);
	/* The same seq again (a resend) is not stored twice. */
	assert_int_equal(store_output_append(s, row1, 1, 1, (const uint8_t *)a, strlen(a), 1024, 5,
	                                     &outcome, &rec),
	                 0);
	assert_int_equal(outcome, STORE_OUTPUT_DUPLICATE);
	assert_int_equal(store_output_append(s, row1, 2, 2, (const uint8_t *)b, strlen(b), 1024, 6,
	                                     &outcome, &rec),
	                 0);
	store_step_state_t st = {.status = 5,
	                         .exit_code = 3,
	                         .started_ms = 10,
	                         .ended_ms = 20,
	                         .detail = "exited with status 3"};
	assert_int_equal(store_step_update(s, row1, &st), 0);
	st = (store_step_state_t){.status = 8, .detail = "not run"};
	assert_int_equal(store_step_update(s, row2, &st), 0);
	assert_int_equal(store_commit(s), 0);

	Rota__ShowRunResponse *sp = xmalloc(sizeof(*sp));
	assert_int_equal(store_run_show(s, "r1", 2, sp), 0);
	Rota__ShowRunResponse show = *sp;
	assert_int_equal(show.n_steps, 2);
	assert_string_equal(show.steps[0]->step_id, "disk");
	assert_int_equal(show.steps[0]->status, 5);
	assert_int_equal(show.steps[0]->exit_code, 3);
	assert_string_equal(show.steps[0]->detail, "exited with status 3");
	assert_int_equal(show.steps[0]->tail.len, strlen("line two\nline three\n"));
	assert_memory_equal(show.steps[0]->tail.data, "line two\nline three\n",
	                    show.steps[0]->tail.len);
	assert_int_equal(show.run->hosts_total, 1);
	assert_int_equal(show.run->hosts_failed, 1);
	rota__show_run_response__free_unpacked(sp, NULL);

	/* The step key is unique: a second row for it fails its turn (on
	 * PostgreSQL at the commit: the insert is sent without waiting). */
	int64_t dup;
	assert_int_equal(store_step_insert(s, "r1", "disk", "w1", 1, 0, 1, spec, 3, &dup),
	                 store_is_postgresql(s) ? 0 : -1);
	assert_int_equal(store_commit(s), -1);

	Rota__LogsResponse logs;
	assert_int_equal(store_logs(s, "r1", NULL, 0, 100, &logs), 0);
	assert_int_equal(logs.n_chunks, 2);
	assert_int_equal(logs.chunks[1]->stream, 2);
	uint64_t cursor = logs.next;
	for (size_t i = 0; i < logs.n_chunks; i++) {
		free(logs.chunks[i]->host);
		free(logs.chunks[i]->step_id);
		free(logs.chunks[i]->data.data);
		free(logs.chunks[i]);
	}
	free(logs.chunks);
	assert_int_equal(store_logs(s, "r1", "w1", cursor, 100, &logs), 0);
	assert_int_equal(logs.n_chunks, 0);
	assert_int_equal(logs.next, cursor);
	free(logs.chunks);
	store_destroy(&s);
}

static void
test_output_is_capped_with_one_marker(void **state)
{
	fixture_t *f = *state;
	store_t *s = open_ok(f->path);
	store_run_t run = {.id = "r1", .runbook = "book", .status = 2, .created_ms = 1000};
	store_run_insert(s, &run);
	int64_t row;
	assert_int_equal(store_step_insert(s, "r1", "spam", "w1", 1, 0, 1, NULL, 0, &row), 0);
	dispatch(s, row);
	uint8_t chunk[600];
	memset(chunk, 'x', sizeof(chunk));
	store_output_t outcome;
	uint64_t rec;
	for (uint64_t seq = 1; seq <= 5; seq++) {
		assert_int_equal(store_output_append(s, row, seq, 1, chunk, sizeof(chunk), 1000,
		                                     (int64_t)seq, &outcome, &rec),
		                 0);
		/* Past the cap a chunk is not kept but accounted for. */
		assert_int_equal(outcome, STORE_OUTPUT_STORED);
		assert_int_equal(rec, seq);
	}
	assert_int_equal(store_commit(s), 0);
	Rota__LogsResponse logs;
	assert_int_equal(store_logs(s, "r1", NULL, 0, 100, &logs), 0);
	size_t bytes = 0, markers = 0;
	for (size_t i = 0; i < logs.n_chunks; i++) {
		if (logs.chunks[i]->stream == ROTA__STREAM__STREAM_SYSTEM) {
			markers++;
			assert_non_null(memmem(logs.chunks[i]->data.data, logs.chunks[i]->data.len,
			                       "truncated", 9));
		} else {
			bytes += logs.chunks[i]->data.len;
		}
		free(logs.chunks[i]->host);
		free(logs.chunks[i]->step_id);
		free(logs.chunks[i]->data.data);
		free(logs.chunks[i]);
	}
	free(logs.chunks);
	assert_int_equal(bytes, 1000);
	assert_int_equal(markers, 1);
	store_destroy(&s);
}

/* rota workers remove: the row goes, the others stay, and a restart
 * (a reopen) does not bring it back. */
static void
test_worker_delete(void **state)
{
	fixture_t *f = *state;
	store_t *s = open_ok(f->path);
	assert_int_equal(store_worker_upsert(s, "w1", "h1", "", "0.1", "lost", 1000), 0);
	assert_int_equal(store_worker_upsert(s, "w2", "h2", "a=b", "0.1", "connected", 2000), 0);
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(store_worker_delete(s, "w1"), 0);
	assert_int_equal(store_worker_delete(s, "nobody"), 0);
	assert_int_equal(store_commit(s), 0);
	store_destroy(&s);
	s = open_ok(f->path);
	Rota__ListWorkersResponse list;
	assert_int_equal(store_workers_list(s, &list), 0);
	assert_int_equal(list.n_workers, 1);
	assert_string_equal(list.workers[0]->id, "w2");
	for (size_t i = 0; i < list.n_workers; i++)
		rota__worker_info__free_unpacked(list.workers[i], NULL);
	free(list.workers);
	store_destroy(&s);
}

/* rota oncall override's rows: kept across a reopen, read back per
 * rotation, oldest first, only those that have not ended. */
static void
test_oncall_overrides(void **state)
{
	fixture_t *f = *state;
	store_t *s = open_ok(f->path);
	rotation_override_t a = {
	    .person = "carol", .from_ms = 1000, .until_ms = 5000, .by = "alice"};
	rotation_override_t b = {.person = "dave", .from_ms = 6000, .until_ms = 9000, .by = "bob"};
	assert_int_equal(store_oncall_override_add(s, "primary", &a, 500), 0);
	assert_int_equal(store_oncall_override_add(s, "primary", &b, 600), 0);
	assert_int_equal(store_oncall_override_add(s, "other", &a, 700), 0);
	assert_int_equal(store_commit(s), 0);
	store_destroy(&s);
	s = open_ok(f->path);
	rotation_override_t *got = NULL;
	size_t n = 0;
	assert_int_equal(store_oncall_overrides(s, "primary", 0, &got, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(got[0].person, "carol");
	assert_int_equal(got[0].from_ms, 1000);
	assert_int_equal(got[0].until_ms, 5000);
	assert_string_equal(got[0].by, "alice");
	assert_string_equal(got[1].person, "dave");
	for (size_t i = 0; i < n; i++)
		rotation_override_clear(&got[i]);
	free(got);
	assert_int_equal(store_oncall_overrides(s, "primary", 5000, &got, &n), 0);
	assert_int_equal(n, 1); /* carol's ended at 5000 */
	assert_string_equal(got[0].person, "dave");
	rotation_override_clear(&got[0]);
	free(got);
	store_destroy(&s);
}

/* rota oncall feed's links: found by hash across a reopen, each for its
 * own rotation; --revoke deletes that rotation's only and counts them. */
static void
test_oncall_feeds(void **state)
{
	fixture_t *f = *state;
	store_t *s = open_ok(f->path);
	assert_int_equal(store_oncall_feed_add(s, "primary", "h1", "alice", 100), 0);
	assert_int_equal(store_oncall_feed_add(s, "primary", "h2", "bob", 200), 0);
	assert_int_equal(store_oncall_feed_add(s, "other", "h3", "bob", 300), 0);
	assert_int_equal(store_commit(s), 0);
	store_destroy(&s);
	s = open_ok(f->path);
	char rot[64];
	assert_int_equal(store_oncall_feed_find(s, "h2", rot, sizeof(rot)), 0);
	assert_string_equal(rot, "primary");
	assert_int_equal(store_oncall_feed_find(s, "h3", rot, sizeof(rot)), 0);
	assert_string_equal(rot, "other");
	assert_int_equal(store_oncall_feed_find(s, "nope", rot, sizeof(rot)), 1);
	assert_string_equal(rot, "");
	uint64_t n = 0;
	assert_int_equal(store_oncall_feed_revoke(s, "primary", &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(store_oncall_feed_find(s, "h1", rot, sizeof(rot)), 1);
	assert_int_equal(store_oncall_feed_find(s, "h3", rot, sizeof(rot)), 0);
	assert_int_equal(store_oncall_feed_revoke(s, "primary", &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_commit(s), 0);
	store_destroy(&s);
}

/* record: values kept per runbook, host and name, read back newest first
 * and exactly (as text, on both engines), the others' apart. */
static void
test_recorded_values(void **state)
{
	fixture_t *f = *state;
	store_t *s = open_ok(f->path);
	const double vals[] = {3, 0.1, 1e-300, 12.5};
	for (size_t i = 0; i < 4; i++) {
		store_value_t v = {.runbook = "rb",
		                   .host = "w1",
		                   .name = "lat",
		                   .run_id = "r",
		                   .step_id = "s",
		                   .value = vals[i],
		                   .at_ms = 1000 + (int64_t)i};
		assert_int_equal(store_value_add(s, &v), 0);
	}
	store_value_t other = {.runbook = "rb",
	                       .host = "w2",
	                       .name = "lat",
	                       .run_id = "r",
	                       .step_id = "s",
	                       .value = 99,
	                       .at_ms = 5000};
	assert_int_equal(store_value_add(s, &other), 0);
	assert_int_equal(store_commit(s), 0);
	double out[STORE_VALUES_MAX];
	size_t n = 0;
	assert_int_equal(store_values_latest(s, "rb", "w1", "lat", 3, out, &n), 0);
	assert_int_equal(n, 3);
	assert_true(out[0] == 12.5 && out[1] == 1e-300 && out[2] == 0.1);
	assert_int_equal(store_values_latest(s, "rb", "w1", "other", 3, out, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_values_latest(s, "rb", "w2", "lat", 100, out, &n), 0);
	assert_int_equal(n, 1);
	assert_true(out[0] == 99);
	store_destroy(&s);
}

/* A turn's updates of a row are written once, and its events together, at
 * its end; what any reader sees is as if each had been written at once: a
 * read inside the turn sees them, an output's event keeps its place
 * between the step's, the step is still marked dispatched. */
static void
test_a_turn_writes_each_row_once(void **state)
{
	fixture_t *f = *state;
	store_t *s = open_ok(f->path);
	store_run_t run = {.id = "r1",
	                   .runbook = "book",
	                   .status = ROTA__RUN_STATUS__RUN_RUNNING,
	                   .created_ms = 1000};
	int64_t row = 0;
	assert_int_equal(store_run_insert(s, &run), 0);
	assert_int_equal(store_step_insert(s, "r1", "one", "h1", 1, 0,
	                                   ROTA__STEP_STATUS__STEP_PENDING, NULL, 0, &row),
	                 0);
	assert_int_equal(store_commit(s), 0);
	uint64_t first = 0;
	assert_int_equal(store_events_last(s, &first), 0);

	uint64_t before = store_statements(s);
	store_step_state_t st = {.run_id = "r1", .status = ROTA__STEP_STATUS__STEP_DISPATCHED};
	assert_int_equal(store_step_update(s, row, &st), 0);
	assert_int_equal(store_run_update(s, "r1", ROTA__RUN_STATUS__RUN_RUNNING, 1100, 0), 0);
	st.status = ROTA__STEP_STATUS__STEP_RUNNING;
	st.started_ms = 1100;
	assert_int_equal(store_step_update(s, row, &st), 0);
	st.status = ROTA__STEP_STATUS__STEP_SUCCEEDED;
	st.ended_ms = 1200;
	assert_int_equal(store_step_update(s, row, &st), 0);
	assert_int_equal(store_run_update(s, "r1", ROTA__RUN_STATUS__RUN_SUCCEEDED, 1100, 1200), 0);
	assert_int_equal(store_run_outcome(s, "r1", 1, 0, NULL), 0);
	assert_int_equal(store_commit(s), 0);
	/* BEGIN, one UPDATE a row, one INSERT of the 5 events, COMMIT (and
	 * the fence on PostgreSQL); written one by one, 13. */
	uint64_t spent = store_statements(s) - before;
	assert_true(spent >= 5 && spent <= 6);

	Rota__RunSummary sum;
	assert_int_equal(store_run_summary(s, "r1", &sum), 0);
	assert_int_equal(sum.status, ROTA__RUN_STATUS__RUN_SUCCEEDED);
	assert_int_equal(sum.hosts_ok, 1);
	store_run_summary_clear(&sum);
	/* Marked dispatched though it ended in the same turn: output is kept. */
	assert_int_equal(append(s, row, 1, "late\n", NULL), STORE_OUTPUT_STORED);
	assert_int_equal(store_commit(s), 0);

	/* Held events and one written at once keep their order. */
	st.status = ROTA__STEP_STATUS__STEP_DISPATCHED;
	assert_int_equal(store_step_update(s, row, &st), 0);
	assert_int_equal(append(s, row, 2, "more\n", NULL), STORE_OUTPUT_STORED);
	st.status = ROTA__STEP_STATUS__STEP_FAILED;
	assert_int_equal(store_step_update(s, row, &st), 0);
	/* A read inside the turn sees what the turn holds. */
	assert_int_equal(store_run_update(s, "r1", ROTA__RUN_STATUS__RUN_FAILED, 1100, 1300), 0);
	assert_int_equal(store_run_summary(s, "r1", &sum), 0);
	assert_int_equal(sum.status, ROTA__RUN_STATUS__RUN_FAILED);
	store_run_summary_clear(&sum);
	assert_int_equal(store_commit(s), 0);

	uint64_t last = 0;
	assert_int_equal(store_events_last(s, &last), 0);
	Rota__Event **evs = NULL;
	size_t n = 0;
	assert_int_equal(store_events_read(s, first, last, "r1", 100, &evs, &n), 0);
	static const struct {
		int body, status;
	} want[] = {
	    {ROTA__EVENT__BODY_STEP, ROTA__STEP_STATUS__STEP_DISPATCHED},
	    {ROTA__EVENT__BODY_RUN, ROTA__RUN_STATUS__RUN_RUNNING},
	    {ROTA__EVENT__BODY_STEP, ROTA__STEP_STATUS__STEP_RUNNING},
	    {ROTA__EVENT__BODY_STEP, ROTA__STEP_STATUS__STEP_SUCCEEDED},
	    {ROTA__EVENT__BODY_RUN, ROTA__RUN_STATUS__RUN_SUCCEEDED},
	    {ROTA__EVENT__BODY_OUTPUT, 0},
	    {ROTA__EVENT__BODY_STEP, ROTA__STEP_STATUS__STEP_DISPATCHED},
	    {ROTA__EVENT__BODY_OUTPUT, 0},
	    {ROTA__EVENT__BODY_STEP, ROTA__STEP_STATUS__STEP_FAILED},
	    {ROTA__EVENT__BODY_RUN, ROTA__RUN_STATUS__RUN_FAILED},
	};
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(evs[i]->body_case, want[i].body);
		if (i > 0)
			assert_true(evs[i]->cursor > evs[i - 1]->cursor);
		if (want[i].body == ROTA__EVENT__BODY_STEP)
			assert_int_equal(evs[i]->step->status, want[i].status);
		if (want[i].body == ROTA__EVENT__BODY_RUN)
			assert_int_equal(evs[i]->run->status, want[i].status);
	}
	store_events_free(evs, n);
	store_destroy(&s);
}

/* A running run of one pending step on h1 (a turn's held rows);
 * returns the step's row. */
static int64_t
insert_running_run(store_t *s, const char *id)
{
	store_run_t run = {.id = id,
	                   .runbook = "book",
	                   .status = ROTA__RUN_STATUS__RUN_RUNNING,
	                   .created_ms = 1000};
	int64_t row = 0;
	assert_int_equal(store_run_insert(s, &run), 0);
	assert_int_equal(store_step_insert(s, id, "one", "h1", 1, 0,
	                                   ROTA__STEP_STATUS__STEP_PENDING, NULL, 0, &row),
	                 0);
	return row;
}

/* A turn of many submits holds every run's and step's update for one
 * statement each at its end: adding rows reads nothing held. */
static void
test_a_turn_of_many_runs_writes_them_together(void **state)
{
	fixture_t *f = *state;
	store_t *s = open_ok(f->path);
	enum { RUNS = 10 };
	char ids[RUNS][16];
	uint64_t before = store_statements(s);
	for (int i = 0; i < RUNS; i++) {
		snprintf(ids[i], sizeof(ids[i]), "r%d", i);
		int64_t row = insert_running_run(s, ids[i]);
		store_step_state_t st = {.run_id = ids[i],
		                         .status = ROTA__STEP_STATUS__STEP_DISPATCHED,
		                         .detail = i % 2 ? "odd" : NULL};
		assert_int_equal(store_step_update(s, row, &st), 0);
		assert_int_equal(
		    store_run_update(s, ids[i], ROTA__RUN_STATUS__RUN_RUNNING, 1000 + i, 0), 0);
		if (i % 3 == 0)
			assert_int_equal(store_run_outcome(s, ids[i], 0, 1, "why"), 0);
	}
	assert_int_equal(store_commit(s), 0);
	/* Each run's two INSERTs (and a block of step ids on PostgreSQL),
	 * then BEGIN, one UPDATE of the runs, one of the steps, one INSERT
	 * of the 30 events, COMMIT and the fence: one by one, 72. */
	uint64_t spent = store_statements(s) - before;
	assert_true(spent <= 2 * RUNS + 7);
	for (int i = 0; i < RUNS; i++) {
		Rota__ShowRunResponse *show = xmalloc(sizeof(*show));
		assert_int_equal(store_run_show(s, ids[i], 0, show), 0);
		assert_int_equal(show->run->started_ms, 1000 + i);
		assert_string_equal(show->run->reason, i % 3 == 0 ? "why" : "");
		assert_int_equal(show->n_steps, 1);
		assert_int_equal(show->steps[0]->status, ROTA__STEP_STATUS__STEP_DISPATCHED);
		assert_string_equal(show->steps[0]->detail, i % 2 ? "odd" : "");
		rota__show_run_response__free_unpacked(show, NULL);
	}
	store_destroy(&s);
}

/* Past a statement's 64 rows of VALUES: on PostgreSQL a table's held rows
 * are one UPDATE whatever their number (their columns as arrays), and
 * texts an array literal must escape (quotes, backslashes, braces,
 * commas, the word NULL, nothing at all) come back as written. */
static void
test_a_turn_of_many_runs_keeps_every_text(void **state)
{
	fixture_t *f = *state;
	store_t *s = open_ok(f->path);
	enum { RUNS = 70 };
	static const char *const texts[] = {
	    "a \"quoted\" word", "back\\slash\\", "{x,y}", "NULL", "", "tab\tand\nline", "é ü 中"};
	enum { TEXTS = sizeof(texts) / sizeof(texts[0]) };
	char ids[RUNS][16];
	uint64_t before = store_statements(s);
	for (int i = 0; i < RUNS; i++) {
		snprintf(ids[i], sizeof(ids[i]), "r%d", i);
		int64_t row = insert_running_run(s, ids[i]);
		store_step_state_t st = {
		    .run_id = ids[i],
		    .status = ROTA__STEP_STATUS__STEP_FAILED,
		    .exit_code = i,
		    .started_ms = 2000 + i,
		    .ended_ms = 3000 + i,
		    .detail = i % (TEXTS + 1) == TEXTS ? NULL : texts[i % (TEXTS + 1)]};
		assert_int_equal(store_step_update(s, row, &st), 0);
		assert_int_equal(
		    store_run_update(s, ids[i], ROTA__RUN_STATUS__RUN_FAILED, 1000 + i, 4000 + i),
		    0);
		assert_int_equal(store_run_outcome(s, ids[i], 0, 1, texts[(i + 1) % TEXTS]), 0);
	}
	assert_int_equal(store_commit(s), 0);
	/* On SQLite each run's two INSERTs, then BEGIN, two UPDATEs a table
	 * (64 rows to a VALUES), two INSERTs of the 210 events and COMMIT:
	 * 148. On PostgreSQL one INSERT a table (the step runs' updates
	 * folded into theirs), one UPDATE of the runs, one INSERT of the
	 * events, a block of step ids and the fence besides: 8 (148 with an
	 * INSERT a row, 150 with VALUES). */
	uint64_t spent = store_statements(s) - before;
	assert_int_equal(spent, store_is_postgresql(s) ? 8 : 2 * RUNS + 8);
	for (int i = 0; i < RUNS; i++) {
		Rota__ShowRunResponse *show = xmalloc(sizeof(*show));
		assert_int_equal(store_run_show(s, ids[i], 0, show), 0);
		assert_int_equal(show->run->status, ROTA__RUN_STATUS__RUN_FAILED);
		assert_int_equal(show->run->started_ms, 1000 + i);
		assert_int_equal(show->run->ended_ms, 4000 + i);
		assert_string_equal(show->run->reason, texts[(i + 1) % TEXTS]);
		assert_int_equal(show->n_steps, 1);
		assert_int_equal(show->steps[0]->status, ROTA__STEP_STATUS__STEP_FAILED);
		assert_int_equal(show->steps[0]->exit_code, i);
		assert_int_equal(show->steps[0]->ended_ms, 3000 + i);
		assert_string_equal(show->steps[0]->detail,
		                    i % (TEXTS + 1) == TEXTS ? "" : texts[i % (TEXTS + 1)]);
		rota__show_run_response__free_unpacked(show, NULL);
	}
	store_destroy(&s);
}

/* A turn of many submits, each a run, its step run and its audit row (the
 * API's submit): on PostgreSQL their INSERTs are one a table at the turn's
 * end (store_adds.c), whatever the number of submits; on SQLite one a row,
 * as before. Every value comes back as written on both engines: texts an
 * array literal must escape, NULLs and defaults, specs of any bytes (an
 * empty one included), audit texts cut at a character's edge. */
static void
test_a_turn_of_submits_keeps_every_row(void **state)
{
	fixture_t *f = *state;
	store_t *s = open_ok(f->path);
	enum { RUNS = 40 };
	static const char *const texts[] = {
	    "a \"quoted\" word", "back\\slash\\", "{x,y}", "NULL", "", "tab\tand\nline", "é ü 中"};
	enum { TEXTS = sizeof(texts) / sizeof(texts[0]) };
	static const uint8_t spec_bytes[] = {0, '\\', '"', '{', ',', 0xff, 0x80, 'x', '\n'};
	char ids[RUNS][16], books[RUNS][32], yamls[RUNS][64], params[RUNS][64], actors[RUNS][32];
	int64_t rows[RUNS];
	uint64_t before = store_statements(s);
	for (int i = 0; i < RUNS; i++) {
		const char *t = texts[i % TEXTS];
		snprintf(ids[i], sizeof(ids[i]), "s%02d", i);
		snprintf(books[i], sizeof(books[i]), "book %s", t);
		snprintf(yamls[i], sizeof(yamls[i]), "name: x\n# %s\n", t);
		snprintf(params[i], sizeof(params[i]), "{\"p\": \"%s\"}", i % 2 ? t : "\\\"");
		store_run_t run = {.id = ids[i],
		                   .runbook = books[i],
		                   .runbook_yaml = yamls[i],
		                   .params_json = i % 5 == 4 ? NULL : params[i],
		                   .status = ROTA__RUN_STATUS__RUN_RUNNING,
		                   .created_ms = 5000 + i,
		                   .trigger = i % 3 == 0 ? NULL : "schedule",
		                   .reason = i % 4 == 0 ? NULL : t,
		                   .slot_ms = i % 2 ? 60000 * i : 0,
		                   .started_ms = i % 7 == 0 ? 5100 + i : 0};
		assert_int_equal(store_run_insert(s, &run), 0);
		size_t spec_len = (size_t)(i % (sizeof(spec_bytes) + 1));
		assert_int_equal(store_step_insert(s, ids[i], "one", i % 2 ? "h1" : "h\"2", 1, 0,
		                                   ROTA__STEP_STATUS__STEP_PENDING,
		                                   spec_len ? spec_bytes : NULL, spec_len,
		                                   &rows[i]),
		                 0);
		/* A held update of the new rows, as a submit's first dispatch. */
		if (i % 2 == 0) {
			store_step_state_t st = {.run_id = ids[i],
			                         .status = ROTA__STEP_STATUS__STEP_DISPATCHED};
			assert_int_equal(store_step_update(s, rows[i], &st), 0);
		}
		/* "ab" then a two-byte character across the cut of 3 bytes. */
		snprintf(actors[i], sizeof(actors[i]), "%sé%d", i % 2 ? "ab" : "a", i);
		store_audit_entry_t e = {.at_ms = 7000 + i,
		                         .actor = actors[i],
		                         .role = "operator",
		                         .action = "submit",
		                         .target = ids[i],
		                         .outcome = i % 3 ? "ok" : NULL,
		                         .detail = t,
		                         .count = (uint32_t)(i % 3)};
		assert_int_equal(store_audit_insert(s, &e, i % 2 ? 3 : 64), 0);
	}
	assert_int_equal(store_commit(s), 0);
	/* PostgreSQL: a block of step ids, BEGIN, the three INSERTs (the
	 * step runs' updates folded into theirs), the events' INSERT, the
	 * fence and COMMIT. SQLite: a statement a row, the UPDATE of the
	 * step runs, the events' INSERT, BEGIN and COMMIT. */
	uint64_t spent = store_statements(s) - before;
	if (store_is_postgresql(s))
		assert_int_equal(spent, 8);
	else
		assert_int_equal(spent, 3 * RUNS + 4);

	Rota__AuditResponse audit;
	rota__audit_response__init(&audit);
	assert_int_equal(store_audit_list(s, 0, 100, &audit), 0);
	assert_int_equal(audit.n_entries, RUNS);
	for (int i = 0; i < RUNS; i++) {
		Rota__ShowRunResponse *show = xmalloc(sizeof(*show));
		assert_int_equal(store_run_show(s, ids[i], 0, show), 0);
		const char *t = texts[i % TEXTS];
		assert_string_equal(show->run->runbook, books[i]);
		assert_int_equal(show->run->status, ROTA__RUN_STATUS__RUN_RUNNING);
		assert_int_equal(show->run->created_ms, 5000 + i);
		assert_int_equal(show->run->started_ms, i % 7 == 0 ? 5100 + i : 0);
		assert_int_equal(show->run->slot_ms, i % 2 ? 60000 * i : 0);
		assert_string_equal(show->run->trigger, i % 3 == 0 ? "manual" : "schedule");
		assert_string_equal(show->run->reason, i % 4 == 0 ? "" : t);
		assert_string_equal(show->params, i % 5 == 4 ? "" : params[i]);
		assert_int_equal(show->n_steps, 1);
		assert_string_equal(show->steps[0]->host, i % 2 ? "h1" : "h\"2");
		assert_int_equal(show->steps[0]->status, i % 2
		                                             ? ROTA__STEP_STATUS__STEP_PENDING
		                                             : ROTA__STEP_STATUS__STEP_DISPATCHED);
		rota__show_run_response__free_unpacked(show, NULL);
		char *yaml = NULL, *trigger = NULL;
		bool cancelled = true;
		assert_int_equal(store_run_yaml(s, ids[i], &yaml, &trigger, &cancelled), 0);
		assert_string_equal(yaml, yamls[i]);
		assert_false(cancelled);
		free(yaml);
		free(trigger);
		/* Newest first: the rows were numbered in the order written. */
		const Rota__AuditEntry *e = audit.entries[RUNS - 1 - i];
		assert_int_equal(e->at_ms, 7000 + i);
		assert_string_equal(e->actor, i % 2 ? "ab" : actors[i]);
		assert_string_equal(e->target, ids[i]);
		assert_string_equal(e->outcome, i % 3 ? "ok" : "");
		/* No text here has a character across its third byte. */
		char cut[8];
		snprintf(cut, sizeof(cut), "%.3s", t);
		assert_string_equal(e->detail, i % 2 ? cut : t);
		assert_int_equal(e->count, i % 3 ? i % 3 : 1);
		if (i > 0)
			assert_true(e->id > audit.entries[RUNS - i]->id);
	}
	/* The specs, byte for byte (every run is still running). */
	store_step_row_t *steps = NULL;
	size_t n = 0;
	assert_int_equal(store_active_steps(s, &steps, &n), 0);
	assert_int_equal(n, RUNS);
	for (size_t k = 0; k < n; k++) {
		/* "sNN": the run's number. */
		int i = (steps[k].run_id[1] - '0') * 10 + (steps[k].run_id[2] - '0');
		assert_int_equal(steps[k].row, rows[i]);
		size_t spec_len = (size_t)(i % (sizeof(spec_bytes) + 1));
		assert_int_equal(steps[k].spec_len, spec_len);
		if (spec_len > 0)
			assert_memory_equal(steps[k].spec, spec_bytes, spec_len);
	}
	store_step_rows_free(steps, n);
	/* Output is kept only for a step run marked dispatched: the
	 * dispatch folded into the INSERT marked it. */
	for (int i = 0; i < 2; i++) {
		store_output_t outcome;
		uint64_t recorded = 0;
		assert_int_equal(store_output_append(s, rows[i], 1, 1, (const uint8_t *)"x", 1,
		                                     1 << 20, 9000, &outcome, &recorded),
		                 0);
		assert_int_equal(outcome, i % 2 ? STORE_OUTPUT_REFUSED : STORE_OUTPUT_STORED);
	}
	assert_int_equal(store_commit(s), 0);
	for (size_t k = 0; k < audit.n_entries; k++)
		rota__audit_entry__free_unpacked(audit.entries[k], NULL);
	free(audit.entries);
	store_destroy(&s);
}

/* Turns of every size from 1 to 140 held updates (past a statement's 64
 * rows of VALUES and 128 event rows): the statements the store prepares
 * for them are a fixed set, not one for each number of rows a turn
 * happened to hold (on SQLite that was up to 64 + 64 + 128 prepares,
 * each parsing a statement of hundreds of parameters), and every row
 * still gets its turn's values. */
static void
test_turns_of_every_size_prepare_a_fixed_set(void **state)
{
	fixture_t *f = *state;
	store_t *s = open_ok(f->path);
	enum { RUNS = 140 };
	char ids[RUNS][16];
	int64_t rows[RUNS];
	for (int i = 0; i < RUNS; i++) {
		snprintf(ids[i], sizeof(ids[i]), "r%03d", i);
		rows[i] = insert_running_run(s, ids[i]);
	}
	assert_int_equal(store_commit(s), 0);
	uint64_t first = 0;
	assert_int_equal(store_events_last(s, &first), 0);
	uint64_t before = store_prepares(s);
	for (int n = 1; n <= RUNS; n++) {
		for (int i = 0; i < n; i++) {
			store_step_state_t st = {.run_id = ids[i],
			                         .status = ROTA__STEP_STATUS__STEP_RUNNING,
			                         .started_ms = 10000 * n + i};
			assert_int_equal(store_step_update(s, rows[i], &st), 0);
			assert_int_equal(store_run_update(s, ids[i], ROTA__RUN_STATUS__RUN_RUNNING,
			                                  10000 * n + i, 0),
			                 0);
		}
		assert_int_equal(store_commit(s), 0);
	}
	/* Powers of two: 8 sizes of the events' INSERT, 7 of each UPDATE. */
	uint64_t prepared = store_prepares(s) - before;
	assert_true(prepared <= 8 + 7 + 7);
	for (int i = 0; i < RUNS; i++) {
		Rota__ShowRunResponse *show = xmalloc(sizeof(*show));
		assert_int_equal(store_run_show(s, ids[i], 0, show), 0);
		assert_int_equal(show->run->started_ms, 10000 * RUNS + i);
		assert_int_equal(show->n_steps, 1);
		assert_int_equal(show->steps[0]->status, ROTA__STEP_STATUS__STEP_RUNNING);
		rota__show_run_response__free_unpacked(show, NULL);
	}
	/* Every event, in the order made: a turn of n, the step's then the
	 * run's for runs 0 to n - 1. */
	uint64_t last = 0;
	assert_int_equal(store_events_last(s, &last), 0);
	assert_int_equal(last - first, RUNS * (RUNS + 1));
	Rota__Event **evs = NULL;
	size_t got = 0;
	assert_int_equal(store_events_read(s, first, last, NULL, RUNS * (RUNS + 1), &evs, &got), 0);
	assert_int_equal(got, RUNS * (RUNS + 1));
	size_t k = 0;
	for (int n = 1; n <= RUNS; n++)
		for (int i = 0; i < n; i++, k += 2) {
			assert_int_equal(evs[k]->body_case, ROTA__EVENT__BODY_STEP);
			assert_string_equal(evs[k]->run_id, ids[i]);
			assert_int_equal(evs[k + 1]->body_case, ROTA__EVENT__BODY_RUN);
			assert_string_equal(evs[k + 1]->run_id, ids[i]);
			assert_int_equal(evs[k + 1]->cursor, evs[k]->cursor + 1);
			if (k > 0)
				assert_int_equal(evs[k]->cursor, evs[k - 1]->cursor + 1);
		}
	store_events_free(evs, got);
	store_destroy(&s);
}

/* A turn of submits whose runs are updated in it (a submit's first step
 * started at once, a run ended in its own turn): on PostgreSQL each run's
 * updates are folded into its held INSERT (store_adds.c), so the runs
 * are one INSERT and no UPDATE; every value and every event comes back as
 * made, in order, on both engines. A run written before its update (a
 * read inside the turn) and a run's outcome are still held updates. */
static void
test_a_turn_of_submits_writes_each_run_once(void **state)
{
	fixture_t *f = *state;
	store_t *s = open_ok(f->path);
	enum { RUNS = 12 };
	char ids[RUNS][16];
	uint64_t first = 0;
	assert_int_equal(store_events_last(s, &first), 0);
	uint64_t before = store_statements(s);
	for (int i = 0; i < RUNS; i++) {
		snprintf(ids[i], sizeof(ids[i]), "f%02d", i);
		store_run_t run = {.id = ids[i],
		                   .runbook = "book",
		                   .status = ROTA__RUN_STATUS__RUN_PENDING,
		                   .created_ms = 1000 + i,
		                   .slot_ms = 7};
		assert_int_equal(store_run_insert(s, &run), 0);
		/* i % 3: 0 left pending, 1 started, 2 started then ended. */
		if (i % 3 >= 1)
			assert_int_equal(
			    store_run_update(s, ids[i], ROTA__RUN_STATUS__RUN_RUNNING, 2000 + i, 0),
			    0);
		if (i % 3 == 2)
			assert_int_equal(store_run_update(s, ids[i],
			                                  ROTA__RUN_STATUS__RUN_SUCCEEDED, 2000 + i,
			                                  3000 + i),
			                 0);
	}
	assert_int_equal(store_commit(s), 0);
	/* PostgreSQL: BEGIN, the runs' INSERT, the events' INSERT, the fence
	 * and COMMIT (an UPDATE of the runs besides when they were written
	 * twice). SQLite: BEGIN, an INSERT a run, the UPDATE of the runs,
	 * the events' INSERT and COMMIT. */
	uint64_t spent = store_statements(s) - before;
	assert_int_equal(spent, store_is_postgresql(s) ? 5 : RUNS + 4);
	for (int i = 0; i < RUNS; i++) {
		Rota__ShowRunResponse *show = xmalloc(sizeof(*show));
		assert_int_equal(store_run_show(s, ids[i], 0, show), 0);
		static const int status[] = {ROTA__RUN_STATUS__RUN_PENDING,
		                             ROTA__RUN_STATUS__RUN_RUNNING,
		                             ROTA__RUN_STATUS__RUN_SUCCEEDED};
		assert_int_equal(show->run->status, status[i % 3]);
		assert_int_equal(show->run->created_ms, 1000 + i);
		assert_int_equal(show->run->slot_ms, 7);
		assert_int_equal(show->run->started_ms, i % 3 ? 2000 + i : 0);
		assert_int_equal(show->run->ended_ms, i % 3 == 2 ? 3000 + i : 0);
		rota__show_run_response__free_unpacked(show, NULL);
	}
	/* Every run event, in the order made. */
	uint64_t last = 0;
	assert_int_equal(store_events_last(s, &last), 0);
	Rota__Event **evs = NULL;
	size_t n = 0;
	assert_int_equal(store_events_read(s, first, last, NULL, 100, &evs, &n), 0);
	assert_int_equal(n, RUNS + RUNS / 3 * 3);
	size_t k = 0;
	for (int i = 0; i < RUNS; i++)
		for (int u = 0; u <= i % 3; u++, k++) {
			static const int status[] = {ROTA__RUN_STATUS__RUN_PENDING,
			                             ROTA__RUN_STATUS__RUN_RUNNING,
			                             ROTA__RUN_STATUS__RUN_SUCCEEDED};
			assert_int_equal(evs[k]->body_case, ROTA__EVENT__BODY_RUN);
			assert_string_equal(evs[k]->run_id, ids[i]);
			assert_int_equal(evs[k]->run->status, status[u]);
			if (k > 0)
				assert_true(evs[k]->cursor > evs[k - 1]->cursor);
		}
	store_events_free(evs, n);

	/* A run read inside the turn is written by the read: its update is
	 * an UPDATE after. A held run's outcome is an UPDATE too, its state
	 * folded into the INSERT. */
	store_run_t run = {.id = "g1", .runbook = "book", .status = ROTA__RUN_STATUS__RUN_PENDING};
	assert_int_equal(store_run_insert(s, &run), 0);
	Rota__RunSummary sum;
	assert_int_equal(store_run_summary(s, "g1", &sum), 0);
	assert_int_equal(sum.status, ROTA__RUN_STATUS__RUN_PENDING);
	store_run_summary_clear(&sum);
	assert_int_equal(store_run_update(s, "g1", ROTA__RUN_STATUS__RUN_RUNNING, 4000, 0), 0);
	run.id = "g2";
	assert_int_equal(store_run_insert(s, &run), 0);
	assert_int_equal(store_run_update(s, "g2", ROTA__RUN_STATUS__RUN_FAILED, 4100, 4200), 0);
	assert_int_equal(store_run_outcome(s, "g2", 0, 2, "why"), 0);
	assert_int_equal(store_commit(s), 0);
	Rota__ShowRunResponse *show = xmalloc(sizeof(*show));
	assert_int_equal(store_run_show(s, "g1", 0, show), 0);
	assert_int_equal(show->run->status, ROTA__RUN_STATUS__RUN_RUNNING);
	assert_int_equal(show->run->started_ms, 4000);
	rota__show_run_response__free_unpacked(show, NULL);
	show = xmalloc(sizeof(*show));
	assert_int_equal(store_run_show(s, "g2", 0, show), 0);
	assert_int_equal(show->run->status, ROTA__RUN_STATUS__RUN_FAILED);
	assert_int_equal(show->run->started_ms, 4100);
	assert_int_equal(show->run->ended_ms, 4200);
	assert_string_equal(show->run->reason, "why");
	rota__show_run_response__free_unpacked(show, NULL);
	assert_int_equal(store_run_summary(s, "g2", &sum), 0);
	assert_int_equal(sum.hosts_failed, 2);
	store_run_summary_clear(&sum);
	store_destroy(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_oncall_overrides, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_oncall_feeds, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_migrates_empty_file_and_reopens, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_a_turn_writes_each_row_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_a_turn_of_many_runs_writes_them_together, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_a_turn_of_many_runs_keeps_every_text, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_turns_of_every_size_prepare_a_fixed_set, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_a_turn_of_submits_keeps_every_row, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_a_turn_of_submits_writes_each_run_once, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_refuses_a_newer_schema, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_runs_keep_no_index_that_leads_another, setup,
	                                    teardown),
	    cmocka_unit_test(test_no_file_no_watch),
	    cmocka_unit_test_setup_teardown(test_migration_6_keeps_the_order_runs_were_linked_in,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rollback_leaves_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_steps_and_output, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_output_is_capped_with_one_marker, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_output_in_seq_order_once_and_only_when_dispatched,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_worker_delete, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_recorded_values, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
