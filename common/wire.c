/* wire: framing, size checks and decoding of rota's ZeroMQ messages.
 *
 * Must never: abort, block, or hand a caller an envelope that did not pass
 * every check. */
#include "wire.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <zmq.h>

#include "xalloc.h"

int
wire_socket_setup(void *sock)
{
	int64_t max = WIRE_MAX_FRAME_BYTES;
	int linger = 0;
	if (zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &max, sizeof(max)) != 0)
		return -1;
	if (zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof(linger)) != 0)
		return -1;
	return 0;
}

uint8_t *
wire_encode(Rota__Envelope *env, size_t *len)
{
	env->version = WIRE_VERSION;
	size_t n = rota__envelope__get_packed_size(env);
	uint8_t *buf = xmalloc(n);
	rota__envelope__pack(env, buf);
	*len = n;
	return buf;
}

/* Numbers no process can report are refused before anything stores them:
 * an exit code is 0..255, a signal 0..WIRE_MAX_SIGNAL, a time from the
 * epoch to the year 9999. */
static bool
wire_in_range(const Rota__Envelope *env)
{
	if (env->body_case != ROTA__ENVELOPE__BODY_RESULT || env->result == NULL)
		return true;
	const Rota__Result *r = env->result;
	return r->exit_code >= 0 && r->exit_code <= WIRE_MAX_EXIT_CODE && r->signal >= 0 &&
	       r->signal <= WIRE_MAX_SIGNAL && r->started_ms >= 0 &&
	       r->started_ms <= WIRE_MAX_TIME_MS && r->ended_ms >= 0 &&
	       r->ended_ms <= WIRE_MAX_TIME_MS;
}

int
wire_decode(const uint8_t *data, size_t len, Rota__Envelope **out)
{
	*out = NULL;
	if (len == 0 || len > WIRE_MAX_FRAME_BYTES)
		return WIRE_ERR_SIZE;
	Rota__Envelope *env = rota__envelope__unpack(NULL, len, data);
	if (env == NULL)
		return WIRE_ERR_DECODE;
	if (env->version != WIRE_VERSION) {
		rota__envelope__free_unpacked(env, NULL);
		return WIRE_ERR_VERSION;
	}
	if (env->body_case == ROTA__ENVELOPE__BODY__NOT_SET) {
		rota__envelope__free_unpacked(env, NULL);
		return WIRE_ERR_EMPTY;
	}
	if (!wire_in_range(env)) {
		rota__envelope__free_unpacked(env, NULL);
		return WIRE_ERR_RANGE;
	}
	*out = env;
	return WIRE_OK;
}

void
wire_step_key_copy(Rota__StepKey *dst, const Rota__StepKey *src)
{
	rota__step_key__init(dst);
	dst->run_id = src->run_id;
	dst->step_id = src->step_id;
	dst->host = src->host;
	dst->attempt = src->attempt;
}

int
wire_send_raw(void *sock, const uint8_t *identity, size_t identity_len, const uint8_t *data,
              size_t len)
{
	if (identity != NULL) {
		if (zmq_send(sock, identity, identity_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
			return -1;
	}
	if (zmq_send(sock, data, len, ZMQ_DONTWAIT) < 0)
		return -1;
	return 0;
}

int
wire_send(void *sock, const uint8_t *identity, size_t identity_len, Rota__Envelope *env)
{
	size_t len;
	uint8_t *buf = wire_encode(env, &len);
	int rc = wire_send_raw(sock, identity, identity_len, buf, len);
	int saved = errno;
	free(buf);
	errno = saved;
	return rc;
}

/* Reads and discards what is left of a multi-frame message. */
static void
wire_drain(void *sock)
{
	int more = 1;
	size_t sz = sizeof(more);
	while (zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &sz) == 0 && more) {
		zmq_msg_t m;
		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, sock, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&m);
			return;
		}
		zmq_msg_close(&m);
		sz = sizeof(more);
	}
}

static int
wire_has_more(void *sock)
{
	int more = 0;
	size_t sz = sizeof(more);
	if (zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &sz) != 0)
		return 0;
	return more;
}

const char *
wire_peer(const wire_msg_t *cmsg)
{
	/* peer is a cache of what the fd says: filling it does not change the
	 * message. */
	wire_msg_t *msg = (wire_msg_t *)cmsg;
	if (msg->peer[0] != '\0' || msg->src_fd < 0)
		return msg->peer;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "";
	if (getpeername(msg->src_fd, (struct sockaddr *)&ss, &sl) != 0)
		return msg->peer;
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		snprintf(msg->peer, sizeof(msg->peer), "%s:%u", host, ntohs(in->sin_port));
	} else if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(msg->peer, sizeof(msg->peer), "[%s]:%u", host, ntohs(in6->sin6_port));
	}
	return msg->peer;
}

int
wire_recv(void *sock, int router, wire_msg_t *msg, wire_stats_t *stats)
{
	memset(msg, 0, sizeof(*msg));
	msg->src_fd = -1;
	zmq_msg_t frame;

	if (router) {
		zmq_msg_init(&frame);
		if (zmq_msg_recv(&frame, sock, ZMQ_DONTWAIT) < 0) {
			int saved = errno;
			zmq_msg_close(&frame);
			errno = saved;
			return saved == EAGAIN ? WIRE_ERR_AGAIN : WIRE_ERR_IO;
		}
		size_t idlen = zmq_msg_size(&frame);
		if (idlen > WIRE_MAX_IDENTITY_BYTES)
			idlen = WIRE_MAX_IDENTITY_BYTES;
		memcpy(msg->identity, zmq_msg_data(&frame), idlen);
		msg->identity_len = idlen;
		zmq_msg_close(&frame);
		if (!wire_has_more(sock)) {
			stats->received++;
			stats->dropped_shape++;
			return WIRE_ERR_SHAPE;
		}
	}

	zmq_msg_init(&frame);
	if (zmq_msg_recv(&frame, sock, ZMQ_DONTWAIT) < 0) {
		int saved = errno;
		zmq_msg_close(&frame);
		errno = saved;
		if (router) {
			/* The identity arrived but its body did not: count it. */
			stats->received++;
			stats->dropped_shape++;
			return WIRE_ERR_SHAPE;
		}
		return saved == EAGAIN ? WIRE_ERR_AGAIN : WIRE_ERR_IO;
	}
	stats->received++;
	/* Which connection it came on: the fd is unique while the
	 * connection is open. */
	if (router)
		msg->src_fd = zmq_msg_get(&frame, ZMQ_SRCFD);
	/* Set by libzmq from the ZAP reply, so a peer cannot choose it; one
	 * that does not fit is not a name the keyring holds, and reads as none. */
	const char *user = zmq_msg_gets(&frame, "User-Id");
	if (user != NULL && strlen(user) <= WIRE_MAX_USER_ID_BYTES)
		snprintf(msg->user_id, sizeof(msg->user_id), "%s", user);
	const char *key = user != NULL ? zmq_msg_gets(&frame, WIRE_KEY_PROPERTY) : NULL;
	if (key != NULL && strlen(key) == WIRE_KEY_CHARS)
		snprintf(msg->user_key, sizeof(msg->user_key), "%s", key);
	if (wire_has_more(sock)) {
		zmq_msg_close(&frame);
		wire_drain(sock);
		stats->dropped_shape++;
		return WIRE_ERR_SHAPE;
	}
	int rc = wire_decode(zmq_msg_data(&frame), zmq_msg_size(&frame), &msg->env);
	zmq_msg_close(&frame);
	switch (rc) {
	case WIRE_OK:
		break;
	case WIRE_ERR_SIZE:
		stats->dropped_size++;
		break;
	case WIRE_ERR_DECODE:
		stats->dropped_decode++;
		break;
	case WIRE_ERR_VERSION:
		stats->dropped_version++;
		break;
	case WIRE_ERR_RANGE:
		stats->dropped_range++;
		break;
	default:
		stats->dropped_empty++;
		break;
	}
	return rc;
}

void
wire_msg_clear(wire_msg_t *msg)
{
	if (msg->env != NULL)
		rota__envelope__free_unpacked(msg->env, NULL);
	msg->env = NULL;
}

int
wire_label_check(const char *key, const char *value, char *buf, size_t buflen)
{
	size_t kl = key ? strlen(key) : 0, vl = value ? strlen(value) : 0;
	if (kl > WIRE_MAX_LABEL_BYTES) {
		snprintf(buf, buflen, "label key '%.32s...' is %zu bytes; the limit is %d bytes",
		         key, kl, WIRE_MAX_LABEL_BYTES);
		return -1;
	}
	if (vl > WIRE_MAX_LABEL_BYTES) {
		snprintf(buf, buflen, "label %s has a value of %zu bytes; the limit is %d bytes",
		         key, vl, WIRE_MAX_LABEL_BYTES);
		return -1;
	}
	return 0;
}

int
wire_hello_check(const Rota__Hello *hello, char *buf, size_t buflen)
{
	size_t hl = hello->hostname ? strlen(hello->hostname) : 0;
	size_t vl = hello->version ? strlen(hello->version) : 0;
	if (hl > WIRE_MAX_HOSTNAME_BYTES) {
		snprintf(buf, buflen, "its hostname is %zu bytes; the limit is %d bytes", hl,
		         WIRE_MAX_HOSTNAME_BYTES);
		return -1;
	}
	if (vl > WIRE_MAX_VERSION_BYTES) {
		snprintf(buf, buflen, "its version is %zu bytes; the limit is %d bytes", vl,
		         WIRE_MAX_VERSION_BYTES);
		return -1;
	}
	if (hello->n_labels > WIRE_MAX_LABELS) {
		snprintf(buf, buflen, "it has %zu labels; the limit is %d labels", hello->n_labels,
		         WIRE_MAX_LABELS);
		return -1;
	}
	for (size_t i = 0; i < hello->n_labels; i++) {
		const Rota__Label *l = hello->labels[i];
		if (l != NULL && wire_label_check(l->key, l->value, buf, buflen) != 0)
			return -1;
	}
	if (hello->n_addresses > WIRE_MAX_ADDRESSES) {
		snprintf(buf, buflen, "it has %zu addresses; the limit is %d addresses",
		         hello->n_addresses, WIRE_MAX_ADDRESSES);
		return -1;
	}
	for (size_t i = 0; i < hello->n_addresses; i++) {
		size_t al = hello->addresses[i] ? strlen(hello->addresses[i]) : 0;
		if (al > WIRE_MAX_ADDRESS_BYTES) {
			snprintf(buf, buflen, "an address of %zu bytes; the limit is %d bytes", al,
			         WIRE_MAX_ADDRESS_BYTES);
			return -1;
		}
	}
	return 0;
}

const char *
wire_strerror(int err)
{
	switch (err) {
	case WIRE_OK:
		return "ok";
	case WIRE_ERR_AGAIN:
		return "no message";
	case WIRE_ERR_SHAPE:
		return "wrong number of frames";
	case WIRE_ERR_SIZE:
		return "frame empty or too large";
	case WIRE_ERR_DECODE:
		return "frame is not a rota envelope";
	case WIRE_ERR_VERSION:
		return "unsupported protocol version";
	case WIRE_ERR_EMPTY:
		return "envelope has no known body";
	case WIRE_ERR_IO:
		return "socket error";
	case WIRE_ERR_RANGE:
		return "a field is out of its range (exit code 0-255, signal 0-64, time from 1970"
		       " to 9999)";
	}
	return "unknown wire error";
}

const char *
wire_identity_str(const uint8_t *id, size_t len, char *buf, size_t buflen)
{
	int printable = len > 0;
	for (size_t i = 0; i < len; i++) {
		if (id[i] < 0x21 || id[i] > 0x7e)
			printable = 0;
	}
	size_t o = 0;
	if (printable) {
		o = (size_t)snprintf(buf, buflen, "%.*s", (int)len, (const char *)id);
	} else {
		o = (size_t)snprintf(buf, buflen, "0x");
		for (size_t i = 0; i < len && o + 3 < buflen; i++)
			o += (size_t)snprintf(buf + o, buflen - o, "%02x", id[i]);
	}
	(void)o;
	return buf;
}
