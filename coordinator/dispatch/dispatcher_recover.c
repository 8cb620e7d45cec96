/* dispatcher_recover: rebuilds the active runs from the store at start.
 *
 * Reads the step runs of unfinished runs, rebuilds each run with its latest
 * attempts, and gives it its step policies back from the runbook it was
 * started from. Secret params are not in the store: a step that needs one
 * fails when it is sent (dispatcher_send). */
#include "dispatcher.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "xalloc.h"

#include "dispatcher_internal.h"

/* Gives a recovered run its policies back from the YAML it was started
 * from; the kind of each step comes from its spec, so a runbook that no
 * longer parses still resumes (with default policies). */
static void
dispatcher_restore_policy(dispatcher_t *d, run_t *run)
{
	char *yaml = NULL, *trigger = NULL;
	bool cancelled = false;
	if (store_run_yaml(d->cfg.svc->store, run->id, &yaml, &trigger, &cancelled) == 0) {
		run->cancelled = cancelled;
		runbook_errors_t errs = {0};
		runbook_t *rb = runbook_parse_string(yaml, strlen(yaml), run->runbook, &errs);
		if (rb && rb->step_count == run->step_count) {
			run_apply_runbook(run, rb);
			if (strcmp(trigger, "schedule") == 0 && rb->schedule.jitter_ms > 0)
				dispatcher_jitter(run, rb->schedule.jitter_ms);
		} else {
			log_warn("run %s: its runbook no longer parses; resuming it with default"
			         " step policies",
			         run->id);
		}
		free(run->trigger);
		run->trigger = trigger;
		trigger = NULL;
		runbook_destroy(&rb);
		runbook_errors_clear(&errs);
	}
	free(yaml);
	free(trigger);
	for (size_t s = 0; s < run->step_count; s++) {
		/* An unreachable host was never given specs: ask one that was. */
		run_step_t *step = NULL;
		for (size_t h = 0; h < run->host_count && step == NULL; h++) {
			if (run->hosts[h].steps[s].spec_len > 0)
				step = &run->hosts[h].steps[s];
		}
		if (step == NULL)
			continue;
		Rota__StepSpec *spec = rota__step_spec__unpack(NULL, step->spec_len, step->spec);
		if (spec == NULL)
			continue;
		if (spec->kind_case == ROTA__STEP_SPEC__KIND_MANUAL)
			run->policy[s].kind = RUN_KIND_MANUAL;
		else if (spec->kind_case == ROTA__STEP_SPEC__KIND_NOTIFY)
			run->policy[s].kind = RUN_KIND_NOTIFY;
		else
			run->policy[s].kind = RUN_KIND_WORKER;
		rota__step_spec__free_unpacked(spec, NULL);
	}
	for (size_t h = 0; h < run->host_count; h++) {
		run_host_t *host = &run->hosts[h];
		bool untouched = true;
		for (size_t s = 0; s < run->step_count; s++) {
			int st = host->steps[s].status;
			if (st == ROTA__STEP_STATUS__STEP_UNREACHABLE)
				host->phase = RUN_HOST_UNREACHABLE;
			if (st != ROTA__STEP_STATUS__STEP_PENDING || host->steps[s].attempt > 1)
				untouched = false;
		}
		if (host->phase != RUN_HOST_UNREACHABLE)
			host->phase = untouched ? RUN_HOST_WAITING : RUN_HOST_STARTED;
		/* A cancel in progress goes on: steps still running are asked
		 * again when their worker says Hello. */
		for (size_t s = 0; s < run->step_count; s++)
			host->cancelled |=
			    host->steps[s].status == ROTA__STEP_STATUS__STEP_CANCELLED;
		host->cancelled |= run->cancelled;
		for (size_t s = 0; s < run->step_count && host->cancelled; s++) {
			int st = host->steps[s].status;
			if (st == ROTA__STEP_STATUS__STEP_DISPATCHED ||
			    st == ROTA__STEP_STATUS__STEP_RUNNING)
				host->steps[s].cancel_mono = clock_mono_ms();
		}
	}
}

int
dispatcher_recover(dispatcher_t *d, int64_t now_mono)
{
	store_step_row_t *rows;
	size_t n;
	if (store_active_steps(d->cfg.svc->store, &rows, &n) != 0)
		return -1;
	/* Rows come grouped by run, then host, then position: count the hosts
	 * and steps of each run, build it, and fill it in. */
	size_t i = 0;
	size_t resumed = 0;
	while (i < n) {
		size_t end = i;
		while (end < n && strcmp(rows[end].run_id, rows[i].run_id) == 0)
			end++;
		size_t hosts = 0, steps = 0;
		for (size_t k = i; k < end; k++) {
			if (k == i || strcmp(rows[k].host, rows[k - 1].host) != 0)
				hosts++;
			if (rows[k].position + 1 > steps)
				steps = rows[k].position + 1;
		}
		char *runbook = store_run_runbook(d->cfg.svc->store, rows[i].run_id);
		run_t *run = run_new(rows[i].run_id, runbook ? runbook : "?", hosts, steps);
		free(runbook);
		run->created_ms = rows[i].run_created_ms;
		run->started_ms = rows[i].run_started_ms;
		/* Its incident, read once here: its end and its notify steps
		 * then ask memory (dispatcher_incident_of), not the store. */
		char incident[64];
		int linked = store_incident_of_run(d->cfg.svc->store, rows[i].run_id, incident,
		                                   sizeof(incident));
		if (linked < 0) {
			/* None loaded rather than some: the retry reads them all. */
			run_destroy(&run);
			store_step_rows_free(rows, n);
			dispatcher_reset(d);
			return -1;
		}
		if (linked == 1)
			run->incident = xstrdup(incident);
		size_t h = 0;
		for (size_t k = i; k < end; k++) {
			if (k > i && strcmp(rows[k].host, rows[k - 1].host) != 0)
				h++;
			run_host_t *host = &run->hosts[h];
			if (host->host == NULL)
				host->host = xstrdup(rows[k].host);
			host->absent_since = now_mono;
			host->settle_until = now_mono + d->cfg.settle_ms;
			run_step_t *step = &host->steps[rows[k].position];
			/* A later attempt supersedes an earlier one. */
			free(step->step_id);
			free(step->spec);
			step->step_id = xstrdup(rows[k].step_id);
			step->attempt = rows[k].attempt;
			step->status = rows[k].status;
			step->row = rows[k].row;
			step->spec = rows[k].spec;
			step->spec_len = rows[k].spec_len;
			step->started_ms = rows[k].started_ms;
			step->dispatched_mono = now_mono;
			rows[k].spec = NULL;
			Rota__StepSpec *spec =
			    rota__step_spec__unpack(NULL, step->spec_len, step->spec);
			step->invalid = spec == NULL || spec->invalid[0] != '\0';
			if (spec) {
				step->timeout_ms = spec->timeout_ms;
				rota__step_spec__free_unpacked(spec, NULL);
			}
		}
		dispatcher_restore_policy(d, run);
		run->status = ROTA__RUN_STATUS__RUN_RUNNING;
		dispatcher_activate(d, run);
		resumed++;
		i = end;
	}
	store_step_rows_free(rows, n);
	if (resumed)
		log_info("resuming %zu unfinished run(s) from the store", resumed);
	return 0;
}
