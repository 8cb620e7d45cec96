/* fixture_store: a temporary store for unit tests (fixture_store.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fixture_store.h"

#include "fixture_dir.h"
#include "fixture_pg.h"
#include "store/db.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xalloc.h"

int
fixture_store_dir(const char *name, char *dir, size_t dir_len, char *path, size_t path_len)
{
	if (fixture_dir_make(name, dir, dir_len) != 0)
		return -1;
	/* A pg.unit.* variant: the store is a fresh database, its URL in path. */
	if (path != NULL && fixture_pg_enabled())
		return fixture_pg_newdb(name, path, path_len);
	if (path != NULL)
		snprintf(path, path_len, "%s/rota.db", dir);
	return 0;
}

store_t *
fixture_store_open(const char *path)
{
	char *err = NULL;
	store_t *s = store_open(&(store_options_t){.target = path}, &err);
	if (s == NULL) {
		fprintf(stderr, "store_open: %s\n", err ? err : "?");
		free(err);
		return NULL;
	}
	/* A shared store commits only its leader's writes (the fence): the
	 * test's connection takes the lease, as a coordinator that leads. */
	uint64_t epoch;
	store_lease_t lease = {.holder = "unit-test",
	                       .worker_endpoint = "",
	                       .api_endpoint = "",
	                       .http_endpoint = "",
	                       .lease_ms = 3600 * 1000};
	if (!store_shared(s))
		return s;
	/* A test that reopens its store: the server frees the closed
	 * session's lock a moment after the client has gone, not before. */
	for (int i = 0; i < 300; i++) {
		int rc = store_lease_take(s, &lease, &epoch);
		if (rc == 1)
			return s;
		if (rc < 0)
			break;
		usleep(100 * 1000);
	}
	fprintf(stderr, "store_lease_take: the test's store could not lead\n");
	store_destroy(&s);
	return NULL;
}

store_t *
fixture_store_new(const char *name, char *dir, size_t dir_len, char *path, size_t path_len)
{
	char own[256];
	if (path == NULL) {
		path = own;
		path_len = sizeof(own);
	}
	if (fixture_store_dir(name, dir, dir_len, path, path_len) != 0)
		return NULL;
	return fixture_store_open(path);
}

int
fixture_store_remove(store_t **sp, const char *dir)
{
	if (sp != NULL)
		store_destroy(sp);
	return fixture_dir_remove(dir);
}

int
fixture_store_setup(void **state, const char *name)
{
	fixture_store_t *f = calloc(1, sizeof(*f));
	f->store = fixture_store_new(name, f->dir, sizeof(f->dir), f->path, sizeof(f->path));
	if (f->store == NULL)
		return -1;
	*state = f;
	return 0;
}

int
fixture_store_setup_test(void **state)
{
	return fixture_store_setup(state, program_invocation_short_name);
}

int
fixture_store_teardown(void **state)
{
	fixture_store_t *f = *state;
	if (fixture_store_remove(&f->store, f->dir) != 0)
		return -1;
	free(f);
	return 0;
}

store_t *
fixture_store_plain(const char *target)
{
	char *error = NULL;
	store_options_t o = {.target = target};
	store_t *s = store_open(&o, &error);
	if (s == NULL)
		fail_msg("store_open: %s", error);
	return s;
}

db_t *
fixture_store_db(const char *target)
{
	char *error = NULL;
	db_options_t o = {.target = target, .create = true, .busy_timeout_ms = 1000};
	db_t *db = db_open(&o, &error);
	if (db == NULL)
		fail_msg("%s", error);
	return db;
}

int
fixture_store_pg_setup(void **state, const char *prefix)
{
	static int counter; /* schemas made by this process */
	fixture_store_pg_t *f = xcalloc(1, sizeof(*f));
	*state = f;
	const char *base = getenv("ROTA_TEST_PG_URL");
	if (base == NULL || *base == '\0')
		return 0;
	snprintf(f->schema, sizeof(f->schema), "%s_%d_%d", prefix, (int)getpid(), counter++);
	db_t *admin = fixture_store_db(base);
	char sql[256];
	snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s", f->schema,
	         f->schema);
	int rc = db_exec(admin, sql);
	db_close(&admin);
	if (rc != 0)
		return -1;
	f->url = xasprintf("%s%coptions=-csearch_path%%3D%s", base, strchr(base, '?') ? '&' : '?',
	                   f->schema);
	return 0;
}

int
fixture_store_pg_teardown(void **state)
{
	fixture_store_pg_t *f = *state;
	if (f->url != NULL) {
		db_t *admin = fixture_store_db(getenv("ROTA_TEST_PG_URL"));
		char sql[128];
		snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS %s CASCADE", f->schema);
		if (db_exec(admin, sql) != 0)
			fprintf(stderr, "drop schema: %s\n", db_errmsg(admin));
		db_close(&admin);
	}
	if (f->dir[0] != '\0')
		fixture_dir_remove(f->dir);
	free(f->url);
	free(f);
	return 0;
}

fixture_store_pg_t *
fixture_store_pg_need(void **state, const char *ctest_name)
{
	fixture_store_pg_t *f = *state;
	if (f->url == NULL) {
		print_message("skipped: ROTA_TEST_PG_URL is not set (the suite's PostgreSQL"
		              " cluster sets it: ctest -R %s)\n",
		              ctest_name);
		skip();
	}
	return f;
}

store_t *
fixture_store_new_books(const char *name, char *dir, size_t dir_len, char *books, size_t books_len)
{
	store_t *s = fixture_store_new(name, dir, dir_len, NULL, 0);
	assert_non_null(s);
	snprintf(books, books_len, "%s/books", dir);
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "mkdir -p %s", books);
	assert_int_equal(system(cmd), 0);
	return s;
}

store_retention_t
fixture_store_retention(int64_t keep_runs)
{
	const int64_t day = 24LL * 3600 * 1000;
	return (store_retention_t){.runs_ms = 90 * day,
	                           .outputs_ms = 30 * day,
	                           .audit_ms = 400 * day,
	                           .notifications_ms = 30 * day,
	                           .incidents_ms = 400 * day,
	                           .keep_runs_per_runbook = keep_runs};
}

void
fixture_store_run(store_t *s, const char *id, const char *runbook, const char *yaml, int status,
                  int64_t created_ms)
{
	store_run_t r = {.id = id,
	                 .runbook = runbook,
	                 .runbook_yaml = yaml,
	                 .params_json = "{}",
	                 .status = status,
	                 .created_ms = created_ms};
	assert_int_equal(store_run_insert(s, &r), 0);
}

void
fixture_store_incident(store_t *s, const char *id, int64_t created_ms)
{
	store_incident_new_t n = {.id = id,
	                          .title = "t",
	                          .severity = 2,
	                          .source = "run",
	                          .hosts = "",
	                          .policy = "default",
	                          .created_ms = created_ms};
	assert_int_equal(store_incident_insert(s, &n), 0);
}

int64_t
fixture_store_sqlite_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int64_t n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

char *
fixture_store_logs(store_t *s, const char *run_id)
{
	Rota__LogsResponse logs;
	assert_int_equal(store_logs(s, run_id, NULL, 0, 100, &logs), 0);
	char *text = xstrdup("");
	for (size_t i = 0; i < logs.n_chunks; i++) {
		char *longer = xasprintf("%s%.*s", text, (int)logs.chunks[i]->data.len,
		                         (const char *)logs.chunks[i]->data.data);
		free(text);
		text = longer;
		free(logs.chunks[i]->host);
		free(logs.chunks[i]->step_id);
		free(logs.chunks[i]->data.data);
		free(logs.chunks[i]);
	}
	free(logs.chunks);
	return text;
}
