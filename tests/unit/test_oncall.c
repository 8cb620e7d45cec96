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

/* Instants a caller names are bounded before any arithmetic on them: a
 * viewer's at near INT64_MAX, or an operator's --from near INT64_MIN, once
 * overflowed the shift arithmetic (and got past the 92-day bound). */
static void
test_instants_bounded(void **state)
{
	(void)state;
	config_t c;
	memset(&c, 0, sizeof(c));
	oncall_t *o = oncall_new(NULL, &c);
	Rota__OncallResponse out;
	int code = 0;
	char *error = NULL;
	assert_int_equal(oncall_answer(o, NULL, INT64_MAX, 1, &out, &code, &error), -1);
	assert_int_equal(code, ROTA__ERROR_CODE__ERR_BAD_REQUEST);
	assert_non_null(strstr(error, "between 1970 and the end of 9999"));
	free(error);
	error = NULL;
	rotation_override_t ov = {.person = "carol", .from_ms = INT64_MIN, .until_ms = 1000};
	char *replaces = NULL;
	assert_int_equal(oncall_override(o, "primary", &ov, 0, &replaces, &code, &error), -1);
	assert_int_equal(code, ROTA__ERROR_CODE__ERR_BAD_REQUEST);
	assert_non_null(strstr(error, "--from and --until"));
	assert_null(replaces);
	free(error);
	oncall_destroy(&o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ics),
	    cmocka_unit_test(test_instants_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
