/* api_library: the operator requests about the runbook library: runbooks,
 * reload, schedules; and the RunbookInfo list the coordinator's reload
 * answers with too.
 *
 * Must never: change the catalog itself (reload asks the coordinator,
 * which owns it). */
#include "api_internal.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static Rota__RunbookInfo *
api_runbook_info(const char *name, const char *path, const char *state, const char *errors)
{
	Rota__RunbookInfo *i = xmalloc(sizeof(*i));
	rota__runbook_info__init(i);
	i->name = xstrdup(name ? name : "");
	i->path = xstrdup(path);
	i->state = xstrdup(state);
	i->errors = xstrdup(errors ? errors : "");
	i->hash = xstrdup("");
	i->description = xstrdup("");
	i->cron = xstrdup("");
	i->timezone = xstrdup("");
	i->category = xstrdup("");
	return i;
}

void
api_runbooks_fill(const catalog_t *catalog, Rota__RunbookInfo ***out, size_t *n)
{
	size_t total = catalog_count(catalog) + catalog_invalid(catalog);
	*out = xcalloc(total + 1, sizeof(**out));
	*n = 0;
	for (size_t k = 0; k < catalog_count(catalog); k++) {
		const catalog_entry_t *e = catalog_at(catalog, k);
		const runbook_t *rb = e->rb;
		Rota__RunbookInfo *i =
		    api_runbook_info(rb->name, e->path, e->errors ? "stale" : "loaded", e->errors);
		free(i->hash);
		i->hash = xstrdup(e->hash);
		free(i->description);
		i->description = xstrdup(rb->description ? rb->description : "");
		if (rb->schedule.present) {
			free(i->cron);
			free(i->timezone);
			i->cron = xstrdup(rb->schedule.cron);
			i->timezone =
			    xstrdup(rb->schedule.timezone ? rb->schedule.timezone : "UTC");
		}
		i->step_count = (uint32_t)rb->step_count;
		free(i->category);
		i->category = xstrdup(rb->category != NULL ? rb->category : "");
		i->loaded_ms = e->loaded_ms;
		(*out)[(*n)++] = i;
	}
	for (size_t k = 0; k < catalog_invalid(catalog); k++) {
		const catalog_problem_t *p = catalog_problem_at(catalog, k);
		(*out)[(*n)++] = api_runbook_info(NULL, p->path, "invalid", p->errors);
	}
}

void
api_runbooks_free(Rota__RunbookInfo **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		rota__runbook_info__free_unpacked(list[i], NULL);
	free(list);
}

void
api_reload_response_clear(Rota__ReloadResponse *out)
{
	api_runbooks_free(out->runbooks, out->n_runbooks);
	out->runbooks = NULL;
	out->n_runbooks = 0;
}

void
api_runbooks(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req)
{
	Rota__ListRunbooksResponse body = ROTA__LIST_RUNBOOKS_RESPONSE__INIT;
	api_runbooks_fill(api->svc->catalog, &body.runbooks, &body.n_runbooks);
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = req->id;
	resp.body_case = ROTA__RESPONSE__BODY_RUNBOOKS;
	resp.runbooks = &body;
	api_reply(api, identity, identity_len, &resp);
	api_runbooks_free(body.runbooks, body.n_runbooks);
}

void
api_reload(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req)
{
	Rota__ReloadResponse body;
	char *error = NULL;
	if (api->reload(api->reload_ctx, &body, &error) != 0) {
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_BAD_REQUEST,
		           "%s", error);
		free(error);
		api_reload_response_clear(&body);
		return;
	}
	if (body.config_reloaded)
		api_note(api,
		         xasprintf("%u loaded (%u added, %u changed, %u removed), %u invalid;"
		                   " maintenance: %u recurring (%u added, %u changed,"
		                   " %u removed)",
		                   body.loaded, body.added, body.changed, body.removed,
		                   body.invalid, body.maintenance_windows, body.maintenance_added,
		                   body.maintenance_changed, body.maintenance_removed));
	else
		api_note(api, xasprintf("%u loaded (%u added, %u changed, %u removed), %u invalid",
		                        body.loaded, body.added, body.changed, body.removed,
		                        body.invalid));
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = req->id;
	resp.body_case = ROTA__RESPONSE__BODY_RELOAD;
	resp.reload = &body;
	api_reply(api, identity, identity_len, &resp);
	api_reload_response_clear(&body);
}

char *
api_reload_target(const Rota__Request *req)
{
	(void)req;
	return xstrdup("runbooks");
}

/* At most this many upcoming fire times per schedule. */
#define API_MAX_UPCOMING 1000

static Rota__ScheduleInfo *
api_schedule_info(api_t *api, const schedule_t *sc, uint32_t upcoming)
{
	Rota__ScheduleInfo *i = xmalloc(sizeof(*i));
	rota__schedule_info__init(i);
	i->runbook = xstrdup(sc->runbook);
	i->cron = xstrdup(sc->cron);
	i->timezone = xstrdup(sc->timezone);
	i->next_ms = sc->next_ms > 0 ? sc->next_ms : 0;
	i->last_ms = sc->last_slot_ms;
	i->last_run_id = xstrdup(sc->last_run_id ? sc->last_run_id : "");
	i->catchup = xstrdup(scheduler_catchup_name(sc->catchup));
	i->concurrency = xstrdup(scheduler_concurrency_name(sc->concurrency));
	i->jitter_ms = sc->jitter_ms;
	if (sc->last_run_id) {
		Rota__RunSummary sum;
		if (store_run_summary(api->svc->store, sc->last_run_id, &sum) == 0) {
			i->last_status = sum.status;
			store_run_summary_clear(&sum);
		}
	}
	if (upcoming > API_MAX_UPCOMING)
		upcoming = API_MAX_UPCOMING;
	i->upcoming = xcalloc(upcoming + 1, sizeof(*i->upcoming));
	i->upcoming_skipped = xcalloc(upcoming + 1, sizeof(*i->upcoming_skipped));
	const catalog_entry_t *e = catalog_find(api->svc->catalog, sc->runbook);
	const skipdates_t *skip = e != NULL ? &e->rb->schedule.skip : NULL;
	int64_t t = sc->next_ms;
	for (uint32_t k = 0; k < upcoming && t > 0; k++) {
		i->upcoming[i->n_upcoming++] = t;
		i->upcoming_skipped[i->n_upcoming_skipped++] =
		    skipdates_describe(skipdates_find(skip, t, sc->timezone));
		t = cron_next(&sc->expr, sc->timezone, t);
	}
	return i;
}

void
api_schedules(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req)
{
	const Rota__ListSchedulesRequest *lr = req->schedules;
	Rota__ListSchedulesResponse body = ROTA__LIST_SCHEDULES_RESPONSE__INIT;
	size_t n = scheduler_count(api->svc->scheduler);
	if (lr->runbook && lr->runbook[0]) {
		const schedule_t *sc = scheduler_find(api->svc->scheduler, lr->runbook);
		if (sc == NULL) {
			const catalog_entry_t *e = catalog_find(api->svc->catalog, lr->runbook);
			api_refuse(
			    api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_NOT_FOUND,
			    e ? "runbook %s has no schedule (add schedule: {cron: ...} to %s)"
			      : "unknown runbook '%s'%s; rota schedules lists the scheduled"
			        " ones",
			    lr->runbook, e ? e->path : "");
			return;
		}
		body.schedules = xcalloc(1, sizeof(*body.schedules));
		body.schedules[body.n_schedules++] = api_schedule_info(api, sc, lr->next);
	} else {
		body.schedules = xcalloc(n + 1, sizeof(*body.schedules));
		for (size_t k = 0; k < n; k++)
			body.schedules[body.n_schedules++] =
			    api_schedule_info(api, scheduler_at(api->svc->scheduler, k), lr->next);
	}
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = req->id;
	resp.body_case = ROTA__RESPONSE__BODY_SCHEDULES;
	resp.schedules = &body;
	api_reply(api, identity, identity_len, &resp);
	for (size_t k = 0; k < body.n_schedules; k++)
		rota__schedule_info__free_unpacked(body.schedules[k], NULL);
	free(body.schedules);
}

/* Fire times `rota runbook show NAME` lists when not asked for a number. */
#define API_RUNBOOK_NEXT 5

/* Whether the file at path is named name (its base name without .yaml or
 * .yml): how an invalid file, whose name did not parse, is found. */
static bool
api_file_named(const char *path, const char *name)
{
	const char *base = strrchr(path, '/');
	base = base != NULL ? base + 1 : path;
	size_t n = strlen(name);
	return strncmp(base, name, n) == 0 &&
	       (strcmp(base + n, ".yaml") == 0 || strcmp(base + n, ".yml") == 0);
}

bool
api_runbook_answer(api_t *api, Rota__RunbookInfo *const *all, size_t n, const char *name,
                   uint32_t next, Rota__ShowRunbookResponse *body)
{
	rota__show_runbook_response__init(body);
	const catalog_entry_t *e = name[0] != '\0' ? catalog_find(api->svc->catalog, name) : NULL;
	for (size_t k = 0; k < n && body->runbook == NULL && name[0] != '\0'; k++) {
		bool invalid = strcmp(all[k]->state, "invalid") == 0;
		if (e != NULL ? (!invalid && strcmp(all[k]->name, name) == 0)
		              : (invalid && api_file_named(all[k]->path, name)))
			body->runbook = all[k];
	}
	if (body->runbook == NULL)
		return false;
	body->yaml = (char *)(e != NULL ? e->yaml : "");
	if (e != NULL)
		body->policy = api_runbookdoc_policy(api->svc->config, e->rb);
	const schedule_t *sc = e != NULL ? scheduler_find(api->svc->scheduler, name) : NULL;
	if (sc != NULL)
		body->schedule = api_schedule_info(api, sc, next > 0 ? next : API_RUNBOOK_NEXT);
	return true;
}

void
api_runbook_answer_clear(Rota__ShowRunbookResponse *body)
{
	if (body->schedule != NULL)
		rota__schedule_info__free_unpacked(body->schedule, NULL);
	if (body->policy != NULL)
		rota__runbook_policy__free_unpacked(body->policy, NULL);
	body->schedule = NULL;
	body->policy = NULL;
}

void
api_runbook_show(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req)
{
	const Rota__ShowRunbookRequest *sr = req->runbook_show;
	const char *name = sr->name != NULL ? sr->name : "";
	Rota__ShowRunbookResponse body;
	Rota__RunbookInfo **all = NULL; /* owned */
	size_t n = 0;
	/* The list's rows are the runbook's summary: one shape for both. */
	api_runbooks_fill(api->svc->catalog, &all, &n);
	if (!api_runbook_answer(api, all, n, name, sr->next, &body)) {
		char *names = catalog_names(api->svc->catalog);
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_NOT_FOUND,
		           "unknown runbook '%.100s'; the coordinator has: %s", name, names);
		free(names);
		api_runbooks_free(all, n);
		return;
	}
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = req->id;
	resp.body_case = ROTA__RESPONSE__BODY_RUNBOOK_SHOW;
	resp.runbook_show = &body;
	api_reply(api, identity, identity_len, &resp);
	api_runbook_answer_clear(&body);
	api_runbooks_free(all, n);
}
