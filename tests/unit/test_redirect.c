/* test_redirect: where a coordinator sends others. What it advertises (the
 * options, else what it bound; a wildcard refused with the fix), that a
 * leader never redirects, that a follower answers only `status` itself,
 * and the Redirect a follower sends, decoded as a worker and rota read it
 * off a real socket. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include <cmocka.h>

#include "redirect.h"
#include "services.h"
#include "wire.h"

static void
test_advertise_defaults(void **state)
{
	(void)state;
	coordinator_config_t opts = {0};
	redirect_advertised_t adv;
	char *error = NULL;
	assert_int_equal(redirect_advertise(&opts, "tcp://10.0.0.5:7400", "tcp://10.0.0.5:7401",
	                                    "10.0.0.5:7480", &adv, &error),
	                 0);
	assert_string_equal(adv.worker, "tcp://10.0.0.5:7400");
	assert_string_equal(adv.api, "tcp://10.0.0.5:7401");
	assert_string_equal(adv.http, "http://10.0.0.5:7480");
	assert_string_equal(adv.problem, "");
	assert_int_equal(redirect_advertise_ready(&adv, &error), 0);

	/* HTTP off: nothing to advertise for it, and that is no problem. */
	assert_int_equal(redirect_advertise(&opts, "tcp://a:1", "tcp://a:2", NULL, &adv, &error),
	                 0);
	assert_string_equal(adv.http, "");
	assert_int_equal(redirect_advertise_ready(&adv, &error), 0);
}

static void
test_advertise_wildcard(void **state)
{
	(void)state;
	coordinator_config_t opts = {0};
	redirect_advertised_t adv;
	char *error = NULL;
	/* Bound on every address: a single coordinator starts as before; one
	 * that may follow is refused with the option that fixes it. */
	assert_int_equal(redirect_advertise(&opts, "tcp://0.0.0.0:7400", "tcp://127.0.0.1:7401",
	                                    "0.0.0.0:7480", &adv, &error),
	                 0);
	assert_string_equal(adv.worker, "");
	assert_string_equal(adv.api, "tcp://127.0.0.1:7401");
	assert_string_equal(adv.http, "");
	assert_non_null(strstr(adv.problem, "--worker-endpoint binds tcp://0.0.0.0:7400"));
	assert_int_equal(redirect_advertise_ready(&adv, &error), -1);
	assert_non_null(strstr(error, "give --advertise-worker"));
	free(error);
	error = NULL;

	/* The options say what the bound endpoints cannot. */
	opts.advertise_worker = "tcp://coord1.example:7400";
	opts.advertise_api = "ipc:///run/rota/api";
	opts.advertise_http = "https://coord1.example/rota";
	assert_int_equal(redirect_advertise(&opts, "tcp://0.0.0.0:7400", "tcp://[::]:7401",
	                                    "0.0.0.0:7480", &adv, &error),
	                 0);
	assert_string_equal(adv.worker, "tcp://coord1.example:7400");
	assert_string_equal(adv.api, "ipc:///run/rota/api");
	assert_string_equal(adv.http, "https://coord1.example/rota");
	assert_int_equal(redirect_advertise_ready(&adv, &error), 0);
}

static void
test_advertise_refused(void **state)
{
	(void)state;
	static const struct {
		coordinator_config_t opts;
		const char *says;
	} cases[] = {
	    {{.advertise_worker = "tcp://*:7400"}, "--advertise-worker tcp://*:7400: an address"},
	    {{.advertise_api = "tcp://0.0.0.0:7401"}, "--advertise-api tcp://0.0.0.0:7401"},
	    {{.advertise_api = "tcp://h:*"}, "cannot be dialled"},
	    {{.advertise_worker = "udp://h:1"}, "not a tcp:// or ipc:// endpoint"},
	    {{.advertise_http = "ftp://h"}, "--advertise-http ftp://h: give the URL"},
	    {{.advertise_http = "http://0.0.0.0:7480"}, "not a wildcard address"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		redirect_advertised_t adv;
		char *error = NULL;
		assert_int_equal(redirect_advertise_check(&cases[i].opts, &error), -1);
		if (strstr(error, cases[i].says) == NULL)
			fail_msg("case %zu: got '%s', want '%s'", i, error, cases[i].says);
		free(error);
		error = NULL;
		/* Start refuses what --check refuses, by the same code. */
		assert_int_equal(redirect_advertise(&cases[i].opts, "tcp://a:1", "tcp://a:2", NULL,
		                                    &adv, &error),
		                 -1);
		free(error);
	}
}

static services_t *
follower(void)
{
	coordinator_config_t opts = {0};
	services_t *svc = services_new(&opts);
	svc->leadership.follower = true;
	svc->leadership.epoch = 42;
	snprintf(svc->leadership.id, sizeof(svc->leadership.id), "%s", "coord2");
	snprintf(svc->leadership.worker, sizeof(svc->leadership.worker), "%s", "tcp://coord2:7400");
	snprintf(svc->leadership.api, sizeof(svc->leadership.api), "%s", "tcp://coord2:7401");
	return svc;
}

static void
test_target(void **state)
{
	(void)state;
	coordinator_config_t opts = {0};
	services_t *svc = services_new(&opts);
	const char *ep = "untouched";
	/* A leader (and a coordinator that nobody made a follower) answers. */
	assert_false(redirect_target(svc, REDIRECT_WORKERS, &ep));
	assert_false(redirect_target(svc, REDIRECT_OPERATORS, &ep));
	assert_string_equal(ep, "untouched");
	services_destroy(&svc);

	svc = follower();
	assert_true(redirect_target(svc, REDIRECT_WORKERS, &ep));
	assert_string_equal(ep, "tcp://coord2:7400");
	assert_true(redirect_target(svc, REDIRECT_OPERATORS, &ep));
	assert_string_equal(ep, "tcp://coord2:7401");
	svc->leadership.api[0] = '\0';
	assert_true(redirect_target(svc, REDIRECT_OPERATORS, &ep));
	assert_string_equal(ep, "");
	services_destroy(&svc);

	/* A follower answers status itself, not a write nor a read. */
	const struct {
		Rota__Request__BodyCase body;
		bool here;
	} cases[] = {
	    {ROTA__REQUEST__BODY_STATUS, true},
	    {ROTA__REQUEST__BODY_SUBMIT, false},
	    {ROTA__REQUEST__BODY_RUNS, false},
	};
	Rota__Request req = ROTA__REQUEST__INIT;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		req.body_case = cases[i].body;
		assert_int_equal(redirect_answers_here(&req), cases[i].here);
	}
}

static void
test_text(void **state)
{
	(void)state;
	services_t *svc = follower();
	char text[768];
	redirect_text(svc, REDIRECT_OPERATORS, "tcp://coord2:7401", text, sizeof(text));
	assert_non_null(strstr(text, "the leader is coordinator coord2 (epoch 42), which takes"
	                             " operators at tcp://coord2:7401: use --coordinator"
	                             " tcp://coord2:7401"));
	redirect_text(svc, REDIRECT_WORKERS, "tcp://coord2:7400", text, sizeof(text));
	assert_non_null(strstr(text, "takes workers at tcp://coord2:7400"));
	redirect_text(svc, REDIRECT_WORKERS, "", text, sizeof(text));
	assert_non_null(strstr(text, "knows no leader now"));
	services_destroy(&svc);
}

/* The Redirect as a peer reads it: a Response with ERR_REDIRECT, the text,
 * and the leader. */
static void
test_send(void **state)
{
	(void)state;
	services_t *svc = follower();
	void *ctx = zmq_ctx_new();
	void *router = zmq_socket(ctx, ZMQ_ROUTER);
	void *dealer = zmq_socket(ctx, ZMQ_DEALER);
	assert_int_equal(zmq_bind(router, "inproc://test-redirect"), 0);
	assert_int_equal(zmq_setsockopt(dealer, ZMQ_ROUTING_ID, "w1", 2), 0);
	assert_int_equal(zmq_connect(dealer, "inproc://test-redirect"), 0);
	/* The ROUTER learns the peer's identity from its first message. */
	assert_int_equal(zmq_send(dealer, "x", 1, 0), 1);
	char buf[16];
	assert_int_equal(zmq_recv(router, buf, sizeof(buf), 0), 2);
	assert_int_equal(zmq_recv(router, buf, sizeof(buf), 0), 1);

	assert_int_equal(
	    redirect_send(svc, REDIRECT_OPERATORS, router, (const uint8_t *)"w1", 2, 7), 0);
	zmq_msg_t m;
	zmq_msg_init(&m);
	assert_true(zmq_msg_recv(&m, dealer, 0) > 0);
	Rota__Envelope *env =
	    rota__envelope__unpack(NULL, zmq_msg_size(&m), (const uint8_t *)zmq_msg_data(&m));
	zmq_msg_close(&m);
	assert_non_null(env);
	assert_int_equal(env->version, WIRE_VERSION);
	assert_int_equal(env->body_case, ROTA__ENVELOPE__BODY_RESPONSE);
	const Rota__Response *resp = env->response;
	assert_int_equal(resp->id, 7);
	assert_non_null(resp->error);
	assert_int_equal(resp->error->code, ROTA__ERROR_CODE__ERR_REDIRECT);
	assert_non_null(strstr(resp->error->message, "tcp://coord2:7401"));
	assert_non_null(resp->redirect);
	assert_string_equal(resp->redirect->endpoint, "tcp://coord2:7401");
	assert_int_equal(resp->redirect->epoch, 42);
	assert_string_equal(resp->redirect->leader_id, "coord2");
	rota__envelope__free_unpacked(env, NULL);

	zmq_close(dealer);
	zmq_close(router);
	zmq_ctx_term(ctx);
	services_destroy(&svc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_advertise_defaults),
	    cmocka_unit_test(test_advertise_wildcard),
	    cmocka_unit_test(test_advertise_refused),
	    cmocka_unit_test(test_target),
	    cmocka_unit_test(test_text),
	    cmocka_unit_test(test_send),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
