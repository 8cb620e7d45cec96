/* test_duration: what a runbook author may write as a timeout, and what is
 * refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "duration.h"

static uint64_t
parse_ok(const char *text)
{
	uint64_t ms = 12345; /* a value no case expects */

	assert_int_equal(duration_parse(text, &ms), 0);
	return ms;
}

static void
test_units(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("500ms"), 500);
	assert_int_equal(parse_ok("30s"), 30000);
	assert_int_equal(parse_ok("5m"), 300000);
	assert_int_equal(parse_ok("2h"), 7200000);
	assert_int_equal(parse_ok("2d"), 172800000);
	assert_int_equal(parse_ok("0s"), 0);
}

static void
test_bare_integer_is_seconds(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("90"), 90000);
	assert_int_equal(parse_ok("0"), 0);
	assert_int_equal(parse_ok("2592000"), 2592000000ULL); /* exactly 30 days */
}

static void
test_combinations(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("1h30m"), 5400000);
	assert_int_equal(parse_ok("1d2h3m4s5ms"), 93784005);
	assert_int_equal(parse_ok("2m500ms"), 120500);
	assert_int_equal(parse_ok("30d"), DURATION_MAX_MS);
	assert_int_equal(parse_ok("29d23h59m59s999ms"), DURATION_MAX_MS - 1);
}

static void
test_rejects(void **state)
{
	static const char *bad[] = {
	    "",
	    "-5s",
	    "+5s",
	    "-5",
	    "s",
	    "5x",
	    "5 s",
	    " 5s",
	    "5s ",
	    "1.5s",
	    "5sec",
	    "1m1m",
	    "30m1h",
	    "5ms5s",
	    "5msm",
	    "h",
	    "31d",
	    "30d1ms",
	    "2592001",
	    "720h1ms",
	    "99999999999999999999999s",
	    "18446744073709551616",
	    "1h-30m",
	    "0x10s",
	};
	uint64_t ms = 7;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ms = 7;
		if (duration_parse(bad[i], &ms) != -1)
			fail_msg("'%s' was accepted", bad[i]);
		assert_int_equal(ms, 7); /* untouched on error */
	}
	assert_int_equal(duration_parse(NULL, &ms), -1);
}

/* Asserts that duration_format writes want for ms into a buffer of size
 * bytes (at most 32). */
static void
format_is_in(int64_t ms, size_t size, const char *want)
{
	char buf[32];
	assert_true(size <= sizeof(buf));
	duration_format(ms, buf, size);
	assert_string_equal(buf, want);
}

/* The same, into a buffer of 32 bytes, room for any duration. */
static void
format_is(int64_t ms, const char *want)
{
	format_is_in(ms, 32, want);
}

static void
test_format(void **state)
{
	(void)state;
	format_is(350, "350ms");
	format_is(0, "0ms");
	format_is(1234, "1.2s");
	format_is(59999, "59.9s");
	format_is(125000, "2m05s");
	format_is(3720000, "1h02m");
	format_is(93784005, "1d02h");
	format_is(-1500, "-1.5s");
	format_is(INT64_MIN, "-106751991167d07h");
	format_is_in(125000, 4, "2m0"); /* truncated, still terminated */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_units),        cmocka_unit_test(test_bare_integer_is_seconds),
	    cmocka_unit_test(test_combinations), cmocka_unit_test(test_rejects),
	    cmocka_unit_test(test_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
