/* test_alert: Alertmanager webhook payloads (tests/data/alertmanager:
 * samples written from the documented schema, and malformed ones beside
 * the error each must give), and the rules an alert is judged by: trigger
 * match, host, severity. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "incidents/alert.h"

/* ---- helpers ------------------------------------------------------------ */

/* The file's bytes (the caller frees) and its length. */
static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open %s", path);
	char *buf = NULL;
	size_t cap = 0, n = 0;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		size_t got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static char *
data_path(const char *name)
{
	const char *src = getenv("ROTA_SOURCE_DIR");
	static char path[4096];
	snprintf(path, sizeof(path), "%s/tests/data/alertmanager/%s", src ? src : ".", name);
	return path;
}

static void
parse_file(const char *name, alert_payload_t *p)
{
	size_t len;
	char *body = slurp(data_path(name), &len);
	char *error = NULL;
	int rc = alert_payload_parse(body, len, p, &error);
	if (rc != 0)
		fail_msg("%s: %s", name, error);
	free(body);
}

static char *
parse_error(const char *text)
{
	alert_payload_t p;
	char *error = NULL;
	assert_int_equal(alert_payload_parse(text, strlen(text), &p, &error), -1);
	assert_non_null(error);
	assert_int_equal(p.alert_count, 0);
	assert_null(p.alerts);
	alert_payload_free(&p);
	return error;
}

/* Asserts that text is refused, saying want. */
static void
parse_error_is(const char *text, const char *want)
{
	char *e = parse_error(text);
	assert_string_equal(e, want);
	free(e);
}

static alert_t
alert_with(alert_label_t *labels, size_t n)
{
	alert_t a = {0};
	a.labels.items = labels;
	a.labels.count = n;
	return a;
}

/* ---- payloads ----------------------------------------------------------- */

static void
test_firing(void **state)
{
	(void)state;
	alert_payload_t p;
	parse_file("firing.json", &p);
	assert_string_equal(p.version, "4");
	assert_true(p.firing);
	assert_string_equal(p.receiver, "rota");
	assert_string_equal(p.group_key, "{}:{alertname=\"ServiceDown\"}");
	assert_string_equal(p.external_url, "http://alertmanager.internal.example:9093");
	assert_int_equal(p.truncated_alerts, 0);
	assert_int_equal(p.group_labels.count, 1);
	assert_int_equal(p.common_labels.count, 3);
	assert_int_equal(p.common_annotations.count, 0);
	assert_int_equal(p.alert_count, 2);

	const alert_t *a = &p.alerts[0];
	assert_true(a->firing);
	assert_int_equal(a->labels.count, 5);
	assert_string_equal(alert_label(a, "alertname"), "ServiceDown");
	assert_null(alert_label(a, "nope"));
	assert_int_equal(a->annotations.count, 2);
	assert_string_equal(a->annotations.items[0].name, "summary");
	assert_int_equal(a->starts_ms, 1714550400123LL); /* 2024-05-01T08:00:00.123Z */
	assert_int_equal(a->ends_ms, 0);                 /* Go's zero time */
	assert_string_equal(a->fingerprint, "4f7a9c0e1b2d3a45");
	assert_non_null(strstr(a->generator_url, "g0.tab=1"));
	assert_string_equal(alert_host(a), "web-1.internal.example");
	assert_int_equal(alert_severity(a), 1);

	a = &p.alerts[1];
	/* 10:00:30.5+02:00 is 08:00:30.500Z */
	assert_int_equal(a->starts_ms, 1714550430500LL);
	assert_int_equal(a->ends_ms, 1714551030000LL);
	assert_string_equal(alert_host(a), "2001:db8::7");
	assert_int_equal(alert_severity(a), 2);
	alert_payload_free(&p);
	assert_null(p.alerts);
	alert_payload_free(&p); /* harmless twice */
}

static void
test_resolved(void **state)
{
	(void)state;
	alert_payload_t p;
	parse_file("resolved.json", &p);
	assert_false(p.firing);
	assert_int_equal(p.alert_count, 1);
	const alert_t *a = &p.alerts[0];
	assert_false(a->firing);
	assert_string_equal(alert_host(a), "db-1"); /* no instance: the host label */
	assert_int_equal(alert_severity(a), 3);
	assert_int_equal(a->ends_ms - a->starts_ms, 30 * 60 * 1000);
	assert_string_equal(p.common_annotations.items[0].value, "/var on db-1 is below 10% free");
	alert_payload_free(&p);
}

/* Every bad-*.json gives exactly the error in bad-*.error. */
static void
test_malformed_files(void **state)
{
	(void)state;
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", data_path(""));
	DIR *d = opendir(dir);
	assert_non_null(d);
	int checked = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		if (strncmp(e->d_name, "bad-", 4) != 0 || n < 5 ||
		    strcmp(e->d_name + n - 5, ".json") != 0)
			continue;
		char want_name[512];
		snprintf(want_name, sizeof(want_name), "%.*s.error", (int)(n - 5), e->d_name);
		size_t len, wlen;
		char *body = slurp(data_path(e->d_name), &len);
		char *want = slurp(data_path(want_name), &wlen);
		if (wlen > 0 && want[wlen - 1] == '\n')
			want[wlen - 1] = '\0';
		alert_payload_t p;
		char *error = NULL;
		assert_int_equal(alert_payload_parse(body, len, &p, &error), -1);
		if (strcmp(error, want) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", e->d_name, error, want);
		free(error);
		free(body);
		free(want);
		checked++;
	}
	closedir(d);
	assert_true(checked >= 8);
}

static void
test_malformed_inline(void **state)
{
	(void)state;
	char *e;
	parse_error_is("", "empty body: expected a JSON object");
	parse_error_is("{\"version\":\"4\",\"status\":\"firing\",\"alerts\":[]} x",
	               "invalid JSON: unexpected character at offset 46");
	/* single quotes are not JSON, whatever a lenient parser thinks */
	parse_error_is("{'version':'4'}", "invalid JSON: unexpected character at offset 1");
	/* ... nor NaN, Infinity, raw control characters in strings, "1." */
	parse_error_is("{\"version\":NaN}", "invalid JSON: unexpected character at offset 11");
	parse_error_is("{\"version\":-Infinity}",
	               "invalid JSON: unexpected character at offset 12");
	parse_error_is("{\"version\":\"4\n\"}",
	               "invalid JSON: a control character inside a string at offset 13");
	parse_error_is("{\"version\":4.}", "invalid JSON: a number ending in '.' at offset 12");
	parse_error_is("{\"version\":\"4\",}", "invalid JSON: unexpected character at offset 15");
	parse_error_is("{\"version\":tru}", "invalid JSON: boolean expected at offset 14");
	/* invalid UTF-8 */
	parse_error_is("{\"version\":\"4\xff\"}",
	               "invalid UTF-8: a byte that is never valid UTF-8 at offset 13");
	/* strict: an overlong '/', a surrogate, beyond U+10FFFF */
	parse_error_is("{\"version\":\"A\xc0\xaf\"}",
	               "invalid UTF-8: an overlong encoding at offset 13");
	parse_error_is("{\"version\":\"\xed\xa0\x80\"}",
	               "invalid UTF-8: a surrogate (U+D800 to U+DFFF) at offset 12");
	parse_error_is("{\"version\":\"\xf4\x90\x80\x80\"}",
	               "invalid UTF-8: a code point above U+10FFFF at offset 12");
	/* deeper than the schema */
	e = parse_error("{\"a\":[[[[[[[[[[[[]]]]]]]]]]]]}");
	assert_non_null(strstr(e, "invalid JSON"));
	free(e);
	parse_error_is("{\"status\":\"firing\",\"alerts\":[]}", "version: missing");
	parse_error_is("{\"version\":\"4\",\"status\":\"firing\"}", "alerts: missing");
	parse_error_is("{\"version\":\"4\",\"status\":\"firing\",\"alerts\":{}}",
	               "alerts: expected an array, got an object");
	parse_error_is(
	    "{\"version\":\"4\",\"status\":\"firing\",\"alerts\":[{\"status\":\"firing\"}]}",
	    "alerts[0].labels: missing");
	parse_error_is("{\"version\":\"4\",\"status\":\"firing\",\"alerts\":[7]}",
	               "alerts[0]: expected an object, got a number");
	parse_error_is(
	    "{\"version\":\"4\",\"status\":\"firing\",\"alerts\":[{\"status\":\"firing\","
	    "\"labels\":{\"a\":\"x\\u0000y\"}}]}",
	    "alerts[0].labels.a: contains a NUL character");
	parse_error_is("{\"version\":\"4\",\"status\":\"firing\",\"alerts\":[],"
	               "\"truncatedAlerts\":-1}",
	               "truncatedAlerts: expected a count, got a number");
	parse_error_is(
	    "{\"version\":\"4\",\"status\":\"firing\",\"alerts\":[{\"status\":\"firing\","
	    "\"labels\":{},\"endsAt\":\"2024-02-30T00:00:00Z\"}]}",
	    "alerts[0].endsAt: \"2024-02-30T00:00:00Z\" is not an RFC 3339 time");
}

/* Fields that may be absent (older Alertmanagers) parse to their empties. */
static void
test_minimal(void **state)
{
	(void)state;
	const char *text = "{\"version\":\"4\",\"status\":\"resolved\",\"alerts\":[{\"status\":"
	                   "\"resolved\",\"labels\":{\"alertname\":\"X\"}}]}\r\n";
	alert_payload_t p;
	char *error = NULL;
	assert_int_equal(alert_payload_parse(text, strlen(text), &p, &error), 0);
	assert_null(error);
	assert_string_equal(p.receiver, "");
	assert_string_equal(p.group_key, "");
	assert_null(p.external_url);
	assert_null(p.alerts[0].fingerprint);
	assert_null(p.alerts[0].generator_url);
	assert_null(alert_host(&p.alerts[0]));
	assert_int_equal(alert_severity(&p.alerts[0]), 0);
	assert_int_equal(p.alerts[0].starts_ms, 0);
	alert_payload_free(&p);
}

/* ---- rules -------------------------------------------------------------- */

static void
test_instance_host(void **state)
{
	(void)state;
	static const struct {
		const char *in, *want;
	} cases[] = {
	    {"web-1:9100", "web-1"},
	    {"web-1", "web-1"},
	    {"10.0.0.7:9100", "10.0.0.7"},
	    {"[::1]:9100", "::1"},
	    {"[2001:db8::7]", "2001:db8::7"},
	    {"2001:db8::7", "2001:db8::7"}, /* bare IPv6: no port to strip */
	    {"https://web-1.internal.example:8443/health", "web-1.internal.example"},
	    {"http://user@web-2/health?x=1", "web-2"},
	    {"http://[::1]:8080/", "::1"},
	    {":9100", NULL},
	    {"", NULL},
	    {"[::1", NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = alert_instance_host(cases[i].in);
		if (cases[i].want == NULL ? got != NULL : got == NULL || strcmp(got, cases[i].want))
			fail_msg("%s: got %s, want %s", cases[i].in, got ? got : "NULL",
			         cases[i].want ? cases[i].want : "NULL");
		free(got);
	}
}

static void
test_host_falls_back(void **state)
{
	(void)state;
	/* An instance with nothing left after stripping falls back to host. */
	const char *text =
	    "{\"version\":\"4\",\"status\":\"firing\",\"alerts\":[{\"status\":\"firing\","
	    "\"labels\":{\"instance\":\":9100\",\"host\":\"db-2\"}}]}";
	alert_payload_t p;
	char *error = NULL;
	assert_int_equal(alert_payload_parse(text, strlen(text), &p, &error), 0);
	assert_string_equal(alert_host(&p.alerts[0]), "db-2");
	alert_payload_free(&p);
}

static void
test_severity(void **state)
{
	(void)state;
	static const struct {
		const char *label;
		int want;
	} cases[] = {
	    {"P1", 1},      {"p2", 2},       {"P3", 3},       {"P4", 4},    {"P5", 0},
	    {"P10", 0},     {"critical", 1}, {"CRITICAL", 1}, {"error", 2}, {"warning", 3},
	    {"Warning", 3}, {"info", 4},     {"page", 0},     {"", 0},      {"P", 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		alert_label_t l = {"severity", (char *)cases[i].label};
		alert_t a = alert_with(&l, 1);
		if (alert_severity(&a) != cases[i].want)
			fail_msg("severity=%s: got %d, want %d", cases[i].label, alert_severity(&a),
			         cases[i].want);
	}
	alert_t none = alert_with(NULL, 0);
	assert_int_equal(alert_severity(&none), 0);
}

static void
test_matches(void **state)
{
	(void)state;
	alert_label_t labels[] = {
	    {"alertname", "ServiceDown"}, {"service", "api"}, {"job", "node"}};
	alert_t a = alert_with(labels, 3);
	runbook_kv_t one[] = {{"alertname", "ServiceDown"}};
	runbook_kv_t two[] = {{"alertname", "ServiceDown"}, {"service", "api"}};
	runbook_kv_t wrong[] = {{"alertname", "ServiceDown"}, {"service", "db"}};
	runbook_kv_t absent[] = {{"alertname", "ServiceDown"}, {"team", "ops"}};
	runbook_kv_t empty_value[] = {{"team", ""}};
	runbook_trigger_t t = {.source = "alertmanager"};

	t.match = one, t.match_count = 1;
	assert_true(alert_matches(&t, &a));
	t.match = two, t.match_count = 2;
	assert_true(alert_matches(&t, &a));
	t.match = wrong, t.match_count = 2;
	assert_false(alert_matches(&t, &a));
	t.match = absent, t.match_count = 2;
	assert_false(alert_matches(&t, &a));
	/* A missing label is not an empty one: the trigger named it. */
	t.match = empty_value, t.match_count = 1;
	assert_false(alert_matches(&t, &a));
	/* No pairs: matches nothing, never every alert. */
	t.match = NULL, t.match_count = 0;
	assert_false(alert_matches(&t, &a));
	/* Another source's trigger never matches an Alertmanager alert. */
	t.source = "other", t.match = one, t.match_count = 1;
	assert_false(alert_matches(&t, &a));
}

/* Triggers as the runbook parser builds them. */
static void
test_matches_parsed_runbook(void **state)
{
	(void)state;
	const char *yaml = "name: service-down\n"
	                   "steps: [{id: a, noop: {}}]\n"
	                   "triggers:\n"
	                   "  - alertmanager: { alertname: ServiceDown, service: api }\n";
	runbook_errors_t errors = {0};
	runbook_t *rb = runbook_parse_string(yaml, strlen(yaml), "service-down.yaml", &errors);
	assert_non_null(rb);
	assert_int_equal(rb->trigger_count, 1);
	alert_payload_t p;
	parse_file("firing.json", &p);
	assert_true(alert_matches(&rb->triggers[0], &p.alerts[0]));
	assert_true(alert_matches(&rb->triggers[0], &p.alerts[1]));
	alert_payload_free(&p);
	parse_file("resolved.json", &p);
	assert_false(alert_matches(&rb->triggers[0], &p.alerts[0]));
	alert_payload_free(&p);
	runbook_destroy(&rb);
	runbook_errors_clear(&errors);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_firing),          cmocka_unit_test(test_resolved),
	    cmocka_unit_test(test_malformed_files), cmocka_unit_test(test_malformed_inline),
	    cmocka_unit_test(test_minimal),         cmocka_unit_test(test_instance_host),
	    cmocka_unit_test(test_host_falls_back), cmocka_unit_test(test_severity),
	    cmocka_unit_test(test_matches),         cmocka_unit_test(test_matches_parsed_runbook),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
