/* launchargs: see launchargs.h. */
#include "launchargs.h"

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
	a->ntargets = a->nparams = 0;
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
	const char *eq = strchr(arg, '=');
	if (eq == NULL || eq == arg)
		return usage_error("%s: -p needs key=value, got '%s'; write it as -p %s=VALUE",
		                   command, arg, eq == NULL ? arg : "KEY");
	Rota__Label *l = &a->labels[a->nparams];
	rota__label__init(l);
	l->key = xstrndup(arg, (size_t)(eq - arg));
	l->value = (char *)eq + 1;
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
	free(a->targets);
	memset(a, 0, sizeof(*a));
}
