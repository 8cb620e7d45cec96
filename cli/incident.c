/* incident: see incident.h. */
#include "incident.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client.h"
#include "clock.h"
#include "format.h"
#include "json.h"
#include "launchargs.h"
#include "run.h"
#include "table.h"
#include "usage.h"
#include "wire.h"
#include "xalloc.h"

#define INCIDENT_OPEN_SYNOPSIS                                                                     \
	"open RUNBOOK --title TEXT [--severity P1..P4] [--target ID|label=value]... "              \
	"[-p key=value]... [--json]"
#define INCIDENT_SHOW_SYNOPSIS "show ID [--json]"
#define INCIDENT_LIST_SYNOPSIS "[--open] [--limit N] [--json]"
#define INCIDENT_ACTION_SYNOPSIS "ID [--note TEXT] [--json]"

/* ---- shared -------------------------------------------------------------- */

/* Who the coordinator records as acting: the login name, as approve's
 * note is the operator's own words. */
static const char *
incident_by(void)
{
	const char *user = getenv("USER");
	return user != NULL && user[0] != '\0' ? user : CLI_DEFAULT_OPERATOR;
}

/* One line on stdout with a peer's strings in it, control characters
 * replaced as table cells do. */
static void incident_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
incident_say(const char *fmt, ...)
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
incident_is(const Rota__IncidentInfo *inc, const char *status)
{
	return inc->status != NULL && strcmp(inc->status, status) == 0;
}

static const char *
incident_text(const char *s)
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
static bool
incident_overdue(const Rota__IncidentInfo *inc)
{
	if (inc->ack_due_ms <= 0)
		return false;
	if (incident_is(inc, "triggered"))
		return inc->next_escalation_ms == 0 || inc->next_escalation_ms > inc->ack_due_ms;
	int64_t answered = inc->acked_ms > 0 ? inc->acked_ms : inc->resolved_ms;
	return answered > inc->ack_due_ms;
}

/* A wall time as "2026-11-23 08:00:01 UTC", or "-". */
static void
incident_time(int64_t ms, char *buf, size_t len)
{
	char t[FORMAT_BUF_BYTES];
	format_time(ms, t, sizeof(t));
	snprintf(buf, len, "%s%s", t, ms > 0 ? " UTC" : "");
}

static void
incident_json_time(json_t *j, const char *key, int64_t ms)
{
	json_key(j, key);
	if (ms > 0)
		json_int(j, ms);
	else
		json_null(j);
}

/* An empty string from the coordinator means "not set": null in JSON. */
static void
incident_json_text(json_t *j, const char *key, const char *s)
{
	json_key(j, key);
	if (s != NULL && s[0] != '\0')
		json_string(j, s);
	else
		json_null(j);
}

static void
incident_json_strings(json_t *j, const char *key, char *const *items, size_t n)
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
static void
incident_json_info(json_t *j, const Rota__IncidentInfo *inc)
{
	json_object_begin(j);
	json_key(j, "id");
	json_string(j, inc->id);
	json_key(j, "title");
	json_string(j, inc->title);
	json_key(j, "severity");
	json_string(j, format_severity(inc->severity));
	json_key(j, "status");
	json_string(j, inc->status);
	json_key(j, "source");
	json_string(j, inc->source);
	incident_json_text(j, "runbook", inc->runbook);
	incident_json_strings(j, "hosts", inc->hosts, inc->n_hosts);
	json_key(j, "policy");
	json_string(j, inc->policy);
	/* The wire counts tiers from 0 with -1 for none; people (and the
	 * timeline's "tier 2") count from 1. */
	json_key(j, "tier");
	if (inc->tier >= 0)
		json_int(j, (int64_t)inc->tier + 1);
	else
		json_null(j);
	incident_json_time(j, "created_ms", inc->created_ms);
	incident_json_time(j, "ack_due_ms", inc->ack_due_ms);
	json_key(j, "ack_overdue");
	json_bool(j, incident_overdue(inc));
	incident_json_time(j, "acked_ms", inc->acked_ms);
	incident_json_text(j, "acked_by", inc->acked_by);
	incident_json_time(j, "resolved_ms", inc->resolved_ms);
	incident_json_text(j, "note", inc->note);
	incident_json_time(j, "next_escalation_ms", inc->next_escalation_ms);
	incident_json_strings(j, "run_ids", inc->run_ids, inc->n_run_ids);
	json_key(j, "deliveries_pending");
	json_uint(j, inc->deliveries_pending);
	json_key(j, "deliveries_failed");
	json_uint(j, inc->deliveries_failed);
	json_object_end(j);
}

/* "w1, w2, w3 +2" with at most max names (0: all), or "-"; caller frees. */
static char *
incident_hosts(const Rota__IncidentInfo *inc, size_t max)
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
static void
incident_escalation(const Rota__IncidentInfo *inc, int64_t now, char *buf, size_t len)
{
	char in[FORMAT_BUF_BYTES];
	if (incident_is(inc, "acknowledged")) {
		snprintf(buf, len, "stopped: acked by %s",
		         inc->acked_by != NULL && inc->acked_by[0] != '\0' ? inc->acked_by : "?");
		return;
	}
	if (!incident_is(inc, "triggered")) {
		snprintf(buf, len, "-");
		return;
	}
	char next[FORMAT_BUF_BYTES + 32] = "", due[FORMAT_BUF_BYTES + 32] = "";
	if (inc->next_escalation_ms > 0) {
		format_until(inc->next_escalation_ms, now, in, sizeof(in));
		snprintf(next, sizeof(next), "next escalation %s", in);
	}
	if (incident_overdue(inc)) {
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
static const Rota__IncidentInfo *
incident_of(const Rota__IncidentInfo *inc, const char *what)
{
	if (inc != NULL && inc->id != NULL)
		return inc;
	fprintf(stderr,
	        "rota: the coordinator's answer to %s has no incident in it; are rota and "
	        "rota-coordinator the same version?\n",
	        what);
	return NULL;
}

/* ---- incident open ----------------------------------------------------- */

static void
incident_print_opened(const Rota__IncidentResponse *resp, const Rota__IncidentInfo *inc)
{
	char due[FORMAT_BUF_BYTES + 8], in[FORMAT_BUF_BYTES];
	int64_t now = clock_wall_ms();
	incident_say("%s opened: %s %s: %s", inc->id, format_severity(inc->severity),
	             incident_text(inc->status), incident_text(inc->title));
	char *hosts = xstrdup("");
	for (size_t i = 0; i < resp->n_hosts; i++) {
		char *next = xasprintf("%s%s%s", hosts, i > 0 ? ", " : "", resp->hosts[i]);
		free(hosts);
		hosts = next;
	}
	incident_say("run %s of %s started on %zu host%s: %s", resp->run_id,
	             incident_text(inc->runbook), resp->n_hosts, resp->n_hosts == 1 ? "" : "s",
	             hosts);
	free(hosts);
	incident_time(inc->ack_due_ms, due, sizeof(due));
	format_until(inc->ack_due_ms, now, in, sizeof(in));
	if (inc->tier >= 0)
		incident_say("escalation policy %s: tier %d notified; ack due %s (%s)", inc->policy,
		             inc->tier + 1, due, in);
	else
		incident_say("escalation policy %s: nobody notified (see the timeline); ack due %s "
		             "(%s)",
		             inc->policy, due, in);
	printf("follow it with:\n");
	incident_say("  rota incident show %s", inc->id);
	incident_say("  rota logs %s -f", resp->run_id);
}

static int
incident_open(session_t *s, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"title", required_argument, NULL, 'T'},
	    {"severity", required_argument, NULL, 's'},
	    {"target", required_argument, NULL, 't'},
	    {"param", required_argument, NULL, 'p'},
	    {"param-file", required_argument, NULL, 'P'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	launchargs_t la; /* owned */
	launchargs_init(&la, argc);
	const char *title = NULL;
	unsigned severity = 0;
	int json = 0;
	Rota__Envelope *reply = NULL;
	int rc = CLI_EXIT_OK;

	int ch;
	optind = 0;
	opterr = 0;
	while (rc == CLI_EXIT_OK && (ch = getopt_long(argc, argv, ":t:p:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'T':
			if (optarg[0] == '\0')
				rc = usage_error("incident open: --title needs text, as in --title "
				                 "'disk full on db-1'");
			title = optarg;
			break;
		case 's':
			if (format_parse_severity(optarg, &severity) != 0)
				rc = usage_error(
				    "incident open: --severity must be P1, P2, P3 or P4 "
				    "(or 1 to 4), got '%s'; P1 is the most urgent",
				    optarg);
			break;
		case 't':
		case 'p':
		case 'P':
			rc = launchargs_take(&la, ch, optarg, "incident open");
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			usage_print(stdout);
			goto out;
		default:
			rc = usage_getopt_error("incident", INCIDENT_OPEN_SYNOPSIS, ch, argv);
			break;
		}
	}
	if (rc != CLI_EXIT_OK)
		goto out;
	if (optind >= argc || argv[optind][0] == '\0') {
		rc = usage_error(
		    "incident open needs a runbook: rota incident " INCIDENT_OPEN_SYNOPSIS
		    " ('rota runbooks' lists them)");
		goto out;
	}
	if (optind + 1 < argc) {
		rc = usage_error("incident open takes one runbook, got '%s' too; quote a title "
		                 "with spaces: --title 'disk full on db-1'",
		                 argv[optind + 1]);
		goto out;
	}
	const char *runbook = argv[optind];
	/* The coordinator runs an incident's runbook from its own directory,
	 * so an incident can always be re-run and audited by name. */
	if (format_ends_with(runbook, ".yaml") || format_ends_with(runbook, ".yml") ||
	    strchr(runbook, '/') != NULL) {
		rc =
		    usage_error("incident open runs a runbook the coordinator has loaded, by name; "
		                "'%s' is a file: put it in the coordinator's runbook directory and "
		                "run 'rota reload'",
		                runbook);
		goto out;
	}
	if (title == NULL) {
		rc = usage_error("incident open needs --title TEXT: what is wrong, as the people "
		                 "paged will read it (--title 'disk full on db-1')");
		goto out;
	}
	if (strlen(title) > WIRE_MAX_TITLE_BYTES) {
		rc = usage_error("incident open: --title is %zu bytes; the limit is %d bytes: say "
		                 "what is wrong in a line",
		                 strlen(title), WIRE_MAX_TITLE_BYTES);
		goto out;
	}

	Rota__SubmitRequest sub = ROTA__SUBMIT_REQUEST__INIT;
	sub.runbook = (char *)runbook;
	launchargs_fill(&la, &sub);
	Rota__OpenIncidentRequest open = ROTA__OPEN_INCIDENT_REQUEST__INIT;
	open.submit = &sub;
	open.severity = severity;
	open.title = (char *)title;
	open.by = (char *)incident_by();
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_INCIDENT_OPEN;
	req.incident_open = &open;
	rc = session_call(s, &req, ROTA__RESPONSE__BODY_INCIDENT_OPEN, &reply);
	if (rc != CLI_EXIT_OK)
		goto out;
	const Rota__IncidentResponse *resp = reply->response->incident_open;
	const Rota__IncidentInfo *inc = incident_of(resp->incident, "incident open");
	if (inc == NULL || resp->run_id == NULL || resp->run_id[0] == '\0') {
		if (inc != NULL)
			fprintf(stderr,
			        "rota: the coordinator opened %s but named no run; are rota "
			        "and rota-coordinator the same version?\n",
			        inc->id);
		rc = CLI_EXIT_REFUSED;
		goto out;
	}
	if (json) {
		json_t *j = json_new();
		json_object_begin(j);
		json_key(j, "incident");
		incident_json_info(j, inc);
		json_key(j, "run_id");
		json_string(j, resp->run_id);
		incident_json_strings(j, "hosts", resp->hosts, resp->n_hosts);
		json_object_end(j);
		json_print(&j);
	} else {
		incident_print_opened(resp, inc);
	}

out:
	launchargs_free(&la);
	client_reply_free(&reply);
	return rc;
}

/* ---- incidents ----------------------------------------------------------- */

int
incident_list(session_t *s, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"open", no_argument, NULL, 'o'},
	    {"limit", required_argument, NULL, 'n'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	unsigned limit = CLI_INCIDENTS_DEFAULT_LIMIT;
	int json = 0, open_only = 0;
	int ch;
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":n:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'o':
			open_only = 1;
			break;
		case 'n':
			if (usage_parse_count(optarg, CLI_INCIDENTS_MAX_LIMIT, &limit) != 0)
				return usage_error(
				    "incidents: --limit needs a whole number from 1 to "
				    "%d, got '%s'",
				    CLI_INCIDENTS_MAX_LIMIT, optarg);
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			usage_print(stdout);
			return CLI_EXIT_OK;
		default:
			return usage_getopt_error("incidents", INCIDENT_LIST_SYNOPSIS, ch, argv);
		}
	}
	if (optind < argc)
		return usage_error("incidents takes no arguments, got '%s'; to look at one, use "
		                   "'rota incident show %s'",
		                   argv[optind], argv[optind]);

	Rota__ListIncidentsRequest list = ROTA__LIST_INCIDENTS_REQUEST__INIT;
	list.open_only = open_only;
	list.limit = limit;
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_INCIDENTS;
	req.incidents = &list;
	Rota__Envelope *reply;
	int rc = session_call(s, &req, ROTA__RESPONSE__BODY_INCIDENTS, &reply);
	if (rc != CLI_EXIT_OK)
		return rc;
	const Rota__ListIncidentsResponse *resp = reply->response->incidents;
	int64_t now = clock_wall_ms();

	if (json) {
		json_t *j = json_new();
		json_object_begin(j);
		json_key(j, "incidents");
		json_array_begin(j);
		for (size_t i = 0; i < resp->n_incidents; i++) {
			if (resp->incidents[i] != NULL && resp->incidents[i]->id != NULL)
				incident_json_info(j, resp->incidents[i]);
		}
		json_array_end(j);
		json_object_end(j);
		json_print(&j);
		client_reply_free(&reply);
		return CLI_EXIT_OK;
	}

	/* TITLE is last: the longest cell, and the one that may be cut by a
	 * narrow terminal without losing a column. */
	static const char *const headers[] = {"ID",      "SEV",   "STATUS",     "OPENED", "SOURCE",
	                                      "RUNBOOK", "HOSTS", "ESCALATION", "TITLE"};
	table_t *t = table_new(9, headers);
	size_t rows = 0;
	for (size_t i = 0; i < resp->n_incidents; i++) {
		const Rota__IncidentInfo *inc = resp->incidents[i];
		if (inc == NULL || inc->id == NULL)
			continue;
		char opened[FORMAT_BUF_BYTES], climb[160];
		format_ago(inc->created_ms, now, opened, sizeof(opened));
		incident_escalation(inc, now, climb, sizeof(climb));
		char *hosts = incident_hosts(inc, CLI_INCIDENTS_LIST_HOSTS);
		table_row(t);
		table_cell(t, inc->id);
		table_cell(t, format_severity(inc->severity));
		table_cell(t, inc->status);
		table_cell(t, opened);
		table_cell(t, inc->source);
		table_cell(t, inc->runbook != NULL && inc->runbook[0] != '\0' ? inc->runbook : "-");
		table_cell(t, hosts);
		table_cell(t, climb);
		table_cell(t, inc->title);
		free(hosts);
		rows++;
	}
	if (rows > 0)
		table_print(t, stdout);
	else if (open_only)
		printf("no open incidents; 'rota incidents' lists resolved ones too\n");
	else
		printf("no incidents yet; 'rota incident open RUNBOOK --title TEXT' opens one\n");
	table_destroy(&t);
	client_reply_free(&reply);
	return CLI_EXIT_OK;
}

/* ---- incident show ----------------------------------------------------- */

/* Who did what the timeline's first event of kind says ("opened by alice
 * (cli): ...", "resolved by bob: fixed"), into buf; "" when it does not
 * say. The wire carries acked_by only, so the rest is read here. */
static void
incident_actor(const Rota__ShowIncidentResponse *show, const char *kind, char *buf, size_t len)
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
incident_has_event(const Rota__ShowIncidentResponse *show, const char *kind)
{
	for (size_t i = 0; i < show->n_events; i++) {
		const Rota__IncidentEvent *e = show->events[i];
		if (e != NULL && e->kind != NULL && strcmp(e->kind, kind) == 0)
			return true;
	}
	return false;
}

static void incident_head_row(table_t *t, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
incident_head_row(table_t *t, const char *name, const char *fmt, ...)
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
incident_delivery_state(const Rota__Delivery *d, int64_t now)
{
	const char *err = d->last_error != NULL && d->last_error[0] != '\0' ? d->last_error : NULL;
	char at[FORMAT_BUF_BYTES + 8];
	if (d->state != NULL && strcmp(d->state, "delivered") == 0) {
		incident_time(d->delivered_ms, at, sizeof(at));
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
incident_show_json(const Rota__ShowIncidentResponse *show, int64_t now)
{
	json_t *j = json_new();
	json_object_begin(j);
	json_key(j, "incident");
	incident_json_info(j, show->incident);
	json_key(j, "timeline");
	json_array_begin(j);
	for (size_t i = 0; i < show->n_events; i++) {
		const Rota__IncidentEvent *e = show->events[i];
		if (e == NULL)
			continue;
		json_object_begin(j);
		incident_json_time(j, "at_ms", e->at_ms);
		json_key(j, "kind");
		json_string(j, e->kind);
		json_key(j, "text");
		json_string(j, e->text);
		json_object_end(j);
	}
	json_array_end(j);
	json_key(j, "deliveries");
	json_array_begin(j);
	for (size_t i = 0; i < show->n_deliveries; i++) {
		const Rota__Delivery *d = show->deliveries[i];
		if (d == NULL)
			continue;
		json_object_begin(j);
		json_key(j, "id");
		json_uint(j, d->id);
		json_key(j, "channel");
		json_string(j, d->channel);
		json_key(j, "kind");
		json_string(j, d->kind);
		json_key(j, "state");
		json_string(j, d->state);
		json_key(j, "attempts");
		json_uint(j, d->attempts);
		incident_json_text(j, "last_error", d->last_error);
		incident_json_time(j, "created_ms", d->created_ms);
		incident_json_time(j, "delivered_ms", d->delivered_ms);
		incident_json_time(j, "next_ms", d->next_ms);
		json_object_end(j);
	}
	json_array_end(j);
	json_key(j, "runs");
	json_array_begin(j);
	for (size_t i = 0; i < show->n_runs; i++) {
		if (show->runs[i] != NULL)
			run_json_summary(j, show->runs[i], now);
	}
	json_array_end(j);
	json_object_end(j);
	json_print(&j);
}

static void
incident_show_head(const Rota__ShowIncidentResponse *show, int64_t now)
{
	const Rota__IncidentInfo *inc = show->incident;
	char t1[FORMAT_BUF_BYTES + 8], in[FORMAT_BUF_BYTES], who[128];
	table_t *head = table_new(2, NULL);
	incident_head_row(head, "incident", "%s", inc->id);
	incident_head_row(head, "title", "%s", incident_text(inc->title));
	incident_head_row(head, "severity", "%s", format_severity(inc->severity));
	incident_head_row(head, "status", "%s", incident_text(inc->status));
	incident_head_row(head, "source", "%s", incident_text(inc->source));
	if (inc->runbook != NULL && inc->runbook[0] != '\0')
		incident_head_row(head, "runbook", "%s", inc->runbook);
	char *hosts = incident_hosts(inc, 0);
	incident_head_row(head, "hosts", "%s", hosts);
	free(hosts);
	if (inc->tier >= 0)
		incident_head_row(head, "escalation", "policy %s, tier %d reached",
		                  incident_text(inc->policy), inc->tier + 1);
	else
		incident_head_row(head, "escalation", "policy %s, nobody notified",
		                  incident_text(inc->policy));

	incident_time(inc->created_ms, t1, sizeof(t1));
	format_ago(inc->created_ms, now, in, sizeof(in));
	incident_actor(show, "opened", who, sizeof(who));
	incident_head_row(head, "opened", "%s%s%s (%s)", t1, who[0] ? " by " : "", who, in);

	/* The ack deadline: still ahead, missed, or met. */
	incident_time(inc->ack_due_ms, t1, sizeof(t1));
	bool overdue = incident_overdue(inc) || incident_has_event(show, "overdue");
	if (inc->ack_due_ms <= 0) {
		incident_head_row(head, "ack due", "-");
	} else if (incident_is(inc, "triggered") && overdue) {
		incident_head_row(head, "ack due", "%s: OVERDUE, not acknowledged", t1);
	} else if (incident_is(inc, "triggered")) {
		format_until(inc->ack_due_ms, now, in, sizeof(in));
		incident_head_row(head, "ack due", "%s (%s)", t1, in);
	} else if (inc->acked_ms > 0 && inc->acked_ms <= inc->ack_due_ms) {
		incident_head_row(head, "ack due", "%s (met)", t1);
	} else if (inc->acked_ms > 0) {
		format_duration(inc->acked_ms - inc->ack_due_ms, in, sizeof(in));
		incident_head_row(head, "ack due", "%s (missed by %s)", t1, in);
	} else {
		incident_head_row(head, "ack due", "%s (resolved without an ack)", t1);
	}

	if (inc->acked_ms > 0) {
		incident_time(inc->acked_ms, t1, sizeof(t1));
		incident_head_row(head, "acknowledged", "%s by %s", t1,
		                  inc->acked_by != NULL && inc->acked_by[0] ? inc->acked_by : "?");
	} else {
		incident_head_row(head, "acknowledged", "-");
	}
	if (inc->resolved_ms > 0) {
		incident_time(inc->resolved_ms, t1, sizeof(t1));
		incident_actor(show, "resolved", who, sizeof(who));
		incident_head_row(head, "resolved", "%s%s%s%s%s", t1, who[0] ? " by " : "", who,
		                  inc->note != NULL && inc->note[0] ? ": " : "",
		                  incident_text(inc->note));
	} else {
		incident_head_row(head, "resolved", "-");
	}
	if (incident_is(inc, "triggered") && inc->next_escalation_ms > 0) {
		incident_time(inc->next_escalation_ms, t1, sizeof(t1));
		format_until(inc->next_escalation_ms, now, in, sizeof(in));
		incident_head_row(head, "next escalation", "%s (%s)", t1, in);
	} else if (incident_is(inc, "triggered")) {
		incident_head_row(head, "next escalation", "none: the last tier was notified");
	} else {
		incident_head_row(head, "next escalation", "none: %s", incident_text(inc->status));
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
	incident_head_row(head, "notifications", "%u pending, %u delivered, %u %s", pending,
	                  delivered, failed, failed > 0 ? "FAILED" : "failed");
	table_print(head, stdout);
	table_destroy(&head);
}

static void
incident_show_text(const Rota__ShowIncidentResponse *show, int64_t now)
{
	incident_show_head(show, now);

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
		table_cell(t, e->text);
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
			char *state = incident_delivery_state(d, now);
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

static int
incident_show(session_t *s, int argc, char **argv)
{
	int json;
	int done = usage_json_only("incident", INCIDENT_SHOW_SYNOPSIS, argc, argv, &json);
	if (done >= 0)
		return done;
	if (optind >= argc || argv[optind][0] == '\0')
		return usage_error("incident show needs an incident id, as in 'rota incident show "
		                   "INC-7' (see 'rota incidents')");
	if (optind + 1 < argc)
		return usage_error("incident show takes one id, got '%s' too; usage: rota "
		                   "incident " INCIDENT_SHOW_SYNOPSIS,
		                   argv[optind + 1]);

	Rota__ShowIncidentRequest show = ROTA__SHOW_INCIDENT_REQUEST__INIT;
	show.id = argv[optind];
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_INCIDENT_SHOW;
	req.incident_show = &show;
	Rota__Envelope *reply;
	int rc = session_call(s, &req, ROTA__RESPONSE__BODY_INCIDENT_SHOW, &reply);
	if (rc != CLI_EXIT_OK)
		return rc;
	const Rota__ShowIncidentResponse *resp = reply->response->incident_show;
	if (incident_of(resp->incident, "incident show") == NULL) {
		client_reply_free(&reply);
		return CLI_EXIT_REFUSED;
	}
	int64_t now = clock_wall_ms();
	if (json)
		incident_show_json(resp, now);
	else
		incident_show_text(resp, now);
	client_reply_free(&reply);
	return CLI_EXIT_OK;
}

int
incident_command(session_t *s, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "open") == 0)
		return incident_open(s, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "show") == 0)
		return incident_show(s, argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		usage_print(stdout);
		return CLI_EXIT_OK;
	}
	if (argc < 2)
		return usage_error(
		    "incident needs a subcommand: rota incident " INCIDENT_OPEN_SYNOPSIS
		    ", or rota incident " INCIDENT_SHOW_SYNOPSIS);
	return usage_error("unknown incident subcommand '%s'; use 'rota incident open RUNBOOK "
	                   "--title TEXT', 'rota incident show ID' or 'rota incidents'",
	                   argv[1]);
}

/* ---- ack, resolve -------------------------------------------------------- */

static int
incident_action(session_t *s, int argc, char **argv, bool resolve)
{
	static const struct option opts[] = {
	    {"note", required_argument, NULL, 'n'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *command = resolve ? "resolve" : "ack";
	const char *note = NULL;
	int json = 0;
	int ch;
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			if (optarg[0] == '\0')
				return usage_error(
				    "%s: --note needs text, as in --note '%s'; leave "
				    "--note out for no note",
				    command, resolve ? "disk cleaned, 40% free" : "looking at it");
			note = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			usage_print(stdout);
			return CLI_EXIT_OK;
		default:
			return usage_getopt_error(command, INCIDENT_ACTION_SYNOPSIS, ch, argv);
		}
	}
	if (optind >= argc || argv[optind][0] == '\0')
		return usage_error("%s needs an incident id, as in 'rota %s INC-7' (see 'rota "
		                   "incidents --open')",
		                   command, command);
	if (optind + 1 < argc)
		return usage_error("%s takes one incident id, got '%s' too; quote a note with "
		                   "spaces: --note 'what was done'",
		                   command, argv[optind + 1]);

	Rota__IncidentActionRequest ar = ROTA__INCIDENT_ACTION_REQUEST__INIT;
	ar.id = argv[optind];
	ar.by = (char *)incident_by();
	if (note != NULL)
		ar.note = (char *)note;
	Rota__Request req = ROTA__REQUEST__INIT;
	if (resolve) {
		req.body_case = ROTA__REQUEST__BODY_RESOLVE;
		req.resolve = &ar;
	} else {
		req.body_case = ROTA__REQUEST__BODY_ACK;
		req.ack = &ar;
	}
	Rota__Envelope *reply;
	int rc = session_call(
	    s, &req, resolve ? ROTA__RESPONSE__BODY_RESOLVE : ROTA__RESPONSE__BODY_ACK, &reply);
	if (rc != CLI_EXIT_OK)
		return rc;
	const Rota__IncidentResponse *resp =
	    resolve ? reply->response->resolve : reply->response->ack;
	const Rota__IncidentInfo *inc = incident_of(resp->incident, command);
	if (inc == NULL) {
		client_reply_free(&reply);
		return CLI_EXIT_REFUSED;
	}
	if (json) {
		json_t *j = json_new();
		json_object_begin(j);
		json_key(j, "incident");
		incident_json_info(j, inc);
		json_object_end(j);
		json_print(&j);
	} else if (resolve) {
		char at[FORMAT_BUF_BYTES + 8];
		incident_time(inc->resolved_ms, at, sizeof(at));
		incident_say("%s %s at %s%s%s", inc->id, incident_text(inc->status), at,
		             inc->note != NULL && inc->note[0] ? ": " : "",
		             incident_text(inc->note));
		if (inc->tier >= 0)
			incident_say("every channel that was notified is told it is resolved");
	} else {
		char at[FORMAT_BUF_BYTES + 8];
		incident_time(inc->acked_ms, at, sizeof(at));
		incident_say("%s %s by %s at %s: escalation stopped", inc->id,
		             incident_text(inc->status), incident_text(inc->acked_by), at);
		incident_say("resolve it with: rota resolve %s --note 'what was done'", inc->id);
	}
	client_reply_free(&reply);
	return CLI_EXIT_OK;
}

int
incident_ack(session_t *s, int argc, char **argv)
{
	return incident_action(s, argc, argv, false);
}

int
incident_resolve(session_t *s, int argc, char **argv)
{
	return incident_action(s, argc, argv, true);
}
