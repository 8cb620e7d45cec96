/* check: http_check, disk_check and metric_check (see check.h).
 *
 * Runs in a check child forked by the executor, so it may block, but it must
 * stay bounded: every body is read up to a limit, every request has a
 * timeout, and the text parser walks its input once without allocating.
 *
 * Verdicts: PASS and FAIL say what the thing checked looks like from this
 * host (a refused connection, a timeout or a 503 is FAIL: the service is not
 * healthy here); ERROR says the check itself could not be made as written
 * (no url, an unknown method or op, a path that does not exist), which the
 * runbook's author has to fix. */
#include "check.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/statvfs.h>

#include "clock.h"
#include "xalloc.h"

/* ---- reports -------------------------------------------------------------- */

/* Writes to the report. A write that fails does not change the verdict: the
 * verdict travels in the exit status, and a report nobody reads (the worker
 * closed the pipe) has nowhere else to go. */
static void __attribute__((format(printf, 2, 3))) say(int fd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	(void)vdprintf(fd, fmt, ap);
	va_end(ap);
}

/* A spec string fit to quote on the summary line: one line, bounded. */
static const char *
show(const char *s, char *buf, size_t len)
{
	size_t n = 0;
	for (; s != NULL && *s != '\0' && n + 4 < len; s++) {
		unsigned char c = (unsigned char)*s;
		buf[n++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	if (s != NULL && *s != '\0') {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return buf;
}

/* Writes len bytes a server sent, each line indented, control bytes (bar
 * newline and tab) as '.', so an error page cannot garble a terminal. */
static void
say_excerpt(int fd, const char *data, size_t len)
{
	char line[CHECK_REPORT_BODY_EXCERPT + 8];
	size_t n = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || data[i] == '\n' || n + 1 >= sizeof(line)) {
			if (i < len || n > 0)
				say(fd, "  | %.*s\n", (int)n, line);
			n = 0;
			continue;
		}
		unsigned char c = (unsigned char)data[i];
		line[n++] = (c < 0x20 && c != '\t') || c == 0x7f ? '.' : (char)c;
	}
}

static void
fmt_value(char *buf, size_t len, double v)
{
	if (isnan(v))
		snprintf(buf, len, "NaN");
	else if (isinf(v))
		snprintf(buf, len, "%s", v > 0 ? "+Inf" : "-Inf");
	else
		snprintf(buf, len, "%.15g", v);
}

static void
fmt_bytes(char *buf, size_t len, double b)
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	size_t i = 0;
	while (b >= 1024.0 && i + 1 < sizeof(unit) / sizeof(unit[0])) {
		b /= 1024.0;
		i++;
	}
	if (i == 0)
		snprintf(buf, len, "%.0f B", b);
	else
		snprintf(buf, len, "%.1f %s", b, unit[i]);
}

static const char *
str_or_empty(const char *s)
{
	return s ? s : "";
}

/* ---- life ------------------------------------------------------------------ */

int
check_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void
check_global_cleanup(void)
{
	curl_global_cleanup();
}

check_verdict_t
check_run(const Rota__StepSpec *spec, int fd)
{
	if (spec == NULL) {
		say(fd, "no step to check\n");
		return CHECK_ERROR;
	}
	uint32_t timeout = check_timeout_ms(spec);
	switch (spec->kind_case) {
	case ROTA__STEP_SPEC__KIND_HTTP_CHECK:
		if (spec->http_check)
			return check_http(spec->http_check, timeout, fd);
		break;
	case ROTA__STEP_SPEC__KIND_DISK_CHECK:
		if (spec->disk_check)
			return check_disk(spec->disk_check, fd);
		break;
	case ROTA__STEP_SPEC__KIND_METRIC_CHECK:
		if (spec->metric_check)
			return check_metric(spec->metric_check, timeout, fd);
		break;
	default:
		break;
	}
	say(fd, "not a built-in check (step kind %d)\n", (int)spec->kind_case);
	return CHECK_ERROR;
}

/* ---- HTTP ------------------------------------------------------------------ */

typedef struct {
	char *body; /* owned; NULL until the first byte */
	size_t len;
	size_t cap;
	size_t max;
	bool truncated; /* the body went on past max; reading stopped there */
	long status;    /* 0 when no answer came */
	int64_t ms;     /* how long the request took */
	CURLcode rc;
	long os_errno; /* of the failed connect or read, when there was one */
	char err[CURL_ERROR_SIZE];
	char text[CURL_ERROR_SIZE + 64]; /* what fetch_error made of it */
} fetch_t;

static size_t
fetch_write(char *data, size_t size, size_t nmemb, void *ctx)
{
	fetch_t *f = ctx;
	size_t n = size * nmemb; /* curl documents size as always 1 */
	size_t room = f->max - f->len;
	size_t take = n < room ? n : room;
	if (take > 0) {
		if (f->len + take > f->cap) {
			size_t cap = f->cap ? f->cap : 16384;
			while (cap < f->len + take)
				cap *= 2;
			f->cap = cap < f->max ? cap : f->max;
			f->body = xrealloc(f->body, f->cap);
		}
		memcpy(f->body + f->len, data, take);
		f->len += take;
	}
	if (take < n) {
		/* Enough: stop the transfer rather than download the rest
		 * until the timeout. curl calls it a write error; fetch()
		 * knows better. */
		f->truncated = true;
		return 0;
	}
	return n;
}

/* The methods http_check allows, and how curl is told each one. */
static int
method_parse(const char *text, char *out, size_t len)
{
	static const char *const allowed[] = {"GET", "HEAD", "POST", "PUT", "DELETE"};
	if (text == NULL || text[0] == '\0')
		text = "GET";
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		if (strcasecmp(text, allowed[i]) == 0) {
			snprintf(out, len, "%s", allowed[i]);
			return 0;
		}
	}
	return -1;
}

/* Makes one request. Returns -1 when it could not even be set up (f->err
 * says why); otherwise 0, with the outcome of the transfer in f->rc and
 * f->status. f->body is the caller's to free either way. */
static int
fetch(const char *url, const char *method, uint32_t timeout_ms, size_t max, bool metrics,
      fetch_t *f)
{
	memset(f, 0, sizeof(*f));
	f->max = max;
	CURL *c = curl_easy_init();
	if (c == NULL) {
		snprintf(f->err, sizeof(f->err), "curl_easy_init failed");
		return -1;
	}
	struct curl_slist *headers = NULL; /* owned */
	CURLcode rc = CURLE_OK;
#define FETCH_SET(opt, val)                                                                        \
	do {                                                                                       \
		if (rc == CURLE_OK)                                                                \
			rc = curl_easy_setopt(c, opt, val);                                        \
	} while (0)
	FETCH_SET(CURLOPT_ERRORBUFFER, f->err);
	FETCH_SET(CURLOPT_URL, url);
	/* http and https only: a check has no business reading file:// or
	 * speaking to an smtp:// server on the runbook's behalf. */
#if LIBCURL_VERSION_NUM >= 0x075500
	FETCH_SET(CURLOPT_PROTOCOLS_STR, "http,https");
#else
	FETCH_SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	/* Redirects are not followed. A health URL that redirects (to a login
	 * page, to https) should show up as the 3xx it answers: following it
	 * would check another page, and could pass on a login page's 200. A
	 * runbook that means the redirect writes expect_status: 301. */
	FETCH_SET(CURLOPT_FOLLOWLOCATION, 0L);
	FETCH_SET(CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	FETCH_SET(CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
	FETCH_SET(CURLOPT_USERAGENT, "rota-worker/" ROTA_VERSION);
	FETCH_SET(CURLOPT_WRITEFUNCTION, fetch_write);
	FETCH_SET(CURLOPT_WRITEDATA, f);
	if (strcmp(method, "HEAD") == 0) {
		FETCH_SET(CURLOPT_NOBODY, 1L);
	} else if (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0) {
		/* An empty body, sent with Content-Length: 0, which servers
		 * that insist on a length for POST and PUT accept. */
		FETCH_SET(CURLOPT_POSTFIELDS, "");
		FETCH_SET(CURLOPT_POSTFIELDSIZE, 0L);
		FETCH_SET(CURLOPT_CUSTOMREQUEST, method);
	} else if (strcmp(method, "DELETE") == 0) {
		FETCH_SET(CURLOPT_CUSTOMREQUEST, method);
	}
	if (metrics) {
		/* The text format, even from a client that could negotiate
		 * protobuf or OpenMetrics; compressed if the server likes. */
		headers = curl_slist_append(NULL, "Accept: text/plain;version=0.0.4;q=1,*/*;q=0.1");
		if (headers == NULL)
			rc = CURLE_OUT_OF_MEMORY;
		FETCH_SET(CURLOPT_HTTPHEADER, headers);
		FETCH_SET(CURLOPT_ACCEPT_ENCODING, "");
	}
#undef FETCH_SET
	if (rc != CURLE_OK) {
		if (f->err[0] == '\0')
			snprintf(f->err, sizeof(f->err), "%s", curl_easy_strerror(rc));
		f->rc = rc;
		curl_slist_free_all(headers);
		curl_easy_cleanup(c);
		return -1;
	}
	int64_t t0 = clock_mono_ms();
	rc = curl_easy_perform(c);
	f->ms = clock_mono_ms() - t0;
	if (rc == CURLE_WRITE_ERROR && f->truncated)
		rc = CURLE_OK; /* our own stop at max, not a failure */
	f->rc = rc;
	if (curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &f->status) != CURLE_OK)
		f->status = 0;
	if (rc == CURLE_OK || curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &f->os_errno) != CURLE_OK)
		f->os_errno = 0;
	curl_slist_free_all(headers);
	curl_easy_cleanup(c);
	return 0;
}

/* The text of a failed transfer: curl's detailed message when it left one,
 * and the system's word for it, which curl's message may not say ("Couldn't
 * connect to server" for a refused connection). */
static const char *
fetch_error(fetch_t *f)
{
	const char *msg = f->err[0] ? f->err : curl_easy_strerror(f->rc);
	const char *os = f->os_errno ? strerror((int)f->os_errno) : NULL;
	if (os != NULL && strstr(msg, os) == NULL)
		snprintf(f->text, sizeof(f->text), "%s (%s)", msg, os);
	else
		snprintf(f->text, sizeof(f->text), "%s", msg);
	return f->text;
}

/* A transfer that failed because of what the runbook wrote is an ERROR;
 * one that failed on the way to the server or in its answer is a FAIL. */
static check_verdict_t
fetch_verdict(CURLcode rc)
{
	switch (rc) {
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_FAILED_INIT:
	case CURLE_OUT_OF_MEMORY:
	case CURLE_BAD_FUNCTION_ARGUMENT:
	case CURLE_NOT_BUILT_IN:
		return CHECK_ERROR;
	default:
		return CHECK_FAIL;
	}
}

check_verdict_t
check_http(const Rota__HttpCheckSpec *spec, uint32_t timeout_ms, int fd)
{
	char url[CHECK_SHOW_MAX], want[CHECK_SHOW_MAX], method[8];
	if (spec == NULL || str_or_empty(spec->url)[0] == '\0') {
		say(fd, "http_check: no url given\n");
		return CHECK_ERROR;
	}
	show(spec->url, url, sizeof(url));
	if (method_parse(spec->method, method, sizeof(method)) != 0) {
		show(spec->method, want, sizeof(want));
		say(fd, "http_check: method %s is not one of GET, HEAD, POST, PUT, DELETE\n", want);
		return CHECK_ERROR;
	}
	uint32_t expect = spec->expect_status ? spec->expect_status : 200;
	if (expect < 100 || expect > 599) {
		say(fd, "http_check: expect_status %u is not an HTTP status (100 to 599)\n",
		    expect);
		return CHECK_ERROR;
	}
	const char *contains = str_or_empty(spec->body_contains);
	show(contains, want, sizeof(want));
	if (contains[0] != '\0' && strcmp(method, "HEAD") == 0) {
		say(fd, "http_check: body_contains \"%s\" cannot be checked with HEAD (no body)\n",
		    want);
		return CHECK_ERROR;
	}

	fetch_t f;
	if (fetch(spec->url, method, timeout_ms, CHECK_HTTP_BODY_MAX, false, &f) != 0) {
		say(fd, "%s %s -> cannot make the request: %s\n", method, url, f.err);
		free(f.body);
		return CHECK_ERROR;
	}
	check_verdict_t v;
	if (f.rc != CURLE_OK) {
		say(fd, "%s %s -> %s\n", method, url, fetch_error(&f));
		v = fetch_verdict(f.rc);
	} else if (f.status != (long)expect) {
		say(fd, "%s %s -> %ld (expected %u) in %lld ms\n", method, url, f.status, expect,
		    (long long)f.ms);
		v = CHECK_FAIL;
	} else if (contains[0] != '\0' &&
	           (f.body == NULL || memmem(f.body, f.len, contains, strlen(contains)) == NULL)) {
		say(fd,
		    "%s %s -> %ld in %lld ms; body does not contain \"%s\" (%zu bytes read%s)\n",
		    method, url, f.status, (long long)f.ms, want, f.len,
		    f.truncated ? ", the rest not read" : "");
		v = CHECK_FAIL;
	} else {
		say(fd, "%s %s -> %ld in %lld ms%s%s%s\n", method, url, f.status, (long long)f.ms,
		    contains[0] ? "; body contains \"" : "", contains[0] ? want : "",
		    contains[0] ? "\"" : "");
		v = CHECK_PASS;
	}
	if (v == CHECK_FAIL && f.len > 0) {
		size_t n = f.len < CHECK_REPORT_BODY_EXCERPT ? f.len : CHECK_REPORT_BODY_EXCERPT;
		say(fd, "body (first %zu of %zu%s bytes):\n", n, f.len, f.truncated ? "+" : "");
		say_excerpt(fd, f.body, n);
	}
	free(f.body);
	return v;
}

/* ---- disk ------------------------------------------------------------------ */

check_verdict_t
check_disk(const Rota__DiskCheckSpec *spec, int fd)
{
	char path[CHECK_SHOW_MAX];
	if (spec == NULL || str_or_empty(spec->path)[0] == '\0') {
		say(fd, "disk_check: no path given\n");
		return CHECK_ERROR;
	}
	show(spec->path, path, sizeof(path));
	if (isnan(spec->min_free_pct) || spec->min_free_pct < 0 || spec->min_free_pct > 100) {
		say(fd, "disk_check: min_free_pct %g is not a percentage (0 to 100)\n",
		    spec->min_free_pct);
		return CHECK_ERROR;
	}
	struct statvfs sv;
	if (statvfs(spec->path, &sv) != 0) {
		say(fd, "disk_check: cannot read the filesystem of %s: %s\n", path,
		    strerror(errno));
		return CHECK_ERROR;
	}
	if (sv.f_blocks == 0) {
		say(fd, "disk_check: the filesystem of %s reports no size (a pseudo filesystem?)\n",
		    path);
		return CHECK_ERROR;
	}
	/* f_bavail, not f_bfree: the blocks reserved for root are no help to
	 * the services that fill the disk. */
	double frsize = (double)sv.f_frsize;
	double avail = (double)sv.f_bavail * frsize;
	double total = (double)sv.f_blocks * frsize;
	double pct = 100.0 * (double)sv.f_bavail / (double)sv.f_blocks;
	bool ok = true;
	char avail_s[32], total_s[32], need_s[32], needs[96] = "";
	fmt_bytes(avail_s, sizeof(avail_s), avail);
	fmt_bytes(total_s, sizeof(total_s), total);
	if (spec->min_free_pct > 0) {
		ok = ok && pct >= spec->min_free_pct;
		snprintf(needs, sizeof(needs), "%g%%", spec->min_free_pct);
	}
	if (spec->min_free_bytes > 0) {
		ok = ok && avail >= (double)spec->min_free_bytes;
		fmt_bytes(need_s, sizeof(need_s), (double)spec->min_free_bytes);
		size_t n = strlen(needs);
		snprintf(needs + n, sizeof(needs) - n, "%s%s", n ? " and " : "", need_s);
	}
	/* Rounded down, so 19.96% never shows as the 20.0% it lacks. */
	say(fd, "%s: %.1f%% free (%s of %s)%s%s\n", path, floor(pct * 10.0) / 10.0, avail_s,
	    total_s, needs[0] ? "; needs at least " : "", needs);
	return ok ? CHECK_PASS : CHECK_FAIL;
}

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
	if (spec == NULL || str_or_empty(spec->url)[0] == '\0') {
		say(fd, "metric_check: no url given\n");
		return CHECK_ERROR;
	}
	show(spec->url, url, sizeof(url));
	const char *metric = str_or_empty(spec->metric);
	check_series_t want;
	if (metric[0] == '\0') {
		say(fd, "metric_check: no metric given\n");
		return CHECK_ERROR;
	}
	if (check_series_parse(metric, strlen(metric), &want) != 0) {
		say(fd, "metric_check: metric %s is not a name or name{label=\"value\",...}\n",
		    show(metric, what, sizeof(what)));
		return CHECK_ERROR;
	}
	for (size_t i = 0; i < spec->n_labels; i++) {
		const Rota__Label *l = spec->labels[i];
		if (l == NULL || !label_name_valid(l->key)) {
			say(fd, "metric_check: label %s is not a label name\n",
			    show(l ? l->key : "", what, sizeof(what)));
			return CHECK_ERROR;
		}
		if (check_series_add_label(&want, l->key, str_or_empty(l->value)) != 0) {
			say(fd, "metric_check: more than %d labels\n", CHECK_SAMPLE_MAX_LABELS);
			return CHECK_ERROR;
		}
	}
	check_op_t op;
	if (check_op_parse(spec->op, &op) != 0) {
		say(fd, "metric_check: op %s is not one of < <= > >= == !=\n",
		    show(spec->op, what, sizeof(what)));
		return CHECK_ERROR;
	}
	if (isnan(spec->value)) {
		say(fd, "metric_check: value NaN cannot be compared with\n");
		return CHECK_ERROR;
	}
	check_series_format(&want, sel, sizeof(sel));
	char threshold[32], value[32];
	fmt_value(threshold, sizeof(threshold), spec->value);

	fetch_t f;
	if (fetch(spec->url, "GET", timeout_ms, CHECK_METRICS_BODY_MAX, true, &f) != 0) {
		say(fd, "cannot read metrics: GET %s -> cannot make the request: %s\n", url, f.err);
		free(f.body);
		return CHECK_ERROR;
	}
	if (f.rc != CURLE_OK) {
		say(fd, "cannot read metrics: GET %s -> %s\n", url, fetch_error(&f));
		free(f.body);
		return fetch_verdict(f.rc);
	}
	if (f.status < 200 || f.status > 299) {
		say(fd, "cannot read metrics: GET %s -> %ld in %lld ms\n", url, f.status,
		    (long long)f.ms);
		if (f.len > 0)
			say_excerpt(fd, f.body,
			            f.len < CHECK_REPORT_BODY_EXCERPT ? f.len
			                                              : CHECK_REPORT_BODY_EXCERPT);
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
		say(fd, "metric %s not found at %s (%zu samples read)\n", sel, url, scan.samples);
		v = CHECK_FAIL;
	} else if (scan.matched == 1) {
		fmt_value(value, sizeof(value), m.first_value);
		v = scan.passed == 1 ? CHECK_PASS : CHECK_FAIL;
		say(fd, "%s is %s, %s%s %s (%s)\n", sel, value, v == CHECK_PASS ? "" : "not ", opn,
		    threshold, url);
	} else if (scan.passed == scan.matched) {
		say(fd, "%s: all %zu matching samples are %s %s (%s)\n", sel, scan.matched, opn,
		    threshold, url);
		v = CHECK_PASS;
	} else {
		say(fd, "%s: %zu of %zu matching samples are not %s %s; all must be (%s)\n", sel,
		    scan.matched - scan.passed, scan.matched, opn, threshold, url);
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
		say(fd, "  %s  %s%s\n", m.shown[i].ok ? "ok    " : "NOT OK", line,
		    n < m.shown[i].len ? "..." : "");
	}
	if (scan.matched > m.nshown)
		say(fd, "  (%zu more matching samples not listed)\n", scan.matched - m.nshown);
	say(fd, "%zu samples in %zu lines read in %lld ms", scan.samples, scan.lines,
	    (long long)f.ms);
	if (scan.bad_lines > 0)
		say(fd, "; %zu lines not understood", scan.bad_lines);
	say(fd, "\n");
	if (f.truncated)
		say(fd, "the answer was longer than %d bytes: samples after that were not read\n",
		    CHECK_METRICS_BODY_MAX);
	free(f.body);
	return v;
}
