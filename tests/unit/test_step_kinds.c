/* test_step_kinds: the table of step kinds (common/runbook/step_kinds.c)
 * as the rest of rota sees it: each kind's name, where it runs and the
 * spec it becomes, and a parsed step rendered into that spec for one host
 * (what the coordinator's launcher sends). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "rota.pb-c.h"
#include "runbook.h"

static void
test_table(void **state)
{
	(void)state;
	static const struct {
		runbook_step_type_t type;
		const char *name;
		runbook_runs_on_t runs_on;
		bool run_as;
		int spec_case;
	} want[] = {
	    {RUNBOOK_STEP_SHELL, "shell", RUNBOOK_RUNS_WORKER, true, ROTA__STEP_SPEC__KIND_SHELL},
	    {RUNBOOK_STEP_HTTP_CHECK, "http_check", RUNBOOK_RUNS_CHECK, true,
	     ROTA__STEP_SPEC__KIND_HTTP_CHECK},
	    {RUNBOOK_STEP_DISK_CHECK, "disk_check", RUNBOOK_RUNS_CHECK, true,
	     ROTA__STEP_SPEC__KIND_DISK_CHECK},
	    {RUNBOOK_STEP_METRIC_CHECK, "metric_check", RUNBOOK_RUNS_CHECK, true,
	     ROTA__STEP_SPEC__KIND_METRIC_CHECK},
	    {RUNBOOK_STEP_PROMQL_CHECK, "promql_check", RUNBOOK_RUNS_CHECK, true,
	     ROTA__STEP_SPEC__KIND_PROMQL_CHECK},
	    {RUNBOOK_STEP_MANUAL, "manual", RUNBOOK_RUNS_COORDINATOR, false,
	     ROTA__STEP_SPEC__KIND_MANUAL},
	    {RUNBOOK_STEP_NOTIFY, "notify", RUNBOOK_RUNS_COORDINATOR, false,
	     ROTA__STEP_SPEC__KIND_NOTIFY},
	    {RUNBOOK_STEP_NOOP, "noop", RUNBOOK_RUNS_WORKER, false, ROTA__STEP_SPEC__KIND_NOOP},
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const runbook_step_info_t *k = runbook_step_info(want[i].type);
		assert_non_null(k);
		assert_string_equal(k->name, want[i].name);
		assert_string_equal(runbook_step_type_name(want[i].type), want[i].name);
		assert_int_equal(k->runs_on, want[i].runs_on);
		assert_int_equal(k->run_as, want[i].run_as);
		assert_int_equal(k->spec_case, want[i].spec_case);
		assert_true(k->default_timeout_ms > 0);
		assert_ptr_equal(runbook_step_info_of_spec(want[i].spec_case), k);
		assert_int_equal(runbook_step_on_coordinator(want[i].type),
		                 want[i].runs_on == RUNBOOK_RUNS_COORDINATOR);
	}
	/* runbook: spliced away before anything runs, so no spec and no
	 * timeout of its own (compose.c). */
	const runbook_step_info_t *call = runbook_step_info(RUNBOOK_STEP_RUNBOOK);
	assert_non_null(call);
	assert_string_equal(call->name, "runbook");
	assert_int_equal(call->runs_on, RUNBOOK_RUNS_INLINE);
	assert_false(call->run_as);
	assert_int_equal(call->spec_case, ROTA__STEP_SPEC__KIND__NOT_SET);
	assert_false(runbook_step_on_coordinator(RUNBOOK_STEP_RUNBOOK));
	assert_null(runbook_step_info((runbook_step_type_t)0));
	assert_null(runbook_step_info_of_spec(ROTA__STEP_SPEC__KIND__NOT_SET));
	assert_string_equal(runbook_step_type_name((runbook_step_type_t)0), "unknown");
}

static runbook_t *
parse_ok(const char *text)
{
	runbook_errors_t errs = {0};
	runbook_t *rb = runbook_parse_string(text, strlen(text), "t.yaml", &errs);
	if (rb == NULL) {
		char *out = runbook_errors_format(&errs);
		fail_msg("unexpected errors:\n%s", out);
	}
	return rb;
}

static Rota__StepSpec *
spec_of(const runbook_t *rb, size_t step, const template_var_t *vars, size_t n, bool *invalid)
{
	runbook_spec_in_t in = {
	    .runbook = rb->name, .output_limit = 1000, .vars = vars, .var_count = n};
	uint8_t *buf = NULL;
	size_t len = 0;
	*invalid = runbook_step_spec(&rb->steps[step], &in, &buf, &len);
	Rota__StepSpec *ss = rota__step_spec__unpack(NULL, len, buf);
	free(buf);
	assert_non_null(ss);
	return ss;
}

/* A runbook step that reached a render (never expanded) becomes an
 * invalid spec saying so, never a step that does something else. */
static void
test_render_unexpanded_call(void **state)
{
	(void)state;
	runbook_t *rb = parse_ok("name: r\nsteps:\n  - {id: c, runbook: other}\n");
	bool invalid;
	Rota__StepSpec *ss = spec_of(rb, 0, NULL, 0, &invalid);
	assert_true(invalid);
	assert_string_equal(
	    ss->invalid, "step c: it calls runbook other, which was not expanded into its steps");
	rota__step_spec__free_unpacked(ss, NULL);
	runbook_destroy(&rb);
}

static void
test_render(void **state)
{
	(void)state;
	runbook_t *rb =
	    parse_ok("name: r\n"
	             "params:\n"
	             "  port: {type: int, default: '80'}\n"
	             "  token: {secret: true, default: x}\n"
	             "steps:\n"
	             "  - id: web\n"
	             "    http_check: {url: 'http://{{ host.id }}:{{ params.port }}/'}\n"
	             "  - id: sh\n"
	             "    shell: echo {{ params.port }} {{ params.token }}\n"
	             "  - id: ok\n"
	             "    noop:\n");
	template_var_t vars[] = {
	    {.name = "host.id", .value = "h1"},
	    {.name = "params.port", .value = "8080"},
	    {.name = "params.token", .value = "s3cret", .secret = true},
	};
	bool invalid;

	Rota__StepSpec *ss = spec_of(rb, 0, vars, 3, &invalid);
	assert_false(invalid);
	assert_int_equal(ss->kind_case, ROTA__STEP_SPEC__KIND_HTTP_CHECK);
	assert_string_equal(ss->http_check->url, "http://h1:8080/");
	assert_int_equal(ss->http_check->expect_status, 200);
	assert_int_equal(ss->timeout_ms, RUNBOOK_DEFAULT_HTTP_TIMEOUT_MS);
	assert_string_equal(ss->runbook, "r");
	assert_int_equal(ss->output_limit, 1000);
	rota__step_spec__free_unpacked(ss, NULL);

	/* The secret never enters the spec: secret_env names its param. */
	ss = spec_of(rb, 1, vars, 3, &invalid);
	assert_false(invalid);
	assert_int_equal(ss->kind_case, ROTA__STEP_SPEC__KIND_SHELL);
	assert_null(strstr(ss->shell->run, "s3cret"));
	assert_int_equal(ss->n_secret_env, 1);
	assert_string_equal(ss->secret_env[0]->value, "token");
	rota__step_spec__free_unpacked(ss, NULL);

	ss = spec_of(rb, 2, vars, 3, &invalid);
	assert_false(invalid);
	assert_int_equal(ss->kind_case, ROTA__STEP_SPEC__KIND_NOOP);
	rota__step_spec__free_unpacked(ss, NULL);

	/* A templated field that renders into an invalid value. */
	vars[0].value = "bad host/x";
	vars[1].value = "x";
	ss = spec_of(rb, 0, vars, 3, &invalid);
	assert_true(invalid);
	assert_int_equal(ss->kind_case, ROTA__STEP_SPEC__KIND_NOOP);
	assert_non_null(strstr(ss->invalid, "step web: 'url' must be"));
	rota__step_spec__free_unpacked(ss, NULL);

	const char *texts[RUNBOOK_STEP_MAX_TEXTS];
	assert_int_equal(runbook_step_texts(&rb->steps[0], texts), 1);
	assert_string_equal(texts[0], "http://{{ host.id }}:{{ params.port }}/");
	assert_int_equal(runbook_step_texts(&rb->steps[2], texts), 0);
	runbook_destroy(&rb);
}

/* promql_check's fields and a hold reach the spec; a hold without a
 * timeout gets the hold plus the kind's own. */
static void
test_render_promql_hold(void **state)
{
	(void)state;
	runbook_t *rb = parse_ok("name: r\n"
	                         "steps:\n"
	                         "  - id: errors\n"
	                         "    hold: 15m\n"
	                         "    interval: 30s\n"
	                         "    promql_check:\n"
	                         "      url: 'http://prom:9090'\n"
	                         "      query: 'rate(http_requests_total{code=~\"5..\"}[5m])'\n"
	                         "      op: '<'\n"
	                         "      value: 0.5\n"
	                         "      match: any\n");
	bool invalid;
	Rota__StepSpec *ss = spec_of(rb, 0, NULL, 0, &invalid);
	assert_false(invalid);
	assert_int_equal(ss->kind_case, ROTA__STEP_SPEC__KIND_PROMQL_CHECK);
	assert_string_equal(ss->promql_check->url, "http://prom:9090");
	assert_string_equal(ss->promql_check->query,
	                    "rate(http_requests_total{code=~\"5..\"}[5m])");
	assert_string_equal(ss->promql_check->op, "<");
	assert_true(ss->promql_check->value == 0.5);
	assert_string_equal(ss->promql_check->match, "any");
	assert_int_equal(ss->hold_ms, 15 * 60 * 1000);
	assert_int_equal(ss->hold_interval_ms, 30 * 1000);
	assert_int_equal(ss->timeout_ms, 15 * 60 * 1000 + RUNBOOK_DEFAULT_PROMQL_TIMEOUT_MS);
	rota__step_spec__free_unpacked(ss, NULL);
	const char *texts[RUNBOOK_STEP_MAX_TEXTS];
	assert_int_equal(runbook_step_texts(&rb->steps[0], texts), 5);
	runbook_destroy(&rb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_render),
	    cmocka_unit_test(test_render_promql_hold),
	    cmocka_unit_test(test_render_unexpanded_call),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
