/* launchargs: see launchargs.h. */
#include "launchargs.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "usage.h"
#include "xalloc.h"

void
launchargs_init(launchargs_t *a, int argc)
{
	/* Every option takes at most one argv slot, so argc bounds both. */
	a->targets = xcalloc((size_t)argc + 1, sizeof(char *));
	a->labels = xcalloc((size_t)argc + 1, sizeof(Rota__Label));
	a->params = xcalloc((size_t)argc + 1, sizeof(Rota__Label *));
	a->file_values = xcalloc((size_t)argc + 1, sizeof(char *));
	a->ntargets = a->nparams = a->nfile_values = 0;
}

/* A param's value from a file: its text, one trailing newline dropped (as
 * `echo secret > file` leaves it). */
static char *
launchargs_read(const char *path, char **error)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		*error = xasprintf("cannot read it: %s", strerror(errno));
		return NULL;
	}
	char *buf = xmalloc(LAUNCHARGS_FILE_MAX + 1); /* owned: returned */
	size_t n = fread(buf, 1, LAUNCHARGS_FILE_MAX + 1, f);
	bool failed = ferror(f) != 0;
	fclose(f);
	if (failed || n > LAUNCHARGS_FILE_MAX) {
		*error = failed ? xstrdup("cannot read it")
		                : xasprintf("larger than %d bytes", LAUNCHARGS_FILE_MAX);
		free(buf);
		return NULL;
	}
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
	if (strlen(buf) != n) {
		*error = xstrdup("it holds a NUL byte");
		free(buf);
		return NULL;
	}
	return buf;
}

int
launchargs_take(launchargs_t *a, int ch, char *arg, const char *command)
{
	if (ch == 't') {
		if (arg[0] == '\0')
			return usage_error("%s: --target needs a worker id or label=value, as in"
			                   " --target web-1 or --target role=web",
			                   command);
		a->targets[a->ntargets++] = arg;
		return CLI_EXIT_OK;
	}
	const char *opt = ch == 'P' ? "--param-file" : "-p";
	const char *eq = strchr(arg, '=');
	if (eq == NULL || eq == arg)
		return usage_error("%s: %s needs key=%s, got '%s'; write it as %s %s=%s", command,
		                   opt, ch == 'P' ? "PATH" : "value", arg, opt,
		                   eq == NULL ? arg : "KEY", ch == 'P' ? "PATH" : "VALUE");
	char *value = (char *)eq + 1;
	if (ch == 'P') {
		char *error = NULL;
		value = launchargs_read(eq + 1, &error);
		if (value == NULL) {
			int rc = usage_error("%s: --param-file %s: %s", command, arg, error);
			free(error);
			return rc;
		}
		a->file_values[a->nfile_values++] = value;
	}
	Rota__Label *l = &a->labels[a->nparams];
	rota__label__init(l);
	l->key = xstrndup(arg, (size_t)(eq - arg));
	l->value = value;
	a->params[a->nparams++] = l;
	return CLI_EXIT_OK;
}

void
launchargs_fill(launchargs_t *a, Rota__SubmitRequest *sub)
{
	sub->n_targets = a->ntargets;
	sub->targets = a->targets;
	sub->n_params = a->nparams;
	sub->params = a->params;
}

void
launchargs_free(launchargs_t *a)
{
	for (size_t i = 0; i < a->nparams; i++)
		free(a->labels[i].key);
	free(a->labels);
	free(a->params);
	for (size_t i = 0; i < a->nfile_values; i++)
		free(a->file_values[i]);
	free(a->file_values);
	free(a->targets);
	memset(a, 0, sizeof(*a));
}
