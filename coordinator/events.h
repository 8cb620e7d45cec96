/* events: the event stream. Every committed change a follower can see (a
 * run's or a step's status, an output chunk, a worker up or lost) is a row
 * of the store's `events` table, written in the turn that made the change
 * (store_events.c); its id is the cursor, so it increases, survives a
 * restart and is the same for every follower.
 *
 * After each commit the loop calls events_committed: the rows committed
 * since the last call are read into a bounded ring (the newest
 * EVENTS_RING_MAX events, at most EVENTS_RING_BYTES; when no follower's
 * window reads the ring, only the last committed cursor is read then, and
 * the rows up to it at the first look at the ring, which holds then what
 * it would have held; a followed run's tail reads its own run's rows), and
 * every follower on
 * the operator socket gets what it waits for. A follower asks for one
 * window at a time (FollowRequest: after a cursor, at most a limit); the
 * window's events are pushed as Event envelopes and a FollowResponse closes
 * it when it is full, when the followed run has ended, or after
 * EVENTS_HOLD_MS. So a follower that stops reading holds one window at most,
 * and one that asks from a cursor older than the ring is answered from the
 * store, a page at a time. Server-Sent Events read the same ring
 * (events_frames): a live stream that falls behind the ring is cut with a
 * "resync" and resumes from the store by its cursor. A stream of one run
 * reads its run's tail instead (events_tail.h): it falls behind only when
 * its own run's events leave the tail, not when other runs fill the ring.
 *
 * Must never: publish an event before its commit (the ring is filled only
 * from committed rows, and the store is read only up to what was
 * committed), block the loop, or let a follower grow memory without bound. */
#ifndef ROTA_EVENTS_H
#define ROTA_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rota.pb-c.h"
#include "sendq.h"
#include "sharedbuf.h"
#include "store/store.h"

/* The ring: the newest events, by count and by bytes of output. */
#define EVENTS_RING_MAX 4096
#define EVENTS_RING_BYTES (4 * 1024 * 1024)
/* A window: at most this many events (a request's limit is capped to it)
 * and bytes of output, and it is closed after EVENTS_HOLD_MS (under the
 * CLI's 5 s answer timeout) even when nothing happened. */
#define EVENTS_WINDOW_MAX 256
#define EVENTS_WINDOW_BYTES (1024 * 1024)
#define EVENTS_HOLD_MS 2000
/* Followers waiting at once on the operator socket; more are refused. */
#define EVENTS_FOLLOWERS_MAX 1024
/* Runs whose recent events are kept apart for their streams (a tail each,
 * events_tail.h), each bounded by EVENTS_TAIL_RINGS times the ring's bytes
 * (16 MiB: a follower may be that far behind its own run's output, about
 * 16 s of a run writing 1 MB/s, before it is cut): at most 4 x 16 MiB of
 * frames besides the ring, while four runs writing that much are followed.
 * A tail no stream read for EVENTS_TAIL_IDLE_MS is dropped. */
#define EVENTS_TAILS_MAX 4
#define EVENTS_TAIL_RINGS 4
#define EVENTS_TAIL_IDLE_MS 30000
/* Rows read from the store at once (filling the ring, or a page). */
#define EVENTS_PAGE 256

typedef struct events events_t;

/* store is borrowed and outlives the stream. Reads the last cursor, so a
 * restarted coordinator goes on from the store's numbering. NULL with
 * *error (caller frees) when the store cannot be read. */
events_t *events_new(store_t *store, char **error);
/* The same with the ring's bounds given (tests: a small ring). */
events_t *events_new_bounded(store_t *store, size_t ring_max, size_t ring_bytes, char **error);
/* Frees the ring and forgets every follower (they ask again). */
void events_destroy(events_t **ep);

/* The cursor of the last event published (committed and in the ring).
 * Like every look at the ring, it first reads in what was committed
 * since the ring was last filled. */
uint64_t events_cursor(events_t *e);
/* Events in the ring now (for tests and metrics). */
size_t events_ring_count(events_t *e);

/* After a commit (wrote: the turn wrote something): fills the ring from the
 * store and serves the followers, pushing their events and closing windows
 * into q (flushed by the caller). Also closes the windows whose time is up. */
void events_committed(events_t *e, sendq_t *q, bool wrote, int64_t now_ms);
/* How long the loop may sleep before a window's time is up: -1 none. */
long events_timeout_ms(const events_t *e, int64_t now_ms);

/* A FollowRequest's window: the follower (sock, identity) gets the events
 * after `after` of run_id (NULL or "": all), of host's steps and output only
 * when host is set, at most limit (0 or more than EVENTS_WINDOW_MAX:
 * EVENTS_WINDOW_MAX). run_status is the run's status now (0 without a
 * run). Served at the next events_committed, after the turn's commit.
 * 0, or -1 when EVENTS_FOLLOWERS_MAX windows are open (refuse: busy). */
int events_follow(events_t *e, void *sock, const uint8_t *identity, size_t identity_len,
                  uint64_t request_id, const char *run_id, const char *host, uint64_t after,
                  uint32_t limit, int run_status, int64_t now_ms);
/* Windows open now. */
size_t events_followers(const events_t *e);

/* Calls fn for each event after `after` of run_id (NULL or "": all), up
 * to max, oldest first; *next is the cursor to go on from. From the ring;
 * when `after` is older than the ring, from the store if from_store (a
 * page), else nothing: returns 1 (the caller is behind: resync). Also 1
 * when retention deleted events after `after` (store_events_pruned): *next
 * is then the cursor to resume from. 0, or -1 on a store error. The event
 * is borrowed for the call. */
typedef void (*events_each_fn)(void *ctx, const Rota__Event *ev);
int events_each(events_t *e, const char *run_id, uint64_t after, bool from_store, size_t max,
                events_each_fn fn, void *ctx, uint64_t *next);

/* The same for Server-Sent Events: fn is given each event's frame
 * (events_frame), borrowed for the call (sharedbuf_hold keeps it), until
 * about max bytes of frames. A frame of the ring is made the first time a
 * stream asks for it and shared by every stream after (the ring drops it
 * with its event, so frames are bounded with the ring: about its output's
 * bytes again, JSON-escaped); one read from the store is made for the
 * call. A live stream of one run (from_store false) reads its run's tail
 * (events_tail.h, opened then), and so does any stream of the run whose
 * cursor the tail covers; one behind its run's tail, catching up, reads
 * the store by run up to where the tail starts, then the tail, without
 * the ring. Returns and *next as events_each. */
typedef void (*events_frame_fn)(void *ctx, sharedbuf_t *frame);
int events_frames(events_t *e, const char *run_id, uint64_t after, bool from_store, size_t max,
                  events_frame_fn fn, void *ctx, uint64_t *next);

/* Whether an event of run_id (NULL or "": any) came after `after`: a
 * stream waiting for news need not wake when none of its run did. *next
 * is the cursor the stream may skip to, every event up to it being of
 * other runs: the one before its run's next event, or the cursor published
 * when there is none (false). A stream kept at the edge of its own run's
 * events falls behind the ring only when those are dropped, not when other
 * runs fill it. True with *next = after when `after` is older than the
 * ring (the stream reads to learn what to do). Reads the run's tail
 * (events_tail.h), else the ring: memory, once the ring has read what was
 * committed since it was last filled. */
bool events_news(events_t *e, const char *run_id, uint64_t after, uint64_t *next);

/* The cursor of run_id's newest event in its tail (events_tail.h), 0 when
 * it has none (no live stream of the run asked, or run_id NULL or ""). It
 * changes only when an event of the run is published (or the tail is
 * opened again): a stream that has read every event of the run in memory
 * need not be looked at while it stays the same. Reads only memory. */
uint64_t events_run_last(events_t *e, const char *run_id);

/* Whether a run status is final (succeeded, failed, cancelled, skipped). */
bool events_run_over(int status);

/* The event as one JSON object (caller frees): cursor, at_ms, run_id, the
 * body's kind ("output", "step", "run", "worker", "resync") and fields. */
char *events_json(const Rota__Event *ev);
/* The event as one Server-Sent Events frame, "id: CURSOR\nevent: KIND\n"
 * "data: JSON\n\n" (JSON as events_json), held once by the caller. */
sharedbuf_t *events_frame(const Rota__Event *ev);

#endif
