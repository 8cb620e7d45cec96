/* test_sendq: what the turn's queue sends after the commit, and what it
 * could not send told to its owner, not only counted: a peer gone or a
 * peer whose queue is full loses the message, and the coordinator must be
 * able to say so. Real ZeroMQ sockets over inproc. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zmq.h>

#include "sendq.h"

typedef struct {
	int gone, full, other;
	char last_peer[64];
} fails_t;

static void
count_fail(void *ctx, void *sock, const uint8_t *identity, size_t identity_len, int err)
{
	(void)sock;
	fails_t *f = ctx;
	if (err == EHOSTUNREACH)
		f->gone++;
	else if (err == EAGAIN)
		f->full++;
	else
		f->other++;
	size_t n =
	    identity_len < sizeof(f->last_peer) - 1 ? identity_len : sizeof(f->last_peer) - 1;
	memcpy(f->last_peer, identity, n);
	f->last_peer[n] = '\0';
}

static void
push_ping(sendq_t *q, void *sock, const char *peer)
{
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	sendq_push(q, sock, (const uint8_t *)peer, strlen(peer), &env);
}

/* A ROUTER that refuses to drop silently, and a DEALER named peer
 * connected to it over endpoint that has said hello (the router knows a
 * peer once it has said something). hwm > 0: both queues that small. */
static void
pair_open(void *ctx, const char *endpoint, const char *peer, int hwm, void **router, void **dealer)
{
	*router = zmq_socket(ctx, ZMQ_ROUTER);
	*dealer = zmq_socket(ctx, ZMQ_DEALER);
	int one = 1;
	assert_int_equal(zmq_setsockopt(*router, ZMQ_ROUTER_MANDATORY, &one, sizeof(one)), 0);
	if (hwm > 0) {
		assert_int_equal(zmq_setsockopt(*router, ZMQ_SNDHWM, &hwm, sizeof(hwm)), 0);
		assert_int_equal(zmq_setsockopt(*dealer, ZMQ_RCVHWM, &hwm, sizeof(hwm)), 0);
	}
	assert_int_equal(zmq_setsockopt(*dealer, ZMQ_ROUTING_ID, peer, strlen(peer)), 0);
	assert_int_equal(zmq_bind(*router, endpoint), 0);
	assert_int_equal(zmq_connect(*dealer, endpoint), 0);
	assert_int_equal(zmq_send(*dealer, "hi", 2, 0), 2);
	char id[16], body[16];
	assert_true(zmq_recv(*router, id, sizeof(id), 0) > 0);
	assert_true(zmq_recv(*router, body, sizeof(body), 0) > 0);
}

static void
test_a_message_that_cannot_go_is_told(void **state)
{
	(void)state;
	void *ctx = zmq_ctx_new();
	void *router, *dealer;
	pair_open(ctx, "inproc://sendq", "slow", 4, &router, &dealer);

	sendq_t *q = sendq_new();
	fails_t f = {0};
	sendq_on_fail(q, count_fail, &f);
	sendq_stats_t stats = {0};

	/* A peer that is not connected: gone. */
	push_ping(q, router, "nobody");
	/* A peer that reads nothing: the first messages fill its queue, the
	 * rest find it full. */
	for (int i = 0; i < 100; i++)
		push_ping(q, router, "slow");
	sendq_flush(q, &stats);

	assert_int_equal(f.gone, 1);
	assert_true(f.full > 0);
	assert_int_equal(f.other, 0);
	assert_string_equal(f.last_peer, "slow");
	assert_int_equal(stats.failed, (uint64_t)(f.gone + f.full));
	assert_int_equal(stats.sent + stats.failed, 101);
	assert_true(stats.sent >= 1);

	sendq_destroy(&q);
	zmq_close(dealer);
	zmq_close(router);
	zmq_ctx_term(ctx);
}

static void
test_without_a_hook_failures_are_counted(void **state)
{
	(void)state;
	void *ctx = zmq_ctx_new();
	void *router = zmq_socket(ctx, ZMQ_ROUTER);
	int one = 1;
	assert_int_equal(zmq_setsockopt(router, ZMQ_ROUTER_MANDATORY, &one, sizeof(one)), 0);
	assert_int_equal(zmq_bind(router, "inproc://sendq2"), 0);
	sendq_t *q = sendq_new();
	sendq_stats_t stats = {0};
	push_ping(q, router, "nobody");
	sendq_flush(q, &stats);
	assert_int_equal(stats.failed, 1);
	assert_int_equal(sendq_length(q), 0);
	sendq_destroy(&q);
	zmq_close(router);
	zmq_ctx_term(ctx);
}

/* A turn whose COMMIT was in flight: its messages go, in order, and the
 * next turn's queued behind them wait for their own commit. */
static void
test_the_first_turn_goes_alone(void **state)
{
	(void)state;
	void *ctx = zmq_ctx_new();
	void *router, *dealer;
	pair_open(ctx, "inproc://sendq3", "peer", 0, &router, &dealer);
	char body[64];
	sendq_t *q = sendq_new();
	sendq_stats_t stats = {0};
	sendq_flush(q, &stats); /* a turn that queued nothing */
	assert_int_equal(stats.sent + stats.failed, 0);
	Rota__Heartbeat hb = ROTA__HEARTBEAT__INIT;
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_HEARTBEAT;
	env.heartbeat = &hb;
	for (uint64_t i = 1; i <= 5; i++) {
		hb.epoch = i; /* turn one: 1-3, turn two: 4-5 */
		sendq_push(q, router, (const uint8_t *)"peer", 4, &env);
	}
	sendq_flush_first(q, 3, &stats);
	assert_int_equal(stats.sent, 3);
	assert_int_equal(sendq_length(q), 2);
	sendq_flush_first(q, 10, &stats); /* more than there are: all */
	assert_int_equal(stats.sent, 5);
	assert_int_equal(sendq_length(q), 0);
	for (uint64_t i = 1; i <= 5; i++) {
		int n = zmq_recv(dealer, body, sizeof(body), 0);
		assert_true(n > 0);
		Rota__Envelope *got =
		    rota__envelope__unpack(NULL, (size_t)n, (const uint8_t *)body);
		assert_non_null(got);
		assert_non_null(got->heartbeat);
		assert_int_equal(got->heartbeat->epoch, i);
		rota__envelope__free_unpacked(got, NULL);
	}
	sendq_destroy(&q);
	zmq_close(dealer);
	zmq_close(router);
	zmq_ctx_term(ctx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_a_message_that_cannot_go_is_told),
	    cmocka_unit_test(test_without_a_hook_failures_are_counted),
	    cmocka_unit_test(test_the_first_turn_goes_alone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
