/* test_metrics: the exact Prometheus text of counters, gauges and
 * histograms, label and HELP escaping, number formatting. Run with
 * --render it prints a page of every kind (the names the coordinator
 * exports) for `promtool check metrics` (ctest unit.metrics.promtool). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/metrics.h"

static void
assert_page(char *text, const char *want)
{
	if (strcmp(text, want) != 0)
		fail_msg("got:\n%s\nwant:\n%s", text, want);
	free(text);
}

static void
test_counter_and_gauge(void **state)
{
	(void)state;
	metrics_t *m = metrics_new();
	metrics_family(m, "rota_runs_total", METRICS_COUNTER, "Runs that ended, by status.");
	metrics_count(m, (metrics_label_t[]){{"status", "succeeded"}}, 1, 12);
	metrics_count(m, (metrics_label_t[]){{"status", "failed"}}, 1, 0);
	metrics_family(m, "rota_workers_connected", METRICS_GAUGE, "Workers connected now.");
	metrics_value(m, NULL, 0, 3);
	metrics_family(m, "rota_frames_dropped_total", METRICS_COUNTER, "Frames dropped.");
	metrics_count(m, (metrics_label_t[]){{"endpoint", "worker"}, {"reason", "decode"}}, 2,
	              18446744073709551615ULL);
	assert_page(metrics_finish(&m),
	            "# HELP rota_runs_total Runs that ended, by status.\n"
	            "# TYPE rota_runs_total counter\n"
	            "rota_runs_total{status=\"succeeded\"} 12\n"
	            "rota_runs_total{status=\"failed\"} 0\n"
	            "# HELP rota_workers_connected Workers connected now.\n"
	            "# TYPE rota_workers_connected gauge\n"
	            "rota_workers_connected 3\n"
	            "# HELP rota_frames_dropped_total Frames dropped.\n"
	            "# TYPE rota_frames_dropped_total counter\n"
	            "rota_frames_dropped_total{endpoint=\"worker\",reason=\"decode\"} "
	            "18446744073709551615\n");
	assert_null(m);
}

static void
test_escaping(void **state)
{
	(void)state;
	metrics_t *m = metrics_new();
	metrics_family(m, "x_total", METRICS_COUNTER, "a \\ back\nslash and \"quotes\"");
	metrics_count(m, (metrics_label_t[]){{"runbook", "a\"b\\c\nd"}}, 1, 1);
	metrics_count(m, (metrics_label_t[]){{"runbook", NULL}}, 1, 2);
	/* HELP keeps quotes as they are; label values escape them. */
	assert_page(metrics_finish(&m), "# HELP x_total a \\\\ back\\nslash and \"quotes\"\n"
	                                "# TYPE x_total counter\n"
	                                "x_total{runbook=\"a\\\"b\\\\c\\nd\"} 1\n"
	                                "x_total{runbook=\"\"} 2\n");
}

static void
test_numbers(void **state)
{
	(void)state;
	char buf[64];
	assert_string_equal(metrics_format_double(0.1, buf, sizeof(buf)), "0.1");
	assert_string_equal(metrics_format_double(300, buf, sizeof(buf)), "300");
	assert_string_equal(metrics_format_double(-2.5, buf, sizeof(buf)), "-2.5");
	assert_string_equal(metrics_format_double(1e21, buf, sizeof(buf)), "1e+21");
	assert_string_equal(metrics_format_double(INFINITY, buf, sizeof(buf)), "+Inf");
	assert_string_equal(metrics_format_double(-INFINITY, buf, sizeof(buf)), "-Inf");
	assert_string_equal(metrics_format_double(NAN, buf, sizeof(buf)), "NaN");
	/* 0.1 + 0.2 needs all 17 digits to read back as itself. */
	metrics_format_double(0.1 + 0.2, buf, sizeof(buf));
	assert_true(strtod(buf, NULL) == 0.1 + 0.2);
	assert_string_equal(buf, "0.30000000000000004");
}

static void
test_histogram(void **state)
{
	(void)state;
	const double bounds[] = {0.5, 1, 2.5};
	metrics_histogram_t *h = metrics_histogram_new(bounds, 3);
	metrics_histogram_observe(h, 0.25);
	metrics_histogram_observe(h, 0.5); /* le is inclusive */
	metrics_histogram_observe(h, 2);
	metrics_histogram_observe(h, 10);
	metrics_histogram_observe(h, NAN); /* ignored */
	assert_int_equal(h->count, 4);

	metrics_t *m = metrics_new();
	metrics_family(m, "rota_step_duration_seconds", METRICS_HISTOGRAM,
	               "How long steps ran, in seconds.");
	metrics_histogram(m, NULL, 0, h);
	metrics_histogram(m, (metrics_label_t[]){{"type", "shell"}}, 1, h);
	assert_page(metrics_finish(&m),
	            "# HELP rota_step_duration_seconds How long steps ran, in seconds.\n"
	            "# TYPE rota_step_duration_seconds histogram\n"
	            "rota_step_duration_seconds_bucket{le=\"0.5\"} 2\n"
	            "rota_step_duration_seconds_bucket{le=\"1\"} 2\n"
	            "rota_step_duration_seconds_bucket{le=\"2.5\"} 3\n"
	            "rota_step_duration_seconds_bucket{le=\"+Inf\"} 4\n"
	            "rota_step_duration_seconds_sum 12.75\n"
	            "rota_step_duration_seconds_count 4\n"
	            "rota_step_duration_seconds_bucket{type=\"shell\",le=\"0.5\"} 2\n"
	            "rota_step_duration_seconds_bucket{type=\"shell\",le=\"1\"} 2\n"
	            "rota_step_duration_seconds_bucket{type=\"shell\",le=\"2.5\"} 3\n"
	            "rota_step_duration_seconds_bucket{type=\"shell\",le=\"+Inf\"} 4\n"
	            "rota_step_duration_seconds_sum{type=\"shell\"} 12.75\n"
	            "rota_step_duration_seconds_count{type=\"shell\"} 4\n");
	metrics_histogram_destroy(&h);
	assert_null(h);
	metrics_histogram_destroy(&h); /* harmless twice */
}

static void
test_duration_buckets(void **state)
{
	(void)state;
	assert_int_equal(METRICS_DURATION_BUCKET_COUNT, 15);
	assert_true(METRICS_DURATION_BUCKETS[0] == 0.005);
	assert_true(METRICS_DURATION_BUCKETS[METRICS_DURATION_BUCKET_COUNT - 1] == 300);
	metrics_histogram_t *h =
	    metrics_histogram_new(METRICS_DURATION_BUCKETS, METRICS_DURATION_BUCKET_COUNT);
	metrics_histogram_observe(h, 301);
	metrics_histogram_observe(h, 0);
	assert_int_equal(h->counts[METRICS_DURATION_BUCKET_COUNT], 1);
	assert_int_equal(h->counts[0], 1);
	metrics_histogram_destroy(&h);
}

static void
test_destroy_unfinished(void **state)
{
	(void)state;
	metrics_t *m = metrics_new();
	metrics_family(m, "a", METRICS_GAUGE, "a");
	metrics_destroy(&m);
	assert_null(m);
	metrics_destroy(&m);
}

/* Every family the coordinator exports, as it will write them, for
 * promtool to judge. */
static int
render(void)
{
	metrics_histogram_t *h =
	    metrics_histogram_new(METRICS_DURATION_BUCKETS, METRICS_DURATION_BUCKET_COUNT);
	for (int i = 0; i < 100; i++)
		metrics_histogram_observe(h, i * 0.37);
	static const char *const statuses[] = {"succeeded", "failed", "cancelled"};
	metrics_t *m = metrics_new();
	metrics_family(m, "rota_runs_total", METRICS_COUNTER, "Runs that ended, by status.");
	for (size_t i = 0; i < 3; i++)
		metrics_count(m, (metrics_label_t[]){{"status", statuses[i]}}, 1, i * 7);
	metrics_family(m, "rota_steps_total", METRICS_COUNTER, "Steps that ended, by status.");
	for (size_t i = 0; i < 3; i++)
		metrics_count(m, (metrics_label_t[]){{"status", statuses[i]}}, 1, i * 70);
	metrics_family(m, "rota_step_duration_seconds", METRICS_HISTOGRAM,
	               "How long steps ran, in seconds.");
	metrics_histogram(m, NULL, 0, h);
	metrics_family(m, "rota_workers_connected", METRICS_GAUGE, "Workers connected now.");
	metrics_value(m, NULL, 0, 4);
	metrics_family(m, "rota_dispatch_queue_depth", METRICS_GAUGE, "Steps waiting to be sent.");
	metrics_value(m, NULL, 0, 0);
	metrics_family(m, "rota_store_commit_seconds", METRICS_HISTOGRAM,
	               "How long each store commit took, in seconds.");
	metrics_histogram(m, NULL, 0, h);
	metrics_family(m, "rota_outbox_pending", METRICS_GAUGE, "Notifications not yet delivered.");
	metrics_value(m, NULL, 0, 2);
	metrics_family(m, "rota_outbox_delivery_failures_total", METRICS_COUNTER,
	               "Delivery attempts that failed.");
	metrics_count(m, NULL, 0, 5);
	metrics_family(m, "rota_outbox_given_up_total", METRICS_COUNTER,
	               "Notifications given up on.");
	metrics_count(m, NULL, 0, 0);
	metrics_family(m, "rota_frames_dropped_total", METRICS_COUNTER,
	               "Frames dropped, by endpoint and reason.");
	metrics_count(m, (metrics_label_t[]){{"endpoint", "worker"}, {"reason", "decode"}}, 2, 3);
	metrics_count(m, (metrics_label_t[]){{"endpoint", "api"}, {"reason", "a \"quoted\"\\n"}}, 2,
	              1);
	metrics_family(m, "rota_incidents", METRICS_GAUGE, "Incidents by severity and status.");
	metrics_count(m, (metrics_label_t[]){{"severity", "P1"}, {"status", "triggered"}}, 2, 1);
	metrics_family(m, "rota_alerts_received_total", METRICS_COUNTER,
	               "Alertmanager alerts received, by result.");
	metrics_count(m, (metrics_label_t[]){{"result", "matched"}}, 1, 9);
	metrics_value(m, (metrics_label_t[]){{"result", "unmatched"}}, 1, 0.5e3);
	char *text = metrics_finish(&m);
	int rc = fputs(text, stdout) < 0 || fflush(stdout) != 0 ? 1 : 0;
	free(text);
	metrics_histogram_destroy(&h);
	return rc;
}

int
main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--render") == 0)
		return render();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_counter_and_gauge), cmocka_unit_test(test_escaping),
	    cmocka_unit_test(test_numbers),           cmocka_unit_test(test_histogram),
	    cmocka_unit_test(test_duration_buckets),  cmocka_unit_test(test_destroy_unfinished),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
