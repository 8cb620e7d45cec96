/* api_runbookdoc: rota runbook docs (and the policy of every runbook
 * document): runbooks of the catalog rendered as documents
 * (common/runbookdoc.h) from the same answer `rota runbook show` and GET
 * /v1/runbooks/NAME render (api_runbook_answer), with the escalation
 * policy the coordinator would really use for their incidents, its tiers
 * and the severity's acknowledgement deadline.
 *
 * Must never: render a policy other than the one an incident of the
 * runbook would climb (config_policy decides, as the escalation does). */
#include "api_internal.h"

#include <stdlib.h>

#include "runbookdoc.h"
#include "xalloc.h"

Rota__RunbookPolicy *
api_runbookdoc_policy(const config_t *config, const runbook_t *rb)
{
	Rota__RunbookPolicy *p = xmalloc(sizeof(*p));
	rota__runbook_policy__init(p);
	const config_policy_t *cp = config_policy(config, rb->escalation);
	p->name = xstrdup(cp != NULL               ? cp->name
	                  : rb->escalation != NULL ? rb->escalation
	                                           : "default");
	if (cp == NULL)
		return p;
	p->configured = true;
	p->until_resolved = cp->until_resolved;
	p->tiers = xcalloc(cp->tier_count + 1, sizeof(*p->tiers));
	for (size_t i = 0; i < cp->tier_count; i++) {
		const config_tier_t *ct = &cp->tiers[i];
		Rota__RunbookTier *t = xmalloc(sizeof(*t));
		rota__runbook_tier__init(t);
		t->after_ms = ct->after_ms;
		t->repeat_ms = ct->repeat_ms;
		t->severities = ct->severities;
		t->notify = xcalloc(ct->notify_count + 1, sizeof(*t->notify));
		for (size_t k = 0; k < ct->notify_count; k++)
			t->notify[t->n_notify++] = xstrdup(ct->notify[k]);
		p->tiers[p->n_tiers++] = t;
	}
	if (rb->severity >= 1 && rb->severity <= 4)
		p->ack_due_ms = config->deadline_ms[rb->severity];
	return p;
}

/* One runbook's document, from the answer ShowRunbook gives for it. */
static Rota__RunbookDoc *
api_runbookdoc_one(api_t *api, Rota__RunbookInfo *const *all, size_t n, const catalog_entry_t *e)
{
	const runbook_t *rb = e->rb;
	Rota__RunbookDoc *d = xmalloc(sizeof(*d));
	rota__runbook_doc__init(d);
	d->name = xstrdup(rb->name);
	d->category = xstrdup(rb->category != NULL ? rb->category : "");
	d->description = xstrdup(rb->description != NULL ? rb->description : "");
	d->summary = runbookdoc_summary(rb);
	d->path = xstrdup(e->path);
	Rota__ShowRunbookResponse show;
	if (api_runbook_answer(api, all, n, rb->name, 0, &show)) {
		runbookdoc_t *doc = runbookdoc_from_show(&show); /* owned */
		d->markdown = runbookdoc_markdown(doc);
		runbookdoc_free(&doc);
		api_runbook_answer_clear(&show);
	} else {
		d->markdown = xstrdup(""); /* not reached: e is the catalog's */
	}
	return d;
}

void
api_runbook_doc(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req)
{
	const Rota__RunbookDocRequest *in = req->runbook_doc;
	const catalog_t *catalog = api->svc->catalog;
	Rota__RunbookDocResponse body = ROTA__RUNBOOK_DOC_RESPONSE__INIT;

	const catalog_entry_t *one = NULL;
	if (in->name != NULL && in->name[0] != '\0') {
		one = catalog_find(catalog, in->name);
		if (one == NULL) {
			char *names = catalog_names(catalog);
			api_refuse(api, identity, identity_len, req->id,
			           ROTA__ERROR_CODE__ERR_UNKNOWN_RUNBOOK,
			           "unknown runbook '%s'; the coordinator has: %s", in->name,
			           names);
			free(names);
			return;
		}
	}
	Rota__RunbookInfo **all = NULL; /* owned: the summaries the answers borrow */
	size_t n_all = 0;
	api_runbooks_fill(catalog, &all, &n_all);
	if (one != NULL) {
		body.docs = xcalloc(1, sizeof(*body.docs));
		body.docs[body.n_docs++] = api_runbookdoc_one(api, all, n_all, one);
	} else {
		/* Every runbook: a few kilobytes each, bounded by the catalog's
		 * size; api_reply refuses an answer past the frame limit. */
		size_t n = catalog_count(catalog);
		body.docs = xcalloc(n + 1, sizeof(*body.docs));
		for (size_t i = 0; i < n; i++)
			body.docs[body.n_docs++] =
			    api_runbookdoc_one(api, all, n_all, catalog_at(catalog, i));
	}
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = req->id;
	resp.body_case = ROTA__RESPONSE__BODY_RUNBOOK_DOC;
	resp.runbook_doc = &body;
	api_reply(api, identity, identity_len, &resp);
	for (size_t i = 0; i < body.n_docs; i++)
		rota__runbook_doc__free_unpacked(body.docs[i], NULL);
	free(body.docs);
	api_runbooks_free(all, n_all);
}
