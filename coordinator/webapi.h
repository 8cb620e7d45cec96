/* webapi: the JSON API under /v1/ that the web console and scripts use,
 * served by the coordinator's HTTP endpoint (http/httpd.h) in the loop.
 *
 * One table of routes (webapi.c): method, path pattern, the least role,
 * handler. A read or an action is an operator request handed to the same
 * handler the operators' socket uses (api_handle, with api_t.captured set):
 * so roles, refusals and audit rows are exactly the CLI's, and every answer
 * is the document the CLI's --json prints for it (common/jsondoc.h).
 *
 * Who asks: a session (cookie rota_session, made by `rota web login`), or,
 * on a coordinator without CURVE keys, anyone who reaches the endpoint, with
 * the rights the CLI has there (admin). Every request that changes state
 * carries the session's CSRF token in X-CSRF-Token (GET /v1/session says
 * it).
 *
 * Must never: block the loop (every handler reads the store or queues),
 * act before the caller's role is checked, or answer a state change before
 * its turn (and its audit row) is committed. */
#ifndef ROTA_WEBAPI_H
#define ROTA_WEBAPI_H

#include <stdbool.h>
#include <stdint.h>

#include "api.h"
#include "http/http.h"

typedef struct webapi webapi_t;

/* What the coordinator lends the API; every pointer borrowed. */
typedef struct {
	services_t *svc;
	api_t *api; /* the operators' API state: caller fields set per call */
	/* Why a request that writes cannot be taken now (stopping, the store
	 * unwritable, a follower), or NULL when it can; borrowed. */
	const char *(*write_refusal)(void *ctx);
	/* Ends the turn of a request that wrote: commits, then sends what
	 * waited for the commit. 0, or -1 when the commit failed (nothing
	 * happened; the coordinator resyncs). */
	int (*commit)(void *ctx);
	void *ctx;
	/* The endpoint speaks HTTPS: session cookies get Secure, links
	 * https://. */
	bool tls;
	/* Beyond loopback over plain HTTP (no --insecure): every request is
	 * refused, naming the fix. */
	bool console_needs_tls;
	/* Where browsers reach this endpoint: "HOST:PORT" (--advertise-http,
	 * else as bound; borrowed, outlives the API). */
	const char *base;
} webapi_config_t;

/* NULL never: the sessions live in the store (svc->store). */
webapi_t *webapi_new(const webapi_config_t *cfg);
void webapi_destroy(webapi_t **wp);

/* A one-time login link lasts this long, a session this long. */
#define WEBAPI_LOGIN_TTL_MS (5 * 60 * 1000)
#define WEBAPI_SESSION_TTL_MS (12 * 60 * 60 * 1000)
/* The session cookie's name. */
#define WEBAPI_COOKIE "rota_session"

/* Makes a one-time login link for operator (its role and key's
 * fingerprint), in the open turn: *url (caller frees) is the endpoint's
 * /v1/login?token=SECRET. 0, or -1 with *error (caller frees). */
int webapi_login_issue(webapi_t *w, const char *operator, int role, const char *key, int64_t now_ms,
                       char **url, int64_t *expires_ms, char **error);

/* Makes a calendar feed link of rotation for `rota oncall feed`, in the
 * open turn (by: who asked): *url (caller frees) is the endpoint's
 * /v1/oncall/ROTATION.ics?token=SECRET; only the secret's hash is stored.
 * 0, or -1 with *error (caller frees). */
int webapi_feed_issue(webapi_t *w, const char *rotation, const char *by, int64_t now_ms, char **url,
                      char **error);

/* httpd's events_signed_in: whether req carries a live console session
 * (webapi_t * as ctx); never over plain HTTP beyond loopback, where the
 * console itself refuses to serve. */
bool webapi_signed_in(void *ctx, const httpd_request_t *req);
/* httpd's web handler: answers one request (webapi_t * as ctx). */
void webapi_serve(void *ctx, const httpd_request_t *req, httpd_reply_t *out);

#endif
