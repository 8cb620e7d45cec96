/* jsondoc_fleet: the documents of `workers` and `audit` (see jsondoc.h). */
#include "jsondoc.h"

static void
jsondoc_worker_step(json_t *j, const Rota__StepKey *key)
{
	json_member_string(j, "run_id", key->run_id);
	json_member_string(j, "step_id", key->step_id);
	json_member_string(j, "host", key->host);
	json_member_uint(j, "attempt", key->attempt);
}

static void
jsondoc_worker(json_t *j, const Rota__WorkerInfo *w)
{
	json_member_string(j, "id", w->id);
	json_member_string(j, "hostname", w->hostname);
	json_key(j, "labels");
	json_object_begin(j);
	for (size_t k = 0; k < w->n_labels; k++) {
		if (w->labels[k] == NULL)
			continue;
		json_member_string(j, w->labels[k]->key, w->labels[k]->value);
	}
	json_object_end(j);
	json_member_string(j, "state", w->state);
	json_member_time(j, "last_seen_ms", w->last_seen_ms);
	json_member_string(j, "version", w->version);
	json_member_string(j, "peer", w->peer);
	json_member_uint(j, "replaced", w->replaced);
	json_member_string(j, "spool_error", w->spool_error);
	json_member_string(j, "maintenance", w->maintenance);
	jsondoc_strings(j, "addresses", w->addresses, w->n_addresses);
	JSON_MEMBER_OBJECTS(j, "running", w->running, w->n_running, jsondoc_worker_step);
}

json_t *
jsondoc_workers(const Rota__ListWorkersResponse *r)
{
	json_t *j = json_new_object();
	JSON_MEMBER_OBJECTS(j, "workers", r->workers, r->n_workers, jsondoc_worker);
	json_member_uint(j, "total", r->total > r->n_workers ? r->total : r->n_workers);
	json_object_end(j);
	return j;
}

static void
jsondoc_audit_entry(json_t *j, const Rota__AuditEntry *e)
{
	json_member_uint(j, "id", e->id);
	json_member_int(j, "at_ms", e->at_ms);
	json_member_string(j, "actor", e->actor);
	json_member_string(j, "role", e->role);
	json_member_string(j, "action", e->action);
	json_member_string(j, "target", e->target);
	json_member_string(j, "outcome", e->outcome);
	json_member_string(j, "detail", e->detail);
	json_member_string(j, "peer", e->peer);
	json_member_string(j, "key", e->key);
	json_member_uint(j, "count", e->count);
}

json_t *
jsondoc_audit(const Rota__AuditResponse *r)
{
	json_t *j = json_new_object();
	JSON_MEMBER_OBJECTS(j, "entries", r->entries, r->n_entries, jsondoc_audit_entry);
	json_object_end(j);
	return j;
}
