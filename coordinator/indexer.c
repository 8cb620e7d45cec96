/* indexer: the search index's feeder in the loop (see indexer.h). */
#include "indexer.h"

#include <stdlib.h>

#include "clock.h"
#include "log.h"
#include "xalloc.h"

struct indexer {
	store_t *store; /* borrowed */
	/* store_search_queued when the queue was last found empty */
	uint64_t seen;
	bool more;         /* the last slice stopped with chunks queued */
	int64_t look_mono; /* when to look at the queue again regardless */
	indexer_stats_t stats;
};

indexer_t *
indexer_new(store_t *store, int64_t now_mono)
{
	indexer_t *x = xcalloc(1, sizeof(*x));
	x->store = store;
	x->seen = store_search_queued(store);
	x->look_mono = now_mono; /* a backfill, or a predecessor's queue */
	x->stats.backlog = -1;
	return x;
}

void
indexer_destroy(indexer_t **ip)
{
	free(*ip);
	*ip = NULL;
}

bool
indexer_busy(const indexer_t *x, int64_t now_mono)
{
	return x->more || store_search_queued(x->store) != x->seen || now_mono >= x->look_mono;
}

int
indexer_turn(indexer_t *x, int64_t now_mono)
{
	/* Everything queued up to now is in the queue (the turns that queued
	 * it have committed): a slice that empties it has seen them all. */
	uint64_t queued = store_search_queued(x->store);
	int64_t until = clock_mono_ms() + INDEXER_SLICE_MS;
	uint64_t fed = 0;
	int n;
	do {
		n = store_search_feed(x->store, INDEXER_BATCH_ROWS);
		if (n > 0)
			fed += (uint64_t)n;
	} while (n == INDEXER_BATCH_ROWS && clock_mono_ms() < until);
	/* A failed feed marked the transaction failed: this rolls it back. */
	if (store_commit(x->store) != 0 || n < 0) {
		log_error("search: indexing queued output failed: %s; tried again in %lld s",
		          store_last_error(x->store), (long long)(INDEXER_RETRY_MS / 1000));
		x->stats.failed++;
		x->more = false;
		x->seen = queued;
		x->look_mono = now_mono + INDEXER_RETRY_MS;
		return -1;
	}
	x->stats.slices++;
	x->stats.fed += fed;
	x->more = n == INDEXER_BATCH_ROWS;
	if (!x->more) {
		x->seen = queued;
		x->look_mono = now_mono + INDEXER_CHECK_MS;
	}
	return 0;
}

const indexer_stats_t *
indexer_stats(indexer_t *x)
{
	int64_t rows = 0;
	x->stats.backlog = store_search_backlog(x->store, &rows) == 0 ? rows : -1;
	return &x->stats;
}
