/* api_web: the web console's sign-in over the operators' socket: `rota web
 * login` (a one-time link, webapi_session.c) and `rota web logout`. */
#include "api_internal.h"

#include <stdlib.h>

#include "clock.h"
#include "webapi.h"
#include "xalloc.h"

char *
api_web_login_target(const Rota__Request *req)
{
	(void)req;
	return xstrdup("console");
}

void
api_web_login(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req)
{
	if (api->web == NULL) {
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_UNAVAILABLE,
		           "this coordinator serves no HTTP (--http off): there is no console to"
		           " sign in to");
		return;
	}
	char *url = NULL, *error = NULL; /* owned */
	int64_t expires = 0;
	if (webapi_login_issue(api->web, api->curve ? api->caller : "", api_caller_role(api),
	                       api->caller_key != NULL ? api->caller_key : "", clock_wall_ms(),
	                       &url, &expires, &error) != 0) {
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_UNAVAILABLE,
		           "%s", error);
		free(error);
		return;
	}
	/* The audit row says a link was made, never the link. */
	api_note(api, xstrdup("a one-time console sign-in link"));
	Rota__WebLoginResponse body = ROTA__WEB_LOGIN_RESPONSE__INIT;
	body.url = url;
	body.expires_ms = expires;
	body.session_ms = WEBAPI_SESSION_TTL_MS;
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = req->id;
	resp.body_case = ROTA__RESPONSE__BODY_WEB_LOGIN;
	resp.web_login = &body;
	api_reply(api, identity, identity_len, &resp);
	free(url);
}

char *
api_web_logout_target(const Rota__Request *req)
{
	return xstrdup(req->web_logout->all ? "every console session" : "own console sessions");
}

void
api_web_logout(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req)
{
	int role = api_caller_role(api);
	if (req->web_logout->all && role < KEYRING_ROLE_ADMIN) {
		const char *has = keyring_role_name((keyring_role_t)role);
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_FORBIDDEN,
		           "rota web logout --all needs the admin role; %s is %s %s (without --all"
		           " it ends your own sessions)",
		           api_actor(api), api_article(has), has);
		return;
	}
	uint64_t ended = 0;
	/* Without keys every session is the same nobody's: all of them. */
	const char *who = req->web_logout->all || !api->curve ? NULL : api->caller;
	if (store_web_revoke(api->svc->store, who, clock_wall_ms(), &ended) != 0) {
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_INTERNAL,
		           "the store could not end the sessions (see the coordinator's log)");
		return;
	}
	api_note(api,
	         xasprintf("ended %llu console session(s) and link(s)", (unsigned long long)ended));
	Rota__WebLogoutResponse body = ROTA__WEB_LOGOUT_RESPONSE__INIT;
	body.ended = ended;
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = req->id;
	resp.body_case = ROTA__RESPONSE__BODY_WEB_LOGOUT;
	resp.web_logout = &body;
	api_reply(api, identity, identity_len, &resp);
}
