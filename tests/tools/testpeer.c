/* rota-testpeer: sends what no rota program would, for tests.
 *
 *   rota-testpeer garbage ENDPOINT   one DEALER sends every kind of bad frame
 *                                    (random bytes, empty, multi-part, wrong
 *                                    version, no body, an oversized frame on a
 *                                    second connection, a Result from a worker
 *                                    that never said Hello) and exits 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "wire.h"
#include "xalloc.h"

static int
send_frame(void *sock, const void *data, size_t len, int flags)
{
	if (zmq_send(sock, data, len, flags) < 0) {
		fprintf(stderr, "rota-testpeer: send: %s\n", zmq_strerror(zmq_errno()));
		return -1;
	}
	return 0;
}

static int
garbage(const char *endpoint)
{
	void *ctx = zmq_ctx_new();
	void *s = zmq_socket(ctx, ZMQ_DEALER);
	int linger = 2000;
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(s, ZMQ_ROUTING_ID, "intruder", 8);
	if (zmq_connect(s, endpoint) != 0) {
		fprintf(stderr, "rota-testpeer: connect %s: %s\n", endpoint,
		        zmq_strerror(zmq_errno()));
		return 1;
	}
	int rc = 0;
	/* Random bytes. */
	uint8_t junk[512];
	srand(42);
	for (int i = 0; i < 20; i++) {
		size_t n = (size_t)(rand() % (int)sizeof(junk)) + 1;
		for (size_t k = 0; k < n; k++)
			junk[k] = (uint8_t)rand();
		rc |= send_frame(s, junk, n, 0);
	}
	/* An empty frame and a multi-part message. */
	rc |= send_frame(s, "", 0, 0);
	rc |= send_frame(s, "part1", 5, ZMQ_SNDMORE);
	rc |= send_frame(s, "part2", 5, 0);
	/* A well-formed envelope of another protocol version. */
	Rota__Heartbeat hb = ROTA__HEARTBEAT__INIT;
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_HEARTBEAT;
	env.heartbeat = &hb;
	size_t len;
	uint8_t *buf = wire_encode(&env, &len);
	env.version = 99;
	size_t vlen = rota__envelope__get_packed_size(&env);
	uint8_t *vbuf = xmalloc(vlen);
	rota__envelope__pack(&env, vbuf);
	rc |= send_frame(s, vbuf, vlen, 0);
	free(vbuf);
	free(buf);
	/* An envelope with no body. */
	Rota__Envelope empty = ROTA__ENVELOPE__INIT;
	buf = wire_encode(&empty, &len);
	rc |= send_frame(s, buf, len, 0);
	free(buf);
	/* A truncated envelope: a Hello cut in half. */
	Rota__Hello hello = ROTA__HELLO__INIT;
	hello.worker_id = "intruder";
	hello.hostname = "nowhere";
	Rota__Envelope he = ROTA__ENVELOPE__INIT;
	he.body_case = ROTA__ENVELOPE__BODY_HELLO;
	he.hello = &hello;
	buf = wire_encode(&he, &len);
	rc |= send_frame(s, buf, len / 2, 0);
	free(buf);
	/* A Result for a run that does not exist, from a worker that never
	 * said Hello, and a Request on whatever endpoint this is. */
	Rota__StepKey key = ROTA__STEP_KEY__INIT;
	key.run_id = "no-such-run";
	key.step_id = "x";
	key.host = "intruder";
	key.attempt = 1;
	Rota__Result res = ROTA__RESULT__INIT;
	res.key = &key;
	res.status = ROTA__STEP_STATUS__STEP_SUCCEEDED;
	Rota__Envelope re = ROTA__ENVELOPE__INIT;
	re.body_case = ROTA__ENVELOPE__BODY_RESULT;
	re.result = &res;
	buf = wire_encode(&re, &len);
	rc |= send_frame(s, buf, len, 0);
	free(buf);

	/* An oversized frame, on a connection of its own: libzmq closes a
	 * connection that breaks ZMQ_MAXMSGSIZE. */
	void *big = zmq_socket(ctx, ZMQ_DEALER);
	zmq_setsockopt(big, ZMQ_LINGER, &linger, sizeof(linger));
	if (zmq_connect(big, endpoint) == 0) {
		size_t n = WIRE_MAX_FRAME_BYTES + 1024;
		uint8_t *huge = xcalloc(1, n);
		rc |= send_frame(big, huge, n, 0);
		free(huge);
	}
	usleep(300 * 1000);
	zmq_close(big);
	zmq_close(s);
	zmq_ctx_term(ctx);
	return rc == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "garbage") == 0)
		return garbage(argv[2]);
	fprintf(stderr, "usage: rota-testpeer garbage ENDPOINT\n");
	return 2;
}
