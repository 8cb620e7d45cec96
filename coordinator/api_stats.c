/* api_stats: rota incidents --stats [--since 90d]: incidents opened in the
 * period, and how fast they were acknowledged and resolved (p50, p95), by
 * severity (incstats.h). A viewer's request: it reads only. */
#include "api_internal.h"

#include <stdlib.h>

#include "clock.h"
#include "incstats.h"
#include "xalloc.h"

void
api_incident_stats(api_t *api, const uint8_t *identity, size_t identity_len,
                   const Rota__Request *req)
{
	const Rota__IncidentStatsRequest *q = req->incident_stats;
	int64_t since = q->period_ms > 0 ? clock_wall_ms() - q->period_ms : q->since_ms;
	incstats_t st = {0};
	if (store_incident_times(api->svc->store, since, incstats_add, &st) != 0) {
		incstats_free(&st);
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_INTERNAL,
		           "the store could not read the incidents (see the coordinator's log)");
		return;
	}
	Rota__IncidentStatsResponse body = ROTA__INCIDENT_STATS_RESPONSE__INIT;
	Rota__SeverityStats sev[4];
	Rota__SeverityStats *list[4];
	body.since_ms = since;
	body.severities = list;
	body.n_severities = 4;
	for (int i = 0; i < 4; i++) {
		incstats_severity_t *x = &st.sev[i + 1];
		rota__severity_stats__init(&sev[i]);
		sev[i].severity = (uint32_t)(i + 1);
		sev[i].count = x->count;
		sev[i].acked = x->acked;
		sev[i].resolved = x->resolved;
		sev[i].suppressed = x->suppressed;
		sev[i].ack_p50_ms = incstats_percentile(&x->ack, 50);
		sev[i].ack_p95_ms = incstats_percentile(&x->ack, 95);
		sev[i].resolve_p50_ms = incstats_percentile(&x->resolve, 50);
		sev[i].resolve_p95_ms = incstats_percentile(&x->resolve, 95);
		list[i] = &sev[i];
	}
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = req->id;
	resp.body_case = ROTA__RESPONSE__BODY_INCIDENT_STATS;
	resp.incident_stats = &body;
	api_reply(api, identity, identity_len, &resp);
	incstats_free(&st);
}
