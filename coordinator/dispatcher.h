/* dispatcher: moves runs forward.
 *
 * It owns the active runs, sends each host its next step when the one
 * before succeeded, records what workers report (Accepted, Output, Result)
 * under the step key, and fails the steps of workers that are gone. Output
 * is recorded for any attempt dispatched to the worker that reports it,
 * whether its run is active or long over (late resends), in seq order. Every
 * change is written to the store in the turn's transaction and every message
 * it sends goes through the send queue, so nothing leaves before the commit.
 *
 * Must never: record a result twice, let a stale attempt overwrite a newer
 * one, leave a step running on a worker that is gone, store output for an
 * attempt never dispatched to its reporter, or ack a result before every
 * chunk up to its output_seq is accounted for. */
#ifndef ROTA_DISPATCHER_H
#define ROTA_DISPATCHER_H

#include <stdbool.h>
#include <stdint.h>

#include "http/http.h"
#include "registry.h"
#include "run.h"
#include "sendq.h"
#include "store/store.h"

/* The worker's SIGTERM-to-SIGKILL grace (worker/executor.h): a step's
 * result may come this long after its timeout. */
#define DISPATCHER_KILL_GRACE_MS 5000
/* A result whose output is incomplete is acked only when the missing
 * chunks come; after this many deliveries of it with no chunk between
 * them, the missing ones are recorded as lost and the result acked. */
#define DISPATCHER_OUTPUT_WAIT_RESULTS 3
/* Results waiting that way that are remembered at once (oldest forgotten). */
#define DISPATCHER_OUTPUT_WAIT_MAX 4096
/* A run with at most this many hosts is driven as a whole at each result;
 * a larger one only on the result's host then, and as a whole once per
 * turn (dispatcher_end_turn): O(hosts) per result made fan-outs O(N^2). */
#define DISPATCHER_DRIVE_NOW_HOSTS 64

#define DISPATCHER_STATUS_SLOTS 16

typedef struct {
	uint64_t dispatched;
	uint64_t results_recorded;
	uint64_t results_duplicate; /* acked, not recorded again */
	uint64_t results_unknown;   /* no such run or step: acked and dropped */
	uint64_t results_foreign;   /* a worker reporting another host's step: dropped */
	uint64_t outputs_recorded;
	uint64_t outputs_duplicate; /* already accounted for: acked, not stored again */
	uint64_t outputs_ahead;     /* an earlier chunk was missing: not stored, sent again later */
	uint64_t outputs_dropped;   /* malformed, unknown step, or an attempt never dispatched */
	uint64_t outputs_lost;      /* chunks given up on: a result waited for them in vain */
	uint64_t results_waiting;   /* a result not acked yet: its output was incomplete */
	uint64_t steps_lost;
	/* Step attempts that ended, by Rota__StepStatus (for /metrics). */
	uint64_t steps_ended[DISPATCHER_STATUS_SLOTS];
} dispatcher_stats_t;

typedef struct dispatcher dispatcher_t;

/* A run that ended, as the coordinator's incident handling sees it. */
typedef struct {
	const char *run_id;
	const char *runbook;
	const char *trigger;  /* manual | schedule | incident | alert */
	int status;           /* Rota__RunStatus */
	const char *reason;   /* may be NULL */
	const char *incident; /* the incident it is linked to; NULL: none */
	char *const *failed_hosts;
	size_t failed_count;
	uint32_t hosts_ok;
} dispatcher_run_end_t;

/* What the dispatcher reports to the coordinator's incident handling, in
 * the turn it happens (so what the hooks write commits with it). Any hook
 * may be NULL. */
typedef struct {
	void (*run_ended)(void *ctx, const dispatcher_run_end_t *end);
	/* A notify step: queues message for channel ("" = the run's policy);
	 * returns 0, or -1 with *detail (caller frees) saying why not, or 1
	 * when it must not be sent (its incident was resolved): the step is
	 * then skipped with *detail saying so. The step's detail on success
	 * is *detail too. */
	int (*notify)(void *ctx, const char *run_id, const char *runbook, const char *host,
	              const char *channel, const char *message, char **detail);
	/* Something only a person can settle (a lost step that is not
	 * idempotent). */
	void (*needs_operator)(void *ctx, const char *run_id, const char *runbook, const char *host,
	                       const char *text);
	void *ctx;
} dispatcher_hooks_t;

/* The coordinator's services (services.h includes this header). */
typedef struct services services_t;

typedef struct {
	/* borrowed: the store, registry, send queue, workers' socket, epoch,
	 * output cap (bytes kept per step) and step_seconds histogram (may be
	 * NULL) it works with, read where they are used (never copied) */
	services_t *svc;
	int64_t lost_after_ms; /* how long a host's worker may be away */
	/* After a recovery (a start or a promotion to leader), how long a host
	 * of a recovered run waits for its worker's first Hello before
	 * lost_after_ms applies: the worker may still be failing over through
	 * its endpoint list and reconnect backoff. */
	int64_t settle_ms;
	dispatcher_hooks_t hooks;
} dispatcher_config_t;

dispatcher_t *dispatcher_new(const dispatcher_config_t *config);
void dispatcher_destroy(dispatcher_t **dp);
/* After a turn that could not be committed: forgets every active run and
 * what the turn gathered (acks, results waiting for output, runs to
 * drive), as a new dispatcher knows none, and keeps its counters and
 * config; dispatcher_recover then reads the runs the store holds. The
 * dispatcher stays the same object, so those who hold it keep it. */
void dispatcher_reset(dispatcher_t *d);

/* Hosts whose next step is ready but not sent: their worker is at
 * capacity, away, or the step waits for a retry or jitter. */
size_t dispatcher_pending(const dispatcher_t *d);
/* Loads the runs the store says are unfinished (after a restart). */
int dispatcher_recover(dispatcher_t *d, int64_t now_mono);
/* Takes the run (nulls *runp), persists it with its steps as they are
 * (pending, or unreachable) and starts its hosts. jitter_ms > 0 spreads the
 * hosts' first steps over that window. -1 on a store error. */
int dispatcher_submit(dispatcher_t *d, run_t **runp, const char *runbook_yaml, const char *params,
                      uint32_t jitter_ms);
/* Records a run that is over before it starts (skipped, no targets). */
int dispatcher_record(dispatcher_t *d, const store_run_t *rec);
/* Approves (or rejects) the manual step of an active run on every host
 * waiting at it. 0 with *released; -1 with *error (caller frees) when the
 * run or step does not exist or nothing waits there. by (the operator) and
 * the time are recorded on each step released, and said in its detail. */
int dispatcher_approve(dispatcher_t *d, const char *run_id, const char *step_id, bool reject,
                       const char *by, const char *note, uint32_t *released, char **error);
/* Cancels an active run, or only host's part of it (host not NULL): pending
 * and waiting steps end `cancelled`; steps running on workers are sent
 * Cancel and end when the worker confirms (or are declared lost by the
 * watchdog). *signalled (may be NULL) counts those. Returns 1 when the run
 * was retired. */
int dispatcher_cancel(dispatcher_t *d, run_t *run, const char *host, const char *reason,
                      size_t *signalled);
/* An active run of the runbook, or NULL. */
run_t *dispatcher_active_of(dispatcher_t *d, const char *runbook);

/* Reconciles what is in flight on w with its Hello. new_process: the Hello
 * comes from another worker process than the one the coordinator knew
 * (Hello.instance changed). A step dispatched and not accepted is then
 * ambiguous: the old process may have started it. An idempotent step is
 * sent again; one with `idempotent: false` ends `lost`, for an operator.
 * From the same process (or after a coordinator restart, when the old
 * instance is unknown) it is sent again: a worker records every attempt it
 * starts in its spool and never starts one twice. */
void dispatcher_hello(dispatcher_t *d, worker_t *w, const Rota__Hello *hello, bool new_process);
/* The worker said Goodbye: it is sent nothing new (registry_available),
 * and its orders not yet accepted go back to pending. The worker starts
 * nothing once it said Goodbye and the connection keeps order, so those
 * never ran: sending them later (to it after a restart) is safe. */
void dispatcher_worker_stopping(dispatcher_t *d, worker_t *w);
void dispatcher_accepted(dispatcher_t *d, worker_t *w, const Rota__Accepted *msg);
void dispatcher_output(dispatcher_t *d, worker_t *w, const Rota__Output *msg);
void dispatcher_result(dispatcher_t *d, worker_t *w, const Rota__Result *msg);
void dispatcher_worker_lost(dispatcher_t *d, worker_t *w);
/* Moves on the large runs a step of which ended this turn as a whole (a
 * batch starts, a run ends and is retired: once per run per turn, not per
 * result; DISPATCHER_DRIVE_NOW_HOSTS), then queues the turn's OutputAcks, one per key with the
 * highest seq. Call once at the end of every loop turn, before the commit (the send queue holds
 * what it sends until the commit succeeds). */
void dispatcher_end_turn(dispatcher_t *d);
/* Dispatches what waits on a returning worker and fails hosts whose worker
 * has been away longer than lost_after_ms. Call every loop turn. */
void dispatcher_tick(dispatcher_t *d, int64_t now_mono);

/* Moves every timer of the active runs on by delta_ms (after the
 * coordinator itself stalled). */
void dispatcher_shift(dispatcher_t *d, int64_t delta_ms);

run_t *dispatcher_find_run(dispatcher_t *d, const char *run_id);
/* The active run run_id was linked to incident id (incidents_link_run,
 * in the same turn): remembered unless it has one already, the first as
 * in the store. Nothing when the run is not active (over, or unknown). */
void dispatcher_run_incident(dispatcher_t *d, const char *run_id, const char *id);
/* The incident of an active run: 1 with id copied (len bytes at most), 0
 * when it has none; -1 when the run is not active (ask the store). */
int dispatcher_incident_of(dispatcher_t *d, const char *run_id, char *id, size_t len);
/* The first active run; follow run->next for the rest. */
run_t *dispatcher_runs(dispatcher_t *d);
size_t dispatcher_active(const dispatcher_t *d);
const dispatcher_stats_t *dispatcher_stats(const dispatcher_t *d);

#endif
