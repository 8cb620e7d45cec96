/* cron_internal: what cron.c (expressions, fire times) and cron_zone.c (a
 * zone's UTC offsets, read from libc) share; not for other modules. */
#ifndef ROTA_CRON_INTERNAL_H
#define ROTA_CRON_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#define CRON_SECONDS_PER_DAY 86400
/* "Within five years": five calendar years may hold two leap days. */
#define CRON_HORIZON_S ((int64_t)(5 * 365 + 2) * CRON_SECONDS_PER_DAY)
/* Offset changes kept per zone table: ~2 a year usually, 4 in Morocco. */
#define CRON_SEGMENTS_MAX 64
#define CRON_ABBR_MAX 16

/* From start on (until the next segment), the zone is off seconds east of
 * UTC and called abbr. */
typedef struct {
	int64_t start;
	int32_t off;
	char abbr[CRON_ABBR_MAX];
} cron_segment_t;

/* One zone's offsets over [from, to). Segment 0 also stands for any time
 * before from, the last for any time up to to. */
typedef struct {
	char *name;
	int64_t from, to;
	size_t count;
	cron_segment_t seg[CRON_SEGMENTS_MAX];
} cron_zone_t;

/* The zone table for tz covering [from, to], building (and caching) it if
 * needed; NULL for an unknown zone. Owned by the cache. */
const cron_zone_t *cron_zone_get(const char *tz, int64_t from, int64_t to);

/* Index of the segment in force at instant t. */
size_t cron_zone_index(const cron_zone_t *z, int64_t t);

/* The fire instant of local wall time s: its first occurrence, or, when a
 * forward jump skips it, the instant of that jump. */
int64_t cron_zone_instant(const cron_zone_t *z, int64_t s);

#endif
