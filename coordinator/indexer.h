/* indexer: when the search index is fed, and how much of it a loop turn
 * takes (docs/operations.md, "Search"). The turn that stores output only
 * queues each chunk (store_search_enqueue); this module feeds the queue
 * to the index after that turn has committed and sent its answers, one
 * slice a turn in a transaction of its own, until the queue is empty:
 * what was stored by the turns before, and output from before the index
 * existed, which its migration queued. It keeps what /metrics says of it.
 *
 * Must never: start a batch once a turn has spent INDEXER_SLICE_MS on the
 * index (a batch begun is finished: its cost is the bound), run on a
 * coordinator that does not lead or cannot write (the caller checks), or
 * retry a failed slice at once (a store that fails would take every
 * turn). */
#ifndef ROTA_INDEXER_H
#define ROTA_INDEXER_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

/* One turn's slice: batches of INDEXER_BATCH_ROWS chunks until this much
 * time is spent. A 16 KiB chunk costs about 1 ms here and 6 ms on a busy
 * machine (docs/benchmarks.md), so a message waits at most about the
 * slice and a batch behind the index. */
#define INDEXER_SLICE_MS 8
#define INDEXER_BATCH_ROWS 2
/* With nothing queued by this coordinator, the queue is looked at again
 * this often (a leader that took over finds what its predecessor left). */
#define INDEXER_CHECK_MS (60LL * 1000)
/* After a slice that failed (rolled back), the next try. */
#define INDEXER_RETRY_MS (10LL * 1000)

typedef struct indexer indexer_t;

typedef struct {
	uint64_t fed;    /* chunks indexed (or found pruned) since start */
	uint64_t slices; /* slices committed since start */
	uint64_t failed; /* slices that failed since start */
	int64_t backlog; /* chunks queued, as last counted (-1: unknown) */
} indexer_stats_t;

/* store is borrowed (the services' store) and must outlive the indexer.
 * The first slice may run at once: the queue may hold a backfill. */
indexer_t *indexer_new(store_t *store, int64_t now_mono);
void indexer_destroy(indexer_t **ip);

/* True when a slice may find work: this coordinator queued chunks since
 * the queue was last found empty, a slice stopped with more queued, or the
 * periodic look is due. The loop then polls without waiting. */
bool indexer_busy(const indexer_t *x, int64_t now_mono);
/* One slice, outside the turn (no transaction open), committed here. 0,
 * or -1 when it failed (logged; retried after INDEXER_RETRY_MS). */
int indexer_turn(indexer_t *x, int64_t now_mono);
/* The stats, with the backlog counted now (a count of the queue: for
 * /metrics, not for every turn). */
const indexer_stats_t *indexer_stats(indexer_t *x);

#endif
