/* coordinator_operators: the operators' endpoint: who the caller is, what is
 * refused while the store cannot be written, and `rota status`; the
 * requests themselves are api.c's. */
#include "coordinator_internal.h"

#include <stdio.h>

#include "clock.h"

/* rota status: what the coordinator knows of itself; strings borrowed. */
void
coordinator_status(void *ctx, Rota__StatusResponse *out)
{
	coordinator_t *c = ctx;
	out->version = (char *)ROTA_VERSION;
	out->coordinator_id = c->coordinator_id;
	out->epoch = c->svc->epoch;
	out->started_ms = c->started_wall;
	out->uptime_ms = clock_mono_ms() - c->started_mono;
	out->worker_endpoint = c->bound_worker;
	out->api_endpoint = c->bound_api;
	out->http_endpoint = c->bound_http;
	out->insecure = security_insecure(c->svc->security) || c->http_insecure;
	out->http_token = c->http_token;
	uint32_t connected = 0;
	for (size_t i = 0; i < registry_count(c->svc->registry); i++)
		connected += registry_at(c->svc->registry, i)->connected;
	out->workers_connected = connected;
	out->workers_known = (uint32_t)registry_count(c->svc->registry);
	uint32_t runs = 0;
	for (run_t *r = dispatcher_runs(c->svc->dispatcher); r != NULL; r = r->next)
		runs++;
	out->runs_active = runs;
	uint64_t counts[5][3];
	if (incidents_counts(c->svc->incidents, counts) == 0)
		for (int sev = 1; sev <= 4; sev++)
			out->incidents_open += (uint32_t)(counts[sev][0] + counts[sev][1]);
	coordinator_role_status(c, out);
	rota__backup_info__init(&c->status_backup);
	backup_info(c->svc->backup, &c->status_backup);
	out->backup = &c->status_backup;
	uint64_t by_status[32] = {0};
	if (store_runs_by_status(c->svc->store, by_status, 32) == 0)
		for (int s = 0; s < 32; s++)
			out->runs_total += by_status[s];
	if (c->svc->options.read_only)
		out->coordinator_role = "read-only";
}

/* While the store cannot be written, a request that writes is refused at once with
 * the reason: queued, its answer would be withheld with its failed turn (the
 * CLI would time out), or it would be refused for a wrong reason (every
 * worker looks disconnected until its Hello can be recorded). The refusal
 * promises nothing, so it is sent now rather than after a commit. Reads
 * are still answered from what the store holds. */
static void
coordinator_refuse_unwritable(coordinator_t *c, const wire_msg_t *msg)
{
	Rota__Error err = ROTA__ERROR__INIT;
	err.code = ROTA__ERROR_CODE__ERR_UNAVAILABLE;
	err.message = "the coordinator cannot write its store (disk full, a file-size limit,"
	              " or the file locked by another process); it takes no new work until it"
	              " can, and nothing was done; see the coordinator's log";
	if (c->store_lost != NULL)
		err.message = c->store_lost;
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = msg->env->request->id;
	resp.error = &err;
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_RESPONSE;
	env.response = &resp;
	wire_send(c->svc->api_sock, msg->identity, msg->identity_len, &env);
}

void
coordinator_api_message(coordinator_t *c, const wire_msg_t *msg)
{
	if (msg->env->body_case == ROTA__ENVELOPE__BODY_HELLO) {
		char text[640];
		snprintf(
		    text, sizeof(text),
		    "%s is the operator API; workers connect to %s (rota-worker --coordinator)",
		    c->bound_api, c->bound_worker);
		coordinator_log_drop(c, "api", msg,
		                     "a worker's Hello; told it where workers connect");
		coordinator_redirect(c, c->svc->api_sock, msg, 0, text);
		return;
	}
	if (msg->env->body_case != ROTA__ENVELOPE__BODY_REQUEST) {
		c->api_wire.dropped_empty++;
		coordinator_log_drop(c, "api", msg, wire_strerror(WIRE_ERR_EMPTY));
		return;
	}
	const char *caller, *why = NULL;
	keyring_role_t role;
	if (!security_api_caller(c->svc->security, msg, &caller, &role, &why)) {
		char text[256];
		snprintf(text, sizeof(text), "operator '%.64s' is no longer in operators.yaml",
		         msg->user_id);
		audit_auth_failure(c->svc->audit, clock_mono_ms(), clock_wall_ms(),
		                   AUDIT_EP_OPERATORS, AUDIT_AUTH_REMOVED, wire_peer(msg), "",
		                   text);
		coordinator_redirect(c, c->svc->api_sock, msg, msg->env->request->id, why);
		return;
	}
	/* A follower answers `status` itself and sends everything else to
	 * the leader (redirect.h). */
	if (!redirect_answers_here(msg->env->request) &&
	    coordinator_follower_redirect(c, REDIRECT_OPERATORS, c->svc->api_sock, msg,
	                                  msg->env->request->id))
		return;
	if ((c->store_unwritable || c->store_lost) && api_request_writes(msg->env->request)) {
		coordinator_refuse_unwritable(c, msg);
		return;
	}
	char fingerprint[KEYS_FINGERPRINT_CHARS + 1];
	c->api.caller = caller;
	c->api.caller_role = (int)role;
	c->api.caller_peer = wire_peer(msg);
	c->api.caller_key = security_operator_fingerprint(c->svc->security, caller, fingerprint,
	                                                  sizeof(fingerprint));
	api_handle(&c->api, msg->identity, msg->identity_len, msg->env->request);
	/* Borrowed for that call only (the fingerprint is on this stack). */
	c->api.caller_peer = "";
	c->api.caller_key = "";
}
