/* wire: frames round-trip; truncated, oversized, wrong-version, empty and
 * multi-part frames are refused with the right error and counted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "wire.h"

static Rota__Envelope *
make_result(Rota__Envelope *env, Rota__Result *res, Rota__StepKey *key)
{
	rota__step_key__init(key);
	key->run_id = "20261123-080000-abcd";
	key->step_id = "disk";
	key->host = "web-1";
	key->attempt = 2;
	rota__result__init(res);
	res->key = key;
	res->status = ROTA__STEP_STATUS__STEP_FAILED;
	res->exit_code = 3;
	res->detail = "exited with status 3";
	rota__envelope__init(env);
	env->body_case = ROTA__ENVELOPE__BODY_RESULT;
	env->result = res;
	return env;
}

/* make_result's envelope, encoded; the caller frees. */
static uint8_t *
encode_result(size_t *len)
{
	Rota__Envelope env;
	Rota__Result res;
	Rota__StepKey key;
	make_result(&env, &res, &key);
	return wire_encode(&env, len);
}

static void
test_round_trip(void **state)
{
	(void)state;
	size_t len;
	uint8_t *buf = encode_result(&len);
	Rota__Envelope *out = NULL;
	assert_int_equal(wire_decode(buf, len, &out), WIRE_OK);
	assert_non_null(out);
	assert_int_equal(out->version, WIRE_VERSION);
	assert_int_equal(out->body_case, ROTA__ENVELOPE__BODY_RESULT);
	assert_string_equal(out->result->key->run_id, "20261123-080000-abcd");
	assert_string_equal(out->result->key->host, "web-1");
	assert_int_equal(out->result->key->attempt, 2);
	assert_int_equal(out->result->exit_code, 3);
	assert_string_equal(out->result->detail, "exited with status 3");
	rota__envelope__free_unpacked(out, NULL);
	free(buf);
}

static void
test_truncated_frames_are_refused(void **state)
{
	(void)state;
	size_t len;
	uint8_t *buf = encode_result(&len);
	/* Every strict prefix either fails to decode or decodes to something
	 * without the full body; none may crash or be accepted as the whole. */
	for (size_t cut = 1; cut < len; cut++) {
		Rota__Envelope *out = NULL;
		int rc = wire_decode(buf, cut, &out);
		if (rc == WIRE_OK) {
			/* A prefix can be a valid shorter message; it must not
			 * carry the detail that was cut off. */
			assert_true(out->body_case != ROTA__ENVELOPE__BODY_RESULT ||
			            out->result->detail == NULL ||
			            strcmp(out->result->detail, "exited with status 3") != 0 ||
			            out->result->exit_code != 3);
			rota__envelope__free_unpacked(out, NULL);
		} else {
			assert_null(out);
		}
	}
	Rota__Envelope *out = NULL;
	assert_int_equal(wire_decode(buf, len / 2, &out) != WIRE_OK || out != NULL, 1);
	if (out)
		rota__envelope__free_unpacked(out, NULL);
	free(buf);
}

static void
test_oversized_and_empty(void **state)
{
	(void)state;
	Rota__Envelope *out = NULL;
	uint8_t small = 0;
	assert_int_equal(wire_decode(&small, 0, &out), WIRE_ERR_SIZE);
	assert_null(out);
	size_t n = WIRE_MAX_FRAME_BYTES + 1;
	uint8_t *big = calloc(1, n);
	assert_int_equal(wire_decode(big, n, &out), WIRE_ERR_SIZE);
	assert_null(out);
	free(big);
}

static void
test_wrong_version_and_no_body(void **state)
{
	(void)state;
	Rota__Heartbeat hb = ROTA__HEARTBEAT__INIT;
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_HEARTBEAT;
	env.heartbeat = &hb;
	env.version = WIRE_VERSION + 1;
	size_t len = rota__envelope__get_packed_size(&env);
	uint8_t *buf = malloc(len);
	rota__envelope__pack(&env, buf);
	Rota__Envelope *out = NULL;
	assert_int_equal(wire_decode(buf, len, &out), WIRE_ERR_VERSION);
	assert_null(out);
	free(buf);

	Rota__Envelope empty = ROTA__ENVELOPE__INIT;
	buf = wire_encode(&empty, &len);
	assert_int_equal(wire_decode(buf, len, &out), WIRE_ERR_EMPTY);
	free(buf);

	uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x02};
	assert_int_equal(wire_decode(junk, sizeof(junk), &out), WIRE_ERR_DECODE);
	assert_null(out);
}

/* A Result with numbers no process reports is refused, not stored as sent;
 * the boundaries themselves pass. */
static void
test_result_out_of_range(void **state)
{
	(void)state;
	const struct {
		int32_t exit_code, signal;
		int64_t ended_ms;
		int want;
	} cases[] = {
	    {0, 0, 1, WIRE_OK},
	    {255, 64, WIRE_MAX_TIME_MS, WIRE_OK},
	    {0, -5, 1, WIRE_ERR_RANGE},
	    {0, 65, 1, WIRE_ERR_RANGE},
	    {INT32_MIN, 0, 1, WIRE_ERR_RANGE},
	    {256, 0, 1, WIRE_ERR_RANGE},
	    {0, 0, INT64_MAX, WIRE_ERR_RANGE},
	    {0, 0, -1, WIRE_ERR_RANGE},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		Rota__StepKey key = ROTA__STEP_KEY__INIT;
		key.run_id = "r";
		key.step_id = "s";
		key.host = "w1";
		key.attempt = 1;
		Rota__Result r = ROTA__RESULT__INIT;
		r.key = &key;
		r.status = ROTA__STEP_STATUS__STEP_SUCCEEDED;
		r.exit_code = cases[i].exit_code;
		r.signal = cases[i].signal;
		r.ended_ms = cases[i].ended_ms;
		Rota__Envelope env = ROTA__ENVELOPE__INIT;
		env.body_case = ROTA__ENVELOPE__BODY_RESULT;
		env.result = &r;
		size_t len;
		uint8_t *buf = wire_encode(&env, &len);
		Rota__Envelope *out = NULL;
		assert_int_equal(wire_decode(buf, len, &out), cases[i].want);
		if (out)
			rota__envelope__free_unpacked(out, NULL);
		free(buf);
	}
}

/* Random mutations of valid frames: decode either refuses them or returns
 * an envelope that frees cleanly; nothing crashes (run under ASan too). */
static void
test_mutated_frames_never_crash(void **state)
{
	(void)state;
	size_t len;
	uint8_t *good = encode_result(&len);
	uint8_t *buf = malloc(len + 64);
	unsigned seed = 12345;
	int refused = 0;
	for (int round = 0; round < 20000; round++) {
		size_t n = len;
		memcpy(buf, good, len);
		int edits = 1 + (int)(rand_r(&seed) % 4);
		for (int e = 0; e < edits; e++) {
			switch (rand_r(&seed) % 3) {
			case 0:
				buf[rand_r(&seed) % n] = (uint8_t)rand_r(&seed);
				break;
			case 1:
				n = 1 + rand_r(&seed) % n;
				break;
			default:
				if (n < len + 64)
					buf[n++] = (uint8_t)rand_r(&seed);
				break;
			}
		}
		Rota__Envelope *out = NULL;
		int rc = wire_decode(buf, n, &out);
		if (rc == WIRE_OK)
			rota__envelope__free_unpacked(out, NULL);
		else
			refused++;
	}
	assert_true(refused > 0);
	free(buf);
	free(good);
}

/* Over real sockets: a ROUTER receives good frames, and counts bad ones. */
static void
test_router_counts_bad_frames(void **state)
{
	(void)state;
	void *ctx = zmq_ctx_new();
	void *router = zmq_socket(ctx, ZMQ_ROUTER);
	void *dealer = zmq_socket(ctx, ZMQ_DEALER);
	assert_int_equal(wire_socket_setup(router), 0);
	assert_int_equal(wire_socket_setup(dealer), 0);
	zmq_setsockopt(dealer, ZMQ_ROUTING_ID, "peer-1", 6);
	assert_int_equal(zmq_bind(router, "tcp://127.0.0.1:*"), 0);
	char ep[256];
	size_t eplen = sizeof(ep);
	zmq_getsockopt(router, ZMQ_LAST_ENDPOINT, ep, &eplen);
	assert_int_equal(zmq_connect(dealer, ep), 0);

	Rota__Envelope env;
	Rota__Result res;
	Rota__StepKey key;
	make_result(&env, &res, &key);
	assert_int_equal(wire_send(dealer, NULL, 0, &env), 0);
	zmq_send(dealer, "garbage!", 8, 0);
	zmq_send(dealer, "a", 1, ZMQ_SNDMORE);
	zmq_send(dealer, "b", 1, 0);
	assert_int_equal(wire_send(dealer, NULL, 0, &env), 0);

	wire_stats_t stats = {0};
	int ok = 0, bad = 0;
	for (int i = 0; i < 200 && ok + bad < 4; i++) {
		zmq_pollitem_t item = {router, 0, ZMQ_POLLIN, 0};
		zmq_poll(&item, 1, 50);
		wire_msg_t msg;
		int rc;
		while ((rc = wire_recv(router, 1, &msg, &stats)) != WIRE_ERR_AGAIN) {
			if (rc == WIRE_OK) {
				ok++;
				assert_int_equal(msg.identity_len, 6);
				assert_memory_equal(msg.identity, "peer-1", 6);
				assert_int_equal(msg.env->result->exit_code, 3);
				wire_msg_clear(&msg);
			} else {
				bad++;
			}
		}
	}
	assert_int_equal(ok, 2);
	assert_int_equal(bad, 2);
	assert_int_equal(stats.received, 4);
	assert_int_equal(stats.dropped_shape, 1);
	assert_int_equal(stats.dropped_decode + stats.dropped_empty, 1);
	zmq_close(dealer);
	zmq_close(router);
	zmq_ctx_term(ctx);
}

/* A worker's Result whose key holds an unknown field protobuf-c accepts
 * but packs undecodably (field 0, as the two-byte varint 80 00; found by
 * fuzz_envelope): the key sent back in the ack is a copy without it, and
 * decodes to the same key. */
static void
test_echoed_key_drops_unknown_fields(void **state)
{
	(void)state;
	static const uint8_t frame[] = {
	    0x08, 0x01,       /* version 1 */
	    0x82, 0x01, 0x12, /* result (16), 18 bytes */
	    0x0a, 0x0e,       /* key, 14 bytes */
	    0x0a, 0x01, 'r',  /* run_id */
	    0x12, 0x01, 's',  /* step_id */
	    0x1a, 0x01, 'h',  /* host */
	    0x20, 0x02,       /* attempt 2 */
	    0x80, 0x00, 0x0a, /* field 0 (overlong), varint 10 */
	    0x10, 0x04,       /* status succeeded */
	};
	Rota__Envelope *env = NULL;
	assert_int_equal(wire_decode(frame, sizeof(frame), &env), WIRE_OK);
	assert_int_equal(env->body_case, ROTA__ENVELOPE__BODY_RESULT);

	Rota__StepKey copy;
	wire_step_key_copy(&copy, env->result->key);
	Rota__ResultAck ack = ROTA__RESULT_ACK__INIT;
	ack.key = &copy;
	Rota__Envelope out = ROTA__ENVELOPE__INIT;
	out.body_case = ROTA__ENVELOPE__BODY_RESULT_ACK;
	out.result_ack = &ack;
	size_t len = 0;
	uint8_t *buf = wire_encode(&out, &len);
	Rota__Envelope *back = NULL;
	assert_int_equal(wire_decode(buf, len, &back), WIRE_OK);
	const Rota__StepKey *k = back->result_ack->key;
	assert_non_null(k);
	assert_string_equal(k->run_id, "r");
	assert_string_equal(k->step_id, "s");
	assert_string_equal(k->host, "h");
	assert_int_equal(k->attempt, 2);
	rota__envelope__free_unpacked(back, NULL);
	free(buf);
	rota__envelope__free_unpacked(env, NULL);
}

/* Asserts that h passes the bounds a Hello is held to. */
static void
hello_fits(const Rota__Hello *h)
{
	char why[320];
	assert_int_equal(wire_hello_check(h, why, sizeof(why)), 0);
}

/* Asserts that h is refused, with want in the reason. */
static void
hello_refused(const Rota__Hello *h, const char *want)
{
	char why[320] = "";
	assert_int_equal(wire_hello_check(h, why, sizeof(why)), -1);
	assert_non_null(strstr(why, want));
}

/* Fills buf (size bytes) with c and ends it: a string of size - 1 bytes. */
static void
fill(char *buf, size_t size, char c)
{
	memset(buf, c, size - 1);
	buf[size - 1] = '\0';
}

/* The bounds a Hello is held to (docs/protocol.md, "Bounded fields"): at
 * the limit accepted, one byte or one label over refused with the limit
 * named. */
static void
test_hello_bounds(void **state)
{
	(void)state;
	char value[WIRE_MAX_LABEL_BYTES + 2];
	fill(value, sizeof(value), 'v');
	Rota__Label labels[WIRE_MAX_LABELS + 1];
	Rota__Label *ptrs[WIRE_MAX_LABELS + 1];
	char keys[WIRE_MAX_LABELS + 1][8];
	for (int i = 0; i <= WIRE_MAX_LABELS; i++) {
		rota__label__init(&labels[i]);
		snprintf(keys[i], sizeof(keys[i]), "k%d", i);
		labels[i].key = keys[i];
		labels[i].value = value + 1; /* WIRE_MAX_LABEL_BYTES bytes */
		ptrs[i] = &labels[i];
	}
	Rota__Hello h = ROTA__HELLO__INIT;
	h.worker_id = "w1";
	h.hostname = "host";
	h.version = "1";
	h.labels = ptrs;
	h.n_labels = WIRE_MAX_LABELS;
	hello_fits(&h);
	h.n_labels = WIRE_MAX_LABELS + 1;
	hello_refused(&h, "the limit is 64 labels");
	h.n_labels = 1;
	labels[0].value = value; /* one byte over */
	hello_refused(&h, "label k0 has a value of 257 bytes; the limit is 256 bytes");
	labels[0].value = "v";
	labels[0].key = value;
	hello_refused(&h, "is 257 bytes; the limit is 256 bytes");
	labels[0].key = keys[0];
	char host[WIRE_MAX_HOSTNAME_BYTES + 2];
	fill(host, sizeof(host), 'h');
	h.hostname = host;
	hello_refused(&h, "its hostname is 256 bytes; the limit is 255 bytes");
	h.hostname = "h";
	/* Addresses (for alerts that name a host by IP): bounded in count and
	 * in length. */
	char *addrs[WIRE_MAX_ADDRESSES + 1];
	for (size_t i = 0; i <= WIRE_MAX_ADDRESSES; i++)
		addrs[i] = "10.0.0.5";
	h.addresses = addrs;
	h.n_addresses = WIRE_MAX_ADDRESSES;
	hello_fits(&h);
	h.n_addresses = WIRE_MAX_ADDRESSES + 1;
	hello_refused(&h, "it has 33 addresses; the limit is 32 addresses");
	char long_addr[WIRE_MAX_ADDRESS_BYTES + 2];
	fill(long_addr, sizeof(long_addr), '1');
	addrs[0] = long_addr;
	h.n_addresses = 1;
	hello_refused(&h, "an address of 65 bytes; the limit is 64 bytes");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_truncated_frames_are_refused),
	    cmocka_unit_test(test_oversized_and_empty),
	    cmocka_unit_test(test_wrong_version_and_no_body),
	    cmocka_unit_test(test_result_out_of_range),
	    cmocka_unit_test(test_mutated_frames_never_crash),
	    cmocka_unit_test(test_router_counts_bad_frames),
	    cmocka_unit_test(test_echoed_key_drops_unknown_fields),
	    cmocka_unit_test(test_hello_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
