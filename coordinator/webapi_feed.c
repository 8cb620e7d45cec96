/* webapi_feed: a rotation's calendar, GET /v1/oncall/NAME.ics, for a
 * console session or for a calendar app holding a feed link (`rota oncall
 * feed NAME`: /v1/oncall/NAME.ics?token=SECRET).
 *
 * A feed link is a secret of 32 random bytes (getrandom); the store keeps
 * only its hash, with the one rotation it opens. A link opens that
 * rotation's calendar and nothing else: no session, no other endpoint.
 *
 * Must never: say whether a rotation exists to a caller without a session
 * or a valid link for it (a wrong token, an unknown rotation and another
 * rotation's link get the same 403), or keep a link's secret. */
#include "webapi_internal.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "oncall.h"
#include "xalloc.h"

/* The length of a link's secret, in hex. */
#define WEBAPI_FEED_TOKEN_CHARS 64

int
webapi_feed_issue(webapi_t *w, const char *rotation, const char *by, int64_t now_ms, char **url,
                  char **error)
{
	const char *base = webapi_base(w, error);
	if (base == NULL)
		return -1;
	char secret[WEBAPI_FEED_TOKEN_CHARS + 1], hash[129];
	webapi_secret(secret, WEBAPI_FEED_TOKEN_CHARS / 2);
	webapi_hash(secret, hash, sizeof(hash));
	if (store_oncall_feed_add(w->cfg.svc->store, rotation, hash, by, now_ms) != 0) {
		*error = xstrdup("the store could not keep the link (see the coordinator's log)");
		sodium_memzero(secret, sizeof(secret));
		return -1;
	}
	*url = xasprintf("%s://%s/v1/oncall/%s.ics?token=%s", w->cfg.tls ? "https" : "http", base,
	                 rotation, secret);
	sodium_memzero(secret, sizeof(secret));
	return 0;
}

/* The answer: rot's shifts as iCalendar. */
static void
webapi_ics_reply(webapi_call_t *call, const Rota__OncallResponse *r)
{
	free(call->out->body);
	call->out->status = 200;
	call->out->body = r->n_rotations == 1 ? oncall_ics(r->rotations[0], clock_wall_ms()) : NULL;
	call->out->type = "text/calendar; charset=utf-8";
}

/* With a feed link: the rotation its token opens, if it is name. */
static void
webapi_ics_by_token(webapi_call_t *call, const char *token, const char *name, uint32_t weeks)
{
	webapi_t *w = call->w;
	char hash[129], rotation[256] = "";
	int rc = 1;
	if (strlen(token) == WEBAPI_FEED_TOKEN_CHARS) {
		webapi_hash(token, hash, sizeof(hash));
		rc = store_oncall_feed_find(w->cfg.svc->store, hash, rotation, sizeof(rotation));
	}
	Rota__OncallResponse body;
	int code = 0;
	char *error = NULL; /* owned */
	bool answered = rc == 0 && strcmp(rotation, name) == 0 &&
	                oncall_answer(w->cfg.svc->oncall, name, clock_wall_ms(), weeks, &body,
	                              &code, &error) == 0;
	free(error);
	/* Reads only: close their transaction. */
	w->cfg.commit(w->cfg.ctx);
	if (rc < 0) {
		webapi_error(call, 503, "unavailable", "the store could not be read; try again");
		return;
	}
	if (!answered) {
		webapi_error(call, 403, "feed_token",
		             "this calendar link is not valid (revoked, mistyped, or not for this"
		             " path): ask an operator for a new one (rota oncall feed ROTATION)");
		return;
	}
	webapi_ics_reply(call, &body);
	oncall_answer_clear(&body);
}

/* GET /v1/oncall/NAME.ics: the rotation's shifts for the next weeks
 * (?weeks=N, ONCALL_ICS_WEEKS by default), as iCalendar for calendar apps;
 * with ?token= a feed link's, else a session's (the viewer role). */
void
webapi_oncall_ics(webapi_call_t *call)
{
	const char *file = call->params[0];
	size_t len = strlen(file);
	if (len <= 4 || strcmp(file + len - 4, ".ics") != 0) {
		webapi_error(call, 404, "not_found",
		             "no such path: the calendar is /v1/oncall/NAME.ics");
		return;
	}
	uint64_t weeks;
	if (!webapi_arg_uint(call, "weeks", 1, ONCALL_ICS_WEEKS_MAX, ONCALL_ICS_WEEKS, &weeks))
		return;
	char *name = xstrndup(file, len - 4); /* owned */
	const char *token = httpd_request_arg(call->req, "token");
	if (token != NULL) {
		webapi_ics_by_token(call, token, name, (uint32_t)weeks);
		free(name);
		return;
	}
	if (!webapi_identify(call)) {
		free(name);
		return;
	}
	call->has_caller = true;
	Rota__OncallRequest body = ROTA__ONCALL_REQUEST__INIT;
	body.rotation = name;
	body.weeks = (uint32_t)weeks;
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_ONCALL;
	req.oncall = &body;
	Rota__Envelope *env = webapi_ask(call, &req); /* owned */
	free(name);
	if (env == NULL)
		return;
	webapi_ics_reply(call, env->response->oncall);
	rota__envelope__free_unpacked(env, NULL);
}
