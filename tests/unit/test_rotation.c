/* test_rotation: who is on call across a handoff, a DST change (both ways),
 * an override, and layers with priority. Every expected instant was worked
 * out from the calendar and the zone's rules (London leaves BST on Sunday
 * 2026-10-25; New York enters EDT on Sunday 2026-03-08 at 02:00), not read
 * back from the code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rotation.h"

static int64_t
at(const char *iso)
{
	int64_t ms = 0;
	if (rotation_parse_instant(iso, &ms) != 0)
		fail_msg("bad instant in the test: %s", iso);
	return ms;
}

static const rotation_extra_t none = {NULL, 0};

/* A one-layer rotation over people (NULL-terminated). */
static void
layer_init(rotation_layer_t *l, const char *const *people, int64_t shift_s, const char *tz,
           const char *start, const char *handoff)
{
	memset(l, 0, sizeof(*l));
	while (people[l->people_count] != NULL)
		l->people_count++;
	l->people = calloc(l->people_count, sizeof(char *));
	for (size_t i = 0; i < l->people_count; i++)
		l->people[i] = strdup(people[i]);
	l->shift_s = shift_s;
	l->timezone = strdup(tz);
	int64_t wall = -1;
	int wday, minute;
	if (start != NULL)
		assert_int_equal(rotation_parse_date(start, &wall), 0);
	assert_int_equal(rotation_parse_handoff(handoff, &wday, &minute), 0);
	rotation_layer_anchor(l, wall, wday, minute);
}

static void
rotation_one(rotation_t *r, const char *const *people, int64_t shift_s, const char *tz,
             const char *start, const char *handoff)
{
	memset(r, 0, sizeof(*r));
	r->name = strdup("primary");
	r->layers = calloc(2, sizeof(*r->layers));
	r->layer_count = 1;
	layer_init(&r->layers[0], people, shift_s, tz, start, handoff);
}

static const char *const abc[] = {"alice", "bob", "carol", NULL};
#define WEEK (7 * 86400)

static void
test_weekly_handoff_in_london(void **state)
{
	(void)state;
	rotation_t r;
	rotation_one(&r, abc, WEEK, "Europe/London", "2026-10-05", "MON 09:00");
	/* 09:00 BST is 08:00 UTC: a second before, the week before's person
	 * (the one before alice in the list) still has it. */
	assert_string_equal(rotation_who(&r, none, at("2026-10-05T07:59:59Z"), NULL), "carol");
	assert_string_equal(rotation_who(&r, none, at("2026-10-05T08:00:00Z"), NULL), "alice");
	assert_string_equal(rotation_who(&r, none, at("2026-10-12T07:59:00Z"), NULL), "alice");
	assert_string_equal(rotation_who(&r, none, at("2026-10-12T08:00:00Z"), NULL), "bob");
	assert_string_equal(rotation_who(&r, none, at("2026-10-19T08:00:00Z"), NULL), "carol");
	rotation_clear(&r);
}

static void
test_weekly_handoff_across_dst_end(void **state)
{
	(void)state;
	rotation_t r;
	rotation_one(&r, abc, WEEK, "Europe/London", "2026-10-05", "MON 09:00");
	/* London is back on GMT from 2026-10-25: the Monday after, 09:00 is
	 * 09:00 UTC, so carol's week lasts 169 hours, not 168. */
	assert_string_equal(rotation_who(&r, none, at("2026-10-26T08:00:00Z"), NULL), "carol");
	assert_string_equal(rotation_who(&r, none, at("2026-10-26T08:59:59Z"), NULL), "carol");
	assert_string_equal(rotation_who(&r, none, at("2026-10-26T09:00:00Z"), NULL), "alice");
	const char *next = NULL;
	assert_int_equal(rotation_next(&r, none, at("2026-10-20T12:00:00Z"), &next),
	                 at("2026-10-26T09:00:00Z"));
	assert_string_equal(next, "alice");
	rotation_shift_t s[4];
	assert_int_equal(
	    rotation_shifts(&r, none, at("2026-10-19T08:00:00Z"), at("2026-11-02T09:00:00Z"), s, 4),
	    2);
	assert_string_equal(s[0].person, "carol");
	assert_int_equal(s[0].until_ms - s[0].from_ms, 169LL * 3600 * 1000);
	assert_string_equal(s[1].person, "alice");
	assert_int_equal(s[1].from_ms, at("2026-10-26T09:00:00Z"));
	rotation_clear(&r);
}

static void
test_daily_handoff_in_a_skipped_hour(void **state)
{
	(void)state;
	rotation_t r;
	static const char *const ab[] = {"alice", "bob", NULL};
	rotation_one(&r, ab, 86400, "America/New_York", "2026-03-06", "02:30");
	/* 02:30 EST on 03-07 is 07:30 UTC: bob from then. On 03-08 02:30 does
	 * not exist (02:00 EST became 03:00 EDT, 07:00 UTC): the handoff is at
	 * the jump, and alice's shift after it starts at 02:30 EDT the next
	 * day (06:30 UTC). */
	assert_string_equal(rotation_who(&r, none, at("2026-03-07T07:30:00Z"), NULL), "bob");
	assert_string_equal(rotation_who(&r, none, at("2026-03-08T06:59:59Z"), NULL), "bob");
	assert_string_equal(rotation_who(&r, none, at("2026-03-08T07:00:00Z"), NULL), "alice");
	assert_string_equal(rotation_who(&r, none, at("2026-03-09T06:29:59Z"), NULL), "alice");
	assert_string_equal(rotation_who(&r, none, at("2026-03-09T06:30:00Z"), NULL), "bob");
	rotation_clear(&r);
}

static void
test_override_beats_the_shift(void **state)
{
	(void)state;
	rotation_t r;
	rotation_one(&r, abc, WEEK, "UTC", "2026-12-07", "MON 09:00");
	/* bob's week (12-14 to 12-21); dave covers Tuesday night. */
	rotation_override_t o = {.person = "dave",
	                         .from_ms = at("2026-12-15T18:00:00Z"),
	                         .until_ms = at("2026-12-16T09:00:00Z")};
	rotation_extra_t extra = {&o, 1};
	bool over = true;
	assert_string_equal(rotation_who(&r, extra, at("2026-12-15T17:59:59Z"), &over), "bob");
	assert_false(over);
	assert_string_equal(rotation_who(&r, extra, at("2026-12-15T18:00:00Z"), &over), "dave");
	assert_true(over);
	assert_string_equal(rotation_who(&r, extra, at("2026-12-16T09:00:00Z"), &over), "bob");
	const char *next = NULL;
	assert_int_equal(rotation_next(&r, extra, at("2026-12-15T12:00:00Z"), &next),
	                 at("2026-12-15T18:00:00Z"));
	assert_string_equal(next, "dave");
	assert_int_equal(rotation_next(&r, extra, at("2026-12-15T19:00:00Z"), &next),
	                 at("2026-12-16T09:00:00Z"));
	assert_string_equal(next, "bob");
	/* The calendar: bob, dave (an override), bob, carol. */
	rotation_shift_t s[8];
	size_t n = rotation_shifts(&r, extra, at("2026-12-14T09:00:00Z"),
	                           at("2026-12-28T09:00:00Z"), s, 8);
	assert_int_equal(n, 4);
	assert_string_equal(s[0].person, "bob");
	assert_string_equal(s[1].person, "dave");
	assert_true(s[1].override);
	assert_int_equal(s[1].until_ms, at("2026-12-16T09:00:00Z"));
	assert_string_equal(s[2].person, "bob");
	assert_int_equal(s[2].until_ms, at("2026-12-21T09:00:00Z"));
	assert_string_equal(s[3].person, "carol");
	rotation_clear(&r);
}

static void
test_layers_with_priority(void **state)
{
	(void)state;
	rotation_t r;
	static const char *const night[] = {"nina", NULL};
	static const char *const day[] = {"dan", "dora", NULL};
	rotation_one(&r, night, WEEK, "UTC", NULL, "MON 09:00");
	r.layer_count = 2;
	layer_init(&r.layers[1], day, WEEK, "UTC", "2026-12-07", "MON 09:00");
	r.layers[1].priority = 1;
	assert_int_equal(rotation_parse_days("MON-FRI", &r.layers[1].days), 0);
	assert_int_equal(rotation_parse_hours("09:00-17:00", &r.layers[1].hours_from_s,
	                                      &r.layers[1].hours_until_s),
	                 0);
	assert_string_equal(rotation_who(&r, none, at("2026-12-08T10:00:00Z"), NULL), "dan");
	assert_string_equal(rotation_who(&r, none, at("2026-12-08T17:00:00Z"), NULL), "nina");
	assert_string_equal(rotation_who(&r, none, at("2026-12-12T10:00:00Z"), NULL), "nina");
	assert_string_equal(rotation_who(&r, none, at("2026-12-15T09:00:00Z"), NULL), "dora");
	const char *next = NULL;
	assert_int_equal(rotation_next(&r, none, at("2026-12-11T18:00:00Z"), &next),
	                 at("2026-12-14T09:00:00Z"));
	assert_string_equal(next, "dora");
	rotation_clear(&r);
}

static void
test_parsers(void **state)
{
	(void)state;
	int wday, minute;
	assert_int_equal(rotation_parse_handoff("MON 09:00", &wday, &minute), 0);
	assert_int_equal(wday, 1);
	assert_int_equal(minute, 540);
	assert_int_equal(rotation_parse_handoff("sun 23:59", &wday, &minute), 0);
	assert_int_equal(wday, 0);
	assert_int_equal(rotation_parse_handoff("09:00", &wday, &minute), 0);
	assert_int_equal(wday, -1);
	assert_int_equal(rotation_parse_handoff("MONDAY 09:00", &wday, &minute), -1);
	assert_int_equal(rotation_parse_handoff("MON 9:00", &wday, &minute), -1);
	assert_int_equal(rotation_parse_handoff("MON 24:00", &wday, &minute), -1);
	uint8_t days;
	assert_int_equal(rotation_parse_days("SAT,SUN", &days), 0);
	assert_int_equal(days, (1 << 6) | 1);
	assert_int_equal(rotation_parse_days("FRI-MON", &days), 0);
	assert_int_equal(days, (1 << 5) | (1 << 6) | 1 | (1 << 1));
	assert_int_equal(rotation_parse_days("MON-FUN", &days), -1);
	int32_t a, b;
	assert_int_equal(rotation_parse_hours("22:00-06:00", &a, &b), 0);
	assert_int_equal(a, 22 * 3600);
	assert_int_equal(b, 6 * 3600);
	assert_int_equal(rotation_parse_hours("09:00-09:00", &a, &b), -1);
	int64_t ms;
	assert_int_equal(rotation_parse_instant("2026-12-08T10:00:00+01:00", &ms), 0);
	assert_int_equal(ms, at("2026-12-08T09:00:00Z"));
	assert_int_equal(rotation_parse_instant("2026-12-08T10:00", &ms), -1);
	assert_int_equal(rotation_parse_instant("yesterday", &ms), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_weekly_handoff_in_london),
	    cmocka_unit_test(test_weekly_handoff_across_dst_end),
	    cmocka_unit_test(test_daily_handoff_in_a_skipped_hour),
	    cmocka_unit_test(test_override_beats_the_shift),
	    cmocka_unit_test(test_layers_with_priority),
	    cmocka_unit_test(test_parsers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
