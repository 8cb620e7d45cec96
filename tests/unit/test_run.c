/* run: step and run state transitions, when rules, retries, batches. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture_status.h"
#include "rota.pb-c.h"
#include "run.h"
#include "xalloc.h"

/* A run of hosts x steps with every host started (no batches). */
static run_t *
make_run(size_t hosts, size_t steps)
{
	run_t *r = run_new("r1", "book", hosts, steps);
	for (size_t h = 0; h < hosts; h++) {
		r->hosts[h].host = xasprintf("w%zu", h + 1);
		for (size_t s = 0; s < steps; s++)
			r->hosts[h].steps[s].step_id = xasprintf("s%zu", s + 1);
	}
	run_start_hosts(r);
	return r;
}

static int
next(run_t *r, size_t h)
{
	return run_advance(r, h, 0, 0);
}

static void
test_steps_run_in_order(void **state)
{
	(void)state;
	run_t *r = make_run(1, 3);
	assert_int_equal(next(r, 0), 0);
	run_step_set(r, 0, 0, DISPATCHED);
	assert_int_equal(next(r, 0), -1); /* one in flight at a time */
	assert_int_equal(run_inflight_step(r, 0), 0);
	run_step_set(r, 0, 0, OK);
	assert_int_equal(next(r, 0), 1);
	assert_int_equal(run_compute_status(r), ROTA__RUN_STATUS__RUN_RUNNING);
	run_step_set(r, 0, 1, OK);
	run_step_set(r, 0, 2, OK);
	assert_int_equal(next(r, 0), -1);
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
	run_step_set(r, 0, 0, OK);
	run_step_set(r, 0, 1, FAILED);
	assert_int_equal(next(r, 0), -1);
	assert_int_equal(r->hosts[0].steps[2].status, SKIPPED);
	assert_true(r->hosts[0].steps[2].dirty);
	assert_string_equal(r->hosts[0].steps[2].note, "not run: step s2 failed");
	assert_true(run_host_done(r, 0));
	assert_false(run_host_ok(r, 0));
	/* The other host carries on. */
	assert_int_equal(next(r, 1), 0);
	assert_int_equal(run_compute_status(r), ROTA__RUN_STATUS__RUN_RUNNING);
	for (size_t s = 0; s < 3; s++)
		run_step_set(r, 1, s, OK);
	assert_true(run_host_ok(r, 1));
	assert_int_equal(run_compute_status(r), ROTA__RUN_STATUS__RUN_FAILED);
	run_destroy(&r);
}

/* check; restart when the check failed; confirm by default. */
static run_t *
make_remediation(size_t hosts)
{
	run_t *r = make_run(hosts, 3);
	r->policy[1].when = RUNBOOK_WHEN_FAILED;
	r->policy[1].when_step = 0;
	return r;
}

static void
test_when_failed_runs_only_where_the_check_failed(void **state)
{
	(void)state;
	run_t *r = make_remediation(2);
	/* w1: the check passes: the restart is skipped, confirm runs. */
	run_step_set(r, 0, 0, OK);
	assert_int_equal(next(r, 0), 2);
	assert_int_equal(r->hosts[0].steps[1].status, SKIPPED);
	assert_string_equal(r->hosts[0].steps[1].note,
	                    "not run: it runs when step s1 fails, and it succeeded");
	/* w2: the check fails: the restart runs. */
	run_step_set(r, 1, 0, FAILED);
	assert_int_equal(next(r, 1), 1);
	/* It succeeded: the failure is handled, confirm runs, the host is ok. */
	run_step_set(r, 1, 1, OK);
	assert_int_equal(next(r, 1), 2);
	run_step_set(r, 1, 2, OK);
	run_step_set(r, 0, 2, OK);
	assert_true(run_host_ok(r, 0));
	assert_true(run_host_ok(r, 1));
	assert_int_equal(run_compute_status(r), ROTA__RUN_STATUS__RUN_SUCCEEDED);
	run_destroy(&r);
}

static void
test_failed_remediation_fails_the_host(void **state)
{
	(void)state;
	run_t *r = make_remediation(1);
	run_step_set(r, 0, 0, FAILED);
	assert_int_equal(next(r, 0), 1);
	run_step_set(r, 0, 1, FAILED);
	assert_int_equal(next(r, 0), -1);
	assert_int_equal(r->hosts[0].steps[2].status, SKIPPED);
	assert_false(run_host_ok(r, 0));
	assert_int_equal(run_compute_status(r), ROTA__RUN_STATUS__RUN_FAILED);
	run_destroy(&r);
}

static void
test_always_succeeded_and_continue_on_failure(void **state)
{
	(void)state;
	run_t *r = make_run(1, 4);
	r->policy[0].continue_on_failure = true; /* diagnostics */
	r->policy[2].when = RUNBOOK_WHEN_SUCCEEDED;
	r->policy[2].when_step = 1;
	r->policy[3].when = RUNBOOK_WHEN_ALWAYS;
	run_step_set(r, 0, 0, FAILED);
	assert_int_equal(next(r, 0), 1); /* the failure does not count */
	run_step_set(r, 0, 1, TIMEOUT);
	assert_int_equal(next(r, 0), 3); /* s3 needs s2 to succeed; cleanup always runs */
	assert_int_equal(r->hosts[0].steps[2].status, SKIPPED);
	run_step_set(r, 0, 3, OK);
	assert_true(run_host_done(r, 0));
	assert_false(run_host_ok(r, 0)); /* s2's timeout still fails it */
	run_destroy(&r);
}

static void
test_retry_delays_double_up_to_the_cap(void **state)
{
	(void)state;
	run_t *r = make_run(1, 1);
	r->policy[0].retries = 3;
	r->policy[0].backoff_ms = 1000;
	r->policy[0].max_backoff_ms = 3000;
	run_step_t *st = &r->hosts[0].steps[0];
	assert_int_equal(run_retry_delay(r, 0, 0, FAILED), 1000);
	st->attempt = 2;
	assert_int_equal(run_retry_delay(r, 0, 0, TIMEOUT), 2000);
	st->attempt = 3;
	assert_int_equal(run_retry_delay(r, 0, 0, LOST), 3000); /* capped */
	st->attempt = 4;
	assert_int_equal(run_retry_delay(r, 0, 0, FAILED), -1); /* none left */
	st->attempt = 1;
	assert_int_equal(run_retry_delay(r, 0, 0, OK), -1);
	assert_int_equal(run_retry_delay(r, 0, 0, CANCELLED), -1);
	r->policy[0].idempotent = false;
	assert_int_equal(run_retry_delay(r, 0, 0, FAILED), -1);
	/* A pending retry waits for its time. */
	r->policy[0].idempotent = true;
	st->status = PENDING;
	st->retry_at_mono = 5000;
	assert_int_equal(run_advance(r, 0, 4999, 0), -1);
	assert_int_equal(run_advance(r, 0, 5000, 0), 0);
	run_destroy(&r);
}

/* max_failures 0: the first failed host stops the rollout; the hosts of
 * its batch still running finish, no further batch starts, and the note
 * names the host that failed. */
static void
test_rolling_run_stops_at_first_failure(void **state)
{
	(void)state;
	run_t *r = run_new("r1", "book", 5, 1);
	for (size_t h = 0; h < 5; h++) {
		r->hosts[h].host = xasprintf("w%zu", h + 1);
		r->hosts[h].steps[0].step_id = xstrdup("s1");
	}
	r->batch = 2;
	r->max_failures = 0;
	assert_int_equal(run_start_hosts(r), 2);
	run_step_set(r, 0, 0, OK);
	run_step_set(r, 1, 0, OK);
	/* No failure yet: the next batch starts. */
	assert_int_equal(run_start_hosts(r), 2);
	run_step_set(r, 3, 0, FAILED);
	assert_int_equal(run_start_hosts(r), 0); /* w3 still runs: it finishes */
	assert_int_equal(r->hosts[4].phase, RUN_HOST_WAITING);
	run_step_set(r, 2, 0, OK);
	assert_int_equal(run_start_hosts(r), 1);
	assert_int_equal(r->hosts[4].phase, RUN_HOST_NEVER);
	assert_int_equal(r->hosts[4].steps[0].status, SKIPPED);
	assert_string_equal(r->hosts[4].steps[0].note,
	                    "never started: w4 failed, and max_failures 0 stops the rollout at"
	                    " the first failed host");
	char *names = run_failed_names(r);
	assert_string_equal(names, "w4");
	free(names);
	assert_int_equal(run_compute_status(r), ROTA__RUN_STATUS__RUN_FAILED);
	run_destroy(&r);
}

/* Unset, max_failures never stops a rollout; a runbook's 0 is applied as 0. */
static void
test_rolling_max_failures_from_runbook(void **state)
{
	(void)state;
	runbook_t rb = {0};
	run_t *r = run_new("r1", "book", 3, 0);
	rb.targets.batch = (runbook_amount_t){1, false, true};
	run_apply_runbook(r, &rb);
	assert_int_equal(r->batch, 1);
	assert_true(r->max_failures == SIZE_MAX);
	rb.targets.max_failures = (runbook_amount_t){0, false, true};
	run_apply_runbook(r, &rb);
	assert_int_equal(r->max_failures, 0);
	rb.targets.max_failures = (runbook_amount_t){50, true, true};
	run_apply_runbook(r, &rb);
	assert_int_equal(r->max_failures, 2);
	run_destroy(&r);
}

static void
test_rolling_run_stops_after_too_many_failures(void **state)
{
	(void)state;
	run_t *r = run_new("r1", "book", 8, 1);
	for (size_t h = 0; h < 8; h++) {
		r->hosts[h].host = xasprintf("w%zu", h + 1);
		r->hosts[h].steps[0].step_id = xstrdup("s1");
	}
	r->batch = 2;
	r->max_failures = 1;
	assert_int_equal(run_start_hosts(r), 2);
	assert_int_equal(r->hosts[0].phase, RUN_HOST_STARTED);
	assert_int_equal(r->hosts[2].phase, RUN_HOST_WAITING);
	assert_int_equal(next(r, 2), -1); /* not started yet */
	run_step_set(r, 0, 0, FAILED);
	assert_int_equal(run_start_hosts(r), 0); /* w2 still runs */
	run_step_set(r, 1, 0, OK);
	/* One failure is within max_failures: the second batch starts. */
	assert_int_equal(run_start_hosts(r), 2);
	run_step_set(r, 2, 0, FAILED);
	run_step_set(r, 3, 0, OK);
	assert_int_equal(run_failed_hosts(r), 2);
	/* Two failures exceed it: the other four never start. */
	assert_int_equal(run_start_hosts(r), 4);
	for (size_t h = 4; h < 8; h++) {
		assert_int_equal(r->hosts[h].phase, RUN_HOST_NEVER);
		assert_int_equal(r->hosts[h].steps[0].status, SKIPPED);
		assert_string_equal(r->hosts[h].steps[0].note,
		                    "never started: 2 host(s) failed, more than max_failures 1");
		assert_true(run_host_done(r, h));
		assert_false(run_host_ok(r, h));
	}
	assert_int_equal(run_compute_status(r), ROTA__RUN_STATUS__RUN_FAILED);
	run_destroy(&r);
}

static void
test_unreachable_and_cancelled(void **state)
{
	(void)state;
	run_t *r = make_run(2, 1);
	r->hosts[1].phase = RUN_HOST_UNREACHABLE;
	r->hosts[1].steps[0].status = UNREACHABLE;
	assert_true(run_host_done(r, 1));
	assert_false(run_host_ok(r, 1));
	assert_int_equal(next(r, 1), -1);
	run_step_set(r, 0, 0, OK);
	assert_int_equal(run_compute_status(r), ROTA__RUN_STATUS__RUN_FAILED);
	r->cancelled = true;
	assert_int_equal(run_compute_status(r), ROTA__RUN_STATUS__RUN_CANCELLED);
	run_destroy(&r);
}

/* A host whose worker was stopped on purpose (it said Goodbye) is done
 * and fails nothing: the run succeeds on the others, where an unreachable
 * host (above) fails it. */
static void
test_stopped_host_fails_nothing(void **state)
{
	(void)state;
	run_t *r = make_run(2, 1);
	r->hosts[1].phase = RUN_HOST_STOPPED;
	r->hosts[1].steps[0].status = SKIPPED;
	assert_true(run_host_done(r, 1));
	assert_int_equal(next(r, 1), -1);
	assert_int_equal(run_compute_status(r), ROTA__RUN_STATUS__RUN_RUNNING);
	run_step_set(r, 0, 0, OK);
	assert_int_equal(run_compute_status(r), ROTA__RUN_STATUS__RUN_SUCCEEDED);
	assert_int_equal(run_failed_hosts(r), 0);
	run_destroy(&r);
}

static void
test_manual_step_waits(void **state)
{
	(void)state;
	run_t *r = make_run(1, 2);
	r->policy[0].kind = RUN_KIND_MANUAL;
	assert_int_equal(next(r, 0), 0);
	run_step_set(r, 0, 0, WAITING);
	assert_int_equal(run_inflight_step(r, 0), 0);
	assert_int_equal(next(r, 0), -1);
	assert_false(run_host_done(r, 0));
	assert_int_equal(run_retry_delay(r, 0, 0, TIMEOUT), -1); /* never retried */
	run_step_set(r, 0, 0, OK);
	assert_int_equal(next(r, 0), 1);
	run_destroy(&r);
}

static void
test_jitter_is_stable_and_inside_the_window(void **state)
{
	(void)state;
	int64_t a = run_jitter_ms("daily", "web-1", 120000);
	assert_int_equal(a, run_jitter_ms("daily", "web-1", 120000));
	assert_true(a >= 0 && a < 120000);
	assert_int_equal(run_jitter_ms("daily", "web-1", 0), 0);
	/* Hosts spread out: 50 hosts do not all land in one second. */
	int64_t lo = INT64_MAX, hi = 0;
	for (int i = 0; i < 50; i++) {
		char host[16];
		snprintf(host, sizeof(host), "web-%d", i);
		int64_t j = run_jitter_ms("daily", host, 120000);
		lo = j < lo ? j : lo;
		hi = j > hi ? j : hi;
	}
	assert_true(hi - lo > 60000);
	/* A jittered host waits for its time. */
	run_t *r = make_run(1, 1);
	r->hosts[0].not_before = 1000;
	assert_int_equal(run_advance(r, 0, 0, 999), -1);
	assert_int_equal(run_advance(r, 0, 0, 1000), 0);
	run_destroy(&r);
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
	assert_string_equal(run_step_status_name(WAITING), "waiting");
	assert_string_equal(run_step_status_name(UNREACHABLE), "unreachable");
	assert_string_equal(run_step_status_name(99), "unknown");
	assert_string_equal(run_status_name(ROTA__RUN_STATUS__RUN_FAILED), "failed");
	assert_string_equal(run_status_name(ROTA__RUN_STATUS__RUN_SKIPPED), "skipped");
	assert_true(run_step_status_terminal(SKIPPED));
	assert_false(run_step_status_terminal(RUNNING));
	assert_false(run_step_status_terminal(WAITING));
	assert_false(run_step_status_failed(SKIPPED));
	assert_true(run_step_status_failed(UNREACHABLE));
	run_destroy(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_steps_run_in_order),
	    cmocka_unit_test(test_failure_skips_the_rest_of_that_host_only),
	    cmocka_unit_test(test_when_failed_runs_only_where_the_check_failed),
	    cmocka_unit_test(test_failed_remediation_fails_the_host),
	    cmocka_unit_test(test_always_succeeded_and_continue_on_failure),
	    cmocka_unit_test(test_retry_delays_double_up_to_the_cap),
	    cmocka_unit_test(test_rolling_run_stops_after_too_many_failures),
	    cmocka_unit_test(test_rolling_run_stops_at_first_failure),
	    cmocka_unit_test(test_rolling_max_failures_from_runbook),
	    cmocka_unit_test(test_unreachable_and_cancelled),
	    cmocka_unit_test(test_stopped_host_fails_nothing),
	    cmocka_unit_test(test_manual_step_waits),
	    cmocka_unit_test(test_jitter_is_stable_and_inside_the_window),
	    cmocka_unit_test(test_find_and_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
