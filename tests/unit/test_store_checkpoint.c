/* test_store_checkpoint: a SQLite store's WAL checkpoints taken by the
 * checkpoint thread: once the loop's commits take the WAL past
 * STORE_CHECKPOINT_PAGES the thread checkpoints it (the loop's commit no
 * longer does), what was committed is all there after a restart, and the
 * thread stops with the store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "fixture_store.h"

static int
setup(void **state)
{
	return fixture_store_setup(state, "checkpoint");
}

static int
teardown(void **state)
{
	return fixture_store_teardown(state);
}

/* Runs with a 4 KiB runbook copy each: a page or more apiece. */
static void
add_runs(store_t *s, int from, int n)
{
	static char yaml[4096];
	memset(yaml, 'x', sizeof(yaml) - 1);
	assert_int_equal(store_begin(s), 0);
	for (int i = from; i < from + n; i++) {
		char id[32];
		snprintf(id, sizeof(id), "run-%05d", i);
		fixture_store_run(s, id, "book", yaml, 3, 1000 + i);
	}
	assert_int_equal(store_commit(s), 0);
}

static void
test_the_thread_checkpoints(void **state)
{
	fixture_store_t *f = *state;
	char *error = NULL;
	assert_int_equal(store_checkpointer_start(f->store, &error), 0);
	assert_null(error);
	assert_int_equal(store_checkpointer_start(f->store, &error), 0); /* once */
	assert_int_equal(store_checkpoints(f->store), 0);
	/* Well past STORE_CHECKPOINT_PAGES in commits of 50 pages or more. */
	for (int k = 0; k < 40; k++)
		add_runs(f->store, k * 50, 50);
	/* The thread takes it: wait for it, bounded. */
	for (int i = 0; i < 1000 && store_checkpoints(f->store) == 0; i++)
		nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	assert_true(store_checkpoints(f->store) > 0);
	/* Commits go on while it runs. */
	for (int k = 40; k < 60; k++)
		add_runs(f->store, k * 50, 50);
	store_checkpointer_stop(f->store);
	assert_int_equal(store_checkpoints(f->store), 0); /* stopped: none counted */
	/* Everything committed is there after a restart. */
	store_destroy(&f->store);
	f->store = fixture_store_open(f->path);
	assert_non_null(f->store);
	assert_true(store_run_exists(f->store, "run-00000"));
	assert_true(store_run_exists(f->store, "run-02999"));
}

static void
test_stopped_with_the_store(void **state)
{
	fixture_store_t *f = *state;
	char *error = NULL;
	assert_int_equal(store_checkpointer_start(f->store, &error), 0);
	add_runs(f->store, 0, 10);
	/* store_destroy stops and joins the thread (the fixture's teardown
	 * destroys it), before the loop's connection closes. */
	store_destroy(&f->store);
	f->store = fixture_store_open(f->path);
	assert_non_null(f->store);
	assert_true(store_run_exists(f->store, "run-00009"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_the_thread_checkpoints, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stopped_with_the_store, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
