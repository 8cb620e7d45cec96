/* events: the ring of committed events and the windows of the operator
 * socket's followers; see events.h. */
#include "events.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "events_tail.h"
#include "log.h"
#include "xalloc.h"

/* A follower's open window. */
typedef struct {
	void *sock;        /* borrowed: the operator socket */
	uint8_t *identity; /* owned */
	size_t identity_len;
	uint64_t request_id;
	char *run_id;    /* owned; NULL: every run */
	char *host;      /* owned; NULL: every host */
	uint64_t cursor; /* every event up to it has been looked at */
	uint64_t prev;   /* the cursor of the last event sent (Event.prev) */
	uint32_t limit;
	uint32_t sent;
	size_t bytes;
	int run_status;
	int64_t deadline;
	bool fresh;  /* not served yet: its first turn may read the store */
	bool ended;  /* sent its run's final status: the window closes */
	bool resync; /* the window is cut: ask again */
} events_follower_t;

struct events {
	store_t *store;     /* borrowed */
	Rota__Event **ring; /* owned: EVENTS_RING_MAX slots, each event owned */
	size_t *ring_size;  /* bytes each slot counts against the bound */
	/* owned: each slot's SSE frame (one hold), made when a stream first
	 * asks; NULL until then, so no stream costs no formatting */
	sharedbuf_t **ring_frame;
	size_t head, count; /* the oldest slot, and how many are used */
	size_t bytes;
	size_t ring_max, ring_bytes; /* the bounds */
	uint64_t published;          /* the last cursor committed and read */
	uint64_t covered;            /* every event after it is in the ring */
	/* The last cursor known committed; past `published` when commits were
	 * made while nothing looked at the ring (events_catch_up). */
	uint64_t committed;
	events_follower_t *followers; /* owned */
	size_t n_followers;
	/* the runs streams follow, each bounded by tail_bytes */
	size_t tail_bytes;
	events_tail_t tails[EVENTS_TAILS_MAX];
};

bool
events_run_over(int status)
{
	return status == ROTA__RUN_STATUS__RUN_SUCCEEDED ||
	       status == ROTA__RUN_STATUS__RUN_FAILED ||
	       status == ROTA__RUN_STATUS__RUN_CANCELLED || status == ROTA__RUN_STATUS__RUN_SKIPPED;
}

events_t *
events_new(store_t *store, char **error)
{
	return events_new_bounded(store, EVENTS_RING_MAX, EVENTS_RING_BYTES, error);
}

events_t *
events_new_bounded(store_t *store, size_t ring_max, size_t ring_bytes, char **error)
{
	uint64_t last = 0;
	if (store_events_last(store, &last) != 0) {
		*error = xasprintf("cannot read the event stream's cursor from the store");
		return NULL;
	}
	events_t *e = xcalloc(1, sizeof(*e));
	e->store = store;
	e->ring_max = ring_max > 0 ? ring_max : 1;
	e->ring_bytes = ring_bytes;
	e->tail_bytes = ring_bytes * EVENTS_TAIL_RINGS;
	e->ring = xcalloc(e->ring_max, sizeof(*e->ring));
	e->ring_size = xcalloc(e->ring_max, sizeof(*e->ring_size));
	e->ring_frame = xcalloc(e->ring_max, sizeof(*e->ring_frame));
	e->followers = xcalloc(EVENTS_FOLLOWERS_MAX, sizeof(*e->followers));
	e->published = e->covered = e->committed = last;
	return e;
}

static void
events_follower_clear(events_follower_t *f)
{
	free(f->identity);
	free(f->run_id);
	free(f->host);
	memset(f, 0, sizeof(*f));
}

void
events_destroy(events_t **ep)
{
	events_t *e = *ep;
	if (e == NULL)
		return;
	for (size_t i = 0; i < e->count; i++) {
		rota__event__free_unpacked(e->ring[(e->head + i) % e->ring_max], NULL);
		sharedbuf_drop(&e->ring_frame[(e->head + i) % e->ring_max]);
	}
	for (size_t i = 0; i < e->n_followers; i++)
		events_follower_clear(&e->followers[i]);
	for (size_t i = 0; i < EVENTS_TAILS_MAX; i++)
		events_tail_clear(&e->tails[i]);
	free(e->ring);
	free(e->ring_size);
	free(e->ring_frame);
	free(e->followers);
	free(e);
	*ep = NULL;
}

static void events_catch_up(events_t *e);

uint64_t
events_cursor(events_t *e)
{
	events_catch_up(e);
	return e->published;
}

size_t
events_ring_count(events_t *e)
{
	events_catch_up(e);
	return e->count;
}

size_t
events_followers(const events_t *e)
{
	return e->n_followers;
}

static Rota__Event *
events_at(const events_t *e, size_t i)
{
	return e->ring[(e->head + i) % e->ring_max];
}

static void
events_drop_oldest(events_t *e)
{
	Rota__Event *old = e->ring[e->head];
	if (old->cursor > e->covered) /* raised past it by a catch-up (events_fill) */
		e->covered = old->cursor;
	e->bytes -= e->ring_size[e->head];
	rota__event__free_unpacked(old, NULL);
	e->ring[e->head] = NULL;
	/* A stream still sending the frame holds it: freed after. */
	sharedbuf_drop(&e->ring_frame[e->head]);
	e->head = (e->head + 1) % e->ring_max;
	e->count--;
}

/* The slot's frame, made the first time a stream needs it. */
static sharedbuf_t *
events_slot_frame(events_t *e, size_t slot)
{
	if (e->ring_frame[slot] == NULL)
		e->ring_frame[slot] = events_frame(e->ring[slot]);
	return e->ring_frame[slot];
}

/* The index of run_id's tail, EVENTS_TAILS_MAX when it has none. */
static size_t
events_tail_index(const events_t *e, const char *run_id)
{
	if (run_id == NULL || run_id[0] == '\0')
		return EVENTS_TAILS_MAX;
	size_t i = 0;
	while (i < EVENTS_TAILS_MAX &&
	       (e->tails[i].run_id == NULL || strcmp(e->tails[i].run_id, run_id) != 0))
		i++;
	return i;
}

/* The tail of run_id, opened (when open) for a live stream of it first
 * asking: the free slot, else the one read the longest ago. It starts with
 * the run's events in the ring, read up to what was committed first, so it
 * covers what the ring does; after each commit it reads its run's rows
 * (events_tails_fill). A stream catching up (an old run's page in the
 * console) opens none: it would evict a live run's for a run that may
 * write nothing more. */
static events_tail_t *
events_tail_want(events_t *e, const char *run_id, bool open)
{
	size_t at = events_tail_index(e, run_id);
	events_tail_t *t = at < EVENTS_TAILS_MAX ? &e->tails[at] : NULL;
	if (t == NULL && open && run_id != NULL && run_id[0] != '\0') {
		events_catch_up(e);
		t = &e->tails[0];
		for (size_t i = 0; i < EVENTS_TAILS_MAX && t->run_id != NULL; i++)
			if (e->tails[i].run_id == NULL || e->tails[i].asked_ms < t->asked_ms)
				t = &e->tails[i];
		events_tail_clear(t);
		events_tail_open(t, run_id, e->covered);
		for (size_t i = 0; i < e->count; i++) {
			size_t slot = (e->head + i) % e->ring_max;
			if (e->ring[slot]->run_id != NULL &&
			    strcmp(e->ring[slot]->run_id, run_id) == 0)
				events_tail_add(t, e->ring[slot]->cursor,
				                events_slot_frame(e, slot), e->tail_bytes);
		}
		t->upto = e->published;
	}
	if (t != NULL)
		t->asked_ms = clock_mono_ms();
	return t;
}

/* Takes ev (owned) into the ring, dropping the oldest past the bounds. */
static void
events_keep(events_t *e, Rota__Event *ev)
{
	size_t size = 64 + (ev->body_case == ROTA__EVENT__BODY_OUTPUT ? ev->output->data.len : 0);
	while (e->count > 0 && (e->count == e->ring_max || e->bytes + size > e->ring_bytes))
		events_drop_oldest(e);
	size_t slot = (e->head + e->count) % e->ring_max;
	e->ring[slot] = ev;
	e->ring_size[slot] = size;
	e->bytes += size;
	e->count++;
	e->published = ev->cursor;
}

/* Adds t's run's events after what it holds, up to upto (committed), from
 * the store by the index on run; on a store error the tail starts again at
 * upto (its streams are behind: they resync). */
static void
events_tail_fill(events_t *e, events_tail_t *t, uint64_t upto)
{
	uint64_t after = t->upto;
	while (after < upto) {
		Rota__Event **evs;
		size_t n;
		if (store_events_read(e->store, after, upto, t->run_id, EVENTS_PAGE, &evs, &n) !=
		    0) {
			char *run_id = xstrdup(t->run_id);
			events_tail_clear(t);
			events_tail_open(t, run_id, upto);
			free(run_id);
			return;
		}
		for (size_t i = 0; i < n; i++) {
			sharedbuf_t *frame = events_frame(evs[i]);
			events_tail_add(t, evs[i]->cursor, frame, e->tail_bytes);
			sharedbuf_drop(&frame);
			after = evs[i]->cursor;
		}
		store_events_free(evs, n);
		if (n < EVENTS_PAGE)
			break;
	}
	if (upto > t->upto)
		t->upto = upto;
}

/* After a commit: each followed run's tail reads its own run's rows, so a
 * stream of one run costs the turn its run's events, not a read of every
 * run's into the ring (beside a busy fleet that was a tenth of the loop). */
static void
events_tails_fill(events_t *e)
{
	/* published: past committed when the last cursor could not be read
	 * and the ring read what was there instead (events_committed). */
	uint64_t upto = e->committed > e->published ? e->committed : e->published;
	for (size_t i = 0; i < EVENTS_TAILS_MAX; i++)
		if (e->tails[i].run_id != NULL)
			events_tail_fill(e, &e->tails[i], upto);
}

/* Reads what was committed since the last call into the ring: at most
 * EVENTS_FILL_PAGES pages in one turn. Past that (a coordinator promoted
 * after following for long, whose ring was not filled meanwhile) the ring
 * starts again at the store's last event: followers behind it are served
 * from the store. */
#define EVENTS_FILL_PAGES 16
static void
events_fill_rows(events_t *e, uint64_t upto, uint64_t *first)
{
	for (int page = 0; page < EVENTS_FILL_PAGES; page++) {
		Rota__Event **evs;
		size_t n;
		if (store_events_read(e->store, e->published, upto, NULL, EVENTS_PAGE, &evs, &n) !=
		    0)
			return; /* read again after the next commit */
		if (page == 0 && n > 0)
			*first = evs[0]->cursor;
		for (size_t i = 0; i < n; i++)
			events_keep(e, evs[i]);
		free(evs);
		if (n < EVENTS_PAGE)
			return;
	}
	/* Bounded (a catch-up, maybe inside a turn): only what was committed. */
	uint64_t last = upto;
	if ((upto == (uint64_t)INT64_MAX && store_events_last(e->store, &last) != 0) ||
	    last <= e->published)
		return;
	/* The tails miss nothing: they read their runs' rows themselves. */
	while (e->count > 0)
		events_drop_oldest(e);
	e->published = e->covered = last;
}

static void
events_fill(events_t *e, uint64_t upto)
{
	uint64_t from = e->published, first = 0;
	events_fill_rows(e, upto, &first);
	if (first <= from + 1)
		return;
	/* Events missing right after the cursor the ring had: retention may
	 * have deleted them while nothing looked (events_catch_up; a filling
	 * at each commit had them in the ring first). A cursor before the
	 * deleted ones must then not be served from the ring as if nothing
	 * had come between: the ring covers from the pruned cursor on, and an
	 * older cursor resyncs as events_each says. PostgreSQL's rolled-back
	 * ids leave such gaps too, with nothing pruned: nothing changes. */
	uint64_t pruned = 0;
	if (store_events_pruned(e->store, &pruned) != 0) {
		e->covered = e->published; /* not known: every older cursor reads the store */
		return;
	}
	if (pruned > e->covered)
		e->covered = pruned < e->published ? pruned : e->published;
}

/* Whether anything reads the ring between turns: a follower's window.
 * Server-Sent Events streams of every run look only when woken, through
 * events_frames or events_news; those of one run read its tail, filled
 * apart (events_tails_fill). */
static bool
events_watched(const events_t *e)
{
	return e->n_followers > 0;
}

/* Reads into the ring what was committed while nothing looked, before
 * anything reads the ring: what it holds is then what filling it at each
 * commit would have made it. Bounded by the cursor read after the last
 * commit, so a look inside a turn sees nothing of the turn's own writes. */
static void
events_catch_up(events_t *e)
{
	if (e->committed > e->published)
		events_fill(e, e->committed);
}

/* The first ring index whose cursor is after `after`. */
static size_t
events_find(const events_t *e, uint64_t after)
{
	size_t lo = 0, hi = e->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (events_at(e, mid)->cursor <= after)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool
events_match(const Rota__Event *ev, const char *run_id, const char *host)
{
	if (run_id != NULL && run_id[0] != '\0' &&
	    (ev->run_id == NULL || strcmp(ev->run_id, run_id) != 0))
		return false;
	if (host == NULL || host[0] == '\0')
		return true;
	if (ev->body_case == ROTA__EVENT__BODY_OUTPUT)
		return strcmp(ev->output->host, host) == 0;
	if (ev->body_case == ROTA__EVENT__BODY_STEP)
		return strcmp(ev->step->host, host) == 0;
	return true;
}

/* One page of events after `after` from the store, up to upto (a cursor
 * known committed), as events_each. */
static int
events_each_stored(events_t *e, const char *run_id, uint64_t after, uint64_t upto, size_t max,
                   events_each_fn fn, void *ctx, uint64_t *next)
{
	*next = after;
	/* Retention deleted what follows the cursor: resync, to go on from
	 * the oldest event kept (*next). */
	uint64_t pruned = 0;
	if (store_events_pruned(e->store, &pruned) != 0)
		return -1;
	if (after < pruned) {
		*next = pruned;
		return 1;
	}
	Rota__Event **evs;
	size_t n;
	uint32_t want = max < EVENTS_PAGE ? (uint32_t)max : EVENTS_PAGE;
	if (store_events_read(e->store, after, upto, run_id, want, &evs, &n) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		fn(ctx, evs[i]);
		*next = evs[i]->cursor;
	}
	/* A page not full: nothing of this run is left up to upto. */
	if (n < want)
		*next = upto;
	store_events_free(evs, n);
	return 0;
}

int
events_each(events_t *e, const char *run_id, uint64_t after, bool from_store, size_t max,
            events_each_fn fn, void *ctx, uint64_t *next)
{
	events_catch_up(e);
	*next = after;
	if (after < e->covered) {
		if (!from_store)
			return 1;
		return events_each_stored(e, run_id, after, e->published, max, fn, ctx, next);
	}
	size_t sent = 0;
	for (size_t i = events_find(e, after); i < e->count && sent < max; i++) {
		const Rota__Event *ev = events_at(e, i);
		if (events_match(ev, run_id, NULL)) {
			fn(ctx, ev);
			sent++;
		}
		*next = ev->cursor;
	}
	if (sent < max)
		*next = e->published > after ? e->published : after;
	return 0;
}

typedef struct {
	events_frame_fn fn;
	void *ctx;
	size_t bytes, count;
} events_frame_ctx_t;

static void
events_frame_one(void *ctx, const Rota__Event *ev)
{
	events_frame_ctx_t *fc = ctx;
	sharedbuf_t *frame = events_frame(ev);
	fc->fn(fc->ctx, frame);
	fc->bytes += frame->len;
	fc->count++;
	sharedbuf_drop(&frame);
}

/* A stream behind what memory holds from `below` on (the ring, or its
 * run's tail): pages of EVENTS_STORE_PAGE events from the store, up to
 * upto, until about max bytes, each frame made for this stream alone. By
 * bytes, not by count: an output chunk can be 100 KiB. */
#define EVENTS_STORE_PAGE 16
static int
events_frames_stored(events_t *e, const char *run_id, uint64_t after, uint64_t below, uint64_t upto,
                     size_t max, events_frame_fn fn, void *ctx, uint64_t *next, size_t *bytes)
{
	events_frame_ctx_t fc = {fn, ctx, 0, 0};
	*next = after;
	int rc = 0;
	while (fc.bytes < max && *next < below) {
		uint64_t from = *next;
		fc.count = 0;
		rc = events_each_stored(e, run_id, from, upto, EVENTS_STORE_PAGE, events_frame_one,
		                        &fc, next);
		if (rc != 0 || fc.count < EVENTS_STORE_PAGE || *next <= from)
			break;
	}
	*bytes = fc.bytes;
	return rc;
}

/* A stream within its run's tail: its frames after `after`. */
static void
events_frames_tail(const events_tail_t *t, uint64_t after, size_t max, events_frame_fn fn,
                   void *ctx, uint64_t *next)
{
	*next = after;
	size_t bytes = 0, i = events_tail_find(t, after);
	for (; i < t->count && bytes < max; i++) {
		sharedbuf_t *frame = events_tail_frame(t, i);
		fn(ctx, frame);
		bytes += frame->len;
		*next = events_tail_cursor(t, i);
	}
	/* Every event of the run up to the tail's upto is in it. */
	if (i == t->count)
		*next = t->upto > after ? t->upto : after;
}

int
events_frames(events_t *e, const char *run_id, uint64_t after, bool from_store, size_t max,
              events_frame_fn fn, void *ctx, uint64_t *next)
{
	/* The tail first: a stream of one run reads memory its run's rows
	 * filled, and the ring is read in only when something reads it. */
	const events_tail_t *t = events_tail_want(e, run_id, !from_store);
	if (t != NULL && after >= t->from) {
		events_frames_tail(t, after, max, fn, ctx, next);
		return 0;
	}
	/* A stream of the run from before its tail (connecting, or coming
	 * back): the store by run up to where the tail starts, then the tail;
	 * 100 of them connecting need not read every run's events in. */
	size_t bytes = 0;
	if (t != NULL && from_store) {
		int rc = events_frames_stored(e, run_id, after, t->from, t->from, max, fn, ctx,
		                              next, &bytes);
		if (rc == 0 && *next >= t->from && bytes < max)
			events_frames_tail(t, *next, max - bytes, fn, ctx, next);
		return rc;
	}
	events_catch_up(e);
	if (after < e->covered) {
		if (!from_store) {
			*next = after;
			return 1;
		}
		return events_frames_stored(e, run_id, after, e->covered, e->published, max, fn,
		                            ctx, next, &bytes);
	}
	*next = after;
	size_t i = events_find(e, after);
	for (; i < e->count && bytes < max; i++) {
		const Rota__Event *ev = events_at(e, i);
		if (events_match(ev, run_id, NULL)) {
			sharedbuf_t *frame = events_slot_frame(e, (e->head + i) % e->ring_max);
			fn(ctx, frame);
			bytes += frame->len;
		}
		*next = ev->cursor;
	}
	if (i == e->count)
		*next = e->published > after ? e->published : after;
	return 0;
}

bool
events_news(events_t *e, const char *run_id, uint64_t after, uint64_t *next)
{
	*next = after;
	/* A quiet run's tail is kept while its streams wait for news. */
	const events_tail_t *t = events_tail_want(e, run_id, false);
	if (t != NULL && after >= t->from) {
		if (t->count > 0 && events_tail_cursor(t, t->count - 1) > after)
			return true;
		*next = t->upto > after ? t->upto : after;
		return false;
	}
	events_catch_up(e);
	if (after < e->covered)
		return true;
	for (size_t i = events_find(e, after); i < e->count; i++) {
		if (events_match(events_at(e, i), run_id, NULL))
			return true;
		*next = events_at(e, i)->cursor; /* not of the run: skipped */
	}
	*next = e->published > after ? e->published : after;
	return false;
}

uint64_t
events_run_last(events_t *e, const char *run_id)
{
	/* Asked while its streams wait: a quiet run's tail is kept. Memory
	 * only: the tail read its run's rows after the commit. */
	const events_tail_t *t = events_tail_want(e, run_id, false);
	if (t == NULL)
		return 0;
	/* An empty tail: nothing of the run after from, which the run's
	 * next event passes. */
	return t->count > 0 ? events_tail_cursor(t, t->count - 1) : t->from;
}

int
events_follow(events_t *e, void *sock, const uint8_t *identity, size_t identity_len,
              uint64_t request_id, const char *run_id, const char *host, uint64_t after,
              uint32_t limit, int run_status, int64_t now_ms)
{
	if (e->n_followers == EVENTS_FOLLOWERS_MAX)
		return -1;
	events_follower_t *f = &e->followers[e->n_followers++];
	f->sock = sock;
	f->identity = xmalloc(identity_len > 0 ? identity_len : 1);
	memcpy(f->identity, identity, identity_len);
	f->identity_len = identity_len;
	f->request_id = request_id;
	f->run_id = run_id != NULL && run_id[0] != '\0' ? xstrdup(run_id) : NULL;
	f->host = host != NULL && host[0] != '\0' ? xstrdup(host) : NULL;
	f->cursor = f->prev = after;
	f->limit = limit == 0 || limit > EVENTS_WINDOW_MAX ? EVENTS_WINDOW_MAX : limit;
	f->run_status = run_status;
	f->deadline = now_ms + EVENTS_HOLD_MS;
	f->fresh = true;
	return 0;
}

/* Pushes one event to f (ev is changed for the packing, then restored). */
static void
events_push(events_follower_t *f, sendq_t *q, Rota__Event *ev)
{
	uint64_t request_id = ev->request_id, prev = ev->prev;
	ev->request_id = f->request_id;
	ev->prev = f->prev;
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_EVENT;
	env.event = ev;
	sendq_push(q, f->sock, f->identity, f->identity_len, &env);
	ev->request_id = request_id;
	ev->prev = prev;
	f->prev = ev->cursor;
	f->sent++;
	if (ev->body_case == ROTA__EVENT__BODY_OUTPUT)
		f->bytes += ev->output->data.len;
	if (ev->body_case == ROTA__EVENT__BODY_RUN && f->run_id != NULL) {
		f->run_status = ev->run->status;
		f->ended = events_run_over(ev->run->status);
	}
}

static bool
events_window_full(const events_follower_t *f)
{
	return f->sent >= f->limit || f->bytes >= EVENTS_WINDOW_BYTES || f->ended;
}

typedef struct {
	events_follower_t *f;
	sendq_t *q;
} events_serve_t;

static void
events_serve_one(void *ctx, const Rota__Event *ev)
{
	events_serve_t *sv = ctx;
	if (events_window_full(sv->f))
		return;
	if (events_match(ev, sv->f->run_id, sv->f->host))
		events_push(sv->f, sv->q, (Rota__Event *)ev);
	sv->f->cursor = ev->cursor;
}

static void
events_close(events_follower_t *f, sendq_t *q)
{
	if (f->resync) {
		Rota__EventResync rs = ROTA__EVENT_RESYNC__INIT;
		rs.cursor = f->cursor;
		Rota__Event ev = ROTA__EVENT__INIT;
		ev.body_case = ROTA__EVENT__BODY_RESYNC;
		ev.resync = &rs;
		ev.cursor = f->cursor;
		events_push(f, q, &ev);
	}
	Rota__FollowResponse body = ROTA__FOLLOW_RESPONSE__INIT;
	body.next = f->cursor;
	body.run_status = (Rota__RunStatus)f->run_status;
	body.resync = f->resync;
	body.more = f->sent >= f->limit || f->bytes >= EVENTS_WINDOW_BYTES;
	body.run_id = f->run_id != NULL ? f->run_id : "";
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = f->request_id;
	resp.body_case = ROTA__RESPONSE__BODY_FOLLOW;
	resp.follow = &body;
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_RESPONSE;
	env.response = &resp;
	sendq_push(q, f->sock, f->identity, f->identity_len, &env);
}

/* Sends f what it can have now; true when its window is closed. */
static bool
events_serve(events_t *e, events_follower_t *f, sendq_t *q, int64_t now_ms)
{
	events_serve_t sv = {f, q};
	/* The store only for a window's first turn: a live window is always
	 * within the ring, unless more was committed in one turn than the ring
	 * holds; then it is cut and asks again. */
	while (!events_window_full(f)) {
		uint64_t before = f->cursor;
		uint64_t next;
		size_t left = f->limit - f->sent;
		int rc = events_each(e, f->run_id, f->cursor, f->fresh, left, events_serve_one, &sv,
		                     &next);
		if (rc != 0) {
			f->resync = true;
			if (next > f->cursor)
				f->cursor = next; /* pruned up to next: resume there */
			break;
		}
		if (!events_window_full(f) && next > f->cursor)
			f->cursor = next;
		if (f->cursor == before || f->cursor >= e->published)
			break;
	}
	f->fresh = false;
	bool over = f->resync || events_window_full(f) || now_ms >= f->deadline;
	if (over)
		events_close(f, q);
	return over;
}

void
events_committed(events_t *e, sendq_t *q, bool wrote, int64_t now_ms)
{
	/* The turn's events are read back only when something reads the ring
	 * before the next turn: with no follower window, only the last cursor
	 * is read (one statement, not the rows: 6 a run, joined, about a tenth
	 * of the loop's instructions in the throughput scenario), and the rows
	 * are read when something first looks (events_catch_up); each
	 * followed run's tail then reads its own run's rows. */
	if (wrote && events_watched(e)) {
		events_fill(e, (uint64_t)INT64_MAX);
		if (e->committed < e->published)
			e->committed = e->published;
	} else if (wrote) {
		uint64_t last = 0;
		if (store_events_last(e->store, &last) == 0)
			e->committed = last > e->committed ? last : e->committed;
		else
			events_fill(e, (uint64_t)INT64_MAX); /* as before: read what is there */
	} else if (events_watched(e))
		events_catch_up(e);
	if (wrote)
		events_tails_fill(e);
	/* A tail no stream read for a while: its streams are gone. */
	for (size_t i = 0; i < EVENTS_TAILS_MAX; i++)
		if (e->tails[i].run_id != NULL &&
		    now_ms - e->tails[i].asked_ms > EVENTS_TAIL_IDLE_MS)
			events_tail_clear(&e->tails[i]);
	size_t kept = 0;
	for (size_t i = 0; i < e->n_followers; i++) {
		events_follower_t *f = &e->followers[i];
		if (events_serve(e, f, q, now_ms)) {
			events_follower_clear(f);
			continue;
		}
		if (kept != i) {
			e->followers[kept] = *f;
			memset(f, 0, sizeof(*f));
		}
		kept++;
	}
	e->n_followers = kept;
}

long
events_timeout_ms(const events_t *e, int64_t now_ms)
{
	long wait = -1;
	for (size_t i = 0; i < e->n_followers; i++) {
		int64_t left = e->followers[i].deadline - now_ms;
		if (left < 0)
			left = 0;
		if (wait < 0 || left < wait)
			wait = (long)left;
	}
	return wait;
}
