/* jsondoc_oncall: the documents of `oncall`, `oncall override`, `oncall
 * feed` and `maintenance` (see jsondoc.h): the CLI's --json and the
 * console's /v1/oncall and /v1/maintenance alike. */
#include "jsondoc.h"

static void
jsondoc_override(json_t *j, const Rota__OncallShift *s)
{
	json_member_string(j, "person", s->person);
	json_member_time(j, "from_ms", s->from_ms);
	json_member_time(j, "until_ms", s->until_ms);
	json_member_text(j, "by", s->by);
}

static void
jsondoc_rotation(json_t *j, const Rota__OncallRotation *rot)
{
	json_member_string(j, "rotation", rot->name);
	json_key(j, "person");
	rot->person[0] ? json_string(j, rot->person) : json_null(j);
	json_member_bool(j, "override", rot->override);
	json_member_int_or_null(j, "until_ms", rot->until_ms > 0, rot->until_ms);
	json_key(j, "next");
	rot->next_person[0] ? json_string(j, rot->next_person) : json_null(j);
	json_member_string(j, "timezone", rot->timezone);
	jsondoc_strings(j, "contacts", rot->contacts, rot->n_contacts);
	JSON_MEMBER_OBJECTS(j, "overrides", rot->overrides, rot->n_overrides, jsondoc_override);
}

json_t *
jsondoc_oncall(const Rota__OncallResponse *r)
{
	json_t *j = json_new_object();
	json_member_time(j, "at", r->at_ms);
	JSON_MEMBER_OBJECTS(j, "rotations", r->rotations, r->n_rotations, jsondoc_rotation);
	json_object_end(j);
	return j;
}

json_t *
jsondoc_oncall_override(const Rota__OncallOverrideResponse *o)
{
	json_t *j = json_new_object();
	json_member_string(j, "rotation", o->rotation);
	json_member_string(j, "person", o->person);
	json_member_time(j, "from", o->from_ms);
	json_member_time(j, "until", o->until_ms);
	json_member_string(j, "by", o->by);
	json_member_text(j, "replaces", o->replaces);
	json_object_end(j);
	return j;
}

json_t *
jsondoc_oncall_feed(const Rota__OncallFeedResponse *f)
{
	json_t *j = json_new_object();
	json_member_string(j, "rotation", f->rotation);
	json_member_text(j, "url", f->url);
	json_member_uint(j, "revoked", f->revoked);
	json_object_end(j);
	return j;
}

void
jsondoc_maintenance_window(json_t *j, const Rota__MaintenanceWindow *w)
{
	json_member_string(j, "id", w->id);
	json_member_string(j, "state", w->state);
	json_member_string(j, "target", w->target);
	json_member_string(j, "reason", w->reason);
	json_member_string(j, "by", w->by);
	json_member_bool(j, "freeze", w->freeze);
	json_member_bool(j, "recurring", w->recurring);
	json_member_time(j, "starts_ms", w->starts_ms);
	json_member_time(j, "ends_ms", w->ends_ms);
	json_member_text(j, "ended_by", w->ended_by);
	jsondoc_strings(j, "hosts", w->hosts, w->n_hosts);
}

json_t *
jsondoc_maintenance(const Rota__MaintenanceWindow *w)
{
	json_t *j = json_new_object();
	jsondoc_maintenance_window(j, w);
	json_object_end(j);
	return j;
}

json_t *
jsondoc_maintenance_list(const Rota__MaintenanceListResponse *l)
{
	json_t *j = json_new_object();
	JSON_MEMBER_OBJECTS(j, "windows", l->windows, l->n_windows, jsondoc_maintenance_window);
	json_object_end(j);
	return j;
}
