/* launchargs: see launchargs.h. */
#include "launchargs.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "file.h"
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
	char *buf = NULL; /* owned: returned */
	size_t n = 0;
	/* FILE_ANY_KIND: a FIFO or /dev/stdin is read to its end too. */
	switch (file_read_all(path, LAUNCHARGS_FILE_MAX, FILE_ANY_KIND, &buf, &n, NULL)) {
	case FILE_OK:
		break;
	case FILE_ERR_OPEN:
		*error = xasprintf("cannot read it: %s", strerror(errno));
		return NULL;
	case FILE_ERR_TOO_LARGE:
		*error = xasprintf("larger than %d bytes", LAUNCHARGS_FILE_MAX);
		return NULL;
	default:
		*error = xstrdup("cannot read it");
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
