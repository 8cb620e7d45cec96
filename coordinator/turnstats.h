/* turnstats: where the loop's turns spend their time, by phase (waiting,
 * reading and acting, the tick, the commit, telling), in CPU time of the
 * loop's thread and in wall-clock time, and how many turns committed.
 * Logged when the coordinator stops, so a benchmark can say what a result
 * costs the loop without a profiler, in figures that do not move with the
 * machine's load (CPU time; docs/benchmarks.md, "The loop's turn").
 *
 * Must never: cost more than a few clock reads a turn. */
#ifndef ROTA_TURNSTATS_H
#define ROTA_TURNSTATS_H

#include <stdbool.h>
#include <stdint.h>

typedef enum {
	TURN_WAIT,   /* zmq_poll: sleeping, and libzmq's side of the poll */
	TURN_READ,   /* the messages read and acted on, the HTTP server's turn */
	TURN_TICK,   /* heartbeats, the dispatcher's tick, schedules, incidents */
	TURN_COMMIT, /* the dispatcher's end of turn, the held rows, COMMIT */
	TURN_TELL,   /* events read back, the queued messages sent */
	TURN_AFTER,  /* the search index's, retention's and backup's slices */
	TURN_PHASES
} turn_phase_t;

typedef struct {
	uint64_t turns, commits;
	uint64_t cpu_us[TURN_PHASES], wall_us[TURN_PHASES];
	int64_t cpu_mark, wall_mark; /* when the phase under way began */
} turnstats_t;

/* Starts timing a phase (ends none). */
void turnstats_begin(turnstats_t *t);
/* Ends the phase under way, counted as `phase`, and starts the next. */
void turnstats_mark(turnstats_t *t, turn_phase_t phase);
/* One turn done; `committed` when it wrote and committed. */
void turnstats_turn(turnstats_t *t, bool committed);
/* One INFO line: per phase, CPU and wall µs per committed turn and per
 * result; results is what the turns recorded. */
void turnstats_log(const turnstats_t *t, uint64_t results);

#endif
