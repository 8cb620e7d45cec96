/* duration: "500ms", "30s", "5m", "1h30m", "2d" and bare integers (seconds)
 * into milliseconds. */
#ifndef ROTA_DURATION_H
#define ROTA_DURATION_H

#include <stdint.h>

/* The longest duration accepted: 30 days. */
#define DURATION_MAX_MS (30ULL * 24 * 3600 * 1000)

/* Returns 0 and sets *ms, or -1 for text that is not a duration (empty,
 * unknown unit, overflow past 30 days... see duration.c). */
int duration_parse(const char *text, uint64_t *ms);
/* Formats ms as "1.2s", "350ms", "2m05s", "1h02m" into buf. */
void duration_format(int64_t ms, char *buf, unsigned long len);

#endif
