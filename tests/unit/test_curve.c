/* curve: the handshake monitor must never stall the context it lives in.
 *
 * libzmq sends a monitor event from its I/O thread with a blocking send
 * on an inproc PAIR. Once the reading end is closed, an event still due
 * (a handshake finishing just as the socket is given up) blocks that
 * thread for good, and with it every connection of the context: a worker
 * that gave up on a frozen coordinator the moment it thawed could never
 * connect again ("silent; reconnecting in 8000 ms" forever). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_monitor_close_before_handshake),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
