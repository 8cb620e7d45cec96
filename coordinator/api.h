/* api: answers operator requests (the `rota` CLI).
 *
 * One Request in, one Response out, queued until the turn commits. Refusals
 * carry a stable code and a message that names what was wrong and how to
 * fix it; the CLI prints the message as it is. */
#ifndef ROTA_API_H
#define ROTA_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "dispatcher.h"
#include "incident.h"
#include "registry.h"
#include "responder.h"
#include "scheduler.h"
#include "sendq.h"
#include "store.h"

#define API_MAX_LIST 1000
#define API_DEFAULT_LIST 20
#define API_MAX_LOG_CHUNKS 512
#define API_MAX_TAIL_LINES 200

typedef struct {
	store_t *store;
	registry_t *registry;
	dispatcher_t *dispatcher;
	catalog_t *catalog;
	scheduler_t *scheduler;
	incidents_t *incidents; /* borrowed */
	responder_t *responder; /* borrowed */
	sendq_t *sendq;
	void *api_sock;
	uint64_t output_cap;
	/* Reloads the runbook directory (the coordinator owns the catalog). */
	void (*reload)(void *ctx, Rota__ReloadResponse *out);
	void *reload_ctx;
	/* The coordinator is stopping: requests that would change something
	 * (submit, approve, reload) are refused with ERR_UNAVAILABLE; reads are
	 * still answered. */
	bool stopping;
	/* The operator of the request being handled, as its CURVE key is
	 * listed (security.h): set before each api_handle, for the roles
	 * and the audit trail. "" and 0 (KEYRING_ROLE_NONE) without CURVE. */
	const char *caller;
	int caller_role;
} api_t;

/* True for the requests that change state (submit, approve, reload,
 * cancel): refused while the coordinator stops or cannot write its store. */
bool api_request_writes(const Rota__Request *req);

/* Handles one request from the peer with the given identity. */
void api_handle(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req);

/* Fills a list of RunbookInfo for every served and every invalid runbook
 * of the catalog (the caller frees with api_runbooks_free). */
void api_runbooks_fill(const catalog_t *catalog, Rota__RunbookInfo ***out, size_t *n);
/* Frees what api_runbooks_fill put in a ReloadResponse. */
void api_reload_response_clear(Rota__ReloadResponse *out);

#endif
