/* test_answer: how the CLI names an answer's body and checks that it is
 * there, read from the protocol's own description of Response, so a new
 * request needs no entry in the CLI for either (it needed two switches). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "answer.h"

/* Every body of Response, and a few by name: the name is the field's, with
 * spaces, and a body whose pointer is unset is not present. */
static void
test_every_body_named(void **state)
{
	(void)state;
	const ProtobufCMessageDescriptor *d = &rota__response__descriptor;
	size_t bodies = 0;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		if (f->quantifier_offset != offsetof(Rota__Response, body_case))
			continue;
		bodies++;
		char name[64];
		answer_name((Rota__Response__BodyCase)f->id, name, sizeof(name));
		assert_non_null(strchr(f->name, '_') ? strchr(name, ' ') : name);
		assert_null(strchr(name, '_'));
		Rota__Response resp = ROTA__RESPONSE__INIT;
		resp.body_case = (Rota__Response__BodyCase)f->id;
		assert_false(answer_present(&resp));
	}
	assert_true(bodies > 30);

	char name[64];
	answer_name(ROTA__RESPONSE__BODY_RUNBOOK_SHOW, name, sizeof(name));
	assert_string_equal(name, "runbook show");
	answer_name(ROTA__RESPONSE__BODY_STATUS, name, sizeof(name));
	assert_string_equal(name, "status");
	answer_name(ROTA__RESPONSE__BODY__NOT_SET, name, sizeof(name));
	assert_string_equal(name, "empty");
	answer_name((Rota__Response__BodyCase)99999, name, sizeof(name));
	assert_string_equal(name, "unknown (99999)");
}

static void
test_present_when_set(void **state)
{
	(void)state;
	Rota__StatusResponse status = ROTA__STATUS_RESPONSE__INIT;
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.body_case = ROTA__RESPONSE__BODY_STATUS;
	resp.status = &status;
	assert_true(answer_present(&resp));
	resp.body_case = ROTA__RESPONSE__BODY__NOT_SET;
	assert_false(answer_present(&resp));
	resp.body_case = (Rota__Response__BodyCase)99999;
	assert_false(answer_present(&resp));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_body_named),
	    cmocka_unit_test(test_present_when_set),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
