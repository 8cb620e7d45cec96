/* run: the state machine of one run, as plain data with no I/O.
 *
 * A run is a grid of hosts x steps. On each host the steps run in order;
 * a step that ends in anything but success stops that host, and the steps
 * after it are skipped. The run is over when every host is. The dispatcher
 * drives it and persists what changes; this module only decides. */
#ifndef ROTA_RUN_H
#define ROTA_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
	char *step_id; /* owned */
	uint32_t attempt;
	int status;    /* Rota__StepStatus */
	int64_t row;   /* store row of this step run */
	uint8_t *spec; /* owned: packed StepSpec as dispatched */
	size_t spec_len;
	int64_t started_ms;
	uint32_t timeout_ms;     /* from the spec, for the watchdog */
	int64_t dispatched_mono; /* when the Dispatch was (last) sent */
} run_step_t;

typedef struct {
	char *host;           /* owned: the worker id */
	run_step_t *steps;    /* owned: step_count of them, in runbook order */
	int64_t absent_since; /* mono ms since its worker was seen gone; 0 = present */
} run_host_t;

typedef struct run {
	char *id;      /* owned */
	char *runbook; /* owned */
	int status;    /* Rota__RunStatus */
	int64_t created_ms;
	int64_t started_ms;
	int64_t ended_ms;
	size_t host_count;
	size_t step_count;
	run_host_t *hosts; /* owned */
	struct run *next;  /* the dispatcher's list of active runs */
} run_t;

/* A run with host_count hosts of step_count pending steps each; the caller
 * fills hosts[i].host and the steps' ids and specs (all owned by the run). */
run_t *run_new(const char *id, const char *runbook, size_t host_count, size_t step_count);
void run_destroy(run_t **rp);

bool run_step_status_terminal(int status);
bool run_step_status_ok(int status);
const char *run_step_status_name(int status);
const char *run_status_name(int status);

/* The step to dispatch next on host h, or -1 when a step is in flight there
 * or the host is done. */
int run_next_step(const run_t *r, size_t h);
/* The step in flight on host h (dispatched or running), or -1. */
int run_inflight_step(const run_t *r, size_t h);
/* Sets step s of host h to status. When that status ends the host (any
 * terminal status but success), the pending steps after it become skipped;
 * their indices are [*skip_from, step_count) (*skip_from = step_count when
 * none). */
void run_step_set(run_t *r, size_t h, size_t s, int status, size_t *skip_from);
bool run_host_done(const run_t *r, size_t h);
bool run_host_ok(const run_t *r, size_t h);
/* RUN_RUNNING until every host is done; then SUCCEEDED when every host
 * succeeded, else FAILED. */
int run_compute_status(const run_t *r);
/* Finds host and step by key; -1 when the run has no such host or step. */
int run_find(const run_t *r, const char *host, const char *step_id, size_t *h, size_t *s);

#endif
