/* runbook/scalars: the syntax of one value (a number, a status, a URL, a
 * size, a metric with labels), by the rules the parser applies to literal
 * values and runbook_field_check to rendered ones at submit. Pure
 * functions of text; never look at the tree. */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"
#include "xalloc.h"

/* ------------------------------------------------------------------ */
/* Value syntax, shared by the checker and the public helpers         */

/* These take the text of one value and say whether it fits; they are used
 * at parse time on literal values and (through runbook_field_check and
 * runbook_param_check) at submit on rendered ones, so the two can never
 * disagree about what a valid value is. */

bool
runbook_is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

bool
runbook_text_blank(const char *s)
{
	return s[strspn(s, " \t\r\n")] == '\0';
}

/* Digits only (no sign, no spaces), at most max. */
bool
runbook_text_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!runbook_is_digit(*s))
		return false;
	for (; runbook_is_digit(*s); s++) {
		uint64_t d = (uint64_t)(*s - '0');
		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (*s != '\0')
		return false;
	*out = v;
	return true;
}

/* An optional sign and digits, inside int64_t. */
bool
runbook_text_int64(const char *s)
{
	bool neg = *s == '-';
	uint64_t v;

	if (*s == '-' || *s == '+')
		s++;
	/* -9223372036854775808 is one more than the largest positive. */
	return runbook_text_uint(s, neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, &v);
}

/* Case-insensitive, so "-p force=TRUE" works as well as "true". */
static const char *const bool_true_words[] = {"true", "yes", "1"};
static const char *const bool_false_words[] = {"false", "no", "0"};

bool
runbook_text_bool(const char *s, bool *out)
{
	for (size_t i = 0; i < sizeof(bool_true_words) / sizeof(bool_true_words[0]); i++) {
		if (strcasecmp(s, bool_true_words[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcasecmp(s, bool_false_words[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return false;
}

bool
runbook_text_duration(const char *s)
{
	uint64_t ms;

	return duration_parse(s, &ms) == 0;
}

/* A decimal number: [+-]digits[.digits][e[+-]digits] (sign and exponent
 * only when allowed), finite, into *out. Written out rather than trusting
 * strtod alone, which also takes hex, "inf", "nan" and leading spaces. */
static bool
text_number(const char *s, bool allow_sign, bool allow_exp, double *out)
{
	const char *p = s;
	size_t digits = 0;

	if (allow_sign && (*p == '-' || *p == '+'))
		p++;
	for (; runbook_is_digit(*p); p++)
		digits++;
	if (*p == '.') {
		p++;
		for (; runbook_is_digit(*p); p++)
			digits++;
	}
	if (digits == 0)
		return false;
	if (allow_exp && (*p == 'e' || *p == 'E')) {
		p++;
		if (*p == '-' || *p == '+')
			p++;
		if (!runbook_is_digit(*p))
			return false;
		while (runbook_is_digit(*p))
			p++;
	}
	if (*p != '\0')
		return false;
	errno = 0;
	double v = strtod(s, NULL);
	if (errno == ERANGE && (v > 1.0 || v < -1.0))
		return false; /* overflow to infinity; underflow to 0 is harmless */
	*out = v;
	return true;
}

static bool
rule_status(const char *s)
{
	uint64_t v;

	return runbook_text_uint(s, 999, &v) && v >= 100 && v <= 599;
}

static bool
rule_pct(const char *s)
{
	double v;

	return text_number(s, false, false, &v) && v <= 100.0;
}

static bool
rule_value(const char *s)
{
	double v;

	return text_number(s, true, true, &v);
}

/* "http://" or "https://", a host part, and nothing that would need
 * quoting in a request line. */
static bool
rule_url(const char *s)
{
	size_t skip;

	if (strncasecmp(s, "http://", 7) == 0)
		skip = 7;
	else if (strncasecmp(s, "https://", 8) == 0)
		skip = 8;
	else
		return false;
	if (s[skip] == '\0' || s[skip] == '/')
		return false;
	for (const char *p = s; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return false;
	return true;
}

static bool
rule_path(const char *s)
{
	return s[0] == '/';
}

static bool
rule_bytes(const char *s)
{
	uint64_t v;

	return runbook_bytes_parse(s, &v) == 0;
}

static bool
rule_duration(const char *s)
{
	uint64_t ms;

	return duration_parse(s, &ms) == 0 && ms > 0;
}

static bool
rule_days(const char *s)
{
	uint64_t v;

	return runbook_text_uint(s, 3650, &v);
}

static bool
rule_count(const char *s)
{
	uint64_t v;

	return runbook_text_uint(s, 1000000, &v) && v >= 1;
}

/* Prometheus names: a metric may hold ':', a label may not. */
size_t
runbook_metric_name_len(const char *s, bool metric)
{
	size_t n = 0;

	for (;; n++) {
		char ch = s[n];
		bool alpha = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' ||
		             (metric && ch == ':');
		if (!alpha && !(n > 0 && runbook_is_digit(ch)))
			return n;
	}
}

/* Label matchers in one metric_check; also keeps the duplicate check
 * below (n^2) cheap. Real selectors use a handful. */
#define MAX_METRIC_LABELS 32

static const char *
skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Reads a double-quoted label value at p (escapes \\ \" \n, as in the
 * Prometheus text format) into a new string; returns the byte after the
 * closing quote, or NULL. */
static const char *
metric_label_value(const char *p, char **value)
{
	const char *q;

	if (*p++ != '"')
		return NULL;
	/* Measure first, so the copy is sized by this value, not the rest of
	 * the text. */
	for (q = p; *q != '"'; q++) {
		if (*q == '\0')
			return NULL;
		if (*q == '\\') {
			q++;
			if (*q != 'n' && *q != '\\' && *q != '"')
				return NULL;
		}
	}
	char *out = xmalloc((size_t)(q - p) + 1);
	size_t n = 0;
	for (; p < q; p++) {
		if (*p == '\\') {
			p++;
			out[n++] = *p == 'n' ? '\n' : *p;
		} else {
			out[n++] = *p;
		}
	}
	out[n] = '\0';
	*value = out;
	return q + 1;
}

void
runbook_kv_free(runbook_kv_t *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

int
runbook_metric_parse(const char *text, char **name, runbook_kv_t **labels, size_t *label_count)
{
	runbook_kv_t *kv = NULL;
	size_t n = 0;

	if (text == NULL)
		return -1;
	size_t len = runbook_metric_name_len(text, true);
	if (len == 0)
		return -1;
	const char *p = text + len;
	if (*p == '{') {
		kv = xcalloc(MAX_METRIC_LABELS, sizeof(*kv));
		p = skip_blanks(p + 1);
		while (*p != '}') {
			size_t kl = runbook_metric_name_len(p, false);
			if (kl == 0 || n == MAX_METRIC_LABELS)
				goto bad;
			char *key = xstrndup(p, kl);
			for (size_t i = 0; i < n; i++) {
				if (strcmp(kv[i].key, key) == 0) {
					free(key);
					goto bad; /* Prometheus refuses it too */
				}
			}
			kv[n].key = key;
			p = skip_blanks(p + kl);
			if (*p != '=')
				goto bad_key;
			p = metric_label_value(skip_blanks(p + 1), &kv[n].value);
			if (p == NULL)
				goto bad_key;
			n++;
			p = skip_blanks(p);
			if (*p == ',')
				p = skip_blanks(p + 1);
			else if (*p != '}')
				goto bad;
		}
		p++;
	}
	if (*p != '\0')
		goto bad;
	if (name != NULL)
		*name = xstrndup(text, len);
	if (labels != NULL) {
		*labels = kv;
		*label_count = n;
	} else {
		runbook_kv_free(kv, n);
	}
	return 0;
bad_key:
	free(kv[n].key);
bad:
	runbook_kv_free(kv, n);
	return -1;
}

static bool
rule_metric(const char *s)
{
	return runbook_metric_parse(s, NULL, NULL, NULL) == 0;
}

int
runbook_bytes_parse(const char *text, uint64_t *bytes)
{
	static const char suffixes[] = "KMGT";
	uint64_t mult = 1;

	if (text == NULL)
		return -1;
	size_t len = strlen(text);
	if (len == 0)
		return -1;
	const char *suffix = strchr(suffixes, text[len - 1]);
	char digits[32];
	if (suffix != NULL) {
		for (const char *k = suffixes; k <= suffix; k++)
			mult *= 1024;
		len--;
	}
	if (len == 0 || len >= sizeof(digits))
		return -1;
	memcpy(digits, text, len);
	digits[len] = '\0';
	uint64_t v;
	if (!runbook_text_uint(digits, UINT64_MAX / mult, &v))
		return -1;
	*bytes = v * mult;
	return 0;
}

static const field_rule_t field_rules[] = {
    {"url", "an http:// or https:// URL", rule_url},
    {"path", "an absolute path", rule_path},
    {"expect_status", "an HTTP status from 100 to 599", rule_status},
    {"min_free_pct", "a percentage from 0 to 100", rule_pct},
    {"min_free_bytes", "a size in bytes, such as 500M or 10G (suffix K, M, G or T)", rule_bytes},
    {"min_size", "a size in bytes, such as 500M or 10G (suffix K, M, G or T)", rule_bytes},
    {"max_age", "a duration, such as 26h or 7d", rule_duration},
    {"min_count", "a whole number from 1 to 1000000", rule_count},
    {"min_days_left", "a whole number of days from 0 to 3650", rule_days},
    {"ca_file", "an absolute path", rule_path},
    {"metric", "a metric name, optionally with labels: name{key=\"value\",...}", rule_metric},
    {"value", "a number", rule_value},
};

const field_rule_t *
runbook_field_rule(const char *key)
{
	for (size_t i = 0; i < sizeof(field_rules) / sizeof(field_rules[0]); i++)
		if (strcmp(field_rules[i].key, key) == 0)
			return &field_rules[i];
	return NULL;
}
