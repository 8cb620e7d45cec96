/* run: per-host step progression of one run (see run.h). */
#include "run.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fnv.h"
#include "rota.pb-c.h"
#include "strlist.h"
#include "xalloc.h"

run_t *
run_new(const char *id, const char *runbook, size_t host_count, size_t step_count)
{
	run_t *r = xcalloc(1, sizeof(*r));
	r->id = xstrdup(id);
	r->runbook = xstrdup(runbook);
	r->trigger = xstrdup("manual");
	r->status = ROTA__RUN_STATUS__RUN_PENDING;
	r->host_count = host_count;
	r->step_count = step_count;
	r->max_failures = SIZE_MAX;
	r->hosts = xcalloc(host_count, sizeof(*r->hosts));
	r->policy = xcalloc(step_count, sizeof(*r->policy));
	for (size_t s = 0; s < step_count; s++)
		r->policy[s].idempotent = true;
	for (size_t h = 0; h < host_count; h++) {
		r->hosts[h].steps = xcalloc(step_count, sizeof(run_step_t));
		for (size_t s = 0; s < step_count; s++) {
			r->hosts[h].steps[s].status = ROTA__STEP_STATUS__STEP_PENDING;
			r->hosts[h].steps[s].attempt = 1;
		}
	}
	return r;
}

void
run_destroy(run_t **rp)
{
	run_t *r = *rp;
	if (r == NULL)
		return;
	for (size_t h = 0; h < r->host_count; h++) {
		for (size_t s = 0; s < r->step_count; s++) {
			free(r->hosts[h].steps[s].step_id);
			free(r->hosts[h].steps[s].spec);
			free(r->hosts[h].steps[s].note);
		}
		free(r->hosts[h].steps);
		free(r->hosts[h].host);
	}
	free(r->hosts);
	free(r->host_index);
	free(r->policy);
	free(r->id);
	free(r->runbook);
	free(r->trigger);
	free(r->reason);
	free(r->incident);
	for (size_t i = 0; i < r->secret_count; i++) {
		/* Wiped, so a later core dump or heap reuse shows nothing. */
		explicit_bzero(r->secrets[i].value, strlen(r->secrets[i].value));
		free(r->secrets[i].value);
		free(r->secrets[i].key);
	}
	free(r->secrets);
	free(r);
	*rp = NULL;
}

void
run_add_secret(run_t *r, const char *name, const char *value)
{
	r->secrets = xrealloc(r->secrets, (r->secret_count + 1) * sizeof(*r->secrets));
	r->secrets[r->secret_count].key = xstrdup(name);
	r->secrets[r->secret_count].value = xstrdup(value);
	r->secret_count++;
}

const char *
run_secret(const run_t *r, const char *name)
{
	for (size_t i = 0; i < r->secret_count; i++)
		if (strcmp(r->secrets[i].key, name) == 0)
			return r->secrets[i].value;
	return NULL;
}

/* Where a step runs (its kind's row, common/runbook/step_kinds.c); a kind
 * the coordinator runs itself has its own executor in dispatcher.c. */
static int
run_kind_of(runbook_step_type_t type)
{
	if (!runbook_step_on_coordinator(type))
		return RUN_KIND_WORKER;
	return type == RUNBOOK_STEP_MANUAL ? RUN_KIND_MANUAL : RUN_KIND_NOTIFY;
}

void
run_apply_runbook(run_t *r, const runbook_t *rb)
{
	for (size_t s = 0; s < r->step_count && s < rb->step_count; s++) {
		const runbook_step_t *st = &rb->steps[s];
		run_policy_t *p = &r->policy[s];
		p->kind = run_kind_of(st->type);
		p->when = st->when.kind;
		p->when_step = st->when.step_index;
		if (p->when_step >= s &&
		    (p->when == RUNBOOK_WHEN_FAILED || p->when == RUNBOOK_WHEN_SUCCEEDED))
			p->when = RUNBOOK_WHEN_DEFAULT; /* the parser forbids it; be safe */
		p->retries = st->retries.count;
		p->backoff_ms = st->retries.backoff_ms;
		p->max_backoff_ms = st->retries.max_backoff_ms;
		p->continue_on_failure = st->continue_on_failure;
		p->idempotent = st->idempotent;
	}
	r->batch =
	    rb->targets.batch.value ? runbook_amount_of(rb->targets.batch, r->host_count) : 0;
	r->max_failures = rb->targets.max_failures.set
	                      ? runbook_amount_of(rb->targets.max_failures, r->host_count)
	                      : SIZE_MAX;
}

bool
run_step_status_terminal(int status)
{
	switch (status) {
	case ROTA__STEP_STATUS__STEP_SUCCEEDED:
	case ROTA__STEP_STATUS__STEP_FAILED:
	case ROTA__STEP_STATUS__STEP_TIMEOUT:
	case ROTA__STEP_STATUS__STEP_LOST:
	case ROTA__STEP_STATUS__STEP_SKIPPED:
	case ROTA__STEP_STATUS__STEP_CANCELLED:
	case ROTA__STEP_STATUS__STEP_ERROR:
	case ROTA__STEP_STATUS__STEP_UNREACHABLE:
		return true;
	default:
		return false;
	}
}

bool
run_step_status_ok(int status)
{
	return status == ROTA__STEP_STATUS__STEP_SUCCEEDED;
}

bool
run_step_status_failed(int status)
{
	return run_step_status_terminal(status) && status != ROTA__STEP_STATUS__STEP_SUCCEEDED &&
	       status != ROTA__STEP_STATUS__STEP_SKIPPED;
}

const char *
run_step_status_name(int status)
{
	static const char *names[] = {"unknown", "pending", "dispatched", "running", "succeeded",
	                              "failed",  "timeout", "lost",       "skipped", "cancelled",
	                              "error",   "waiting", "unreachable"};
	if (status < 0 || (size_t)status >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[status];
}

const char *
run_status_name(int status)
{
	static const char *names[] = {"unknown", "pending",   "running", "succeeded",
	                              "failed",  "cancelled", "skipped"};
	if (status < 0 || (size_t)status >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[status];
}

static bool
run_in_flight(int status)
{
	return status == ROTA__STEP_STATUS__STEP_DISPATCHED ||
	       status == ROTA__STEP_STATUS__STEP_RUNNING ||
	       status == ROTA__STEP_STATUS__STEP_WAITING;
}

/* A succeeded `when: {failed: t}` step after t makes t's failure handled. */
static bool
run_failure_handled(const run_t *r, size_t h, size_t t)
{
	for (size_t u = t + 1; u < r->step_count; u++) {
		if (r->policy[u].when == RUNBOOK_WHEN_FAILED && r->policy[u].when_step == t &&
		    r->hosts[h].steps[u].status == ROTA__STEP_STATUS__STEP_SUCCEEDED)
			return true;
	}
	return false;
}

static bool
run_failure_counts(const run_t *r, size_t h, size_t t)
{
	return run_step_status_failed(r->hosts[h].steps[t].status) &&
	       !r->policy[t].continue_on_failure && !run_failure_handled(r, h, t);
}

static void __attribute__((format(printf, 2, 3)))
run_step_note(run_step_t *step, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(step->note);
	step->note = xvasprintf(fmt, ap);
	va_end(ap);
	step->dirty = true;
}

void
run_host_stop(run_t *r, size_t h, const char *why)
{
	run_host_t *host = &r->hosts[h];
	host->phase = RUN_HOST_STOPPED;
	for (size_t s = 0; s < r->step_count; s++) {
		run_step_t *step = &host->steps[s];
		if (run_step_status_terminal(step->status))
			continue;
		step->status = ROTA__STEP_STATUS__STEP_SKIPPED;
		run_step_note(step, "%s", why);
	}
}

/* Whether step s of host h may run, given the (terminal) steps before it;
 * when not, notes why on the step. */
static bool
run_when_met(run_t *r, size_t h, size_t s)
{
	const run_policy_t *p = &r->policy[s];
	run_step_t *steps = r->hosts[h].steps;
	switch (p->when) {
	case RUNBOOK_WHEN_ALWAYS:
		return true;
	case RUNBOOK_WHEN_FAILED:
		if (run_step_status_failed(steps[p->when_step].status))
			return true;
		run_step_note(&steps[s], "not run: it runs when step %s fails, and it %s",
		              steps[p->when_step].step_id,
		              run_step_status_name(steps[p->when_step].status));
		return false;
	case RUNBOOK_WHEN_SUCCEEDED:
		if (run_step_status_ok(steps[p->when_step].status))
			return true;
		run_step_note(&steps[s], "not run: it runs when step %s succeeds, and it %s",
		              steps[p->when_step].step_id,
		              run_step_status_name(steps[p->when_step].status));
		return false;
	case RUNBOOK_WHEN_DEFAULT:
	default:
		for (size_t t = 0; t < s; t++) {
			if (run_failure_counts(r, h, t)) {
				run_step_note(&steps[s], "not run: step %s %s", steps[t].step_id,
				              run_step_status_name(steps[t].status));
				return false;
			}
		}
		return true;
	}
}

int
run_advance(run_t *r, size_t h, int64_t now_mono, int64_t now_wall)
{
	run_host_t *host = &r->hosts[h];
	if (host->phase != RUN_HOST_STARTED || r->cancelled || host->cancelled)
		return -1;
	for (size_t s = 0; s < r->step_count; s++) {
		run_step_t *step = &host->steps[s];
		if (run_in_flight(step->status))
			return -1;
		if (step->status != ROTA__STEP_STATUS__STEP_PENDING)
			continue;
		if (!run_when_met(r, h, s)) {
			step->status = ROTA__STEP_STATUS__STEP_SKIPPED;
			continue;
		}
		if (step->retry_at_mono > now_mono || host->not_before > now_wall)
			return -1;
		return (int)s;
	}
	return -1;
}

int
run_inflight_step(const run_t *r, size_t h)
{
	for (size_t s = 0; s < r->step_count; s++) {
		if (run_in_flight(r->hosts[h].steps[s].status))
			return (int)s;
	}
	return -1;
}

void
run_step_set(run_t *r, size_t h, size_t s, int status)
{
	r->hosts[h].steps[s].status = status;
}

int64_t
run_retry_delay(const run_t *r, size_t h, size_t s, int status)
{
	const run_policy_t *p = &r->policy[s];
	const run_step_t *step = &r->hosts[h].steps[s];
	if (r->cancelled || r->hosts[h].cancelled || p->kind != RUN_KIND_WORKER || !p->idempotent ||
	    step->attempt > p->retries)
		return -1;
	if (status != ROTA__STEP_STATUS__STEP_FAILED && status != ROTA__STEP_STATUS__STEP_TIMEOUT &&
	    status != ROTA__STEP_STATUS__STEP_LOST)
		return -1;
	int64_t delay = p->backoff_ms;
	for (uint32_t i = 1; i < step->attempt && delay < INT64_MAX / 4; i++)
		delay *= 2;
	if (p->max_backoff_ms && delay > p->max_backoff_ms)
		delay = p->max_backoff_ms;
	return delay;
}

bool
run_host_done(const run_t *r, size_t h)
{
	switch (r->hosts[h].phase) {
	case RUN_HOST_NEVER:
	case RUN_HOST_UNREACHABLE:
	case RUN_HOST_STOPPED:
		return true;
	case RUN_HOST_WAITING:
		return false;
	default:
		break;
	}
	for (size_t s = 0; s < r->step_count; s++) {
		if (!run_step_status_terminal(r->hosts[h].steps[s].status))
			return false;
	}
	return true;
}

bool
run_host_ok(const run_t *r, size_t h)
{
	if (r->hosts[h].phase != RUN_HOST_STARTED)
		return false;
	for (size_t s = 0; s < r->step_count; s++) {
		if (!run_step_status_terminal(r->hosts[h].steps[s].status) ||
		    run_failure_counts(r, h, s))
			return false;
	}
	return true;
}

size_t
run_failed_hosts(const run_t *r)
{
	size_t n = 0;
	for (size_t h = 0; h < r->host_count; h++) {
		if (r->hosts[h].phase == RUN_HOST_STARTED && run_host_done(r, h) &&
		    !run_host_ok(r, h))
			n++;
	}
	return n;
}

char *
run_failed_names(const run_t *r)
{
	/* Borrowed ids: the list is freed without its items. */
	strlist_t ids = {xcalloc(r->host_count + 1, sizeof(char *)), 0};
	for (size_t h = 0; h < r->host_count; h++)
		if (r->hosts[h].phase == RUN_HOST_STARTED && run_host_done(r, h) &&
		    !run_host_ok(r, h))
			ids.items[ids.count++] = r->hosts[h].host ? r->hosts[h].host : (char *)"?";
	char *out = strlist_join_sep(&ids, ", ", "");
	free(ids.items);
	return out;
}

size_t
run_start_hosts(run_t *r)
{
	size_t active = 0, waiting = 0, changed = 0;
	for (size_t h = 0; h < r->host_count; h++) {
		if (r->hosts[h].phase == RUN_HOST_WAITING)
			waiting++;
		else if (r->hosts[h].phase == RUN_HOST_STARTED && !run_host_done(r, h))
			active++;
	}
	if (waiting == 0 || (r->batch > 0 && active > 0))
		return 0;
	size_t failed = run_failed_hosts(r);
	bool stop = r->cancelled || (r->batch > 0 && failed > r->max_failures);
	size_t quota = r->batch > 0 ? r->batch : waiting;
	/* max_failures 0: the note names the host(s) that stopped the rollout. */
	char *names = stop && !r->cancelled && r->max_failures == 0 ? run_failed_names(r) : NULL;
	for (size_t h = 0; h < r->host_count; h++) {
		run_host_t *host = &r->hosts[h];
		if (host->phase != RUN_HOST_WAITING)
			continue;
		if (!stop && quota > 0) {
			host->phase = RUN_HOST_STARTED;
			quota--;
			changed++;
			continue;
		}
		if (!stop)
			break;
		host->phase = RUN_HOST_NEVER;
		changed++;
		for (size_t s = 0; s < r->step_count; s++) {
			run_step_t *step = &host->steps[s];
			step->status = r->cancelled ? ROTA__STEP_STATUS__STEP_CANCELLED
			                            : ROTA__STEP_STATUS__STEP_SKIPPED;
			if (r->cancelled)
				run_step_note(step, "never started: the run was cancelled");
			else if (names != NULL)
				run_step_note(
				    step,
				    "never started: %s failed, and max_failures 0 stops the"
				    " rollout at the first failed host",
				    names);
			else
				run_step_note(step,
				              "never started: %zu host(s) failed, more than"
				              " max_failures %zu",
				              failed, r->max_failures);
		}
	}
	free(names);
	return changed;
}

int
run_compute_status(const run_t *r)
{
	bool all_ok = true;
	for (size_t h = 0; h < r->host_count; h++) {
		if (!run_host_done(r, h))
			return ROTA__RUN_STATUS__RUN_RUNNING;
		/* A host stopped on purpose is skipped: it fails nothing. */
		if (!run_host_ok(r, h) && r->hosts[h].phase != RUN_HOST_STOPPED)
			all_ok = false;
	}
	if (r->cancelled)
		return ROTA__RUN_STATUS__RUN_CANCELLED;
	return all_ok ? ROTA__RUN_STATUS__RUN_SUCCEEDED : ROTA__RUN_STATUS__RUN_FAILED;
}

/* Builds the host index of a run with many hosts, once all are named; hosts
 * never change after that. Returns false when it cannot be built yet. */
static bool
run_index_hosts(run_t *r)
{
	if (r->host_index != NULL)
		return true;
	for (size_t i = 0; i < r->host_count; i++) {
		if (r->hosts[i].host == NULL)
			return false;
	}
	size_t cap = 16;
	while (cap < r->host_count * 2)
		cap *= 2;
	r->host_index = xcalloc(cap, sizeof(*r->host_index));
	r->host_index_cap = cap;
	for (size_t i = 0; i < r->host_count; i++) {
		size_t k = (size_t)fnv_add(FNV_START, r->hosts[i].host) & (cap - 1);
		while (r->host_index[k] != 0)
			k = (k + 1) & (cap - 1);
		r->host_index[k] = (uint32_t)i + 1;
	}
	return true;
}

int
run_find_host(const run_t *r, const char *host)
{
	/* Every message of a worker names its host: a scan per message made
	 * a fan-out to N hosts O(N^2). Small runs keep the scan. */
	if (r->host_count > RUN_HOST_INDEX_MIN && r->host_count < UINT32_MAX &&
	    run_index_hosts((run_t *)r)) {
		size_t mask = r->host_index_cap - 1;
		for (size_t k = (size_t)fnv_add(FNV_START, host) & mask; r->host_index[k] != 0;
		     k = (k + 1) & mask) {
			size_t i = r->host_index[k] - 1;
			if (strcmp(r->hosts[i].host, host) == 0)
				return (int)i;
		}
		return -1;
	}
	for (size_t i = 0; i < r->host_count; i++) {
		if (r->hosts[i].host && strcmp(r->hosts[i].host, host) == 0)
			return (int)i;
	}
	return -1;
}

int
run_find(const run_t *r, const char *host, const char *step_id, size_t *h, size_t *s)
{
	int i = run_find_host(r, host);
	if (i < 0)
		return -1;
	for (size_t k = 0; k < r->step_count; k++) {
		if (strcmp(r->hosts[i].steps[k].step_id, step_id) == 0) {
			*h = (size_t)i;
			*s = k;
			return 0;
		}
	}
	return -1;
}

int64_t
run_jitter_ms(const char *runbook, const char *host, uint32_t window_ms)
{
	if (window_ms == 0)
		return 0;
	/* FNV-1a over "runbook\0host": stable across restarts and versions. */
	uint64_t x = fnv_add(fnv_add_bytes(FNV_START, runbook, strlen(runbook) + 1), host);
	return (int64_t)(x % window_ms);
}
