/* api_incidents: the operator requests about incidents: incident open,
 * incidents, incident show, ack, resolve.
 *
 * Must never: take who acted from the request under CURVE (the caller's
 * key says who). */
#include "api_internal.h"

#include <stdlib.h>

#include "clock.h"
#include "log.h"
#include "run.h"
#include "strlist.h"
#include "xalloc.h"

void
api_incident_open(api_t *api, const uint8_t *identity, size_t identity_len,
                  const Rota__Request *req)
{
	Rota__OpenIncidentRequest open = *req->incident_open;
	const Rota__SubmitRequest *sub = open.submit;
	const catalog_entry_t *e = sub && sub->runbook && sub->runbook[0]
	                               ? catalog_find(api->svc->catalog, sub->runbook)
	                               : NULL;
	if (e != NULL && !api_runbook_allows(api, identity, identity_len, req->id, e->rb, e->path))
		return;
	/* Under CURVE the key says who opened it, whatever the CLI sent. */
	if (api->curve)
		open.by = (char *)api->caller;
	Rota__IncidentResponse body;
	int code = 0;
	char *error = NULL;
	if (responder_open(api->svc->responder, &open, &body, &code, &error) != 0) {
		api_refuse(api, identity, identity_len, req->id, (Rota__ErrorCode)code, "%s",
		           error);
		free(error);
		return;
	}
	api_note(api, xasprintf("%s, run %s",
	                        body.incident && body.incident->id ? body.incident->id : "?",
	                        body.run_id ? body.run_id : "none"));
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = req->id;
	resp.body_case = ROTA__RESPONSE__BODY_INCIDENT_OPEN;
	resp.incident_open = &body;
	api_reply(api, identity, identity_len, &resp);
	responder_response_clear(&body);
}

char *
api_incident_open_target(const Rota__Request *req)
{
	return xstrdup(req->incident_open->submit && req->incident_open->submit->runbook
	                   ? req->incident_open->submit->runbook
	                   : "");
}

void
api_incidents(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req)
{
	uint32_t limit = req->incidents->limit ? req->incidents->limit : API_DEFAULT_LIST;
	if (limit > API_MAX_LIST)
		limit = API_MAX_LIST;
	Rota__ListIncidentsResponse *body = xmalloc(sizeof(*body));
	if (incidents_list(api->svc->incidents, req->incidents->open_only, limit, body) != 0) {
		rota__list_incidents_response__free_unpacked(body, NULL);
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_INTERNAL,
		           "the store could not be read");
		return;
	}
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = req->id;
	resp.body_case = ROTA__RESPONSE__BODY_INCIDENTS;
	resp.incidents = body;
	api_reply(api, identity, identity_len, &resp);
	rota__list_incidents_response__free_unpacked(body, NULL);
}

/* The incident the request names, or NULL after refusing it. */
static char *
api_incident_id(api_t *api, const uint8_t *identity, size_t identity_len, uint64_t request_id,
                const char *text)
{
	char *id = NULL, *error = NULL;
	if (incidents_resolve_id(api->svc->incidents, text, &id, &error) != 0) {
		api_refuse(api, identity, identity_len, request_id, ROTA__ERROR_CODE__ERR_NOT_FOUND,
		           "%s", error);
		free(error);
		return NULL;
	}
	return id;
}

void
api_incident_show(api_t *api, const uint8_t *identity, size_t identity_len,
                  const Rota__Request *req)
{
	char *id = api_incident_id(api, identity, identity_len, req->id, req->incident_show->id);
	if (id == NULL)
		return;
	Rota__ShowIncidentResponse *body = xmalloc(sizeof(*body));
	if (incidents_show(api->svc->incidents, id, body) != 0) {
		rota__show_incident_response__free_unpacked(body, NULL);
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_INTERNAL,
		           "the store could not be read");
		free(id);
		return;
	}
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = req->id;
	resp.body_case = ROTA__RESPONSE__BODY_INCIDENT_SHOW;
	resp.incident_show = body;
	api_reply(api, identity, identity_len, &resp);
	rota__show_incident_response__free_unpacked(body, NULL);
	free(id);
}

/* resolve --cancel-runs: cancels the incident's runs still going, into
 * *cancelled (their ids). What they were about to do (a restart, a page)
 * is moot once the incident is over. */
static void
api_cancel_incident_runs(api_t *api, const char *id, const char *by, strlist_t *cancelled)
{
	strlist_t runs = {0};
	if (store_incident_runs(api->svc->store, id, &runs) != 0)
		log_warn("api: the runs of incident %s could not be read", id);
	char *reason = xasprintf("cancelled by %s: incident %s was resolved", by, id);
	for (size_t i = 0; i < runs.count; i++) {
		run_t *run = dispatcher_find_run(api->svc->dispatcher, runs.items[i]);
		if (run == NULL)
			continue; /* ended already */
		strlist_add(cancelled, xstrdup(runs.items[i]));
		/* May retire (free) the run: nothing of it is used after. */
		dispatcher_cancel(api->svc->dispatcher, run, NULL, reason, NULL);
	}
	free(reason);
	strlist_free(&runs);
}

/* ack and resolve. */
static void
api_incident_action(api_t *api, const uint8_t *identity, size_t identity_len,
                    const Rota__Request *req, bool resolve)
{
	const Rota__IncidentActionRequest *ar = resolve ? req->resolve : req->ack;
	char *id = api_incident_id(api, identity, identity_len, req->id, ar->id);
	if (id == NULL)
		return;
	int code = 0;
	char *error = NULL;
	int64_t now = clock_wall_ms();
	/* Under CURVE the key says who, whatever the CLI sent as --by. */
	const char *by = api_operator(api, ar->by);
	int rc = resolve
	             ? incidents_resolve(api->svc->incidents, id, by, ar->note, now, &code, &error)
	             : incidents_ack(api->svc->incidents, id, by, ar->note, now, &code, &error);
	if (rc != 0) {
		api_refuse(api, identity, identity_len, req->id, (Rota__ErrorCode)code, "%s",
		           error);
		free(error);
		free(id);
		return;
	}
	strlist_t cancelled = {0};
	if (resolve && ar->cancel_runs) {
		api_cancel_incident_runs(api, id, by, &cancelled);
		api_note(api, xasprintf("cancelled %zu run(s)", cancelled.count));
	}
	Rota__IncidentResponse body = ROTA__INCIDENT_RESPONSE__INIT;
	body.cancelled_runs = cancelled.items;
	body.n_cancelled_runs = cancelled.count;
	Rota__IncidentInfo info;
	if (incidents_info(api->svc->incidents, id, &info) != 0) {
		/* Done, but it cannot be read back: say so rather than invent it. */
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_INTERNAL,
		           "incident %s was %s, but the store could not be read back", id,
		           resolve ? "resolved" : "acknowledged");
		strlist_free(&cancelled);
		free(id);
		return;
	}
	body.incident = &info;
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = req->id;
	if (resolve) {
		resp.body_case = ROTA__RESPONSE__BODY_RESOLVE;
		resp.resolve = &body;
	} else {
		resp.body_case = ROTA__RESPONSE__BODY_ACK;
		resp.ack = &body;
	}
	api_reply(api, identity, identity_len, &resp);
	incidents_info_clear(&info);
	strlist_free(&cancelled);
	free(id);
}

void
api_ack(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req)
{
	api_incident_action(api, identity, identity_len, req, false);
}

char *
api_ack_target(const Rota__Request *req)
{
	return xstrdup(req->ack->id);
}

void
api_resolve(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req)
{
	api_incident_action(api, identity, identity_len, req, true);
}

char *
api_resolve_target(const Rota__Request *req)
{
	return xstrdup(req->resolve->id);
}
