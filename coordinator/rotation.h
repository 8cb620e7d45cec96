/* rotation: who is on call at an instant, as plain data and arithmetic.
 *
 * A rotation is one or more layers and a list of overrides. A layer hands
 * the pager from one person to the next every `shift` of wall-clock time,
 * at its handoff time in its timezone ("MON 09:00" Europe/London is 09:00
 * London time every Monday, GMT or BST alike, so a weekly shift across a
 * DST change lasts 167 or 169 hours). A layer may be restricted to some
 * days and hours (a business-hours layer over a 24/7 one); where several
 * layers are active, the highest priority wins (the later one on a tie).
 * An override (a person from an instant until another) beats every layer;
 * the later of two overlapping overrides wins.
 *
 * Pure: no I/O, no clock, no allocation but the caller's. Zone offsets come
 * from the cron module's cache (common/cron.h), so this is not
 * thread-safe, like cron_next.
 *
 * Must never: loop without bound on a rotation nobody covers, or guess a
 * person when none is on call (NULL says so). */
#ifndef ROTA_ROTATION_H
#define ROTA_ROTATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ROTATION_SECONDS_PER_DAY 86400
/* Shifts from an hour to a year: shorter is a typo, longer is not a rota. */
#define ROTATION_SHIFT_MIN_S 3600
#define ROTATION_SHIFT_MAX_S (366LL * ROTATION_SECONDS_PER_DAY)
/* Change points looked at by rotation_next before giving up: a rotation
 * with one person and weekly shifts has 52 a year that change nothing. */
#define ROTATION_SCAN_MAX 4096

typedef struct {
	char **people; /* owned: in the order of the shifts */
	size_t people_count;
	int64_t shift_s; /* wall-clock seconds from one handoff to the next */
	/* The first handoff, as local wall time counted as if it were UTC
	 * (people[0] takes the shift starting there). */
	int64_t anchor_wall_s;
	char *timezone; /* owned: an IANA zone; "UTC" by default */
	int priority;   /* the higher wins where layers overlap */
	uint8_t days;   /* bit d (0 = Sunday) set: active that day; 0 = every day */
	/* Active from .. until, seconds into the local day; equal: all day.
	 * until < from wraps past midnight (a night layer). */
	int32_t hours_from_s, hours_until_s;
} rotation_layer_t;

typedef struct {
	char *person; /* owned */
	int64_t from_ms, until_ms;
	char *by; /* owned: who set it ("config" for the file's); may be NULL */
} rotation_override_t;

typedef struct {
	char *name;               /* owned */
	rotation_layer_t *layers; /* owned */
	size_t layer_count;
	rotation_override_t *overrides; /* owned: the configuration's */
	size_t override_count;
} rotation_t;

/* Overrides kept elsewhere (the store's, from rota oncall override),
 * lent to a question; may be NULL with count 0. */
typedef struct {
	const rotation_override_t *items;
	size_t count;
} rotation_extra_t;

/* One shift as a calendar shows it: who from when until when. */
typedef struct {
	const char *person; /* borrowed from the rotation */
	int64_t from_ms, until_ms;
	bool override;
} rotation_shift_t;

/* "MON 09:00" (a weekday and a time) or "09:00": 0 with *wday (-1 when no
 * day is given, 0 = Sunday) and *minute_of_day, or -1. */
int rotation_parse_handoff(const char *text, int *wday, int *minute_of_day);
/* "MON-FRI", "SAT,SUN" or "MON": 0 with the bit set of rotation_layer_t.days, or -1. */
int rotation_parse_days(const char *text, uint8_t *days);
/* "09:00-17:00": 0 with both ends in seconds of the day, or -1. */
int rotation_parse_hours(const char *text, int32_t *from_s, int32_t *until_s);
/* "2026-12-07": 0 with the local wall seconds of its midnight, or -1. */
int rotation_parse_date(const char *text, int64_t *wall_s);
/* "2026-12-08T10:00:00Z" or with "+01:00": 0 with ms since the epoch, or -1. */
int rotation_parse_instant(const char *text, int64_t *ms);
/* Sets l->anchor_wall_s from a start date (wall seconds of its midnight, or
 * -1 for none: a Monday in 1970) and the handoff; a weekday moves the
 * anchor forward to that day. */
void rotation_layer_anchor(rotation_layer_t *l, int64_t start_wall_s, int wday, int minute_of_day);

/* Who is on call at at_ms: a name borrowed from r (or extra), or NULL when
 * no layer is active and no override covers it. *override (may be NULL)
 * says whether an override put them there. */
const char *rotation_who(const rotation_t *r, rotation_extra_t extra, int64_t at_ms,
                         bool *override);
/* The next instant after at_ms at which who is on call changes (-1 when it
 * does not within ROTATION_SCAN_MAX change points), and who it is then
 * (*next: borrowed, NULL for nobody). */
int64_t rotation_next(const rotation_t *r, rotation_extra_t extra, int64_t at_ms,
                      const char **next);
/* The shifts covering [from_ms, until_ms), in order, cut at both ends; gaps
 * where nobody is on call are left out. Writes at most max; returns how
 * many there are (may exceed max). */
size_t rotation_shifts(const rotation_t *r, rotation_extra_t extra, int64_t from_ms,
                       int64_t until_ms, rotation_shift_t *out, size_t max);

/* Frees what r owns and zeroes it; NULL is harmless. */
void rotation_clear(rotation_t *r);
void rotation_override_clear(rotation_override_t *o);

#endif
