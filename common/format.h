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
/* True for RUN_SUCCEEDED, RUN_FAILED, RUN_CANCELLED and RUN_SKIPPED:
 * nothing more will happen to the run. */
bool format_run_is_terminal(int status);
/* How a run started: "manual" or "schedule" as the coordinator says it,
 * and "manual" for an empty trigger (a coordinator from before schedules
 * made no other kind). Borrowed: trigger itself, or a static string. */
const char *format_trigger(const char *trigger);

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
/* "in 3s", "in 4m05s" for a time ahead of now_ms (whole seconds under a
 * minute, as format_ago); "now" for one that has come; "-" for 0. */
void format_until(int64_t then_ms, int64_t now_ms, char *buf, size_t len);
/* "SIGKILL", or "signal 77" for a number this libc has no name for. */
void format_signal(int signal, char *buf, size_t len);

/* An incident's severity: "P1".."P4", or "P?" for another number (a
 * newer coordinator). Static strings. */
const char *format_severity(unsigned severity);
/* "P1".."P4" in either case, or "1".."4", into 1..4. Returns 0, or -1 for
 * anything else. */
int format_parse_severity(const char *text, unsigned *out);

/* A step as `show` and the --wait summary name it: "disk", or "disk#2"
 * for attempt 2; with numbered, attempt 1 is "disk#1" too (the step was
 * tried more than once and every line should say which try it was). */
void format_step_name(const char *step_id, unsigned attempt, bool numbered, char *buf, size_t len);

/* A peer's string made safe for a terminal, in place: every control
 * character becomes '?', as table cells do. */
void format_printable(char *s);

/* The words below are longer than FORMAT_BUF_BYTES; each returns a new
 * string the caller frees. */

/* "0 8 * * 1-5 Europe/London", or "-" when cron is empty or NULL. */
char *format_schedule(const char *cron, const char *timezone);
/* "reloaded: 3 loaded (1 added, 1 changed, 0 removed), 1 invalid". */
char *format_reload(unsigned loaded, unsigned added, unsigned changed, unsigned removed,
                    unsigned invalid);
/* A fire time in its zone and in UTC, as `schedules --next` prints it:
 * "2026-11-23 08:00:00 GMT  (2026-11-23 08:00:00 UTC)". A zone this host
 * has no zoneinfo for shows as "?" on the left. */
char *format_fire_time(int64_t ms, const char *timezone);
/* "approved step confirm of run r-1 on 3 hosts" ("rejected ..." when
 * reject; "1 host"). */
char *format_approval(bool reject, const char *step_id, const char *run_id, unsigned hosts);

/* True when s ends with suffix ("x.yaml", ".yaml"). */
bool format_ends_with(const char *s, const char *suffix);

#endif
