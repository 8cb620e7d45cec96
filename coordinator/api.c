/* api: the operator API's table, its checks and its dispatch.
 *
 * Every request is one row of api_routes below: its name, the role it
 * needs, whether it writes, what its audit row names, and its handler
 * (in api_runs.c, api_history.c, api_fleet.c, api_library.c, api_incidents.c).
 * api_handle checks the row's role and the "stopping" refusal, calls the
 * handler, and writes the audit row in the same turn. The shared helpers
 * the handlers answer with (api_reply, api_refuse, api_note) live here.
 *
 * Must never: call a handler before its row's role is checked, or let a
 * writing request finish without its audit row. */
#include "api_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "wire.h"
#include "xalloc.h"

/* Every operator request, one row each. A request not listed here is
 * refused as unknown. Columns (api_route_t): request body case, name, the
 * least role, writes?, audit target (NULL: none), handler. */
static const api_route_t api_routes[] = {
    {ROTA__REQUEST__BODY_RUNS, "runs", KEYRING_ROLE_VIEWER, false, NULL, api_runs},
    {ROTA__REQUEST__BODY_SHOW, "show", KEYRING_ROLE_VIEWER, false, NULL, api_show},
    {ROTA__REQUEST__BODY_LOGS, "logs", KEYRING_ROLE_VIEWER, false, NULL, api_logs},
    {ROTA__REQUEST__BODY_FOLLOW, "follow", KEYRING_ROLE_VIEWER, false, NULL, api_follow},
    {ROTA__REQUEST__BODY_WORKERS, "workers", KEYRING_ROLE_VIEWER, false, NULL, api_workers},
    {ROTA__REQUEST__BODY_RUNBOOKS, "runbooks", KEYRING_ROLE_VIEWER, false, NULL, api_runbooks},
    {ROTA__REQUEST__BODY_RUNBOOK_SHOW, "runbook show", KEYRING_ROLE_VIEWER, false, NULL,
     api_runbook_show},
    {ROTA__REQUEST__BODY_RUNBOOK_DOC, "runbook docs", KEYRING_ROLE_VIEWER, false, NULL,
     api_runbook_doc},
    {ROTA__REQUEST__BODY_SCHEDULES, "schedules", KEYRING_ROLE_VIEWER, false, NULL, api_schedules},
    {ROTA__REQUEST__BODY_INCIDENTS, "incidents", KEYRING_ROLE_VIEWER, false, NULL, api_incidents},
    {ROTA__REQUEST__BODY_INCIDENT_SHOW, "incident show", KEYRING_ROLE_VIEWER, false, NULL,
     api_incident_show},
    {ROTA__REQUEST__BODY_STATUS, "status", KEYRING_ROLE_VIEWER, false, NULL, api_status},
    /* Signing in to the console as oneself gives no more than the key
     * has; ending one's own sessions is anyone's (--all: admin, checked
     * by the handler). */
    {ROTA__REQUEST__BODY_WEB_LOGIN, "web login", KEYRING_ROLE_VIEWER, true, api_web_login_target,
     api_web_login},
    {ROTA__REQUEST__BODY_WEB_LOGOUT, "web logout", KEYRING_ROLE_VIEWER, true, api_web_logout_target,
     api_web_logout},
    {ROTA__REQUEST__BODY_HISTORY, "history", KEYRING_ROLE_VIEWER, false, NULL, api_history},
    /* Stored output is a viewer's to read (rota logs): so is a search of it. */
    {ROTA__REQUEST__BODY_SEARCH, "search", KEYRING_ROLE_VIEWER, false, NULL, api_search},
    {ROTA__REQUEST__BODY_MAINTENANCE_LIST, "maintenance list", KEYRING_ROLE_VIEWER, false, NULL,
     api_maintenance_list},
    {ROTA__REQUEST__BODY_INCIDENT_STATS, "incidents --stats", KEYRING_ROLE_VIEWER, false, NULL,
     api_incident_stats},
    {ROTA__REQUEST__BODY_SUBMIT, "submit", KEYRING_ROLE_OPERATOR, true, api_submit_target,
     api_submit},
    {ROTA__REQUEST__BODY_CANCEL, "cancel", KEYRING_ROLE_OPERATOR, true, api_cancel_target,
     api_cancel},
    /* and reject (api_request_name) */
    {ROTA__REQUEST__BODY_APPROVE, "approve", KEYRING_ROLE_OPERATOR, true, api_approve_target,
     api_approve},
    {ROTA__REQUEST__BODY_INCIDENT_OPEN, "incident open", KEYRING_ROLE_OPERATOR, true,
     api_incident_open_target, api_incident_open},
    {ROTA__REQUEST__BODY_ACK, "ack", KEYRING_ROLE_OPERATOR, true, api_ack_target, api_ack},
    {ROTA__REQUEST__BODY_RESOLVE, "resolve", KEYRING_ROLE_OPERATOR, true, api_resolve_target,
     api_resolve},
    /* A note is a change to the record, as ack and resolve are. */
    {ROTA__REQUEST__BODY_NOTE, "note", KEYRING_ROLE_OPERATOR, true, api_note_target,
     api_note_request},
    /* Who is on call is a viewer's to read; who covers a shift is a change
     * to the record of who gets paged, as ack is. */
    {ROTA__REQUEST__BODY_ONCALL, "oncall", KEYRING_ROLE_VIEWER, false, NULL, api_oncall},
    {ROTA__REQUEST__BODY_ONCALL_OVERRIDE, "oncall override", KEYRING_ROLE_OPERATOR, true,
     api_oncall_override_target, api_oncall_override},
    /* A feed link lets whoever holds it read the rotation's calendar
     * without a key: handed out by those who may change the rotation. */
    {ROTA__REQUEST__BODY_ONCALL_FEED, "oncall feed", KEYRING_ROLE_OPERATOR, true,
     api_oncall_feed_target, api_oncall_feed},
    /* Putting hosts in maintenance pauses their duties and silences
     * their alerts: an operator's call, as ack and resolve are; start and
     * end (api_request_name). */
    {ROTA__REQUEST__BODY_MAINTENANCE, "maintenance", KEYRING_ROLE_OPERATOR, true,
     api_maintenance_target, api_maintenance},
    {ROTA__REQUEST__BODY_RELOAD, "reload", KEYRING_ROLE_ADMIN, true, api_reload_target, api_reload},
    /* The audit trail says who did what: not for every viewer. */
    {ROTA__REQUEST__BODY_AUDIT, "audit", KEYRING_ROLE_ADMIN, false, NULL, api_audit},
    /* Forgetting a host changes what runs target; the key list says who
     * may connect: both are the fleet's administration. */
    {ROTA__REQUEST__BODY_REMOVE_WORKER, "workers remove", KEYRING_ROLE_ADMIN, true,
     api_remove_worker_target, api_remove_worker},
    {ROTA__REQUEST__BODY_KEYS, "keys", KEYRING_ROLE_ADMIN, false, NULL, api_keys},
    /* Retention deletes history; its dry run reads all of the old rows. */
    {ROTA__REQUEST__BODY_PRUNE, "prune", KEYRING_ROLE_ADMIN, true, api_prune_target, api_prune},
    /* A copy of the whole store: every run's output and the audit trail. */
    {ROTA__REQUEST__BODY_BACKUP, "backup", KEYRING_ROLE_ADMIN, true, api_backup_target, api_backup},
};

#define API_ROUTE_COUNT (sizeof(api_routes) / sizeof(api_routes[0]))

/* Requests whose fields can ask for more than their row's role, one row
 * each: the body case and the function that says the role a request
 * needs. Checked with the row's role, before the handler, refused and
 * audited the same way. */
static const struct {
	Rota__Request__BodyCase body;
	api_role_fn role;
} api_role_rules[] = {
    /* A freeze pauses every schedule and "all" silences every alert: the
     * admin's beyond a few hours (docs/decisions.md). */
    {ROTA__REQUEST__BODY_MAINTENANCE, api_maintenance_role},
};

keyring_role_t
api_route_role(const api_route_t *route, const Rota__Request *req, const char **why)
{
	*why = "";
	keyring_role_t need = route->need;
	for (size_t i = 0; i < sizeof(api_role_rules) / sizeof(api_role_rules[0]); i++) {
		if (api_role_rules[i].body != route->body)
			continue;
		const char *more = "";
		keyring_role_t r = api_role_rules[i].role(req, &more);
		if (r > need) {
			need = r;
			*why = more;
		}
	}
	return need;
}

const api_route_t *
api_route_find(Rota__Request__BodyCase body)
{
	for (size_t i = 0; i < API_ROUTE_COUNT; i++)
		if (api_routes[i].body == body)
			return &api_routes[i];
	return NULL;
}

size_t
api_route_count(void)
{
	return API_ROUTE_COUNT;
}

const api_route_t *
api_route_at(size_t i)
{
	return i < API_ROUTE_COUNT ? &api_routes[i] : NULL;
}

/* The request's name for messages and the audit trail. */
static const char *
api_request_name(const Rota__Request *req, const api_route_t *route)
{
	if (req->body_case == ROTA__REQUEST__BODY_APPROVE && req->approve->reject)
		return "reject";
	if (req->body_case == ROTA__REQUEST__BODY_MAINTENANCE && req->maintenance->action)
		return strcmp(req->maintenance->action, "end") == 0 ? "maintenance end"
		                                                    : "maintenance start";
	return route->name;
}

const char *
api_article(const char *word)
{
	return strchr("aeiou", word[0]) != NULL ? "an" : "a";
}

int
api_caller_role(const api_t *api)
{
	return api->curve ? api->caller_role : KEYRING_ROLE_ADMIN;
}

/* The caller as the audit trail and messages name it. */
const char *
api_actor(const api_t *api)
{
	return api->caller != NULL && api->caller[0] ? api->caller : "anonymous";
}

/* Who acts, as recorded on what the request changes: under CURVE the
 * key's operator, whatever the CLI claimed; without, the CLI's login name. */
const char *
api_operator(const api_t *api, const char *claimed)
{
	if (api->curve)
		return api_actor(api);
	return claimed != NULL && claimed[0] ? claimed : "an operator";
}

void
api_note(api_t *api, char *note)
{
	free(api->note);
	api->note = note;
}

void
api_target(api_t *api, char *target)
{
	free(api->target);
	api->target = target;
}

/* What to ask for instead of an answer too large for one frame. */
static const char *
api_too_large_hint(Rota__Response__BodyCase body)
{
	switch (body) {
	case ROTA__RESPONSE__BODY_RUNS:
	case ROTA__RESPONSE__BODY_INCIDENTS:
	case ROTA__RESPONSE__BODY_AUDIT:
	case ROTA__RESPONSE__BODY_WORKERS:
		return "use --limit N for fewer";
	case ROTA__RESPONSE__BODY_SHOW:
		return "use rota logs RUN --host HOST";
	case ROTA__RESPONSE__BODY_LOGS:
		return "use --host HOST, or a smaller --limit";
	case ROTA__RESPONSE__BODY_SCHEDULES:
		return "use a smaller --next";
	case ROTA__RESPONSE__BODY_SEARCH:
		return "use a smaller --limit, or --runbook, --host or --since";
	default:
		return "see the coordinator's log";
	}
}

/* Queues resp for the peer; resp's fields stay the caller's. An answer
 * over WIRE_MAX_ANSWER_BYTES is never sent: no CLI could read it, so it is
 * replaced by an error that says how to ask for less. */
void
api_reply(api_t *api, const uint8_t *identity, size_t identity_len, Rota__Response *resp)
{
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.version = WIRE_VERSION;
	env.body_case = ROTA__ENVELOPE__BODY_RESPONSE;
	env.response = resp;
	size_t size = rota__envelope__get_packed_size(&env);
	Rota__Error err = ROTA__ERROR__INIT;
	Rota__Response small = ROTA__RESPONSE__INIT;
	char msg[256];
	if (size > WIRE_MAX_ANSWER_BYTES) {
		snprintf(msg, sizeof(msg), "answer too large (%zu bytes; the limit is %d); %s",
		         size, WIRE_MAX_ANSWER_BYTES, api_too_large_hint(resp->body_case));
		log_warn(
		    "api: an answer to request %llu was %zu bytes, over the limit of %d: refused"
		    " instead",
		    (unsigned long long)resp->id, size, WIRE_MAX_ANSWER_BYTES);
		err.code = ROTA__ERROR_CODE__ERR_BAD_REQUEST;
		err.message = msg;
		small.id = resp->id;
		small.error = &err;
		env.response = &small;
	}
	if (api->captured != NULL) {
		/* Packed and read back: a deep copy the caller owns, of what
		 * the socket would have carried (limits and all). */
		size_t n = rota__envelope__get_packed_size(&env);
		uint8_t *buf = xmalloc(n > 0 ? n : 1);
		rota__envelope__pack(&env, buf);
		if (*api->captured != NULL)
			rota__envelope__free_unpacked(*api->captured, NULL);
		*api->captured = rota__envelope__unpack(NULL, n, buf);
		free(buf);
		return;
	}
	sendq_push(api->svc->sendq, api->svc->api_sock, identity, identity_len, &env);
}

void
api_refuse(api_t *api, const uint8_t *identity, size_t identity_len, uint64_t id,
           Rota__ErrorCode code, const char *fmt, ...)
{
	char msg[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* The audit row says why: a refusal, or a failure of ours. */
	api->outcome = code == ROTA__ERROR_CODE__ERR_INTERNAL ? AUDIT_FAILED : AUDIT_REFUSED;
	api_note(api, xstrdup(msg));
	Rota__Error err = ROTA__ERROR__INIT;
	err.code = code;
	err.message = msg;
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = id;
	resp.error = &err;
	api_reply(api, identity, identity_len, &resp);
}

/* Whether the caller may run rb (its allowed_operators / allowed_roles);
 * false after refusing the request with who may. A role listed admits the
 * roles above it too. Without CURVE nobody has a name to check. */
bool
api_runbook_allows(api_t *api, const uint8_t *identity, size_t identity_len, uint64_t id,
                   const runbook_t *rb, const char *path)
{
	if (!api->curve || (rb->allowed_operator_count == 0 && rb->allowed_role_count == 0))
		return true;
	int role = api_caller_role(api);
	for (size_t i = 0; i < rb->allowed_operator_count; i++)
		if (strcmp(rb->allowed_operators[i], api->caller) == 0)
			return true;
	for (size_t i = 0; i < rb->allowed_role_count; i++) {
		keyring_role_t need;
		if (keyring_role_parse(rb->allowed_roles[i], &need) == 0 && role >= (int)need)
			return true;
	}
	char who[2048] = "";
	size_t off = 0;
	size_t total = rb->allowed_operator_count + rb->allowed_role_count;
	for (size_t i = 0; i < total && off < sizeof(who); i++) {
		const char *sep = i == 0 ? "" : i + 1 == total ? " or " : ", ";
		int w = i < rb->allowed_operator_count
		            ? snprintf(who + off, sizeof(who) - off, "%s%s", sep,
		                       rb->allowed_operators[i])
		            : snprintf(who + off, sizeof(who) - off, "%sany %s", sep,
		                       rb->allowed_roles[i - rb->allowed_operator_count]);
		if (w < 0)
			break;
		off += (size_t)w;
	}
	const char *role_name = keyring_role_name((keyring_role_t)role);
	api_refuse(api, identity, identity_len, id, ROTA__ERROR_CODE__ERR_FORBIDDEN,
	           "runbook %s may be run only by %s (allowed_operators/allowed_roles in %s);"
	           " %s is %s %s",
	           rb->name, who, path, api_actor(api), api_article(role_name), role_name);
	return false;
}

/* The request's audit row, in the turn that made its change. A row that
 * cannot be written fails the turn (store.h): then the change and its
 * answer are withheld too, never done unaudited. */
static void
api_audit_request(api_t *api, const Rota__Request *req, const api_route_t *route, const char *name)
{
	char *target = api->target != NULL     ? xstrdup(api->target)
	               : route->target != NULL ? route->target(req)
	                                       : xstrdup("");
	audit_entry_t e = {
	    .at_ms = clock_wall_ms(),
	    .actor = api_actor(api),
	    .role = keyring_role_name((keyring_role_t)api_caller_role(api)),
	    .action = name,
	    .target = target,
	    .outcome = api->outcome,
	    .detail = api->note,
	    .peer = api->caller_peer,
	    .key = api->caller_key,
	};
	if (audit_record(api->svc->store, &e) != 0)
		log_error("audit: cannot record %s by %s; the turn will not commit", name,
		          api_actor(api));
	free(target);
}

void
api_clear(api_t *api)
{
	api_note(api, NULL);
	api_target(api, NULL);
}

bool
api_request_writes(const Rota__Request *req)
{
	const api_route_t *route = api_route_find(req->body_case);
	return route != NULL && route->writes;
}

void
api_handle(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req)
{
	api->outcome = AUDIT_OK;
	api_note(api, NULL);
	api_target(api, NULL);
	const api_route_t *route = api_route_find(req->body_case);
	if (route == NULL) {
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_BAD_REQUEST,
		           "unknown request; is this rota newer than the coordinator?");
		return;
	}
	const char *name = api_request_name(req, route);
	int role = api_caller_role(api);
	bool writes = route->writes;
	const char *why = "";
	keyring_role_t needed = api_route_role(route, req, &why);
	if (role < (int)needed) {
		const char *need = keyring_role_name(needed);
		const char *has = keyring_role_name((keyring_role_t)role);
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_FORBIDDEN,
		           "rota %s needs the %s role%s%s; %s is %s %s", name, need,
		           why[0] ? " " : "", why, api_actor(api), api_article(has), has);
		/* Refusals for a role are audited for reads too: an attempt at
		 * what one may not do is worth a row. */
		api_audit_request(api, req, route, name);
		api_note(api, NULL);
		return;
	}
	if (api->stopping && writes)
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_UNAVAILABLE,
		           "the coordinator is stopping; try again when it is back");
	else
		route->handle(api, identity, identity_len, req);
	if (writes)
		api_audit_request(api, req, route, name);
	api_note(api, NULL);
	api_target(api, NULL);
}
