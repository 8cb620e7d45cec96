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

#endif
