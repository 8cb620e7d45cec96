/* Unit tests for store_import: the list of tables and columns an import
 * copies is the schema of both engines, table for table and column for
 * column (so a migration's new column cannot be left out of imports
 * silently); a SQLite store's rows arrive in PostgreSQL with their ids,
 * blobs byte for byte, and the ids the database gives next follow them; an
 * import into a database that is not empty is refused and writes nothing.
 *
 * The PostgreSQL cases need the server ROTA_TEST_PG_URL names (the suite's
 * private cluster sets it: pg.unit.store_import); each works in a schema of
 * its own, dropped after. Without it they are skipped, saying why. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture_dir.h"
#include "fixture_store.h"
#include "store/db.h"
#include "store/store.h"
#include "xalloc.h"

/* The schema, and a directory for the SQLite store (path: dir/rota.db)
 * that is copied in. */
static int
setup(void **state)
{
	if (fixture_store_pg_setup(state, "test_import") != 0)
		return -1;
	fixture_store_pg_t *f = *state;
	if (fixture_dir_make("import", f->dir, sizeof(f->dir)) != 0)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/rota.db", f->dir);
	return 0;
}

static fixture_store_pg_t *
need_server(void **state)
{
	return fixture_store_pg_need(state, "pg.unit.store_import");
}

/* A query's first column over every row, joined by sep (caller frees). */
static char *
column_of(db_t *db, const char *sql, const char *arg, const char *sep)
{
	db_stmt_t *st = db_prepare(db, sql);
	if (st == NULL)
		fail_msg("%s: %s", sql, db_errmsg(db));
	if (arg != NULL)
		db_bind_text(st, 1, arg);
	char *out = xstrdup("");
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		char *next = xasprintf("%s%s%s", out, out[0] ? sep : "", db_column_text(st, 0));
		free(out);
		out = next;
	}
	assert_int_equal(rc, DB_DONE);
	db_finalize(st);
	return out;
}

/* The list's table names, sorted as the catalog query sorts them, joined
 * by ",". */
static char *
listed_tables(void)
{
	size_t n = store_import_table_count();
	const char **names = xcalloc(n, sizeof(*names));
	for (size_t i = 0; i < n; i++)
		names[i] = store_import_table(i)->name;
	for (size_t i = 1; i < n; i++) /* insertion sort: a dozen names */
		for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			const char *t = names[j];
			names[j] = names[j - 1];
			names[j - 1] = t;
		}
	char *out = xstrdup("");
	for (size_t i = 0; i < n; i++) {
		char *next = xasprintf("%s%s%s", out, i ? "," : "", names[i]);
		free(out);
		out = next;
	}
	free(names);
	return out;
}

/* The engine's schema in the list's words: for every table, "name type"
 * per column in order, joined by ", ". */
static void
assert_list_is_schema(db_t *db, const char *tables_sql, const char *columns_sql)
{
	char *tables = column_of(db, tables_sql, NULL, ","); /* owned */
	char *listed = listed_tables();                      /* owned */
	assert_string_equal(listed, tables);
	for (size_t i = 0; i < store_import_table_count(); i++) {
		const store_import_table_t *t = store_import_table(i);
		char *cols = column_of(db, columns_sql, t->name, ", ");
		if (strcmp(cols, t->columns) != 0)
			fail_msg("table %s: the schema has\n  %s\nthe import's list has\n  %s\n"
			         "(store_import.c's list must name every column)",
			         t->name, cols, t->columns);
		free(cols);
	}
	free(tables);
	free(listed);
}

static void
test_list_is_sqlite_schema(void **state)
{
	fixture_store_pg_t *f = *state;
	store_t *s = fixture_store_plain(f->path); /* creates and migrates the file */
	store_destroy(&s);
	db_t *db = fixture_store_db(f->path);
	assert_list_is_schema(
	    db,
	    /* output_fts and its shadow tables are SQLite's search index over
	     * output_text (PostgreSQL's is an index): nothing to copy. */
	    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
	    " AND name NOT LIKE 'output_fts%' ORDER BY name",
	    "SELECT name || ' ' || CASE type WHEN 'INTEGER' THEN 'i' WHEN 'TEXT' THEN 't'"
	    " WHEN 'BLOB' THEN 'b' ELSE type END FROM pragma_table_info(?) ORDER BY cid");
	db_close(&db);
}

static void
test_list_is_postgresql_schema(void **state)
{
	fixture_store_pg_t *f = need_server(state);
	store_t *s = fixture_store_plain(f->url);
	store_destroy(&s);
	db_t *db = fixture_store_db(f->url);
	assert_list_is_schema(
	    db,
	    "SELECT table_name FROM information_schema.tables WHERE table_schema ="
	    " current_schema() ORDER BY table_name COLLATE \"C\"",
	    "SELECT column_name || ' ' || CASE data_type WHEN 'bigint' THEN 'i' WHEN 'text'"
	    " THEN 't' WHEN 'bytea' THEN 'b' ELSE data_type END FROM information_schema.columns"
	    " WHERE table_schema = current_schema() AND table_name = ? ORDER BY"
	    " ordinal_position");
	db_close(&db);
}

/* A SQLite store with two runs, a step each, output with every byte value,
 * an audit row and an incident. */
static void
fill_sqlite(const char *path)
{
	store_t *s = fixture_store_plain(path);
	for (int r = 0; r < 2; r++) {
		char id[32];
		snprintf(id, sizeof(id), "run-%d", r);
		store_run_t run = {
		    .id = id, .runbook = "speak", .status = 3, .created_ms = 1000 + r};
		assert_int_equal(store_run_insert(s, &run), 0);
		int64_t row = 0;
		assert_int_equal(
		    store_step_insert(s, id, "say", "w1", 1, 0, 2, (const uint8_t *)"\0x", 2, &row),
		    0);
		store_step_state_t sent = {.status = 2}; /* dispatched: output may come */
		assert_int_equal(store_step_update(s, row, &sent), 0);
		uint8_t bytes[256];
		for (int i = 0; i < 256; i++)
			bytes[i] = (uint8_t)i;
		store_output_t outcome;
		uint64_t recorded;
		/* 70 chunks: more than a batch of the import's INSERT. */
		for (uint64_t seq = 1; seq <= 70; seq++) {
			assert_int_equal(store_output_append(s, row, seq, 1, bytes, sizeof(bytes),
			                                     1 << 20, 2000, &outcome, &recorded),
			                 0);
			assert_int_equal(outcome, STORE_OUTPUT_STORED);
		}
	}
	store_audit_entry_t a = {.at_ms = 5,
	                         .actor = "alice",
	                         .role = "admin",
	                         .action = "submit",
	                         .target = "run-0",
	                         .outcome = "ok"};
	assert_int_equal(store_audit_insert(s, &a, 256), 0);
	assert_int_equal(store_commit(s), 0);
	store_destroy(&s);
}

static void
test_import_copies_everything(void **state)
{
	fixture_store_pg_t *f = need_server(state);
	fill_sqlite(f->path);
	store_t *src = fixture_store_plain(f->path);
	store_t *dst = fixture_store_plain(f->url);
	store_import_report_t report;
	char *error = NULL;
	if (store_import(dst, src, &report, &error) != 0)
		fail_msg("store_import: %s", error);
	for (size_t i = 0; i < store_import_table_count(); i++) {
		const char *name = store_import_table(i)->name;
		int64_t want = strcmp(name, "runs") == 0        ? 2
		               : strcmp(name, "step_runs") == 0 ? 2
		               : strcmp(name, "outputs") == 0   ? 140
		               /* each chunk waits for the search index: the
		                * new store's indexer feeds it */
		               : strcmp(name, "search_queue") == 0 ? 140
		               : strcmp(name, "audit") == 0        ? 1
		               /* each chunk, each run's and step's status */
		               : strcmp(name, "events") == 0 ? 144
		               : strcmp(name, "meta") == 0   ? -1 /* the epoch, if any */
		                                             : 0;
		if (want >= 0 && report.rows[i] != want)
			fail_msg("%s: %lld rows copied, expected %lld", name,
			         (long long)report.rows[i], (long long)want);
	}
	db_t *a = fixture_store_db(f->path);
	db_t *b = fixture_store_db(f->url);
	/* Ids and bytes as they were (hex, the same in both engines' words). */
	char *sa = column_of(a,
	                     "SELECT id || ':' || step_run || ':' || seq || ':' || lower(hex(data))"
	                     " FROM outputs ORDER BY id",
	                     NULL, ";");
	char *sb = column_of(b,
	                     "SELECT id || ':' || step_run || ':' || seq || ':' ||"
	                     " encode(data, 'hex') FROM outputs ORDER BY id",
	                     NULL, ";");
	assert_string_equal(sa, sb);
	free(sa);
	free(sb);
	/* The next id given follows the copied ones. */
	char *next = column_of(b,
	                       "INSERT INTO audit (at_ms, actor, role, action, outcome)"
	                       " VALUES (6, 'bob', 'admin', 'cancel', 'ok') RETURNING id",
	                       NULL, "");
	char *max = column_of(a, "SELECT MAX(id) + 1 FROM audit", NULL, "");
	assert_string_equal(next, max);
	free(next);
	free(max);
	db_close(&a);
	db_close(&b);
	store_destroy(&src);
	store_destroy(&dst);
}

static void
test_import_refuses_a_database_not_empty(void **state)
{
	fixture_store_pg_t *f = need_server(state);
	fill_sqlite(f->path);
	store_t *src = fixture_store_plain(f->path);
	store_t *dst = fixture_store_plain(f->url);
	char *why = NULL;
	assert_int_equal(store_import_check_empty(dst, &why), 0);
	/* A coordinator that ran there: it led (the fence admits only a
	 * leader's commits), and its lease is not what makes the database
	 * taken, its run is. */
	uint64_t epoch;
	store_lease_t lease = {.holder = "other",
	                       .worker_endpoint = "",
	                       .api_endpoint = "",
	                       .http_endpoint = "",
	                       .lease_ms = 60000};
	assert_int_equal(store_lease_take(dst, &lease, &epoch), 1);
	assert_int_equal(store_import_check_empty(dst, &why), 0);
	assert_int_equal(
	    store_run_insert(
	        dst, &(store_run_t){.id = "other", .runbook = "x", .status = 3, .created_ms = 1}),
	    0);
	assert_int_equal(store_commit(dst), 0);
	assert_int_equal(store_import_check_empty(dst, &why), 1);
	assert_non_null(strstr(why, "its table runs holds 1 row"));
	free(why);
	store_import_report_t report;
	char *error = NULL;
	assert_int_equal(store_import(dst, src, &report, &error), -1);
	assert_non_null(strstr(error, "the database is not empty"));
	free(error);
	db_t *b = fixture_store_db(f->url);
	char *runs = column_of(b, "SELECT id FROM runs ORDER BY id", NULL, ",");
	assert_string_equal(runs, "other"); /* nothing of the import written */
	free(runs);
	db_close(&b);
	/* And the other way round is no import. */
	assert_int_equal(store_import(src, dst, &report, &error), -1);
	assert_non_null(strstr(error, "SQLite store into a PostgreSQL one"));
	free(error);
	store_destroy(&src);
	store_destroy(&dst);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_list_is_sqlite_schema, setup,
	                                    fixture_store_pg_teardown),
	    cmocka_unit_test_setup_teardown(test_list_is_postgresql_schema, setup,
	                                    fixture_store_pg_teardown),
	    cmocka_unit_test_setup_teardown(test_import_copies_everything, setup,
	                                    fixture_store_pg_teardown),
	    cmocka_unit_test_setup_teardown(test_import_refuses_a_database_not_empty, setup,
	                                    fixture_store_pg_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
