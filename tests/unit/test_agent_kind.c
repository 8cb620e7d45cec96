/* test_agent_kind: the worker's step-kind table: every kind a StepSpec may
 * carry has one row, with its name and how the worker runs it, and the
 * refusals say why. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "agent_kind.h"
#include "check.h"

/* Asserts that worker w1 runs spec. */
static void
accepted(const Rota__StepSpec *spec)
{
	char why[256] = "";
	assert_false(agent_kind_refuses(spec, "w1", why, sizeof(why)));
}

/* Asserts that worker refuses spec, saying want. */
static void
refused(const Rota__StepSpec *spec, const char *worker, const char *want)
{
	char why[256] = "";
	assert_true(agent_kind_refuses(spec, worker, why, sizeof(why)));
	assert_string_equal(why, want);
}

static void
test_every_kind_has_its_row(void **state)
{
	static const struct {
		Rota__StepSpec__KindCase kind_case;
		const char *name;
		agent_kind_runs_t runs;
	} want[] = {
	    {ROTA__STEP_SPEC__KIND_SHELL, "shell", AGENT_KIND_SHELL},
	    {ROTA__STEP_SPEC__KIND_HTTP_CHECK, "http_check", AGENT_KIND_CHECK},
	    {ROTA__STEP_SPEC__KIND_DISK_CHECK, "disk_check", AGENT_KIND_CHECK},
	    {ROTA__STEP_SPEC__KIND_METRIC_CHECK, "metric_check", AGENT_KIND_CHECK},
	    {ROTA__STEP_SPEC__KIND_NOOP, "noop", AGENT_KIND_NOOP},
	    {ROTA__STEP_SPEC__KIND_MANUAL, "manual", AGENT_KIND_COORDINATOR},
	    {ROTA__STEP_SPEC__KIND_NOTIFY, "notify", AGENT_KIND_COORDINATOR},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		Rota__StepSpec spec = ROTA__STEP_SPEC__INIT;
		spec.kind_case = want[i].kind_case;
		const agent_kind_t *k = agent_kind_find(&spec);
		assert_non_null(k);
		assert_int_equal(k->kind_case, want[i].kind_case);
		assert_string_equal(k->name, want[i].name);
		assert_int_equal(k->runs, want[i].runs);
		/* --allow-step-types names only what a worker runs. */
		assert_string_equal(agent_kind_name(&spec),
		                    want[i].runs == AGENT_KIND_COORDINATOR ? "?" : want[i].name);
	}
}

/* The table and check.h agree on which kinds rota-check runs. */
static void
test_checks_agree_with_check_h(void **state)
{
	(void)state;
	for (int kc = 0; kc < 64; kc++) {
		Rota__StepSpec spec = ROTA__STEP_SPEC__INIT;
		spec.kind_case = (Rota__StepSpec__KindCase)kc;
		const agent_kind_t *k = agent_kind_find(&spec);
		assert_int_equal(k != NULL && k->runs == AGENT_KIND_CHECK, check_handles(&spec));
	}
}

static void
test_unknown_kind(void **state)
{
	Rota__StepSpec spec = ROTA__STEP_SPEC__INIT;
	char why[256];
	(void)state;
	/* No kind set, and one from a newer coordinator. */
	assert_null(agent_kind_find(&spec));
	assert_string_equal(agent_kind_name(&spec), "?");
	assert_true(agent_kind_refuses(&spec, "w1", why, sizeof(why)));
	assert_non_null(strstr(why, "worker w1 (version "));
	assert_non_null(strstr(why, "does not know this step type (kind 0)"));
	spec.kind_case = (Rota__StepSpec__KindCase)99;
	assert_null(agent_kind_find(&spec));
	assert_true(agent_kind_refuses(&spec, "w1", why, sizeof(why)));
	assert_non_null(strstr(why, "(kind 99)"));
}

static void
test_coordinator_kinds_refused(void **state)
{
	Rota__StepSpec spec = ROTA__STEP_SPEC__INIT;
	Rota__ManualSpec manual = ROTA__MANUAL_SPEC__INIT;
	(void)state;
	spec.kind_case = ROTA__STEP_SPEC__KIND_MANUAL;
	spec.manual = &manual;
	refused(&spec, "w1",
	        "a manual step is run by the coordinator itself, never by a"
	        " worker; worker w1 was sent one and did not run it");
	spec.kind_case = ROTA__STEP_SPEC__KIND_NOTIFY;
	spec.manual = NULL;
	refused(&spec, "w2",
	        "a notify step is run by the coordinator itself, never by a"
	        " worker; worker w2 was sent one and did not run it");
}

static void
test_settings_required(void **state)
{
	Rota__StepSpec spec = ROTA__STEP_SPEC__INIT;
	Rota__ShellSpec shell = ROTA__SHELL_SPEC__INIT;
	Rota__DiskCheckSpec disk = ROTA__DISK_CHECK_SPEC__INIT;
	(void)state;
	spec.kind_case = ROTA__STEP_SPEC__KIND_SHELL;
	refused(&spec, "w1", "the shell step came without its settings");
	spec.shell = &shell;
	accepted(&spec);

	spec.kind_case = ROTA__STEP_SPEC__KIND_DISK_CHECK;
	spec.shell = NULL;
	refused(&spec, "w1", "the disk_check step came without its settings");
	spec.disk_check = &disk;
	accepted(&spec);

	/* A noop needs no settings. */
	spec.kind_case = ROTA__STEP_SPEC__KIND_NOOP;
	spec.disk_check = NULL;
	accepted(&spec);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_kind_has_its_row),
	    cmocka_unit_test(test_checks_agree_with_check_h),
	    cmocka_unit_test(test_unknown_kind),
	    cmocka_unit_test(test_coordinator_kinds_refused),
	    cmocka_unit_test(test_settings_required),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
