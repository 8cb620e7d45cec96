/* test_runbook_compose: `runbook` steps expanded (common/runbook/compose.c):
 * the called runbook's steps spliced in with prefixed ids, their `when`
 * kept, their params bound through a frame; the depth bound, cycles and
 * every error with its file:line:column; and the bundle a run keeps, read
 * back into the same expanded runbook. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runbook.h"

/* The catalog of a test: runbook names and their texts. */
typedef struct {
	const char *name;
	const char *yaml;
} book_t;

static const char *
resolve(void *ctx, const char *name, const char **path)
{
	for (const book_t *b = ctx; b->name != NULL; b++) {
		if (strcmp(b->name, name) == 0) {
			*path = b->name;
			return b->yaml;
		}
	}
	return NULL;
}

static const book_t books[] = {
    {"clean-dir", "name: clean-dir\n"
                  "params:\n"
                  "  path: { default: / }\n"
                  "  keep: { default: 5, type: int }\n"
                  "steps:\n"
                  "  - id: count\n"
                  "    file_check: { path: \"{{ params.path }}/*\", min_count: 1 }\n"
                  "  - id: clean\n"
                  "    when: { failed: count }\n"
                  "    shell: \"echo {{ params.path }} {{ params.keep }}\"\n"},
    {"needs", "name: needs\n"
              "params:\n"
              "  target: { required: true }\n"
              "  token: { secret: true, required: true }\n"
              "steps:\n"
              "  - { id: s, shell: \"echo {{ params.target }}\" }\n"},
    {"restart", "name: restart\n"
                "params:\n"
                "  restart_command: { default: \"true\", command: true }\n"
                "steps:\n"
                "  - id: s\n"
                "    shell: { env: { R: \"{{ params.restart_command }}\" }, run: sh -c \"$R\" }\n"},
    {"needs-one", "name: needs-one\n"
                  "params:\n"
                  "  target: { required: true }\n"
                  "steps:\n"
                  "  - { id: s, shell: \"echo {{ params.target }}\" }\n"},
    {"outer", "name: outer\n"
              "params:\n"
              "  where: { default: /srv }\n"
              "steps:\n"
              "  - { id: hello, noop: {} }\n"
              "  - id: inner\n"
              "    runbook: clean-dir\n"
              "    params: { path: \"{{ params.where }}/logs\" }\n"},
    {"loop-a", "name: loop-a\nsteps:\n  - { id: to-b, runbook: loop-b }\n"},
    {"loop-b",
     "name: loop-b\nsteps:\n  - { id: x, noop: {} }\n  - { id: to-a, runbook: loop-a }\n"},
    {"self", "name: self\nsteps:\n  - { id: me, runbook: self }\n"},
    {"d1", "name: d1\nsteps:\n  - { id: s, runbook: d2 }\n"},
    {"d2", "name: d2\nsteps:\n  - { id: s, runbook: d3 }\n"},
    {"d3", "name: d3\nsteps:\n  - { id: s, runbook: d4 }\n"},
    {"d4", "name: d4\nsteps:\n  - { id: s, runbook: d5 }\n"},
    {"d5", "name: d5\nsteps:\n  - { id: s, noop: {} }\n"},
    {"broken", "name: broken\nsteps:\n  - { id: s, shel: ls }\n"},
    {NULL, NULL},
};

/* Parses text as "t.yaml" and expands it: the runbook, or NULL with the
 * errors formatted into *out (the caller frees). */
static runbook_t *
expand(const char *text, char **out)
{
	runbook_errors_t errs = {0};
	runbook_t *rb = runbook_parse_string(text, strlen(text), "t.yaml", &errs);
	assert_non_null(rb);
	if (runbook_expand(rb, resolve, (void *)books, &errs) != 0)
		runbook_destroy(&rb);
	*out = runbook_errors_format(&errs);
	runbook_errors_clear(&errs);
	return rb;
}

#define assert_expand_error(text, want)                                                            \
	do {                                                                                       \
		char *got_ = NULL;                                                                 \
		runbook_t *rb_ = expand(text, &got_);                                              \
		assert_null(rb_);                                                                  \
		assert_string_equal(got_, want);                                                   \
		free(got_);                                                                        \
	} while (0)

static const char *parent = "name: nightly\n"
                            "params:\n"
                            "  dir: { default: /tmp }\n"
                            "steps:\n"
                            "  - { id: first, noop: {} }\n"
                            "  - id: cleanup\n"
                            "    runbook: clean-dir\n"
                            "    params: { path: \"{{ params.dir }}\" }\n"
                            "  - id: last\n"
                            "    when: { failed: first }\n"
                            "    shell: \"echo {{ params.dir }}\"\n";

static void
check_parent(const runbook_t *rb)
{
	assert_int_equal(rb->step_count, 4);
	const char *ids[] = {"first", "cleanup.count", "cleanup.clean", "last"};
	const size_t frames[] = {0, 1, 1, 0};
	for (size_t i = 0; i < 4; i++) {
		assert_string_equal(rb->steps[i].id, ids[i]);
		assert_int_equal(rb->steps[i].frame, frames[i]);
	}
	assert_int_equal(rb->steps[1].type, RUNBOOK_STEP_FILE_CHECK);
	/* when inside the called runbook: the spliced step it named. */
	assert_int_equal(rb->steps[2].when.kind, RUNBOOK_WHEN_FAILED);
	assert_string_equal(rb->steps[2].when.step, "cleanup.count");
	assert_int_equal(rb->steps[2].when.step_index, 1);
	/* ... and the caller's own after it, shifted. */
	assert_string_equal(rb->steps[3].when.step, "first");
	assert_int_equal(rb->steps[3].when.step_index, 0);
	/* The templates stay as written: the frame binds their params. */
	assert_string_equal(rb->steps[2].run, "echo {{ params.path }} {{ params.keep }}");
	assert_int_equal(rb->frame_count, 1);
	const runbook_frame_t *f = &rb->frames[0];
	assert_string_equal(f->step, "cleanup");
	assert_string_equal(f->runbook, "clean-dir");
	assert_int_equal(f->parent, 0);
	assert_int_equal(f->bind_count, 2);
	assert_string_equal(f->binds[0].name, "path");
	assert_string_equal(f->binds[0].text, "{{ params.dir }}"); /* given */
	assert_string_equal(f->binds[1].name, "keep");
	assert_string_equal(f->binds[1].text, "5"); /* its default */
	assert_int_equal(f->binds[1].type, RUNBOOK_PARAM_INT);
}

static void
test_expand(void **state)
{
	(void)state;
	char *errors = NULL;
	runbook_t *rb = expand(parent, &errors);
	assert_non_null(rb);
	assert_string_equal(errors, "");
	free(errors);
	check_parent(rb);
	assert_int_equal(rb->included_count, 1);
	assert_string_equal(rb->included[0].name, "clean-dir");
	runbook_destroy(&rb);
}

/* A call inside a call: ids "a.b.step", each frame bound in its caller's. */
static void
test_expand_nested(void **state)
{
	(void)state;
	char *errors = NULL;
	runbook_t *rb = expand("name: top\nsteps:\n  - { id: go, runbook: outer }\n", &errors);
	assert_non_null(rb);
	free(errors);
	assert_int_equal(rb->step_count, 3);
	assert_string_equal(rb->steps[0].id, "go.hello");
	assert_string_equal(rb->steps[1].id, "go.inner.count");
	assert_string_equal(rb->steps[2].id, "go.inner.clean");
	assert_string_equal(rb->steps[2].when.step, "go.inner.count");
	assert_int_equal(rb->steps[2].when.step_index, 1);
	assert_int_equal(rb->frame_count, 2);
	assert_string_equal(rb->frames[0].step, "go");
	assert_int_equal(rb->frames[0].parent, 0);
	assert_string_equal(rb->frames[1].step, "go.inner");
	assert_int_equal(rb->frames[1].parent, 1);
	assert_string_equal(rb->frames[1].binds[0].text, "{{ params.where }}/logs");
	assert_int_equal(rb->steps[0].frame, 1);
	assert_int_equal(rb->steps[1].frame, 2);
	assert_int_equal(rb->included_count, 2);
	runbook_destroy(&rb);
}

static void
test_depth_bound(void **state)
{
	(void)state;
	/* d0 -> d2 -> d3 -> d4 -> d5: four calls deep is allowed ... */
	char *errors = NULL;
	runbook_t *rb = expand("name: d0\nsteps:\n  - { id: s, runbook: d2 }\n", &errors);
	assert_non_null(rb);
	assert_string_equal(rb->steps[0].id, "s.s.s.s.s");
	free(errors);
	runbook_destroy(&rb);
	/* ... five is not. */
	assert_expand_error("name: d0\nsteps:\n  - { id: s, runbook: d1 }\n",
	                    "t.yaml:3:5: in d0 -> d1 -> d2 -> d3 -> d4: d4:3:5: runbook steps call "
	                    "deeper than 4 runbooks: d0 -> d1 -> d2 -> d3 -> d4 -> d5\n");
}

static void
test_cycles(void **state)
{
	(void)state;
	assert_expand_error("name: self\nsteps:\n  - { id: me, runbook: self }\n",
	                    "t.yaml:3:5: runbook step 'me' makes a cycle: self -> self\n");
	assert_expand_error("name: loop-a\nsteps:\n  - { id: to-b, runbook: loop-b }\n",
	                    "t.yaml:3:5: runbook step 'to-b' makes a cycle: loop-a -> loop-b -> "
	                    "loop-a (step 'to-a' at loop-b:4:5 runs loop-a)\n");
	/* A cycle further down, not through the file itself. */
	assert_expand_error(
	    "name: x\nsteps:\n  - { id: n, noop: {} }\n  - { id: c, runbook: self }\n",
	    "t.yaml:4:5: runbook step 'c' makes a cycle: x -> self -> self (step "
	    "'me' at self:3:5 runs self)\n");
}

static void
test_errors(void **state)
{
	(void)state;
	/* Every call's errors, each at its step. */
	assert_expand_error(
	    "name: x\nsteps:\n"
	    "  - { id: a, runbook: nope }\n"
	    "  - id: b\n    runbook: clean-dir\n    params: { pth: /x, keep: many }\n"
	    "  - { id: c, runbook: needs-one }\n"
	    "  - { id: d, runbook: broken }\n",
	    "t.yaml:3:5: runbook step 'a' runs runbook nope, which is not loaded\n"
	    "t.yaml:4:5: runbook clean-dir has no param 'pth' (its params: path, keep)\n"
	    "t.yaml:4:5: param 'keep' of runbook clean-dir must be an integer, not 'many'\n"
	    "t.yaml:7:5: runbook needs-one needs param 'target', which has no default: give it "
	    "in the step's params (params: { target: VALUE })\n"
	    "t.yaml:8:5: runbook step 'd' runs runbook broken, which is invalid: broken:3:5: step "
	    "'s' has no step type; add one of shell, http_check, disk_check, metric_check, "
	    "file_check, tls_check, promql_check, manual, notify, noop or runbook\n"
	    "broken:3:14: unknown key 'shel' in step 's'; did you mean 'shell'?\n");
	assert_expand_error(
	    "name: x\nsteps:\n  - { id: a, runbook: needs, params: { target: t } }\n",
	    "t.yaml:3:5: param 'token' of runbook needs is secret; a runbook step "
	    "cannot pass a secret yet (run needs by itself)\n");
	/* A command param (run as shell) takes a literal or a command param
	 * of the caller, never another value: -p x would be run as shell. */
	assert_expand_error("name: x\nparams: { x: { default: \"true\" } }\nsteps:\n"
	                    "  - { id: a, runbook: restart, params: { restart_command: \"{{ "
	                    "params.x }}\" } }\n",
	                    "t.yaml:4:5: param 'restart_command' of runbook restart is a command"
	                    " (run as shell): give it a literal, or {{ params.NAME }} of a"
	                    " param of this runbook that is command: true too ({{ params.x }} is"
	                    " not)\n");
	assert_expand_error("name: x\nsteps:\n  - { id: a, runbook: clean-dir }\n"
	                    "  - { id: b, when: { failed: a }, noop: {} }\n",
	                    "t.yaml:4:5: 'when' of step 'b' names step 'a', a runbook step; a when "
	                    "cannot name one yet (name a step before it)\n");
	/* An error in a called runbook's call: where, and through what. */
	assert_expand_error("name: x\nsteps:\n  - { id: a, runbook: loop-b }\n",
	                    "t.yaml:3:5: runbook step 'a' makes a cycle: x -> loop-b -> loop-a -> "
	                    "loop-b (step 'to-b' at loop-a:3:5 runs loop-b)\n");
}

/* What the parser itself says of a runbook step. */
static void
test_parse_errors(void **state)
{
	(void)state;
	const char *text =
	    "name: x\nsteps:\n"
	    "  - id: a\n    runbook: clean-dir\n    when: always\n    retries: 2\n"
	    "  - { id: b, runbook: [x] }\n"
	    "  - { id: c, runbook: 'no such', params: [1] }\n"
	    "  - { id: d, runbook: clean-dir, params: { path: '{{ params.nope }}' } }\n"
	    "  - { id: e, shell: ls, params: { x: 1 } }\n";
	runbook_errors_t errs = {0};
	assert_null(runbook_parse_string(text, strlen(text), "t.yaml", &errs));
	char *got = runbook_errors_format(&errs);
	assert_string_equal(
	    got,
	    "t.yaml:5:5: step 'a' runs runbook steps, which keep their own settings: 'when' "
	    "goes on the steps of the runbook it runs\n"
	    "t.yaml:6:5: step 'a' runs runbook steps, which keep their own settings: 'retries' "
	    "goes on the steps of the runbook it runs\n"
	    "t.yaml:7:23: 'runbook' of step 'b' must be the name of the runbook it runs, not a "
	    "sequence\n"
	    "t.yaml:8:23: 'runbook' of step 'c' must be a runbook's name (1 to 100 of A-Z a-z "
	    "0-9 . _ -), not 'no such'\n"
	    "t.yaml:9:50: unknown template name 'params.nope'; no params are declared\n"
	    "t.yaml:10:33: 'params' of step 'e' is for a runbook step (runbook: NAME), the "
	    "values of the runbook it runs\n");
	free(got);
	runbook_errors_clear(&errs);
}

/* What a run keeps reads back into the same expanded runbook, without
 * the catalog; a runbook that calls nothing is kept as it is. */
static void
test_bundle(void **state)
{
	(void)state;
	char *errors = NULL;
	runbook_t *rb = expand(parent, &errors);
	free(errors);
	char *bundle = runbook_bundle(rb, parent);
	runbook_destroy(&rb);
	runbook_errors_t errs = {0};
	rb = runbook_parse_string(bundle, strlen(bundle), "nightly.yaml", &errs);
	assert_non_null(rb);
	assert_int_equal(errs.count, 0);
	check_parent(rb);
	assert_string_equal(rb->name, "nightly");
	assert_string_equal(rb->path, "nightly.yaml");
	runbook_destroy(&rb);
	free(bundle);

	const char *plain = "name: p\nsteps: [{id: a, noop: {}}]\n";
	rb = runbook_parse_string(plain, strlen(plain), "p.yaml", &errs);
	bundle = runbook_bundle(rb, plain);
	assert_string_equal(bundle, plain);
	free(bundle);
	runbook_destroy(&rb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_expand),      cmocka_unit_test(test_expand_nested),
	    cmocka_unit_test(test_depth_bound), cmocka_unit_test(test_cycles),
	    cmocka_unit_test(test_errors),      cmocka_unit_test(test_parse_errors),
	    cmocka_unit_test(test_bundle),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
