/* api_maintenance: rota maintenance start|end|list, and what workers and
 * status say of the windows (maintenance.h says what a window does).
 *
 * Starting and ending a window are the operator's (docs/security.md) and
 * audited with the window's id; listing is a viewer's. A freeze, or "all"
 * for longer than 4h, is the admin's (maintenance_role_needed, checked by
 * api_handle through api_maintenance_role). A window is written in the
 * turn's transaction and takes effect at once: the next scheduled run,
 * alert or submit reads it from the store. Ending a recurring window of
 * the configuration ends its current occurrence only (a row of
 * maintenance_ended): its next occurrence begins on time. Must never:
 * start a window without a reason or an end, or remove a recurring window
 * (that is the file's to change, and a reload's to apply). */
#include "api_internal.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "duration.h"
#include "maintenance.h"
#include "xalloc.h"

/* The known workers w covers, for the answer (borrowed ids). */
static void
api_maintenance_hosts(api_t *api, const char *target, Rota__MaintenanceWindow *out)
{
	size_t n = registry_count(api->svc->registry);
	out->hosts = xcalloc(n + 1, sizeof(*out->hosts));
	for (size_t i = 0; i < n && out->n_hosts < API_MAX_LIST; i++) {
		worker_t *w = registry_at(api->svc->registry, i);
		if (maintenance_target_matches(target, w))
			out->hosts[out->n_hosts++] = w->id;
	}
}

/* out borrows w's strings; free out->hosts after the reply. */
static void
api_maintenance_fill(api_t *api, const maint_window_t *w, const char *ended_by, int64_t now_ms,
                     Rota__MaintenanceWindow *out)
{
	rota__maintenance_window__init(out);
	out->id = (char *)w->id;
	out->target = (char *)w->target;
	out->reason = (char *)w->reason;
	out->by = (char *)w->by;
	out->freeze = w->freeze;
	out->recurring = w->recurring;
	out->starts_ms = w->starts_ms;
	out->ends_ms = w->ends_ms;
	out->state = (char *)(w->starts_ms <= now_ms && now_ms < w->ends_ms ? "active" : "planned");
	out->ended_by = (char *)(ended_by ? ended_by : "");
	api_maintenance_hosts(api, w->target, out);
}

static void
api_maintenance_answer(api_t *api, const uint8_t *identity, size_t identity_len, uint64_t id,
                       const maint_window_t *w, const char *ended_by, int64_t now_ms)
{
	Rota__MaintenanceWindow win;
	api_maintenance_fill(api, w, ended_by, now_ms, &win);
	Rota__MaintenanceResponse body = ROTA__MAINTENANCE_RESPONSE__INIT;
	body.window = &win;
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = id;
	resp.body_case = ROTA__RESPONSE__BODY_MAINTENANCE;
	resp.maintenance = &body;
	api_reply(api, identity, identity_len, &resp);
	free(win.hosts);
}

static void
api_maintenance_start(api_t *api, const uint8_t *identity, size_t identity_len,
                      const Rota__Request *req)
{
	const Rota__MaintenanceRequest *m = req->maintenance;
	char *error = NULL;
	if (maintenance_target_check(m->target, &error) != 0) {
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_BAD_REQUEST,
		           "%s (as in rota maintenance start --target db-1 --for 2h --reason"
		           " 'kernel upgrade')",
		           error);
		free(error);
		return;
	}
	if (m->for_ms < 60000 || m->for_ms > (uint64_t)MAINTENANCE_MAX_MS) {
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_BAD_REQUEST,
		           "a window lasts from 1m to 30d: give --for, like --for 2h");
		return;
	}
	if (m->reason == NULL || m->reason[0] == '\0') {
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_BAD_REQUEST,
		           "a window needs a reason, as in --reason 'kernel upgrade'");
		return;
	}
	if (m->freeze && strcmp(m->target, "all") != 0) {
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_BAD_REQUEST,
		           "--freeze pauses every schedule, so it goes with --target all, not %s",
		           m->target);
		return;
	}
	int64_t now = clock_wall_ms();
	store_maint_t row = {
	    .target = m->target,
	    .reason = m->reason,
	    .created_by = (char *)api_operator(api, m->by),
	    .freeze = m->freeze,
	    .starts_ms = now,
	    .ends_ms = now + (int64_t)m->for_ms,
	};
	int64_t id = 0;
	if (store_maint_add(api->svc->store, &row, &id) != 0) {
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_INTERNAL,
		           "the store could not record the window (see the coordinator's log)");
		return;
	}
	maint_window_t w = {
	    .target = row.target,
	    .reason = row.reason,
	    .by = row.created_by,
	    .freeze = row.freeze,
	    .starts_ms = row.starts_ms,
	    .ends_ms = row.ends_ms,
	};
	snprintf(w.id, sizeof(w.id), MAINTENANCE_ID_PREFIX "%lld", (long long)id);
	char length[32];
	duration_format((int64_t)m->for_ms, length, sizeof(length));
	api_target(api, xstrdup(w.id));
	api_note(api, xasprintf("%s for %s%s: %s", m->target, length, m->freeze ? " (freeze)" : "",
	                        m->reason));
	api_maintenance_answer(api, identity, identity_len, req->id, &w, NULL, now);
}

/* The windows active or to come at now (the configuration's and the
 * store's) into *set; false after refusing req when the store cannot read
 * them. */
static bool
api_maintenance_windows(api_t *api, const uint8_t *identity, size_t identity_len,
                        const Rota__Request *req, int64_t now, maint_set_t *set)
{
	if (maintenance_list(api->svc->store, config_maintenance(api->svc->config), now, set) == 0)
		return true;
	api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_INTERNAL,
	           "the store could not read the windows (see the coordinator's log)");
	return false;
}

/* Ends the current occurrence of a recurring window (MW-NAME): refused
 * when the configuration has no such window, or it is not running now. */
static void
api_maintenance_end_recurring(api_t *api, const uint8_t *identity, size_t identity_len,
                              const Rota__Request *req)
{
	const Rota__MaintenanceRequest *m = req->maintenance;
	int64_t now = clock_wall_ms();
	const char *by = api_operator(api, m->by);
	maint_set_t set;
	if (!api_maintenance_windows(api, identity, identity_len, req, now, &set))
		return;
	const maint_window_t *w = maintenance_find_recurring(&set, m->id);
	if (w == NULL)
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_NOT_FOUND,
		           "no window '%s': give an id rota maintenance list shows (MW-3, or"
		           " MW-NAME for a recurring window of the configuration)",
		           m->id ? m->id : "");
	else if (w->starts_ms > now) {
		char next[32];
		clock_format(w->starts_ms, next, sizeof(next));
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_NOT_FOUND,
		           "window %s is not running now; its next occurrence starts at %s UTC (to"
		           " drop it, remove it from the configuration's maintenance: and rota"
		           " reload)",
		           w->id, next);
	}
	int rc =
	    w == NULL || w->starts_ms > now
	        ? 1
	        : store_maint_end_occurrence(api->svc->store, w->id + strlen(MAINTENANCE_ID_PREFIX),
	                                     w->starts_ms, now, by);
	if (rc < 0)
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_INTERNAL,
		           "the store could not end the window (see the coordinator's log)");
	if (rc != 0) {
		maintenance_set_free(&set);
		return;
	}
	char started[32];
	clock_format(w->starts_ms, started, sizeof(started));
	maint_window_t ended = *w;
	ended.ends_ms = now;
	api_target(api, xstrdup(w->id));
	api_note(api, xasprintf("ended %s early, its occurrence started %s UTC (%s: %s); the next"
	                        " begins on schedule",
	                        w->id, started, w->target, w->reason));
	api_maintenance_answer(api, identity, identity_len, req->id, &ended, by, now);
	maintenance_set_free(&set);
}

static void
api_maintenance_end(api_t *api, const uint8_t *identity, size_t identity_len,
                    const Rota__Request *req)
{
	const Rota__MaintenanceRequest *m = req->maintenance;
	int64_t id = maintenance_parse_id(m->id);
	if (id < 0) {
		api_maintenance_end_recurring(api, identity, identity_len, req);
		return;
	}
	int64_t now = clock_wall_ms();
	const char *by = api_operator(api, m->by);
	/* The window as it was, for the answer and the audit row. */
	maint_set_t set;
	if (maintenance_list(api->svc->store, NULL, now, &set) != 0) {
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_INTERNAL,
		           "the store could not read the windows (see the coordinator's log)");
		return;
	}
	char want[MAINTENANCE_ID_MAX];
	snprintf(want, sizeof(want), MAINTENANCE_ID_PREFIX "%lld", (long long)id);
	const maint_window_t *w = NULL;
	for (size_t i = 0; i < set.count && w == NULL; i++)
		if (strcmp(set.items[i].id, want) == 0)
			w = &set.items[i];
	int rc = w ? store_maint_end(api->svc->store, id, now, by) : 1;
	if (rc < 0)
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_INTERNAL,
		           "the store could not end the window (see the coordinator's log)");
	else if (rc > 0)
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_NOT_FOUND,
		           "no window %s is running (rota maintenance list shows those that are)",
		           want);
	if (rc != 0) {
		maintenance_set_free(&set);
		return;
	}
	maint_window_t ended = *w;
	ended.ends_ms = now;
	api_target(api, xstrdup(want));
	api_note(api, xasprintf("ended %s early (%s: %s)", want, w->target, w->reason));
	api_maintenance_answer(api, identity, identity_len, req->id, &ended, by, now);
	maintenance_set_free(&set);
}

void
api_maintenance(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req)
{
	const char *action = req->maintenance->action ? req->maintenance->action : "";
	if (strcmp(action, "start") == 0)
		api_maintenance_start(api, identity, identity_len, req);
	else if (strcmp(action, "end") == 0)
		api_maintenance_end(api, identity, identity_len, req);
	else
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_BAD_REQUEST,
		           "rota maintenance does start, end or list, not '%s'", action);
}

keyring_role_t
api_maintenance_role(const Rota__Request *req, const char **why)
{
	const Rota__MaintenanceRequest *m = req->maintenance;
	*why = "";
	if (strcmp(m->action ? m->action : "", "start") != 0)
		return KEYRING_ROLE_OPERATOR;
	return maintenance_role_needed(m->target, m->for_ms, m->freeze, why);
}

char *
api_maintenance_target(const Rota__Request *req)
{
	const Rota__MaintenanceRequest *m = req->maintenance;
	const char *t = strcmp(m->action ? m->action : "", "end") == 0 ? m->id : m->target;
	return xstrdup(t ? t : "");
}

void
api_maintenance_list(api_t *api, const uint8_t *identity, size_t identity_len,
                     const Rota__Request *req)
{
	int64_t now = clock_wall_ms();
	maint_set_t set;
	if (!api_maintenance_windows(api, identity, identity_len, req, now, &set))
		return;
	Rota__MaintenanceListResponse body = ROTA__MAINTENANCE_LIST_RESPONSE__INIT;
	Rota__MaintenanceWindow *wins = xcalloc(set.count + 1, sizeof(*wins));
	body.windows = xcalloc(set.count + 1, sizeof(*body.windows));
	for (size_t i = 0; i < set.count; i++) {
		api_maintenance_fill(api, &set.items[i], NULL, now, &wins[i]);
		body.windows[body.n_windows++] = &wins[i];
	}
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = req->id;
	resp.body_case = ROTA__RESPONSE__BODY_MAINTENANCE_LIST;
	resp.maintenance_list = &body;
	api_reply(api, identity, identity_len, &resp);
	for (size_t i = 0; i < set.count; i++)
		free(wins[i].hosts);
	free(wins);
	free(body.windows);
	maintenance_set_free(&set);
}

void
api_maintenance_status(api_t *api, Rota__StatusResponse *body, char **freeze)
{
	maint_set_t set;
	*freeze = NULL;
	if (maintenance_active(api->svc->store, config_maintenance(api->svc->config),
	                       clock_wall_ms(), &set) != 0)
		return;
	body->maintenance_windows = (uint32_t)set.count;
	for (size_t i = 0; i < registry_count(api->svc->registry); i++)
		if (maintenance_covering(&set, registry_at(api->svc->registry, i)) != NULL)
			body->hosts_in_maintenance++;
	const maint_window_t *f = maintenance_freeze(&set);
	if (f != NULL)
		*freeze = xstrdup(f->id);
	body->freeze = *freeze ? *freeze : (char *)"";
	maintenance_set_free(&set);
}
