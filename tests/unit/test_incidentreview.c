/* incidentreview: the review keeps every event of the incident's timeline
 * in the order recorded (equal times included), merges steps and
 * deliveries by time, takes root cause / resolution / prevention from the
 * notes of those kinds or marks them to be written, and never lets a
 * peer's text break the document. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "incidentreview.h"

#define T0 1780000000000LL /* 2026-05-28 */

static void
assert_before(const char *doc, const char *a, const char *b)
{
	const char *pa = strstr(doc, a), *pb = strstr(doc, b);
	if (pa == NULL || pb == NULL || pa >= pb)
		fail_msg("'%s' is not before '%s' in:\n%s", a, b, doc);
}

static void
test_review(void **state)
{
	(void)state;
	Rota__IncidentInfo info = ROTA__INCIDENT_INFO__INIT;
	info.id = "INC-3";
	info.title = "disk | full\x1b[2J";
	info.severity = 2;
	info.status = "resolved";
	info.source = "cli";
	info.policy = "default";
	info.tier = 0;
	info.created_ms = T0;
	info.acked_ms = T0 + 90000;
	info.acked_by = "alice";
	info.resolved_ms = T0 + 600000;
	char *hosts[] = {"db-1"};
	info.hosts = hosts;
	info.n_hosts = 1;

	Rota__IncidentEvent e[4];
	e[0] = (Rota__IncidentEvent)ROTA__INCIDENT_EVENT__INIT;
	e[0].at_ms = T0, e[0].kind = "opened", e[0].text = "first at T0";
	e[1] = (Rota__IncidentEvent)ROTA__INCIDENT_EVENT__INIT;
	e[1].at_ms = T0, e[1].kind = "escalated", e[1].text = "second at T0";
	e[2] = (Rota__IncidentEvent)ROTA__INCIDENT_EVENT__INIT;
	e[2].at_ms = T0 + 120000, e[2].kind = "note", e[2].text = "rotated logs";
	e[2].note_kind = "action", e[2].by = "bob";
	e[3] = (Rota__IncidentEvent)ROTA__INCIDENT_EVENT__INIT;
	e[3].at_ms = T0 + 600000, e[3].kind = "resolved", e[3].text = "resolved by bob";
	Rota__IncidentEvent *events[] = {&e[0], &e[1], &e[2], &e[3]};

	Rota__Delivery d = ROTA__DELIVERY__INIT;
	d.channel = "pager", d.kind = "trigger", d.state = "delivered", d.attempts = 2;
	d.created_ms = T0, d.delivered_ms = T0 + 30000;
	Rota__Delivery *deliveries[] = {&d};

	Rota__RunSummary rs = ROTA__RUN_SUMMARY__INIT;
	rs.id = "r-1", rs.runbook = "low-disk", rs.status = ROTA__RUN_STATUS__RUN_FAILED;
	rs.hosts_total = 1, rs.hosts_failed = 1, rs.created_ms = T0, rs.ended_ms = T0 + 60000;
	Rota__RunSummary *summaries[] = {&rs};
	Rota__StepRunInfo step = ROTA__STEP_RUN_INFO__INIT;
	step.host = "db-1", step.step_id = "clean", step.status = ROTA__STEP_STATUS__STEP_FAILED;
	step.exit_code = 3, step.started_ms = T0 + 10000, step.ended_ms = T0 + 50000;
	Rota__StepRunInfo *steps[] = {&step};
	Rota__ShowRunResponse run = ROTA__SHOW_RUN_RESPONSE__INIT;
	run.run = &rs, run.steps = steps, run.n_steps = 1;
	Rota__ShowRunResponse *runs[] = {&run};

	Rota__ShowIncidentResponse inc = ROTA__SHOW_INCIDENT_RESPONSE__INIT;
	inc.incident = &info;
	inc.events = events, inc.n_events = 4;
	inc.deliveries = deliveries, inc.n_deliveries = 1;
	inc.runs = summaries, inc.n_runs = 1;

	char *doc = incidentreview_render(&inc, runs, 1, T0 + 700000);
	assert_non_null(strstr(doc, "# Incident review: INC-3: disk | full?[2J\n"));
	assert_null(strchr(doc, '\x1b'));
	assert_non_null(strstr(doc, "**Severity:** P2  \n"));
	assert_non_null(strstr(doc, "| Time to acknowledge | 1m30"));
	assert_before(doc, "first at T0", "second at T0");
	assert_before(doc, "second at T0", "clean started on db-1");
	assert_before(doc, "clean started on db-1", "trigger to pager delivered");
	assert_before(doc, "trigger to pager delivered", "clean failed on db-1");
	assert_before(doc, "clean failed on db-1", "rotated logs");
	assert_before(doc, "rotated logs", "resolved by bob");
	assert_non_null(strstr(doc, "| db-1 | clean | failed (exit 3) |"));
	assert_non_null(strstr(doc, "| pager | trigger | delivered | 2 |"));
	assert_non_null(strstr(doc, "- **Runs:** 1 (0 succeeded, 1 failed)"));
	assert_before(doc, "## Root cause\n\nTo be written.",
	              "## Resolution\n\n- rotated logs (bob, ");
	assert_non_null(strstr(doc, "## Prevention\n\nTo be written.\n"));
	free(doc);

	/* Still open, no runs fetched: listed from the summary. */
	info.status = "triggered", info.resolved_ms = 0, info.acked_ms = 0;
	doc = incidentreview_render(&inc, NULL, 0, T0 + 300000);
	assert_non_null(strstr(doc, "| Time to resolve | open for 5m"));
	assert_non_null(strstr(doc, "**Acknowledged:** not acknowledged"));
	assert_non_null(strstr(doc, "### Run r-1 of low-disk: failed"));
	free(doc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_review),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
