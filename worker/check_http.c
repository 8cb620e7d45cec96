/* check_http: http_check, and the one HTTP fetcher that metric_check uses
 * too (see check.h; check_internal.h).
 *
 * Must never: follow redirects, fetch anything but http and https, or read
 * a body past its bound. */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "check_internal.h"
#include "clock.h"
#include "xalloc.h"

static size_t
fetch_write(char *data, size_t size, size_t nmemb, void *ctx)
{
	check_fetch_t *f = ctx;
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
		 * until the timeout. curl calls it a write error; check_fetch()
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
int
check_fetch(const char *url, const char *method, uint32_t timeout_ms, size_t max, bool metrics,
            check_fetch_t *f)
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
const char *
check_fetch_error(check_fetch_t *f)
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
check_verdict_t
check_fetch_verdict(CURLcode rc)
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
	if (spec == NULL || check_str_or_empty(spec->url)[0] == '\0') {
		check_say(fd, "http_check: no url given\n");
		return CHECK_ERROR;
	}
	check_show(spec->url, url, sizeof(url));
	if (method_parse(spec->method, method, sizeof(method)) != 0) {
		check_show(spec->method, want, sizeof(want));
		check_say(fd, "http_check: method %s is not one of GET, HEAD, POST, PUT, DELETE\n",
		          want);
		return CHECK_ERROR;
	}
	uint32_t expect = spec->expect_status ? spec->expect_status : 200;
	if (expect < 100 || expect > 599) {
		check_say(fd, "http_check: expect_status %u is not an HTTP status (100 to 599)\n",
		          expect);
		return CHECK_ERROR;
	}
	const char *contains = check_str_or_empty(spec->body_contains);
	check_show(contains, want, sizeof(want));
	if (contains[0] != '\0' && strcmp(method, "HEAD") == 0) {
		check_say(
		    fd, "http_check: body_contains \"%s\" cannot be checked with HEAD (no body)\n",
		    want);
		return CHECK_ERROR;
	}

	check_fetch_t f;
	if (check_fetch(spec->url, method, timeout_ms, CHECK_HTTP_BODY_MAX, false, &f) != 0) {
		check_say(fd, "%s %s -> cannot make the request: %s\n", method, url, f.err);
		free(f.body);
		return CHECK_ERROR;
	}
	check_verdict_t v;
	if (f.rc != CURLE_OK) {
		check_say(fd, "%s %s -> %s\n", method, url, check_fetch_error(&f));
		v = check_fetch_verdict(f.rc);
	} else if (f.status != (long)expect) {
		check_say(fd, "%s %s -> %ld (expected %u) in %lld ms\n", method, url, f.status,
		          expect, (long long)f.ms);
		v = CHECK_FAIL;
	} else if (contains[0] != '\0' &&
	           (f.body == NULL || memmem(f.body, f.len, contains, strlen(contains)) == NULL)) {
		check_say(
		    fd,
		    "%s %s -> %ld in %lld ms; body does not contain \"%s\" (%zu bytes read%s)\n",
		    method, url, f.status, (long long)f.ms, want, f.len,
		    f.truncated ? ", the rest not read" : "");
		v = CHECK_FAIL;
	} else {
		check_say(fd, "%s %s -> %ld in %lld ms%s%s%s\n", method, url, f.status,
		          (long long)f.ms, contains[0] ? "; body contains \"" : "",
		          contains[0] ? want : "", contains[0] ? "\"" : "");
		v = CHECK_PASS;
		check_value((double)f.ms); /* record: the response time, ms */
	}
	if (v == CHECK_FAIL && f.len > 0) {
		size_t n = f.len < CHECK_REPORT_BODY_EXCERPT ? f.len : CHECK_REPORT_BODY_EXCERPT;
		check_say(fd, "body (first %zu of %zu%s bytes):\n", n, f.len,
		          f.truncated ? "+" : "");
		check_say_excerpt(fd, f.body, n);
	}
	free(f.body);
	return v;
}
