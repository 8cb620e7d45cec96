/* run: per-host step progression of one run (see run.h). */
#include "run.h"

#include <stdlib.h>
#include <string.h>

#include "rota.pb-c.h"
#include "xalloc.h"

run_t *
run_new(const char *id, const char *runbook, size_t host_count, size_t step_count)
{
	run_t *r = xcalloc(1, sizeof(*r));
	r->id = xstrdup(id);
	r->runbook = xstrdup(runbook);
	r->status = ROTA__RUN_STATUS__RUN_PENDING;
	r->host_count = host_count;
	r->step_count = step_count;
	r->hosts = xcalloc(host_count, sizeof(*r->hosts));
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
		}
		free(r->hosts[h].steps);
		free(r->hosts[h].host);
	}
	free(r->hosts);
	free(r->id);
	free(r->runbook);
	free(r);
	*rp = NULL;
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

const char *
run_step_status_name(int status)
{
	static const char *names[] = {"unknown",   "pending",   "dispatched", "running",
	                              "succeeded", "failed",    "timeout",    "lost",
	                              "skipped",   "cancelled", "error"};
	if (status < 0 || (size_t)status >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[status];
}

const char *
run_status_name(int status)
{
	static const char *names[] = {"unknown",   "pending", "running",
	                              "succeeded", "failed",  "cancelled"};
	if (status < 0 || (size_t)status >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[status];
}

int
run_next_step(const run_t *r, size_t h)
{
	const run_host_t *host = &r->hosts[h];
	for (size_t s = 0; s < r->step_count; s++) {
		int st = host->steps[s].status;
		if (st == ROTA__STEP_STATUS__STEP_PENDING)
			return (int)s;
		if (!run_step_status_ok(st))
			return -1; /* in flight, or the host stopped here */
	}
	return -1;
}

int
run_inflight_step(const run_t *r, size_t h)
{
	for (size_t s = 0; s < r->step_count; s++) {
		int st = r->hosts[h].steps[s].status;
		if (st == ROTA__STEP_STATUS__STEP_DISPATCHED ||
		    st == ROTA__STEP_STATUS__STEP_RUNNING)
			return (int)s;
	}
	return -1;
}

void
run_step_set(run_t *r, size_t h, size_t s, int status, size_t *skip_from)
{
	run_host_t *host = &r->hosts[h];
	host->steps[s].status = status;
	*skip_from = r->step_count;
	if (run_step_status_terminal(status) && !run_step_status_ok(status)) {
		for (size_t k = s + 1; k < r->step_count; k++) {
			if (host->steps[k].status == ROTA__STEP_STATUS__STEP_PENDING) {
				host->steps[k].status = ROTA__STEP_STATUS__STEP_SKIPPED;
				if (*skip_from == r->step_count)
					*skip_from = k;
			}
		}
	}
}

bool
run_host_done(const run_t *r, size_t h)
{
	for (size_t s = 0; s < r->step_count; s++) {
		int st = r->hosts[h].steps[s].status;
		if (!run_step_status_terminal(st))
			return false;
	}
	return true;
}

bool
run_host_ok(const run_t *r, size_t h)
{
	for (size_t s = 0; s < r->step_count; s++) {
		if (!run_step_status_ok(r->hosts[h].steps[s].status))
			return false;
	}
	return true;
}

int
run_compute_status(const run_t *r)
{
	bool all_ok = true;
	for (size_t h = 0; h < r->host_count; h++) {
		if (!run_host_done(r, h))
			return ROTA__RUN_STATUS__RUN_RUNNING;
		if (!run_host_ok(r, h))
			all_ok = false;
	}
	return all_ok ? ROTA__RUN_STATUS__RUN_SUCCEEDED : ROTA__RUN_STATUS__RUN_FAILED;
}

int
run_find(const run_t *r, const char *host, const char *step_id, size_t *h, size_t *s)
{
	for (size_t i = 0; i < r->host_count; i++) {
		if (strcmp(r->hosts[i].host, host) != 0)
			continue;
		for (size_t k = 0; k < r->step_count; k++) {
			if (strcmp(r->hosts[i].steps[k].step_id, step_id) == 0) {
				*h = i;
				*s = k;
				return 0;
			}
		}
		return -1;
	}
	return -1;
}
