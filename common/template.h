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

#include <stddef.h>

typedef struct {
	const char *name;
	const char *value;
} template_var_t;

/* Returns the expanded text (the caller frees) or NULL with *error set to a
 * message the caller frees ("unknown name 'params.foo' in template"). */
char *template_render(const char *text, const template_var_t *vars, size_t var_count, char **error);

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
