/* test_pruner: retention's driver on a real store: no pass before its
 * first one is due, a pass started by hand goes on turn by turn (each
 * turn's slice committed, as the loop does) until it has deleted what the
 * dry run counted, then says so in its stats; a dry run stopped by its
 * time bound says its counts are lower bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture_store.h"
#include "pruner.h"

#define DAY (24LL * 3600 * 1000)
#define NOW (20000 * DAY)

static void
add_run(store_t *s, const char *id, int64_t days_ago)
{
	fixture_store_run(s, id, "book", "name: book\n", 3, NOW - days_ago * DAY);
	int64_t row = 0;
	assert_int_equal(store_step_insert(s, id, "s", "h", 1, 0, 4, NULL, 0, &row), 0);
}

static void
test_a_pass_by_hand(void **state)
{
	fixture_store_t *f = *state;
	store_t *s = f->store;
	assert_int_equal(store_begin(s), 0);
	for (int i = 0; i < 300; i++) {
		char id[32];
		snprintf(id, sizeof(id), "r-%03d", i);
		add_run(s, id, 100 + i % 50);
	}
	add_run(s, "new", 1);
	assert_int_equal(store_commit(s), 0);

	store_retention_t r = {.runs_ms = 90 * DAY, .keep_runs_per_runbook = 5};
	pruner_t *p = pruner_new(s, &r, 0);
	/* Not due yet: nothing happens. */
	pruner_turn(p, PRUNER_FIRST_PASS_MS - 1, NOW);
	assert_false(pruner_busy(p));
	assert_int_equal(pruner_stats(p)->passes, 0);
	assert_true(pruner_stats(p)->store_bytes > 0);

	uint64_t would[STORE_PRUNE_TABLES];
	bool partial = true;
	assert_int_equal(pruner_dry_run(p, NOW, 600000, would, &partial), 0);
	assert_false(partial);
	assert_int_equal(would[STORE_PRUNE_RUNS], 296); /* 301 less the newest 5 */
	/* Bounded at no time at all: one batch, a lower bound, said so. */
	uint64_t some[STORE_PRUNE_TABLES];
	assert_int_equal(pruner_dry_run(p, NOW, 0, some, &partial), 0);
	assert_true(partial);
	assert_true(some[STORE_PRUNE_RUNS] > 0 && some[STORE_PRUNE_RUNS] < 296);

	assert_int_equal(pruner_start(p, NOW), NOW);
	int turns = 0;
	while (pruner_busy(p)) {
		pruner_turn(p, 1000, NOW);
		assert_int_equal(store_commit(s), 0);
		assert_true(++turns < 10000);
	}
	const pruner_stats_t *st = pruner_stats(p);
	assert_int_equal(st->passes, 1);
	assert_true(st->last_pass_ms == NOW);
	assert_int_equal(st->last_rows[STORE_PRUNE_RUNS], 296);
	assert_int_equal(st->last_rows[STORE_PRUNE_STEPS], 296);
	assert_int_equal(st->pruned[STORE_PRUNE_RUNS], 296);
	assert_true(store_run_exists(s, "new"));
	/* The oldest run kept is among the newest five. */
	assert_true(st->oldest[STORE_PRUNE_RUNS] > NOW - 150 * DAY);
	/* The next pass waits an hour. */
	pruner_turn(p, 1000 + PRUNER_INTERVAL_MS - 1, NOW);
	assert_false(pruner_busy(p));
	pruner_turn(p, 1000 + PRUNER_INTERVAL_MS, NOW);
	assert_true(pruner_busy(p));
	pruner_destroy(&p);
	assert_null(p);
	/* A restarted coordinator still knows when the last pass ended. */
	p = pruner_new(s, &r, 0);
	assert_true(pruner_stats(p)->last_pass_ms == NOW);
	assert_int_equal(pruner_stats(p)->passes, 0);
	pruner_destroy(&p);
}

/* What a pass starting at NOW would still delete: the runs left. */
static uint64_t
runs_left(pruner_t *p)
{
	uint64_t rows[STORE_PRUNE_TABLES];
	bool partial = true;
	assert_int_equal(pruner_dry_run(p, NOW, 600000, rows, &partial), 0);
	assert_false(partial);
	return rows[STORE_PRUNE_RUNS];
}

/* n runs of one runbook, all older than 90 days, committed; a pruner
 * with that retention keeping the newest 5. */
static pruner_t *
old_runs(store_t *s, int n)
{
	assert_int_equal(store_begin(s), 0);
	for (int i = 0; i < n; i++) {
		char id[32];
		snprintf(id, sizeof(id), "r-%04d", i);
		add_run(s, id, 100 + i % 50);
	}
	assert_int_equal(store_commit(s), 0);
	static const store_retention_t r = {.runs_ms = 90 * DAY, .keep_runs_per_runbook = 5};
	return pruner_new(s, &r, 0);
}

static void
test_a_slice_is_bounded(void **state)
{
	fixture_store_t *f = *state;
	store_t *s = f->store;
	/* Far more than a slice's 2 ms can delete (each run is four
	 * statements), however fast the machine. */
	pruner_t *p = old_runs(s, 3000);
	assert_int_equal(runs_left(p), 2995);

	pruner_start(p, NOW);
	pruner_turn(p, 1000, NOW);
	/* The slice committed its own work: nothing is left open for the
	 * loop's next turn, and what it deleted is gone for other readers. */
	assert_false(store_in_transaction(s));
	uint64_t after_one = runs_left(p);
	assert_true(after_one < 2995);
	assert_true(after_one > 0);
	/* The next turn goes on from there. */
	pruner_turn(p, 1001, NOW);
	uint64_t after_two = runs_left(p);
	assert_true(after_two < after_one);
	int turns = 2;
	while (pruner_busy(p)) {
		pruner_turn(p, 1000 + turns, NOW);
		assert_false(store_in_transaction(s));
		assert_true(++turns < 100000);
	}
	const pruner_stats_t *st = pruner_stats(p);
	assert_int_equal(st->passes, 1);
	assert_int_equal(st->last_rows[STORE_PRUNE_RUNS], 2995);
	assert_int_equal(runs_left(p), 0);
	/* Every turn was a slice (the vacuum's too), and each is counted. */
	assert_int_equal(st->last_slices, (uint64_t)turns);
	assert_true(st->last_slice_max_us > 0);
	assert_true(st->last_slice_p99_us >= PRUNER_SLICE_BUCKET_US);
	assert_int_equal(st->last_deferred, 0);
	pruner_destroy(&p);
}

static void
test_a_slice_waits_for_input(void **state)
{
	fixture_store_t *f = *state;
	store_t *s = f->store;
	pruner_t *p = old_runs(s, 300);
	/* No pass: nothing to put off. */
	assert_false(pruner_put_off(p, 1000));
	pruner_start(p, NOW);
	/* The pass's first slice is never put off. */
	assert_false(pruner_put_off(p, 1000));
	pruner_turn(p, 1000, NOW);
	uint64_t left = runs_left(p);
	assert_true(left < 295);
	/* A message waits: put off, for up to PRUNER_DEFER_MAX_MS after the
	 * last slice; then taken whatever waits, so retention goes on. */
	assert_true(pruner_put_off(p, 1001));
	assert_true(pruner_put_off(p, 1000 + PRUNER_DEFER_MAX_MS - 1));
	assert_int_equal(runs_left(p), left);
	assert_false(pruner_put_off(p, 1000 + PRUNER_DEFER_MAX_MS));
	int turns = 0;
	int64_t now = 1000 + PRUNER_DEFER_MAX_MS;
	while (pruner_busy(p)) {
		pruner_turn(p, now++, NOW);
		assert_true(++turns < 10000);
	}
	assert_int_equal(pruner_stats(p)->last_deferred, 2);
	assert_int_equal(pruner_stats(p)->last_rows[STORE_PRUNE_RUNS], 295);
	pruner_destroy(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_a_pass_by_hand, fixture_store_setup_test,
	                                    fixture_store_teardown),
	    cmocka_unit_test_setup_teardown(test_a_slice_is_bounded, fixture_store_setup_test,
	                                    fixture_store_teardown),
	    cmocka_unit_test_setup_teardown(test_a_slice_waits_for_input, fixture_store_setup_test,
	                                    fixture_store_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
