/* test_maintenance: which hosts a maintenance window covers (a worker id,
 * label=value, all; a freeze covers none), which recurring windows of the
 * configuration are active at an instant (a window that started within its
 * duration, not one that ended), window ids, and the configuration's
 * mistakes reported at file:line:column; an occurrence of a recurring
 * window ended early (over at once and after a reopen of the store, the
 * next occurrence on time), what a reload's new list changes, and the
 * role a window needs (a freeze, or all beyond 4h, is the admin's) as the
 * API's role check applies it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api_internal.h"
#include "fixture_store.h"
#include "maintenance.h"
#include "registry.h"
#include "xalloc.h"

/* 2026-06-02T02:00:00Z, a Tuesday. */
#define TUE_0200_MS 1780365600000LL
#define MIN_MS 60000LL

static maint_plan_t *
read_plan(const char *text, char **errors)
{
	static const yamltree_options_t opts = {.noun = "configuration", .max_bytes = 65536};
	yamltree_errors_t errs = {0};
	yamltree_report_t rep;
	yamltree_report_init(&rep, &errs, "c.yaml");
	yamltree_node_t *root = yamltree_parse(&rep, text, strlen(text), &opts);
	assert_non_null(root);
	maint_plan_t *p = maintenance_plan_read(&rep, yamltree_map_get(root, "maintenance"));
	yamltree_destroy(&root);
	yamltree_report_finish(&rep);
	*errors = yamltree_errors_format(&errs);
	yamltree_errors_clear(&errs);
	return p;
}

static worker_t *
hello(registry_t *r, const char *id, const char *key, const char *value)
{
	Rota__Hello h = ROTA__HELLO__INIT;
	Rota__Label lab = ROTA__LABEL__INIT, *lp = &lab;
	lab.key = (char *)key;
	lab.value = (char *)value;
	h.worker_id = (char *)id;
	h.hostname = (char *)id;
	h.version = "test";
	h.labels = &lp;
	h.n_labels = 1;
	return registry_hello(r, &h, 0, 0);
}

static void
test_targets(void **state)
{
	(void)state;
	registry_t *r = registry_new();
	worker_t *db1 = hello(r, "db-1", "role", "db");
	worker_t *api1 = hello(r, "api-1", "role", "api");
	assert_true(maintenance_target_matches("db-1", db1));
	assert_false(maintenance_target_matches("db-1", api1));
	assert_true(maintenance_target_matches("role=db", db1));
	assert_false(maintenance_target_matches("role=db", api1));
	assert_false(maintenance_target_matches("rol=db", db1));
	assert_false(maintenance_target_matches("role=d", db1));
	assert_true(maintenance_target_matches("all", api1));

	char *error = NULL;
	assert_int_equal(maintenance_target_check("role=db", &error), 0);
	assert_int_equal(maintenance_target_check("", &error), -1);
	free(error);
	assert_int_equal(maintenance_target_check("role=", &error), -1);
	assert_string_equal(error, "target 'role=' is not label=value (like role=db)");
	free(error);
	assert_int_equal(maintenance_target_check("db 1", &error), -1);
	free(error);

	/* The first window covering a host; a freeze covers none. */
	maint_window_t items[2] = {
	    {.id = "MW-1", .target = "all", .reason = "freeze", .freeze = true},
	    {.id = "MW-2", .target = "role=db", .reason = "kernel"},
	};
	maint_set_t set = {.items = items, .count = 2};
	assert_null(maintenance_covering(&set, api1));
	assert_string_equal(maintenance_covering(&set, db1)->id, "MW-2");
	assert_string_equal(maintenance_freeze(&set)->id, "MW-1");
	assert_null(maintenance_covering(NULL, db1));
	/* The coordinator's pseudo-host: only a window on all that is not a
	 * freeze covers it. */
	assert_null(maintenance_covering_all(&set));
	assert_null(maintenance_covering_all(NULL));
	maint_window_t more[3] = {
	    items[0],
	    items[1],
	    {.id = "MW-3", .target = "all", .reason = "move"},
	};
	maint_set_t all = {.items = more, .count = 3};
	assert_string_equal(maintenance_covering_all(&all)->id, "MW-3");
	registry_destroy(&r);
}

static void
test_ids(void **state)
{
	(void)state;
	assert_int_equal(maintenance_parse_id("MW-3"), 3);
	assert_int_equal(maintenance_parse_id("mw-12"), 12);
	assert_int_equal(maintenance_parse_id("7"), 7);
	assert_int_equal(maintenance_parse_id("MW-patch-night"), -1);
	assert_int_equal(maintenance_parse_id("MW-"), -1);
	assert_int_equal(maintenance_parse_id("0"), -1);
	assert_int_equal(maintenance_parse_id(NULL), -1);
}

static void
test_recurring_active(void **state)
{
	(void)state;
	char *errors = NULL;
	maint_plan_t *p = read_plan("maintenance:\n"
	                            "  - name: patch-night\n"
	                            "    cron: \"0 2 * * TUE\"\n"
	                            "    duration: 2h\n"
	                            "    target: role=db\n"
	                            "    reason: weekly patching\n",
	                            &errors);
	assert_string_equal(errors, "");
	free(errors);
	assert_int_equal(maintenance_plan_count(p), 1);
	maint_set_t set;
	/* Before, at the start, within, at the end, after. */
	int64_t at[] = {TUE_0200_MS - MIN_MS, TUE_0200_MS, TUE_0200_MS + 119 * MIN_MS,
	                TUE_0200_MS + 120 * MIN_MS, TUE_0200_MS + 200 * MIN_MS};
	size_t want[] = {0, 1, 1, 0, 0};
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(maintenance_active(NULL, p, at[i], &set), 0);
		assert_int_equal(set.count, want[i]);
		if (set.count == 1) {
			assert_string_equal(set.items[0].id, "MW-patch-night");
			assert_int_equal(set.items[0].starts_ms, TUE_0200_MS);
			assert_int_equal(set.items[0].ends_ms, TUE_0200_MS + 120 * MIN_MS);
			assert_true(set.items[0].recurring);
		}
		maintenance_set_free(&set);
	}
	/* The list shows it at its next start when it is not active. */
	assert_int_equal(maintenance_list(NULL, p, TUE_0200_MS - MIN_MS, &set), 0);
	assert_int_equal(set.count, 1);
	assert_int_equal(set.items[0].starts_ms, TUE_0200_MS);
	maintenance_set_free(&set);
	maintenance_plan_destroy(&p);
	assert_null(p);
}

/* Reads text, whose errors must include each of wants (NULL-ended): the
 * plan (the caller's). */
static maint_plan_t *
read_plan_saying(const char *text, const char *const *wants)
{
	char *errors = NULL;
	maint_plan_t *p = read_plan(text, &errors);
	for (size_t i = 0; wants[i] != NULL; i++)
		if (strstr(errors, wants[i]) == NULL)
			fail_msg("'%s' is not among the errors:\n%s", wants[i], errors);
	free(errors);
	return p;
}

static void
test_config_errors(void **state)
{
	(void)state;
	maint_plan_t *p = read_plan_saying(
	    "maintenance:\n"
	    "  - name: bad name\n"
	    "    cron: \"0 25 * * *\"\n"
	    "    duration: 5s\n"
	    "    target: \"role=\"\n"
	    "    colour: red\n",
	    (const char *const[]){"c.yaml:2:11: maintenance: name 'bad name' must be unique",
	                          "c.yaml:3:11: maintenance: cron: hour",
	                          "c.yaml:4:15: maintenance: duration '5s' must be from 1m",
	                          "c.yaml:5:13: maintenance: target 'role=' is not",
	                          "c.yaml:6:5: maintenance: unknown key 'colour'", NULL});
	assert_int_equal(maintenance_plan_count(p), 0);
	maintenance_plan_destroy(&p);
	/* A name of digits would be MW-7, the id of a window started by
	 * hand (rota maintenance end MW-7 ends that one); a freeze on less
	 * than all would pause nothing and cover nothing; a window longer
	 * than 30d outlasts what the store remembers of an early end. */
	p = read_plan_saying(
	    "maintenance:\n"
	    "  - { name: \"7\", cron: \"0 2 * * *\", duration: 1h, target: all }\n"
	    "  - { name: f, cron: \"0 2 * * *\", duration: 1h, target: role=db,"
	    " freeze: true }\n"
	    "  - { name: long, cron: \"0 2 1 * *\", duration: 31d, target: db-1 }\n",
	    (const char *const[]){"c.yaml:2:13: maintenance: name '7' reads as MW-7",
	                          "c.yaml:3:74: maintenance: freeze pauses every schedule",
	                          "c.yaml:4:48: maintenance: duration '31d' must be from 1m",
	                          NULL});
	assert_int_equal(maintenance_plan_count(p), 0);
	maintenance_plan_destroy(&p);
	p = read_plan_saying(
	    "maintenance: { name: x }\n",
	    (const char *const[]){"c.yaml:1:14: maintenance must be a list of windows", NULL});
	maintenance_plan_destroy(&p);
}

static const char patch_night[] = "maintenance:\n"
                                  "  - name: patch-night\n"
                                  "    cron: \"0 2 * * TUE\"\n"
                                  "    duration: 2h\n"
                                  "    target: role=db\n";

/* How many windows are active at at_ms. */
static size_t
active_at(store_t *s, const maint_plan_t *p, int64_t at_ms)
{
	maint_set_t set;
	assert_int_equal(maintenance_active(s, p, at_ms, &set), 0);
	size_t n = set.count;
	maintenance_set_free(&set);
	return n;
}

static void
test_occurrence_ended(void **state)
{
	fixture_store_t *f = *state;
	char *errors = NULL;
	maint_plan_t *p = read_plan(patch_night, &errors);
	free(errors);
	int64_t during = TUE_0200_MS + 30 * MIN_MS;
	assert_int_equal(active_at(f->store, p, during), 1);
	maint_set_t set;
	assert_int_equal(maintenance_active(f->store, p, during, &set), 0);
	const maint_window_t *w = maintenance_find_recurring(&set, "MW-patch-night");
	assert_non_null(w);
	assert_ptr_equal(maintenance_find_recurring(&set, "patch-night"), w);
	assert_ptr_equal(maintenance_find_recurring(&set, "mw-patch-night"), w);
	assert_null(maintenance_find_recurring(&set, "MW-other"));
	assert_int_equal(
	    store_maint_end_occurrence(f->store, "patch-night", w->starts_ms, during, "alice"), 0);
	assert_int_equal(store_commit(f->store), 0);
	/* Once: the second end finds it ended. */
	assert_int_equal(store_maint_end_occurrence(f->store, "patch-night", w->starts_ms,
	                                            during + MIN_MS, "bob"),
	                 1);
	assert_int_equal(store_commit(f->store), 0);
	maintenance_set_free(&set);
	/* Over at once, and after a restart (the store reopened). */
	assert_int_equal(active_at(f->store, p, during + MIN_MS), 0);
	store_destroy(&f->store);
	f->store = fixture_store_open(f->path);
	assert_non_null(f->store);
	assert_int_equal(active_at(f->store, p, during + MIN_MS), 0);
	/* Without the store (nothing ended) it would still be active. */
	assert_int_equal(active_at(NULL, p, during + MIN_MS), 1);
	/* The list shows the next occurrence, a week on, which begins on time. */
	int64_t next = TUE_0200_MS + 7 * 24 * 60 * MIN_MS;
	assert_int_equal(maintenance_list(f->store, p, during + MIN_MS, &set), 0);
	assert_int_equal(set.count, 1);
	assert_int_equal(set.items[0].starts_ms, next);
	maintenance_set_free(&set);
	assert_int_equal(active_at(f->store, p, next - 1), 0);
	assert_int_equal(active_at(f->store, p, next), 1);
	/* Ending one five weeks on forgets the first: no window lasts that
	 * long. */
	int64_t later = TUE_0200_MS + 5 * 7 * 24 * 60 * MIN_MS;
	assert_int_equal(
	    store_maint_end_occurrence(f->store, "patch-night", later, later + MIN_MS, "alice"), 0);
	assert_int_equal(store_commit(f->store), 0);
	store_maint_ended_t *ended = NULL;
	size_t n = 0;
	assert_int_equal(store_maint_ended_list(f->store, 0, 10, &ended, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ended[0].starts_ms, later);
	assert_string_equal(ended[0].ended_by, "alice");
	store_maint_ended_free(ended, n);
	/* Many occurrences ended in the last 30 days (a window every few
	 * minutes, or many windows): the newest are the ones read back, so
	 * the one running now stays ended. */
	for (int64_t k = 1; k <= MAINTENANCE_MAX_WINDOWS; k++)
		assert_int_equal(store_maint_end_occurrence(f->store, "other", next - k * MIN_MS,
		                                            next - k * MIN_MS + 1, "alice"),
		                 0);
	assert_int_equal(
	    store_maint_end_occurrence(f->store, "patch-night", next, next + MIN_MS, "alice"), 0);
	assert_int_equal(store_commit(f->store), 0);
	assert_int_equal(active_at(f->store, p, next + 2 * MIN_MS), 0);
	maintenance_plan_destroy(&p);
}

/* The stored windows read in a turn are kept to its commit (every submit
 * asks, store_maint.c): a later ask in the turn sees the same windows at
 * its own instant, the turn's own writes at once, and the next turn reads
 * the store again. */
static void
test_stored_in_turn(void **state)
{
	fixture_store_t *f = *state;
	int64_t t0 = TUE_0200_MS;
	assert_int_equal(active_at(f->store, NULL, t0), 0);
	/* Added in the same turn as that read: seen at once. */
	store_maint_t w = {.target = "web-1",
	                   .reason = "disk",
	                   .created_by = "alice",
	                   .starts_ms = t0,
	                   .ends_ms = t0 + 10 * MIN_MS};
	int64_t id = 0;
	assert_int_equal(store_maint_add(f->store, &w, &id), 0);
	assert_int_equal(active_at(f->store, NULL, t0), 1);
	/* Later in the turn, from the kept rows: over at its end. */
	assert_int_equal(active_at(f->store, NULL, t0 + 5 * MIN_MS), 1);
	assert_int_equal(active_at(f->store, NULL, t0 + 10 * MIN_MS), 0);
	/* An earlier instant is read from the store again. */
	assert_int_equal(active_at(f->store, NULL, t0 - MIN_MS), 0);
	assert_int_equal(active_at(f->store, NULL, t0 + MIN_MS), 1);
	assert_int_equal(store_commit(f->store), 0);
	/* Ended in the next turn: gone for the rest of it, and after. */
	assert_int_equal(active_at(f->store, NULL, t0 + 2 * MIN_MS), 1);
	assert_int_equal(store_maint_end(f->store, id, t0 + 2 * MIN_MS, "bob"), 0);
	assert_int_equal(active_at(f->store, NULL, t0 + 3 * MIN_MS), 0);
	assert_int_equal(store_commit(f->store), 0);
	assert_int_equal(active_at(f->store, NULL, t0 + 3 * MIN_MS), 0);
	/* A limit smaller than what was kept reads the store. */
	store_maint_t *rows = NULL;
	size_t n = 0;
	w.ends_ms = t0 + 20 * MIN_MS;
	assert_int_equal(store_maint_add(f->store, &w, &id), 0);
	assert_int_equal(store_maint_add(f->store, &w, &id), 0);
	assert_int_equal(store_commit(f->store), 0);
	assert_int_equal(active_at(f->store, NULL, t0 + 3 * MIN_MS), 2);
	assert_int_equal(store_maint_list(f->store, t0 + 3 * MIN_MS, 1, &rows, &n), 0);
	assert_int_equal(n, 1);
	store_maint_free(rows, n);
	assert_int_equal(store_commit(f->store), 0);
}

static void
test_reload_diff(void **state)
{
	(void)state;
	char *errors = NULL;
	maint_plan_t *old =
	    read_plan("maintenance:\n"
	              "  - { name: a, cron: \"0 2 * * *\", duration: 1h, target: w1 }\n"
	              "  - { name: b, cron: \"0 3 * * *\", duration: 1h, target: w2 }\n"
	              "  - { name: c, cron: \"0 4 * * *\", duration: 1h, target: w3 }\n",
	              &errors);
	free(errors);
	maint_plan_t *fresh =
	    read_plan("maintenance:\n"
	              "  - { name: a, cron: \"0 2 * * *\", duration: 1h, target: w1 }\n"
	              "  - { name: b, cron: \"0 3 * * *\", duration: 2h, target: w2 }\n"
	              "  - { name: d, cron: \"0 5 * * *\", duration: 1h, target: w4 }\n",
	              &errors);
	free(errors);
	maint_plan_diff_t d = maintenance_plan_diff(old, fresh);
	assert_int_equal(d.added, 1);
	assert_int_equal(d.changed, 1);
	assert_int_equal(d.removed, 1);
	d = maintenance_plan_diff(NULL, fresh);
	assert_int_equal(d.added, 3);
	maintenance_plan_destroy(&old);
	maintenance_plan_destroy(&fresh);
}

/* The role rota maintenance start needs, through the API table's check. */
static keyring_role_t
role_of(const char *action, const char *target, uint64_t for_ms, bool freeze, const char **why)
{
	Rota__MaintenanceRequest m = ROTA__MAINTENANCE_REQUEST__INIT;
	m.action = (char *)action;
	m.target = (char *)target;
	m.for_ms = for_ms;
	m.freeze = freeze;
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_MAINTENANCE;
	req.maintenance = &m;
	const api_route_t *route = api_route_find(req.body_case);
	assert_non_null(route);
	return api_route_role(route, &req, why);
}

static void
test_role(void **state)
{
	(void)state;
	const int64_t hour = 60 * MIN_MS;
	const char *why = NULL;
	/* The common case: one host or a label, even for long, is an
	 * operator's; so is all for up to 4h, and ending any window. */
	assert_int_equal(role_of("start", "db-1", 3 * hour, false, &why), KEYRING_ROLE_OPERATOR);
	assert_string_equal(why, "");
	assert_int_equal(role_of("start", "role=db", MAINTENANCE_MAX_MS, false, &why),
	                 KEYRING_ROLE_OPERATOR);
	assert_int_equal(role_of("start", "all", 4 * hour, false, &why), KEYRING_ROLE_OPERATOR);
	assert_int_equal(role_of("end", "", 0, false, &why), KEYRING_ROLE_OPERATOR);
	/* all beyond 4h, and any freeze, are the admin's. */
	assert_int_equal(role_of("start", "all", 4 * hour + 1, false, &why), KEYRING_ROLE_ADMIN);
	assert_string_equal(why,
	                    "for --target all longer than 4h (it silences every host's alerts)");
	assert_int_equal(role_of("start", "all", hour, true, &why), KEYRING_ROLE_ADMIN);
	assert_string_equal(why, "for --freeze (it pauses every schedule)");
	/* Another request keeps its row's role. */
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_STATUS;
	assert_int_equal(api_route_role(api_route_find(req.body_case), &req, &why),
	                 KEYRING_ROLE_VIEWER);
	assert_string_equal(why, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_targets),
	    cmocka_unit_test(test_ids),
	    cmocka_unit_test(test_recurring_active),
	    cmocka_unit_test(test_config_errors),
	    cmocka_unit_test_setup_teardown(test_occurrence_ended, fixture_store_setup_test,
	                                    fixture_store_teardown),
	    cmocka_unit_test_setup_teardown(test_stored_in_turn, fixture_store_setup_test,
	                                    fixture_store_teardown),
	    cmocka_unit_test(test_reload_diff),
	    cmocka_unit_test(test_role),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
