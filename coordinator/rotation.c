/* rotation: who is on call at an instant (see rotation.h).
 *
 * Wall times are local dates and times counted as seconds as if they were
 * UTC ("wall seconds"): a handoff every Monday at 09:00 is anchor + k *
 * 604800 in wall seconds, whatever the zone's offset that week. An instant
 * becomes a shift number by its wall time, checked against the instants of
 * the shift's two handoffs, so an hour repeated or skipped by DST puts the
 * handoff where a person's clock says it is. */
#include "rotation.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cron.h"

static const char *const day_names[7] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = floor_div(y, 400);
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int
day_index(const char *s, size_t len)
{
	if (len != 3)
		return -1;
	for (int i = 0; i < 7; i++)
		if (strncasecmp(s, day_names[i], 3) == 0)
			return i;
	return -1;
}

/* "HH:MM" exactly: 0 with minutes into the day, or -1. "24:00" is allowed
 * as the end of a day when end_ok. */
static int
parse_clock(const char *s, bool end_ok, int *minutes)
{
	if (strlen(s) != 5 || !isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
	    s[2] != ':' || !isdigit((unsigned char)s[3]) || !isdigit((unsigned char)s[4]))
		return -1;
	int h = (s[0] - '0') * 10 + (s[1] - '0');
	int m = (s[3] - '0') * 10 + (s[4] - '0');
	if (m > 59 || h > 24 || (h == 24 && (m != 0 || !end_ok)))
		return -1;
	*minutes = h * 60 + m;
	return 0;
}

int
rotation_parse_handoff(const char *text, int *wday, int *minute_of_day)
{
	const char *sp = strchr(text, ' ');
	*wday = -1;
	if (sp != NULL) {
		*wday = day_index(text, (size_t)(sp - text));
		if (*wday < 0)
			return -1;
		text = sp + 1;
	}
	return parse_clock(text, false, minute_of_day);
}

int
rotation_parse_days(const char *text, uint8_t *days)
{
	uint8_t set = 0;
	const char *p = text;
	while (*p != '\0') {
		size_t len = strcspn(p, ",");
		const char *dash = memchr(p, '-', len);
		int a, b;
		if (dash != NULL) {
			a = day_index(p, (size_t)(dash - p));
			b = day_index(dash + 1, len - (size_t)(dash + 1 - p));
		} else {
			a = b = day_index(p, len);
		}
		if (a < 0 || b < 0)
			return -1;
		for (int d = a;; d = (d + 1) % 7) { /* MON-FRI, or FRI-MON across the week's end */
			set |= (uint8_t)(1u << d);
			if (d == b)
				break;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	if (set == 0)
		return -1;
	*days = set;
	return 0;
}

int
rotation_parse_hours(const char *text, int32_t *from_s, int32_t *until_s)
{
	char a[8], b[8];
	int from, until;
	if (strlen(text) != 11 || text[5] != '-')
		return -1;
	memcpy(a, text, 5);
	a[5] = '\0';
	memcpy(b, text + 6, 5);
	b[5] = '\0';
	if (parse_clock(a, false, &from) != 0 || parse_clock(b, true, &until) != 0 || from == until)
		return -1;
	*from_s = from * 60;
	*until_s = until == 24 * 60 ? 0 : until * 60;
	if (*from_s == *until_s) /* 00:00-24:00: all day */
		*until_s = *from_s;
	return 0;
}

int
rotation_parse_date(const char *text, int64_t *wall_s)
{
	int y, m, d, used = 0;
	if (sscanf(text, "%4d-%2d-%2d%n", &y, &m, &d, &used) != 3 || used != 10 ||
	    text[used] != '\0' || m < 1 || m > 12 || d < 1 || d > 31 || y < 1970)
		return -1;
	*wall_s = days_from_civil(y, (unsigned)m, (unsigned)d) * ROTATION_SECONDS_PER_DAY;
	return 0;
}

int
rotation_parse_instant(const char *text, int64_t *ms)
{
	int y, mo, d, h, mi, s = 0, used = 0;
	if (sscanf(text, "%4d-%2d-%2dT%2d:%2d%n", &y, &mo, &d, &h, &mi, &used) != 5 || used != 16)
		return -1;
	const char *p = text + used;
	if (p[0] == ':') {
		if (!isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2]))
			return -1;
		s = (p[1] - '0') * 10 + (p[2] - '0');
		p += 3;
	}
	int off_min = 0;
	if (strcmp(p, "Z") == 0 || strcmp(p, "z") == 0) {
		off_min = 0;
	} else if ((p[0] == '+' || p[0] == '-') && strlen(p) == 6) {
		int oh, om;
		if (parse_clock(p + 1, false, &oh) != 0)
			return -1;
		om = oh;
		off_min = p[0] == '+' ? om : -om;
	} else {
		return -1;
	}
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59)
		return -1;
	int64_t secs = days_from_civil(y, (unsigned)mo, (unsigned)d) * ROTATION_SECONDS_PER_DAY +
	               h * 3600 + mi * 60 + s - off_min * 60;
	*ms = secs * 1000;
	return 0;
}

void
rotation_layer_anchor(rotation_layer_t *l, int64_t start_wall_s, int wday, int minute_of_day)
{
	/* 1970-01-05 was a Monday: weekly rotations without a start hand off
	 * on the same weeks wherever they are configured. */
	int64_t base = start_wall_s >= 0 ? start_wall_s : 4 * ROTATION_SECONDS_PER_DAY;
	if (wday >= 0) {
		int cur = (int)((floor_div(base, ROTATION_SECONDS_PER_DAY) + 4) % 7);
		base += ((wday - cur + 7) % 7) * (int64_t)ROTATION_SECONDS_PER_DAY;
	}
	l->anchor_wall_s = base + (int64_t)minute_of_day * 60;
}

/* The zone's wall time of instant t_s (UTC if the zone is unknown: the
 * configuration checked it). */
static int64_t
wall_of(const rotation_layer_t *l, int64_t t_s)
{
	int32_t off = 0;
	cron_local_offset(l->timezone, t_s, &off);
	return t_s + off;
}

static int64_t
instant_of(const rotation_layer_t *l, int64_t wall_s)
{
	int64_t t = wall_s;
	cron_local_instant(l->timezone, wall_s, &t);
	return t;
}

/* The shift number in force at t_s, and its start and end instants. */
static int64_t
layer_shift(const rotation_layer_t *l, int64_t t_s, int64_t *start, int64_t *end)
{
	int64_t k = floor_div(wall_of(l, t_s) - l->anchor_wall_s, l->shift_s);
	int64_t b0 = instant_of(l, l->anchor_wall_s + k * l->shift_s);
	if (t_s < b0) {
		k--;
	} else {
		int64_t b1 = instant_of(l, l->anchor_wall_s + (k + 1) * l->shift_s);
		if (t_s >= b1)
			k++;
	}
	*start = instant_of(l, l->anchor_wall_s + k * l->shift_s);
	*end = instant_of(l, l->anchor_wall_s + (k + 1) * l->shift_s);
	return k;
}

static bool
layer_active(const rotation_layer_t *l, int64_t t_s)
{
	int64_t w = wall_of(l, t_s);
	int64_t day = floor_div(w, ROTATION_SECONDS_PER_DAY);
	int64_t sod = w - day * ROTATION_SECONDS_PER_DAY;
	int wday = (int)(((day + 4) % 7 + 7) % 7);
	if (l->days != 0 && !(l->days & (1u << wday)))
		return false;
	if (l->hours_from_s == l->hours_until_s)
		return true;
	if (l->hours_from_s < l->hours_until_s)
		return sod >= l->hours_from_s && sod < l->hours_until_s;
	return sod >= l->hours_from_s || sod < l->hours_until_s;
}

static const char *
layer_person(const rotation_layer_t *l, int64_t t_s)
{
	int64_t start, end;
	int64_t k = layer_shift(l, t_s, &start, &end);
	int64_t n = (int64_t)l->people_count;
	return l->people[((k % n) + n) % n];
}

/* The override in force at at_ms, the later listed winning. */
static const rotation_override_t *
override_at(const rotation_t *r, rotation_extra_t extra, int64_t at_ms)
{
	const rotation_override_t *best = NULL;
	for (size_t i = 0; i < r->override_count; i++)
		if (r->overrides[i].from_ms <= at_ms && at_ms < r->overrides[i].until_ms)
			best = &r->overrides[i];
	for (size_t i = 0; i < extra.count; i++)
		if (extra.items[i].from_ms <= at_ms && at_ms < extra.items[i].until_ms)
			best = &extra.items[i];
	return best;
}

const char *
rotation_who(const rotation_t *r, rotation_extra_t extra, int64_t at_ms, bool *override)
{
	const rotation_override_t *o = override_at(r, extra, at_ms);
	if (override != NULL)
		*override = o != NULL;
	if (o != NULL)
		return o->person;
	int64_t t_s = floor_div(at_ms, 1000);
	const rotation_layer_t *best = NULL;
	for (size_t i = 0; i < r->layer_count; i++) {
		const rotation_layer_t *l = &r->layers[i];
		if (l->people_count > 0 && layer_active(l, t_s) &&
		    (best == NULL || l->priority >= best->priority))
			best = l;
	}
	return best ? layer_person(best, t_s) : NULL;
}

static void
earliest(int64_t *best, int64_t t, int64_t after)
{
	if (t > after && (*best < 0 || t < *best))
		*best = t;
}

/* The next instant after at_ms where anything could change: a handoff, a
 * layer's day or hours starting or ending, an override's ends. */
static int64_t
next_edge(const rotation_t *r, rotation_extra_t extra, int64_t at_ms)
{
	int64_t best = -1;
	int64_t t_s = floor_div(at_ms, 1000);
	for (size_t i = 0; i < r->layer_count; i++) {
		const rotation_layer_t *l = &r->layers[i];
		int64_t start, end;
		layer_shift(l, t_s, &start, &end);
		earliest(&best, end * 1000, at_ms);
		if (l->days == 0 && l->hours_from_s == l->hours_until_s)
			continue;
		int64_t day = floor_div(wall_of(l, t_s), ROTATION_SECONDS_PER_DAY);
		for (int64_t d = day; d <= day + 1; d++) {
			int64_t midnight = d * ROTATION_SECONDS_PER_DAY;
			earliest(&best, instant_of(l, midnight) * 1000, at_ms);
			earliest(&best, instant_of(l, midnight + l->hours_from_s) * 1000, at_ms);
			earliest(&best, instant_of(l, midnight + l->hours_until_s) * 1000, at_ms);
		}
	}
	for (size_t i = 0; i < r->override_count; i++) {
		earliest(&best, r->overrides[i].from_ms, at_ms);
		earliest(&best, r->overrides[i].until_ms, at_ms);
	}
	for (size_t i = 0; i < extra.count; i++) {
		earliest(&best, extra.items[i].from_ms, at_ms);
		earliest(&best, extra.items[i].until_ms, at_ms);
	}
	return best;
}

static bool
same_person(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

int64_t
rotation_next(const rotation_t *r, rotation_extra_t extra, int64_t at_ms, const char **next)
{
	const char *now = rotation_who(r, extra, at_ms, NULL);
	int64_t cur = at_ms;
	for (int i = 0; i < ROTATION_SCAN_MAX; i++) {
		int64_t e = next_edge(r, extra, cur);
		if (e < 0)
			break;
		const char *who = rotation_who(r, extra, e, NULL);
		if (!same_person(who, now)) {
			*next = who;
			return e;
		}
		cur = e;
	}
	*next = NULL;
	return -1;
}

size_t
rotation_shifts(const rotation_t *r, rotation_extra_t extra, int64_t from_ms, int64_t until_ms,
                rotation_shift_t *out, size_t max)
{
	size_t n = 0;
	int64_t cur = from_ms;
	while (cur < until_ms) {
		bool over = false;
		const char *who = rotation_who(r, extra, cur, &over);
		const char *next = NULL;
		int64_t e = rotation_next(r, extra, cur, &next);
		int64_t end = e < 0 || e > until_ms ? until_ms : e;
		if (who != NULL) {
			if (n < max)
				out[n] = (rotation_shift_t){who, cur, end, over};
			n++;
		}
		cur = end;
	}
	return n;
}

void
rotation_override_clear(rotation_override_t *o)
{
	if (o == NULL)
		return;
	free(o->person);
	free(o->by);
	memset(o, 0, sizeof(*o));
}

void
rotation_clear(rotation_t *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->layer_count; i++) {
		for (size_t p = 0; p < r->layers[i].people_count; p++)
			free(r->layers[i].people[p]);
		free(r->layers[i].people);
		free(r->layers[i].timezone);
	}
	free(r->layers);
	for (size_t i = 0; i < r->override_count; i++)
		rotation_override_clear(&r->overrides[i]);
	free(r->overrides);
	free(r->name);
	memset(r, 0, sizeof(*r));
}
