/* sharedbuf: bytes made once and read by many without a copy, freed by the
 * last holder (an event's Server-Sent Events frame, held by the event
 * stream's ring and by every HTTP stream still sending it). The count is
 * atomic, so a holder may drop it from another thread. */
#ifndef ROTA_SHAREDBUF_H
#define ROTA_SHAREDBUF_H

#include <stdatomic.h>
#include <stddef.h>

typedef struct sharedbuf {
	atomic_uint refs;
	size_t len;
	char data[]; /* len bytes, then a NUL */
} sharedbuf_t;

/* len bytes to be written by the caller (the NUL after them is set), held
 * once (by the caller). */
sharedbuf_t *sharedbuf_alloc(size_t len);
/* A copy of len bytes of data, held once (by the caller). */
sharedbuf_t *sharedbuf_new(const char *data, size_t len);
/* The same, taking text (a malloc'd string, freed here) as its bytes. */
sharedbuf_t *sharedbuf_from(char *text);
/* One more holder: returns b. */
sharedbuf_t *sharedbuf_hold(sharedbuf_t *b);
/* Drops the caller's hold; frees b after the last. Accepts NULL and sets
 * *bp to NULL. */
void sharedbuf_drop(sharedbuf_t **bp);

#endif
