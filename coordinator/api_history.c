/* api_history: the operator requests that look back: a runbook's history
 * (`rota history`) and a search of stored output (`rota search`). Both
 * are viewers' reads: they write nothing and answer from the store at
 * once. */
#include "api_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* A search answers at most this many hits (each with its context), and
 * this many lines of context either side. */
#define API_SEARCH_MAX_HITS 200
#define API_SEARCH_DEFAULT_HITS 20
#define API_SEARCH_MAX_CONTEXT 10
#define API_SEARCH_DEFAULT_CONTEXT 2

void
api_history(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req)
{
	const Rota__HistoryRequest *q = req->history;
	if (q->runbook == NULL || q->runbook[0] == '\0') {
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_BAD_REQUEST,
		           "history needs a runbook's name, as in rota history disk-cleanup");
		return;
	}
	if (q->since_ms < 0) {
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_BAD_REQUEST,
		           "history: --since is before 1970 (%lld ms)", (long long)q->since_ms);
		return;
	}
	Rota__HistoryResponse *body = xmalloc(sizeof(*body));
	if (store_history(api->svc->store, q->runbook, q->since_ms, body) != 0) {
		rota__history_response__free_unpacked(body, NULL);
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_INTERNAL,
		           "the store could not read the history of %s (see the coordinator's"
		           " log)",
		           q->runbook);
		return;
	}
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = req->id;
	resp.body_case = ROTA__RESPONSE__BODY_HISTORY;
	resp.history = body;
	api_reply(api, identity, identity_len, &resp);
	rota__history_response__free_unpacked(body, NULL);
}

void
api_search(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req)
{
	const Rota__SearchRequest *q = req->search;
	if (q->since_ms < 0) {
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_BAD_REQUEST,
		           "search: --since is before 1970 (%lld ms)", (long long)q->since_ms);
		return;
	}
	store_search_t s = {
	    .text = q->text,
	    .runbook = q->runbook,
	    .host = q->host,
	    .since_ms = q->since_ms,
	    .limit = q->limit == 0                    ? API_SEARCH_DEFAULT_HITS
	             : q->limit > API_SEARCH_MAX_HITS ? API_SEARCH_MAX_HITS
	                                              : q->limit,
	    .context = q->context == 0                       ? API_SEARCH_DEFAULT_CONTEXT
	               : q->context > API_SEARCH_MAX_CONTEXT ? API_SEARCH_MAX_CONTEXT
	                                                     : q->context,
	};
	Rota__SearchResponse *body = xmalloc(sizeof(*body));
	int rc = store_search(api->svc->store, &s, body);
	if (rc != 0) {
		rota__search_response__free_unpacked(body, NULL);
		if (rc == 1)
			api_refuse(api, identity, identity_len, req->id,
			           ROTA__ERROR_CODE__ERR_BAD_REQUEST,
			           "search: '%s' has no word to search for; give a word of the"
			           " output, as in rota search 'disk full'",
			           q->text != NULL ? q->text : "");
		else
			api_refuse(api, identity, identity_len, req->id,
			           ROTA__ERROR_CODE__ERR_INTERNAL,
			           "the store could not search the output (see the coordinator's"
			           " log)");
		return;
	}
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = req->id;
	resp.body_case = ROTA__RESPONSE__BODY_SEARCH;
	resp.search = body;
	api_reply(api, identity, identity_len, &resp);
	rota__search_response__free_unpacked(body, NULL);
}
