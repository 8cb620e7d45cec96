/* cron: 5-field cron expressions and their fire times in an IANA timezone.
 *
 * "MIN HOUR DOM MON DOW" with numbers, ranges (1-5), lists (1,3,5), steps
 * (*\/15, 10-50/10), month and day names (JAN-DEC, SUN-SAT, case-insensitive,
 * 7 = Sunday), and the macros @hourly @daily @midnight @weekly @monthly
 * @yearly @annually. When both DOM and DOW are restricted (neither is '*'),
 * a day matches if either matches (Vixie cron's OR rule).
 *
 * Fire times are computed on the local wall clock of the timezone, DST
 * handled like cronie: a local time skipped by a spring-forward gap fires
 * once, at the first instant after the gap; a local time that occurs twice
 * (fall-back) fires once, at its first occurrence.
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
	bool mday_star;   /* DOM was '*' (for the OR rule) */
	bool wday_star;   /* DOW was '*' */
} cron_t;

/* Parses text. On error returns -1, writes a message naming the field and
 * the problem into err ("hour 25 is out of range 0-23") and sets *column to
 * the 1-based position in text where the bad field starts. An expression
 * that can never fire ("0 0 30 2 *") is an error too. */
int cron_parse(const char *text, cron_t *out, char *err, size_t errlen, int *column);

/* True when tz names a zone in the system's zoneinfo ("UTC" always). */
bool cron_timezone_valid(const char *tz);

/* The first fire time strictly after after_ms (ms since the epoch, UTC), or
 * -1 when there is none within five years. */
int64_t cron_next(const cron_t *c, const char *tz, int64_t after_ms);

/* Formats ms as local time in tz: "2026-11-23 08:00:00 GMT". Returns 0, or
 * -1 (buf holds "?") for an unknown zone. */
int cron_format(int64_t ms, const char *tz, char *buf, size_t len);

#endif
