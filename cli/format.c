/* format: words and numbers for people.
 *
 * Must never: print a status a newer coordinator sends as a crash or a
 * blank; unknown values are named "unknown". */
#include "format.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "duration.h"
#include "rota.pb-c.h"

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
	default:
		return "unknown";
	}
}

bool
format_run_is_terminal(int status)
{
	return status == ROTA__RUN_STATUS__RUN_SUCCEEDED ||
	       status == ROTA__RUN_STATUS__RUN_FAILED || status == ROTA__RUN_STATUS__RUN_CANCELLED;
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
format_signal(int signal, char *buf, size_t len)
{
	const char *abbrev = sigabbrev_np(signal);
	if (abbrev != NULL)
		snprintf(buf, len, "SIG%s", abbrev);
	else
		snprintf(buf, len, "signal %d", signal);
}
