/* dispatcher_index: the active runs, as a list and an index by run id.
 *
 * Active runs are a doubly linked list (the tick walks it) and a hash index
 * by run id: every Accepted, Output and Result names its run, and with
 * thousands of single-host runs in flight a list search per message was the
 * largest cost of the loop (rota-fleetsim's throughput benchmark). Must
 * never: keep a retired run reachable from the list, the index or the
 * turn's pending drives. */
#include "dispatcher.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fnv.h"
#include "xalloc.h"

#include "dispatcher_internal.h"

static void dispatcher_index_put(dispatcher_t *d, run_t *run);

/* Rebuilds the index with room for twice the active runs (tombstones go). */
static void
dispatcher_index_grow(dispatcher_t *d)
{
	size_t cap = DISPATCHER_INDEX_MIN;
	while (cap < (d->count + 1) * 4)
		cap *= 2;
	free(d->index);
	d->index = xcalloc(cap, sizeof(*d->index));
	d->index_cap = cap;
	d->index_used = 0;
	for (run_t *r = d->runs; r; r = r->next)
		dispatcher_index_put(d, r);
}

static void
dispatcher_index_put(dispatcher_t *d, run_t *run)
{
	if ((d->index_used + 1) * 2 > d->index_cap) {
		dispatcher_index_grow(d); /* puts every listed run, run among them */
		return;
	}
	size_t mask = d->index_cap - 1;
	size_t i = (size_t)fnv_add(FNV_START, run->id) & mask;
	while (d->index[i] != NULL)
		i = (i + 1) & mask;
	d->index[i] = run;
	d->index_used++;
}

static size_t
dispatcher_index_slot(const dispatcher_t *d, const char *run_id)
{
	size_t mask = d->index_cap - 1;
	for (size_t i = (size_t)fnv_add(FNV_START, run_id) & mask;; i = (i + 1) & mask) {
		run_t *r = d->index[i];
		if (r == NULL)
			return SIZE_MAX;
		if (r != DISPATCHER_INDEX_TOMB && strcmp(r->id, run_id) == 0)
			return i;
	}
}

/* Puts a run on the active list and in the index; the dispatcher owns it. */
void
dispatcher_activate(dispatcher_t *d, run_t *run)
{
	run->prev = NULL;
	run->next = d->runs;
	if (d->runs)
		d->runs->prev = run;
	d->runs = run;
	d->count++;
	dispatcher_index_put(d, run);
}

run_t *
dispatcher_find_run(dispatcher_t *d, const char *run_id)
{
	size_t i = dispatcher_index_slot(d, run_id);
	return i == SIZE_MAX ? NULL : d->index[i];
}

run_t *
dispatcher_runs(dispatcher_t *d)
{
	return d->runs;
}

size_t
dispatcher_active(const dispatcher_t *d)
{
	return d->count;
}

/* Removes a finished run from the active list and frees it. */
void
dispatcher_retire(dispatcher_t *d, run_t *run)
{
	size_t i = dispatcher_index_slot(d, run->id);
	if (i != SIZE_MAX)
		d->index[i] = DISPATCHER_INDEX_TOMB;
	for (size_t k = 0; run->drive_pending && k < d->pending_count; k++) {
		if (d->pending[k] == run)
			d->pending[k] = NULL;
	}
	if (run->prev)
		run->prev->next = run->next;
	else
		d->runs = run->next;
	if (run->next)
		run->next->prev = run->prev;
	d->count--;
	run_destroy(&run);
}

run_t *
dispatcher_active_of(dispatcher_t *d, const char *runbook)
{
	for (run_t *r = d->runs; r; r = r->next) {
		if (strcmp(r->runbook, runbook) == 0)
			return r;
	}
	return NULL;
}

void
dispatcher_run_incident(dispatcher_t *d, const char *run_id, const char *id)
{
	run_t *run = dispatcher_find_run(d, run_id);
	if (run != NULL && run->incident == NULL && id != NULL && id[0] != '\0')
		run->incident = xstrdup(id);
}

int
dispatcher_incident_of(dispatcher_t *d, const char *run_id, char *id, size_t len)
{
	run_t *run = dispatcher_find_run(d, run_id);
	if (run == NULL)
		return -1;
	if (run->incident == NULL)
		return 0;
	snprintf(id, len, "%s", run->incident);
	return 1;
}
