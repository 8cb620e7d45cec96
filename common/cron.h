/* cron: 5-field cron expressions and their fire times in an IANA timezone.
 *
 * "MIN HOUR DOM MON DOW" with numbers, ranges (1-5), lists (1,3,5), steps
 * (*\/15, 10-50/10), month and day names (JAN-DEC, SUN-SAT, case-insensitive,
 * 7 = Sunday), ranges that wrap around the field's end (FRI-MON, NOV-FEB,
 * 22-2), the nth weekday of the month in day-of-week (MON#1: the first
 * Monday; 1-5), the last day of the month in day-of-month (L), and the macros @hourly @daily
 * @midnight @weekly @monthly
 * @yearly @annually (case-insensitive). "N/S" means N to the field's
 * maximum in steps of S ("5/10" = 5-59/10). When both DOM and DOW are
 * restricted, a day matches if either matches (Vixie cron's OR rule);
 * otherwise both must match. As in Vixie cron and cronie, a field that starts
 * with '*' ("*", "*\/2") counts as unrestricted for this rule.
 *
 * Fire times are computed on the local wall clock of the timezone, DST
 * handled as cronie does, which tells two kinds of job apart:
 * - a wildcard job, whose minute or hour field starts with '*' ("*\/5 * * *
 *   *", "0 * * * *", "*\/15 2 * * *"), goes by elapsed time: it fires at
 *   every instant whose local minute matches. Through a repeated hour
 *   (fall-back) it keeps firing ("*\/5 * * * *" on 2026-11-01 in
 *   America/New_York: 01:55 EDT, 01:00 EST, 01:05 EST, ...; "0 * * * *":
 *   01:00 EDT, 01:00 EST, 02:00 EST), and the minutes a forward jump skips
 *   are not caught up ("*\/15 2 * * *" does not fire on 2026-03-08 there);
 * - a fixed-time job (both fields start with a number) fires once a day as
 *   written: a local minute that occurs twice fires at its first occurrence
 *   only ("30 1 * * *": 01:30 EDT, not 01:30 EST), and one skipped by a
 *   forward jump fires at the instant of the jump, the first instant after
 *   the gap ("30 2 * * *" on 2026-03-08: 03:00 EDT, 07:00 UTC).
 * Both never fire twice at one instant.
 * These are the rules of the system's zoneinfo, read through libc.
 *
 * Must never: fire the same slot twice, loop forever on an expression that
 * never matches, or change the process's view of local time for others. */
#ifndef ROTA_CRON_H
#define ROTA_CRON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
	uint64_t minutes;    /* bit m set: minute m (0-59) */
	uint32_t hours;      /* bits 0-23 */
	uint32_t mdays;      /* bits 1-31 */
	uint16_t months;     /* bits 1-12 */
	uint8_t wdays;       /* bits 0-6, Sunday = 0 */
	bool mday_star;      /* DOM started with '*' (for the OR rule) */
	bool wday_star;      /* DOW started with '*' */
	bool wild;           /* minute or hour started with '*' (the DST rule) */
	bool mday_last;      /* "L" in DOM: the month's last day */
	uint8_t wday_nth[7]; /* "MON#2": bit n of [1] set; the nth such weekday */
} cron_t;

/* Parses text. On error returns -1, writes a message naming the field and
 * the problem into err ("hour: 25 is out of range 0-23") and sets *column to
 * the 1-based position in text where the bad field starts. An expression
 * that can never fire ("0 0 30 2 *") is an error too. err and column may be
 * NULL. */
int cron_parse(const char *text, cron_t *out, char *err, size_t errlen, int *column);

/* True when tz names a zone in the system's zoneinfo ("UTC" always): a name
 * of [A-Za-z0-9_+-/] without ".." whose file exists and is a TZif file.
 * glibc would silently use UTC for any other name. */
bool cron_timezone_valid(const char *tz);

/* The first fire time strictly after after_ms (ms since the epoch, UTC), or
 * -1 when there is none within five years (e.g. Feb 29 with a weekday in
 * AND), the zone is unknown, or c is empty. Each zone's offsets are cached
 * for a window of about six years: the first call in a zone costs about a
 * millisecond, later ones under a microsecond. Not thread-safe (the cache;
 * TZ is set for a moment while a zone is loaded and put back before
 * returning). */
int64_t cron_next(const cron_t *c, const char *tz, int64_t after_ms);

/* Formats ms as local time in tz: "2026-11-23 08:00:00 GMT". Returns 0, or
 * -1 (buf holds "?") for an unknown zone or a buf too small. */
int cron_format(int64_t ms, const char *tz, char *buf, size_t len);

/* tz's offset east of UTC, in seconds, at instant t_s (seconds since the
 * epoch): 0, or -1 for an unknown zone. For shift arithmetic that follows
 * wall clocks (coordinator/rotation.h). Not thread-safe (the cache). */
int cron_local_offset(const char *tz, int64_t t_s, int32_t *off);
/* The instant of local wall time wall_s (the local date and time counted
 * as if it were UTC) in tz: its first occurrence when a backward change
 * repeats it, the instant of the jump when a forward change skips it.
 * 0, or -1 for an unknown zone. Not thread-safe (the cache). */
int cron_local_instant(const char *tz, int64_t wall_s, int64_t *t_s);

#endif
