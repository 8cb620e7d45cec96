/* launcher_internal.h: what launcher.c and launcher_params.c share, and
 * nothing else may use (the module's API is launcher.h). */
#ifndef ROTA_LAUNCHER_INTERNAL_H
#define ROTA_LAUNCHER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "launcher.h"
#include "strlist.h"
#include "template.h"

/* Template variables: params.*, run.id, host.id, host.labels.*, alert.*.
 * Every name and value is owned by `owned`. */
typedef struct {
	template_var_t *vars;
	size_t count;
	strlist_t owned;
} vars_t;

void launcher_params_var_secret(vars_t *v, const char *name, const char *value, bool secret);
void launcher_params_var(vars_t *v, const char *name, const char *value);
/* Wipes secret values, frees all, leaves v empty. */
void launcher_params_vars_free(vars_t *v);
/* The value of name, borrowed; NULL when v has none. */
const char *launcher_params_var_get(const vars_t *v, const char *name);

/* Where a param's value came from, weakest first: a later one wins. */
typedef enum {
	SOURCE_NONE = 0,
	SOURCE_DEFAULT, /* the runbook file */
	SOURCE_VARS,    /* the configuration's vars (fleetvars.h), per host */
	SOURCE_ALERT,   /* the alert's label (from_alert) */
	SOURCE_GIVEN,   /* -p */
} source_rank_t;

/* One declared param's value for the whole run, before vars. */
typedef struct {
	const runbook_param_t *p; /* borrowed from the runbook */
	const char *value;        /* borrowed from the request or the runbook; NULL: none yet */
	source_rank_t rank;
	char *source; /* owned: "default", "alert (label mountpoint)", "-p" */
} param_value_t;

/* A run's params and alert values as the launcher resolves them. */
typedef struct {
	param_value_t *values; /* owned: one per declared param, in order */
	size_t count;
	vars_t alert;    /* alert.* template vars, from the alert or -p */
	strlist_t lines; /* for `rota show`: "NAME=VALUE\tSOURCE[\tHOST]" */
	size_t host_lines, host_lines_dropped;
} params_t;

/* Checks the request's -p against the runbook (declared params, or alert
 * values of a runbook with triggers) and resolves every param's run-wide
 * value: the default, then the alert's label (from_alert), then -p. 0, or
 * -1 with *error (the caller frees). */
int launcher_params_resolve(const launch_t *req, params_t *ps, char **error);
/* Adds host w's params.* to into: the run-wide value, or the vars' value
 * for w where nothing stronger than the default gave one; each checked
 * against its type. 0, or -1 with *error. */
int launcher_params_host(const launcher_t *l, const launch_t *req, params_t *ps, const worker_t *w,
                         vars_t *into, char **error);
/* The lines for the store: "NAME=VALUE\tSOURCE[\tHOST]\n" each; the
 * caller frees. */
char *launcher_params_text(const params_t *ps);
void launcher_params_free(params_t *ps);

/* The vars of a host for each call of a runbook step (runbook_frame_t),
 * built when a step of it is rendered. */
typedef struct {
	vars_t *vars; /* owned: frames[k - 1]'s */
	bool *built;  /* owned */
	size_t count;
} frame_vars_t;
/* The vars step renders with: host's own, or, for a step of a called
 * runbook, host's with params.* the called runbook's (borrowed from host
 * or fv), each said once in ps's lines for host_id ("cleanup.path").
 * NULL with *error (the caller frees) when a param's value does not
 * render or fit its type. */
const vars_t *launcher_frame_vars(const runbook_t *rb, const runbook_step_t *step,
                                  const vars_t *host, frame_vars_t *fv, params_t *ps,
                                  const char *host_id, char **error);
void launcher_frame_vars_free(frame_vars_t *fv);

/* The services of l, for launcher_params.c. */
services_t *launcher_services(const launcher_t *l);

#endif
