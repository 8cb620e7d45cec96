/* test_store_backup: `rota backup`'s copy in slices (store_backup.c). A
 * write the coordinator commits between two slices is in the backup; the
 * file and its checksum appear together, never a partial file; an
 * existing file is never replaced; an abandoned backup leaves nothing;
 * --restore's checks refuse a damaged copy and a newer schema. */
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

#include "fixture_store.h"
#include "sha256.h"

static void
add_run(store_t *s, const char *id)
{
	fixture_store_run(s, id, "backup-test", "name: backup-test\n",
	                  ROTA__RUN_STATUS__RUN_SUCCEEDED, 1);
	assert_int_equal(store_commit(s), 0);
}

static char *
path_in(const fixture_store_t *f, const char *name)
{
	size_t n = strlen(f->dir) + strlen(name) + 2;
	char *p = malloc(n);
	snprintf(p, n, "%s/%s", f->dir, name);
	return p;
}

static bool
exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* Steps b to its end: the number of slices it took. */
static int
finish(store_backup_t *b)
{
	char *error = NULL;
	int rc, slices = 0;
	while ((rc = store_backup_step(b, 1, &error)) == 1)
		slices++;
	if (rc != 0)
		fail_msg("backup failed: %s", error);
	return slices + 1;
}

static void
test_write_between_slices(void **state)
{
	fixture_store_t *f = *state;
	add_run(f->store, "run-1");
	char *dest = path_in(f, "b.db"), *partial = path_in(f, "b.db.partial");
	char *sum = path_in(f, "b.db.sha256");
	char *error = NULL;
	store_backup_t *b = store_backup_begin(f->store, dest, &error);
	assert_non_null(b);
	assert_int_equal(store_backup_step(b, 1, &error), 1); /* one page: more to do */
	assert_true(exists(partial));
	assert_false(exists(dest));
	/* A turn of the loop between two slices. */
	add_run(f->store, "run-2");
	assert_true(finish(b) > 2);
	const store_backup_result_t *r = store_backup_result(b);
	assert_int_equal(r->runs, 2);
	assert_int_equal(r->schema_version, STORE_SCHEMA_VERSION);
	assert_true(exists(dest) && exists(sum) && !exists(partial));
	/* FILE.sha256 is what sha256sum would print for FILE. */
	char hex[SHA256_HEX_BYTES], line[256];
	assert_int_equal(sha256_file(dest, hex), 0);
	assert_string_equal(hex, r->sha256);
	FILE *fp = fopen(sum, "r");
	assert_non_null(fp);
	assert_non_null(fgets(line, sizeof(line), fp));
	fclose(fp);
	char want[256];
	snprintf(want, sizeof(want), "%s  b.db\n", hex);
	assert_string_equal(line, want);
	store_backup_abort(&b); /* done: removes nothing */
	assert_true(exists(dest) && exists(sum));
	store_backup_result_t v;
	assert_int_equal(store_backup_verify(dest, dest, &v, &error), 0);
	assert_int_equal(v.runs, 2);
	free(dest);
	free(partial);
	free(sum);
}

static void
test_existing_file_refused(void **state)
{
	fixture_store_t *f = *state;
	char *dest = path_in(f, "taken.db");
	FILE *fp = fopen(dest, "w");
	fputs("mine", fp);
	fclose(fp);
	char *error = NULL;
	assert_null(store_backup_begin(f->store, dest, &error));
	assert_non_null(strstr(error, "already exists"));
	free(error);
	fp = fopen(dest, "r");
	char text[8] = "";
	assert_non_null(fgets(text, sizeof(text), fp));
	fclose(fp);
	assert_string_equal(text, "mine");
	free(dest);
}

static void
test_abort_leaves_nothing(void **state)
{
	fixture_store_t *f = *state;
	char *dest = path_in(f, "gone.db"), *partial = path_in(f, "gone.db.partial");
	char *error = NULL;
	store_backup_t *b = store_backup_begin(f->store, dest, &error);
	assert_non_null(b);
	assert_int_equal(store_backup_step(b, 1, &error), 1);
	store_backup_abort(&b);
	assert_null(b);
	assert_false(exists(dest));
	assert_false(exists(partial));
	free(dest);
	free(partial);
}

static void
test_verify_refusals(void **state)
{
	fixture_store_t *f = *state;
	char *dest = path_in(f, "v.db"), *sum = path_in(f, "v.db.sha256");
	char *error = NULL;
	store_backup_t *b = store_backup_begin(f->store, dest, &error);
	assert_non_null(b);
	finish(b);
	store_backup_abort(&b);
	store_backup_result_t v;
	/* A newer schema, its checksum made again to match. */
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(dest, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 999", NULL, NULL, NULL),
	                 SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_backup_verify(dest, dest, &v, &error), -1);
	assert_non_null(strstr(error, "checksum does not match"));
	free(error);
	char hex[SHA256_HEX_BYTES];
	assert_int_equal(sha256_file(dest, hex), 0);
	FILE *fp = fopen(sum, "w");
	fprintf(fp, "%s  v.db\n", hex);
	fclose(fp);
	assert_int_equal(store_backup_verify(dest, dest, &v, &error), -1);
	assert_non_null(strstr(error, "its schema version 999 is newer than"));
	free(error);
	/* No checksum at all. */
	unlink(sum);
	assert_int_equal(store_backup_verify(dest, dest, &v, &error), -1);
	assert_non_null(strstr(error, "cannot read its checksum"));
	free(error);
	free(dest);
	free(sum);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_write_between_slices, fixture_store_setup_test,
	                                    fixture_store_teardown),
	    cmocka_unit_test_setup_teardown(test_existing_file_refused, fixture_store_setup_test,
	                                    fixture_store_teardown),
	    cmocka_unit_test_setup_teardown(test_abort_leaves_nothing, fixture_store_setup_test,
	                                    fixture_store_teardown),
	    cmocka_unit_test_setup_teardown(test_verify_refusals, fixture_store_setup_test,
	                                    fixture_store_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
