/* store_outbox: the outbox table (schema 4) behind functions named for
 * what they do, so coordinator/incidents/ writes no SQL. Part of the store
 * room's public header (store.h includes it).
 *
 * Two sides: the loop's, through its store_t (a notice written in the
 * turn's transaction, the counts for /metrics), and the sender thread's,
 * through a store_outbox_t: a small handle of its own with its own
 * connection to the store's file, so it reads only committed rows and
 * never shares a connection across threads.
 *
 * Must never: be handed a store_t from the sender thread, or a
 * store_outbox_t from the loop's. */
#ifndef ROTA_STORE_OUTBOX_H
#define ROTA_STORE_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct store store_t;

/* A notice to record, due at once. */
typedef struct {
	const char *incident_id; /* NULL or "" outside an incident */
	const char *channel;
	const char *kind;
	int severity;
	const char *title; /* NULL: "" */
	const char *text;  /* NULL: "" */
	const char *hosts; /* NULL: "" */
} store_outbox_item_t;

/* Writes the notice in the turn's transaction (the caller opened it with
 * store_begin). 0, or -1 (the turn marked failed). */
int store_outbox_add(store_t *s, const store_outbox_item_t *item, int64_t now_ms);
/* Rows pending and given up (for /metrics). */
int store_outbox_counts(store_t *s, uint64_t *pending, uint64_t *given_up);

/* ---- the sender thread's side ---- */

typedef struct store_outbox store_outbox_t;

struct store_options; /* store.h */

/* Opens a connection of its own to the store o names, the same target as
 * store_open's (the store must have been opened, so migrated, first) and
 * prepares the sender's statements; a write waits up to busy_timeout_ms
 * for the loop's lock (SQLite). Open it on one thread and hand it to
 * another, never use it on two at once. NULL with *error (caller frees)
 * on failure. */
store_outbox_t *store_outbox_open(const struct store_options *o, int busy_timeout_ms, char **error);
/* NULL is harmless; *op is set to NULL. */
void store_outbox_close(store_outbox_t **op);

/* A due row, as the scan sees it: strings borrowed until the callback
 * returns (copy what you keep); channel may be NULL, the others read "" for
 * NULL. */
typedef struct {
	int64_t id;
	const char *incident_id; /* "" outside an incident */
	const char *channel;
	const char *kind;
	int severity;
	const char *title;
	const char *text;
	const char *hosts;
	int64_t created_ms;
	int64_t attempts;
	const char *last_error;
} store_outbox_row_t;
/* Called for each row the scan finds; returns true to stop the scan. No
 * write may be made through the handle while it runs (the scan's
 * statement is open): copy the rows to act on, act after. */
typedef bool (*store_outbox_due_fn)(void *ctx, const store_outbox_row_t *row);
/* The rows due by now_ms in id order; a row waits while an earlier row of
 * its incident on its channel is pending, so PagerDuty sees trigger before
 * resolve (a notice outside an incident waits for nothing). 0, or -1
 * (logged) when the scan stopped on an error. */
int store_outbox_due(store_outbox_t *o, int64_t now_ms, store_outbox_due_fn fn, void *ctx);
/* The earliest next_ms after now_ms of a pending row: 1 (*next_ms), 0 none
 * (or unreadable). */
int store_outbox_next(store_outbox_t *o, int64_t now_ms, int64_t *next_ms);
/* A row's outcomes; each is one small UPDATE, -1 (logged) when it did not
 * land. status is the HTTP status (0: none). */
int store_outbox_delivered(store_outbox_t *o, int64_t id, int64_t at_ms, long status);
int store_outbox_retry(store_outbox_t *o, int64_t id, long status, const char *error,
                       int64_t next_ms);
/* attempted: this outcome was an attempt (a 4xx; attempts and last_status
 * are counted), not a give-up by age or configuration. */
int store_outbox_give_up(store_outbox_t *o, int64_t id, int64_t at_ms, bool attempted, long status,
                         const char *error);

#endif
