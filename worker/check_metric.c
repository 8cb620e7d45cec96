/* check_metric: metric_check, and the Prometheus text-format parser it reads
 * a /metrics page with (see check.h).
 *
 * The parser is pure (no I/O, no allocation) and walks its input once; the
 * check reads the page through check_fetch, up to CHECK_METRICS_BODY_MAX. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_internal.h"

/* ---- the Prometheus text format ------------------------------------------- */

static bool
is_blank(char c)
{
	/* '\r' too: a text with CRLF line ends (from a proxy, a Windows
	 * exporter) reads as if it had LF. */
	return c == ' ' || c == '\t' || c == '\r';
}

static const char *
skip_blanks(const char *p, const char *end)
{
	while (p < end && is_blank(*p))
		p++;
	return p;
}

/* Metric names may hold ':' (recording rules); label names may not. */
static bool
name_start(char c, bool metric)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (metric && c == ':');
}

static bool
name_char(char c, bool metric)
{
	return name_start(c, metric) || (c >= '0' && c <= '9');
}

static bool
label_name_valid(const char *s)
{
	if (s == NULL || !name_start(s[0], false))
		return false;
	for (s++; *s; s++)
		if (!name_char(*s, false))
			return false;
	return true;
}

/* Parses `name` or `name{k="v",...}` at p. Returns the first byte after it,
 * or NULL when it is not one. */
static const char *
series_parse(const char *p, const char *end, check_series_t *s)
{
	s->nlabels = 0;
	if (p == end || !name_start(*p, true))
		return NULL;
	const char *name = p;
	while (p < end && name_char(*p, true))
		p++;
	s->name = (check_str_t){name, (size_t)(p - name), false};
	const char *q = skip_blanks(p, end);
	if (q == end || *q != '{')
		return p;
	p = q + 1;
	for (;;) {
		p = skip_blanks(p, end);
		if (p == end)
			return NULL;
		if (*p == '}')
			return p + 1; /* also after a trailing comma */
		if (!name_start(*p, false))
			return NULL;
		const char *key = p;
		while (p < end && name_char(*p, false))
			p++;
		size_t keylen = (size_t)(p - key);
		p = skip_blanks(p, end);
		if (p == end || *p != '=')
			return NULL;
		p = skip_blanks(p + 1, end);
		if (p == end || *p != '"')
			return NULL;
		const char *value = ++p;
		while (p < end && *p != '"') {
			if (*p == '\\' && ++p == end)
				return NULL;
			p++;
		}
		if (p == end)
			return NULL;
		if (s->nlabels == CHECK_SAMPLE_MAX_LABELS)
			return NULL;
		s->labels[s->nlabels++] = (check_label_t){
		    .key = {key, keylen, false},
		    .value = {value, (size_t)(p - value), true},
		};
		p = skip_blanks(p + 1, end);
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		if (p < end && *p == '}')
			return p + 1;
		return NULL;
	}
}

/* A number token: Go's ParseFloat and C's strtod agree on what the format
 * writes (decimals, exponents, NaN, +Inf, -Inf). */
static int
number_parse(const char *p, size_t len, double *out)
{
	char buf[CHECK_VALUE_TOKEN_MAX + 1];
	if (len == 0 || len > CHECK_VALUE_TOKEN_MAX)
		return -1;
	memcpy(buf, p, len);
	buf[len] = '\0';
	char *end;
	errno = 0;
	double v = strtod(buf, &end);
	/* ERANGE: too big is +-Inf and too small is 0, as Go reads them. */
	if (end != buf + len || isspace((unsigned char)buf[0]))
		return -1;
	*out = v;
	return 0;
}

static const char *
token_end(const char *p, const char *end)
{
	while (p < end && !is_blank(*p))
		p++;
	return p;
}

check_line_t
check_sample_parse(const char *line, size_t len, check_sample_t *out)
{
	const char *end = line + len;
	const char *p = skip_blanks(line, end);
	if (p == end || *p == '#')
		return CHECK_LINE_SKIP;
	const char *q = series_parse(p, end, &out->series);
	if (q == NULL)
		return CHECK_LINE_BAD;
	const char *v = skip_blanks(q, end);
	/* After a bare name, a blank must part it from the value. */
	if (v == end || (v == q && q[-1] != '}'))
		return CHECK_LINE_BAD;
	const char *ve = token_end(v, end);
	if (number_parse(v, (size_t)(ve - v), &out->value) != 0)
		return CHECK_LINE_BAD;
	out->has_timestamp = false;
	out->timestamp = 0;
	const char *t = skip_blanks(ve, end);
	/* '#' after the value starts an OpenMetrics exemplar: not ours. */
	if (t == end || *t == '#')
		return CHECK_LINE_SAMPLE;
	const char *te = token_end(t, end);
	if (number_parse(t, (size_t)(te - t), &out->timestamp) != 0)
		return CHECK_LINE_BAD;
	out->has_timestamp = true;
	t = skip_blanks(te, end);
	return t == end || *t == '#' ? CHECK_LINE_SAMPLE : CHECK_LINE_BAD;
}

int
check_series_parse(const char *text, size_t len, check_series_t *out)
{
	const char *end = text + len;
	const char *p = series_parse(skip_blanks(text, end), end, out);
	if (p == NULL || skip_blanks(p, end) != end)
		return -1;
	return 0;
}

int
check_series_add_label(check_series_t *s, const char *key, const char *value)
{
	if (s->nlabels == CHECK_SAMPLE_MAX_LABELS)
		return -1;
	s->labels[s->nlabels++] = (check_label_t){
	    .key = {key, strlen(key), false},
	    .value = {value, strlen(value), false},
	};
	return 0;
}

/* The next decoded byte of s from *i, or -1 at its end. Only \\, \" and \n
 * are escapes in the format; a backslash before anything else stands for
 * itself, as it was written. */
static int
str_next(check_str_t s, size_t *i)
{
	if (*i >= s.len)
		return -1;
	unsigned char c = (unsigned char)s.p[(*i)++];
	if (!s.escaped || c != '\\' || *i >= s.len)
		return c;
	char n = s.p[*i];
	if (n == '\\' || n == '"' || n == 'n') {
		(*i)++;
		return n == 'n' ? '\n' : n;
	}
	return c;
}

bool
check_str_equal(check_str_t a, check_str_t b)
{
	size_t i = 0, k = 0;
	for (;;) {
		int ca = str_next(a, &i), cb = str_next(b, &k);
		if (ca != cb)
			return false;
		if (ca == -1)
			return true;
	}
}

static bool
str_empty(check_str_t s)
{
	return s.len == 0;
}

bool
check_series_match(const check_series_t *sample, const check_series_t *want)
{
	if (!check_str_equal(sample->name, want->name))
		return false;
	for (size_t w = 0; w < want->nlabels; w++) {
		const check_label_t *wl = &want->labels[w];
		bool found = false;
		for (size_t i = 0; i < sample->nlabels && !found; i++) {
			if (!check_str_equal(sample->labels[i].key, wl->key))
				continue;
			found = true;
			if (!check_str_equal(sample->labels[i].value, wl->value))
				return false;
		}
		if (!found && !str_empty(wl->value))
			return false;
	}
	return true;
}

/* Appends to a bounded buffer; *n may run past len, which later calls and
 * the final cut take care of. */
static void
put(char *buf, size_t len, size_t *n, const char *s, size_t slen)
{
	for (size_t i = 0; i < slen; i++, (*n)++)
		if (*n + 1 < len)
			buf[*n] = s[i];
}

void
check_series_format(const check_series_t *s, char *buf, size_t len)
{
	if (len == 0)
		return;
	size_t n = 0;
	put(buf, len, &n, s->name.p, s->name.len);
	for (size_t i = 0; i < s->nlabels; i++) {
		const check_label_t *l = &s->labels[i];
		put(buf, len, &n, i ? "," : "{", 1);
		put(buf, len, &n, l->key.p, l->key.len);
		put(buf, len, &n, "=\"", 2);
		if (l->value.escaped) {
			put(buf, len, &n, l->value.p, l->value.len);
		} else {
			for (size_t k = 0; k < l->value.len; k++) {
				char c = l->value.p[k];
				if (c == '\\' || c == '"')
					put(buf, len, &n, "\\", 1);
				if (c == '\n')
					put(buf, len, &n, "\\n", 2);
				else
					put(buf, len, &n, &c, 1);
			}
		}
		put(buf, len, &n, "\"", 1);
	}
	if (s->nlabels > 0)
		put(buf, len, &n, "}", 1);
	buf[n < len ? n : len - 1] = '\0';
}

static const char *const op_names[] = {
    [CHECK_OP_LT] = "<",  [CHECK_OP_LE] = "<=", [CHECK_OP_GT] = ">",
    [CHECK_OP_GE] = ">=", [CHECK_OP_EQ] = "==", [CHECK_OP_NE] = "!=",
};

int
check_op_parse(const char *text, check_op_t *op)
{
	if (text == NULL)
		return -1;
	const char *end = text + strlen(text);
	const char *p = skip_blanks(text, end);
	while (end > p && is_blank(end[-1]))
		end--;
	for (size_t i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++) {
		size_t n = strlen(op_names[i]);
		if ((size_t)(end - p) == n && memcmp(p, op_names[i], n) == 0) {
			*op = (check_op_t)i;
			return 0;
		}
	}
	return -1;
}

const char *
check_op_name(check_op_t op)
{
	return (unsigned)op < sizeof(op_names) / sizeof(op_names[0]) ? op_names[op] : "?";
}

bool
check_compare(double value, check_op_t op, double threshold)
{
	switch (op) {
	case CHECK_OP_LT:
		return value < threshold;
	case CHECK_OP_LE:
		return value <= threshold;
	case CHECK_OP_GT:
		return value > threshold;
	case CHECK_OP_GE:
		return value >= threshold;
	case CHECK_OP_EQ:
		return value == threshold;
	case CHECK_OP_NE:
		return value != threshold;
	}
	return false;
}

void
check_metrics_scan(const char *text, size_t len, const check_series_t *want, check_op_t op,
                   double threshold, check_match_fn on_match, void *ctx, check_scan_t *out)
{
	memset(out, 0, sizeof(*out));
	check_sample_t s;
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		out->lines++;
		switch (check_sample_parse(p, (size_t)(le - p), &s)) {
		case CHECK_LINE_SAMPLE:
			out->samples++;
			if (check_series_match(&s.series, want)) {
				bool ok = check_compare(s.value, op, threshold);
				out->matched++;
				out->passed += ok;
				if (on_match)
					on_match(ctx, p, (size_t)(le - p), &s, ok);
			}
			break;
		case CHECK_LINE_BAD:
			out->bad_lines++;
			break;
		case CHECK_LINE_SKIP:
			break;
		}
		p = nl ? nl + 1 : end;
	}
}

/* ---- metric ---------------------------------------------------------------- */

typedef struct {
	struct {
		const char *line;
		size_t len;
		double value;
		bool ok;
	} shown[CHECK_REPORT_MAX_SAMPLES];
	size_t nshown;
	double first_value; /* of the first match */
} metric_matches_t;

static void
metric_on_match(void *ctx, const char *line, size_t len, const check_sample_t *s, bool ok)
{
	metric_matches_t *m = ctx;
	if (m->nshown == 0)
		m->first_value = s->value;
	/* The first failures matter most: once the list is full, a failing
	 * sample takes the place of the last passing one. */
	size_t slot = m->nshown;
	if (slot == CHECK_REPORT_MAX_SAMPLES) {
		if (ok)
			return;
		while (slot > 0 && !m->shown[slot - 1].ok)
			slot--;
		if (slot == 0)
			return;
		slot--;
	} else {
		m->nshown++;
	}
	const char *p = skip_blanks(line, line + len);
	const char *e = line + len;
	while (e > p && is_blank(e[-1]))
		e--;
	m->shown[slot].line = p;
	m->shown[slot].len = (size_t)(e - p);
	m->shown[slot].value = s->value;
	m->shown[slot].ok = ok;
}

check_verdict_t
check_metric(const Rota__MetricCheckSpec *spec, uint32_t timeout_ms, int fd)
{
	char url[CHECK_SHOW_MAX], sel[CHECK_SHOW_MAX], what[CHECK_SHOW_MAX];
	if (spec == NULL || check_str_or_empty(spec->url)[0] == '\0') {
		check_say(fd, "metric_check: no url given\n");
		return CHECK_ERROR;
	}
	check_show(spec->url, url, sizeof(url));
	const char *metric = check_str_or_empty(spec->metric);
	check_series_t want;
	if (metric[0] == '\0') {
		check_say(fd, "metric_check: no metric given\n");
		return CHECK_ERROR;
	}
	if (check_series_parse(metric, strlen(metric), &want) != 0) {
		check_say(fd,
		          "metric_check: metric %s is not a name or name{label=\"value\",...}\n",
		          check_show(metric, what, sizeof(what)));
		return CHECK_ERROR;
	}
	for (size_t i = 0; i < spec->n_labels; i++) {
		const Rota__Label *l = spec->labels[i];
		if (l == NULL || !label_name_valid(l->key)) {
			check_say(fd, "metric_check: label %s is not a label name\n",
			          check_show(l ? l->key : "", what, sizeof(what)));
			return CHECK_ERROR;
		}
		if (check_series_add_label(&want, l->key, check_str_or_empty(l->value)) != 0) {
			check_say(fd, "metric_check: more than %d labels\n",
			          CHECK_SAMPLE_MAX_LABELS);
			return CHECK_ERROR;
		}
	}
	check_op_t op;
	if (check_op_parse(spec->op, &op) != 0) {
		check_say(fd, "metric_check: op %s is not one of < <= > >= == !=\n",
		          check_show(spec->op, what, sizeof(what)));
		return CHECK_ERROR;
	}
	if (isnan(spec->value)) {
		check_say(fd, "metric_check: value NaN cannot be compared with\n");
		return CHECK_ERROR;
	}
	check_series_format(&want, sel, sizeof(sel));
	char threshold[32], value[32];
	check_fmt_value(threshold, sizeof(threshold), spec->value);

	check_fetch_t f;
	if (check_fetch(spec->url, "GET", timeout_ms, CHECK_METRICS_BODY_MAX, true, &f) != 0) {
		check_say(fd, "cannot read metrics: GET %s -> cannot make the request: %s\n", url,
		          f.err);
		free(f.body);
		return CHECK_ERROR;
	}
	if (f.rc != CURLE_OK) {
		check_say(fd, "cannot read metrics: GET %s -> %s\n", url, check_fetch_error(&f));
		free(f.body);
		return check_fetch_verdict(f.rc);
	}
	if (f.status < 200 || f.status > 299) {
		check_say(fd, "cannot read metrics: GET %s -> %ld in %lld ms\n", url, f.status,
		          (long long)f.ms);
		if (f.len > 0)
			check_say_excerpt(
			    fd, f.body,
			    f.len < CHECK_REPORT_BODY_EXCERPT ? f.len : CHECK_REPORT_BODY_EXCERPT);
		free(f.body);
		return CHECK_FAIL;
	}
	size_t len = f.len;
	if (f.truncated) {
		/* The last line may be cut anywhere, even inside a number:
		 * read only whole lines. */
		const char *nl = f.body ? memrchr(f.body, '\n', len) : NULL;
		len = nl ? (size_t)(nl - f.body) + 1 : 0;
	}
	metric_matches_t m;
	memset(&m, 0, sizeof(m));
	check_scan_t scan;
	check_metrics_scan(f.body, len, &want, op, spec->value, metric_on_match, &m, &scan);

	const char *opn = check_op_name(op);
	check_verdict_t v;
	if (scan.matched == 0) {
		check_say(fd, "metric %s not found at %s (%zu samples read)\n", sel, url,
		          scan.samples);
		v = CHECK_FAIL;
	} else if (scan.matched == 1) {
		check_fmt_value(value, sizeof(value), m.first_value);
		check_value(m.first_value); /* record: the one sample's value */
		v = scan.passed == 1 ? CHECK_PASS : CHECK_FAIL;
		check_say(fd, "%s is %s, %s%s %s (%s)\n", sel, value, v == CHECK_PASS ? "" : "not ",
		          opn, threshold, url);
	} else if (scan.passed == scan.matched) {
		check_say(fd, "%s: all %zu matching samples are %s %s (%s)\n", sel, scan.matched,
		          opn, threshold, url);
		v = CHECK_PASS;
	} else {
		check_say(fd, "%s: %zu of %zu matching samples are not %s %s; all must be (%s)\n",
		          sel, scan.matched - scan.passed, scan.matched, opn, threshold, url);
		v = CHECK_FAIL;
	}
	for (size_t i = 0; i < m.nshown; i++) {
		char line[CHECK_REPORT_LINE_MAX + 4];
		size_t n =
		    m.shown[i].len < CHECK_REPORT_LINE_MAX ? m.shown[i].len : CHECK_REPORT_LINE_MAX;
		for (size_t k = 0; k < n; k++) {
			unsigned char c = (unsigned char)m.shown[i].line[k];
			line[k] = c < 0x20 || c == 0x7f ? '.' : (char)c;
		}
		line[n] = '\0';
		check_say(fd, "  %s  %s%s\n", m.shown[i].ok ? "ok    " : "NOT OK", line,
		          n < m.shown[i].len ? "..." : "");
	}
	if (scan.matched > m.nshown)
		check_say(fd, "  (%zu more matching samples not listed)\n",
		          scan.matched - m.nshown);
	check_say(fd, "%zu samples in %zu lines read in %lld ms", scan.samples, scan.lines,
	          (long long)f.ms);
	if (scan.bad_lines > 0)
		check_say(fd, "; %zu lines not understood", scan.bad_lines);
	check_say(fd, "\n");
	if (f.truncated)
		check_say(fd,
		          "the answer was longer than %d bytes: samples after that were not read\n",
		          CHECK_METRICS_BODY_MAX);
	free(f.body);
	return v;
}
