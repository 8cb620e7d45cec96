/* coordinator_intake: reading the two ROUTER sockets in batches, what is
 * dropped (logged once a minute per peer), peers on the wrong endpoint told
 * where to go, and handshakes ZAP refused audited. What a message means is
 * coordinator_workers.c's and coordinator_operators.c's. */
#include "coordinator_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <zmq.h>

#include "clock.h"
#include "log.h"

/* Whether a line about msg's peer (its name into peer) may be logged now:
 * one a minute per kind (what, as "WHAT/endpoint/peer"), *suppressed the
 * lines held back since the last. */
static bool
coordinator_log_allow(coordinator_t *c, const char *what, const char *endpoint,
                      const wire_msg_t *msg, char *peer, size_t peer_len, uint64_t *suppressed)
{
	char key[192];
	wire_identity_str(msg->identity, msg->identity_len, peer, peer_len);
	snprintf(key, sizeof(key), "%s%s/%s", what, endpoint, peer);
	return log_limit_allow(&c->drop_log, key, clock_mono_ms(), COORDINATOR_DROP_LOG_MS,
	                       suppressed);
}

/* One line per peer per minute for whatever a peer sent that was dropped,
 * with how many more were dropped meanwhile. */
void
coordinator_log_drop(coordinator_t *c, const char *endpoint, const wire_msg_t *msg, const char *why)
{
	char peer[128];
	uint64_t suppressed = 0;
	if (coordinator_log_allow(c, "", endpoint, msg, peer, sizeof(peer), &suppressed))
		log_warn("dropped a frame from %s peer %s: %s (%llu more dropped since last said)",
		         endpoint, peer, why, (unsigned long long)suppressed);
}

void
coordinator_send_failed(void *ctx, void *sock, const uint8_t *identity, size_t identity_len,
                        int err)
{
	coordinator_t *c = ctx;
	bool api = sock == c->svc->api_sock;
	const char *endpoint = api ? "api" : "worker";
	bool full = err == EAGAIN;
	if (full)
		c->send_drops[api].full++;
	else
		c->send_drops[api].gone++;
	char peer[128], key[192];
	uint64_t suppressed = 0;
	wire_identity_str(identity, identity_len, peer, sizeof(peer));
	snprintf(key, sizeof(key), "send/%s/%s", endpoint, peer);
	if (log_limit_allow(&c->drop_log, key, clock_mono_ms(), COORDINATOR_DROP_LOG_MS,
	                    &suppressed))
		log_warn("could not send a message to %s peer %s: %s (%llu more dropped since last"
		         " said)",
		         endpoint, peer,
		         full ? "its queue is full (it does not read what it is sent)"
		              : "it is not connected",
		         (unsigned long long)suppressed);
}

/* A peer on the wrong endpoint (a worker pointed at the API, rota pointed
 * at the workers' endpoint) is told where to go instead of being left to
 * time out. */
void
coordinator_redirect(coordinator_t *c, void *sock, const wire_msg_t *msg, uint64_t request_id,
                     const char *text)
{
	Rota__Error err = ROTA__ERROR__INIT;
	err.code = ROTA__ERROR_CODE__ERR_BAD_REQUEST;
	err.message = (char *)text;
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = request_id;
	resp.error = &err;
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_RESPONSE;
	env.response = &resp;
	sendq_push(c->svc->sendq, sock, msg->identity, msg->identity_len, &env);
}

bool
coordinator_follower_redirect(coordinator_t *c, redirect_socket_t kind, void *sock,
                              const wire_msg_t *msg, uint64_t request_id)
{
	const char *endpoint = NULL;
	if (!redirect_target(c->svc, kind, &endpoint))
		return false;
	const char *name = kind == REDIRECT_WORKERS ? "worker" : "api";
	if (redirect_send(c->svc, kind, sock, msg->identity, msg->identity_len, request_id) != 0) {
		coordinator_log_drop(c, name, msg, "a Redirect to the leader could not be sent");
		return true;
	}
	char peer[128];
	uint64_t suppressed = 0;
	if (coordinator_log_allow(c, "redirect/", name, msg, peer, sizeof(peer), &suppressed))
		log_info("%s peer %s sent to the leader at %s (this coordinator follows; %llu more"
		         " since last said)",
		         name, peer, endpoint[0] ? endpoint : "(none known)",
		         (unsigned long long)suppressed);
	return true;
}

/* Reads up to COORDINATOR_BATCH messages; returns false when more wait. */
bool
coordinator_read(coordinator_t *c, void *sock, wire_stats_t *stats, const char *name,
                 void (*handle)(coordinator_t *, const wire_msg_t *))
{
	for (int i = 0; i < COORDINATOR_BATCH; i++) {
		wire_msg_t msg;
		int rc = wire_recv(sock, 1, &msg, stats);
		if (rc == WIRE_ERR_AGAIN)
			return true;
		if (rc == WIRE_ERR_IO) {
			log_error("%s socket: %s", name, zmq_strerror(errno));
			return true;
		}
		if (rc != WIRE_OK) {
			coordinator_log_drop(c, name, &msg, wire_strerror(rc));
			continue;
		}
		handle(c, &msg);
		wire_msg_clear(&msg);
	}
	return false;
}

/* The ZAP handler refused a handshake: counted, audited (rate-limited
 * per address in audit.c), logged by zap.c (once a minute per address). */
void
coordinator_auth_refused(void *ctx, zap_refusal_t kind, const char *domain, const char *address,
                         const char *key, const char *why)
{
	coordinator_t *c = ctx;
	audit_endpoint_t ep =
	    strcmp(domain, ZAP_DOMAIN_WORKERS) == 0 ? AUDIT_EP_WORKERS : AUDIT_EP_OPERATORS;
	audit_reason_t reason = kind == ZAP_REFUSED_MALFORMED ? AUDIT_AUTH_MALFORMED
	                        : kind == ZAP_REFUSED_DOMAIN  ? AUDIT_AUTH_DOMAIN
	                                                      : AUDIT_AUTH_UNLISTED;
	audit_auth_failure(c->svc->audit, clock_mono_ms(), clock_wall_ms(), ep, reason, address,
	                   key, why);
}
