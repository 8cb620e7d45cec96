/* test_maintenance: which hosts a maintenance window covers (a worker id,
 * label=value, all; a freeze covers none), which recurring windows of the
 * configuration are active at an instant (a window that started within its
 * duration, not one that ended), window ids, and the configuration's
 * mistakes reported at file:line:column. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

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

static void
test_config_errors(void **state)
{
	(void)state;
	char *errors = NULL;
	maint_plan_t *p = read_plan("maintenance:\n"
	                            "  - name: bad name\n"
	                            "    cron: \"0 25 * * *\"\n"
	                            "    duration: 5s\n"
	                            "    target: \"role=\"\n"
	                            "    colour: red\n",
	                            &errors);
	assert_non_null(strstr(errors, "c.yaml:2:11: maintenance: name 'bad name' must be unique"));
	assert_non_null(strstr(errors, "c.yaml:3:11: maintenance: cron: hour"));
	assert_non_null(strstr(errors, "c.yaml:4:15: maintenance: duration '5s' must be from 1m"));
	assert_non_null(strstr(errors, "c.yaml:5:13: maintenance: target 'role=' is not"));
	assert_non_null(strstr(errors, "c.yaml:6:5: maintenance: unknown key 'colour'"));
	assert_int_equal(maintenance_plan_count(p), 0);
	free(errors);
	maintenance_plan_destroy(&p);
	p = read_plan("maintenance: { name: x }\n", &errors);
	assert_non_null(strstr(errors, "c.yaml:1:14: maintenance must be a list of windows"));
	free(errors);
	maintenance_plan_destroy(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_targets),
	    cmocka_unit_test(test_ids),
	    cmocka_unit_test(test_recurring_active),
	    cmocka_unit_test(test_config_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
