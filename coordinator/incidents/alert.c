/* alert: Alertmanager webhook payloads and alert rules (see alert.h). */
#include "alert.h"

#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sanitize.h"
#include "xalloc.h"

/* ---- JSON helpers ------------------------------------------------------- */

static const char *
type_name(json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_null:
		return "null";
	case json_type_boolean:
		return "a boolean";
	case json_type_double:
	case json_type_int:
		return "a number";
	case json_type_object:
		return "an object";
	case json_type_array:
		return "an array";
	case json_type_string:
		return "a string";
	}
	return "something else";
}

/* A string member as a new string, or NULL when absent. -1 with *error
 * when present but not a string, or when it holds a NUL byte (which the
 * store's C strings would silently cut). */
static int
get_string(json_object *obj, const char *where, const char *key, bool required, char **out,
           char **error)
{
	json_object *v = NULL;
	*out = NULL;
	if (!json_object_object_get_ex(obj, key, &v) || v == NULL) {
		if (!required)
			return 0;
		*error = xasprintf("%s%s%s: missing", where, *where ? "." : "", key);
		return -1;
	}
	if (!json_object_is_type(v, json_type_string)) {
		*error = xasprintf("%s%s%s: expected a string, got %s", where, *where ? "." : "",
		                   key, type_name(v));
		return -1;
	}
	const char *s = json_object_get_string(v);
	size_t n = (size_t)json_object_get_string_len(v);
	if (strlen(s) != n) {
		*error =
		    xasprintf("%s%s%s: contains a NUL character", where, *where ? "." : "", key);
		return -1;
	}
	*out = xstrndup(s, n);
	return 0;
}

/* A label set: an object of string values, or absent (empty). */
static int
get_labels(json_object *obj, const char *where, const char *key, alert_labels_t *out, char **error)
{
	json_object *v = NULL;
	const char *dot = *where ? "." : "";
	if (!json_object_object_get_ex(obj, key, &v) || v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_object)) {
		*error =
		    xasprintf("%s%s%s: expected an object, got %s", where, dot, key, type_name(v));
		return -1;
	}
	size_t n = (size_t)json_object_object_length(v);
	if (n > ALERT_MAX_LABELS) {
		*error = xasprintf("%s%s%s: %zu labels, more than %d", where, dot, key, n,
		                   ALERT_MAX_LABELS);
		return -1;
	}
	out->items = xcalloc(n ? n : 1, sizeof(*out->items));
	json_object_object_foreach(v, name, val)
	{
		if (!json_object_is_type(val, json_type_string)) {
			*error = xasprintf("%s%s%s.%s: expected a string, got %s", where, dot, key,
			                   name, type_name(val));
			return -1;
		}
		const char *s = json_object_get_string(val);
		if (strlen(s) != (size_t)json_object_get_string_len(val) || *name == '\0') {
			*error =
			    xasprintf("%s%s%s.%s: %s", where, dot, key, name,
			              *name ? "contains a NUL character" : "an empty label name");
			return -1;
		}
		out->items[out->count].name = xstrdup(name);
		out->items[out->count].value = xstrdup(s);
		out->count++;
	}
	return 0;
}

static void
labels_free(alert_labels_t *l)
{
	for (size_t i = 0; i < l->count; i++) {
		free(l->items[i].name);
		free(l->items[i].value);
	}
	free(l->items);
	l->items = NULL;
	l->count = 0;
}

/* "firing" -> true, "resolved" -> false; anything else is an error. */
static int
get_status(json_object *obj, const char *where, bool *firing, char **error)
{
	char *s = NULL; /* owned here */
	if (get_string(obj, where, "status", true, &s, error) != 0)
		return -1;
	int rc = 0;
	if (strcmp(s, "firing") == 0)
		*firing = true;
	else if (strcmp(s, "resolved") == 0)
		*firing = false;
	else {
		*error = xasprintf("%s%sstatus: expected \"firing\" or \"resolved\", got \"%.64s\"",
		                   where, *where ? "." : "", s);
		rc = -1;
	}
	free(s);
	return rc;
}

/* ---- RFC 3339 times ----------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil): exact for any year, unlike timegm's time_t range on
 * some systems, and free of the TZ environment. */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static bool
digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* "2024-05-01T08:00:00.123456789+02:00" -> ms since the epoch (fractions
 * past the millisecond are dropped). Go's zero time is 0. -1 when s is not
 * an RFC 3339 date-time. */
static int
parse_time(const char *s, int64_t *ms)
{
	int Y, M, D, h, m, sec, frac_ms = 0;
	if (strlen(s) < 20 || !digits(s, 4, &Y) || s[4] != '-' || !digits(s + 5, 2, &M) ||
	    s[7] != '-' || !digits(s + 8, 2, &D) || (s[10] != 'T' && s[10] != 't') ||
	    !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &m) || s[16] != ':' ||
	    !digits(s + 17, 2, &sec))
		return -1;
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (M < 1 || M > 12 || D < 1 || D > mdays[M - 1] || h > 23 || m > 59 || sec > 60)
		return -1;
	const char *p = s + 19;
	if (*p == '.') {
		p++;
		int n = 0;
		while (isdigit((unsigned char)p[n])) {
			if (n < 3)
				frac_ms = frac_ms * 10 + (p[n] - '0');
			n++;
		}
		if (n == 0)
			return -1;
		for (int i = n; i < 3; i++)
			frac_ms *= 10;
		p += n;
	}
	int offset_min = 0;
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
		/* UTC */
	} else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
		int oh, om;
		if (!digits(p + 1, 2, &oh) || !digits(p + 4, 2, &om) || oh > 23 || om > 59)
			return -1;
		offset_min = (oh * 60 + om) * (*p == '-' ? -1 : 1);
	} else
		return -1;
	if (Y == 1 && M == 1 && D == 1 && h == 0 && m == 0 && sec == 0 && frac_ms == 0 &&
	    offset_min == 0) {
		*ms = 0;
		return 0;
	}
	if (sec == 60) /* a leap second reads as the next second, as Go does */
		sec = 59, frac_ms += 1000;
	int64_t secs = days_from_civil(Y, (unsigned)M, (unsigned)D) * 86400 + h * 3600 + m * 60 +
	               sec - (int64_t)offset_min * 60;
	*ms = secs * 1000 + frac_ms;
	return 0;
}

static int
get_time(json_object *obj, const char *where, const char *key, int64_t *ms, char **error)
{
	char *s = NULL; /* owned here */
	*ms = 0;
	if (get_string(obj, where, key, false, &s, error) != 0)
		return -1;
	if (s == NULL)
		return 0;
	int rc = parse_time(s, ms);
	if (rc != 0)
		*error = xasprintf("%s.%s: \"%.64s\" is not an RFC 3339 time", where, key, s);
	free(s);
	return rc;
}

/* ---- the payload -------------------------------------------------------- */

char *
alert_instance_host(const char *instance)
{
	const char *p = instance;
	/* A blackbox probe's instance is its target URL. */
	const char *scheme = strstr(p, "://");
	if (scheme != NULL)
		p = scheme + 3;
	size_t n = strcspn(p, "/?#");
	const char *at = memchr(p, '@', n); /* user@host in a URL */
	if (scheme != NULL && at != NULL) {
		n -= (size_t)(at + 1 - p);
		p = at + 1;
	}
	if (n > 0 && p[0] == '[') {
		/* [v6] or [v6]:port */
		const char *close = memchr(p, ']', n);
		if (close == NULL)
			return NULL;
		p++;
		n = (size_t)(close - p);
	} else {
		const char *colon = memchr(p, ':', n);
		/* Exactly one colon is host:port; more is a bare IPv6 address. */
		if (colon != NULL && memchr(colon + 1, ':', n - (size_t)(colon + 1 - p)) == NULL)
			n = (size_t)(colon - p);
	}
	return n > 0 ? xstrndup(p, n) : NULL;
}

static int
parse_alert(json_object *v, size_t index, alert_t *a, char **error)
{
	char where[32];
	snprintf(where, sizeof(where), "alerts[%zu]", index);
	if (!json_object_is_type(v, json_type_object)) {
		*error = xasprintf("%s: expected an object, got %s", where, type_name(v));
		return -1;
	}
	if (get_status(v, where, &a->firing, error) != 0)
		return -1;
	json_object *labels = NULL;
	if (!json_object_object_get_ex(v, "labels", &labels) || labels == NULL) {
		*error = xasprintf("%s.labels: missing", where);
		return -1;
	}
	if (get_labels(v, where, "labels", &a->labels, error) != 0 ||
	    get_labels(v, where, "annotations", &a->annotations, error) != 0 ||
	    get_time(v, where, "startsAt", &a->starts_ms, error) != 0 ||
	    get_time(v, where, "endsAt", &a->ends_ms, error) != 0 ||
	    get_string(v, where, "generatorURL", false, &a->generator_url, error) != 0 ||
	    get_string(v, where, "fingerprint", false, &a->fingerprint, error) != 0)
		return -1;
	if (a->fingerprint != NULL && a->fingerprint[0] == '\0') {
		free(a->fingerprint);
		a->fingerprint = NULL;
	}
	const char *instance = alert_label(a, "instance");
	if (instance != NULL)
		a->host = alert_instance_host(instance);
	if (a->host == NULL) {
		const char *host = alert_label(a, "host");
		if (host != NULL && *host != '\0')
			a->host = xstrdup(host);
	}
	return 0;
}

/* What json-c's strict mode still lets through (seen in 0.16): single
 * quotes, NaN and Infinity, raw control characters inside strings, and a
 * number ending in '.'. A lexical pass over the bytes rejects those before
 * json-c sees them; json-c's tokenizer checks the grammar. Returns the
 * offset of the first bad byte, or len when there is none. */
static size_t
json_lexical_check(const char *s, size_t len, const char **what)
{
	bool in_string = false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (in_string) {
			if (c == '\\')
				i++; /* the escape's letter: json-c checks which */
			else if (c == '"')
				in_string = false;
			else if (c < 0x20) {
				*what = "a control character inside a string";
				return i;
			}
			continue;
		}
		if (c == '"')
			in_string = true;
		else if (c == '.' && (i + 1 >= len || s[i + 1] < '0' || s[i + 1] > '9')) {
			*what = "a number ending in '.'";
			return i;
		} else if (strchr(" \t\r\n{}[]:,-+.0123456789eEtrufalsn", c) == NULL || c == '\0') {
			*what = "unexpected character";
			return i;
		}
	}
	return len;
}

/* json-c's tokenizer, strict: RFC 8259 only (no single quotes, comments
 * or trailing commas), valid UTF-8, bounded depth, nothing after the
 * value. Returns the tree (the caller puts it) or NULL with *error. */
static json_object *
parse_json(const char *body, size_t len, char **error)
{
	if (len == 0) {
		*error = xstrdup("empty body: expected a JSON object");
		return NULL;
	}
	if (len > INT32_MAX) {
		*error = xstrdup("body too large");
		return NULL;
	}
	const char *what = NULL;
	size_t bad = json_lexical_check(body, len, &what);
	if (bad < len) {
		*error = xasprintf("invalid JSON: %s at offset %zu", what, bad);
		return NULL;
	}
	/* json-c's own check lets overlong forms and surrogates through. */
	bad = sanitize_utf8_check(body, len, &what);
	if (bad < len) {
		*error = xasprintf("invalid UTF-8: %s at offset %zu", what, bad);
		return NULL;
	}
	struct json_tokener *tok = json_tokener_new_ex(ALERT_JSON_MAX_DEPTH);
	if (tok == NULL) {
		*error = xstrdup("cannot allocate a JSON tokenizer");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	json_object *root = json_tokener_parse_ex(tok, body, (int)len);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	size_t end = json_tokener_get_parse_end(tok);
	if (jerr == json_tokener_continue)
		*error = xasprintf("invalid JSON: unexpected end of input at offset %zu", len);
	else if (jerr != json_tokener_success)
		*error =
		    xasprintf("invalid JSON: %s at offset %zu", json_tokener_error_desc(jerr), end);
	else if (end < len) {
		/* Whitespace after the value is allowed; anything else is not. */
		size_t i = end;
		while (i < len && strchr(" \t\r\n", body[i]) != NULL && body[i] != '\0')
			i++;
		if (i < len)
			*error = xasprintf(
			    "invalid JSON: unexpected data after the object at offset %zu", i);
	}
	json_tokener_free(tok);
	if (*error != NULL) {
		json_object_put(root);
		return NULL;
	}
	return root;
}

int
alert_payload_parse(const char *body, size_t len, alert_payload_t *out, char **error)
{
	memset(out, 0, sizeof(*out));
	*error = NULL;
	json_object *root = parse_json(body, len, error); /* owned: put at the end */
	if (root == NULL) {
		/* A bare `null` parses to no object at all. */
		if (*error == NULL)
			*error = xstrdup("payload: expected an object, got null");
		return -1;
	}
	int rc = -1;
	if (!json_object_is_type(root, json_type_object)) {
		*error = xasprintf("payload: expected an object, got %s", type_name(root));
		goto out;
	}
	if (get_string(root, "", "version", true, &out->version, error) != 0)
		goto out;
	if (strcmp(out->version, "4") != 0) {
		*error = xasprintf("version: expected \"4\" (Alertmanager webhook), got \"%.16s\"",
		                   out->version);
		goto out;
	}
	if (get_status(root, "", &out->firing, error) != 0 ||
	    get_string(root, "", "receiver", false, &out->receiver, error) != 0 ||
	    get_string(root, "", "groupKey", false, &out->group_key, error) != 0 ||
	    get_string(root, "", "externalURL", false, &out->external_url, error) != 0 ||
	    get_labels(root, "", "groupLabels", &out->group_labels, error) != 0 ||
	    get_labels(root, "", "commonLabels", &out->common_labels, error) != 0 ||
	    get_labels(root, "", "commonAnnotations", &out->common_annotations, error) != 0)
		goto out;
	if (out->receiver == NULL)
		out->receiver = xstrdup("");
	if (out->group_key == NULL)
		out->group_key = xstrdup("");
	json_object *v = NULL;
	if (json_object_object_get_ex(root, "truncatedAlerts", &v) && v != NULL) {
		if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0) {
			*error =
			    xasprintf("truncatedAlerts: expected a count, got %s", type_name(v));
			goto out;
		}
		out->truncated_alerts = (uint64_t)json_object_get_int64(v);
	}
	if (!json_object_object_get_ex(root, "alerts", &v) || v == NULL) {
		*error = xstrdup("alerts: missing");
		goto out;
	}
	if (!json_object_is_type(v, json_type_array)) {
		*error = xasprintf("alerts: expected an array, got %s", type_name(v));
		goto out;
	}
	size_t n = json_object_array_length(v);
	if (n > ALERT_MAX_ALERTS) {
		*error = xasprintf("alerts: %zu alerts, more than %d", n, ALERT_MAX_ALERTS);
		goto out;
	}
	out->alerts = xcalloc(n ? n : 1, sizeof(*out->alerts));
	for (size_t i = 0; i < n; i++) {
		/* Counted before parsing, so the free below sees a failed
		 * alert's partial fields. */
		out->alert_count = i + 1;
		if (parse_alert(json_object_array_get_idx(v, i), i, &out->alerts[i], error) != 0)
			goto out;
	}
	rc = 0;
out:
	json_object_put(root);
	if (rc != 0)
		alert_payload_free(out);
	return rc;
}

void
alert_payload_free(alert_payload_t *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->alert_count; i++) {
		alert_t *a = &p->alerts[i];
		labels_free(&a->labels);
		labels_free(&a->annotations);
		free(a->generator_url);
		free(a->fingerprint);
		free(a->host);
	}
	free(p->alerts);
	free(p->version);
	free(p->receiver);
	free(p->group_key);
	free(p->external_url);
	labels_free(&p->group_labels);
	labels_free(&p->common_labels);
	labels_free(&p->common_annotations);
	memset(p, 0, sizeof(*p));
}

/* ---- rules -------------------------------------------------------------- */

const char *
alert_label(const alert_t *a, const char *name)
{
	for (size_t i = 0; i < a->labels.count; i++)
		if (strcmp(a->labels.items[i].name, name) == 0)
			return a->labels.items[i].value;
	return NULL;
}

bool
alert_matches(const runbook_trigger_t *t, const alert_t *a)
{
	if (t->source == NULL || strcmp(t->source, "alertmanager") != 0 || t->match_count == 0)
		return false;
	for (size_t i = 0; i < t->match_count; i++) {
		const char *v = alert_label(a, t->match[i].key);
		if (v == NULL || strcmp(v, t->match[i].value) != 0)
			return false;
	}
	return true;
}

const char *
alert_host(const alert_t *a)
{
	return a->host;
}

int
alert_severity(const alert_t *a)
{
	const char *s = alert_label(a, "severity");
	if (s == NULL)
		return 0;
	if ((s[0] == 'P' || s[0] == 'p') && s[1] >= '1' && s[1] <= '4' && s[2] == '\0')
		return s[1] - '0';
	static const char *const words[] = {"critical", "error", "warning", "info"};
	for (int i = 0; i < 4; i++)
		if (strcasecmp(s, words[i]) == 0)
			return i + 1;
	return 0;
}
