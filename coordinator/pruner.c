/* pruner: retention's driver in the loop (see pruner.h). */
#include "pruner.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "events.h"
#include "log.h"
#include "xalloc.h"

enum { IDLE, PRUNING, VACUUMING };

struct pruner {
	store_t *store;                     /* borrowed */
	const store_retention_t *retention; /* borrowed: the configuration's */
	int state;
	store_prune_pass_t pass;
	int64_t next_pass_mono;
	int64_t pass_started_mono;
	int64_t last_slice_mono; /* when the last slice ended (0: none this pass) */
	/* The pass's slices: how many, put off, the longest, and their
	 * durations in buckets (pruner.h) for the p99. */
	uint64_t slices, deferred;
	int64_t slice_max_us;
	uint32_t slice_hist[PRUNER_SLICE_BUCKETS];
	pruner_stats_t stats;
};

pruner_t *
pruner_new(store_t *store, const store_retention_t *retention, int64_t now_mono)
{
	pruner_t *p = xcalloc(1, sizeof(*p));
	p->store = store;
	p->retention = retention;
	p->next_pass_mono = now_mono + PRUNER_FIRST_PASS_MS;
	store_prune_last(store, &p->stats.last_pass_ms); /* 0 when never */
	pruner_refresh(p);
	return p;
}

void
pruner_destroy(pruner_t **pp)
{
	free(*pp);
	*pp = NULL;
}

void
pruner_refresh(pruner_t *p)
{
	int64_t bytes = 0;
	if (store_size(p->store, &bytes) == 0)
		p->stats.store_bytes = bytes;
	store_prune_oldest(p->store, p->stats.oldest);
}

/* A pass from now_wall: the configuration's cut-offs, and at least the
 * event ring's span of events kept (a live follower's cursor is in it). */
static void
pruner_begin(const pruner_t *p, store_prune_pass_t *pass, int64_t now_wall)
{
	store_prune_begin(pass, p->retention, now_wall);
	if (pass->events_keep < EVENTS_RING_MAX)
		pass->events_keep = EVENTS_RING_MAX;
}

int64_t
pruner_start(pruner_t *p, int64_t now_wall)
{
	if (p->state == IDLE) {
		pruner_begin(p, &p->pass, now_wall);
		p->state = PRUNING;
		p->pass_started_mono = clock_mono_ms();
		p->last_slice_mono = 0;
		p->slices = p->deferred = 0;
		p->slice_max_us = 0;
		memset(p->slice_hist, 0, sizeof(p->slice_hist));
	}
	return now_wall;
}

bool
pruner_busy(const pruner_t *p)
{
	return p->state != IDLE;
}

bool
pruner_due(const pruner_t *p, int64_t now_mono)
{
	return p->state != IDLE || now_mono >= p->next_pass_mono;
}

/* The slice below which 99% of the pass's slices ended, to a bucket. */
static int64_t
pruner_slice_p99(const pruner_t *p)
{
	uint64_t want = p->slices - p->slices / 100, seen = 0;
	for (int b = 0; b < PRUNER_SLICE_BUCKETS; b++) {
		seen += p->slice_hist[b];
		if (seen >= want && seen > 0)
			return (int64_t)(b + 1) * PRUNER_SLICE_BUCKET_US;
	}
	return p->slice_max_us; /* beyond the last bucket */
}

/* The pass is over: its end marked in the store (in the slice's
 * transaction, committed with it). */
static void
pruner_finish(pruner_t *p, int64_t now_mono, int64_t now_wall)
{
	p->state = IDLE;
	p->next_pass_mono = now_mono + PRUNER_INTERVAL_MS;
	store_prune_mark(p->store, now_wall);
}

/* What the pass did, once its last slice is committed: kept for status and
 * /metrics, and logged. */
static void
pruner_report(pruner_t *p, int64_t now_mono, int64_t now_wall)
{
	p->stats.passes++;
	p->stats.last_pass_ms = now_wall;
	uint64_t total = 0;
	for (int t = 0; t < STORE_PRUNE_TABLES; t++) {
		p->stats.last_rows[t] = p->pass.rows[t];
		p->stats.pruned[t] += p->pass.rows[t];
		total += p->pass.rows[t];
	}
	p->stats.last_slices = p->slices;
	p->stats.last_slice_p99_us = pruner_slice_p99(p);
	p->stats.last_slice_max_us = p->slice_max_us;
	p->stats.last_deferred = p->deferred;
	pruner_refresh(p);
	log_info("retention: pass done in %lld ms: %llu rows deleted (runs %llu, steps %llu,"
	         " outputs %llu, audit %llu, notifications %llu, incidents %llu, events %llu);"
	         " store %lld bytes; %llu slices (p99 %.2f ms, max %.2f ms), %llu put off for"
	         " input",
	         (long long)(now_mono - p->pass_started_mono), (unsigned long long)total,
	         (unsigned long long)p->pass.rows[STORE_PRUNE_RUNS],
	         (unsigned long long)p->pass.rows[STORE_PRUNE_STEPS],
	         (unsigned long long)p->pass.rows[STORE_PRUNE_OUTPUTS],
	         (unsigned long long)p->pass.rows[STORE_PRUNE_AUDIT],
	         (unsigned long long)p->pass.rows[STORE_PRUNE_NOTIFICATIONS],
	         (unsigned long long)p->pass.rows[STORE_PRUNE_INCIDENTS],
	         (unsigned long long)p->pass.rows[STORE_PRUNE_EVENTS],
	         (long long)p->stats.store_bytes, (unsigned long long)p->slices,
	         (double)p->stats.last_slice_p99_us / 1000.0, (double)p->slice_max_us / 1000.0,
	         (unsigned long long)p->deferred);
}

/* Stops the pass after a failed batch or commit: the slice's deletions
 * were rolled back, and the walk's cursor is past them, so the next pass
 * (in an hour) takes them again. */
static void
pruner_fail(pruner_t *p, int64_t now_mono, const char *what)
{
	log_error("retention: %s failed (%s); the pass stops, the next one is in an hour", what,
	          store_last_error(p->store));
	p->state = IDLE;
	p->next_pass_mono = now_mono + PRUNER_INTERVAL_MS;
}

/* One slice's work, bounded by time: batches of deletions, or steps of the
 * vacuum once the deletions are done. 1 when the pass is over, 0, or -1
 * when a batch failed. */
static int
pruner_slice(pruner_t *p, int64_t now_mono, int64_t now_wall, int64_t until_us)
{
	if (p->state == PRUNING) {
		do {
			if (store_prune_step(p->store, &p->pass, PRUNER_BATCH_ROWS, false) != 0)
				return -1;
		} while (!p->pass.done && clock_mono_us() < until_us);
		if (p->pass.done)
			p->state = VACUUMING; /* from the next slice: this one is spent */
		return 0;
	}
	int64_t left = 0;
	do {
		if (store_prune_vacuum(p->store, PRUNER_VACUUM_PAGES, &left) != 0)
			return -1;
	} while (left > 0 && clock_mono_us() < until_us);
	if (left > 0)
		return 0;
	pruner_finish(p, now_mono, now_wall);
	return 1;
}

bool
pruner_put_off(pruner_t *p, int64_t now_mono)
{
	if (p->state == IDLE || p->last_slice_mono == 0 ||
	    now_mono - p->last_slice_mono >= PRUNER_DEFER_MAX_MS)
		return false;
	p->deferred++;
	return true;
}

void
pruner_turn(pruner_t *p, int64_t now_mono, int64_t now_wall)
{
	if (p->state == IDLE && now_mono >= p->next_pass_mono)
		pruner_start(p, now_wall);
	if (p->state == IDLE)
		return;
	int64_t t0 = clock_mono_us();
	int ended = pruner_slice(p, now_mono, now_wall, t0 + PRUNER_SLICE_US);
	if (ended < 0) {
		store_commit(p->store); /* rolls the failed slice back */
		pruner_fail(p, now_mono, "a batch");
		return;
	}
	if (store_commit(p->store) != 0) {
		pruner_fail(p, now_mono, "a slice's commit");
		return;
	}
	int64_t took = clock_mono_us() - t0;
	p->slices++;
	if (took > p->slice_max_us)
		p->slice_max_us = took;
	int64_t b = took / PRUNER_SLICE_BUCKET_US;
	if (b < PRUNER_SLICE_BUCKETS)
		p->slice_hist[b]++;
	p->last_slice_mono = now_mono;
	if (ended)
		pruner_report(p, now_mono, now_wall);
}

int
pruner_dry_run(pruner_t *p, int64_t now_wall, int64_t bound_ms, uint64_t rows[STORE_PRUNE_TABLES],
               bool *partial)
{
	store_prune_pass_t pass;
	pruner_begin(p, &pass, now_wall);
	int64_t until = clock_mono_ms() + bound_ms;
	do {
		if (store_prune_step(p->store, &pass, PRUNER_DRY_BATCH_ROWS, true) != 0)
			return -1;
	} while (!pass.done && clock_mono_ms() < until);
	memcpy(rows, pass.rows, sizeof(pass.rows));
	*partial = pass.partial || !pass.done;
	return 0;
}

const pruner_stats_t *
pruner_stats(const pruner_t *p)
{
	return &p->stats;
}
