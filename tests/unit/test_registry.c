/* test_registry: finding the worker an alert's host means, by id, host
 * name, short name or an address its Hello reported, and refusing to
 * guess when two workers share a name or an address; the heartbeat
 * interval a fleet is given, and when a silent worker of a small or a
 * large fleet is lost, on a clock the test moves. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "registry.h"

static void
hello(registry_t *r, const char *id, const char *hostname, char **addresses, size_t n)
{
	Rota__Hello h = ROTA__HELLO__INIT;
	h.worker_id = (char *)id;
	h.hostname = (char *)hostname;
	h.version = "test";
	h.addresses = addresses;
	h.n_addresses = n;
	assert_non_null(registry_hello(r, &h, 0, 0));
}

static const char *
match(registry_t *r, const char *name, bool *ambiguous)
{
	worker_t *w = registry_match_host(r, name, ambiguous);
	return w ? w->id : NULL;
}

static void
test_match_host(void **state)
{
	(void)state;
	registry_t *r = registry_new();
	hello(r, "web-1", "web-1.example.net", (char *[]){"10.0.0.5", "fd00::5"}, 2);
	hello(r, "web-2", "host-b", (char *[]){"10.0.0.6"}, 1);
	hello(r, "web-3", "host-c", (char *[]){"10.0.0.7", "192.168.1.1"}, 2);
	hello(r, "web-4", "host-c", (char *[]){"192.168.1.1"}, 1);
	bool amb = true;
	assert_string_equal(match(r, "web-2", &amb), "web-2"); /* its id */
	assert_false(amb);
	assert_string_equal(match(r, "host-b", &amb), "web-2"); /* its host name */
	assert_string_equal(match(r, "web-1.example.net", &amb), "web-1");
	assert_string_equal(match(r, "web-2.example.net", &amb), "web-2"); /* short name */
	assert_string_equal(match(r, "10.0.0.5", &amb), "web-1");          /* an address */
	assert_string_equal(match(r, "fd00::5", &amb), "web-1");
	assert_string_equal(match(r, "10.0.0.7", &amb), "web-3");
	assert_null(match(r, "10.0.0.9", &amb));
	assert_false(amb);
	/* Two workers with that host name, or that address: no guess. */
	assert_null(match(r, "host-c", &amb));
	assert_true(amb);
	assert_null(match(r, "192.168.1.1", &amb));
	assert_true(amb);
	assert_null(match(r, "", NULL));
	/* A new Hello replaces the addresses. */
	hello(r, "web-1", "web-1.example.net", (char *[]){"10.0.0.50"}, 1);
	assert_null(match(r, "10.0.0.5", &amb));
	assert_string_equal(match(r, "10.0.0.50", &amb), "web-1");
	registry_destroy(&r);
}

/* The interval grows with the fleet past the bound, in steps; a worker is
 * lost after 5 intervals of 1 s (up to 1,500 workers, the default bound),
 * or 2 grown ones but never sooner: 14 s at 10,000. */
static void
test_interval_for(void **state)
{
	(void)state;
	const uint32_t max = REGISTRY_MAX_HEARTBEATS_PER_SECOND;
	assert_int_equal(max, 1500);
	assert_int_equal(registry_interval_for(1000, 0, max), 1000);
	assert_int_equal(registry_interval_for(1000, 1500, max), 1000);
	assert_int_equal(registry_interval_for(1000, 1501, max), 1500);
	assert_int_equal(registry_interval_for(1000, 4000, max), 3000);
	/* The detection times docs/decisions.md gives. */
	const struct {
		size_t workers;
		uint32_t interval_ms;
		int64_t window_ms;
	} table[] = {{100, 1000, 5000},    {1000, 1000, 5000}, {1500, 1000, 5000},
	             {3000, 2000, 5000},   {5000, 3500, 7000}, {10000, 7000, 14000},
	             {20000, 13500, 27000}};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		uint32_t ms = registry_interval_for(1000, table[i].workers, max);
		assert_int_equal(ms, table[i].interval_ms);
		assert_int_equal(registry_window_for(1000, ms), table[i].window_ms);
	}
	/* Never more heartbeats a second than the bound, never a window
	 * shorter than the small fleet's. */
	for (size_t n = 1; n <= 100000; n += 997) {
		uint32_t ms = registry_interval_for(1000, n, max);
		assert_true((double)n * 1000.0 / ms <= max);
		assert_int_equal(ms % REGISTRY_INTERVAL_STEP_MS, 0);
		assert_true(registry_window_for(1000, ms) >= 5000);
	}
	/* A short configured interval (the tests') is kept by small fleets;
	 * no bound keeps it at any size; the worker takes 10 min at most. */
	assert_int_equal(registry_interval_for(200, 100, max), 200);
	assert_int_equal(registry_window_for(200, 200), 1000);
	assert_int_equal(registry_interval_for(1000, 1000000, 0), 1000);
	assert_int_equal(registry_interval_for(1000, 1000000000, 1), REGISTRY_MAX_INTERVAL_MS);
}

static void
hello_at(registry_t *r, const char *id, int64_t now)
{
	Rota__Hello h = ROTA__HELLO__INIT;
	h.worker_id = (char *)id;
	h.hostname = (char *)id;
	h.version = "test";
	assert_non_null(registry_hello(r, &h, now, now));
}

/* What the coordinator does every tick: the fleet's interval, told to
 * each worker with the heartbeat it is sent (here: all of them). */
static uint32_t
repace_and_tell(registry_t *r, int64_t now)
{
	uint32_t ms = registry_repace(r);
	for (size_t i = 0; i < registry_count(r); i++)
		registry_told(registry_at(r, i), ms, now);
	return ms;
}

/* A registry paced as the coordinator's by default (a 1 s base), with n
 * workers w00000... welcomed at 0; the caller destroys it. */
static registry_t *
fleet_new(int n)
{
	registry_t *r = registry_new();
	registry_set_pace(r, 1000, REGISTRY_MAX_HEARTBEATS_PER_SECOND);
	char id[32];
	for (int i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "w%05d", i);
		hello_at(r, id, 0);
	}
	return r;
}

/* 100 workers: the 1 s interval, and a worker silent for more than 5 s is
 * lost at the next tick, as always. */
static void
test_small_fleet_lost(void **state)
{
	(void)state;
	registry_t *r = fleet_new(100);
	assert_int_equal(repace_and_tell(r, 0), 1000);
	assert_int_equal(registry_connected(r), 100);
	/* All heard from every second, but w00042 last at 3 s; a tick
	 * after each second's heartbeats. */
	size_t max = registry_count(r);
	worker_t **lost = calloc(max, sizeof(*lost));
	int64_t found = -1;
	for (int64_t t = 1000; t <= 12000; t += 1000) {
		for (size_t i = 0; i < max; i++)
			if (i != 42 || t <= 3000)
				registry_seen(registry_at(r, i), t, t);
		size_t n = registry_expire(r, t, lost, max);
		if (n > 0) {
			assert_int_equal(n, 1);
			assert_string_equal(lost[0]->id, "w00042");
			assert_int_equal(found, -1);
			found = t;
		}
	}
	free(lost);
	assert_int_equal(found, 9000); /* silent 6 s: more than 5 intervals of 1 s */
	registry_destroy(&r);
}

/* 10,000 workers, each heard from every 7 s in its own phase: none is
 * lost, and the one that stops is lost at the first tick after 14 s of
 * silence, within 15 s of its stop. */
static void
test_large_fleet_lost(void **state)
{
	(void)state;
	registry_t *r = fleet_new(10000);
	/* Welcomed at 1 s (before the fleet was counted), told 7 s at the
	 * first tick: judged by 7 s at once. */
	assert_int_equal(registry_at(r, 0)->hb_ms, 1000);
	assert_int_equal(repace_and_tell(r, 0), 7000);
	assert_int_equal(registry_lost_after(r, registry_at(r, 0), 0), 14000);
	size_t max = registry_count(r);
	worker_t **lost = calloc(max, sizeof(*lost));
	int64_t dead_at = 7000, found = -1;
	for (int64_t t = 100; t <= 40000; t += 100) {
		for (size_t i = 0; i < max; i++) {
			/* Worker i beats at phase i * 0.7 ms within each 7 s. */
			if ((t + (int64_t)i * 7 / 10) % 7000 >= 100)
				continue;
			if (i == 777 && t > dead_at)
				continue;
			registry_seen(registry_at(r, i), t, t);
		}
		if (t % 1000 == 0) {
			size_t n = registry_expire(r, t, lost, max);
			if (n > 0) {
				assert_int_equal(n, 1);
				assert_string_equal(lost[0]->id, "w00777");
				assert_int_equal(found, -1);
				found = t;
			}
		}
	}
	free(lost);
	worker_t *dead = registry_find(r, "w00777");
	assert_false(dead->connected);
	/* Lost 14 s (and at most a tick) after its last heartbeat, and so
	 * within 15 s of its stop. */
	assert_true(found - dead->last_seen_mono > 14000);
	assert_true(found - dead->last_seen_mono <= 15000);
	assert_true(found - dead_at <= 15000);
	registry_destroy(&r);
}

/* The fleet shrinks: the interval comes down only once a quarter fewer
 * workers would still need less, and a worker told a shorter one is
 * judged by the longer until it has had time to hear of it. */
static void
test_shrink(void **state)
{
	(void)state;
	registry_t *r = fleet_new(10000);
	assert_int_equal(repace_and_tell(r, 0), 7000);
	/* 8,000 left: 5.5 s would do, but 10,000 would need 7 s: kept. */
	for (int i = 0; i < 2000; i++)
		registry_at(r, (size_t)i)->connected = false;
	assert_int_equal(registry_repace(r), 7000);
	/* 5,000 left: 3.5 s. */
	for (int i = 2000; i < 5000; i++)
		registry_at(r, (size_t)i)->connected = false;
	assert_int_equal(repace_and_tell(r, 50000), 3500);
	worker_t *w = registry_at(r, 9999);
	assert_int_equal(w->hb_ms, 3500);
	assert_int_equal(registry_lost_after(r, w, 50000), 14000);
	assert_int_equal(registry_lost_after(r, w, 84999), 14000);
	assert_int_equal(registry_lost_after(r, w, 85000), 7000);
	/* A worker that says Hello is welcomed with the fleet's interval. */
	hello_at(r, "w00000", 90000);
	assert_int_equal(registry_find(r, "w00000")->hb_ms, 3500);
	registry_destroy(&r);
}

/* A coordinator that did not run (frozen 4 s) gives its workers that time
 * and the longest reconnect backoff back (registry_shift); a frame of the
 * backlog read at the thaw, sent before the worker gave up on it, must not
 * take that back: the worker is reconnecting, and its Hello may come
 * seconds later. (pg.fault.coordinator_stop lost a step so: its worker was
 * called lost 1.5 s after a backlog heartbeat, 2.5 s before it was back.) */
static void
test_a_backlog_frame_keeps_the_grace(void **state)
{
	(void)state;
	registry_t *r = registry_new();
	registry_set_pace(r, 300, REGISTRY_MAX_HEARTBEATS_PER_SECOND);
	hello_at(r, "w1", 0);
	repace_and_tell(r, 0);
	worker_t *w = registry_at(r, 0);
	registry_seen(w, 1000, 1000);
	/* Frozen from 1,000 to 5,000 ms; 8 s of backoff given back. */
	registry_shift(r, 4000 + 8000);
	registry_seen(w, 5000, 5000); /* a heartbeat of the backlog */
	worker_t *lost[1];
	for (int64_t t = 5000; t <= 12000; t += 300)
		assert_int_equal(registry_expire(r, t, lost, 1), 0);
	/* Past the grace and silent: lost as always. */
	assert_int_equal(registry_expire(r, 13000 + 1600, lost, 1), 1);
	registry_destroy(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_match_host),
	    cmocka_unit_test(test_interval_for),
	    cmocka_unit_test(test_small_fleet_lost),
	    cmocka_unit_test(test_large_fleet_lost),
	    cmocka_unit_test(test_shrink),
	    cmocka_unit_test(test_a_backlog_frame_keeps_the_grace),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
