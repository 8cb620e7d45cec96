/* runbook/step_manual: the manual step kind: a prompt a person answers
 * with rota approve or rota reject; run by the coordinator itself. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static const char *const keys_manual[] = {"prompt", "timeout"};

void
step_manual_parse(check_t *c, const yamltree_node_t *v, runbook_step_t *s, const step_ctx_t *sc)
{
	char where[WHERE_LEN];

	if (!runbook_type_map(c, v, s, sc, "manual", keys_manual, COUNT_OF(keys_manual), where,
	                      sizeof(where)))
		return;
	s->prompt = runbook_field_text(c, v, "prompt", true, where);
}

void
step_manual_render(render_t *r, const runbook_step_t *step, Rota__StepSpec *ss)
{
	Rota__ManualSpec *manual = render_alloc(r, sizeof(*manual));

	rota__manual_spec__init(manual);
	manual->prompt = (char *)render(r, step->prompt);
	ss->kind_case = ROTA__STEP_SPEC__KIND_MANUAL;
	ss->manual = manual;
}

size_t
step_manual_texts(const runbook_step_t *s, const char **out)
{
	out[0] = s->prompt;
	return 1;
}

void
step_manual_phrase(const runbook_step_t *s, runbook_phrase_t *out)
{
	runbook_phrase_words(out, "waits for an operator (");
	runbook_phrase_code(out,
	                    runbook_phrase_own(out, xasprintf("rota approve RUN %s",
	                                                      s->id != NULL ? s->id : "STEP")));
	runbook_phrase_words(out, "): ");
	runbook_phrase_code(out, s->prompt);
}
