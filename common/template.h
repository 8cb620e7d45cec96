/* template: expands "{{ params.x }}", "{{ host.id }}", "{{ run.id }}" ...
 *
 * Names are looked up in a flat list of (name, value) pairs the caller
 * builds ("params.x" -> "20"). An unknown name, an unclosed "{{" or an empty
 * name is an error naming the problem, never a silent empty string. */
#ifndef ROTA_TEMPLATE_H
#define ROTA_TEMPLATE_H

#include <stddef.h>

typedef struct {
	const char *name;
	const char *value;
} template_var_t;

/* Returns the expanded text (the caller frees) or NULL with *error set to a
 * message the caller frees ("unknown name 'params.foo' in template"). */
char *template_render(const char *text, const template_var_t *vars, size_t var_count,
		      char **error);

#endif
