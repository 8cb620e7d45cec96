/* wire: one protobuf Envelope per ZeroMQ frame.
 *
 * Every byte from a peer is untrusted. wire_recv reads one whole message,
 * checks its shape and size before decoding, decodes, checks the version
 * and that a body is set, and hands back either an envelope or an error
 * code for the caller to count and drop. It never aborts on peer input. */
#ifndef ROTA_WIRE_H
#define ROTA_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "rota.pb-c.h"

#define WIRE_VERSION 1
/* The longest a worker waits between attempts to reach a silent
 * coordinator (its backoff doubles from 250 ms up to this). A coordinator
 * that was itself stopped allows for it before calling a worker lost. */
#define WIRE_RECONNECT_MAX_MS 8000
/* Largest frame any rota peer sends: an Output chunk is at most 64 KiB and a
 * submitted runbook at most 1 MiB. Set as ZMQ_MAXMSGSIZE, so libzmq drops the
 * connection of a peer that sends more before it is buffered. */
#define WIRE_MAX_FRAME_BYTES (4 * 1024 * 1024)
/* The largest answer the coordinator builds: one frame, so an answer that
 * would not fit is refused with "answer too large" instead of being sent to
 * a CLI that would have to drop it. */
#define WIRE_MAX_ANSWER_BYTES WIRE_MAX_FRAME_BYTES
/* Bounded fields, refused at intake with the limit named (docs/protocol.md):
 * a worker's labels and hostname in its Hello, an incident's title. Sized so
 * a list of a thousand of them stays well inside one frame. */
#define WIRE_MAX_LABELS 64
#define WIRE_MAX_LABEL_BYTES 256    /* a label's key, and its value */
#define WIRE_MAX_HOSTNAME_BYTES 255 /* HOST_NAME_MAX */
#define WIRE_MAX_ADDRESSES 32       /* Hello.addresses */
#define WIRE_MAX_ADDRESS_BYTES 64   /* one of them: an IPv6 text is at most 45 */
#define WIRE_MAX_VERSION_BYTES 64
#define WIRE_MAX_TITLE_BYTES 512 /* an incident's title */
/* A ROUTER identity is a worker id or a libzmq-made id: bounded. */
#define WIRE_MAX_IDENTITY_BYTES 255
/* A ZAP user id is a worker id or an operator name (keys_valid_name). */
#define WIRE_MAX_USER_ID_BYTES 128

typedef enum {
	WIRE_OK = 0,
	WIRE_ERR_AGAIN = -1,   /* nothing to read (non-blocking) */
	WIRE_ERR_SHAPE = -2,   /* wrong number of frames */
	WIRE_ERR_SIZE = -3,    /* empty or over WIRE_MAX_FRAME_BYTES */
	WIRE_ERR_DECODE = -4,  /* not a protobuf Envelope */
	WIRE_ERR_VERSION = -5, /* another protocol version */
	WIRE_ERR_EMPTY = -6,   /* decoded, but no body set (or an unknown one) */
	WIRE_ERR_IO = -7,      /* libzmq failed; errno says why */
	WIRE_ERR_RANGE = -8,   /* a field out of its range (a Result's exit code...) */
} wire_err_t;

/* Counts of dropped frames, by reason, for a socket's owner to expose. */
typedef struct {
	uint64_t received;
	uint64_t dropped_shape;
	uint64_t dropped_size;
	uint64_t dropped_decode;
	uint64_t dropped_version;
	uint64_t dropped_empty;
	uint64_t dropped_range;
} wire_stats_t;

/* The ranges wire_decode holds a Result to: what a process can report. */
#define WIRE_MAX_EXIT_CODE 255
#define WIRE_MAX_SIGNAL 64                 /* SIGRTMAX on Linux */
#define WIRE_MAX_TIME_MS 253402300799999LL /* 9999-12-31T23:59:59.999Z */

/* One received message. identity is set for ROUTER sockets. src_fd and
 * peer say which connection it came on (libzmq's ZMQ_SRCFD and the peer's
 * "address:port"; -1 and "" when unknown): a ROUTER identity can move from
 * one connection to another (ZMQ_ROUTER_HANDOVER), the connection cannot.
 * peer is filled only when wire_peer asks (a getpeername() per message was a
 * quarter of an idle coordinator's time with 10,000 workers heartbeating). */
/* The connection property the coordinator's ZAP handler sets to the key a
 * CURVE peer authenticated with (Z85, 40 characters). */
#define WIRE_KEY_PROPERTY "X-Rota-Key"
#define WIRE_KEY_CHARS 40

typedef struct {
	uint8_t identity[WIRE_MAX_IDENTITY_BYTES + 1];
	size_t identity_len;
	int src_fd;
	char peer[64];
	/* The user id the coordinator's ZAP handler gave the connection at its
	 * CURVE handshake (libzmq's "User-Id" property): the worker id or
	 * operator name its key is listed under. "" without CURVE. */
	char user_id[WIRE_MAX_USER_ID_BYTES + 1];
	/* The Z85 of the key it authenticated with (WIRE_KEY_PROPERTY, from
	 * the ZAP reply's metadata); "" without CURVE. */
	char user_key[WIRE_KEY_CHARS + 1];
	Rota__Envelope *env; /* owned; free with wire_msg_clear */
} wire_msg_t;

/* Applies rota's socket options: ZMQ_MAXMSGSIZE, no linger on close. */
int wire_socket_setup(void *sock);

/* Encodes env with version WIRE_VERSION into a new buffer the caller frees. */
uint8_t *wire_encode(Rota__Envelope *env, size_t *len);
/* Decodes and validates one frame. On WIRE_OK *out is the caller's. */
int wire_decode(const uint8_t *data, size_t len, Rota__Envelope **out);

/* Fills *dst with src's four fields (the strings borrowed from src) and
 * nothing else. A key taken from a peer's message and sent back must go
 * through here: protobuf-c keeps a peer's unknown fields and packs them
 * again, and some it accepts (field number 0, written as a two-byte varint)
 * it packs into a frame nobody can decode. */
void wire_step_key_copy(Rota__StepKey *dst, const Rota__StepKey *src);

/* Sends env without blocking. identity non-NULL prefixes a ROUTER identity
 * frame. Returns 0, or -1 with errno (EAGAIN when the peer's queue is full,
 * EHOSTUNREACH when a ROUTER peer is gone). */
int wire_send(void *sock, const uint8_t *identity, size_t identity_len, Rota__Envelope *env);
/* Sends an already encoded frame; same contract as wire_send. */
int wire_send_raw(void *sock, const uint8_t *identity, size_t identity_len, const uint8_t *data,
                  size_t len);

/* Receives one message without blocking; router selects whether an
 * identity frame comes first. Every error but WIRE_ERR_AGAIN and
 * WIRE_ERR_IO has consumed the whole bad message and is counted in stats. */
int wire_recv(void *sock, int router, wire_msg_t *msg, wire_stats_t *stats);
void wire_msg_clear(wire_msg_t *msg);
/* The peer's "address:port" of the connection msg came on, found on first
 * use while the connection is open ("" when it cannot be). */
const char *wire_peer(const wire_msg_t *msg);

/* Whether a Hello's hostname, version and labels are within the bounds
 * above: 0, or -1 with why (naming the field and its limit) in buf. */
int wire_hello_check(const Rota__Hello *hello, char *buf, size_t buflen);
/* Whether one label key=value is within WIRE_MAX_LABEL_BYTES: 0, or -1 with
 * why in buf. */
int wire_label_check(const char *key, const char *value, char *buf, size_t buflen);

const char *wire_strerror(int err);
/* A printable form of a ROUTER identity into buf (hex when not printable). */
const char *wire_identity_str(const uint8_t *id, size_t len, char *buf, size_t buflen);

#endif
