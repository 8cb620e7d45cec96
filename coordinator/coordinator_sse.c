/* coordinator_sse: what GET /v1/events streams (coordinator/http's
 * httpd_sse.c does the HTTP): the run named, checked like `rota logs`
 * checks it, and the event stream's frames from the ring or, for a stream
 * catching up, the store (events.h). */
#include "coordinator_internal.h"

#include <stdlib.h>

#include "xalloc.h"

int
coordinator_sse_open(void *ctx, const char *run_text, char **run, char **why)
{
	coordinator_t *c = ctx;
	*run = NULL;
	if (run_text == NULL || run_text[0] == '\0')
		return 0;
	char *error = NULL;
	if (store_run_resolve(c->svc->store, run_text, run, &error) != 0) {
		*why = xasprintf("run=%.80s: %s", run_text, error != NULL ? error : "no such run");
		free(error);
		return 404;
	}
	return 0;
}

int
coordinator_sse_frames(void *ctx, const char *run, uint64_t cursor, bool catch_up, size_t max,
                       void (*put)(void *put_ctx, sharedbuf_t *frame), void *put_ctx,
                       uint64_t *next)
{
	coordinator_t *c = ctx;
	/* The ring's frames are formatted once, for every stream: a stream
	 * costs the loop a copy of its bytes, not their JSON. */
	return events_frames(c->svc->events, run, cursor, catch_up, max, put, put_ctx, next);
}

bool
coordinator_sse_news(void *ctx, const char *run, uint64_t cursor, uint64_t *next)
{
	coordinator_t *c = ctx;
	return events_news(c->svc->events, run, cursor, next);
}

uint64_t
coordinator_sse_last(void *ctx, const char *run)
{
	coordinator_t *c = ctx;
	return events_run_last(c->svc->events, run);
}
