/* Unit tests for store_sqlite: the one set of bind and column helpers,
 * against an in-memory SQLite database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_sqlite.h"

/* A statement that echoes its parameters back as columns. */
static sqlite3_stmt *
echo(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	return st;
}

static void
test_text_binds_and_reads(void **state)
{
	(void)state;
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	sqlite3_stmt *st = echo(db, "SELECT ?1, ?2, ?3, ?1 IS NULL");
	char text[] = "hello";
	store_bind_text(st, 1, NULL);
	store_bind_text(st, 2, text);
	store_bind_text_cut(st, 3, "abcdefgh", 3);
	text[0] = 'j'; /* bound as a copy */
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 3), 1);
	assert_string_equal(store_column_text(st, 0), "");
	char *v = store_column_dup(st, 0);
	assert_string_equal(v, "");
	free(v);
	assert_null(store_column_dup_or_null(st, 0));
	v = store_column_dup_or_null(st, 1);
	assert_string_equal(v, "hello");
	free(v);
	v = store_column_dup(st, 2);
	assert_string_equal(v, "abc");
	free(v);
	char small[4];
	store_column_copy(st, 1, small, sizeof(small));
	assert_string_equal(small, "hel");
	sqlite3_finalize(st);

	st = echo(db, "SELECT ?1");
	store_bind_text_cut(st, 1, NULL, 10);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_type(st, 0), SQLITE_TEXT);
	assert_string_equal(store_column_text(st, 0), "");
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static void
test_blobs(void **state)
{
	(void)state;
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	sqlite3_stmt *st = echo(db, "SELECT ?1, ?2");
	const uint8_t data[] = {0, 1, 2, 0xff};
	store_bind_blob(st, 1, data, sizeof(data));
	store_bind_blob(st, 2, "", 0);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	size_t len = 99;
	uint8_t *copy = store_column_blob_dup(st, 0, &len);
	assert_int_equal(len, sizeof(data));
	assert_memory_equal(copy, data, sizeof(data));
	free(copy);
	copy = store_column_blob_dup(st, 1, &len);
	assert_non_null(copy); /* never NULL, even when empty */
	assert_int_equal(len, 0);
	free(copy);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_text_binds_and_reads),
	    cmocka_unit_test(test_blobs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
