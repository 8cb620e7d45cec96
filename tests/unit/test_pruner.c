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
	store_run_t r = {.id = id,
	                 .runbook = "book",
	                 .runbook_yaml = "name: book\n",
	                 .params_json = "{}",
	                 .status = 3,
	                 .created_ms = NOW - days_ago * DAY};
	assert_int_equal(store_run_insert(s, &r), 0);
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_a_pass_by_hand, fixture_store_setup_test,
	                                    fixture_store_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
