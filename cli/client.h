/* client: the CLI's one DEALER connection to the coordinator's operator API.
 *
 * One request at a time: send a Request, wait for the Response carrying the
 * same id, bounded by a timeout. It knows nothing about what the requests
 * mean and prints nothing; callers decide what an error means to the
 * operator. It must never block without a bound. */
#ifndef ROTA_CLIENT_H
#define ROTA_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "keys.h"
#include "rota.pb-c.h"

typedef struct client client_t;

typedef enum {
	CLIENT_OK = 0,
	CLIENT_ERR_TIMEOUT = -1,   /* no matching Response within the timeout */
	CLIENT_ERR_IO = -2,        /* libzmq failed; errno says why */
	CLIENT_ERR_REFUSED = -3,   /* the coordinator refused our key (client_why) */
	CLIENT_ERR_HANDSHAKE = -4, /* the handshake failed otherwise (client_why) */
	CLIENT_ERR_TOO_LARGE = -5, /* an answer over WIRE_MAX_ANSWER_BYTES arrived */
	/* Nobody answers at the endpoint now (the connection was refused or
	 * closed); only with client_set_leave_when_down. */
	CLIENT_ERR_DOWN = -6,
} client_err_t;

/* What libzmq lets in on the CLI's socket: far above WIRE_MAX_ANSWER_BYTES,
 * so an oversized answer (which the coordinator never builds) arrives and is
 * reported as too large instead of libzmq dropping the connection, which
 * would read as an unreachable coordinator. Still bounded: a peer that is
 * not a coordinator cannot make the CLI allocate what it likes. */
#define CLIENT_MAX_RECV_BYTES (256LL * 1024 * 1024)

/* Makes a context and a DEALER socket connected to endpoint. Connecting is
 * lazy in ZeroMQ, so this succeeds for an endpoint nobody listens on; it
 * returns NULL (errno set) only for a malformed endpoint or a libzmq
 * failure. endpoint is copied. */
client_t *client_new(const char *endpoint);
/* The same as a CURVE client with the key pair mine, accepting only a
 * coordinator holding server's public key (both copied). */
client_t *client_new_curve(const char *endpoint, const keys_pair_t *mine,
                           const keys_pair_t *server);
void client_destroy(client_t **cp);

/* The endpoint given to client_new; borrowed. */
const char *client_endpoint(const client_t *c);

/* Sends req (its id is set here, increasing per client) and waits at most
 * timeout_ms for the Response with that id; Responses with other ids are
 * stale answers to requests already given up on, and are dropped, as are
 * frames that fail wire checks. On CLIENT_OK *reply is the caller's and
 * (*reply)->response is set; free it with client_reply_free. */
int client_call(client_t *c, Rota__Request *req, int timeout_ms, Rota__Envelope **reply);
void client_reply_free(Rota__Envelope **reply);
/* Events (Envelope.event) carrying the id of the request in flight are
 * given to fn, borrowed for the call, before its Response; others are
 * dropped. NULL: all are dropped. */
typedef void (*client_event_fn)(void *ctx, const Rota__Event *ev);
void client_set_event_sink(client_t *c, client_event_fn fn, void *ctx);

/* After CLIENT_ERR_REFUSED or CLIENT_ERR_HANDSHAKE: what happened and what
 * to fix. Borrowed. */
const char *client_why(const client_t *c);

/* With leave set, client_call returns CLIENT_ERR_DOWN as soon as the
 * connection is refused or closed, instead of waiting out its timeout
 * while libzmq dials again: for a caller with other coordinators to try. */
void client_set_leave_when_down(client_t *c, bool leave);
/* Whether the request of the last client_call may have been read by a
 * coordinator: a connection was up when it was sent, or came up while it
 * waited. false means it was never delivered, so sending it to another
 * coordinator cannot do it twice. */
bool client_may_have_reached(const client_t *c);

#endif
