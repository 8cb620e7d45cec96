/* dispatcher: the front of the run dispatcher (coordinator/dispatcher.h).
 *
 * Builds and frees the dispatcher, takes runs in (submit, record), writes
 * step state to the store, and answers the counters. The rest lives beside
 * it in coordinator/dispatch/, one seam a file: the run index, driving runs,
 * reports from workers, worker events, control, recovery. What they share
 * is in dispatcher_internal.h, which nothing outside this folder includes. */
#include "dispatcher.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "xalloc.h"

#include "dispatcher_internal.h"

dispatcher_t *
dispatcher_new(const dispatcher_config_t *config)
{
	dispatcher_t *d = xcalloc(1, sizeof(*d));
	d->cfg = *config;
	d->index_cap = DISPATCHER_INDEX_MIN;
	d->index = xcalloc(d->index_cap, sizeof(*d->index));
	return d;
}

/* Frees what d holds (its runs and the turn's bookkeeping), not d. */
static void
dispatcher_clear(dispatcher_t *d)
{
	while (d->runs) {
		run_t *r = d->runs;
		d->runs = r->next;
		run_destroy(&r);
	}
	for (size_t i = 0; i < d->ack_count; i++) {
		free(d->acks[i].worker);
		free(d->acks[i].run_id);
		free(d->acks[i].step_id);
	}
	free(d->acks);
	free(d->waits);
	free(d->index);
	free(d->pending);
}

void
dispatcher_reset(dispatcher_t *d)
{
	dispatcher_config_t cfg = d->cfg;
	dispatcher_stats_t stats = d->stats;
	dispatcher_clear(d);
	memset(d, 0, sizeof(*d));
	d->cfg = cfg;
	d->stats = stats;
	d->index_cap = DISPATCHER_INDEX_MIN;
	d->index = xcalloc(d->index_cap, sizeof(*d->index));
}

void
dispatcher_destroy(dispatcher_t **dp)
{
	dispatcher_t *d = *dp;
	if (d == NULL)
		return;
	dispatcher_clear(d);
	free(d);
	*dp = NULL;
}

void
dispatcher_shift(dispatcher_t *d, int64_t delta_ms)
{
	for (run_t *r = d->runs; r; r = r->next) {
		for (size_t h = 0; h < r->host_count; h++) {
			if (r->hosts[h].absent_since)
				r->hosts[h].absent_since += delta_ms;
			if (r->hosts[h].settle_until)
				r->hosts[h].settle_until += delta_ms;
			for (size_t s = 0; s < r->step_count; s++)
				r->hosts[h].steps[s].dispatched_mono += delta_ms;
		}
	}
}

const dispatcher_stats_t *
dispatcher_stats(const dispatcher_t *d)
{
	return &d->stats;
}

size_t
dispatcher_pending(const dispatcher_t *d)
{
	size_t n = 0;
	for (const run_t *run = d->runs; run != NULL; run = run->next)
		for (size_t h = 0; h < run->host_count; h++) {
			const run_host_t *host = &run->hosts[h];
			if (host->phase != RUN_HOST_STARTED || host->cancelled)
				continue;
			bool pending = false, busy = false;
			for (size_t s = 0; s < run->step_count; s++) {
				int st = host->steps[s].status;
				pending = pending || st == ROTA__STEP_STATUS__STEP_PENDING;
				busy = busy || st == ROTA__STEP_STATUS__STEP_DISPATCHED ||
				       st == ROTA__STEP_STATUS__STEP_RUNNING ||
				       st == ROTA__STEP_STATUS__STEP_WAITING;
			}
			n += pending && !busy;
		}
	return n;
}

void
dispatcher_persist_step(dispatcher_t *d, const run_t *run, run_step_t *step, int exit_code, int sig,
                        int64_t ended_ms, const char *detail)
{
	store_step_state_t st = {
	    .run_id = run->id,
	    .status = step->status,
	    .exit_code = exit_code,
	    .signal = sig,
	    .started_ms = step->started_ms,
	    .ended_ms = ended_ms,
	    .detail = detail,
	};
	if (store_step_update(d->cfg.svc->store, step->row, &st) != 0)
		log_error("store: cannot record step %s: the commit of this turn will fail",
		          step->step_id);
}

/* Records what the run module changed by itself (skips, never-started
 * hosts). */
void
dispatcher_persist_dirty(dispatcher_t *d, run_t *run, size_t h)
{
	for (size_t s = 0; s < run->step_count; s++) {
		run_step_t *step = &run->hosts[h].steps[s];
		if (!step->dirty)
			continue;
		dispatcher_persist_step(d, run, step, 0, 0, 0, step->note);
		step->dirty = false;
		free(step->note);
		step->note = NULL;
	}
}

/* Builds the run's not_before times for a scheduled run's jitter. */
void
dispatcher_jitter(run_t *run, uint32_t window_ms)
{
	for (size_t h = 0; h < run->host_count; h++)
		run->hosts[h].not_before =
		    run->created_ms + run_jitter_ms(run->runbook, run->hosts[h].host, window_ms);
}

/* A run of a runbook is recorded only with the runbook's row written, in
 * this transaction or an earlier one: after a start the rows are written
 * in slices (coordinator_save.c), and one may not be yet. */
static int
dispatcher_save_runbook(dispatcher_t *d, const char *runbook)
{
	services_t *svc = d->cfg.svc;
	if (svc->catalog == NULL || catalog_save_runbook(svc->catalog, svc->store, runbook) == 0)
		return 0;
	log_error("store: cannot record runbook %s before its run", runbook);
	return -1;
}

int
dispatcher_submit(dispatcher_t *d, run_t **runp, const char *runbook_yaml, const char *params,
                  uint32_t jitter_ms)
{
	run_t *run = *runp;
	*runp = NULL;
	store_run_t rec = {
	    .id = run->id,
	    .runbook = run->runbook,
	    .runbook_yaml = runbook_yaml,
	    .params_json = params,
	    .status = ROTA__RUN_STATUS__RUN_RUNNING,
	    .created_ms = run->created_ms,
	    .trigger = run->trigger,
	    .reason = run->reason,
	    .slot_ms = run->slot_ms,
	};
	if (dispatcher_save_runbook(d, run->runbook) != 0 ||
	    store_run_insert(d->cfg.svc->store, &rec) != 0) {
		run_destroy(&run);
		return -1;
	}
	for (size_t h = 0; h < run->host_count; h++) {
		for (size_t s = 0; s < run->step_count; s++) {
			run_step_t *step = &run->hosts[h].steps[s];
			if (store_step_insert(d->cfg.svc->store, run->id, step->step_id,
			                      run->hosts[h].host, step->attempt, (uint32_t)s,
			                      step->status, step->spec, step->spec_len,
			                      &step->row) != 0) {
				run_destroy(&run);
				return -1;
			}
		}
		dispatcher_persist_dirty(d, run, h);
	}
	if (jitter_ms > 0)
		dispatcher_jitter(run, jitter_ms);
	run->status = ROTA__RUN_STATUS__RUN_RUNNING;
	dispatcher_activate(d, run);
	log_info("run %s (%s, %s) submitted to %zu host(s)", run->id, run->runbook, run->trigger,
	         run->host_count);
	int64_t now = clock_mono_ms();
	for (size_t h = 0; h < run->host_count; h++) {
		worker_t *w = registry_find(d->cfg.svc->registry, run->hosts[h].host);
		if (w == NULL || !w->connected)
			run->hosts[h].absent_since = now;
	}
	/* No update here: the row was inserted running, and its start is
	 * written when its first step starts. */
	dispatcher_drive(d, run, now);
	return 0;
}

int
dispatcher_record(dispatcher_t *d, const store_run_t *rec)
{
	log_info("run %s (%s, %s) %s: %s", rec->id, rec->runbook,
	         rec->trigger ? rec->trigger : "manual", run_status_name(rec->status),
	         rec->reason ? rec->reason : "");
	if (dispatcher_save_runbook(d, rec->runbook) != 0 ||
	    store_run_insert(d->cfg.svc->store, rec) != 0)
		return -1;
	if (d->cfg.hooks.run_ended) {
		dispatcher_run_end_t end = {
		    .run_id = rec->id,
		    .runbook = rec->runbook,
		    .trigger = rec->trigger ? rec->trigger : "manual",
		    .status = rec->status,
		    .reason = rec->reason,
		};
		d->cfg.hooks.run_ended(d->cfg.hooks.ctx, &end);
	}
	return 0;
}
