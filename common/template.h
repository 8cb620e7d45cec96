/* template: expands "{{ params.x }}", "{{ host.id }}", "{{ run.id }}" ...
 *
 * Names are looked up in a flat list of (name, value) pairs the caller
 * builds ("params.x" -> "20"). An unknown name, an unclosed "{{" or an empty
 * name is an error naming the problem, never a silent empty string.
 *
 * Syntax: "{{", optional spaces or tabs, the name, optional spaces or tabs,
 * "}}". Text outside "{{ }}" is copied as is (a lone "}}" included). There
 * is no escape for a literal "{{" yet. */
#ifndef ROTA_TEMPLATE_H
#define ROTA_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
	const char *name;
	const char *value;
	/* A param marked `secret: true`: its value is never copied into the
	 * text (see the two render modes below). */
	bool secret;
} template_var_t;

/* What a secret var becomes in the rendered text. */
typedef enum {
	/* "****": for texts that are stored, logged or sent (notify
	 * messages, manual prompts). The safe default. */
	TEMPLATE_SECRET_MASK = 0,
	/* "\"${ROTA_SECRET_<param>}\"": a reference the shell expands at run
	 * time from the step's environment, quoted so the value stays one
	 * word; for a shell step's `run`, so the value is never in a command
	 * line (ps, /proc/PID/cmdline) nor in the stored spec. */
	TEMPLATE_SECRET_ENV_REF,
} template_secret_mode_t;

#define TEMPLATE_SECRET_MASK_TEXT "****"
#define TEMPLATE_SECRET_ENV_PREFIX "ROTA_SECRET_"

/* Returns the expanded text (the caller frees) or NULL with *error set to a
 * message the caller frees ("unknown name 'params.foo' in template").
 * Secret vars render as TEMPLATE_SECRET_MASK_TEXT. */
char *template_render(const char *text, const template_var_t *vars, size_t var_count, char **error);

/* As template_render, with secret vars rendered by mode. */
char *template_render_secret(const char *text, const template_var_t *vars, size_t var_count,
                             template_secret_mode_t mode, char **error);

/* The environment variable that carries secret var name ("params.token"
 * -> "ROTA_SECRET_token"; a name without "params." keeps it all). The
 * caller frees. */
char *template_secret_env_name(const char *var_name);

/* Calls fn(ctx, name) for every "{{ name }}" in text, in order, without
 * expanding anything: the runbook parser uses it to check names at parse
 * time. name is borrowed for the duration of the call.
 * Returns 0 when every name was visited; the first nonzero value fn returns
 * (which stops the walk; *error stays NULL); or -1 with *error set to a
 * message the caller frees for a syntax error (unclosed "{{", empty name).
 * Names before a syntax error have already been passed to fn. */
int template_names(const char *text, int (*fn)(void *ctx, const char *name), void *ctx,
                   char **error);

#endif
