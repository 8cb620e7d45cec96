/* api_oncall: rota oncall (who is on call at an instant, and next, per
 * rotation) and rota oncall override (someone covers a rotation for a
 * while; stored, so it outlives a restart, and audited by its route).
 *
 * Must never: record an override for a rotation or a person the
 * configuration does not have. */
#include "api_internal.h"

#include <stdlib.h>

#include "clock.h"
#include "oncall.h"
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
