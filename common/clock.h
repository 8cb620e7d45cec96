/* clock: the two times rota uses.
 *
 * Wall time (ms since the Unix epoch) is what is stored and shown; monotonic
 * time drives every timeout and heartbeat, so a clock step never fires or
 * starves a timer. */
#ifndef ROTA_CLOCK_H
#define ROTA_CLOCK_H

#include <stdint.h>

int64_t clock_wall_ms(void);
int64_t clock_mono_ms(void);
/* Formats wall ms as "2026-11-23 08:00:01" in UTC into buf (at least 20). */
void clock_format(int64_t wall_ms, char *buf, unsigned long len);

#endif
