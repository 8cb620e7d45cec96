/* api_events: the operator API's streaming request, follow (rota logs -f,
 * submit --wait, cancel). The handler checks the request and opens a window
 * in the event stream (events.h); the events and the FollowResponse that
 * closes the window are sent from events_committed, after the turn's
 * commit, so nothing is told before it is durable. */
#include "api_internal.h"

#include <stdlib.h>

#include "clock.h"
#include "events.h"
#include "xalloc.h"

void
api_follow(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req)
{
	const Rota__FollowRequest *fr = req->follow;
	char *run_id = NULL; /* owned: the run's full id, or NULL for every run */
	int status = 0;
	if (fr->run_id[0] != '\0') {
		char *error = NULL;
		if (store_run_resolve(api->svc->store, fr->run_id, &run_id, &error) != 0) {
			api_refuse(api, identity, identity_len, req->id,
			           ROTA__ERROR_CODE__ERR_NOT_FOUND, "%s", error);
			free(error);
			return;
		}
		Rota__RunSummary sum;
		if (store_run_summary(api->svc->store, run_id, &sum) != 0) {
			api_refuse(api, identity, identity_len, req->id,
			           ROTA__ERROR_CODE__ERR_INTERNAL,
			           "the store could not read run %s", run_id);
			free(run_id);
			return;
		}
		status = sum.status;
		store_run_summary_clear(&sum);
	}
	if (fr->host[0] != '\0' && run_id != NULL) {
		bool has = false;
		char *hosts = store_run_hosts(api->svc->store, run_id, fr->host, &has);
		if (!has) {
			api_refuse(api, identity, identity_len, req->id,
			           ROTA__ERROR_CODE__ERR_NOT_FOUND,
			           "run %s did not run on host '%s' (its hosts: %s)", run_id,
			           fr->host, hosts[0] ? hosts : "none");
			free(hosts);
			free(run_id);
			return;
		}
		free(hosts);
	}
	if (events_follow(api->svc->events, api->svc->api_sock, identity, identity_len, req->id,
	                  run_id, fr->host,
	                  fr->from_now ? events_cursor(api->svc->events) : fr->after, fr->limit,
	                  status, clock_mono_ms()) != 0)
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_UNAVAILABLE,
		           "%d followers are waiting already; try again in a few seconds",
		           EVENTS_FOLLOWERS_MAX);
	free(run_id);
}
