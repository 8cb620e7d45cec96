/* store_prune: retention, the deletion of what is older than the
 * configuration keeps (docs/operations.md, "Retention"), in batches whose
 * cost is bounded, so the loop can take one batch a turn and go on
 * dispatching. Part of the store room's public header (store.h includes
 * it); the driver that decides when a pass runs is the core's pruner.
 *
 * A pass walks, in this order: the runs (with their step runs and
 * outputs) oldest first, then the audit rows, then the notifications that
 * were delivered or given up, then the resolved incidents (with their
 * timelines, links, escalations and alerts), then the event stream's rows
 * from the oldest on, up to the first one not older than its cut and never
 * among the newest events_keep. A follower whose cursor was pruned is told
 * so (store_events_pruned) and resumes from the oldest event kept. Its cut-offs are fixed when it
 * starts (now - each retention), so a dry run and the pass that follows at
 * the same `now` agree row for row: both go through store_prune_step, one
 * counting, the other deleting.
 *
 * Must never: delete a run that is pending or running (an approval waits
 * inside a running run), a run an unresolved incident links to, one of the
 * newest keep_runs_per_runbook runs of its runbook (nor their outputs), a
 * notification not yet delivered or given up, or an unresolved incident;
 * or do more than its budget of rows in one call. */
#ifndef ROTA_STORE_PRUNE_H
#define ROTA_STORE_PRUNE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct store store_t;

/* How long each kind of row is kept, in ms; 0 keeps it forever. */
typedef struct {
	int64_t runs_ms;          /* a finished run, its step runs and their outputs */
	int64_t outputs_ms;       /* a finished run's output (the run itself stays) */
	int64_t audit_ms;         /* audit rows */
	int64_t notifications_ms; /* outbox rows delivered or given up */
	int64_t incidents_ms;     /* resolved incidents, counted from their resolution */
	uint32_t
	    keep_runs_per_runbook; /* the newest N runs of a runbook stay, whatever their age */
	/* The event stream's rows (events) go with the outputs' retention (or
	 * the runs' when outputs are kept forever), but the newest events_keep
	 * always stay: the coordinator sets it to its ring's span, so a live
	 * follower never loses what it may still ask for. Not configured. */
	uint32_t events_keep;
} store_retention_t;

/* The tables a pass counts, in the order of the names below. */
typedef enum {
	STORE_PRUNE_RUNS,
	STORE_PRUNE_STEPS, /* step_runs, which go with their run */
	STORE_PRUNE_OUTPUTS,
	STORE_PRUNE_AUDIT,
	STORE_PRUNE_NOTIFICATIONS,
	STORE_PRUNE_INCIDENTS,
	STORE_PRUNE_EVENTS, /* the event stream's rows (store_events.c) */
	STORE_PRUNE_TABLES
} store_prune_table_t;

/* "runs", "steps", "outputs", "audit", "notifications", "incidents",
 * "events". */
const char *store_prune_table_name(store_prune_table_t t);

/* Where a pass is: plain data the caller keeps between batches (the
 * pruner keeps one; a dry run one on its stack). */
typedef struct {
	int64_t cut[STORE_PRUNE_TABLES]; /* rows older than this go; 0: none do */
	uint32_t keep;                   /* keep_runs_per_runbook */
	int phase;                       /* which walk is next (store_prune.c) */
	int64_t after_ms;                /* the runs walk: the last run examined */
	char after_id[128];
	int64_t events_after; /* the events walk: the last event examined */
	uint32_t events_keep;
	bool done;
	bool partial; /* a bounded dry run's count stopped at its cap: "at least" */
	uint64_t rows[STORE_PRUNE_TABLES]; /* deleted (or, dry, would be) so far */
} store_prune_pass_t;

/* Starts a pass at wall time now_ms. */
void store_prune_begin(store_prune_pass_t *p, const store_retention_t *r, int64_t now_ms);
/* One batch: deletes (dry: counts) at most about budget rows, in the
 * turn's transaction, and adds them to p->rows. Sets p->done when the pass
 * is over. 0, or -1 on a store error (the turn marked failed; the pass may
 * be taken again from where it stood). A dry run with budget 0 counts the
 * whole pass at once; with a budget it is bounded like a batch, and a
 * table counted in one statement stops at STORE_PRUNE_DRY_COUNT_MAX rows
 * (p->partial then says the count is a lower bound). */
#define STORE_PRUNE_DRY_COUNT_MAX 100000
int store_prune_step(store_t *s, store_prune_pass_t *p, uint32_t budget, bool dry);

/* SQLite: gives back up to pages free pages to the file system
 * (PRAGMA incremental_vacuum), in the turn's transaction; *left is the
 * free pages still in the file. PostgreSQL: nothing (its autovacuum
 * reuses the space), *left 0. 0 or -1. */
int store_prune_vacuum(store_t *s, uint32_t pages, int64_t *left);

/* When the last pass ended (wall ms), kept in meta so a restarted
 * coordinator still says it: written in the turn's transaction; read as 0
 * when no pass ever ended. 0 or -1. */
int store_prune_mark(store_t *s, int64_t ended_ms);
int store_prune_last(store_t *s, int64_t *ended_ms);

/* The last event id a pass deleted (every event up to it is gone), kept
 * in meta; 0 when none was. 0 or -1. */
int store_events_pruned(store_t *s, uint64_t *upto);

/* The store's size in bytes: the SQLite file (its pages, the WAL not
 * counted) or the PostgreSQL database. 0 or -1. */
int store_size(store_t *s, int64_t *bytes);

/* The creation time (wall ms) of the oldest row kept in each table, 0
 * for an empty table (steps: its run's; outputs: at_ms). 0 or -1. */
int store_prune_oldest(store_t *s, int64_t oldest[STORE_PRUNE_TABLES]);

#endif
