/* jsondoc_incidents: the documents of `incidents` and `incident show`, and
 * the incident object every document that names one carries (see
 * jsondoc.h). */
#include "jsondoc.h"

#include <string.h>

#include "format.h"
#include "runview.h"

static bool
jsondoc_incident_is(const Rota__IncidentInfo *inc, const char *status)
{
	return inc->status != NULL && strcmp(inc->status, status) == 0;
}

/* By the coordinator's clock rather than the reader's (two hosts' clocks
 * disagree; a test fakes one). IncidentInfo has no flag for it, but while
 * an incident is triggered and its deadline not yet marked, the
 * coordinator keeps next_escalation_ms at or before ack_due_ms (it must
 * look again then); once it has marked the deadline, every later look is
 * after it, or there is none. Once acked or resolved, the ack (or the
 * resolve without one) came late or did not. */
bool
jsondoc_incident_overdue(const Rota__IncidentInfo *inc)
{
	if (inc->ack_due_ms <= 0)
		return false;
	if (jsondoc_incident_is(inc, "triggered"))
		return inc->next_escalation_ms == 0 || inc->next_escalation_ms > inc->ack_due_ms;
	int64_t answered = inc->acked_ms > 0 ? inc->acked_ms : inc->resolved_ms;
	return answered > inc->ack_due_ms;
}

void
jsondoc_strings(json_t *j, const char *key, char *const *items, size_t n)
{
	json_key(j, key);
	json_array_begin(j);
	for (size_t i = 0; i < n; i++) {
		if (items[i] != NULL)
			json_string(j, items[i]);
	}
	json_array_end(j);
}

void
jsondoc_incident_info(json_t *j, const Rota__IncidentInfo *inc)
{
	json_object_begin(j);
	json_member_string(j, "id", inc->id);
	json_member_string(j, "title", inc->title);
	json_member_string(j, "severity", format_severity(inc->severity));
	json_member_string(j, "status", inc->status);
	json_member_string(j, "source", inc->source);
	json_member_text(j, "runbook", inc->runbook);
	jsondoc_strings(j, "hosts", inc->hosts, inc->n_hosts);
	json_member_string(j, "policy", inc->policy);
	/* The wire counts tiers from 0 with -1 for none; people (and the
	 * timeline's "tier 2") count from 1. */
	json_member_int_or_null(j, "tier", inc->tier >= 0, (int64_t)inc->tier + 1);
	json_member_time(j, "created_ms", inc->created_ms);
	json_member_time(j, "ack_due_ms", inc->ack_due_ms);
	json_member_bool(j, "ack_overdue", jsondoc_incident_overdue(inc));
	json_member_time(j, "acked_ms", inc->acked_ms);
	json_member_text(j, "acked_by", inc->acked_by);
	json_member_time(j, "resolved_ms", inc->resolved_ms);
	json_member_text(j, "note", inc->note);
	json_member_time(j, "next_escalation_ms", inc->next_escalation_ms);
	jsondoc_strings(j, "run_ids", inc->run_ids, inc->n_run_ids);
	json_member_uint(j, "deliveries_pending", inc->deliveries_pending);
	json_member_uint(j, "deliveries_failed", inc->deliveries_failed);
	json_object_end(j);
}

json_t *
jsondoc_incidents(const Rota__ListIncidentsResponse *r)
{
	json_t *j = json_new_object();
	json_key(j, "incidents");
	json_array_begin(j);
	for (size_t i = 0; i < r->n_incidents; i++) {
		if (r->incidents[i] != NULL && r->incidents[i]->id != NULL)
			jsondoc_incident_info(j, r->incidents[i]);
	}
	json_array_end(j);
	json_object_end(j);
	return j;
}

json_t *
jsondoc_incident_action(const Rota__IncidentResponse *resp, bool resolve)
{
	json_t *j = json_new_object();
	json_key(j, "incident");
	jsondoc_incident_info(j, resp->incident);
	if (resolve)
		jsondoc_strings(j, "cancelled_runs", resp->cancelled_runs, resp->n_cancelled_runs);
	json_object_end(j);
	return j;
}

void
jsondoc_note(json_t *j, const Rota__IncidentEvent *e)
{
	json_member_time(j, "at_ms", e->at_ms);
	json_member_string(j, "note_kind", e->note_kind);
	json_member_string(j, "by", e->by);
	json_member_string(j, "text", e->text);
}

json_t *
jsondoc_noted(const Rota__NoteResponse *resp)
{
	json_t *j = json_new_object();
	json_member_text(j, "incident_id", resp->incident_id);
	json_member_text(j, "run_id", resp->run_id);
	if (resp->note != NULL)
		jsondoc_note(j, resp->note);
	json_object_end(j);
	return j;
}

static void
jsondoc_event(json_t *j, const Rota__IncidentEvent *e)
{
	json_member_time(j, "at_ms", e->at_ms);
	json_member_string(j, "kind", e->kind);
	json_member_string(j, "text", e->text);
	/* A note says who wrote it and of what kind. */
	if (e->note_kind != NULL && e->note_kind[0] != '\0') {
		json_member_string(j, "note_kind", e->note_kind);
		json_member_string(j, "by", e->by);
	}
}

static void
jsondoc_delivery(json_t *j, const Rota__Delivery *d)
{
	json_member_uint(j, "id", d->id);
	json_member_string(j, "channel", d->channel);
	json_member_string(j, "kind", d->kind);
	json_member_string(j, "state", d->state);
	json_member_uint(j, "attempts", d->attempts);
	json_member_text(j, "last_error", d->last_error);
	json_member_time(j, "created_ms", d->created_ms);
	json_member_time(j, "delivered_ms", d->delivered_ms);
	json_member_time(j, "next_ms", d->next_ms);
}

json_t *
jsondoc_incident_show(const Rota__ShowIncidentResponse *show, int64_t now)
{
	json_t *j = json_new_object();
	json_key(j, "incident");
	if (show->incident != NULL)
		jsondoc_incident_info(j, show->incident);
	else
		json_null(j);
	JSON_MEMBER_OBJECTS(j, "timeline", show->events, show->n_events, jsondoc_event);
	JSON_MEMBER_OBJECTS(j, "deliveries", show->deliveries, show->n_deliveries,
	                    jsondoc_delivery);
	runview_json_runs(j, "runs", show->runs, show->n_runs, now);
	json_object_end(j);
	return j;
}
