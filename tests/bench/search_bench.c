/* rota-search-bench: the search benchmark of tests/bench/run.sh.
 *
 *   rota-search-bench TARGET MB REPS
 *
 * Fills the store at TARGET (a new SQLite file, or an empty PostgreSQL
 * database's URL: the bench takes its lease, as a leader) with MB MiB of step output through the
 * store's own writer (store_output_append, as the coordinator writes it:
 * 16 KiB chunks, 4 hosts a run, 1 MiB a step, 32 chunks a turn), the
 * search queue fed after each turn as the indexer does (store_search_feed),
 * then runs a word search REPS times with rota search's defaults (20 hits,
 * 2 lines of context) and prints
 *
 *   fill_s p50_ms p99_ms hits turn_ms_per_chunk index_ms_per_chunk
 *
 * the last two: what a chunk costs the turn that stores it (its insert,
 * queueing and the commit's share) and what indexing it costs later.
 *
 * The output is log-like lines of words from a vocabulary of 4096, so the
 * index has a realistic spread; the word searched for ("kettle") is in one
 * line of 20,000, the same in every size, so the figure is the cost of
 * finding a rare word, which an operator searches for. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store.h"
#include "xalloc.h"

#define SB_CHUNK 16384
#define SB_CHUNKS_PER_STEP 64 /* 1 MiB a step */
#define SB_HOSTS 4
#define SB_NEEDLE_EVERY 20000 /* lines */
#define SB_VOCABULARY 4096

static uint64_t sb_seed = 88172645463325252ull;

static uint64_t
sb_rand(void)
{
	sb_seed ^= sb_seed << 13;
	sb_seed ^= sb_seed >> 7;
	sb_seed ^= sb_seed << 17;
	return sb_seed;
}

static double
sb_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static int
sb_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Word i of the vocabulary: 3 to 9 letters, the same on every run. */
static void
sb_word(unsigned i, char *buf)
{
	uint64_t h = (uint64_t)i * 0x9E3779B97F4A7C15ull;
	unsigned len = 3 + (unsigned)(h % 7);
	for (unsigned k = 0; k < len; k++) {
		h = h * 6364136223846793005ull + 1442695040888963407ull;
		buf[k] = (char)('a' + (h >> 33) % 26);
	}
	buf[len] = '\0';
}

/* Fills buf with about len bytes of whole lines; counts lines in *line. */
static size_t
sb_chunk(char *buf, size_t len, uint64_t *line, char words[][16])
{
	size_t o = 0;
	while (o + 200 < len) {
		(*line)++;
		o += (size_t)snprintf(buf + o, len - o, "2026-12-06T12:%02u:%02u INFO worker-%u",
		                      (unsigned)(*line / 60 % 60), (unsigned)(*line % 60),
		                      (unsigned)(sb_rand() % 64));
		unsigned n = 4 + (unsigned)(sb_rand() % 10);
		for (unsigned w = 0; w < n; w++)
			o += (size_t)snprintf(buf + o, len - o, " %s",
			                      words[sb_rand() % SB_VOCABULARY]);
		if (*line % SB_NEEDLE_EVERY == 0)
			o += (size_t)snprintf(buf + o, len - o, " kettle boiled over");
		o += (size_t)snprintf(buf + o, len - o, " in %ums\n", (unsigned)(sb_rand() % 900));
	}
	return o;
}

int
main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: rota-search-bench TARGET MB REPS\n");
		return 2;
	}
	long mb = strtol(argv[2], NULL, 10), reps = strtol(argv[3], NULL, 10);
	if (mb < 1 || reps < 1) {
		fprintf(stderr, "rota-search-bench: MB and REPS must be positive\n");
		return 2;
	}
	store_options_t o = {.target = argv[1]};
	char *error = NULL;
	store_t *s = store_open(&o, &error);
	if (s == NULL) {
		fprintf(stderr, "rota-search-bench: %s\n", error);
		return 1;
	}
	/* On PostgreSQL only the leader writes: take the lease, as a
	 * coordinator does. */
	uint64_t epoch = 0;
	store_lease_t lease = {.holder = "search-bench",
	                       .worker_endpoint = "",
	                       .api_endpoint = "",
	                       .http_endpoint = "",
	                       .lease_ms = 3600000};
	if (store_shared(s) && store_lease_take(s, &lease, &epoch) != 1) {
		fprintf(stderr, "rota-search-bench: cannot take the store's lease\n");
		store_destroy(&s);
		return 1;
	}
	static char words[SB_VOCABULARY][16];
	for (unsigned i = 0; i < SB_VOCABULARY; i++)
		sb_word(i, words[i]);

	double t0 = sb_now_ms(), turn_ms = 0, index_ms = 0, turn_start = t0;
	char *buf = xmalloc(SB_CHUNK);
	uint64_t line = 0, chunks = (uint64_t)mb * 1024 * 1024 / SB_CHUNK;
	int64_t row = 0;
	for (uint64_t c = 0; c < chunks; c++) {
		uint64_t seq = c % SB_CHUNKS_PER_STEP + 1;
		if (seq == 1) {
			uint64_t step = c / SB_CHUNKS_PER_STEP;
			char run[32], host[16];
			snprintf(run, sizeof(run), "run-%06llu",
			         (unsigned long long)(step / SB_HOSTS));
			snprintf(host, sizeof(host), "web%llu",
			         (unsigned long long)(step % SB_HOSTS + 1));
			int64_t at = 1780000000000 + (int64_t)c * 10;
			if (step % SB_HOSTS == 0) {
				store_run_t r = {
				    .id = run, .runbook = "logs", .status = 3, .created_ms = at};
				if (store_run_insert(s, &r) != 0)
					goto failed;
			}
			store_step_state_t st = {.status = 2, .started_ms = at};
			if (store_step_insert(s, run, "tail", host, 1, 0, 1, NULL, 0, &row) != 0 ||
			    store_step_update(s, row, &st) != 0)
				goto failed;
		}
		size_t len = sb_chunk(buf, SB_CHUNK, &line, words);
		store_output_t outcome;
		uint64_t recorded;
		if (store_output_append(s, row, seq, 1, (const uint8_t *)buf, len, 1ull << 40,
		                        1780000000000 + (int64_t)c * 10, &outcome, &recorded) != 0)
			goto failed;
		/* A turn of the loop commits a few hundred KiB at most; the
		 * indexer's slices follow it. */
		if (c % 32 == 31 || c + 1 == chunks) {
			if (store_commit(s) != 0)
				goto failed;
			double a = sb_now_ms();
			turn_ms += a - turn_start;
			int n;
			while ((n = store_search_feed(s, 4)) == 4)
				;
			if (n < 0 || store_commit(s) != 0)
				goto failed;
			turn_start = sb_now_ms();
			index_ms += turn_start - a;
		}
	}
	double fill_s = (sb_now_ms() - t0) / 1000.0;

	double *ms = xcalloc((size_t)reps, sizeof(*ms));
	size_t hits = 0;
	for (long i = 0; i < reps; i++) {
		Rota__SearchResponse *out = xmalloc(sizeof(*out));
		store_search_t q = {.text = "kettle", .limit = 20, .context = 2};
		double a = sb_now_ms();
		if (store_search(s, &q, out) != 0) {
			free(out);
			goto failed;
		}
		ms[i] = sb_now_ms() - a;
		hits = out->n_hits;
		rota__search_response__free_unpacked(out, NULL);
	}
	qsort(ms, (size_t)reps, sizeof(*ms), sb_cmp);
	printf("%.1f %.2f %.2f %zu %.3f %.3f\n", fill_s, ms[(reps - 1) / 2],
	       ms[(reps * 99 - 1) / 100], hits, turn_ms / (double)chunks,
	       index_ms / (double)chunks);
	free(ms);
	free(buf);
	store_destroy(&s);
	return 0;
failed:
	fprintf(stderr, "rota-search-bench: the store failed: %s\n", store_last_error(s));
	store_destroy(&s);
	return 1;
}
