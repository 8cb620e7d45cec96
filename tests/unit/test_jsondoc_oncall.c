/* test_jsondoc_oncall: the documents of `rota oncall --json`, `oncall feed
 * --json` and `maintenance list --json`, which GET /v1/oncall and GET
 * /v1/maintenance answer too: their exact text, nobody on call as null,
 * an override with who set it, a window's members. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"
#include "jsondoc.h"
#include "rota.pb-c.h"
#include "xalloc.h"

static void
text_is(json_t *j, const char *want)
{
	assert_string_equal(json_text(j), want);
	json_destroy(&j);
}

static void
test_oncall(void **state)
{
	(void)state;
	Rota__OncallShift ov = ROTA__ONCALL_SHIFT__INIT;
	ov.person = "carol";
	ov.from_ms = 1000;
	ov.until_ms = 9000;
	ov.override = true;
	ov.by = "olga";
	Rota__OncallShift *ovs[] = {&ov};
	char *contacts[] = {"@bob/webhook"};
	Rota__OncallRotation a = ROTA__ONCALL_ROTATION__INIT;
	a.name = "primary";
	a.person = "bob";
	a.until_ms = 5000;
	a.next_person = "alice";
	a.timezone = "Europe/London";
	a.contacts = contacts;
	a.n_contacts = 1;
	a.overrides = ovs;
	a.n_overrides = 1;
	Rota__OncallRotation b = ROTA__ONCALL_ROTATION__INIT;
	b.name = "night";
	b.timezone = "UTC";
	Rota__OncallRotation *rots[] = {&a, &b};
	Rota__OncallResponse r = ROTA__ONCALL_RESPONSE__INIT;
	r.at_ms = 2000;
	r.rotations = rots;
	r.n_rotations = 2;
	text_is(jsondoc_oncall(&r),
	        "{\"at\":2000,\"rotations\":[{\"rotation\":\"primary\",\"person\":\"bob\","
	        "\"override\":false,\"until_ms\":5000,\"next\":\"alice\",\"timezone\":"
	        "\"Europe/London\",\"contacts\":[\"@bob/webhook\"],\"overrides\":[{\"person\":"
	        "\"carol\",\"from_ms\":1000,\"until_ms\":9000,\"by\":\"olga\"}]},{\"rotation\":"
	        "\"night\",\"person\":null,\"override\":false,\"until_ms\":null,\"next\":null,"
	        "\"timezone\":\"UTC\",\"contacts\":[],\"overrides\":[]}]}");
}

static void
test_feed(void **state)
{
	(void)state;
	Rota__OncallFeedResponse f = ROTA__ONCALL_FEED_RESPONSE__INIT;
	f.rotation = "primary";
	f.url = "http://h:1/v1/oncall/primary.ics?token=ab";
	text_is(jsondoc_oncall_feed(&f),
	        "{\"rotation\":\"primary\",\"url\":\"http://h:1/v1/oncall/primary.ics?token=ab\","
	        "\"revoked\":0}");
	f.url = "";
	f.revoked = 2;
	text_is(jsondoc_oncall_feed(&f), "{\"rotation\":\"primary\",\"url\":null,\"revoked\":2}");
}

static void
test_maintenance(void **state)
{
	(void)state;
	char *hosts[] = {"db-1", "db-2"};
	Rota__MaintenanceWindow w = ROTA__MAINTENANCE_WINDOW__INIT;
	w.id = "MW-patch-night";
	w.state = "planned";
	w.target = "role=db";
	w.reason = "weekly patching";
	w.by = "config";
	w.recurring = true;
	w.starts_ms = 7000;
	w.ends_ms = 8000;
	w.hosts = hosts;
	w.n_hosts = 2;
	const char *one =
	    "{\"id\":\"MW-patch-night\",\"state\":\"planned\",\"target\":\"role=db\","
	    "\"reason\":\"weekly patching\",\"by\":\"config\",\"freeze\":false,"
	    "\"recurring\":true,\"starts_ms\":7000,\"ends_ms\":8000,\"ended_by\":null,"
	    "\"hosts\":[\"db-1\",\"db-2\"]}";
	text_is(jsondoc_maintenance(&w), one);
	Rota__MaintenanceWindow *ws[] = {&w};
	Rota__MaintenanceListResponse l = ROTA__MAINTENANCE_LIST_RESPONSE__INIT;
	l.windows = ws;
	l.n_windows = 1;
	json_t *j = jsondoc_maintenance_list(&l);
	char *want = xasprintf("{\"windows\":[%s]}", one); /* owned */
	assert_string_equal(json_text(j), want);
	free(want);
	json_destroy(&j);
	l.n_windows = 0;
	text_is(jsondoc_maintenance_list(&l), "{\"windows\":[]}");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_oncall),
	    cmocka_unit_test(test_feed),
	    cmocka_unit_test(test_maintenance),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
