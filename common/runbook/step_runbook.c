/* runbook/step_runbook: the runbook step kind, `runbook: NAME` with
 * `params: {P: VALUE}` beside it: another runbook of the catalog run on the
 * same hosts with those params. It never runs as itself: runbook_expand
 * (compose.c) splices the called runbook's steps in its place when the
 * runbook is loaded, so what runs are ordinary steps. Here: its syntax. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* params: {NAME: VALUE}: each value a scalar, which may be a template in
 * this runbook's context (checked here; against the called runbook's
 * params when it is expanded). */
static void
check_call_params(check_t *c, const yamltree_node_t *v, runbook_step_t *s)
{
	if (v->kind != YAMLTREE_MAPPING) {
		yamltree_report_add(c->r, v->mark,
		                    "'params' of a runbook step must be a mapping of the called "
		                    "runbook's params (NAME: VALUE), not %s",
		                    yamltree_kind_name(v));
		return;
	}
	s->call_params = xcalloc(v->count / 2 + 1, sizeof(*s->call_params));
	for (size_t i = 0; i + 1 < v->count; i += 2) {
		const yamltree_node_t *k = v->kids[i], *val = v->kids[i + 1];
		if (!yamltree_is_text(val)) {
			yamltree_report_add(
			    c->r, val->mark,
			    "param '%s' must be a value (text, number or true/false), "
			    "not %s",
			    yamltree_shown(k->text).s, yamltree_kind_name(val));
			continue;
		}
		if (runbook_text_templated(val->text))
			/* A secret would reach the called runbook's checks and
			 * messages unmasked: refused like any check field. */
			runbook_tmpl_check_rule(c, val, k->text, val->text, SECRET_REFUSED);
		s->call_params[s->call_param_count].key = xstrdup(k->text);
		s->call_params[s->call_param_count].value = xstrdup(val->text);
		s->call_param_count++;
	}
}

void
step_runbook_parse(check_t *c, const yamltree_node_t *v, runbook_step_t *s, const step_ctx_t *sc)
{
	if (!yamltree_is_text(v)) {
		yamltree_report_add(
		    c->r, v->mark,
		    "'runbook' of %s must be the name of the runbook it runs, not %s", sc->label,
		    yamltree_kind_name(v));
		return;
	}
	if (!runbook_name_valid(v->text, CHARS_RUNBOOK_NAME, RUNBOOK_MAX_NAME_LEN, false)) {
		yamltree_report_add(c->r, v->mark,
		                    "'runbook' of %s must be a runbook's name (1 to %d of A-Z a-z "
		                    "0-9 . _ -), not '%s'",
		                    sc->label, RUNBOOK_MAX_NAME_LEN, yamltree_shown(v->text).s);
		return;
	}
	s->call = xstrdup(v->text);
	const yamltree_node_t *params =
	    sc->step != NULL ? yamltree_map_get(sc->step, "params") : NULL;
	if (params != NULL)
		check_call_params(c, params, s);
}

/* Reached only for a runbook that was not expanded (a bug, or a file
 * checked without a catalog): a spec that says so, never a wrong one. */
void
step_runbook_render(render_t *r, const runbook_step_t *s, Rota__StepSpec *ss)
{
	(void)ss;
	render_fail(r, "it calls runbook %s, which was not expanded into its steps", s->call);
}

size_t
step_runbook_texts(const runbook_step_t *s, const char **out)
{
	out[0] = s->call;
	return 1;
}

/* Read alone (a file not expanded): what it runs, with what. */
void
step_runbook_phrase(const runbook_step_t *s, runbook_phrase_t *out)
{
	runbook_phrase_words(out, "runs the steps of runbook ");
	runbook_phrase_code(out, s->call);
	for (size_t i = 0; i < s->call_param_count; i++) {
		runbook_phrase_words(out, i == 0 ? " with " : ", ");
		runbook_phrase_code(out, s->call_params[i].key);
		runbook_phrase_words(out, " = ");
		runbook_phrase_code(out, s->call_params[i].value);
	}
}
