/* rota-testfollower: plays a follower coordinator, for the tests of the
 * clients' side of high availability (docs/protocol.md, "Redirect"), which
 * need a follower before the coordinator can be one without PostgreSQL.
 *
 *   rota-testfollower FILE WORKER_TARGET API_TARGET
 *
 * binds a ROUTER for workers and one for operators on ephemeral loopback
 * ports, writes "WORKER_EP API_EP" to FILE, and then answers, until killed,
 * every message on the workers' socket with a Redirect to WORKER_TARGET and
 * every request on the operators' socket with a Redirect to API_TARGET,
 * both as a follower coordinator does (a Response with ERR_REDIRECT, the
 * leader in its redirect, epoch 7, leader "testleader"). A target "self"
 * is this follower's own endpoint (a loop), "" a follower that knows no
 * leader. For each answer it prints "redirected worker ID" or "redirected
 * request", flushed, so a test can tell that the redirect happened.
 *
 * It plays no CURVE: the tests run the clients without keys. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <zmq.h>

#include "publish.h"
#include "wire.h"

static void *
testfollower_bind(void *ctx, char *ep, size_t len)
{
	void *s = zmq_socket(ctx, ZMQ_ROUTER);
	if (s == NULL || wire_socket_setup(s) != 0 || zmq_bind(s, "tcp://127.0.0.1:*") != 0)
		return NULL;
	if (zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, ep, &len) != 0)
		return NULL;
	return s;
}

static void
testfollower_answer(void *sock, const wire_msg_t *msg, uint64_t id, const char *target)
{
	char text[512];
	snprintf(text, sizeof(text),
	         target[0] ? "this coordinator is a follower; the leader is at %s"
	                   : "this coordinator is a follower and knows no leader now%s",
	         target);
	Rota__Redirect r = ROTA__REDIRECT__INIT;
	r.endpoint = (char *)target;
	r.epoch = 7;
	r.leader_id = "testleader";
	Rota__Error err = ROTA__ERROR__INIT;
	err.code = ROTA__ERROR_CODE__ERR_REDIRECT;
	err.message = text;
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = id;
	resp.error = &err;
	resp.redirect = &r;
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_RESPONSE;
	env.response = &resp;
	if (wire_send(sock, msg->identity, msg->identity_len, &env) != 0)
		fprintf(stderr, "rota-testfollower: send: %s\n", zmq_strerror(errno));
}

int
main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: rota-testfollower FILE WORKER_TARGET API_TARGET\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	void *ctx = zmq_ctx_new();
	char wep[256], aep[256];
	void *wsock = testfollower_bind(ctx, wep, sizeof(wep));
	void *asock = testfollower_bind(ctx, aep, sizeof(aep));
	if (wsock == NULL || asock == NULL) {
		fprintf(stderr, "rota-testfollower: cannot bind: %s\n", zmq_strerror(errno));
		return 1;
	}
	const char *wt = strcmp(argv[2], "self") == 0 ? wep : argv[2];
	const char *at = strcmp(argv[3], "self") == 0 ? aep : argv[3];
	char line[600];
	snprintf(line, sizeof(line), "%s %s", wep, aep);
	if (publish_line(argv[1], line) != 0) {
		fprintf(stderr, "rota-testfollower: cannot write %s\n", argv[1]);
		return 1;
	}
	wire_stats_t stats;
	memset(&stats, 0, sizeof(stats));
	for (;;) {
		zmq_pollitem_t items[] = {{wsock, 0, ZMQ_POLLIN, 0}, {asock, 0, ZMQ_POLLIN, 0}};
		if (zmq_poll(items, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		wire_msg_t msg;
		if ((items[0].revents & ZMQ_POLLIN) &&
		    wire_recv(wsock, 1, &msg, &stats) == WIRE_OK) {
			char id[128];
			wire_identity_str(msg.identity, msg.identity_len, id, sizeof(id));
			testfollower_answer(wsock, &msg, 0, wt);
			printf("redirected worker %s\n", id);
			fflush(stdout);
			wire_msg_clear(&msg);
		}
		if ((items[1].revents & ZMQ_POLLIN) &&
		    wire_recv(asock, 1, &msg, &stats) == WIRE_OK) {
			if (msg.env->body_case == ROTA__ENVELOPE__BODY_REQUEST) {
				testfollower_answer(asock, &msg, msg.env->request->id, at);
				printf("redirected request\n");
				fflush(stdout);
			}
			wire_msg_clear(&msg);
		}
	}
}
