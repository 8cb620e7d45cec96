/* test_format: the CLI's words for statuses, triggers, schedules, reloads
 * and approvals, so every command says the same thing the same way. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "format.h"
#include "rota.pb-c.h"

/* Checks a string the function made, then frees it. */
static void
owned_is(char *got, const char *want)
{
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void
test_statuses(void **state)
{
	(void)state;
	assert_string_equal(format_run_status(ROTA__RUN_STATUS__RUN_SKIPPED), "skipped");
	assert_string_equal(format_run_status(ROTA__RUN_STATUS__RUN_SUCCEEDED), "succeeded");
	assert_string_equal(format_run_status(99), "unknown");
	assert_string_equal(format_step_status(ROTA__STEP_STATUS__STEP_WAITING), "waiting");
	assert_string_equal(format_step_status(ROTA__STEP_STATUS__STEP_UNREACHABLE), "unreachable");
	assert_string_equal(format_step_status(ROTA__STEP_STATUS__STEP_ERROR), "error");
	assert_string_equal(format_step_status(0), "unknown");
}

/* A skipped run is over: submit --wait and logs -f must stop on it. */
static void
test_terminal(void **state)
{
	(void)state;
	assert_true(format_run_is_terminal(ROTA__RUN_STATUS__RUN_SUCCEEDED));
	assert_true(format_run_is_terminal(ROTA__RUN_STATUS__RUN_FAILED));
	assert_true(format_run_is_terminal(ROTA__RUN_STATUS__RUN_CANCELLED));
	assert_true(format_run_is_terminal(ROTA__RUN_STATUS__RUN_SKIPPED));
	assert_false(format_run_is_terminal(ROTA__RUN_STATUS__RUN_PENDING));
	assert_false(format_run_is_terminal(ROTA__RUN_STATUS__RUN_RUNNING));
	assert_false(format_run_is_terminal(ROTA__RUN_STATUS__RUN_STATUS_UNSPECIFIED));
}

static void
test_trigger(void **state)
{
	(void)state;
	assert_string_equal(format_trigger("schedule"), "schedule");
	assert_string_equal(format_trigger("manual"), "manual");
	/* A coordinator from before schedules sends nothing. */
	assert_string_equal(format_trigger(""), "manual");
	assert_string_equal(format_trigger(NULL), "manual");
}

static void
test_step_name(void **state)
{
	(void)state;
	char buf[FORMAT_BUF_BYTES];
	format_step_name("disk", 1, false, buf, sizeof(buf));
	assert_string_equal(buf, "disk");
	format_step_name("disk", 1, true, buf, sizeof(buf));
	assert_string_equal(buf, "disk#1");
	format_step_name("disk", 3, false, buf, sizeof(buf));
	assert_string_equal(buf, "disk#3");
	/* attempt 0 (a coordinator that does not number) stays plain */
	format_step_name("disk", 0, true, buf, sizeof(buf));
	assert_string_equal(buf, "disk");
}

static void
test_printable(void **state)
{
	(void)state;
	char s[] = "a\x1b[31mb\nc\x7f d";
	format_printable(s);
	assert_string_equal(s, "a?[31mb?c? d");
	char empty[] = "";
	format_printable(empty);
	assert_string_equal(empty, "");
}

static void
test_schedule(void **state)
{
	(void)state;
	owned_is(format_schedule("0 8 * * 1-5", "Europe/London"), "0 8 * * 1-5 Europe/London");
	owned_is(format_schedule("@daily", ""), "@daily UTC");
	owned_is(format_schedule("@daily", NULL), "@daily UTC");
	owned_is(format_schedule("", "Europe/London"), "-");
	owned_is(format_schedule(NULL, NULL), "-");
}

static void
test_reload(void **state)
{
	(void)state;
	owned_is(format_reload(3, 1, 1, 0, 1),
	         "reloaded: 3 loaded (1 added, 1 changed, 0 removed), 1 invalid");
	owned_is(format_reload(0, 0, 0, 0, 0),
	         "reloaded: 0 loaded (0 added, 0 changed, 0 removed), 0 invalid");
}

static void
test_approval(void **state)
{
	(void)state;
	owned_is(format_approval(false, "confirm", "20261123-080000-abcdef", 3),
	         "approved step confirm of run 20261123-080000-abcdef on 3 hosts");
	owned_is(format_approval(true, "confirm", "r-1", 1),
	         "rejected step confirm of run r-1 on 1 host");
	owned_is(format_approval(false, "go", "r-1", 0), "approved step go of run r-1 on 0 hosts");
}

static void
test_fire_time(void **state)
{
	(void)state;
	/* 2026-11-23 08:00:00 UTC: London is on GMT, New York on EST. */
	owned_is(format_fire_time(1795420800000, "Europe/London"),
	         "2026-11-23 08:00:00 GMT  (2026-11-23 08:00:00 UTC)");
	owned_is(format_fire_time(1795420800000, "America/New_York"),
	         "2026-11-23 03:00:00 EST  (2026-11-23 08:00:00 UTC)");
	/* 2026-07-01 07:30:00 UTC: summer time. */
	owned_is(format_fire_time(1782891000000, "Europe/London"),
	         "2026-07-01 08:30:00 BST  (2026-07-01 07:30:00 UTC)");
	owned_is(format_fire_time(1782891000000, ""),
	         "2026-07-01 07:30:00 UTC  (2026-07-01 07:30:00 UTC)");
	/* A zone this host does not know still shows the UTC time. */
	owned_is(format_fire_time(1782891000000, "Mars/Olympus_Mons"),
	         "?  (2026-07-01 07:30:00 UTC)");
}

/* rota incident open --severity: what an operator types for P2. */
static void
test_severity(void **state)
{
	(void)state;
	unsigned sev = 0;
	static const char *const good[] = {"P1", "p2", "P3", "4"};
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(format_parse_severity(good[i], &sev), 0);
		assert_int_equal(sev, i + 1);
	}
	static const char *const bad[] = {"",  "P",   "P0",   "P5",  "0",
	                                  "5", "P12", "high", "PP1", "P1 "};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(format_parse_severity(bad[i], &sev), -1);
	assert_string_equal(format_severity(1), "P1");
	assert_string_equal(format_severity(4), "P4");
	assert_string_equal(format_severity(0), "P?");
	assert_string_equal(format_severity(9), "P?");
}

static void
test_until(void **state)
{
	(void)state;
	char buf[FORMAT_BUF_BYTES];
	format_until(0, 1000, buf, sizeof(buf));
	assert_string_equal(buf, "-");
	format_until(1000, 1000, buf, sizeof(buf));
	assert_string_equal(buf, "now");
	format_until(500, 1000, buf, sizeof(buf));
	assert_string_equal(buf, "now");
	/* Rounded up: 200 ms ahead is not "in 0s". */
	format_until(1200, 1000, buf, sizeof(buf));
	assert_string_equal(buf, "in 1s");
	format_until(4000, 1000, buf, sizeof(buf));
	assert_string_equal(buf, "in 3s");
	format_until(1000 + 245000, 1000, buf, sizeof(buf));
	assert_string_equal(buf, "in 4m05s");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_statuses),  cmocka_unit_test(test_terminal),
	    cmocka_unit_test(test_trigger),   cmocka_unit_test(test_step_name),
	    cmocka_unit_test(test_printable), cmocka_unit_test(test_schedule),
	    cmocka_unit_test(test_reload),    cmocka_unit_test(test_approval),
	    cmocka_unit_test(test_fire_time), cmocka_unit_test(test_severity),
	    cmocka_unit_test(test_until),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
