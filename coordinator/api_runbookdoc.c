/* api_runbookdoc: rota runbook show NAME --markdown and rota runbook docs:
 * runbooks of the catalog rendered as documents (common/runbookdoc.h)
 * with the escalation policy the coordinator would really use for their
 * incidents, its tiers and the severity's acknowledgement deadline.
 *
 * Must never: render a policy other than the one an incident of the
 * runbook would climb (config_policy decides, as the escalation does). */
#include "api_internal.h"

#include <stdlib.h>

#include "runbookdoc.h"
#include "xalloc.h"

/* The tiers of the policy rb's incidents follow, borrowed from the config
 * into *p; tiers is the caller's to free. */
static void
api_runbookdoc_policy(const config_t *config, const runbook_t *rb, runbookdoc_policy_t *p,
                      runbookdoc_tier_t **tiers)
{
	const config_policy_t *cp = config_policy(config, rb->escalation);
	*p = (runbookdoc_policy_t){.name = rb->escalation != NULL ? rb->escalation : "default"};
	*tiers = NULL;
	if (cp == NULL)
		return;
	p->configured = true;
	p->name = cp->name;
	*tiers = xcalloc(cp->tier_count + 1, sizeof(**tiers));
	for (size_t i = 0; i < cp->tier_count; i++) {
		(*tiers)[i] = (runbookdoc_tier_t){
		    .after_ms = cp->tiers[i].after_ms,
		    .notify = (const char *const *)cp->tiers[i].notify,
		    .notify_count = cp->tiers[i].notify_count,
		    .repeat_ms = cp->tiers[i].repeat_ms,
		};
	}
	p->tiers = *tiers;
	p->tier_count = cp->tier_count;
	if (rb->severity >= 1 && rb->severity <= 4)
		p->ack_due_ms = config->deadline_ms[rb->severity];
}

static Rota__RunbookDoc *
api_runbookdoc_one(const config_t *config, const catalog_entry_t *e)
{
	const runbook_t *rb = e->rb;
	runbookdoc_policy_t policy;
	runbookdoc_tier_t *tiers;
	api_runbookdoc_policy(config, rb, &policy, &tiers);

	Rota__RunbookDoc *d = xmalloc(sizeof(*d));
	rota__runbook_doc__init(d);
	d->name = xstrdup(rb->name);
	d->category = xstrdup(rb->category != NULL ? rb->category : "");
	d->description = xstrdup(rb->description != NULL ? rb->description : "");
	d->summary = runbookdoc_summary(rb);
	d->markdown = runbookdoc_render(rb, &policy);
	d->path = xstrdup(e->path);
	free(tiers);
	return d;
}

void
api_runbook_doc(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req)
{
	const Rota__RunbookDocRequest *in = req->runbook_doc;
	const catalog_t *catalog = api->svc->catalog;
	Rota__RunbookDocResponse body = ROTA__RUNBOOK_DOC_RESPONSE__INIT;

	if (in->name != NULL && in->name[0] != '\0') {
		const catalog_entry_t *e = catalog_find(catalog, in->name);
		if (e == NULL) {
			char *names = catalog_names(catalog);
			api_refuse(api, identity, identity_len, req->id,
			           ROTA__ERROR_CODE__ERR_UNKNOWN_RUNBOOK,
			           "unknown runbook '%s'; the coordinator has: %s", in->name,
			           names);
			free(names);
			return;
		}
		body.docs = xcalloc(1, sizeof(*body.docs));
		body.docs[body.n_docs++] = api_runbookdoc_one(api->svc->config, e);
	} else {
		/* Every runbook: a few kilobytes each, bounded by the catalog's
		 * size; api_reply refuses an answer past the frame limit. */
		size_t n = catalog_count(catalog);
		body.docs = xcalloc(n + 1, sizeof(*body.docs));
		for (size_t i = 0; i < n; i++)
			body.docs[body.n_docs++] =
			    api_runbookdoc_one(api->svc->config, catalog_at(catalog, i));
	}
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = req->id;
	resp.body_case = ROTA__RESPONSE__BODY_RUNBOOK_DOC;
	resp.runbook_doc = &body;
	api_reply(api, identity, identity_len, &resp);
	for (size_t i = 0; i < body.n_docs; i++)
		rota__runbook_doc__free_unpacked(body.docs[i], NULL);
	free(body.docs);
}
