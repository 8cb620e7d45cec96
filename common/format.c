/* format: words and numbers for people.
 *
 * Must never: print a status a newer coordinator sends as a crash or a
 * blank; unknown values are named "unknown". */
#include "format.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "cron.h"
#include "duration.h"
#include "rota.pb-c.h"
#include "xalloc.h"

const char *
format_run_status(int status)
{
	switch (status) {
	case ROTA__RUN_STATUS__RUN_PENDING:
		return "pending";
	case ROTA__RUN_STATUS__RUN_RUNNING:
		return "running";
	case ROTA__RUN_STATUS__RUN_SUCCEEDED:
		return "succeeded";
	case ROTA__RUN_STATUS__RUN_FAILED:
		return "failed";
	case ROTA__RUN_STATUS__RUN_CANCELLED:
		return "cancelled";
	case ROTA__RUN_STATUS__RUN_SKIPPED:
		return "skipped";
	default:
		return "unknown";
	}
}

const char *
format_step_status(int status)
{
	switch (status) {
	case ROTA__STEP_STATUS__STEP_PENDING:
		return "pending";
	case ROTA__STEP_STATUS__STEP_DISPATCHED:
		return "dispatched";
	case ROTA__STEP_STATUS__STEP_RUNNING:
		return "running";
	case ROTA__STEP_STATUS__STEP_SUCCEEDED:
		return "succeeded";
	case ROTA__STEP_STATUS__STEP_FAILED:
		return "failed";
	case ROTA__STEP_STATUS__STEP_TIMEOUT:
		return "timeout";
	case ROTA__STEP_STATUS__STEP_LOST:
		return "lost";
	case ROTA__STEP_STATUS__STEP_SKIPPED:
		return "skipped";
	case ROTA__STEP_STATUS__STEP_CANCELLED:
		return "cancelled";
	case ROTA__STEP_STATUS__STEP_ERROR:
		return "error";
	case ROTA__STEP_STATUS__STEP_WAITING:
		return "waiting";
	case ROTA__STEP_STATUS__STEP_UNREACHABLE:
		return "unreachable";
	default:
		return "unknown";
	}
}

bool
format_run_is_terminal(int status)
{
	return status == ROTA__RUN_STATUS__RUN_SUCCEEDED ||
	       status == ROTA__RUN_STATUS__RUN_FAILED ||
	       status == ROTA__RUN_STATUS__RUN_CANCELLED || status == ROTA__RUN_STATUS__RUN_SKIPPED;
}

const char *
format_trigger(const char *trigger)
{
	return trigger != NULL && trigger[0] != '\0' ? trigger : "manual";
}

void
format_duration(int64_t ms, char *buf, size_t len)
{
	/* A negative span is a clock disagreement, not a duration. */
	if (ms < 0)
		snprintf(buf, len, "-");
	else
		duration_format(ms, buf, len);
}

void
format_time(int64_t wall_ms, char *buf, size_t len)
{
	clock_format(wall_ms, buf, len);
}

int64_t
format_span_ms(int64_t started_ms, int64_t ended_ms, int64_t now_ms)
{
	if (started_ms <= 0)
		return -1;
	int64_t end = ended_ms > 0 ? ended_ms : now_ms;
	/* A coordinator clock ahead of ours makes a fresh run look as if
	 * it started in the future: show zero, not a negative span. */
	return end > started_ms ? end - started_ms : 0;
}

void
format_span(int64_t started_ms, int64_t ended_ms, int64_t now_ms, char *buf, size_t len)
{
	format_duration(format_span_ms(started_ms, ended_ms, now_ms), buf, len);
}

void
format_ago(int64_t then_ms, int64_t now_ms, char *buf, size_t len)
{
	if (then_ms <= 0) {
		snprintf(buf, len, "never");
		return;
	}
	if (then_ms > now_ms) {
		snprintf(buf, len, "just now");
		return;
	}
	int64_t ms = now_ms - then_ms;
	char span[FORMAT_BUF_BYTES];
	/* Whole seconds: "0.4s ago" is noise in a list of workers. */
	if (ms < 60 * 1000)
		snprintf(span, sizeof(span), "%" PRId64 "s", ms / 1000);
	else
		format_duration(ms, span, sizeof(span));
	snprintf(buf, len, "%s ago", span);
}

void
format_until(int64_t then_ms, int64_t now_ms, char *buf, size_t len)
{
	if (then_ms <= 0) {
		snprintf(buf, len, "-");
		return;
	}
	if (then_ms <= now_ms) {
		snprintf(buf, len, "now");
		return;
	}
	int64_t ms = then_ms - now_ms;
	char span[FORMAT_BUF_BYTES];
	/* Rounded up: "in 0s" would read as "now" while it is not. */
	if (ms < 60 * 1000)
		snprintf(span, sizeof(span), "%" PRId64 "s", (ms + 999) / 1000);
	else
		format_duration(ms, span, sizeof(span));
	snprintf(buf, len, "in %s", span);
}

void
format_signal(int signal, char *buf, size_t len)
{
	const char *abbrev = sigabbrev_np(signal);
	if (abbrev != NULL)
		snprintf(buf, len, "SIG%s", abbrev);
	else
		snprintf(buf, len, "signal %d", signal);
}

const char *
format_severity(unsigned severity)
{
	static const char *const names[] = {"P?", "P1", "P2", "P3", "P4"};
	return severity >= 1 && severity <= 4 ? names[severity] : names[0];
}

int
format_parse_severity(const char *text, unsigned *out)
{
	const char *digit = text;
	if (digit[0] == 'P' || digit[0] == 'p')
		digit++;
	if (digit[0] < '1' || digit[0] > '4' || digit[1] != '\0')
		return -1;
	*out = (unsigned)(digit[0] - '0');
	return 0;
}

void
format_step_name(const char *step_id, unsigned attempt, bool numbered, char *buf, size_t len)
{
	if (attempt > 1 || (numbered && attempt == 1))
		snprintf(buf, len, "%s#%u", step_id, attempt);
	else
		snprintf(buf, len, "%s", step_id);
}

void
format_printable(char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c == 0x7f)
			*s = '?';
	}
}

char *
format_schedule(const char *cron, const char *timezone)
{
	if (cron == NULL || cron[0] == '\0')
		return xstrdup("-");
	/* No zone is UTC (runbook.h); say so rather than leave it blank. */
	if (timezone == NULL || timezone[0] == '\0')
		timezone = "UTC";
	return xasprintf("%s %s", cron, timezone);
}

char *
format_reload(unsigned loaded, unsigned added, unsigned changed, unsigned removed, unsigned invalid)
{
	return xasprintf("reloaded: %u loaded (%u added, %u changed, %u removed), %u invalid",
	                 loaded, added, changed, removed, invalid);
}

char *
format_approval(bool reject, const char *step_id, const char *run_id, unsigned hosts)
{
	return xasprintf("%s step %s of run %s on %u host%s", reject ? "rejected" : "approved",
	                 step_id, run_id, hosts, hosts == 1 ? "" : "s");
}

char *
format_fire_time(int64_t ms, const char *timezone)
{
	char local[FORMAT_BUF_BYTES], utc[FORMAT_BUF_BYTES];
	cron_format(ms, timezone != NULL && timezone[0] != '\0' ? timezone : "UTC", local,
	            sizeof(local));
	format_time(ms, utc, sizeof(utc));
	return xasprintf("%s  (%s UTC)", local, utc);
}

bool
format_ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}
