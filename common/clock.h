/* clock: the two times rota uses.
 *
 * Wall time (ms since the Unix epoch) is what is stored and shown; monotonic
 * time drives every timeout and heartbeat, so a clock step never fires or
 * starves a timer. */
#ifndef ROTA_CLOCK_H
#define ROTA_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

/* Wall time. For tests only, ROTA_FAKE_NOW=YYYY-MM-DDTHH:MM:SSZ in the
 * environment makes the process's wall clock start at that instant and run
 * on from there (the coordinator logs it loudly). */
int64_t clock_wall_ms(void);
/* True when ROTA_FAKE_NOW moved the wall clock. */
bool clock_faked(void);
int64_t clock_mono_ms(void);
/* The same in microseconds, for measuring short things. */
int64_t clock_mono_us(void);
/* The calling thread's CPU time in microseconds (0 where it cannot be
 * read): what a piece of work cost, whatever the machine's load. */
int64_t clock_thread_cpu_us(void);
/* Formats wall ms as "2026-11-23 08:00:01" in UTC into buf (at least 20). */
void clock_format(int64_t wall_ms, char *buf, unsigned long len);

#endif
