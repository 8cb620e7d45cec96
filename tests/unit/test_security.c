/* security: libzmq's heartbeats on the workers' socket under CURVE. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <zmq.h>

#include "fixture_dir.h"
#include "keys.h"
#include "security/security.h"

/* A data directory with a coordinator key and `workers` authorized worker
 * keys; the workers' socket set up as the coordinator sets it; returns
 * libzmq's heartbeat interval on it (ZMQ_HEARTBEAT_IVL, ms). */
static int
zmtp_interval(size_t workers, uint32_t max_per_second, uint32_t *reported)
{
	char dir[256];
	assert_int_equal(fixture_dir_make("security", dir, sizeof(dir)), 0);
	char wdir[300];
	snprintf(wdir, sizeof(wdir), "%s", fixture_dir_path(dir, "authorized_workers"));
	assert_int_equal(mkdir(wdir, 0700), 0);
	char *error = NULL;
	keys_pair_t pair;
	char *pub = NULL, *sec = NULL;
	assert_int_equal(keys_generate(&pair), 0);
	assert_int_equal(keys_write(dir, "coordinator", &pair, false, &pub, &sec, &error), 0);
	for (size_t i = 0; i < workers; i++) {
		char name[32];
		snprintf(name, sizeof(name), "w%zu", i);
		char *p = NULL, *s = NULL;
		keys_pair_t w;
		assert_int_equal(keys_generate(&w), 0);
		assert_int_equal(keys_write(dir, name, &w, false, &p, &s, &error), 0);
		/* authorized_workers/ID holds the worker's public key. */
		assert_int_equal(rename(p, fixture_dir_path(wdir, name)), 0);
		free(p);
		free(s);
	}
	void *zctx = zmq_ctx_new();
	security_config_t cfg = {
	    .key_file = sec,
	    .workers_dir = wdir,
	    .heartbeat_ms = 1000,
	    .max_heartbeats_per_second = max_per_second,
	};
	security_t *s = security_new(&cfg, zctx, "tcp://127.0.0.1:*", "tcp://127.0.0.1:*", &error);
	assert_non_null(s);
	void *wsock = zmq_socket(zctx, ZMQ_ROUTER);
	void *asock = zmq_socket(zctx, ZMQ_ROUTER);
	assert_int_equal(security_setup_sockets(s, wsock, asock, &error), 0);
	int ivl = 0;
	size_t len = sizeof(ivl);
	assert_int_equal(zmq_getsockopt(wsock, ZMQ_HEARTBEAT_IVL, &ivl, &len), 0);
	*reported = security_zmtp_heartbeat_ms(s);
	zmq_close(wsock);
	zmq_close(asock);
	security_destroy(&s);
	zmq_ctx_term(zctx);
	free(pub);
	free(sec);
	fixture_dir_remove(dir);
	return ivl;
}

/* A fleet within the bound keeps the configured interval. */
static void
test_zmtp_small_fleet(void **state)
{
	(void)state;
	uint32_t reported = 0;
	assert_int_equal(zmtp_interval(3, 10, &reported), 1000);
	assert_int_equal(reported, 1000);
}

/* More authorized workers than the bound allows a second: libzmq's PINGs
 * (an encrypted PING and PONG per connection) are spread as the workers'
 * own heartbeats are, 25 workers at 10 a second every 2.5 s. Before, every
 * connection was pinged each second whatever the fleet's size. */
static void
test_zmtp_follows_the_bound(void **state)
{
	(void)state;
	uint32_t reported = 0;
	assert_int_equal(zmtp_interval(25, 10, &reported), 2500);
	assert_int_equal(reported, 2500);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_zmtp_small_fleet),
	    cmocka_unit_test(test_zmtp_follows_the_bound),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
