/* webapi_actions: the API's POST endpoints, the operator's actions. Each is
 * the operator request the CLI would send, handed to the same handler
 * (webapi_ask): its role checked and its audit row written with the
 * signed-in operator's name, exactly as on the operators' socket. The
 * CSRF token was checked before (webapi.c). Bodies are JSON objects; an
 * empty body is {}. */
#include "webapi_internal.h"

#include <stdlib.h>
#include <string.h>

#include "duration.h"
#include "json.h"
#include "jsondoc.h"
#include "xalloc.h"

/* The body's "note" (may be absent); false after answering 400. */
static bool
webapi_note_of(webapi_call_t *call, const char **note)
{
	bool bad = false;
	*note = webapi_body_string(call, "note", &bad);
	return !bad;
}

/* Answers the document j made of env's answer, and frees env. */
static void
webapi_done(webapi_call_t *call, Rota__Envelope *env, json_t *j)
{
	webapi_reply_json(call, 200, &j);
	rota__envelope__free_unpacked(env, NULL);
}

/* POST /v1/runs {"runbook": NAME, "targets": [...], "params": {k: v}} */
void
webapi_submit(webapi_call_t *call)
{
	bool bad = false;
	const char *runbook = webapi_body_string(call, "runbook", &bad);
	if (bad)
		return;
	if (runbook == NULL || runbook[0] == '\0') {
		webapi_bad_param(call, "runbook",
		                 "required: the name of a loaded runbook"
		                 " (GET /v1/runbooks lists them)");
		return;
	}
	size_t nt = 0;
	const char **targets = webapi_body_strings(call, "targets", &nt, &bad); /* owned */
	if (bad)
		return;
	const char **keys = NULL;
	char **values = NULL; /* owned, with their strings */
	size_t np = webapi_body_pairs(call, "params", &keys, &values, &bad);
	if (bad) {
		free(targets);
		return;
	}
	Rota__Label *labels = xcalloc(np + 1, sizeof(*labels));
	Rota__Label **lp = xcalloc(np + 1, sizeof(*lp));
	for (size_t i = 0; i < np; i++) {
		rota__label__init(&labels[i]);
		labels[i].key = (char *)keys[i];
		labels[i].value = values[i];
		lp[i] = &labels[i];
	}
	Rota__SubmitRequest body = ROTA__SUBMIT_REQUEST__INIT;
	body.runbook = (char *)runbook;
	body.targets = (char **)targets;
	body.n_targets = nt;
	body.params = lp;
	body.n_params = np;
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_SUBMIT;
	req.submit = &body;
	Rota__Envelope *env = webapi_ask(call, &req);
	for (size_t i = 0; i < np; i++)
		free(values[i]);
	free(values);
	free(keys);
	free(labels);
	free(lp);
	free(targets);
	if (env != NULL)
		webapi_done(call, env, jsondoc_submitted(env->response->submit));
}

/* POST /v1/runs/ID/cancel {"host": H, "note": TEXT} */
void
webapi_cancel(webapi_call_t *call)
{
	bool bad = false;
	const char *host = webapi_body_string(call, "host", &bad), *note;
	if (bad || !webapi_note_of(call, &note))
		return;
	Rota__CancelRequest body = ROTA__CANCEL_REQUEST__INIT;
	body.run_id = (char *)call->params[0];
	body.host = (char *)(host != NULL ? host : "");
	body.note = (char *)(note != NULL ? note : "");
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_CANCEL;
	req.cancel = &body;
	Rota__Envelope *env = webapi_ask(call, &req);
	if (env != NULL)
		webapi_done(call, env, jsondoc_cancelled(env->response->cancel));
}

static void
webapi_decide(webapi_call_t *call, bool reject)
{
	const char *note;
	if (!webapi_note_of(call, &note))
		return;
	Rota__ApproveRequest body = ROTA__APPROVE_REQUEST__INIT;
	body.run_id = (char *)call->params[0];
	body.step_id = (char *)call->params[1];
	body.reject = reject;
	body.note = (char *)(note != NULL ? note : "");
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_APPROVE;
	req.approve = &body;
	Rota__Envelope *env = webapi_ask(call, &req);
	if (env != NULL)
		webapi_done(call, env,
		            jsondoc_approval(env->response->approve, call->params[0],
		                             call->params[1], reject, note));
}

/* POST /v1/runs/ID/steps/STEP/approve {"note": TEXT} */
void
webapi_approve(webapi_call_t *call)
{
	webapi_decide(call, false);
}

/* POST /v1/runs/ID/steps/STEP/reject {"note": TEXT} */
void
webapi_reject(webapi_call_t *call)
{
	webapi_decide(call, true);
}

static void
webapi_incident_act(webapi_call_t *call, bool resolve)
{
	const char *note;
	if (!webapi_note_of(call, &note))
		return;
	Rota__IncidentActionRequest body = ROTA__INCIDENT_ACTION_REQUEST__INIT;
	body.id = (char *)call->params[0];
	body.note = (char *)(note != NULL ? note : "");
	/* Who acknowledged: under keys the handler takes the signed-in
	 * operator's name whatever is sent; without keys, the body's "by"
	 * as the CLI's --by, else "console". */
	bool bad = false;
	const char *by = webapi_body_string(call, "by", &bad);
	if (bad)
		return;
	body.by = (char *)(call->caller.name[0]  ? call->caller.name
	                   : by != NULL && by[0] ? by
	                                         : "console");
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = resolve ? ROTA__REQUEST__BODY_RESOLVE : ROTA__REQUEST__BODY_ACK;
	if (resolve)
		req.resolve = &body;
	else
		req.ack = &body;
	Rota__Envelope *env = webapi_ask(call, &req);
	if (env == NULL)
		return;
	const Rota__IncidentResponse *r = resolve ? env->response->resolve : env->response->ack;
	if (r == NULL || r->incident == NULL) {
		rota__envelope__free_unpacked(env, NULL);
		webapi_error(call, 500, "internal",
		             "the operator API answered without the incident");
		return;
	}
	webapi_done(call, env, jsondoc_incident_action(r, resolve));
}

/* POST /v1/incidents/ID/ack {"note": TEXT} */
void
webapi_ack(webapi_call_t *call)
{
	webapi_incident_act(call, false);
}

/* POST /v1/incidents/ID/resolve {"note": TEXT} */
void
webapi_resolve(webapi_call_t *call)
{
	webapi_incident_act(call, true);
}

/* POST /v1/incidents/ID/notes and /v1/runs/ID/notes {"text": T, "kind":
 * action|finding|cause|prevention}: `rota note`. */
void
webapi_note(webapi_call_t *call)
{
	bool bad = false;
	const char *text = webapi_body_string(call, "text", &bad);
	const char *kind = bad ? NULL : webapi_body_string(call, "kind", &bad);
	const char *by = bad ? NULL : webapi_body_string(call, "by", &bad);
	if (bad)
		return;
	if (text == NULL || text[0] == '\0') {
		webapi_bad_param(call, "text", "required: what the note says");
		return;
	}
	Rota__NoteRequest body = ROTA__NOTE_REQUEST__INIT;
	body.target = (char *)call->params[0];
	body.text = (char *)text;
	body.kind = (char *)(kind != NULL ? kind : "");
	body.by = (char *)(call->caller.name[0]  ? call->caller.name
	                   : by != NULL && by[0] ? by
	                                         : "console");
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_NOTE;
	req.note = &body;
	Rota__Envelope *env = webapi_ask(call, &req);
	if (env != NULL)
		webapi_done(call, env, jsondoc_noted(env->response->note));
}

/* Answers the window of a maintenance start or end (env taken). */
static void
webapi_window_done(webapi_call_t *call, Rota__Envelope *env)
{
	if (env == NULL)
		return;
	const Rota__MaintenanceResponse *m = env->response->maintenance;
	if (m == NULL || m->window == NULL) {
		rota__envelope__free_unpacked(env, NULL);
		webapi_error(call, 500, "internal", "the operator API answered without the window");
		return;
	}
	webapi_done(call, env, jsondoc_maintenance(m->window));
}

/* POST /v1/maintenance {"target": HOST|label=value|all, "for": "2h",
 * "reason": TEXT, "freeze": true|false}: `rota maintenance start`. */
void
webapi_maintenance_start(webapi_call_t *call)
{
	bool bad = false;
	const char *target = webapi_body_string(call, "target", &bad);
	const char *length = bad ? NULL : webapi_body_string(call, "for", &bad);
	const char *reason = bad ? NULL : webapi_body_string(call, "reason", &bad);
	bool freeze = false;
	if (bad || !webapi_body_bool(call, "freeze", &freeze))
		return;
	if (target == NULL || target[0] == '\0') {
		webapi_bad_param(call, "target", "required: a host, label=value or all");
		return;
	}
	uint64_t for_ms = 0;
	if (length == NULL || duration_parse(length, &for_ms) != 0) {
		webapi_bad_param(call, "for", "required: how long, from 1m to 30d, like \"2h\"");
		return;
	}
	Rota__MaintenanceRequest body = ROTA__MAINTENANCE_REQUEST__INIT;
	body.action = (char *)"start";
	body.target = (char *)target;
	body.for_ms = for_ms;
	body.reason = (char *)(reason != NULL ? reason : "");
	body.freeze = freeze;
	body.by = (char *)(call->caller.name[0] ? call->caller.name : "console");
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_MAINTENANCE;
	req.maintenance = &body;
	webapi_window_done(call, webapi_ask(call, &req));
}

/* POST /v1/maintenance/MW-3/end: `rota maintenance end MW-3`. */
void
webapi_maintenance_end(webapi_call_t *call)
{
	Rota__MaintenanceRequest body = ROTA__MAINTENANCE_REQUEST__INIT;
	body.action = (char *)"end";
	body.id = (char *)call->params[0];
	body.by = (char *)(call->caller.name[0] ? call->caller.name : "console");
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_MAINTENANCE;
	req.maintenance = &body;
	webapi_window_done(call, webapi_ask(call, &req));
}
