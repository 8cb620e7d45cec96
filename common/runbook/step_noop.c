/* runbook/step_noop: the noop step kind: does nothing; a worker only has
 * to see it (a gate for 'when', a check that a host answers). */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static const char *const keys_noop[] = {"timeout"};

/* noop does nothing: "noop:", "noop: true", or "noop: {}" (which may hold
 * a timeout, like every type's mapping). */
void
step_noop_parse(check_t *c, const yamltree_node_t *v, runbook_step_t *s, const step_ctx_t *sc)
{
	char where[WHERE_LEN];

	if (yamltree_is_null(v) ||
	    (v->kind == YAMLTREE_SCALAR && v->plain && strcmp(v->text, "true") == 0))
		return;
	if (v->kind == YAMLTREE_MAPPING) {
		runbook_type_map(c, v, s, sc, "noop", keys_noop, COUNT_OF(keys_noop), where,
		                 sizeof(where));
		return;
	}
	if (v->kind == YAMLTREE_SCALAR)
		yamltree_report_add(c->r, v->mark, "'noop' must be empty, {} or true, not '%s'",
		                    yamltree_shown(v->text).s);
	else
		yamltree_report_add(c->r, v->mark, "'noop' must be empty, {} or true, not %s",
		                    yamltree_kind_name(v));
}

void
step_noop_render(render_t *r, const runbook_step_t *step, Rota__StepSpec *ss)
{
	Rota__NoopSpec *noop = render_alloc(r, sizeof(*noop));

	(void)step;
	rota__noop_spec__init(noop);
	ss->kind_case = ROTA__STEP_SPEC__KIND_NOOP;
	ss->noop = noop;
}

size_t
step_noop_texts(const runbook_step_t *s, const char **out)
{
	(void)s;
	(void)out;
	return 0;
}

void
step_noop_phrase(const runbook_step_t *s, runbook_phrase_t *out)
{
	(void)s;
	runbook_phrase_words(out, "does nothing on the host (a marker in the run)");
}
