/* dispatcher_index: the active runs as a list and an index by run id, with
 * no store or sockets (activating and retiring runs touches neither). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch/dispatcher_internal.h"

static dispatcher_t *
index_dispatcher(void)
{
	dispatcher_config_t cfg = {0};
	return dispatcher_new(&cfg);
}

static run_t *
index_run(const char *runbook, size_t i)
{
	char id[32];
	snprintf(id, sizeof(id), "run-%zu", i);
	return run_new(id, runbook, 1, 1);
}

static size_t
index_list_length(dispatcher_t *d)
{
	size_t n = 0;
	for (run_t *r = dispatcher_runs(d); r; r = r->next)
		n++;
	return n;
}

/* Every active run is found by its id, through growth and after others
 * are retired; a retired one is not. */
static void
test_find_after_growth_and_retire(void **state)
{
	(void)state;
	enum { N = 1000 };
	dispatcher_t *d = index_dispatcher();
	run_t *runs[N];
	for (size_t i = 0; i < N; i++) {
		runs[i] = index_run("rb", i);
		dispatcher_activate(d, runs[i]);
	}
	assert_int_equal(dispatcher_active(d), N);
	assert_int_equal(index_list_length(d), N);
	for (size_t i = 0; i < N; i++)
		assert_ptr_equal(dispatcher_find_run(d, runs[i]->id), runs[i]);
	assert_null(dispatcher_find_run(d, "run-1000"));
	for (size_t i = 1; i < N; i += 2)
		dispatcher_retire(d, runs[i]); /* frees it */
	assert_int_equal(dispatcher_active(d), N / 2);
	assert_int_equal(index_list_length(d), N / 2);
	for (size_t i = 0; i < N; i++) {
		char id[32];
		snprintf(id, sizeof(id), "run-%zu", i);
		run_t *r = dispatcher_find_run(d, id);
		if (i % 2)
			assert_null(r);
		else
			assert_ptr_equal(r, runs[i]);
	}
	/* An id comes back after its tombstone. */
	run_t *again = index_run("rb", 1);
	dispatcher_activate(d, again);
	assert_ptr_equal(dispatcher_find_run(d, "run-1"), again);
	dispatcher_destroy(&d);
	assert_null(d);
}

/* Tombstones do not pile up: runs that come and go one at a time keep the
 * index at its least size. */
static void
test_tombstones_are_reclaimed(void **state)
{
	(void)state;
	dispatcher_t *d = index_dispatcher();
	for (size_t i = 0; i < 10000; i++) {
		run_t *r = index_run("rb", i);
		dispatcher_activate(d, r);
		assert_ptr_equal(dispatcher_find_run(d, r->id), r);
		dispatcher_retire(d, r);
	}
	assert_int_equal(dispatcher_active(d), 0);
	assert_null(dispatcher_runs(d));
	assert_int_equal(d->index_cap, DISPATCHER_INDEX_MIN);
	dispatcher_destroy(&d);
}

/* A retired run leaves the turn's list of runs to drive. */
static void
test_retire_clears_pending_drive(void **state)
{
	(void)state;
	dispatcher_t *d = index_dispatcher();
	run_t *a = index_run("rb", 1), *b = index_run("rb", 2);
	dispatcher_activate(d, a);
	dispatcher_activate(d, b);
	d->pending = calloc(2, sizeof(*d->pending));
	d->pending_cap = 2;
	d->pending[d->pending_count++] = a;
	d->pending[d->pending_count++] = b;
	a->drive_pending = b->drive_pending = true;
	dispatcher_retire(d, a);
	assert_null(d->pending[0]);
	assert_ptr_equal(d->pending[1], b);
	dispatcher_destroy(&d);
}

/* dispatcher_active_of finds a run by its runbook. */
static void
test_active_of(void **state)
{
	(void)state;
	dispatcher_t *d = index_dispatcher();
	run_t *a = index_run("backup", 1), *b = index_run("deploy", 2);
	dispatcher_activate(d, a);
	dispatcher_activate(d, b);
	assert_ptr_equal(dispatcher_active_of(d, "backup"), a);
	assert_ptr_equal(dispatcher_active_of(d, "deploy"), b);
	assert_null(dispatcher_active_of(d, "restore"));
	dispatcher_retire(d, a);
	assert_null(dispatcher_active_of(d, "backup"));
	dispatcher_destroy(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_find_after_growth_and_retire),
	    cmocka_unit_test(test_tombstones_are_reclaimed),
	    cmocka_unit_test(test_retire_clears_pending_drive),
	    cmocka_unit_test(test_active_of),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
