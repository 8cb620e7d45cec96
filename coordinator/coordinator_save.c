/* coordinator_save: the runbooks' and schedules' rows written after the
 * start, a slice a loop turn (docs/benchmarks.md, "Start with the store
 * written after").
 *
 * At 100,000 scheduled runbooks a start wrote 200,000 rows on the loop's
 * thread before its first answer, about as long as reading the files. The
 * catalog and the scheduler serve from memory, so nothing answered waits
 * for those rows; they are what a later start (or leader) reads. They are
 * marked at the promotion (catalog_persist_later, scheduler_sync_later)
 * and written here after each turn's answers, in a transaction of their
 * own, until none is left. A schedule fires, and a run of a runbook is
 * recorded, only with its row written in the same transaction or an
 * earlier one (scheduler.c, dispatcher.c); a restart before the rows are
 * all written reads the files again and marks what is missing again.
 *
 * Must never: run on a coordinator that does not lead or cannot write
 * (the caller checks), or retry a failed slice at once. */
#include "coordinator_internal.h"

#include "clock.h"
#include "log.h"

/* Rows written between looks at the clock. */
#define COORDINATOR_SAVE_BATCH 256

void
coordinator_save_mark(coordinator_t *c)
{
	c->save_started = clock_mono_ms();
	c->save_retry = 0;
	c->save_cpu_us = 0;
	c->save_logged = false;
}

bool
coordinator_save_busy(const coordinator_t *c, int64_t now)
{
	const services_t *s = c->svc;
	if (catalog_unsaved(s->catalog) == 0 && scheduler_unsaved(s->scheduler) == 0)
		return false;
	return c->save_retry <= now;
}

/* A slice that failed was rolled back, but the rows it wrote were unmarked:
 * marked again from what the store holds. The scheduler's entries are
 * read again as at a start (the slots they fired were committed with their
 * rows). */
static void
coordinator_save_remark(coordinator_t *c)
{
	services_t *s = c->svc;
	if (catalog_persist_later(NULL, s->catalog, s->store) != 0)
		log_warn("store: cannot read the saved runbooks; all are written again");
	scheduler_reset(s->scheduler);
	scheduler_sync_later(s->scheduler, s->catalog, clock_wall_ms());
	if (store_commit(s->store) != 0)
		log_warn("store: %s", store_last_error(s->store));
	c->save_retry = clock_mono_ms() + COORDINATOR_SAVE_RETRY_MS;
}

int
coordinator_save_turn(coordinator_t *c, size_t max_ms)
{
	services_t *s = c->svc;
	int64_t start = clock_mono_us(), cpu = clock_thread_cpu_us();
	int rc = 0;
	/* At most one budget a turn (max_ms 0: everything), the runbooks'
	 * rows before the schedules', so a later start finds a schedule's
	 * runbook whenever it finds the schedule. */
	do {
		if (catalog_unsaved(s->catalog) > 0)
			rc = catalog_save_some(s->catalog, s->store, COORDINATOR_SAVE_BATCH);
		else
			rc = scheduler_save_some(s->scheduler, clock_wall_ms(),
			                         COORDINATOR_SAVE_BATCH);
	} while (rc == 0 && catalog_unsaved(s->catalog) + scheduler_unsaved(s->scheduler) > 0 &&
	         (max_ms == 0 || clock_mono_us() - start < (int64_t)max_ms * 1000));
	if (rc != 0 || store_commit(s->store) != 0) {
		log_warn(
		    "store: the runbooks' and schedules' rows could not be written (%s); trying"
		    " again in %d s",
		    store_last_error(s->store), COORDINATOR_SAVE_RETRY_MS / 1000);
		store_commit(s->store); /* rolls back what the slice began */
		coordinator_save_remark(c);
		return -1;
	}
	c->save_cpu_us += clock_thread_cpu_us() - cpu;
	if (!c->save_logged && catalog_unsaved(s->catalog) == 0 &&
	    scheduler_unsaved(s->scheduler) == 0) {
		c->save_logged = true;
		log_info("store: the runbooks' and schedules' rows are written, %lld ms after the"
		         " promotion (%lld ms of the loop's CPU)",
		         (long long)(clock_mono_ms() - c->save_started),
		         (long long)(c->save_cpu_us / 1000));
	}
	return 0;
}
