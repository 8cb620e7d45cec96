/* dispatcher_drive: moves runs forward.
 *
 * Sends each host its next worker step, runs the steps the coordinator
 * itself runs (manual approvals, notify), records that a step ended (and
 * its retry), and settles a run that is over. Every message goes through
 * the send queue, every change into the turn's transaction. */
#include "dispatcher.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "duration.h"
#include "log.h"
#include "xalloc.h"

#include "dispatcher_internal.h"

/* Updates the run's status; retires it when every host is done. Returns 1
 * when the run was retired (and freed). */
static int
dispatcher_settle(dispatcher_t *d, run_t *run)
{
	int status = run_compute_status(run);
	if (status == run->status)
		return 0;
	run->status = status;
	if (status != ROTA__RUN_STATUS__RUN_RUNNING)
		run->ended_ms = clock_wall_ms();
	store_run_update(d->cfg.svc->store, run->id, run->status, run->started_ms, run->ended_ms);
	if (status == ROTA__RUN_STATUS__RUN_RUNNING)
		return 0;
	uint32_t ok = 0, failed = 0, never = 0, unreachable = 0;
	for (size_t h = 0; h < run->host_count; h++) {
		if (run_host_ok(run, h))
			ok++;
		else if (run->hosts[h].phase != RUN_HOST_STOPPED)
			failed++;
		never += run->hosts[h].phase == RUN_HOST_NEVER;
		unreachable += run->hosts[h].phase == RUN_HOST_UNREACHABLE;
	}
	char *reason = NULL;
	if (run->reason == NULL && never > 0) {
		/* Named: with max_failures 0, the host that stopped the rollout. */
		char *names = run_failed_names(run);
		reason = xasprintf("stopped after %zu failed host(s) (%s; max_failures %zu): %u"
		                   " host(s) never started",
		                   run_failed_hosts(run), names, run->max_failures, never);
		free(names);
	} else if (run->reason == NULL && unreachable > 0)
		reason = xasprintf("%u host(s) unreachable when the run started", unreachable);
	store_run_outcome(d->cfg.svc->store, run->id, ok, failed,
	                  run->reason ? run->reason : reason);
	log_info("run %s (%s) %s: %u host(s) ok, %u failed%s%s", run->id, run->runbook,
	         run_status_name(status), ok, failed, reason ? "; " : "", reason ? reason : "");
	if (d->cfg.hooks.run_ended) {
		char **failed_hosts = xcalloc(run->host_count + 1, sizeof(*failed_hosts));
		size_t nf = 0;
		for (size_t h = 0; h < run->host_count; h++)
			if (!run_host_ok(run, h) && run->hosts[h].phase != RUN_HOST_STOPPED)
				failed_hosts[nf++] = run->hosts[h].host;
		dispatcher_run_end_t end = {
		    .run_id = run->id,
		    .runbook = run->runbook,
		    .trigger = run->trigger,
		    .status = status,
		    .reason = run->reason ? run->reason : reason,
		    .incident = run->incident,
		    .failed_hosts = failed_hosts,
		    .failed_count = nf,
		    .hosts_ok = ok,
		};
		d->cfg.hooks.run_ended(d->cfg.hooks.ctx, &end);
		free(failed_hosts);
	}
	free(reason);
	dispatcher_retire(d, run);
	return 1;
}

/* The run started when its first step did. It is written at once, not when
 * the run ends, so `rota show` and `rota runs` of a running run say since
 * when (and a restart resumes with it). */
static void
dispatcher_mark_started(dispatcher_t *d, run_t *run, int64_t at_ms)
{
	if (run->started_ms != 0)
		return;
	run->started_ms = at_ms;
	store_run_update(d->cfg.svc->store, run->id, run->status, run->started_ms, 0);
}

/* Sends step s of host h to its worker, which must be connected. */
void
dispatcher_send(dispatcher_t *d, run_t *run, size_t h, size_t s, worker_t *w)
{
	run_step_t *step = &run->hosts[h].steps[s];
	Rota__StepSpec *spec = rota__step_spec__unpack(NULL, step->spec_len, step->spec);
	if (spec == NULL) {
		/* Only this coordinator wrote it, so this is store corruption:
		 * the step ends in error (the next advance skips the rest). */
		run_step_set(run, h, s, ROTA__STEP_STATUS__STEP_ERROR);
		dispatcher_persist_step(d, run, step, 0, 0, clock_wall_ms(),
		                        "the stored step spec is unreadable");
		return;
	}
	/* The stored spec names the secret params it needs; their values are
	 * only in memory, and gone after a restart. The stored strings are
	 * swapped for the run's own (borrowed) and swapped back before the
	 * unpacked spec is freed. */
	size_t n_secret = spec->n_secret_env;
	char **names = xcalloc(n_secret + 1, sizeof(*names));
	const char *missing = NULL;
	for (size_t i = 0; i < n_secret; i++) {
		names[i] = spec->secret_env[i]->value;
		const char *v = run_secret(run, names[i]);
		if (v == NULL && missing == NULL)
			missing = names[i];
		spec->secret_env[i]->value = (char *)(v ? v : "");
	}
	if (missing != NULL) {
		char *why = xasprintf("secret params are kept in memory only; the coordinator "
		                      "restarted before this step was sent (param '%s' is gone):"
		                      " submit the run again",
		                      missing);
		for (size_t i = 0; i < n_secret; i++)
			spec->secret_env[i]->value = names[i];
		free(names);
		rota__step_spec__free_unpacked(spec, NULL);
		run_step_set(run, h, s, ROTA__STEP_STATUS__STEP_ERROR);
		step->started_ms = clock_wall_ms();
		dispatcher_mark_started(d, run, step->started_ms);
		dispatcher_persist_step(d, run, step, 0, 0, step->started_ms, why);
		log_warn("run %s host %s step %s error: %s", run->id, run->hosts[h].host,
		         step->step_id, why);
		free(why);
		return;
	}
	Rota__StepKey key = ROTA__STEP_KEY__INIT;
	key.run_id = run->id;
	key.step_id = step->step_id;
	key.host = run->hosts[h].host;
	key.attempt = step->attempt;
	Rota__Dispatch msg = ROTA__DISPATCH__INIT;
	msg.key = &key;
	msg.spec = spec;
	msg.fence = d->cfg.svc->epoch;
	if (spec->timeout_ms)
		msg.deadline_ms = clock_wall_ms() + spec->timeout_ms;
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_DISPATCH;
	env.dispatch = &msg;
	sendq_push(d->cfg.svc->sendq, d->cfg.svc->worker_sock, (const uint8_t *)w->id,
	           strlen(w->id), &env);
	uint32_t spec_timeout = spec->timeout_ms;
	for (size_t i = 0; i < n_secret; i++)
		spec->secret_env[i]->value = names[i];
	free(names);
	rota__step_spec__free_unpacked(spec, NULL);

	run_step_set(run, h, s, ROTA__STEP_STATUS__STEP_DISPATCHED);
	step->started_ms = clock_wall_ms();
	step->timeout_ms = spec_timeout;
	step->dispatched_mono = clock_mono_ms();
	dispatcher_persist_step(d, run, step, 0, 0, 0, NULL);
	w->running++;
	d->stats.dispatched++;
	dispatcher_mark_started(d, run, step->started_ms);
}

/* Ends a step marked invalid (its fields did not render into valid values,
 * or its stored spec does not unpack) `error` with the reason instead of
 * sending it. The spec is read only here, on this rare path. */
static void
dispatcher_refuse_invalid(dispatcher_t *d, run_t *run, size_t h, size_t s)
{
	run_step_t *step = &run->hosts[h].steps[s];
	Rota__StepSpec *spec = rota__step_spec__unpack(NULL, step->spec_len, step->spec);
	const char *why = spec != NULL && spec->invalid[0] != '\0'
	                      ? spec->invalid
	                      : "the stored step spec is unreadable";
	run_step_set(run, h, s, ROTA__STEP_STATUS__STEP_ERROR);
	step->started_ms = clock_wall_ms();
	dispatcher_mark_started(d, run, step->started_ms);
	dispatcher_persist_step(d, run, step, 0, 0, step->started_ms, why);
	log_info("run %s host %s step %s error: %s", run->id, run->hosts[h].host, step->step_id,
	         why);
	rota__step_spec__free_unpacked(spec, NULL);
}

/* A manual step: it waits on the coordinator for rota approve / reject. */
static void
dispatcher_wait_approval(dispatcher_t *d, run_t *run, size_t h, size_t s)
{
	run_step_t *step = &run->hosts[h].steps[s];
	Rota__StepSpec *spec = rota__step_spec__unpack(NULL, step->spec_len, step->spec);
	const char *prompt =
	    spec && spec->kind_case == ROTA__STEP_SPEC__KIND_MANUAL ? spec->manual->prompt : "";
	run_step_set(run, h, s, ROTA__STEP_STATUS__STEP_WAITING);
	step->started_ms = clock_wall_ms();
	step->timeout_ms = spec ? spec->timeout_ms : 0;
	dispatcher_mark_started(d, run, step->started_ms);
	char *detail = xasprintf("waiting for approval: %s (rota approve %s %s, or rota reject)",
	                         prompt, run->id, step->step_id);
	dispatcher_persist_step(d, run, step, 0, 0, 0, detail);
	log_info("run %s host %s step %s %s", run->id, run->hosts[h].host, step->step_id, detail);
	free(detail);
	rota__step_spec__free_unpacked(spec, NULL);
}

/* A notify step: its message goes to the outbox (through the hook) in this
 * turn, so it is sent once the step's success is committed. Without a hook
 * (unit tests) it is a log line. One the hook suppresses (its incident is
 * resolved: a page now would reopen it) is skipped, not failed: the run
 * goes on. */
static void
dispatcher_notify(dispatcher_t *d, run_t *run, size_t h, size_t s)
{
	run_step_t *step = &run->hosts[h].steps[s];
	Rota__StepSpec *spec = rota__step_spec__unpack(NULL, step->spec_len, step->spec);
	bool ok = spec && spec->kind_case == ROTA__STEP_SPEC__KIND_NOTIFY;
	int status = ROTA__STEP_STATUS__STEP_SUCCEEDED;
	char *detail = NULL;
	if (!ok) {
		detail = xstrdup("the stored notify spec is unreadable");
	} else if (d->cfg.hooks.notify) {
		int rc =
		    d->cfg.hooks.notify(d->cfg.hooks.ctx, run->id, run->runbook, run->hosts[h].host,
		                        spec->notify->channel, spec->notify->message, &detail);
		ok = rc >= 0;
		if (rc > 0)
			status = ROTA__STEP_STATUS__STEP_SKIPPED;
	} else {
		detail = xasprintf("logged (no channels): %s", spec->notify->message);
	}
	run_step_set(run, h, s, ok ? status : ROTA__STEP_STATUS__STEP_ERROR);
	step->started_ms = clock_wall_ms();
	dispatcher_mark_started(d, run, step->started_ms);
	dispatcher_persist_step(d, run, step, 0, 0, step->started_ms, detail);
	log_info("notify: run %s (%s) host %s step %s: %s", run->id, run->runbook,
	         run->hosts[h].host, step->step_id, detail ? detail : "");
	free(detail);
	rota__step_spec__free_unpacked(spec, NULL);
}

/* Moves host h on as far as it can go now: skips what its `when` rules
 * out, runs coordinator steps, and sends the next worker step when its
 * worker is there and has room. */
static void
dispatcher_drive_host(dispatcher_t *d, run_t *run, size_t h, int64_t now_mono)
{
	int64_t now_wall = clock_wall_ms();
	for (;;) {
		int s = run_advance(run, h, now_mono, now_wall);
		dispatcher_persist_dirty(d, run, h);
		if (s < 0)
			return;
		switch (run->policy[s].kind) {
		case RUN_KIND_MANUAL:
			dispatcher_wait_approval(d, run, h, (size_t)s);
			return;
		case RUN_KIND_NOTIFY:
			dispatcher_notify(d, run, h, (size_t)s);
			continue;
		default: {
			/* A step that cannot be sent ends here, whether or not its
			 * worker is there: it needs none to say why. */
			if (run->hosts[h].steps[s].invalid) {
				dispatcher_refuse_invalid(d, run, h, (size_t)s);
				continue;
			}
			worker_t *w = registry_find(d->cfg.svc->registry, run->hosts[h].host);
			if (w == NULL || !w->connected || !registry_available(w))
				return;
			dispatcher_send(d, run, h, (size_t)s, w);
			if (run->hosts[h].steps[s].status != ROTA__STEP_STATUS__STEP_ERROR)
				return;
			continue; /* an unreadable spec ended it: move on */
		}
		}
	}
}

/* Starts the hosts that may start and drives every host; settles the run.
 * Returns 1 when the run was retired. */
int
dispatcher_drive(dispatcher_t *d, run_t *run, int64_t now_mono)
{
	/* A batch that ends can start the next one, whose hosts may end at
	 * once (every step skipped): go round until nothing changes. */
	for (int round = 0; round < 1000; round++) {
		size_t started = run_start_hosts(run);
		for (size_t h = 0; h < run->host_count; h++) {
			dispatcher_persist_dirty(d, run, h);
			if (!run_host_done(run, h))
				dispatcher_drive_host(d, run, h, now_mono);
		}
		if (started == 0)
			break;
	}
	return dispatcher_settle(d, run);
}

/* Records that step s of host h ended; retries it when its policy says so
 * and may_retry (false when no worker could take the retry), and moves the
 * run on. Returns 1 when the run was retired. */
int
dispatcher_end_step(dispatcher_t *d, run_t *run, size_t h, size_t s, int status, int exit_code,
                    int sig, int64_t started_ms, int64_t ended_ms, const char *detail,
                    bool may_retry)
{
	run_step_t *step = &run->hosts[h].steps[s];
	int was = step->status;
	worker_t *w = registry_find(d->cfg.svc->registry, run->hosts[h].host);
	if (w && w->running > 0 && run->policy[s].kind == RUN_KIND_WORKER &&
	    (was == ROTA__STEP_STATUS__STEP_DISPATCHED || was == ROTA__STEP_STATUS__STEP_RUNNING))
		w->running--;
	run_step_set(run, h, s, status);
	if (started_ms)
		step->started_ms = started_ms;
	dispatcher_persist_step(d, run, step, exit_code, sig, ended_ms, detail);
	if (status >= 0 && status < DISPATCHER_STATUS_SLOTS)
		d->stats.steps_ended[status]++;
	if (d->cfg.svc->metrics.step_seconds && step->started_ms > 0 &&
	    ended_ms >= step->started_ms)
		metrics_histogram_observe(d->cfg.svc->metrics.step_seconds,
		                          (double)(ended_ms - step->started_ms) / 1000.0);
	log_info("run %s host %s step %s attempt %u %s%s%s", run->id, run->hosts[h].host,
	         step->step_id, step->attempt, run_step_status_name(status),
	         detail && *detail ? ": " : "", detail ? detail : "");
	if (status == ROTA__STEP_STATUS__STEP_LOST && run->policy[s].kind == RUN_KIND_WORKER &&
	    !run->policy[s].idempotent) {
		/* Whether it ran, or ran half, is unknown, and running it again
		 * may do harm: a person has to look. */
		char *text = xasprintf(
		    "run %s host %s step %s attempt %u is lost and is not idempotent: it is not"
		    " run again automatically; it needs an operator to check whether it ran"
		    " (rota show %s)",
		    run->id, run->hosts[h].host, step->step_id, step->attempt, run->id);
		log_warn("%s", text);
		if (d->cfg.hooks.needs_operator)
			d->cfg.hooks.needs_operator(d->cfg.hooks.ctx, run->id, run->runbook,
			                            run->hosts[h].host, text);
		free(text);
	}
	int64_t delay = may_retry ? run_retry_delay(run, h, s, status) : -1;
	if (delay >= 0) {
		/* The next attempt is a new row: the failed one stays on record
		 * and a late result for it can never overwrite the retry. */
		step->attempt++;
		step->status = ROTA__STEP_STATUS__STEP_PENDING;
		step->started_ms = 0;
		step->retry_at_mono = clock_mono_ms() + delay;
		if (store_step_insert(d->cfg.svc->store, run->id, step->step_id, run->hosts[h].host,
		                      step->attempt, (uint32_t)s, step->status, step->spec,
		                      step->spec_len, &step->row) != 0)
			log_error("store: cannot record retry of step %s", step->step_id);
		char wait[32];
		duration_format(delay, wait, sizeof(wait));
		log_info("run %s host %s step %s: attempt %u in %s", run->id, run->hosts[h].host,
		         step->step_id, step->attempt, wait);
	}
	/* Driving the whole run is O(hosts): per result, a fan-out to N hosts
	 * was O(N^2) (4 s of one turn at 10,000). A run with more than
	 * DISPATCHER_DRIVE_NOW_HOSTS hosts moves only this host on now (its
	 * next step goes out in this turn); the rest (a batch that may start,
	 * the run's end) is looked at once per turn in dispatcher_end_turn,
	 * before the commit. A smaller run is driven at once, as it always
	 * was: the cost is bounded and what callers see is unchanged. */
	if (run->host_count <= DISPATCHER_DRIVE_NOW_HOSTS)
		return dispatcher_drive(d, run, clock_mono_ms());
	if (run->hosts[h].phase == RUN_HOST_STARTED && !run_host_done(run, h))
		dispatcher_drive_host(d, run, h, clock_mono_ms());
	if (!run->drive_pending) {
		if (d->pending_count == d->pending_cap) {
			d->pending_cap = d->pending_cap ? d->pending_cap * 2 : 64;
			d->pending = xrealloc(d->pending, d->pending_cap * sizeof(*d->pending));
		}
		d->pending[d->pending_count++] = run;
		run->drive_pending = true;
	}
	return 0;
}

/* dispatcher_end_step, retried when its policy says so. */
int
dispatcher_finish(dispatcher_t *d, run_t *run, size_t h, size_t s, int status, int exit_code,
                  int sig, int64_t started_ms, int64_t ended_ms, const char *detail)
{
	return dispatcher_end_step(d, run, h, s, status, exit_code, sig, started_ms, ended_ms,
	                           detail, true);
}

/* Drives the runs a step of which ended since the last call (see
 * dispatcher_finish); they may start a batch, end and be retired. */
void
dispatcher_drive_pending(dispatcher_t *d)
{
	int64_t now = clock_mono_ms();
	/* Driving adds no run to the list (only finishing does), but a drive
	 * may retire a run listed further on, which clears its entry. */
	for (size_t k = 0; k < d->pending_count; k++) {
		run_t *run = d->pending[k];
		if (run == NULL)
			continue;
		run->drive_pending = false;
		d->pending[k] = NULL;
		dispatcher_drive(d, run, now);
	}
	d->pending_count = 0;
}
