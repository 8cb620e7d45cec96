/* redirect: where a coordinator sends others.
 *
 * Several coordinators on one PostgreSQL store elect one leader
 * (docs/ha.md); only the leader acts. This module owns the two answers to
 * "where do I go": what this coordinator advertises (the endpoints workers,
 * operators and browsers are sent to in order to reach it: --advertise-*,
 * else what it bound), which a leader writes in its leader row; and a
 * follower's answer, a Redirect to the leader's advertised endpoint, sent
 * instead of a Welcome to a worker and instead of the answer to an
 * operator's request (except `status`, which a follower answers itself).
 *
 * Who leads is not decided here: the leader module keeps
 * services.leadership current; until it says this coordinator follows,
 * it leads and redirect_target is false.
 *
 * Must never: send a peer to an endpoint that cannot be dialled (a
 * wildcard address), or redirect on a leader. */
#ifndef ROTA_REDIRECT_H
#define ROTA_REDIRECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coordinator.h"
#include "rota.pb-c.h"

typedef struct services services_t;

typedef enum {
	REDIRECT_WORKERS,   /* the workers' endpoint: a Redirect instead of a Welcome */
	REDIRECT_OPERATORS, /* the operator API: a Redirect instead of an answer */
} redirect_socket_t;

#define REDIRECT_ENDPOINT_MAX 256

/* What this coordinator tells others to dial. "" for one it cannot say: a
 * wildcard address bound without --advertise-* (problem then says which,
 * and the fix), or HTTP off. */
typedef struct {
	char worker[REDIRECT_ENDPOINT_MAX];
	char api[REDIRECT_ENDPOINT_MAX];
	char http[REDIRECT_ENDPOINT_MAX]; /* http://HOST:PORT */
	char problem[512];                /* "" when worker and api are known */
} redirect_advertised_t;

/* Who leads, as this coordinator last read it (the leader row). Plain
 * data, written by the leader module; zeroed (this coordinator leads)
 * until then. */
typedef struct {
	bool follower; /* this coordinator follows: it redirects */
	uint64_t epoch;
	char id[64];
	char worker[REDIRECT_ENDPOINT_MAX]; /* the leader's advertised endpoints; "" unknown */
	char api[REDIRECT_ENDPOINT_MAX];
	char http[REDIRECT_ENDPOINT_MAX];
} redirect_leader_t;

/* Fills *out from the options (--advertise-worker, --advertise-api,
 * --advertise-http) and, for those not given, the endpoints as bound
 * (bound_http "HOST:PORT", or NULL with HTTP off). -1 with *error (caller
 * frees) for a given one that cannot be dialled, naming the option and the
 * fix; a bound wildcard address only sets out->problem. */
int redirect_advertise(const coordinator_config_t *opts, const char *bound_worker,
                       const char *bound_api, const char *bound_http, redirect_advertised_t *out,
                       char **error);
/* What --check says of the --advertise-* options given: -1 with *error
 * (caller frees) for the first that start would refuse. */
int redirect_advertise_check(const coordinator_config_t *opts, char **error);
/* For a coordinator that may follow (a store shared with others): -1 with
 * *error (caller frees, out->problem and the fix) when its worker or
 * operator endpoint cannot be advertised, since a follower could then send
 * nobody to it once it leads. */
int redirect_advertise_ready(const redirect_advertised_t *adv, char **error);

/* Whether this coordinator sends the peers of kind to the leader rather
 * than answer them (it follows), and where: *endpoint is the leader's
 * advertised endpoint for that socket, borrowed from svc, "" when no
 * leader is known. false on a leader (*endpoint untouched). */
bool redirect_target(const services_t *svc, redirect_socket_t kind, const char **endpoint);
/* Whether a follower answers req itself: `status` (its own state, and who
 * leads). */
bool redirect_answers_here(const Rota__Request *req);
/* The words of a Redirect to endpoint ("" = no leader known) for a peer
 * of kind, into buf: what an older worker logs and an older rota prints. */
void redirect_text(const services_t *svc, redirect_socket_t kind, const char *endpoint, char *buf,
                   size_t len);
/* Sends the Redirect now, on sock, to identity: a Response answering
 * request_id (0 for a worker) with error ERR_REDIRECT and the text, and
 * the leader in its redirect. Not held for a commit: it promises nothing.
 * 0, or -1 with errno when the send failed (the peer is gone). */
int redirect_send(const services_t *svc, redirect_socket_t kind, void *sock,
                  const uint8_t *identity, size_t identity_len, uint64_t request_id);
/* The leader's answer to a worker's probe (Heartbeat.probe): a Redirect
 * naming this coordinator (id), its epoch and its advertised worker
 * endpoint, with leads_here set, so a worker whose coordinator went
 * silent learns that another one leads under a newer epoch without
 * waiting out the silence. Sent now, on sock, to identity; it promises
 * nothing (the worker still says Hello). 0, or -1 with errno. */
int redirect_send_here(const services_t *svc, const char *id, void *sock, const uint8_t *identity,
                       size_t identity_len);

#endif
