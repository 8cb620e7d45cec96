/* Unit tests for store_schema_pg: the store's schema on PostgreSQL. It is
 * SQLite's (the same tables, columns in the same order, the same indexes,
 * the types mapped), made once however many coordinators start together
 * on an empty database, and a newer one is refused.
 *
 * Needs the server ROTA_TEST_PG_URL names (the suite's private cluster
 * sets it); each test works in a schema of its own, dropped after. Without
 * it every test is skipped, saying why. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture_dir.h"
#include "fixture_store.h"
#include "store/db.h"
#include "store/store.h"
#include "store/store_int.h"
#include "strbuf.h"
#include "xalloc.h"

static int
setup(void **state)
{
	return fixture_store_pg_setup(state, "test_schema");
}

static fixture_store_pg_t *
need_server(void **state)
{
	return fixture_store_pg_need(state, "pg.unit.store_schema_pg");
}

/* Rows of a query as one string, "a|b|c\n" a row. */
static char *
rows_of(db_t *db, const char *sql)
{
	db_stmt_t *st = db_prepare(db, sql);
	if (st == NULL)
		fail_msg("%s: %s", sql, db_errmsg(db));
	char *out = xstrdup("");
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		char *row = xstrdup("");
		for (int i = 0; i < 3; i++) {
			char *next = xasprintf("%s%s%s", row, i ? "|" : "", db_column_text(st, i));
			free(row);
			row = next;
		}
		char *next = xasprintf("%s%s\n", out, row);
		free(row);
		free(out);
		out = next;
	}
	assert_int_equal(rc, DB_DONE);
	db_finalize(st);
	return out;
}

/* Every table's columns in order with their types, and every index, as
 * SQLite's store has them and as PostgreSQL's does, in SQLite's words.
 * SQLite's own tables (sqlite_sequence, kept for AUTOINCREMENT) are its
 * engine's, as PostgreSQL's sequences are. */
static void
test_schema_matches_sqlite(void **state)
{
	fixture_store_pg_t *f = need_server(state);
	store_destroy(&(store_t *){fixture_store_plain(f->url)});
	assert_int_equal(fixture_dir_make("schemapg", f->dir, sizeof(f->dir)), 0);
	const char *path = fixture_dir_path(f->dir, "rota.db");
	char *sqlite_path = xstrdup(path);
	store_destroy(&(store_t *){fixture_store_plain(sqlite_path)});

	db_options_t so = {.target = sqlite_path};
	char *error = NULL;
	db_t *lite = db_open(&so, &error);
	assert_non_null(lite);
	char *lite_cols =
	    rows_of(lite, "SELECT m.name, c.name, upper(c.type) FROM sqlite_master m,"
	                  " pragma_table_info(m.name) c WHERE m.type = 'table'"
	                  " AND m.name NOT LIKE 'output_fts%' AND m.name NOT LIKE 'sqlite_%'"
	                  " ORDER BY m.name, c.cid");
	char *lite_idx = rows_of(lite, "SELECT tbl_name, name, '' FROM sqlite_master"
	                               " WHERE type = 'index' AND name NOT LIKE 'sqlite_%'"
	                               " ORDER BY tbl_name, name");
	db_close(&lite);

	db_t *pg = fixture_store_db(f->url);
	char *pg_cols =
	    rows_of(pg, "SELECT table_name, column_name, CASE data_type WHEN 'bigint' THEN"
	                " 'INTEGER' WHEN 'bytea' THEN 'BLOB' WHEN 'text' THEN 'TEXT' ELSE"
	                " data_type END FROM information_schema.columns"
	                " WHERE table_schema = current_schema()"
	                " ORDER BY table_name COLLATE \"C\", ordinal_position");
	/* Indexes made by CREATE INDEX; those of PRIMARY KEY and UNIQUE are
	 * constraints' (SQLite's sqlite_autoindex_*). The search index is each
	 * engine's own: FTS5's tables on SQLite (left out above), a GIN index
	 * here. */
	char *pg_idx = rows_of(pg, "SELECT tablename, indexname, '' FROM pg_indexes"
	                           " WHERE schemaname = current_schema() AND indexname NOT IN"
	                           " (SELECT conname FROM pg_constraint)"
	                           " AND indexname != 'output_text_fts'"
	                           " ORDER BY tablename COLLATE \"C\", indexname COLLATE \"C\"");
	db_close(&pg);
	assert_string_equal(pg_cols, lite_cols);
	assert_string_equal(pg_idx, lite_idx);
	assert_non_null(strstr(pg_cols, "outputs|data|BLOB\n"));
	assert_non_null(strstr(pg_cols, "runs|created_ms|INTEGER\n"));
	free(lite_cols);
	free(lite_idx);
	free(pg_cols);
	free(pg_idx);
	free(sqlite_path);
}

/* The version is SQLite's number; opening again migrates nothing; ids are
 * numbered by the database; text sorts byte by byte as on SQLite. */
static void
test_version_and_reopen(void **state)
{
	fixture_store_pg_t *f = need_server(state);
	store_t *s = fixture_store_plain(f->url);
	assert_true(store_is_postgresql(s));
	assert_int_equal(store_schema_version(s), STORE_SCHEMA_VERSION);
	store_destroy(&s);
	s = fixture_store_plain(f->url);
	assert_int_equal(store_schema_version(s), STORE_SCHEMA_VERSION);
	store_destroy(&s);

	db_t *db = fixture_store_db(f->url);
	char *v = rows_of(db, "SELECT key, value, '' FROM meta WHERE key = 'schema_version'");
	char *want = xasprintf("schema_version|%d|\n", STORE_SCHEMA_VERSION);
	assert_string_equal(v, want);
	free(v);
	free(want);
	assert_int_equal(db_exec(db, "INSERT INTO workers (id, state, last_seen_ms) VALUES"
	                             " ('web-10', 'up', 1), ('Web1', 'up', 1), ('web1', 'up', 1),"
	                             " ('web_2', 'up', 1), ('web-2', 'up', 1)"),
	                 0);
	char *order = rows_of(db, "SELECT id, '', '' FROM workers ORDER BY id");
	assert_string_equal(order, "Web1||\nweb-10||\nweb-2||\nweb1||\nweb_2||\n");
	free(order);
	assert_int_equal(db_exec(db, "INSERT INTO runs (id, runbook, status, created_ms)"
	                             " VALUES ('r1', 'b', 1, 1)"),
	                 0);
	db_stmt_t *ins = db_prepare(db, "INSERT INTO step_runs (run_id, step_id, host, attempt,"
	                                " position, status) VALUES ('r1', ?, 'h', 1, 0, 0)"
	                                " RETURNING id");
	assert_non_null(ins);
	for (int64_t i = 1; i <= 2; i++) {
		db_bind_text(ins, 1, i == 1 ? "a" : "b");
		assert_int_equal(db_step(ins), DB_ROW);
		assert_int_equal(db_column_int64(ins, 0), i);
		db_reset(ins);
	}
	db_finalize(ins);
	db_close(&db);
}

static void
test_newer_refused(void **state)
{
	fixture_store_pg_t *f = need_server(state);
	store_destroy(&(store_t *){fixture_store_plain(f->url)});
	db_t *db = fixture_store_db(f->url);
	assert_int_equal(db_exec(db, "UPDATE meta SET value = '99' WHERE key = 'schema_version'"),
	                 0);
	db_close(&db);
	char *error = NULL;
	store_options_t o = {.target = f->url};
	assert_null(store_open(&o, &error));
	assert_non_null(error);
	assert_non_null(strstr(error, "schema version 99, newer than this rota"));
	assert_non_null(strstr(error, "upgrade rota-coordinator"));
	free(error);
}

#define RACERS 4

typedef struct {
	const char *url;
	pthread_barrier_t *start;
	int version;
	char *error;
} racer_t;

static void *
race_open(void *arg)
{
	racer_t *r = arg;
	store_options_t o = {.target = r->url};
	pthread_barrier_wait(r->start);
	store_t *s = store_open(&o, &r->error);
	r->version = s ? store_schema_version(s) : -1;
	store_destroy(&s);
	return NULL;
}

/* Coordinators starting together on an empty database: one makes the
 * schema, every one opens it. */
static void
test_concurrent_first_open(void **state)
{
	fixture_store_pg_t *f = need_server(state);
	pthread_barrier_t start;
	assert_int_equal(pthread_barrier_init(&start, NULL, RACERS), 0);
	racer_t racers[RACERS];
	pthread_t threads[RACERS];
	for (int i = 0; i < RACERS; i++) {
		racers[i] = (racer_t){.url = f->url, .start = &start};
		assert_int_equal(pthread_create(&threads[i], NULL, race_open, &racers[i]), 0);
	}
	for (int i = 0; i < RACERS; i++)
		assert_int_equal(pthread_join(threads[i], NULL), 0);
	pthread_barrier_destroy(&start);
	for (int i = 0; i < RACERS; i++) {
		if (racers[i].error != NULL)
			fail_msg("racer %d: %s", i, racers[i].error);
		assert_int_equal(racers[i].version, STORE_SCHEMA_VERSION);
	}
}

/* The plan of statement sql (its EXPLAIN) for a turn of PLAN_ROWS rows,
 * every 150th of the table's: the values bound as the store binds them,
 * one array a column. */
#define PLAN_ROWS 400
static char *
plan_of(db_t *db, const char *sql, int columns, bool text_id)
{
	char *explain = xasprintf("EXPLAIN %s", sql);
	db_stmt_t *st = db_prepare(db, explain);
	if (st == NULL)
		fail_msg("%s: %s", sql, db_errmsg(db));
	for (int c = 1; c <= columns; c++) {
		strbuf_t a = {0};
		for (int i = 0; i < PLAN_ROWS; i++) {
			int64_t id = 1 + (int64_t)i * 150; /* spread over the table */
			if (c == 1 && text_id) {
				char key[24];
				snprintf(key, sizeof(key), "r%lld", (long long)id);
				store_arr_text(&a, key);
			} else {
				store_arr_int(&a, true, c == 1 ? id : 0);
			}
		}
		store_arr_bind(st, c, &a);
	}
	char *plan = xstrdup("");
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		char *next = xasprintf("%s%s\n", plan, db_column_text(st, 0));
		free(plan);
		plan = next;
	}
	assert_int_equal(rc, DB_DONE);
	db_finalize(st);
	free(explain);
	return plan;
}

/* A turn's batched updates of runs and step_runs (store_batch.c) look
 * their rows up by primary key on the store's connection, which sets its
 * own page cost (db_pg_conn.c): with PostgreSQL's default
 * random_page_cost a turn of a few hundred rows on a
 * table of tens of thousands was planned as a hash join over a scan of the
 * whole table, every turn, a sixth of the server's CPU under the
 * throughput benchmark (docs/benchmarks.md, "Batched updates by key"). */
static void
test_batch_updates_use_keys(void **state)
{
	fixture_store_pg_t *f = need_server(state);
	store_destroy(&(store_t *){fixture_store_plain(f->url)});
	db_t *db = fixture_store_db(f->url);
	assert_int_equal(db_exec(db,
	                         "INSERT INTO runs (id, runbook, status, created_ms)"
	                         " SELECT 'r' || g, 'b', 1, g FROM generate_series(1, 60000) g"),
	                 0);
	assert_int_equal(db_exec(db, "INSERT INTO step_runs (id, run_id, step_id, host, attempt,"
	                             " position, status) SELECT g, 'r' || g, 's', 'h', 1, 0, 0"
	                             " FROM generate_series(1, 60000) g"),
	                 0);
	assert_int_equal(db_exec(db, "ANALYZE runs; ANALYZE step_runs"), 0);
	char *runs = plan_of(db, store_batch_pg_runs, 7, true);
	char *steps = plan_of(db, store_batch_pg_steps, 8, false);
	if (strstr(runs, "Seq Scan on runs") != NULL)
		fail_msg("the runs' update reads the whole table:\n%s", runs);
	if (strstr(steps, "Seq Scan on step_runs") != NULL)
		fail_msg("the steps' update reads the whole table:\n%s", steps);
	assert_non_null(strstr(runs, "runs_pkey"));
	assert_non_null(strstr(steps, "step_runs_pkey"));
	free(runs);
	free(steps);
	db_close(&db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_schema_matches_sqlite, setup,
	                                    fixture_store_pg_teardown),
	    cmocka_unit_test_setup_teardown(test_version_and_reopen, setup,
	                                    fixture_store_pg_teardown),
	    cmocka_unit_test_setup_teardown(test_newer_refused, setup, fixture_store_pg_teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent_first_open, setup,
	                                    fixture_store_pg_teardown),
	    cmocka_unit_test_setup_teardown(test_batch_updates_use_keys, setup,
	                                    fixture_store_pg_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
