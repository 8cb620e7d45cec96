/* events_tail: one run's recent frames for its streams; see events_tail.h. */
#include "events_tail.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

void
events_tail_open(events_tail_t *t, const char *run_id, uint64_t from)
{
	memset(t, 0, sizeof(*t));
	t->run_id = xstrdup(run_id);
	t->from = t->upto = from;
}

static void
events_tail_drop_oldest(events_tail_t *t)
{
	t->from = t->cursors[t->head];
	t->bytes -= t->frames[t->head]->len;
	/* A stream still sending the frame holds it: freed after. */
	sharedbuf_drop(&t->frames[t->head]);
	t->head = (t->head + 1) % t->cap;
	t->count--;
}

void
events_tail_clear(events_tail_t *t)
{
	while (t->count > 0)
		events_tail_drop_oldest(t);
	free(t->cursors);
	free(t->frames);
	free(t->run_id);
	memset(t, 0, sizeof(*t));
}

/* Doubles the slots, the events kept in order from index 0. */
static void
events_tail_grow(events_tail_t *t)
{
	size_t cap = t->cap > 0 ? 2 * t->cap : 64;
	uint64_t *cursors = xcalloc(cap, sizeof(*cursors));
	sharedbuf_t **frames = xcalloc(cap, sizeof(*frames));
	for (size_t i = 0; i < t->count; i++) {
		cursors[i] = t->cursors[(t->head + i) % t->cap];
		frames[i] = t->frames[(t->head + i) % t->cap];
	}
	free(t->cursors);
	free(t->frames);
	t->cursors = cursors;
	t->frames = frames;
	t->cap = cap;
	t->head = 0;
}

void
events_tail_add(events_tail_t *t, uint64_t cursor, sharedbuf_t *frame, size_t max_bytes)
{
	while (t->count > 0 && t->bytes + frame->len > max_bytes)
		events_tail_drop_oldest(t);
	if (t->count == t->cap)
		events_tail_grow(t);
	size_t slot = (t->head + t->count) % t->cap;
	t->cursors[slot] = cursor;
	t->frames[slot] = sharedbuf_hold(frame);
	t->bytes += frame->len;
	t->count++;
}

uint64_t
events_tail_cursor(const events_tail_t *t, size_t i)
{
	return t->cursors[(t->head + i) % t->cap];
}

sharedbuf_t *
events_tail_frame(const events_tail_t *t, size_t i)
{
	return t->frames[(t->head + i) % t->cap];
}

size_t
events_tail_find(const events_tail_t *t, uint64_t after)
{
	size_t lo = 0, hi = t->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (events_tail_cursor(t, mid) <= after)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}
