/* incstats: how fast incidents are acknowledged and resolved, by severity
 * (rota incidents --stats, and the /metrics histograms
 * rota_incident_ack_seconds and rota_incident_resolve_seconds).
 *
 * Fed one incident at a time from the store (store_incident_times); keeps
 * each severity's times to sort them once for the percentiles. Incidents a
 * maintenance window suppressed are counted apart: nobody was paged, so
 * they have no time to acknowledge. Plain data, no I/O. */
#ifndef ROTA_INCSTATS_H
#define ROTA_INCSTATS_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* Histogram bounds in seconds: 1m, 5m, 15m, 30m, 1h, 4h, 12h, 1d, 3d, 1w
 * (the seeds' deadlines fall on them). */
extern const double INCSTATS_BUCKETS[];
extern const size_t INCSTATS_BUCKET_COUNT;

typedef struct {
	int64_t *v; /* owned */
	size_t n, cap;
} incstats_times_t;

typedef struct {
	uint32_t count, acked, resolved, suppressed;
	incstats_times_t ack, resolve; /* ms from opening */
} incstats_severity_t;

typedef struct {
	incstats_severity_t sev[5]; /* [1]..[4]: P1..P4 */
} incstats_t;

/* Adds one incident (a store_incident_times_fn: ctx is the incstats_t). */
void incstats_add(void *ctx, const store_incident_times_t *t);
/* The p-th percentile (0 < p <= 100, nearest rank) of t, sorting it; -1
 * when t is empty. */
int64_t incstats_percentile(incstats_times_t *t, double p);
void incstats_free(incstats_t *s);

#endif
