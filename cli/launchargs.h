/* launchargs: the --target, -p key=value and --param-file key=PATH options
 * that start a run (rota submit, rota incident open), gathered into what a
 * SubmitRequest carries. --param-file keeps a secret off the command line,
 * where `ps` would show it to every user of the operator's machine. */
#ifndef ROTA_LAUNCHARGS_H
#define ROTA_LAUNCHARGS_H

#include <stddef.h>

#include "rota.pb-c.h"

/* A --param-file holds one value, not a document. */
#define LAUNCHARGS_FILE_MAX (64 * 1024)

typedef struct {
	char **targets; /* owned array; the strings are argv's */
	size_t ntargets;
	Rota__Label *labels; /* owned: the params' storage; each key owned, value argv's
	                      * (or one of file_values) */
	char **file_values;  /* owned, each owned: what --param-file read */
	size_t nfile_values;
	Rota__Label **params; /* owned array of pointers into labels */
	size_t nparams;
} launchargs_t;

/* Room for every option of a command line of argc words. */
void launchargs_init(launchargs_t *a, int argc);
/* Takes option ch ('t', 'p' or 'P' for --param-file) with its argument for
 * command ("submit"): CLI_EXIT_OK, or a usage error reported (its exit
 * code). */
int launchargs_take(launchargs_t *a, int ch, char *arg, const char *command);
/* Points sub's targets and params at a's (a keeps them). */
void launchargs_fill(launchargs_t *a, Rota__SubmitRequest *sub);
void launchargs_free(launchargs_t *a);

#endif
