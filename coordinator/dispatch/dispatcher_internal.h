/* dispatcher_internal: what the parts of the dispatcher share.
 *
 * Private to coordinator/dispatch/: the dispatcher's struct and the
 * functions one part calls in another. The public API is
 * coordinator/dispatcher.h; nothing outside this folder includes this. */
#ifndef ROTA_DISPATCHER_INTERNAL_H
#define ROTA_DISPATCHER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dispatcher.h"
#include "services.h"

/* An OutputAck the turn will send: the highest seq of its key. */
typedef struct {
	char *worker;  /* owned */
	char *run_id;  /* owned */
	char *step_id; /* owned */
	uint32_t attempt;
	uint64_t seq;
} dispatcher_output_ack_t;

/* A result that came before all of its output (see
 * dispatcher_output_complete). */
typedef struct {
	int64_t row;
	uint64_t seen_seq; /* the step run's output_seq when it last came */
	uint32_t deliveries;
} dispatcher_wait_t;

/* A slot of the run index left by a removed run: probing goes on past it. */
#define DISPATCHER_INDEX_TOMB ((run_t *)1)
#define DISPATCHER_INDEX_MIN 64

struct dispatcher {
	dispatcher_config_t cfg;
	run_t *runs; /* owned: the active runs */
	size_t count;
	/* The active runs by id (borrowed from runs): open addressing with
	 * linear probing, at most half full counting tombstones. */
	run_t **index; /* owned array */
	size_t index_cap, index_used;
	/* Runs a step of which ended this turn (borrowed; NULL once retired):
	 * driven as a whole once, at the end of the turn. */
	run_t **pending; /* owned array */
	size_t pending_count, pending_cap;
	dispatcher_stats_t stats;
	/* The turn's OutputAcks, coalesced by key. A linear search: a turn
	 * reads at most COORDINATOR_BATCH messages, and they come from few
	 * steps at once. */
	dispatcher_output_ack_t *acks; /* owned */
	size_t ack_count, ack_cap;
	/* Results waiting for output; memory only (after a restart a result
	 * starts its wait again, which only delays giving up). */
	dispatcher_wait_t *waits; /* owned */
	size_t wait_count;
};

/* dispatcher.c: the store writes of step state; a scheduled run's jitter. */
void dispatcher_persist_step(dispatcher_t *d, const run_t *run, run_step_t *step, int exit_code,
                             int sig, int64_t ended_ms, const char *detail);
void dispatcher_persist_dirty(dispatcher_t *d, run_t *run, size_t h);
void dispatcher_jitter(run_t *run, uint32_t window_ms);

/* dispatcher_index.c: the active runs. */
void dispatcher_activate(dispatcher_t *d, run_t *run);
void dispatcher_retire(dispatcher_t *d, run_t *run);

/* dispatcher_drive.c: moving runs forward. */
void dispatcher_send(dispatcher_t *d, run_t *run, size_t h, size_t s, worker_t *w);
int dispatcher_drive(dispatcher_t *d, run_t *run, int64_t now_mono);
int dispatcher_end_step(dispatcher_t *d, run_t *run, size_t h, size_t s, int status, int exit_code,
                        int sig, int64_t started_ms, int64_t ended_ms, const char *detail,
                        bool may_retry);
/* A succeeded check's recorded value (Result.value) kept and compared with
 * its baseline (dispatcher_baseline.c): NULL when the step records
 * nothing, else the detail to keep (the caller frees), *status failed on a
 * regression. */
char *dispatcher_baseline(dispatcher_t *d, run_t *run, size_t h, size_t s, const char *value_text,
                          int *status, const char *detail);
int dispatcher_finish(dispatcher_t *d, run_t *run, size_t h, size_t s, int status, int exit_code,
                      int sig, int64_t started_ms, int64_t ended_ms, const char *detail);
void dispatcher_drive_pending(dispatcher_t *d);

/* dispatcher_control.c. */
void dispatcher_send_cancel(dispatcher_t *d, run_t *run, size_t h, size_t s);

#endif
