/* scheduler: schedules in a min-heap on their next slot (see scheduler.h). */
#include "scheduler.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "xalloc.h"

struct scheduler {
	store_t *store;      /* borrowed */
	schedule_t **byname; /* owned entries, sorted by runbook name */
	schedule_t **heap;   /* the same entries, a min-heap on next_ms */
	size_t count;
	size_t unsaved;      /* entries marked */
	size_t unsaved_next; /* where the next slice looks first, in byname */
};

const char *
scheduler_catchup_name(runbook_catchup_t c)
{
	switch (c) {
	case RUNBOOK_CATCHUP_NONE:
		return "none";
	case RUNBOOK_CATCHUP_ALL:
		return "all";
	default:
		return "latest";
	}
}

const char *
scheduler_concurrency_name(runbook_concurrency_t c)
{
	switch (c) {
	case RUNBOOK_CONCURRENCY_ALLOW:
		return "allow";
	case RUNBOOK_CONCURRENCY_REPLACE:
		return "replace";
	default:
		return "forbid";
	}
}

/* "never" sorts last. */
static int64_t
heap_key(const schedule_t *e)
{
	return e->next_ms < 0 ? INT64_MAX : e->next_ms;
}

static void
heap_swap(scheduler_t *s, size_t a, size_t b)
{
	schedule_t *t = s->heap[a];
	s->heap[a] = s->heap[b];
	s->heap[b] = t;
	s->heap[a]->heap_index = a;
	s->heap[b]->heap_index = b;
}

static void
heap_down(scheduler_t *s, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < s->count && heap_key(s->heap[l]) < heap_key(s->heap[m]))
			m = l;
		if (r < s->count && heap_key(s->heap[r]) < heap_key(s->heap[m]))
			m = r;
		if (m == i)
			return;
		heap_swap(s, i, m);
		i = m;
	}
}

static void
heap_build(scheduler_t *s)
{
	for (size_t i = 0; i < s->count; i++) {
		s->heap[i] = s->byname[i];
		s->heap[i]->heap_index = i;
	}
	for (size_t i = s->count / 2; i-- > 0;)
		heap_down(s, i);
}

static void
schedule_free(schedule_t *e)
{
	if (e == NULL)
		return;
	free(e->runbook);
	free(e->cron);
	free(e->timezone);
	free(e->last_run_id);
	free(e);
}

scheduler_t *
scheduler_new(store_t *store)
{
	scheduler_t *s = xcalloc(1, sizeof(*s));
	s->store = store;
	return s;
}

void
scheduler_reset(scheduler_t *s)
{
	for (size_t i = 0; i < s->count; i++)
		schedule_free(s->byname[i]);
	free(s->byname);
	free(s->heap);
	s->byname = NULL;
	s->heap = NULL;
	s->count = 0;
	s->unsaved = 0;
	s->unsaved_next = 0;
}

void
scheduler_destroy(scheduler_t **sp)
{
	scheduler_t *s = *sp;
	if (s == NULL)
		return;
	scheduler_reset(s);
	free(s);
	*sp = NULL;
}

static int
schedule_cmp(const void *a, const void *b)
{
	return strcmp((*(schedule_t *const *)a)->runbook, (*(schedule_t *const *)b)->runbook);
}

const schedule_t *
scheduler_find(const scheduler_t *s, const char *runbook)
{
	size_t lo = 0, hi = s->count;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(s->byname[mid]->runbook, runbook);
		if (c == 0)
			return s->byname[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int
scheduler_persist(scheduler_t *s, schedule_t *e)
{
	store_schedule_t row = {
	    .runbook = e->runbook,
	    .cron = e->cron,
	    .timezone = e->timezone,
	    .next_ms = e->next_ms,
	    .last_slot_ms = e->last_slot_ms,
	    .last_run_id = e->last_run_id,
	};
	if (store_schedule_put(s->store, &row) != 0)
		return -1;
	if (e->unsaved)
		s->unsaved--;
	e->unsaved = false;
	return 0;
}

/* The first slot after both now and the last slot fired. */
static int64_t
schedule_next_after(const schedule_t *e, int64_t now_ms)
{
	int64_t from = now_ms > e->last_slot_ms ? now_ms : e->last_slot_ms;
	return cron_next(&e->expr, e->timezone, from);
}

/* The store's schedules, read in one statement when the scheduler starts
 * empty (a start, a promotion): one look-up per runbook was 100,000
 * statements. Sorted by name for scheduler_saved_find. */
typedef struct {
	store_schedule_t *rows; /* owned */
	size_t count;
} schedule_saved_t;

static int
saved_cmp(const void *a, const void *b)
{
	return strcmp(((const store_schedule_t *)a)->runbook,
	              ((const store_schedule_t *)b)->runbook);
}

static const store_schedule_t *
scheduler_saved_find(const schedule_saved_t *saved, const char *runbook)
{
	size_t lo = 0, hi = saved->count;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(saved->rows[mid].runbook, runbook);
		if (c == 0)
			return &saved->rows[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void
scheduler_saved_clear(schedule_saved_t *saved)
{
	for (size_t i = 0; i < saved->count; i++)
		store_schedule_clear(&saved->rows[i]);
	free(saved->rows);
	memset(saved, 0, sizeof(*saved));
}

/* Due within SCHEDULER_SAVE_AHEAD_MS of now: its row is written now. */
static bool
scheduler_due_soon(const schedule_t *e, int64_t now_ms)
{
	return e->next_ms >= 0 && e->next_ms <= now_ms + SCHEDULER_SAVE_AHEAD_MS;
}

/* An entry for a scheduled runbook: its state from `old` when the cron and
 * zone are unchanged, else from the store, else from now. */
static schedule_t *
scheduler_entry(scheduler_t *s, const runbook_t *rb, schedule_t *old, const schedule_saved_t *saved,
                int64_t now_ms, bool later)
{
	const runbook_schedule_t *sc = &rb->schedule;
	schedule_t *e = xcalloc(1, sizeof(*e));
	e->runbook = xstrdup(rb->name);
	e->cron = xstrdup(sc->cron);
	e->timezone = xstrdup(sc->timezone ? sc->timezone : "UTC");
	e->expr = sc->expr; /* parsed with the runbook (check_cron) */
	e->catchup = sc->catchup;
	e->catchup_max = sc->catchup_max ? sc->catchup_max : RUNBOOK_DEFAULT_CATCHUP_MAX;
	e->concurrency = sc->concurrency;
	e->jitter_ms = sc->jitter_ms;

	bool same = false;
	if (old != NULL) {
		e->last_slot_ms = old->last_slot_ms;
		e->last_run_id = xstrdup(old->last_run_id);
		same = strcmp(old->cron, e->cron) == 0 && strcmp(old->timezone, e->timezone) == 0;
		e->next_ms = same ? old->next_ms : schedule_next_after(e, now_ms);
	} else {
		store_schedule_t got = {0};
		const store_schedule_t *row = NULL;
		if (saved != NULL)
			row = scheduler_saved_find(saved, rb->name);
		else if (store_schedule_get(s->store, rb->name, &got) == 0)
			row = &got;
		if (row != NULL) {
			e->last_slot_ms = row->last_slot_ms;
			e->last_run_id = xstrdup(row->last_run_id);
			same = strcmp(row->cron, e->cron) == 0 &&
			       strcmp(row->timezone, e->timezone) == 0;
			e->next_ms = same ? row->next_ms : schedule_next_after(e, now_ms);
		} else {
			e->next_ms = schedule_next_after(e, now_ms);
		}
		store_schedule_clear(&got);
	}
	if (same && old != NULL)
		e->unsaved = old->unsaved; /* still to be written, as it was */
	else if (!same && later && !scheduler_due_soon(e, now_ms))
		e->unsaved = true;
	else if (!same && scheduler_persist(s, e) != 0)
		log_error("store: cannot record the schedule of %s", rb->name);
	return e;
}

/* later: a new entry's row is only marked, unless it is due soon
 * (scheduler_sync_later); else it is written at once. */
static int
scheduler_sync_rows(scheduler_t *s, const catalog_t *catalog, int64_t now_ms, bool later)
{
	size_t n = catalog_count(catalog);
	schedule_t **byname = xcalloc(n + 1, sizeof(*byname));
	size_t count = 0;
	/* Empty: every entry's state comes from the store. Else (a reload)
	 * most come from the entries kept, and the few new ones are looked
	 * up one by one. A failed read falls back to those look-ups. */
	schedule_saved_t saved = {0}, *bulk = NULL;
	if (s->count == 0 && n > 0 &&
	    store_schedule_list(s->store, &saved.rows, &saved.count) == 0) {
		if (saved.count > 1)
			qsort(saved.rows, saved.count, sizeof(*saved.rows), saved_cmp);
		bulk = &saved;
	}
	for (size_t i = 0; i < n; i++) {
		const runbook_t *rb = catalog_at(catalog, i)->rb;
		if (!rb->schedule.present)
			continue;
		schedule_t *old = (schedule_t *)scheduler_find(s, rb->name);
		schedule_t *e = scheduler_entry(s, rb, old, bulk, now_ms, later);
		if (e != NULL)
			byname[count++] = e;
	}
	scheduler_saved_clear(&saved);
	if (count > 1)
		qsort(byname, count, sizeof(*byname), schedule_cmp);
	/* Both lists are sorted by name: one pass finds the schedules gone. */
	size_t k = 0;
	for (size_t i = 0; i < s->count; i++) {
		const char *name = s->byname[i]->runbook;
		while (k < count && strcmp(byname[k]->runbook, name) < 0)
			k++;
		bool kept = k < count && strcmp(byname[k]->runbook, name) == 0;
		if (!kept && store_schedule_delete(s->store, name) != 0)
			log_error("store: cannot forget the schedule of %s", name);
		schedule_free(s->byname[i]);
	}
	free(s->byname);
	free(s->heap);
	s->byname = byname;
	s->heap = xcalloc(count + 1, sizeof(*s->heap));
	s->count = count;
	heap_build(s);
	s->unsaved = 0;
	s->unsaved_next = 0;
	for (size_t i = 0; i < count; i++)
		s->unsaved += byname[i]->unsaved;
	return 0;
}

int
scheduler_sync(scheduler_t *s, const catalog_t *catalog, int64_t now_ms)
{
	return scheduler_sync_rows(s, catalog, now_ms, false);
}

int
scheduler_sync_later(scheduler_t *s, const catalog_t *catalog, int64_t now_ms)
{
	return scheduler_sync_rows(s, catalog, now_ms, true);
}

/* Writes the marked entries of the heap's subtree at i due within
 * SCHEDULER_SAVE_AHEAD_MS: a subtree whose root is later holds none, so
 * this visits only the entries due soon and their children. */
static int
scheduler_save_due(scheduler_t *s, size_t i, int64_t now_ms)
{
	if (i >= s->count || !scheduler_due_soon(s->heap[i], now_ms))
		return 0;
	if (s->heap[i]->unsaved && scheduler_persist(s, s->heap[i]) != 0)
		return -1;
	if (scheduler_save_due(s, 2 * i + 1, now_ms) != 0)
		return -1;
	return scheduler_save_due(s, 2 * i + 2, now_ms);
}

int
scheduler_save_some(scheduler_t *s, int64_t now_ms, size_t max)
{
	if (s->unsaved == 0)
		return 0;
	if (scheduler_save_due(s, 0, now_ms) != 0)
		return -1;
	for (size_t done = 0; s->unsaved > 0 && done < max; s->unsaved_next++) {
		schedule_t *e = s->byname[s->unsaved_next];
		if (!e->unsaved)
			continue;
		if (scheduler_persist(s, e) != 0)
			return -1;
		done++;
	}
	return 0;
}

size_t
scheduler_unsaved(const scheduler_t *s)
{
	return s->unsaved;
}

/* Walks the slots from t up to now_ms, keeping the last keep of them in
 * ring; returns how many there were, or SIZE_MAX past SCHEDULER_MAX_WALK. */
static size_t
schedule_walk(const schedule_t *e, int64_t t, int64_t now_ms, int64_t *ring, size_t keep)
{
	size_t n = 0;
	for (; t >= 0 && t <= now_ms; n++) {
		if (n == SCHEDULER_MAX_WALK)
			return SIZE_MAX;
		ring[n % keep] = t;
		t = cron_next(&e->expr, e->timezone, t);
	}
	return n;
}

/* Fires the due slots of the entry at the top of the heap, then moves it
 * to its next slot. */
static void
scheduler_fire_top(scheduler_t *s, int64_t now_ms, scheduler_fire_fn fire, void *ctx)
{
	schedule_t *e = s->heap[0];
	size_t keep = e->catchup == RUNBOOK_CATCHUP_ALL ? e->catchup_max : 1;
	int64_t *ring = xcalloc(keep, sizeof(*ring));
	int64_t t = e->next_ms;
	if (t <= e->last_slot_ms)
		t = cron_next(&e->expr, e->timezone, e->last_slot_ms);
	int64_t earliest = t;
	size_t n = schedule_walk(e, t, now_ms, ring, keep);
	size_t total = n;
	/* Too many to walk (down for years): the latest slots, which are the
	 * ones that fire, are found walking from nearer now, further back
	 * each time until there are enough. */
	for (int64_t span = SCHEDULER_GRACE_MS; total == SIZE_MAX; span *= 2) {
		int64_t from = now_ms - span;
		n = schedule_walk(e, cron_next(&e->expr, e->timezone, from), now_ms, ring, keep);
		if (n == SIZE_MAX || n >= keep || from <= earliest || span > INT64_MAX / 4) {
			total = SCHEDULER_MAX_WALK;
			if (n == SIZE_MAX)
				n = 0;
			break;
		}
	}
	size_t held = n < keep ? n : keep;
	size_t first = n < keep ? 0 : n % keep;
	size_t fired = 0;
	for (size_t i = 0; i < held; i++) {
		int64_t slot = ring[(first + i) % keep];
		bool on_time = now_ms - slot <= SCHEDULER_GRACE_MS;
		if (e->catchup == RUNBOOK_CATCHUP_NONE && !on_time)
			continue;
		const char *run_id = fire(ctx, e, slot, total - held + i - fired);
		fired++;
		e->last_slot_ms = slot;
		if (run_id != NULL) {
			free(e->last_run_id);
			e->last_run_id = xstrdup(run_id);
		}
	}
	if (total > fired) {
		char when[32];
		clock_format(earliest, when, sizeof(when));
		log_warn("schedule %s: %s%zu slot(s) due since %s UTC were missed (the coordinator"
		         " was down or stalled); catchup %s started %zu run(s)",
		         e->runbook, n < total ? "more than " : "", total, when,
		         scheduler_catchup_name(e->catchup), fired);
	}
	free(ring);
	e->next_ms = schedule_next_after(e, now_ms);
	if (scheduler_persist(s, e) != 0)
		log_error("store: cannot record the schedule of %s", e->runbook);
	heap_down(s, 0);
}

void
scheduler_run(scheduler_t *s, int64_t now_ms, scheduler_fire_fn fire, void *ctx)
{
	/* Each entry fires at most once per call: an entry always moves past
	 * now, so this loop ends. */
	for (size_t n = 0; n < s->count && s->count > 0; n++) {
		schedule_t *top = s->heap[0];
		if (top->next_ms < 0 || top->next_ms > now_ms)
			return;
		scheduler_fire_top(s, now_ms, fire, ctx);
	}
}

int64_t
scheduler_next_due(const scheduler_t *s)
{
	return s->count ? heap_key(s->heap[0]) : INT64_MAX;
}

size_t
scheduler_count(const scheduler_t *s)
{
	return s->count;
}

const schedule_t *
scheduler_at(const scheduler_t *s, size_t i)
{
	return i < s->count ? s->byname[i] : NULL;
}
