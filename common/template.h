/* template: expands "{{ params.x }}", "{{ host.id }}", "{{ run.id }}" ...
 *
 * Names are looked up in a flat list of (name, value) pairs the caller
 * builds ("params.x" -> "20"). An unknown name, an unclosed "{{" or an empty
 * name is an error naming the problem, never a silent empty string.
 *
 * Syntax: "{{", optional spaces or tabs, the name, optional spaces or tabs,
 * optionally "|" and a filter, "}}". The one filter is "raw" (in a shell
 * step's run only: the value pasted as shell, unquoted; see
 * TEMPLATE_SHELL). Text outside "{{ }}" is copied as is (a lone "}}"
 * included). There is no escape for a literal "{{" yet. */
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

/* How values are written into the text. */
typedef enum {
	/* As they are, with secret vars as "****": for texts that are
	 * stored, logged or sent (notify messages, manual prompts, check
	 * fields). The safe default. */
	TEMPLATE_SECRET_MASK = 0,
	/* A shell step's `run`: every value becomes exactly one shell word,
	 * quoted by rota (shellword_quote), so no value can change the
	 * command's structure; a secret var becomes "${ROTA_SECRET_<param>}"
	 * in double quotes, a reference the shell expands at run time from
	 * the step's environment, so the value is never in a command line
	 * (ps, /proc/PID/cmdline) nor in the stored spec. "{{ x | raw }}" of a
	 * var that is not secret is pasted as it is. A template that is not a
	 * plain word of the command (inside quotes, a comment, a
	 * here-document: shellword.h) is an error: the runbook parser refuses
	 * those, and the renderer refuses them again rather than trust it. */
	TEMPLATE_SHELL,
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

/* One "{{ name }}" in a text, as the scanner found it. */
typedef struct {
	const char *name; /* borrowed for the duration of the call */
	bool raw;         /* written "{{ name | raw }}" */
	size_t offset;    /* of its "{{" in the text, in bytes */
	size_t length;    /* from "{{" through "}}" */
} template_ref_t;

/* Calls fn(ctx, ref) for every template in text, in order, without
 * expanding anything: the runbook parser uses it to check names and places
 * at parse time.
 * Returns 0 when every template was visited; the first nonzero value fn
 * returns (which stops the walk; *error stays NULL); or -1 with *error set
 * to a message the caller frees for a syntax error (unclosed "{{", empty
 * name, unknown filter). Templates before a syntax error have already been
 * passed to fn. */
int template_each(const char *text, int (*fn)(void *ctx, const template_ref_t *ref), void *ctx,
                  char **error);

/* As template_each, with the name only. */
int template_names(const char *text, int (*fn)(void *ctx, const char *name), void *ctx,
                   char **error);

#endif
