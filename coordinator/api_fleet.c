/* api_fleet: the operator requests about the fleet and the coordinator
 * itself: workers, workers remove, keys, status, audit.
 *
 * Must never: forget a worker that is connected or still has a step to
 * finish, or name a key by more than its fingerprint. */
#include "api_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "keys.h"
#include "log.h"
#include "maintenance.h"
#include "run.h"
#include "xalloc.h"

void
api_workers(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req)
{
	size_t n = registry_count(api->svc->registry);
	Rota__ListWorkersResponse body = ROTA__LIST_WORKERS_RESPONSE__INIT;
	body.total = (uint32_t)n;
	if (req->workers->limit > 0 && req->workers->limit < n)
		n = req->workers->limit;
	Rota__WorkerInfo *infos = xcalloc(n, sizeof(*infos));
	body.workers = xcalloc(n, sizeof(*body.workers));
	/* The windows active now: each worker's says which covers it. */
	maint_set_t maint;
	if (maintenance_active(api->svc->store, config_maintenance(api->svc->config),
	                       clock_wall_ms(), &maint) != 0)
		log_warn("api: cannot read the maintenance windows for rota workers");
	body.n_workers = n;
	for (size_t i = 0; i < n; i++) {
		worker_t *w = registry_at(api->svc->registry, i);
		Rota__WorkerInfo *info = &infos[i];
		rota__worker_info__init(info);
		info->id = w->id;
		info->hostname = w->hostname;
		info->version = w->version;
		/* Known from the store and not seen since the start (no
		 * monotonic sighting): back soon, or lost once settled. */
		bool returning =
		    !w->connected && !w->stopping && w->last_seen_mono == 0 && api->settling;
		info->state = (char *)(returning ? "reconnecting" : registry_state(w));
		info->replaced = w->replaced;
		info->peer = w->peer;
		info->spool_error = w->spool_error;
		info->last_seen_ms = w->last_seen_wall;
		info->addresses = w->addresses; /* borrowed, like the strings above */
		info->n_addresses = w->address_count;
		const maint_window_t *mw = maintenance_covering(&maint, w);
		info->maintenance = (char *)(mw ? mw->id : "");
		info->n_labels = w->label_count;
		info->labels = xcalloc(w->label_count, sizeof(*info->labels));
		for (size_t k = 0; k < w->label_count; k++) {
			Rota__Label *l = xmalloc(sizeof(*l));
			rota__label__init(l);
			l->key = w->labels[k].key;
			l->value = w->labels[k].value;
			info->labels[k] = l;
		}
		body.workers[i] = info;
	}
	/* The steps in flight on each worker, from the active runs. The keys
	 * borrow the runs' strings. */
	for (run_t *run = dispatcher_runs(api->svc->dispatcher); run; run = run->next) {
		for (size_t h = 0; h < run->host_count; h++) {
			int s = run_inflight_step(run, h);
			worker_t *w = registry_find(api->svc->registry, run->hosts[h].host);
			/* A manual or notify step runs on no worker. */
			if (s < 0 || w == NULL || run->policy[s].kind != RUN_KIND_WORKER)
				continue;
			for (size_t i = 0; i < n; i++) {
				Rota__WorkerInfo *info = &infos[i];
				if (info->id != w->id)
					continue;
				Rota__StepKey *k = xmalloc(sizeof(*k));
				rota__step_key__init(k);
				k->run_id = run->id;
				k->step_id = run->hosts[h].steps[s].step_id;
				k->host = run->hosts[h].host;
				k->attempt = run->hosts[h].steps[s].attempt;
				info->running =
				    xrealloc(info->running, (info->n_running + 1) * sizeof(k));
				info->running[info->n_running++] = k;
			}
		}
	}
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = req->id;
	resp.body_case = ROTA__RESPONSE__BODY_WORKERS;
	resp.workers = &body;
	api_reply(api, identity, identity_len, &resp);
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < infos[i].n_labels; k++)
			free(infos[i].labels[k]);
		free(infos[i].labels);
		for (size_t k = 0; k < infos[i].n_running; k++)
			free(infos[i].running[k]);
		free(infos[i].running);
	}
	free(infos);
	free(body.workers);
	maintenance_set_free(&maint);
}

/* At most this many ids are named in a refusal for an unknown worker: the
 * message must stay one readable line however large the fleet. */
#define API_MAX_NAMED_WORKERS 20

/* "w1, w2, ... and N more" (or "none"): the workers the registry knows, for
 * an unknown id's refusal; the caller frees. */
static char *
api_known_workers(api_t *api)
{
	size_t n = registry_count(api->svc->registry);
	if (n == 0)
		return xstrdup("none");
	size_t shown = n < API_MAX_NAMED_WORKERS ? n : API_MAX_NAMED_WORKERS;
	size_t len = 32;
	for (size_t i = 0; i < shown; i++)
		len += strlen(registry_at(api->svc->registry, i)->id) + 2;
	char *out = xmalloc(len);
	size_t off = 0;
	for (size_t i = 0; i < shown; i++)
		off += (size_t)snprintf(out + off, len - off, "%s%s", i ? ", " : "",
		                        registry_at(api->svc->registry, i)->id);
	if (shown < n)
		snprintf(out + off, len - off, " and %zu more", n - shown);
	return out;
}

/* The first active run that still has a step of worker id to finish
 * (pending, in flight, waiting for approval, or a later batch), with the
 * step, or NULL: removing the worker then would leave the run waiting for
 * a host nobody can bring back under that name. */
static const run_t *
api_worker_busy(api_t *api, const char *id, const run_step_t **step)
{
	for (run_t *run = dispatcher_runs(api->svc->dispatcher); run; run = run->next) {
		int h = run_find_host(run, id);
		if (h < 0 || run_host_done(run, (size_t)h))
			continue;
		*step = NULL;
		for (size_t k = 0; k < run->step_count && *step == NULL; k++)
			if (!run_step_status_terminal(run->hosts[h].steps[k].status))
				*step = &run->hosts[h].steps[k];
		return run;
	}
	return NULL;
}

/* rota workers remove ID: forgets a worker that is gone for good (a
 * decommissioned host), so that it stops showing as lost and new runs stop
 * recording it as unreachable. Its past step runs keep its id. */
void
api_remove_worker(api_t *api, const uint8_t *identity, size_t identity_len,
                  const Rota__Request *req)
{
	const char *id = req->remove_worker->id;
	if (id == NULL || id[0] == '\0') {
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_BAD_REQUEST,
		           "name the worker to remove");
		return;
	}
	worker_t *w = registry_find(api->svc->registry, id);
	if (w == NULL) {
		char *known = api_known_workers(api);
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_NOT_FOUND,
		           "unknown worker '%s'; the coordinator knows: %s", id, known);
		free(known);
		return;
	}
	/* A connected worker would only be known again at its next message:
	 * removing it would hide it, not retire it. */
	if (w->connected) {
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_CONFLICT,
		           "worker %s is connected; stop it first (and remove its key from"
		           " authorized_workers/ if it must not come back)",
		           w->id);
		return;
	}
	const run_step_t *step = NULL;
	const run_t *run = api_worker_busy(api, w->id, &step);
	if (run != NULL) {
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_CONFLICT,
		           "worker %s still has step %s %s in run %s; let the run end, or cancel"
		           " it there first (rota cancel %s --host %s)",
		           w->id, step ? step->step_id : "?",
		           step ? run_step_status_name(step->status) : "pending", run->id, run->id,
		           w->id);
		return;
	}
	/* The store first: when it cannot forget the worker, memory is left as
	 * it was and the operator is told. (A commit that fails later leaves
	 * the row behind; the worker then shows as lost again after a restart
	 * and is removed again.) */
	if (store_worker_delete(api->svc->store, w->id) != 0) {
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_INTERNAL,
		           "the store could not forget worker %s (see the coordinator's log)",
		           w->id);
		return;
	}
	const keyring_t *keys = api->svc->security ? security_keyring(api->svc->security) : NULL;
	const char *dir = api->svc->security ? security_workers_dir(api->svc->security) : NULL;
	bool key_listed = keys != NULL && keyring_worker_by_id(keys, w->id) != NULL;
	char *key_path = key_listed && dir ? xasprintf("%s/%s", dir, w->id) : xstrdup("");
	char seen[32];
	clock_format(w->last_seen_wall, seen, sizeof(seen));

	Rota__RemoveWorkerResponse body = ROTA__REMOVE_WORKER_RESPONSE__INIT;
	body.id = xstrdup(w->id);
	/* As rota workers shows one not connected: lost or stopped. */
	const char *state = registry_state(w);
	body.state = (char *)state;
	body.last_seen_ms = w->last_seen_wall;
	body.key_listed = key_listed;
	body.key_path = key_path;
	body.curve = api->curve;
	api_note(api,
	         xasprintf("forgot worker %s (%s, last seen %s UTC)%s", w->id, state, seen,
	                   key_listed ? "; its key is still listed: it can connect again" : ""));
	if (registry_remove(api->svc->registry, w->id) != 0)
		log_error("workers remove: %s vanished from the registry", body.id);
	log_info("worker %s removed by %s%s", body.id, api_actor(api),
	         key_listed ? " (its key is still listed: it can connect again)" : "");
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = req->id;
	resp.body_case = ROTA__RESPONSE__BODY_REMOVE_WORKER;
	resp.remove_worker = &body;
	api_reply(api, identity, identity_len, &resp);
	free(body.id);
	free(key_path);
}

char *
api_remove_worker_target(const Rota__Request *req)
{
	return xstrdup(req->remove_worker->id ? req->remove_worker->id : "");
}

/* One KeyInfo, its strings owned (freed with the response). */
static Rota__KeyInfo *
api_key_info(const keyring_entry_t *e, const char *role, const char *state)
{
	char fp[KEYS_FINGERPRINT_CHARS + 1];
	Rota__KeyInfo *k = xmalloc(sizeof(*k));
	rota__key_info__init(k);
	k->name = xstrdup(e->name);
	k->fingerprint = xstrdup(keys_fingerprint(e->key, fp, sizeof(fp)));
	k->role = xstrdup(role);
	k->state = xstrdup(state);
	return k;
}

/* rota keys: who the coordinator admits now. Fingerprints only, as in the
 * audit trail: the list says who may connect, and the keys themselves
 * are in the files it names. */
void
api_keys(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req)
{
	Rota__ListKeysResponse *body = xmalloc(sizeof(*body));
	rota__list_keys_response__init(body);
	const keyring_t *keys = api->svc->security ? security_keyring(api->svc->security) : NULL;
	body->curve = keys != NULL;
	const char *z85 = api->svc->security ? security_public_z85(api->svc->security) : "";
	body->coordinator_fingerprint = xstrndup(z85, KEYS_FINGERPRINT_CHARS);
	const char *dir = api->svc->security ? security_workers_dir(api->svc->security) : NULL;
	const char *ops = api->svc->security ? security_operators_file(api->svc->security) : NULL;
	body->workers_dir = xstrdup(keys && dir ? dir : "");
	body->operators_file = xstrdup(keys && ops ? ops : "");
	size_t nw = keys ? keyring_worker_count(keys) : 0;
	size_t no = keys ? keyring_operator_count(keys) : 0;
	body->workers = xcalloc(nw + 1, sizeof(*body->workers));
	body->operators = xcalloc(no + 1, sizeof(*body->operators));
	for (size_t i = 0; i < nw; i++) {
		const keyring_entry_t *e = keyring_worker_at(keys, i);
		const worker_t *w = registry_find(api->svc->registry, e->name);
		const char *state = w == NULL ? "never seen" : registry_state(w);
		body->workers[body->n_workers++] = api_key_info(e, "", state);
	}
	for (size_t i = 0; i < no; i++) {
		const keyring_entry_t *e = keyring_operator_at(keys, i);
		body->operators[body->n_operators++] =
		    api_key_info(e, keyring_role_name(e->role), "");
	}
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = req->id;
	resp.body_case = ROTA__RESPONSE__BODY_KEYS;
	resp.keys = body;
	api_reply(api, identity, identity_len, &resp);
	rota__list_keys_response__free_unpacked(body, NULL);
}

void
api_status(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req)
{
	Rota__StatusResponse body = ROTA__STATUS_RESPONSE__INIT;
	if (api->status != NULL)
		api->status(api->status_ctx, &body);
	char *freeze = NULL; /* what body.freeze borrows */
	api_maintenance_status(api, &body, &freeze);
	body.curve = api->curve;
	body.caller = (char *)(api->caller ? api->caller : "");
	body.role = (char *)keyring_role_name((keyring_role_t)api_caller_role(api));
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = req->id;
	resp.body_case = ROTA__RESPONSE__BODY_STATUS;
	resp.status = &body;
	api_reply(api, identity, identity_len, &resp);
	free(freeze);
}

void
api_audit(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req)
{
	Rota__AuditResponse *body = xmalloc(sizeof(*body));
	if (audit_list(api->svc->store, req->audit->since_ms, req->audit->limit, body) != 0) {
		rota__audit_response__free_unpacked(body, NULL);
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_INTERNAL,
		           "the store could not read the audit trail (see the coordinator's log)");
		return;
	}
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = req->id;
	resp.body_case = ROTA__RESPONSE__BODY_AUDIT;
	resp.audit = body;
	api_reply(api, identity, identity_len, &resp);
	rota__audit_response__free_unpacked(body, NULL);
}
