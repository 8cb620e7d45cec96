/* incstats: incident response times (see incstats.h). */
#include "incstats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

const double INCSTATS_BUCKETS[] = {60, 300, 900, 1800, 3600, 14400, 43200, 86400, 259200, 604800};
const size_t INCSTATS_BUCKET_COUNT = sizeof(INCSTATS_BUCKETS) / sizeof(INCSTATS_BUCKETS[0]);

static void
times_add(incstats_times_t *t, int64_t ms)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->v = xrealloc(t->v, t->cap * sizeof(*t->v));
	}
	t->v[t->n++] = ms;
}

void
incstats_add(void *ctx, const store_incident_times_t *t)
{
	incstats_t *s = ctx;
	int sev = t->severity >= 1 && t->severity <= 4 ? t->severity : 4;
	incstats_severity_t *x = &s->sev[sev];
	if (t->suppressed) {
		x->suppressed++;
		return;
	}
	x->count++;
	if (t->acked_ms > 0 && t->acked_ms >= t->created_ms) {
		x->acked++;
		times_add(&x->ack, t->acked_ms - t->created_ms);
	}
	if (t->resolved_ms > 0 && t->resolved_ms >= t->created_ms) {
		x->resolved++;
		times_add(&x->resolve, t->resolved_ms - t->created_ms);
	}
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

int64_t
incstats_percentile(incstats_times_t *t, double p)
{
	if (t->n == 0)
		return -1;
	qsort(t->v, t->n, sizeof(*t->v), cmp_i64);
	/* Nearest rank: the smallest value with at least p% at or below it. */
	size_t rank = (size_t)ceil(p / 100.0 * (double)t->n);
	if (rank < 1)
		rank = 1;
	if (rank > t->n)
		rank = t->n;
	return t->v[rank - 1];
}

void
incstats_free(incstats_t *s)
{
	for (int i = 0; i < 5; i++) {
		free(s->sev[i].ack.v);
		free(s->sev[i].resolve.v);
	}
	memset(s, 0, sizeof(*s));
}
