/* dispatcher_workers: a worker connects, goes away, comes back, is lost.
 *
 * Reconciles a returning worker's Hello with what is in flight on it,
 * holds the orders of a worker that says Goodbye, fails the steps of a
 * worker that is gone, and runs the watchdog of every step in flight
 * (dispatcher_tick). Must never: leave a step running on a worker that is
 * gone, or send again a step that is not idempotent when another process
 * may have started it. */
#include "dispatcher.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "duration.h"
#include "log.h"
#include "xalloc.h"

#include "dispatcher_internal.h"

static bool
hello_lists(const Rota__Hello *hello, const char *run_id, const char *step_id, uint32_t attempt)
{
	for (size_t i = 0; i < hello->n_in_flight; i++) {
		const Rota__StepKey *k = hello->in_flight[i];
		if (k && k->run_id && k->step_id && strcmp(k->run_id, run_id) == 0 &&
		    strcmp(k->step_id, step_id) == 0 && k->attempt == attempt)
			return true;
	}
	return false;
}

static bool
hello_spooled(const Rota__Hello *hello, const char *run_id, const char *step_id, uint32_t attempt)
{
	for (size_t i = 0; i < hello->n_spooled; i++) {
		const Rota__StepKey *k = hello->spooled[i]->key;
		if (k && strcmp(k->run_id, run_id) == 0 && strcmp(k->step_id, step_id) == 0 &&
		    k->attempt == attempt)
			return true;
	}
	return false;
}

/* The worker step in flight on host h (not a manual one), or -1. */
static int
dispatcher_worker_step(const run_t *run, size_t h)
{
	int s = run_inflight_step(run, h);
	if (s >= 0 && run->policy[s].kind != RUN_KIND_WORKER)
		return -1;
	return s;
}

/* Sends Cancel for a step a worker says it runs when this coordinator has
 * no such step in flight. */
static void
dispatcher_stop_orphan(dispatcher_t *d, worker_t *w, const Rota__StepKey *key)
{
	if (key == NULL || key->run_id == NULL || key->step_id == NULL || key->host == NULL ||
	    strcmp(key->host, w->id) != 0)
		return;
	run_t *run = dispatcher_find_run(d, key->run_id);
	size_t h, s;
	const char *why = NULL;
	if (run == NULL)
		why = "its run has ended";
	else if (run_find(run, key->host, key->step_id, &h, &s) != 0)
		why = "its run has no such step";
	else if (run->hosts[h].steps[s].attempt != key->attempt)
		why = "a later attempt replaced it";
	else if (run_step_status_terminal(run->hosts[h].steps[s].status))
		why = "it was already recorded as ended";
	if (why == NULL)
		return;
	log_warn("worker %s still runs %s/%s attempt %u, but %s; cancelling it", w->id, key->run_id,
	         key->step_id, key->attempt, why);
	Rota__Cancel msg = ROTA__CANCEL__INIT;
	msg.key = (Rota__StepKey *)key;
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_CANCEL;
	env.cancel = &msg;
	sendq_push(d->cfg.svc->sendq, d->cfg.svc->worker_sock, (const uint8_t *)w->id,
	           strlen(w->id), &env);
}

void
dispatcher_hello(dispatcher_t *d, worker_t *w, const Rota__Hello *hello, bool new_process)
{
	/* What it still runs that is over here (declared lost while it was
	 * away, a cancelled run, a superseded attempt) is stopped: a process
	 * nobody waits for must not run on. */
	for (size_t i = 0; i < hello->n_in_flight; i++)
		dispatcher_stop_orphan(d, w, hello->in_flight[i]);
	/* Then reconcile what we believe is in flight there with what the
	 * worker says it runs or holds a result for; then record the spooled
	 * results (which may dispatch next steps: those are not reconciled). */
	w->running = 0;
	run_t *next;
	for (run_t *run = d->runs; run; run = next) {
		next = run->next;
		int h = run_find_host(run, w->id);
		if (h < 0)
			continue;
		run->hosts[h].absent_since = 0;
		run->hosts[h].settle_until = 0; /* back: the lost window applies again */
		int s = dispatcher_worker_step(run, (size_t)h);
		if (s < 0)
			continue;
		run_step_t *step = &run->hosts[h].steps[s];
		if (hello_lists(hello, run->id, step->step_id, step->attempt) ||
		    hello_spooled(hello, run->id, step->step_id, step->attempt)) {
			w->running++;
			if (step->cancel_mono != 0)
				dispatcher_send_cancel(d, run, (size_t)h, (size_t)s);
			continue;
		}
		if (step->status == ROTA__STEP_STATUS__STEP_DISPATCHED &&
		    (!new_process || run->policy[s].idempotent)) {
			/* Never reached this worker process, whose spool would
			 * refuse a second start anyway: safe to send again. An
			 * idempotent step may be sent again even if another
			 * process got it. */
			run_step_set(run, (size_t)h, (size_t)s, ROTA__STEP_STATUS__STEP_PENDING);
			continue;
		}
		if (hello->truncated) {
			/* Its result may be among those the Hello could not list;
			 * the watchdog ends it if none comes. */
			w->running++;
			continue;
		}
		d->stats.steps_lost++;
		w->running++; /* counted, so that finishing it uncounts it */
		dispatcher_finish(d, run, (size_t)h, (size_t)s, ROTA__STEP_STATUS__STEP_LOST, 0, 0,
		                  0, clock_wall_ms(),
		                  step->status == ROTA__STEP_STATUS__STEP_DISPATCHED
		                      ? "the worker restarted (or another process took its id)"
		                        " before it accepted the step, which may have started"
		                        " there; not sent again (idempotent: false)"
		                      : "the worker restarted while the step ran");
	}
	for (size_t i = 0; i < hello->n_spooled; i++)
		dispatcher_result(d, w, hello->spooled[i]);
}

void
dispatcher_worker_stopping(dispatcher_t *d, worker_t *w)
{
	w->stopping = true;
	for (run_t *run = d->runs; run; run = run->next) {
		int h = run_find_host(run, w->id);
		if (h < 0)
			continue;
		int s = dispatcher_worker_step(run, (size_t)h);
		if (s < 0 || run->hosts[h].steps[s].status != ROTA__STEP_STATUS__STEP_DISPATCHED)
			continue;
		run_step_set(run, (size_t)h, (size_t)s, ROTA__STEP_STATUS__STEP_PENDING);
		run->hosts[h].steps[s].started_ms = 0;
		dispatcher_persist_step(d, run, &run->hosts[h].steps[s], 0, 0, 0, NULL);
		if (w->running > 0)
			w->running--;
		log_info("run %s host %s step %s: held until worker %s is back (it is stopping)",
		         run->id, w->id, run->hosts[h].steps[s].step_id, w->id);
	}
}

void
dispatcher_worker_lost(dispatcher_t *d, worker_t *w)
{
	run_t *next;
	for (run_t *run = d->runs; run; run = next) {
		next = run->next;
		int h = run_find_host(run, w->id);
		if (h < 0)
			continue;
		if (run->hosts[h].absent_since == 0)
			run->hosts[h].absent_since = clock_mono_ms();
		int s = dispatcher_worker_step(run, (size_t)h);
		if (s < 0)
			continue;
		run_step_t *step = &run->hosts[h].steps[s];
		if (run_retry_delay(run, (size_t)h, (size_t)s, ROTA__STEP_STATUS__STEP_LOST) >= 0) {
			/* Its retry could only go to this worker: the attempt is
			 * held until the worker is back, whose Hello says how it
			 * ended (a frozen worker's step may well have succeeded),
			 * or until its deadline (dispatcher_tick_host). */
			log_info("run %s host %s step %s attempt %u: held until worker %s is back"
			         " (a retry could only go to it)",
			         run->id, w->id, step->step_id, step->attempt, w->id);
			continue;
		}
		char detail[160];
		snprintf(detail, sizeof(detail),
		         "worker %s stopped answering heartbeats while the step ran", w->id);
		d->stats.steps_lost++;
		dispatcher_finish(d, run, (size_t)h, (size_t)s, ROTA__STEP_STATUS__STEP_LOST, 0, 0,
		                  0, clock_wall_ms(), detail);
	}
	w->running = 0;
}

/* The watchdog of a step in flight on a connected worker. A Dispatch not
 * accepted within lost_after is sent again (the worker starts an attempt at
 * most once, so this is safe); a step with no result long after its
 * deadline is declared lost, so nothing stays running forever. Returns 1
 * when the run was retired. */
static int
dispatcher_watch(dispatcher_t *d, run_t *run, size_t h, size_t s, worker_t *w, int64_t now_mono)
{
	run_step_t *step = &run->hosts[h].steps[s];
	int64_t age = now_mono - step->dispatched_mono;
	if (step->status == ROTA__STEP_STATUS__STEP_DISPATCHED) {
		if (age < d->cfg.lost_after_ms)
			return 0;
		log_warn("run %s host %s step %s: not accepted after %lld ms; sending it again",
		         run->id, w->id, step->step_id, (long long)age);
		if (w->running > 0)
			w->running--;
		run_step_set(run, h, s, ROTA__STEP_STATUS__STEP_PENDING);
		dispatcher_send(d, run, h, s, w);
		return dispatcher_drive(d, run, now_mono);
	}
	if (step->cancel_mono != 0 &&
	    now_mono - step->cancel_mono >= DISPATCHER_KILL_GRACE_MS + d->cfg.lost_after_ms) {
		char detail[160];
		snprintf(detail, sizeof(detail),
		         "worker %s did not confirm the cancel within %llds; its process may"
		         " still run",
		         w->id,
		         (long long)((DISPATCHER_KILL_GRACE_MS + d->cfg.lost_after_ms) / 1000));
		d->stats.steps_lost++;
		return dispatcher_finish(d, run, h, s, ROTA__STEP_STATUS__STEP_LOST, 0, 0, 0,
		                         clock_wall_ms(), detail);
	}
	if (step->timeout_ms == 0)
		return 0;
	int64_t limit = (int64_t)step->timeout_ms + DISPATCHER_KILL_GRACE_MS + d->cfg.lost_after_ms;
	if (age < limit)
		return 0;
	char detail[200];
	snprintf(detail, sizeof(detail),
	         "no result from worker %s %llds after the step started (timeout %us)", w->id,
	         (long long)(age / 1000), step->timeout_ms / 1000);
	d->stats.steps_lost++;
	return dispatcher_finish(d, run, h, s, ROTA__STEP_STATUS__STEP_LOST, 0, 0, 0,
	                         clock_wall_ms(), detail);
}

/* A manual step waits on wall time: its deadline survives a restart. */
static int
dispatcher_watch_approval(dispatcher_t *d, run_t *run, size_t h, size_t s)
{
	run_step_t *step = &run->hosts[h].steps[s];
	int64_t now = clock_wall_ms();
	if (step->timeout_ms == 0 || now < step->started_ms + (int64_t)step->timeout_ms)
		return 0;
	char wait[32];
	duration_format(step->timeout_ms, wait, sizeof(wait));
	char *detail = xasprintf("no approval within %s", wait);
	int rc =
	    dispatcher_finish(d, run, h, s, ROTA__STEP_STATUS__STEP_TIMEOUT, 0, 0, 0, now, detail);
	free(detail);
	return rc;
}

/* The step's timeout, read from its spec the first time (a step not sent
 * yet has not had it copied from there); 0 when it has none. */
static uint32_t
dispatcher_step_timeout(run_step_t *step)
{
	if (step->timeout_ms == 0 && step->spec_len > 0) {
		Rota__StepSpec *spec = rota__step_spec__unpack(NULL, step->spec_len, step->spec);
		if (spec != NULL)
			step->timeout_ms = spec->timeout_ms;
		rota__step_spec__free_unpacked(spec, NULL);
	}
	return step->timeout_ms;
}

/* Whether host h has not started a step yet (every step pending, first
 * attempt): what a stopped worker's host may be skipped from. */
static bool
dispatcher_host_untouched(const run_t *run, size_t h)
{
	for (size_t s = 0; s < run->step_count; s++) {
		const run_step_t *step = &run->hosts[h].steps[s];
		if (step->status != ROTA__STEP_STATUS__STEP_PENDING || step->attempt > 1)
			return false;
	}
	return true;
}

/* One host's turn of the tick. Returns 1 when the run was retired. */
static int
dispatcher_tick_host(dispatcher_t *d, run_t *run, size_t h, int64_t now_mono)
{
	run_host_t *host = &run->hosts[h];
	int f = run_inflight_step(run, h);
	if (f >= 0 && run->policy[f].kind == RUN_KIND_MANUAL)
		return dispatcher_watch_approval(d, run, h, (size_t)f);
	worker_t *w = registry_find(d->cfg.svc->registry, host->host);
	if (w && w->connected) {
		host->absent_since = 0;
		host->settle_until = 0;
		if (f >= 0)
			return dispatcher_watch(d, run, h, (size_t)f, w, now_mono);
		return 0;
	}
	if (host->absent_since == 0) {
		host->absent_since = now_mono;
		return 0;
	}
	int64_t away = now_mono - host->absent_since;
	/* After a start or a promotion, its worker is given the settle window
	 * to find this coordinator (a failover through its endpoint list and
	 * reconnect backoff takes longer than the lost window). */
	if (away < d->cfg.lost_after_ms || now_mono < host->settle_until)
		return 0;
	/* Its worker said Goodbye and did not come back: a host held for it
	 * that has started nothing is skipped, as the run would have skipped
	 * it had it started now; not lost, which fails the run and pages. */
	if (f < 0 && w != NULL && w->stopping && dispatcher_host_untouched(run, h)) {
		char *why = xasprintf("worker %s stopped (it said Goodbye) before the host"
		                      " started: skipped",
		                      host->host);
		run_host_stop(run, h, why);
		free(why);
		dispatcher_persist_dirty(d, run, h);
		return dispatcher_drive(d, run, now_mono);
	}
	int s = f;
	if (s < 0) {
		s = run_advance(run, h, now_mono, clock_wall_ms());
		dispatcher_persist_dirty(d, run, h);
	}
	if (s < 0 || run->policy[s].kind != RUN_KIND_WORKER)
		return 0;
	run_step_t *step = &host->steps[s];
	char detail[240];
	if (run_retry_delay(run, h, (size_t)s, ROTA__STEP_STATUS__STEP_LOST) >= 0) {
		/* A step that could be retried waits for its worker, since a
		 * retry could only go to it: no attempt is spent while none can
		 * be sent. The wait ends at the step's deadline: for one in
		 * flight, the watchdog's (a live worker would have reported by
		 * then); for one not sent, its timeout from when the worker
		 * went away. Then it is lost, and not retried: retrying cannot
		 * help while no worker can take it. */
		uint32_t timeout = dispatcher_step_timeout(step);
		int64_t waited = f >= 0 ? now_mono - step->dispatched_mono : away;
		int64_t limit = d->cfg.lost_after_ms;
		if (timeout > 0)
			limit = f >= 0 ? (int64_t)timeout + DISPATCHER_KILL_GRACE_MS +
			                     d->cfg.lost_after_ms
			               : (int64_t)timeout;
		if (waited < limit)
			return 0;
		snprintf(detail, sizeof(detail),
		         "worker %s was not connected for %llds, past the step's deadline; its"
		         " retries are not used while no worker can take them",
		         host->host, (long long)(away / 1000));
	} else {
		snprintf(detail, sizeof(detail), "worker %s was not connected for %llds",
		         host->host, (long long)(away / 1000));
	}
	d->stats.steps_lost++;
	/* The host's next step (a `when: always` one) starts its own wait. */
	host->absent_since = now_mono;
	return dispatcher_end_step(d, run, h, (size_t)s, ROTA__STEP_STATUS__STEP_LOST, 0, 0, 0,
	                           clock_wall_ms(), detail, false);
}

void
dispatcher_tick(dispatcher_t *d, int64_t now_mono)
{
	dispatcher_drive_pending(d);
	run_t *next;
	for (run_t *run = d->runs; run; run = next) {
		next = run->next;
		/* A host's turn can end the run and free it: once retired, not
		 * even the loop's bound may be read from it again. */
		bool retired = false;
		for (size_t h = 0; !retired && h < run->host_count; h++) {
			if (run->hosts[h].phase == RUN_HOST_STARTED && !run_host_done(run, h))
				retired = dispatcher_tick_host(d, run, h, now_mono) != 0;
		}
		if (!retired)
			dispatcher_drive(d, run, now_mono);
	}
}
