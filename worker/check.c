/* check: the front of the built-in checks http_check, disk_check and
 * metric_check (see check.h): the report writers they share, the library's
 * life, and the table of check kinds that check_run looks a step up in.
 * Each check is a file of its own: check_http.c, check_disk.c,
 * check_metric.c (check_internal.h is what they share).
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
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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

static const check_kind_t check_kinds[] = {
    {ROTA__STEP_SPEC__KIND_HTTP_CHECK, check_http_settings, check_http_run},
    {ROTA__STEP_SPEC__KIND_DISK_CHECK, check_disk_settings, check_disk_run},
    {ROTA__STEP_SPEC__KIND_METRIC_CHECK, check_metric_settings, check_metric_run},
    {ROTA__STEP_SPEC__KIND_FILE_CHECK, check_file_settings, check_file_run},
    {ROTA__STEP_SPEC__KIND_TLS_CHECK, check_tls_settings, check_tls_run},
};

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
		if (k->kind_case == spec->kind_case && k->settings(spec) != NULL)
			return k->run(spec, timeout, fd);
	}
	check_say(fd, "not a built-in check (step kind %d)\n", (int)spec->kind_case);
	return CHECK_ERROR;
}
