/* cron: parse 5-field cron expressions and find their next fire time in an
 * IANA timezone (semantics in cron.h).
 *
 * Fire times are searched on the local wall clock with plain calendar
 * arithmetic, then mapped to UTC through a per-zone table of UTC offsets.
 * The table is built once per zone (and time window) by asking libc, so the
 * zone rules are exactly the system's; building it needs TZ set to the zone
 * for a moment, and TZ is restored before any function here returns.
 *
 * Must never: leave TZ changed, read a file outside the zoneinfo directory,
 * loop without bound, or walk minute by minute over years. Not thread-safe:
 * the zone cache and the moment of TZ change are process-wide (every rota
 * daemon is one thread). */
#include "cron.h"
#include "cron_internal.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CRON_FIELD_COUNT 5
/* Times accepted by cron_next and cron_format: years 1900 to 9000. */
#define CRON_MIN_S ((int64_t)-2208988800)
#define CRON_MAX_S ((int64_t)221845392000)

/* ---- calendar arithmetic (proleptic Gregorian, no timezone) ---- */

static int64_t
cron_floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Days since 1970-01-01 of y-m-d (H. Hinnant's days_from_civil). */
static int64_t
cron_days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
cron_civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static bool
cron_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
cron_days_in_month(int y, int m)
{
	static const int days[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && cron_leap(y) ? 29 : days[m];
}

/* 0 = Sunday. 1970-01-01 was a Thursday. */
static int
cron_weekday(int64_t days)
{
	return (int)(((days % 7) + 11) % 7);
}

/* A local wall-clock minute, broken down. */
typedef struct {
	int year, month, day, hour, minute;
} cron_slot_t;

static void
cron_slot_from_seconds(int64_t s, cron_slot_t *slot)
{
	int64_t days = cron_floor_div(s, CRON_SECONDS_PER_DAY);
	int64_t rem = s - days * CRON_SECONDS_PER_DAY;
	cron_civil_from_days(days, &slot->year, &slot->month, &slot->day);
	slot->hour = (int)(rem / 3600);
	slot->minute = (int)(rem % 3600 / 60);
}

static int64_t
cron_slot_seconds(const cron_slot_t *slot)
{
	return cron_days_from_civil(slot->year, slot->month, slot->day) * CRON_SECONDS_PER_DAY +
	       slot->hour * 3600 + slot->minute * 60;
}

/* ---- parsing ---- */

typedef struct {
	const char *name;
	int min, max;
	const char *const *names; /* names[i] is value min + i */
	int name_count;
} cron_field_t;

static const char *const cron_month_names[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                               "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
static const char *const cron_wday_names[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

enum { CRON_MINUTE, CRON_HOUR, CRON_MDAY, CRON_MONTH, CRON_WDAY };

/* Day-of-week runs to 7 so that 7 (and SUN ending a range) means Sunday. */
static const cron_field_t cron_fields[CRON_FIELD_COUNT] = {
    {"minute", 0, 59, NULL, 0},
    {"hour", 0, 23, NULL, 0},
    {"day-of-month", 1, 31, NULL, 0},
    {"month", 1, 12, cron_month_names, 12},
    {"day-of-week", 0, 7, cron_wday_names, 7},
};

typedef struct {
	const char *name;
	const char *expansion;
} cron_macro_t;

static const cron_macro_t cron_macros[] = {
    {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
};
#define CRON_MACRO_COUNT (sizeof(cron_macros) / sizeof(cron_macros[0]))

/* Where a parse reports its error. */
typedef struct {
	const char *text; /* the whole expression, for columns */
	char *err;
	size_t errlen;
	int *column;
} cron_parser_t;

/* A field's text: [start, end) inside the expression. */
typedef struct {
	const char *start, *end;
} cron_span_t;

__attribute__((format(printf, 3, 4))) static int
cron_fail(cron_parser_t *p, const char *at, const char *fmt, ...)
{
	if (p->err != NULL && p->errlen > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(p->err, p->errlen, fmt, ap);
		va_end(ap);
	}
	if (p->column != NULL)
		*p->column = (int)(at - p->text) + 1;
	return -1;
}

/* Shows one offending character readably in a message. */
static void
cron_char_show(char c, char *buf, size_t len)
{
	if (isprint((unsigned char)c))
		snprintf(buf, len, "'%c'", c);
	else
		snprintf(buf, len, "byte 0x%02x", (unsigned char)c);
}

/* Reads a number or (for month and day-of-week) a name at *pp, before end.
 * *by_name tells a caller that SUN was written as a name. */
static int
cron_value_parse(cron_parser_t *p, const cron_field_t *f, cron_span_t field, const char **pp,
                 const char *end, int *out, bool *by_name)
{
	const char *s = *pp;
	const char *q = s;

	*by_name = false;
	if (q < end && isdigit((unsigned char)*q)) {
		long v = 0;
		while (q < end && isdigit((unsigned char)*q)) {
			if (v <= 100000)
				v = v * 10 + (*q - '0');
			q++;
		}
		if (v < f->min || v > f->max)
			return cron_fail(p, field.start, "%s: %.*s is out of range %d-%d", f->name,
			                 (int)(q - s), s, f->min, f->max);
		*pp = q;
		*out = (int)v;
		return 0;
	}
	while (q < end && isalpha((unsigned char)*q))
		q++;
	if (q == s) {
		char shown[16];
		if (s == end)
			return cron_fail(p, field.start, "%s: a value is missing", f->name);
		cron_char_show(*s, shown, sizeof shown);
		return cron_fail(p, field.start, "%s: unexpected %s", f->name, shown);
	}
	if (f->names == NULL)
		return cron_fail(p, field.start, "%s: '%.*s' is not a number", f->name,
		                 (int)(q - s), s);
	for (int i = 0; i < f->name_count; i++) {
		if (q - s == 3 && strncasecmp(s, f->names[i], 3) == 0) {
			*pp = q;
			*out = f->min + i;
			*by_name = true;
			return 0;
		}
	}
	return cron_fail(p, field.start, "%s: unknown name '%.*s'", f->name, (int)(q - s), s);
}

/* One list item: "*", "N", "N-M", "NAME-NAME", each with an optional "/S";
 * "N/S" means N to the field's maximum. Sets its values in *bits. */
static int
cron_item_parse(cron_parser_t *p, const cron_field_t *f, cron_span_t field, const char *s,
                const char *end, uint64_t *bits)
{
	int lo = f->min, hi = f->max, step = 1;
	const char *q = s;
	bool by_name;

	if (q == end)
		return cron_fail(p, field.start, "%s: empty list item", f->name);
	if (*q == '*') {
		q++;
		if (f == &cron_fields[CRON_WDAY])
			hi = 6; /* 7 is Sunday again */
	} else {
		if (cron_value_parse(p, f, field, &q, end, &lo, &by_name) != 0)
			return -1;
		hi = lo;
		if (q < end && *q == '-') {
			q++;
			if (cron_value_parse(p, f, field, &q, end, &hi, &by_name) != 0)
				return -1;
			/* "FRI-SUN": SUN closing a range is the 7 after SAT. */
			if (f == &cron_fields[CRON_WDAY] && by_name && hi == 0 && lo > 0)
				hi = 7;
		} else if (q < end && *q == '/') {
			hi = f->max;
		}
	}
	if (q < end && *q == '/') {
		const char *n = ++q;
		long v = 0;
		while (q < end && isdigit((unsigned char)*q)) {
			if (v <= 100000)
				v = v * 10 + (*q - '0');
			q++;
		}
		if (q == n)
			return cron_fail(p, field.start, "%s: '/' must be followed by a step",
			                 f->name);
		if (v < 1 || v > f->max - f->min + 1)
			return cron_fail(p, field.start, "%s: step %.*s is out of range 1-%d",
			                 f->name, (int)(q - n), n, f->max - f->min + 1);
		step = (int)v;
	}
	if (q < end) {
		char shown[16];
		cron_char_show(*q, shown, sizeof shown);
		return cron_fail(p, field.start, "%s: unexpected %s", f->name, shown);
	}
	/* A range whose end is below its start wraps around the field's end
	 * (FRI-MON, NOV-FEB, 22-2); a step counts on through the wrap. */
	int span = hi >= lo ? hi - lo : f->max - lo + 1 + hi - f->min;
	for (int k = 0; k <= span; k += step) {
		int v = lo + k;
		if (v > f->max)
			v -= f->max - f->min + 1;
		*bits |= 1ULL << v;
	}
	return 0;
}

/* "L" in day-of-month: the last day of each month. */
static int
cron_item_last(cron_parser_t *p, const cron_field_t *f, cron_span_t field, const char *s,
               const char *end, cron_t *out)
{
	if (end - s != 1)
		return cron_fail(p, field.start, "%s: 'L' stands alone (the last day of the month)",
		                 f->name);
	out->mday_last = true;
	return 0;
}

/* "DAY#N" in day-of-week: the Nth such weekday of the month (1-5). */
static int
cron_item_nth(cron_parser_t *p, const cron_field_t *f, cron_span_t field, const char *s,
              const char *hash, const char *end, cron_t *out)
{
	int day;
	bool by_name;
	const char *q = s;

	if (hash > s && (memchr(s, '-', (size_t)(hash - s)) != NULL ||
	                 memchr(s, '/', (size_t)(hash - s)) != NULL || *s == '*'))
		return cron_fail(p, field.start, "%s: '#' takes one day, not a range or step",
		                 f->name);
	if (cron_value_parse(p, f, field, &q, hash, &day, &by_name) != 0)
		return -1;
	if (q != hash) {
		char shown[16];
		cron_char_show(*q, shown, sizeof shown);
		return cron_fail(p, field.start, "%s: unexpected %s", f->name, shown);
	}
	const char *n = hash + 1;
	if (n == end || !isdigit((unsigned char)*n))
		return cron_fail(p, field.start, "%s: '#' must be followed by 1-5", f->name);
	long v = 0;
	for (q = n; q < end && isdigit((unsigned char)*q); q++)
		if (v <= 100000)
			v = v * 10 + (*q - '0');
	if (q != end) {
		char shown[16];
		cron_char_show(*q, shown, sizeof shown);
		return cron_fail(p, field.start, "%s: unexpected %s", f->name, shown);
	}
	if (v < 1 || v > 5)
		return cron_fail(p, field.start,
		                 "%s: #%.*s is out of range 1-5 (the nth weekday of the month)",
		                 f->name, (int)(end - n), n);
	out->wday_nth[day % 7] |= (uint8_t)(1u << v);
	return 0;
}

/* A comma-separated list of items into a bit set of values; "L" and
 * "DAY#N" into out's calendar flags. */
static int
cron_field_parse(cron_parser_t *p, int index, cron_span_t field, uint64_t *bits, cron_t *out)
{
	const cron_field_t *f = &cron_fields[index];
	const char *s = field.start;

	*bits = 0;
	for (;;) {
		const char *comma = memchr(s, ',', (size_t)(field.end - s));
		const char *item_end = comma != NULL ? comma : field.end;
		const char *hash = memchr(s, '#', (size_t)(item_end - s));
		int rc;
		if (index == CRON_MDAY && (*s == 'L' || *s == 'l'))
			rc = cron_item_last(p, f, field, s, item_end, out);
		else if (index == CRON_WDAY && hash != NULL)
			rc = cron_item_nth(p, f, field, s, hash, item_end, out);
		else
			rc = cron_item_parse(p, f, field, s, item_end, bits);
		if (rc != 0)
			return -1;
		if (comma == NULL)
			return 0;
		s = comma + 1;
	}
}

/* Splits text at blanks into at most max spans; returns how many there were
 * (which may exceed max). */
static int
cron_split(const char *text, cron_span_t *spans, int max)
{
	int n = 0;
	const char *s = text;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			return n;
		const char *e = s;
		while (*e != '\0' && *e != ' ' && *e != '\t')
			e++;
		if (n < max)
			spans[n] = (cron_span_t){s, e};
		n++;
		s = e;
	}
}

/* Day bits of one month (bit d = day d) that match the day fields. */
static uint32_t
cron_month_days(const cron_t *c, int year, int month)
{
	int dim = cron_days_in_month(year, month);
	uint32_t valid = (uint32_t)(((1ULL << (dim + 1)) - 1) & ~1ULL);
	uint32_t dow = 0;

	if (c->wdays == 0x7f) {
		/* Every weekday ('*', the common case): every day, without
		 * walking the month (a yearly schedule's next slot walks 12). */
		dow = valid;
	} else {
		int wd = cron_weekday(cron_days_from_civil(year, month, 1));
		for (int d = 1; d <= dim; d++, wd = (wd + 1) % 7)
			if ((c->wdays & (1u << wd)) || (c->wday_nth[wd] & (1u << ((d + 6) / 7))))
				dow |= 1u << d;
	}
	uint32_t dom = c->mdays | (c->mday_last ? 1u << dim : 0);
	if (c->mday_star || c->wday_star)
		return dom & dow & valid;
	return (dom | dow) & valid;
}

/* True when some day of some year matches. 2001-2028 holds every pairing of
 * weekday, month length and leap year that 1901-2099 has. */
static bool
cron_ever_fires(const cron_t *c)
{
	bool nth = false;
	for (int d = 0; d < 7; d++)
		nth = nth || c->wday_nth[d] != 0;
	if (!c->mday_star && !c->wday_star && !nth)
		return true; /* OR rule: every month has every weekday */
	for (int y = 2001; y <= 2028; y++)
		for (int m = 1; m <= 12; m++)
			if ((c->months & (1u << m)) && cron_month_days(c, y, m) != 0)
				return true;
	return false;
}

static int
cron_fields_parse(cron_parser_t *p, const cron_span_t *spans, cron_t *out)
{
	uint64_t bits[CRON_FIELD_COUNT];
	cron_t flags = {0}; /* mday_last and wday_nth */

	for (int i = 0; i < CRON_FIELD_COUNT; i++)
		if (cron_field_parse(p, i, spans[i], &bits[i], &flags) != 0)
			return -1;
	*out = (cron_t){
	    .minutes = bits[CRON_MINUTE],
	    .hours = (uint32_t)bits[CRON_HOUR],
	    .mdays = (uint32_t)bits[CRON_MDAY],
	    .months = (uint16_t)bits[CRON_MONTH],
	    /* 7 is Sunday */
	    .wdays = (uint8_t)((bits[CRON_WDAY] & 0x7f) | ((bits[CRON_WDAY] >> 7) & 1)),
	    /* Like Vixie cron and cronie, a field that starts with '*' ("*",
	     * "*\/2") is unrestricted for the OR rule. */
	    .mday_star = *spans[CRON_MDAY].start == '*',
	    .wday_star = *spans[CRON_WDAY].start == '*',
	    /* cronie's test for a job that goes by elapsed time across DST */
	    .wild = *spans[CRON_MINUTE].start == '*' || *spans[CRON_HOUR].start == '*',
	    .mday_last = flags.mday_last,
	};
	memcpy(out->wday_nth, flags.wday_nth, sizeof(out->wday_nth));
	if (!cron_ever_fires(out))
		return cron_fail(p, spans[CRON_MDAY].start,
		                 "day-of-month: no selected day exists in the selected months, "
		                 "so the expression never fires");
	return 0;
}

static int
cron_macro_parse(cron_parser_t *p, const cron_span_t *spans, int count, cron_t *out)
{
	const cron_macro_t *macro = NULL;
	size_t len = (size_t)(spans[0].end - spans[0].start);
	cron_span_t expanded[CRON_FIELD_COUNT];

	for (size_t i = 0; i < CRON_MACRO_COUNT; i++)
		if (strlen(cron_macros[i].name) == len &&
		    strncasecmp(spans[0].start, cron_macros[i].name, len) == 0)
			macro = &cron_macros[i];
	if (macro == NULL)
		return cron_fail(p, spans[0].start, "unknown macro '%.*s'", (int)len,
		                 spans[0].start);
	if (count > 1)
		return cron_fail(p, spans[1].start, "unexpected '%.*s' after %s",
		                 (int)(spans[1].end - spans[1].start), spans[1].start, macro->name);
	/* Macros are well-formed, so errors can only point at the macro. */
	cron_parser_t inner = {macro->expansion, p->err, p->errlen, NULL};
	if (cron_split(macro->expansion, expanded, CRON_FIELD_COUNT) != CRON_FIELD_COUNT)
		return cron_fail(p, spans[0].start, "macro %s is malformed", macro->name);
	return cron_fields_parse(&inner, expanded, out);
}

int
cron_parse(const char *text, cron_t *out, char *err, size_t errlen, int *column)
{
	cron_parser_t p = {text, err, errlen, column};
	cron_span_t spans[CRON_FIELD_COUNT];
	int count;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (column != NULL)
		*column = 0;
	if (text == NULL || out == NULL) {
		p.text = "";
		return cron_fail(&p, p.text, "no expression");
	}
	count = cron_split(text, spans, CRON_FIELD_COUNT);
	if (count > 0 && *spans[0].start == '@')
		return cron_macro_parse(&p, spans,
		                        count < CRON_FIELD_COUNT ? count : CRON_FIELD_COUNT, out);
	if (count != CRON_FIELD_COUNT)
		return cron_fail(
		    &p, count > CRON_FIELD_COUNT ? spans[0].start : text + strspn(text, " \t"),
		    "expected 5 fields (minute hour day-of-month month day-of-week), got %d",
		    count);
	return cron_fields_parse(&p, spans, out);
}

/* ---- matching ---- */

/* The lowest set bit of mask at or above from, or -1. */
static int
cron_bit_next(uint64_t mask, int from)
{
	if (from >= 64)
		return -1;
	mask &= ~0ULL << from;
	return mask == 0 ? -1 : __builtin_ctzll(mask);
}

static void
cron_slot_next_day(cron_slot_t *slot)
{
	slot->hour = 0;
	slot->minute = 0;
	if (++slot->day > cron_days_in_month(slot->year, slot->month)) {
		slot->day = 1;
		if (++slot->month > 12) {
			slot->month = 1;
			slot->year++;
		}
	}
}

/* Moves slot to the first matching local minute at or after it, jumping by
 * month, day and hour where those do not match. Returns -1 past last_year. */
static int
cron_slot_match(const cron_t *c, cron_slot_t *slot, int last_year)
{
	while (slot->year <= last_year) {
		int m = cron_bit_next(c->months, slot->month);
		if (m != slot->month) {
			if (m < 0) {
				slot->year++;
				m = cron_bit_next(c->months, 1);
			}
			*slot = (cron_slot_t){slot->year, m, 1, 0, 0};
			continue;
		}
		uint32_t days = cron_month_days(c, slot->year, slot->month);
		int d = cron_bit_next(days, slot->day);
		if (d != slot->day) {
			if (d < 0) {
				slot->day = cron_days_in_month(slot->year, slot->month);
				cron_slot_next_day(slot);
			} else {
				*slot = (cron_slot_t){slot->year, slot->month, d, 0, 0};
			}
			continue;
		}
		int h = cron_bit_next(c->hours, slot->hour);
		if (h < 0) {
			cron_slot_next_day(slot);
			continue;
		}
		if (h != slot->hour) {
			slot->hour = h;
			slot->minute = 0;
		}
		int mi = cron_bit_next(c->minutes, slot->minute);
		if (mi < 0) {
			slot->minute = 0;
			if (++slot->hour == 24)
				cron_slot_next_day(slot);
			continue;
		}
		slot->minute = mi;
		return 0;
	}
	return -1;
}

static bool
cron_valid(const cron_t *c)
{
	if (c == NULL)
		return false;
	uint8_t nth = 0;
	for (int d = 0; d < 7; d++)
		nth |= c->wday_nth[d];
	return c->minutes != 0 && c->hours != 0 && (c->mdays != 0 || c->mday_last) &&
	       c->months != 0 && (c->wdays != 0 || nth != 0);
}

/* No fire time (cron_next_fixed and _wild; instants before 1970 are
 * negative, so not -1). */
#define CRON_NONE INT64_MIN

/* A fixed-time job: every matching local minute maps to one instant (its
 * first occurrence, or the jump that skips it). */
static int64_t
cron_next_fixed(const cron_t *c, const cron_zone_t *z, int64_t after)
{
	cron_slot_t slot;
	/* Local minutes up to after's own wall clock fire at or before after
	 * (the first occurrence of a repeated time is the earlier one), so
	 * start at the next local minute. */
	int64_t local = after + z->seg[cron_zone_index(z, after)].off;
	cron_slot_from_seconds(cron_floor_div(local, 60) * 60 + 60, &slot);
	int last_year = slot.year + 6;
	for (;;) {
		if (cron_slot_match(c, &slot, last_year) != 0)
			return CRON_NONE;
		int64_t t = cron_zone_instant(z, cron_slot_seconds(&slot));
		if (t > after + CRON_HORIZON_S)
			return CRON_NONE;
		/* Only a repeated hour's second pass maps to instants at or
		 * before after: each such slot fired at its first occurrence. */
		if (t > after)
			return t;
		cron_slot_from_seconds(cron_slot_seconds(&slot) + 60, &slot);
	}
}

/* A wildcard job: the instants after `after` whose local minute matches,
 * segment by segment of the zone's offsets, so a repeated local minute
 * fires in each segment it occurs in and a skipped one in none. */
static int64_t
cron_next_wild(const cron_t *c, const cron_zone_t *z, int64_t after)
{
	cron_slot_t slot;
	size_t i = cron_zone_index(z, after);
	int64_t from = after + 1; /* the first instant this segment may give */

	for (;;) {
		int64_t local = from + z->seg[i].off;
		/* The first whole local minute at or after from. */
		cron_slot_from_seconds(cron_floor_div(local + 59, 60) * 60, &slot);
		if (cron_slot_match(c, &slot, slot.year + 6) != 0)
			return CRON_NONE;
		int64_t t = cron_slot_seconds(&slot) - z->seg[i].off;
		if (t > after + CRON_HORIZON_S)
			return CRON_NONE;
		if (i + 1 == z->count || t < z->seg[i + 1].start)
			return t;
		from = z->seg[++i].start;
	}
}

int64_t
cron_next(const cron_t *c, const char *tz, int64_t after_ms)
{
	int64_t after = cron_floor_div(after_ms, 1000); /* t*1000 > after_ms iff t > after */

	if (!cron_valid(c) || tz == NULL || after < CRON_MIN_S || after > CRON_MAX_S)
		return -1;
	const cron_zone_t *z = cron_zone_get(tz, after, after + CRON_HORIZON_S);
	if (z == NULL)
		return -1;
	int64_t t = c->wild ? cron_next_wild(c, z, after) : cron_next_fixed(c, z, after);
	return t == CRON_NONE ? -1 : t * 1000;
}

int
cron_format(int64_t ms, const char *tz, char *buf, size_t len)
{
	int64_t t = cron_floor_div(ms, 1000);
	cron_slot_t slot;

	if (buf == NULL || len == 0)
		return -1;
	const cron_zone_t *z =
	    tz != NULL && t >= CRON_MIN_S && t <= CRON_MAX_S ? cron_zone_get(tz, t, t) : NULL;
	if (z == NULL) {
		snprintf(buf, len, "?");
		return -1;
	}
	const cron_segment_t *seg = &z->seg[cron_zone_index(z, t)];
	int64_t local = t + seg->off;
	cron_slot_from_seconds(local, &slot);
	int n = snprintf(buf, len, "%04d-%02d-%02d %02d:%02d:%02d %s", slot.year, slot.month,
	                 slot.day, slot.hour, slot.minute,
	                 (int)(local - cron_floor_div(local, 60) * 60), seg->abbr);
	if (n < 0 || (size_t)n >= len) {
		snprintf(buf, len, "?");
		return -1;
	}
	return 0;
}
