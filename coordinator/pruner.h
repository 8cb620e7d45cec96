/* pruner: when retention runs, and how much of it a loop turn takes
 * (docs/operations.md, "Retention"). The deletions themselves are the
 * store's (store_prune.h); this module decides when a pass starts (an hour
 * after the last, or at `rota prune`), takes one slice of it per turn in a
 * transaction of its own, then gives the freed pages back to the file
 * system, and keeps what `rota status` and /metrics say of it.
 *
 * Must never: start a batch once a slice has spent PRUNER_SLICE_US (a
 * batch begun is finished: its cost is the bound), take a slice while a
 * message waits on the loop's sockets unless none was taken for
 * PRUNER_DEFER_MAX_MS (dispatch goes first, retention still goes on), or
 * run on a coordinator that does not lead or cannot write (the caller
 * checks). */
#ifndef ROTA_PRUNER_H
#define ROTA_PRUNER_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

/* A pass starts this long after the last one ended (and this long after
 * start-up: a restart is no time to add work). */
#define PRUNER_INTERVAL_MS (3600LL * 1000)
#define PRUNER_FIRST_PASS_MS (5LL * 60 * 1000)
/* One slice: batches of PRUNER_BATCH_ROWS rows until this much time is
 * spent, then its commit. A batch of 16 rows is about one run of ten steps
 * (0.1 to 0.3 ms of CPU), so a message that arrives during a slice waits
 * about 2 ms and its commit (docs/benchmarks.md, "Dispatch while
 * pruning"). */
#define PRUNER_SLICE_US 2000
#define PRUNER_BATCH_ROWS 16
/* A slice is put off while a message waits on the loop's sockets, but
 * never longer than this since the last one: a coordinator that always
 * has input (thousands of workers' heartbeats) still prunes, a slice per
 * this interval at least. */
#define PRUNER_DEFER_MAX_MS 100
/* Free pages given back per step of a vacuum slice (4 KiB each: about
 * 0.5 ms of CPU); steps are repeated until the slice's time is spent. */
#define PRUNER_VACUUM_PAGES 32
/* A slice's duration (its batches and its commit) is kept in buckets of
 * this many µs up to PRUNER_SLICE_BUCKETS of them, for the pass's p99. */
#define PRUNER_SLICE_BUCKET_US 100
#define PRUNER_SLICE_BUCKETS 1000

typedef struct pruner pruner_t;

typedef struct {
	uint64_t pruned[STORE_PRUNE_TABLES]; /* rows deleted since start */
	uint64_t passes;                     /* passes ended since start */
	/* wall: when the last pass ended, read from the store at start; 0 none */
	int64_t last_pass_ms;
	uint64_t last_rows[STORE_PRUNE_TABLES]; /* what it deleted (passes > 0) */
	int64_t store_bytes;                    /* at the end of the last pass (or start) */
	int64_t oldest[STORE_PRUNE_TABLES];     /* wall ms of the oldest row kept; 0 none */
	bool running;                           /* a pass (or its vacuum) is under way */
	/* The last pass's slices (passes > 0): how many, how long the loop
	 * was held by each (its batches and its commit, wall µs: the 99th
	 * percentile to PRUNER_SLICE_BUCKET_US, and the longest), and how many
	 * turns put a slice off because a message was waiting. */
	uint64_t last_slices;
	int64_t last_slice_p99_us;
	int64_t last_slice_max_us;
	uint64_t last_deferred;
} pruner_stats_t;

/* store and retention are borrowed (the services' store and the
 * configuration's retention) and must outlive the pruner. now_mono: the
 * first pass is PRUNER_FIRST_PASS_MS later. */
pruner_t *pruner_new(store_t *store, const store_retention_t *retention, int64_t now_mono);
void pruner_destroy(pruner_t **pp);

/* Once a turn, after the turn's commit and its messages are sent (no
 * transaction open): starts a pass when one is due and takes one slice of
 * the pass under way, committed here. A slice whose batch or commit fails
 * ends the pass (nothing of that slice is kept); the next one is in an
 * hour. */
void pruner_turn(pruner_t *p, int64_t now_mono, int64_t now_wall);
/* Asked by the loop before pruner_turn when a message waits on its sockets
 * (polled without waiting): true when this turn's slice is put off
 * (counted; the loop then skips pruner_turn), false when it must be taken
 * anyway (none was for PRUNER_DEFER_MAX_MS, or none yet in this pass). */
bool pruner_put_off(pruner_t *p, int64_t now_mono);
/* True while a pass is under way: the loop then polls without waiting, so
 * the pass goes on between messages. */
bool pruner_busy(const pruner_t *p);
/* Busy, or a pass would start at the next pruner_turn. */
bool pruner_due(const pruner_t *p, int64_t now_mono);
/* Starts a pass at once (rota prune); one under way goes on. Returns the
 * wall time the pass counts from. */
int64_t pruner_start(pruner_t *p, int64_t now_wall);
/* What a pass starting at now_wall would delete, counted, nothing deleted
 * (rota prune --dry-run). Bounded: batches of PRUNER_DRY_BATCH_ROWS for at
 * most bound_ms (the operator's request: PRUNER_DRY_MS), a table counted in
 * one statement capped
 * (STORE_PRUNE_DRY_COUNT_MAX); when either bound stops it, *partial is set
 * and each count is a lower bound ("at least"), never more than the pass
 * would delete. 0, or -1 on a store error. */
#define PRUNER_DRY_MS 50
#define PRUNER_DRY_BATCH_ROWS 64
int pruner_dry_run(pruner_t *p, int64_t now_wall, int64_t bound_ms,
                   uint64_t rows[STORE_PRUNE_TABLES], bool *partial);
/* Store size and oldest rows, read again now (cheap: a few index looks). */
void pruner_refresh(pruner_t *p);
const pruner_stats_t *pruner_stats(const pruner_t *p);

#endif
