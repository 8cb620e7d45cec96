/* test_runview: a run's JSON object, the one shape `runs --json`, `show
 * --json`, `submit --wait --json` and `incident show --json` share. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"
#include "rota.pb-c.h"
#include "runview.h"

/* A run's summary with its id, runbook and status; the rest as a peer
 * sends it (zero, or NULL). The strings are the caller's. */
static Rota__RunSummary
summary(const char *id, const char *runbook, Rota__RunStatus status)
{
	Rota__RunSummary r = ROTA__RUN_SUMMARY__INIT;
	r.id = (char *)id;
	r.runbook = (char *)runbook;
	r.status = status;
	return r;
}

/* Asserts that r at now_ms is want as JSON. */
static void
summary_is(const Rota__RunSummary *r, int64_t now_ms, const char *want)
{
	json_t *j = json_new();
	runview_json_summary(j, r, now_ms);
	assert_string_equal(json_text(j), want);
	json_destroy(&j);
}

static void
test_ended_run(void **state)
{
	(void)state;
	Rota__RunSummary r =
	    summary("20261123-080000-4e0099", "disk", ROTA__RUN_STATUS__RUN_FAILED);
	r.hosts_total = 3;
	r.hosts_ok = 2;
	r.hosts_failed = 1;
	r.created_ms = 1000;
	r.started_ms = 1500;
	r.ended_ms = 4000;
	r.trigger = "schedule";
	r.slot_ms = 900;
	r.reason = "step check failed on w3";
	summary_is(&r, 99999,
	           "{\"id\":\"20261123-080000-4e0099\",\"runbook\":\"disk\",\"status\":\"failed\","
	           "\"hosts_total\":3,\"hosts_ok\":2,\"hosts_failed\":1,\"created_ms\":1000,"
	           "\"started_ms\":1500,\"ended_ms\":4000,\"trigger\":\"schedule\",\"slot_ms\":900,"
	           "\"reason\":\"step check failed on w3\",\"duration_ms\":2500}");
}

/* Not started: nulls; an empty trigger (an older coordinator) is
 * "manual"; a running run's duration is the time so far. */
static void
test_pending_and_running(void **state)
{
	(void)state;
	Rota__RunSummary r = summary("r", "b", ROTA__RUN_STATUS__RUN_PENDING);
	r.created_ms = 1000;
	r.trigger = "";
	r.reason = "";
	summary_is(&r, 5000,
	           "{\"id\":\"r\",\"runbook\":\"b\",\"status\":\"pending\",\"hosts_total\":0,"
	           "\"hosts_ok\":0,\"hosts_failed\":0,\"created_ms\":1000,\"started_ms\":"
	           "null,\"ended_ms\":null,\"trigger\":\"manual\",\"slot_ms\":null,"
	           "\"reason\":null,\"duration_ms\":null}");

	r.status = ROTA__RUN_STATUS__RUN_RUNNING;
	r.started_ms = 2000;
	json_t *j = json_new();
	json_array_begin(j);
	runview_json_summary(j, &r, 5000);
	json_array_end(j);
	assert_non_null(strstr(json_text(j), "\"status\":\"running\""));
	assert_non_null(strstr(json_text(j), "\"duration_ms\":3000}]"));
	json_destroy(&j);
}

/* A list of runs: each as the summary, a NULL from a peer left out. */
static void
test_runs(void **state)
{
	(void)state;
	Rota__RunSummary r = ROTA__RUN_SUMMARY__INIT;
	Rota__RunSummary *runs[] = {NULL, &r, NULL};
	json_t *one = json_new();
	runview_json_summary(one, &r, 0);
	json_t *j = json_new_object();
	runview_json_runs(j, "runs", runs, 3, 0);
	json_object_end(j);
	char want[512];
	snprintf(want, sizeof(want), "{\"runs\":[%s]}", json_text(one));
	assert_string_equal(json_text(j), want);
	json_destroy(&one);
	json_destroy(&j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ended_run),
	    cmocka_unit_test(test_pending_and_running),
	    cmocka_unit_test(test_runs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
