/* log_limit: the bounded rate of the lines about what peers send. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "log.h"

#define MINUTE_MS 60000

/* One key: a line, then silence counted until the interval has passed. */
static void
test_limit_one_key(void **state)
{
	(void)state;
	log_limit_t limit = {0};
	uint64_t suppressed = 99;
	assert_true(log_limit_allow(&limit, "peer-a", 1000, MINUTE_MS, &suppressed));
	assert_int_equal(suppressed, 0);
	for (int i = 0; i < 5; i++)
		assert_false(log_limit_allow(&limit, "peer-a", 2000 + i, MINUTE_MS, &suppressed));
	assert_true(log_limit_allow(&limit, "peer-a", 1000 + MINUTE_MS, MINUTE_MS, &suppressed));
	assert_int_equal(suppressed, 5);
}

/* A flood from distinct peers (a script opening connection after
 * connection, each sending garbage under a new identity) is still a
 * bounded number of lines an interval, and what was not said is counted
 * in the next line. Before the limiter's own budget, each new key was a
 * line: 1,000 peers, 1,000 lines in the same second. */
static void
test_limit_distinct_keys_flood(void **state)
{
	(void)state;
	log_limit_t limit = {0};
	int allowed = 0;
	uint64_t suppressed = 0;
	for (int i = 0; i < 1000; i++) {
		char key[32];
		snprintf(key, sizeof(key), "peer-%d", i);
		if (log_limit_allow(&limit, key, 5000 + i / 100, MINUTE_MS, &suppressed))
			allowed++;
	}
	assert_int_equal(allowed, LOG_LIMIT_LINES);
	/* The interval over, the next line says how many were left unsaid. */
	assert_true(log_limit_allow(&limit, "peer-new", 5000 + MINUTE_MS, MINUTE_MS, &suppressed));
	assert_int_equal(suppressed, 1000 - LOG_LIMIT_LINES);
	/* And the count is said once, not again in the line after. */
	assert_true(log_limit_allow(&limit, "peer-new2", 5001 + MINUTE_MS, MINUTE_MS, &suppressed));
	assert_int_equal(suppressed, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_limit_one_key),
	    cmocka_unit_test(test_limit_distinct_keys_flood),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
