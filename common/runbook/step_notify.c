/* runbook/step_notify: the notify step kind: a message to a channel (the
 * runbook's escalation policy by default); sent by the coordinator itself,
 * through its outbox. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static const char *const keys_notify[] = {"message", "channel", "timeout"};

void
step_notify_parse(check_t *c, const yamltree_node_t *v, runbook_step_t *s, const step_ctx_t *sc)
{
	char where[WHERE_LEN];

	if (!runbook_type_map(c, v, s, sc, "notify", keys_notify, COUNT_OF(keys_notify), where,
	                      sizeof(where)))
		return;
	s->message = runbook_field_text(c, v, "message", true, where);
	s->channel = runbook_field_text(c, v, "channel", false, where);
}

void
step_notify_render(render_t *r, const runbook_step_t *step, Rota__StepSpec *ss)
{
	Rota__NotifySpec *notify = render_alloc(r, sizeof(*notify));

	rota__notify_spec__init(notify);
	notify->message = (char *)render(r, step->message);
	notify->channel = step->channel ? (char *)render(r, step->channel) : (char *)"";
	ss->kind_case = ROTA__STEP_SPEC__KIND_NOTIFY;
	ss->notify = notify;
}

size_t
step_notify_texts(const runbook_step_t *s, const char **out)
{
	out[0] = s->message;
	out[1] = s->channel;
	return 2;
}

void
step_notify_phrase(const runbook_step_t *s, runbook_phrase_t *out)
{
	if (s->channel != NULL) {
		runbook_phrase_words(out, "notifies channel ");
		runbook_phrase_code(out, s->channel);
	} else {
		runbook_phrase_words(out, "notifies the escalation policy's first tier");
	}
	runbook_phrase_words(out, ": ");
	runbook_phrase_code(out, s->message);
}
