/* turnstats: the loop's turns timed by phase; see turnstats.h. */
#include "turnstats.h"

#include <stdio.h>

#include "clock.h"
#include "log.h"

void
turnstats_begin(turnstats_t *t)
{
	t->cpu_mark = clock_thread_cpu_us();
	t->wall_mark = clock_mono_us();
}

void
turnstats_mark(turnstats_t *t, turn_phase_t phase)
{
	int64_t cpu = clock_thread_cpu_us(), wall = clock_mono_us();
	t->cpu_us[phase] += (uint64_t)(cpu - t->cpu_mark);
	t->wall_us[phase] += (uint64_t)(wall - t->wall_mark);
	t->cpu_mark = cpu;
	t->wall_mark = wall;
}

void
turnstats_turn(turnstats_t *t, bool committed)
{
	t->turns++;
	if (committed)
		t->commits++;
}

void
turnstats_log(const turnstats_t *t, uint64_t results)
{
	static const char *const names[TURN_PHASES] = {"wait",   "read", "tick",
	                                               "commit", "tell", "after"};
	char line[512];
	size_t o = 0;
	uint64_t cpu = 0;
	for (int p = 0; p < TURN_PHASES; p++) {
		cpu += t->cpu_us[p];
		o += (size_t)snprintf(line + o, sizeof(line) - o, "%s %s %.1f/%.1f", p ? "," : "",
		                      names[p],
		                      results ? (double)t->cpu_us[p] / (double)results : 0.0,
		                      results ? (double)t->wall_us[p] / (double)results : 0.0);
		if (o >= sizeof(line))
			break;
	}
	log_info("turns: %llu, %llu committed, %.1f results a commit; loop CPU %.1f us a result;"
	         " by phase, CPU/wall us a result:%s",
	         (unsigned long long)t->turns, (unsigned long long)t->commits,
	         t->commits ? (double)results / (double)t->commits : 0.0,
	         results ? (double)cpu / (double)results : 0.0, line);
}
