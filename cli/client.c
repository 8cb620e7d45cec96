/* client: a DEALER socket, one request in flight, every wait bounded.
 *
 * Must never: wait without a deadline, or hand back a Response that does
 * not answer the request just sent. */
#include "client.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <zmq.h>

#include "clock.h"
#include "curve.h"
#include "wire.h"
#include "xalloc.h"

struct client {
	void *ctx;
	void *sock;
	char *endpoint;
	uint64_t next_id;
	wire_stats_t stats;
	/* Handshake events: a refused key or a coordinator with another key
	 * is said at once, not left to the timeout. */
	void *monitor; /* owned */
	bool secure;
	char why[512];
	bool up;                  /* a handshake succeeded and no close was seen since */
	bool leave_down;          /* client_set_leave_when_down */
	bool maybe_reached;       /* client_may_have_reached */
	client_event_fn on_event; /* client_set_event_sink */
	void *event_ctx;
};

static client_t *
client_open(const char *endpoint, const keys_pair_t *mine, const keys_pair_t *server)
{
	client_t *c = xcalloc(1, sizeof(*c));
	c->endpoint = xstrdup(endpoint);
	c->next_id = 1;
	c->secure = mine != NULL;
	c->ctx = zmq_ctx_new();
	if (c->ctx == NULL)
		goto fail;
	c->sock = zmq_socket(c->ctx, ZMQ_DEALER);
	if (c->sock == NULL)
		goto fail;
	if (wire_socket_setup(c->sock) != 0)
		goto fail;
	int64_t max = CLIENT_MAX_RECV_BYTES;
	if (zmq_setsockopt(c->sock, ZMQ_MAXMSGSIZE, &max, sizeof(max)) != 0)
		goto fail;
	if (mine != NULL && curve_client_setup(c->sock, mine, server) != 0)
		goto fail;
	c->monitor = curve_monitor_open(c->ctx, c->sock);
	if (c->monitor == NULL)
		goto fail;
	if (zmq_connect(c->sock, endpoint) != 0)
		goto fail;
	return c;
fail:;
	int saved = errno;
	client_destroy(&c);
	errno = saved;
	return NULL;
}

void
client_destroy(client_t **cp)
{
	client_t *c = *cp;
	if (c == NULL)
		return;
	/* ZMQ_LINGER is 0 (wire_socket_setup), so neither call waits for an
	 * unsent request to a coordinator that is not there. */
	curve_monitor_close(c->sock, &c->monitor);
	if (c->sock != NULL)
		zmq_close(c->sock);
	if (c->ctx != NULL)
		zmq_ctx_term(c->ctx);
	free(c->endpoint);
	free(c);
	*cp = NULL;
}

client_t *
client_new(const char *endpoint)
{
	return client_open(endpoint, NULL, NULL);
}

client_t *
client_new_curve(const char *endpoint, const keys_pair_t *mine, const keys_pair_t *server)
{
	return client_open(endpoint, mine, server);
}

const char *
client_endpoint(const client_t *c)
{
	return c->endpoint;
}

const char *
client_why(const client_t *c)
{
	return c->why;
}

void
client_set_leave_when_down(client_t *c, bool leave)
{
	c->leave_down = leave;
}

bool
client_may_have_reached(const client_t *c)
{
	return c->maybe_reached;
}

/* Reads the monitor's events queued so far: c->up follows the connection.
 * Returns CLIENT_OK, CLIENT_ERR_REFUSED or CLIENT_ERR_HANDSHAKE (c->why
 * says why), or CLIENT_ERR_DOWN when a close was seen and the caller
 * leaves on one. */
static int
client_read_events(client_t *c)
{
	curve_event_t ev;
	int rc = CLIENT_OK;
	while ((ev = curve_monitor_read(c->monitor, c->secure, c->why, sizeof(c->why))) !=
	       CURVE_EVENT_NONE) {
		if (ev == CURVE_EVENT_REFUSED)
			return CLIENT_ERR_REFUSED;
		if (ev == CURVE_EVENT_FAILED)
			return CLIENT_ERR_HANDSHAKE;
		if (ev == CURVE_EVENT_OK) {
			c->up = true;
			c->maybe_reached = true;
			rc = CLIENT_OK;
		} else if (ev == CURVE_EVENT_DOWN) {
			c->up = false;
			if (c->leave_down)
				rc = CLIENT_ERR_DOWN;
		}
	}
	return rc;
}

/* Waits until sock has one of events or deadline passes. Returns CLIENT_OK
 * when ready, CLIENT_ERR_TIMEOUT at the deadline, CLIENT_ERR_IO on error, or
 * CLIENT_ERR_REFUSED / CLIENT_ERR_HANDSHAKE when a handshake failed (c->why
 * says why). */
static int
client_wait(client_t *c, short events, int64_t deadline_ms)
{
	for (;;) {
		int64_t left = deadline_ms - clock_mono_ms();
		if (left <= 0)
			return CLIENT_ERR_TIMEOUT;
		zmq_pollitem_t items[] = {
		    {.socket = c->sock, .events = events},
		    {.socket = c->monitor, .events = ZMQ_POLLIN},
		};
		int rc = zmq_poll(items, 2, (long)left);
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			return CLIENT_ERR_IO;
		}
		if (items[1].revents & ZMQ_POLLIN) {
			int ev = client_read_events(c);
			if (ev != CLIENT_OK)
				return ev;
		}
		if (items[0].revents & events)
			return CLIENT_OK;
	}
}

static int
client_send(client_t *c, Rota__Request *req, int64_t deadline_ms)
{
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_REQUEST;
	env.request = req;
	for (;;) {
		if (wire_send(c->sock, NULL, 0, &env) == 0)
			return CLIENT_OK;
		if (errno != EAGAIN && errno != EINTR)
			return CLIENT_ERR_IO;
		/* A DEALER queues while it connects, so EAGAIN means a
		 * full queue: wait for room, within the same deadline. */
		int rc = client_wait(c, ZMQ_POLLOUT, deadline_ms);
		if (rc != CLIENT_OK)
			return rc;
	}
}

int
client_call(client_t *c, Rota__Request *req, int timeout_ms, Rota__Envelope **reply)
{
	*reply = NULL;
	int64_t deadline = clock_mono_ms() + timeout_ms;
	uint64_t id = c->next_id++;
	req->id = id;
	/* What happened to the connection before this request is not
	 * about it: only the state it is sent in counts. */
	bool leave = c->leave_down;
	c->leave_down = false;
	int pre = client_read_events(c);
	c->leave_down = leave;
	if (pre != CLIENT_OK)
		return pre;
	c->maybe_reached = c->up;

	int rc = client_send(c, req, deadline);
	if (rc != CLIENT_OK)
		return rc;

	for (;;) {
		rc = client_wait(c, ZMQ_POLLIN, deadline);
		if (rc != CLIENT_OK)
			return rc;
		/* Drain what is queued: the answer may sit behind stale ones. */
		for (;;) {
			wire_msg_t msg;
			int w = wire_recv(c->sock, 0, &msg, &c->stats);
			if (w == WIRE_ERR_AGAIN)
				break;
			if (w == WIRE_ERR_IO) {
				if (errno == EINTR)
					continue;
				return CLIENT_ERR_IO;
			}
			/* The only answer that can be over the limit is the one
			 * to the request in flight: say so, not "unreachable". */
			if (w == WIRE_ERR_SIZE)
				return CLIENT_ERR_TOO_LARGE;
			if (w != WIRE_OK)
				continue; /* a bad frame: counted in stats, dropped */
			Rota__Envelope *env = msg.env;
			if (env->body_case == ROTA__ENVELOPE__BODY_RESPONSE &&
			    env->response != NULL && env->response->id == id) {
				*reply = env;
				return CLIENT_OK;
			}
			/* The events of a streaming request come before its
			 * answer and carry its id. */
			if (env->body_case == ROTA__ENVELOPE__BODY_EVENT && env->event != NULL &&
			    env->event->request_id == id && c->on_event != NULL)
				c->on_event(c->event_ctx, env->event);
			/* A stale answer, or an Event nobody asked for. */
			wire_msg_clear(&msg);
		}
	}
}

void
client_set_event_sink(client_t *c, client_event_fn fn, void *ctx)
{
	c->on_event = fn;
	c->event_ctx = ctx;
}

void
client_reply_free(Rota__Envelope **reply)
{
	if (*reply != NULL)
		rota__envelope__free_unpacked(*reply, NULL);
	*reply = NULL;
}
