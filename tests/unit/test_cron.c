/* test_cron: what a schedule line means, when it fires (DST included), and
 * what is refused with which message. Every expected time was worked out by
 * hand from the calendar and the zone's rules, not read back from the code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "cron.h"

/* "2026-03-08T07:00:00Z" to ms since the epoch. */
static int64_t
iso_ms(const char *iso)
{
	struct tm tm = {0};
	char z = 0;

	if (sscanf(iso, "%d-%d-%dT%d:%d:%d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
	           &tm.tm_min, &tm.tm_sec, &z) != 7 ||
	    z != 'Z')
		fail_msg("bad ISO time in the test: %s", iso);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm) * 1000;
}

static void
ms_iso(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms < 0) {
		snprintf(buf, len, "%lld", (long long)ms);
		return;
	}
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static cron_t
parse_ok(const char *expr)
{
	cron_t c;
	char err[128] = "";
	int column = -1;

	if (cron_parse(expr, &c, err, sizeof err, &column) != 0)
		fail_msg("'%s' refused: %s (column %d)", expr, err, column);
	return c;
}

typedef struct {
	const char *expr;
	const char *tz;
	const char *after;
	const char *next; /* NULL: none within five years */
} next_case_t;

static void
check_next_cases(const next_case_t *cases, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		const next_case_t *k = &cases[i];
		cron_t c = parse_ok(k->expr);
		int64_t got = cron_next(&c, k->tz, iso_ms(k->after));
		int64_t want = k->next != NULL ? iso_ms(k->next) : -1;
		if (got != want) {
			char shown[32];
			ms_iso(got, shown, sizeof shown);
			fail_msg("'%s' in %s after %s: got %s, want %s", k->expr, k->tz, k->after,
			         shown, k->next != NULL ? k->next : "-1");
		}
	}
}

#define CASES(a) check_next_cases((a), sizeof(a) / sizeof((a)[0]))

static void
test_macros(void **state)
{
	static const next_case_t cases[] = {
	    {"@hourly", "UTC", "2026-05-10T10:20:00Z", "2026-05-10T11:00:00Z"},
	    {"@daily", "UTC", "2026-05-10T10:20:00Z", "2026-05-11T00:00:00Z"},
	    /* midnight BST on 2 July is 23:00 UTC on 1 July */
	    {"@midnight", "Europe/London", "2026-07-01T12:00:00Z", "2026-07-01T23:00:00Z"},
	    /* 2026-05-10 is a Sunday: the next Sunday midnight */
	    {"@weekly", "UTC", "2026-05-10T10:20:00Z", "2026-05-17T00:00:00Z"},
	    {"@monthly", "UTC", "2026-05-10T10:20:00Z", "2026-06-01T00:00:00Z"},
	    {"@yearly", "UTC", "2026-05-10T10:20:00Z", "2027-01-01T00:00:00Z"},
	    {"@annually", "America/New_York", "2026-05-10T10:20:00Z", "2027-01-01T05:00:00Z"},
	    {"@Daily", "Asia/Tokyo", "2026-05-10T10:20:00Z", "2026-05-10T15:00:00Z"},
	};
	(void)state;
	CASES(cases);
}

static void
test_ranges_lists_steps_names(void **state)
{
	static const next_case_t cases[] = {
	    {"* * * * *", "UTC", "2026-05-10T10:20:30Z", "2026-05-10T10:21:00Z"},
	    {"*/15 * * * *", "UTC", "2026-05-10T10:20:00Z", "2026-05-10T10:30:00Z"},
	    {"10-50/10 * * * *", "UTC", "2026-05-10T10:50:00Z", "2026-05-10T11:10:00Z"},
	    /* 5/10 is 5-59/10 */
	    {"5/10 * * * *", "UTC", "2026-05-10T10:56:00Z", "2026-05-10T11:05:00Z"},
	    {"0 */6 * * *", "UTC", "2026-05-10T10:20:00Z", "2026-05-10T12:00:00Z"},
	    {"0 9,17 * * *", "UTC", "2026-05-10T09:00:00Z", "2026-05-10T17:00:00Z"},
	    /* Saturday 9 May -> Monday 11 May */
	    {"0 9 * * MON-FRI", "UTC", "2026-05-09T12:00:00Z", "2026-05-11T09:00:00Z"},
	    {"0 9 * * sat,Sun", "UTC", "2026-05-11T00:00:00Z", "2026-05-16T09:00:00Z"},
	    {"0 9 * * 7", "UTC", "2026-05-11T00:00:00Z", "2026-05-17T09:00:00Z"},
	    /* FRI-SUN covers Sunday too */
	    {"0 22 * * FRI-SUN", "UTC", "2026-05-16T23:00:00Z", "2026-05-17T22:00:00Z"},
	    {"0 22 * * 5-7", "UTC", "2026-05-11T00:00:00Z", "2026-05-15T22:00:00Z"},
	    /* JAN-MAR/2 is January and March */
	    {"0 0 1 jan-mar/2 *", "UTC", "2026-01-15T00:00:00Z", "2026-03-01T00:00:00Z"},
	    {"0 12 * JUL *", "UTC", "2026-05-10T00:00:00Z", "2026-07-01T12:00:00Z"},
	    {"30 4 1,15 * *", "UTC", "2026-05-02T00:00:00Z", "2026-05-15T04:30:00Z"},
	    {"0 8 * * 1-5", "Europe/London", "2026-11-20T09:00:00Z", "2026-11-23T08:00:00Z"},
	};
	(void)state;
	CASES(cases);
}

/* Calendars cron's OR rule cannot say: the nth weekday of a month, the
 * last day of a month, and ranges that wrap around the field's end. */
static void
test_calendar_extensions(void **state)
{
	static const next_case_t cases[] = {
	    /* the first Monday: 7 December 2026, then 4 January 2027 */
	    {"0 9 * * MON#1", "UTC", "2026-12-01T00:00:00Z", "2026-12-07T09:00:00Z"},
	    {"0 9 * * MON#1", "UTC", "2026-12-07T09:00:00Z", "2027-01-04T09:00:00Z"},
	    {"0 9 * * 1#1", "UTC", "2026-12-01T00:00:00Z", "2026-12-07T09:00:00Z"},
	    /* the third Friday, and Sunday as 7 */
	    {"0 0 * * fri#3", "UTC", "2026-12-01T00:00:00Z", "2026-12-18T00:00:00Z"},
	    {"0 0 * * 7#2", "UTC", "2026-12-01T00:00:00Z", "2026-12-13T00:00:00Z"},
	    /* a fifth Monday: only in months that have one (March 2027) */
	    {"0 0 * * MON#5", "UTC", "2026-12-01T00:00:00Z", "2027-03-29T00:00:00Z"},
	    /* first Monday in a list with every Friday */
	    {"0 9 * * MON#1,FRI", "UTC", "2026-12-05T00:00:00Z", "2026-12-07T09:00:00Z"},
	    {"0 9 * * MON#1,FRI", "UTC", "2026-12-07T10:00:00Z", "2026-12-11T09:00:00Z"},
	    /* OR rule with a restricted day of month, as any day-of-week */
	    {"0 0 15 * MON#1", "UTC", "2026-12-08T00:00:00Z", "2026-12-15T00:00:00Z"},
	    /* the last day of the month, February and leap years included */
	    {"0 23 L * *", "UTC", "2026-12-06T00:00:00Z", "2026-12-31T23:00:00Z"},
	    {"0 23 L * *", "UTC", "2027-02-01T00:00:00Z", "2027-02-28T23:00:00Z"},
	    {"0 23 L * *", "UTC", "2028-02-01T00:00:00Z", "2028-02-29T23:00:00Z"},
	    {"0 0 15,L * *", "UTC", "2026-04-16T00:00:00Z", "2026-04-30T00:00:00Z"},
	    /* wrap-around ranges: Friday to Monday, November to February */
	    {"0 9 * * FRI-MON", "UTC", "2026-12-08T00:00:00Z", "2026-12-11T09:00:00Z"},
	    {"0 9 * * FRI-MON", "UTC", "2026-12-13T09:00:00Z", "2026-12-14T09:00:00Z"},
	    {"0 9 * * FRI-MON", "UTC", "2026-12-14T09:00:00Z", "2026-12-18T09:00:00Z"},
	    {"0 0 1 NOV-FEB *", "UTC", "2027-02-15T00:00:00Z", "2027-11-01T00:00:00Z"},
	    {"0 0 1 NOV-FEB *", "UTC", "2026-12-15T00:00:00Z", "2027-01-01T00:00:00Z"},
	    {"0 22-1 * * *", "UTC", "2026-12-06T23:30:00Z", "2026-12-07T00:00:00Z"},
	    {"0 22-1 * * *", "UTC", "2026-12-07T01:00:00Z", "2026-12-07T22:00:00Z"},
	    /* a step through the wrap: 22, 0, 2 */
	    {"0 22-3/2 * * *", "UTC", "2026-12-06T22:30:00Z", "2026-12-07T00:00:00Z"},
	    {"0 22-3/2 * * *", "UTC", "2026-12-07T00:00:00Z", "2026-12-07T02:00:00Z"},
	    {"0 22-3/2 * * *", "UTC", "2026-12-07T02:00:00Z", "2026-12-07T22:00:00Z"},
	};
	(void)state;
	CASES(cases);
}

static void
test_day_of_month_or_day_of_week(void **state)
{
	static const next_case_t cases[] = {
	    /* both restricted: the 13th (a Wednesday) or any Friday */
	    {"0 0 13 * FRI", "UTC", "2026-05-10T00:00:00Z", "2026-05-13T00:00:00Z"},
	    {"0 0 13 * FRI", "UTC", "2026-05-13T00:00:00Z", "2026-05-15T00:00:00Z"},
	    {"0 0 1 * MON", "UTC", "2026-05-01T00:00:00Z", "2026-05-04T00:00:00Z"},
	    /* 31 only in April and June, or a Monday: the OR keeps it alive */
	    {"0 0 31 4,6 1", "UTC", "2026-04-01T00:00:00Z", "2026-04-06T00:00:00Z"},
	    /* a DOM starting with '*' is unrestricted: odd days AND Mondays
	     * (18 May is even, 25 May odd) */
	    {"0 0 */2 * MON", "UTC", "2026-05-11T00:00:00Z", "2026-05-25T00:00:00Z"},
	};
	(void)state;
	CASES(cases);
}

static void
test_month_ends_and_leap_days(void **state)
{
	static const next_case_t cases[] = {
	    {"0 0 31 * *", "UTC", "2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z"},
	    {"0 0 31 * *", "UTC", "2026-05-31T00:00:00Z", "2026-07-31T00:00:00Z"},
	    {"0 0 30 * *", "UTC", "2026-01-30T00:00:00Z", "2026-03-30T00:00:00Z"},
	    {"0 0 29 2 *", "UTC", "2026-01-01T00:00:00Z", "2028-02-29T00:00:00Z"},
	    {"0 0 29 2 *", "Europe/London", "2026-03-01T00:00:00Z", "2028-02-29T00:00:00Z"},
	    {"0 0 29 2 *", "UTC", "2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"},
	    /* 1 February AND a Monday: 2027, then not until 2038 */
	    {"0 0 */30 2 MON", "UTC", "2026-01-01T00:00:00Z", "2027-02-01T00:00:00Z"},
	    {"0 0 */30 2 MON", "UTC", "2027-02-01T00:00:00Z", NULL},
	};
	(void)state;
	CASES(cases);
}

static void
test_year_boundary(void **state)
{
	static const next_case_t cases[] = {
	    {"59 23 31 12 *", "UTC", "2026-12-31T23:59:00Z", "2027-12-31T23:59:00Z"},
	    {"*/5 * * * *", "UTC", "2026-12-31T23:58:00Z", "2027-01-01T00:00:00Z"},
	    /* New Year in Tokyo is 15:00 UTC on 31 December */
	    {"0 0 * * *", "Asia/Tokyo", "2026-12-31T14:59:00Z", "2026-12-31T15:00:00Z"},
	    {"0 0 1 1 *", "Asia/Kolkata", "2026-06-01T00:00:00Z", "2026-12-31T18:30:00Z"},
	};
	(void)state;
	CASES(cases);
}

/* New York, 8 March 2026: 02:00 EST (07:00 UTC) jumps to 03:00 EDT. */
static void
test_dst_spring_new_york(void **state)
{
	/* cronie's rule: a fixed-time job (neither minute nor hour starts with
	 * '*') skipped by the jump runs once at the jump; a wildcard job (one
	 * of them does) goes by elapsed time and is not caught up. */
	static const next_case_t cases[] = {
	    {"30 1 * * *", "America/New_York", "2026-03-08T05:00:00Z", "2026-03-08T06:30:00Z"},
	    /* 02:30 does not exist: once, at the first instant after the gap */
	    {"30 2 * * *", "America/New_York", "2026-03-08T05:00:00Z", "2026-03-08T07:00:00Z"},
	    {"30 2 * * *", "America/New_York", "2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z"},
	    /* a wildcard minute: the skipped 02:xx slots are not caught up */
	    {"*/15 2 * * *", "America/New_York", "2026-03-08T05:00:00Z", "2026-03-09T06:00:00Z"},
	    /* 03:00 exists: once, then 03:15 */
	    {"*/15 2,3 * * *", "America/New_York", "2026-03-08T06:59:00Z", "2026-03-08T07:00:00Z"},
	    {"*/15 2,3 * * *", "America/New_York", "2026-03-08T07:00:00Z", "2026-03-08T07:15:00Z"},
	    {"0 * * * *", "America/New_York", "2026-03-08T06:30:00Z", "2026-03-08T07:00:00Z"},
	    {"0 * * * *", "America/New_York", "2026-03-08T07:00:00Z", "2026-03-08T08:00:00Z"},
	    /* a fixed list of minutes in a fixed hour is fixed-time */
	    {"0,30 2 * * *", "America/New_York", "2026-03-08T05:00:00Z", "2026-03-08T07:00:00Z"},
	};
	(void)state;
	CASES(cases);
}

/* New York, 1 November 2026: 02:00 EDT (06:00 UTC) falls back to 01:00 EST,
 * so 01:00-01:59 happens twice. */
static void
test_dst_fall_new_york(void **state)
{
	static const next_case_t cases[] = {
	    /* fixed-time: once, at the first pass */
	    {"30 1 * * *", "America/New_York", "2026-11-01T04:00:00Z", "2026-11-01T05:30:00Z"},
	    {"30 1 * * *", "America/New_York", "2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"},
	    {"15 1 * * *", "America/New_York", "2026-11-01T06:00:00Z", "2026-11-02T06:15:00Z"},
	    {"0 2 * * *", "America/New_York", "2026-11-01T05:00:00Z", "2026-11-01T07:00:00Z"},
	    /* wildcard: by elapsed time, so through the repeated hour too */
	    {"0 * * * *", "America/New_York", "2026-11-01T04:30:00Z", "2026-11-01T05:00:00Z"},
	    {"0 * * * *", "America/New_York", "2026-11-01T05:00:00Z", "2026-11-01T06:00:00Z"},
	    {"0 * * * *", "America/New_York", "2026-11-01T06:00:00Z", "2026-11-01T07:00:00Z"},
	    {"*/20 * * * *", "America/New_York", "2026-11-01T05:40:00Z", "2026-11-01T06:00:00Z"},
	    /* the case that went quiet for 65 minutes: 01:55 EDT, then 01:00 EST */
	    {"*/5 * * * *", "America/New_York", "2026-11-01T05:50:00Z", "2026-11-01T05:55:00Z"},
	    {"*/5 * * * *", "America/New_York", "2026-11-01T05:55:00Z", "2026-11-01T06:00:00Z"},
	    {"*/5 * * * *", "America/New_York", "2026-11-01T06:00:00Z", "2026-11-01T06:05:00Z"},
	    {"*/10 1 * * *", "America/New_York", "2026-11-01T05:50:00Z", "2026-11-01T06:00:00Z"},
	    {"*/10 1 * * *", "America/New_York", "2026-11-01T06:50:00Z", "2026-11-02T06:00:00Z"},
	};
	(void)state;
	CASES(cases);
}

/* London: 29 March 2026 01:00 GMT (01:00 UTC) jumps to 02:00 BST; 25 October
 * 2026 02:00 BST (01:00 UTC) falls back to 01:00 GMT. */
static void
test_dst_london(void **state)
{
	static const next_case_t cases[] = {
	    {"30 1 * * *", "Europe/London", "2026-03-29T00:00:00Z", "2026-03-29T01:00:00Z"},
	    {"0 2 * * *", "Europe/London", "2026-03-29T00:00:00Z", "2026-03-29T01:00:00Z"},
	    /* wildcard minute: the skipped 01:xx is not caught up */
	    {"*/10 1 * * *", "Europe/London", "2026-03-29T00:30:00Z", "2026-03-30T00:00:00Z"},
	    {"*/30 * * * *", "Europe/London", "2026-03-29T00:30:00Z", "2026-03-29T01:00:00Z"},
	    {"30 1 * * *", "Europe/London", "2026-10-25T00:00:00Z", "2026-10-25T00:30:00Z"},
	    {"30 1 * * *", "Europe/London", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"},
	    /* exactly on 01:00 BST: strictly after, and 01:00 GMT is a repeat */
	    {"0 1 * * *", "Europe/London", "2026-10-25T00:00:00Z", "2026-10-26T01:00:00Z"},
	    {"0 2 * * *", "Europe/London", "2026-10-25T00:00:00Z", "2026-10-25T02:00:00Z"},
	    /* wildcard minute in the repeated hour: 01:30 BST, 01:00 GMT */
	    {"*/30 1 * * *", "Europe/London", "2026-10-25T00:30:00Z", "2026-10-25T01:00:00Z"},
	};
	(void)state;
	CASES(cases);
}

/* Lord Howe shifts by 30 minutes: 5 April 2026 02:00 +11 (15:00 UTC the day
 * before) falls back to 01:30 +1030, so 01:30-01:59 happens twice; 4 October
 * 2026 02:00 +1030 (15:30 UTC the day before) jumps to 02:30 +11. */
static void
test_dst_lord_howe(void **state)
{
	static const next_case_t cases[] = {
	    /* fixed-time: once, at 01:45 +11 */
	    {"45 1 * * *", "Australia/Lord_Howe", "2026-04-04T14:40:00Z", "2026-04-04T14:45:00Z"},
	    {"45 1 * * *", "Australia/Lord_Howe", "2026-04-04T14:45:00Z", "2026-04-05T15:15:00Z"},
	    /* wildcard: 01:45 +11, then 01:30 +1030 again */
	    {"*/15 1 * * *", "Australia/Lord_Howe", "2026-04-04T14:45:00Z", "2026-04-04T15:00:00Z"},
	    {"*/15 1 * * *", "Australia/Lord_Howe", "2026-04-04T15:00:00Z", "2026-04-04T15:15:00Z"},
	    /* the jump: 02:15 fixed-time fires at it; a wildcard 02:10 does not */
	    {"15 2 * * *", "Australia/Lord_Howe", "2026-10-03T15:00:00Z", "2026-10-03T15:30:00Z"},
	    {"10 * * * *", "Australia/Lord_Howe", "2026-10-03T15:00:00Z", "2026-10-03T16:10:00Z"},
	    {"*/20 2 * * *", "Australia/Lord_Howe", "2026-10-03T15:00:00Z", "2026-10-03T15:40:00Z"},
	    {"*/15 2 * * *", "Australia/Lord_Howe", "2026-10-03T15:00:00Z", "2026-10-03T15:30:00Z"},
	};
	(void)state;
	CASES(cases);
}

static void
test_strictly_after(void **state)
{
	cron_t c = parse_ok("0 9 * * *");
	int64_t fire = iso_ms("2026-05-10T09:00:00Z");

	(void)state;
	assert_int_equal(cron_next(&c, "UTC", fire - 1), fire);
	assert_int_equal(cron_next(&c, "UTC", fire), iso_ms("2026-05-11T09:00:00Z"));
	assert_int_equal(cron_next(&c, "UTC", fire + 999), iso_ms("2026-05-11T09:00:00Z"));
}

static void
test_next_refuses(void **state)
{
	cron_t c = parse_ok("0 9 * * *");
	cron_t empty = {0};

	(void)state;
	assert_int_equal(cron_next(&c, "Mars/Olympus", iso_ms("2026-05-10T00:00:00Z")), -1);
	assert_int_equal(cron_next(&c, NULL, iso_ms("2026-05-10T00:00:00Z")), -1);
	assert_int_equal(cron_next(NULL, "UTC", iso_ms("2026-05-10T00:00:00Z")), -1);
	assert_int_equal(cron_next(&empty, "UTC", iso_ms("2026-05-10T00:00:00Z")), -1);
}

typedef struct {
	const char *expr;
	const char *message;
	int column;
} parse_error_case_t;

static void
test_parse_errors(void **state)
{
	static const parse_error_case_t cases[] = {
	    {"0 0 * *", "expected 5 fields (minute hour day-of-month month day-of-week), got 4", 1},
	    {"0 0 * * * *", "expected 5 fields (minute hour day-of-month month day-of-week), got 6",
	     1},
	    {"", "expected 5 fields (minute hour day-of-month month day-of-week), got 0", 1},
	    {"  0 0 * *", "expected 5 fields (minute hour day-of-month month day-of-week), got 4",
	     3},
	    {"@fortnightly", "unknown macro '@fortnightly'", 1},
	    {"@reboot", "unknown macro '@reboot'", 1},
	    {"@daily 5", "unexpected '5' after @daily", 8},
	    {"0 25 * * *", "hour: 25 is out of range 0-23", 3},
	    {"60 * * * *", "minute: 60 is out of range 0-59", 1},
	    {"0 0 0 * *", "day-of-month: 0 is out of range 1-31", 5},
	    {"0 0 * 13 *", "month: 13 is out of range 1-12", 7},
	    {"0 0 * * 8", "day-of-week: 8 is out of range 0-7", 9},
	    {"0  0\t* * 99999999999999", "day-of-week: 99999999999999 is out of range 0-7", 10},
	    {"0 0 * FOO *", "month: unknown name 'FOO'", 7},
	    {"0 0 * * MONDAY", "day-of-week: unknown name 'MONDAY'", 9},
	    {"0 MON * * *", "hour: 'MON' is not a number", 3},
	    {"0 0 * * MON#6", "day-of-week: #6 is out of range 1-5 (the nth weekday of the month)",
	     9},
	    {"0 0 * * MON#", "day-of-week: '#' must be followed by 1-5", 9},
	    {"0 0 * * MON-FRI#1", "day-of-week: '#' takes one day, not a range or step", 9},
	    {"0 0 * * */2#1", "day-of-week: '#' takes one day, not a range or step", 9},
	    {"0 0 1 * L", "day-of-week: unknown name 'L'", 9},
	    {"L 0 * * *", "minute: 'L' is not a number", 1},
	    {"0 0 L/2 * *", "day-of-month: 'L' stands alone (the last day of the month)", 5},
	    {"*/0 * * * *", "minute: step 0 is out of range 1-60", 1},
	    {"0 */25 * * *", "hour: step 25 is out of range 1-24", 3},
	    {"*/ * * * *", "minute: '/' must be followed by a step", 1},
	    {"1,,2 * * * *", "minute: empty list item", 1},
	    {"1, * * * *", "minute: empty list item", 1},
	    {"0 0 1-x * *", "day-of-month: 'x' is not a number", 5},
	    {"0 0 1 * 1x", "day-of-week: unexpected 'x'", 9},
	    {"0 0 1 * 1-", "day-of-week: a value is missing", 9},
	    {"0 0 30 2 *",
	     "day-of-month: no selected day exists in the selected months, so the expression "
	     "never fires",
	     5},
	    {"0 0 31 4,6 *",
	     "day-of-month: no selected day exists in the selected months, so the expression "
	     "never fires",
	     5},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cron_t c;
		char err[160] = "";
		int column = -1;
		if (cron_parse(cases[i].expr, &c, err, sizeof err, &column) != -1)
			fail_msg("'%s' was accepted", cases[i].expr);
		if (strcmp(err, cases[i].message) != 0 || column != cases[i].column)
			fail_msg("'%s': got \"%s\" at column %d, want \"%s\" at column %d",
			         cases[i].expr, err, column, cases[i].message, cases[i].column);
	}
}

static void
test_parse_fields(void **state)
{
	cron_t c;

	(void)state;
	c = parse_ok("5/20 1-3,22 */10 JAN,jul-AUG 7");
	assert_int_equal(c.minutes, (1ULL << 5) | (1ULL << 25) | (1ULL << 45));
	assert_int_equal(c.hours, (1u << 1) | (1u << 2) | (1u << 3) | (1u << 22));
	assert_int_equal(c.mdays, (1u << 1) | (1u << 11) | (1u << 21) | (1u << 31));
	assert_int_equal(c.months, (1u << 1) | (1u << 7) | (1u << 8));
	assert_int_equal(c.wdays, 1u << 0);
	assert_true(c.mday_star);
	assert_false(c.wday_star);

	c = parse_ok("@weekly");
	assert_int_equal(c.minutes, 1);
	assert_int_equal(c.hours, 1);
	assert_int_equal(c.wdays, 1);
	assert_true(c.mday_star);
	assert_false(c.wday_star);

	c = parse_ok("  0 0 * * SUN-sat  ");
	assert_int_equal(c.wdays, 0x7f);

	/* err and column are optional */
	assert_int_equal(cron_parse("nonsense", &c, NULL, 0, NULL), -1);
	assert_int_equal(cron_parse(NULL, &c, NULL, 0, NULL), -1);
}

static void
test_timezone_valid(void **state)
{
	static const char *good[] = {"UTC", "Europe/London", "America/New_York", "Etc/GMT+5",
	                             "America/Argentina/Buenos_Aires"};
	static const char *bad[] = {
	    "Mars/Olympus",    "../etc",   "../../etc/passwd", "/etc/localtime",
	    "Europe/../UTC",   "",         "Europe",           "Europe/London/",
	    "Europe//London",  "+VERSION", "zone.tab",         "UTC ",
	    "Europe/London\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!cron_timezone_valid(good[i]))
			fail_msg("'%s' refused", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (cron_timezone_valid(bad[i]))
			fail_msg("'%s' accepted", bad[i]);
	assert_false(cron_timezone_valid(NULL));
}

static void
assert_format(const char *iso, const char *tz, const char *want)
{
	char buf[64];

	assert_int_equal(cron_format(iso_ms(iso), tz, buf, sizeof buf), 0);
	assert_string_equal(buf, want);
}

static void
test_format(void **state)
{
	char buf[64];

	(void)state;
	assert_format("2026-11-23T08:00:00Z", "Europe/London", "2026-11-23 08:00:00 GMT");
	assert_format("2026-07-01T12:34:56Z", "Europe/London", "2026-07-01 13:34:56 BST");
	assert_format("2026-11-01T05:30:00Z", "America/New_York", "2026-11-01 01:30:00 EDT");
	assert_format("2026-11-01T06:30:00Z", "America/New_York", "2026-11-01 01:30:00 EST");
	assert_format("2026-01-01T00:00:00Z", "Asia/Kolkata", "2026-01-01 05:30:00 IST");
	assert_format("2026-12-31T23:59:59Z", "UTC", "2026-12-31 23:59:59 UTC");
	assert_format("1999-12-31T23:00:00Z", "Europe/Paris", "2000-01-01 00:00:00 CET");

	assert_int_equal(cron_format(0, "Mars/Olympus", buf, sizeof buf), -1);
	assert_string_equal(buf, "?");
	assert_int_equal(cron_format(0, "UTC", buf, 8), -1); /* too small */
	assert_string_equal(buf, "?");
}

/* Loading a zone sets TZ for a moment; the caller's TZ and libc's view of
 * local time must be as they were. Zones here are used nowhere else, so
 * they are loaded for the first time. */
static void
test_tz_left_alone(void **state)
{
	cron_t c = parse_ok("0 9 * * *");
	time_t t = 1780000000;
	struct tm tm;
	char buf[64];

	(void)state;
	assert_int_equal(setenv("TZ", "Asia/Tokyo", 1), 0);
	tzset();
	assert_true(cron_next(&c, "Pacific/Auckland", iso_ms("2026-05-10T00:00:00Z")) > 0);
	assert_string_equal(getenv("TZ"), "Asia/Tokyo");
	assert_non_null(localtime_r(&t, &tm));
	assert_int_equal(tm.tm_gmtoff, 9 * 3600);

	assert_int_equal(unsetenv("TZ"), 0);
	tzset();
	assert_int_equal(
	    cron_format(iso_ms("2026-05-10T00:00:00Z"), "America/Chicago", buf, sizeof buf), 0);
	assert_string_equal(buf, "2026-05-09 19:00:00 CDT");
	assert_null(getenv("TZ"));
}

/* The coordinator computes next fires for 100,000 schedules at start in
 * about a second; a minute-by-minute search would take far longer. */
static void
test_speed(void **state)
{
	static const char *exprs[] = {"*/5 * * * *", "0 8 * * 1-5", "0 0 29 2 *", "@yearly"};
	cron_t c[4];
	int64_t after = iso_ms("2026-01-01T00:00:00Z");
	struct timespec a, b;

	(void)state;
	for (int i = 0; i < 4; i++)
		c[i] = parse_ok(exprs[i]);
	/* This thread's CPU time, not the wall clock: other processes on a
	 * busy machine do not count against cron_next. */
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
	for (int i = 0; i < 100000; i++)
		assert_true(cron_next(&c[i % 4], "Europe/London", after + (int64_t)i * 37000) > 0);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
	double ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
	print_message("100000 cron_next calls in Europe/London: %.1f ms\n", ms);
	assert_true(ms < 2000.0); /* leaves room for sanitizer builds */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_macros),
	    cmocka_unit_test(test_ranges_lists_steps_names),
	    cmocka_unit_test(test_day_of_month_or_day_of_week),
	    cmocka_unit_test(test_month_ends_and_leap_days),
	    cmocka_unit_test(test_year_boundary),
	    cmocka_unit_test(test_dst_spring_new_york),
	    cmocka_unit_test(test_dst_fall_new_york),
	    cmocka_unit_test(test_dst_london),
	    cmocka_unit_test(test_calendar_extensions),
	    cmocka_unit_test(test_dst_lord_howe),
	    cmocka_unit_test(test_strictly_after),
	    cmocka_unit_test(test_next_refuses),
	    cmocka_unit_test(test_parse_errors),
	    cmocka_unit_test(test_parse_fields),
	    cmocka_unit_test(test_timezone_valid),
	    cmocka_unit_test(test_format),
	    cmocka_unit_test(test_tz_left_alone),
	    cmocka_unit_test(test_speed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
