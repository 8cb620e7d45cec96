/* test_pruner_year: a simulated year of a realistic schedule load on a
 * real SQLite store, with retention's pass run as the loop runs it, and
 * the store kept under the size its retention implies.
 *
 * The method: the year is 26 simulated fortnights. Each is one child
 * process (this binary again, "--week") started with ROTA_FAKE_NOW at the
 * fortnight's start, so every row the store stamps with the coordinator's
 * clock (the event stream's rows) carries the simulated time, as in a
 * coordinator under a fake clock. The child writes the fortnight's history
 * through the store's own writers, day by day at the runs' times: three
 * daily runbooks, two weekly ones and one every four weeks, each run on 4
 * hosts with two chunks of output a step, and ten audit rows a day; then
 * it runs a retention pass with the pruner (pruner_start, then
 * pruner_turn and a commit a turn until it is idle, vacuum included) at
 * the fortnight's end (the real pruner passes hourly: a pass a fortnight
 * only lets each window hold up to 14 days more, which the bounds allow). The parent checks, after
 * the weeks retention needs to fill its windows and again at the year's end, that each table holds
 * at most what retention times the rate allows, and that the file stopped growing once the windows
 * were full (only the audit trail, kept 400 days, still grows). A fortnight in a process of its own
 * keeps the clock honest; history inserted through the writers keeps it fast (a few seconds in
 * all). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "clock.h"
#include "fixture_store.h"
#include "pruner.h"
#include "store/store_audit.h"

#define DAY (24LL * 3600 * 1000)
#define WEEKS 52
#define STEP_WEEKS 2 /* weeks a child simulates */
#define HOSTS 4
#define CHUNKS 2                /* per step */
#define T0_SECONDS 1735516800LL /* 2024-12-30T00:00:00Z, a Monday */

static const char *self_path;

static void
add_run(store_t *s, const char *runbook, int week, int day, int64_t at)
{
	char id[64];
	snprintf(id, sizeof(id), "%s-%02d-%d", runbook, week, day);
	fixture_store_run(s, id, runbook, "name: x\n", ROTA__RUN_STATUS__RUN_RUNNING, at);
	for (int h = 0; h < HOSTS; h++) {
		char host[16];
		snprintf(host, sizeof(host), "host-%d", h);
		int64_t row = 0;
		assert_int_equal(store_step_insert(s, id, "check", host, 1, 0, 2, NULL, 0, &row),
		                 0);
		/* Sent to its worker: output is taken from now on. */
		store_step_state_t sent = {.status = ROTA__STEP_STATUS__STEP_DISPATCHED,
		                           .started_ms = at};
		assert_int_equal(store_step_update(s, row, &sent), 0);
		for (int c = 0; c < CHUNKS; c++) {
			char text[512];
			int n = snprintf(text, sizeof(text),
			                 "%s %s chunk %d at %lld: /var 41%% used, load 0.%d\n", id,
			                 host, c, (long long)at, (week * 7 + day + c) % 10);
			store_output_t out;
			uint64_t rec;
			assert_int_equal(store_output_append(s, row, (uint64_t)c + 1, 1,
			                                     (const uint8_t *)text, (size_t)n,
			                                     1 << 20, at + c, &out, &rec),
			                 0);
		}
		store_step_state_t st = {.status = ROTA__STEP_STATUS__STEP_SUCCEEDED,
		                         .started_ms = at,
		                         .ended_ms = at + 5};
		assert_int_equal(store_step_update(s, row, &st), 0);
	}
	assert_int_equal(store_run_update(s, id, ROTA__RUN_STATUS__RUN_SUCCEEDED, at, at + 9), 0);
}

/* The child: one simulated week's history, then a retention pass. */
static int
run_week(const char *path, int week)
{
	store_t *s = fixture_store_open(path);
	if (s == NULL)
		return 2;
	int64_t start = clock_wall_ms(); /* the week's Monday, 00:00 (ROTA_FAKE_NOW) */
	/* The week's history in one transaction: the disk's flushes, not the
	 * rows, are what a week costs. */
	assert_int_equal(store_begin(s), 0);
	for (int day = 0; day < 7 * STEP_WEEKS; day++) {
		int64_t at = start + day * DAY + 2 * 3600 * 1000;
		int w = week + day / 7;
		add_run(s, "daily-health", w, day % 7, at);
		add_run(s, "log-rotation", w, day % 7, at + 60000);
		add_run(s, "disk-report", w, day % 7, at + 120000);
		if (day % 7 == 0) {
			add_run(s, "weekly-perf", w, 0, at + 180000);
			add_run(s, "weekly-scan", w, 0, at + 240000);
		}
		if (day % 7 == 2 && w % 4 == 0)
			add_run(s, "monthly-review", w, 2, at + 300000);
		for (int a = 0; a < 10; a++) {
			store_audit_entry_t e = {.at_ms = at + a * 1000,
			                         .actor = "ops",
			                         .role = "operator",
			                         .action = "submit",
			                         .outcome = "ok"};
			assert_int_equal(store_audit_insert(s, &e, 256), 0);
		}
	}
	assert_int_equal(store_commit(s), 0);
	store_retention_t r = fixture_store_retention(20);
	pruner_t *p = pruner_new(s, &r, clock_mono_ms());
	pruner_start(p, start + 7 * STEP_WEEKS * DAY);
	int turns = 0;
	while (pruner_busy(p)) {
		pruner_turn(p, clock_mono_ms(), start + 7 * STEP_WEEKS * DAY);
		if (store_in_transaction(s))
			assert_int_equal(store_commit(s), 0);
		assert_true(++turns < 100000);
	}
	pruner_destroy(&p);
	store_destroy(&s);
	return 0;
}

static void
simulate_week(const char *path, int week)
{
	char now[32], arg[16];
	time_t t = (time_t)(T0_SECONDS + (int64_t)week * 7 * 86400);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	snprintf(arg, sizeof(arg), "%d", week);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		setenv("ROTA_FAKE_NOW", now, 1);
		execl(self_path, self_path, "--week", path, arg, (char *)NULL);
		_exit(127);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

typedef struct {
	int64_t runs, steps, outputs, audit, events, file_bytes;
} sizes_t;

static sizes_t
measure(const char *path)
{
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sizes_t z = {
	    .runs = fixture_store_sqlite_int(db, "SELECT COUNT(*) FROM runs"),
	    .steps = fixture_store_sqlite_int(db, "SELECT COUNT(*) FROM step_runs"),
	    .outputs = fixture_store_sqlite_int(db, "SELECT COUNT(*) FROM outputs"),
	    .audit = fixture_store_sqlite_int(db, "SELECT COUNT(*) FROM audit"),
	    .events = fixture_store_sqlite_int(db, "SELECT COUNT(*) FROM events"),
	    .file_bytes = fixture_store_sqlite_int(
	        db, "SELECT page_count * page_size FROM pragma_page_count(),"
	            " pragma_page_size()"),
	};
	sqlite3_close(db);
	return z;
}

/* What retention times the rate allows: each runbook keeps its runs of the
 * last 90 days or its newest 20, whichever is more; output of the last 30
 * days or of those newest 20; audit 400 days; events of the last 30 days,
 * or the ring's 4,096 newest. A fortnight's history lands before its
 * pass, so a window holds at most 14 days more than its length. */
static void
assert_within_retention(const sizes_t *z, int weeks)
{
	int64_t daily = 90 + 14, weekly = 90 / 7 + 3, monthly = weeks / 4 + 1;
	int64_t runs = 3 * daily + 2 * (weekly > 20 ? weekly : 20) + (monthly < 20 ? monthly : 20);
	int64_t outs_runs = 3 * (30 + 14) + 2 * 20 + 20;
	print_message("week %d: %lld runs (<= %lld), %lld steps, %lld outputs (<= %lld), %lld"
	              " audit, %lld events, %lld bytes\n",
	              weeks, (long long)z->runs, (long long)runs, (long long)z->steps,
	              (long long)z->outputs, (long long)(outs_runs * HOSTS * CHUNKS),
	              (long long)z->audit, (long long)z->events, (long long)z->file_bytes);
	assert_true(z->runs <= runs);
	assert_true(z->steps <= runs * HOSTS);
	assert_true(z->outputs <= outs_runs * HOSTS * CHUNKS);
	assert_true(z->outputs > 0); /* what retention keeps is there */
	assert_true(z->audit <= (400 + 14) * 10);
	assert_true(z->events <= 4096);
}

static void
test_a_simulated_year_stays_within_retention(void **state)
{
	(void)state;
	char dir[64], path[128];
	store_t *s = fixture_store_new("pruner-year", dir, sizeof(dir), path, sizeof(path));
	assert_non_null(s);
	store_destroy(&s); /* each week opens it, as a restarted coordinator */
	if (strncmp(path, "postgres", 8) == 0) {
		fixture_store_remove(&s, dir);
		skip(); /* SQLite's file is what is measured */
	}
	sizes_t filled = {0};
	for (int week = 0; week < WEEKS; week += STEP_WEEKS) {
		simulate_week(path, week);
		if (week + STEP_WEEKS == 20) {
			filled = measure(path); /* every window but the audit's full */
			assert_within_retention(&filled, week + 1);
		}
	}
	sizes_t year = measure(path);
	assert_within_retention(&year, WEEKS);
	/* Pruned as it went: far less than a year's history. */
	int64_t made = (int64_t)WEEKS * (3 * 7 + 2) + WEEKS / 4;
	assert_true(year.runs < made / 2);
	/* The file stopped growing when the windows were full: what it gained
	 * since is the audit trail's growth (and a few pages of slack). */
	int64_t audit_growth = (year.audit - filled.audit) * 256;
	print_message("file: %lld bytes at week 20, %lld at week %d (audit +%lld rows)\n",
	              (long long)filled.file_bytes, (long long)year.file_bytes, WEEKS,
	              (long long)(year.audit - filled.audit));
	assert_true(year.file_bytes <= filled.file_bytes + audit_growth + 64 * 4096);
	fixture_store_remove(&s, dir);
}

int
main(int argc, char **argv)
{
	self_path = argv[0];
	if (argc == 4 && strcmp(argv[1], "--week") == 0)
		return run_week(argv[2], (int)strtol(argv[3], NULL, 10)); /* our own argument */
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_a_simulated_year_stays_within_retention),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
