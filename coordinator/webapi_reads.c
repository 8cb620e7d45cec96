/* webapi_reads: the API's GET endpoints. Each builds the operator request
 * the CLI would send, asks the operator API (webapi_ask: its role check,
 * its answer) and answers the document the CLI's --json prints for it
 * (jsondoc.h). Query parameters are checked here, each refusal naming the
 * parameter. */
#include "webapi_internal.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "json.h"
#include "jsondoc.h"
#include "oncall.h"
#include "xalloc.h"

/* Lines of each step's output a run's document carries, as `rota show`. */
#define WEBAPI_RUN_TAIL_LINES 20

void
webapi_runs(webapi_call_t *call)
{
	uint64_t limit;
	if (!webapi_arg_uint(call, "limit", 1, API_MAX_LIST, API_DEFAULT_LIST, &limit))
		return;
	uint64_t since, until;
	if (!webapi_arg_uint(call, "since", 0, INT64_MAX, 0, &since) ||
	    !webapi_arg_uint(call, "until", 0, INT64_MAX, 0, &until))
		return;
	Rota__RunsFilter filter = ROTA__RUNS_FILTER__INIT;
	const char *v;
	if ((v = httpd_request_arg(call->req, "runbook")) != NULL)
		filter.runbook = (char *)v;
	if ((v = httpd_request_arg(call->req, "trigger")) != NULL)
		filter.trigger = (char *)v;
	if ((v = httpd_request_arg(call->req, "host")) != NULL)
		filter.host = (char *)v;
	if ((v = httpd_request_arg(call->req, "before")) != NULL)
		filter.before = (char *)v;
	if ((v = httpd_request_arg(call->req, "status")) != NULL) {
		if (v[0] != '\0' && api_run_status_parse(v) < 0) {
			webapi_bad_param(call, "status",
			                 "\"%.40s\" is not a run status; use pending, running,"
			                 " succeeded, failed, cancelled or skipped",
			                 v);
			return;
		}
		filter.status = (char *)v;
	}
	filter.since_ms = (int64_t)since;
	filter.until_ms = (int64_t)until;
	Rota__ListRunsRequest body = ROTA__LIST_RUNS_REQUEST__INIT;
	body.limit = (uint32_t)limit;
	body.filter = &filter;
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_RUNS;
	req.runs = &body;
	Rota__Envelope *env = webapi_ask(call, &req); /* owned */
	if (env == NULL)
		return;
	json_t *j = jsondoc_runs(env->response->runs, clock_wall_ms());
	webapi_reply_json(call, 200, &j);
	rota__envelope__free_unpacked(env, NULL);
}

Rota__Envelope *
webapi_ask_run(webapi_call_t *call, const char *run_id, uint32_t tail_lines)
{
	Rota__ShowRunRequest body = ROTA__SHOW_RUN_REQUEST__INIT;
	body.run_id = (char *)run_id;
	body.tail_lines = tail_lines;
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_SHOW;
	req.show = &body;
	return webapi_ask(call, &req);
}

Rota__Envelope *
webapi_ask_incident(webapi_call_t *call, const char *id)
{
	Rota__ShowIncidentRequest body = ROTA__SHOW_INCIDENT_REQUEST__INIT;
	body.id = (char *)id;
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_INCIDENT_SHOW;
	req.incident_show = &body;
	return webapi_ask(call, &req);
}

void
webapi_run(webapi_call_t *call)
{
	uint64_t tail;
	if (!webapi_arg_uint(call, "tail", 0, API_MAX_TAIL_LINES, WEBAPI_RUN_TAIL_LINES, &tail))
		return;
	Rota__Envelope *env = webapi_ask_run(call, call->params[0], (uint32_t)tail); /* owned */
	if (env == NULL)
		return;
	json_t *j = jsondoc_run_show(env->response->show, clock_wall_ms());
	webapi_reply_json(call, 200, &j);
	rota__envelope__free_unpacked(env, NULL);
}

void
webapi_incidents(webapi_call_t *call)
{
	uint64_t limit;
	if (!webapi_arg_uint(call, "limit", 1, API_MAX_LIST, API_DEFAULT_LIST, &limit))
		return;
	const char *open = httpd_request_arg(call->req, "open");
	bool open_only = false;
	if (open != NULL && strcmp(open, "true") != 0 && strcmp(open, "false") != 0 &&
	    strcmp(open, "1") != 0 && strcmp(open, "0") != 0) {
		webapi_bad_param(call, "open", "\"%.40s\" is not true or false", open);
		return;
	}
	open_only = open != NULL && (strcmp(open, "true") == 0 || strcmp(open, "1") == 0);
	Rota__ListIncidentsRequest body = ROTA__LIST_INCIDENTS_REQUEST__INIT;
	body.limit = (uint32_t)limit;
	body.open_only = open_only;
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_INCIDENTS;
	req.incidents = &body;
	Rota__Envelope *env = webapi_ask(call, &req); /* owned */
	if (env == NULL)
		return;
	json_t *j = jsondoc_incidents(env->response->incidents);
	webapi_reply_json(call, 200, &j);
	rota__envelope__free_unpacked(env, NULL);
}

void
webapi_incident(webapi_call_t *call)
{
	Rota__Envelope *env = webapi_ask_incident(call, call->params[0]); /* owned */
	if (env == NULL)
		return;
	json_t *j = jsondoc_incident_show(env->response->incident_show, clock_wall_ms());
	webapi_reply_json(call, 200, &j);
	rota__envelope__free_unpacked(env, NULL);
}

void
webapi_workers(webapi_call_t *call)
{
	uint64_t limit;
	if (!webapi_arg_uint(call, "limit", 0, API_MAX_LIST, 0, &limit))
		return;
	Rota__ListWorkersRequest body = ROTA__LIST_WORKERS_REQUEST__INIT;
	body.limit = (uint32_t)limit;
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_WORKERS;
	req.workers = &body;
	Rota__Envelope *env = webapi_ask(call, &req); /* owned */
	if (env == NULL)
		return;
	json_t *j = jsondoc_workers(env->response->workers);
	webapi_reply_json(call, 200, &j);
	rota__envelope__free_unpacked(env, NULL);
}

void
webapi_runbooks(webapi_call_t *call)
{
	Rota__ListRunbooksRequest body = ROTA__LIST_RUNBOOKS_REQUEST__INIT;
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_RUNBOOKS;
	req.runbooks = &body;
	Rota__Envelope *env = webapi_ask(call, &req); /* owned */
	if (env == NULL)
		return;
	json_t *j = jsondoc_runbooks(env->response->runbooks);
	webapi_reply_json(call, 200, &j);
	rota__envelope__free_unpacked(env, NULL);
}

/* Fire times a schedule lists, at most (`rota schedules --next N`). */
#define WEBAPI_MAX_NEXT 100

/* The name is only looked up in the catalog (the operator API's
 * runbook_show), never opened as a path. */
void
webapi_runbook(webapi_call_t *call)
{
	uint64_t next;
	if (!webapi_arg_uint(call, "next", 0, WEBAPI_MAX_NEXT, 0, &next))
		return;
	Rota__ShowRunbookRequest body = ROTA__SHOW_RUNBOOK_REQUEST__INIT;
	body.name = (char *)call->params[0];
	body.next = (uint32_t)next;
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_RUNBOOK_SHOW;
	req.runbook_show = &body;
	Rota__Envelope *env = webapi_ask(call, &req); /* owned */
	if (env == NULL)
		return;
	json_t *j = jsondoc_runbook_show(env->response->runbook_show);
	webapi_reply_json(call, 200, &j);
	rota__envelope__free_unpacked(env, NULL);
}

void
webapi_schedules(webapi_call_t *call)
{
	uint64_t next;
	if (!webapi_arg_uint(call, "next", 0, WEBAPI_MAX_NEXT, 0, &next))
		return;
	const char *runbook = httpd_request_arg(call->req, "runbook");
	Rota__ListSchedulesRequest body = ROTA__LIST_SCHEDULES_REQUEST__INIT;
	body.runbook = (char *)(runbook != NULL ? runbook : "");
	body.next = (uint32_t)next;
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_SCHEDULES;
	req.schedules = &body;
	Rota__Envelope *env = webapi_ask(call, &req); /* owned */
	if (env == NULL)
		return;
	json_t *j = jsondoc_schedules(env->response->schedules);
	webapi_reply_json(call, 200, &j);
	rota__envelope__free_unpacked(env, NULL);
}

void
webapi_audit(webapi_call_t *call)
{
	uint64_t limit, since;
	if (!webapi_arg_uint(call, "limit", 1, API_MAX_LIST, API_DEFAULT_LIST, &limit) ||
	    !webapi_arg_uint(call, "since_ms", 0, INT64_MAX, 0, &since))
		return;
	Rota__AuditRequest body = ROTA__AUDIT_REQUEST__INIT;
	body.limit = (uint32_t)limit;
	body.since_ms = (int64_t)since;
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_AUDIT;
	req.audit = &body;
	Rota__Envelope *env = webapi_ask(call, &req); /* owned */
	if (env == NULL)
		return;
	json_t *j = jsondoc_audit(env->response->audit);
	webapi_reply_json(call, 200, &j);
	rota__envelope__free_unpacked(env, NULL);
}

/* GET /v1/oncall: `rota oncall --json` (?at=MS for another instant). */
void
webapi_oncall(webapi_call_t *call)
{
	uint64_t at;
	if (!webapi_arg_uint(call, "at", 0, ONCALL_TIME_MAX_MS, 0, &at))
		return;
	Rota__OncallRequest body = ROTA__ONCALL_REQUEST__INIT;
	body.rotation = (char *)"";
	body.at_ms = (int64_t)at;
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_ONCALL;
	req.oncall = &body;
	Rota__Envelope *env = webapi_ask(call, &req); /* owned */
	if (env == NULL)
		return;
	json_t *j = jsondoc_oncall(env->response->oncall);
	webapi_reply_json(call, 200, &j);
	rota__envelope__free_unpacked(env, NULL);
}

/* GET /v1/maintenance: `rota maintenance list --json`. */
void
webapi_maintenance_list(webapi_call_t *call)
{
	Rota__MaintenanceListRequest body = ROTA__MAINTENANCE_LIST_REQUEST__INIT;
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_MAINTENANCE_LIST;
	req.maintenance_list = &body;
	Rota__Envelope *env = webapi_ask(call, &req); /* owned */
	if (env == NULL)
		return;
	json_t *j = jsondoc_maintenance_list(env->response->maintenance_list);
	webapi_reply_json(call, 200, &j);
	rota__envelope__free_unpacked(env, NULL);
}
