/* test_incidentview: the words `rota incidents` and `incident show` use
 * for an incident (its escalation, deadline and hosts) and the incident
 * object every --json document carries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "format.h"
#include "incidentview.h"
#include "jsondoc.h"
#include "json.h"
#include "rota.pb-c.h"

#define NOW_MS INT64_C(1795420800000) /* 2026-11-23 08:00:00 UTC */

static Rota__IncidentInfo
incident(const char *status)
{
	Rota__IncidentInfo inc = ROTA__INCIDENT_INFO__INIT;
	inc.id = "INC-7";
	inc.title = "disk full";
	inc.severity = 2;
	inc.status = (char *)status;
	inc.source = "cli";
	inc.policy = "default";
	inc.tier = 0;
	inc.created_ms = NOW_MS - 60000;
	return inc;
}

static void
escalation_is(const Rota__IncidentInfo *inc, const char *want)
{
	char buf[2 * FORMAT_BUF_BYTES + 80];
	incidentview_escalation(inc, NOW_MS, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void
test_escalation(void **state)
{
	(void)state;
	Rota__IncidentInfo inc = incident("triggered");
	inc.ack_due_ms = NOW_MS + 180000;
	inc.next_escalation_ms = NOW_MS + 120000;
	escalation_is(&inc, "ack due in 3m00s, next escalation in 2m00s");
	assert_false(jsondoc_incident_overdue(&inc));

	/* The coordinator marked the deadline: its next look is after it. */
	inc.ack_due_ms = NOW_MS - 4000;
	inc.next_escalation_ms = NOW_MS + 60000;
	escalation_is(&inc, "ACK OVERDUE, next escalation in 1m00s");
	assert_true(jsondoc_incident_overdue(&inc));
	inc.next_escalation_ms = 0;
	escalation_is(&inc, "ACK OVERDUE");

	/* Not yet marked by the coordinator (its clock is behind ours):
	 * not overdue, whatever this host's clock says. */
	inc.next_escalation_ms = inc.ack_due_ms;
	escalation_is(&inc, "ack due now, next escalation now");
	assert_false(jsondoc_incident_overdue(&inc));

	Rota__IncidentInfo acked = incident("acknowledged");
	acked.acked_by = "bob";
	escalation_is(&acked, "stopped: acked by bob");
	acked.acked_by = NULL;
	escalation_is(&acked, "stopped: acked by ?");

	Rota__IncidentInfo resolved = incident("resolved");
	escalation_is(&resolved, "-");
	Rota__IncidentInfo quiet = incident("triggered");
	escalation_is(&quiet, "-");
}

/* Acked or resolved: late when the answer came after the deadline. */
static void
test_overdue_answered(void **state)
{
	(void)state;
	Rota__IncidentInfo inc = incident("acknowledged");
	inc.ack_due_ms = NOW_MS;
	inc.acked_ms = NOW_MS - 1;
	assert_false(jsondoc_incident_overdue(&inc));
	inc.acked_ms = NOW_MS + 1;
	assert_true(jsondoc_incident_overdue(&inc));
	inc = incident("resolved");
	inc.ack_due_ms = NOW_MS;
	inc.resolved_ms = NOW_MS + 5000;
	assert_true(jsondoc_incident_overdue(&inc));
	inc.ack_due_ms = 0; /* no deadline: never overdue */
	assert_false(jsondoc_incident_overdue(&inc));
}

static void
test_hosts(void **state)
{
	(void)state;
	char *hosts[] = {"w1", "", "w2", "w3", "w4", "w5"};
	Rota__IncidentInfo inc = incident("triggered");
	char *got = incidentview_hosts(&inc, 3);
	assert_string_equal(got, "-");
	free(got);
	inc.hosts = hosts;
	inc.n_hosts = 6;
	got = incidentview_hosts(&inc, 3);
	assert_string_equal(got, "w1, w2, w3 +2");
	free(got);
	got = incidentview_hosts(&inc, 0);
	assert_string_equal(got, "w1, w2, w3, w4, w5");
	free(got);
}

static void
test_time(void **state)
{
	(void)state;
	char buf[FORMAT_BUF_BYTES + 8];
	incidentview_time(NOW_MS + 1000, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-23 08:00:01 UTC");
	incidentview_time(0, buf, sizeof(buf));
	assert_string_equal(buf, "-");
	assert_string_equal(incidentview_text(NULL), "");
}

/* The shape cli/README.md promises: tier from 1, null for what is unset. */
static void
test_json_info(void **state)
{
	(void)state;
	char *hosts[] = {"w1"};
	char *runs[] = {"r-1"};
	Rota__IncidentInfo inc = incident("triggered");
	inc.hosts = hosts;
	inc.n_hosts = 1;
	inc.run_ids = runs;
	inc.n_run_ids = 1;
	inc.runbook = "fix";
	inc.ack_due_ms = NOW_MS - 1;
	inc.next_escalation_ms = 0;
	json_t *j = json_new();
	jsondoc_incident_info(j, &inc);
	assert_string_equal(
	    json_text(j),
	    "{\"id\":\"INC-7\",\"title\":\"disk full\",\"severity\":\"P2\",\"status\":"
	    "\"triggered\",\"source\":\"cli\",\"runbook\":\"fix\",\"hosts\":[\"w1\"],"
	    "\"policy\":\"default\",\"tier\":1,\"created_ms\":1795420740000,\"ack_due_ms\":"
	    "1795420799999,\"ack_overdue\":true,\"acked_ms\":null,\"acked_by\":null,"
	    "\"resolved_ms\":null,\"note\":null,\"next_escalation_ms\":null,\"run_ids\":"
	    "[\"r-1\"],\"deliveries_pending\":0,\"deliveries_failed\":0}");
	json_destroy(&j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_escalation), cmocka_unit_test(test_overdue_answered),
	    cmocka_unit_test(test_hosts),      cmocka_unit_test(test_time),
	    cmocka_unit_test(test_json_info),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
