/* catalog: runbook files loaded from a directory, and the last good version
 * of a file that broke, served from the previous catalog or the store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog.h"
#include "fixture_store.h"
#include "store/store.h"
#include "xalloc.h"

typedef struct {
	char dir[64];
	char books[96];
	store_t *store;
} fixture_t;

static int
setup(void **state)
{
	fixture_t *f = xcalloc(1, sizeof(*f));
	f->store = fixture_store_new("cat", f->dir, sizeof(f->dir), NULL, 0);
	assert_non_null(f->store);
	fixture_store_books(f->dir, f->books, sizeof(f->books));
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	fixture_t *f = *state;
	assert_int_equal(fixture_store_remove(&f->store, f->dir), 0);
	free(f);
	return 0;
}

static void
write_file(fixture_t *f, const char *file, const char *text)
{
	char path[160];
	snprintf(path, sizeof(path), "%s/%s", f->books, file);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

/* A coordinator start: load the directory with no previous catalog and
 * save what it serves, as coordinator_new does. */
static catalog_t *
start(fixture_t *f)
{
	char *error = NULL;
	catalog_t *c = catalog_load(f->books, NULL, f->store, &error);
	assert_non_null(c);
	assert_int_equal(catalog_persist(NULL, c, f->store), 0);
	assert_int_equal(store_commit(f->store), 0);
	return c;
}

/* A file whose runbook was renamed between two starts, and then broke,
 * goes on serving its last good version: the new name, not the old one. */
static void
test_a_broken_file_serves_its_last_good_version_after_restarts(void **state)
{
	fixture_t *f = *state;
	write_file(f, "a.yaml", "name: first\nsteps:\n  - id: s\n    noop:\n");
	catalog_t *c = start(f);
	assert_non_null(catalog_find(c, "first"));
	catalog_destroy(&c);

	write_file(f, "a.yaml", "name: second\nsteps:\n  - id: s\n    noop:\n");
	c = start(f);
	assert_non_null(catalog_find(c, "second"));
	catalog_destroy(&c);

	write_file(f, "a.yaml", "name: second\nsteps: [\n");
	c = start(f);
	assert_int_equal(catalog_count(c), 1);
	const catalog_entry_t *e = catalog_at(c, 0);
	assert_non_null(e->errors);
	assert_string_equal(e->rb->name, "second");
	catalog_destroy(&c);
}

/* A reload swaps the new contents into the catalog (catalog_swap): who
 * holds the catalog sees the new runbooks, and a file broken since keeps
 * its last good version, taken from the old contents before they go. */
static void
test_a_swap_serves_the_new_runbooks_in_place(void **state)
{
	fixture_t *f = *state;
	write_file(f, "a.yaml", "name: first\nsteps:\n  - id: s\n    noop:\n");
	write_file(f, "b.yaml", "name: other\nsteps:\n  - id: s\n    noop:\n");
	catalog_t *c = start(f);
	const catalog_t *held = c;

	write_file(f, "a.yaml", "name: first\nsteps: [\n");
	write_file(f, "c.yaml", "name: third\nsteps:\n  - id: s\n    noop:\n");
	char *error = NULL;
	catalog_t *fresh = catalog_load(f->books, c, f->store, &error);
	assert_non_null(fresh);
	catalog_swap(c, &fresh);
	assert_null(fresh);
	assert_ptr_equal(c, held);
	assert_int_equal(catalog_count(held), 3);
	const catalog_entry_t *e = catalog_find(held, "first");
	assert_non_null(e);
	assert_non_null(e->errors);
	assert_non_null(catalog_find(held, "other"));
	assert_non_null(catalog_find(held, "third"));
	catalog_destroy(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_a_broken_file_serves_its_last_good_version_after_restarts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_a_swap_serves_the_new_runbooks_in_place, setup,
	                                    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
