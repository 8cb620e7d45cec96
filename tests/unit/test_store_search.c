/* store_search: the search index over stored output and `rota search`'s
 * hits, on a real store (SQLite's FTS5 here, PostgreSQL's GIN index in
 * pg.unit.store_search): what is stored is found, as a phrase of whole
 * words in any case, with its place and the lines around it; filters
 * narrow; no text can break the query; bytes that are not text are
 * indexed as what a terminal would show. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture_store.h"
#include "store/db.h"
#include "store/store.h"
#include "xalloc.h"

/* A dispatched step run of a new or existing run; its row. */
static int64_t
step_add(store_t *s, const char *run_id, const char *book, const char *host, int64_t at_ms)
{
	store_run_t run = {.id = run_id, .runbook = book, .status = 3, .created_ms = at_ms};
	if (!store_run_exists(s, run_id))
		assert_int_equal(store_run_insert(s, &run), 0);
	int64_t row;
	assert_int_equal(store_step_insert(s, run_id, "check", host, 1, 0, 1, NULL, 0, &row), 0);
	store_step_state_t ss = {.status = 2, .started_ms = at_ms};
	assert_int_equal(store_step_update(s, row, &ss), 0);
	return row;
}

/* Stores chunk seq of row (seq in order from 1). */
static void
chunk(store_t *s, int64_t row, uint64_t seq, int stream, const char *text, int64_t at_ms)
{
	store_output_t outcome;
	uint64_t recorded;
	assert_int_equal(store_output_append(s, row, seq, stream, (const uint8_t *)text,
	                                     strlen(text), 1 << 20, at_ms, &outcome, &recorded),
	                 0);
	assert_int_equal(outcome, STORE_OUTPUT_STORED);
}

/* Commits the turn, then feeds the whole queue to the index as the
 * indexer's slices would (batches of 3, committed), until it is empty. */
static void
commit_indexed(store_t *s)
{
	assert_int_equal(store_commit(s), 0);
	int n;
	do {
		n = store_search_feed(s, 3);
		assert_true(n >= 0);
	} while (n == 3);
	assert_int_equal(store_commit(s), 0);
	int64_t left = -1;
	assert_int_equal(store_search_backlog(s, &left), 0);
	assert_int_equal(left, 0);
}

/* The search's hits as "run/host: before|>line|after" lines (caller
 * frees); *more set from the answer. -1 in *rc... the return code. */
static char *
search(store_t *s, const store_search_t *q, int *rc, bool *more)
{
	Rota__SearchResponse *out = xmalloc(sizeof(*out));
	*rc = store_search(s, q, out);
	char *text = xstrdup("");
	for (size_t i = 0; i < out->n_hits; i++) {
		const Rota__SearchHit *h = out->hits[i];
		char *line = xasprintf("%s/%s/%s:", h->run_id, h->host, h->step_id);
		for (size_t k = 0; k < h->n_before; k++) {
			char *l = xasprintf("%s%s|", line, h->before[k]);
			free(line);
			line = l;
		}
		char *l = xasprintf("%s>%s", line, h->line);
		free(line);
		line = l;
		for (size_t k = 0; k < h->n_after; k++) {
			l = xasprintf("%s|%s", line, h->after[k]);
			free(line);
			line = l;
		}
		char *all = xasprintf("%s%s\n", text, line);
		free(text);
		free(line);
		text = all;
	}
	if (more != NULL)
		*more = out->more;
	rota__search_response__free_unpacked(out, NULL);
	return text;
}

static void
assert_search(store_t *s, const store_search_t *q, const char *want)
{
	int rc = -1;
	char *got = search(s, q, &rc, NULL);
	assert_int_equal(rc, 0);
	assert_string_equal(got, want);
	free(got);
}

/* r1: a on disk (stdout and stderr chunks, a stderr line cut in two
 * between its chunks, stdout between them); r2: b on disk, later; r3:
 * another runbook on a. */
static void
fill(store_t *s)
{
	int64_t a = step_add(s, "r1", "disk", "a", 1000);
	chunk(s, a, 1, 1, "usage 97%\n", 1000);
	chunk(s, a, 2, 2, "checking /srv\nERROR: Disk Full on /srv\nhint: run cle", 1001);
	chunk(s, a, 3, 1, "done\n", 1002);
	chunk(s, a, 4, 2, "anup\nbye\n", 1003);
	int64_t b = step_add(s, "r2", "disk", "b", 2000);
	chunk(s, b, 1, 1, "usage 40%\ndisk fine\n", 2000);
	chunk(s, b, 2, 2, "error: disk full? no: disk is fine\n", 2001);
	int64_t c = step_add(s, "r3", "other", "a", 3000);
	chunk(s, c, 1, 1, "disk full said someone\n", 3000);
	commit_indexed(s);
}

static void
test_phrase_with_its_place_and_context(void **state)
{
	store_t *s = ((fixture_store_t *)*state)->store;
	fill(s);
	/* Newest first; case ignored; the context comes from the chunks of
	 * the hit's stream around it, and the line cut between chunks is
	 * whole. */
	assert_search(s, &(store_search_t){.text = "disk full", .limit = 10, .context = 2},
	              "r3/a/check:>disk full said someone\n"
	              "r2/b/check:>error: disk full? no: disk is fine\n"
	              "r1/a/check:checking /srv|>ERROR: Disk Full on /srv|hint: run cleanup|"
	              "bye\n");
	/* A phrase: both words, in order. */
	assert_search(s, &(store_search_t){.text = "full disk", .limit = 10}, "");
	/* Whole words only. */
	assert_search(s, &(store_search_t){.text = "dis", .limit = 10}, "");
	/* The line cut in two is found by its second half's word. */
	assert_search(s, &(store_search_t){.text = "cleanup", .limit = 10, .context = 1},
	              "r1/a/check:ERROR: Disk Full on /srv|>hint: run cleanup|bye\n");
}

static void
test_filters_and_limit(void **state)
{
	store_t *s = ((fixture_store_t *)*state)->store;
	fill(s);
	assert_search(s, &(store_search_t){.text = "disk full", .runbook = "disk", .limit = 10},
	              "r2/b/check:>error: disk full? no: disk is fine\n"
	              "r1/a/check:>ERROR: Disk Full on /srv\n");
	assert_search(
	    s, &(store_search_t){.text = "disk full", .runbook = "disk", .host = "a", .limit = 10},
	    "r1/a/check:>ERROR: Disk Full on /srv\n");
	assert_search(s, &(store_search_t){.text = "disk full", .since_ms = 2000, .limit = 10},
	              "r3/a/check:>disk full said someone\n"
	              "r2/b/check:>error: disk full? no: disk is fine\n");
	int rc = -1;
	bool more = false;
	char *got = search(s, &(store_search_t){.text = "disk full", .limit = 2}, &rc, &more);
	assert_int_equal(rc, 0);
	assert_string_equal(got, "r3/a/check:>disk full said someone\n"
	                         "r2/b/check:>error: disk full? no: disk is fine\n");
	assert_true(more);
	free(got);
}

static void
test_no_text_breaks_the_query(void **state)
{
	store_t *s = ((fixture_store_t *)*state)->store;
	fill(s);
	/* The engines' operators and quotes are punctuation here. */
	static const char *const texts[] = {"\"disk full",  "disk* full",   "(disk) full",
	                                    "disk & !full", "disk:full",    "'disk' -- full",
	                                    "disk+full",    "DISK \"FULL\""};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		int rc = -1;
		char *got = search(s, &(store_search_t){.text = texts[i], .limit = 10}, &rc, NULL);
		assert_int_equal(rc, 0);
		assert_non_null(strstr(got, "r1/a/check:>ERROR: Disk Full on /srv\n"));
		free(got);
	}
	/* An operator's word is a word of the phrase, never an operator. */
	assert_search(s, &(store_search_t){.text = "disk OR full", .limit = 10}, "");
	assert_search(s, &(store_search_t){.text = "NEAR(disk full)", .limit = 10}, "");
	int rc = 0;
	char *got = search(s, &(store_search_t){.text = "!!! ---", .limit = 10}, &rc, NULL);
	assert_int_equal(rc, 1);
	free(got);
}

static void
test_bytes_that_are_not_text(void **state)
{
	store_t *s = ((fixture_store_t *)*state)->store;
	int64_t a = step_add(s, "r1", "disk", "a", 1000);
	/* Invalid UTF-8, an escape sequence, a NUL: PostgreSQL's text takes
	 * none of them, so the index holds what a terminal would be shown. */
	static const char bytes[] = "\xff\xfe \x1b[31mboom\x1b[0m failed\n";
	store_output_t outcome;
	uint64_t recorded;
	assert_int_equal(store_output_append(s, a, 1, 1, (const uint8_t *)bytes, sizeof(bytes),
	                                     1 << 20, 1000, &outcome, &recorded),
	                 0);
	commit_indexed(s);
	int rc = -1;
	char *got = search(s, &(store_search_t){.text = "failed", .limit = 10}, &rc, NULL);
	assert_int_equal(rc, 0);
	assert_string_equal(got, "r1/a/check:>\xef\xbf\xbd\xef\xbf\xbd \\x1b[31mboom\\x1b[0m"
	                         " failed\n");
	free(got);
	/* Nor does a search's own text that is not UTF-8 fail the query. */
	got = search(s, &(store_search_t){.text = "\xff\xfe failed", .limit = 10}, &rc, NULL);
	assert_int_equal(rc, 0);
	free(got);
}

static void
test_cap_and_turn(void **state)
{
	store_t *s = ((fixture_store_t *)*state)->store;
	int64_t a = step_add(s, "r1", "disk", "a", 1000);
	/* Past the cap nothing is stored, so nothing is indexed: the index
	 * holds what was stored. */
	store_output_t outcome;
	uint64_t recorded;
	static const char text[] = "kept words\nlost words\n";
	assert_int_equal(store_output_append(s, a, 1, 1, (const uint8_t *)text, strlen(text), 11,
	                                     1000, &outcome, &recorded),
	                 0);
	commit_indexed(s);
	assert_search(s, &(store_search_t){.text = "kept", .limit = 10},
	              "r1/a/check:>kept words\n");
	assert_search(s, &(store_search_t){.text = "lost", .limit = 10}, "");
	/* A turn that does not commit leaves nothing in the index either. */
	chunk(s, a, 2, 1, "rolled back\n", 1001);
	int64_t dup; /* refused: at once, or by the commit on PostgreSQL */
	assert_int_equal(store_step_insert(s, "r1", "check", "a", 1, 0, 1, NULL, 0, &dup),
	                 store_is_postgresql(s) ? 0 : -1);
	assert_int_equal(store_commit(s), -1);
	assert_int_equal(store_search_feed(s, 3), 0); /* nothing was queued */
	assert_int_equal(store_commit(s), 0);
	assert_search(s, &(store_search_t){.text = "rolled back", .limit = 10}, "");
}

static void
test_a_chunk_larger_than_a_row(void **state)
{
	store_t *s = ((fixture_store_t *)*state)->store;
	int64_t a = step_add(s, "r1", "disk", "a", 1000);
	/* 3 MiB of lines in one chunk (a frame takes 4 MiB): indexed in
	 * pieces, the last line found with the lines before it. */
	size_t len = 3 * 1024 * 1024;
	char *big = xmalloc(len + 1);
	for (size_t i = 0; i < len; i++)
		big[i] = i % 64 == 63 ? '\n' : (char)('a' + i % 26);
	static const char tail[] = "\nthe very end\n";
	memcpy(big + len - strlen(tail), tail, strlen(tail));
	big[len] = '\0';
	store_output_t outcome;
	uint64_t recorded;
	assert_int_equal(store_output_append(s, a, 1, 1, (const uint8_t *)big, len, 1 << 30, 1000,
	                                     &outcome, &recorded),
	                 0);
	commit_indexed(s);
	size_t end = len - strlen(tail), start = end;
	while (big[start - 1] != '\n')
		start--;
	char *want = xasprintf("r1/a/check:%.*s|>the very end\n", (int)(end - start), big + start);
	assert_search(s, &(store_search_t){.text = "very end", .limit = 10, .context = 1}, want);
	free(want);
	free(big);
}

static void
test_found_once_fed(void **state)
{
	store_t *s = ((fixture_store_t *)*state)->store;
	int64_t a = step_add(s, "r1", "disk", "a", 1000);
	chunk(s, a, 1, 1, "fresh words\n", 1000);
	assert_int_equal(store_commit(s), 0);
	/* The turn that stored it only queued it: not found yet, and counted
	 * as the backlog. */
	int64_t backlog = -1;
	assert_int_equal(store_search_backlog(s, &backlog), 0);
	assert_int_equal(backlog, 1);
	assert_search(s, &(store_search_t){.text = "fresh", .limit = 10}, "");
	/* Fed: found, and the queue is empty. */
	assert_int_equal(store_search_feed(s, 3), 1);
	assert_int_equal(store_commit(s), 0);
	assert_search(s, &(store_search_t){.text = "fresh", .limit = 10},
	              "r1/a/check:>fresh words\n");
	assert_int_equal(store_search_backlog(s, &backlog), 0);
	assert_int_equal(backlog, 0);
}

/* Runs sql on the store's database, closed meanwhile (the store is
 * reopened, so migrated, by the caller). */
static void
raw_sql(const char *path, const char *sql)
{
	char *error = NULL;
	db_options_t o = {.target = path, .busy_timeout_ms = 5000};
	db_t *db = db_open(&o, &error);
	if (db == NULL)
		fail_msg("%s", error);
	assert_int_equal(db_exec(db, sql), 0);
	db_close(&db);
}

static void
test_output_from_before_the_index_is_backfilled(void **state)
{
	fixture_store_t *f = *state;
	store_t *s = f->store;
	/* A step's output, compressed as stored (a chunk long enough for
	 * zstd), and a short one. */
	int64_t a = step_add(s, "r1", "disk", "a", 1000);
	char *long_line = xstrdup("");
	for (int i = 0; i < 20; i++) {
		char *l = xasprintf("%sline %d of the old report\n", long_line, i);
		free(long_line);
		long_line = l;
	}
	chunk(s, a, 1, 1, long_line, 1000);
	chunk(s, a, 2, 1, "old needle found\n", 1001);
	commit_indexed(s);
	free(long_line);
	store_destroy(&f->store);
	/* As a store from before the search index (schema 11 -> 12) is after
	 * the migrations up to 15: its output has no text to search. */
	bool pg = db_target_is_postgresql(f->path);
	raw_sql(f->path, pg ? "DELETE FROM output_text; DROP TABLE search_queue;"
	                      "UPDATE meta SET value = '15' WHERE key = 'schema_version'"
	                    : "DELETE FROM output_text; DROP TABLE search_queue;"
	                      "PRAGMA user_version = 15");
	f->store = s = fixture_store_open(f->path);
	assert_non_null(s);
	/* The migration queued it; the slices index it like new output. */
	int64_t backlog = -1;
	assert_int_equal(store_search_backlog(s, &backlog), 0);
	assert_int_equal(backlog, 2);
	assert_search(s, &(store_search_t){.text = "old needle", .limit = 10}, "");
	commit_indexed(s);
	assert_search(s, &(store_search_t){.text = "old needle", .limit = 10, .context = 1},
	              "r1/a/check:line 19 of the old report|>old needle found\n");
	assert_search(s, &(store_search_t){.text = "line 7", .limit = 10},
	              "r1/a/check:>line 7 of the old report\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_phrase_with_its_place_and_context,
	                                    fixture_store_setup_test, fixture_store_teardown),
	    cmocka_unit_test_setup_teardown(test_filters_and_limit, fixture_store_setup_test,
	                                    fixture_store_teardown),
	    cmocka_unit_test_setup_teardown(test_no_text_breaks_the_query, fixture_store_setup_test,
	                                    fixture_store_teardown),
	    cmocka_unit_test_setup_teardown(test_bytes_that_are_not_text, fixture_store_setup_test,
	                                    fixture_store_teardown),
	    cmocka_unit_test_setup_teardown(test_cap_and_turn, fixture_store_setup_test,
	                                    fixture_store_teardown),
	    cmocka_unit_test_setup_teardown(test_a_chunk_larger_than_a_row,
	                                    fixture_store_setup_test, fixture_store_teardown),
	    cmocka_unit_test_setup_teardown(test_found_once_fed, fixture_store_setup_test,
	                                    fixture_store_teardown),
	    cmocka_unit_test_setup_teardown(test_output_from_before_the_index_is_backfilled,
	                                    fixture_store_setup_test, fixture_store_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
