/* cmd_run: submit and show (runs is cmd_history's).
 *
 * Must never: print anything but the run id on stdout for a plain submit
 * (scripts capture it), or accept a runbook file it has not bounded. */
#include "cmd_run.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ask.h"
#include "cli.h"
#include "client.h"
#include "clock.h"
#include "cmd_note.h"
#include "follow.h"
#include "format.h"
#include "json.h"
#include "jsondoc.h"
#include "launchargs.h"
#include "options.h"
#include "runview.h"
#include "strlist.h"
#include "table.h"
#include "usage.h"
#include "xalloc.h"

#define RUN_SUBMIT_SYNOPSIS                                                                        \
	"RUNBOOK|FILE [--target ID|label=value]... [-p key=value]... [--incident INC-7] "          \
	"[--force] "                                                                               \
	"[--wait] [--json]"
#define RUN_SHOW_SYNOPSIS "RUN [--json]"

/* ---- shared -------------------------------------------------------------- */

/* A run that has not ended is timed up to now, by our clock. */
static int64_t
cmd_run_end_or_zero(const Rota__RunSummary *r)
{
	return format_run_is_terminal(r->status) ? r->ended_ms : 0;
}

static void
cmd_run_step_name(const Rota__StepRunInfo *st, char *buf, size_t len)
{
	format_step_name(st->step_id, st->attempt, false, buf, len);
}

static void
cmd_run_param_row(void *ctx, const runview_param_t *p)
{
	table_t *t = ctx;
	table_row(t);
	table_cell(t, p->name);
	table_cell(t, p->value);
	table_cell(t, p->source[0] ? p->source : "?");
	table_cell(t, p->host[0] ? p->host : "every host");
}

/* The run's params and where each came from (runview.h), as a table;
 * nothing for none. */
static void
cmd_run_print_params(const char *params)
{
	if (params == NULL || params[0] == '\0')
		return;
	static const char *const headers[] = {"PARAM", "VALUE", "FROM", "HOST"};
	table_t *t = table_new(4, headers);
	runview_params_each(params, cmd_run_param_row, t);
	printf("\n");
	table_print(t, stdout);
	table_destroy(&t);
}

/* True when a and b are attempts of the same step on the same host. */
static bool
cmd_run_same_step(const Rota__StepRunInfo *a, const Rota__StepRunInfo *b)
{
	return strcmp(a->host, b->host) == 0 && strcmp(a->step_id, b->step_id) == 0 &&
	       a->position == b->position;
}

/* The EXIT column: a signal's name, an exit code once the step ran to an
 * end that has one, "-" otherwise. A failure with exit code 0 is a check
 * that failed or a manual step rejected: no process exited with 0, so
 * the column says "-" rather than suggest one did. */
static void
cmd_run_step_exit(const Rota__StepRunInfo *st, char *buf, size_t len)
{
	if (st->signal != 0) {
		format_signal(st->signal, buf, len);
		return;
	}
	switch (st->status) {
	case ROTA__STEP_STATUS__STEP_SUCCEEDED:
		snprintf(buf, len, "%d", st->exit_code);
		return;
	default:
		if (st->exit_code != 0)
			snprintf(buf, len, "%d", st->exit_code);
		else
			snprintf(buf, len, "-");
	}
}

static int
cmd_run_step_failed(int status)
{
	return status == ROTA__STEP_STATUS__STEP_FAILED ||
	       status == ROTA__STEP_STATUS__STEP_TIMEOUT ||
	       status == ROTA__STEP_STATUS__STEP_LOST || status == ROTA__STEP_STATUS__STEP_ERROR ||
	       status == ROTA__STEP_STATUS__STEP_CANCELLED ||
	       status == ROTA__STEP_STATUS__STEP_UNREACHABLE;
}

static Rota__Envelope *
cmd_run_fetch_show(session_t *s, const char *run_id, uint32_t tail_lines, int *rc)
{
	Rota__ShowRunRequest show = ROTA__SHOW_RUN_REQUEST__INIT;
	show.run_id = (char *)run_id;
	show.tail_lines = tail_lines;
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_SHOW;
	req.show = &show;
	Rota__Envelope *reply;
	*rc = session_call(s, &req, ROTA__RESPONSE__BODY_SHOW, &reply);
	if (*rc != CLI_EXIT_OK)
		return NULL;
	if (reply->response->show->run == NULL) {
		fprintf(stderr,
		        "rota: the coordinator's answer about run %s has no run in it; are "
		        "rota and rota-coordinator the same version?\n",
		        run_id);
		client_reply_free(&reply);
		*rc = CLI_EXIT_REFUSED;
		return NULL;
	}
	return reply;
}

/* ---- submit -------------------------------------------------------------- */

/* An argument is a file when something by that name exists (and is not a
 * directory), or when it looks like one: a runbook name never ends in
 * .yaml, so "rota submit typo.yaml" says the file is missing instead of
 * asking the coordinator for a runbook called "typo.yaml". */
static int
cmd_run_names_file(const char *arg)
{
	struct stat st;
	if (stat(arg, &st) == 0 && !S_ISDIR(st.st_mode))
		return 1;
	return format_ends_with(arg, ".yaml") || format_ends_with(arg, ".yml");
}

/* Reads a runbook file of at most CLI_MAX_RUNBOOK_BYTES into *text (the
 * caller's). Returns an exit code, having said why on stderr. */
static int
cmd_run_read_runbook(const char *path, char **text)
{
	*text = NULL;
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return usage_error("cannot read runbook file '%s': %s; give a readable YAML file "
		                   "or the name of a loaded runbook",
		                   path, strerror(errno));
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size > CLI_MAX_RUNBOOK_BYTES) {
		fclose(f);
		return usage_error(
		    "runbook file '%s' is %lld bytes, over the %d-byte (1 MiB) limit; "
		    "split it, or load it on the coordinator and submit it by name",
		    path, (long long)st.st_size, CLI_MAX_RUNBOOK_BYTES);
	}
	/* Read one byte past the limit, so a pipe or a file that grew is
	 * caught without trusting st_size. */
	char *buf = xmalloc(CLI_MAX_RUNBOOK_BYTES + 2);
	size_t len = 0;
	while (len <= CLI_MAX_RUNBOOK_BYTES) {
		size_t n = fread(buf + len, 1, CLI_MAX_RUNBOOK_BYTES + 1 - len, f);
		if (n == 0)
			break;
		len += n;
	}
	int failed = ferror(f);
	int saved = errno;
	fclose(f);
	if (failed) {
		free(buf);
		return usage_error("cannot read runbook file '%s': %s", path, strerror(saved));
	}
	if (len > CLI_MAX_RUNBOOK_BYTES) {
		free(buf);
		return usage_error(
		    "runbook file '%s' is over the %d-byte (1 MiB) limit; split it, or "
		    "load it on the coordinator and submit it by name",
		    path, CLI_MAX_RUNBOOK_BYTES);
	}
	if (memchr(buf, '\0', len) != NULL) {
		free(buf);
		return usage_error("runbook file '%s' holds a NUL byte; is it a YAML text file?",
		                   path);
	}
	buf[len] = '\0';
	*text = buf;
	return CLI_EXIT_OK;
}

/* The per-host lines after `submit --wait`: how each host ended, and the
 * step that made it fail. */
static void
cmd_run_print_wait_summary(const Rota__ShowRunResponse *show)
{
	size_t n;
	const Rota__StepRunInfo **steps = jsondoc_sorted_steps(show, &n);
	static const char *const headers[] = {"HOST", "RESULT", "STEPS", "DETAIL"};
	table_t *t = table_new(4, headers);

	size_t i = 0;
	while (i < n) {
		const char *host = steps[i]->host;
		unsigned total = 0, ok = 0, pending = 0;
		const Rota__StepRunInfo *bad = NULL;
		for (; i < n && strcmp(steps[i]->host, host) == 0; i++) {
			/* Only the last attempt of a step says how it ended. */
			if (i + 1 < n && cmd_run_same_step(steps[i + 1], steps[i]))
				continue;
			const Rota__StepRunInfo *st = steps[i];
			total++;
			if (st->status == ROTA__STEP_STATUS__STEP_SUCCEEDED)
				ok++;
			else if (cmd_run_step_failed(st->status)) {
				/* A handled failure (continue_on_failure, or
				 * remediated) does not fail the host. */
				if (bad == NULL && !st->handled)
					bad = st;
			} else if (st->status != ROTA__STEP_STATUS__STEP_SKIPPED)
				pending++;
		}
		const char *result = "succeeded";
		if (bad != NULL && bad->status == ROTA__STEP_STATUS__STEP_CANCELLED)
			result = "cancelled";
		else if (bad != NULL && bad->status == ROTA__STEP_STATUS__STEP_UNREACHABLE)
			result = "unreachable";
		else if (bad != NULL)
			result = "failed";
		else if (pending > 0)
			result = "incomplete";
		table_row(t);
		table_cell(t, host);
		table_cell(t, result);
		table_cellf(t, "%u/%u", ok, total);
		if (bad != NULL) {
			/* "disk failed (exit 1): disk 91% full" */
			char name[256], how[FORMAT_BUF_BYTES + 16] = "";
			cmd_run_step_name(bad, name, sizeof(name));
			if (bad->signal != 0) {
				char sig[FORMAT_BUF_BYTES];
				format_signal(bad->signal, sig, sizeof(sig));
				snprintf(how, sizeof(how), " (killed by %s)", sig);
			} else if ((bad->status == ROTA__STEP_STATUS__STEP_FAILED ||
			            bad->status == ROTA__STEP_STATUS__STEP_TIMEOUT) &&
			           bad->exit_code != 0) {
				snprintf(how, sizeof(how), " (exit %d)", bad->exit_code);
			}
			const char *detail = bad->detail != NULL ? bad->detail : "";
			table_cellf(t, "%s %s%s%s%s", name, format_step_status(bad->status), how,
			            detail[0] != '\0' ? ": " : "", detail);
		}
	}
	if (n > 0) {
		fputc('\n', stdout);
		table_print(t, stdout);
	}
	table_destroy(&t);
	free(steps);

	const Rota__RunSummary *r = show->run;
	char span[FORMAT_BUF_BYTES];
	format_span(r->started_ms, cmd_run_end_or_zero(r), clock_wall_ms(), span, sizeof(span));
	printf("\nrun %s %s in %s: %u ok, %u failed, %u host%s\n", r->id,
	       format_run_status(r->status), span, r->hosts_ok, r->hosts_failed, r->hosts_total,
	       r->hosts_total == 1 ? "" : "s");
}

/* Follows a submitted run to its end; returns CLI_EXIT_OK only when it
 * succeeded. */
static int
cmd_run_wait(session_t *s, const Rota__SubmitResponse *sub, int json)
{
	int status;
	int rc = follow_run(s, sub->run_id, NULL, 1, json ? FOLLOW_QUIET : 0, &status);
	if (rc != CLI_EXIT_OK)
		return rc;
	Rota__Envelope *reply = cmd_run_fetch_show(s, sub->run_id, 0, &rc);
	if (reply == NULL)
		return rc;
	const Rota__ShowRunResponse *show = reply->response->show;
	/* The run's own record is the final word; the logs status is what
	 * ended the wait. */
	if (format_run_is_terminal(show->run->status))
		status = show->run->status;
	if (json) {
		json_t *j = json_new_object();
		jsondoc_submitted_members(j, sub);
		json_member_string(j, "status", format_run_status(status));
		json_key(j, "run");
		runview_json_summary(j, show->run, clock_wall_ms());
		json_print_object(&j);
	} else {
		cmd_run_print_wait_summary(show);
	}
	client_reply_free(&reply);
	return status == ROTA__RUN_STATUS__RUN_SUCCEEDED ? CLI_EXIT_OK : CLI_EXIT_RUN_FAILED;
}

/* Where submit's own options go. */
typedef struct {
	launchargs_t *la;
	int *wait;
	const char **incident;
	int *force;
} cmd_run_submit_args_t;

static int
cmd_run_submit_take(void *ctx, int ch, char *arg)
{
	cmd_run_submit_args_t *a = ctx;
	if (ch == 'w') {
		*a->wait = 1;
		return CLI_EXIT_OK;
	}
	if (ch == 'F') {
		*a->force = 1;
		return CLI_EXIT_OK;
	}
	if (ch == 'I') {
		if (arg[0] == '\0')
			return usage_error("submit: --incident needs an incident, as in --incident "
			                   "INC-7");
		*a->incident = arg;
		return CLI_EXIT_OK;
	}
	return launchargs_take(a->la, ch, arg, "submit"); /* 't', 'p', 'P' */
}

int
cmd_run_submit(session_t *s, int argc, char **argv)
{
	static const struct option own[] = {
	    {"target", required_argument, NULL, 't'},
	    {"param", required_argument, NULL, 'p'},
	    {"param-file", required_argument, NULL, 'P'},
	    {"wait", no_argument, NULL, 'w'},
	    {"incident", required_argument, NULL, 'I'},
	    {"force", no_argument, NULL, 'F'},
	    {NULL, 0, NULL, 0},
	};
	launchargs_t la; /* owned */
	launchargs_init(&la, argc);
	int wait = 0;
	char *yaml = NULL;
	Rota__Envelope *reply = NULL;
	int rc = CLI_EXIT_OK;

	const char *incident = NULL;
	int force = 0; /* --force: run on hosts in a maintenance window too */
	cmd_run_submit_args_t args = {&la, &wait, &incident, &force};
	const options_spec_t spec = {
	    .command = "submit",
	    .synopsis = RUN_SUBMIT_SYNOPSIS,
	    .shortopts = ":t:p:h",
	    .own = own,
	    .take = cmd_run_submit_take,
	    .ctx = &args,
	};
	options_t o = {0};
	int done = options_parse(&spec, argc, argv, &o);
	if (done >= 0) {
		rc = done;
		goto out;
	}
	bool json = o.json;
	if (optind >= argc) {
		rc = usage_error(
		    "submit needs a runbook name or file: rota submit " RUN_SUBMIT_SYNOPSIS);
		goto out;
	}
	if (optind + 1 < argc) {
		rc = usage_error("submit takes one runbook, got '%s' too; give targets with "
		                 "--target and params with -p key=value",
		                 argv[optind + 1]);
		goto out;
	}
	const char *runbook = argv[optind];
	if (runbook[0] == '\0') {
		rc = usage_error("submit: the runbook name is empty; give a loaded runbook's name "
		                 "or a YAML file");
		goto out;
	}

	Rota__SubmitRequest sub = ROTA__SUBMIT_REQUEST__INIT;
	if (cmd_run_names_file(runbook)) {
		rc = cmd_run_read_runbook(runbook, &yaml);
		if (rc != CLI_EXIT_OK)
			goto out;
		sub.runbook_yaml = yaml;
		sub.runbook_path = (char *)runbook;
	} else {
		sub.runbook = (char *)runbook;
	}
	launchargs_fill(&la, &sub);
	if (incident != NULL)
		sub.incident = (char *)incident;
	sub.by = (char *)cmd_note_author();
	sub.force = force;
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_SUBMIT;
	req.submit = &sub;

	rc = session_call(s, &req, ROTA__RESPONSE__BODY_SUBMIT, &reply);
	if (rc != CLI_EXIT_OK)
		goto out;
	const Rota__SubmitResponse *resp = reply->response->submit;
	if (resp->run_id == NULL || resp->run_id[0] == '\0') {
		fprintf(stderr,
		        "rota: the coordinator accepted the run but sent no run id; are rota "
		        "and rota-coordinator the same version?\n");
		rc = CLI_EXIT_REFUSED;
		goto out;
	}

	if (json && !wait) {
		json_t *j = jsondoc_submitted(resp);
		json_print(&j);
	} else if (!json) {
		/* The id alone on the first line, out before any waiting, so
		 * `id=$(rota submit ...)` and `| head -1` both work. */
		printf("%s\n", resp->run_id);
		fflush(stdout);
	}
	if (wait)
		rc = cmd_run_wait(s, resp, json);

out:
	launchargs_free(&la);
	free(yaml);
	client_reply_free(&reply);
	return rc;
}

/* ---- show ---------------------------------------------------------------- */

/* The calls (runbook steps) id is inside, "a.b.step" inside a and a.b:
 * a row for each one prev was not inside, indented by its depth. Returns
 * how deep id is (its dots). Step ids hold no '.' of their own. */
static int
cmd_run_group(table_t *t, const char *prev, const char *id)
{
	int depth = 0;
	for (const char *dot = strchr(id, '.'); dot != NULL; dot = strchr(dot + 1, '.')) {
		size_t len = (size_t)(dot - id);
		if (strlen(prev) <= len || strncmp(prev, id, len) != 0 || prev[len] != '.') {
			const char *start = id + len;
			while (start > id && start[-1] != '.')
				start--;
			table_row(t);
			table_cellf(t, "%*s%.*s", 2 * depth, "", (int)(id + len - start), start);
			table_cell(t, "runbook");
			table_cell(t, "");
			table_cell(t, "");
			table_cellf(t, "the steps of the runbook %.*s runs", (int)len, id);
		}
		depth++;
	}
	return depth;
}

/* One host's steps, steps[0..n), as an indented table with each step's
 * last lines of output under it. */
static void
cmd_run_print_host(const char *run_id, const Rota__StepRunInfo *const *steps, size_t n, int64_t now)
{
	static const char *const headers[] = {"STEP", "STATUS", "EXIT", "DURATION", "DETAIL"};
	table_t *t = table_new(5, headers);
	table_set_indent(t, 2);
	for (size_t i = 0; i < n; i++) {
		const Rota__StepRunInfo *st = steps[i];
		char name[300], code[FORMAT_BUF_BYTES], span[FORMAT_BUF_BYTES];
		/* A step tried more than once shows every try with its number,
		 * the first as "#1" too, so the lines read as one series. */
		bool retried = (i > 0 && cmd_run_same_step(steps[i - 1], st)) ||
		               (i + 1 < n && cmd_run_same_step(steps[i + 1], st));
		/* A step of a called runbook ("cleanup.disk": a runbook step's
		 * id, '.', its own) sits under a line for the call, indented. */
		int depth = cmd_run_group(t, i > 0 ? steps[i - 1]->step_id : "", st->step_id);
		char id[256];
		format_step_name(st->step_id, st->attempt, retried, id, sizeof(id));
		snprintf(name, sizeof(name), "%*s%s", 2 * depth, "", id);
		cmd_run_step_exit(st, code, sizeof(code));
		format_span(st->started_ms, st->ended_ms, now, span, sizeof(span));
		table_row(t);
		table_cell(t, name);
		/* A failure the host's verdict does not count says so, or a
		 * run that succeeded would show a step that failed it. */
		if (st->handled)
			table_cellf(t, "%s (handled)", format_step_status(st->status));
		else
			table_cell(t, format_step_status(st->status));
		table_cell(t, code);
		table_cell(t, span);
		table_cell(t, st->detail);
		/* A preview cut to its bound says so first, and where the
		 * rest is. */
		if (st->tail_cut) {
			char *note = xasprintf("(output preview cut; rota logs %s --host %s shows"
			                       " all of it)",
			                       run_id, st->host);
			table_note(t, 4, note, strlen(note));
			free(note);
		}
		/* The tail, a line a note, indented under the step. */
		const char *p = (const char *)st->tail.data;
		size_t left = st->tail.len;
		while (left > 0) {
			const char *nl = memchr(p, '\n', left);
			size_t len = nl != NULL ? (size_t)(nl - p) : left;
			table_note(t, 4, p, len);
			p += len;
			left -= len;
			if (nl != NULL) {
				p++;
				left--;
			}
		}
	}
	table_print(t, stdout);
	table_destroy(&t);
}

/* For each manual step waiting for approval, once: where it waits, its
 * prompt, and the two commands that release it. steps are sorted by host,
 * so the hosts of one step are gathered by a scan per distinct step. */
static void
cmd_run_print_waiting(const char *run_id, const Rota__StepRunInfo *const *steps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const Rota__StepRunInfo *st = steps[i];
		if (st->status != ROTA__STEP_STATUS__STEP_WAITING)
			continue;
		/* Said already, at an earlier host's line of this step? */
		bool said = false;
		for (size_t k = 0; k < i && !said; k++)
			said = steps[k]->status == ROTA__STEP_STATUS__STEP_WAITING &&
			       strcmp(steps[k]->step_id, st->step_id) == 0;
		if (said)
			continue;
		char *step = xstrdup(st->step_id);
		format_printable(step);
		printf("\nstep %s is waiting for approval on ", step);
		unsigned hosts = 0;
		for (size_t k = i; k < n; k++) {
			if (steps[k]->status != ROTA__STEP_STATUS__STEP_WAITING ||
			    strcmp(steps[k]->step_id, st->step_id) != 0)
				continue;
			if (hosts < CLI_SHOW_WAITING_HOSTS) {
				char *host = xstrdup(steps[k]->host);
				format_printable(host);
				printf("%s%s", hosts > 0 ? ", " : "", host);
				free(host);
			}
			hosts++;
		}
		if (hosts > CLI_SHOW_WAITING_HOSTS)
			printf(", ... (%u hosts)", hosts);
		if (st->detail != NULL && st->detail[0] != '\0') {
			char *prompt = xstrdup(st->detail);
			format_printable(prompt);
			printf(": %s", prompt);
			free(prompt);
		}
		char *id = xstrdup(run_id);
		format_printable(id);
		printf("\n  approve with: rota approve %s %s\n", id, step);
		printf("  reject with: rota reject %s %s\n", id, step);
		free(id);
		free(step);
	}
}

/* The run's notes (rota note RUN), oldest first. */
static void
cmd_run_print_notes(const Rota__ShowRunResponse *show)
{
	if (show->n_notes == 0)
		return;
	printf("\nnotes\n");
	static const char *const headers[] = {"TIME", "NOTE"};
	table_t *t = table_new(2, headers);
	table_set_indent(t, 2);
	for (size_t i = 0; i < show->n_notes; i++) {
		if (show->notes[i] == NULL)
			continue;
		char at[FORMAT_BUF_BYTES];
		format_time(show->notes[i]->at_ms, at, sizeof(at));
		char *line = cmd_note_line(show->notes[i]);
		table_row(t);
		table_cell(t, at);
		table_cell(t, line);
		free(line);
	}
	table_print(t, stdout);
	table_destroy(&t);
}

int
cmd_run_show(session_t *s, int argc, char **argv)
{
	bool json;
	int done = options_json_only("show", RUN_SHOW_SYNOPSIS, argc, argv, &json);
	if (done >= 0)
		return done;
	if (optind >= argc)
		return usage_error("show needs a run id: rota show " RUN_SHOW_SYNOPSIS
		                   " (see 'rota runs')");
	if (optind + 1 < argc)
		return usage_error(
		    "show takes one run id, got '%s' too; usage: rota show " RUN_SHOW_SYNOPSIS,
		    argv[optind + 1]);

	int rc;
	Rota__Envelope *reply = cmd_run_fetch_show(s, argv[optind], CLI_SHOW_TAIL_LINES, &rc);
	if (reply == NULL)
		return rc;
	const Rota__ShowRunResponse *show = reply->response->show;
	const Rota__RunSummary *r = show->run;
	int64_t now = clock_wall_ms();
	size_t n;
	const Rota__StepRunInfo **steps = jsondoc_sorted_steps(show, &n);

	if (json) {
		json_t *j = jsondoc_run_show(show, now);
		json_print(&j);
	} else {
		char started[FORMAT_BUF_BYTES], ended[FORMAT_BUF_BYTES], span[FORMAT_BUF_BYTES];
		format_time(r->started_ms, started, sizeof(started));
		format_time(cmd_run_end_or_zero(r), ended, sizeof(ended));
		format_span(r->started_ms, cmd_run_end_or_zero(r), now, span, sizeof(span));
		table_t *head = table_new(2, NULL);
		table_row(head);
		table_cell(head, "run");
		table_cell(head, r->id);
		table_row(head);
		table_cell(head, "runbook");
		table_cell(head, r->runbook);
		table_row(head);
		table_cell(head, "trigger");
		table_cell(head, format_trigger(r->trigger));
		if (r->slot_ms > 0) {
			char slot[FORMAT_BUF_BYTES];
			format_time(r->slot_ms, slot, sizeof(slot));
			table_row(head);
			table_cell(head, "slot");
			table_cellf(head, "%s UTC", slot);
		}
		table_row(head);
		table_cell(head, "status");
		table_cell(head, format_run_status(r->status));
		if (r->reason != NULL && r->reason[0] != '\0') {
			table_row(head);
			table_cell(head, "reason");
			table_cell(head, r->reason);
		}
		table_row(head);
		table_cell(head, "hosts");
		table_cellf(head, "%u ok, %u failed, %u total", r->hosts_ok, r->hosts_failed,
		            r->hosts_total);
		table_row(head);
		table_cell(head, "started");
		table_cell(head, started);
		table_row(head);
		table_cell(head, "ended");
		table_cell(head, ended);
		table_row(head);
		table_cell(head, "duration");
		table_cell(head, span);
		if (show->n_incident_ids > 0) {
			char *ids = strlist_join(
			    &(strlist_t){show->incident_ids, show->n_incident_ids}, "");
			table_row(head);
			table_cell(head, "incidents");
			table_cell(head, ids);
			free(ids);
		}
		table_print(head, stdout);
		table_destroy(&head);
		cmd_run_print_params(show->params);

		size_t i = 0;
		while (i < n) {
			size_t first = i;
			while (i < n && strcmp(steps[i]->host, steps[first]->host) == 0)
				i++;
			char *host = xstrdup(steps[first]->host);
			/* The host name is a peer's string: keep control
			 * characters off the terminal, as tables do. */
			for (char *c = host; *c != '\0'; c++) {
				if ((unsigned char)*c < 0x20 || *c == 0x7f)
					*c = '?';
			}
			printf("\n%s\n", host);
			free(host);
			cmd_run_print_host(r->id, steps + first, i - first, now);
		}
		if (n == 0 && r->status == ROTA__RUN_STATUS__RUN_SKIPPED)
			printf("\nthe run was skipped; no step ran\n");
		else if (n == 0)
			printf("\nno steps have been scheduled yet\n");
		cmd_run_print_waiting(r->id, steps, n);
		cmd_run_print_notes(show);
	}
	free(steps);
	client_reply_free(&reply);
	return CLI_EXIT_OK;
}
