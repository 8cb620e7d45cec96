/* curve: the handshake monitor must never stall the context it lives in.
 *
 * libzmq sends a monitor event from its I/O thread with a blocking send
 * on an inproc PAIR. Once the reading end is closed, an event still due
 * (a handshake finishing just as the socket is given up) blocks that
 * thread for good, and with it every connection of the context: a worker
 * that gave up on a frozen coordinator the moment it thawed could never
 * connect again ("silent; reconnecting in 8000 ms" forever). And a refused
 * connection reads as CURVE_EVENT_DOWN (what moves a worker or rota on to
 * the next coordinator), a handshake as CURVE_EVENT_OK. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <zmq.h>

#include "curve.h"

/* A loopback endpoint nobody listens on yet: bound once to learn a free
 * port, then released. */
static void
free_endpoint(void *ctx, char *ep, size_t len)
{
	void *probe = zmq_socket(ctx, ZMQ_ROUTER);
	assert_non_null(probe);
	assert_int_equal(zmq_bind(probe, "tcp://127.0.0.1:*"), 0);
	size_t n = len;
	assert_int_equal(zmq_getsockopt(probe, ZMQ_LAST_ENDPOINT, ep, &n), 0);
	assert_int_equal(zmq_unbind(probe, ep), 0);
	zmq_close(probe);
}

static bool
receives(void *server, int wait_ms)
{
	zmq_pollitem_t item = {server, 0, ZMQ_POLLIN, 0};
	for (int waited = 0; waited < wait_ms; waited += 100) {
		if (zmq_poll(&item, 1, 100) > 0)
			return true;
	}
	return false;
}

/* The monitor is closed while the client's handshake is still due (its
 * server not up yet); then the server comes up and the handshake
 * finishes. The context must still carry messages. */
static void
test_monitor_close_before_handshake(void **state)
{
	(void)state;
	void *ctx = zmq_ctx_new();
	char ep[256];
	free_endpoint(ctx, ep, sizeof(ep));

	void *client = zmq_socket(ctx, ZMQ_DEALER);
	int ivl = 20, zero = 0;
	zmq_setsockopt(client, ZMQ_RECONNECT_IVL, &ivl, sizeof(ivl));
	zmq_setsockopt(client, ZMQ_LINGER, &zero, sizeof(zero));
	assert_int_equal(zmq_connect(client, ep), 0);
	void *mon = curve_monitor_open(ctx, client);
	assert_non_null(mon);
	curve_monitor_close(client, &mon);
	assert_null(mon);

	void *server = zmq_socket(ctx, ZMQ_ROUTER);
	zmq_setsockopt(server, ZMQ_LINGER, &zero, sizeof(zero));
	/* The probe's port is released by libzmq's I/O thread: a moment. */
	int rc = -1;
	for (int i = 0; i < 100 && (rc = zmq_bind(server, ep)) != 0; i++)
		usleep(20000);
	if (rc != 0)
		fail_msg("cannot bind %s: %s", ep, zmq_strerror(zmq_errno()));
	assert_int_equal(zmq_send(client, "ping", 4, 0), 4);
	if (!receives(server, 10000)) {
		/* The I/O thread is stuck: ending the context would hang. */
		fail_msg("the context stopped carrying messages after the monitor was closed");
	}
	zmq_close(client);
	zmq_close(server);
	zmq_ctx_term(ctx);
}

/* A loopback port nobody listens on: bound by a ROUTER, then closed. */
static void
dead_endpoint(void *ctx, char *ep, size_t len)
{
	void *s = zmq_socket(ctx, ZMQ_ROUTER);
	assert_int_equal(zmq_bind(s, "tcp://127.0.0.1:*"), 0);
	assert_int_equal(zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, ep, &len), 0);
	zmq_close(s);
}

/* The next event that is not NONE, waiting up to 10 s. */
static curve_event_t
next_event(void *mon, char *why, size_t len)
{
	for (int i = 0; i < 100; i++) {
		zmq_pollitem_t it = {mon, 0, ZMQ_POLLIN, 0};
		if (zmq_poll(&it, 1, 100) > 0) {
			curve_event_t ev = curve_monitor_read(mon, false, why, len);
			if (ev != CURVE_EVENT_NONE)
				return ev;
		}
	}
	return CURVE_EVENT_NONE;
}

static void
test_down_and_close(void **state)
{
	(void)state;
	void *ctx = zmq_ctx_new();
	char dead[256];
	dead_endpoint(ctx, dead, sizeof(dead));
	void *d = zmq_socket(ctx, ZMQ_DEALER);
	int ivl = 20, linger = 0;
	zmq_setsockopt(d, ZMQ_RECONNECT_IVL, &ivl, sizeof(ivl));
	zmq_setsockopt(d, ZMQ_LINGER, &linger, sizeof(linger));
	void *mon = curve_monitor_open(ctx, d);
	assert_non_null(mon);
	assert_int_equal(zmq_connect(d, dead), 0);
	char why[256] = "";
	assert_int_equal(next_event(mon, why, sizeof(why)), CURVE_EVENT_DOWN);
	assert_non_null(strstr(why, "nobody answers there now"));

	/* Closed while libzmq keeps dialling every 20 ms. */
	curve_monitor_close(d, &mon);
	assert_null(mon);
	curve_monitor_close(d, &mon);
	/* Long enough for libzmq to tear the monitor's pipe down and dial
	 * again a few times (not an assertion: a slower machine only
	 * dials fewer times). */
	struct timespec pause = {.tv_sec = 0, .tv_nsec = 300 * 1000000L};
	nanosleep(&pause, NULL);

	/* Another socket of the context still gets through. */
	void *r = zmq_socket(ctx, ZMQ_ROUTER);
	assert_int_equal(zmq_bind(r, "tcp://127.0.0.1:*"), 0);
	char live[256];
	size_t len = sizeof(live);
	assert_int_equal(zmq_getsockopt(r, ZMQ_LAST_ENDPOINT, live, &len), 0);
	void *d2 = zmq_socket(ctx, ZMQ_DEALER);
	zmq_setsockopt(d2, ZMQ_LINGER, &linger, sizeof(linger));
	void *mon2 = curve_monitor_open(ctx, d2);
	assert_non_null(mon2);
	assert_int_equal(zmq_connect(d2, live), 0);
	assert_int_equal(next_event(mon2, why, sizeof(why)), CURVE_EVENT_OK);
	assert_int_equal(zmq_send(d2, "hi", 2, 0), 2);
	zmq_pollitem_t it = {r, 0, ZMQ_POLLIN, 0};
	assert_int_equal(zmq_poll(&it, 1, 10000), 1);

	curve_monitor_close(d2, &mon2);
	zmq_close(d2);
	zmq_close(r);
	zmq_close(d);
	zmq_ctx_term(ctx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_monitor_close_before_handshake),
	    cmocka_unit_test(test_down_and_close),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
