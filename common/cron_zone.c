/* cron_zone: one IANA zone's UTC offsets over a window of years, asked of
 * libc once and cached (cron_internal.h). Building a table needs TZ set to
 * the zone for a moment; TZ is put back before any function here returns.
 *
 * Must never: leave TZ changed or read a file outside the zoneinfo
 * directory. Not thread-safe (the cache). */
#include "cron.h"
#include "cron_internal.h"

#include <ctype.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* A zone table covers this much before and after the time it was built for:
 * the horizon plus slack for offsets (at most a day) either way. */
#define CRON_WINDOW_BEFORE_S ((int64_t)2 * CRON_SECONDS_PER_DAY)
#define CRON_WINDOW_AFTER_S (CRON_HORIZON_S + (int64_t)3 * CRON_SECONDS_PER_DAY)
/* Zone tables are built by probing libc every 12 hours and bisecting to the
 * second where the offset changed; no zone changes offset twice in 12 h. */
#define CRON_PROBE_STEP_S ((int64_t)12 * 3600)
/* More than the number of zone names in tzdata, so a fleet that uses every
 * zone never rebuilds tables in turn. */
#define CRON_ZONE_CACHE_MAX 640
#define CRON_TZ_NAME_MAX 255
#define CRON_TZDIR_DEFAULT "/usr/share/zoneinfo"

static const char *
cron_tzdir(void)
{
	/* glibc reads zones from $TZDIR when set; look where it will look. */
	const char *dir = getenv("TZDIR");
	return dir != NULL && *dir != '\0' ? dir : CRON_TZDIR_DEFAULT;
}

/* Only names that cannot leave the zoneinfo directory: [A-Za-z0-9_+-/]
 * with no "..", no leading '/', no empty component. */
static bool
cron_tz_name_safe(const char *tz)
{
	size_t len = strlen(tz);

	if (len == 0 || len > CRON_TZ_NAME_MAX || tz[0] == '/' || tz[len - 1] == '/')
		return false;
	if (strstr(tz, "..") != NULL || strstr(tz, "//") != NULL)
		return false;
	for (const char *s = tz; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr("_+-/", *s) == NULL)
			return false;
	return true;
}

bool
cron_timezone_valid(const char *tz)
{
	char path[CRON_TZ_NAME_MAX + 256];
	char magic[4];
	struct stat st;
	bool ok;

	if (tz == NULL)
		return false;
	if (strcmp(tz, "UTC") == 0)
		return true;
	if (!cron_tz_name_safe(tz))
		return false;
	if ((size_t)snprintf(path, sizeof path, "%s/%s", cron_tzdir(), tz) >= sizeof path)
		return false;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	/* A regular file that starts like a zone: zoneinfo also holds
	 * "+VERSION", "zone.tab" and such, which glibc would take for UTC. */
	ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	     read(fd, magic, sizeof magic) == (ssize_t)sizeof magic &&
	     memcmp(magic, "TZif", 4) == 0;
	close(fd);
	return ok;
}

static cron_zone_t *cron_zones[CRON_ZONE_CACHE_MAX];
static size_t cron_zone_count;
static size_t cron_zone_last;  /* most recently used: the common hit */
static size_t cron_zone_evict; /* round robin once the cache is full */

/* What libc says about instant t under the current TZ. */
static int
cron_probe(int64_t t, cron_segment_t *out)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (localtime_r(&tt, &tm) == NULL)
		return -1;
	out->start = t;
	out->off = (int32_t)tm.tm_gmtoff;
	snprintf(out->abbr, sizeof out->abbr, "%s", tm.tm_zone != NULL ? tm.tm_zone : "?");
	return 0;
}

static bool
cron_segment_same(const cron_segment_t *a, const cron_segment_t *b)
{
	return a->off == b->off && strcmp(a->abbr, b->abbr) == 0;
}

/* Appends seg as a new segment; a full table ends the window there. */
static void
cron_zone_push(cron_zone_t *z, const cron_segment_t *seg)
{
	if (z->count == CRON_SEGMENTS_MAX) {
		if (seg->start < z->to)
			z->to = seg->start;
		return;
	}
	z->seg[z->count++] = *seg;
}

/* Fills z from libc under the current TZ: probe every CRON_PROBE_STEP_S and
 * bisect to the second where anything changed. */
static int
cron_zone_probe_all(cron_zone_t *z)
{
	cron_segment_t cur, next, mid;
	int64_t t = z->from;

	z->count = 0;
	if (cron_probe(t, &cur) != 0)
		return -1;
	cron_zone_push(z, &cur);
	while (t < z->to) {
		int64_t hi = t + CRON_PROBE_STEP_S < z->to ? t + CRON_PROBE_STEP_S : z->to;
		if (cron_probe(hi, &next) != 0)
			return -1;
		if (cron_segment_same(&cur, &next)) {
			t = hi;
			continue;
		}
		int64_t lo = t; /* lo is like cur, hi is not */
		while (hi - lo > 1) {
			int64_t m = lo + (hi - lo) / 2;
			if (cron_probe(m, &mid) != 0)
				return -1;
			if (cron_segment_same(&cur, &mid))
				lo = m;
			else
				hi = m;
		}
		if (cron_probe(hi, &cur) != 0)
			return -1;
		cron_zone_push(z, &cur);
		t = hi;
	}
	return 0;
}

/* Sets TZ to name for libc, probes, and puts the previous TZ back. */
static int
cron_zone_build(cron_zone_t *z, int64_t from, int64_t to)
{
	char want[CRON_TZ_NAME_MAX + 2];
	char *saved = NULL;
	const char *prev = getenv("TZ");
	int rc;

	z->from = from;
	z->to = to;
	if (strcmp(z->name, "UTC") == 0) {
		z->count = 1;
		z->seg[0] = (cron_segment_t){from, 0, "UTC"};
		return 0;
	}
	if (prev != NULL && (saved = strdup(prev)) == NULL)
		return -1;
	/* The ':' makes glibc read the file and never parse the name as a
	 * POSIX rule. */
	snprintf(want, sizeof want, ":%s", z->name);
	rc = setenv("TZ", want, 1);
	if (rc == 0) {
		tzset();
		rc = cron_zone_probe_all(z);
	}
	int restored = saved != NULL ? setenv("TZ", saved, 1) : unsetenv("TZ");
	tzset();
	free(saved);
	return rc == 0 && restored == 0 ? 0 : -1;
}

static cron_zone_t *
cron_zone_new(const char *tz)
{
	cron_zone_t *z = calloc(1, sizeof *z);

	if (z == NULL)
		return NULL;
	if ((z->name = strdup(tz)) == NULL) {
		free(z);
		return NULL;
	}
	return z;
}

static void
cron_zone_destroy(cron_zone_t **zp)
{
	if (*zp == NULL)
		return;
	free((*zp)->name);
	free(*zp);
	*zp = NULL;
}

/* The cached entry for tz, or a new one (checked for validity) in the cache;
 * NULL for an unknown zone or no memory. Its window may not fit yet. */
static cron_zone_t *
cron_zone_find(const char *tz)
{
	if (cron_zone_count > 0 && strcmp(cron_zones[cron_zone_last]->name, tz) == 0)
		return cron_zones[cron_zone_last];
	for (size_t i = 0; i < cron_zone_count; i++) {
		if (strcmp(cron_zones[i]->name, tz) == 0) {
			cron_zone_last = i;
			return cron_zones[i];
		}
	}
	if (!cron_timezone_valid(tz))
		return NULL;
	cron_zone_t *z = cron_zone_new(tz);
	if (z == NULL)
		return NULL;
	size_t slot = cron_zone_count;
	if (cron_zone_count == CRON_ZONE_CACHE_MAX) {
		slot = cron_zone_evict;
		cron_zone_evict = (cron_zone_evict + 1) % CRON_ZONE_CACHE_MAX;
		cron_zone_destroy(&cron_zones[slot]);
	} else {
		cron_zone_count++;
	}
	cron_zones[slot] = z;
	cron_zone_last = slot;
	z->to = z->from; /* empty window: built on first use */
	return z;
}

/* The zone table for tz covering [from, to], building it if needed. */
const cron_zone_t *
cron_zone_get(const char *tz, int64_t from, int64_t to)
{
	cron_zone_t *z = cron_zone_find(tz);

	if (z == NULL)
		return NULL;
	if (from >= z->from && to <= z->to)
		return z;
	if (cron_zone_build(z, from - CRON_WINDOW_BEFORE_S, from + CRON_WINDOW_AFTER_S) != 0) {
		z->to = z->from; /* half-built: rebuild next time */
		return NULL;
	}
	return from >= z->from && to <= z->to ? z : NULL;
}

/* Index of the segment in force at instant t. */
size_t
cron_zone_index(const cron_zone_t *z, int64_t t)
{
	size_t lo = 0, hi = z->count; /* seg[lo].start <= t, or lo == 0 */

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (z->seg[mid].start <= t)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* The fire instant of local wall time s: its first occurrence, or, when a
 * forward jump skips it, the instant of that jump. */
int64_t
cron_zone_instant(const cron_zone_t *z, int64_t s)
{
	/* Offsets lie within -24 h..+26 h, so s's instants lie in this span. */
	size_t i = cron_zone_index(z, s - 26 * 3600);
	size_t last = cron_zone_index(z, s + 24 * 3600);

	for (; i <= last; i++) {
		int64_t t = s - z->seg[i].off;
		bool after_start = i == 0 || t >= z->seg[i].start;
		bool before_end = i + 1 == z->count || t < z->seg[i + 1].start;
		if (after_start && before_end)
			return t;
		/* s falls in the gap this segment's end jumps over. */
		if (i + 1 < z->count && t >= z->seg[i + 1].start &&
		    s < z->seg[i + 1].start + z->seg[i + 1].off)
			return z->seg[i + 1].start;
	}
	return s - z->seg[last].off; /* not reached for a well-formed table */
}

int
cron_local_offset(const char *tz, int64_t t_s, int32_t *off)
{
	const cron_zone_t *z = cron_zone_get(tz, t_s, t_s);
	if (z == NULL)
		return -1;
	*off = z->seg[cron_zone_index(z, t_s)].off;
	return 0;
}

int
cron_local_instant(const char *tz, int64_t wall_s, int64_t *t_s)
{
	/* The table must cover the instants a wall time may mean (offsets
	 * lie within -24 h..+26 h). */
	const cron_zone_t *z = cron_zone_get(tz, wall_s - 26 * 3600, wall_s + 26 * 3600);
	if (z == NULL)
		return -1;
	*t_s = cron_zone_instant(z, wall_s);
	return 0;
}
