/* runbook/step_metric: the metric_check step kind: one Prometheus metric
 * (with label matchers) compared with a value; run by the worker's
 * rota-check helper. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static const char *const keys_metric[] = {"url", "metric", "op", "value", "timeout"};
static const char *const names_op[] = {"<", "<=", ">", ">=", "==", "!="};

void
step_metric_parse(check_t *c, const yamltree_node_t *v, runbook_step_t *s, const step_ctx_t *sc)
{
	char where[WHERE_LEN];

	if (!runbook_type_map(c, v, s, sc, "metric_check", keys_metric, COUNT_OF(keys_metric),
	                      where, sizeof(where)))
		return;
	s->url = runbook_field_text(c, v, "url", true, where);
	s->metric = runbook_field_text(c, v, "metric", true, where);
	if (yamltree_map_get(v, "op") == NULL)
		yamltree_report_add(c->r, v->mark, "%s has no 'op'", where);
	s->op = runbook_field_enum(c, v, "op", names_op, COUNT_OF(names_op));
	s->value = runbook_field_text(c, v, "value", true, where);
}

/* Splits 'name{k="v",...}' into the spec's name and labels, all owned by
 * r. */
static void
render_metric(render_t *r, const char *text, Rota__MetricCheckSpec *m)
{
	const char *v = render_field(r, "metric", text);
	char *name = NULL;
	runbook_kv_t *labels = NULL;
	size_t n = 0;
	if (v == NULL)
		return;
	if (runbook_metric_parse(v, &name, &labels, &n) != 0) {
		render_fail(r, "'metric' is '%s', not a name with optional {k=\"v\"} labels", v);
		return;
	}
	strlist_add(&r->owned, name);
	m->metric = name;
	m->labels = render_alloc(r, (n + 1) * sizeof(*m->labels));
	for (size_t i = 0; i < n; i++) {
		Rota__Label *lab = render_alloc(r, sizeof(*lab));
		rota__label__init(lab);
		strlist_add(&r->owned, labels[i].key);
		strlist_add(&r->owned, labels[i].value);
		lab->key = labels[i].key;
		lab->value = labels[i].value;
		m->labels[m->n_labels++] = lab;
	}
	free(labels);
}

void
step_metric_render(render_t *r, const runbook_step_t *step, Rota__StepSpec *ss)
{
	Rota__MetricCheckSpec *metric = render_alloc(r, sizeof(*metric));

	rota__metric_check_spec__init(metric);
	metric->url = (char *)render_field(r, "url", step->url);
	render_metric(r, step->metric, metric);
	metric->op = (char *)render(r, step->op);
	metric->value = render_double(r, "value", step->value);
	ss->kind_case = ROTA__STEP_SPEC__KIND_METRIC_CHECK;
	ss->metric_check = metric;
}

size_t
step_metric_texts(const runbook_step_t *s, const char **out)
{
	out[0] = s->url;
	out[1] = s->metric;
	out[2] = s->op;
	out[3] = s->value;
	return 4;
}

void
step_metric_phrase(const runbook_step_t *s, runbook_phrase_t *out)
{
	runbook_phrase_words(out, "checks that ");
	runbook_phrase_code(out, s->metric);
	runbook_phrase_words(out, " ");
	runbook_phrase_words(out, s->op != NULL ? s->op : "?");
	runbook_phrase_words(out, " ");
	runbook_phrase_words(out, s->value != NULL ? s->value : "?");
	runbook_phrase_words(out, " at ");
	runbook_phrase_code(out, s->url);
}
