/* events_tail: the recent events of one run that Server-Sent Events
 * streams follow, kept apart from the ring (events.c). The ring holds the
 * newest events of every run: at the throughput of a busy fleet its 4,096
 * events are a fraction of a second, so a stream of one run that waits on
 * its socket would fall behind it because of other runs' events, be cut
 * with a resync and be served again from the store. A tail keeps only its
 * run's frames, bounded by bytes, so such a stream falls behind only when
 * its own run wrote more than the tail holds since the stream's cursor.
 *
 * Internal to events.c: a tail is opened when a stream of a run first
 * asks, seeded from the ring, then given its run's rows after each commit
 * (by the store's index on run), and dropped when no stream asked for a
 * while or when another run needs the slot. */
#ifndef ROTA_EVENTS_TAIL_H
#define ROTA_EVENTS_TAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sharedbuf.h"

typedef struct {
	char *run_id; /* owned; NULL: the slot is free */
	/* every event of the run after from, up to upto, is in the tail:
	 * filled by its run's rows after each commit (events.c), not from
	 * the ring, which is then read only when something looks at it */
	uint64_t from, upto;
	uint64_t *cursors;    /* owned: cap slots, a ring from head */
	sharedbuf_t **frames; /* owned: one hold each, the same slots */
	size_t head, count, cap;
	size_t bytes;     /* of the frames held */
	int64_t asked_ms; /* the last time a stream read it */
} events_tail_t;

/* Opens the free slot t for run_id, covering every event after from (up
 * to from: the caller adds what follows and raises upto). */
void events_tail_open(events_tail_t *t, const char *run_id, uint64_t from);
/* Frees what t holds; the slot is free again. */
void events_tail_clear(events_tail_t *t);
/* Adds the run's next event (frame held once more), dropping the oldest
 * while the tail holds more than max_bytes (the newest is always kept). */
void events_tail_add(events_tail_t *t, uint64_t cursor, sharedbuf_t *frame, size_t max_bytes);
/* The index (0: the oldest) of the first event after `after`; t->count
 * when none. */
size_t events_tail_find(const events_tail_t *t, uint64_t after);
/* The event at index i (0: the oldest). */
uint64_t events_tail_cursor(const events_tail_t *t, size_t i);
sharedbuf_t *events_tail_frame(const events_tail_t *t, size_t i);

#endif
