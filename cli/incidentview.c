/* incidentview: an incident as the CLI shows it, on the terminal and in
 * JSON: the words for its escalation and deadline, its hosts, the object
 * every --json document carries, and the whole of `incident show`.
 *
 * Pure rendering: it asks the coordinator nothing, and decides nothing the
 * coordinator decides (overdue is read from the coordinator's fields).
 * Must never: print a notification that failed in a way that reads like
 * one still on its way. */
#include "incidentview.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_note.h"
#include "format.h"
#include "runview.h"
#include "table.h"
#include "xalloc.h"

/* One line on stdout with a peer's strings in it, control characters
 * replaced as table cells do. */
void
incidentview_say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *line = xvasprintf(fmt, ap);
	va_end(ap);
	format_printable(line);
	printf("%s\n", line);
	free(line);
}

static bool
incidentview_is(const Rota__IncidentInfo *inc, const char *status)
{
	return inc->status != NULL && strcmp(inc->status, status) == 0;
}

const char *
incidentview_text(const char *s)
{
	return s != NULL ? s : "";
}

/* Whether the acknowledgement deadline was missed, by the coordinator's
 * clock rather than ours (two hosts' clocks disagree; a test fakes one).
 * IncidentInfo has no flag for it, but while an incident is triggered and
 * its deadline not yet marked, the coordinator keeps next_escalation_ms at
 * or before ack_due_ms (it must look again then); once it has marked the
 * deadline, every later look is after it, or there is none. Once acked or
 * resolved, the ack (or the resolve without one) came late or did not. */
bool
incidentview_overdue(const Rota__IncidentInfo *inc)
{
	if (inc->ack_due_ms <= 0)
		return false;
	if (incidentview_is(inc, "triggered"))
		return inc->next_escalation_ms == 0 || inc->next_escalation_ms > inc->ack_due_ms;
	int64_t answered = inc->acked_ms > 0 ? inc->acked_ms : inc->resolved_ms;
	return answered > inc->ack_due_ms;
}

/* A wall time as "2026-11-23 08:00:01 UTC", or "-". */
void
incidentview_time(int64_t ms, char *buf, size_t len)
{
	char t[FORMAT_BUF_BYTES];
	format_time(ms, t, sizeof(t));
	snprintf(buf, len, "%s%s", t, ms > 0 ? " UTC" : "");
}

void
incidentview_json_strings(json_t *j, const char *key, char *const *items, size_t n)
{
	json_key(j, key);
	json_array_begin(j);
	for (size_t i = 0; i < n; i++) {
		if (items[i] != NULL)
			json_string(j, items[i]);
	}
	json_array_end(j);
}

/* The incident's object in every --json document (README: "incident"). */
void
incidentview_json_info(json_t *j, const Rota__IncidentInfo *inc)
{
	json_object_begin(j);
	json_member_string(j, "id", inc->id);
	json_member_string(j, "title", inc->title);
	json_member_string(j, "severity", format_severity(inc->severity));
	json_member_string(j, "status", inc->status);
	json_member_string(j, "source", inc->source);
	json_member_text(j, "runbook", inc->runbook);
	incidentview_json_strings(j, "hosts", inc->hosts, inc->n_hosts);
	json_member_string(j, "policy", inc->policy);
	/* The wire counts tiers from 0 with -1 for none; people (and the
	 * timeline's "tier 2") count from 1. */
	json_member_int_or_null(j, "tier", inc->tier >= 0, (int64_t)inc->tier + 1);
	json_member_time(j, "created_ms", inc->created_ms);
	json_member_time(j, "ack_due_ms", inc->ack_due_ms);
	json_member_bool(j, "ack_overdue", incidentview_overdue(inc));
	json_member_time(j, "acked_ms", inc->acked_ms);
	json_member_text(j, "acked_by", inc->acked_by);
	json_member_time(j, "resolved_ms", inc->resolved_ms);
	json_member_text(j, "note", inc->note);
	json_member_time(j, "next_escalation_ms", inc->next_escalation_ms);
	incidentview_json_strings(j, "run_ids", inc->run_ids, inc->n_run_ids);
	json_member_uint(j, "deliveries_pending", inc->deliveries_pending);
	json_member_uint(j, "deliveries_failed", inc->deliveries_failed);
	json_object_end(j);
}

/* "w1, w2, w3 +2" with at most max names (0: all), or "-"; caller frees. */
char *
incidentview_hosts(const Rota__IncidentInfo *inc, size_t max)
{
	char *out = xstrdup("");
	size_t shown = 0;
	for (size_t i = 0; i < inc->n_hosts; i++) {
		if (inc->hosts[i] == NULL || inc->hosts[i][0] == '\0')
			continue;
		if (max > 0 && shown == max) {
			char *more = xasprintf("%s +%zu", out, inc->n_hosts - i);
			free(out);
			return more;
		}
		char *next = xasprintf("%s%s%s", out, shown > 0 ? ", " : "", inc->hosts[i]);
		free(out);
		out = next;
		shown++;
	}
	if (shown == 0) {
		free(out);
		out = xstrdup("-");
	}
	return out;
}

/* What the list says of the climb: "next escalation in 4m, ack due in
 * 9m", "ACK OVERDUE", "acked by bob", or "-" once resolved. */
void
incidentview_escalation(const Rota__IncidentInfo *inc, int64_t now, char *buf, size_t len)
{
	char in[FORMAT_BUF_BYTES];
	if (incidentview_is(inc, "acknowledged")) {
		snprintf(buf, len, "stopped: acked by %s",
		         inc->acked_by != NULL && inc->acked_by[0] != '\0' ? inc->acked_by : "?");
		return;
	}
	if (!incidentview_is(inc, "triggered")) {
		snprintf(buf, len, "-");
		return;
	}
	char next[FORMAT_BUF_BYTES + 32] = "", due[FORMAT_BUF_BYTES + 32] = "";
	if (inc->next_escalation_ms > 0) {
		format_until(inc->next_escalation_ms, now, in, sizeof(in));
		snprintf(next, sizeof(next), "next escalation %s", in);
	}
	if (incidentview_overdue(inc)) {
		snprintf(due, sizeof(due), "ACK OVERDUE");
	} else if (inc->ack_due_ms > 0) {
		format_until(inc->ack_due_ms, now, in, sizeof(in));
		snprintf(due, sizeof(due), "ack due %s", in);
	}
	snprintf(buf, len, "%s%s%s", due, due[0] && next[0] ? ", " : "", next);
	if (buf[0] == '\0')
		snprintf(buf, len, "-");
}

/* The IncidentInfo of an answer, or NULL after saying that the answer has
 * none (a coordinator of another version). */
const Rota__IncidentInfo *
incidentview_of(const Rota__IncidentInfo *inc, const char *what)
{
	if (inc != NULL && inc->id != NULL)
		return inc;
	fprintf(stderr,
	        "rota: the coordinator's answer to %s has no incident in it; are rota and "
	        "rota-coordinator the same version?\n",
	        what);
	return NULL;
}

/* ---- incident show ----------------------------------------------------- */

/* Who did what the timeline's first event of kind says ("opened by alice
 * (cli): ...", "resolved by bob: fixed"), into buf; "" when it does not
 * say. The wire carries acked_by only, so the rest is read here. */
static void
incidentview_actor(const Rota__ShowIncidentResponse *show, const char *kind, char *buf, size_t len)
{
	buf[0] = '\0';
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "%s by ", kind);
	size_t plen = strlen(prefix);
	for (size_t i = 0; i < show->n_events; i++) {
		const Rota__IncidentEvent *e = show->events[i];
		if (e == NULL || e->kind == NULL || e->text == NULL || strcmp(e->kind, kind) != 0 ||
		    strncmp(e->text, prefix, plen) != 0)
			continue;
		const char *who = e->text + plen;
		size_t n = strcspn(who, ":(");
		while (n > 0 && who[n - 1] == ' ')
			n--;
		snprintf(buf, len, "%.*s", (int)n, who);
		return;
	}
}

static bool
incidentview_has_event(const Rota__ShowIncidentResponse *show, const char *kind)
{
	for (size_t i = 0; i < show->n_events; i++) {
		const Rota__IncidentEvent *e = show->events[i];
		if (e != NULL && e->kind != NULL && strcmp(e->kind, kind) == 0)
			return true;
	}
	return false;
}

static void incidentview_head_row(table_t *t, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
incidentview_head_row(table_t *t, const char *name, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *text = xvasprintf(fmt, ap);
	va_end(ap);
	table_row(t);
	table_cell(t, name);
	table_cell(t, text);
	free(text);
}

/* A delivery's state as one cell: a failure must not read like a
 * notification still on its way. */
static char *
incidentview_delivery_state(const Rota__Delivery *d, int64_t now)
{
	const char *err = d->last_error != NULL && d->last_error[0] != '\0' ? d->last_error : NULL;
	char at[FORMAT_BUF_BYTES + 8];
	if (d->state != NULL && strcmp(d->state, "delivered") == 0) {
		incidentview_time(d->delivered_ms, at, sizeof(at));
		return xasprintf("delivered %s", at);
	}
	if (d->state != NULL && strcmp(d->state, "failed") == 0)
		return xasprintf("FAILED after %u attempt%s: %s", d->attempts,
		                 d->attempts == 1 ? "" : "s", err ? err : "no error recorded");
	if (d->attempts == 0)
		return xstrdup("pending");
	char in[FORMAT_BUF_BYTES];
	format_until(d->next_ms, now, in, sizeof(in));
	return xasprintf("pending, retry %s (last: %s)", in, err ? err : "no error recorded");
}

static void
incidentview_json_event(json_t *j, const Rota__IncidentEvent *e)
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
incidentview_json_delivery(json_t *j, const Rota__Delivery *d)
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

void
incidentview_show_json(const Rota__ShowIncidentResponse *show, int64_t now)
{
	json_t *j = json_new_object();
	json_key(j, "incident");
	incidentview_json_info(j, show->incident);
	JSON_MEMBER_OBJECTS(j, "timeline", show->events, show->n_events, incidentview_json_event);
	JSON_MEMBER_OBJECTS(j, "deliveries", show->deliveries, show->n_deliveries,
	                    incidentview_json_delivery);
	runview_json_runs(j, "runs", show->runs, show->n_runs, now);
	json_print_object(&j);
}

static void
incidentview_show_head(const Rota__ShowIncidentResponse *show, int64_t now)
{
	const Rota__IncidentInfo *inc = show->incident;
	char t1[FORMAT_BUF_BYTES + 8], in[FORMAT_BUF_BYTES], who[128];
	table_t *head = table_new(2, NULL);
	incidentview_head_row(head, "incident", "%s", inc->id);
	incidentview_head_row(head, "title", "%s", incidentview_text(inc->title));
	incidentview_head_row(head, "severity", "%s", format_severity(inc->severity));
	incidentview_head_row(head, "status", "%s", incidentview_text(inc->status));
	incidentview_head_row(head, "source", "%s", incidentview_text(inc->source));
	if (inc->runbook != NULL && inc->runbook[0] != '\0')
		incidentview_head_row(head, "runbook", "%s", inc->runbook);
	char *hosts = incidentview_hosts(inc, 0);
	incidentview_head_row(head, "hosts", "%s", hosts);
	free(hosts);
	if (inc->tier >= 0)
		incidentview_head_row(head, "escalation", "policy %s, tier %d reached",
		                      incidentview_text(inc->policy), inc->tier + 1);
	else
		incidentview_head_row(head, "escalation", "policy %s, nobody notified",
		                      incidentview_text(inc->policy));

	incidentview_time(inc->created_ms, t1, sizeof(t1));
	format_ago(inc->created_ms, now, in, sizeof(in));
	incidentview_actor(show, "opened", who, sizeof(who));
	incidentview_head_row(head, "opened", "%s%s%s (%s)", t1, who[0] ? " by " : "", who, in);

	/* The ack deadline: still ahead, missed, or met. */
	incidentview_time(inc->ack_due_ms, t1, sizeof(t1));
	bool overdue = incidentview_overdue(inc) || incidentview_has_event(show, "overdue");
	if (inc->ack_due_ms <= 0) {
		incidentview_head_row(head, "ack due", "-");
	} else if (incidentview_is(inc, "triggered") && overdue) {
		incidentview_head_row(head, "ack due", "%s: OVERDUE, not acknowledged", t1);
	} else if (incidentview_is(inc, "triggered")) {
		format_until(inc->ack_due_ms, now, in, sizeof(in));
		incidentview_head_row(head, "ack due", "%s (%s)", t1, in);
	} else if (inc->acked_ms > 0 && inc->acked_ms <= inc->ack_due_ms) {
		incidentview_head_row(head, "ack due", "%s (met)", t1);
	} else if (inc->acked_ms > 0) {
		format_duration(inc->acked_ms - inc->ack_due_ms, in, sizeof(in));
		incidentview_head_row(head, "ack due", "%s (missed by %s)", t1, in);
	} else {
		incidentview_head_row(head, "ack due", "%s (resolved without an ack)", t1);
	}

	if (inc->acked_ms > 0) {
		incidentview_time(inc->acked_ms, t1, sizeof(t1));
		incidentview_head_row(head, "acknowledged", "%s by %s", t1,
		                      inc->acked_by != NULL && inc->acked_by[0] ? inc->acked_by
		                                                                : "?");
	} else {
		incidentview_head_row(head, "acknowledged", "-");
	}
	if (inc->resolved_ms > 0) {
		incidentview_time(inc->resolved_ms, t1, sizeof(t1));
		incidentview_actor(show, "resolved", who, sizeof(who));
		incidentview_head_row(head, "resolved", "%s%s%s%s%s", t1, who[0] ? " by " : "", who,
		                      inc->note != NULL && inc->note[0] ? ": " : "",
		                      incidentview_text(inc->note));
	} else {
		incidentview_head_row(head, "resolved", "-");
	}
	if (incidentview_is(inc, "triggered") && inc->next_escalation_ms > 0) {
		incidentview_time(inc->next_escalation_ms, t1, sizeof(t1));
		format_until(inc->next_escalation_ms, now, in, sizeof(in));
		incidentview_head_row(head, "next escalation", "%s (%s)", t1, in);
	} else if (incidentview_is(inc, "triggered")) {
		incidentview_head_row(head, "next escalation", "none: the last tier was notified");
	} else {
		incidentview_head_row(head, "next escalation", "none: %s",
		                      incidentview_text(inc->status));
	}
	unsigned pending = 0, delivered = 0, failed = 0;
	for (size_t i = 0; i < show->n_deliveries; i++) {
		const Rota__Delivery *d = show->deliveries[i];
		if (d == NULL || d->state == NULL)
			continue;
		if (strcmp(d->state, "delivered") == 0)
			delivered++;
		else if (strcmp(d->state, "failed") == 0)
			failed++;
		else
			pending++;
	}
	incidentview_head_row(head, "notifications", "%u pending, %u delivered, %u %s", pending,
	                      delivered, failed, failed > 0 ? "FAILED" : "failed");
	table_print(head, stdout);
	table_destroy(&head);
}

void
incidentview_show_text(const Rota__ShowIncidentResponse *show, int64_t now)
{
	incidentview_show_head(show, now);

	printf("\ntimeline\n");
	static const char *const tl_headers[] = {"TIME", "KIND", "TEXT"};
	table_t *t = table_new(3, tl_headers);
	table_set_indent(t, 2);
	for (size_t i = 0; i < show->n_events; i++) {
		const Rota__IncidentEvent *e = show->events[i];
		if (e == NULL)
			continue;
		char at[FORMAT_BUF_BYTES];
		format_time(e->at_ms, at, sizeof(at));
		table_row(t);
		table_cell(t, at);
		table_cell(t, e->kind);
		if (e->note_kind != NULL && e->note_kind[0] != '\0') {
			char *line = cmd_note_line(e);
			table_cell(t, line);
			free(line);
		} else {
			table_cell(t, e->text);
		}
	}
	table_print(t, stdout);
	table_destroy(&t);

	printf("\nnotifications\n");
	if (show->n_deliveries == 0) {
		printf("  none: its escalation policy names no channel\n");
	} else {
		static const char *const d_headers[] = {"CHANNEL", "KIND", "ATTEMPTS", "STATE"};
		t = table_new(4, d_headers);
		table_set_indent(t, 2);
		for (size_t i = 0; i < show->n_deliveries; i++) {
			const Rota__Delivery *d = show->deliveries[i];
			if (d == NULL)
				continue;
			char *state = incidentview_delivery_state(d, now);
			table_row(t);
			table_cell(t, d->channel);
			table_cell(t, d->kind);
			table_cellf(t, "%u", d->attempts);
			table_cell(t, state);
			free(state);
		}
		table_print(t, stdout);
		table_destroy(&t);
	}

	printf("\nruns\n");
	if (show->n_runs == 0) {
		printf("  none\n");
		return;
	}
	static const char *const r_headers[] = {"ID", "RUNBOOK", "STATUS", "OK/FAIL/ALL",
	                                        "STARTED"};
	t = table_new(5, r_headers);
	table_set_indent(t, 2);
	for (size_t i = 0; i < show->n_runs; i++) {
		const Rota__RunSummary *r = show->runs[i];
		if (r == NULL)
			continue;
		char started[FORMAT_BUF_BYTES];
		format_time(r->started_ms, started, sizeof(started));
		table_row(t);
		table_cell(t, r->id);
		table_cell(t, r->runbook);
		table_cell(t, format_run_status(r->status));
		table_cellf(t, "%u/%u/%u", r->hosts_ok, r->hosts_failed, r->hosts_total);
		table_cell(t, started);
	}
	table_print(t, stdout);
	table_destroy(&t);
}
