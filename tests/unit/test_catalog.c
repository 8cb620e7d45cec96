/* catalog: runbook files loaded from a directory, and the last good version
 * of a file that broke, served from the previous catalog or the store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog.h"
#include "catalog_read.h"
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
	f->store =
	    fixture_store_new_books("cat", f->dir, sizeof(f->dir), f->books, sizeof(f->books));
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

/* Runbook steps are expanded once every file is read, whatever the file
 * order; a caller of a changed runbook runs the new one after a reload; a
 * caller that cannot be expanded is invalid (both files of a cycle, each
 * saying the cycle), or serves its last good version. */
static void
test_runbook_steps_are_expanded_at_load_and_reload(void **state)
{
	fixture_t *f = *state;
	/* "a-caller" sorts before "child": expanded after all are read. */
	write_file(f, "a-caller.yaml",
	           "name: caller\nparams: {dir: {default: /tmp}}\nsteps:\n"
	           "  - {id: c, runbook: child, params: {path: '{{ params.dir }}'}}\n");
	write_file(f, "child.yaml",
	           "name: child\nparams: {path: {default: /}}\nsteps:\n  - {id: s, noop: {}}\n");
	write_file(f, "loop-a.yaml", "name: loop-a\nsteps:\n  - {id: b, runbook: loop-b}\n");
	write_file(f, "loop-b.yaml", "name: loop-b\nsteps:\n  - {id: a, runbook: loop-a}\n");
	catalog_t *c = start(f);
	assert_int_equal(catalog_count(c), 2);
	const catalog_entry_t *e = catalog_find(c, "caller");
	assert_non_null(e);
	assert_int_equal(e->rb->step_count, 1);
	assert_string_equal(e->rb->steps[0].id, "c.s");
	assert_non_null(e->bundle);
	assert_ptr_equal(catalog_run_yaml(e), e->bundle);
	const catalog_entry_t *child = catalog_find(c, "child");
	assert_ptr_equal(catalog_run_yaml(child), child->yaml);
	char old_hash[17];
	memcpy(old_hash, e->hash, sizeof(old_hash));
	assert_int_equal(catalog_invalid(c), 2);
	assert_non_null(strstr(catalog_problem_at(c, 0)->errors,
	                       "loop-a.yaml:3:5: runbook step 'b' makes a cycle: loop-a -> loop-b "
	                       "-> loop-a"));
	assert_non_null(strstr(catalog_problem_at(c, 1)->errors,
	                       "loop-b.yaml:3:5: runbook step 'a' makes a cycle: loop-b -> loop-a "
	                       "-> loop-b"));

	/* The child changes: its caller is a new version with its steps. */
	write_file(f, "child.yaml",
	           "name: child\nparams: {path: {default: /}}\nsteps:\n  - {id: s, noop: {}}\n"
	           "  - {id: t, noop: {}}\n");
	char *error = NULL;
	catalog_t *fresh = catalog_load(f->books, c, f->store, &error);
	catalog_swap(c, &fresh);
	e = catalog_find(c, "caller");
	assert_int_equal(e->rb->step_count, 2);
	assert_string_equal(e->rb->steps[1].id, "c.t");
	assert_string_not_equal(e->hash, old_hash);

	/* The child loses the caller's param: the caller serves its last
	 * good version, stale, with the error. */
	write_file(f, "child.yaml", "name: child\nsteps:\n  - {id: s, noop: {}}\n");
	fresh = catalog_load(f->books, c, f->store, &error);
	catalog_swap(c, &fresh);
	e = catalog_find(c, "caller");
	assert_non_null(e);
	assert_int_equal(e->rb->step_count, 2);
	assert_non_null(e->errors);
	assert_non_null(strstr(e->errors, "runbook child has no param 'path' (its params: none)"));
	catalog_destroy(&c);
}

/* A start saves what changed only: over an unchanged directory it reads
 * the saved runbooks (one statement) and writes none; a file whose
 * runbook was renamed replaces the old name's row (a path serves one
 * runbook), and a file of its own keeps its row. */
static void
test_a_start_writes_only_the_runbooks_that_changed(void **state)
{
	fixture_t *f = *state;
	write_file(f, "a.yaml", "name: first\nsteps:\n  - id: s\n    noop:\n");
	write_file(f, "b.yaml", "name: other\nsteps:\n  - id: s\n    noop:\n");
	catalog_t *c = start(f);
	catalog_destroy(&c);

	char *error = NULL;
	c = catalog_load(f->books, NULL, f->store, &error);
	assert_non_null(c);
	uint64_t before = store_statements(f->store);
	assert_int_equal(catalog_persist(NULL, c, f->store), 0);
	assert_int_equal(store_statements(f->store) - before, 1);
	assert_int_equal(store_commit(f->store), 0);
	catalog_destroy(&c);

	write_file(f, "a.yaml", "name: renamed\nsteps:\n  - id: s\n    noop:\n");
	c = start(f);
	catalog_destroy(&c);
	char *name = NULL, *hash = NULL, *yaml = NULL;
	int64_t loaded_ms = 0;
	char path[160];
	snprintf(path, sizeof(path), "%s/a.yaml", f->books);
	assert_int_equal(store_runbook_by_path(f->store, path, &name, &hash, &yaml, &loaded_ms), 0);
	assert_string_equal(name, "renamed");
	free(name);
	free(hash);
	free(yaml);
	snprintf(path, sizeof(path), "%s/b.yaml", f->books);
	assert_int_equal(store_runbook_by_path(f->store, path, &name, &hash, &yaml, &loaded_ms), 0);
	assert_string_equal(name, "other");
	free(name);
	free(hash);
	free(yaml);
}

static void
count_row(void *ctx, const char *name, const char *path, const char *hash)
{
	(void)name;
	(void)path;
	(void)hash;
	(*(size_t *)ctx)++;
}

static size_t
stored_runbooks(fixture_t *f)
{
	size_t n = 0;
	assert_int_equal(store_runbook_list(f->store, count_row, &n), 0);
	return n;
}

/* A start marks the rows and writes them after (catalog_persist_later):
 * nothing is written before the slices but what must be; a slice writes at
 * most its share; a runbook about to be run is written at once; a restart
 * before they are all written marks the rest again, and nothing written is
 * written again. */
static void
test_rows_are_written_later_in_slices(void **state)
{
	fixture_t *f = *state;
	char file[32], text[96];
	for (int i = 0; i < 5; i++) {
		snprintf(file, sizeof(file), "b%d.yaml", i);
		snprintf(text, sizeof(text), "name: b%d\nsteps:\n  - id: s\n    noop:\n", i);
		write_file(f, file, text);
	}
	char *error = NULL;
	catalog_t *c = catalog_load(f->books, NULL, f->store, &error);
	assert_non_null(c);
	assert_int_equal(catalog_persist_later(NULL, c, f->store), 0);
	assert_int_equal(catalog_unsaved(c), 5);
	assert_int_equal(stored_runbooks(f), 0);
	assert_non_null(catalog_find(c, "b4")); /* served at once */
	assert_int_equal(catalog_save_some(c, f->store, 2), 0);
	assert_int_equal(catalog_unsaved(c), 3);
	assert_int_equal(catalog_save_runbook(c, f->store, "b4"), 0);
	assert_int_equal(catalog_save_runbook(c, f->store, "b4"), 0); /* once */
	assert_int_equal(catalog_save_runbook(c, f->store, "nobody"), 0);
	assert_int_equal(catalog_unsaved(c), 2);
	assert_int_equal(store_commit(f->store), 0);
	assert_int_equal(stored_runbooks(f), 3);
	catalog_destroy(&c);

	/* Killed here: the next start marks only what is missing. */
	c = catalog_load(f->books, NULL, f->store, &error);
	assert_non_null(c);
	assert_int_equal(catalog_persist_later(NULL, c, f->store), 0);
	assert_int_equal(catalog_unsaved(c), 2);
	uint64_t before = store_statements(f->store);
	assert_int_equal(catalog_save_some(c, f->store, SIZE_MAX), 0);
	/* The transaction's BEGIN and the two missing rows. */
	assert_int_equal(store_statements(f->store) - before, 3);
	assert_int_equal(catalog_unsaved(c), 0);
	assert_int_equal(store_commit(f->store), 0);
	assert_int_equal(stored_runbooks(f), 5);
	catalog_destroy(&c);
}

/* Equal nullable strings. */
static void
assert_same_text(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

/* Two catalogs of one directory hold the same entries and problems, in
 * the same order (loaded_ms aside: the time each was loaded). */
static void
assert_same_catalog(const catalog_t *a, const catalog_t *b)
{
	assert_int_equal(catalog_count(a), catalog_count(b));
	for (size_t i = 0; i < catalog_count(a); i++) {
		const catalog_entry_t *x = catalog_at(a, i), *y = catalog_at(b, i);
		assert_string_equal(x->path, y->path);
		assert_string_equal(x->rb->name, y->rb->name);
		assert_string_equal(x->yaml, y->yaml);
		assert_string_equal(x->hash, y->hash);
		assert_same_text(x->errors, y->errors);
		assert_same_text(x->bundle, y->bundle);
		assert_int_equal(x->rb->warnings.count, y->rb->warnings.count);
		assert_int_equal(x->rb->schedule.present, y->rb->schedule.present);
		assert_same_text(x->rb->schedule.cron, y->rb->schedule.cron);
	}
	assert_int_equal(catalog_invalid(a), catalog_invalid(b));
	for (size_t i = 0; i < catalog_invalid(a); i++) {
		assert_string_equal(catalog_problem_at(a, i)->path, catalog_problem_at(b, i)->path);
		assert_string_equal(catalog_problem_at(a, i)->errors,
		                    catalog_problem_at(b, i)->errors);
	}
}

/* File i of the threaded test: valid, or broken in one of the ways a
 * file can be (YAML, a key, a skip_dates file, a name another file has,
 * a warning), and, when broken is set, the valid ones of some kinds broken
 * too (served from the previous catalog, stale). */
static void
write_mixed(fixture_t *f, int i, bool broken)
{
	char file[32], text[256];
	snprintf(file, sizeof(file), "r%03d.yaml", i);
	const char *steps = "steps:\n  - id: s\n    noop: {}\n";
	switch (i % 8) {
	case 0:
		snprintf(text, sizeof(text), "name: r%03d\nsteps: [\n", i);
		break;
	case 1:
		snprintf(text, sizeof(text), "name: r%03d\ndescriptoin: x\n%s", i, steps);
		break;
	case 2:
		snprintf(text, sizeof(text),
		         "name: r%03d\nschedule: {cron: \"0 8 * * *\", skip_dates: [{file: "
		         "none-%03d.txt}]}\n%s",
		         i, i, steps);
		break;
	case 3:
		snprintf(text, sizeof(text), "name: r%03d\n%s", i + 3, steps);
		break;
	case 4:
		snprintf(text, sizeof(text), "name: r%03d\ncategory: odd\n%s", i, steps);
		break;
	case 5:
		snprintf(text, sizeof(text), "name: r%03d\n%s%s", i,
		         broken ? "schedule: \"61 * * * *\"\n" : "schedule: \"1 2 * * *\"\n",
		         steps);
		break;
	default:
		snprintf(text, sizeof(text), "name: r%03d\nschedule: \"%d %d * * *\"\n%s", i,
		         i % 60, i % 24, steps);
		break;
	}
	write_file(f, file, text);
}

/* The files read and parsed on four threads give the catalog one thread
 * gives: the same runbooks, stale files and problems, each with the same
 * file:line:column errors, in file name order. */
static void
test_files_read_on_threads_give_the_catalog_one_thread_gives(void **state)
{
	fixture_t *f = *state;
	enum { FILES = 200 };
	for (int i = 0; i < FILES; i++)
		write_mixed(f, i, false);
	char dir[160];
	snprintf(dir, sizeof(dir), "%s/zz.yaml", f->books); /* not a regular file */
	assert_int_equal(mkdir(dir, 0700), 0);
	char *error = NULL;
	catalog_t *previous = catalog_load_threads(f->books, NULL, NULL, 1, &error);
	assert_non_null(previous);
	for (int i = 0; i < FILES; i++)
		write_mixed(f, i, true);

	catalog_t *one = catalog_load_threads(f->books, previous, NULL, 1, &error);
	catalog_t *four = catalog_load_threads(f->books, previous, NULL, 4, &error);
	assert_non_null(one);
	assert_non_null(four);
	assert_same_catalog(one, four);
	/* Each kind is there: served, stale, invalid. */
	assert_null(catalog_find(one, "r007")->errors);
	assert_non_null(catalog_find(one, "r005")->errors);
	/* YAML, a key, skip_dates, a name taken (by r003.yaml, from r006.yaml)
	 * in each eight files; and zz.yaml. */
	assert_int_equal(catalog_invalid(one), 4 * FILES / 8 + 1);
	assert_string_equal(catalog_problem_at(one, catalog_invalid(one) - 1)->path, dir);
	catalog_destroy(&one);
	catalog_destroy(&four);
	catalog_destroy(&previous);

	/* And four threads did read (one per 32 files at most). */
	char *names[FILES];
	for (int i = 0; i < FILES; i++)
		names[i] = xasprintf("r%03d.yaml", i);
	catalog_read_t got[FILES] = {0};
	assert_int_equal(catalog_read_all(f->books, names, FILES, 4, got), 4);
	assert_non_null(strstr(got[0].errors, "/r000.yaml:"));
	assert_non_null(got[4].warnings);
	for (int i = 0; i < FILES; i++) {
		assert_true((got[i].rb == NULL) == (got[i].errors != NULL));
		catalog_read_clear(&got[i]);
	}
	/* Three files are too few for a second thread. */
	assert_int_equal(catalog_read_all(f->books, names, 3, 4, got), 1);
	for (int i = 0; i < FILES; i++) {
		if (i < 3)
			catalog_read_clear(&got[i]);
		free(names[i]);
	}
	assert_int_equal(rmdir(dir), 0);
}

/* Reading a runbook leaves its access time alone: a file created and
 * then read had its atime written (relatime writes it once after each
 * change), one inode made dirty and journalled per file at a start over
 * new runbooks. */
static void
test_reading_a_runbook_leaves_its_access_time(void **state)
{
	fixture_t *f = *state;
	char *path = xasprintf("%s/atime.yaml", f->books); /* owned */
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("name: atime\nsteps:\n  - name: one\n    run: \"true\"\n", fp);
	assert_int_equal(fclose(fp), 0);
	/* Read long ago, written since: relatime would write it now. */
	struct timespec times[2] = {{.tv_sec = 1000000000}, {.tv_sec = 1500000000}};
	assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
	size_t len = 0;
	char *error = NULL;
	char *text = catalog_read_file(path, 1 << 20, &len, &error);
	assert_non_null(text);
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_atim.tv_sec, 1000000000);
	free(text);
	assert_int_equal(unlink(path), 0);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_files_read_on_threads_give_the_catalog_one_thread_gives, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_a_start_writes_only_the_runbooks_that_changed,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_a_broken_file_serves_its_last_good_version_after_restarts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_a_swap_serves_the_new_runbooks_in_place, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_runbook_steps_are_expanded_at_load_and_reload,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rows_are_written_later_in_slices, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reading_a_runbook_leaves_its_access_time, setup,
	                                    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
