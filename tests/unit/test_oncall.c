/* test_oncall: a rotation's calendar as iCalendar (RFC 5545): CRLF lines
 * of at most 75 octets (longer ones folded, each continuation starting
 * with a space), one event per shift with UTC times, an override marked,
 * the same UID for the same shift. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "oncall.h"

static void
test_ics(void **state)
{
	(void)state;
	/* The longest names the configuration allows make the UID line fold. */
	char name[65], person[65];
	memset(name, 'r', 64);
	name[64] = '\0';
	memset(person, 'p', 64);
	person[64] = '\0';
	Rota__OncallShift s1 = ROTA__ONCALL_SHIFT__INIT, s2 = ROTA__ONCALL_SHIFT__INIT;
	s1.person = person;
	s1.from_ms = 1796029200000LL;  /* 2026-11-30T09:00:00Z */
	s1.until_ms = 1796634000000LL; /* 2026-12-07T09:00:00Z */
	s2.person = (char *)"carol";
	s2.from_ms = s1.until_ms;
	s2.until_ms = s1.until_ms + 3600 * 1000;
	s2.override = true;
	Rota__OncallShift *shifts[] = {&s1, &s2};
	Rota__OncallRotation rot = ROTA__ONCALL_ROTATION__INIT;
	rot.name = name;
	rot.shifts = shifts;
	rot.n_shifts = 2;
	char *ics = oncall_ics(&rot, 1796000000000LL);
	assert_non_null(ics);
	assert_int_equal(strncmp(ics, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n", 30), 0);
	size_t len = strlen(ics);
	assert_true(len > 13 && strcmp(ics + len - 15, "END:VCALENDAR\r\n") == 0);
	/* Every line ends in CRLF and holds at most 75 octets. */
	bool folded = false;
	for (char *line = ics; *line;) {
		char *crlf = strstr(line, "\r\n");
		assert_non_null(crlf);
		assert_true(crlf - line <= 75);
		assert_null(memchr(line, '\n', (size_t)(crlf - line)));
		if (line[0] == ' ')
			folded = true;
		line = crlf + 2;
	}
	assert_true(folded);
	assert_non_null(strstr(ics, "\r\nDTSTART:20261130T090000Z\r\nDTEND:20261207T090000Z\r\n"));
	assert_non_null(strstr(ics, "\r\nSUMMARY:carol on call ("));
	assert_non_null(strstr(ics, ") - override\r\n"));
	assert_int_equal(strstr(ics, "BEGIN:VEVENT") != NULL, 1);
	/* A later fetch stamps another DTSTAMP but keeps each UID. */
	char *again = oncall_ics(&rot, 1796000600000LL);
	char *uid1 = strstr(ics, "UID:"), *uid2 = strstr(again, "UID:");
	assert_int_equal(strncmp(uid1, uid2, strstr(uid1, "DTSTAMP") - uid1), 0);
	free(again);
	free(ics);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ics),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
