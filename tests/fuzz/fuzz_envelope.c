/* fuzz_envelope: any bytes as one Envelope frame from a peer.
 *
 * Follows a frame as far as the coordinator takes it without a socket or a
 * store: wire_decode (size, protobuf, version and body checks), the ROUTER
 * identity as it is logged, and then by body what is pure: a Hello that
 * passes the coordinator's checks goes into a registry (and says hello
 * again, as a reconnecting worker does); a submitted runbook text is parsed
 * and its errors formatted, as api_submit does; a step key is sent back
 * the way the coordinator acks it, and must decode. The first bytes double as the
 * identity frame, so the fuzzer can drive both from one input.
 *
 * Must never: keep state between inputs (the registry is per input). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator.h"
#include "registry.h"
#include "runbook.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The coordinator's own checks on a Hello before it touches the registry
 * (coordinator_hello_check, then wire_hello_check, as coordinator_hello
 * calls them): only what they let through reaches the registry here, as
 * there. */
static int
hello_acceptable(const Rota__Hello *hello, const uint8_t *identity, size_t identity_len)
{
	const char *why = NULL;
	if (coordinator_hello_check(hello, identity, identity_len, &why) != 0) {
		if (why == NULL || why[0] == '\0')
			abort(); /* a refusal always says why (it is logged) */
		return 0;
	}
	char bounds[320];
	if (wire_hello_check(hello, bounds, sizeof(bounds)) != 0) {
		if (bounds[0] == '\0')
			abort(); /* the worker is told why */
		return 0;
	}
	return 1;
}

static void
fuzz_hello(const Rota__Hello *hello)
{
	if (hello == NULL || hello->worker_id == NULL)
		return;
	registry_t *r = registry_new();
	for (int again = 0; again < 2; again++) {
		worker_t *w = registry_hello(r, hello, 1000 + again, 2000 + again);
		if (w == NULL || registry_find(r, hello->worker_id) != w)
			abort();
		char *labels = registry_labels_string(w);
		for (size_t i = 0; i < w->label_count; i++)
			(void)registry_label(w, w->labels[i].key);
		free(labels);
	}
	registry_destroy(&r);
	registry_destroy(&r); /* a second destroy is harmless */
}

static void
fuzz_submit(const Rota__SubmitRequest *sub)
{
	if (sub == NULL || sub->runbook_yaml == NULL)
		return;
	runbook_errors_t errs = {0};
	runbook_t *rb = runbook_parse_string(sub->runbook_yaml, strlen(sub->runbook_yaml),
	                                     "<submitted>", &errs);
	char *msg = runbook_errors_format(&errs);
	if ((rb == NULL) != (errs.count > 0))
		abort(); /* a runbook comes back exactly when nothing was wrong */
	free(msg);
	runbook_errors_clear(&errs);
	runbook_destroy(&rb);
}

/* A StepKey from a peer goes back to it in an ack (and into a worker's
 * spooled Result): what is sent must decode, with the same key. The whole
 * envelope need not re-encode: protobuf-c keeps unknown fields it cannot
 * pack decodably, which is why keys are copied (wire_step_key_copy). */
static void
fuzz_key_echo(const Rota__StepKey *key)
{
	if (key == NULL)
		return;
	Rota__StepKey copy;
	wire_step_key_copy(&copy, key);
	Rota__ResultAck ack = ROTA__RESULT_ACK__INIT;
	ack.key = &copy;
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_RESULT_ACK;
	env.result_ack = &ack;
	size_t len = 0;
	uint8_t *buf = wire_encode(&env, &len);
	Rota__Envelope *back = NULL;
	if (wire_decode(buf, len, &back) != WIRE_OK)
		abort();
	const Rota__StepKey *k = back->result_ack->key;
	if (k == NULL || strcmp(k->run_id, key->run_id) != 0 ||
	    strcmp(k->step_id, key->step_id) != 0 || strcmp(k->host, key->host) != 0 ||
	    k->attempt != key->attempt)
		abort();
	rota__envelope__free_unpacked(back, NULL);
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The identity a ROUTER would report: up to the first 16 bytes. */
	size_t identity_len = size < 16 ? size : 16;
	char idbuf[2 * WIRE_MAX_IDENTITY_BYTES + 3];
	(void)wire_identity_str(data, identity_len, idbuf, sizeof(idbuf));

	/* Copied to a buffer of its own size so an overread is caught. */
	uint8_t *frame = malloc(size ? size : 1);
	if (frame == NULL)
		return 0;
	if (size > 0)
		memcpy(frame, data, size);
	Rota__Envelope *env = NULL;
	int rc = wire_decode(frame, size, &env);
	if (rc != WIRE_OK) {
		if (env != NULL)
			abort(); /* an error hands nothing back */
		(void)wire_strerror(rc);
		free(frame);
		return 0;
	}
	if (env->version != WIRE_VERSION || env->body_case == ROTA__ENVELOPE__BODY__NOT_SET)
		abort(); /* decode let through what it must refuse */

	switch (env->body_case) {
	case ROTA__ENVELOPE__BODY_HELLO:
		/* As the coordinator sees it: the worker_id must be the
		 * identity, so try it both with and without one that fits. */
		if (env->hello->worker_id != NULL &&
		    hello_acceptable(env->hello, (const uint8_t *)env->hello->worker_id,
		                     strlen(env->hello->worker_id)))
			fuzz_hello(env->hello);
		if (hello_acceptable(env->hello, data, identity_len))
			fuzz_hello(env->hello);
		/* Its spooled results are recorded and acked like any other. */
		for (size_t i = 0; i < env->hello->n_spooled && i < COORDINATOR_HELLO_MAX_KEYS; i++)
			fuzz_key_echo(env->hello->spooled[i]->key);
		break;
	case ROTA__ENVELOPE__BODY_REQUEST:
		if (env->request->body_case == ROTA__REQUEST__BODY_SUBMIT)
			fuzz_submit(env->request->submit);
		break;
	case ROTA__ENVELOPE__BODY_DISPATCH:
		fuzz_key_echo(env->dispatch->key);
		break;
	case ROTA__ENVELOPE__BODY_ACCEPTED:
		fuzz_key_echo(env->accepted->key);
		break;
	case ROTA__ENVELOPE__BODY_OUTPUT:
		fuzz_key_echo(env->output->key);
		break;
	case ROTA__ENVELOPE__BODY_RESULT:
		fuzz_key_echo(env->result->key);
		break;
	default:
		break;
	}
	rota__envelope__free_unpacked(env, NULL);
	free(frame);
	return 0;
}
