/* cmd_incident: the incident commands (see cmd_incident.h); how an
 * incident looks is incidentview.c. */
#include "cmd_incident.h"
#include "cmd_review.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ask.h"
#include "cli.h"
#include "clock.h"
#include "cmd_maintenance.h"
#include "cmd_note.h"
#include "duration.h"
#include "format.h"
#include "incidentview.h"
#include "jsondoc.h"
#include "json.h"
#include "launchargs.h"
#include "options.h"
#include "table.h"
#include "usage.h"
#include "wire.h"
#include "xalloc.h"

#define INCIDENT_OPEN_SYNOPSIS                                                                     \
	"open RUNBOOK --title TEXT [--severity P1..P4] [--target ID|label=value]... "              \
	"[-p key=value]... [--json]"
#define INCIDENT_SHOW_SYNOPSIS "show ID [--json]"
#define INCIDENT_LIST_SYNOPSIS "[--open|--all] [--limit N] [--stats [--since 90d]] [--json]"
#define INCIDENT_ACTION_SYNOPSIS "ID [--note TEXT] [--json]"
#define INCIDENT_RESOLVE_SYNOPSIS "ID [--note TEXT] [--cancel-runs] [--json]"

/* Who the coordinator records as acting: the login name (cmd_note.h). */
static const char *
cmd_incident_by(void)
{
	return cmd_note_author();
}

/* ---- incident open ----------------------------------------------------- */

static void
cmd_incident_print_opened(const Rota__IncidentResponse *resp, const Rota__IncidentInfo *inc)
{
	char due[FORMAT_BUF_BYTES + 8], in[FORMAT_BUF_BYTES];
	int64_t now = clock_wall_ms();
	incidentview_say("%s opened: %s %s: %s", inc->id, format_severity(inc->severity),
	                 incidentview_text(inc->status), incidentview_text(inc->title));
	char *hosts = xstrdup("");
	for (size_t i = 0; i < resp->n_hosts; i++) {
		char *next = xasprintf("%s%s%s", hosts, i > 0 ? ", " : "", resp->hosts[i]);
		free(hosts);
		hosts = next;
	}
	incidentview_say("run %s of %s started on %zu host%s: %s", resp->run_id,
	                 incidentview_text(inc->runbook), resp->n_hosts,
	                 resp->n_hosts == 1 ? "" : "s", hosts);
	free(hosts);
	incidentview_time(inc->ack_due_ms, due, sizeof(due));
	format_until(inc->ack_due_ms, now, in, sizeof(in));
	if (inc->tier >= 0)
		incidentview_say("escalation policy %s: tier %d notified; ack due %s (%s)",
		                 inc->policy, inc->tier + 1, due, in);
	else
		incidentview_say(
		    "escalation policy %s: nobody notified (see the timeline); ack due %s "
		    "(%s)",
		    inc->policy, due, in);
	printf("follow it with:\n");
	incidentview_say("  rota incident show %s", inc->id);
	incidentview_say("  rota logs %s -f", resp->run_id);
}

/* incident open's answer, a JSON document when *ctx (a bool). */
static int
cmd_incident_opened(const Rota__Response *r, void *ctx)
{
	const Rota__IncidentResponse *resp = r->incident_open;
	const Rota__IncidentInfo *inc = incidentview_of(resp->incident, "incident open");
	if (inc == NULL || resp->run_id == NULL || resp->run_id[0] == '\0') {
		if (inc != NULL)
			fprintf(stderr,
			        "rota: the coordinator opened %s but named no run; are rota "
			        "and rota-coordinator the same version?\n",
			        inc->id);
		return CLI_EXIT_REFUSED;
	}
	if (*(const bool *)ctx) {
		json_t *j = json_new_object();
		json_key(j, "incident");
		jsondoc_incident_info(j, inc);
		json_member_string(j, "run_id", resp->run_id);
		jsondoc_strings(j, "hosts", resp->hosts, resp->n_hosts);
		json_print_object(&j);
	} else {
		cmd_incident_print_opened(resp, inc);
	}
	return CLI_EXIT_OK;
}

/* Where incident open's own options go. */
typedef struct {
	launchargs_t *la;
	const char **title;
	unsigned *severity;
} cmd_incident_open_args_t;

static int
cmd_incident_open_take(void *ctx, int ch, char *arg)
{
	cmd_incident_open_args_t *a = ctx;
	switch (ch) {
	case 'T':
		if (arg[0] == '\0')
			return usage_error("incident open: --title needs text, as in --title "
			                   "'disk full on db-1'");
		*a->title = arg;
		return CLI_EXIT_OK;
	case 's':
		if (format_parse_severity(arg, a->severity) != 0)
			return usage_error("incident open: --severity must be P1, P2, P3 or P4 "
			                   "(or 1 to 4), got '%s'; P1 is the most urgent",
			                   arg);
		return CLI_EXIT_OK;
	default: /* 't', 'p', 'P' */
		return launchargs_take(a->la, ch, arg, "incident open");
	}
}

static int
cmd_incident_open(session_t *s, int argc, char **argv)
{
	static const struct option own[] = {
	    {"title", required_argument, NULL, 'T'},
	    {"severity", required_argument, NULL, 's'},
	    {"target", required_argument, NULL, 't'},
	    {"param", required_argument, NULL, 'p'},
	    {"param-file", required_argument, NULL, 'P'},
	    {NULL, 0, NULL, 0},
	};
	launchargs_t la; /* owned */
	launchargs_init(&la, argc);
	const char *title = NULL;
	unsigned severity = 0;
	int rc = CLI_EXIT_OK;

	cmd_incident_open_args_t args = {&la, &title, &severity};
	const options_spec_t spec = {
	    .command = "incident",
	    .synopsis = INCIDENT_OPEN_SYNOPSIS,
	    .shortopts = ":t:p:h",
	    .own = own,
	    .take = cmd_incident_open_take,
	    .ctx = &args,
	};
	options_t o = {0};
	int done = options_parse(&spec, argc, argv, &o);
	if (done >= 0) {
		rc = done;
		goto out;
	}
	bool json = o.json;
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
	open.by = (char *)cmd_incident_by();
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_INCIDENT_OPEN;
	req.incident_open = &open;
	rc = ask_answer(s, &req, ROTA__RESPONSE__BODY_INCIDENT_OPEN, cmd_incident_opened, &json);

out:
	launchargs_free(&la);
	return rc;
}

/* ---- incidents ----------------------------------------------------------- */

static int
cmd_incident_list_json(const Rota__Response *r, void *ctx)
{
	(void)ctx;
	json_t *j = jsondoc_incidents(r->incidents);
	json_print(&j);
	return CLI_EXIT_OK;
}

/* The incidents as a table; *ctx (an int) is --open, for the words when
 * there are none. */
static int
cmd_incident_list_table(const Rota__Response *r, void *ctx)
{
	const Rota__ListIncidentsResponse *resp = r->incidents;
	int64_t now = clock_wall_ms();
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
		incidentview_escalation(inc, now, climb, sizeof(climb));
		char *hosts = incidentview_hosts(inc, CLI_INCIDENTS_LIST_HOSTS);
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
	else if (*(const int *)ctx)
		printf("no open incidents; 'rota incidents' lists resolved ones too\n");
	else
		printf("no incidents yet; 'rota incident open RUNBOOK --title TEXT' opens one\n");
	table_destroy(&t);
	return CLI_EXIT_OK;
}

/* The options of `incidents` besides the shared ones. */
typedef struct {
	int open_only; /* --open; --all (the default) clears it */
	int stats;     /* --stats */
	int64_t since_ms;
	bool has_since;
} cmd_incident_list_args_t;

/* --since for --stats: "90d", "2w", "12h", or any duration. */
static int
cmd_incident_since(const char *arg, int64_t *ms)
{
	char *end = NULL;
	long long n = strtoll(arg, &end, 10);
	if (end != arg && n > 0 && n <= 3650 && end != NULL && end[1] == '\0' &&
	    (end[0] == 'd' || end[0] == 'w')) {
		*ms = n * (end[0] == 'w' ? 7 : 1) * 86400000LL;
		return 0;
	}
	uint64_t d = 0;
	if (duration_parse(arg, &d) != 0)
		return -1;
	*ms = (int64_t)d;
	return 0;
}

static int
cmd_incident_list_take(void *ctx, int ch, char *arg)
{
	cmd_incident_list_args_t *a = ctx;
	if (ch == 'o')
		a->open_only = 1;
	else if (ch == 'a')
		a->open_only = 0;
	else if (ch == 's')
		a->stats = 1;
	else if (ch == 'S') {
		if (cmd_incident_since(arg, &a->since_ms) != 0)
			return usage_error(
			    "incidents: --since takes a period back from now, like 90d,"
			    " 2w or 12h, not '%s'",
			    arg);
		a->has_since = true;
	}
	return CLI_EXIT_OK;
}

int
cmd_incident_list(session_t *s, int argc, char **argv)
{
	static const struct option own[] = {
	    {"open", no_argument, NULL, 'o'},
	    {"all", no_argument, NULL, 'a'},
	    {"stats", no_argument, NULL, 's'},
	    {"since", required_argument, NULL, 'S'},
	    {NULL, 0, NULL, 0},
	};
	cmd_incident_list_args_t a = {0};
	const options_spec_t spec = {
	    .command = "incidents",
	    .synopsis = INCIDENT_LIST_SYNOPSIS,
	    .shortopts = ":n:h",
	    .limit_max = CLI_INCIDENTS_MAX_LIMIT,
	    .own = own,
	    .take = cmd_incident_list_take,
	    .ctx = &a,
	};
	options_t o = {.limit = CLI_INCIDENTS_DEFAULT_LIMIT};
	int done = options_parse(&spec, argc, argv, &o);
	if (done >= 0)
		return done;
	if (optind < argc)
		return usage_error("incidents takes no arguments, got '%s'; to look at one, use "
		                   "'rota incident show %s'",
		                   argv[optind], argv[optind]);
	if (a.has_since && !a.stats)
		return usage_error("incidents: --since goes with --stats (rota incidents --stats"
		                   " --since 90d)");
	if (a.stats)
		return cmd_maintenance_stats(
		    s, a.has_since ? a.since_ms : CLI_INCIDENTS_STATS_SINCE_MS, o.json);
	int open_only = a.open_only;

	Rota__ListIncidentsRequest list = ROTA__LIST_INCIDENTS_REQUEST__INIT;
	list.open_only = open_only;
	list.limit = o.limit;
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_INCIDENTS;
	req.incidents = &list;
	return ask_answer(s, &req, ROTA__RESPONSE__BODY_INCIDENTS,
	                  o.json ? cmd_incident_list_json : cmd_incident_list_table, &open_only);
}

/* ---- incident show ----------------------------------------------------- */

/* incident show's answer, a JSON document when *ctx (a bool). */
static int
cmd_incident_shown(const Rota__Response *r, void *ctx)
{
	const Rota__ShowIncidentResponse *resp = r->incident_show;
	if (incidentview_of(resp->incident, "incident show") == NULL)
		return CLI_EXIT_REFUSED;
	int64_t now = clock_wall_ms();
	if (*(const bool *)ctx)
		incidentview_show_json(resp, now);
	else
		incidentview_show_text(resp, now);
	return CLI_EXIT_OK;
}

static int
cmd_incident_show(session_t *s, int argc, char **argv)
{
	bool json;
	int done = options_json_only("incident", INCIDENT_SHOW_SYNOPSIS, argc, argv, &json);
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
	return ask_answer(s, &req, ROTA__RESPONSE__BODY_INCIDENT_SHOW, cmd_incident_shown, &json);
}

int
cmd_incident_command(session_t *s, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "open") == 0)
		return cmd_incident_open(s, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "show") == 0)
		return cmd_incident_show(s, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "review") == 0)
		return cmd_review_write(s, argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		usage_print(stdout);
		return CLI_EXIT_OK;
	}
	if (argc < 2)
		return usage_error(
		    "incident needs a subcommand: rota incident " INCIDENT_OPEN_SYNOPSIS
		    ", or rota incident " INCIDENT_SHOW_SYNOPSIS);
	return usage_error(
	    "unknown incident subcommand '%s'; use 'rota incident open RUNBOOK "
	    "--title TEXT', 'rota incident show ID', 'rota incident review ID' or 'rota "
	    "incidents'",
	    argv[1]);
}

/* ---- ack, resolve -------------------------------------------------------- */

/* What ack or resolve asked, for its answer. */
typedef struct {
	const char *command;
	bool resolve;
	bool json;
} cmd_incident_action_t;

static int
cmd_incident_acted(const Rota__Response *r, void *ctx)
{
	const cmd_incident_action_t *act = ctx;
	const Rota__IncidentResponse *resp = act->resolve ? r->resolve : r->ack;
	const Rota__IncidentInfo *inc = incidentview_of(resp->incident, act->command);
	if (inc == NULL)
		return CLI_EXIT_REFUSED;
	if (act->json) {
		json_t *j = jsondoc_incident_action(resp, act->resolve);
		json_print(&j);
	} else if (act->resolve) {
		char at[FORMAT_BUF_BYTES + 8];
		incidentview_time(inc->resolved_ms, at, sizeof(at));
		incidentview_say("%s %s at %s%s%s", inc->id, incidentview_text(inc->status), at,
		                 inc->note != NULL && inc->note[0] ? ": " : "",
		                 incidentview_text(inc->note));
		for (size_t i = 0; i < resp->n_cancelled_runs; i++)
			incidentview_say("cancelled run %s", resp->cancelled_runs[i]);
		if (inc->tier >= 0)
			incidentview_say("every channel that was notified is told it is resolved");
		/* The record is not closed with the incident: what was done
		 * and why it happened may be written now or later. */
		incidentview_say("write what was done or found: rota note %s 'TEXT' [--kind "
		                 "action|finding|cause|prevention]",
		                 inc->id);
	} else {
		char at[FORMAT_BUF_BYTES + 8];
		incidentview_time(inc->acked_ms, at, sizeof(at));
		incidentview_say("%s %s by %s at %s: escalation stopped", inc->id,
		                 incidentview_text(inc->status), incidentview_text(inc->acked_by),
		                 at);
		incidentview_say("write what you do: rota note %s 'TEXT'; resolve it with: rota"
		                 " resolve %s --note 'what was done'",
		                 inc->id, inc->id);
	}
	return CLI_EXIT_OK;
}

/* resolve's own option. */
static int
cmd_incident_take(void *ctx, int ch, char *arg)
{
	(void)arg;
	if (ch != 'C')
		return CLI_EXIT_USAGE;
	*(bool *)ctx = true;
	return CLI_EXIT_OK;
}

static int
cmd_incident_action(session_t *s, int argc, char **argv, bool resolve)
{
	const char *command = resolve ? "resolve" : "ack";
	static const struct option resolve_own[] = {
	    {"cancel-runs", no_argument, NULL, 'C'},
	    {NULL, 0, NULL, 0},
	};
	bool cancel_runs = false;
	const options_spec_t spec = {
	    .command = command,
	    .synopsis = resolve ? INCIDENT_RESOLVE_SYNOPSIS : INCIDENT_ACTION_SYNOPSIS,
	    .shortopts = ":h",
	    .note_example = resolve ? "disk cleaned, 40% free" : "looking at it",
	    .own = resolve ? resolve_own : NULL,
	    .take = resolve ? cmd_incident_take : NULL,
	    .ctx = &cancel_runs,
	};
	options_t o = {0};
	int done = options_parse(&spec, argc, argv, &o);
	if (done >= 0)
		return done;
	const char *note = o.note;
	bool json = o.json;
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
	ar.by = (char *)cmd_incident_by();
	if (note != NULL)
		ar.note = (char *)note;
	ar.cancel_runs = cancel_runs;
	Rota__Request req = ROTA__REQUEST__INIT;
	if (resolve) {
		req.body_case = ROTA__REQUEST__BODY_RESOLVE;
		req.resolve = &ar;
	} else {
		req.body_case = ROTA__REQUEST__BODY_ACK;
		req.ack = &ar;
	}
	cmd_incident_action_t act = {command, resolve, json};
	return ask_answer(s, &req,
	                  resolve ? ROTA__RESPONSE__BODY_RESOLVE : ROTA__RESPONSE__BODY_ACK,
	                  cmd_incident_acted, &act);
}

int
cmd_incident_ack(session_t *s, int argc, char **argv)
{
	return cmd_incident_action(s, argc, argv, false);
}

int
cmd_incident_resolve(session_t *s, int argc, char **argv)
{
	return cmd_incident_action(s, argc, argv, true);
}
