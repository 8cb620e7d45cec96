/* test_api: the operator API's table (api_internal.h). Every request the
 * protocol defines (the body oneof of Request in proto/rota.proto) has
 * exactly one row, and every row is a complete request: a new request
 * cannot be half-added. Also the rows' audit targets, which are pure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "api_internal.h"

/* Whether field f of Request is a case of its body oneof. */
static bool
is_body_case(const ProtobufCFieldDescriptor *f)
{
	return (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) != 0 &&
	       f->quantifier_offset == offsetof(Rota__Request, body_case);
}

static void
test_every_request_has_one_row(void **state)
{
	(void)state;
	const ProtobufCMessageDescriptor *d = &rota__request__descriptor;
	size_t cases = 0;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		if (!is_body_case(f))
			continue;
		cases++;
		size_t rows = 0;
		for (size_t k = 0; k < api_route_count(); k++)
			if ((unsigned)api_route_at(k)->body == f->id)
				rows++;
		if (rows != 1)
			fail_msg("Request.%s (= %u) has %zu rows in api_routes (coordinator/api.c);"
			         " it needs exactly one",
			         f->name, f->id, rows);
		assert_non_null(api_route_find((Rota__Request__BodyCase)f->id));
	}
	assert_true(cases > 0);
	/* And no row for a case the protocol does not have. */
	assert_int_equal(api_route_count(), cases);
	assert_null(api_route_at(api_route_count()));
	assert_null(api_route_find(ROTA__REQUEST__BODY__NOT_SET));
}

static void
test_every_row_is_complete(void **state)
{
	(void)state;
	for (size_t k = 0; k < api_route_count(); k++) {
		const api_route_t *r = api_route_at(k);
		assert_non_null(r->handle);
		assert_non_null(r->name);
		assert_true(r->name[0] != '\0');
		assert_true(r->need >= KEYRING_ROLE_VIEWER && r->need <= KEYRING_ROLE_ADMIN);
		/* Names are what refusals and the audit trail say: one each. */
		for (size_t j = k + 1; j < api_route_count(); j++)
			assert_string_not_equal(r->name, api_route_at(j)->name);
		/* Nobody may change state as a mere viewer, but for signing in
		 * to the console and out of it: a viewer's own session, which
		 * gives no more than its key (audited like every write). */
		if (r->writes && r->body != ROTA__REQUEST__BODY_WEB_LOGIN &&
		    r->body != ROTA__REQUEST__BODY_WEB_LOGOUT)
			assert_true(r->need >= KEYRING_ROLE_OPERATOR);
	}
}

/* Whether a request of body writes (api_request_writes). */
static bool
writes(Rota__Request__BodyCase body)
{
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = body;
	return api_request_writes(&req);
}

static void
test_writes_follows_the_table(void **state)
{
	(void)state;
	for (size_t k = 0; k < api_route_count(); k++)
		assert_int_equal(writes(api_route_at(k)->body), api_route_at(k)->writes);
	assert_false(writes(ROTA__REQUEST__BODY__NOT_SET));
	assert_true(writes(ROTA__REQUEST__BODY_SUBMIT));
	assert_false(writes(ROTA__REQUEST__BODY_RUNS));
}

/* Asserts that the audit target of the row for body, for req, is want. */
static void
target_is(Rota__Request__BodyCase body, const Rota__Request *req, const char *want)
{
	const api_route_t *r = api_route_find(body);
	assert_non_null(r);
	assert_non_null(r->target);
	char *t = r->target(req);
	assert_string_equal(t, want);
	free(t);
}

static void
test_audit_targets(void **state)
{
	(void)state;
	Rota__Request req = ROTA__REQUEST__INIT;

	Rota__CancelRequest cancel = ROTA__CANCEL_REQUEST__INIT;
	cancel.run_id = "r-1";
	req.cancel = &cancel;
	target_is(ROTA__REQUEST__BODY_CANCEL, &req, "r-1");
	cancel.host = "web1";
	target_is(ROTA__REQUEST__BODY_CANCEL, &req, "r-1 host web1");

	Rota__ApproveRequest approve = ROTA__APPROVE_REQUEST__INIT;
	approve.run_id = "r-1";
	approve.step_id = "gate";
	req.approve = &approve;
	target_is(ROTA__REQUEST__BODY_APPROVE, &req, "r-1/gate");

	Rota__SubmitRequest submit = ROTA__SUBMIT_REQUEST__INIT;
	submit.runbook_path = "./fix.yaml";
	req.submit = &submit;
	target_is(ROTA__REQUEST__BODY_SUBMIT, &req, "./fix.yaml");
	submit.runbook = "restart-web";
	target_is(ROTA__REQUEST__BODY_SUBMIT, &req, "restart-web");

	Rota__OpenIncidentRequest open = ROTA__OPEN_INCIDENT_REQUEST__INIT;
	req.incident_open = &open;
	target_is(ROTA__REQUEST__BODY_INCIDENT_OPEN, &req, "");

	Rota__IncidentActionRequest action = ROTA__INCIDENT_ACTION_REQUEST__INIT;
	action.id = "INC-7";
	req.ack = &action;
	target_is(ROTA__REQUEST__BODY_ACK, &req, "INC-7");
	req.resolve = &action;
	target_is(ROTA__REQUEST__BODY_RESOLVE, &req, "INC-7");

	target_is(ROTA__REQUEST__BODY_RELOAD, &req, "runbooks");

	Rota__RemoveWorkerRequest remove = ROTA__REMOVE_WORKER_REQUEST__INIT;
	req.remove_worker = &remove;
	remove.id = NULL;
	target_is(ROTA__REQUEST__BODY_REMOVE_WORKER, &req, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_request_has_one_row),
	    cmocka_unit_test(test_every_row_is_complete),
	    cmocka_unit_test(test_writes_follows_the_table),
	    cmocka_unit_test(test_audit_targets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
