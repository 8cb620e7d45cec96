/* test_skipdates: the dates a schedule skips: which dates are real, a
 * holiday file read with its names and refused with file:line:column, and a
 * slot found by its local date in the schedule's zone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture_dir.h"
#include "skipdates.h"

static void
test_valid(void **state)
{
	(void)state;
	assert_true(skipdates_valid("2026-12-25"));
	assert_true(skipdates_valid("2028-02-29"));
	assert_false(skipdates_valid("2027-02-29"));
	assert_false(skipdates_valid("2026-02-30"));
	assert_false(skipdates_valid("2026-13-01"));
	assert_false(skipdates_valid("2026-12-5"));
	assert_false(skipdates_valid("25/12/2026"));
	assert_false(skipdates_valid(""));
	assert_false(skipdates_valid(NULL));
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
test_read_and_find(void **state)
{
	(void)state;
	char dir[64];
	assert_int_equal(fixture_dir_make("skipdates", dir, sizeof(dir)), 0);
	const char *path = fixture_dir_path(dir, "holidays.txt");
	write_file(path, "# company holidays\n"
	                 "2027-01-01 New Year's Day\n"
	                 "\n"
	                 "2026-12-25\tChristmas Day   # the office is closed\n"
	                 "2026-12-26\n");
	skipdates_t s = {0};
	skipdates_add(&s, "2026-12-24", "Christmas Eve");
	char *error = NULL;
	assert_int_equal(skipdates_read(&s, path, &error), 0);
	assert_int_equal(s.count, 4);
	/* sorted */
	assert_string_equal(s.items[0].date, "2026-12-24");
	assert_string_equal(s.items[1].why, "Christmas Day");
	assert_string_equal(s.items[2].why, "");
	assert_string_equal(s.items[3].why, "New Year's Day");
	/* 2026-12-25 10:00 in London is listed; 2026-12-25 02:00 UTC is still
	 * the 24th in New York (listed too), 2026-12-27 is not. */
	const skipdate_t *d = skipdates_find(&s, 1798192800000LL, "Europe/London");
	assert_non_null(d);
	assert_string_equal(d->date, "2026-12-25");
	d = skipdates_find(&s, 1798164000000LL, "America/New_York");
	assert_non_null(d);
	assert_string_equal(d->date, "2026-12-24");
	assert_null(skipdates_find(&s, 1798365600000LL, "UTC"));
	skipdates_clear(&s);
	assert_int_equal(fixture_dir_remove(dir), 0);
}

static void
test_read_refuses(void **state)
{
	(void)state;
	char dir[64];
	assert_int_equal(fixture_dir_make("skipdates", dir, sizeof(dir)), 0);
	char *path = strdup(fixture_dir_path(dir, "bad.txt"));
	write_file(path, "2026-12-25 Christmas Day\n  2026-02-30 nope\n");
	skipdates_t s = {0};
	char *error = NULL;
	assert_int_equal(skipdates_read(&s, path, &error), -1);
	char want[256];
	snprintf(want, sizeof(want),
	         "%s:2:3: '2026-02-30' is not a date; write YYYY-MM-DD (as in 2026-12-25 "
	         "Christmas Day)",
	         path);
	assert_string_equal(error, want);
	assert_int_equal(s.count, 0); /* nothing from a bad file */
	free(error);
	error = NULL;
	assert_int_equal(skipdates_read(&s, "/nonexistent/holidays.txt", &error), -1);
	assert_string_equal(error, "/nonexistent/holidays.txt: No such file or directory");
	free(error);
	free(path);
	assert_int_equal(fixture_dir_remove(dir), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid),
	    cmocka_unit_test(test_read_and_find),
	    cmocka_unit_test(test_read_refuses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
