/* coordinator_sse: what GET /v1/events streams (coordinator/http's
 * httpd_sse.c does the HTTP): the run named, checked like `rota logs`
 * checks it, and the event stream's text from the ring or, for a stream
 * catching up, the store (events.h). */
#include "coordinator_internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

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

typedef struct {
	char *text; /* owned: grows */
	size_t len, cap, max;
} coordinator_sse_buf_t;

static void
coordinator_sse_add(void *ctx, const Rota__Event *ev)
{
	coordinator_sse_buf_t *b = ctx;
	char *json = events_json(ev);
	const char *kind = strstr(json, "\"kind\":\"");
	char name[16] = "message";
	if (kind != NULL) {
		kind += 8;
		size_t n = strcspn(kind, "\"");
		if (n < sizeof(name)) {
			memcpy(name, kind, n);
			name[n] = '\0';
		}
	}
	char *line = xasprintf("id: %" PRIu64 "\nevent: %s\ndata: %s\n\n", ev->cursor, name, json);
	free(json);
	size_t n = strlen(line);
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->text = xrealloc(b->text, b->cap);
	}
	memcpy(b->text + b->len, line, n + 1);
	b->len += n;
	free(line);
}

int
coordinator_sse_text(void *ctx, const char *run, uint64_t cursor, bool catch_up, size_t max,
                     char **text, uint64_t *next)
{
	coordinator_t *c = ctx;
	coordinator_sse_buf_t b = {.max = max};
	*text = NULL;
	/* About max bytes: a chunk is at most a worker's chunk, so count
	 * events rather than measure each. */
	size_t events = max / 1024 > 0 ? max / 1024 : 1;
	int rc = events_each(c->svc->events, run, cursor, catch_up, events, coordinator_sse_add, &b,
	                     next);
	if (rc != 0 || b.len == 0) {
		free(b.text);
		return rc;
	}
	*text = b.text;
	return 0;
}
