/* Unit tests of the event stream (coordinator/events.c) on a real store
 * file: cursors in commit order, nothing before its commit, the cursor
 * going on after a reopen, the ring's bound, a reader behind the ring
 * told to resync and served from the store, and a reader whose cursor
 * retention deleted told to resync from the oldest event kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "fixture_store.h"
#include "sendq.h"
#include "store/store.h"

static void
add_run(store_t *s, const char *id)
{
	store_run_t run = {
	    .id = id, .runbook = "demo", .status = ROTA__RUN_STATUS__RUN_PENDING, .created_ms = 1};
	assert_int_equal(store_run_insert(s, &run), 0);
}

typedef struct {
	uint64_t cursors[64];
	int status[64];
	size_t n;
} seen_t;

static void
collect(void *ctx, const Rota__Event *ev)
{
	seen_t *seen = ctx;
	assert_true(seen->n < 64);
	seen->cursors[seen->n] = ev->cursor;
	seen->status[seen->n++] =
	    ev->body_case == ROTA__EVENT__BODY_RUN ? (int)ev->run->status : -1;
}

/* A fresh events_t on s (the caller's); *start its cursor. */
static events_t *
events_at(store_t *s, uint64_t *start)
{
	char *error = NULL;
	events_t *e = events_new(s, &error);
	assert_non_null(e);
	*start = events_cursor(e);
	return e;
}

static void
test_cursors_follow_commits(void **state)
{
	fixture_store_t *f = *state;
	sendq_t *q = sendq_new();
	uint64_t start;
	events_t *e = events_at(f->store, &start);

	add_run(f->store, "r1");
	assert_int_equal(store_run_update(f->store, "r1", ROTA__RUN_STATUS__RUN_RUNNING, 2, 0), 0);
	/* Not committed: not published. */
	seen_t seen = {0};
	uint64_t next = 0;
	assert_int_equal(events_each(e, "r1", start, true, 10, collect, &seen, &next), 0);
	assert_int_equal(seen.n, 0);
	assert_int_equal(store_commit(f->store), 0);
	events_committed(e, q, true, 0);
	assert_int_equal(events_ring_count(e), 2);
	assert_int_equal(events_each(e, "r1", start, false, 10, collect, &seen, &next), 0);
	assert_int_equal(seen.n, 2);
	assert_true(seen.cursors[0] < seen.cursors[1]);
	assert_int_equal(seen.status[1], ROTA__RUN_STATUS__RUN_RUNNING);
	assert_int_equal(next, seen.cursors[1]);
	/* Another run's events are not this one's. */
	add_run(f->store, "r2");
	assert_int_equal(store_commit(f->store), 0);
	events_committed(e, q, true, 0);
	seen.n = 0;
	assert_int_equal(events_each(e, "r1", next, false, 10, collect, &seen, &next), 0);
	assert_int_equal(seen.n, 0);
	assert_int_equal(next, events_cursor(e));
	uint64_t last = events_cursor(e);
	events_destroy(&e);

	/* A restart goes on from the store's numbering. */
	uint64_t again = 0;
	e = events_at(f->store, &again);
	assert_int_equal(again, last);
	events_destroy(&e);
	sendq_destroy(&q);
}

/* A ring of 4 (the caller's) after run r1's 10 events were committed (its
 * insert, then 9 updates); *start the cursor from before them. */
static events_t *
ring_of_ten(store_t *s, sendq_t *q, uint64_t *start)
{
	char *error = NULL;
	events_t *e = events_new_bounded(s, 4, 1 << 20, &error);
	assert_non_null(e);
	*start = events_cursor(e);
	add_run(s, "r1");
	for (int i = 0; i < 9; i++)
		assert_int_equal(store_run_update(s, "r1", ROTA__RUN_STATUS__RUN_RUNNING, i, 0), 0);
	assert_int_equal(store_commit(s), 0);
	events_committed(e, q, true, 0);
	return e;
}

static void
test_behind_the_ring_resyncs_from_the_store(void **state)
{
	fixture_store_t *f = *state;
	sendq_t *q = sendq_new();
	uint64_t start;
	events_t *e = ring_of_ten(f->store, q, &start);
	/* Bounded: the newest 4 of 10. */
	assert_int_equal(events_ring_count(e), 4);
	seen_t seen = {0};
	uint64_t next = 0;
	/* A live reader that fell behind is told so, and given nothing. */
	assert_int_equal(events_each(e, NULL, start, false, 64, collect, &seen, &next), 1);
	assert_int_equal(seen.n, 0);
	/* Catching up reads the store, in order, from its cursor. */
	assert_int_equal(events_each(e, NULL, start, true, 64, collect, &seen, &next), 0);
	assert_int_equal(seen.n, 10);
	for (size_t i = 1; i < seen.n; i++)
		assert_true(seen.cursors[i] > seen.cursors[i - 1]);
	assert_int_equal(next, events_cursor(e));
	/* The last 4 come from the ring. */
	seen_t tail = {0};
	assert_int_equal(events_each(e, NULL, seen.cursors[5], false, 64, collect, &tail, &next),
	                 0);
	assert_int_equal(tail.n, 4);
	assert_int_equal(tail.cursors[0], seen.cursors[6]);
	events_destroy(&e);
	sendq_destroy(&q);
}

/* Retention deletes old events but never the ring's span; a reader whose
 * cursor was deleted is told to resync, with the cursor to go on from,
 * and from there misses nothing that was kept. */
static void
test_a_pruned_cursor_resyncs_to_the_oldest_kept(void **state)
{
	fixture_store_t *f = *state;
	sendq_t *q = sendq_new();
	uint64_t start;
	events_t *e = ring_of_ten(f->store, q, &start);
	/* A pass a year from now: every event is old; the ring's 4 stay. */
	store_retention_t r = {.outputs_ms = 1, .events_keep = 4};
	store_prune_pass_t p;
	store_prune_begin(&p, &r, 400LL * 24 * 3600 * 1000 + 2000000000000LL);
	while (!p.done)
		assert_int_equal(store_prune_step(f->store, &p, 3, false), 0);
	assert_int_equal(store_commit(f->store), 0);
	assert_int_equal(p.rows[STORE_PRUNE_EVENTS], 6);
	uint64_t pruned = 0;
	assert_int_equal(store_events_pruned(f->store, &pruned), 0);
	assert_int_equal(pruned, start + 6);
	seen_t seen = {0};
	uint64_t next = 0;
	/* From the store too: resync, to the oldest kept. */
	assert_int_equal(events_each(e, NULL, start, true, 64, collect, &seen, &next), 1);
	assert_int_equal(seen.n, 0);
	assert_int_equal(next, pruned);
	/* From there: the 4 kept, in order, none missing. */
	assert_int_equal(events_each(e, NULL, next, true, 64, collect, &seen, &next), 0);
	assert_int_equal(seen.n, 4);
	assert_int_equal(seen.cursors[0], pruned + 1);
	assert_int_equal(next, events_cursor(e));
	/* A cursor not pruned is served as before. */
	seen.n = 0;
	assert_int_equal(events_each(e, NULL, pruned + 2, true, 64, collect, &seen, &next), 0);
	assert_int_equal(seen.n, 2);
	events_destroy(&e);
	sendq_destroy(&q);
}

/* An incident's opening is an event, with its id, status and title. */
typedef struct {
	int incidents;
	char status[32];
	char title[64];
} incident_seen_t;

static void
collect_incident(void *ctx, const Rota__Event *ev)
{
	incident_seen_t *seen = ctx;
	if (ev->body_case != ROTA__EVENT__BODY_INCIDENT)
		return;
	seen->incidents++;
	snprintf(seen->status, sizeof(seen->status), "%s", ev->incident->status);
	snprintf(seen->title, sizeof(seen->title), "%s", ev->incident->title);
}

static void
test_incident_opened(void **state)
{
	fixture_store_t *f = *state;
	sendq_t *q = sendq_new();
	uint64_t start;
	events_t *e = events_at(f->store, &start);
	store_incident_new_t n = {.id = "INC-1",
	                          .title = "disk full",
	                          .severity = 2,
	                          .source = "cli",
	                          .hosts = "",
	                          .policy = "default",
	                          .created_ms = 1};
	assert_int_equal(store_begin(f->store), 0);
	assert_int_equal(store_incident_insert(f->store, &n), 0);
	assert_int_equal(store_commit(f->store), 0);
	events_committed(e, q, true, 0);
	incident_seen_t seen = {0};
	uint64_t next = 0;
	assert_int_equal(events_each(e, NULL, start, false, 10, collect_incident, &seen, &next), 0);
	assert_int_equal(seen.incidents, 1);
	assert_string_equal(seen.status, "triggered");
	assert_string_equal(seen.title, "disk full");
	events_destroy(&e);
	sendq_destroy(&q);
}

/* A worker's state is an event when it changes, not at every write. */
static void
count_workers(void *ctx, const Rota__Event *ev)
{
	int *n = ctx;
	if (ev->body_case == ROTA__EVENT__BODY_WORKER && strcmp(ev->worker->id, "w1") == 0)
		(*n)++;
}

static void
test_worker_changes(void **state)
{
	fixture_store_t *f = *state;
	sendq_t *q = sendq_new();
	uint64_t start;
	events_t *e = events_at(f->store, &start);
	assert_int_equal(store_worker_upsert(f->store, "w1", "h", "", "1", "connected", 1), 0);
	assert_int_equal(store_worker_upsert(f->store, "w1", "h", "", "1", "connected", 2), 0);
	assert_int_equal(store_worker_upsert(f->store, "w1", "h", "", "1", "lost", 3), 0);
	assert_int_equal(store_commit(f->store), 0);
	events_committed(e, q, true, 0);
	int n = 0;
	uint64_t next = 0;
	assert_int_equal(events_each(e, NULL, start, false, 10, count_workers, &n, &next), 0);
	assert_int_equal(n, 2);
	events_destroy(&e);
	sendq_destroy(&q);
}

typedef struct {
	sharedbuf_t *frames[16]; /* held */
	size_t n;
} frames_t;

static void
keep_frame(void *ctx, sharedbuf_t *frame)
{
	frames_t *fr = ctx;
	assert_true(fr->n < 16);
	fr->frames[fr->n++] = sharedbuf_hold(frame);
}

static void
drop_frames(frames_t *fr)
{
	for (size_t i = 0; i < fr->n; i++)
		sharedbuf_drop(&fr->frames[i]);
	fr->n = 0;
}

/* Server-Sent Events: each event's frame is made once and is the same for
 * every stream; a stream of one run learns without reading whether its run
 * had news, and may skip to the published cursor when not. */
static void
test_frames_shared_and_news(void **state)
{
	fixture_store_t *f = *state;
	sendq_t *q = sendq_new();
	uint64_t start;
	events_t *e = events_at(f->store, &start);
	add_run(f->store, "r1");
	add_run(f->store, "r2");
	assert_int_equal(store_commit(f->store), 0);
	events_committed(e, q, true, 0);
	uint64_t r1_added = start + 1;

	frames_t a = {0}, b = {0};
	uint64_t next = 0;
	assert_int_equal(events_frames(e, "r1", start, false, 65536, keep_frame, &a, &next), 0);
	assert_int_equal(events_frames(e, "r1", start, false, 65536, keep_frame, &b, &next), 0);
	assert_int_equal(a.n, 1);
	assert_int_equal(b.n, 1);
	assert_ptr_equal(a.frames[0], b.frames[0]); /* one frame, two holders */
	char want[64];
	snprintf(want, sizeof(want), "id: %llu\nevent: run\ndata: {", (unsigned long long)r1_added);
	assert_memory_equal(a.frames[0]->data, want, strlen(want));
	assert_string_equal(a.frames[0]->data + a.frames[0]->len - 2, "\n\n");
	assert_int_equal(next, events_cursor(e));

	/* News: r2's event came after r1's; none of r1 after it. */
	assert_true(events_news(e, "r2", r1_added, &next));
	assert_int_equal(next, r1_added); /* r2's is the next event */
	assert_true(events_news(e, "r2", start, &next));
	assert_int_equal(next, r1_added); /* r1's skipped, r2's not */
	assert_false(events_news(e, "r1", r1_added, &next));
	assert_int_equal(next, events_cursor(e));
	assert_true(events_news(e, NULL, r1_added, &next));

	/* A frame outlives its event in the ring while a stream holds it. */
	events_destroy(&e);
	assert_int_equal(a.frames[0]->len > strlen(want), true);
	drop_frames(&a);
	drop_frames(&b);
	sendq_destroy(&q);
}

/* A stream of one run keeps its place when other runs' events outrun the
 * ring: its run's events are kept apart (a tail, bounded by 4 times the ring's
 * bytes), so it is not cut with a resync and sent back to the store. Past
 * the tail's bytes it is behind, as before. */
/* Run r2 added with n updates of its own, then one of r1 (r1_started),
 * committed: another run's events around a followed run's one. */
static void
r2_then_r1(fixture_store_t *f, int n, int64_t r1_started)
{
	add_run(f->store, "r2");
	for (int i = 0; i < n; i++)
		assert_int_equal(
		    store_run_update(f->store, "r2", ROTA__RUN_STATUS__RUN_RUNNING, i, 0), 0);
	assert_int_equal(
	    store_run_update(f->store, "r1", ROTA__RUN_STATUS__RUN_RUNNING, r1_started, 0), 0);
	assert_int_equal(store_commit(f->store), 0);
}

/* Run r1 added and committed, its one event read by a stream from start:
 * the cursor after it. */
static uint64_t
r1_committed(fixture_store_t *f, events_t *e, sendq_t *q, uint64_t start)
{
	add_run(f->store, "r1");
	assert_int_equal(store_commit(f->store), 0);
	events_committed(e, q, true, 0);
	frames_t a = {0};
	uint64_t next = 0;
	assert_int_equal(events_frames(e, "r1", start, false, 65536, keep_frame, &a, &next), 0);
	assert_int_equal(a.n, 1);
	drop_frames(&a);
	return next;
}

static void
test_a_run_stream_outlives_the_ring(void **state)
{
	fixture_store_t *f = *state;
	sendq_t *q = sendq_new();
	char *error = NULL;
	events_t *e = events_new_bounded(f->store, 4, 1 << 20, &error);
	assert_non_null(e);
	uint64_t start = events_cursor(e);
	uint64_t live = r1_committed(f, e, q, start);
	frames_t a = {0};
	uint64_t next = 0;

	/* r2's 10 events fill the ring of 4 twice over; then one of r1. */
	r2_then_r1(f, 9, 5);
	events_committed(e, q, true, 0);
	assert_true(events_news(e, "r1", live, &next));
	assert_int_equal(events_frames(e, "r1", live, false, 65536, keep_frame, &a, &next), 0);
	assert_int_equal(a.n, 1); /* r1's update, and nothing of r2 */
	char want[64];
	snprintf(want, sizeof(want), "id: %llu\nevent: run\n",
	         (unsigned long long)events_cursor(e));
	assert_memory_equal(a.frames[0]->data, want, strlen(want));
	assert_int_equal(next, events_cursor(e));
	assert_false(events_news(e, "r1", next, &next));
	drop_frames(&a);
	live = next;

	/* One turn that wrote more than a fill reads (16 pages): the ring
	 * starts again at the newest event, but the run's tail misses none of
	 * its run's. */
	add_run(f->store, "r3");
	for (int i = 0; i < 4200; i++)
		assert_int_equal(
		    store_run_update(f->store, "r3", ROTA__RUN_STATUS__RUN_RUNNING, i, 0), 0);
	assert_int_equal(store_run_update(f->store, "r1", ROTA__RUN_STATUS__RUN_RUNNING, 6, 0), 0);
	for (int i = 0; i < 10; i++)
		assert_int_equal(
		    store_run_update(f->store, "r3", ROTA__RUN_STATUS__RUN_RUNNING, i, 0), 0);
	assert_int_equal(store_commit(f->store), 0);
	events_committed(e, q, true, 0);
	assert_true(events_news(e, "r1", live, &next));
	assert_int_equal(events_frames(e, "r1", live, false, 65536, keep_frame, &a, &next), 0);
	assert_int_equal(a.n, 1);
	assert_int_equal(next, events_cursor(e));
	drop_frames(&a);

	/* Its own run's events past the tail's bytes: behind, as before. */
	events_destroy(&e);
	e = events_new_bounded(f->store, 4, 100, &error);
	assert_non_null(e);
	assert_int_equal(
	    events_frames(e, "r1", events_cursor(e), false, 65536, keep_frame, &a, &next), 0);
	live = next;
	for (int i = 0; i < 9; i++)
		assert_int_equal(
		    store_run_update(f->store, "r1", ROTA__RUN_STATUS__RUN_RUNNING, i, 0), 0);
	assert_int_equal(store_commit(f->store), 0);
	events_committed(e, q, true, 0);
	assert_int_equal(events_frames(e, "r1", live, false, 65536, keep_frame, &a, &next), 1);
	assert_int_equal(a.n, 0);
	/* From the store, in order, all 9. */
	assert_int_equal(events_frames(e, "r1", live, true, 65536, keep_frame, &a, &next), 0);
	assert_int_equal(a.n, 9);
	drop_frames(&a);
	events_destroy(&e);
	sendq_destroy(&q);
}

/* A followed run's stream costs each commit its own run's rows: with its
 * tail open and no window on the operator socket, a turn of other runs'
 * events is not read back into the ring (the cursor and the run's rows by
 * its index, two statements, not a page per 256 events of every run:
 * beside a busy fleet that was a tenth of the loop). The ring reads them at
 * its first look, and the stream misses none of its run's. */
static void
test_a_followed_run_reads_its_own_rows(void **state)
{
	fixture_store_t *f = *state;
	sendq_t *q = sendq_new();
	add_run(f->store, "r0"); /* before the ring: its cursors start after */
	assert_int_equal(store_commit(f->store), 0);
	uint64_t start;
	events_t *e = events_at(f->store, &start);
	uint64_t live = r1_committed(f, e, q, start);
	frames_t a = {0};
	uint64_t next = 0;
	uint64_t r1_last = events_run_last(e, "r1");

	r2_then_r1(f, 1000, 1);
	uint64_t before = store_statements(f->store);
	events_committed(e, q, true, 0);
	assert_int_equal(store_statements(f->store) - before, 2);

	/* The stream's wake and read look at memory only. */
	before = store_statements(f->store);
	assert_true(events_run_last(e, "r1") > r1_last);
	assert_true(events_news(e, "r1", live, &next));
	assert_int_equal(events_frames(e, "r1", live, false, 65536, keep_frame, &a, &next), 0);
	assert_int_equal(store_statements(f->store) - before, 0);
	assert_int_equal(a.n, 1);
	char want[64];
	snprintf(want, sizeof(want), "id: %llu\nevent: run\n", (unsigned long long)r1_last + 1002);
	assert_memory_equal(a.frames[0]->data, want, strlen(want));
	drop_frames(&a);
	assert_false(events_news(e, "r1", next, &next));

	/* A stream of the run connecting from before its tail: the run's
	 * older events from the store by run, up to where the tail starts,
	 * then the tail; the ring is not read in for it. */
	uint64_t live_next = next;
	before = store_statements(f->store);
	next = 0;
	for (int i = 0; i < 3 && next != live_next; i++)
		assert_int_equal(events_frames(e, "r1", next, true, 65536, keep_frame, &a, &next),
		                 0);
	assert_true(store_statements(f->store) - before <= 2);
	assert_int_equal(a.n, 2);
	assert_int_equal(next, live_next);
	drop_frames(&a);

	/* The ring, at its first look: every event, in order. */
	assert_int_equal(next, events_cursor(e));
	assert_int_equal(events_ring_count(e), 1003);
	seen_t seen = {0};
	assert_int_equal(events_each(e, NULL, next - 2, false, 64, collect, &seen, &next), 0);
	assert_int_equal(seen.n, 2);
	assert_int_equal(seen.cursors[1], r1_last + 1002);
	events_destroy(&e);
	sendq_destroy(&q);
}

/* A run's newest event in memory, what a wake asks once per run followed:
 * none known before a live stream of the run asked (its tail opened); then
 * changed by the run's events only, not by other runs'. */
static void
test_run_last(void **state)
{
	fixture_store_t *f = *state;
	sendq_t *q = sendq_new();
	uint64_t start;
	events_t *e = events_at(f->store, &start);
	add_run(f->store, "r1");
	add_run(f->store, "r2");
	assert_int_equal(store_commit(f->store), 0);
	events_committed(e, q, true, 0);
	assert_int_equal(events_run_last(e, "r1"), 0);
	assert_int_equal(events_run_last(e, NULL), 0);

	frames_t a = {0};
	uint64_t next = 0;
	assert_int_equal(events_frames(e, "r1", start, false, 65536, keep_frame, &a, &next), 0);
	drop_frames(&a);
	uint64_t last = events_run_last(e, "r1");
	assert_int_equal(last, start + 1); /* r1's event, before r2's */

	for (int i = 0; i < 3; i++)
		assert_int_equal(
		    store_run_update(f->store, "r2", ROTA__RUN_STATUS__RUN_RUNNING, i, 0), 0);
	assert_int_equal(store_commit(f->store), 0);
	events_committed(e, q, true, 0);
	assert_int_equal(events_run_last(e, "r1"), last);

	assert_int_equal(store_run_update(f->store, "r1", ROTA__RUN_STATUS__RUN_RUNNING, 1, 0), 0);
	assert_int_equal(store_commit(f->store), 0);
	events_committed(e, q, true, 0);
	assert_int_equal(events_run_last(e, "r1"), events_cursor(e));
	events_destroy(&e);
	sendq_destroy(&q);
}

static void
test_json(void **state)
{
	(void)state;
	Rota__RunSummary run = ROTA__RUN_SUMMARY__INIT;
	run.id = "r1";
	run.status = ROTA__RUN_STATUS__RUN_SUCCEEDED;
	Rota__Event ev = ROTA__EVENT__INIT;
	ev.cursor = 7;
	ev.run_id = "r1";
	ev.body_case = ROTA__EVENT__BODY_RUN;
	ev.run = &run;
	char *json = events_json(&ev);
	assert_string_equal(json, "{\"cursor\":7,\"kind\":\"run\",\"at_ms\":0,\"run_id\":\"r1\","
	                          "\"status\":\"RUN_SUCCEEDED\",\"over\":true}");
	free(json);
}

/* Commits nobody looks at cost one statement each (the last cursor), not
 * the rows; the first look reads them in, and sees exactly what was
 * committed: not the rows of the turn open at the time of the look. */
static void
test_read_at_the_first_look(void **state)
{
	fixture_store_t *f = *state;
	sendq_t *q = sendq_new();
	uint64_t start;
	events_t *e = events_at(f->store, &start);
	add_run(f->store, "r1");
	assert_int_equal(store_run_update(f->store, "r1", ROTA__RUN_STATUS__RUN_RUNNING, 2, 0), 0);
	assert_int_equal(store_commit(f->store), 0);
	uint64_t before = store_statements(f->store);
	events_committed(e, q, true, 0);
	assert_int_equal(store_statements(f->store) - before, 1);
	add_run(f->store, "r2");
	assert_int_equal(store_commit(f->store), 0);
	events_committed(e, q, true, 0);
	/* A turn open, its events written, not committed. */
	add_run(f->store, "r3");
	assert_int_equal(store_run_update(f->store, "r3", ROTA__RUN_STATUS__RUN_RUNNING, 2, 0), 0);
	seen_t seen = {0};
	uint64_t next = 0;
	assert_int_equal(events_each(e, NULL, start, false, 64, collect, &seen, &next), 0);
	assert_int_equal(seen.n, 3);
	assert_int_equal(events_ring_count(e), 3);
	assert_int_equal(next, seen.cursors[2]);
	assert_int_equal(events_cursor(e), seen.cursors[2]);
	bool news = events_news(e, "r3", next, &next);
	assert_false(news);
	assert_int_equal(store_commit(f->store), 0);
	events_committed(e, q, true, 0);
	seen.n = 0;
	assert_int_equal(events_each(e, "r3", next, false, 64, collect, &seen, &next), 0);
	assert_int_equal(seen.n, 2);
	assert_int_equal(seen.status[1], ROTA__RUN_STATUS__RUN_RUNNING);
	events_destroy(&e);
	sendq_destroy(&q);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_cursors_follow_commits, fixture_store_setup_test,
	                                    fixture_store_teardown),
	    cmocka_unit_test_setup_teardown(test_read_at_the_first_look, fixture_store_setup_test,
	                                    fixture_store_teardown),
	    cmocka_unit_test_setup_teardown(test_a_pruned_cursor_resyncs_to_the_oldest_kept,
	                                    fixture_store_setup_test, fixture_store_teardown),
	    cmocka_unit_test_setup_teardown(test_behind_the_ring_resyncs_from_the_store,
	                                    fixture_store_setup_test, fixture_store_teardown),
	    cmocka_unit_test_setup_teardown(test_incident_opened, fixture_store_setup_test,
	                                    fixture_store_teardown),
	    cmocka_unit_test_setup_teardown(test_worker_changes, fixture_store_setup_test,
	                                    fixture_store_teardown),
	    cmocka_unit_test_setup_teardown(test_frames_shared_and_news, fixture_store_setup_test,
	                                    fixture_store_teardown),
	    cmocka_unit_test_setup_teardown(test_a_run_stream_outlives_the_ring,
	                                    fixture_store_setup_test, fixture_store_teardown),
	    cmocka_unit_test_setup_teardown(test_run_last, fixture_store_setup_test,
	                                    fixture_store_teardown),
	    cmocka_unit_test_setup_teardown(test_a_followed_run_reads_its_own_rows,
	                                    fixture_store_setup_test, fixture_store_teardown),
	    cmocka_unit_test(test_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
