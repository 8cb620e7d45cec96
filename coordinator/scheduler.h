/* scheduler: the calendar of scheduled runbooks.
 *
 * Each runbook with a `schedule` has an entry: its cron, zone, the next slot
 * to fire and the last one fired. Entries sit in a min-heap on the next
 * slot, so a turn costs one comparison while nothing is due, however many
 * schedules there are.
 *
 * Slots are persisted in the store's `schedules` table in the same
 * transaction as the runs they start: a restart at any moment neither fires
 * a slot twice nor forgets one. A slot is fired when the wall clock reaches
 * it; one older than SCHEDULER_GRACE_MS when first seen (the coordinator was
 * down, or stalled) was missed and follows the schedule's catchup policy.
 * A wall clock that jumps back cannot fire a slot again: a slot at or before
 * the last one fired never fires.
 *
 * The scheduler decides what fires; the caller (the coordinator) starts the
 * runs, so this module knows nothing of runs or workers. */
#ifndef ROTA_SCHEDULER_H
#define ROTA_SCHEDULER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "cron.h"
#include "runbook.h"
#include "store/store.h"

#define SCHEDULER_GRACE_MS 60000
/* At most this many slots are walked in one go to catch up one schedule (a
 * minutely schedule down for two years); past it, the latest slots are
 * found by walking from nearer now. */
#define SCHEDULER_MAX_WALK 1200000
/* A schedule whose row is still to be written (scheduler_sync_later) gets
 * it written this long before its slot at the latest: a coordinator down
 * across the slot then finds it missed, as with a row written at start. */
#define SCHEDULER_SAVE_AHEAD_MS (5LL * 60 * 1000)

typedef struct {
	char *runbook; /* owned */
	char *cron;    /* owned: as written */
	char *timezone;
	cron_t expr;
	runbook_catchup_t catchup;
	uint32_t catchup_max;
	runbook_concurrency_t concurrency;
	uint32_t jitter_ms;
	int64_t next_ms;      /* the next slot to fire; -1 = never */
	int64_t last_slot_ms; /* 0 = never fired */
	char *last_run_id;    /* owned, may be NULL */
	size_t heap_index;
	bool unsaved; /* its row is not written yet (scheduler_sync_later) */
} schedule_t;

typedef struct scheduler scheduler_t;

/* Called for each slot to fire, oldest first. Returns the id of the run it
 * recorded (the caller's string, copied), or NULL when nothing was recorded.
 * missed says how many earlier slots the catchup policy dropped. */
typedef const char *(*scheduler_fire_fn)(void *ctx, const schedule_t *s, int64_t slot_ms,
                                         size_t missed);

/* A scheduler keeping its slots in store (borrowed for its whole life). */
scheduler_t *scheduler_new(store_t *store);
void scheduler_destroy(scheduler_t **sp);
/* Forgets every entry, as a new scheduler knows none (after a turn that
 * could not be committed: the store is the truth); scheduler_sync then
 * reads them again. The scheduler stays the same object. */
void scheduler_reset(scheduler_t *s);

/* Matches the entries to the catalog's scheduled runbooks: new ones take
 * their state from the store (or start at the next slot after now), a
 * changed cron or zone starts again from now, removed ones are forgotten
 * (in the store too). Writes in the turn's transaction. */
int scheduler_sync(scheduler_t *s, const catalog_t *catalog, int64_t now_ms);

/* scheduler_sync, but the rows of new or changed schedules are only
 * marked, for scheduler_save_some to write after the start, except those
 * due within SCHEDULER_SAVE_AHEAD_MS, written now. The entries (and so
 * `rota schedules`) are whole at once: only the store waits. A schedule
 * fires only with its row written in the same transaction (it is written
 * after each firing); one never fired has no state a restart could lose,
 * and a restart computes its next slot again. */
int scheduler_sync_later(scheduler_t *s, const catalog_t *catalog, int64_t now_ms);
/* Writes the marked rows of the schedules due within
 * SCHEDULER_SAVE_AHEAD_MS of now_ms, then up to max others (in runbook
 * name order), in the open transaction; each row as the entry is now, so
 * a slice never writes a state older than one written before. -1 when a
 * write failed (that entry stays marked). */
int scheduler_save_some(scheduler_t *s, int64_t now_ms, size_t max);
/* Rows still marked. */
size_t scheduler_unsaved(const scheduler_t *s);

/* Fires every due slot through fire and persists the new state. */
void scheduler_run(scheduler_t *s, int64_t now_ms, scheduler_fire_fn fire, void *ctx);

/* The earliest next slot, or INT64_MAX when none. */
int64_t scheduler_next_due(const scheduler_t *s);

size_t scheduler_count(const scheduler_t *s);
/* In runbook name order. */
const schedule_t *scheduler_at(const scheduler_t *s, size_t i);
const schedule_t *scheduler_find(const scheduler_t *s, const char *runbook);

const char *scheduler_catchup_name(runbook_catchup_t c);
const char *scheduler_concurrency_name(runbook_concurrency_t c);

#endif
