/* httpd_sse: GET /v1/events as Server-Sent Events; see httpd_sse.h. */
#include "httpd_sse.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "xalloc.h"

typedef struct httpd_sse_group httpd_sse_group_t;

/* One stream: owned by its MHD response (freed by its free callback). */
typedef struct httpd_stream {
	httpd_sse_list_t *list; /* borrowed */
	const httpd_handlers_t *h;
	struct MHD_Connection *conn; /* borrowed */
	char *run;                   /* owned; NULL: every run */
	uint64_t cursor;
	bool live;      /* caught up: reads only what memory holds */
	bool suspended; /* waiting for news */
	bool ending;    /* the last text, then the end */
	/* owned: the frames not yet all taken by MHD, one hold each (a frame
	 * of the ring is shared with every other stream: never copied but
	 * into MHD's buffer); frames[first] is being taken, off bytes of it */
	sharedbuf_t **frames;
	size_t first, count, cap, off;
	int64_t ends_ms;  /* its longest life */
	int64_t wrote_ms; /* its last byte, for the keepalive */
	struct httpd_stream *prev, *next;
	httpd_sse_group_t *group;           /* borrowed: the list's */
	struct httpd_stream *gprev, *gnext; /* within its group */
} httpd_stream_t;

/* The streams of one run (or of every run: run NULL). A wake asks about
 * each run once, not about each stream: under a busy loop most commits
 * are other runs', and asking each of 100 streams of a run after each
 * commit was a walk of them all, each with a look-up of its run. */
struct httpd_sse_group {
	char *run;            /* owned; NULL: every run */
	uint64_t last;        /* events_last at the last wake (0: not known) */
	httpd_stream_t *head; /* borrowed: its streams, by gnext */
	struct httpd_sse_group *next;
};

struct httpd_sse_list {
	httpd_stream_t *head;     /* borrowed: each stream is its response's */
	httpd_sse_group_t *group; /* owned: one per run followed */
	/* No waiting stream is due (keepalive or end) before it: the streams
	 * are walked only then, not twice a turn (INT64_MAX: none waits). */
	int64_t due_ms;
};

httpd_sse_list_t *
httpd_sse_list_new(void)
{
	httpd_sse_list_t *l = xcalloc(1, sizeof(httpd_sse_list_t));
	l->due_ms = INT64_MAX;
	return l;
}

static void
httpd_sse_resume(httpd_stream_t *st)
{
	if (st->suspended) {
		st->suspended = false;
		MHD_resume_connection(st->conn);
	}
}

/* The streams of g: each resumed when it waits; with ask, a live one
 * resumed only when its run had news after its cursor, which skips the
 * other runs' events also while it waits for its socket (so it falls
 * behind the ring only when its own events leave it). */
static void
httpd_sse_group_wake(httpd_sse_group_t *g, bool ask)
{
	for (httpd_stream_t *st = g->head; st != NULL; st = st->gnext) {
		if (ask && st->live) {
			uint64_t next = st->cursor;
			bool news = st->h->events_news(st->h->ctx, st->run, st->cursor, &next);
			st->cursor = next;
			if (!news)
				continue;
		}
		httpd_sse_resume(st);
	}
}

void
httpd_sse_list_wake(httpd_sse_list_t *l)
{
	for (httpd_sse_group_t *g = l->group; g != NULL; g = g->next) {
		const httpd_handlers_t *h = g->head->h;
		if (g->run == NULL || h->events_news == NULL) {
			httpd_sse_group_wake(g, false);
			continue;
		}
		/* A waiting stream has read every event of its run in memory:
		 * it wakes when the run's newest grew, once for all of them. */
		uint64_t last = h->events_last != NULL ? h->events_last(h->ctx, g->run) : 0;
		bool news = last == 0 || last != g->last;
		g->last = last;
		if (news)
			httpd_sse_group_wake(g, last == 0);
	}
}

/* Puts st in its run's group, made when it is the run's first stream. */
static void
httpd_sse_group_join(httpd_sse_list_t *l, httpd_stream_t *st)
{
	httpd_sse_group_t *g = l->group;
	while (g != NULL && !(g->run == NULL ? st->run == NULL
	                                     : st->run != NULL && strcmp(g->run, st->run) == 0))
		g = g->next;
	if (g == NULL) {
		g = xcalloc(1, sizeof(*g));
		g->run = st->run != NULL ? xstrdup(st->run) : NULL;
		/* No stream of it waits yet: its first wake is for news. */
		if (g->run != NULL && st->h->events_last != NULL)
			g->last = st->h->events_last(st->h->ctx, g->run);
		g->next = l->group;
		l->group = g;
	}
	st->group = g;
	st->gnext = g->head;
	if (g->head != NULL)
		g->head->gprev = st;
	g->head = st;
}

static void
httpd_sse_group_free(httpd_sse_group_t *g)
{
	free(g->run);
	free(g);
}

/* Takes st out of its group, freed with its last stream. */
static void
httpd_sse_group_leave(httpd_sse_list_t *l, httpd_stream_t *st)
{
	httpd_sse_group_t *g = st->group;
	if (st->gprev != NULL)
		st->gprev->gnext = st->gnext;
	else
		g->head = st->gnext;
	if (st->gnext != NULL)
		st->gnext->gprev = st->gprev;
	st->group = NULL;
	if (g->head != NULL)
		return;
	httpd_sse_group_t **at = &l->group;
	while (*at != g)
		at = &(*at)->next;
	*at = g->next;
	httpd_sse_group_free(g);
}

void
httpd_sse_list_free(httpd_sse_list_t **lp)
{
	httpd_sse_list_t *l = *lp;
	if (l == NULL)
		return;
	for (httpd_stream_t *st = l->head; st != NULL; st = st->next) {
		httpd_sse_resume(st);
		st->list = NULL;
		st->group = NULL;
	}
	while (l->group != NULL) {
		httpd_sse_group_t *g = l->group;
		l->group = g->next;
		httpd_sse_group_free(g);
	}
	free(l);
	*lp = NULL;
}

/* When st, waiting, is due: its keepalive or its end. */
static int64_t
httpd_sse_due_ms(const httpd_stream_t *st)
{
	int64_t due = st->wrote_ms + HTTPD_SSE_KEEPALIVE_MS;
	return st->ends_ms < due ? st->ends_ms : due;
}

long
httpd_sse_due(httpd_sse_list_t *l)
{
	int64_t now = clock_mono_ms();
	if (now < l->due_ms)
		return l->due_ms == INT64_MAX ? -1 : (long)(l->due_ms - now);
	/* The next walk is at the earliest of those still waiting, or when
	 * a stream waits again (httpd_sse_read). */
	bool resumed = false;
	l->due_ms = INT64_MAX;
	for (httpd_stream_t *st = l->head; st != NULL; st = st->next) {
		if (!st->suspended)
			continue;
		int64_t due = httpd_sse_due_ms(st);
		if (due <= now) {
			httpd_sse_resume(st);
			resumed = true;
		} else if (due < l->due_ms)
			l->due_ms = due;
	}
	if (resumed)
		return 0;
	return l->due_ms == INT64_MAX ? -1 : (long)(l->due_ms - now);
}

/* handlers.events_frames's put: the stream holds frame until MHD took it. */
static void
httpd_sse_put(void *cls, sharedbuf_t *frame)
{
	httpd_stream_t *st = cls;
	if (st->count == st->cap) {
		st->cap = st->cap > 0 ? 2 * st->cap : 64;
		st->frames = xrealloc(st->frames, st->cap * sizeof(*st->frames));
	}
	st->frames[st->count++] = sharedbuf_hold(frame);
}

/* Text of the stream's own (taken: a malloc'd string). */
static void
httpd_sse_put_text(httpd_stream_t *st, char *text)
{
	sharedbuf_t *b = sharedbuf_from(text);
	httpd_sse_put(st, b);
	sharedbuf_drop(&b);
}

static bool
httpd_sse_empty(const httpd_stream_t *st)
{
	return st->first == st->count;
}

static void
httpd_sse_clear(httpd_stream_t *st)
{
	for (size_t i = st->first; i < st->count; i++)
		sharedbuf_drop(&st->frames[i]);
	st->first = st->count = st->off = 0;
}

/* The next text after the stream's cursor, put in its frames: 0, 1 (the
 * cursor is behind what memory holds) or -1, as handlers.events_frames. */
static int
httpd_sse_fetch(httpd_stream_t *st, uint64_t *next)
{
	if (st->h->events_frames != NULL)
		return st->h->events_frames(st->h->ctx, st->run, st->cursor, !st->live,
		                            HTTPD_SSE_CHUNK_BYTES, httpd_sse_put, st, next);
	char *text = NULL;
	int rc = st->h->events_text(st->h->ctx, st->run, st->cursor, !st->live,
	                            HTTPD_SSE_CHUNK_BYTES, &text, next);
	if (text != NULL)
		httpd_sse_put_text(st, text);
	return rc;
}

/* Copies up to max bytes of the frames into buf, dropping each one taken
 * whole; the count copied. */
static size_t
httpd_sse_take(httpd_stream_t *st, char *buf, size_t max)
{
	size_t n = 0;
	while (n < max && !httpd_sse_empty(st)) {
		sharedbuf_t *f = st->frames[st->first];
		size_t take = f->len - st->off < max - n ? f->len - st->off : max - n;
		memcpy(buf + n, f->data + st->off, take);
		n += take;
		st->off += take;
		if (st->off == f->len) {
			sharedbuf_drop(&st->frames[st->first++]);
			st->off = 0;
		}
	}
	if (httpd_sse_empty(st))
		st->first = st->count = 0;
	return n;
}

static ssize_t
httpd_sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	httpd_stream_t *st = cls;
	(void)pos;
	int64_t now = clock_mono_ms();
	/* Twice at most: a stream that has just caught up asks again as a
	 * live one at once (returning 0 without suspending would leave it
	 * until MHD's timeout: the socket stays writable, no new edge). */
	for (int pass = 0; pass < 2 && httpd_sse_empty(st) && !st->ending; pass++) {
		if (now >= st->ends_ms) {
			st->ending = true; /* EventSource comes back with Last-Event-ID */
			break;
		}
		uint64_t next = st->cursor;
		int rc = httpd_sse_fetch(st, &next);
		if (rc == 1) {
			/* Fell behind what memory holds: cut, to resume from the
			 * store with its cursor (or, when retention deleted what
			 * followed it, from the oldest kept: next). The id line
			 * makes EventSource come back with it. */
			uint64_t from = next > st->cursor ? next : st->cursor;
			httpd_sse_clear(st);
			httpd_sse_put_text(st, xasprintf("id: %" PRIu64 "\nevent: resync\ndata:"
			                                 " {\"cursor\":%" PRIu64 "}\n\n",
			                                 from, from));
			st->ending = true;
		} else if (rc < 0) {
			st->ending = true;
		} else {
			st->cursor = next;
			if (!httpd_sse_empty(st))
				break;
			else if (!st->live)
				st->live = true; /* caught up: once more, live */
			else if (now - st->wrote_ms >= HTTPD_SSE_KEEPALIVE_MS)
				httpd_sse_put_text(st, xstrdup(": keepalive\n\n"));
			else
				break;
		}
	}
	size_t n = httpd_sse_take(st, buf, max);
	if (n > 0) {
		st->wrote_ms = now;
		return (ssize_t)n;
	}
	if (st->ending)
		return MHD_CONTENT_READER_END_OF_STREAM;
	st->suspended = true;
	if (st->list != NULL && httpd_sse_due_ms(st) < st->list->due_ms)
		st->list->due_ms = httpd_sse_due_ms(st);
	MHD_suspend_connection(st->conn);
	return 0;
}

static void
httpd_sse_free(void *cls)
{
	httpd_stream_t *st = cls;
	if (st->list != NULL) {
		if (st->prev != NULL)
			st->prev->next = st->next;
		else
			st->list->head = st->next;
		if (st->next != NULL)
			st->next->prev = st->prev;
		httpd_sse_group_leave(st->list, st);
	}
	httpd_sse_clear(st);
	free(st->frames);
	free(st->run);
	free(st);
}

static enum MHD_Result
httpd_sse_refuse(struct MHD_Connection *c, unsigned status, char *text)
{
	char *body = xasprintf("%s\n", text);
	free(text);
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	enum MHD_Result rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

/* A cursor from ?cursor= or Last-Event-ID: digits only. */
static int
httpd_sse_cursor(const char *text, uint64_t *out)
{
	if (text == NULL || text[0] == '\0')
		return 0;
	char *end = NULL;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 10);
	if (text[0] < '0' || text[0] > '9' || *end != '\0' || errno != 0)
		return -1;
	*out = v;
	return 0;
}

enum MHD_Result
httpd_sse_serve(httpd_t *s, httpd_sse_list_t *l, const httpd_handlers_t *h,
                struct MHD_Connection *c, int64_t deadline_ms)
{
	(void)s;
	if (h->events_open == NULL || (h->events_text == NULL && h->events_frames == NULL))
		return httpd_sse_refuse(c, MHD_HTTP_NOT_FOUND, xstrdup("not found"));
	const char *arg = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "cursor");
	const char *last = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Last-Event-ID");
	uint64_t cursor = 0, from_arg = 0;
	if (httpd_sse_cursor(arg, &from_arg) != 0)
		return httpd_sse_refuse(c, MHD_HTTP_BAD_REQUEST,
		                        xasprintf("cursor=%.64s: not a cursor (digits: the id of"
		                                  " the last event seen)",
		                                  arg));
	if (httpd_sse_cursor(last, &cursor) != 0)
		return httpd_sse_refuse(c, MHD_HTTP_BAD_REQUEST,
		                        xasprintf("Last-Event-ID: %.64s: not an event id", last));
	/* A reconnecting EventSource sends the id it saw last: it wins over
	 * the cursor its URL was opened with. */
	if (last == NULL || last[0] == '\0')
		cursor = from_arg;
	const char *run_text = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "run");
	char *run = NULL, *why = NULL;
	int status = h->events_open(h->ctx, run_text, &run, &why);
	if (status != 0)
		return httpd_sse_refuse(c, (unsigned)status,
		                        why != NULL ? why : xstrdup("refused"));
	httpd_stream_t *st = xcalloc(1, sizeof(*st));
	st->list = l;
	st->h = h;
	st->conn = c;
	st->run = run;
	st->cursor = cursor;
	int64_t now = clock_mono_ms();
	int64_t life = deadline_ms > 2 * HTTPD_SSE_MARGIN_MS ? deadline_ms - HTTPD_SSE_MARGIN_MS
	                                                     : deadline_ms / 2;
	st->ends_ms = now + life;
	st->wrote_ms = now;
	/* The browser waits a second before it comes back. */
	httpd_sse_put_text(st, xstrdup("retry: 1000\n\n"));
	struct MHD_Response *r = MHD_create_response_from_callback(
	    MHD_SIZE_UNKNOWN, 16 * 1024, httpd_sse_read, st, httpd_sse_free);
	if (r == NULL) {
		httpd_sse_free(st);
		return MHD_NO;
	}
	st->next = l->head;
	if (l->head != NULL)
		l->head->prev = st;
	l->head = st;
	httpd_sse_group_join(l, st);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	enum MHD_Result rc = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return rc;
}
