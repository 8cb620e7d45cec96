/* cmd_runbookdoc: rota runbook show and rota runbook docs (see
 * cmd_runbookdoc.h).
 *
 * Must never: write outside the directory given to --out (page names are
 * runbook names, which cannot hold '/'), or print a file's control
 * characters (the renderer replaces them). */
#include "cmd_runbookdoc.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "ask.h"
#include "client.h"
#include "json.h"
#include "jsondoc.h"
#include "options.h"
#include "outfile.h"
#include "runbook.h"
#include "runbookdoc.h"
#include "usage.h"
#include "xalloc.h"

#define RUNBOOK_SHOW_SYNOPSIS "show NAME [--markdown|--json] | show --file PATH [--json]"
#define RUNBOOK_DOCS_SYNOPSIS "docs --out DIR"

typedef struct {
	const char *file; /* --file PATH */
	const char *out;  /* --out DIR */
	bool markdown;    /* --markdown: the default, said out loud */
} cmd_runbookdoc_args_t;

static int
cmd_runbookdoc_take(void *ctx, int ch, char *arg)
{
	cmd_runbookdoc_args_t *a = ctx;
	switch (ch) {
	case 'f':
		if (arg[0] == '\0')
			return usage_error("runbook show: --file needs a path, as in --file "
			                   "runbooks/service-down.yaml");
		a->file = arg;
		return CLI_EXIT_OK;
	case 'o':
		if (arg[0] == '\0')
			return usage_error("runbook docs: --out needs a directory, as in --out "
			                   "docs/library");
		a->out = arg;
		return CLI_EXIT_OK;
	case 'm':
		a->markdown = true;
		return CLI_EXIT_OK;
	default:
		return CLI_EXIT_USAGE;
	}
}

/* Asks the coordinator for name's document ("": every runbook's). */
static Rota__Envelope *
cmd_runbookdoc_fetch(session_t *s, const char *name, int *rc)
{
	Rota__RunbookDocRequest ask = ROTA__RUNBOOK_DOC_REQUEST__INIT;
	ask.name = (char *)name;
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_RUNBOOK_DOC;
	req.runbook_doc = &ask;
	Rota__Envelope *reply = NULL;
	*rc = session_call(s, &req, ROTA__RESPONSE__BODY_RUNBOOK_DOC, &reply);
	return *rc == CLI_EXIT_OK ? reply : NULL;
}

/* The coordinator's answer for one runbook, as a document: Markdown, or
 * the JSON GET /v1/runbooks/NAME serves; both from the one model. */
static int
cmd_runbookdoc_print(const Rota__Response *r, void *ctx)
{
	if (*(const bool *)ctx) {
		json_t *j = jsondoc_runbook_show(r->runbook_show);
		json_print(&j); /* jsondoc_runbook_show closes its document */
		return CLI_EXIT_OK;
	}
	runbookdoc_t *doc = runbookdoc_from_show(r->runbook_show); /* owned */
	char *md = runbookdoc_markdown(doc);
	fputs(md, stdout);
	free(md);
	runbookdoc_free(&doc);
	return CLI_EXIT_OK;
}

int
cmd_runbookdoc_show_name(session_t *s, const char *name, bool json)
{
	Rota__ShowRunbookRequest one = ROTA__SHOW_RUNBOOK_REQUEST__INIT;
	one.name = (char *)name;
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_RUNBOOK_SHOW;
	req.runbook_show = &one;
	return ask_answer(s, &req, ROTA__RESPONSE__BODY_RUNBOOK_SHOW, cmd_runbookdoc_print, &json);
}

/* --file: parsed and rendered here; errors as rota lint prints them. */
static int
cmd_runbookdoc_show_file(const char *path, bool json)
{
	runbook_errors_t errs = {0};
	runbook_t *rb = runbook_parse_file(path, &errs);
	if (rb == NULL) {
		char *text = runbook_errors_format(&errs);
		fprintf(stderr, "%s", text);
		free(text);
		runbook_errors_clear(&errs);
		return CLI_EXIT_RUN_FAILED;
	}
	runbook_errors_clear(&errs);
	runbookdoc_t *doc = runbookdoc_new(rb, NULL); /* owned */
	if (json) {
		json_t *j = json_new_object();
		runbookdoc_json(j, doc);
		json_print_object(&j);
	} else {
		char *md = runbookdoc_markdown(doc);
		fputs(md, stdout);
		free(md);
	}
	runbookdoc_free(&doc);
	runbook_destroy(&rb);
	return CLI_EXIT_OK;
}

static int
cmd_runbookdoc_show(session_t *s, int argc, char **argv)
{
	static const struct option own[] = {
	    {"file", required_argument, NULL, 'f'},
	    {"markdown", no_argument, NULL, 'm'},
	    {NULL, 0, NULL, 0},
	};
	cmd_runbookdoc_args_t a = {0};
	const options_spec_t spec = {
	    .command = "runbook show",
	    .synopsis = RUNBOOK_SHOW_SYNOPSIS,
	    .shortopts = ":h",
	    .own = own,
	    .take = cmd_runbookdoc_take,
	    .ctx = &a,
	};
	options_t o = {0};
	int done = options_parse(&spec, argc, argv, &o);
	if (done >= 0)
		return done;
	if (a.file != NULL) {
		if (optind < argc)
			return usage_error("runbook show: give a NAME or --file PATH, not both");
		return cmd_runbookdoc_show_file(a.file, o.json);
	}
	if (optind >= argc || argv[optind][0] == '\0')
		return usage_error("runbook show needs a runbook name (see 'rota runbooks'), or "
		                   "--file PATH; usage: rota runbook " RUNBOOK_SHOW_SYNOPSIS);
	if (optind + 1 < argc)
		return usage_error("runbook show takes one name, got '%s' too", argv[optind + 1]);

	if (a.markdown && o.json)
		return usage_error("runbook show: give --markdown or --json, not both");
	return cmd_runbookdoc_show_name(s, argv[optind], o.json);
}

/* Writes text to DIR/NAME; 0, or -1 having said why. */
static int
cmd_runbookdoc_write(const char *dir, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);
	int rc = outfile_write(path, text);
	free(path);
	return rc;
}

static int
cmd_runbookdoc_docs(session_t *s, int argc, char **argv)
{
	static const struct option own[] = {
	    {"out", required_argument, NULL, 'o'},
	    {NULL, 0, NULL, 0},
	};
	cmd_runbookdoc_args_t a = {0};
	const options_spec_t spec = {
	    .command = "runbook docs",
	    .synopsis = RUNBOOK_DOCS_SYNOPSIS,
	    .shortopts = ":h",
	    .no_json = true,
	    .own = own,
	    .take = cmd_runbookdoc_take,
	    .ctx = &a,
	};
	options_t o = {0};
	int done = options_parse(&spec, argc, argv, &o);
	if (done >= 0)
		return done;
	if (optind < argc)
		return usage_error(
		    "runbook docs takes no arguments, got '%s'; it writes every "
		    "runbook of the coordinator: rota runbook " RUNBOOK_DOCS_SYNOPSIS,
		    argv[optind]);
	if (a.out == NULL)
		return usage_error("runbook docs needs --out DIR, the directory to write the index "
		                   "and a page per runbook into");
	if (mkdir(a.out, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "rota: cannot make the directory %s: %s\n", a.out, strerror(errno));
		return CLI_EXIT_RUN_FAILED;
	}

	int rc;
	Rota__Envelope *reply = cmd_runbookdoc_fetch(s, "", &rc);
	if (reply == NULL)
		return rc;
	const Rota__RunbookDocResponse *resp = reply->response->runbook_doc;
	runbookdoc_entry_t *entries = xcalloc(resp->n_docs + 1, sizeof(*entries));
	size_t written = 0;
	rc = CLI_EXIT_OK;
	for (size_t i = 0; i < resp->n_docs; i++) {
		const Rota__RunbookDoc *d = resp->docs[i];
		/* A name that could leave the directory is not one the
		 * coordinator serves; refuse it rather than trust it. */
		if (d->name == NULL || d->name[0] == '\0' || d->name[0] == '.' ||
		    strchr(d->name, '/') != NULL) {
			fprintf(stderr, "rota: skipped a runbook named '%s'\n",
			        d->name != NULL ? d->name : "");
			rc = CLI_EXIT_RUN_FAILED;
			continue;
		}
		char *page = xasprintf("%s.md", d->name);
		if (cmd_runbookdoc_write(a.out, page, d->markdown) != 0)
			rc = CLI_EXIT_RUN_FAILED;
		free(page);
		entries[written++] = (runbookdoc_entry_t){
		    .name = d->name,
		    .category = d->category,
		    .description = d->description,
		    .summary = d->summary,
		};
	}
	char *index = runbookdoc_index(entries, written);
	if (cmd_runbookdoc_write(a.out, "index.md", index) != 0)
		rc = CLI_EXIT_RUN_FAILED;
	else
		printf("wrote %s/index.md and %zu runbook page%s\n", a.out, written,
		       written == 1 ? "" : "s");
	free(index);
	free(entries);
	client_reply_free(&reply);
	return rc;
}

int
cmd_runbookdoc_command(session_t *s, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "show") == 0)
		return cmd_runbookdoc_show(s, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "docs") == 0)
		return cmd_runbookdoc_docs(s, argc - 1, argv + 1);
	if (argc < 2)
		return usage_error("runbook needs a subcommand: rota runbook " RUNBOOK_SHOW_SYNOPSIS
		                   ", or rota runbook " RUNBOOK_DOCS_SYNOPSIS);
	return usage_error("unknown runbook subcommand '%s'; use 'rota runbook show NAME' or "
	                   "'rota runbook docs --out DIR' (the list is 'rota runbooks')",
	                   argv[1]);
}
