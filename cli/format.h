/* format: how the CLI writes times, durations, statuses and exit codes.
 *
 * One place for every word and number format, so `runs`, `show`, `workers`
 * and the --wait summary say the same thing the same way. Buffers are the
 * caller's; FORMAT_BUF_BYTES fits every result. */
#ifndef ROTA_FORMAT_H
#define ROTA_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FORMAT_BUF_BYTES 48

/* Lower-case names ("running", "succeeded"); "unknown" for values this
 * CLI does not know (a newer coordinator). Static strings. */
const char *format_run_status(int status);
const char *format_step_status(int status);
/* True for RUN_SUCCEEDED, RUN_FAILED and RUN_CANCELLED: nothing more will
 * happen to the run. */
bool format_run_is_terminal(int status);

/* "350ms", "1.2s", "3m05s", "1h02m", "2d03h"; "-" for a negative span. */
void format_duration(int64_t ms, char *buf, size_t len);
/* UTC "2026-11-23 08:00:01", or "-" for 0 (not yet). */
void format_time(int64_t wall_ms, char *buf, size_t len);
/* The span from started_ms to ended_ms; while it has not ended, the time
 * so far (to now_ms); "-" when it has not started. */
void format_span(int64_t started_ms, int64_t ended_ms, int64_t now_ms, char *buf, size_t len);
/* Milliseconds of the same span, or -1 when it has not started. */
int64_t format_span_ms(int64_t started_ms, int64_t ended_ms, int64_t now_ms);
/* "2s ago", "3m05s ago"; "never" for 0; "just now" for a time ahead of
 * now_ms (clocks of two hosts disagree). */
void format_ago(int64_t then_ms, int64_t now_ms, char *buf, size_t len);
/* "SIGKILL", or "signal 77" for a number this libc has no name for. */
void format_signal(int signal, char *buf, size_t len);

#endif
