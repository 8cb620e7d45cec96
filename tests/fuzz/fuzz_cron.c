/* fuzz_cron: any bytes as a cron line, then its fire times.
 *
 * The input is "EXPRESSION\nTRAILER": the expression goes to cron_parse;
 * when it parses, the trailer picks a zone (one byte, from zones with the
 * awkward transitions) and a start instant (eight bytes, any int64), and
 * cron_next walks a few fire times from there. cron.h promises: a parse
 * error names a column inside the text, fire times strictly increase
 * (never the same slot twice), and nothing loops forever.
 *
 * Must never: read a zone name from the input (that would fuzz the file
 * system, not rota). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cron.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CRON_MAX_LINE 1024
#define FUZZ_CRON_STEPS 4

static const char *const zones[] = {
    "UTC",
    "America/New_York",    /* DST at 02:00 */
    "Europe/London",       /* DST at 01:00 */
    "Australia/Lord_Howe", /* a 30-minute DST shift */
    "Asia/Kathmandu",      /* +05:45 */
    "Pacific/Chatham",     /* +12:45 / +13:45 */
    "Pacific/Apia",        /* skipped 2011-12-30 whole */
    "America/Santiago",    /* DST at midnight */
    "Africa/Casablanca",   /* DST suspended for Ramadan */
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t len = nl ? (size_t)(nl - data) : size;
	if (len > FUZZ_CRON_MAX_LINE)
		return 0;
	char text[FUZZ_CRON_MAX_LINE + 1];
	memcpy(text, data, len);
	text[len] = '\0';

	cron_t c;
	char err[256];
	int column = -1;
	if (cron_parse(text, &c, err, sizeof(err), &column) != 0) {
		if (err[0] == '\0' || column < 1 || (size_t)column > strlen(text) + 1)
			abort();
		return 0;
	}

	const uint8_t *trailer = nl ? nl + 1 : data + size;
	size_t tlen = (size_t)(data + size - trailer);
	const char *tz = zones[tlen > 0 ? trailer[0] % (sizeof(zones) / sizeof(zones[0])) : 0];
	int64_t after = 1795420800000; /* 2026-11-23 UTC */
	if (tlen >= 9) {
		uint64_t u;
		memcpy(&u, trailer + 1, sizeof(u));
		after = (int64_t)u;
	}
	for (int i = 0; i < FUZZ_CRON_STEPS; i++) {
		int64_t next = cron_next(&c, tz, after);
		if (next == -1)
			break;
		if (next <= after || next % 1000 != 0)
			abort();
		char buf[64];
		(void)cron_format(next, tz, buf, sizeof(buf));
		after = next;
	}
	return 0;
}
