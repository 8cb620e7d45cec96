/* cron: 5-field cron expressions and their fire times in an IANA timezone.
 *
 * "MIN HOUR DOM MON DOW" with numbers, ranges (1-5), lists (1,3,5), steps
 * (*\/15, 10-50/10), month and day names (JAN-DEC, SUN-SAT, case-insensitive,
 * 7 = Sunday), and the macros @hourly @daily @midnight @weekly @monthly
 * @yearly @annually (case-insensitive). "N/S" means N to the field's
 * maximum in steps of S ("5/10" = 5-59/10). When both DOM and DOW are
 * restricted, a day matches if either matches (Vixie cron's OR rule);
 * otherwise both must match. As in Vixie cron and cronie, a field that starts
 * with '*' ("*", "*\/2") counts as unrestricted for this rule.
 *
 * Fire times are computed on the local wall clock of the timezone, DST
 * handled like cronie. Precisely: every local minute the expression matches
 * maps to one instant, and the schedule fires at the set of those instants
 * (so never twice at one instant):
 * - a local minute that occurs once fires at that instant;
 * - a local minute that occurs twice (fall-back) fires at its first
 *   occurrence only: "30 1 * * *" on 2026-11-01 in America/New_York fires at
 *   01:30 EDT and not at 01:30 EST; "0 * * * *" fires at 01:00 EDT, then
 *   02:00 EST;
 * - a local minute skipped by a forward jump fires at the instant of the
 *   jump, the first instant after the gap: "30 2 * * *" on 2026-03-08 in
 *   America/New_York fires at 03:00 EDT (07:00 UTC), and "*\/15 2 * * *"
 *   fires there once for all four skipped slots.
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
	uint64_t minutes; /* bit m set: minute m (0-59) */
	uint32_t hours;   /* bits 0-23 */
	uint32_t mdays;   /* bits 1-31 */
	uint16_t months;  /* bits 1-12 */
	uint8_t wdays;    /* bits 0-6, Sunday = 0 */
	bool mday_star;   /* DOM started with '*' (for the OR rule) */
	bool wday_star;   /* DOW started with '*' */
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
 * for a window of about six years, so calls are cheap (~0.2 us) after the
 * first in a zone (~2 ms). Not thread-safe (the cache; TZ is set for a
 * moment while a zone is loaded and put back before returning). */
int64_t cron_next(const cron_t *c, const char *tz, int64_t after_ms);

/* Formats ms as local time in tz: "2026-11-23 08:00:00 GMT". Returns 0, or
 * -1 (buf holds "?") for an unknown zone. */
int cron_format(int64_t ms, const char *tz, char *buf, size_t len);

#endif
