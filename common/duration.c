/* duration: parse and show the durations runbooks use for timeouts.
 *
 * Accepted: a bare integer (seconds), or one or more <digits><unit> parts
 * with units d, h, m, s, ms from the largest to the smallest, each at most
 * once ("1h30m", "2m500ms"). No sign, no spaces, no fractions: a timeout is
 * written by a person and a typo such as "1m1m" or "5 m" is better rejected
 * than guessed at. Anything over DURATION_MAX_MS (30 days) is rejected, which
 * also keeps every accepted value inside a uint32_t of milliseconds.
 *
 * Must never: overflow while accumulating, or read past the text. */
#include "duration.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

typedef struct {
	const char *name;
	uint64_t ms;
} duration_unit_t;

/* Largest first; "ms" before "m" so the longer name wins the prefix match. */
static const duration_unit_t duration_units[] = {
    {"d", 24ULL * 3600 * 1000}, {"h", 3600ULL * 1000}, {"ms", 1}, {"m", 60ULL * 1000}, {"s", 1000},
};
#define DURATION_UNIT_COUNT (sizeof(duration_units) / sizeof(duration_units[0]))

/* Reads digits at *pp into *out, stopping with -1 once the number exceeds
 * limit, so no input length can overflow. */
static int
duration_digits(const char **pp, uint64_t limit, uint64_t *out)
{
	const char *p = *pp;
	uint64_t v = 0;

	if (*p < '0' || *p > '9')
		return -1;
	while (*p >= '0' && *p <= '9') {
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > limit)
			return -1;
		p++;
	}
	*pp = p;
	*out = v;
	return 0;
}

int
duration_parse(const char *text, uint64_t *ms)
{
	const char *p = text;
	uint64_t total = 0;
	uint64_t last_unit = UINT64_MAX; /* units must strictly decrease */

	if (text == NULL || *text == '\0')
		return -1;

	/* A bare integer is seconds. */
	if (strspn(text, "0123456789") == strlen(text)) {
		uint64_t secs;
		if (duration_digits(&p, DURATION_MAX_MS / 1000, &secs) != 0)
			return -1;
		*ms = secs * 1000;
		return 0;
	}

	while (*p != '\0') {
		uint64_t n;
		if (duration_digits(&p, DURATION_MAX_MS, &n) != 0)
			return -1;
		const duration_unit_t *unit = NULL;
		for (size_t i = 0; i < DURATION_UNIT_COUNT; i++) {
			size_t ul = strlen(duration_units[i].name);
			if (strncmp(p, duration_units[i].name, ul) == 0) {
				unit = &duration_units[i];
				p += ul;
				break;
			}
		}
		if (unit == NULL || unit->ms >= last_unit)
			return -1;
		last_unit = unit->ms;
		/* n <= DURATION_MAX_MS and unit <= one day: the product fits
		 * easily in 64 bits, but check against the cap before adding. */
		if (n > DURATION_MAX_MS / unit->ms)
			return -1;
		uint64_t part = n * unit->ms;
		if (part > DURATION_MAX_MS - total)
			return -1;
		total += part;
	}
	*ms = total;
	return 0;
}

void
duration_format(int64_t ms, char *buf, unsigned long len)
{
	const char *sign = "";
	uint64_t v;

	if (buf == NULL || len == 0)
		return;
	if (ms < 0) {
		sign = "-";
		/* INT64_MIN has no positive counterpart in int64_t. */
		v = (uint64_t)(-(ms + 1)) + 1;
	} else {
		v = (uint64_t)ms;
	}

	if (v < 1000)
		snprintf(buf, len, "%s%" PRIu64 "ms", sign, v);
	else if (v < 60 * 1000)
		snprintf(buf, len, "%s%" PRIu64 ".%" PRIu64 "s", sign, v / 1000, (v % 1000) / 100);
	else if (v < 3600 * 1000)
		snprintf(buf, len, "%s%" PRIu64 "m%02" PRIu64 "s", sign, v / 60000,
		         (v / 1000) % 60);
	else if (v < 24ULL * 3600 * 1000)
		snprintf(buf, len, "%s%" PRIu64 "h%02" PRIu64 "m", sign, v / 3600000,
		         (v / 60000) % 60);
	else
		snprintf(buf, len, "%s%" PRIu64 "d%02" PRIu64 "h", sign, v / 86400000,
		         (v / 3600000) % 24);
}
