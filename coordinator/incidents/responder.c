/* responder: incidents from failures, runs from incidents (see responder.h). */
#include "responder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "security/security.h"
#include "clock.h"
#include "config.h"
#include "log.h"
#include "oncall.h"
#include "maintenance.h"
#include "outbox.h"
#include "services.h"
#include "strlist.h"
#include "wire.h"
#include "xalloc.h"

/* The incident of a run: an active run's from the dispatcher's memory
 * (filled at launch and recovery, so the run's end and its notify steps
 * cost no query), any other's from the store. 1 with id, 0 none, -1. */
static int
responder_incident_of(responder_t *r, const char *run_id, char *id, size_t len)
{
	int got = dispatcher_incident_of(r->svc->dispatcher, run_id, id, len);
	return got >= 0 ? got : incidents_of_run(r->svc->incidents, run_id, id, len);
}

/* Links a run to incident id, in the store and in the dispatcher's memory
 * of it (while it is active). */
static int
responder_link_run(responder_t *r, const char *id, const char *run_id)
{
	if (incidents_link_run(r->svc->incidents, id, run_id) != 0)
		return -1;
	dispatcher_run_incident(r->svc->dispatcher, run_id, id);
	return 0;
}

static const runbook_t *
responder_runbook(responder_t *r, const char *name)
{
	const catalog_entry_t *e = r->svc->catalog ? catalog_find(r->svc->catalog, name) : NULL;
	return e ? e->rb : NULL;
}

static char *
responder_hosts(char *const *hosts, size_t n)
{
	return strlist_join_sep(&(strlist_t){(char **)hosts, n}, ",", "");
}

static void
responder_run_ended(void *ctx, const dispatcher_run_end_t *end)
{
	responder_t *r = ctx;
	int64_t now = clock_wall_ms();
	bool failed = end->status == ROTA__RUN_STATUS__RUN_FAILED;
	char *hosts = responder_hosts(end->failed_hosts, end->failed_count);
	char *what = NULL;
	if (failed && end->reason && end->reason[0])
		what = xasprintf("run %s of %s failed: %s", end->run_id, end->runbook, end->reason);
	else if (failed)
		what = xasprintf("run %s of %s failed on %zu host(s): %s", end->run_id,
		                 end->runbook, end->failed_count, hosts);
	char id[INCIDENT_ID_MAX];
	/* The run carries its incident (none for a run over before it
	 * started: nothing links one before it is recorded). */
	if (end->incident != NULL) {
		snprintf(id, sizeof(id), "%s", end->incident);
		char *text = what ? xstrdup(what)
		                  : xasprintf("run %s of %s ended %s", end->run_id, end->runbook,
		                              end->status == ROTA__RUN_STATUS__RUN_SUCCEEDED
		                                  ? "succeeded"
		                                  : "without success");
		incidents_note(r->svc->incidents, id, "run", text, now);
		free(text);
	} else if (failed && end->trigger && strcmp(end->trigger, "schedule") == 0) {
		/* One incident per failing duty: a second failure while it is
		 * open is news for that incident, not a new page. */
		char *dedup = xasprintf("runbook:%s", end->runbook);
		int found = incidents_find_open(r->svc->incidents, dedup, id, sizeof(id));
		if (found == 1) {
			incidents_note(r->svc->incidents, id, "run", what, now);
			responder_link_run(r, id, end->run_id);
			incidents_add_hosts(r->svc->incidents, id, hosts);
		} else if (found == 0) {
			const runbook_t *rb = responder_runbook(r, end->runbook);
			char *title = xasprintf("scheduled %s failed", end->runbook);
			incident_spec_t spec = {
			    .title = title,
			    .severity = rb ? rb->severity : 0,
			    .source = "run-failure",
			    .runbook = end->runbook,
			    .hosts = hosts,
			    .policy = rb ? rb->escalation : NULL,
			    .dedup = dedup,
			    .by = "the scheduler",
			};
			if (incidents_open(r->svc->incidents, &spec, now, id, sizeof(id)) == 0) {
				incidents_note(r->svc->incidents, id, "run", what, now);
				responder_link_run(r, id, end->run_id);
			}
			free(title);
		}
		free(dedup);
	}
	free(what);
	free(hosts);
}

static int
responder_notify(void *ctx, const char *run_id, const char *runbook, const char *host,
                 const char *channel, const char *message, char **detail)
{
	responder_t *r = ctx;
	const runbook_t *rb = responder_runbook(r, runbook);
	char incident[INCIDENT_ID_MAX] = "";
	if (responder_incident_of(r, run_id, incident, sizeof(incident)) != 1)
		incident[0] = '\0';
	int64_t resolved_ms = 0;
	if (incident[0] && incidents_resolved_at(r->svc->incidents, incident, &resolved_ms) == 1) {
		/* A channel such as PagerDuty takes a notice with the
		 * incident's key as a trigger: sending it now would reopen
		 * on the pager what was resolved. */
		char at[32];
		clock_format(resolved_ms, at, sizeof(at));
		*detail = xasprintf("suppressed: incident %s was resolved at %s UTC; not sent: %s",
		                    incident, at, message);
		return 1;
	}
	strlist_t targets = {0};
	char *said = NULL; /* owned: who "oncall:ROTATION" was, for the detail */
	if (channel && strncmp(channel, CONFIG_ONCALL_PREFIX, strlen(CONFIG_ONCALL_PREFIX)) == 0 &&
	    config_rotation(r->svc->config, channel + strlen(CONFIG_ONCALL_PREFIX)) != NULL) {
		/* channel: oncall:primary, whoever is on call now */
		char *const one[1] = {(char *)channel};
		oncall_targets(r->svc->oncall, r->svc->config, one, 1, clock_wall_ms(), &targets,
		               &said);
	} else if (channel && channel[0]) {
		if (config_channel(r->svc->config, channel) == NULL) {
			char *names = NULL;
			strlist_t all = {0};
			for (size_t i = 0; i < r->svc->config->channel_count; i++)
				strlist_add(&all, xstrdup(r->svc->config->channels[i].name));
			names = strlist_join(&all, "none");
			strlist_free(&all);
			*detail = xasprintf("no channel '%s' in the coordinator's configuration"
			                    " (channels: %s)",
			                    channel, names);
			free(names);
			return -1;
		}
		strlist_add(&targets, xstrdup(channel));
	} else {
		const config_policy_t *pol =
		    config_policy(r->svc->config, rb ? rb->escalation : NULL);
		if (pol != NULL)
			oncall_targets(r->svc->oncall, r->svc->config, pol->tiers[0].notify,
			               pol->tiers[0].notify_count, clock_wall_ms(), &targets,
			               &said);
	}
	if (targets.count == 0) {
		/* A library runbook announces what it does; a coordinator with
		 * no channels configured yet must still run it. */
		*detail =
		    said != NULL && said[0]
		        ? xasprintf("logged only (%s): %s", said, message)
		        : xasprintf("logged only (no channel configured for policy %s): %s",
		                    rb && rb->escalation ? rb->escalation : "default", message);
		free(said);
		return 0;
	}
	free(said);
	char *title = xasprintf("%s on %s (run %s)", runbook, host, run_id);
	int rc = 0;
	for (size_t i = 0; i < targets.count && rc == 0; i++) {
		outbox_item_t item = {
		    .incident_id = incident,
		    .channel = targets.items[i],
		    .kind = "notify",
		    .severity = rb ? rb->severity : 0,
		    .title = title,
		    .text = message,
		    .hosts = host,
		};
		rc = outbox_add(r->svc->store, &item, clock_wall_ms());
	}
	incidents_set_wake(r->svc->incidents);
	char *names = strlist_join(&targets, "");
	*detail = rc == 0 ? xasprintf("queued for %s: %s", names, message)
	                  : xstrdup("the notification could not be recorded");
	free(names);
	free(title);
	strlist_free(&targets);
	return rc;
}

static void
responder_needs_operator(void *ctx, const char *run_id, const char *runbook, const char *host,
                         const char *text)
{
	responder_t *r = ctx;
	int64_t now = clock_wall_ms();
	char id[INCIDENT_ID_MAX];
	if (responder_incident_of(r, run_id, id, sizeof(id)) == 1) {
		incidents_note(r->svc->incidents, id, "needs-operator", text, now);
		incidents_add_hosts(r->svc->incidents, id, host);
		return;
	}
	const runbook_t *rb = responder_runbook(r, runbook);
	char *dedup = xasprintf("operator:%s", run_id);
	char *title = xasprintf("%s: a step that is not idempotent was lost on %s", runbook, host);
	if (incidents_find_open(r->svc->incidents, dedup, id, sizeof(id)) == 1) {
		incidents_note(r->svc->incidents, id, "needs-operator", text, now);
		incidents_add_hosts(r->svc->incidents, id, host);
	} else {
		incident_spec_t spec = {
		    .title = title,
		    .severity = rb && rb->severity ? rb->severity : 2,
		    .source = "run-failure",
		    .runbook = runbook,
		    .hosts = host,
		    .policy = rb ? rb->escalation : NULL,
		    .dedup = dedup,
		    .by = "the dispatcher",
		};
		if (incidents_open(r->svc->incidents, &spec, now, id, sizeof(id)) == 0) {
			incidents_note(r->svc->incidents, id, "needs-operator", text, now);
			responder_link_run(r, id, run_id);
		}
	}
	free(title);
	free(dedup);
}

dispatcher_hooks_t
responder_hooks(responder_t *r)
{
	return (dispatcher_hooks_t){
	    .run_ended = responder_run_ended,
	    .notify = responder_notify,
	    .needs_operator = responder_needs_operator,
	    .ctx = r,
	};
}

responder_t *
responder_new(services_t *svc)
{
	responder_t *r = xcalloc(1, sizeof(*r));
	r->svc = svc;
	return r;
}

void
responder_destroy(responder_t **rp)
{
	free(*rp);
	*rp = NULL;
}

int
responder_open(responder_t *r, const Rota__OpenIncidentRequest *req, Rota__IncidentResponse *out,
               int *code, char **error)
{
	rota__incident_response__init(out);
	const Rota__SubmitRequest *sub = req->submit;
	if (sub == NULL || sub->runbook == NULL || sub->runbook[0] == '\0') {
		*code = ROTA__ERROR_CODE__ERR_BAD_REQUEST;
		*error = xstrdup("incident open names no runbook: rota incident open RUNBOOK"
		                 " --severity P2 --title TEXT");
		return -1;
	}
	const catalog_entry_t *e = catalog_find(r->svc->catalog, sub->runbook);
	if (e == NULL) {
		char *names = catalog_names(r->svc->catalog);
		*code = ROTA__ERROR_CODE__ERR_UNKNOWN_RUNBOOK;
		*error =
		    xasprintf("unknown runbook '%s'; the coordinator has: %s", sub->runbook, names);
		free(names);
		return -1;
	}
	if (req->severity > 4) {
		*code = ROTA__ERROR_CODE__ERR_BAD_REQUEST;
		*error = xasprintf("severity %u is not one of P1 to P4", req->severity);
		return -1;
	}
	size_t title_len = req->title ? strlen(req->title) : 0;
	if (title_len > WIRE_MAX_TITLE_BYTES) {
		*code = ROTA__ERROR_CODE__ERR_BAD_REQUEST;
		*error = xasprintf("the title is %zu bytes; the limit is %d bytes: say what is"
		                   " wrong in a line, and the rest in a note",
		                   title_len, WIRE_MAX_TITLE_BYTES);
		return -1;
	}
	const launcher_t *l = r->svc->launcher;
	launch_t lr = {
	    .rb = e->rb,
	    .yaml = catalog_run_yaml(e),
	    .params = sub->params,
	    .n_params = sub->n_params,
	    .targets = sub->targets,
	    .n_targets = sub->n_targets,
	    .trigger = "incident",
	};
	launch_result_t res;
	if (launcher_start(l, &lr, &res) != 0) {
		*code = res.code;
		*error = xasprintf("the incident was not opened: %s",
		                   res.error ? res.error : "the run could not start");
		launch_result_clear(&res);
		return -1;
	}
	char *hosts = responder_hosts(res.hosts, res.host_count);
	char *title = req->title && req->title[0] ? xstrdup(req->title)
	                                          : xasprintf("%s on %s", e->rb->name, hosts);
	incident_spec_t spec = {
	    .title = title,
	    .severity = req->severity ? (int)req->severity : e->rb->severity,
	    .source = "cli",
	    .runbook = e->rb->name,
	    .hosts = hosts,
	    .policy = e->rb->escalation,
	    .by = req->by && req->by[0] ? req->by : "an operator",
	};
	char id[INCIDENT_ID_MAX];
	int64_t now = clock_wall_ms();
	int rc = incidents_open(r->svc->incidents, &spec, now, id, sizeof(id));
	if (rc == 0) {
		char *text =
		    xasprintf("started run %s of %s on %s", res.run_id, e->rb->name, hosts);
		rc = responder_link_run(r, id, res.run_id) == 0 &&
		             incidents_note(r->svc->incidents, id, "run", text, now) == 0
		         ? 0
		         : -1;
		free(text);
	}
	if (rc == 0) {
		out->incident = xmalloc(sizeof(*out->incident));
		incidents_info(r->svc->incidents, id, out->incident);
		out->run_id = xstrdup(res.run_id);
		out->hosts = res.hosts;
		out->n_hosts = res.host_count;
		res.hosts = NULL;
		res.host_count = 0;
	} else {
		*code = ROTA__ERROR_CODE__ERR_INTERNAL;
		*error = xstrdup("the incident could not be recorded (see the coordinator's log)");
	}
	free(title);
	free(hosts);
	launch_result_clear(&res);
	return rc;
}

void
responder_response_clear(Rota__IncidentResponse *out)
{
	if (out->incident) {
		incidents_info_clear(out->incident);
		free(out->incident);
	}
	free(out->run_id);
	for (size_t i = 0; i < out->n_hosts; i++)
		free(out->hosts[i]);
	free(out->hosts);
	rota__incident_response__init(out);
}

/* ---- Alertmanager --------------------------------------------------------- */

/* The first runbook whose triggers match a (catalog order is by name, so
 * the choice is stable); NULL when none does. */
static const catalog_entry_t *
responder_match(responder_t *r, const alert_t *a)
{
	for (size_t i = 0; i < catalog_count(r->svc->catalog); i++) {
		const catalog_entry_t *e = catalog_at(r->svc->catalog, i);
		for (size_t t = 0; e->rb && t < e->rb->trigger_count; t++)
			if (alert_matches(&e->rb->triggers[t], a))
				return e;
	}
	return NULL;
}

/* The host an alert names, as the configuration says to read it: the
 * label host_label names (its port stripped, as alert.h does for
 * `instance`), else `instance`, else `host` (alert_host). The caller
 * frees; NULL when the alert names none. */
static char *
responder_host_of(responder_t *r, const alert_t *a)
{
	const char *label = r->svc->config ? r->svc->config->host_label : NULL;
	if (label == NULL) {
		const char *h = alert_host(a);
		return h ? xstrdup(h) : NULL;
	}
	const char *v = alert_label(a, label);
	return v ? alert_instance_host(v) : NULL;
}

/* The worker an alert's host means (registry_match_host: its id, host
 * name, short name or an address it reported): Prometheus knows hosts by
 * name or address, rota by worker id. host itself when none does, so the
 * refusal names what the alert said; NULL with *ambiguous when several
 * workers share that name or address. */
static const char *
responder_worker_for(responder_t *r, const char *host, bool *ambiguous)
{
	*ambiguous = false;
	if (host == NULL)
		return NULL;
	const worker_t *w = registry_match_host(r->svc->registry, host, ambiguous);
	if (w != NULL)
		return w->id;
	return *ambiguous ? NULL : host;
}

/* An audit row for something an alert did, in the turn's transaction
 * (a row that cannot be written fails the turn, and the sender is told
 * 503). */
static void
responder_audit(responder_t *r, const responder_source_t *src, const char *action,
                const char *target, const char *outcome, const char *detail)
{
	audit_entry_t e = {
	    .at_ms = clock_wall_ms(),
	    .actor = src->actor,
	    .role = src->role,
	    .action = action,
	    .target = target,
	    .outcome = outcome,
	    .detail = detail,
	    .peer = src->peer,
	};
	if (audit_record(r->svc->store, &e) != 0)
		log_error("audit: cannot record the alert intake's %s of %s; the turn will not"
		          " commit",
		          action, target);
}

/* Starts e's runbook on host (its own targets when host is NULL); the run
 * id into run_id, or the reason it could not start onto the timeline. An
 * alert names a host by a label anyone who reaches the intake writes: it
 * may narrow the run to one of the runbook's targets, never leave them. */
static void
responder_alert_run(responder_t *r, const responder_source_t *src, const catalog_entry_t *e,
                    const char *incident, const alert_t *a, const char *named,
                    const char *alertname, char *run_id, size_t len)
{
	const launcher_t *l = r->svc->launcher;
	bool ambiguous = false;
	/* A runbook that runs on the coordinator has no worker for the alert
	 * to pick: its run is the coordinator's whatever host the alert is
	 * about (which its steps may name: {{ alert.labels.instance }}). */
	const char *host =
	    e->rb->targets.coordinator ? NULL : responder_worker_for(r, named, &ambiguous);
	run_id[0] = '\0';
	char *why = NULL;
	if (ambiguous) {
		char *text = xasprintf("alert %s names host %s: nothing started, because more than"
		                       " one worker has that host name or address (give each"
		                       " worker its own --address, or set host_label)",
		                       alertname, named);
		incidents_note(r->svc->incidents, incident, "run", text, clock_wall_ms());
		log_warn("incident %s: %s", incident, text);
		responder_audit(r, src, "submit", e->rb->name, AUDIT_REFUSED, text);
		r->alerts.outside++;
		free(text);
		return;
	}
	if (host != NULL && !launcher_in_targets(l, e->rb, host, &why)) {
		char *text = xasprintf("alert %s names host %s: nothing started, because %s",
		                       alertname, host, why);
		incidents_note(r->svc->incidents, incident, "run", text, clock_wall_ms());
		log_warn("incident %s: %s", incident, text);
		responder_audit(r, src, "submit", e->rb->name, AUDIT_REFUSED, text);
		r->alerts.outside++;
		free(text);
		free(why);
		return;
	}
	char *targets[1] = {(char *)host};
	/* The alert's own labels reach the run (launcher.h): each alert of a
	 * group starts its own run, with its own values. */
	launch_pair_t *labels = xcalloc(a->labels.count + 1, sizeof(*labels));
	launch_pair_t *notes = xcalloc(a->annotations.count + 1, sizeof(*notes));
	for (size_t i = 0; i < a->labels.count; i++)
		labels[i] = (launch_pair_t){a->labels.items[i].name, a->labels.items[i].value};
	for (size_t i = 0; i < a->annotations.count; i++)
		notes[i] =
		    (launch_pair_t){a->annotations.items[i].name, a->annotations.items[i].value};
	launch_alert_t alert = {
	    .labels = labels,
	    .label_count = a->labels.count,
	    .annotations = notes,
	    .annotation_count = a->annotations.count,
	    .starts_ms = a->starts_ms,
	};
	launch_t lr = {
	    .rb = e->rb,
	    .yaml = catalog_run_yaml(e),
	    .targets = host ? targets : NULL,
	    .n_targets = host ? 1 : 0,
	    .trigger = "alert",
	    .alert = &alert,
	};
	launch_result_t res;
	int64_t now = clock_wall_ms();
	if (launcher_start(l, &lr, &res) != 0) {
		char *text = xasprintf("alert %s: runbook %s could not start%s%s: %s", alertname,
		                       e->rb->name, host ? " on " : "", host ? host : "",
		                       res.error ? res.error : "see the coordinator's log");
		incidents_note(r->svc->incidents, incident, "run", text, now);
		log_warn("incident %s: %s", incident, text);
		responder_audit(r, src, "submit", e->rb->name, AUDIT_REFUSED, text);
		free(text);
	} else {
		snprintf(run_id, len, "%s", res.run_id);
		char *hosts = responder_hosts(res.hosts, res.host_count);
		char *text = xasprintf("alert %s: started run %s of %s on %s", alertname,
		                       res.run_id, e->rb->name, hosts);
		responder_link_run(r, incident, res.run_id);
		incidents_note(r->svc->incidents, incident, "run", text, now);
		char *detail = xasprintf("run %s on %zu host(s), for alert %s (incident %s)",
		                         res.run_id, res.host_count, alertname, incident);
		responder_audit(r, src, "submit", e->rb->name, AUDIT_OK, detail);
		free(detail);
		r->alerts.runs++;
		free(text);
		free(hosts);
	}
	launch_result_clear(&res);
	free(labels);
	free(notes);
}

/* The maintenance window covering the alert's host (the worker it
 * means; an alert naming no worker is covered by a window on "all"): a
 * text naming it (the caller frees), or NULL when none does. A window
 * that cannot be read counts as none: a page too many beats a page lost. */
static char *
responder_maintenance(responder_t *r, const char *host)
{
	maint_set_t set;
	if (maintenance_active(r->svc->store, config_maintenance(r->svc->config), clock_wall_ms(),
	                       &set) != 0) {
		log_error("alert intake: cannot read the maintenance windows; the alert is acted"
		          " on as if there were none");
		return NULL;
	}
	bool ambiguous = false;
	const char *id = responder_worker_for(r, host, &ambiguous);
	const worker_t *w = id ? registry_find(r->svc->registry, id) : NULL;
	const maint_window_t *mw = NULL;
	if (w != NULL)
		mw = maintenance_covering(&set, w);
	else
		mw = maintenance_covering_all(&set);
	char *why = NULL;
	if (mw != NULL) {
		char *what = maintenance_describe(mw);
		why = xasprintf("%s is in maintenance, %s", w ? w->id : "every host", what);
		free(what);
	}
	maintenance_set_free(&set);
	return why;
}

/* The incident alert a (of payload p, for runbook e) opens on host (NULL:
 * none), titled title (both the caller's): the alert's severity, else the
 * runbook's; its policy the runbook's; by the receiver that sent it. */
static incident_spec_t
responder_alert_spec(const alert_payload_t *p, const alert_t *a, const catalog_entry_t *e,
                     const char *host, const char *title)
{
	int severity = alert_severity(a);
	return (incident_spec_t){
	    .title = title,
	    .severity = severity ? severity : e->rb->severity,
	    .source = "alertmanager",
	    .runbook = e->rb->name,
	    .hosts = host,
	    .policy = e->rb->escalation,
	    .by = p->receiver && p->receiver[0] ? p->receiver : "alertmanager",
	};
}

/* Records alert a of runbook e as a suppressed incident (why names the
 * window) and audits it. */
static void
responder_alert_suppress(responder_t *r, const responder_source_t *src, const alert_payload_t *p,
                         const alert_t *a, const catalog_entry_t *e, const char *fingerprint,
                         const char *host, const char *why)
{
	const char *alertname = alert_label(a, "alertname") ? alert_label(a, "alertname") : "?";
	int64_t now = clock_wall_ms();
	char *title = xasprintf("%s%s%s", alertname, host ? " on " : "", host ? host : "");
	incident_spec_t spec = responder_alert_spec(p, a, e, host, title);
	spec.suppressed = why;
	char id[INCIDENT_ID_MAX];
	if (incidents_open(r->svc->incidents, &spec, now, id, sizeof(id)) == 0) {
		char *detail =
		    xasprintf("alert %s, runbook %s: suppressed (%s)", alertname, e->rb->name, why);
		responder_audit(r, src, "incident open", id, AUDIT_OK, detail);
		free(detail);
		incidents_alert_put(r->svc->incidents, fingerprint, id, "suppressed", alertname,
		                    host, NULL, a->starts_ms, now);
	}
	free(title);
}

/* A firing alert a, whose host (NULL: none) is as responder_host_of read
 * it. */
static void
responder_alert_firing(responder_t *r, const responder_source_t *src, const alert_payload_t *p,
                       const alert_t *a, const char *fingerprint, const char *host)
{
	const char *alertname = alert_label(a, "alertname") ? alert_label(a, "alertname") : "?";
	int64_t now = clock_wall_ms();
	incident_alert_t known;
	int have = incidents_alert_get(r->svc->incidents, fingerprint, &known);
	if (have == 1 && known.incident_open) {
		if (strcmp(known.status, "firing") == 0) {
			r->alerts.repeated++;
			return;
		}
		/* Resolved, then firing again while the incident is still open:
		 * back on the incident, no second run (the first is its answer). */
		char *text = xasprintf("alert %s is firing again%s%s", alertname,
		                       host ? " on " : "", host ? host : "");
		incidents_note(r->svc->incidents, known.incident_id, "alert", text, now);
		free(text);
		incidents_alert_put(r->svc->incidents, fingerprint, known.incident_id, "firing",
		                    alertname, host, NULL, a->starts_ms, now);
		return;
	}
	const catalog_entry_t *e = responder_match(r, a);
	if (e == NULL) {
		r->alerts.unmatched++;
		log_info("alert %s%s%s matches no runbook's triggers: recorded, nothing started",
		         alertname, host ? " on " : "", host ? host : "");
		incidents_alert_put(r->svc->incidents, fingerprint, NULL, "unmatched", alertname,
		                    host, NULL, a->starts_ms, now);
		return;
	}
	/* A host in maintenance: the alert is on record as a suppressed
	 * incident (rota incidents --all), which pages no one and starts no
	 * run; Alertmanager's resends of it while the window lasts add
	 * nothing. */
	char *maint = responder_maintenance(r, host);
	if (maint != NULL) {
		r->alerts.suppressed++;
		if (have == 1 && strcmp(known.status, "suppressed") == 0) {
			free(maint);
			return;
		}
		responder_alert_suppress(r, src, p, a, e, fingerprint, host, maint);
		free(maint);
		return;
	}
	/* One incident per alert group and runbook: a second host's alert of
	 * the same group joins it and gets its own run. */
	char *dedup = xasprintf("alertmanager:%s:%s", p->group_key, e->rb->name);
	char id[INCIDENT_ID_MAX];
	int found = incidents_find_open(r->svc->incidents, dedup, id, sizeof(id));
	if (found == 1) {
		char *text = xasprintf("alert %s firing%s%s", alertname, host ? " on " : "",
		                       host ? host : "");
		incidents_note(r->svc->incidents, id, "alert", text, now);
		incidents_add_hosts(r->svc->incidents, id, host);
		free(text);
	} else if (found == 0) {
		const char *summary = NULL;
		for (size_t i = 0; i < a->annotations.count; i++)
			if (strcmp(a->annotations.items[i].name, "summary") == 0)
				summary = a->annotations.items[i].value;
		char *title =
		    summary && summary[0]
		        ? xstrdup(summary)
		        : xasprintf("%s%s%s", alertname, host ? " on " : "", host ? host : "");
		/* An alert is not refused for a long summary (the page matters
		 * more): its title is cut to the bound, at a character's start,
		 * and ends in "..." to say so. */
		if (strlen(title) > WIRE_MAX_TITLE_BYTES) {
			size_t keep = WIRE_MAX_TITLE_BYTES - 3;
			while (keep > 0 && ((unsigned char)title[keep] & 0xC0) == 0x80)
				keep--;
			memcpy(title + keep, "...", 4);
		}
		incident_spec_t spec = responder_alert_spec(p, a, e, host, title);
		spec.dedup = dedup;
		if (incidents_open(r->svc->incidents, &spec, now, id, sizeof(id)) == 0) {
			r->alerts.opened++;
			char *detail = xasprintf("alert %s%s%s, runbook %s", alertname,
			                         host ? " on " : "", host ? host : "", e->rb->name);
			responder_audit(r, src, "incident open", id, AUDIT_OK, detail);
			free(detail);
		} else {
			found = -1;
		}
		free(title);
	}
	free(dedup);
	if (found < 0)
		return;
	char run_id[32];
	responder_alert_run(r, src, e, id, a, host, alertname, run_id, sizeof(run_id));
	incidents_alert_put(r->svc->incidents, fingerprint, id, "firing", alertname, host,
	                    run_id[0] ? run_id : NULL, a->starts_ms, now);
}

static void
responder_alert_resolved(responder_t *r, const responder_source_t *src, const alert_t *a,
                         const char *fingerprint, const char *host)
{
	incident_alert_t known;
	if (incidents_alert_get(r->svc->incidents, fingerprint, &known) != 1 ||
	    strcmp(known.status, "firing") != 0)
		return; /* never seen firing, or already resolved: nothing to do */
	const char *alertname = alert_label(a, "alertname") ? alert_label(a, "alertname") : "?";
	int64_t now = clock_wall_ms();
	r->alerts.resolved++;
	incidents_alert_put(r->svc->incidents, fingerprint, known.incident_id, "resolved",
	                    alertname, host, NULL, a->starts_ms, now);
	char *text =
	    xasprintf("alert %s resolved%s%s", alertname, host ? " on " : "", host ? host : "");
	incidents_note(r->svc->incidents, known.incident_id, "alert", text, now);
	free(text);
	if (known.incident_open &&
	    incidents_alerts_firing(r->svc->incidents, known.incident_id) == 0) {
		int code = 0;
		char *error = NULL;
		if (incidents_resolve(r->svc->incidents, known.incident_id, "alertmanager",
		                      "every alert of the incident resolved in Alertmanager", now,
		                      &code, &error) != 0) {
			log_warn("incident %s: %s", known.incident_id, error);
			responder_audit(r, src, "resolve", known.incident_id, AUDIT_REFUSED, error);
			free(error);
		} else {
			responder_audit(r, src, "resolve", known.incident_id, AUDIT_OK,
			                "every alert of the incident resolved in Alertmanager");
		}
	}
}

void
responder_alerts(responder_t *r, const responder_source_t *src, const char *body, size_t len,
                 unsigned *status, char **reply)
{
	alert_payload_t p;
	char *error = NULL;
	if (alert_payload_parse(body, len, &p, &error) != 0) {
		r->alerts.malformed++;
		*status = 400;
		log_warn("alert intake: refused a payload: %s", error);
		/* Plain text: Alertmanager logs a 400's body as it is. */
		*reply = xasprintf("invalid Alertmanager payload: %s\n", error);
		free(error);
		return;
	}
	uint64_t opened = r->alerts.opened, runs = r->alerts.runs, unmatched = r->alerts.unmatched;
	for (size_t i = 0; i < p.alert_count; i++) {
		const alert_t *a = &p.alerts[i];
		/* Alertmanager before 0.19 sends no fingerprint: the labels are
		 * what identify an alert, so they stand in for it. */
		char *fp = a->fingerprint && a->fingerprint[0] ? xstrdup(a->fingerprint) : NULL;
		if (fp == NULL) {
			strlist_t pairs = {0};
			for (size_t k = 0; k < a->labels.count; k++)
				strlist_add(&pairs, xasprintf("%s=%s", a->labels.items[k].name,
				                              a->labels.items[k].value));
			fp = strlist_join_sep(&pairs, ",", "");
			strlist_free(&pairs);
		}
		char *host = responder_host_of(r, a);
		if (a->firing)
			responder_alert_firing(r, src, &p, a, fp, host);
		else
			responder_alert_resolved(r, src, a, fp, host);
		free(host);
		free(fp);
	}
	*status = 202;
	*reply = xasprintf("{\"alerts\": %zu, \"incidents_opened\": %llu, \"runs_started\": %llu,"
	                   " \"unmatched\": %llu}\n",
	                   p.alert_count, (unsigned long long)(r->alerts.opened - opened),
	                   (unsigned long long)(r->alerts.runs - runs),
	                   (unsigned long long)(r->alerts.unmatched - unmatched));
	alert_payload_free(&p);
}
