/* log_limit: the bounded rate of the lines about what peers send. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
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

/* The lines as written to stderr: read back through a temporary file put
 * in stderr's place for the test. Returns the text (owned by the caller). */
static char *
log_capture(void (*say)(void))
{
	fflush(stderr);
	int saved = dup(STDERR_FILENO);
	FILE *tmp = tmpfile();
	assert_non_null(tmp);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
	say();
	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	long len = ftell(tmp);
	assert_true(len >= 0);
	char *text = calloc(1, (size_t)len + 1);
	assert_non_null(text);
	rewind(tmp);
	assert_int_equal(fread(text, 1, (size_t)len, tmp), (size_t)len);
	fclose(tmp);
	return text;
}

static void
say_lines(void)
{
	log_init("rota-test", LOGL_INFO);
	log_info("run %s started on %d hosts", "r-1", 3);
	log_debug("not shown at info");
	log_warn("two\nlines and a bell \a");
	log_error("%s", "");
}

/* Lines keep their form whatever the formatting costs: the time to the
 * millisecond in UTC, the program, the level, the message; a peer's
 * control characters escaped and a second line indented, so nothing can
 * start a line of its own; nothing below the level. */
static void
test_line_form(void **state)
{
	(void)state;
	char *text = log_capture(say_lines);
	char *save = NULL;
	const char *want[] = {"rota-test INFO run r-1 started on 3 hosts", "rota-test WARN two",
	                      "    lines and a bell \\x07", "rota-test ERROR "};
	int n = 0;
	for (char *line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save), n++) {
		assert_true(n < 4);
		if (n == 2) {
			assert_string_equal(line, want[n]);
			continue;
		}
		/* 2026-11-23T08:00:01.123Z */
		assert_true(strlen(line) > 25);
		assert_int_equal(line[4], '-');
		assert_int_equal(line[10], 'T');
		assert_int_equal(line[19], '.');
		assert_int_equal(line[23], 'Z');
		assert_int_equal(line[24], ' ');
		for (int i = 0; i < 23; i++)
			if (i != 4 && i != 7 && i != 10 && i != 13 && i != 16 && i != 19)
				assert_true(line[i] >= '0' && line[i] <= '9');
		assert_string_equal(line + 25, want[n]);
	}
	assert_int_equal(n, 4);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_limit_one_key),
	    cmocka_unit_test(test_limit_distinct_keys_flood),
	    cmocka_unit_test(test_line_form),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
