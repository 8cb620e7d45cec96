/* channel: each kind's body parsed back with json-c: PagerDuty's actions,
 * severities and dedup keys; Slack's text names severity, title, hosts and
 * the command; the webhook's fields; strings a shell might print survive as
 * strict JSON; no URL leaks into a body. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "incidents/channel.h"

static channel_t slack = {
    .name = "ops", .kind = CHANNEL_SLACK, .url = "https://hooks.slack.com/services/T0/B0/SECRET"};
static channel_t pd = {.name = "pager",
                       .kind = CHANNEL_PAGERDUTY,
                       .url = CHANNEL_PAGERDUTY_URL,
                       .routing_key = "R0UTINGKEY"};
static channel_t hook = {
    .name = "hook", .kind = CHANNEL_WEBHOOK, .url = "http://127.0.0.1:1/secret-path"};

static notice_t
notice(const char *incident, const char *kind, int severity)
{
	notice_t n = {.id = 42,
	              .incident_id = incident,
	              .kind = kind,
	              .severity = severity,
	              .title = "Disk full on db",
	              .text = "/var at 97%",
	              .hosts = "db-1, db-2",
	              .created_ms = 1795420801123LL}; /* 2026-11-23T08:00:01.123Z */
	return n;
}

/* Renders and parses back; the caller puts the object. */
static json_object *
render(const channel_t *c, const notice_t *n, const char *link_base)
{
	char *body = channel_render(c, n, link_base);
	assert_non_null(body);
	assert_null(strstr(body, "SECRET"));
	assert_null(strstr(body, "secret-path"));
	json_tokener *tok = json_tokener_new();
	json_object *o = json_tokener_parse_ex(tok, body, (int)strlen(body));
	if (o == NULL || json_tokener_get_error(tok) != json_tokener_success)
		fail_msg("not JSON: %s", body);
	json_tokener_free(tok);
	free(body);
	return o;
}

static const char *
str(json_object *o, const char *path)
{
	/* "a.b.c": walks nested objects. */
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", path);
	json_object *cur = o;
	for (char *save = NULL, *k = strtok_r(buf, ".", &save); k; k = strtok_r(NULL, ".", &save))
		if (!json_object_object_get_ex(cur, k, &cur))
			fail_msg("no %s", path);
	return json_object_get_string(cur);
}

static bool
has(json_object *o, const char *key)
{
	return json_object_object_get_ex(o, key, NULL);
}

static void
test_severity_names(void **state)
{
	(void)state;
	assert_string_equal(channel_severity_name(1), "P1");
	assert_string_equal(channel_severity_name(4), "P4");
	/* A runbook's notice outside any incident has no severity: it reads as
	 * a notice, not as a broken "P?". */
	assert_string_equal(channel_severity_name(0), "notice");
	assert_string_equal(channel_severity_name(5), "P?");
	assert_string_equal(channel_pagerduty_severity(1), "critical");
	assert_string_equal(channel_pagerduty_severity(2), "error");
	assert_string_equal(channel_pagerduty_severity(3), "warning");
	assert_string_equal(channel_pagerduty_severity(4), "info");
	assert_string_equal(channel_pagerduty_severity(0), "info");
	assert_string_equal(channel_pagerduty_severity(5), "error");
}

static void
test_pagerduty_trigger(void **state)
{
	(void)state;
	static const char *sev[] = {"critical", "error", "warning", "info"};
	for (int p = 1; p <= 4; p++) {
		notice_t n = notice("inc-7", "trigger", p);
		json_object *o = render(&pd, &n, "https://wiki.example/incidents/");
		assert_string_equal(str(o, "routing_key"), "R0UTINGKEY");
		assert_string_equal(str(o, "event_action"), "trigger");
		assert_string_equal(str(o, "dedup_key"), "inc-7");
		assert_string_equal(str(o, "payload.severity"), sev[p - 1]);
		assert_string_equal(str(o, "payload.source"), "rota");
		char want[64];
		snprintf(want, sizeof(want), "[P%d] Disk full on db", p);
		assert_string_equal(str(o, "payload.summary"), want);
		assert_string_equal(str(o, "payload.custom_details.incident"), "inc-7");
		assert_string_equal(str(o, "payload.custom_details.hosts"), "db-1, db-2");
		assert_string_equal(str(o, "payload.custom_details.command"),
		                    "rota incident show inc-7");
		json_object *links = json_object_object_get(o, "links");
		assert_non_null(links);
		assert_string_equal(json_object_get_string(json_object_object_get(
		                        json_object_array_get_idx(links, 0), "href")),
		                    "https://wiki.example/incidents/inc-7");
		json_object_put(o);
	}
}

static void
test_pagerduty_actions(void **state)
{
	(void)state;
	static const struct {
		const char *kind, *action;
	} cases[] = {{"trigger", "trigger"},         {"escalate", "trigger"},
	             {"overdue", "trigger"},         {"notify", "trigger"},
	             {"acknowledge", "acknowledge"}, {"resolve", "resolve"}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		notice_t n = notice("inc-7", cases[i].kind, 2);
		json_object *o = render(&pd, &n, NULL);
		assert_string_equal(str(o, "event_action"), cases[i].action);
		assert_string_equal(str(o, "dedup_key"), "inc-7");
		/* PagerDuty takes a payload with a trigger only. */
		assert_int_equal(has(o, "payload"), strcmp(cases[i].action, "trigger") == 0);
		assert_false(has(o, "links"));
		json_object_put(o);
	}
	/* A kind PagerDuty has no action for is not sent as a trigger. */
	notice_t n = notice("inc-7", "reopened", 2);
	assert_null(channel_render(&pd, &n, NULL));
}

static void
test_pagerduty_outside_incident(void **state)
{
	(void)state;
	notice_t n = notice("", "notify", 3);
	json_object *o = render(&pd, &n, "http://rota.example");
	assert_string_equal(str(o, "dedup_key"), "rota-notice-42");
	assert_false(
	    has(json_object_object_get(json_object_object_get(o, "payload"), "custom_details"),
	        "incident"));
	assert_false(has(o, "links"));
	json_object_put(o);
}

static void
test_slack(void **state)
{
	(void)state;
	notice_t n = notice("inc-7", "escalate", 1);
	json_object *o = render(&slack, &n, "https://wiki.example/incidents");
	const char *text = str(o, "text");
	assert_non_null(strstr(text, "P1"));
	assert_non_null(strstr(text, "escalated"));
	assert_non_null(strstr(text, "Disk full on db"));
	assert_non_null(strstr(text, "db-1, db-2"));
	assert_non_null(strstr(text, "/var at 97%"));
	assert_non_null(strstr(text, "rota incident show inc-7"));
	assert_non_null(strstr(text, "https://wiki.example/incidents/inc-7"));
	json_object_put(o);

	n = notice("inc-8", "resolve", 4);
	o = render(&slack, &n, NULL);
	text = str(o, "text");
	assert_non_null(strstr(text, "[P4] resolved"));
	assert_non_null(strstr(text, "rota incident show inc-8"));
	assert_null(strstr(text, "wiki.example"));
	json_object_put(o);

	/* Slack's control characters are escaped: an output line cannot
	 * mention @channel or forge a link. */
	n = notice("inc-9", "trigger", 2);
	n.text = "<!channel> & <http://evil|click>";
	o = render(&slack, &n, NULL);
	text = str(o, "text");
	assert_null(strstr(text, "<!channel>"));
	assert_non_null(strstr(text, "&lt;!channel&gt; &amp; &lt;http://evil|click&gt;"));
	json_object_put(o);
}

/* A person's e-mail: an RFC 5322 message with CRLF lines, headers that no
 * text can add to, and a body as written (libcurl dot-stuffs on the wire;
 * integration.oncall checks a dotted line arrives as written). */
static void
test_email(void **state)
{
	(void)state;
	channel_t mail = {.name = "@alice/email",
	                  .kind = CHANNEL_EMAIL,
	                  .url = "smtp://127.0.0.1:25",
	                  .mail_to = "alice@example.org",
	                  .mail_from = "rota@example.org"};
	notice_t n = notice("INC-7", "escalate", 1);
	n.title = "db down\r\nBcc: eve@example.org";
	n.text = "first line\n.\nafter a dot";
	char *body = channel_render(&mail, &n, "https://rota.example");
	assert_non_null(body);
	assert_int_equal(strncmp(body, "From: rota@example.org\r\nTo: alice@example.org\r\n", 47),
	                 0);
	assert_non_null(
	    strstr(body, "\r\nSubject: [P1] escalated: db down  Bcc: eve@example.org\r\n"));
	assert_null(strstr(body, "\nBcc:"));
	assert_non_null(strstr(body, "\r\nDate: Mon, 23 Nov 2026 08:00:01 +0000\r\n"));
	assert_non_null(strstr(body, "\r\nMessage-ID: <rota-42@rota>\r\n"));
	assert_non_null(strstr(body, "\r\n\r\nfirst line\r\n.\r\nafter a dot\r\n"));
	assert_non_null(strstr(body, "rota incident show INC-7\r\n"));
	assert_non_null(strstr(body, "https://rota.example/incidents/INC-7\r\n"));
	free(body);
}

/* A person's Slack contact mentions them first, so Slack pages them. */
static void
test_slack_mention(void **state)
{
	(void)state;
	channel_t alice = slack;
	alice.name = "@alice/slack";
	alice.mention = "U024BE7LH";
	notice_t n = notice("inc-7", "trigger", 1);
	json_object *o = render(&alice, &n, NULL);
	const char *text = str(o, "text");
	assert_int_equal(strncmp(text, "<@U024BE7LH> *[P1] ", 19), 0);
	json_object_put(o);
	o = render(&slack, &n, NULL); /* a team channel mentions nobody */
	assert_null(strstr(str(o, "text"), "<@"));
	json_object_put(o);
}

static void
test_webhook(void **state)
{
	(void)state;
	notice_t n = notice("inc-7", "overdue", 2);
	json_object *o = render(&hook, &n, "https://wiki.example/incidents");
	assert_string_equal(str(o, "id"), "rota-42");
	assert_string_equal(str(o, "incident"), "inc-7");
	assert_string_equal(str(o, "kind"), "overdue");
	assert_string_equal(str(o, "severity"), "P2");
	assert_string_equal(str(o, "title"), "Disk full on db");
	assert_string_equal(str(o, "text"), "/var at 97%");
	assert_string_equal(str(o, "created"), "2026-11-23T08:00:01.123Z");
	assert_string_equal(str(o, "link"), "https://wiki.example/incidents/inc-7");
	json_object *hosts = json_object_object_get(o, "hosts");
	assert_int_equal(json_object_array_length(hosts), 2);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(hosts, 0)), "db-1");
	assert_string_equal(json_object_get_string(json_object_array_get_idx(hosts, 1)), "db-2");
	json_object_put(o);

	/* Outside an incident, without a link base: nulls, not missing keys. */
	n = notice("", "notify", 0);
	n.hosts = "";
	o = render(&hook, &n, NULL);
	assert_true(has(o, "incident"));
	assert_null(json_object_object_get(o, "incident"));
	assert_true(has(o, "link"));
	assert_null(json_object_object_get(o, "link"));
	assert_string_equal(str(o, "severity"), "notice");
	assert_int_equal(json_object_array_length(json_object_object_get(o, "hosts")), 0);
	json_object_put(o);
}

/* The link setting is the console's address: a notification links to the
 * incident's page there (/incidents/ID). A base that already ends in
 * /incidents (a page of one's own, as before the console) is kept. */
static void
test_link_to_console(void **state)
{
	(void)state;
	static const struct {
		const char *base, *want;
	} cases[] = {
	    {"https://rota.example:7480", "https://rota.example:7480/incidents/inc-7"},
	    {"https://rota.example:7480/", "https://rota.example:7480/incidents/inc-7"},
	    {"https://ops.example/rota/", "https://ops.example/rota/incidents/inc-7"},
	    {"https://wiki.example/incidents", "https://wiki.example/incidents/inc-7"},
	    {"https://wiki.example/incidents//", "https://wiki.example/incidents/inc-7"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		notice_t n = notice("inc-7", "trigger", 1);
		json_object *o = render(&hook, &n, cases[i].base);
		assert_string_equal(str(o, "link"), cases[i].want);
		json_object_put(o);
	}
}

static void
test_hostile_strings(void **state)
{
	(void)state;
	/* Quotes, backslashes, control characters and broken UTF-8, as a
	 * step's output may hold: every kind still renders strict JSON, and the
	 * valid characters come back as they were. */
	notice_t n = notice("inc-\"7\"", "trigger", 1);
	n.title = "say \"hi\" \\ \x01\t\n end";
	n.text = "bad \xff\xfe utf8 \xc3\x28 overlong \xc0\xaf ok \xc3\xa9 \xe2\x82\xac";
	n.hosts = "a\",b";
	const channel_t *cs[] = {&slack, &pd, &hook};
	for (size_t i = 0; i < 3; i++) {
		json_object *o = render(cs[i], &n, "http://x");
		const char *s = json_object_to_json_string(o);
		assert_null(strchr(s, '\xff'));
		json_object_put(o);
	}
	json_object *o = render(&hook, &n, NULL);
	assert_string_equal(str(o, "title"), "say \"hi\" \\ \x01\t\n end");
	assert_string_equal(str(o, "incident"), "inc-\"7\"");
	const char *text = str(o, "text");
	assert_non_null(strstr(text, "ok \xc3\xa9 \xe2\x82\xac"));
	assert_non_null(strstr(text, "bad \xef\xbf\xbd\xef\xbf\xbd utf8"));
	assert_null(strstr(text, "\xc0\xaf"));
	json_object_put(o);
}

static void
test_clear(void **state)
{
	(void)state;
	channel_t c = {.name = strdup("x"), .kind = CHANNEL_WEBHOOK, .url = strdup("http://x")};
	channel_clear(&c);
	assert_null(c.name);
	assert_null(c.url);
	channel_clear(&c);
	channel_clear(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_severity_names),
	    cmocka_unit_test(test_pagerduty_trigger),
	    cmocka_unit_test(test_pagerduty_actions),
	    cmocka_unit_test(test_pagerduty_outside_incident),
	    cmocka_unit_test(test_slack),
	    cmocka_unit_test(test_slack_mention),
	    cmocka_unit_test(test_email),
	    cmocka_unit_test(test_webhook),
	    cmocka_unit_test(test_link_to_console),
	    cmocka_unit_test(test_hostile_strings),
	    cmocka_unit_test(test_clear),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
