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
	}
	return now_wall;
}

bool
pruner_busy(const pruner_t *p)
{
	return p->state != IDLE;
}

static void
pruner_finish(pruner_t *p, int64_t now_mono, int64_t now_wall)
{
	p->state = IDLE;
	p->next_pass_mono = now_mono + PRUNER_INTERVAL_MS;
	p->stats.passes++;
	p->stats.last_pass_ms = now_wall;
	store_prune_mark(p->store, now_wall); /* with this turn's commit */
	uint64_t total = 0;
	for (int t = 0; t < STORE_PRUNE_TABLES; t++) {
		p->stats.last_rows[t] = p->pass.rows[t];
		p->stats.pruned[t] += p->pass.rows[t];
		total += p->pass.rows[t];
	}
	pruner_refresh(p);
	log_info("retention: pass done in %lld ms: %llu rows deleted (runs %llu, steps %llu,"
	         " outputs %llu, audit %llu, notifications %llu, incidents %llu, events %llu);"
	         " store %lld"
	         " bytes",
	         (long long)(now_mono - p->pass_started_mono), (unsigned long long)total,
	         (unsigned long long)p->pass.rows[STORE_PRUNE_RUNS],
	         (unsigned long long)p->pass.rows[STORE_PRUNE_STEPS],
	         (unsigned long long)p->pass.rows[STORE_PRUNE_OUTPUTS],
	         (unsigned long long)p->pass.rows[STORE_PRUNE_AUDIT],
	         (unsigned long long)p->pass.rows[STORE_PRUNE_NOTIFICATIONS],
	         (unsigned long long)p->pass.rows[STORE_PRUNE_INCIDENTS],
	         (unsigned long long)p->pass.rows[STORE_PRUNE_EVENTS],
	         (long long)p->stats.store_bytes);
}

void
pruner_turn(pruner_t *p, int64_t now_mono, int64_t now_wall)
{
	if (p->state == IDLE && now_mono >= p->next_pass_mono)
		pruner_start(p, now_wall);
	if (p->state == IDLE)
		return;
	int64_t until = clock_mono_ms() + PRUNER_SLICE_MS;
	if (p->state == PRUNING) {
		do {
			if (store_prune_step(p->store, &p->pass, PRUNER_BATCH_ROWS, false) != 0) {
				/* The turn will not commit; the next pass starts over. */
				log_error("retention: a batch failed; the pass stops, the next one"
				          " is in an hour");
				p->state = IDLE;
				p->next_pass_mono = now_mono + PRUNER_INTERVAL_MS;
				return;
			}
		} while (!p->pass.done && clock_mono_ms() < until);
		if (p->pass.done)
			p->state = VACUUMING;
		return; /* the vacuum from the next turn: this one has spent its slice */
	}
	int64_t left = 0;
	if (store_prune_vacuum(p->store, PRUNER_VACUUM_PAGES, &left) != 0 || left == 0)
		pruner_finish(p, now_mono, now_wall);
}

int
pruner_dry_run(pruner_t *p, int64_t now_wall, int64_t bound_ms, uint64_t rows[STORE_PRUNE_TABLES],
               bool *partial)
{
	store_prune_pass_t pass;
	pruner_begin(p, &pass, now_wall);
	int64_t until = clock_mono_ms() + bound_ms;
	do {
		if (store_prune_step(p->store, &pass, PRUNER_BATCH_ROWS, true) != 0)
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
