/* runbook/step_promql: the promql_check step kind: a PromQL query asked of
 * a Prometheus server, op and value applied to each series of its answer
 * (or to its scalar); run by the worker's rota-check helper. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static const char *const keys_promql[] = {"url", "query", "op", "value", "match", "timeout"};
static const char *const names_op[] = {"<", "<=", ">", ">=", "==", "!="};
static const char *const names_match[] = {"all", "any"};

void
step_promql_parse(check_t *c, const yamltree_node_t *v, runbook_step_t *s, const step_ctx_t *sc)
{
	char where[WHERE_LEN];

	if (!runbook_type_map(c, v, s, sc, "promql_check", keys_promql, COUNT_OF(keys_promql),
	                      where, sizeof(where)))
		return;
	s->url = runbook_field_text(c, v, "url", true, where); /* its rule: http(s) */
	s->query = runbook_field_text(c, v, "query", true, where);
	if (yamltree_map_get(v, "op") == NULL)
		yamltree_report_add(c->r, v->mark, "%s has no 'op'", where);
	s->op = runbook_field_enum(c, v, "op", names_op, COUNT_OF(names_op));
	s->value = runbook_field_text(c, v, "value", true, where);
	s->match = runbook_field_enum(c, v, "match", names_match, COUNT_OF(names_match));
}

void
step_promql_render(render_t *r, const runbook_step_t *step, Rota__StepSpec *ss)
{
	Rota__PromqlCheckSpec *m = render_alloc(r, sizeof(*m));

	rota__promql_check_spec__init(m);
	m->url = (char *)render_field(r, "url", step->url);
	m->query = (char *)render(r, step->query);
	m->op = (char *)render(r, step->op);
	m->value = render_double(r, "value", step->value);
	m->match = step->match ? (char *)render(r, step->match) : (char *)"all";
	ss->kind_case = ROTA__STEP_SPEC__KIND_PROMQL_CHECK;
	ss->promql_check = m;
}

size_t
step_promql_texts(const runbook_step_t *s, const char **out)
{
	out[0] = s->url;
	out[1] = s->query;
	out[2] = s->op;
	out[3] = s->value;
	out[4] = s->match;
	return 5;
}

void
step_promql_phrase(const runbook_step_t *s, runbook_phrase_t *out)
{
	runbook_phrase_words(out, "checks that the PromQL query ");
	runbook_phrase_code(out, s->query);
	runbook_phrase_words(out, " at ");
	runbook_phrase_code(out, s->url);
	runbook_phrase_words(out, s->match != NULL && strcmp(s->match, "any") == 0
	                              ? " gives a series "
	                              : " gives every series ");
	runbook_phrase_words(out, s->op != NULL ? s->op : "?");
	runbook_phrase_words(out, " ");
	runbook_phrase_words(out, s->value != NULL ? s->value : "?");
}
