/* Unit tests for store_row: the store room's helpers over db.h (binding a
 * peer's text cut, copying columns), against an in-memory SQLite
 * database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_row.h"

static db_t *
memory_db(void)
{
	char *error = NULL;
	db_options_t o = {.target = ":memory:", .create = true};
	db_t *db = db_open(&o, &error);
	assert_non_null(db);
	assert_null(error);
	return db;
}

static void
test_text_binds_and_reads(void **state)
{
	(void)state;
	db_t *db = memory_db();
	db_stmt_t *st = db_prepare(db, "SELECT ?1, ?2, ?3, ?1 IS NULL");
	assert_non_null(st);
	char text[] = "hello";
	db_bind_text(st, 1, NULL);
	db_bind_text(st, 2, text);
	store_bind_text_cut(st, 3, "abcdefgh", 3);
	text[0] = 'j'; /* bound as a copy */
	assert_int_equal(db_step(st), DB_ROW);
	assert_int_equal(db_column_int64(st, 3), 1);
	assert_string_equal(db_column_text(st, 0), "");
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
	db_finalize(st);

	st = db_prepare(db, "SELECT ?1, typeof(?1)");
	store_bind_text_cut(st, 1, NULL, 10);
	assert_int_equal(db_step(st), DB_ROW);
	assert_false(db_column_is_null(st, 0));
	assert_string_equal(db_column_text(st, 1), "text");
	assert_string_equal(db_column_text(st, 0), "");
	db_finalize(st);
	db_close(&db);
	assert_null(db);
}

/* A cut never splits a UTF-8 character: what is kept is valid text. */
static void
test_text_cut_keeps_characters_whole(void **state)
{
	(void)state;
	db_t *db = memory_db();
	db_stmt_t *st = db_prepare(db, "SELECT ?1, ?2, ?3");
	store_bind_text_cut(st, 1, "h\xc3\xa9llo", 2);             /* "hé...": é is 2 bytes */
	store_bind_text_cut(st, 2, "h\xc3\xa9llo", 3);             /* "hé" whole */
	store_bind_text_cut(st, 3, "\xe2\x82\xac\xe2\x82\xac", 5); /* "€€" cut in the second */
	assert_int_equal(db_step(st), DB_ROW);
	assert_string_equal(db_column_text(st, 0), "h");
	assert_string_equal(db_column_text(st, 1), "h\xc3\xa9");
	assert_string_equal(db_column_text(st, 2), "\xe2\x82\xac");
	db_close(&db); /* finalizes st */
}

static void
test_blobs(void **state)
{
	(void)state;
	db_t *db = memory_db();
	db_stmt_t *st = db_prepare(db, "SELECT ?1, ?2");
	const uint8_t data[] = {0, 1, 2, 0xff};
	db_bind_blob(st, 1, data, sizeof(data));
	db_bind_blob(st, 2, "", 0);
	assert_int_equal(db_step(st), DB_ROW);
	size_t len = 99;
	uint8_t *copy = store_column_blob_dup(st, 0, &len);
	assert_int_equal(len, sizeof(data));
	assert_memory_equal(copy, data, sizeof(data));
	free(copy);
	copy = store_column_blob_dup(st, 1, &len);
	assert_non_null(copy); /* never NULL, even when empty */
	assert_int_equal(len, 0);
	free(copy);
	db_close(&db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_text_binds_and_reads),
	    cmocka_unit_test(test_text_cut_keeps_characters_whole),
	    cmocka_unit_test(test_blobs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
