/* webapi_review: GET /v1/incidents/INC-7/review, the post-incident review
 * the console links to. The same document as `rota incident review`: the
 * same two questions (the incident, then each of its runs) through the
 * operator API, with the caller's role, rendered by the one renderer
 * (common/incidentreview.h). */
#include <stdlib.h>

#include "clock.h"
#include "incidentreview.h"
#include "webapi_internal.h"
#include "xalloc.h"

static void
webapi_review_free(Rota__Envelope **replies, Rota__ShowRunResponse **runs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		rota__envelope__free_unpacked(replies[i], NULL);
	free(replies);
	free(runs);
}

void
webapi_review(webapi_call_t *call)
{
	Rota__Envelope *env = webapi_ask_incident(call, call->params[0]); /* owned */
	if (env == NULL)
		return;
	const Rota__ShowIncidentResponse *inc = env->response->incident_show;
	if (inc->incident == NULL) {
		rota__envelope__free_unpacked(env, NULL);
		webapi_error(call, 500, "internal", "the incident's answer has no incident");
		return;
	}
	/* Each run's answer, owned here; a run pruned by retention is listed
	 * from the incident's summary only, as the CLI does. */
	Rota__Envelope **replies = xcalloc(inc->n_runs + 1, sizeof(*replies));
	Rota__ShowRunResponse **runs = xcalloc(inc->n_runs + 1, sizeof(*runs));
	size_t n = 0;
	for (size_t i = 0; i < inc->n_runs; i++) {
		Rota__Envelope *r = webapi_ask_run(call, inc->runs[i]->id, 0);
		if (r != NULL) {
			replies[n] = r;
			runs[n++] = r->response->show;
		} else if (call->out->status != 404) {
			/* webapi_ask answered with the reason (unavailable...) */
			webapi_review_free(replies, runs, n);
			rota__envelope__free_unpacked(env, NULL);
			return;
		}
	}
	free(call->out->body);
	call->out->status = 200;
	call->out->body = incidentreview_render(inc, runs, n, clock_wall_ms());
	call->out->type = "text/markdown; charset=utf-8";
	webapi_review_free(replies, runs, n);
	rota__envelope__free_unpacked(env, NULL);
}
