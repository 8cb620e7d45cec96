/* store_stats: the incidents' times, for rota incidents --stats and the
 * /metrics histograms (incstats.h computes the figures). Read-only. */
#ifndef ROTA_STORE_STATS_H
#define ROTA_STORE_STATS_H

#include <stdint.h>

typedef struct store store_t;

/* One incident's times (0: not yet). */
typedef struct {
	int severity;
	int64_t created_ms;
	int64_t acked_ms;
	int64_t resolved_ms;
	int suppressed; /* opened in a maintenance window: nobody was paged */
} store_incident_times_t;

typedef void (*store_incident_times_fn)(void *ctx, const store_incident_times_t *t);

/* Calls fn for every incident created at or after since_ms. 0 or -1. */
int store_incident_times(store_t *s, int64_t since_ms, store_incident_times_fn fn, void *ctx);

#endif
