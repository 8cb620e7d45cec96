/* rota-prune-bench: retention's cost on a store of N step runs (make
 * bench's `retention` scenario; docs/benchmarks.md has the figures).
 *
 *   rota-prune-bench DIR N [fill]
 *
 * With "fill" it only fills the store (DIR/rota.db, made or already
 * there) and exits: make bench's pruneload scenario starts a coordinator
 * on it and measures dispatch while the coordinator prunes it.
 *
 * Fills a SQLite store in DIR with N step runs (runs of 10 steps, one
 * output chunk each, 50 runbooks, all made 100 to 200 days ago), then
 * prunes it with the coordinator's own pruner, turn after turn as an idle
 * loop takes it: each turn a slice of batches of PRUNER_BATCH_ROWS until
 * PRUNER_SLICE_US is spent and its commit; then the freed pages are given
 * back the same way. Prints figures, "name value unit" a line:
 *   prune_1m_rows_s      the pass and its vacuum, scaled to 1,000,000 step
 *                        runs (measured when N is 1000000), as fast as the
 *                        loop would go with nothing else to do
 *   prune_turn_p99_ms    a turn's slice and its commit: what a dispatch can
 *   prune_turn_max_ms    wait behind retention
 *   prune_dry_run_1m_s   rota prune --dry-run's count, scaled likewise
 * A benchmark, not a test: it fails only when it cannot run. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "pruner.h"
#include "store/store.h"

#define DAY (24LL * 3600 * 1000)
#define NOW (20000 * DAY)
#define STEPS_PER_RUN 10
#define RUNBOOKS 50

static void
die(const char *what, store_t *s)
{
	fprintf(stderr, "rota-prune-bench: %s: %s\n", what, s ? store_last_error(s) : "");
	exit(1);
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static void
fill(store_t *s, long n)
{
	static const char line[] = "2026-06-01T08:00:00Z check ok: /var 61% free, load 0.42, "
	                           "nginx active (running) since Mon; 0 errors in the last hour\n";
	long runs = n / STEPS_PER_RUN;
	for (long r = 0; r < runs; r++) {
		char id[32], rb[16];
		snprintf(id, sizeof(id), "run-%08ld", r);
		snprintf(rb, sizeof(rb), "book-%02ld", r % RUNBOOKS);
		int64_t at = NOW - 200 * DAY + r * (100 * DAY / runs);
		store_run_t run = {.id = id,
		                   .runbook = rb,
		                   .runbook_yaml = "name: x\n",
		                   .params_json = "{}",
		                   .status = 3,
		                   .created_ms = at,
		                   .started_ms = at,
		                   .ended_ms = at + 1000};
		if (store_run_insert(s, &run) != 0)
			die("insert a run", s);
		for (int k = 0; k < STEPS_PER_RUN; k++) {
			char step[16];
			snprintf(step, sizeof(step), "s%d", k);
			int64_t row = 0;
			store_step_state_t st = {.status = 2, .started_ms = at};
			if (store_step_insert(s, id, step, "web-1", 1, (uint32_t)k, 2, NULL, 0,
			                      &row) != 0 ||
			    store_step_update(s, row, &st) != 0)
				die("insert a step", s);
			store_output_t out;
			uint64_t rec;
			if (store_output_append(s, row, 1, 1, (const uint8_t *)line,
			                        sizeof(line) - 1, 1 << 20, at, &out, &rec) != 0)
				die("insert output", s);
			st.status = 4;
			st.ended_ms = at + 500;
			if (store_step_update(s, row, &st) != 0)
				die("end a step", s);
		}
		if (r % 1000 == 999 && store_commit(s) != 0)
			die("commit the fill", s);
	}
	if (store_commit(s) != 0)
		die("commit the fill", s);
}

int
main(int argc, char **argv)
{
	bool fill_only = argc == 4 && strcmp(argv[3], "fill") == 0;
	if (argc != 3 && !fill_only) {
		fprintf(stderr, "usage: rota-prune-bench DIR N [fill]\n");
		return 2;
	}
	long n = strtol(argv[2], NULL, 10);
	if (n < STEPS_PER_RUN * RUNBOOKS * 2) {
		fprintf(stderr, "rota-prune-bench: N must be at least %d\n",
		        STEPS_PER_RUN * RUNBOOKS * 2);
		return 2;
	}
	char path[4096];
	snprintf(path, sizeof(path), "%s/rota.db", argv[1]);
	store_options_t o = {.target = path};
	char *error = NULL;
	store_t *s = store_open(&o, &error);
	if (s == NULL) {
		fprintf(stderr, "rota-prune-bench: %s\n", error);
		return 1;
	}
	int64_t t0 = clock_mono_us();
	fill(s, n);
	int64_t size_full = 0;
	store_size(s, &size_full);
	fprintf(stderr, "filled %ld step runs in %.1f s, %lld bytes\n", n,
	        (double)(clock_mono_us() - t0) / 1e6, (long long)size_full);
	if (fill_only) {
		store_destroy(&s);
		return 0;
	}

	store_retention_t ret = {.runs_ms = 90 * DAY,
	                         .outputs_ms = 30 * DAY,
	                         .audit_ms = 400 * DAY,
	                         .notifications_ms = 30 * DAY,
	                         .incidents_ms = 400 * DAY,
	                         .keep_runs_per_runbook = 20};
	store_prune_pass_t p;
	t0 = clock_mono_us();
	store_prune_begin(&p, &ret, NOW);
	if (store_prune_step(s, &p, 0, true) != 0)
		die("dry run", s);
	double dry_s = (double)(clock_mono_us() - t0) / 1e6;

	/* The pass as the loop takes it: the pruner's own slices and their
	 * commits, a turn after another with no message waiting. */
	pruner_t *pr = pruner_new(s, &ret, clock_mono_ms());
	size_t cap = 1024, nb = 0;
	int64_t *batch_us = malloc(cap * sizeof(*batch_us));
	t0 = clock_mono_us();
	pruner_start(pr, NOW);
	while (pruner_busy(pr)) {
		int64_t b0 = clock_mono_us();
		pruner_turn(pr, clock_mono_ms(), NOW);
		if (nb == cap)
			batch_us = realloc(batch_us, (cap *= 2) * sizeof(*batch_us));
		batch_us[nb++] = clock_mono_us() - b0;
	}
	double pass_s = (double)(clock_mono_us() - t0) / 1e6;
	const pruner_stats_t *ps = pruner_stats(pr);
	if (ps->passes != 1)
		die("the pass failed", s);
	int64_t size_after = 0;
	store_size(s, &size_after);
	qsort(batch_us, nb, sizeof(*batch_us), cmp_i64);
	fprintf(stderr,
	        "pruned %llu runs, %llu steps, %llu outputs in %.1f s (%zu turns); %lld ->"
	        " %lld bytes\n",
	        (unsigned long long)ps->last_rows[STORE_PRUNE_RUNS],
	        (unsigned long long)ps->last_rows[STORE_PRUNE_STEPS],
	        (unsigned long long)ps->last_rows[STORE_PRUNE_OUTPUTS], pass_s, nb,
	        (long long)size_full, (long long)size_after);
	pruner_destroy(&pr);
	double scale = 1e6 / (double)n;
	printf("prune_1m_rows_s %.1f s\n", pass_s * scale);
	printf("prune_turn_p99_ms %.2f ms\n", (double)batch_us[nb * 99 / 100] / 1000.0);
	printf("prune_turn_max_ms %.2f ms\n", (double)batch_us[nb - 1] / 1000.0);
	printf("prune_dry_run_1m_s %.1f s\n", dry_s * scale);
	free(batch_us);
	store_destroy(&s);
	return 0;
}
