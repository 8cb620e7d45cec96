/* runbook/step_shell: the shell step kind: a command (with its env and
 * workdir) the worker runs under /bin/sh. Every template in the command is
 * one shell word quoted by rota; a secret reaches it only through the
 * environment (secret_env), never in the spec's text. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static const char *const keys_shell[] = {"run", "timeout", "env", "workdir"};

static void
check_env(check_t *c, const yamltree_node_t *v, runbook_step_t *s)
{
	if (yamltree_is_null(v))
		return;
	if (v->kind != YAMLTREE_MAPPING) {
		yamltree_report_add(c->r, v->mark, "'env' must be a mapping of NAME: value, not %s",
		                    yamltree_kind_name(v));
		return;
	}
	s->env = xcalloc(v->count / 2 + 1, sizeof(*s->env));
	for (size_t i = 0; i + 1 < v->count; i += 2) {
		const yamltree_node_t *k = v->kids[i];
		const yamltree_node_t *val = v->kids[i + 1];
		if (!runbook_name_valid(k->text, CHARS_IDENT, MAX_ENV_NAME_LEN, true)) {
			yamltree_report_add(
			    c->r, k->mark,
			    "environment variable name '%s' is not valid (a letter or _, "
			    "then letters, digits or _)",
			    yamltree_shown(k->text).s);
			continue;
		}
		char *value = runbook_want_string(c, val, k->text);
		if (value == NULL)
			continue;
		runbook_tmpl_check_rule(c, val, k->text, value, SECRET_WHOLE_VALUE);
		s->env[s->env_count].key = xstrdup(k->text);
		s->env[s->env_count].value = value;
		s->env_count++;
	}
}

void
step_shell_parse(check_t *c, const yamltree_node_t *v, runbook_step_t *s, const step_ctx_t *sc)
{
	char where[WHERE_LEN];
	const yamltree_node_t *run = v;

	if (v->kind == YAMLTREE_MAPPING) {
		runbook_type_map(c, v, s, sc, "shell", keys_shell, COUNT_OF(keys_shell), where,
		                 sizeof(where));
		run = yamltree_map_get(v, "run");
		if (run == NULL)
			yamltree_report_add(c->r, v->mark, "shell of %s has no 'run'", sc->label);
		const yamltree_node_t *env = yamltree_map_get(v, "env");
		if (env != NULL)
			check_env(c, env, s);
		const yamltree_node_t *wd = yamltree_map_get(v, "workdir");
		if (wd != NULL) {
			s->workdir = runbook_want_string(c, wd, "workdir");
			if (s->workdir != NULL && s->workdir[0] == '\0')
				yamltree_report_add(c->r, wd->mark, "'workdir' is empty");
			else if (s->workdir != NULL)
				runbook_tmpl_check(c, wd, "workdir", s->workdir);
		}
	} else if (!yamltree_is_text(v)) {
		yamltree_report_add(
		    c->r, v->mark,
		    "'shell' must be a command or a mapping (run, timeout, env, workdir), "
		    "not %s",
		    yamltree_kind_name(v));
		return;
	}
	if (run == NULL)
		return;
	s->run = runbook_want_string(c, run, "run");
	if (s->run == NULL)
		return;
	if (runbook_text_blank(s->run)) {
		yamltree_report_add(c->r, run->mark, "'run' is empty");
		return;
	}
	runbook_tmpl_check(c, run, "run", s->run);
}

void
step_shell_render(render_t *r, const runbook_step_t *step, Rota__StepSpec *ss)
{
	Rota__ShellSpec *shell = render_alloc(r, sizeof(*shell));
	Rota__Label *env = render_alloc(r, (step->env_count + 1) * sizeof(*env));
	Rota__Label **envp = render_alloc(r, (step->env_count + 1) * sizeof(*envp));

	rota__shell_spec__init(shell);
	/* Every value in the command is one quoted word, a secret a
	 * reference to its variable; a secret env value moves to
	 * secret_env whole
	 * (the parser allows it only as the whole value). */
	shell->run = (char *)render_shell(r, step->run);
	strlist_t refs = {0};
	render_secret_refs(r, step->run, &refs);
	for (size_t i = 0; i < refs.count; i++) {
		char *var = template_secret_env_name(refs.items[i]);
		render_secret_env_add(r, ss, var, refs.items[i]);
		free(var);
	}
	strlist_free(&refs);
	shell->workdir = step->workdir ? (char *)render(r, step->workdir) : (char *)"";
	size_t n = 0;
	for (size_t i = 0; i < step->env_count; i++) {
		strlist_t names = {0};
		render_secret_refs(r, step->env[i].value, &names);
		if (names.count > 0) {
			render_secret_env_add(r, ss, step->env[i].key, names.items[0]);
			strlist_free(&names);
			continue;
		}
		rota__label__init(&env[n]);
		env[n].key = step->env[i].key;
		env[n].value = (char *)render(r, step->env[i].value);
		envp[n] = &env[n];
		n++;
	}
	shell->n_env = n;
	shell->env = envp;
	ss->kind_case = ROTA__STEP_SPEC__KIND_SHELL;
	ss->shell = shell;
}

/* env values are texts too, but kept apart (runbook_step_t.env). */
size_t
step_shell_texts(const runbook_step_t *s, const char **out)
{
	out[0] = s->run;
	out[1] = s->workdir;
	return 2;
}

void
step_shell_phrase(const runbook_step_t *s, runbook_phrase_t *out)
{
	runbook_phrase_words(out, "runs ");
	runbook_phrase_code(out, s->run != NULL ? s->run : "");
	out->parts[out->count - 1].lang = "sh";
}
