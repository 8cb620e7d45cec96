/* dispatcher_baseline: a check's recorded number (`record: NAME`, its
 * Result.value) kept in the store for its runbook and host, and compared
 * with its baseline (the previous value, or the median of the last N): a
 * change past max_increase_pct or max_decrease_pct fails the step, its
 * detail saying both values. The first value, with no history, passes and
 * says so. Runs in the turn that records the result. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "dispatcher_internal.h"
#include "log.h"
#include "rota.pb-c.h"
#include "run.h"
#include "store/store.h"
#include "xalloc.h"

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

char *
dispatcher_baseline(dispatcher_t *d, run_t *run, size_t h, size_t s, const char *value_text,
                    int *status, const char *detail)
{
	run_step_t *step = &run->hosts[h].steps[s];
	char *end = NULL;
	double value = strtod(value_text, &end);
	if (end == value_text || *end != '\0' || !isfinite(value))
		return NULL;
	Rota__StepSpec *spec = rota__step_spec__unpack(NULL, step->spec_len, step->spec);
	if (spec == NULL)
		return NULL;
	const Rota__RecordSpec *rec = spec->record;
	if (rec == NULL || rec->name == NULL || rec->name[0] == '\0') {
		rota__step_spec__free_unpacked(spec, NULL);
		return NULL;
	}
	store_t *st = d->cfg.svc->store;
	const char *host = run->hosts[h].host;
	double hist[STORE_VALUES_MAX];
	size_t n = 0;
	char *out = NULL;
	char shown[32], base_shown[32];
	snprintf(shown, sizeof(shown), "%.6g", value);
	if (rec->median_of_last > 0 && store_values_latest(st, run->runbook, host, rec->name,
	                                                   rec->median_of_last, hist, &n) != 0) {
		log_warn("run %s: cannot read the values recorded as %s; no baseline", run->id,
		         rec->name);
		n = 0;
	}
	if (rec->median_of_last == 0) {
		out = xasprintf("%s; recorded %s = %s", detail, rec->name, shown);
	} else if (n == 0) {
		out = xasprintf("%s; recorded %s = %s, the first: no baseline yet", detail,
		                rec->name, shown);
	} else {
		qsort(hist, n, sizeof(hist[0]), cmp_double);
		double base = n % 2 ? hist[n / 2] : (hist[n / 2 - 1] + hist[n / 2]) / 2;
		char what[64];
		if (rec->median_of_last == 1)
			snprintf(what, sizeof(what), "the previous");
		else
			snprintf(what, sizeof(what), "the median of the last %zu", n);
		snprintf(base_shown, sizeof(base_shown), "%.6g", base);
		/* Change in percent of the baseline; from 0, any rise is
		 * infinite and any fall impossible. */
		double pct = base != 0 ? (value - base) / fabs(base) * 100.0
		                       : (value > 0   ? INFINITY
		                          : value < 0 ? -INFINITY
		                                      : 0);
		bool up = rec->has_max_increase && pct > rec->max_increase_pct;
		bool down = rec->has_max_decrease && -pct > rec->max_decrease_pct;
		if (up || down) {
			*status = ROTA__STEP_STATUS__STEP_FAILED;
			out = xasprintf(
			    "%s = %s, %+.1f%% from %s (%s): more than the %s%g%% allowed, a"
			    " regression; %s",
			    rec->name, shown, pct, what, base_shown, up ? "+" : "-",
			    up ? rec->max_increase_pct : rec->max_decrease_pct, detail);
		} else {
			out = xasprintf("%s; recorded %s = %s, %+.1f%% from %s (%s)", detail,
			                rec->name, shown, pct, what, base_shown);
		}
	}
	store_value_t v = {.runbook = run->runbook,
	                   .host = host,
	                   .name = rec->name,
	                   .run_id = run->id,
	                   .step_id = step->step_id,
	                   .value = value,
	                   .at_ms = clock_wall_ms()};
	(void)store_value_add(st, &v); /* a failure fails the turn: it is retried */
	rota__step_spec__free_unpacked(spec, NULL);
	return out;
}
