/* curve: the client side of rota's CURVE sockets (worker and CLI).
 *
 * A client pins the coordinator's public key: a server with another key
 * cannot finish the handshake. libzmq says nothing through the socket when
 * a handshake fails (it just reconnects), so a monitor socket reports the
 * handshake events and curve_monitor_read turns them into words an
 * operator can act on, instead of a silent timeout.
 *
 * Must never: let a failed handshake pass without a reason to show. */
#ifndef ROTA_CURVE_H
#define ROTA_CURVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keys.h"

/* Makes sock a CURVE client with mine (has_secret) that accepts only a
 * server holding server's key. Before zmq_connect. -1 with errno. */
int curve_client_setup(void *sock, const keys_pair_t *mine, const keys_pair_t *server);

/* Starts monitoring sock's handshakes; returns the PAIR socket the events
 * arrive on (the caller's: close it before sock's context ends), or NULL
 * with errno. */
void *curve_monitor_open(void *ctx, void *sock);

/* Stops monitoring sock and closes the PAIR of curve_monitor_open (*monp;
 * nulled; NULL is fine). Before closing sock: libzmq's I/O thread sends
 * each event with a blocking send, so an event for a monitor already closed
 * (a reconnect, the close itself) would stall every socket of the context. */
void curve_monitor_close(void *sock, void **monp);

typedef enum {
	CURVE_EVENT_NONE = 0, /* nothing to read */
	CURVE_EVENT_OK,       /* a handshake succeeded */
	CURVE_EVENT_REFUSED,  /* the server refused our key (ZAP) */
	CURVE_EVENT_FAILED,   /* the handshake failed otherwise */
	/* No connection now: the endpoint refused it (nobody listens) or
	 * the one there closed; libzmq dials again by itself. A client with
	 * other coordinators to try moves on instead of waiting. */
	CURVE_EVENT_DOWN,
} curve_event_t;

/* Reads one event without blocking. For REFUSED, FAILED and DOWN, why (len
 * bytes) says what happened and what to fix; secure says whether this
 * side uses CURVE (it changes what a mismatch means). */
curve_event_t curve_monitor_read(void *mon, bool secure, char *why, size_t len);

#endif
