/* sendq: a growable array of encoded frames, flushed after commit. */
#include "sendq.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"
#include "xalloc.h"

typedef struct {
	void *sock;
	uint8_t identity[WIRE_MAX_IDENTITY_BYTES];
	size_t identity_len; /* 0: no identity frame */
	uint8_t *data;       /* owned */
	size_t len;
} sendq_item_t;

struct sendq {
	sendq_item_t *items; /* owned */
	size_t count;
	size_t cap;
	sendq_fail_fn on_fail; /* may be NULL */
	void *on_fail_ctx;
};

sendq_t *
sendq_new(void)
{
	return xcalloc(1, sizeof(sendq_t));
}

void
sendq_destroy(sendq_t **qp)
{
	sendq_t *q = *qp;
	if (q == NULL)
		return;
	sendq_discard(q);
	free(q->items);
	free(q);
	*qp = NULL;
}

void
sendq_push(sendq_t *q, void *sock, const uint8_t *identity, size_t identity_len,
           Rota__Envelope *env)
{
	if (q->count == q->cap) {
		q->cap = q->cap ? q->cap * 2 : 64;
		q->items = xrealloc(q->items, q->cap * sizeof(*q->items));
	}
	sendq_item_t *it = &q->items[q->count++];
	it->sock = sock;
	if (identity_len > sizeof(it->identity))
		identity_len = sizeof(it->identity);
	it->identity_len = identity ? identity_len : 0;
	if (identity)
		memcpy(it->identity, identity, identity_len);
	it->data = wire_encode(env, &it->len);
}

void
sendq_on_fail(sendq_t *q, sendq_fail_fn fn, void *ctx)
{
	q->on_fail = fn;
	q->on_fail_ctx = ctx;
}

void
sendq_flush(sendq_t *q, sendq_stats_t *stats)
{
	sendq_flush_first(q, q->count, stats);
}

void
sendq_flush_first(sendq_t *q, size_t n, sendq_stats_t *stats)
{
	if (n > q->count)
		n = q->count;
	for (size_t i = 0; i < n; i++) {
		sendq_item_t *it = &q->items[i];
		int rc = wire_send_raw(it->sock, it->identity_len ? it->identity : NULL,
		                       it->identity_len, it->data, it->len);
		if (rc == 0) {
			stats->sent++;
		} else {
			int err = errno;
			stats->failed++;
			if (q->on_fail != NULL)
				q->on_fail(q->on_fail_ctx, it->sock, it->identity, it->identity_len,
				           err);
		}
		free(it->data);
	}
	if (n < q->count) /* the next turn's, kept in order */
		memmove(q->items, q->items + n, (q->count - n) * sizeof(*q->items));
	q->count -= n;
}

size_t
sendq_discard(sendq_t *q)
{
	size_t n = q->count;
	for (size_t i = 0; i < q->count; i++)
		free(q->items[i].data);
	q->count = 0;
	return n;
}

size_t
sendq_discard_each(sendq_t *q, sendq_drop_fn fn, void *ctx)
{
	for (size_t i = 0; i < q->count; i++) {
		sendq_item_t *it = &q->items[i];
		fn(ctx, it->sock, it->identity_len ? it->identity : NULL, it->identity_len,
		   it->data, it->len);
	}
	return sendq_discard(q);
}

size_t
sendq_length(const sendq_t *q)
{
	return q->count;
}
