/* cmd_runbooks: the runbook table, the reload summary, and the errors under
 * both.
 *
 * Must never: print a peer's text to the terminal unsanitized; errors quote
 * the YAML, which may hold anything. */
#include "cmd_runbooks.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ask.h"
#include "cli.h"
#include "cmd_runbookdoc.h"
#include "format.h"
#include "json.h"
#include "jsondoc.h"
#include "options.h"
#include "table.h"
#include "usage.h"
#include "xalloc.h"

#define RUNBOOKS_SYNOPSIS "[NAME] [--json]"
#define RUNBOOKS_RELOAD_SYNOPSIS "[--json]"

static bool
cmd_runbooks_is(const Rota__RunbookInfo *rb, const char *state)
{
	return rb->state != NULL && strcmp(rb->state, state) == 0;
}

/* Not served as the file says: invalid, or stale. */
static bool
cmd_runbooks_not_served(const Rota__RunbookInfo *rb)
{
	return cmd_runbooks_is(rb, "invalid") || cmd_runbooks_is(rb, "stale");
}

static bool
cmd_runbooks_has_errors(const Rota__RunbookInfo *rb)
{
	return cmd_runbooks_not_served(rb) || (rb->errors != NULL && rb->errors[0] != '\0');
}

static const char *
cmd_runbooks_or_dash(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : "-";
}

/* Calls fn for each non-empty line of text (a copy, made printable for a
 * terminal when printable; JSON escapes what it must itself). */
static void
cmd_runbooks_each_line(const char *text, bool printable, void (*fn)(const char *line, void *arg),
                       void *arg)
{
	const char *p = text != NULL ? text : "";
	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if (len > 0) {
			char *line = xstrndup(p, len);
			if (printable)
				format_printable(line);
			fn(line, arg);
			free(line);
		}
		p += len;
		if (*p == '\n')
			p++;
	}
}

static void
cmd_runbooks_print_line(const char *line, void *arg)
{
	(void)arg;
	printf("  %s\n", line);
}

/* For each runbook that is not loaded: what it is, whether an older
 * version still serves, and its errors, a line each. */
static void
cmd_runbooks_print_errors(Rota__RunbookInfo *const *rbs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const Rota__RunbookInfo *rb = rbs[i];
		if (rb == NULL || !cmd_runbooks_has_errors(rb))
			continue;
		char *label;
		if (rb->name != NULL && rb->name[0] != '\0')
			label = xasprintf("%s (%s)", rb->name, cmd_runbooks_or_dash(rb->path));
		else
			label = xstrdup(cmd_runbooks_or_dash(rb->path));
		format_printable(label);
		if (cmd_runbooks_is(rb, "stale") && rb->loaded_ms > 0) {
			char at[FORMAT_BUF_BYTES];
			format_time(rb->loaded_ms, at, sizeof(at));
			printf("\n%s is invalid; the version loaded %s UTC is still served:\n",
			       label, at);
		} else if (cmd_runbooks_is(rb, "stale")) {
			printf("\n%s is invalid; the version loaded before is still served:\n",
			       label);
		} else if (cmd_runbooks_is(rb, "invalid")) {
			printf("\n%s is invalid and not served:\n", label);
		} else {
			printf("\n%s:\n", label);
		}
		free(label);
		if (rb->errors == NULL || rb->errors[0] == '\0')
			printf("  (the coordinator sent no error text; see its log)\n");
		else
			cmd_runbooks_each_line(rb->errors, true, cmd_runbooks_print_line, NULL);
	}
}

static void
cmd_runbooks_print_table(Rota__RunbookInfo *const *rbs, size_t n)
{
	static const char *const headers[] = {"NAME", "STATE", "SCHEDULE", "STEPS", "PATH"};
	table_t *t = table_new(5, headers);
	for (size_t i = 0; i < n; i++) {
		const Rota__RunbookInfo *rb = rbs[i];
		if (rb == NULL)
			continue;
		char *schedule = format_schedule(rb->cron, rb->timezone);
		table_row(t);
		table_cell(t, cmd_runbooks_or_dash(rb->name));
		table_cell(t, cmd_runbooks_or_dash(rb->state));
		table_cell(t, schedule);
		/* An invalid file serves nothing, so it has no steps to count. */
		if (cmd_runbooks_is(rb, "invalid"))
			table_cell(t, "-");
		else
			table_cellf(t, "%u", rb->step_count);
		table_cell(t, cmd_runbooks_or_dash(rb->path));
		free(schedule);
	}
	table_print(t, stdout);
	table_destroy(&t);
}

static void
cmd_runbooks_list_json(const Rota__Response *r)
{
	json_t *j = jsondoc_runbooks(r->runbooks);
	json_print(&j);
}

static void
cmd_runbooks_list_text(const Rota__Response *r)
{
	const Rota__ListRunbooksResponse *resp = r->runbooks;
	cmd_runbooks_print_table(resp->runbooks, resp->n_runbooks);
	cmd_runbooks_print_errors(resp->runbooks, resp->n_runbooks);
}

/* The reload summary, or a JSON document when *ctx (a bool); a runbook
 * that did not load fails the command. */
static int
cmd_runbooks_reloaded(const Rota__Response *r, void *ctx)
{
	const Rota__ReloadResponse *resp = r->reload;
	/* The count is the coordinator's; an entry that says it is not
	 * loaded fails the reload even if the count missed it. */
	bool bad = resp->invalid > 0;
	for (size_t i = 0; i < resp->n_runbooks; i++) {
		if (resp->runbooks[i] != NULL && cmd_runbooks_not_served(resp->runbooks[i]))
			bad = true;
	}
	if (*(const bool *)ctx) {
		json_t *j = json_new_object();
		json_member_uint(j, "loaded", resp->loaded);
		json_member_uint(j, "invalid", resp->invalid);
		json_member_uint(j, "added", resp->added);
		json_member_uint(j, "changed", resp->changed);
		json_member_uint(j, "removed", resp->removed);
		JSON_MEMBER_OBJECTS(j, "runbooks", resp->runbooks, resp->n_runbooks,
		                    jsondoc_runbook);
		if (resp->config_reloaded) {
			json_key(j, "maintenance");
			json_object_begin(j);
			json_member_uint(j, "windows", resp->maintenance_windows);
			json_member_uint(j, "added", resp->maintenance_added);
			json_member_uint(j, "changed", resp->maintenance_changed);
			json_member_uint(j, "removed", resp->maintenance_removed);
			json_object_end(j);
		}
		json_print_object(&j);
	} else {
		char *line = format_reload(resp->loaded, resp->added, resp->changed, resp->removed,
		                           resp->invalid);
		printf("%s\n", line);
		free(line);
		if (resp->config_reloaded)
			printf(
			    "maintenance: %u recurring window(s) in the configuration (%u added, %u"
			    " changed, %u removed)\n",
			    resp->maintenance_windows, resp->maintenance_added,
			    resp->maintenance_changed, resp->maintenance_removed);
		cmd_runbooks_print_errors(resp->runbooks, resp->n_runbooks);
	}
	return bad ? CLI_EXIT_RUN_FAILED : CLI_EXIT_OK;
}

int
cmd_runbooks_list(session_t *s, int argc, char **argv)
{
	bool json;
	int done = options_json_only("runbooks", RUNBOOKS_SYNOPSIS, argc, argv, &json);
	if (done >= 0)
		return done;
	if (optind + 1 < argc)
		return usage_error("runbooks takes one runbook name at most, got '%s'; usage: rota "
		                   "runbooks " RUNBOOKS_SYNOPSIS,
		                   argv[optind + 1]);
	/* `runbooks NAME` is an alias of `runbook show NAME`: the same
	 * document, from the same model (docs/decisions.md). */
	if (optind < argc)
		return cmd_runbookdoc_show_name(s, argv[optind], json);

	Rota__ListRunbooksRequest list = ROTA__LIST_RUNBOOKS_REQUEST__INIT;
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_RUNBOOKS;
	req.runbooks = &list;
	return ask_print(s, &req, ROTA__RESPONSE__BODY_RUNBOOKS,
	                 json ? cmd_runbooks_list_json : cmd_runbooks_list_text);
}

int
cmd_runbooks_reload(session_t *s, int argc, char **argv)
{
	bool json;
	int done = options_json_only("reload", RUNBOOKS_RELOAD_SYNOPSIS, argc, argv, &json);
	if (done >= 0)
		return done;
	if (optind < argc)
		return usage_error("reload takes no arguments, got '%s'; it rereads the "
		                   "coordinator's whole runbook directory: rota reload",
		                   argv[optind]);

	Rota__ReloadRequest reload = ROTA__RELOAD_REQUEST__INIT;
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_RELOAD;
	req.reload = &reload;
	return ask_answer(s, &req, ROTA__RESPONSE__BODY_RELOAD, cmd_runbooks_reloaded, &json);
}
