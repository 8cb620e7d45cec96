/* store_query and the statements whose SQL is written for both engines: a
 * run named by the start or the end of its id, a run's per-host verdict,
 * a step run's id from its INSERT, a runbook saved only when it changed,
 * an incident's runs in the order they were linked, and the counts that
 * are sums of conditions. What a user sees from each, on a real store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "fixture_store.h"
#include "store/store.h"
#include "strlist.h"

static void
run_add(store_t *s, const char *id, int64_t created_ms)
{
	store_run_t run = {.id = id, .runbook = "book", .status = 2, .created_ms = created_ms};
	assert_int_equal(store_run_insert(s, &run), 0);
}

static void
test_run_named_by_start_or_end_of_its_id(void **state)
{
	store_t *s = ((fixture_store_t *)*state)->store;
	run_add(s, "20260101-aaaa11", 1000);
	run_add(s, "20260101-bbbb22", 2000);
	run_add(s, "20260102-cccc33", 3000);
	assert_int_equal(store_commit(s), 0);

	char *id = NULL, *error = NULL;
	assert_int_equal(store_run_resolve(s, "20260101-aaaa11", &id, &error), 0);
	assert_string_equal(id, "20260101-aaaa11");
	free(id);
	assert_int_equal(store_run_resolve(s, "20260101-b", &id, &error), 0);
	assert_string_equal(id, "20260101-bbbb22");
	free(id);
	assert_int_equal(store_run_resolve(s, "cc33", &id, &error), 0);
	assert_string_equal(id, "20260102-cccc33");
	free(id);
	assert_int_equal(store_run_resolve(s, "last", &id, &error), 0);
	assert_string_equal(id, "20260102-cccc33");
	free(id);

	assert_int_equal(store_run_resolve(s, "20260101", &id, &error), 1);
	assert_null(id);
	assert_string_equal(error, "'20260101' matches 2 runs (20260101-bbbb22, 20260101-aaaa11);"
	                           " give more of the id");
	free(error);
	assert_int_equal(store_run_resolve(s, "zz", &id, &error), 1);
	assert_string_equal(error, "no run 'zz'; `rota runs` lists the recent ones");
	free(error);
}

static void
test_run_hosts_ok_and_failed_from_steps_then_verdict(void **state)
{
	store_t *s = ((fixture_store_t *)*state)->store;
	run_add(s, "r1", 1000);
	int64_t row;
	/* a: all succeeded; b: one failed (5); c: one still running (3). */
	assert_int_equal(store_step_insert(s, "r1", "one", "a", 1, 0, 4, NULL, 0, &row), 0);
	assert_int_equal(store_step_insert(s, "r1", "two", "a", 1, 1, 4, NULL, 0, &row), 0);
	assert_int_equal(store_step_insert(s, "r1", "one", "b", 1, 0, 4, NULL, 0, &row), 0);
	assert_int_equal(store_step_insert(s, "r1", "two", "b", 1, 1, 5, NULL, 0, &row), 0);
	assert_int_equal(store_step_insert(s, "r1", "one", "c", 1, 0, 4, NULL, 0, &row), 0);
	assert_int_equal(store_step_insert(s, "r1", "two", "c", 1, 1, 3, NULL, 0, &row), 0);
	assert_int_equal(store_commit(s), 0);

	Rota__RunSummary sum;
	assert_int_equal(store_run_summary(s, "r1", &sum), 0);
	assert_int_equal(sum.hosts_total, 3);
	assert_int_equal(sum.hosts_ok, 1);
	assert_int_equal(sum.hosts_failed, 1);
	store_run_summary_clear(&sum);

	/* The finished run's own verdict beats the guess from step statuses. */
	assert_int_equal(store_run_outcome(s, "r1", 2, 1, NULL), 0);
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(store_run_summary(s, "r1", &sum), 0);
	assert_int_equal(sum.hosts_ok, 2);
	assert_int_equal(sum.hosts_failed, 1);
	store_run_summary_clear(&sum);

	bool has = false;
	char *hosts = store_run_hosts(s, "r1", "b", &has);
	assert_string_equal(hosts, "a, b, c");
	assert_true(has);
	free(hosts);
}

static void
test_step_insert_gives_the_rows_id_once(void **state)
{
	store_t *s = ((fixture_store_t *)*state)->store;
	run_add(s, "r1", 1000);
	int64_t one = 0, two = 0, found = 0;
	assert_int_equal(store_step_insert(s, "r1", "one", "a", 1, 0, 1, NULL, 0, &one), 0);
	assert_int_equal(store_step_insert(s, "r1", "one", "a", 2, 0, 1, NULL, 0, &two), 0);
	assert_true(one > 0);
	assert_true(two > one);
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(store_step_find(s, "r1", "one", "a", 2, &found), 0);
	assert_int_equal(found, two);
	assert_int_equal(store_step_find(s, "r1", "one", "a", 3, &found), 1);

	/* The same attempt twice is refused, and the turn with it. */
	int64_t dup = 0;
	/* (PostgreSQL: the insert is sent without waiting, and refused by the
	 * commit.) */
	assert_int_equal(store_step_insert(s, "r1", "one", "a", 1, 0, 1, NULL, 0, &dup),
	                 store_is_postgresql(s) ? 0 : -1);
	assert_true(store_failed(s) || store_is_postgresql(s));
	assert_int_equal(store_commit(s), -1);
	/* In the engine's words: "UNIQUE constraint failed" (SQLite),
	 * "duplicate key value violates unique constraint" (PostgreSQL). */
	assert_non_null(strcasestr(store_last_error(s), "unique"));
}

static void
test_runbook_saved_only_when_it_changed(void **state)
{
	store_t *s = ((fixture_store_t *)*state)->store;
	assert_int_equal(store_runbook_save(s, "a", "a.yaml", "h1", "y1", 100), 0);
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(store_runbook_save(s, "a", "a.yaml", "h1", "y1", 200), 0);
	assert_int_equal(store_commit(s), 0);
	char *name, *hash, *yaml;
	int64_t loaded = 0;
	assert_int_equal(store_runbook_by_path(s, "a.yaml", &name, &hash, &yaml, &loaded), 0);
	assert_int_equal(loaded, 100); /* unchanged: not saved again */
	free(name);
	free(hash);
	free(yaml);
	assert_int_equal(store_runbook_save(s, "a", "a.yaml", "h2", "y2", 300), 0);
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(store_runbook_by_path(s, "a.yaml", &name, &hash, &yaml, &loaded), 0);
	assert_int_equal(loaded, 300);
	assert_string_equal(yaml, "y2");
	free(name);
	free(hash);
	free(yaml);
	/* A path serves one runbook: renamed, the old name is gone. */
	assert_int_equal(store_runbook_save(s, "b", "a.yaml", "h3", "y3", 400), 0);
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(store_runbook_by_path(s, "a.yaml", &name, &hash, &yaml, &loaded), 0);
	assert_string_equal(name, "b");
	free(name);
	free(hash);
	free(yaml);
}

static void
test_incident_runs_in_link_order_and_counts(void **state)
{
	store_t *s = ((fixture_store_t *)*state)->store;
	char id[32];
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_incident_next_id(s, id, sizeof(id)), 0);
	assert_string_equal(id, "INC-1");
	fixture_store_incident(s, id, 1000);
	assert_int_equal(store_incident_link_run(s, id, "r-z"), 0);
	assert_int_equal(store_incident_link_run(s, id, "r-a"), 0);
	assert_int_equal(store_incident_link_run(s, id, "r-m"), 0);
	assert_int_equal(store_incident_link_run(s, id, "r-z"), 0); /* again: ignored */
	store_outbox_item_t item = {.incident_id = id, .channel = "ops", .kind = "trigger"};
	assert_int_equal(store_outbox_add(s, &item, 1000), 0);
	assert_int_equal(store_outbox_add(s, &item, 1001), 0);
	assert_int_equal(store_alert_put(s, "fp1", id, "firing", "Down", "h", NULL, 1, 1000), 0);
	assert_int_equal(store_commit(s), 0);

	strlist_t runs = {0};
	assert_int_equal(store_incident_runs(s, id, &runs), 0);
	assert_int_equal(runs.count, 3);
	assert_string_equal(runs.items[0], "r-z");
	assert_string_equal(runs.items[1], "r-a");
	assert_string_equal(runs.items[2], "r-m");
	strlist_free(&runs);

	char next[32];
	assert_int_equal(store_incident_next_id(s, next, sizeof(next)), 0);
	assert_string_equal(next, "INC-2");
	uint32_t pending = 0, failed = 9;
	assert_int_equal(store_incident_delivery_counts(s, id, &pending, &failed), 0);
	assert_int_equal(pending, 2);
	assert_int_equal(failed, 0);
	uint64_t all_pending = 0, given_up = 9;
	assert_int_equal(store_outbox_counts(s, &all_pending, &given_up), 0);
	assert_int_equal(all_pending, 2);
	assert_int_equal(given_up, 0);

	char inc[32], status[16];
	bool open = false;
	assert_int_equal(store_alert_get(s, "fp1", inc, sizeof(inc), status, sizeof(status), &open),
	                 1);
	assert_string_equal(inc, id);
	assert_string_equal(status, "firing");
	assert_true(open);
	assert_int_equal(store_alerts_firing(s, id), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_run_named_by_start_or_end_of_its_id,
	                                    fixture_store_setup_test, fixture_store_teardown),
	    cmocka_unit_test_setup_teardown(test_run_hosts_ok_and_failed_from_steps_then_verdict,
	                                    fixture_store_setup_test, fixture_store_teardown),
	    cmocka_unit_test_setup_teardown(test_step_insert_gives_the_rows_id_once,
	                                    fixture_store_setup_test, fixture_store_teardown),
	    cmocka_unit_test_setup_teardown(test_runbook_saved_only_when_it_changed,
	                                    fixture_store_setup_test, fixture_store_teardown),
	    cmocka_unit_test_setup_teardown(test_incident_runs_in_link_order_and_counts,
	                                    fixture_store_setup_test, fixture_store_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
