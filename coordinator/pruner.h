/* pruner: when retention runs, and how much of it a loop turn takes
 * (docs/operations.md, "Retention"). The deletions themselves are the
 * store's (store_prune.h); this module decides when a pass starts (an hour
 * after the last, or at `rota prune`), takes one slice of it per turn,
 * then gives the freed pages back to the file system, and keeps what
 * `rota status` and /metrics say of it.
 *
 * Must never: start a batch once a turn has spent PRUNER_SLICE_MS on
 * retention (a batch begun is finished: its cost is the bound), or run on
 * a coordinator that does not lead or cannot write (the caller checks). */
#ifndef ROTA_PRUNER_H
#define ROTA_PRUNER_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

/* A pass starts this long after the last one ended (and this long after
 * start-up: a restart is no time to add work). */
#define PRUNER_INTERVAL_MS (3600LL * 1000)
#define PRUNER_FIRST_PASS_MS (5LL * 60 * 1000)
/* One turn's slice: batches of PRUNER_BATCH_ROWS rows until this much time
 * is spent. A batch costs about 2 ms here (docs/benchmarks.md), so a
 * dispatch waits at most about this long behind retention. */
#define PRUNER_SLICE_MS 8
#define PRUNER_BATCH_ROWS 64
/* Free pages given back per turn after a pass (4 KiB each: 4 MiB). */
#define PRUNER_VACUUM_PAGES 1024

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
} pruner_stats_t;

/* store and retention are borrowed (the services' store and the
 * configuration's retention) and must outlive the pruner. now_mono: the
 * first pass is PRUNER_FIRST_PASS_MS later. */
pruner_t *pruner_new(store_t *store, const store_retention_t *retention, int64_t now_mono);
void pruner_destroy(pruner_t **pp);

/* Once a turn, in the turn's transaction: starts a pass when one is due
 * and takes one slice of the pass under way. */
void pruner_turn(pruner_t *p, int64_t now_mono, int64_t now_wall);
/* True while a pass is under way: the loop then polls without waiting, so
 * the pass goes on between messages. */
bool pruner_busy(const pruner_t *p);
/* Starts a pass at once (rota prune); one under way goes on. Returns the
 * wall time the pass counts from. */
int64_t pruner_start(pruner_t *p, int64_t now_wall);
/* What a pass starting at now_wall would delete, counted, nothing deleted
 * (rota prune --dry-run). Bounded: batches like a pass's for at most
 * bound_ms (the operator's request: PRUNER_DRY_MS), a table counted in one statement capped
 * (STORE_PRUNE_DRY_COUNT_MAX); when either bound stops it, *partial is set
 * and each count is a lower bound ("at least"), never more than the pass
 * would delete. 0, or -1 on a store error. */
#define PRUNER_DRY_MS 50
int pruner_dry_run(pruner_t *p, int64_t now_wall, int64_t bound_ms,
                   uint64_t rows[STORE_PRUNE_TABLES], bool *partial);
/* Store size and oldest rows, read again now (cheap: a few index looks). */
void pruner_refresh(pruner_t *p);
const pruner_stats_t *pruner_stats(const pruner_t *p);

#endif
