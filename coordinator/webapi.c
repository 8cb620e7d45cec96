/* webapi: the route table of the JSON API, who is asking, and the bridge to
 * the operator API (see webapi.h).
 *
 * A request is matched against api_routes' rows in order; the first whose
 * method and pattern fit runs. A path that fits a pattern under another
 * method is 405 with the methods that would do; no fit at all is 404. */
#include "webapi_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "json.h"
#include "log.h"
#include "xalloc.h"

/* Every route of the API, one row each. Columns (webapi_route_t): method,
 * path pattern ("*" = one segment), the least role (WEBAPI_AS_API: the
 * operator request's row in api.c), needs a caller?, handler. To add an
 * endpoint, add its row and its handler; docs/http-api.md lists them. */
static const webapi_route_t webapi_routes[] = {
    {"GET", "/v1/runs", WEBAPI_AS_API, true, webapi_runs},
    {"GET", "/v1/runs/*", WEBAPI_AS_API, true, webapi_run},
    {"GET", "/v1/incidents", WEBAPI_AS_API, true, webapi_incidents},
    {"GET", "/v1/incidents/*", WEBAPI_AS_API, true, webapi_incident},
    {"GET", "/v1/incidents/*/review", WEBAPI_AS_API, true, webapi_review},
    {"GET", "/v1/workers", WEBAPI_AS_API, true, webapi_workers},
    {"GET", "/v1/runbooks", WEBAPI_AS_API, true, webapi_runbooks},
    {"GET", "/v1/runbooks/*", WEBAPI_AS_API, true, webapi_runbook},
    {"GET", "/v1/schedules", WEBAPI_AS_API, true, webapi_schedules},
    {"GET", "/v1/audit", WEBAPI_AS_API, true, webapi_audit},
    {"GET", "/v1/oncall", WEBAPI_AS_API, true, webapi_oncall},
    /* A calendar app has no session: a feed link's token stands for one
     * (webapi_feed.c identifies the caller itself). */
    {"GET", "/v1/oncall/*", WEBAPI_AS_API, false, webapi_oncall_ics},
    {"GET", "/v1/maintenance", WEBAPI_AS_API, true, webapi_maintenance_list},
    {"GET", "/v1/session", KEYRING_ROLE_VIEWER, true, webapi_session},
    {"GET", "/v1/login", KEYRING_ROLE_NONE, false, webapi_login},
    {"POST", "/v1/runs", WEBAPI_AS_API, true, webapi_submit},
    {"POST", "/v1/runs/*/cancel", WEBAPI_AS_API, true, webapi_cancel},
    {"POST", "/v1/runs/*/steps/*/approve", WEBAPI_AS_API, true, webapi_approve},
    {"POST", "/v1/runs/*/steps/*/reject", WEBAPI_AS_API, true, webapi_reject},
    {"POST", "/v1/incidents/*/ack", WEBAPI_AS_API, true, webapi_ack},
    {"POST", "/v1/incidents/*/resolve", WEBAPI_AS_API, true, webapi_resolve},
    {"POST", "/v1/incidents/*/notes", WEBAPI_AS_API, true, webapi_note},
    {"POST", "/v1/runs/*/notes", WEBAPI_AS_API, true, webapi_note},
    {"POST", "/v1/maintenance", WEBAPI_AS_API, true, webapi_maintenance_start},
    {"POST", "/v1/maintenance/*/end", WEBAPI_AS_API, true, webapi_maintenance_end},
};

#define WEBAPI_ROUTE_COUNT (sizeof(webapi_routes) / sizeof(webapi_routes[0]))

/* Fills params with the "*" segments of path (copied into *buf, which the
 * caller frees) when path fits pattern. */
static bool
webapi_match(const char *pattern, const char *path, const char **params, char **buf)
{
	*buf = NULL;
	size_t np = 0;
	char *copy = xstrdup(path); /* owned until handed to *buf */
	char *p = copy;
	const char *q = pattern;
	while (*q != '\0') {
		if (*q == '*') {
			size_t seg = strcspn(p, "/");
			if (seg == 0 || np == WEBAPI_MAX_PARAMS)
				goto no;
			params[np++] = p;
			p += seg;
			q++;
			if (*p == '/') {
				if (*q != '/')
					goto no;
				*p++ = '\0';
				q++;
			}
			continue;
		}
		if (*p != *q)
			goto no;
		p++;
		q++;
	}
	/* A trailing slash is the same path ("/v1/runs/"). */
	if (*p == '/' && p[1] == '\0')
		*p = '\0';
	if (*p != '\0')
		goto no;
	*buf = copy;
	return true;
no:
	free(copy);
	return false;
}

/* ---- answers ------------------------------------------------------------- */

void
webapi_reply_json(webapi_call_t *call, unsigned status, json_t **j)
{
	free(call->out->body);
	call->out->status = status;
	call->out->body = xasprintf("%s\n", json_text(*j));
	call->out->type = "application/json";
	json_destroy(j);
}

__attribute__((format(printf, 4, 0))) static void
webapi_verror(webapi_call_t *call, unsigned status, const char *code, const char *fmt, va_list ap)
{
	char *msg = xvasprintf(fmt, ap); /* owned */
	json_t *j = json_new_object();
	json_key(j, "error");
	json_object_begin(j);
	json_member_string(j, "code", code);
	json_member_string(j, "message", msg);
	json_object_end(j);
	json_object_end(j);
	webapi_reply_json(call, status, &j);
	free(msg);
}

void
webapi_error(webapi_call_t *call, unsigned status, const char *code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	webapi_verror(call, status, code, fmt, ap);
	va_end(ap);
}

void
webapi_bad_param(webapi_call_t *call, const char *name, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *why = xvasprintf(fmt, ap); /* owned */
	va_end(ap);
	webapi_error(call, 400, "bad_request", "param \"%s\": %s", name, why);
	free(why);
}

bool
webapi_arg_uint(webapi_call_t *call, const char *name, uint64_t min, uint64_t max, uint64_t dflt,
                uint64_t *out)
{
	const char *v = httpd_request_arg(call->req, name);
	*out = dflt;
	if (v == NULL)
		return true;
	char *end = NULL;
	unsigned long long n = 0;
	if (v[0] >= '0' && v[0] <= '9')
		n = strtoull(v, &end, 10);
	if (end == NULL || *end != '\0' || n < min || n > max) {
		webapi_bad_param(call, name, "\"%.40s\" is not a whole number from %llu to %llu", v,
		                 (unsigned long long)min, (unsigned long long)max);
		return false;
	}
	*out = n;
	return true;
}

/* The HTTP status and code word of an operator API refusal. */
static unsigned
webapi_status_of(Rota__ErrorCode code, const char **word)
{
	switch (code) {
	case ROTA__ERROR_CODE__ERR_NOT_FOUND:
	case ROTA__ERROR_CODE__ERR_UNKNOWN_RUNBOOK:
		*word = "not_found";
		return 404;
	case ROTA__ERROR_CODE__ERR_FORBIDDEN:
		*word = "forbidden";
		return 403;
	case ROTA__ERROR_CODE__ERR_CONFLICT:
		*word = "conflict";
		return 409;
	case ROTA__ERROR_CODE__ERR_UNAVAILABLE:
	case ROTA__ERROR_CODE__ERR_REDIRECT:
		*word = "unavailable";
		return 503;
	case ROTA__ERROR_CODE__ERR_INTERNAL:
		*word = "internal";
		return 500;
	case ROTA__ERROR_CODE__ERR_BAD_REQUEST:
	case ROTA__ERROR_CODE__ERR_BAD_RUNBOOK:
	case ROTA__ERROR_CODE__ERR_BAD_PARAMS:
	case ROTA__ERROR_CODE__ERR_NO_TARGETS:
	default:
		*word = "bad_request";
		return 400;
	}
}

Rota__Envelope *
webapi_ask(webapi_call_t *call, Rota__Request *req)
{
	webapi_t *w = call->w;
	api_t *api = w->cfg.api;
	bool writes = api_request_writes(req);
	if (writes) {
		const char *why = w->cfg.write_refusal(w->cfg.ctx);
		if (why != NULL) {
			webapi_error(call, 503, "unavailable", "%s", why);
			return NULL;
		}
	}
	Rota__Envelope *env = NULL; /* owned until returned */
	api->captured = &env;
	api->caller = call->caller.name;
	api->caller_role = call->caller.role;
	api->caller_peer = call->req->peer;
	api->caller_key = call->caller.key;
	api_handle(api, NULL, 0, req);
	api->captured = NULL;
	api->caller = "";
	api->caller_role = 0;
	api->caller_peer = "";
	api->caller_key = "";
	/* A read may have opened a read transaction: the commit closes it;
	 * a write's answer (and audit row) stands only once committed. */
	if (w->cfg.commit(w->cfg.ctx) != 0) {
		if (env != NULL)
			rota__envelope__free_unpacked(env, NULL);
		webapi_error(call, 503, "unavailable",
		             "the coordinator could not record this; nothing was done; try again"
		             " later (see the coordinator's log)");
		return NULL;
	}
	if (env == NULL || env->response == NULL) {
		if (env != NULL)
			rota__envelope__free_unpacked(env, NULL);
		webapi_error(call, 500, "internal", "the operator API gave no answer");
		return NULL;
	}
	if (env->response->error != NULL) {
		const char *word = NULL;
		unsigned status = webapi_status_of(env->response->error->code, &word);
		webapi_error(call, status, word, "%s", env->response->error->message);
		rota__envelope__free_unpacked(env, NULL);
		return NULL;
	}
	return env;
}

bool
webapi_same(const char *given, const char *want)
{
	if (given == NULL || want == NULL || want[0] == '\0')
		return false;
	size_t n = strlen(want);
	if (strlen(given) != n)
		return false;
	/* Constant time in the token's length: no early exit on a mismatch. */
	unsigned char diff = 0;
	for (size_t i = 0; i < n; i++)
		diff |= (unsigned char)(given[i] ^ want[i]);
	return diff == 0;
}

/* ---- who is asking ------------------------------------------------------- */

bool
webapi_identify(webapi_call_t *call)
{
	webapi_t *w = call->w;
	if (webapi_session_find(call))
		return true;
	if (!security_curve(w->cfg.svc->security)) {
		/* No keys: like the CLI on this coordinator, an admin
		 * without a name (api_caller_role). */
		memset(&call->caller, 0, sizeof(call->caller));
		call->caller.role = KEYRING_ROLE_ADMIN;
		snprintf(call->caller.csrf, sizeof(call->caller.csrf), "%s", w->anon_csrf);
		return true;
	}
	webapi_error(call, 401, "unauthorized",
	             "sign in first: run 'rota web login' and open the link it prints");
	return false;
}

bool
webapi_signed_in(void *ctx, const httpd_request_t *req)
{
	webapi_call_t call = {.w = ctx, .req = req};
	/* Every role may follow (a viewer reads runs' output on the socket). */
	return !call.w->cfg.console_needs_tls && webapi_session_find(&call) &&
	       call.caller.role >= KEYRING_ROLE_VIEWER;
}

/* ---- dispatch ------------------------------------------------------------ */

static void
webapi_random_hex(char *out, size_t bytes)
{
	unsigned char raw[32];
	if (bytes > sizeof(raw))
		bytes = sizeof(raw);
	if (getrandom(raw, bytes, 0) != (ssize_t)bytes)
		log_fatal("webapi: getrandom failed: no token can be made");
	for (size_t i = 0; i < bytes; i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
	explicit_bzero(raw, sizeof(raw));
}

webapi_t *
webapi_new(const webapi_config_t *cfg)
{
	webapi_t *w = xcalloc(1, sizeof(*w));
	w->cfg = *cfg;
	webapi_random_hex(w->anon_csrf, 32);
	return w;
}

void
webapi_destroy(webapi_t **wp)
{
	if (wp == NULL || *wp == NULL)
		return;
	free(*wp);
	*wp = NULL;
}

void
webapi_serve(void *ctx, const httpd_request_t *req, httpd_reply_t *out)
{
	webapi_call_t call = {.w = ctx, .req = req, .out = out};
	bool get = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
	const webapi_route_t *route = NULL;
	char allow[64] = "";
	for (size_t i = 0; i < WEBAPI_ROUTE_COUNT; i++) {
		const webapi_route_t *r = &webapi_routes[i];
		const char *params[WEBAPI_MAX_PARAMS] = {0};
		char *buf = NULL;
		if (!webapi_match(r->pattern, req->path, params, &buf))
			continue;
		bool fits =
		    strcmp(r->method, req->method) == 0 || (get && strcmp(r->method, "GET") == 0);
		if (!fits) {
			if (strstr(allow, r->method) == NULL)
				snprintf(allow + strlen(allow), sizeof(allow) - strlen(allow),
				         "%s%s", allow[0] ? ", " : "", r->method);
			free(buf);
			continue;
		}
		route = r;
		memcpy(call.params, params, sizeof(params));
		call.param_buf = buf;
		break;
	}
	if (route == NULL && allow[0] != '\0') {
		out->allow = strstr(allow, "GET") != NULL ? "GET, HEAD" : "POST";
		webapi_error(&call, 405, "method_not_allowed", "%s %s: use %s", req->method,
		             req->path, allow);
		return;
	}
	if (route == NULL) {
		webapi_error(&call, 404, "not_found", "no such endpoint: %s (see docs/http-api.md)",
		             req->path);
		return;
	}
	if (call.w->cfg.console_needs_tls) {
		webapi_error(&call, 403, "needs_https",
		             "the console and its API need HTTPS beyond loopback (sessions would"
		             " cross the network in the clear): start the coordinator with"
		             " --http-tls-cert FILE --http-tls-key FILE, or --insecure to accept"
		             " that");
		goto done;
	}
	if (req->too_large) {
		webapi_error(&call, 413, "too_large", "the request body is over %d bytes",
		             HTTPD_BODY_MAX_BYTES);
		goto done;
	}
	if (route->signed_in && !webapi_identify(&call))
		goto done;
	call.has_caller = route->signed_in;
	if (route->need != WEBAPI_AS_API && call.caller.role < route->need) {
		webapi_error(&call, 403, "forbidden", "%s %s needs the %s role", req->method,
		             req->path, keyring_role_name((keyring_role_t)route->need));
		goto done;
	}
	/* A state change must carry the caller's CSRF token: another site's
	 * page can make a browser send the cookie, not read the token. */
	if (strcmp(route->method, "POST") == 0) {
		const char *token = httpd_request_header(req, "X-CSRF-Token");
		if (!webapi_same(token, call.caller.csrf)) {
			webapi_error(&call, 403, "csrf",
			             "missing or wrong X-CSRF-Token header: send the csrf_token of"
			             " GET /v1/session with every POST");
			goto done;
		}
		if (!webapi_body_parse(&call))
			goto done;
	}
	route->handle(&call);
done:
	webapi_body_free(&call);
	free(call.param_buf);
}
