/* api: answers operator requests (the `rota` CLI).
 *
 * One Request in, one Response out, queued until the turn commits. Refusals
 * carry a stable code and a message that names what was wrong and how to
 * fix it; the CLI prints the message as it is.
 *
 * Every request is checked against the caller's role first (viewer <
 * operator < admin; the table in api.c says which each needs), and a
 * submit or incident open against the runbook's allowed_operators /
 * allowed_roles. Without CURVE nobody is authenticated: every caller is an
 * admin and runbook restrictions are not checked (docs/security.md).
 * Every request that changes state, and every refusal for a role, leaves
 * an audit row in the same turn as its change (audit.h).
 *
 * Must never: act on a request before its role is checked, or answer a
 * state-changing request without its audit row in the same transaction. */
#ifndef ROTA_API_H
#define ROTA_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "security/security.h"
#include "catalog.h"
#include "dispatcher.h"
#include "incidents/incidents.h"
#include "registry.h"
#include "scheduler.h"
#include "sendq.h"
#include "store/store.h"

#define API_MAX_LIST 1000
#define API_DEFAULT_LIST 20
#define API_MAX_LOG_CHUNKS 512
#define API_MAX_TAIL_LINES 200

/* The coordinator's services (services.h). */
typedef struct services services_t;

typedef struct {
	/* borrowed: the store, registry, dispatcher, catalog, scheduler,
	 * incidents, responder, launcher, send queue, operators' socket and
	 * keys it answers with, read where they are used (never copied) */
	services_t *svc;
	/* Reloads the runbook directory (the coordinator owns the catalog)
	 * and the configuration's maintenance: list. -1 with *error (the
	 * caller frees) when the configuration has errors: nothing is
	 * reloaded then. */
	int (*reload)(void *ctx, Rota__ReloadResponse *out, char **error);
	void *reload_ctx;
	/* The coordinator is stopping: requests that would change something
	 * (submit, approve, reload) are refused with ERR_UNAVAILABLE; reads are
	 * still answered. */
	bool stopping;
	/* The coordinator started moments ago and waits for the workers its
	 * store knows to say Hello again (COORDINATOR_SETTLE_MS): one not back
	 * yet shows as "reconnecting", not "lost". */
	bool settling;
	/* rota status: the coordinator fills what it knows (strings
	 * borrowed from it until the next turn); api adds the caller. */
	void (*status)(void *ctx, Rota__StatusResponse *out);
	void *status_ctx;
	/* CURVE on: callers are authenticated and their roles enforced. */
	bool curve;
	/* The operator of the request being handled, as its CURVE key is
	 * listed (security.h): set before each api_handle, for the roles
	 * and the audit trail. "" and 0 (KEYRING_ROLE_NONE) without CURVE.
	 * caller_peer is the connection's address, caller_key the key's
	 * fingerprint ("" without CURVE). All borrowed for the call. */
	const char *caller;
	int caller_role;
	const char *caller_peer;
	const char *caller_key;
	/* The request being handled: its outcome (AUDIT_OK until a refusal)
	 * and a note for its audit row (owned; api_handle frees it). */
	const char *outcome;
	char *note;
	/* Set by a caller that is not on the operators' socket (the HTTP
	 * API): api_reply keeps a copy of the answer in *captured (the
	 * caller frees it with rota__envelope__free_unpacked) instead of
	 * queueing it, so the same handler, role check and audit row serve
	 * both. NULL: answers go to the socket. */
	Rota__Envelope **captured;
	/* The JSON API (webapi.h), for `rota web login`; borrowed, NULL with
	 * HTTP off. */
	struct webapi *web;
	/* What the request acted on, once the handler resolved what was
	 * typed (`last` into a run id): the audit row's target instead of
	 * the row's resolver (owned; api_handle frees it). NULL: the
	 * resolver's. */
	char *target;
} api_t;

/* True for the requests that change state (submit, approve, reload,
 * cancel, workers remove, ...): refused while the coordinator stops or
 * cannot write its store, and audited. */
bool api_request_writes(const Rota__Request *req);

/* The role the caller is taken to have: its own under CURVE, admin
 * without (a keyring_role_t). */
int api_caller_role(const api_t *api);

/* A run status's number from its name ("succeeded"), or -1: what a runs
 * filter's status may say. */
int api_run_status_parse(const char *name);

/* Handles one request from the peer with the given identity. */
void api_handle(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req);

/* Fills a list of RunbookInfo for every served and every invalid runbook
 * of the catalog (the caller frees with api_runbooks_free). */
void api_runbooks_fill(const catalog_t *catalog, Rota__RunbookInfo ***out, size_t *n);
/* Frees api->note (at the coordinator's stop). */
void api_clear(api_t *api);
/* Frees what api_runbooks_fill put in a ReloadResponse. */
void api_reload_response_clear(Rota__ReloadResponse *out);

#endif
