/* test_store_prune: retention on a real store (SQLite here, PostgreSQL in
 * the pg.unit.store_prune variant), with times given as a fake clock
 * would: what is older than each table's retention goes, in small batches;
 * the newest runs of each runbook, an open incident's runs, an active run,
 * pending notifications and open incidents stay; a dry run counts exactly
 * what the pass then deletes; the SQLite file shrinks; and output comes
 * back as written whether it was stored packed or not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "fixture_store.h"
#include "store/store.h"
#include "xalloc.h"

#define DAY (24LL * 3600 * 1000)
#define NOW (20000 * DAY) /* 2024-10-04: any fixed instant does */

/* A run of runbook made days_ago, one step on host h with three chunks of
 * output (one long and repetitive, so it is stored packed). */
static void
add_run(store_t *s, const char *id, const char *runbook, int64_t days_ago, int status)
{
	int64_t at = NOW - days_ago * DAY;
	fixture_store_run(s, id, runbook, "name: x\n", status, at);
	int64_t row = 0;
	assert_int_equal(store_step_insert(s, id, "s1", "h", 1, 0, 2, NULL, 0, &row), 0);
	store_step_state_t st = {.status = 2, .started_ms = at};
	assert_int_equal(store_step_update(s, row, &st), 0);
	char big[4096];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = "disk /var ok\n"[i % 13];
	store_output_t out;
	uint64_t rec;
	assert_int_equal(store_output_append(s, row, 1, 1, (const uint8_t *)"start\n", 6, 1 << 20,
	                                     at, &out, &rec),
	                 0);
	assert_int_equal(store_output_append(s, row, 2, 1, (const uint8_t *)big, sizeof(big),
	                                     1 << 20, at, &out, &rec),
	                 0);
	assert_int_equal(store_output_append(s, row, 3, 2, (const uint8_t *)"done\n", 5, 1 << 20,
	                                     at, &out, &rec),
	                 0);
}

static void
add_incident(store_t *s, const char *id, int64_t created_days_ago, int64_t resolved_days_ago,
             const char *run_id)
{
	int64_t created_ms = NOW - created_days_ago * DAY;
	fixture_store_incident(s, id, created_ms);
	assert_int_equal(store_incident_event_add(s, id, created_ms, "opened", "x"), 0);
	if (run_id != NULL)
		assert_int_equal(store_incident_link_run(s, id, run_id), 0);
	if (resolved_days_ago >= 0) {
		store_incident_t r = {0};
		assert_int_equal(store_incident_get(s, id, &r), 0);
		free(r.status);
		r.status = xstrdup("resolved");
		r.resolved_ms = NOW - resolved_days_ago * DAY;
		assert_int_equal(store_incident_set_status(s, &r), 0);
		store_incident_clear(&r);
	}
}

static void
add_audit(store_t *s, int64_t days_ago)
{
	store_audit_entry_t e = {.at_ms = NOW - days_ago * DAY,
	                         .actor = "ops",
	                         .role = "admin",
	                         .action = "reload",
	                         .outcome = "ok"};
	assert_int_equal(store_audit_insert(s, &e, 256), 0);
}

typedef struct {
	int64_t ids[8];
	size_t n;
} ids_t;

static bool
collect(void *ctx, const store_outbox_row_t *row)
{
	ids_t *ids = ctx;
	if (ids->n < 8)
		ids->ids[ids->n++] = row->id;
	return false; /* go on */
}

/* Four notifications made 40, 40, 40 and 5 days ago; all but the third
 * delivered. */
static void
add_notifications(const char *path, store_t *s)
{
	int64_t ages[] = {40, 40, 40, 5};
	for (int i = 0; i < 4; i++) {
		store_outbox_item_t it = {.channel = "c", .kind = "trigger", .severity = 2};
		assert_int_equal(store_begin(s), 0);
		assert_int_equal(store_outbox_add(s, &it, NOW - ages[i] * DAY), 0);
		assert_int_equal(store_commit(s), 0);
	}
	store_options_t o = {.target = path};
	char *error = NULL;
	store_outbox_t *ob = store_outbox_open(&o, 2000, &error);
	assert_non_null(ob);
	ids_t ids = {0};
	assert_int_equal(store_outbox_due(ob, NOW, collect, &ids), 0);
	assert_int_equal(ids.n, 4);
	for (size_t i = 0; i < ids.n; i++)
		if (i != 2)
			assert_int_equal(store_outbox_delivered(ob, ids.ids[i], NOW, 200), 0);
	store_outbox_close(&ob);
}

static void
fill(fixture_store_t *f)
{
	store_t *s = f->store;
	assert_int_equal(store_begin(s), 0);
	/* Runbook a: the newest two (an active one among them) stay by
	 * keep_runs_per_runbook, a-199 by its open incident; a-200 and a-198
	 * go whole. */
	add_run(s, "a-200", "a", 200, 3);
	add_run(s, "a-199", "a", 199, 4);
	add_run(s, "a-198", "a", 198, 3);
	add_run(s, "a-197", "a", 197, 3);
	add_run(s, "a-196", "a", 196, 2);
	/* Runbook b: b-60 loses its output (older than 30d) but stays (younger
	 * than 90d); b-50 is among b's newest two: its output stays. */
	add_run(s, "b-60", "b", 60, 3);
	add_run(s, "b-50", "b", 50, 3);
	add_run(s, "b-1", "b", 1, 3);
	/* Runbook c: one old run, the newest of its runbook. */
	add_run(s, "c-100", "c", 100, 4);
	add_incident(s, "INC-1", 199, -1, "a-199"); /* open */
	add_incident(s, "INC-2", 510, 500, "gone"); /* resolved long ago: goes */
	add_incident(s, "INC-3", 20, 10, "b-1");    /* resolved lately */
	add_audit(s, 500);
	add_audit(s, 450);
	add_audit(s, 401);
	add_audit(s, 10);
	assert_int_equal(store_commit(s), 0);
	add_notifications(f->path, s);
}

static void
dry_run(store_t *s, uint64_t rows[STORE_PRUNE_TABLES])
{
	store_prune_pass_t p;
	store_retention_t r = fixture_store_retention(2);
	store_prune_begin(&p, &r, NOW);
	assert_int_equal(store_prune_step(s, &p, 0, true), 0);
	assert_true(p.done);
	memcpy(rows, p.rows, sizeof(p.rows));
}

static void
test_prunes_what_retention_lets_go(void **state)
{
	fixture_store_t *f = *state;
	store_t *s = f->store;
	fill(f);
	/* A note on a run that goes and one on a run that stays. */
	store_note_t note = {.at_ms = NOW - 1, .kind = "finding", .author = "ann", .text = "x"};
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_note_run_add(s, "a-200", &note), 0);
	assert_int_equal(store_note_run_add(s, "a-199", &note), 0);
	assert_int_equal(store_commit(s), 0);

	uint64_t would[STORE_PRUNE_TABLES];
	dry_run(s, would);
	assert_int_equal(would[STORE_PRUNE_RUNS], 2);
	assert_int_equal(would[STORE_PRUNE_STEPS], 2);
	assert_int_equal(would[STORE_PRUNE_OUTPUTS], 9); /* a-200, a-198, b-60: 3 each */
	assert_int_equal(would[STORE_PRUNE_AUDIT], 3);
	assert_int_equal(would[STORE_PRUNE_NOTIFICATIONS], 2);
	assert_int_equal(would[STORE_PRUNE_INCIDENTS], 1);

	/* The pass in batches of 3 rows, a commit after each, as the loop
	 * takes it: the same rows as the dry run said. The search index is
	 * fed after the first batch, as the indexer would between turns:
	 * chunks pruned while queued are only dequeued, the text of the
	 * others goes with their runs later in the pass. */
	store_prune_pass_t p;
	store_retention_t r = fixture_store_retention(2);
	store_prune_begin(&p, &r, NOW);
	int batches = 0;
	while (!p.done) {
		assert_int_equal(store_prune_step(s, &p, 3, false), 0);
		assert_int_equal(store_commit(s), 0);
		assert_true(++batches < 200);
		int fed = 0;
		while (batches == 1 && (fed = store_search_feed(s, 3)) == 3)
			;
		assert_true(fed >= 0);
		assert_int_equal(store_commit(s), 0);
	}
	int64_t backlog = -1;
	assert_int_equal(store_search_backlog(s, &backlog), 0);
	assert_int_equal(backlog, 0);
	assert_true(batches > 5);
	assert_memory_equal(p.rows, would, sizeof(would));

	const char *gone[] = {"a-200", "a-198"};
	const char *kept[] = {"a-199", "a-197", "a-196", "b-60", "b-50", "b-1", "c-100"};
	for (size_t i = 0; i < 2; i++)
		assert_false(store_run_exists(s, gone[i]));
	for (size_t i = 0; i < 7; i++)
		assert_true(store_run_exists(s, kept[i]));
	/* A run's notes go with it; a kept run keeps its own. */
	const char *noted[] = {"a-200", "a-199"};
	for (size_t i = 0; i < 2; i++) {
		Rota__ShowRunResponse *shown = xmalloc(sizeof(*shown));
		rota__show_run_response__init(shown);
		assert_int_equal(store_note_run_list(s, noted[i], shown), 0);
		assert_int_equal(shown->n_notes, i == 0 ? 0 : 1);
		rota__show_run_response__free_unpacked(shown, NULL);
	}
	/* A kept run within the output retention, or kept by its runbook,
	 * shows its output, the packed chunk unpacked. */
	char *logs = fixture_store_logs(s, "b-50");
	assert_int_equal(strlen(logs), 6 + 4096 + 5);
	assert_memory_equal(logs, "start\ndisk /var ok\n", 19);
	assert_string_equal(logs + 6 + 4096, "done\n");
	free(logs);
	logs = fixture_store_logs(s, "b-60");
	assert_string_equal(logs, "");
	/* Pruned output cannot be found by rota search either: the text
	 * index goes with it (b's three runs printed "done"; b-60's is gone). */
	store_search_t q = {.text = "done", .runbook = "b", .limit = 10};
	Rota__SearchResponse *hits = xmalloc(sizeof(*hits));
	assert_int_equal(store_search(s, &q, hits), 0);
	assert_int_equal(hits->n_hits, 2);
	for (size_t i = 0; i < hits->n_hits; i++)
		assert_string_not_equal(hits->hits[i]->run_id, "b-60");
	rota__search_response__free_unpacked(hits, NULL);
	free(logs);
	logs = fixture_store_logs(s, "a-199");
	assert_int_equal(strlen(logs), 6 + 4096 + 5);
	free(logs);

	Rota__AuditResponse audit = ROTA__AUDIT_RESPONSE__INIT;
	assert_int_equal(store_audit_list(s, 0, 10, &audit), 0);
	assert_int_equal(audit.n_entries, 1);
	for (size_t i = 0; i < audit.n_entries; i++)
		rota__audit_entry__free_unpacked(audit.entries[i], NULL);
	free(audit.entries);

	uint64_t pending = 0, given_up = 0;
	assert_int_equal(store_outbox_counts(s, &pending, &given_up), 0);
	assert_int_equal(pending, 1); /* old but not delivered: stays */

	store_incident_t inc = {0};
	assert_int_equal(store_incident_get(s, "INC-2", &inc), 1);
	assert_int_equal(store_incident_get(s, "INC-1", &inc), 0);
	store_incident_clear(&inc);
	assert_int_equal(store_incident_get(s, "INC-3", &inc), 0);
	store_incident_clear(&inc);

	/* Nothing more to go. */
	dry_run(s, would);
	for (int t = 0; t < STORE_PRUNE_TABLES; t++)
		assert_int_equal(would[t], 0);

	/* The incident resolved: its run may go now. */
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_incident_get(s, "INC-1", &inc), 0);
	free(inc.status);
	inc.status = xstrdup("resolved");
	inc.resolved_ms = NOW;
	assert_int_equal(store_incident_set_status(s, &inc), 0);
	store_incident_clear(&inc);
	assert_int_equal(store_commit(s), 0);
	dry_run(s, would);
	assert_int_equal(would[STORE_PRUNE_RUNS], 1);
	assert_int_equal(would[STORE_PRUNE_INCIDENTS], 0); /* resolved now: 400 days to go */
}

static void
test_zero_keeps_forever(void **state)
{
	fixture_store_t *f = *state;
	fill(f);
	store_retention_t forever = {0};
	store_prune_pass_t p;
	store_prune_begin(&p, &forever, NOW);
	assert_int_equal(store_prune_step(f->store, &p, 1000, false), 0);
	assert_true(p.done);
	for (int t = 0; t < STORE_PRUNE_TABLES; t++)
		assert_int_equal(p.rows[t], 0);
	assert_true(store_run_exists(f->store, "a-200"));
}

/* The event stream's rows: a pass at NOW deletes none (every event was
 * written by the real clock, after NOW: the walk stops at the first one
 * not older than the cut); a pass far later deletes every event but the
 * newest events_keep, over several batches, and the dry run counts the
 * same; the deleted ids are remembered for followers. */
static void
test_events_go_keeping_the_newest(void **state)
{
	fixture_store_t *f = *state;
	store_t *s = f->store;
	fill(f);
	uint64_t last = 0, pruned = 0;
	assert_int_equal(store_events_last(s, &last), 0);
	assert_true(last > 20);
	uint64_t would[STORE_PRUNE_TABLES];
	dry_run(s, would);
	assert_int_equal(would[STORE_PRUNE_EVENTS], 0);
	store_retention_t r = fixture_store_retention(2);
	r.events_keep = 10;
	int64_t later = NOW + 5000 * DAY; /* after the real clock */
	store_prune_pass_t d;
	store_prune_begin(&d, &r, later);
	assert_int_equal(store_prune_step(s, &d, 0, true), 0);
	assert_int_equal(d.rows[STORE_PRUNE_EVENTS], last - 10);
	store_prune_pass_t p;
	store_prune_begin(&p, &r, later);
	int batches = 0;
	while (!p.done) {
		assert_int_equal(store_prune_step(s, &p, 7, false), 0);
		assert_int_equal(store_commit(s), 0);
		batches++;
	}
	assert_true(batches > 3);
	assert_int_equal(p.rows[STORE_PRUNE_EVENTS], d.rows[STORE_PRUNE_EVENTS]);
	assert_int_equal(store_events_pruned(s, &pruned), 0);
	assert_int_equal(pruned, last - 10);
	Rota__Event **evs;
	size_t n;
	assert_int_equal(store_events_read(s, 0, last, NULL, 100, &evs, &n), 0);
	assert_int_equal(n, 10);
	assert_int_equal(evs[0]->cursor, last - 9);
	store_events_free(evs, n);
	/* Nothing more goes at once: the newest 10 are the floor. */
	store_prune_begin(&p, &r, later);
	assert_int_equal(store_prune_step(s, &p, 1000, false), 0);
	assert_int_equal(p.rows[STORE_PRUNE_EVENTS], 0);
}

/* A bounded dry run (the loop's: a budget per call) counts, batch after
 * batch, exactly what the unbounded one does, and is not partial below its
 * caps. */
static void
test_bounded_dry_run_counts_the_same(void **state)
{
	fixture_store_t *f = *state;
	fill(f);
	uint64_t whole[STORE_PRUNE_TABLES];
	dry_run(f->store, whole);
	store_prune_pass_t p;
	store_retention_t r = fixture_store_retention(2);
	store_prune_begin(&p, &r, NOW);
	int calls = 0;
	while (!p.done) {
		assert_int_equal(store_prune_step(f->store, &p, 2, true), 0);
		assert_true(++calls < 1000);
	}
	assert_true(calls > 3);
	assert_false(p.partial);
	for (int t = 0; t < STORE_PRUNE_TABLES; t++)
		assert_int_equal(p.rows[t], whole[t]);
	assert_true(whole[STORE_PRUNE_RUNS] > 0 && whole[STORE_PRUNE_AUDIT] > 0);
}

/* A run's outputs larger than a batch are deleted over several batches,
 * and the run goes with the last one. */
static void
test_a_big_run_goes_over_several_batches(void **state)
{
	fixture_store_t *f = *state;
	store_t *s = f->store;
	assert_int_equal(store_begin(s), 0);
	add_run(s, "old", "x", 300, 3);
	add_run(s, "new", "x", 1, 3);
	int64_t row = 0;
	assert_int_equal(store_step_find(s, "old", "s1", "h", 1, &row), 0);
	store_output_t out;
	uint64_t rec;
	for (uint64_t seq = 4; seq < 40; seq++)
		assert_int_equal(store_output_append(s, row, seq, 1, (const uint8_t *)"line\n", 5,
		                                     1 << 20, NOW - 300 * DAY, &out, &rec),
		                 0);
	assert_int_equal(store_commit(s), 0);
	store_retention_t r = fixture_store_retention(2);
	r.keep_runs_per_runbook = 1;
	store_prune_pass_t p;
	store_prune_begin(&p, &r, NOW);
	assert_int_equal(store_prune_step(s, &p, 10, false), 0);
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(p.rows[STORE_PRUNE_OUTPUTS], 10);
	assert_true(store_run_exists(s, "old"));
	while (!p.done) {
		assert_int_equal(store_prune_step(s, &p, 10, false), 0);
		assert_int_equal(store_commit(s), 0);
	}
	assert_int_equal(p.rows[STORE_PRUNE_OUTPUTS], 39);
	assert_int_equal(p.rows[STORE_PRUNE_RUNS], 1);
	assert_false(store_run_exists(s, "old"));
	assert_true(store_run_exists(s, "new"));
}

/* SQLite: the file gives back what was deleted (auto_vacuum = INCREMENTAL
 * and store_prune_vacuum). */
static void
test_sqlite_file_shrinks(void **state)
{
	fixture_store_t *f = *state;
	store_t *s = f->store;
	if (store_is_postgresql(s))
		skip(); /* PostgreSQL's autovacuum keeps the space for reuse */
	assert_int_equal(store_begin(s), 0);
	uint32_t x = 12345;
	uint8_t noise[4000]; /* incompressible: stored as sent */
	for (int i = 0; i < 200; i++) {
		char id[32];
		snprintf(id, sizeof(id), "r-%03d", i);
		add_run(s, id, "big", 300 - i % 10, 3);
		int64_t row = 0;
		assert_int_equal(store_step_find(s, id, "s1", "h", 1, &row), 0);
		for (uint64_t seq = 4; seq < 14; seq++) {
			for (size_t k = 0; k < sizeof(noise); k++) {
				x = x * 1103515245u + 12345u;
				noise[k] = (uint8_t)(x >> 16);
			}
			store_output_t out;
			uint64_t rec;
			assert_int_equal(store_output_append(s, row, seq, 1, noise, sizeof(noise),
			                                     1 << 20, NOW - 300 * DAY, &out, &rec),
			                 0);
		}
	}
	assert_int_equal(store_commit(s), 0);
	int64_t before = 0, after = 0, left = 1;
	assert_int_equal(store_size(s, &before), 0);
	assert_true(before > 8 * 1000 * 1000);

	store_retention_t r = fixture_store_retention(2);
	r.keep_runs_per_runbook = 0;
	store_prune_pass_t p;
	store_prune_begin(&p, &r, NOW);
	while (!p.done) {
		assert_int_equal(store_prune_step(s, &p, 500, false), 0);
		assert_int_equal(store_commit(s), 0);
	}
	assert_int_equal(p.rows[STORE_PRUNE_RUNS], 200);
	for (int i = 0; i < 1000 && left > 0; i++) {
		assert_int_equal(store_prune_vacuum(s, 256, &left), 0);
		assert_int_equal(store_commit(s), 0);
	}
	assert_int_equal(left, 0);
	assert_int_equal(store_size(s, &after), 0);
	assert_true(after < before / 10);
}

static int64_t
auto_vacuum_of(const char *path)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	int64_t mode = fixture_store_sqlite_int(db, "PRAGMA auto_vacuum");
	sqlite3_close(db);
	return mode;
}

/* A new file is made with auto_vacuum = INCREMENTAL (2); a file made
 * before (auto_vacuum NONE) is switched once when opened, its rows kept. */
static void
test_sqlite_old_file_switched(void **state)
{
	fixture_store_t *f = *state;
	if (store_is_postgresql(f->store))
		skip();
	assert_int_equal(auto_vacuum_of(f->path), 2);
	assert_int_equal(store_begin(f->store), 0);
	add_run(f->store, "r", "x", 1, 3);
	assert_int_equal(store_commit(f->store), 0);
	store_destroy(&f->store);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA auto_vacuum = NONE; VACUUM;", NULL, NULL, NULL),
	                 SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(auto_vacuum_of(f->path), 0);
	f->store = fixture_store_open(f->path);
	assert_non_null(f->store);
	assert_int_equal(auto_vacuum_of(f->path), 2);
	assert_true(store_run_exists(f->store, "r"));
}

/* Output is stored packed when that saves bytes, and read back as sent;
 * rows from before the codec column (codec 0) read as they are. */
static void
test_output_packed_and_read_back(void **state)
{
	fixture_store_t *f = *state;
	store_t *s = f->store;
	assert_int_equal(store_begin(s), 0);
	add_run(s, "r", "x", 0, 3);
	assert_int_equal(store_commit(s), 0);
	char *logs = fixture_store_logs(s, "r");
	assert_int_equal(strlen(logs), 6 + 4096 + 5);
	free(logs);
	if (store_is_postgresql(s))
		return; /* the bytes on disk are checked on SQLite */
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(
	    sqlite3_prepare_v2(db, "SELECT seq, codec, length(data) FROM outputs ORDER BY seq", -1,
	                       &st, NULL),
	    SQLITE_OK);
	int seen = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		int seq = sqlite3_column_int(st, 0), codec = sqlite3_column_int(st, 1);
		int len = sqlite3_column_int(st, 2);
		if (seq == 2) {
			assert_int_equal(codec, 1);
			assert_true(len < 200); /* 4096 bytes of one repeated line */
		} else {
			assert_int_equal(codec, 0); /* too short to gain */
		}
		seen++;
	}
	sqlite3_finalize(st);
	assert_int_equal(seen, 3);
	/* A row as an older rota wrote it. */
	assert_int_equal(sqlite3_exec(db,
	                              "UPDATE outputs SET data = CAST('plain old row\n' AS BLOB),"
	                              " codec = 0 WHERE seq = 2",
	                              NULL, NULL, NULL),
	                 SQLITE_OK);
	sqlite3_close(db);
	logs = fixture_store_logs(s, "r");
	assert_string_equal(logs, "start\nplain old row\ndone\n");
	free(logs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_prunes_what_retention_lets_go,
	                                    fixture_store_setup_test, fixture_store_teardown),
	    cmocka_unit_test_setup_teardown(test_zero_keeps_forever, fixture_store_setup_test,
	                                    fixture_store_teardown),
	    cmocka_unit_test_setup_teardown(test_events_go_keeping_the_newest,
	                                    fixture_store_setup_test, fixture_store_teardown),
	    cmocka_unit_test_setup_teardown(test_bounded_dry_run_counts_the_same,
	                                    fixture_store_setup_test, fixture_store_teardown),
	    cmocka_unit_test_setup_teardown(test_a_big_run_goes_over_several_batches,
	                                    fixture_store_setup_test, fixture_store_teardown),
	    cmocka_unit_test_setup_teardown(test_sqlite_file_shrinks, fixture_store_setup_test,
	                                    fixture_store_teardown),
	    cmocka_unit_test_setup_teardown(test_output_packed_and_read_back,
	                                    fixture_store_setup_test, fixture_store_teardown),
	    cmocka_unit_test_setup_teardown(test_sqlite_old_file_switched, fixture_store_setup_test,
	                                    fixture_store_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
