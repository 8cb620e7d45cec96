/* cmd_history: the commands that look back: runs (with its filters and
 * pages), history and search.
 *
 * Must never: print a peer's text on a terminal unsanitized, or leave a
 * next page unmentioned. */
#include "cmd_history.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ask.h"
#include "cli.h"
#include "clock.h"
#include "cmd_audit.h"
#include "format.h"
#include "json.h"
#include "jsondoc.h"
#include "options.h"
#include "runview.h"
#include "table.h"
#include "usage.h"
#include "xalloc.h"

#define HISTORY_RUNS_SYNOPSIS                                                                      \
	"[--runbook R] [--status S] [--host H] [--trigger T] [--since T] [--until T]"              \
	" [--before ID] [--limit N] [--json]"
#define HISTORY_SYNOPSIS "RUNBOOK [--since 30d|RFC3339] [--json]"
#define HISTORY_SEARCH_SYNOPSIS                                                                    \
	"TEXT [--runbook R] [--host H] [--since 7d|RFC3339] [--limit N] [--context N] [--json]"

/* What history looks back over when --since is not given. */
#define HISTORY_DEFAULT_SINCE "30d"
/* Search's defaults and bounds (the coordinator's are the same). */
#define HISTORY_SEARCH_DEFAULT_SINCE "7d"
#define HISTORY_SEARCH_DEFAULT_LIMIT 20
#define HISTORY_SEARCH_MAX_LIMIT 200
#define HISTORY_SEARCH_MAX_CONTEXT 10

/* A time option: a duration back from now or an RFC 3339 time. */
static int
cmd_history_time(const char *command, const char *option, const char *arg, int64_t *ms)
{
	if (cmd_audit_parse_since(arg, clock_wall_ms(), ms) != 0 || *ms < 0)
		return usage_error("%s: --%s '%s': give a duration back from now (30m, 12h, 7d)"
		                   " or an RFC 3339 time (2026-11-23T08:00:00Z)",
		                   command, option, arg);
	return CLI_EXIT_OK;
}

/* A value that must not be empty. */
static int
cmd_history_text(const char *command, const char *option, const char *arg, char **out)
{
	if (arg[0] == '\0')
		return usage_error("%s: --%s needs a value; leave --%s out for any", command,
		                   option, option);
	*out = (char *)arg;
	return CLI_EXIT_OK;
}

/* ---- runs ------------------------------------------------------------------ */

static int
cmd_history_runs_take(void *ctx, int ch, char *arg)
{
	Rota__RunsFilter *f = ctx;
	switch (ch) {
	case 'r':
		return cmd_history_text("runs", "runbook", arg, &f->runbook);
	case 'H':
		return cmd_history_text("runs", "host", arg, &f->host);
	case 'T':
		return cmd_history_text("runs", "trigger", arg, &f->trigger);
	case 'b':
		return cmd_history_text("runs", "before", arg, &f->before);
	case 's':
		return cmd_history_time("runs", "since", arg, &f->since_ms);
	case 'u':
		return cmd_history_time("runs", "until", arg, &f->until_ms);
	case 'S':
		for (int st = ROTA__RUN_STATUS__RUN_PENDING; st <= ROTA__RUN_STATUS__RUN_SKIPPED;
		     st++)
			if (strcmp(arg, format_run_status(st)) == 0) {
				f->status = arg;
				return CLI_EXIT_OK;
			}
		return usage_error("runs: --status '%s': give pending, running, succeeded, failed,"
		                   " cancelled or skipped",
		                   arg);
	}
	return CLI_EXIT_USAGE;
}

static void
cmd_history_runs_json(const Rota__Response *r)
{
	const Rota__ListRunsResponse *resp = r->runs;
	json_t *j = jsondoc_runs(resp, clock_wall_ms());
	json_print(&j);
}

static void
cmd_history_runs_table(const Rota__Response *resp)
{
	int64_t now = clock_wall_ms();
	/* REASON is last: it is long when set and usually empty, and an
	 * empty last cell costs no width. */
	static const char *const headers[] = {"ID",          "RUNBOOK", "TRIGGER",  "STATUS",
	                                      "OK/FAIL/ALL", "STARTED", "DURATION", "REASON"};
	table_t *t = table_new(8, headers);
	for (size_t i = 0; i < resp->runs->n_runs; i++) {
		const Rota__RunSummary *r = resp->runs->runs[i];
		if (r == NULL)
			continue;
		char started[FORMAT_BUF_BYTES], span[FORMAT_BUF_BYTES];
		format_time(r->started_ms, started, sizeof(started));
		/* A run that has not ended is timed up to now, by our clock. */
		format_span(r->started_ms, format_run_is_terminal(r->status) ? r->ended_ms : 0, now,
		            span, sizeof(span));
		table_row(t);
		table_cell(t, r->id);
		table_cell(t, r->runbook);
		table_cell(t, format_trigger(r->trigger));
		table_cell(t, format_run_status(r->status));
		table_cellf(t, "%u/%u/%u", r->hosts_ok, r->hosts_failed, r->hosts_total);
		table_cell(t, started);
		table_cell(t, span);
		table_cell(t, r->reason);
	}
	table_print(t, stdout);
	table_destroy(&t);
	/* On stderr: the table stays the list, for scripts that read it. */
	if (resp->runs->next_before != NULL && resp->runs->next_before[0] != '\0') {
		char *id = xstrdup(resp->runs->next_before);
		format_printable(id);
		fprintf(stderr, "more runs: add --before %s for the next page\n", id);
		free(id);
	}
}

int
cmd_history_runs(session_t *s, int argc, char **argv)
{
	static const struct option own[] = {
	    {"runbook", required_argument, NULL, 'r'}, {"status", required_argument, NULL, 'S'},
	    {"host", required_argument, NULL, 'H'},    {"trigger", required_argument, NULL, 'T'},
	    {"since", required_argument, NULL, 's'},   {"until", required_argument, NULL, 'u'},
	    {"before", required_argument, NULL, 'b'},  {NULL, 0, NULL, 0},
	};
	Rota__RunsFilter filter = ROTA__RUNS_FILTER__INIT;
	const options_spec_t spec = {
	    .command = "runs",
	    .synopsis = HISTORY_RUNS_SYNOPSIS,
	    .shortopts = ":n:h",
	    .limit_max = CLI_RUNS_MAX_LIMIT,
	    .own = own,
	    .take = cmd_history_runs_take,
	    .ctx = &filter,
	};
	options_t o = {.limit = CLI_RUNS_DEFAULT_LIMIT};
	int done = options_parse(&spec, argc, argv, &o);
	if (done >= 0)
		return done;
	if (optind < argc)
		return usage_error(
		    "runs takes no arguments, got '%s'; to look at one run, use 'rota "
		    "show %s'",
		    argv[optind], argv[optind]);
	if (filter.since_ms > 0 && filter.until_ms > 0 && filter.until_ms <= filter.since_ms)
		return usage_error("runs: --until is not after --since: no run could match");

	Rota__ListRunsRequest list = ROTA__LIST_RUNS_REQUEST__INIT;
	list.limit = o.limit;
	list.filter = &filter;
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_RUNS;
	req.runs = &list;
	return ask_print(s, &req, ROTA__RESPONSE__BODY_RUNS,
	                 o.json ? cmd_history_runs_json : cmd_history_runs_table);
}

/* ---- history --------------------------------------------------------------- */

static void
cmd_history_json_count(json_t *j, const Rota__HistoryCount *c)
{
	json_member_string(j, "name", c->name);
	json_member_uint(j, "runs", c->runs);
}

static void
cmd_history_json(const Rota__Response *r)
{
	const Rota__HistoryResponse *h = r->history;
	json_t *j = json_new_object();
	json_member_string(j, "runbook", h->runbook);
	json_member_time(j, "since_ms", h->since_ms);
	json_member_uint(j, "runs", h->runs);
	json_member_uint(j, "succeeded", h->succeeded);
	json_member_uint(j, "failed", h->failed);
	json_member_uint(j, "cancelled", h->cancelled);
	json_member_uint(j, "skipped", h->skipped);
	json_member_uint(j, "active", h->active);
	/* Of the runs that came to a verdict: succeeded / (succeeded +
	 * failed), in per cent with one decimal; null when none did. */
	uint32_t verdicts = h->succeeded + h->failed;
	json_key(j, "success_rate");
	if (verdicts > 0) {
		json_fixed1(j, 100.0 * h->succeeded / verdicts);
	} else {
		json_null(j);
	}
	json_member_uint(j, "timed_runs", h->timed);
	json_member_int_or_null(j, "p50_ms", h->timed > 0, h->p50_ms);
	json_member_int_or_null(j, "p95_ms", h->timed > 0, h->p95_ms);
	JSON_MEMBER_OBJECTS(j, "failed_hosts", h->failed_hosts, h->n_failed_hosts,
	                    cmd_history_json_count);
	JSON_MEMBER_OBJECTS(j, "failed_steps", h->failed_steps, h->n_failed_steps,
	                    cmd_history_json_count);
	json_key(j, "last_failure");
	if (h->last_failure_run != NULL && h->last_failure_run[0] != '\0') {
		json_object_begin(j);
		json_member_string(j, "run_id", h->last_failure_run);
		json_member_time(j, "at_ms", h->last_failure_ms);
		json_member_string(j, "reason", h->last_failure_reason);
		json_object_end(j);
	} else {
		json_null(j);
	}
	json_print_object(&j);
}

/* The counts of failed_hosts or failed_steps as an indented table. */
static void
cmd_history_print_counts(const char *title, const char *column, Rota__HistoryCount **c, size_t n)
{
	printf("%s:%s\n", title, n == 0 ? " none" : "");
	if (n == 0)
		return;
	const char *headers[] = {column, "FAILED RUNS"};
	table_t *t = table_new(2, headers);
	table_set_indent(t, 2);
	for (size_t i = 0; i < n; i++) {
		if (c[i] == NULL)
			continue;
		table_row(t);
		table_cell(t, c[i]->name);
		table_cellf(t, "%u", c[i]->runs);
	}
	table_print(t, stdout);
	table_destroy(&t);
}

static void
cmd_history_print(const Rota__Response *r)
{
	const Rota__HistoryResponse *h = r->history;
	char *name = xstrdup(h->runbook);
	format_printable(name);
	char since[FORMAT_BUF_BYTES];
	format_time(h->since_ms, since, sizeof(since));
	printf("runbook %s, runs since %s\n", name, since);
	free(name);
	printf("runs: %u (%u succeeded, %u failed, %u cancelled, %u skipped, %u not over)\n",
	       h->runs, h->succeeded, h->failed, h->cancelled, h->skipped, h->active);
	uint32_t verdicts = h->succeeded + h->failed;
	if (verdicts > 0)
		printf("success rate: %.1f%% (%u of %u runs that succeeded or failed)\n",
		       100.0 * h->succeeded / verdicts, h->succeeded, verdicts);
	else
		printf("success rate: - (no run succeeded or failed)\n");
	if (h->timed > 0) {
		char p50[FORMAT_BUF_BYTES], p95[FORMAT_BUF_BYTES];
		format_duration(h->p50_ms, p50, sizeof(p50));
		format_duration(h->p95_ms, p95, sizeof(p95));
		printf("duration: p50 %s, p95 %s (of %u finished runs)\n", p50, p95, h->timed);
	} else {
		printf("duration: - (no finished run)\n");
	}
	cmd_history_print_counts("failures by host", "HOST", h->failed_hosts, h->n_failed_hosts);
	cmd_history_print_counts("failures by step", "STEP", h->failed_steps, h->n_failed_steps);
	if (h->last_failure_run != NULL && h->last_failure_run[0] != '\0') {
		char at[FORMAT_BUF_BYTES];
		format_time(h->last_failure_ms, at, sizeof(at));
		char *id = xstrdup(h->last_failure_run);
		char *why = xstrdup(h->last_failure_reason != NULL ? h->last_failure_reason : "");
		format_printable(id);
		format_printable(why);
		printf("last failure: run %s at %s: %s\n", id, at,
		       why[0] ? why : "(no reason kept)");
		free(id);
		free(why);
	} else {
		printf("last failure: none\n");
	}
}

static int
cmd_history_take_since(void *ctx, int ch, char *arg)
{
	(void)ch;
	return cmd_history_time("history", "since", arg, ctx);
}

int
cmd_history_show(session_t *s, int argc, char **argv)
{
	static const struct option own[] = {
	    {"since", required_argument, NULL, 's'},
	    {NULL, 0, NULL, 0},
	};
	int64_t since = 0;
	if (cmd_audit_parse_since(HISTORY_DEFAULT_SINCE, clock_wall_ms(), &since) != 0)
		since = 0;
	const options_spec_t spec = {
	    .command = "history",
	    .synopsis = HISTORY_SYNOPSIS,
	    .shortopts = ":h",
	    .own = own,
	    .take = cmd_history_take_since,
	    .ctx = &since,
	};
	options_t o = {0};
	int done = options_parse(&spec, argc, argv, &o);
	if (done >= 0)
		return done;
	if (optind >= argc || argv[optind][0] == '\0')
		return usage_error("history needs a runbook: rota history " HISTORY_SYNOPSIS);
	if (optind + 1 < argc)
		return usage_error("history takes one runbook, got '%s' too", argv[optind + 1]);
	Rota__HistoryRequest body = ROTA__HISTORY_REQUEST__INIT;
	body.runbook = argv[optind];
	body.since_ms = since;
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_HISTORY;
	req.history = &body;
	return ask_print(s, &req, ROTA__RESPONSE__BODY_HISTORY,
	                 o.json ? cmd_history_json : cmd_history_print);
}

/* ---- search ---------------------------------------------------------------- */

static int
cmd_history_search_take(void *ctx, int ch, char *arg)
{
	Rota__SearchRequest *q = ctx;
	switch (ch) {
	case 'r':
		return cmd_history_text("search", "runbook", arg, &q->runbook);
	case 'H':
		return cmd_history_text("search", "host", arg, &q->host);
	case 's':
		return cmd_history_time("search", "since", arg, &q->since_ms);
	case 'C':
		if (usage_parse_count(arg, HISTORY_SEARCH_MAX_CONTEXT, &q->context) != 0)
			return usage_error("search: --context needs a whole number from 1 to %u,"
			                   " got '%s'",
			                   HISTORY_SEARCH_MAX_CONTEXT, arg);
		return CLI_EXIT_OK;
	}
	return CLI_EXIT_USAGE;
}

static void
cmd_history_json_hit(json_t *j, const Rota__SearchHit *h)
{
	json_member_string(j, "run_id", h->run_id);
	json_member_string(j, "runbook", h->runbook);
	json_member_string(j, "host", h->host);
	json_member_string(j, "step_id", h->step_id);
	json_member_uint(j, "attempt", h->attempt);
	json_member_time(j, "at_ms", h->at_ms);
	json_member_string(j, "stream",
	                   h->stream == ROTA__STREAM__STREAM_STDERR   ? "stderr"
	                   : h->stream == ROTA__STREAM__STREAM_SYSTEM ? "system"
	                                                              : "stdout");
	json_key(j, "before");
	json_array_begin(j);
	for (size_t i = 0; i < h->n_before; i++)
		json_string(j, h->before[i]);
	json_array_end(j);
	json_member_string(j, "line", h->line);
	json_key(j, "after");
	json_array_begin(j);
	for (size_t i = 0; i < h->n_after; i++)
		json_string(j, h->after[i]);
	json_array_end(j);
}

static void
cmd_history_search_json(const Rota__Response *r)
{
	json_t *j = json_new_object();
	JSON_MEMBER_OBJECTS(j, "hits", r->search->hits, r->search->n_hits, cmd_history_json_hit);
	json_member_bool(j, "more", r->search->more);
	json_print_object(&j);
}

/* One line of a hit, indented, its mark ("> " for the match) first. */
static void
cmd_history_search_line(const char *mark, const char *line)
{
	char *l = xstrdup(line != NULL ? line : "");
	format_printable(l);
	printf("  %s%s\n", mark, l);
	free(l);
}

static void
cmd_history_search_print(const Rota__Response *r)
{
	const Rota__SearchResponse *resp = r->search;
	for (size_t i = 0; i < resp->n_hits; i++) {
		const Rota__SearchHit *h = resp->hits[i];
		if (h == NULL)
			continue;
		char at[FORMAT_BUF_BYTES], step[256];
		format_time(h->at_ms, at, sizeof(at));
		format_step_name(h->step_id, h->attempt, h->attempt > 1, step, sizeof(step));
		char *head =
		    xasprintf("run %s  host %s  step %s  %s%s", h->run_id, h->host, step, at,
		              h->stream == ROTA__STREAM__STREAM_STDERR ? "  (stderr)" : "");
		format_printable(head);
		printf("%s%s\n", i > 0 ? "\n" : "", head);
		free(head);
		for (size_t k = 0; k < h->n_before; k++)
			cmd_history_search_line("  ", h->before[k]);
		cmd_history_search_line("> ", h->line);
		for (size_t k = 0; k < h->n_after; k++)
			cmd_history_search_line("  ", h->after[k]);
	}
	if (resp->n_hits == 0)
		fprintf(stderr, "no stored output matches\n");
	else if (resp->more)
		fprintf(stderr, "more hits than shown: narrow with --runbook, --host or --since,"
		                " or raise --limit\n");
}

int
cmd_history_search(session_t *s, int argc, char **argv)
{
	static const struct option own[] = {
	    {"runbook", required_argument, NULL, 'r'},
	    {"host", required_argument, NULL, 'H'},
	    {"since", required_argument, NULL, 's'},
	    {"context", required_argument, NULL, 'C'},
	    {NULL, 0, NULL, 0},
	};
	Rota__SearchRequest body = ROTA__SEARCH_REQUEST__INIT;
	if (cmd_audit_parse_since(HISTORY_SEARCH_DEFAULT_SINCE, clock_wall_ms(), &body.since_ms) !=
	    0)
		body.since_ms = 0;
	const options_spec_t spec = {
	    .command = "search",
	    .synopsis = HISTORY_SEARCH_SYNOPSIS,
	    .shortopts = ":n:h",
	    .limit_max = HISTORY_SEARCH_MAX_LIMIT,
	    .own = own,
	    .take = cmd_history_search_take,
	    .ctx = &body,
	};
	options_t o = {.limit = HISTORY_SEARCH_DEFAULT_LIMIT};
	int done = options_parse(&spec, argc, argv, &o);
	if (done >= 0)
		return done;
	if (optind >= argc || argv[optind][0] == '\0')
		return usage_error(
		    "search needs the text to find: rota search " HISTORY_SEARCH_SYNOPSIS);
	if (optind + 1 < argc)
		return usage_error("search takes one TEXT, got '%s' too; quote a phrase, as in"
		                   " rota search 'disk full'",
		                   argv[optind + 1]);
	body.text = argv[optind];
	body.limit = o.limit;
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_SEARCH;
	req.search = &body;
	return ask_print(s, &req, ROTA__RESPONSE__BODY_SEARCH,
	                 o.json ? cmd_history_search_json : cmd_history_search_print);
}
