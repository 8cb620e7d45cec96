/* metrics: a writer of the Prometheus text exposition format (0.0.4) and
 * an observable histogram.
 *
 * The coordinator builds one page per GET /metrics from its own counters:
 * metrics_new, then per family metrics_family followed by its samples,
 * then metrics_finish. Pure: no globals, no I/O, no clock, so the exact
 * text is unit-tested and checked with `promtool check metrics`.
 *
 * Must never: write a sample without its family's HELP and TYPE before it,
 * or a label value unescaped (a runbook name or a worker id is outside
 * text).
 *
 * The names the coordinator exports (deploy/prometheus/rota-alerts.yml and
 * docs rely on them; change them together):
 *
 *   rota_runs_total{status}                  counter
 *   rota_steps_total{status}                 counter
 *   rota_step_duration_seconds               histogram (METRICS_DURATION_BUCKETS)
 *   rota_workers_connected                   gauge
 *   rota_worker_spool_failing{worker}        gauge (connected workers)
 *   rota_dispatch_queue_depth                gauge
 *   rota_store_commit_seconds                histogram (METRICS_DURATION_BUCKETS)
 *   rota_outbox_pending                      gauge
 *   rota_outbox_delivery_failures_total      counter
 *   rota_outbox_given_up_total               counter
 *   rota_frames_dropped_total{endpoint,reason} counter
 *   rota_incidents{severity,status}          gauge
 *   rota_alerts_received_total{result}       counter
 *   rota_auth_failures_total{endpoint,reason} counter (audit.h)
 *   rota_backup_last_success_timestamp_seconds gauge (backup.h; 0: never)
 *   rota_backup_running                      gauge
 *   rota_backup_max_pause_seconds            gauge (the last backup's longest slice)
 *   rota_store_bytes                         gauge (store_bytes)
 */
#ifndef ROTA_METRICS_H
#define ROTA_METRICS_H

#include <stddef.h>
#include <stdint.h>

typedef enum { METRICS_COUNTER, METRICS_GAUGE, METRICS_HISTOGRAM } metrics_type_t;

/* A label pair; both borrowed. The value may hold any bytes but NUL. */
typedef struct {
	const char *name;
	const char *value;
} metrics_label_t;

/* An observable histogram: fixed upper bounds (ascending, +Inf implied),
 * a count per bucket (not cumulative: rendering makes them cumulative), the
 * sum and the number of observations. */
typedef struct {
	double *bounds; /* owned: bound_count upper bounds */
	size_t bound_count;
	uint64_t *counts; /* owned: bound_count + 1, the last is (bounds[n-1], +Inf) */
	double sum;
	uint64_t count;
} metrics_histogram_t;

/* Seconds, for step durations and store commits: from 5 ms (a commit)
 * to 5 min (a long step); anything longer lands in +Inf. */
extern const double METRICS_DURATION_BUCKETS[];
extern const size_t METRICS_DURATION_BUCKET_COUNT;

/* bounds are copied and must be strictly ascending and finite (the
 * program's own constants: asserted). Never NULL. */
metrics_histogram_t *metrics_histogram_new(const double *bounds, size_t count);
void metrics_histogram_destroy(metrics_histogram_t **hp);
/* Adds one observation. NaN is ignored: it would make _sum NaN forever. */
void metrics_histogram_observe(metrics_histogram_t *h, double value);

typedef struct metrics metrics_t;

/* A page being written. Never NULL. */
metrics_t *metrics_new(void);
/* Starts a family: "# HELP name help" and "# TYPE name type". name must be
 * a valid metric name (asserted: names are the program's constants). */
void metrics_family(metrics_t *m, const char *name, metrics_type_t type, const char *help);
/* One sample of the current family (a counter or a gauge). labels may be
 * NULL when label_count is 0. */
void metrics_value(metrics_t *m, const metrics_label_t *labels, size_t label_count, double value);
/* The same for an integer count, written exactly (a double would round
 * above 2^53). */
void metrics_count(metrics_t *m, const metrics_label_t *labels, size_t label_count, uint64_t value);
/* One histogram of the current family (of type METRICS_HISTOGRAM): its
 * _bucket lines (cumulative, le="+Inf" last), _sum and _count. */
void metrics_histogram(metrics_t *m, const metrics_label_t *labels, size_t label_count,
                       const metrics_histogram_t *h);
/* Ends the page: returns its text (the caller frees) and destroys *mp. */
char *metrics_finish(metrics_t **mp);
/* Drops a page without using it. Accepts NULL. */
void metrics_destroy(metrics_t **mp);

/* Writes v as Prometheus reads it: the shortest of %.15g/%.17g that reads
 * back exactly, "+Inf", "-Inf", "NaN". Returns buf. */
char *metrics_format_double(double v, char *buf, size_t len);

#endif
