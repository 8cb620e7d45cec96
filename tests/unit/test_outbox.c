/* outbox: notices written through a real store file and delivered over real
 * HTTP on loopback to rota-testreceiver child processes, which record what
 * they get and fail or hang on command. Covers: one delivery with its
 * Idempotency-Key on each channel kind; 500 x3 then 200 ends with exactly
 * one delivery and attempts == 4; Retry-After is honoured; a 404 gives up
 * at once; give-up by age and by unknown channel record why; a hanging
 * receiver holds up no other channel and no stop; stop and start resume
 * pending rows and never resend a delivered one; one incident's rows on one
 * channel go in order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <json-c/json.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "fixture_store.h"
#include "incidents/outbox.h"
#include "store/store.h"
#include "xalloc.h"

#define WAIT_MS 5000 /* for anything that should happen well within a second */

typedef struct {
	pid_t pid;
	unsigned port;
	char portfile[160];
	char record[160];
} receiver_t;

typedef struct {
	char dir[64];
	char path[128];
	store_t *store;
	sqlite3 *db; /* the test's own reader */
	receiver_t a, b;
	outbox_t *outbox;
	channel_t channels[4];
	outbox_config_t cfg;
} fixture_t;

static void
sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

static int
receiver_start(fixture_t *f, receiver_t *r, const char *name)
{
	snprintf(r->portfile, sizeof(r->portfile), "%s/%s.port", f->dir, name);
	snprintf(r->record, sizeof(r->record), "%s/%s.jsonl", f->dir, name);
	r->pid = fork();
	if (r->pid < 0)
		return -1;
	if (r->pid == 0) {
		/* Quiet unless the test fails: its per-request lines go nowhere. */
		if (freopen("/dev/null", "w", stdout) == NULL)
			_exit(127);
		execl(ROTA_TESTRECEIVER, ROTA_TESTRECEIVER, r->portfile, r->record, (char *)NULL);
		_exit(127);
	}
	/* 30 s at most: a receiver started on a busy machine may be slow. */
	for (int i = 0; i < 3000; i++) {
		FILE *pf = fopen(r->portfile, "r");
		if (pf != NULL) {
			int ok = fscanf(pf, "%u", &r->port) == 1;
			fclose(pf);
			if (ok)
				return 0;
		}
		sleep_ms(10);
	}
	return -1;
}

static void
receiver_stop(receiver_t *r)
{
	if (r->pid <= 0)
		return;
	kill(r->pid, SIGTERM);
	waitpid(r->pid, NULL, 0);
	r->pid = 0;
}

static size_t
discard(char *d, size_t s, size_t n, void *cls)
{
	(void)d;
	(void)cls;
	return s * n;
}

/* POST /control to a receiver. */
static void
control(const receiver_t *r, const char *cmd)
{
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/control", r->port);
	CURL *e = curl_easy_init();
	assert_non_null(e);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, cmd);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	assert_int_equal(curl_easy_perform(e), CURLE_OK);
	long status = 0;
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(e);
	assert_int_equal(status, 200);
}

/* The receiver's record, one object per request (caller puts the array). */
static json_object *
records(const receiver_t *r)
{
	json_object *all = json_object_new_array();
	FILE *fp = fopen(r->record, "r");
	if (fp == NULL)
		return all;
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, fp) > 0) {
		json_object *o = json_tokener_parse(line);
		assert_non_null(o);
		json_object_array_add(all, o);
	}
	free(line);
	fclose(fp);
	return all;
}

static size_t
record_count(const receiver_t *r, bool ok_only)
{
	json_object *all = records(r);
	size_t n = 0;
	for (size_t i = 0; i < json_object_array_length(all); i++) {
		json_object *ok = json_object_object_get(json_object_array_get_idx(all, i), "ok");
		if (!ok_only || json_object_get_boolean(ok))
			n++;
	}
	json_object_put(all);
	return n;
}

static const char *
field(json_object *all, size_t i, const char *key)
{
	return json_object_get_string(
	    json_object_object_get(json_object_array_get_idx(all, i), key));
}

static int
setup(void **state)
{
	fixture_t *f = xcalloc(1, sizeof(*f));
	f->store = fixture_store_new("outbox", f->dir, sizeof(f->dir), f->path, sizeof(f->path));
	if (f->store == NULL)
		return -1;
	if (sqlite3_open_v2(f->path, &f->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return -1;
	sqlite3_busy_timeout(f->db, 2000);
	if (receiver_start(f, &f->a, "a") != 0 || receiver_start(f, &f->b, "b") != 0)
		return -1;
	/* hook and pager on receiver a, other on receiver b. */
	f->channels[0] = (channel_t){.name = xstrdup("hook"),
	                             .kind = CHANNEL_WEBHOOK,
	                             .url = xasprintf("http://127.0.0.1:%u/hook", f->a.port)};
	f->channels[1] = (channel_t){.name = xstrdup("pager"),
	                             .kind = CHANNEL_PAGERDUTY,
	                             .url = xasprintf("http://127.0.0.1:%u/pd", f->a.port),
	                             .routing_key = xstrdup("KEY")};
	f->channels[2] = (channel_t){.name = xstrdup("slack"),
	                             .kind = CHANNEL_SLACK,
	                             .url = xasprintf("http://127.0.0.1:%u/slack", f->a.port)};
	f->channels[3] = (channel_t){.name = xstrdup("other"),
	                             .kind = CHANNEL_WEBHOOK,
	                             .url = xasprintf("http://127.0.0.1:%u/other", f->b.port)};
	f->cfg = (outbox_config_t){.store = {.target = f->path},
	                           .channels = f->channels,
	                           .channel_count = 4,
	                           .link_base = "http://rota.test:7480",
	                           .backoff_ms = 50,
	                           .max_backoff_ms = 200,
	                           .timeout_ms = 5000};
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	fixture_t *f = *state;
	outbox_stop(&f->outbox);
	receiver_stop(&f->a);
	receiver_stop(&f->b);
	for (size_t i = 0; i < 4; i++)
		channel_clear(&f->channels[i]);
	sqlite3_close(f->db);
	if (fixture_store_remove(&f->store, f->dir) != 0)
		return -1;
	free(f);
	return 0;
}

static void
start(fixture_t *f)
{
	char *err = NULL;
	f->outbox = outbox_start(&f->cfg, &err);
	if (f->outbox == NULL)
		fail_msg("outbox_start: %s", err);
}

/* Adds and commits a notice as the loop would; returns its row id. */
static int64_t
add(fixture_t *f, const char *incident, const char *channel, const char *kind)
{
	outbox_item_t it = {.incident_id = incident,
	                    .channel = channel,
	                    .kind = kind,
	                    .severity = 2,
	                    .title = "Disk full",
	                    .text = "/var at 97%",
	                    .hosts = "db-1"};
	assert_int_equal(outbox_add(f->store, &it, clock_wall_ms()), 0);
	assert_int_equal(store_commit(f->store), 0);
	outbox_wake(f->outbox);
	return fixture_store_sqlite_int(f->db, "SELECT MAX(id) FROM outbox");
}

typedef struct {
	int64_t created_ms, attempts, next_ms, delivered_ms, given_up_ms, last_status;
	char last_error[512];
} row_t;

static row_t
row(fixture_t *f, int64_t id)
{
	row_t r = {0};
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(f->db,
	                                    "SELECT created_ms, attempts, next_ms, delivered_ms,"
	                                    " given_up_ms, last_status, COALESCE(last_error, '')"
	                                    " FROM outbox WHERE id = ?",
	                                    -1, &st, NULL),
	                 SQLITE_OK);
	sqlite3_bind_int64(st, 1, id);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	r.created_ms = sqlite3_column_int64(st, 0);
	r.attempts = sqlite3_column_int64(st, 1);
	r.next_ms = sqlite3_column_int64(st, 2);
	r.delivered_ms = sqlite3_column_int64(st, 3);
	r.given_up_ms = sqlite3_column_int64(st, 4);
	r.last_status = sqlite3_column_int64(st, 5);
	snprintf(r.last_error, sizeof(r.last_error), "%s",
	         (const char *)sqlite3_column_text(st, 6));
	sqlite3_finalize(st);
	return r;
}

/* Waits until the row is delivered (or given up on); fails after WAIT_MS. */
static row_t
wait_done(fixture_t *f, int64_t id, int64_t wait_ms)
{
	int64_t until = clock_mono_ms() + wait_ms;
	for (;;) {
		row_t r = row(f, id);
		if (r.delivered_ms > 0 || r.given_up_ms > 0)
			return r;
		if (clock_mono_ms() > until)
			fail_msg("notice %lld: neither delivered nor given up (attempts %lld, %s)",
			         (long long)id, (long long)r.attempts, r.last_error);
		sleep_ms(10);
	}
}

static void
test_delivers_once_with_key(void **state)
{
	fixture_t *f = *state;
	start(f);
	int64_t h = add(f, "inc-1", "hook", "trigger");
	int64_t p = add(f, "inc-1", "pager", "trigger");
	int64_t s = add(f, "inc-1", "slack", "trigger");
	int64_t ids[] = {h, p, s};
	for (size_t i = 0; i < 3; i++) {
		row_t r = wait_done(f, ids[i], WAIT_MS);
		assert_true(r.delivered_ms > 0);
		assert_int_equal(r.attempts, 1);
		assert_int_equal(r.last_status, 200);
	}
	sleep_ms(300); /* nothing more arrives */
	json_object *all = records(&f->a);
	assert_int_equal(json_object_array_length(all), 3);
	for (size_t i = 0; i < 3; i++) {
		const char *path = field(all, i, "path");
		int64_t id = strcmp(path, "/hook") == 0 ? h : strcmp(path, "/pd") == 0 ? p : s;
		char key[32];
		snprintf(key, sizeof(key), "rota-%lld", (long long)id);
		assert_string_equal(field(all, i, "idempotency_key"), key);
		assert_string_equal(field(all, i, "method"), "POST");
		json_object *body = json_tokener_parse(field(all, i, "body"));
		assert_non_null(body);
		if (id == h)
			assert_string_equal(
			    json_object_get_string(json_object_object_get(body, "id")), key);
		if (id == p)
			assert_string_equal(
			    json_object_get_string(json_object_object_get(body, "routing_key")),
			    "KEY");
		if (id == s)
			assert_non_null(
			    strstr(json_object_get_string(json_object_object_get(body, "text")),
			           "rota incident show inc-1"));
		json_object_put(body);
	}
	json_object_put(all);
	outbox_stats_t st;
	outbox_stats(f->outbox, &st);
	assert_int_equal(st.delivered, 3);
	assert_int_equal(st.failures, 0);
	assert_int_equal(st.given_up, 0);
}

/* The row once it has had at least n attempts, or as it is after WAIT_MS
 * (the caller's assertions say what was missing). */
static row_t
wait_attempts(fixture_t *f, int64_t id, int64_t n)
{
	int64_t until = clock_mono_ms() + WAIT_MS;
	row_t r;
	while ((r = row(f, id)).attempts < n && clock_mono_ms() < until)
		sleep_ms(5);
	return r;
}

static void
test_retries_500_then_one_delivery(void **state)
{
	fixture_t *f = *state;
	control(&f->a, "fail 500 3");
	start(f);
	int64_t id = add(f, "inc-1", "hook", "trigger");
	row_t r = wait_done(f, id, WAIT_MS);
	assert_true(r.delivered_ms > 0);
	assert_int_equal(r.attempts, 4);
	assert_int_equal(r.last_status, 200);
	sleep_ms(200);
	assert_int_equal(record_count(&f->a, false), 4);
	assert_int_equal(record_count(&f->a, true), 1);
	outbox_stats_t st;
	outbox_stats(f->outbox, &st);
	assert_int_equal(st.delivered, 1);
	assert_int_equal(st.failures, 3);
}

static void
test_retry_after_honoured(void **state)
{
	fixture_t *f = *state;
	control(&f->a, "fail 429 1 retry-after 1");
	start(f);
	int64_t id = add(f, "inc-1", "hook", "trigger");
	row_t r = wait_attempts(f, id, 1);
	assert_int_equal(r.attempts, 1);
	assert_int_equal(r.last_status, 429);
	assert_string_equal(r.last_error, "HTTP 429: failing on command");
	/* backoff_ms is 50: only the header makes it a second. */
	assert_true(r.next_ms - r.created_ms >= 1000);
	r = wait_done(f, id, WAIT_MS);
	assert_true(r.delivered_ms > 0);
	assert_true(r.delivered_ms - r.created_ms >= 1000);
	assert_int_equal(r.attempts, 2);
}

static void
test_retry_after_date_honoured(void **state)
{
	fixture_t *f = *state;
	/* An HTTP-date two seconds on: whole seconds, so at least one. */
	control(&f->a, "fail 503 1 retry-date 2");
	start(f);
	int64_t id = add(f, "inc-1", "hook", "trigger");
	row_t r = wait_attempts(f, id, 1);
	assert_int_equal(r.last_status, 503);
	assert_true(r.next_ms - r.created_ms >= 1000);
	r = wait_done(f, id, WAIT_MS);
	assert_true(r.delivered_ms - r.created_ms >= 1000);
	assert_int_equal(r.attempts, 2);
}

static void
test_404_gives_up_at_once(void **state)
{
	fixture_t *f = *state;
	control(&f->a, "fail 404 1");
	start(f);
	int64_t id = add(f, "inc-1", "hook", "trigger");
	row_t r = wait_done(f, id, WAIT_MS);
	assert_int_equal(r.delivered_ms, 0);
	assert_true(r.given_up_ms > 0);
	assert_int_equal(r.attempts, 1);
	assert_int_equal(r.last_status, 404);
	assert_string_equal(r.last_error, "HTTP 404: failing on command");
	sleep_ms(300);
	assert_int_equal(record_count(&f->a, false), 1);
	outbox_stats_t st;
	outbox_stats(f->outbox, &st);
	assert_int_equal(st.given_up, 1);
	assert_int_equal(st.failures, 1);
}

static void
test_gives_up_by_age_and_unknown_channel(void **state)
{
	fixture_t *f = *state;
	control(&f->a, "fail 503 1000");
	/* Long enough for two attempts (backoff 50 ms) even when one attempt
	 * takes a while on a busy machine. */
	f->cfg.give_up_ms = 1500;
	start(f);
	int64_t id = add(f, "inc-1", "hook", "trigger");
	int64_t lost = add(f, "inc-1", "nowhere", "trigger");
	row_t r = wait_done(f, lost, WAIT_MS);
	assert_true(r.given_up_ms > 0);
	assert_int_equal(r.attempts, 0);
	assert_string_equal(r.last_error, "channel nowhere is not configured");

	r = wait_done(f, id, WAIT_MS);
	assert_true(r.given_up_ms > 0);
	assert_int_equal(r.delivered_ms, 0);
	assert_true(r.attempts >= 2);
	assert_true(r.given_up_ms - r.created_ms >= f->cfg.give_up_ms);
	char want[64];
	snprintf(want, sizeof(want), "gave up after %lld attempts over ", (long long)r.attempts);
	assert_memory_equal(r.last_error, want, strlen(want));
	assert_non_null(strstr(r.last_error, ": HTTP 503: failing on command"));
	assert_int_equal(r.last_status, 503);
	outbox_stats_t st;
	outbox_stats(f->outbox, &st);
	assert_int_equal(st.given_up, 2);
	assert_int_equal(st.failures, (uint64_t)r.attempts);
}

static void
test_connection_refused_retries_without_url(void **state)
{
	fixture_t *f = *state;
	/* "other" points at receiver b: stopped, so nothing listens there. */
	receiver_stop(&f->b);
	start(f);
	int64_t id = add(f, "inc-1", "other", "trigger");
	row_t r = wait_attempts(f, id, 2);
	assert_true(r.attempts >= 2);
	assert_int_equal(r.delivered_ms, 0);
	assert_int_equal(r.given_up_ms, 0);
	assert_int_equal(r.last_status, 0);
	assert_true(r.last_error[0] != '\0');
	/* curl's words, never the URL (a webhook's path holds its secret). */
	assert_null(strstr(r.last_error, "/other"));
	assert_null(strstr(r.last_error, "http://"));
}

static void
test_hanging_receiver_holds_up_nothing(void **state)
{
	fixture_t *f = *state;
	control(&f->a, "hang 1");
	start(f);
	int64_t hung = add(f, "inc-1", "hook", "trigger");
	/* The hook's request is in flight and hanging before the other goes. */
	int64_t until = clock_mono_ms() + WAIT_MS;
	while (record_count(&f->a, false) == 0 && clock_mono_ms() < until)
		sleep_ms(5);
	assert_int_equal(record_count(&f->a, false), 1);
	int64_t t0 = clock_mono_ms();
	int64_t other = add(f, "inc-2", "other", "trigger");
	row_t r = wait_done(f, other, WAIT_MS);
	assert_true(r.delivered_ms > 0);
	assert_true(clock_mono_ms() - t0 < 1000);
	assert_int_equal(row(f, hung).delivered_ms, 0);

	/* Stop abandons the hanging transfer at once; its row stays pending. */
	t0 = clock_mono_ms();
	outbox_stop(&f->outbox);
	assert_null(f->outbox);
	assert_true(clock_mono_ms() - t0 < 1000);
	r = row(f, hung);
	assert_int_equal(r.attempts, 0);
	assert_int_equal(r.delivered_ms, 0);
	assert_int_equal(r.given_up_ms, 0);

	/* And goes out after the next start. */
	start(f);
	r = wait_done(f, hung, WAIT_MS);
	assert_true(r.delivered_ms > 0);
	assert_int_equal(record_count(&f->a, true), 1);
}

static void
test_restart_resumes_and_never_resends(void **state)
{
	fixture_t *f = *state;
	/* Written while no sender runs (a coordinator that crashed after the
	 * commit): sent after start. */
	int64_t early = add(f, "inc-1", "hook", "trigger");
	control(&f->a, "fail 500 1000");
	start(f);
	int64_t until = clock_mono_ms() + WAIT_MS;
	while (row(f, early).attempts == 0 && clock_mono_ms() < until)
		sleep_ms(5);
	outbox_stop(&f->outbox);
	row_t r = row(f, early);
	assert_true(r.attempts >= 1);
	assert_int_equal(r.delivered_ms, 0);

	control(&f->a, "ok");
	start(f);
	r = wait_done(f, early, WAIT_MS);
	assert_true(r.delivered_ms > 0);
	outbox_stop(&f->outbox);
	size_t before = record_count(&f->a, false);
	assert_int_equal(record_count(&f->a, true), 1);

	/* A delivered row is not sent again, however often it restarts. */
	start(f);
	sleep_ms(OUTBOX_IDLE_MS + 300);
	outbox_stop(&f->outbox);
	start(f);
	outbox_wake(f->outbox);
	sleep_ms(300);
	assert_int_equal(record_count(&f->a, false), before);
	assert_int_equal(record_count(&f->a, true), 1);
}

static void
test_incident_rows_in_order(void **state)
{
	fixture_t *f = *state;
	/* The first notice fails twice: the four after it on the same incident
	 * and channel wait, so the receiver sees them strictly in order. */
	control(&f->a, "fail 500 2");
	static const char *kinds[] = {"trigger", "escalate", "escalate", "acknowledge", "resolve"};
	int64_t ids[5];
	for (size_t i = 0; i < 5; i++)
		ids[i] = add(f, "inc-1", "pager", kinds[i]);
	start(f);
	for (size_t i = 0; i < 5; i++)
		assert_true(wait_done(f, ids[i], WAIT_MS).delivered_ms > 0);
	json_object *all = records(&f->a);
	assert_int_equal(json_object_array_length(all), 7);
	int64_t last = 0;
	for (size_t i = 0; i < 7; i++) {
		long long id = 0;
		assert_int_equal(sscanf(field(all, i, "idempotency_key"), "rota-%lld", &id), 1);
		assert_true(id >= last);
		last = id;
	}
	/* PagerDuty saw trigger first and resolve last. */
	json_object *first = json_tokener_parse(field(all, 0, "body"));
	json_object *end = json_tokener_parse(field(all, 6, "body"));
	assert_string_equal(json_object_get_string(json_object_object_get(first, "event_action")),
	                    "trigger");
	assert_string_equal(json_object_get_string(json_object_object_get(end, "event_action")),
	                    "resolve");
	json_object_put(first);
	json_object_put(end);
	json_object_put(all);
}

static void
test_start_errors(void **state)
{
	fixture_t *f = *state;
	outbox_config_t cfg = f->cfg;
	cfg.store.target = "/nonexistent/dir/rota.db";
	char *err = NULL;
	assert_null(outbox_start(&cfg, &err));
	assert_non_null(err);
	assert_non_null(strstr(err, "cannot open"));
	free(err);
	/* Harmless on NULL. */
	outbox_t *none = NULL;
	outbox_stop(&none);
	outbox_wake(NULL);
}

int
main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_delivers_once_with_key, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retries_500_then_one_delivery, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retry_after_honoured, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retry_after_date_honoured, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_404_gives_up_at_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gives_up_by_age_and_unknown_channel, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_connection_refused_retries_without_url, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_hanging_receiver_holds_up_nothing, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_restart_resumes_and_never_resends, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_incident_rows_in_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_start_errors, setup, teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
