/* curve: CURVE client options and handshake monitoring (see curve.h).
 *
 * Must never: block (the monitor is read with ZMQ_DONTWAIT), or leave an
 * event half read. */
#include "curve.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

int
curve_client_setup(void *sock, const keys_pair_t *mine, const keys_pair_t *server)
{
	if (!mine->has_secret) {
		errno = EINVAL;
		return -1;
	}
	if (zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, server->public_key, KEYS_BYTES) != 0 ||
	    zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, mine->public_key, KEYS_BYTES) != 0 ||
	    zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, mine->secret_key, KEYS_BYTES) != 0)
		return -1;
	return 0;
}

void *
curve_monitor_open(void *ctx, void *sock)
{
	/* One inproc name per monitored socket: a name is freed only once
	 * its monitor stops, and the worker makes a socket per connection. */
	static unsigned serial;
	char endpoint[64];
	snprintf(endpoint, sizeof(endpoint), "inproc://rota-curve-monitor-%ld-%u", (long)getpid(),
	         serial++);
	int events = ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
	             ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
	             ZMQ_EVENT_CONNECT_RETRIED;
	if (zmq_socket_monitor(sock, endpoint, events) != 0)
		return NULL;
	void *mon = zmq_socket(ctx, ZMQ_PAIR); /* owned: returned */
	if (mon == NULL) {
		int saved = errno;
		zmq_socket_monitor(sock, NULL, 0); /* no reader: stop the events */
		errno = saved;
		return NULL;
	}
	int linger = 0;
	zmq_setsockopt(mon, ZMQ_LINGER, &linger, sizeof(linger));
	if (zmq_connect(mon, endpoint) != 0) {
		int saved = errno;
		zmq_socket_monitor(sock, NULL, 0);
		zmq_close(mon);
		errno = saved;
		return NULL;
	}
	return mon;
}

/* libzmq sends each event from its I/O thread with a blocking send on the
 * inproc PAIR it binds. With our end closed first, an event still due (a
 * handshake finishing as the socket is given up: a coordinator thawing
 * just then) blocks that thread for good, and every connection of the
 * context with it. So the monitor is stopped first, our end closed last. */
void
curve_monitor_close(void *sock, void **mon)
{
	if (sock != NULL)
		zmq_socket_monitor(sock, NULL, 0);
	if (*mon != NULL)
		zmq_close(*mon);
	*mon = NULL;
}

static void
curve_describe_protocol(uint32_t value, bool secure, char *why, size_t len)
{
	switch (value) {
	case ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH:
		if (secure)
			snprintf(why, len,
			         "the coordinator does not use CURVE (it runs without a key) while"
			         " this side does; start it with its key, or drop --key and"
			         " --coordinator-key here");
		else
			snprintf(why, len,
			         "the coordinator requires CURVE keys and none were given: give"
			         " --key FILE and --coordinator-key FILE (rota keygen makes a key"
			         " pair; its public key must be listed on the coordinator)");
		return;
	case ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC:
	case ZMQ_PROTOCOL_ERROR_ZMTP_KEY_EXCHANGE:
		snprintf(why, len,
		         "the CURVE handshake failed its cryptographic check (protocol error"
		         " 0x%08x): the coordinator's key is not the one in --coordinator-key",
		         value);
		return;
	default:
		snprintf(why, len, "the handshake failed with protocol error 0x%08x%s", value,
		         secure ? ": check --coordinator-key against the coordinator's public key"
		                : "");
		return;
	}
}

curve_event_t
curve_monitor_read(void *mon, bool secure, char *why, size_t len)
{
	zmq_msg_t frame;
	zmq_msg_init(&frame);
	if (zmq_msg_recv(&frame, mon, ZMQ_DONTWAIT) < 0) {
		zmq_msg_close(&frame);
		return CURVE_EVENT_NONE;
	}
	uint16_t event = 0;
	uint32_t value = 0;
	bool shaped = zmq_msg_size(&frame) == 6;
	if (shaped) {
		const uint8_t *d = zmq_msg_data(&frame);
		memcpy(&event, d, sizeof(event));
		memcpy(&value, d + 2, sizeof(value));
	}
	int more = zmq_msg_more(&frame);
	zmq_msg_close(&frame);
	/* The second frame is the endpoint: read it so the next read starts
	 * at an event. */
	while (more) {
		zmq_msg_init(&frame);
		if (zmq_msg_recv(&frame, mon, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&frame);
			break;
		}
		more = zmq_msg_more(&frame);
		zmq_msg_close(&frame);
	}
	if (!shaped)
		return CURVE_EVENT_NONE;
	switch (event) {
	case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
		return CURVE_EVENT_OK;
	case ZMQ_EVENT_CONNECT_RETRIED:
		/* libzmq schedules a new dial both when a connect is refused
		 * and when a connection closes. */
		snprintf(why, len, "nobody answers there now (refused, or the connection closed)");
		return CURVE_EVENT_DOWN;
	case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
		/* 500: rota's ZAP handler says this key's worker is connected
		 * already (coordinator/zap.h). */
		if (value == 500) {
			snprintf(why, len,
			         "the coordinator refused this connection for now (status 500): the"
			         " worker of this key is connected already, from another process"
			         " with the same id and key? (the coordinator's log says from"
			         " where)");
			return CURVE_EVENT_REFUSED;
		}
		snprintf(why, len,
		         "the coordinator refused this key (status %u): its public key is not"
		         " listed there (a worker's in authorized_workers/ID, an operator's in"
		         " operators.yaml)",
		         value);
		return CURVE_EVENT_REFUSED;
	case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
		curve_describe_protocol(value, secure, why, len);
		return CURVE_EVENT_FAILED;
	case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
		if (secure)
			snprintf(why, len,
			         "the coordinator closed the connection during the CURVE handshake"
			         " (%s): its key is most likely not the one in --coordinator-key",
			         value ? zmq_strerror((int)value) : "no detail");
		else
			snprintf(
			    why, len,
			    "the coordinator closed the connection during the handshake (%s): it"
			    " most likely requires CURVE keys; give --key FILE and"
			    " --coordinator-key FILE (rota keygen makes a key pair; its public key"
			    " must be listed on the coordinator)",
			    value ? zmq_strerror((int)value) : "no detail");
		return CURVE_EVENT_FAILED;
	default:
		return CURVE_EVENT_NONE;
	}
}
