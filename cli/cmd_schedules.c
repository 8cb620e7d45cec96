/* cmd_schedules: the schedule table, and the next fire times of one schedule,
 * asked of the coordinator or computed from a file.
 *
 * Must never: compute from a file a time the coordinator would not fire:
 * both use cron_parse and cron_next from common/, on the runbook the same
 * parser made. (Jitter is left out of both: it moves a run, not its slot.) */
#include "cmd_schedules.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ask.h"
#include "cli.h"
#include "clock.h"
#include "cron.h"
#include "format.h"
#include "json.h"
#include "options.h"
#include "runbook.h"
#include "table.h"
#include "usage.h"
#include "xalloc.h"

#define SCHEDULES_SYNOPSIS "[[--next N] RUNBOOK|FILE] [--json]"

/* ---- shared -------------------------------------------------------------- */

static const char *
cmd_schedules_zone(const char *tz)
{
	return tz != NULL && tz[0] != '\0' ? tz : "UTC";
}

/* A runbook name holds no '/' and no .yaml ending; anything else is a
 * file to read here. */
static bool
cmd_schedules_names_file(const char *arg)
{
	return strchr(arg, '/') != NULL || format_ends_with(arg, ".yaml") ||
	       format_ends_with(arg, ".yml");
}

/* The fire times of one schedule: lines "LOCAL  (UTC)", then why the slot
 * will not run when skipped[i] is not empty; or one JSON document.
 * times[0..n) in ms since the epoch; skipped may be NULL (none). */
static void
cmd_schedules_print_times(const char *runbook, const char *cron, const char *tz,
                          const int64_t *times, char *const *skipped, size_t n, bool json)
{
	tz = cmd_schedules_zone(tz);
	if (json) {
		json_t *j = json_new_object();
		json_member_string(j, "runbook", runbook);
		json_member_string(j, "cron", cron);
		json_member_string(j, "timezone", tz);
		json_key(j, "upcoming");
		json_array_begin(j);
		for (size_t i = 0; i < n; i++) {
			char local[FORMAT_BUF_BYTES];
			cron_format(times[i], tz, local, sizeof(local));
			json_object_begin(j);
			json_member_int(j, "at_ms", times[i]);
			json_member_string(j, "local", local);
			if (skipped != NULL && skipped[i] != NULL && skipped[i][0] != '\0')
				json_member_string(j, "skipped", skipped[i]);
			json_object_end(j);
		}
		json_array_end(j);
		json_print_object(&j);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		char *line = format_fire_time(times[i], tz);
		if (skipped != NULL && skipped[i] != NULL && skipped[i][0] != '\0')
			printf("%s  skipped: %s\n", line, skipped[i]);
		else
			printf("%s\n", line);
		free(line);
	}
}

/* ---- from a file, here --------------------------------------------------- */

static int
cmd_schedules_from_file(const char *path, unsigned next, bool json)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return usage_error("cannot read runbook file '%s': %s; give a YAML file, or the "
		                   "name of a loaded runbook",
		                   path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return usage_error("'%s' is a directory; give one runbook file", path);

	runbook_errors_t errs = {0};
	runbook_t *rb = runbook_parse_file(path, &errs);
	if (rb == NULL) {
		char *text = runbook_errors_format(&errs);
		fputs(text, stderr);
		fprintf(stderr,
		        "rota: %s is not a valid runbook; the coordinator would not load "
		        "it either\n",
		        path);
		free(text);
		runbook_errors_clear(&errs);
		return CLI_EXIT_RUN_FAILED;
	}
	runbook_errors_clear(&errs);
	char *skip_err = NULL;
	if (runbook_skip_file_load(rb, path, &skip_err) != 0) {
		fprintf(stderr,
		        "%s:%d:%d: %s\nrota: %s is not a valid runbook; the coordinator would not "
		        "load it either\n",
		        path, rb->schedule.skip_file_mark.line, rb->schedule.skip_file_mark.column,
		        skip_err, path);
		free(skip_err);
		runbook_destroy(&rb);
		return CLI_EXIT_RUN_FAILED;
	}

	int rc = CLI_EXIT_OK;
	const runbook_schedule_t *sch = &rb->schedule;
	const char *tz = cmd_schedules_zone(sch->timezone);
	cron_t cron;
	char err[256];
	int column = 0;
	if (!sch->present || sch->cron == NULL) {
		fprintf(stderr,
		        "rota: %s has no schedule; add one like\n"
		        "  schedule: { cron: \"0 8 * * 1-5\", timezone: Europe/London }\n",
		        path);
		rc = CLI_EXIT_RUN_FAILED;
	} else if (cron_parse(sch->cron, &cron, err, sizeof(err), &column) != 0) {
		/* The parser checks the cron line too; this is the belt to its
		 * braces, in its words. */
		fprintf(stderr, "%s:%d:%d: schedule: cron \"%s\": %s\n", path, sch->mark.line,
		        sch->mark.column, sch->cron, err);
		rc = CLI_EXIT_RUN_FAILED;
	} else if (!cron_timezone_valid(tz)) {
		fprintf(stderr,
		        "%s:%d:%d: schedule: no timezone '%s' in this host's zoneinfo; use an IANA "
		        "name such as Europe/London\n",
		        path, sch->mark.line, sch->mark.column, tz);
		rc = CLI_EXIT_RUN_FAILED;
	} else {
		int64_t *times = xcalloc(next, sizeof(int64_t));
		char **skipped = xcalloc(next, sizeof(char *)); /* owned, each too */
		size_t n = 0;
		int64_t t = clock_wall_ms();
		while (n < next) {
			t = cron_next(&cron, tz, t);
			if (t < 0)
				break;
			skipped[n] = skipdates_describe(skipdates_find(&sch->skip, t, tz));
			times[n++] = t;
		}
		cmd_schedules_print_times(rb->name, sch->cron, tz, times, skipped, n, json);
		for (size_t i = 0; i < n; i++)
			free(skipped[i]);
		free(skipped);
		if (n < next)
			fprintf(stderr, "rota: %s fires %zu time%s in the next five years\n", path,
			        n, n == 1 ? "" : "s");
		free(times);
	}
	runbook_destroy(&rb);
	return rc;
}

/* ---- from the coordinator ------------------------------------------------ */

/* Asks for the schedules (with next fire times of runbook, when given)
 * and hands the answer to answer. */
static int
cmd_schedules_ask(session_t *s, const char *runbook, unsigned next, ask_answer_fn answer, void *ctx)
{
	Rota__ListSchedulesRequest list = ROTA__LIST_SCHEDULES_REQUEST__INIT;
	if (runbook != NULL)
		list.runbook = (char *)runbook;
	list.next = next;
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_SCHEDULES;
	req.schedules = &list;
	return ask_answer(s, &req, ROTA__RESPONSE__BODY_SCHEDULES, answer, ctx);
}

/* What schedules --next asked, for its answer. */
typedef struct {
	const char *name;
	unsigned next;
	bool json;
} cmd_schedules_next_t;

static int
cmd_schedules_print_next(const Rota__Response *r, void *ctx)
{
	const cmd_schedules_next_t *q = ctx;
	const Rota__ListSchedulesResponse *resp = r->schedules;
	const Rota__ScheduleInfo *sch = NULL;
	for (size_t i = 0; i < resp->n_schedules && sch == NULL; i++) {
		if (resp->schedules[i] != NULL && resp->schedules[i]->runbook != NULL &&
		    strcmp(resp->schedules[i]->runbook, q->name) == 0)
			sch = resp->schedules[i];
	}
	if (sch == NULL) {
		fprintf(stderr,
		        "rota: runbook '%s' has no schedule on the coordinator; 'rota schedules' "
		        "lists the runbooks that have one\n",
		        q->name);
		return CLI_EXIT_REFUSED;
	}
	size_t n = sch->n_upcoming < q->next ? sch->n_upcoming : q->next;
	cmd_schedules_print_times(
	    sch->runbook, sch->cron, sch->timezone, sch->upcoming,
	    sch->n_upcoming_skipped == sch->n_upcoming ? sch->upcoming_skipped : NULL, n, q->json);
	if (n < q->next && !q->json)
		fprintf(stderr, "rota: the coordinator knows %zu fire time%s of '%s'\n", n,
		        n == 1 ? "" : "s", q->name);
	return CLI_EXIT_OK;
}

/* "20261123-080000-4e0099 succeeded", a status alone for a slot with no
 * run id, or "never". The caller frees. */
static char *
cmd_schedules_last_run(const Rota__ScheduleInfo *sch)
{
	if (sch->last_run_id != NULL && sch->last_run_id[0] != '\0')
		return xasprintf("%s %s", sch->last_run_id, format_run_status(sch->last_status));
	if (sch->last_ms > 0)
		return xstrdup(format_run_status(sch->last_status));
	return xstrdup("never");
}

static void
cmd_schedules_table(const Rota__ListSchedulesResponse *resp)
{
	static const char *const headers[] = {"RUNBOOK", "CRON",       "TIMEZONE",
	                                      "NEXT",    "NEXT (UTC)", "LAST RUN"};
	table_t *t = table_new(6, headers);
	for (size_t i = 0; i < resp->n_schedules; i++) {
		const Rota__ScheduleInfo *sch = resp->schedules[i];
		if (sch == NULL)
			continue;
		const char *tz = cmd_schedules_zone(sch->timezone);
		char local[FORMAT_BUF_BYTES], utc[FORMAT_BUF_BYTES];
		if (sch->next_ms > 0) {
			cron_format(sch->next_ms, tz, local, sizeof(local));
			format_time(sch->next_ms, utc, sizeof(utc));
		} else {
			snprintf(local, sizeof(local), "never");
			snprintf(utc, sizeof(utc), "-");
		}
		char *last = cmd_schedules_last_run(sch);
		table_row(t);
		table_cell(t, sch->runbook);
		table_cell(t, sch->cron);
		table_cell(t, tz);
		table_cell(t, local);
		table_cell(t, utc);
		table_cell(t, last);
		free(last);
	}
	table_print(t, stdout);
	table_destroy(&t);
}

static void
cmd_schedules_json_one(json_t *j, const Rota__ScheduleInfo *sch)
{
	const char *tz = cmd_schedules_zone(sch->timezone);
	json_member_string(j, "runbook", sch->runbook);
	json_member_string(j, "cron", sch->cron);
	json_member_string(j, "timezone", tz);
	json_member_time(j, "next_ms", sch->next_ms);
	json_key(j, "next_local");
	if (sch->next_ms > 0) {
		char local[FORMAT_BUF_BYTES];
		cron_format(sch->next_ms, tz, local, sizeof(local));
		json_string(j, local);
	} else {
		json_null(j);
	}
	json_member_time(j, "last_ms", sch->last_ms);
	json_member_string(
	    j, "last_run_id",
	    sch->last_run_id != NULL && sch->last_run_id[0] != '\0' ? sch->last_run_id : NULL);
	json_key(j, "last_status");
	if (sch->last_ms > 0 || (sch->last_run_id != NULL && sch->last_run_id[0] != '\0'))
		json_string(j, format_run_status(sch->last_status));
	else
		json_null(j);
	json_member_string(j, "catchup", sch->catchup);
	json_member_string(j, "concurrency", sch->concurrency);
	json_member_uint(j, "jitter_ms", sch->jitter_ms);
}

/* The schedules as a table, or a JSON document when *ctx (a bool). */
static int
cmd_schedules_print(const Rota__Response *r, void *ctx)
{
	const Rota__ListSchedulesResponse *resp = r->schedules;
	if (*(const bool *)ctx) {
		json_t *j = json_new_object();
		JSON_MEMBER_OBJECTS(j, "schedules", resp->schedules, resp->n_schedules,
		                    cmd_schedules_json_one);
		json_print_object(&j);
	} else {
		cmd_schedules_table(resp);
	}
	return CLI_EXIT_OK;
}

/* ---- the command --------------------------------------------------------- */

/* --next N (and -n N) into the unsigned at ctx. */
static int
cmd_schedules_take_next(void *ctx, int ch, char *arg)
{
	(void)ch;
	if (usage_parse_count(arg, CLI_SCHEDULES_MAX_NEXT, ctx) != 0)
		return usage_error("schedules: --next needs a whole number from 1 to "
		                   "%d, got '%s'; as in rota schedules --next 5 "
		                   "daily-health-check",
		                   CLI_SCHEDULES_MAX_NEXT, arg);
	return CLI_EXIT_OK;
}

int
cmd_schedules_list(session_t *s, int argc, char **argv)
{
	static const struct option own[] = {
	    {"next", required_argument, NULL, 'n'},
	    {NULL, 0, NULL, 0},
	};
	unsigned next = 0;
	const options_spec_t spec = {
	    .command = "schedules",
	    .synopsis = SCHEDULES_SYNOPSIS,
	    .shortopts = ":n:h",
	    .own = own,
	    .take = cmd_schedules_take_next,
	    .ctx = &next,
	};
	options_t o = {0};
	int done = options_parse(&spec, argc, argv, &o);
	if (done >= 0)
		return done;
	bool json = o.json;
	if (optind + 1 < argc)
		return usage_error("schedules takes one runbook, got '%s' too; usage: rota "
		                   "schedules " SCHEDULES_SYNOPSIS,
		                   argv[optind + 1]);
	const char *name = optind < argc ? argv[optind] : NULL;
	if (name == NULL && next > 0)
		return usage_error("schedules --next needs a runbook name or file: rota schedules "
		                   "--next %u daily-health-check",
		                   next);
	if (name != NULL && name[0] == '\0')
		return usage_error("schedules: the runbook name is empty; give a loaded runbook's "
		                   "name or a YAML file");

	if (name != NULL) {
		if (next == 0)
			next = CLI_SCHEDULES_DEFAULT_NEXT;
		if (cmd_schedules_names_file(name))
			return cmd_schedules_from_file(name, next, json);
		cmd_schedules_next_t q = {name, next, json};
		return cmd_schedules_ask(s, name, next, cmd_schedules_print_next, &q);
	}
	return cmd_schedules_ask(s, NULL, 0, cmd_schedules_print, &json);
}
