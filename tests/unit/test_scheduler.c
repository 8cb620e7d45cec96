/* scheduler: slots fire once, catchup policies, a clock that jumps back,
 * and state that survives a new scheduler on the same store. Real SQLite
 * file and real runbook files in a temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "catalog.h"
#include "fixture_store.h"
#include "scheduler.h"
#include "store/store.h"
#include "xalloc.h"

typedef struct {
	char dir[64];
	char books[96];
	store_t *store;
	catalog_t *catalog;
	int64_t fired[64];
	size_t nfired;
} fixture_t;

static int64_t
at(const char *iso)
{
	struct tm tm = {0};
	strptime(iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return (int64_t)timegm(&tm) * 1000;
}

static void
write_book(fixture_t *f, const char *name, const char *schedule)
{
	char path[160];
	snprintf(path, sizeof(path), "%s/%s.yaml", f->books, name);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fprintf(fp, "name: %s\nschedule: %s\nsteps:\n  - id: a\n    shell: \"true\"\n", name,
	        schedule);
	fclose(fp);
}

static void
load(fixture_t *f)
{
	char *error = NULL;
	catalog_t *fresh = catalog_load(f->books, f->catalog, f->store, &error);
	assert_non_null(fresh);
	catalog_destroy(&f->catalog);
	f->catalog = fresh;
}

static const char *
fire(void *ctx, const schedule_t *s, int64_t slot_ms, size_t missed)
{
	(void)s;
	(void)missed;
	fixture_t *f = ctx;
	assert_true(f->nfired < 64);
	f->fired[f->nfired++] = slot_ms;
	return "run-x";
}

static int
setup(void **state)
{
	fixture_t *f = xcalloc(1, sizeof(*f));
	f->store =
	    fixture_store_new_books("sched", f->dir, sizeof(f->dir), f->books, sizeof(f->books));
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	fixture_t *f = *state;
	catalog_destroy(&f->catalog);
	assert_int_equal(fixture_store_remove(&f->store, f->dir), 0);
	free(f);
	return 0;
}

/* One runbook on the hour, and a scheduler synced to it at 09:59. */
static scheduler_t *
hourly_at_0959(fixture_t *f)
{
	write_book(f, "hourly", "\"0 * * * *\"");
	load(f);
	scheduler_t *s = scheduler_new(f->store);
	scheduler_sync(s, f->catalog, at("2026-06-01T09:59:00Z"));
	return s;
}

static void
test_a_slot_fires_once(void **state)
{
	fixture_t *f = *state;
	scheduler_t *s = hourly_at_0959(f);
	assert_int_equal(scheduler_next_due(s), at("2026-06-01T10:00:00Z"));
	scheduler_run(s, at("2026-06-01T09:59:59Z"), fire, f);
	assert_int_equal(f->nfired, 0);
	scheduler_run(s, at("2026-06-01T10:00:00Z"), fire, f);
	scheduler_run(s, at("2026-06-01T10:00:01Z"), fire, f);
	assert_int_equal(f->nfired, 1);
	assert_int_equal(f->fired[0], at("2026-06-01T10:00:00Z"));
	assert_int_equal(scheduler_next_due(s), at("2026-06-01T11:00:00Z"));
	assert_string_equal(scheduler_find(s, "hourly")->last_run_id, "run-x");
	assert_int_equal(store_commit(f->store), 0);

	/* A new scheduler on the same store (a restart) knows it fired. */
	scheduler_destroy(&s);
	s = scheduler_new(f->store);
	scheduler_sync(s, f->catalog, at("2026-06-01T10:00:30Z"));
	scheduler_run(s, at("2026-06-01T10:00:30Z"), fire, f);
	assert_int_equal(f->nfired, 1);
	assert_int_equal(scheduler_next_due(s), at("2026-06-01T11:00:00Z"));
	scheduler_destroy(&s);
}

static void
test_a_clock_that_jumps_back_does_not_fire_again(void **state)
{
	fixture_t *f = *state;
	scheduler_t *s = hourly_at_0959(f);
	scheduler_run(s, at("2026-06-01T10:00:00Z"), fire, f);
	assert_int_equal(f->nfired, 1);
	/* Back an hour, then forward again through 10:00. */
	scheduler_run(s, at("2026-06-01T09:00:00Z"), fire, f);
	scheduler_run(s, at("2026-06-01T10:00:00Z"), fire, f);
	scheduler_run(s, at("2026-06-01T10:30:00Z"), fire, f);
	assert_int_equal(f->nfired, 1);
	scheduler_run(s, at("2026-06-01T11:00:00Z"), fire, f);
	assert_int_equal(f->nfired, 2);
	scheduler_destroy(&s);
}

/* Asserts that the slots in want[0..n) fired, in any order: entries fire
 * in heap order, so what fired is sorted to compare. */
static void
fired_are(fixture_t *f, const int64_t *want, size_t n)
{
	assert_int_equal(f->nfired, n);
	for (size_t i = 0; i < f->nfired; i++)
		for (size_t k = i + 1; k < f->nfired; k++)
			if (f->fired[k] < f->fired[i]) {
				int64_t t = f->fired[i];
				f->fired[i] = f->fired[k];
				f->fired[k] = t;
			}
	for (size_t i = 0; i < n; i++)
		assert_int_equal(f->fired[i], want[i]);
}

/* Three runbooks on one cron line, one per catchup policy: all (at most
 * 3), latest and none. */
static void
write_catchup_books(fixture_t *f, const char *cron)
{
	char schedule[128];
	snprintf(schedule, sizeof(schedule), "{ cron: \"%s\", catchup: all, catchup_max: 3 }",
	         cron);
	write_book(f, "all", schedule);
	snprintf(schedule, sizeof(schedule), "{ cron: \"%s\", catchup: latest }", cron);
	write_book(f, "latest", schedule);
	snprintf(schedule, sizeof(schedule), "{ cron: \"%s\", catchup: none }", cron);
	write_book(f, "none", schedule);
	load(f);
}

static void
test_catchup_policies(void **state)
{
	fixture_t *f = *state;
	write_catchup_books(f, "*/5 * * * *");
	scheduler_t *s = scheduler_new(f->store);
	scheduler_sync(s, f->catalog, at("2026-06-01T09:59:00Z"));
	/* Down from before 10:00 until 10:27: 10:00 ... 10:25 are missed. */
	scheduler_run(s, at("2026-06-01T10:27:00Z"), fire, f);
	/* all: the latest three, oldest first; latest: 10:25; none: nothing. */
	int64_t want[] = {at("2026-06-01T10:15:00Z"), at("2026-06-01T10:20:00Z"),
	                  at("2026-06-01T10:25:00Z"), at("2026-06-01T10:25:00Z")};
	fired_are(f, want, 4);
	/* Every one is on time again from now on: none fires its next slot. */
	f->nfired = 0;
	scheduler_run(s, at("2026-06-01T10:30:00Z"), fire, f);
	assert_int_equal(f->nfired, 3);
	scheduler_destroy(&s);
}

static void
test_a_changed_cron_starts_again_and_removed_ones_go(void **state)
{
	fixture_t *f = *state;
	write_book(f, "daily", "\"0 8 * * *\"");
	load(f);
	scheduler_t *s = scheduler_new(f->store);
	scheduler_sync(s, f->catalog, at("2026-06-01T07:00:00Z"));
	assert_int_equal(scheduler_next_due(s), at("2026-06-01T08:00:00Z"));
	write_book(f, "daily", "{ cron: \"0 8 * * *\", timezone: Europe/London }");
	load(f);
	scheduler_sync(s, f->catalog, at("2026-06-01T07:10:00Z"));
	/* 08:00 in London is 07:00 UTC in June: already past, so tomorrow. */
	assert_int_equal(scheduler_next_due(s), at("2026-06-02T07:00:00Z"));
	store_schedule_t row;
	assert_int_equal(store_schedule_get(f->store, "daily", &row), 0);
	assert_string_equal(row.timezone, "Europe/London");
	store_schedule_clear(&row);
	char path[160];
	snprintf(path, sizeof(path), "%s/daily.yaml", f->books);
	unlink(path);
	load(f);
	scheduler_sync(s, f->catalog, at("2026-06-01T07:20:00Z"));
	assert_int_equal(scheduler_count(s), 0);
	assert_int_equal(store_schedule_get(f->store, "daily", &row), 1);
	scheduler_destroy(&s);
}

/* A coordinator down longer than SCHEDULER_MAX_WALK slots of a schedule
 * (a minutely one, for years) fires the latest slots: the one on time now
 * under catchup none and latest, the last catchup_max under all; not the
 * last ones the walk reached. */
static void
test_a_very_long_outage(void **state)
{
	fixture_t *f = *state;
	write_catchup_books(f, "* * * * *");
	scheduler_t *s = scheduler_new(f->store);
	scheduler_sync(s, f->catalog, at("2023-06-01T09:59:30Z"));
	scheduler_run(s, at("2026-06-01T10:00:10Z"), fire, f);
	int64_t want[] = {at("2026-06-01T09:58:00Z"), at("2026-06-01T09:59:00Z"),
	                  at("2026-06-01T10:00:00Z"), at("2026-06-01T10:00:00Z"),
	                  at("2026-06-01T10:00:00Z")};
	fired_are(f, want, 5);
	assert_int_equal(scheduler_next_due(s), at("2026-06-01T10:01:00Z"));
	scheduler_destroy(&s);
}

/* A resync resets the scheduler in place (scheduler_reset): it forgets its
 * entries and reads them again from the store, so a slot committed as
 * fired does not fire again. */
static void
test_a_reset_reads_the_store_again(void **state)
{
	fixture_t *f = *state;
	scheduler_t *s = hourly_at_0959(f);
	scheduler_run(s, at("2026-06-01T10:00:00Z"), fire, f);
	assert_int_equal(f->nfired, 1);
	assert_int_equal(store_commit(f->store), 0);

	scheduler_reset(s);
	assert_int_equal(scheduler_count(s), 0);
	assert_int_equal(scheduler_next_due(s), INT64_MAX);
	scheduler_sync(s, f->catalog, at("2026-06-01T10:00:30Z"));
	assert_int_equal(scheduler_count(s), 1);
	scheduler_run(s, at("2026-06-01T10:00:30Z"), fire, f);
	assert_int_equal(f->nfired, 1);
	assert_int_equal(scheduler_next_due(s), at("2026-06-01T11:00:00Z"));
	scheduler_destroy(&s);
}

static bool
stored(fixture_t *f, const char *name, store_schedule_t *row)
{
	int rc = store_schedule_get(f->store, name, row);
	assert_true(rc == 0 || rc == 1);
	return rc == 0;
}

/* scheduler_sync_later: the entries are whole at once, their rows written
 * after in slices, except those due soon; a slice writes the entry as it
 * is now, so one that fired is not written back to its older state; a
 * new scheduler on the store (a restart) marks what is still missing. */
static void
test_rows_are_written_later(void **state)
{
	fixture_t *f = *state;
	write_book(f, "soon", "\"0 * * * *\"");
	write_book(f, "noon", "\"0 12 * * *\"");
	write_book(f, "late", "\"30 13 * * *\"");
	write_book(f, "night", "\"0 23 * * *\"");
	load(f);
	scheduler_t *s = scheduler_new(f->store);
	assert_int_equal(scheduler_sync_later(s, f->catalog, at("2026-06-01T09:59:00Z")), 0);
	assert_int_equal(scheduler_count(s), 4);
	assert_int_equal(scheduler_unsaved(s), 3);
	assert_int_equal(scheduler_find(s, "late")->next_ms, at("2026-06-01T13:30:00Z"));
	store_schedule_t row = {0};
	assert_true(stored(f, "soon", &row)); /* due within SCHEDULER_SAVE_AHEAD_MS */
	store_schedule_clear(&row);
	assert_false(stored(f, "noon", &row));
	assert_int_equal(store_commit(f->store), 0);

	/* One slice of one row: name order, "late" first. */
	assert_int_equal(scheduler_save_some(s, at("2026-06-01T09:59:01Z"), 1), 0);
	assert_int_equal(scheduler_unsaved(s), 2);
	assert_true(stored(f, "late", &row));
	assert_int_equal(row.next_ms, at("2026-06-01T13:30:00Z"));
	store_schedule_clear(&row);
	assert_int_equal(store_commit(f->store), 0);

	/* Killed here: a restart marks noon and night again. */
	scheduler_t *again = scheduler_new(f->store);
	assert_int_equal(scheduler_sync_later(again, f->catalog, at("2026-06-01T10:30:00Z")), 0);
	assert_int_equal(scheduler_unsaved(again), 2);
	scheduler_destroy(&again);

	/* Noon comes with its row unwritten: written before it can fire (the
	 * slice looks ahead), then written with the slot fired. */
	assert_int_equal(scheduler_save_some(s, at("2026-06-01T11:56:00Z"), 0), 0);
	assert_true(stored(f, "noon", &row));
	store_schedule_clear(&row);
	assert_int_equal(scheduler_unsaved(s), 1);
	scheduler_run(s, at("2026-06-01T12:00:00Z"), fire, f);
	assert_int_equal(f->nfired, 2); /* soon's latest slot, and noon */
	assert_true(stored(f, "noon", &row));
	assert_int_equal(row.last_slot_ms, at("2026-06-01T12:00:00Z"));
	store_schedule_clear(&row);
	/* The rest: night alone, noon's fired state left as it is. */
	assert_int_equal(scheduler_save_some(s, at("2026-06-01T12:00:01Z"), SIZE_MAX), 0);
	assert_int_equal(scheduler_unsaved(s), 0);
	assert_true(stored(f, "noon", &row));
	assert_int_equal(row.last_slot_ms, at("2026-06-01T12:00:00Z"));
	store_schedule_clear(&row);
	assert_true(stored(f, "night", &row));
	store_schedule_clear(&row);
	assert_int_equal(store_commit(f->store), 0);
	scheduler_destroy(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_a_slot_fires_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_a_clock_that_jumps_back_does_not_fire_again, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_catchup_policies, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_a_changed_cron_starts_again_and_removed_ones_go,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_a_very_long_outage, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_a_reset_reads_the_store_again, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rows_are_written_later, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
