/* sendq: messages that wait for the turn's commit.
 *
 * Nobody may be told of a state change before it is durable, so the
 * coordinator queues every ResultAck, Dispatch and API response here during
 * a loop turn and flushes the queue only after store_commit succeeded. */
#ifndef ROTA_SENDQ_H
#define ROTA_SENDQ_H

#include <stddef.h>
#include <stdint.h>

#include "rota.pb-c.h"

typedef struct sendq sendq_t;

typedef struct {
	uint64_t sent;
	uint64_t failed; /* peer gone or its queue full: dropped */
} sendq_stats_t;

sendq_t *sendq_new(void);
void sendq_destroy(sendq_t **qp);
/* Encodes env now (the caller keeps env) and queues it for sock/identity. */
void sendq_push(sendq_t *q, void *sock, const uint8_t *identity, size_t identity_len,
                Rota__Envelope *env);
/* Told of each message a flush could not send, which is dropped: err is
 * EHOSTUNREACH for a peer that is gone, EAGAIN for one whose queue is full
 * (it does not read). A dropped message must not go unsaid. */
typedef void (*sendq_fail_fn)(void *ctx, void *sock, const uint8_t *identity, size_t identity_len,
                              int err);
void sendq_on_fail(sendq_t *q, sendq_fail_fn fn, void *ctx);
/* Sends everything queued, in order, without blocking. */
void sendq_flush(sendq_t *q, sendq_stats_t *stats);
/* The same for the first n queued (a turn whose COMMIT was in flight while
 * the next turn queued its own behind them); the rest stay, in order. */
void sendq_flush_first(sendq_t *q, size_t n, sendq_stats_t *stats);
/* Drops everything queued (after a failed commit). Returns how many. */
size_t sendq_discard(sendq_t *q);
/* One queued frame, as sendq_discard_each shows it before dropping it. */
typedef void (*sendq_drop_fn)(void *ctx, void *sock, const uint8_t *identity, size_t identity_len,
                              const uint8_t *data, size_t len);
/* The same, calling fn for each frame first: the owner may tell a peer that
 * waits for an answer that none is coming. Returns how many. */
size_t sendq_discard_each(sendq_t *q, sendq_drop_fn fn, void *ctx);
size_t sendq_length(const sendq_t *q);

#endif
