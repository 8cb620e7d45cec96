/* incident: incidents and their escalation (see incident.h). */
#include "incident.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "duration.h"
#include "oncall.h"
#include "log.h"
#include "outbox.h"
#include "strlist.h"
#include "xalloc.h"

struct incidents {
	store_t *store;         /* borrowed */
	const config_t *config; /* borrowed */
	oncall_t *oncall;       /* borrowed: who is on call (overrides included) */
	/* The earliest next_ms of any incident (0: none), so a tick with
	 * nothing due costs a comparison, not a query. Recomputed after
	 * every change. */
	int64_t next_due;
	bool next_known;
	bool wake;
};

incidents_t *
incidents_new(store_t *store, const config_t *config)
{
	incidents_t *in = xcalloc(1, sizeof(*in));
	in->store = store;
	in->config = config;
	return in;
}

void
incidents_set_oncall(incidents_t *in, oncall_t *oncall)
{
	in->oncall = oncall;
}

void
incidents_destroy(incidents_t **ip)
{
	free(*ip);
	*ip = NULL;
}

bool
incidents_take_wake(incidents_t *in)
{
	bool w = in->wake;
	in->wake = false;
	return w;
}

void
incidents_resync(incidents_t *in)
{
	in->wake = false;
	in->next_known = false;
}

void
incidents_set_wake(incidents_t *in)
{
	in->wake = true;
}

/* One incident row, as the climb and the API need it (store_incidents.h). */
typedef store_incident_t row_t;

/* 0, 1 when there is none, -1. */
static int
row_get(incidents_t *in, const char *id, row_t *r)
{
	return store_incident_get(in->store, id, r);
}

int
incidents_note(incidents_t *in, const char *id, const char *kind, const char *text, int64_t now_ms)
{
	if (store_begin(in->store) != 0)
		return -1;
	return store_incident_event_add(in->store, id, now_ms, kind, text);
}

/* Queues one notice per channel; the names go into *said (a ", " list). */
static int
notify_channels(incidents_t *in, const row_t *r, char *const *channels, size_t n, const char *kind,
                const char *text, int64_t now_ms)
{
	for (size_t i = 0; i < n; i++) {
		outbox_item_t item = {
		    .incident_id = r->id,
		    .channel = channels[i],
		    .kind = kind,
		    .severity = r->severity,
		    .title = r->title,
		    .text = text,
		    .hosts = r->hosts,
		};
		if (outbox_add(in->store, &item, now_ms) != 0)
			return -1;
		in->wake = true;
	}
	return 0;
}

static int
record_escalation(incidents_t *in, const row_t *r, int tier, const char *names, int64_t now_ms)
{
	return store_incident_escalation_add(in->store, r->id, tier, now_ms, names);
}

/* Notifies tier t (expanding oncall:ROTATION) and records it: the
 * timeline's line is "<head>: notified <said>". */
static int
notify_tier(incidents_t *in, const row_t *r, int tier, const config_tier_t *t, const char *head,
            const char *kind, const char *text, int64_t now_ms)
{
	strlist_t channels = {0};
	char *said = NULL; /* owned */
	oncall_targets(in->oncall, in->config, t->notify, t->notify_count, now_ms, &channels,
	               &said);
	char *event = xasprintf("%s: notified %s", head, said);
	char *names = strlist_join(&channels, "");
	int rc = incidents_note(in, r->id, "escalated", event, now_ms);
	if (rc == 0)
		rc = record_escalation(in, r, tier, names, now_ms);
	if (rc == 0)
		rc = notify_channels(in, r, channels.items, channels.count, kind, text, now_ms);
	free(names);
	free(event);
	free(said);
	strlist_free(&channels);
	return rc;
}

static void
min_time(int64_t *best, int64_t t)
{
	if (t > 0 && (*best == 0 || t < *best))
		*best = t;
}

/* The last tier up to `upto` that is for the incident's severity, or -1. */
static int
tier_reached(const config_policy_t *pol, int upto, int severity)
{
	for (int i = upto; i >= 0; i--)
		if (config_tier_applies(&pol->tiers[i], severity))
			return i;
	return -1;
}

/* Whether r still climbs: a triggered incident does, and an acknowledged
 * one under a policy that climbs until resolved. */
static bool
climbing(const row_t *r, const config_policy_t *pol)
{
	return strcmp(r->status, "triggered") == 0 ||
	       (pol != NULL && pol->until_resolved && strcmp(r->status, "acknowledged") == 0);
}

/* Moves a climbing incident as far as now allows: every tier whose time
 * has come is notified in order (one not for its severity is passed
 * over, said once on the timeline), the deadline is marked once, the last
 * tier repeats. Writes the new tier and when to look next. */
static int
climb(incidents_t *in, row_t *r, int64_t now_ms)
{
	if (store_begin(in->store) != 0)
		return -1;
	const config_policy_t *pol = config_policy(in->config, r->policy);
	/* The policy may have fewer tiers than when the incident climbed (the
	 * config was edited, or its name now falls back to 'default'): it
	 * stands on the last tier there is. */
	if (pol && r->tier >= (int)pol->tier_count)
		r->tier = (int)pol->tier_count - 1;
	int64_t next = 0;
	char text[512];
	char when[32];
	char head[96];
	bool acked = strcmp(r->status, "acknowledged") == 0;
	if (climbing(r, pol)) {
		if (!acked && !r->overdue && r->ack_due_ms > 0 && now_ms >= r->ack_due_ms) {
			r->overdue = true;
			duration_format(r->ack_due_ms - r->created_ms, when, sizeof(when));
			snprintf(text, sizeof(text), "not acknowledged within P%d's deadline of %s",
			         r->severity, when);
			if (incidents_note(in, r->id, "overdue", text, now_ms) != 0)
				return -1;
			int reached = pol ? tier_reached(pol, r->tier, r->severity) : -1;
			snprintf(head, sizeof(head), "tier %d told it is overdue", reached + 1);
			if (reached >= 0 && notify_tier(in, r, reached, &pol->tiers[reached], head,
			                                "overdue", text, now_ms) != 0)
				return -1;
		}
		while (pol && r->tier + 1 < (int)pol->tier_count &&
		       r->created_ms + pol->tiers[r->tier + 1].after_ms <= now_ms) {
			r->tier++;
			const config_tier_t *t = &pol->tiers[r->tier];
			if (t->after_ms == 0)
				snprintf(when, sizeof(when), "at once");
			else
				duration_format(t->after_ms, when, sizeof(when));
			if (!config_tier_applies(t, r->severity)) {
				char *event = xasprintf(
				    "tier %d (%s%s): passed over, it is not for P%d", r->tier + 1,
				    t->after_ms ? "after " : "", when, r->severity);
				int rc = incidents_note(in, r->id, "escalated", event, now_ms);
				free(event);
				if (rc != 0)
					return -1;
				continue;
			}
			if (r->tier == 0)
				snprintf(text, sizeof(text), "P%d incident opened: %s", r->severity,
				         r->title);
			else
				snprintf(text, sizeof(text),
				         "escalated to tier %d of policy %s (not %s after %s)",
				         r->tier + 1, pol->name,
				         acked ? "resolved" : "acknowledged", when);
			snprintf(head, sizeof(head), "tier %d (%s%s)", r->tier + 1,
			         t->after_ms ? "after " : "", when);
			if (notify_tier(in, r, r->tier, t, head,
			                r->tier == 0 ? "trigger" : "escalate", text, now_ms) != 0)
				return -1;
		}
		if (pol && r->tier + 1 < (int)pol->tier_count)
			min_time(&next, r->created_ms + pol->tiers[r->tier + 1].after_ms);
		if (pol && r->tier >= 0 && r->tier + 1 == (int)pol->tier_count &&
		    pol->tiers[r->tier].repeat_ms > 0 &&
		    config_tier_applies(&pol->tiers[r->tier], r->severity)) {
			const config_tier_t *t = &pol->tiers[r->tier];
			int64_t last = store_incident_last_escalation(in->store, r->id, r->tier);
			if (last > 0 && now_ms >= last + t->repeat_ms) {
				duration_format(now_ms - r->created_ms, when, sizeof(when));
				snprintf(text, sizeof(text), "still not %s after %s",
				         acked ? "resolved" : "acknowledged", when);
				snprintf(head, sizeof(head), "tier %d repeated", r->tier + 1);
				if (notify_tier(in, r, r->tier, t, head, "escalate", text,
				                now_ms) != 0)
					return -1;
				last = now_ms;
			}
			min_time(&next, last + t->repeat_ms);
		}
		if (!r->overdue && !acked)
			min_time(&next, r->ack_due_ms);
	}
	r->next_ms = next;
	in->next_known = false;
	return store_incident_set_climb(in->store, r->id, r->tier, next, r->overdue);
}

/* Resolved, or suppressed by a maintenance window: over, nothing to do. */
static bool
incident_closed(const char *status)
{
	return strcmp(status, "resolved") == 0 || strcmp(status, "suppressed") == 0;
}

/* Incident id's host is in maintenance (why names the window): closed as
 * suppressed at once, before any tier is notified (PagerDuty's and
 * Opsgenie's maintenance: on record, nobody paged). */
static int
incidents_suppress(incidents_t *in, const char *id, const char *why, int64_t now_ms)
{
	row_t r = {0};
	if (row_get(in, id, &r) != 0)
		return -1;
	char *text = xasprintf("suppressed: %s; nobody is notified", why);
	int rc = incidents_note(in, id, "suppressed", text, now_ms);
	free(text);
	free(r.status);
	r.status = xstrdup("suppressed");
	r.resolved_ms = now_ms;
	if (rc == 0)
		rc = store_incident_set_status(in->store, &r);
	log_info("incident %s suppressed: %s", id, why);
	store_incident_clear(&r);
	return rc;
}

int
incidents_open(incidents_t *in, const incident_spec_t *spec, int64_t now_ms, char *id, size_t len)
{
	if (store_begin(in->store) != 0)
		return -1;
	if (store_incident_next_id(in->store, id, len) != 0)
		return -1;
	int severity =
	    spec->severity >= 1 && spec->severity <= 4 ? spec->severity : INCIDENT_DEFAULT_SEVERITY;
	const char *policy = spec->policy && spec->policy[0] ? spec->policy : "default";
	store_incident_new_t row = {
	    .id = id,
	    .title = spec->title,
	    .severity = severity,
	    .source = spec->source,
	    .runbook = spec->runbook,
	    .hosts = spec->hosts ? spec->hosts : "",
	    .policy = policy,
	    .ack_due_ms = config_ack_due(in->config, severity, now_ms),
	    .created_ms = now_ms,
	    .dedup = spec->dedup,
	};
	if (store_incident_insert(in->store, &row) != 0)
		return -1;
	char *text =
	    xasprintf("opened by %s (%s): P%d %s%s%s", spec->by ? spec->by : spec->source,
	              spec->source, severity, spec->title,
	              spec->hosts && spec->hosts[0] ? " on " : "", spec->hosts ? spec->hosts : "");
	int rc = incidents_note(in, id, "opened", text, now_ms);
	free(text);
	if (rc != 0)
		return -1;
	if (spec->suppressed != NULL)
		return incidents_suppress(in, id, spec->suppressed, now_ms);
	const config_policy_t *pol = config_policy(in->config, policy);
	if (pol == NULL) {
		text = xasprintf("no escalation policy '%s' (nor 'default') in the coordinator's"
		                 " configuration: nobody is notified",
		                 policy);
		log_warn("incident %s: %s", id, text);
		rc = incidents_note(in, id, "escalated", text, now_ms);
		free(text);
		if (rc != 0)
			return -1;
	} else if (strcmp(pol->name, policy) != 0) {
		text = xasprintf("no escalation policy '%s' in the coordinator's configuration;"
		                 " using 'default'",
		                 policy);
		rc = incidents_note(in, id, "escalated", text, now_ms);
		free(text);
		if (rc != 0)
			return -1;
	}
	row_t r = {0};
	if (row_get(in, id, &r) != 0)
		return -1;
	rc = climb(in, &r, now_ms);
	log_info("incident %s opened (%s, P%d): %s", id, spec->source, severity, spec->title);
	store_incident_clear(&r);
	return rc;
}

int
incidents_find_open(incidents_t *in, const char *dedup, char *id, size_t len)
{
	return store_incident_find_open(in->store, dedup, id, len);
}

int
incidents_link_run(incidents_t *in, const char *id, const char *run_id)
{
	if (store_begin(in->store) != 0)
		return -1;
	return store_incident_link_run(in->store, id, run_id);
}

int
incidents_of_run(incidents_t *in, const char *run_id, char *id, size_t len)
{
	return store_incident_of_run(in->store, run_id, id, len);
}

int
incidents_resolved_at(incidents_t *in, const char *id, int64_t *resolved_ms)
{
	row_t r = {0};
	int got = row_get(in, id, &r);
	if (got != 0)
		return got > 0 ? 0 : -1;
	int resolved = incident_closed(r.status);
	*resolved_ms = r.resolved_ms;
	store_incident_clear(&r);
	return resolved;
}

int
incidents_add_hosts(incidents_t *in, const char *id, const char *hosts)
{
	row_t r = {0};
	if (hosts == NULL || hosts[0] == '\0' || row_get(in, id, &r) != 0)
		return hosts == NULL || hosts[0] == '\0' ? 0 : -1;
	strlist_t list = {0};
	strlist_split(&list, r.hosts, ',');
	size_t before = list.count;
	strlist_t add = {0};
	strlist_split(&add, hosts, ',');
	for (size_t i = 0; i < add.count; i++)
		if (!strlist_has(&list, add.items[i]))
			strlist_add(&list, xstrdup(add.items[i]));
	int rc = 0;
	if (list.count != before) {
		char *joined = strlist_join_sep(&list, ",", "");
		rc = store_begin(in->store) == 0 ? store_incident_set_hosts(in->store, id, joined)
		                                 : -1;
		free(joined);
	}
	strlist_free(&list);
	strlist_free(&add);
	store_incident_clear(&r);
	return rc;
}

static int
set_status(incidents_t *in, const row_t *r)
{
	if (store_begin(in->store) != 0)
		return -1;
	in->next_known = false;
	return store_incident_set_status(in->store, r);
}

/* Tells every channel that was told of the incident. */
static int
notify_notified(incidents_t *in, const row_t *r, const char *kind, const char *text, int64_t now_ms)
{
	strlist_t channels = {0};
	int out = store_incident_notified(in->store, r->id, &channels) == 0
	              ? notify_channels(in, r, channels.items, channels.count, kind, text, now_ms)
	              : -1;
	strlist_free(&channels);
	return out;
}

static int
refuse(int *code, char **error, int c, char *msg)
{
	*code = c;
	*error = msg;
	return -1;
}

/* Reads the incident an operator acts on, or refuses: 0, or -1 with *code
 * and *error set. */
static int
load_for_action(incidents_t *in, const char *id, row_t *r, int *code, char **error)
{
	int got = row_get(in, id, r);
	if (got == 0)
		return 0;
	return refuse(code, error,
	              got > 0 ? ROTA__ERROR_CODE__ERR_NOT_FOUND : ROTA__ERROR_CODE__ERR_INTERNAL,
	              got > 0 ? xasprintf("no incident %s; `rota incidents` lists them", id)
	                      : xstrdup("the store could not be read"));
}

/* Records r's new status with its timeline line (kind, text) and tells
 * every channel that was notified (notice). */
static int
record_action(incidents_t *in, const row_t *r, const char *kind, const char *notice,
              const char *text, int64_t now_ms, int *code, char **error)
{
	if (set_status(in, r) != 0 || incidents_note(in, r->id, kind, text, now_ms) != 0 ||
	    notify_notified(in, r, notice, text, now_ms) != 0)
		return refuse(
		    code, error, ROTA__ERROR_CODE__ERR_INTERNAL,
		    xasprintf("the store could not record that incident %s was %s", r->id, kind));
	log_info("incident %s: %s", r->id, text);
	return 0;
}

int
incidents_ack(incidents_t *in, const char *id, const char *by, const char *note, int64_t now_ms,
              int *code, char **error)
{
	row_t r = {0};
	if (load_for_action(in, id, &r, code, error) != 0)
		return -1;
	int rc;
	if (strcmp(r.status, "triggered") != 0) {
		char at[32];
		clock_format(incident_closed(r.status) ? r.resolved_ms : r.acked_ms, at,
		             sizeof(at));
		rc = refuse(code, error, ROTA__ERROR_CODE__ERR_CONFLICT,
		            incident_closed(r.status)
		                ? xasprintf("incident %s was %s at %s UTC; nothing to"
		                            " acknowledge",
		                            id, r.status, at)
		                : xasprintf("incident %s was already acknowledged by %s at %s UTC",
		                            id, r.acked_by[0] ? r.acked_by : "someone", at));
	} else {
		free(r.status);
		r.status = xstrdup("acknowledged");
		r.acked_ms = now_ms;
		free(r.acked_by);
		r.acked_by = xstrdup(by && by[0] ? by : "an operator");
		const config_policy_t *pol = config_policy(in->config, r.policy);
		bool goes_on = pol != NULL && pol->until_resolved;
		char *text = xasprintf("acknowledged by %s%s%s: %s", r.acked_by,
		                       note && note[0] ? ": " : "", note && note[0] ? note : "",
		                       goes_on ? "escalation goes on until it is resolved"
		                               : "escalation stopped");
		rc =
		    record_action(in, &r, "acknowledged", "acknowledge", text, now_ms, code, error);
		free(text);
		/* The status write cleared the next climb; one that goes on past
		 * the ack is looked at again when its next tier falls due. */
		if (rc == 0 && goes_on && climb(in, &r, now_ms) != 0)
			rc =
			    refuse(code, error, ROTA__ERROR_CODE__ERR_INTERNAL,
			           xasprintf("the store could not record incident %s's climb", id));
	}
	store_incident_clear(&r);
	return rc;
}

int
incidents_resolve(incidents_t *in, const char *id, const char *by, const char *note, int64_t now_ms,
                  int *code, char **error)
{
	row_t r = {0};
	if (load_for_action(in, id, &r, code, error) != 0)
		return -1;
	int rc;
	if (incident_closed(r.status)) {
		char at[32];
		clock_format(r.resolved_ms, at, sizeof(at));
		rc = refuse(code, error, ROTA__ERROR_CODE__ERR_CONFLICT,
		            xasprintf("incident %s was already %s at %s UTC%s%s", id, r.status, at,
		                      r.note[0] ? ": " : "", r.note));
	} else {
		free(r.status);
		r.status = xstrdup("resolved");
		r.resolved_ms = now_ms;
		free(r.note);
		r.note = xstrdup(note ? note : "");
		char *text = xasprintf("resolved by %s%s%s", by && by[0] ? by : "an operator",
		                       note && note[0] ? ": " : "", note && note[0] ? note : "");
		rc = record_action(in, &r, "resolved", "resolve", text, now_ms, code, error);
		free(text);
	}
	store_incident_clear(&r);
	return rc;
}

/* A note is allowed whatever the status: what was done, and why it
 * happened, are often written after the resolve. */
int
incidents_write_note(incidents_t *in, const char *id, const char *kind, const char *author,
                     const char *text, int64_t now_ms, int *code, char **error)
{
	row_t r = {0};
	if (load_for_action(in, id, &r, code, error) != 0)
		return -1;
	store_incident_clear(&r);
	store_note_t n = {.at_ms = now_ms, .kind = kind, .author = author, .text = text};
	if (store_note_incident_add(in->store, id, &n) != 0)
		return refuse(code, error, ROTA__ERROR_CODE__ERR_INTERNAL,
		              xasprintf("the store could not record the note on %s", id));
	log_info("incident %s: note (%s) by %s: %s", id, kind, author, text);
	return 0;
}

int
incidents_tick(incidents_t *in, int64_t now_ms)
{
	if (!in->next_known) {
		if (store_incident_min_due(in->store, &in->next_due) != 0)
			return -1;
		in->next_known = true;
	}
	if (in->next_due == 0 || now_ms < in->next_due)
		return 0;
	strlist_t due = {0};
	int out = store_incident_due(in->store, now_ms, &due);
	for (size_t i = 0; i < due.count && out == 0; i++) {
		row_t r = {0};
		if (row_get(in, due.items[i], &r) != 0 || climb(in, &r, now_ms) != 0)
			out = -1;
		store_incident_clear(&r);
	}
	strlist_free(&due);
	in->next_known = false;
	return out;
}

int
incidents_resolve_id(incidents_t *in, const char *text, char **id, char **error)
{
	*id = NULL;
	if (text == NULL || text[0] == '\0') {
		*error = xstrdup("no incident id given; `rota incidents` lists them");
		return -1;
	}
	const char *digits = text;
	if (strncasecmp(text, "INC-", 4) == 0)
		digits = text + 4;
	bool numeric = digits[0] != '\0';
	for (const char *p = digits; *p; p++)
		numeric = numeric && isdigit((unsigned char)*p);
	if (!numeric) {
		*error = xasprintf("'%s' is not an incident id (like INC-7, or 7); `rota incidents`"
		                   " lists them",
		                   text);
		return -1;
	}
	/* Parsed with an overflow check: strtoll would clamp an overlong
	 * number to the largest one and name an incident nobody asked for. */
	errno = 0;
	long long n = strtoll(digits, NULL, 10);
	if (errno == ERANGE) {
		*error = xasprintf("invalid incident id '%.64s': the number is out of range;"
		                   " `rota incidents` lists them",
		                   text);
		return -1;
	}
	char *candidate = xasprintf("INC-%lld", n);
	row_t r = {0};
	int got = row_get(in, candidate, &r);
	store_incident_clear(&r);
	if (got != 0) {
		*error = got > 0
		             ? xasprintf("no incident %s; `rota incidents` lists them", candidate)
		             : xstrdup("the store could not be read");
		free(candidate);
		return -1;
	}
	*id = candidate;
	return 0;
}

static void
info_fill(incidents_t *in, const row_t *r, Rota__IncidentInfo *out)
{
	rota__incident_info__init(out);
	out->id = xstrdup(r->id);
	out->title = xstrdup(r->title);
	out->severity = (uint32_t)r->severity;
	out->status = xstrdup(r->status);
	out->source = xstrdup(r->source);
	out->runbook = xstrdup(r->runbook);
	strlist_t hosts = {0};
	strlist_split(&hosts, r->hosts, ',');
	out->hosts = hosts.items; /* the list's array becomes the message's */
	out->n_hosts = hosts.count;
	out->policy = xstrdup(r->policy);
	out->tier = r->tier;
	out->created_ms = r->created_ms;
	out->acked_ms = r->acked_ms;
	out->resolved_ms = r->resolved_ms;
	out->next_escalation_ms = r->next_ms;
	out->ack_due_ms = r->ack_due_ms;
	out->acked_by = xstrdup(r->acked_by);
	out->note = xstrdup(r->note);
	strlist_t runs = {0};
	store_incident_runs(in->store, r->id, &runs);
	out->run_ids = runs.items;
	out->n_run_ids = runs.count;
	store_incident_delivery_counts(in->store, r->id, &out->deliveries_pending,
	                               &out->deliveries_failed);
}

void
incidents_info_clear(Rota__IncidentInfo *info)
{
	free(info->id);
	free(info->title);
	free(info->status);
	free(info->source);
	free(info->runbook);
	for (size_t i = 0; i < info->n_hosts; i++)
		free(info->hosts[i]);
	free(info->hosts);
	free(info->policy);
	for (size_t i = 0; i < info->n_run_ids; i++)
		free(info->run_ids[i]);
	free(info->run_ids);
	free(info->acked_by);
	free(info->note);
	rota__incident_info__init(info);
}

int
incidents_info(incidents_t *in, const char *id, Rota__IncidentInfo *out)
{
	row_t r = {0};
	int got = row_get(in, id, &r);
	if (got == 0)
		info_fill(in, &r, out);
	store_incident_clear(&r);
	return got;
}

int
incidents_list(incidents_t *in, bool open_only, uint32_t limit, Rota__ListIncidentsResponse *out)
{
	rota__list_incidents_response__init(out);
	row_t *rows = NULL;
	size_t n = 0;
	int rc = store_incident_list(in->store, open_only, limit, &rows, &n);
	if (n > 0)
		out->incidents = xcalloc(n, sizeof(*out->incidents));
	for (size_t i = 0; i < n; i++) {
		Rota__IncidentInfo *info = xmalloc(sizeof(*info));
		info_fill(in, &rows[i], info);
		out->incidents[out->n_incidents++] = info;
	}
	store_incident_rows_free(rows, n);
	return rc;
}

int
incidents_show(incidents_t *in, const char *id, Rota__ShowIncidentResponse *out)
{
	rota__show_incident_response__init(out);
	out->incident = xmalloc(sizeof(*out->incident));
	int got = incidents_info(in, id, out->incident);
	if (got != 0) {
		free(out->incident);
		out->incident = NULL;
		return got;
	}
	if (store_incident_events(in->store, id, out) != 0 ||
	    store_incident_deliveries(in->store, id, out) != 0)
		return -1;
	for (size_t i = 0; i < out->incident->n_run_ids; i++) {
		Rota__RunSummary *sum = xmalloc(sizeof(*sum));
		if (store_run_summary(in->store, out->incident->run_ids[i], sum) != 0) {
			free(sum);
			continue;
		}
		out->runs = xrealloc(out->runs, (out->n_runs + 1) * sizeof(*out->runs));
		out->runs[out->n_runs++] = sum;
	}
	return 0;
}

int
incidents_alert_get(incidents_t *in, const char *fingerprint, incident_alert_t *out)
{
	return store_alert_get(in->store, fingerprint, out->incident_id, sizeof(out->incident_id),
	                       out->status, sizeof(out->status), &out->incident_open);
}

int
incidents_alert_put(incidents_t *in, const char *fingerprint, const char *incident_id,
                    const char *status, const char *alertname, const char *host, const char *run_id,
                    int64_t starts_ms, int64_t now_ms)
{
	if (store_begin(in->store) != 0)
		return -1;
	return store_alert_put(in->store, fingerprint, incident_id, status, alertname, host, run_id,
	                       starts_ms, now_ms);
}

int
incidents_alerts_firing(incidents_t *in, const char *incident_id)
{
	return store_alerts_firing(in->store, incident_id);
}

int
incidents_counts(incidents_t *in, uint64_t counts[5][3])
{
	return store_incident_counts(in->store, counts);
}

int
incidents_outbox_counts(incidents_t *in, uint64_t *pending, uint64_t *given_up)
{
	return store_outbox_counts(in->store, pending, given_up);
}
