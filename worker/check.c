/* check: the front of the built-in checks (see check.h): the report writers
 * they share, the library's life, the table of check kinds that check_run
 * looks a step up in, and hold (a check re-run until it has held). Each
 * check is a file of its own: check_http.c, check_disk.c, check_file.c,
 * check_tls.c, check_metric.c, check_promql.c (check_internal.h is what
 * they share).
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

#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check_internal.h"

/* ---- reports -------------------------------------------------------------- */

/* Writes to the report. A write that fails does not change the verdict: the
 * verdict travels in the exit status, and a report nobody reads (the worker
 * closed the pipe) has nowhere else to go. */
void
check_say(int fd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	(void)vdprintf(fd, fmt, ap);
	va_end(ap);
}

/* A spec string fit to quote on the summary line: one line, bounded. */
const char *
check_show(const char *s, char *buf, size_t len)
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
void
check_say_excerpt(int fd, const char *data, size_t len)
{
	char line[CHECK_REPORT_BODY_EXCERPT + 8];
	size_t n = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || data[i] == '\n' || n + 1 >= sizeof(line)) {
			if (i < len || n > 0)
				check_say(fd, "  | %.*s\n", (int)n, line);
			n = 0;
			continue;
		}
		unsigned char c = (unsigned char)data[i];
		line[n++] = (c < 0x20 && c != '\t') || c == 0x7f ? '.' : (char)c;
	}
}

void
check_fmt_value(char *buf, size_t len, double v)
{
	if (isnan(v))
		snprintf(buf, len, "NaN");
	else if (isinf(v))
		snprintf(buf, len, "%s", v > 0 ? "+Inf" : "-Inf");
	else
		snprintf(buf, len, "%.15g", v);
}

void
check_fmt_bytes(char *buf, size_t len, double b)
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

const char *
check_str_or_empty(const char *s)
{
	return s ? s : "";
}

/* The number the running check yields; rota-check runs one check. */
static struct {
	bool set;
	double v;
} check_number;

void
check_value(double v)
{
	check_number.set = true;
	check_number.v = v;
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

/* The checks, one row per step kind rota-check runs: its StepSpec kind
 * case, its settings (NULL when the spec came without them) and the check.
 * A new check is one row here, its own check_*.c, and a row in the
 * worker's table (agent_kind.c) that says it runs through rota-check. */
typedef struct {
	Rota__StepSpec__KindCase kind_case;
	const void *(*settings)(const Rota__StepSpec *spec);
	check_verdict_t (*run)(const Rota__StepSpec *spec, uint32_t timeout_ms, int fd);
} check_kind_t;

static const void *
check_http_settings(const Rota__StepSpec *spec)
{
	return spec->http_check;
}

static check_verdict_t
check_http_run(const Rota__StepSpec *spec, uint32_t timeout_ms, int fd)
{
	return check_http(spec->http_check, timeout_ms, fd);
}

static const void *
check_disk_settings(const Rota__StepSpec *spec)
{
	return spec->disk_check;
}

static check_verdict_t
check_disk_run(const Rota__StepSpec *spec, uint32_t timeout_ms, int fd)
{
	(void)timeout_ms; /* statvfs has none; the executor's kill is the bound */
	return check_disk(spec->disk_check, fd);
}

static const void *
check_file_settings(const Rota__StepSpec *spec)
{
	return spec->file_check;
}

static check_verdict_t
check_file_run(const Rota__StepSpec *spec, uint32_t timeout_ms, int fd)
{
	(void)timeout_ms; /* glob and stat have none; the executor's kill is the bound */
	return check_file(spec->file_check, fd);
}

static const void *
check_tls_settings(const Rota__StepSpec *spec)
{
	return spec->tls_check;
}

static check_verdict_t
check_tls_run(const Rota__StepSpec *spec, uint32_t timeout_ms, int fd)
{
	return check_tls(spec->tls_check, timeout_ms, fd);
}

static const void *
check_metric_settings(const Rota__StepSpec *spec)
{
	return spec->metric_check;
}

static check_verdict_t
check_metric_run(const Rota__StepSpec *spec, uint32_t timeout_ms, int fd)
{
	return check_metric(spec->metric_check, timeout_ms, fd);
}

static const void *
check_promql_settings(const Rota__StepSpec *spec)
{
	return spec->promql_check;
}

static check_verdict_t
check_promql_run(const Rota__StepSpec *spec, uint32_t timeout_ms, int fd)
{
	return check_promql(spec->promql_check, timeout_ms, fd);
}

static const check_kind_t check_kinds[] = {
    {ROTA__STEP_SPEC__KIND_HTTP_CHECK, check_http_settings, check_http_run},
    {ROTA__STEP_SPEC__KIND_DISK_CHECK, check_disk_settings, check_disk_run},
    {ROTA__STEP_SPEC__KIND_METRIC_CHECK, check_metric_settings, check_metric_run},
    {ROTA__STEP_SPEC__KIND_FILE_CHECK, check_file_settings, check_file_run},
    {ROTA__STEP_SPEC__KIND_TLS_CHECK, check_tls_settings, check_tls_run},
    {ROTA__STEP_SPEC__KIND_PROMQL_CHECK, check_promql_settings, check_promql_run},
};

/* ---- hold ------------------------------------------------------------------- */

static int64_t
check_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
check_fmt_ms(char *buf, size_t len, int64_t ms)
{
	if (ms < 10000)
		snprintf(buf, len, "%.1fs", (double)ms / 1000.0);
	else if (ms < 3600 * 1000)
		snprintf(buf, len, "%lldm%02llds", (long long)(ms / 60000),
		         (long long)(ms / 1000 % 60));
	else
		snprintf(buf, len, "%lldh%02lldm", (long long)(ms / 3600000),
		         (long long)(ms / 60000 % 60));
}

/* Runs the check, then again every hold_interval_ms, until it has passed
 * for hold_ms (a check starting at or after hold_ms that passes ends it) or
 * fails (at once). Each run's report goes to a scratch file; the summary
 * line comes first (the agent takes it as the detail), then the report of
 * the last run. Cancel and the step's timeout kill this process: nothing
 * here needs to watch for them. Each run gets the step's timeout less the
 * hold (launcher: the hold plus the kind's own, unless the runbook set it). */
static check_verdict_t
check_hold(const check_kind_t *k, const Rota__StepSpec *spec, int fd)
{
	char held[32], hold[32], every[32];
	uint64_t every_ms = spec->hold_interval_ms ? spec->hold_interval_ms : 1000;
	uint32_t per_run = check_timeout_ms(spec);
	if (per_run > spec->hold_ms + 1000)
		per_run -= (uint32_t)spec->hold_ms;
	else
		per_run = 1000;
	check_fmt_ms(hold, sizeof(hold), (int64_t)spec->hold_ms);
	check_fmt_ms(every, sizeof(every), (int64_t)every_ms);
	int64_t start = check_now_ms();
	for (unsigned runs = 1;; runs++) {
		FILE *scratch = tmpfile(); /* owned */
		if (scratch == NULL) {
			check_say(fd, "hold: cannot make a scratch file: %s\n", strerror(errno));
			return CHECK_ERROR;
		}
		int64_t began = check_now_ms() - start;
		check_verdict_t v = k->run(spec, per_run, fileno(scratch));
		/* The run's first line (its summary), for the hold's own */
		char first[1024];
		ssize_t r = pread(fileno(scratch), first, sizeof(first) - 1, 0);
		size_t n = r > 0 ? (size_t)r : 0;
		first[n] = '\0';
		first[strcspn(first, "\n")] = '\0';
		check_fmt_ms(held, sizeof(held), check_now_ms() - start);
		if (v != CHECK_PASS) {
			check_say(fd, "held %s of %s, then check %u failed: %s\n", held, hold, runs,
			          first);
		} else if (began >= (int64_t)spec->hold_ms) {
			check_say(fd, "held %s: %u checks passed, every %s (last: %s)\n", hold,
			          runs, every, first);
		} else {
			fclose(scratch);
			int64_t left = (int64_t)spec->hold_ms - (check_now_ms() - start);
			int64_t wait = left < (int64_t)every_ms ? left : (int64_t)every_ms;
			if (wait > 0) {
				struct timespec ts = {wait / 1000, (wait % 1000) * 1000000};
				while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
					;
			}
			continue;
		}
		/* then the last run's whole report */
		char buf[8192];
		off_t at = 0;
		while ((r = pread(fileno(scratch), buf, sizeof(buf), at)) > 0) {
			check_say(fd, "%.*s", (int)r, buf);
			at += r;
		}
		fclose(scratch);
		return v;
	}
}

check_verdict_t
check_run(const Rota__StepSpec *spec, int fd)
{
	if (spec == NULL) {
		check_say(fd, "no step to check\n");
		return CHECK_ERROR;
	}
	uint32_t timeout = check_timeout_ms(spec);
	for (size_t i = 0; i < sizeof(check_kinds) / sizeof(check_kinds[0]); i++) {
		const check_kind_t *k = &check_kinds[i];
		if (k->kind_case != spec->kind_case || k->settings(spec) == NULL)
			continue;
		check_number.set = false;
		check_verdict_t v =
		    spec->hold_ms > 0 ? check_hold(k, spec, fd) : k->run(spec, timeout, fd);
		/* The last line, which the agent reads as Result.value */
		if (spec->record != NULL && check_number.set && v == CHECK_PASS)
			check_say(fd, CHECK_VALUE_PREFIX "%.17g\n", check_number.v);
		return v;
	}
	check_say(fd, "not a built-in check (step kind %d)\n", (int)spec->kind_case);
	return CHECK_ERROR;
}
