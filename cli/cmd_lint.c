/* cmd_lint: `rota lint [--json] FILE...`, the runbook parser on its own.
 *
 * Every file is parsed exactly as the coordinator parses it, so a file that
 * lints clean loads. The report is the command's output, so it goes to
 * stdout, as compilers and linters print diagnostics: one
 * "file:line:column: message" line per error ("file: message" for the file
 * as a whole), files in the order given, each file's errors by position,
 * then each valid file's warnings ("file:line:column: warning: message":
 * valid, but worth a second look, such as "| raw" in a command), then one
 * summary line ("ok: 3 files" or "3 files, 2 with errors", with ", N
 * warnings" when there are any). --json prints one document instead.
 * Usage errors go to stderr, as for every command. Warnings never change
 * the exit code.
 *
 * Beyond each file on its own, two files that declare one runbook name are
 * reported: a coordinator serves only the first of them. A file's
 * `runbook` steps are expanded as the coordinator expands them, with the
 * runbooks of the file's own directory (its runbook directory): an unknown
 * runbook, a param it lacks or a cycle is an error at the step.
 *
 * Must never: contact a coordinator, or exit 0 when any file has an error. */
#include "cmd_lint.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>

#include "cli.h"
#include "file.h"
#include "json.h"
#include "options.h"
#include "runbook.h"
#include "usage.h"
#include "xalloc.h"

#define LINT_SYNOPSIS "[--json] FILE..."
/* 1 is the CLI's "did not work": here, some file has an error. */
#define LINT_EXIT_ERRORS CLI_EXIT_RUN_FAILED

/* A runbook name seen so far, and which file declared it. */
typedef struct {
	char *name;
	const char *path;
	dev_t dev;
	ino_t ino;
} lint_name_t;

/* The runbooks of one directory, for a file's runbook steps: read on
 * first use, a file that does not parse left out. */
typedef struct {
	char *dir;
	char **names, **paths, **texts; /* owned, count each */
	size_t count;
} lint_dir_t;

typedef struct {
	lint_dir_t dir;
	runbook_errors_t errs;
	runbook_errors_t warnings; /* messages start with "warning: " */
	lint_name_t *names;
	size_t name_count;
	size_t files;
	size_t files_bad;
} lint_t;

/* Appends a whole-file error (line 0) in the parser's own format, so the
 * printing below treats every error alike. */
static void
cmd_lint_add_error(runbook_errors_t *errs, const char *file, char *message)
{
	errs->items = xrealloc(errs->items, (errs->count + 1) * sizeof(*errs->items));
	errs->items[errs->count++] = (runbook_error_t){
	    .file = xstrdup(file),
	    .line = 0,
	    .column = 0,
	    .message = message,
	};
}

/* The same file named twice is one file, not a clash of names. */
static void
cmd_lint_check_name(lint_t *l, const char *path, const runbook_t *rb)
{
	struct stat st;
	bool have_id = stat(path, &st) == 0;

	for (size_t i = 0; i < l->name_count; i++) {
		const lint_name_t *seen = &l->names[i];
		if (strcmp(seen->name, rb->name) != 0)
			continue;
		if (have_id && seen->dev == st.st_dev && seen->ino == st.st_ino)
			return;
		cmd_lint_add_error(
		    &l->errs, path,
		    xasprintf("runbook name '%s' is already used by %s; a coordinator "
		              "loads only one of them",
		              rb->name, seen->path));
		return;
	}
	lint_name_t *n = &l->names[l->name_count++];
	n->name = xstrdup(rb->name);
	n->path = path;
	n->dev = have_id ? st.st_dev : 0;
	n->ino = have_id ? st.st_ino : 0;
}

static void
lint_dir_clear(lint_dir_t *d)
{
	for (size_t i = 0; i < d->count; i++) {
		free(d->names[i]);
		free(d->paths[i]);
		free(d->texts[i]);
	}
	free(d->names);
	free(d->paths);
	free(d->texts);
	free(d->dir);
	memset(d, 0, sizeof(*d));
}

static void
lint_dir_read(lint_dir_t *d, const char *dir)
{
	lint_dir_clear(d);
	d->dir = xstrdup(dir);
	DIR *dh = opendir(dir);
	struct dirent *de;
	while (dh != NULL && (de = readdir(dh)) != NULL) {
		size_t n = strlen(de->d_name);
		if (de->d_name[0] == '.' || !((n > 5 && strcmp(de->d_name + n - 5, ".yaml") == 0) ||
		                              (n > 4 && strcmp(de->d_name + n - 4, ".yml") == 0)))
			continue;
		/* Named as the file given was: "b.yaml" beside "a.yaml". */
		char *path = strcmp(dir, ".") == 0 ? xstrdup(de->d_name)
		                                   : xasprintf("%s/%s", dir, de->d_name);
		char *text = NULL;
		size_t len = 0;
		struct stat st;
		runbook_t *rb = NULL;
		if (file_read_all(path, RUNBOOK_MAX_FILE_BYTES, 0, &text, &len, &st) == FILE_OK)
			rb = runbook_parse_string(text, len, path, NULL);
		if (rb == NULL) {
			free(path);
			free(text);
			continue;
		}
		d->names = xrealloc(d->names, (d->count + 1) * sizeof(char *));
		d->paths = xrealloc(d->paths, (d->count + 1) * sizeof(char *));
		d->texts = xrealloc(d->texts, (d->count + 1) * sizeof(char *));
		d->names[d->count] = xstrdup(rb->name);
		d->paths[d->count] = path;
		d->texts[d->count] = text;
		d->count++;
		runbook_destroy(&rb);
	}
	if (dh != NULL)
		closedir(dh);
}

/* runbook_expand's resolver: a runbook of the directory, by name. */
static const char *
lint_resolve(void *ctx, const char *name, const char **path)
{
	const lint_dir_t *d = ctx;
	for (size_t i = 0; i < d->count; i++) {
		if (strcmp(d->names[i], name) == 0) {
			*path = d->paths[i];
			return d->texts[i];
		}
	}
	return NULL;
}

/* Expands rb's runbook steps with the runbooks beside path. */
static void
cmd_lint_expand(lint_t *l, const char *path, runbook_t *rb)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash != NULL ? xasprintf("%.*s", (int)(slash - path), path) : xstrdup(".");
	if (slash == path) {
		free(dir);
		dir = xstrdup("/");
	}
	if (l->dir.dir == NULL || strcmp(l->dir.dir, dir) != 0)
		lint_dir_read(&l->dir, dir);
	free(dir);
	runbook_expand(rb, lint_resolve, &l->dir, &l->errs);
}

static void
cmd_lint_one(lint_t *l, const char *path)
{
	size_t before = l->errs.count;
	runbook_t *rb = runbook_parse_file(path, &l->errs);

	char *skip_err = NULL;
	if (rb != NULL && runbook_skip_file_load(rb, path, &skip_err) != 0) {
		runbook_errors_t *es = &l->errs;
		es->items = xrealloc(es->items, (es->count + 1) * sizeof(*es->items));
		es->items[es->count++] = (runbook_error_t){
		    .file = xstrdup(path),
		    .line = rb->schedule.skip_file_mark.line,
		    .column = rb->schedule.skip_file_mark.column,
		    .message = skip_err,
		};
	}
	if (rb != NULL && runbook_has_calls(rb))
		cmd_lint_expand(l, path, rb);
	if (rb != NULL) {
		cmd_lint_check_name(l, path, rb);
		for (size_t i = 0; i < rb->warnings.count; i++) {
			const runbook_error_t *w = &rb->warnings.items[i];
			runbook_errors_t *ws = &l->warnings;
			ws->items = xrealloc(ws->items, (ws->count + 1) * sizeof(*ws->items));
			ws->items[ws->count++] = (runbook_error_t){
			    .file = xstrdup(w->file),
			    .line = w->line,
			    .column = w->column,
			    .message = xasprintf("warning: %s", w->message),
			};
		}
	}
	runbook_destroy(&rb);
	l->files++;
	if (l->errs.count > before)
		l->files_bad++;
}

static void
cmd_lint_print_text(const lint_t *l)
{
	char *out = runbook_errors_format(&l->errs);
	char *warn = runbook_errors_format(&l->warnings);

	fputs(out, stdout);
	fputs(warn, stdout);
	free(out);
	free(warn);
	if (l->files_bad == 0)
		printf("ok: %zu file%s", l->files, l->files == 1 ? "" : "s");
	else
		printf("%zu file%s, %zu with errors", l->files, l->files == 1 ? "" : "s",
		       l->files_bad);
	if (l->warnings.count > 0)
		printf(", %zu warning%s", l->warnings.count, l->warnings.count == 1 ? "" : "s");
	putchar('\n');
}

/* [{"file", "line", "column", "message"}, ...], each message without its
 * first skip bytes (the "warning: " of a warning). */
static void
cmd_lint_json_list(json_t *j, const runbook_errors_t *list, size_t skip)
{
	json_array_begin(j);
	for (size_t i = 0; i < list->count; i++) {
		const runbook_error_t *e = &list->items[i];
		json_object_begin(j);
		json_member_string(j, "file", e->file);
		json_member_int(j, "line", e->line);
		json_member_int(j, "column", e->column);
		json_member_string(j, "message", e->message + skip);
		json_object_end(j);
	}
	json_array_end(j);
}

/* {"ok": bool, "files": N, "files_with_errors": M,
 *  "errors": [{"file", "line", "column", "message"}], "warnings": [...]};
 * line and column are 0 for an error about the file as a whole. */
static void
cmd_lint_print_json(const lint_t *l)
{
	json_t *j = json_new_object();
	json_member_bool(j, "ok", l->files_bad == 0);
	json_member_uint(j, "files", l->files);
	json_member_uint(j, "files_with_errors", l->files_bad);
	json_key(j, "errors");
	cmd_lint_json_list(j, &l->errs, 0);
	json_key(j, "warnings");
	cmd_lint_json_list(j, &l->warnings, strlen("warning: "));
	json_print_object(&j);
}

int
cmd_lint_files(session_t *s, int argc, char **argv)
{
	bool json;

	(void)s;
	int rc = options_json_only("lint", LINT_SYNOPSIS, argc, argv, &json);
	if (rc >= 0)
		return rc;
	if (optind >= argc)
		return usage_error("lint: no files given; usage: rota lint " LINT_SYNOPSIS);

	lint_t l = {0};
	l.names = xcalloc((size_t)(argc - optind), sizeof(*l.names));
	for (int i = optind; i < argc; i++)
		cmd_lint_one(&l, argv[i]);
	if (json)
		cmd_lint_print_json(&l);
	else
		cmd_lint_print_text(&l);

	rc = l.files_bad == 0 ? CLI_EXIT_OK : LINT_EXIT_ERRORS;
	for (size_t i = 0; i < l.name_count; i++)
		free(l.names[i].name);
	free(l.names);
	lint_dir_clear(&l.dir);
	runbook_errors_clear(&l.errs);
	runbook_errors_clear(&l.warnings);
	return rc;
}
