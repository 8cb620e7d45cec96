/* run: the state machine of one run, as plain data with no I/O.
 *
 * A run is a grid of hosts x steps. On each host the steps run in order,
 * one at a time. Whether a step runs depends on its `when`: by default only
 * while nothing before it failed unhandled; `when: {failed: X}` only when X
 * failed there, `{succeeded: X}` only when X succeeded, `always` whatever
 * happened. A failure counts as handled once a `when: {failed: X}` step
 * naming it succeeded, and does not count at all with continue_on_failure.
 * A failed step with retries left goes back to pending as attempt N+1 after
 * a backoff.
 *
 * Hosts start all at once, or in batches (a rolling run): the next batch
 * starts when every host of the current one is done, and none starts once
 * more hosts failed than max_failures allows; those are "never started".
 *
 * The dispatcher drives it and persists what changes; this module only
 * decides. Steps it changes by itself (skips) are marked dirty with a note
 * for the dispatcher to record. */
#ifndef ROTA_RUN_H
#define ROTA_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runbook.h"

/* Where a step runs. */
enum {
	RUN_KIND_WORKER = 0, /* dispatched to the host's worker */
	RUN_KIND_MANUAL,     /* the coordinator waits for rota approve / reject */
	RUN_KIND_NOTIFY,     /* the coordinator sends a message */
};

/* What the run needs of each runbook step: the same on every host. */
/* Runs with more hosts than this find a host through an index. */
#define RUN_HOST_INDEX_MIN 16

typedef struct {
	int kind;
	runbook_when_kind_t when;
	size_t when_step; /* when FAILED/SUCCEEDED: the index of the step it names */
	uint32_t retries; /* attempts after the first */
	uint32_t backoff_ms;
	uint32_t max_backoff_ms;
	bool continue_on_failure;
	bool idempotent;
} run_policy_t;

typedef struct {
	char *step_id; /* owned */
	uint32_t attempt;
	int status;    /* Rota__StepStatus */
	int64_t row;   /* store row of this attempt */
	uint8_t *spec; /* owned: packed StepSpec as dispatched */
	size_t spec_len;
	int64_t started_ms;
	uint32_t timeout_ms;     /* from the spec, for the watchdog */
	int64_t dispatched_mono; /* when the Dispatch was (last) sent */
	int64_t retry_at_mono;   /* a pending retry waits until then */
	int64_t cancel_mono;     /* when Cancel was sent for it; 0 = never */
	bool invalid;            /* its spec says it cannot run (StepSpec.invalid) */
	char *note;              /* owned: why the run module changed it */
	bool dirty;              /* changed here, not yet persisted */
} run_step_t;

enum {
	RUN_HOST_WAITING = 0, /* not started yet (a later batch) */
	RUN_HOST_STARTED,
	RUN_HOST_NEVER,       /* a rolling run stopped before it */
	RUN_HOST_UNREACHABLE, /* its worker was not connected at the start */
	/* its worker was stopped on purpose (it said Goodbye) at the start:
	 * skipped, neither ok nor failed */
	RUN_HOST_STOPPED,
};

typedef struct {
	char *host;           /* owned: the worker id */
	run_step_t *steps;    /* owned: step_count of them, in runbook order */
	int phase;            /* RUN_HOST_* */
	bool cancelled;       /* an operator cancelled this host: nothing more starts */
	int64_t not_before;   /* wall ms: jitter holds its first step until then */
	int64_t absent_since; /* mono ms since its worker was seen gone; 0 = present */
	/* mono ms: a host of a recovered run is not lost before then, however
	 * long its worker is away (it may still be finding this coordinator);
	 * 0 once the worker said Hello here, or for a run started here */
	int64_t settle_until;
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
	run_host_t *hosts;    /* owned */
	run_policy_t *policy; /* owned: step_count of them */
	size_t batch;         /* hosts started at a time; 0 = all */
	size_t max_failures;  /* SIZE_MAX = no limit */
	bool cancelled;
	char *trigger; /* owned: "manual" or "schedule" */
	char *reason;  /* owned, may be NULL: why it ended as it did */
	/* owned, may be NULL: the incident it was first linked to (what
	 * incident_runs says first), kept here so that the run's end and its
	 * notify steps ask the store nothing (dispatcher_run_incident) */
	char *incident;
	int64_t slot_ms;
	/* The values of the run's secret params (key = param name), owned.
	 * Held in memory only, never stored: a recovered run has none, and
	 * a step that needs one then ends `error` (docs/security.md). */
	runbook_kv_t *secrets;
	size_t secret_count;
	struct run *next;   /* the dispatcher's list of active runs */
	struct run *prev;   /* and back, so that retiring one is O(1) */
	bool drive_pending; /* on the dispatcher's list of runs to drive this turn */
	/* Host index by name, built at the first lookup once every host is
	 * named (run_find_host): slot = host index + 1, 0 = empty. */
	uint32_t *host_index; /* owned */
	size_t host_index_cap;
} run_t;

/* A run with host_count hosts of step_count pending steps each, every step
 * with the default policy; the caller fills hosts[i].host and the steps'
 * ids and specs (all owned by the run). */
run_t *run_new(const char *id, const char *runbook, size_t host_count, size_t step_count);
void run_destroy(run_t **rp);
/* Keeps a copy of secret param name's value. */
void run_add_secret(run_t *r, const char *name, const char *value);
/* The value of secret param name, or NULL when the run does not hold it. */
const char *run_secret(const run_t *r, const char *name);
/* Takes each step's policy, the batch and max_failures from rb (whose steps
 * must be the run's). */
void run_apply_runbook(run_t *r, const runbook_t *rb);

/* Host h's worker was stopped on purpose (it said Goodbye) before the host
 * started anything: every step not ended is skipped with why as its note
 * (dirty, for the dispatcher to record), and the host fails nothing
 * (RUN_HOST_STOPPED). */
void run_host_stop(run_t *r, size_t h, const char *why);

bool run_step_status_terminal(int status);
bool run_step_status_ok(int status);
/* Terminal and not a success (a skip is neither). */
bool run_step_status_failed(int status);
const char *run_step_status_name(int status);
const char *run_status_name(int status);

/* Skips the steps of host h whose `when` is not met and returns the step to
 * start next, or -1 when one is in flight, a retry or the host's jitter is
 * not due, the host has not started, or it is done. */
int run_advance(run_t *r, size_t h, int64_t now_mono, int64_t now_wall);
/* The step in flight on host h (dispatched, running or waiting), or -1. */
int run_inflight_step(const run_t *r, size_t h);
/* Sets step s of host h to status. */
void run_step_set(run_t *r, size_t h, size_t s, int status);
/* The wait before retrying step s, whose attempt just ended with status;
 * -1 when it is not retried (no retries left, not idempotent, or a status
 * retrying cannot help). */
int64_t run_retry_delay(const run_t *r, size_t h, size_t s, int status);
/* Starts the hosts that may start now (all, or the next batch once the
 * current one is done), or marks the rest never started when too many
 * failed. Returns how many hosts changed phase. */
size_t run_start_hosts(run_t *r);
/* How many started hosts are done and not ok. */
size_t run_failed_hosts(const run_t *r);
/* Their ids, ", "-separated ("" when none); the caller frees it. */
char *run_failed_names(const run_t *r);
bool run_host_done(const run_t *r, size_t h);
bool run_host_ok(const run_t *r, size_t h);
/* RUN_RUNNING until every host is done; then CANCELLED when cancelled,
 * SUCCEEDED when every host is ok, else FAILED. */
int run_compute_status(const run_t *r);
/* Finds host and step by key; -1 when the run has no such host or step. */
int run_find(const run_t *r, const char *host, const char *step_id, size_t *h, size_t *s);
/* A deterministic delay in [0, window_ms) for one host of a runbook's
 * scheduled runs: the fleet spreads out, and each host keeps its place. */
int64_t run_jitter_ms(const char *runbook, const char *host, uint32_t window_ms);
/* The index of the host, or -1. */
int run_find_host(const run_t *r, const char *host);

#endif
