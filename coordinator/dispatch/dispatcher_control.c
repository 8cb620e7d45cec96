/* dispatcher_control: what operators do to active runs.
 *
 * Approve or reject a manual step, cancel a run or one host's part of it.
 * A step running on a worker is sent Cancel and ends only when the worker
 * confirms (or the watchdog declares it lost), so `cancelled` always means
 * the process is gone. */
#include "dispatcher.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "xalloc.h"

#include "dispatcher_internal.h"

/* Sends Cancel for the worker step in flight at (h, s). */
void
dispatcher_send_cancel(dispatcher_t *d, run_t *run, size_t h, size_t s)
{
	run_step_t *step = &run->hosts[h].steps[s];
	worker_t *w = registry_find(d->cfg.svc->registry, run->hosts[h].host);
	if (step->cancel_mono == 0)
		step->cancel_mono = clock_mono_ms();
	if (w == NULL || !w->connected)
		return; /* its absence is judged by the watchdog */
	Rota__StepKey key = ROTA__STEP_KEY__INIT;
	key.run_id = run->id;
	key.step_id = step->step_id;
	key.host = run->hosts[h].host;
	key.attempt = step->attempt;
	Rota__Cancel msg = ROTA__CANCEL__INIT;
	msg.key = &key;
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_CANCEL;
	env.cancel = &msg;
	sendq_push(d->cfg.svc->sendq, d->cfg.svc->worker_sock, (const uint8_t *)w->id,
	           strlen(w->id), &env);
}

/* Why a run that is not in flight has nothing to answer: it ended, and
 * how. Naming the runbook shows when `last` meant another run than the
 * one the operator had in mind (a schedule fired since). */
static char *
dispatcher_not_active(dispatcher_t *d, const char *run_id)
{
	Rota__RunSummary sum;
	if (store_run_summary(d->cfg.svc->store, run_id, &sum) != 0)
		return xasprintf("run %s is not active: only a running run has steps waiting"
		                 " for approval",
		                 run_id);
	char *error = xasprintf("run %s (%s) has already ended (%s), so no step of it waits"
	                        " for approval; rota show %s says what happened",
	                        run_id, sum.runbook, run_status_name(sum.status), run_id);
	store_run_summary_clear(&sum);
	return error;
}

/* The manual steps of a run, "a, b", for a step name that is not one. */
static char *
dispatcher_manual_steps(const run_t *run)
{
	char *list = xstrdup("");
	for (size_t k = 0; k < run->step_count && run->host_count > 0; k++) {
		if (run->policy[k].kind != RUN_KIND_MANUAL)
			continue;
		char *longer =
		    xasprintf("%s%s%s", list, list[0] ? ", " : "", run->hosts[0].steps[k].step_id);
		free(list);
		list = longer;
	}
	return list;
}

int
dispatcher_approve(dispatcher_t *d, const char *run_id, const char *step_id, bool reject,
                   const char *by, const char *note, uint32_t *released, char **error)
{
	*released = 0;
	run_t *run = dispatcher_find_run(d, run_id);
	if (run == NULL) {
		*error = dispatcher_not_active(d, run_id);
		return -1;
	}
	int s = -1;
	for (size_t k = 0; k < run->step_count && run->host_count > 0; k++) {
		if (strcmp(run->hosts[0].steps[k].step_id, step_id) == 0)
			s = (int)k;
	}
	if (s < 0 || run->policy[s].kind != RUN_KIND_MANUAL) {
		char *manual = dispatcher_manual_steps(run);
		*error =
		    xasprintf("run %s (%s) %s '%s'; %s%s", run_id, run->runbook,
		              s < 0 ? "has no step" : "has no manual step", step_id,
		              manual[0] ? "its manual steps: " : "it has no manual steps", manual);
		free(manual);
		return -1;
	}
	int64_t now = clock_wall_ms();
	char at[32];
	clock_format(now, at, sizeof(at));
	const char *who = by && *by ? by : "an operator";
	char *detail = xasprintf("%s by %s at %s UTC%s%s", reject ? "rejected" : "approved", who,
	                         at, note && *note ? ": " : "", note ? note : "");
	/* The hosts waiting now: releasing one moves the run on, which can
	 * bring another host to this step (a later batch, a jitter run out),
	 * and that one waits for an approval of its own. */
	size_t waiting = 0;
	bool *was_waiting = xcalloc(run->host_count + 1, sizeof(*was_waiting));
	for (size_t h = 0; h < run->host_count; h++) {
		was_waiting[h] = run->hosts[h].steps[s].status == ROTA__STEP_STATUS__STEP_WAITING;
		waiting += was_waiting[h];
	}
	if (waiting == 0) {
		*error = xasprintf("step %s of run %s is not waiting for approval on any host"
		                   " (rota show %s shows where it is)",
		                   step_id, run_id, run_id);
		free(was_waiting);
		free(detail);
		return -1;
	}
	/* Finishing a step can retire the run: stop once it is gone. */
	for (size_t h = 0; h < run->host_count; h++) {
		if (!was_waiting[h] ||
		    run->hosts[h].steps[s].status != ROTA__STEP_STATUS__STEP_WAITING)
			continue;
		(*released)++;
		/* Before the finish, which may retire (free) the run. */
		store_note_approver(d->cfg.svc->store, run->hosts[h].steps[s].row, who, now);
		if (dispatcher_finish(d, run, h, (size_t)s,
		                      reject ? ROTA__STEP_STATUS__STEP_FAILED
		                             : ROTA__STEP_STATUS__STEP_SUCCEEDED,
		                      0, 0, 0, now, detail) != 0)
			break;
	}
	log_info("run %s step %s %s on %u host(s)", run_id, step_id,
	         reject ? "rejected" : "approved", *released);
	free(was_waiting);
	free(detail);
	return 0;
}

/* Cancels what is not finished on host h: pending and waiting steps end
 * `cancelled` now; a step running on a worker is sent Cancel and stays
 * running until the worker confirms with its Result (or the watchdog
 * declares it lost), so `cancelled` always means the process is gone. */
static size_t
dispatcher_cancel_host(dispatcher_t *d, run_t *run, size_t h, const char *reason)
{
	run_host_t *host = &run->hosts[h];
	int64_t now = clock_wall_ms();
	size_t signalled = 0;
	host->cancelled = true;
	if (host->phase == RUN_HOST_WAITING)
		host->phase = RUN_HOST_NEVER; /* a later batch: it never starts */
	for (size_t s = 0; s < run->step_count; s++) {
		run_step_t *step = &host->steps[s];
		if (run_step_status_terminal(step->status))
			continue;
		if (run->policy[s].kind == RUN_KIND_WORKER &&
		    (step->status == ROTA__STEP_STATUS__STEP_DISPATCHED ||
		     step->status == ROTA__STEP_STATUS__STEP_RUNNING)) {
			dispatcher_send_cancel(d, run, h, s);
			signalled++;
			continue;
		}
		run_step_set(run, h, s, ROTA__STEP_STATUS__STEP_CANCELLED);
		dispatcher_persist_step(d, run, step, 0, 0, now, reason);
	}
	return signalled;
}

int
dispatcher_cancel(dispatcher_t *d, run_t *run, const char *host, const char *reason,
                  size_t *signalled)
{
	size_t n = 0;
	if (host == NULL) {
		run->cancelled = true;
		free(run->reason);
		run->reason = xstrdup(reason);
		store_run_cancel(d->cfg.svc->store, run->id, reason);
	}
	for (size_t h = 0; h < run->host_count; h++) {
		if (host == NULL || strcmp(run->hosts[h].host, host) == 0)
			n += dispatcher_cancel_host(d, run, h, reason);
	}
	if (signalled)
		*signalled = n;
	log_info("run %s (%s)%s%s: %s; %zu step(s) asked to stop", run->id, run->runbook,
	         host ? " host " : "", host ? host : "", reason, n);
	return dispatcher_drive(d, run, clock_mono_ms());
}
