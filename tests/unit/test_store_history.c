/* store_history: `rota runs`' filters and pages and `rota history`'s
 * figures, on a real store (SQLite here, PostgreSQL in
 * pg.unit.store_history), from a known set of runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture_store.h"
#include "store/store.h"
#include "xalloc.h"

/* A run of book created at created_ms, over from started_ms for
 * duration_ms, whose one step ran on each of hosts with step_status. */
static void
run_add(store_t *s, const char *id, const char *book, int status, const char *trigger,
        int64_t created_ms, int64_t duration_ms, const char *hosts, int step_status)
{
	store_run_t run = {.id = id,
	                   .runbook = book,
	                   .status = status,
	                   .trigger = trigger,
	                   .created_ms = created_ms,
	                   .started_ms = created_ms + 10,
	                   .ended_ms = duration_ms >= 0 ? created_ms + 10 + duration_ms : 0};
	assert_int_equal(store_run_insert(s, &run), 0);
	char *list = xstrdup(hosts);
	char *save = NULL;
	for (char *h = strtok_r(list, ",", &save); h; h = strtok_r(NULL, ",", &save)) {
		int64_t row;
		/* host b fails where the run failed; the others succeed */
		int st = status == 4 && strcmp(h, "b") != 0 ? 4 : step_status;
		assert_int_equal(store_step_insert(s, id, "check", h, 1, 0, st, NULL, 0, &row), 0);
		store_step_state_t ss = {.status = st,
		                         .exit_code = st == 5 ? 3 : 0,
		                         .started_ms = run.started_ms,
		                         .ended_ms = run.ended_ms,
		                         .detail = st == 5 ? "exited with status 3" : NULL};
		assert_int_equal(store_step_update(s, row, &ss), 0);
	}
	free(list);
}

/* r1..r6 of book (r4 failed on b, r6 still running), one of other, one
 * scheduled; created 1000 ms apart. */
static void
fill(store_t *s)
{
	run_add(s, "r1", "book", 3, "manual", 1000, 100, "a,b", 4);
	run_add(s, "r2", "book", 3, "manual", 2000, 200, "a,b", 4);
	run_add(s, "r3", "book", 3, "schedule", 3000, 300, "a,b", 4);
	run_add(s, "r4", "book", 4, "manual", 4000, 400, "a,b", 5);
	run_add(s, "r5", "other", 3, "manual", 5000, 50, "c", 4);
	run_add(s, "r6", "book", 2, "manual", 6000, -1, "a", 3);
	run_add(s, "r7", "book", 5, "manual", 7000, 5, "a", 9);
	assert_int_equal(store_commit(s), 0);
}

/* The ids listed, "r4 r3 " (caller frees), and the next page's cursor. */
static char *
find(store_t *s, const store_runs_filter_t *f, const char *before, uint32_t limit, char *next,
     size_t next_len)
{
	/* The cursor is one of the filter's fields. */
	store_runs_filter_t with = {0};
	if (f != NULL)
		with = *f;
	with.before = before;
	Rota__ListRunsResponse out;
	assert_int_equal(
	    store_runs_find(s, f != NULL || before != NULL ? &with : NULL, limit, &out), 0);
	char *ids = xstrdup("");
	for (size_t i = 0; i < out.n_runs; i++) {
		char *more = xasprintf("%s%s ", ids, out.runs[i]->id);
		free(ids);
		ids = more;
	}
	if (next != NULL)
		snprintf(next, next_len, "%s", out.next_before);
	for (size_t i = 0; i < out.n_runs; i++) {
		store_run_summary_clear(out.runs[i]);
		free(out.runs[i]);
	}
	free(out.runs);
	free(out.next_before);
	return ids;
}

static void
assert_find(store_t *s, const store_runs_filter_t *f, const char *want)
{
	char *got = find(s, f, NULL, 100, NULL, 0);
	assert_string_equal(got, want);
	free(got);
}

static void
test_filters(void **state)
{
	store_t *s = ((fixture_store_t *)*state)->store;
	fill(s);
	assert_find(s, NULL, "r7 r6 r5 r4 r3 r2 r1 ");
	assert_find(s, &(store_runs_filter_t){.runbook = "book"}, "r7 r6 r4 r3 r2 r1 ");
	assert_find(s, &(store_runs_filter_t){.runbook = "nope"}, "");
	assert_find(s, &(store_runs_filter_t){.status = 4}, "r4 ");
	assert_find(s, &(store_runs_filter_t){.host = "b"}, "r4 r3 r2 r1 ");
	assert_find(s, &(store_runs_filter_t){.host = "c"}, "r5 ");
	assert_find(s, &(store_runs_filter_t){.trigger = "schedule"}, "r3 ");
	assert_find(s, &(store_runs_filter_t){.since_ms = 3000}, "r7 r6 r5 r4 r3 ");
	assert_find(s, &(store_runs_filter_t){.until_ms = 3000}, "r2 r1 ");
	assert_find(s, &(store_runs_filter_t){.since_ms = 2000, .until_ms = 5000}, "r4 r3 r2 ");
	/* All of them at once: each narrows. */
	assert_find(s,
	            &(store_runs_filter_t){.runbook = "book",
	                                   .status = 3,
	                                   .host = "b",
	                                   .trigger = "manual",
	                                   .since_ms = 1500,
	                                   .until_ms = 9000},
	            "r2 ");
}

static void
test_pages_follow_the_cursor(void **state)
{
	store_t *s = ((fixture_store_t *)*state)->store;
	fill(s);
	/* Two runs created in the same ms: the id breaks the tie, so a page
	 * boundary between them neither skips nor repeats one. */
	run_add(s, "r3b", "book", 3, "manual", 3000, 10, "a", 4);
	assert_int_equal(store_commit(s), 0);
	store_runs_filter_t f = {.runbook = "book"};
	char next[64];
	char *all = xstrdup("");
	const char *before = NULL;
	char cursor[64] = "";
	int pages = 0;
	do {
		char *page = find(s, &f, before, 2, next, sizeof(next));
		char *more = xasprintf("%s%s", all, page);
		free(all);
		free(page);
		all = more;
		snprintf(cursor, sizeof(cursor), "%s", next);
		before = cursor;
		pages++;
	} while (next[0] != '\0' && pages < 10);
	assert_string_equal(all, "r7 r6 r4 r3b r3 r2 r1 ");
	assert_int_equal(pages, 4); /* 2 + 2 + 2 + 1 */
	free(all);

	/* A cursor that names no run gives no page (the API refuses it
	 * before asking: rota runs --before names the run it cannot find). */
	char *none = find(s, &f, "no-such-run", 2, next, sizeof(next));
	assert_string_equal(none, "");
	assert_string_equal(next, "");
	free(none);
}

/* store_history into *h (its fields the caller's: history_clear). */
static void
history(store_t *s, const char *book, int64_t since_ms, Rota__HistoryResponse *h)
{
	Rota__HistoryResponse *heap = xmalloc(sizeof(*heap));
	assert_int_equal(store_history(s, book, since_ms, heap), 0);
	*h = *heap;
	free(heap);
}

static void
history_clear(Rota__HistoryResponse *h)
{
	Rota__HistoryResponse *heap = xmalloc(sizeof(*heap));
	*heap = *h;
	rota__history_response__free_unpacked(heap, NULL);
}

static void
test_history_figures(void **state)
{
	store_t *s = ((fixture_store_t *)*state)->store;
	fill(s);
	Rota__HistoryResponse h;
	history(s, "book", 0, &h);
	assert_string_equal(h.runbook, "book");
	assert_int_equal(h.runs, 6);
	assert_int_equal(h.succeeded, 3);
	assert_int_equal(h.failed, 1);
	assert_int_equal(h.cancelled, 1);
	assert_int_equal(h.active, 1);
	/* Of r1..r4 (100, 200, 300, 400 ms): nearest rank. */
	assert_int_equal(h.timed, 4);
	assert_int_equal(h.p50_ms, 200);
	assert_int_equal(h.p95_ms, 400);
	assert_int_equal(h.n_failed_hosts, 1);
	assert_string_equal(h.failed_hosts[0]->name, "b");
	assert_int_equal(h.failed_hosts[0]->runs, 1);
	assert_int_equal(h.n_failed_steps, 1);
	assert_string_equal(h.failed_steps[0]->name, "check");
	assert_string_equal(h.last_failure_run, "r4");
	assert_int_equal(h.last_failure_ms, 4000 + 10 + 400);
	assert_string_equal(h.last_failure_reason,
	                    "step check on b failed with exit code 3: exited with status 3");
	history_clear(&h);
}

static void
test_history_window_and_run_reason(void **state)
{
	store_t *s = ((fixture_store_t *)*state)->store;
	fill(s);
	Rota__HistoryResponse h;
	/* From 4500 on: only r6 (running) and r7 (cancelled). */
	history(s, "book", 4500, &h);
	assert_int_equal(h.runs, 2);
	assert_int_equal(h.timed, 0);
	assert_int_equal(h.p50_ms, 0);
	assert_int_equal(h.n_failed_hosts, 0);
	assert_string_equal(h.last_failure_run, "");
	history_clear(&h);

	/* A run's own reason (no targets, a bad spec) beats its steps'. */
	store_run_t run = {.id = "r8",
	                   .runbook = "book",
	                   .status = 4,
	                   .created_ms = 8000,
	                   .reason = "no worker matches role=db"};
	assert_int_equal(store_run_insert(s, &run), 0);
	assert_int_equal(store_commit(s), 0);
	history(s, "book", 0, &h);
	assert_string_equal(h.last_failure_run, "r8");
	assert_string_equal(h.last_failure_reason, "no worker matches role=db");
	assert_int_equal(h.last_failure_ms, 8000);
	history_clear(&h);

	history(s, "unknown", 0, &h);
	assert_int_equal(h.runs, 0);
	history_clear(&h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_filters, fixture_store_setup_test,
	                                    fixture_store_teardown),
	    cmocka_unit_test_setup_teardown(test_pages_follow_the_cursor, fixture_store_setup_test,
	                                    fixture_store_teardown),
	    cmocka_unit_test_setup_teardown(test_history_figures, fixture_store_setup_test,
	                                    fixture_store_teardown),
	    cmocka_unit_test_setup_teardown(test_history_window_and_run_reason,
	                                    fixture_store_setup_test, fixture_store_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
