/* cmd_maintenance: maintenance windows and incident stats (see
 * cmd_maintenance.h).
 *
 * Must never: start a window the operator did not bound (--for is
 * required) or explain (--reason is required). */
#include "cmd_maintenance.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ask.h"
#include "cli.h"
#include "clock.h"
#include "cmd_note.h"
#include "duration.h"
#include "format.h"
#include "json.h"
#include "jsondoc.h"
#include "options.h"
#include "strlist.h"
#include "table.h"
#include "usage.h"

#define MAINT_START_SYNOPSIS                                                                       \
	"--target HOST|label=value|all --for DURATION --reason TEXT [--freeze] [--json]"
#define MAINT_END_SYNOPSIS "ID [--json]"
#define MAINT_LIST_SYNOPSIS "[--json]"

/* ---- start and end -------------------------------------------------------- */

typedef struct {
	const char *target;
	const char *reason;
	uint64_t for_ms;
	bool freeze;
	bool has_for;
} cmd_maintenance_start_t;

static int
cmd_maintenance_take(void *ctx, int ch, char *arg)
{
	cmd_maintenance_start_t *a = ctx;
	switch (ch) {
	case 't':
		a->target = arg;
		break;
	case 'r':
		a->reason = arg;
		break;
	case 'z':
		a->freeze = true;
		break;
	case 'f':
		if (duration_parse(arg, &a->for_ms) != 0 || a->for_ms < 60000)
			return usage_error(
			    "maintenance start: --for takes a duration from 1m to 30d,"
			    " like 2h or 90m, not '%s'",
			    arg);
		a->has_for = true;
		break;
	}
	return CLI_EXIT_OK;
}

/* The answer of start and end; *ctx (a bool) is --json. */
static int
cmd_maintenance_done(const Rota__Response *r, void *ctx)
{
	const Rota__MaintenanceWindow *w = r->maintenance->window;
	if (w == NULL) {
		fprintf(stderr, "rota: the coordinator's answer has no window\n");
		return CLI_EXIT_REFUSED;
	}
	if (*(const bool *)ctx) {
		json_t *j = jsondoc_maintenance(w);
		json_print(&j);
		return CLI_EXIT_OK;
	}
	char until[32];
	format_time(w->ends_ms, until, sizeof(until));
	char *hosts = strlist_join_sep(&(strlist_t){w->hosts, w->n_hosts}, ", ", "none known yet");
	if (w->ended_by && w->ended_by[0] && w->recurring)
		printf("ended %s (%s) at %s; its next occurrence begins on schedule\n", w->id,
		       w->target, until);
	else if (w->ended_by && w->ended_by[0])
		printf("ended %s (%s) at %s\n", w->id, w->target, until);
	else
		printf("%s: %s in maintenance until %s%s (hosts: %s)\n", w->id, w->target, until,
		       w->freeze ? ", every schedule frozen" : "", hosts);
	free(hosts);
	return CLI_EXIT_OK;
}

static int
cmd_maintenance_start(session_t *s, int argc, char **argv)
{
	static const struct option own[] = {
	    {"target", required_argument, NULL, 't'},
	    {"for", required_argument, NULL, 'f'},
	    {"reason", required_argument, NULL, 'r'},
	    {"freeze", no_argument, NULL, 'z'},
	    {NULL, 0, NULL, 0},
	};
	cmd_maintenance_start_t a = {0};
	const options_spec_t spec = {
	    .command = "maintenance start",
	    .synopsis = MAINT_START_SYNOPSIS,
	    .shortopts = ":t:h",
	    .own = own,
	    .take = cmd_maintenance_take,
	    .ctx = &a,
	};
	options_t o = {0};
	int done = options_parse(&spec, argc, argv, &o);
	if (done >= 0)
		return done;
	if (optind < argc)
		return usage_error("maintenance start takes no arguments, got '%s'; give the hosts"
		                   " with --target",
		                   argv[optind]);
	if (a.target == NULL || a.target[0] == '\0')
		return usage_error("maintenance start needs --target HOST, label=value or all: rota"
		                   " maintenance start " MAINT_START_SYNOPSIS);
	if (!a.has_for)
		return usage_error("maintenance start needs --for DURATION (a window always ends),"
		                   " like --for 2h");
	if (a.reason == NULL || a.reason[0] == '\0')
		return usage_error("maintenance start needs --reason TEXT, as in --reason 'kernel"
		                   " upgrade'");
	Rota__MaintenanceRequest m = ROTA__MAINTENANCE_REQUEST__INIT;
	m.action = (char *)"start";
	m.target = (char *)a.target;
	m.for_ms = a.for_ms;
	m.reason = (char *)a.reason;
	m.freeze = a.freeze;
	m.by = (char *)cmd_note_author();
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_MAINTENANCE;
	req.maintenance = &m;
	return ask_answer(s, &req, ROTA__RESPONSE__BODY_MAINTENANCE, cmd_maintenance_done, &o.json);
}

static int
cmd_maintenance_end(session_t *s, int argc, char **argv)
{
	bool json = false;
	int done = options_json_only("maintenance end", MAINT_END_SYNOPSIS, argc, argv, &json);
	if (done >= 0)
		return done;
	if (optind + 1 != argc)
		return usage_error("maintenance end takes one window id (MW-3): rota maintenance"
		                   " end " MAINT_END_SYNOPSIS);
	Rota__MaintenanceRequest m = ROTA__MAINTENANCE_REQUEST__INIT;
	m.action = (char *)"end";
	m.id = argv[optind];
	m.by = (char *)cmd_note_author();
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_MAINTENANCE;
	req.maintenance = &m;
	return ask_answer(s, &req, ROTA__RESPONSE__BODY_MAINTENANCE, cmd_maintenance_done, &json);
}

/* ---- list ---------------------------------------------------------------- */

static int
cmd_maintenance_listed(const Rota__Response *r, void *ctx)
{
	const Rota__MaintenanceListResponse *l = r->maintenance_list;
	if (*(const bool *)ctx) {
		json_t *j = jsondoc_maintenance_list(l);
		json_print(&j);
		return CLI_EXIT_OK;
	}
	if (l->n_windows == 0) {
		printf("no maintenance windows; rota maintenance start --target HOST --for 2h"
		       " --reason TEXT starts one\n");
		return CLI_EXIT_OK;
	}
	static const char *const headers[] = {"ID",    "STATE", "TARGET", "FROM",
	                                      "UNTIL", "BY",    "HOSTS",  "REASON"};
	table_t *t = table_new(8, headers);
	for (size_t i = 0; i < l->n_windows; i++) {
		const Rota__MaintenanceWindow *w = l->windows[i];
		if (w == NULL)
			continue;
		char from[32], until[32], state[32];
		format_time(w->starts_ms, from, sizeof(from));
		format_time(w->ends_ms, until, sizeof(until));
		snprintf(state, sizeof(state), "%s%s", w->state, w->freeze ? " (freeze)" : "");
		char *hosts = strlist_join_sep(&(strlist_t){w->hosts, w->n_hosts}, ",", "-");
		table_row(t);
		table_cell(t, w->id);
		table_cell(t, state);
		table_cell(t, w->target);
		table_cell(t, from);
		table_cell(t, until);
		table_cell(t, w->by);
		table_cell(t, hosts);
		table_cell(t, w->reason);
		free(hosts);
	}
	table_print(t, stdout);
	table_destroy(&t);
	return CLI_EXIT_OK;
}

static int
cmd_maintenance_list(session_t *s, int argc, char **argv)
{
	bool json = false;
	int done = options_json_only("maintenance list", MAINT_LIST_SYNOPSIS, argc, argv, &json);
	if (done >= 0)
		return done;
	if (optind < argc)
		return usage_error("maintenance list takes no arguments, got '%s'", argv[optind]);
	Rota__MaintenanceListRequest m = ROTA__MAINTENANCE_LIST_REQUEST__INIT;
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_MAINTENANCE_LIST;
	req.maintenance_list = &m;
	return ask_answer(s, &req, ROTA__RESPONSE__BODY_MAINTENANCE_LIST, cmd_maintenance_listed,
	                  &json);
}

int
cmd_maintenance_command(session_t *s, int argc, char **argv)
{
	const char *verb = argc > 1 ? argv[1] : "";
	if (strcmp(verb, "start") == 0)
		return cmd_maintenance_start(s, argc - 1, argv + 1);
	if (strcmp(verb, "end") == 0)
		return cmd_maintenance_end(s, argc - 1, argv + 1);
	if (strcmp(verb, "list") == 0)
		return cmd_maintenance_list(s, argc - 1, argv + 1);
	return usage_error("maintenance needs start, list or end, not '%s': rota maintenance"
	                   " start " MAINT_START_SYNOPSIS,
	                   verb);
}

/* ---- incidents --stats ------------------------------------------------- */

static void
cmd_maintenance_ms(int64_t ms, char *buf, size_t len)
{
	if (ms < 0)
		snprintf(buf, len, "-");
	else
		format_duration(ms, buf, len);
}

static void
cmd_maintenance_json_sev(json_t *j, const Rota__SeverityStats *x)
{
	json_member_string(j, "severity", format_severity(x->severity));
	json_member_uint(j, "count", x->count);
	json_member_uint(j, "acknowledged", x->acked);
	json_member_uint(j, "resolved", x->resolved);
	json_member_uint(j, "suppressed", x->suppressed);
	json_member_int_or_null(j, "ack_p50_ms", x->ack_p50_ms >= 0, x->ack_p50_ms);
	json_member_int_or_null(j, "ack_p95_ms", x->ack_p95_ms >= 0, x->ack_p95_ms);
	json_member_int_or_null(j, "resolve_p50_ms", x->resolve_p50_ms >= 0, x->resolve_p50_ms);
	json_member_int_or_null(j, "resolve_p95_ms", x->resolve_p95_ms >= 0, x->resolve_p95_ms);
}

static int
cmd_maintenance_stats_shown(const Rota__Response *r, void *ctx)
{
	const Rota__IncidentStatsResponse *st = r->incident_stats;
	if (*(const bool *)ctx) {
		json_t *j = json_new_object();
		json_member_time(j, "since_ms", st->since_ms);
		JSON_MEMBER_OBJECTS(j, "severities", st->severities, st->n_severities,
		                    cmd_maintenance_json_sev);
		json_print_object(&j);
		return CLI_EXIT_OK;
	}
	char since[32];
	format_time(st->since_ms, since, sizeof(since));
	printf("incidents opened since %s\n", st->since_ms > 0 ? since : "the first one kept");
	static const char *const headers[] = {"SEV",         "COUNT",       "ACKED",
	                                      "ACK p50",     "ACK p95",     "RESOLVED",
	                                      "RESOLVE p50", "RESOLVE p95", "SUPPRESSED"};
	table_t *t = table_new(9, headers);
	for (size_t i = 0; i < st->n_severities; i++) {
		const Rota__SeverityStats *x = st->severities[i];
		if (x == NULL)
			continue;
		char n[16], a[16], rs[16], sp[16], a50[32], a95[32], r50[32], r95[32];
		snprintf(n, sizeof(n), "%u", x->count);
		snprintf(a, sizeof(a), "%u", x->acked);
		snprintf(rs, sizeof(rs), "%u", x->resolved);
		snprintf(sp, sizeof(sp), "%u", x->suppressed);
		cmd_maintenance_ms(x->ack_p50_ms, a50, sizeof(a50));
		cmd_maintenance_ms(x->ack_p95_ms, a95, sizeof(a95));
		cmd_maintenance_ms(x->resolve_p50_ms, r50, sizeof(r50));
		cmd_maintenance_ms(x->resolve_p95_ms, r95, sizeof(r95));
		table_row(t);
		table_cell(t, format_severity(x->severity));
		table_cell(t, n);
		table_cell(t, a);
		table_cell(t, a50);
		table_cell(t, a95);
		table_cell(t, rs);
		table_cell(t, r50);
		table_cell(t, r95);
		table_cell(t, sp);
	}
	table_print(t, stdout);
	table_destroy(&t);
	return CLI_EXIT_OK;
}

int
cmd_maintenance_stats(session_t *s, int64_t period_ms, bool json)
{
	Rota__IncidentStatsRequest q = ROTA__INCIDENT_STATS_REQUEST__INIT;
	q.period_ms = period_ms;
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_INCIDENT_STATS;
	req.incident_stats = &q;
	return ask_answer(s, &req, ROTA__RESPONSE__BODY_INCIDENT_STATS, cmd_maintenance_stats_shown,
	                  &json);
}
