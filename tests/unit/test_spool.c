/* spool: results and output chunks survive a reopen; output chunks come
 * back by key and seq, a cumulative ack forgets exactly the chunks up to its
 * seq, a result's ack forgets all of its key, and a group of writes is one
 * transaction that a result write commits first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture_dir.h"
#include "spool.h"
#include "xalloc.h"

typedef struct {
	char dir[64];
} fixture_t;

static int
setup(void **state)
{
	fixture_t *f = xcalloc(1, sizeof(*f));
	if (fixture_dir_make("spool", f->dir, sizeof(f->dir)) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	fixture_t *f = *state;
	if (fixture_dir_remove(f->dir) != 0)
		return -1;
	free(f);
	return 0;
}

static spool_t *
open_ok(const char *dir)
{
	char *err = NULL;
	spool_t *s = spool_open(dir, &err);
	if (s == NULL)
		fail_msg("spool_open: %s", err);
	return s;
}

/* What spool_output_each yields, as "key#seq=data;" text. */
typedef struct {
	char text[1024];
	size_t calls;
	size_t stop_after; /* 0: never stop */
} collect_t;

static int
collect(void *ctx, const char *key, uint64_t seq, const uint8_t *chunk, size_t len)
{
	collect_t *c = ctx;
	size_t n = strlen(c->text);
	snprintf(c->text + n, sizeof(c->text) - n, "%s#%llu=%.*s;", key, (unsigned long long)seq,
	         (int)len, (const char *)chunk);
	c->calls++;
	return c->stop_after && c->calls >= c->stop_after;
}

static void
put(spool_t *s, const char *key, uint64_t seq, const char *data)
{
	assert_int_equal(spool_output_put(s, key, seq, (const uint8_t *)data, strlen(data)), 0);
}

static void
test_chunks_come_back_by_key_and_seq(void **state)
{
	fixture_t *f = *state;
	spool_t *s = open_ok(f->dir);
	put(s, "b", 2, "b2");
	put(s, "a", 10, "a10");
	put(s, "b", 1, "b1");
	put(s, "a", 9, "a9");
	put(s, "a", 10, "a10"); /* sent again: still one */
	collect_t c = {0};
	assert_int_equal(spool_output_each(s, collect, &c), 0);
	assert_string_equal(c.text, "a#9=a9;a#10=a10;b#1=b1;b#2=b2;");

	uint64_t bytes = 0;
	assert_int_equal(spool_output_count(s, NULL, &bytes), 4);
	assert_int_equal(bytes, 9);
	assert_int_equal(spool_output_count(s, "a", &bytes), 2);
	assert_int_equal(bytes, 5);
	assert_int_equal(spool_output_count(s, "none", NULL), 0);

	collect_t first = {.stop_after = 1};
	assert_int_equal(spool_output_each(s, collect, &first), 0);
	assert_string_equal(first.text, "a#9=a9;");
	spool_close(&s);
	assert_null(s);
	spool_close(&s); /* harmless */
}

static void
test_ack_is_cumulative_per_key(void **state)
{
	fixture_t *f = *state;
	spool_t *s = open_ok(f->dir);
	for (uint64_t seq = 1; seq <= 5; seq++) {
		char data[8];
		snprintf(data, sizeof(data), "x%llu", (unsigned long long)seq);
		put(s, "x", seq, data);
		put(s, "y", seq, data);
	}
	assert_int_equal(spool_output_ack(s, "x", 3), 0);
	collect_t c = {0};
	spool_output_each(s, collect, &c);
	assert_string_equal(c.text, "x#4=x4;x#5=x5;y#1=x1;y#2=x2;y#3=x3;y#4=x4;y#5=x5;");

	/* An older ack after a newer one changes nothing; an ack past the
	 * last chunk forgets them all; an unknown key is no error. */
	assert_int_equal(spool_output_ack(s, "x", 2), 0);
	assert_int_equal(spool_output_count(s, "x", NULL), 2);
	assert_int_equal(spool_output_ack(s, "x", UINT64_MAX), 0);
	assert_int_equal(spool_output_count(s, "x", NULL), 0);
	assert_int_equal(spool_output_ack(s, "nobody", 7), 0);

	/* The ResultAck of y forgets all of y, result and chunks. */
	assert_int_equal(spool_put(s, "y", (const uint8_t *)"R", 1), 0);
	assert_int_equal(spool_delete(s, "y"), 0);
	assert_int_equal(spool_output_drop(s, "y"), 0);
	assert_int_equal(spool_output_count(s, NULL, NULL), 0);
	assert_int_equal(spool_count(s), 0);
	spool_close(&s);
}

static void
test_chunks_and_results_survive_a_reopen(void **state)
{
	fixture_t *f = *state;
	spool_t *s = open_ok(f->dir);
	put(s, "k", 1, "one");
	put(s, "k", 2, "two");
	assert_int_equal(spool_put(s, "k", (const uint8_t *)"result", 6), 0);
	spool_close(&s);

	s = open_ok(f->dir);
	collect_t c = {0};
	spool_output_each(s, collect, &c);
	assert_string_equal(c.text, "k#1=one;k#2=two;");
	size_t len = 0;
	uint8_t *r = spool_get(s, "k", &len);
	assert_non_null(r);
	assert_memory_equal(r, "result", 6);
	free(r);
	spool_close(&s);
}

/* Counts the chunks another connection sees: what is committed. */
static int
committed_chunks(const char *dir)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/spool.db", dir);
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int n = -1;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM outputs", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

static void
test_a_group_commits_once_and_a_result_commits_it_first(void **state)
{
	fixture_t *f = *state;
	spool_t *s = open_ok(f->dir);
	assert_int_equal(spool_begin(s), 0);
	put(s, "g", 1, "a");
	put(s, "g", 2, "b");
	assert_int_equal(committed_chunks(f->dir), 0); /* not yet */
	assert_int_equal(spool_output_count(s, "g", NULL), 2);
	assert_int_equal(spool_commit(s), 0);
	assert_int_equal(committed_chunks(f->dir), 2);

	/* A result is durable when spool_put returns, and takes the group's
	 * earlier writes with it. */
	assert_int_equal(spool_begin(s), 0);
	put(s, "g", 3, "c");
	assert_int_equal(spool_put(s, "g", (const uint8_t *)"R", 1), 0);
	assert_int_equal(committed_chunks(f->dir), 3);
	put(s, "g", 4, "d"); /* the group goes on after it */
	assert_int_equal(committed_chunks(f->dir), 3);
	assert_int_equal(spool_commit(s), 0);
	assert_int_equal(committed_chunks(f->dir), 4);

	/* A commit with no group and a group with no writes are no-ops; close
	 * commits what a group holds. */
	assert_int_equal(spool_commit(s), 0);
	assert_int_equal(spool_begin(s), 0);
	assert_int_equal(spool_commit(s), 0);
	assert_int_equal(spool_begin(s), 0);
	put(s, "g", 5, "e");
	spool_close(&s);
	assert_int_equal(committed_chunks(f->dir), 5);
}

/* What spool_process_each yields, as "key=pgid@start;" text. */
static int
collect_process(void *ctx, const char *key, int64_t pgid, uint64_t start, int64_t started_ms)
{
	collect_t *c = ctx;
	assert_true(started_ms > 0);
	size_t n = strlen(c->text);
	snprintf(c->text + n, sizeof(c->text) - n, "%s=%lld@%llu;", key, (long long)pgid,
	         (unsigned long long)start);
	c->calls++;
	return c->stop_after && c->calls >= c->stop_after;
}

static const char *
processes(spool_t *s, collect_t *c)
{
	memset(c, 0, sizeof(*c));
	assert_int_equal(spool_process_each(s, collect_process, c), 0);
	return c->text;
}

static void
test_a_running_attempt_keeps_its_process_group_until_its_result(void **state)
{
	fixture_t *f = *state;
	collect_t c;
	spool_t *s = open_ok(f->dir);
	assert_int_equal(spool_mark_started(s, "a"), 0);
	assert_int_equal(spool_mark_started(s, "b"), 0);
	assert_int_equal(spool_mark_started(s, "c"), 0); /* never got a group */
	assert_string_equal(processes(s, &c), "");
	assert_int_equal(spool_mark_process(s, "a", 4242, 123456789012ULL), 0);
	assert_int_equal(spool_mark_process(s, "b", 77, 5), 0);
	assert_string_equal(processes(s, &c), "a=4242@123456789012;b=77@5;");
	spool_close(&s);

	/* It survives a reopen (the worker's restart); a result ends it. */
	s = open_ok(f->dir);
	assert_string_equal(processes(s, &c), "a=4242@123456789012;b=77@5;");
	assert_int_equal(spool_put(s, "a", (const uint8_t *)"R", 1), 0);
	assert_string_equal(processes(s, &c), "b=77@5;");
	/* Acknowledged and deleted, the result does not bring the group back. */
	assert_int_equal(spool_delete(s, "a"), 0);
	assert_string_equal(processes(s, &c), "b=77@5;");
	assert_int_equal(spool_forget_process(s, "b"), 0);
	assert_string_equal(processes(s, &c), "");
	/* Started attempts are still remembered: never started twice. */
	assert_int_equal(spool_mark_started(s, "b"), 1);
	spool_close(&s);
}

static void
exec_sql(const char *dir, const char *sql)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/spool.db", dir);
	sqlite3 *db = NULL;
	char *err = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", sql, err);
	sqlite3_close(db);
}

static int
user_version(const char *dir)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/spool.db", dir);
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int v = -1;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void
test_a_spool_from_an_older_worker_opens_and_gains_the_columns(void **state)
{
	fixture_t *f = *state;
	/* The schema as workers wrote it before process groups were kept. */
	exec_sql(f->dir, "CREATE TABLE results (seq INTEGER PRIMARY KEY, key TEXT UNIQUE NOT NULL,"
	                 " result BLOB NOT NULL);"
	                 "CREATE TABLE started (key TEXT PRIMARY KEY, at_ms INTEGER NOT NULL);"
	                 "CREATE TABLE outputs (key TEXT NOT NULL, seq INTEGER NOT NULL,"
	                 " chunk BLOB NOT NULL, PRIMARY KEY (key, seq)) WITHOUT ROWID;"
	                 "INSERT INTO started VALUES ('old', strftime('%s','now') * 1000);"
	                 "INSERT INTO results (key, result) VALUES ('done', x'52');");
	assert_int_equal(user_version(f->dir), 0);
	collect_t c;
	spool_t *s = open_ok(f->dir);
	assert_int_equal(user_version(f->dir), 1);
	assert_int_equal(spool_mark_started(s, "old"), 1); /* kept */
	assert_int_equal(spool_count(s), 1);
	assert_string_equal(processes(s, &c), ""); /* an old start has no group */
	assert_int_equal(spool_mark_process(s, "old", 9, 10), 0);
	assert_string_equal(processes(s, &c), "old=9@10;");
	spool_close(&s);
	/* Opened again, it is not migrated twice. */
	s = open_ok(f->dir);
	assert_int_equal(user_version(f->dir), 1);
	assert_string_equal(processes(s, &c), "old=9@10;");
	spool_close(&s);

	/* A spool from a newer worker is refused, not misread. */
	exec_sql(f->dir, "PRAGMA user_version = 99");
	char *err = NULL;
	assert_null(spool_open(f->dir, &err));
	assert_non_null(strstr(err, "newer worker"));
	free(err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_chunks_come_back_by_key_and_seq, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ack_is_cumulative_per_key, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_chunks_and_results_survive_a_reopen, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_a_group_commits_once_and_a_result_commits_it_first,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_a_running_attempt_keeps_its_process_group_until_its_result, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_a_spool_from_an_older_worker_opens_and_gains_the_columns, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
