/* run: step and run state transitions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>

#include "rota.pb-c.h"
#include "run.h"
#include "xalloc.h"

enum {
	PENDING = ROTA__STEP_STATUS__STEP_PENDING,
	DISPATCHED = ROTA__STEP_STATUS__STEP_DISPATCHED,
	RUNNING = ROTA__STEP_STATUS__STEP_RUNNING,
	OK = ROTA__STEP_STATUS__STEP_SUCCEEDED,
	FAILED = ROTA__STEP_STATUS__STEP_FAILED,
	TIMEOUT = ROTA__STEP_STATUS__STEP_TIMEOUT,
	LOST = ROTA__STEP_STATUS__STEP_LOST,
	SKIPPED = ROTA__STEP_STATUS__STEP_SKIPPED,
};

static run_t *
make_run(size_t hosts, size_t steps)
{
	run_t *r = run_new("r1", "book", hosts, steps);
	for (size_t h = 0; h < hosts; h++) {
		r->hosts[h].host = xasprintf("w%zu", h + 1);
		for (size_t s = 0; s < steps; s++)
			r->hosts[h].steps[s].step_id = xasprintf("s%zu", s + 1);
	}
	return r;
}

static void
test_steps_run_in_order(void **state)
{
	(void)state;
	run_t *r = make_run(1, 3);
	size_t skip;
	assert_int_equal(run_next_step(r, 0), 0);
	run_step_set(r, 0, 0, DISPATCHED, &skip);
	assert_int_equal(run_next_step(r, 0), -1); /* one in flight at a time */
	assert_int_equal(run_inflight_step(r, 0), 0);
	run_step_set(r, 0, 0, RUNNING, &skip);
	assert_int_equal(run_inflight_step(r, 0), 0);
	run_step_set(r, 0, 0, OK, &skip);
	assert_int_equal(skip, 3);
	assert_int_equal(run_next_step(r, 0), 1);
	assert_int_equal(run_compute_status(r), ROTA__RUN_STATUS__RUN_RUNNING);
	run_step_set(r, 0, 1, OK, &skip);
	run_step_set(r, 0, 2, OK, &skip);
	assert_int_equal(run_next_step(r, 0), -1);
	assert_true(run_host_done(r, 0));
	assert_true(run_host_ok(r, 0));
	assert_int_equal(run_compute_status(r), ROTA__RUN_STATUS__RUN_SUCCEEDED);
	run_destroy(&r);
	assert_null(r);
	run_destroy(&r); /* harmless twice */
}

static void
test_failure_skips_the_rest_of_that_host_only(void **state)
{
	(void)state;
	run_t *r = make_run(2, 3);
	size_t skip;
	run_step_set(r, 0, 0, OK, &skip);
	run_step_set(r, 0, 1, FAILED, &skip);
	assert_int_equal(skip, 2);
	assert_int_equal(r->hosts[0].steps[2].status, SKIPPED);
	assert_true(run_host_done(r, 0));
	assert_false(run_host_ok(r, 0));
	/* The other host carries on. */
	assert_int_equal(run_next_step(r, 1), 0);
	assert_int_equal(run_compute_status(r), ROTA__RUN_STATUS__RUN_RUNNING);
	run_step_set(r, 1, 0, OK, &skip);
	run_step_set(r, 1, 1, OK, &skip);
	run_step_set(r, 1, 2, OK, &skip);
	assert_int_equal(run_compute_status(r), ROTA__RUN_STATUS__RUN_FAILED);
	run_destroy(&r);
}

static void
test_timeout_and_lost_end_the_host(void **state)
{
	(void)state;
	int ends[] = {TIMEOUT, LOST, ROTA__STEP_STATUS__STEP_CANCELLED,
	              ROTA__STEP_STATUS__STEP_ERROR};
	for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
		run_t *r = make_run(1, 2);
		size_t skip;
		run_step_set(r, 0, 0, ends[i], &skip);
		assert_int_equal(skip, 1);
		assert_int_equal(r->hosts[0].steps[1].status, SKIPPED);
		assert_int_equal(run_compute_status(r), ROTA__RUN_STATUS__RUN_FAILED);
		run_destroy(&r);
	}
}

static void
test_find_and_names(void **state)
{
	(void)state;
	run_t *r = make_run(2, 2);
	size_t h, s;
	assert_int_equal(run_find(r, "w2", "s2", &h, &s), 0);
	assert_int_equal(h, 1);
	assert_int_equal(s, 1);
	assert_int_equal(run_find(r, "w3", "s1", &h, &s), -1);
	assert_int_equal(run_find(r, "w1", "nope", &h, &s), -1);
	assert_string_equal(run_step_status_name(TIMEOUT), "timeout");
	assert_string_equal(run_step_status_name(99), "unknown");
	assert_string_equal(run_status_name(ROTA__RUN_STATUS__RUN_FAILED), "failed");
	assert_true(run_step_status_terminal(SKIPPED));
	assert_false(run_step_status_terminal(RUNNING));
	assert_false(run_step_status_terminal(PENDING));
	run_destroy(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_steps_run_in_order),
	    cmocka_unit_test(test_failure_skips_the_rest_of_that_host_only),
	    cmocka_unit_test(test_timeout_and_lost_end_the_host),
	    cmocka_unit_test(test_find_and_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
