/* api_oncall: rota oncall (who is on call at an instant, and next, per
 * rotation), rota oncall override (someone covers a rotation for a
 * while; stored, so it outlives a restart, and audited by its route) and
 * rota oncall feed (a secret calendar link, webapi_feed.c).
 *
 * Must never: record an override for a rotation or a person the
 * configuration does not have, or write a feed link's secret anywhere
 * but the answer (the audit row says a link was made, never which). */
#include "api_internal.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "oncall.h"
#include "webapi.h"
#include "xalloc.h"

void
api_oncall(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req)
{
	const Rota__OncallRequest *r = req->oncall;
	int64_t at = r->at_ms > 0 ? r->at_ms : clock_wall_ms();
	Rota__OncallResponse body;
	int code = 0;
	char *error = NULL;
	if (oncall_answer(api->svc->oncall, r->rotation, at, r->weeks, &body, &code, &error) != 0) {
		api_refuse(api, identity, identity_len, req->id, (Rota__ErrorCode)code, "%s",
		           error);
		free(error);
		return;
	}
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = req->id;
	resp.body_case = ROTA__RESPONSE__BODY_ONCALL;
	resp.oncall = &body;
	api_reply(api, identity, identity_len, &resp);
	oncall_answer_clear(&body);
}

char *
api_oncall_override_target(const Rota__Request *req)
{
	return xstrdup(req->oncall_override->rotation ? req->oncall_override->rotation : "");
}

void
api_oncall_override(api_t *api, const uint8_t *identity, size_t identity_len,
                    const Rota__Request *req)
{
	const Rota__OncallOverrideRequest *r = req->oncall_override;
	rotation_override_t ov = {
	    .person = r->person,
	    .from_ms = r->from_ms,
	    .until_ms = r->until_ms,
	    .by = (char *)api_operator(api, r->by),
	};
	char *replaces = NULL, *error = NULL;
	int code = 0;
	if (oncall_override(api->svc->oncall, r->rotation, &ov, clock_wall_ms(), &replaces, &code,
	                    &error) != 0) {
		api_refuse(api, identity, identity_len, req->id, (Rota__ErrorCode)code, "%s",
		           error);
		free(error);
		return;
	}
	char from[32], until[32];
	clock_format(ov.from_ms, from, sizeof(from));
	clock_format(ov.until_ms, until, sizeof(until));
	api_note(api, xasprintf("%s covers %s from %s until %s UTC (instead of %s)", ov.person,
	                        r->rotation, from, until, replaces[0] ? replaces : "nobody"));
	Rota__OncallOverrideResponse body = ROTA__ONCALL_OVERRIDE_RESPONSE__INIT;
	body.rotation = r->rotation;
	body.person = ov.person;
	body.from_ms = ov.from_ms;
	body.until_ms = ov.until_ms;
	body.by = ov.by;
	body.replaces = replaces;
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = req->id;
	resp.body_case = ROTA__RESPONSE__BODY_ONCALL_OVERRIDE;
	resp.oncall_override = &body;
	api_reply(api, identity, identity_len, &resp);
	free(replaces);
}

char *
api_oncall_feed_target(const Rota__Request *req)
{
	return xstrdup(req->oncall_feed->rotation ? req->oncall_feed->rotation : "");
}

void
api_oncall_feed(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req)
{
	const Rota__OncallFeedRequest *r = req->oncall_feed;
	const char *rotation = r->rotation ? r->rotation : "";
	bool known = config_rotation(api->svc->config, rotation) != NULL;
	Rota__OncallFeedResponse body = ROTA__ONCALL_FEED_RESPONSE__INIT;
	body.rotation = (char *)rotation;
	char *url = NULL; /* owned */
	if (r->revoke) {
		/* A rotation gone from the file may still have links: they go. */
		uint64_t n = 0;
		if (store_oncall_feed_revoke(api->svc->store, rotation, &n) != 0) {
			api_refuse(
			    api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_INTERNAL,
			    "the store could not revoke the links (see the coordinator's log)");
			return;
		}
		if (n == 0 && !known) {
			api_refuse(api, identity, identity_len, req->id,
			           ROTA__ERROR_CODE__ERR_NOT_FOUND,
			           "no rotation %s and no feed link of it; `rota oncall` lists the"
			           " rotations",
			           rotation);
			return;
		}
		body.revoked = (uint32_t)n;
		api_note(api, xasprintf("revoked %llu calendar feed link(s) of %s",
		                        (unsigned long long)n, rotation));
	} else {
		if (!known) {
			api_refuse(api, identity, identity_len, req->id,
			           ROTA__ERROR_CODE__ERR_NOT_FOUND,
			           "no rotation %s; `rota oncall` lists them", rotation);
			return;
		}
		if (api->web == NULL) {
			api_refuse(api, identity, identity_len, req->id,
			           ROTA__ERROR_CODE__ERR_UNAVAILABLE,
			           "this coordinator serves no HTTP (--http off): a calendar app"
			           " would have nowhere to read the feed");
			return;
		}
		char *error = NULL;
		if (webapi_feed_issue(api->web, rotation, api_operator(api, r->by), clock_wall_ms(),
		                      &url, &error) != 0) {
			api_refuse(api, identity, identity_len, req->id,
			           ROTA__ERROR_CODE__ERR_UNAVAILABLE, "%s", error);
			free(error);
			return;
		}
		api_note(api, xasprintf("a calendar feed link of %s", rotation));
		body.url = url;
	}
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = req->id;
	resp.body_case = ROTA__RESPONSE__BODY_ONCALL_FEED;
	resp.oncall_feed = &body;
	api_reply(api, identity, identity_len, &resp);
	if (url != NULL) {
		explicit_bzero(url, strlen(url));
		free(url);
	}
}
