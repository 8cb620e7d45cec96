/* test_cmd_audit: `rota audit --since T`, the one thing the audit command
 * computes itself: a duration back from now, or an RFC 3339 time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cmd_audit.h"

/* 2026-11-23T08:00:00Z */
#define T0_MS INT64_C(1795420800000)

static int64_t
since(const char *text, int64_t now_ms)
{
	int64_t out = -12345;
	assert_int_equal(cmd_audit_parse_since(text, now_ms, &out), 0);
	return out;
}

static void
test_durations(void **state)
{
	(void)state;
	assert_int_equal(since("1h", T0_MS), T0_MS - 3600 * 1000);
	assert_int_equal(since("30m", T0_MS), T0_MS - 30 * 60 * 1000);
	assert_int_equal(since("2d", T0_MS), T0_MS - 2 * 86400 * 1000);
}

static void
test_rfc3339(void **state)
{
	(void)state;
	assert_int_equal(since("2026-11-23T08:00:00Z", 0), T0_MS);
	assert_int_equal(since("2026-11-23t08:00:00z", 0), T0_MS);
	assert_int_equal(since("2026-11-23 08:00:00Z", 0), T0_MS);
	/* A fraction: milliseconds, the rest cut. */
	assert_int_equal(since("2026-11-23T08:00:00.5Z", 0), T0_MS + 500);
	assert_int_equal(since("2026-11-23T08:00:00.123456Z", 0), T0_MS + 123);
	/* An offset: 09:30 at +01:30 is 08:00 UTC; 03:00 at -05:00 too. */
	assert_int_equal(since("2026-11-23T09:30:00+01:30", 0), T0_MS);
	assert_int_equal(since("2026-11-23T03:00:00-05:00", 0), T0_MS);
}

static void
test_refused(void **state)
{
	(void)state;
	static const char *bad[] = {
	    "",
	    "soon",
	    "2026-11-23",               /* no time */
	    "2026-11-23T08:00:00",      /* no zone */
	    "2026-13-23T08:00:00Z",     /* month 13 */
	    "2026-11-23T24:00:00Z",     /* hour 24 */
	    "2026-11-23T08:00:00.Z",    /* an empty fraction */
	    "2026-11-23T08:00:00+0100", /* offset without ':' */
	    "2026-11-23T08:00:00Zjunk", /* trailing bytes */
	    "2026/11/23T08:00:00Z",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t out = 7;
		assert_int_equal(cmd_audit_parse_since(bad[i], T0_MS, &out), -1);
		assert_int_equal(out, 7); /* untouched */
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_durations),
	    cmocka_unit_test(test_rfc3339),
	    cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
