/* check_promql: promql_check (see check.h): one instant query asked of a
 * Prometheus server's HTTP API (GET /api/v1/query), its answer read with
 * json-c, op and value applied to each series of a vector or to a scalar.
 *
 * match: all (the default) passes when every series passes; any when at
 * least one does. An answer with no series fails either way ("no data" is
 * not "healthy": the metric may not be scraped, or the labels are wrong).
 * Distinct outcomes, each its own first line: the server cannot be reached
 * (FAIL), it refused the query as written (bad_data: ERROR, the runbook's
 * to fix), it failed to run it (FAIL), it answered with no series (FAIL). */
#include <curl/curl.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_internal.h"

#define PROMQL_BODY_MAX (8 * 1024 * 1024) /* bytes of an answer read */
#define PROMQL_LABELS_MAX 512             /* bytes of a series' labels shown */

/* name{k="v",...} of a vector's "metric" object, into buf. */
static void
promql_series_name(json_object *metric, char *buf, size_t len)
{
	size_t n = 0;
	json_object *name = NULL;
	buf[0] = '\0';
	if (json_object_object_get_ex(metric, "__name__", &name))
		n += (size_t)snprintf(buf, len, "%s", json_object_get_string(name));
	bool first = true;
	json_object_object_foreach(metric, k, v)
	{
		if (strcmp(k, "__name__") == 0 || n >= len)
			continue;
		n += (size_t)snprintf(buf + n, len - n, "%s%s=\"%s\"", first ? "{" : ",", k,
		                      json_object_get_string(v));
		first = false;
	}
	if (!first && n < len)
		snprintf(buf + n, len - n, "}");
	if (buf[0] == '\0')
		snprintf(buf, len, "{}");
	/* one line, no control bytes: it goes on a terminal */
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

/* The number of a [time, "value"] pair; -1 when it is not one. */
static int
promql_value(json_object *pair, double *out)
{
	if (!json_object_is_type(pair, json_type_array) || json_object_array_length(pair) != 2)
		return -1;
	json_object *s = json_object_array_get_idx(pair, 1);
	if (!json_object_is_type(s, json_type_string))
		return -1;
	char *end;
	const char *text = json_object_get_string(s);
	*out = strtod(text, &end);
	return end == text || *end != '\0' ? -1 : 0;
}

typedef struct {
	const char *q;   /* the query, shown */
	const char *url; /* shown */
	check_op_t op;
	double threshold;
	bool any;
	int fd;
} promql_ctx_t;

/* A vector: every series compared; failing series first in the report. */
static check_verdict_t
promql_vector(const promql_ctx_t *c, json_object *result)
{
	size_t n = json_object_array_length(result), passed = 0, bad = 0;
	char name[PROMQL_LABELS_MAX], value[32], threshold[32], first_fail[PROMQL_LABELS_MAX + 40];
	const char *opn = check_op_name(c->op);
	check_fmt_value(threshold, sizeof(threshold), c->threshold);
	first_fail[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		json_object *s = json_object_array_get_idx(result, i), *val = NULL;
		double v;
		if (!json_object_object_get_ex(s, "value", &val) || promql_value(val, &v) != 0) {
			bad++;
			continue;
		}
		if (check_compare(v, c->op, c->threshold)) {
			passed++;
		} else if (first_fail[0] == '\0') {
			json_object *m = NULL;
			json_object_object_get_ex(s, "metric", &m);
			promql_series_name(m, name, sizeof(name));
			check_fmt_value(value, sizeof(value), v);
			snprintf(first_fail, sizeof(first_fail), "%s = %s", name, value);
		}
	}
	size_t compared = n - bad;
	if (compared == 0) {
		check_say(c->fd,
		          "%s returned no series at %s (no data: is the metric scraped and are its "
		          "labels right?)\n",
		          c->q, c->url);
		return CHECK_FAIL;
	}
	check_verdict_t verdict;
	if (c->any) {
		verdict = passed > 0 ? CHECK_PASS : CHECK_FAIL;
		if (verdict == CHECK_PASS)
			check_say(c->fd,
			          "%zu of %zu series of %s are %s %s; any one must be (%s)\n",
			          passed, compared, c->q, opn, threshold, c->url);
		else
			check_say(c->fd,
			          "none of the %zu series of %s is %s %s; one must be: %s (%s)\n",
			          compared, c->q, opn, threshold, first_fail, c->url);
	} else if (passed == compared) {
		verdict = CHECK_PASS;
		if (compared == 1) {
			json_object *s = json_object_array_get_idx(result, 0), *m = NULL,
			            *val = NULL;
			double v = 0;
			json_object_object_get_ex(s, "metric", &m);
			json_object_object_get_ex(s, "value", &val);
			(void)promql_value(val, &v);
			check_value(v); /* record: the one series (an aggregate's) */
			promql_series_name(m, name, sizeof(name));
			check_fmt_value(value, sizeof(value), v);
			check_say(c->fd, "%s is %s, %s %s (%s)\n", name, value, opn, threshold,
			          c->q);
		} else {
			check_say(c->fd, "all %zu series of %s are %s %s (%s)\n", compared, c->q,
			          opn, threshold, c->url);
		}
	} else {
		verdict = CHECK_FAIL;
		check_say(c->fd, "%zu of %zu series of %s %s not %s %s: %s; all must be (%s)\n",
		          compared - passed, compared, c->q, compared - passed == 1 ? "is" : "are",
		          opn, threshold, first_fail, c->url);
	}
	/* The list: failing series first, then passing, CHECK_REPORT_MAX_SAMPLES
	 * at most. */
	size_t shown = 0;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < n && shown < CHECK_REPORT_MAX_SAMPLES; i++) {
			json_object *s = json_object_array_get_idx(result, i), *m = NULL,
			            *val = NULL;
			double v;
			if (!json_object_object_get_ex(s, "value", &val) ||
			    promql_value(val, &v) != 0)
				continue;
			bool ok = check_compare(v, c->op, c->threshold);
			if (ok != (pass == 1))
				continue;
			json_object_object_get_ex(s, "metric", &m);
			promql_series_name(m, name, sizeof(name));
			check_fmt_value(value, sizeof(value), v);
			check_say(c->fd, "  %s  %s %s\n", ok ? "ok    " : "NOT OK", name, value);
			shown++;
		}
	}
	if (compared > shown)
		check_say(c->fd, "  (%zu more series not listed)\n", compared - shown);
	if (bad > 0)
		check_say(c->fd, "  (%zu series without a number not compared)\n", bad);
	return verdict;
}

/* The answer's JSON, read: a vector or a scalar compared, an error said. */
static check_verdict_t
promql_answer(const promql_ctx_t *c, json_object *root, long status)
{
	json_object *st = NULL, *data = NULL, *type = NULL, *result = NULL;
	if (!json_object_object_get_ex(root, "status", &st)) {
		check_say(
		    c->fd,
		    "%s did not answer as Prometheus's /api/v1/query does (HTTP %ld, no status)\n",
		    c->url, status);
		return CHECK_FAIL;
	}
	if (strcmp(json_object_get_string(st), "success") != 0) {
		json_object *et = NULL, *err = NULL;
		json_object_object_get_ex(root, "errorType", &et);
		json_object_object_get_ex(root, "error", &err);
		const char *etype = et ? json_object_get_string(et) : "error";
		char shown[CHECK_SHOW_MAX];
		check_show(err ? json_object_get_string(err) : "", shown, sizeof(shown));
		/* bad_data: the query as written is wrong; the author fixes it.
		 * Anything else (timeout, execution, unavailable) is the server's
		 * state now. */
		if (strcmp(etype, "bad_data") == 0) {
			check_say(c->fd, "Prometheus refused the query %s: %s (%s)\n", c->q, shown,
			          c->url);
			return CHECK_ERROR;
		}
		check_say(c->fd, "Prometheus could not run the query %s: %s: %s (%s)\n", c->q,
		          etype, shown, c->url);
		return CHECK_FAIL;
	}
	if (!json_object_object_get_ex(root, "data", &data) ||
	    !json_object_object_get_ex(data, "resultType", &type) ||
	    !json_object_object_get_ex(data, "result", &result)) {
		check_say(c->fd, "%s answered success without data.resultType and data.result\n",
		          c->url);
		return CHECK_FAIL;
	}
	const char *rt = json_object_get_string(type);
	if (strcmp(rt, "vector") == 0 && json_object_is_type(result, json_type_array))
		return promql_vector(c, result);
	if (strcmp(rt, "scalar") == 0) {
		double v;
		char value[32], threshold[32];
		if (promql_value(result, &v) != 0) {
			check_say(c->fd, "%s answered a scalar that is not a number\n", c->url);
			return CHECK_FAIL;
		}
		check_fmt_value(value, sizeof(value), v);
		check_fmt_value(threshold, sizeof(threshold), c->threshold);
		bool ok = check_compare(v, c->op, c->threshold);
		check_value(v); /* record: the scalar */
		check_say(c->fd, "%s is %s, %s%s %s (%s)\n", c->q, value, ok ? "" : "not ",
		          check_op_name(c->op), threshold, c->url);
		return ok ? CHECK_PASS : CHECK_FAIL;
	}
	check_say(c->fd,
	          "%s gives a %s, not an instant vector or a scalar; compare one value per series"
	          " (e.g. max_over_time(...[1d]) instead of a range)\n",
	          c->q, rt);
	return CHECK_ERROR;
}

check_verdict_t
check_promql(const Rota__PromqlCheckSpec *spec, uint32_t timeout_ms, int fd)
{
	char url[CHECK_SHOW_MAX], q[CHECK_SHOW_MAX], what[CHECK_SHOW_MAX];
	if (spec == NULL || check_str_or_empty(spec->url)[0] == '\0') {
		check_say(fd, "promql_check: no url given\n");
		return CHECK_ERROR;
	}
	if (check_str_or_empty(spec->query)[0] == '\0') {
		check_say(fd, "promql_check: no query given\n");
		return CHECK_ERROR;
	}
	promql_ctx_t c = {.q = check_show(spec->query, q, sizeof(q)),
	                  .url = check_show(spec->url, url, sizeof(url)),
	                  .threshold = spec->value,
	                  .fd = fd};
	if (check_op_parse(spec->op, &c.op) != 0) {
		check_say(fd, "promql_check: op %s is not one of < <= > >= == !=\n",
		          check_show(spec->op, what, sizeof(what)));
		return CHECK_ERROR;
	}
	const char *match = check_str_or_empty(spec->match);
	if (match[0] != '\0' && strcmp(match, "all") != 0 && strcmp(match, "any") != 0) {
		check_say(fd, "promql_check: match %s is not all or any\n",
		          check_show(match, what, sizeof(what)));
		return CHECK_ERROR;
	}
	c.any = strcmp(match, "any") == 0;
	if (isnan(spec->value)) {
		check_say(fd, "promql_check: value NaN cannot be compared with\n");
		return CHECK_ERROR;
	}

	/* url + /api/v1/query?query=ESCAPED, the base's trailing '/' dropped */
	char *esc = curl_easy_escape(NULL, spec->query, 0); /* owned (curl_free) */
	if (esc == NULL) {
		check_say(fd, "promql_check: cannot escape the query\n");
		return CHECK_ERROR;
	}
	size_t blen = strlen(spec->url);
	while (blen > 0 && spec->url[blen - 1] == '/')
		blen--;
	size_t ulen = blen + strlen(esc) + 32;
	char *full = malloc(ulen); /* owned */
	if (full == NULL) {
		curl_free(esc);
		check_say(fd, "promql_check: out of memory\n");
		return CHECK_ERROR;
	}
	snprintf(full, ulen, "%.*s/api/v1/query?query=%s", (int)blen, spec->url, esc);
	curl_free(esc);

	check_fetch_t f;
	int rc = check_fetch(full, "GET", timeout_ms, PROMQL_BODY_MAX, false, &f);
	free(full);
	if (rc != 0) {
		check_say(fd, "cannot ask Prometheus at %s: cannot make the request: %s\n", url,
		          f.err);
		free(f.body);
		return CHECK_ERROR;
	}
	if (f.rc != CURLE_OK) {
		check_say(fd, "cannot reach Prometheus at %s: %s\n", url, check_fetch_error(&f));
		free(f.body);
		return check_fetch_verdict(f.rc);
	}
	json_object *root = NULL; /* owned */
	if (!f.truncated && f.body != NULL) {
		json_tokener *tok = json_tokener_new();
		if (tok != NULL) {
			root = json_tokener_parse_ex(tok, f.body, (int)f.len);
			if (json_tokener_get_error(tok) != json_tokener_success) {
				json_object_put(root);
				root = NULL;
			}
			json_tokener_free(tok);
		}
	}
	check_verdict_t v;
	if (root == NULL || !json_object_is_type(root, json_type_object)) {
		check_say(fd,
		          "%s did not answer as Prometheus's /api/v1/query does: HTTP %ld, %s\n",
		          url, f.status, f.truncated ? "more than 8 MiB" : "not a JSON object");
		if (f.len > 0)
			check_say_excerpt(
			    fd, f.body,
			    f.len < CHECK_REPORT_BODY_EXCERPT ? f.len : CHECK_REPORT_BODY_EXCERPT);
		v = CHECK_FAIL;
	} else {
		v = promql_answer(&c, root, f.status);
	}
	check_say(fd, "answered in %lld ms\n", (long long)f.ms);
	json_object_put(root);
	free(f.body);
	return v;
}
