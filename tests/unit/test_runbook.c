/* test_runbook: the runbook language as the parser accepts it, and every
 * class of error with the exact position it is reported at.
 *
 * Most cases are a YAML text and the exact "file:line:column: message"
 * lines `rota lint` would print for it, so each test reads as an example. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runbook.h"

/* Parses text that must be rejected; returns the formatted errors (the
 * caller frees). */
static char *
lint(const char *text)
{
	runbook_errors_t errs = {0};
	runbook_t *rb = runbook_parse_string(text, strlen(text), "t.yaml", &errs);

	assert_null(rb);
	assert_true(errs.count > 0);
	char *out = runbook_errors_format(&errs);
	runbook_errors_clear(&errs);
	return out;
}

#define assert_lint(text, want)                                                                    \
	do {                                                                                       \
		char *got_ = lint(text);                                                           \
		assert_string_equal(got_, want);                                                   \
		free(got_);                                                                        \
	} while (0)

/* Parses len bytes of text (any bytes): asserts that it gives either a
 * runbook or at least one error, never both; formats the errors too when
 * format, so the report is exercised on whatever the parser said. */
static void
parse_either(const char *text, size_t len, const char *name, bool format)
{
	runbook_errors_t errs = {0};
	runbook_t *rb = runbook_parse_string(text, len, name, &errs);
	assert_true((rb != NULL) != (errs.count > 0));
	if (format) {
		char *out = runbook_errors_format(&errs);
		free(out);
	}
	runbook_destroy(&rb);
	runbook_errors_clear(&errs);
}

/* Parses text that must be accepted. */
static runbook_t *
parse_ok(const char *text)
{
	runbook_errors_t errs = {0};
	runbook_t *rb = runbook_parse_string(text, strlen(text), "t.yaml", &errs);

	if (rb == NULL) {
		char *out = runbook_errors_format(&errs);
		fail_msg("unexpected errors:\n%s", out);
	}
	assert_int_equal(errs.count, 0);
	return rb;
}

/* ---- the accepted language ---- */

static const char *full_runbook =
    "# a comment\n"
    "name: web.restart-1\n"
    "description: Restart the web tier\n"
    "targets:\n"
    "  hosts: [web-1, web-2]\n"
    "  labels: {role: web, env: prod}\n"
    "params:\n"
    "  service: nginx\n"
    "  wait:\n"
    "    default: 5\n"
    "    description: Seconds to wait\n"
    "  ticket:\n"
    "    required: true\n"
    "    description: Change ticket\n"
    "  reason:\n"
    "steps:\n"
    "  - id: stop\n"
    "    shell: systemctl stop {{ params.service }}\n"
    "  - id: start_it\n"
    "    timeout: 90s\n"
    "    shell:\n"
    "      run: |\n"
    "        systemctl start \"$SVC\"\n"
    "        sleep {{params.wait}}\n"
    "      env:\n"
    "        SVC: \"{{ params.service }}\"\n"
    "        TICKET: \"{{ params.ticket }} on {{ host.id }} ({{ "
    "host.labels.role }}) run {{ run.id }}\"\n"
    "      workdir: /tmp\n"
    "  - id: check\n"
    "    shell: {run: 'curl -fsS http://127.0.0.1/', timeout: 1m30s}\n";

static void
test_full_runbook(void **state)
{
	(void)state;
	runbook_t *rb = parse_ok(full_runbook);

	assert_string_equal(rb->path, "t.yaml");
	assert_string_equal(rb->name, "web.restart-1");
	assert_string_equal(rb->description, "Restart the web tier");

	assert_false(rb->targets.all);
	assert_int_equal(rb->targets.host_count, 2);
	assert_string_equal(rb->targets.hosts[0], "web-1");
	assert_string_equal(rb->targets.hosts[1], "web-2");
	assert_int_equal(rb->targets.label_count, 2);
	assert_string_equal(rb->targets.labels[0].key, "role");
	assert_string_equal(rb->targets.labels[0].values[0], "web");
	assert_string_equal(rb->targets.labels[1].key, "env");
	assert_string_equal(rb->targets.labels[1].values[0], "prod");

	assert_int_equal(rb->param_count, 4);
	const runbook_param_t *p = runbook_param_find(rb, "service");
	assert_non_null(p);
	assert_string_equal(p->default_value, "nginx");
	assert_null(p->description);
	assert_false(p->required);
	assert_int_equal(p->mark.line, 8);
	assert_int_equal(p->mark.column, 3);
	p = runbook_param_find(rb, "wait");
	assert_string_equal(p->default_value, "5");
	assert_string_equal(p->description, "Seconds to wait");
	assert_false(p->required);
	p = runbook_param_find(rb, "ticket");
	assert_null(p->default_value);
	assert_true(p->required);
	assert_string_equal(p->description, "Change ticket");
	/* No default and no "required": required (see check_param). */
	p = runbook_param_find(rb, "reason");
	assert_null(p->default_value);
	assert_true(p->required);
	assert_null(runbook_param_find(rb, "nope"));

	assert_int_equal(rb->step_count, 3);
	const runbook_step_t *s = &rb->steps[0];
	assert_string_equal(s->id, "stop");
	assert_int_equal(s->type, RUNBOOK_STEP_SHELL);
	assert_string_equal(s->run, "systemctl stop {{ params.service }}");
	assert_int_equal(s->timeout_ms, RUNBOOK_DEFAULT_STEP_TIMEOUT_MS);
	assert_int_equal(s->env_count, 0);
	assert_null(s->workdir);
	assert_int_equal(s->mark.line, 17);
	assert_int_equal(s->mark.column, 5);

	s = &rb->steps[1];
	assert_string_equal(s->id, "start_it");
	assert_string_equal(s->run, "systemctl start \"$SVC\"\nsleep {{params.wait}}\n");
	assert_int_equal(s->timeout_ms, 90000);
	assert_int_equal(s->env_count, 2);
	assert_string_equal(s->env[0].key, "SVC");
	assert_string_equal(s->env[0].value, "{{ params.service }}");
	assert_string_equal(s->env[1].key, "TICKET");
	assert_string_equal(s->workdir, "/tmp");

	s = &rb->steps[2];
	assert_string_equal(s->id, "check");
	assert_string_equal(s->run, "curl -fsS http://127.0.0.1/");
	assert_int_equal(s->timeout_ms, 90000);

	runbook_destroy(&rb);
	assert_null(rb);
	runbook_destroy(&rb); /* harmless twice */
}

static void
test_minimal_and_shorthands(void **state)
{
	(void)state;
	runbook_t *rb = parse_ok("name: a\n"
	                         "targets: {hosts: solo, all: false}\n"
	                         "steps: [{id: x, shell: \"true\"}]\n");
	assert_null(rb->description);
	assert_int_equal(rb->targets.host_count, 1);
	assert_string_equal(rb->targets.hosts[0], "solo");
	assert_int_equal(rb->param_count, 0);
	assert_int_equal(rb->step_count, 1);
	runbook_destroy(&rb);

	rb = parse_ok("name: b\ntargets: {all: true}\nparams:\nsteps:\n  - {id: x, shell: ls}\n");
	assert_true(rb->targets.all);
	runbook_destroy(&rb);
}

/* ---- file-level errors ---- */

static void
test_empty_input(void **state)
{
	(void)state;
	assert_lint("", "t.yaml:1:1: the runbook is empty; it needs at least 'name' and 'steps'\n");
	assert_lint("# only a comment\n\n",
	            "t.yaml:1:1: the runbook is empty; it needs at least 'name' and 'steps'\n");
	assert_lint("---\n",
	            "t.yaml:1:1: the runbook is empty; it needs at least 'name' and 'steps'\n");
	assert_lint("- a\n", "t.yaml:1:1: a runbook must be a mapping of keys (name, steps, ...), "
	                     "not a sequence\n");
	assert_lint("hello\n",
	            "t.yaml:1:1: a runbook must be a mapping of keys (name, steps, ...), "
	            "not text\n");
}

static void
test_syntax_error_has_position(void **state)
{
	(void)state;
	assert_lint("name: x\nsteps:\n  - id: a\n    shell: echo\n   bad: 1\n",
	            "t.yaml:5:4: YAML syntax error: did not find expected '-' indicator (while "
	            "parsing a block collection at line 3, column 3)\n");
	assert_lint("name: \"x\nsteps: []\n",
	            "t.yaml:3:1: YAML syntax error: found unexpected end of stream (while scanning "
	            "a quoted scalar at line 1, column 7)\n");
	assert_lint("name: x\nsteps:\n\t- id: a\n",
	            "t.yaml:3:1: YAML syntax error: found character that cannot start any token "
	            "(while scanning for the next token at line 3, column 1)\n");
}

static void
test_not_utf8(void **state)
{
	(void)state;
	assert_lint("name: caf\xe9\nsteps: []\n",
	            "t.yaml:1:10: invalid UTF-8; a runbook must be UTF-8 text\n");
	/* Overlong '/' and a UTF-16 byte order mark. */
	assert_lint("name: a\xc0\xaf\n",
	            "t.yaml:1:8: invalid UTF-8; a runbook must be UTF-8 text\n");
	assert_lint("\xff\xfen\0a\0", "t.yaml:1:1: invalid UTF-8; a runbook must be UTF-8 text\n");
	/* Multi-byte characters count as one column. */
	assert_lint("name: \xc3\xa9\xc3\xa9\xed\xa0\x80\n",
	            "t.yaml:1:9: invalid UTF-8; a runbook must be UTF-8 text\n");

	/* A NUL byte inside the given length. */
	static const char nul[] = "name: a\nst\0eps: []\n";
	runbook_errors_t errs = {0};
	assert_null(runbook_parse_string(nul, sizeof(nul) - 1, "t.yaml", &errs));
	assert_int_equal(errs.count, 1);
	assert_int_equal(errs.items[0].line, 2);
	assert_int_equal(errs.items[0].column, 3);
	assert_string_equal(errs.items[0].message, "NUL byte; a runbook must be UTF-8 text");
	runbook_errors_clear(&errs);

	/* Control characters are libyaml's to refuse; it gives a byte offset. */
	assert_lint("name: a\x01\n", "t.yaml:1:8: control characters are not allowed (#x1)\n");
	assert_lint("name: \"a\\0b\"\nsteps: []\n", "t.yaml:1:7: text contains a NUL character\n");
}

static void
test_multiple_documents(void **state)
{
	(void)state;
	assert_lint("name: x\nsteps:\n  - {id: a, shell: echo}\n---\nname: y\n",
	            "t.yaml:4:1: a second YAML document ('---'); a runbook file holds exactly one "
	            "runbook\n");
}

static void
test_anchors_aliases_tags(void **state)
{
	(void)state;
	assert_lint("name: x\nenv: &e {A: 1}\nsteps:\n  - {id: a, shell: {run: ls, env: *e}}\n",
	            "t.yaml:2:6: YAML anchors ('&e') are not supported in runbooks\n"
	            "t.yaml:4:35: YAML aliases ('*e') are not supported in runbooks; write the "
	            "value out\n");
	assert_lint("name: !!str x\nsteps:\n  - {id: a, shell: echo}\n",
	            "t.yaml:1:7: YAML tags ('!!str') are not supported in runbooks\n");
	assert_lint("name: !local x\nsteps: []\n",
	            "t.yaml:1:7: YAML tags ('!local') are not supported in runbooks\n");
}

static void
test_duplicate_keys(void **state)
{
	(void)state;
	assert_lint("name: a\nsteps:\n  - {id: a, shell: ls, shell: pwd}\nname: b\n",
	            "t.yaml:3:24: duplicate key 'shell' (first defined at line 3, column 13)\n"
	            "t.yaml:4:1: duplicate key 'name' (first defined at line 1, column 1)\n");
	assert_lint("? [a]\n: b\n",
	            "t.yaml:1:3: a mapping key must be plain text, not a sequence\n");
}

static void
test_deep_nesting(void **state)
{
	(void)state;
	/* 64 levels are fine for YAML (the runbook is then wrong); 65 are not. */
	char text[300];
	memset(text, 0, sizeof(text));
	memcpy(text, "name: ", 6);
	memset(text + 6, '[', 63);
	assert_lint(text, "t.yaml:2:1: YAML syntax error: did not find expected node content "
	                  "(while parsing a flow node at line 2, column 1)\n");
	memset(text + 6, '[', 64);
	assert_lint(text, "t.yaml:1:70: nesting deeper than 64 levels\n");

	/* Far deeper input stops at the bound instead of recursing. */
	size_t n = 200000;
	char *deep = malloc(2 * n + 1);
	assert_non_null(deep);
	memset(deep, '[', n);
	memset(deep + n, ']', n);
	deep[2 * n] = '\0';
	assert_lint(deep, "t.yaml:1:65: nesting deeper than 64 levels\n");
	free(deep);
}

static void
test_size_limit(void **state)
{
	(void)state;
	size_t n = RUNBOOK_MAX_FILE_BYTES + 1;
	char *big = malloc(n + 1);
	assert_non_null(big);
	memset(big, '#', n);
	big[n] = '\0';
	assert_lint(big, "t.yaml: the runbook is larger than 1048576 bytes\n");

	/* Exactly the limit is read (and here is just one long comment). */
	big[n - 1] = '\0';
	assert_lint(big,
	            "t.yaml:1:1: the runbook is empty; it needs at least 'name' and 'steps'\n");
	free(big);
}

static void
test_node_limit(void **state)
{
	(void)state;
	/* 200k one-character items in 800 KB: under the byte limit, over the
	 * node limit. */
	size_t n = 200000;
	char *text = malloc(2 * n + 16);
	assert_non_null(text);
	char *p = text, *end = text + 2 * n + 16;
	p += snprintf(p, (size_t)(end - p), "[");
	for (size_t i = 0; i < n; i++)
		p += snprintf(p, (size_t)(end - p), "a,");
	snprintf(p, (size_t)(end - p), "]");
	assert_lint(text, "t.yaml:1:200000: more than 100000 YAML values in one file\n");
	free(text);
}

static void
test_too_many_errors(void **state)
{
	(void)state;
	/* 300 unknown keys: the first 100 and a closing line. */
	char *text = malloc(300 * 12 + 64);
	assert_non_null(text);
	char *p = text, *end = text + 300 * 12 + 64;
	for (int i = 0; i < 300; i++)
		p += snprintf(p, (size_t)(end - p), "zz%d: 1\n", i);
	runbook_errors_t errs = {0};
	assert_null(runbook_parse_string(text, strlen(text), "t.yaml", &errs));
	assert_int_equal(errs.count, RUNBOOK_MAX_ERRORS + 1);
	/* Found (and kept) in order: the unknown keys come before the missing
	 * 'name' and 'steps', which are past the cap. */
	assert_int_equal(errs.items[0].line, 1);
	assert_string_equal(errs.items[0].message, "unknown key 'zz0' in runbook");
	assert_int_equal(errs.items[99].line, 100);
	assert_int_equal(errs.items[99].column, 1);
	assert_string_equal(errs.items[99].message, "unknown key 'zz99' in runbook");
	assert_int_equal(errs.items[RUNBOOK_MAX_ERRORS].line, 0);
	assert_string_equal(errs.items[RUNBOOK_MAX_ERRORS].message,
	                    "too many errors; stopped after 100");
	runbook_errors_clear(&errs);
	assert_int_equal(errs.count, 0);
	assert_null(errs.items);
	free(text);
}

/* ---- pass 2: structure ---- */

static void
test_required_keys(void **state)
{
	(void)state;
	assert_lint("description: x\n", "t.yaml:1:1: missing required key 'name'\n"
	                                "t.yaml:1:1: missing required key 'steps'\n");
	assert_lint("name: x\nsteps: []\n",
	            "t.yaml:2:8: 'steps' is empty; a runbook needs at least one step\n");
	assert_lint("name: x\nsteps:\n",
	            "t.yaml:2:7: 'steps' must be a sequence of steps, not nothing\n");
	assert_lint("name:\nsteps: [{id: a, shell: ls}]\n",
	            "t.yaml:1:6: 'name' has no value (write \"\" for empty text)\n");
}

static void
test_names_validated(void **state)
{
	(void)state;
	assert_lint("name: bad/name\nsteps: [{id: a, shell: ls}]\n",
	            "t.yaml:1:7: runbook name 'bad/name' is not valid (1 to 100 of A-Z a-z 0-9 . _ "
	            "-)\n");
	assert_lint("name: \"\"\nsteps: [{id: a, shell: ls}]\n",
	            "t.yaml:1:7: runbook name '' is not valid (1 to 100 of A-Z a-z 0-9 . _ -)\n");
	assert_lint("name: x\nparams: {9z: 1, a-b: 2}\nsteps: [{id: a, shell: ls}]\n",
	            "t.yaml:2:10: param name '9z' is not valid (a letter or _, then letters, "
	            "digits or _; at most 100)\n"
	            "t.yaml:2:17: param name 'a-b' is not valid (a letter or _, then letters, "
	            "digits or _; at most 100)\n");
	assert_lint("name: x\nsteps: [{id: 'a b', shell: ls}]\n",
	            "t.yaml:2:14: step id 'a b' is not valid (1 to 100 of A-Z a-z 0-9 _ -)\n");
}

static void
test_wrong_types(void **state)
{
	(void)state;
	assert_lint("name: x\ndescription: [a]\nsteps: {a: 1}\n",
	            "t.yaml:2:14: 'description' must be text, not a sequence\n"
	            "t.yaml:3:8: 'steps' must be a sequence of steps, not a mapping\n");
	assert_lint(
	    "name: x\ntargets: [a]\nsteps: [{id: a, shell: ls}]\n",
	    "t.yaml:2:10: 'targets' must be a mapping (hosts, labels, all, coordinator, batch,"
	    " max_failures), "
	    "not a sequence\n");
	assert_lint("name: x\ntargets: {hosts: {a: 1}, labels: [x], all: yes}\n"
	            "steps: [{id: a, shell: ls}]\n",
	            "t.yaml:2:18: 'hosts' must be a sequence of worker ids, not a mapping\n"
	            "t.yaml:2:34: 'labels' must be a mapping of label: value, not a sequence\n"
	            "t.yaml:2:44: 'all' must be true or false, not 'yes'\n");
	assert_lint("name: x\ntargets: {hosts: [a, [b], 'c d']}\nsteps: [{id: a, shell: ls}]\n",
	            "t.yaml:2:22: a host in 'hosts' must be a worker id, not a sequence\n"
	            "t.yaml:2:27: host 'c d' is not a valid worker id (1 to 255 characters, no "
	            "spaces)\n");
	assert_lint("name: x\nparams: [a]\nsteps: [{id: a, shell: ls}]\n",
	            "t.yaml:2:9: 'params' must be a mapping of param names, not a sequence\n");
	assert_lint("name: x\nparams: {p: [1]}\nsteps: [{id: a, shell: ls}]\n",
	            "t.yaml:2:13: param 'p' must be a default value or a mapping (default, "
	            "required, description, type, secret), not a sequence\n");
	assert_lint("name: x\nsteps:\n  - [a]\n  - ls\n",
	            "t.yaml:3:5: step 1 must be a mapping with 'id' and a step type, not a "
	            "sequence\n"
	            "t.yaml:4:5: step 2 must be a mapping with 'id' and a step type, not text\n");
	assert_lint("name: x\nsteps:\n  - id: a\n    shell: [x]\n  - id: b\n    shell: {run: ls, "
	            "env: [A]}\n  - id: c\n    shell: {run: {a: 1}}\n",
	            "t.yaml:4:12: 'shell' must be a command or a mapping (run, timeout, env, "
	            "workdir), not a sequence\n"
	            "t.yaml:6:27: 'env' must be a mapping of NAME: value, not a sequence\n"
	            "t.yaml:8:18: 'run' must be text, not a mapping\n");
	assert_lint("name: x\nparams: {p: {required: 1}}\nsteps: [{id: a, shell: ls}]\n",
	            "t.yaml:2:24: 'required' must be true or false, not '1'\n");
}

static void
test_steps(void **state)
{
	(void)state;
	assert_lint(
	    "name: x\nsteps:\n  - shell: ls\n  - id: b\n  - id: c\n    shell: ls\n    "
	    "timeout: soon\n",
	    "t.yaml:3:5: step 1 has no 'id'\n"
	    "t.yaml:4:5: step 'b' has no step type; add one of shell, http_check, "
	    "disk_check, metric_check, file_check, tls_check, promql_check, manual, notify, "
	    "noop or runbook\n"
	    "t.yaml:7:14: 'timeout' is not a valid duration: 'soon' (use e.g. 500ms, 30s, "
	    "5m, 1h30m; at most 30d)\n");
	assert_lint(
	    "name: x\nsteps:\n  - id: a\n    shell: {run: \"  \"}\n  - id: b\n    shell: "
	    "{timeout: 5s}\n  - id: c\n    timeout: 5s\n    shell: {run: ls, timeout: 6s}\n"
	    "  - id: d\n    shell: ls\n    timeout: 0\n  - id: e\n    shell: ls\n    timeout: "
	    "31d\n",
	    "t.yaml:4:18: 'run' is empty\n"
	    "t.yaml:6:12: shell of step 'b' has no 'run'\n"
	    "t.yaml:9:31: 'timeout' is given both on step 'c' and in its shell; keep one\n"
	    "t.yaml:12:14: 'timeout' must be longer than 0\n"
	    "t.yaml:15:14: 'timeout' is not a valid duration: '31d' (use e.g. 500ms, 30s, "
	    "5m, 1h30m; at most 30d)\n");
	assert_lint("name: x\nsteps:\n  - id: a\n    shell: {run: ls, env: {1A: x, B: , C: [y]}, "
	            "workdir: \"\"}\n",
	            "t.yaml:4:28: environment variable name '1A' is not valid (a letter or _, then "
	            "letters, digits or _)\n"
	            "t.yaml:4:38: 'B' has no value (write \"\" for empty text)\n"
	            "t.yaml:4:43: 'C' must be text, not a sequence\n"
	            "t.yaml:4:58: 'workdir' is empty\n");
}

static void
test_duplicate_step_ids(void **state)
{
	(void)state;
	assert_lint("name: x\nsteps:\n  - id: a\n    shell: ls\n  - id: b\n    shell: ls\n  - id: "
	            "a\n    shell: pwd\n",
	            "t.yaml:7:9: duplicate step id 'a' (first used at line 3, column 9)\n");
}

static void
test_params_rules(void **state)
{
	(void)state;
	assert_lint("name: x\nparams:\n  a: {default: 1, required: true}\n  b: {required: false}\n"
	            "  c: {default: }\nsteps: [{id: s, shell: ls}]\n",
	            "t.yaml:3:29: param 'a' is required and has a default; drop one of them\n"
	            "t.yaml:4:17: param 'b' is not required but has no default; give it one "
	            "(default: \"\" for empty)\n"
	            "t.yaml:5:16: 'default' has no value (write \"\" for empty text)\n");
}

static void
test_did_you_mean(void **state)
{
	(void)state;
	assert_lint("nmae: x\nname: y\ndescripton: d\ntarget: {}\nstpes: []\nsteps:\n  - id: a\n"
	            "    shel: ls\n    shell: {rn: ls, timout: 5s}\n  - id: b\n    shell: ls\n"
	            "    xyz: 1\n    i: 2\n",
	            "t.yaml:1:1: unknown key 'nmae' in runbook; did you mean 'name'?\n"
	            "t.yaml:3:1: unknown key 'descripton' in runbook; did you mean 'description'?\n"
	            "t.yaml:4:1: unknown key 'target' in runbook; did you mean 'targets'?\n"
	            "t.yaml:5:1: unknown key 'stpes' in runbook; did you mean 'steps'?\n"
	            "t.yaml:8:5: unknown key 'shel' in step 'a'; did you mean 'shell'?\n"
	            "t.yaml:9:12: shell of step 'a' has no 'run'\n"
	            "t.yaml:9:13: unknown key 'rn' in shell of step 'a'; did you mean 'run'?\n"
	            "t.yaml:9:21: unknown key 'timout' in shell of step 'a'; did you mean "
	            "'timeout'?\n"
	            "t.yaml:12:5: unknown key 'xyz' in step 'b'\n"
	            "t.yaml:13:5: unknown key 'i' in step 'b'; did you mean 'id'?\n");
	assert_lint(
	    "name: x\ntargets: {host: [a], label: {}, al: true}\nparams: {p: {defualt: 1}}\n"
	    "steps: [{id: a, shell: ls}]\n",
	    "t.yaml:2:11: unknown key 'host' in targets; did you mean 'hosts'?\n"
	    "t.yaml:2:22: unknown key 'label' in targets; did you mean 'labels'?\n"
	    "t.yaml:2:33: unknown key 'al' in targets; did you mean 'all'?\n"
	    "t.yaml:3:14: unknown key 'defualt' in param 'p'; did you mean 'default'?\n");
}

/* Every step type's required fields, each reported at its mapping. */
static void
test_required_fields(void **state)
{
	(void)state;
	assert_lint("name: x\nsteps:\n  - {id: a, http_check: {}}\n  - {id: c, disk_check: {}}\n"
	            "  - {id: d, metric_check: {}}\n  - {id: e, manual: {}}\n"
	            "  - {id: f, notify: {}}\n  - {id: g, noop: {}}\n",
	            "t.yaml:3:25: http_check of step 'a' has no 'url'\n"
	            "t.yaml:4:25: disk_check of step 'c' has no 'path'\n"
	            "t.yaml:4:25: disk_check of step 'c' checks nothing; give 'min_free_pct', "
	            "'min_free_bytes' or both\n"
	            "t.yaml:5:27: metric_check of step 'd' has no 'url'\n"
	            "t.yaml:5:27: metric_check of step 'd' has no 'metric'\n"
	            "t.yaml:5:27: metric_check of step 'd' has no 'op'\n"
	            "t.yaml:5:27: metric_check of step 'd' has no 'value'\n"
	            "t.yaml:6:21: manual of step 'e' has no 'prompt'\n"
	            "t.yaml:7:21: notify of step 'f' has no 'message'\n");
	/* Two types: one error, at the second. */
	assert_lint("name: x\nsteps:\n  - {id: a, shell: ls, noop: {}}\n",
	            "t.yaml:3:24: step 'a' has more than one type: 'shell' and 'noop'\n");
}

/* targets: { coordinator: true }: a runbook of manual and notify steps that
 * needs no worker. Any other step, another target key or a host label is
 * an error at its own line and column. */
static void
test_coordinator_targets(void **state)
{
	(void)state;
	runbook_t *rb = parse_ok("name: x\n"
	                         "targets: { coordinator: true }\n"
	                         "steps:\n"
	                         "  - id: remind\n"
	                         "    notify: {message: \"run {{ run.id }} on {{ host.id }}\"}\n"
	                         "  - id: sign-off\n"
	                         "    manual: {prompt: Done?}\n");
	assert_true(rb->targets.coordinator);
	assert_int_equal(rb->targets.coordinator_mark.line, 2);
	assert_int_equal(rb->targets.host_count, 0);
	runbook_destroy(&rb);
	rb = parse_ok("name: x\ntargets: { coordinator: false, all: true }\n"
	              "steps: [{id: a, shell: ls}]\n");
	assert_false(rb->targets.coordinator);
	runbook_destroy(&rb);

	assert_lint("name: x\n"
	            "targets: { coordinator: true }\n"
	            "steps:\n"
	            "  - id: remind\n"
	            "    notify: {message: hi}\n"
	            "  - id: look\n"
	            "    shell: df -h\n"
	            "  - id: wait\n"
	            "    noop: {}\n",
	            "t.yaml:6:5: step 'look' is a shell step, but the runbook has 'targets: {"
	            " coordinator: true }', which runs no worker: only manual and notify steps"
	            " can run there (give it worker targets, or move this step to another"
	            " runbook)\n"
	            "t.yaml:8:5: step 'wait' is a noop step, but the runbook has 'targets: {"
	            " coordinator: true }', which runs no worker: only manual and notify steps"
	            " can run there (give it worker targets, or move this step to another"
	            " runbook)\n");
	assert_lint("name: x\n"
	            "targets: {hosts: [a], coordinator: true, batch: 1}\n"
	            "steps: [{id: a, manual: {prompt: ok}}]\n",
	            "t.yaml:2:36: 'coordinator: true' cannot be combined with 'hosts': the run"
	            " has one host, the coordinator itself\n"
	            "t.yaml:2:36: 'coordinator: true' cannot be combined with 'batch': the run"
	            " has one host, the coordinator itself\n");
	assert_lint("name: x\n"
	            "targets: {coordinator: yes}\n"
	            "steps: [{id: a, manual: {prompt: ok}}]\n",
	            "t.yaml:2:24: 'coordinator' must be true or false, not 'yes'\n");
	assert_lint("name: x\n"
	            "targets: {coordinator: true}\n"
	            "steps: [{id: a, notify: {message: \"zone {{ host.labels.zone }}\"}}]\n",
	            "t.yaml:3:41: {{ host.labels.zone }}: the runbook runs on the coordinator"
	            " (targets: { coordinator: true }), which has no labels\n");
}

/* The alert's values: in a runbook with triggers, its labels,
 * annotations and start are template names, and a param can take a label
 * (the first of a list the alert has); without triggers each use is an
 * error at its own line and column. */
static void
test_alert_context(void **state)
{
	(void)state;
	runbook_t *rb =
	    parse_ok("name: x\n"
	             "triggers: [{alertmanager: {alertname: LowDiskSpace}}]\n"
	             "params:\n"
	             "  path: {from_alert: mountpoint, default: /}\n"
	             "  unit: {from_alert: [service, job]}\n"
	             "steps:\n"
	             "  - id: s\n"
	             "    shell: echo {{ alert.labels.mountpoint }} {{ alert.annotations.summary }}"
	             " {{ alert.starts_at }} {{ params.path }}\n");
	assert_int_equal(rb->params[0].from_alert_count, 1);
	assert_string_equal(rb->params[0].from_alert[0], "mountpoint");
	assert_string_equal(rb->params[0].default_value, "/");
	assert_int_equal(rb->params[1].from_alert_count, 2);
	assert_string_equal(rb->params[1].from_alert[1], "job");
	assert_true(rb->params[1].required);
	runbook_destroy(&rb);

	/* No triggers: every alert template and from_alert is an error. */
	assert_lint("name: x\n"
	            "params:\n"
	            "  path: {from_alert: mountpoint, default: /}\n"
	            "steps:\n"
	            "  - id: s\n"
	            "    shell: echo {{ params.path }} {{ alert.labels.mountpoint }}\n"
	            "  - id: n\n"
	            "    notify: {message: \"since {{ alert.starts_at }}\"}\n",
	            "t.yaml:3:22: param 'path': from_alert needs 'triggers': only a run an alert"
	            " started has an alert to take a value from\n"
	            "t.yaml:6:35: {{ alert.labels.mountpoint }}: the runbook has no 'triggers', so"
	            " no alert starts it and there is no alert to take values from (add"
	            " triggers, or use a param)\n"
	            "t.yaml:8:30: {{ alert.starts_at }}: the runbook has no 'triggers', so no"
	            " alert starts it and there is no alert to take values from (add triggers,"
	            " or use a param)\n");
	/* Names that are not an alert's, and a from_alert that names no label. */
	assert_lint("name: x\n"
	            "triggers: [{alertmanager: {alertname: A}}]\n"
	            "params:\n"
	            "  p: {from_alert: [], default: a}\n"
	            "  q: {from_alert: [\"a b\"], default: a}\n"
	            "steps:\n"
	            "  - id: s\n"
	            "    shell: echo {{ alert.name }}\n",
	            "t.yaml:4:19: param 'p': from_alert takes 1 to 8 label names\n"
	            "t.yaml:5:20: param 'q': from_alert names an alert label (like mountpoint"
	            " or service), not a b\n"
	            "t.yaml:8:12: unknown template name 'alert.name'; use params.NAME, host.id,"
	            " host.labels.KEY, run.id, alert.labels.NAME, alert.annotations.NAME or"
	            " alert.starts_at\n");
}

static void
test_templates(void **state)
{
	(void)state;
	assert_lint("name: x\nparams: {a: 1, b: 2}\nsteps:\n  - id: s\n    shell:\n"
	            "      run: echo {{ params.a }} {{ params.foo }}\n"
	            "      env: {X: \"{{ host.labels.role }} {{ host.name }}\"}\n"
	            "      workdir: \"/srv/{{ params.b }}/{{ run.id\"\n",
	            "t.yaml:6:12: unknown template name 'params.foo'; declared params: a, b\n"
	            "t.yaml:7:16: unknown template name 'host.name'; use params.NAME, host.id, "
	            "host.labels.KEY, run.id, alert.labels.NAME, alert.annotations.NAME or "
	            "alert.starts_at\n"
	            "t.yaml:8:16: bad template in 'workdir': unclosed '{{' at offset 20\n");
	assert_lint("name: x\nsteps:\n  - {id: s, shell: \"{{ params.p }} {{}} \"}\n",
	            "t.yaml:3:20: unknown template name 'params.p'; no params are declared\n"
	            "t.yaml:3:20: bad template in 'run': empty name in '{{ }}' at offset 15\n");
	/* Params declared after the steps still count. */
	runbook_t *rb = parse_ok("name: x\nsteps: [{id: s, shell: \"echo {{ params.late }}\"}]\n"
	                         "params: {late: 1}\n");
	runbook_destroy(&rb);
}

/* ---- errors as a list ---- */

static void
test_errors_format_and_append(void **state)
{
	(void)state;
	runbook_errors_t errs = {0};
	char *out = runbook_errors_format(&errs);
	assert_string_equal(out, "");
	free(out);

	/* Errors accumulate across parses, each with its own file name. */
	assert_null(runbook_parse_string("a: 1\n", 5, "one.yaml", &errs));
	assert_null(runbook_parse_string("name: x\n", 8, "two.yaml", &errs));
	assert_int_equal(errs.count, 4);
	assert_string_equal(errs.items[3].file, "two.yaml");
	assert_int_equal(errs.items[3].line, 1);
	assert_int_equal(errs.items[3].column, 1);
	assert_string_equal(errs.items[3].message, "missing required key 'steps'");
	out = runbook_errors_format(&errs);
	assert_string_equal(out, "one.yaml:1:1: unknown key 'a' in runbook\n"
	                         "one.yaml:1:1: missing required key 'name'\n"
	                         "one.yaml:1:1: missing required key 'steps'\n"
	                         "two.yaml:1:1: missing required key 'steps'\n");
	free(out);
	runbook_errors_clear(&errs);
	runbook_errors_clear(&errs);

	/* A NULL error list is allowed (the caller only wants yes or no). */
	assert_null(runbook_parse_string("a: 1\n", 5, "x", NULL));
}

static void
test_long_and_odd_keys_are_shown_safely(void **state)
{
	(void)state;
	char text[400];
	memset(text, 0, sizeof(text));
	snprintf(text, sizeof(text), "name: x\n\"");
	memset(text + strlen(text), 'k', 200);
	snprintf(text + strlen(text), sizeof(text) - strlen(text),
	         "\": 1\n\"a\\tb\\nc\": 2\nsteps: [{id: a, shell: ls}]\n");
	assert_lint(text, "t.yaml:2:1: unknown key "
	                  "'kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk...' in "
	                  "runbook\n"
	                  "t.yaml:3:1: unknown key 'a?b?c' in runbook\n");
}

/* ---- garbage ---- */

/* xorshift: deterministic, so a failure can be replayed. */
static uint32_t
rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void
test_garbage_does_not_crash(void **state)
{
	(void)state;
	uint32_t seed = 12345;
	static const char alphabet[] = "[]{}:,-?&*!|>'\"#%@` \n\n  \tabcnameidsteps{{}}0\\";
	char buf[512];

	for (int round = 0; round < 3000; round++) {
		size_t len = rnd(&seed) % sizeof(buf);
		bool binary = round % 3 == 0;
		for (size_t i = 0; i < len; i++)
			buf[i] = binary ? (char)(rnd(&seed) & 0xff)
			                : alphabet[rnd(&seed) % (sizeof(alphabet) - 1)];
		parse_either(buf, len, "g.yaml", true);
	}

	/* Mutations of a valid runbook reach deep into pass 2. */
	size_t flen = strlen(full_runbook);
	char *m = malloc(flen + 1);
	assert_non_null(m);
	for (int round = 0; round < 3000; round++) {
		memcpy(m, full_runbook, flen + 1);
		for (int k = 0; k < 3; k++)
			m[rnd(&seed) % flen] = alphabet[rnd(&seed) % (sizeof(alphabet) - 1)];
		parse_either(m, flen, "m.yaml", false);
	}
	free(m);
}

/* ---- files ---- */

static void
test_parse_file_errors(void **state)
{
	(void)state;
	runbook_errors_t errs = {0};

	assert_null(runbook_parse_file("/nonexistent/rb.yaml", &errs));
	assert_int_equal(errs.count, 1);
	char *out = runbook_errors_format(&errs);
	assert_string_equal(out, "/nonexistent/rb.yaml: cannot open: No such file or directory\n");
	free(out);
	runbook_errors_clear(&errs);

	assert_null(runbook_parse_file("/tmp", &errs));
	assert_string_equal(errs.items[0].message, "not a regular file");
	runbook_errors_clear(&errs);

	char path[] = "/tmp/test_runbook_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	assert_non_null(f);
	for (int i = 0; i < RUNBOOK_MAX_FILE_BYTES / 8 + 1; i++)
		fputs("#234567\n", f);
	fclose(f);
	assert_null(runbook_parse_file(path, &errs));
	assert_int_equal(errs.count, 1);
	assert_int_equal(errs.items[0].line, 0);
	assert_string_equal(errs.items[0].message, "the runbook is larger than 1048576 bytes");
	runbook_errors_clear(&errs);

	f = fopen(path, "w");
	assert_non_null(f);
	fputs("name: from-file\nsteps:\n  - id: a\n    shell: true\n", f);
	fclose(f);
	runbook_t *rb = runbook_parse_file(path, &errs);
	assert_non_null(rb);
	assert_string_equal(rb->path, path);
	assert_string_equal(rb->name, "from-file");
	assert_string_equal(rb->steps[0].run, "true");
	runbook_destroy(&rb);

	f = fopen(path, "w");
	assert_non_null(f);
	fputs("name: from-file\nsteps:\n  - id: a\n    shel: true\n", f);
	fclose(f);
	assert_null(runbook_parse_file(path, &errs));
	out = runbook_errors_format(&errs);
	char *want = NULL;
	assert_true(asprintf(&want,
	                     "%s:3:5: step 'a' has no step type; add one of shell, "
	                     "http_check, disk_check, metric_check, file_check, tls_check, "
	                     "promql_check, manual, "
	                     "notify, noop or runbook\n"
	                     "%s:4:5: unknown key 'shel' in step 'a'; did you mean 'shell'?\n",
	                     path, path) > 0);
	assert_string_equal(out, want);
	free(want);
	free(out);
	runbook_errors_clear(&errs);
	unlink(path);
}

/* ---- the whole language ---- */

static char *source_path(const char *rel);
static runbook_t *parse_source_ok(const char *rel);

static const char *every_key_runbook =
    "name: every-key\n"                                                /* 1 */
    "description: Uses every key of the language\n"                    /* 2 */
    "schedule:\n"                                                      /* 3 */
    "  cron: \"*/15 2 * * MON-FRI\"\n"                                 /* 4 */
    "  timezone: America/New_York\n"                                   /* 5 */
    "  jitter: 30s\n"                                                  /* 6 */
    "  catchup: all\n"                                                 /* 7 */
    "  catchup_max: 3\n"                                               /* 8 */
    "  concurrency: replace\n"                                         /* 9 */
    "targets:\n"                                                       /* 10 */
    "  hosts: [db-1]\n"                                                /* 11 */
    "  labels: {role: [db, cache], env: prod}\n"                       /* 12 */
    "  batch: 2\n"                                                     /* 13 */
    "  max_failures: 50%\n"                                            /* 14 */
    "params:\n"                                                        /* 15 */
    "  count: {type: int, default: -3}\n"                              /* 16 */
    "  force: {type: bool, default: \"yes\", description: Force it}\n" /* 17 */
    "  wait: {type: duration, default: 1m30s}\n"                       /* 18 */
    "  token: {required: true, secret: true}\n"                        /* 19 */
    "  dir: {type: string, default: /srv, secret: false}\n"            /* 20 */
    "severity: P1\n"                                                   /* 21 */
    "escalation: db-team\n"                                            /* 22 */
    "triggers:\n"                                                      /* 23 */
    "  - alertmanager: {alertname: DiskFull, severity: critical}\n"    /* 24 */
    "  - alertmanager: {alertname: \"Down\"}\n"                        /* 25 */
    "steps:\n"                                                         /* 26 */
    "  - id: sh\n"                                                     /* 27 */
    "    shell: {run: \"ls {{ params.dir }}\", env: {N: \"{{ params.count }}\"}, "
    "workdir: /tmp}\n"                                   /* 28 */
    "    retries: 3\n"                                   /* 29 */
    "  - id: web\n"                                      /* 30 */
    "    http_check:\n"                                  /* 31 */
    "      url: \"https://{{ host.id }}:8443/health\"\n" /* 32 */
    "      method: HEAD\n"                               /* 33 */
    "      expect_status: 204\n"                         /* 34 */
    "      timeout: 5s\n"                                /* 35 */
    "  - id: body\n"                                     /* 36 */
    "    http_check: {url: \"http://localhost/\", method: POST, body_contains: \"ok {{ run.id "
    "}}\"}\n"                                                                 /* 37 */
    "    continue_on_failure: true\n"                                         /* 38 */
    "  - id: disk\n"                                                          /* 39 */
    "    disk_check: {path: /var, min_free_pct: 12.5, min_free_bytes: 10G}\n" /* 40 */
    "    timeout: 20s\n"                                                      /* 41 */
    "  - id: metric\n"                                                        /* 42 */
    "    metric_check: {url: \"http://localhost:9090/metrics\", metric: "
    "'http_errors_total{code=\"500\",job=\"api\"}', op: \">=\", value: -1.5e3}\n"    /* 43 */
    "    when: {succeeded: disk}\n"                                                  /* 44 */
    "  - id: fix\n"                                                                  /* 45 */
    "    when: {failed: web}\n"                                                      /* 46 */
    "    shell: systemctl restart web\n"                                             /* 47 */
    "    retries: {count: 2, backoff: 0, max_backoff: 1m}\n"                         /* 48 */
    "  - id: once\n"                                                                 /* 49 */
    "    shell: ./migrate\n"                                                         /* 50 */
    "    idempotent: false\n"                                                        /* 51 */
    "  - id: ask\n"                                                                  /* 52 */
    "    manual: {prompt: \"Proceed on {{ host.id }}?\"}\n"                          /* 53 */
    "  - id: tell\n"                                                                 /* 54 */
    "    notify: {message: \"done {{ run.id }}\", channel: \"#ops\", timeout: 1m}\n" /* 55 */
    "    when: always\n"                                                             /* 56 */
    "  - id: nothing\n"                                                              /* 57 */
    "    noop:\n"                                                                    /* 58 */
    "  - {id: nothing2, noop: true}\n"                                               /* 59 */
    "  - {id: nothing3, noop: {}, retries: 0, idempotent: false}\n";                 /* 60 */

static void
assert_every_key_top(const runbook_t *rb)
{
	assert_string_equal(rb->name, "every-key");
	assert_string_equal(rb->description, "Uses every key of the language");

	const runbook_schedule_t *sc = &rb->schedule;
	assert_true(sc->present);
	assert_string_equal(sc->cron, "*/15 2 * * MON-FRI");
	assert_string_equal(sc->timezone, "America/New_York");
	assert_int_equal(sc->jitter_ms, 30000);
	assert_int_equal(sc->catchup, RUNBOOK_CATCHUP_ALL);
	assert_int_equal(sc->catchup_max, 3);
	assert_int_equal(sc->concurrency, RUNBOOK_CONCURRENCY_REPLACE);
	assert_int_equal(sc->mark.line, 4);
	assert_int_equal(sc->mark.column, 3);

	const runbook_targets_t *t = &rb->targets;
	assert_int_equal(t->host_count, 1);
	assert_string_equal(t->hosts[0], "db-1");
	assert_int_equal(t->label_count, 2);
	assert_string_equal(t->labels[0].key, "role");
	assert_int_equal(t->labels[0].value_count, 2);
	assert_string_equal(t->labels[0].values[0], "db");
	assert_string_equal(t->labels[0].values[1], "cache");
	assert_string_equal(t->labels[1].key, "env");
	assert_int_equal(t->labels[1].value_count, 1);
	assert_string_equal(t->labels[1].values[0], "prod");
	assert_false(t->all);
	assert_int_equal(t->batch.value, 2);
	assert_false(t->batch.percent);
	assert_int_equal(t->max_failures.value, 50);
	assert_true(t->max_failures.percent);

	assert_int_equal(rb->param_count, 5);
	const runbook_param_t *p = runbook_param_find(rb, "count");
	assert_int_equal(p->type, RUNBOOK_PARAM_INT);
	assert_string_equal(p->default_value, "-3");
	assert_false(p->secret);
	p = runbook_param_find(rb, "force");
	assert_int_equal(p->type, RUNBOOK_PARAM_BOOL);
	assert_string_equal(p->default_value, "yes");
	assert_string_equal(p->description, "Force it");
	p = runbook_param_find(rb, "wait");
	assert_int_equal(p->type, RUNBOOK_PARAM_DURATION);
	assert_string_equal(p->default_value, "1m30s");
	p = runbook_param_find(rb, "token");
	assert_int_equal(p->type, RUNBOOK_PARAM_STRING);
	assert_true(p->required);
	assert_true(p->secret);
	assert_null(p->default_value);
	p = runbook_param_find(rb, "dir");
	assert_int_equal(p->type, RUNBOOK_PARAM_STRING);
	assert_false(p->secret);

	assert_int_equal(rb->severity, 1);
	assert_string_equal(rb->escalation, "db-team");

	assert_int_equal(rb->trigger_count, 2);
	const runbook_trigger_t *tr = &rb->triggers[0];
	assert_string_equal(tr->source, "alertmanager");
	assert_int_equal(tr->match_count, 2);
	assert_string_equal(tr->match[0].key, "alertname");
	assert_string_equal(tr->match[0].value, "DiskFull");
	assert_string_equal(tr->match[1].key, "severity");
	assert_string_equal(tr->match[1].value, "critical");
	assert_int_equal(tr->mark.line, 24);
	assert_int_equal(tr->mark.column, 5);
	assert_int_equal(rb->triggers[1].match_count, 1);
	assert_string_equal(rb->triggers[1].match[0].value, "Down");
}

/* Fields a step of another type must not have. */
static void
assert_only_fields(const runbook_step_t *s, const char *keep)
{
	const struct {
		const char *name;
		const char *value;
	} fields[] = {
	    {"run", s->run},
	    {"workdir", s->workdir},
	    {"url", s->url},
	    {"method", s->method},
	    {"expect_status", s->expect_status},
	    {"body_contains", s->body_contains},
	    {"path", s->path},
	    {"min_free_pct", s->min_free_pct},
	    {"min_free_bytes", s->min_free_bytes},
	    {"metric", s->metric},
	    {"op", s->op},
	    {"value", s->value},
	    {"prompt", s->prompt},
	    {"message", s->message},
	    {"channel", s->channel},
	};
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		bool wanted = strstr(keep, fields[i].name) != NULL;
		if (wanted != (fields[i].value != NULL))
			fail_msg("step %s: field %s is %s", s->id, fields[i].name,
			         fields[i].value ? "set" : "NULL");
	}
	if (strstr(keep, "env") == NULL)
		assert_int_equal(s->env_count, 0);
}

static void
assert_every_key_checks(const runbook_t *rb)
{
	const runbook_step_t *s = &rb->steps[1];
	assert_string_equal(s->id, "web");
	assert_int_equal(s->type, RUNBOOK_STEP_HTTP_CHECK);
	assert_string_equal(s->url, "https://{{ host.id }}:8443/health");
	assert_string_equal(s->method, "HEAD");
	assert_string_equal(s->expect_status, "204");
	assert_int_equal(s->timeout_ms, 5000);
	assert_only_fields(s, "url method expect_status");

	s = &rb->steps[2];
	assert_string_equal(s->url, "http://localhost/");
	assert_string_equal(s->method, "POST");
	assert_null(s->expect_status); /* 200 */
	assert_string_equal(s->body_contains, "ok {{ run.id }}");
	assert_int_equal(s->timeout_ms, RUNBOOK_DEFAULT_HTTP_TIMEOUT_MS);
	assert_true(s->continue_on_failure);
	assert_only_fields(s, "url method body_contains");

	s = &rb->steps[3];
	assert_int_equal(s->type, RUNBOOK_STEP_DISK_CHECK);
	assert_string_equal(s->path, "/var");
	assert_string_equal(s->min_free_pct, "12.5");
	assert_string_equal(s->min_free_bytes, "10G");
	assert_int_equal(s->timeout_ms, 20000);
	assert_only_fields(s, "path min_free_pct min_free_bytes");

	s = &rb->steps[4];
	assert_int_equal(s->type, RUNBOOK_STEP_METRIC_CHECK);
	assert_string_equal(s->url, "http://localhost:9090/metrics");
	assert_string_equal(s->metric, "http_errors_total{code=\"500\",job=\"api\"}");
	assert_string_equal(s->op, ">=");
	assert_string_equal(s->value, "-1.5e3");
	assert_int_equal(s->timeout_ms, RUNBOOK_DEFAULT_METRIC_TIMEOUT_MS);
	assert_int_equal(s->when.kind, RUNBOOK_WHEN_SUCCEEDED);
	assert_string_equal(s->when.step, "disk");
	assert_int_equal(s->when.step_index, 3);
	assert_only_fields(s, "url metric op value");
}

static void
assert_every_key_steps(const runbook_t *rb)
{
	assert_int_equal(rb->step_count, 12);
	const runbook_step_t *s = &rb->steps[0];
	assert_string_equal(s->id, "sh");
	assert_int_equal(s->type, RUNBOOK_STEP_SHELL);
	assert_string_equal(s->run, "ls {{ params.dir }}");
	assert_int_equal(s->env_count, 1);
	assert_string_equal(s->env[0].key, "N");
	assert_string_equal(s->workdir, "/tmp");
	assert_int_equal(s->timeout_ms, RUNBOOK_DEFAULT_STEP_TIMEOUT_MS);
	assert_int_equal(s->retries.count, 3);
	assert_int_equal(s->retries.backoff_ms, RUNBOOK_DEFAULT_RETRY_BACKOFF_MS);
	assert_int_equal(s->retries.max_backoff_ms, 0);
	assert_int_equal(s->when.kind, RUNBOOK_WHEN_DEFAULT);
	assert_null(s->when.step);
	assert_true(s->idempotent);
	assert_false(s->continue_on_failure);
	assert_int_equal(s->mark.line, 27);
	assert_only_fields(s, "run workdir env");

	assert_every_key_checks(rb);

	s = &rb->steps[5];
	assert_string_equal(s->id, "fix");
	assert_int_equal(s->when.kind, RUNBOOK_WHEN_FAILED);
	assert_string_equal(s->when.step, "web");
	assert_int_equal(s->when.step_index, 1);
	assert_int_equal(s->retries.count, 2);
	assert_int_equal(s->retries.backoff_ms, 0);
	assert_int_equal(s->retries.max_backoff_ms, 60000);

	s = &rb->steps[6];
	assert_false(s->idempotent);
	assert_int_equal(s->retries.count, 0);

	s = &rb->steps[7];
	assert_int_equal(s->type, RUNBOOK_STEP_MANUAL);
	assert_string_equal(s->prompt, "Proceed on {{ host.id }}?");
	assert_int_equal(s->timeout_ms, RUNBOOK_DEFAULT_MANUAL_TIMEOUT_MS);
	assert_only_fields(s, "prompt");

	s = &rb->steps[8];
	assert_int_equal(s->type, RUNBOOK_STEP_NOTIFY);
	assert_string_equal(s->message, "done {{ run.id }}");
	assert_string_equal(s->channel, "#ops");
	assert_int_equal(s->timeout_ms, 60000);
	assert_int_equal(s->when.kind, RUNBOOK_WHEN_ALWAYS);
	assert_only_fields(s, "message channel");

	for (size_t i = 9; i < 12; i++) {
		s = &rb->steps[i];
		assert_int_equal(s->type, RUNBOOK_STEP_NOOP);
		assert_int_equal(s->timeout_ms, RUNBOOK_DEFAULT_NOOP_TIMEOUT_MS);
		assert_only_fields(s, "");
	}
	assert_false(rb->steps[11].idempotent);
}

static void
test_every_key(void **state)
{
	(void)state;
	runbook_t *rb = parse_ok(every_key_runbook);
	assert_every_key_top(rb);
	assert_every_key_steps(rb);
	runbook_destroy(&rb);
}

/* Defaults of what is not written. */
static void
test_defaults(void **state)
{
	(void)state;
	runbook_t *rb = parse_ok("name: d\nschedule: \"@daily\"\nsteps:\n"
	                         "  - {id: a, shell: ls}\n  - {id: b, disk_check: {path: /, "
	                         "min_free_bytes: 1}}\n  - {id: c, metric_check: {url: "
	                         "'http://h/m', metric: m, op: '==', value: 0}}\n");
	assert_true(rb->schedule.present);
	assert_string_equal(rb->schedule.cron, "@daily");
	assert_string_equal(rb->schedule.timezone, "UTC");
	assert_int_equal(rb->schedule.jitter_ms, 0);
	assert_int_equal(rb->schedule.catchup, RUNBOOK_CATCHUP_LATEST);
	assert_int_equal(rb->schedule.catchup_max, RUNBOOK_DEFAULT_CATCHUP_MAX);
	assert_int_equal(rb->schedule.concurrency, RUNBOOK_CONCURRENCY_FORBID);
	assert_int_equal(rb->severity, 0);
	assert_null(rb->escalation);
	assert_int_equal(rb->trigger_count, 0);
	assert_int_equal(rb->targets.batch.value, 0);
	assert_int_equal(rb->targets.max_failures.value, 0);
	assert_int_equal(rb->steps[1].timeout_ms, RUNBOOK_DEFAULT_DISK_TIMEOUT_MS);
	assert_null(rb->steps[1].min_free_pct);
	assert_int_equal(rb->steps[2].timeout_ms, RUNBOOK_DEFAULT_METRIC_TIMEOUT_MS);
	for (size_t i = 0; i < rb->step_count; i++) {
		assert_true(rb->steps[i].idempotent);
		assert_int_equal(rb->steps[i].retries.count, 0);
		assert_int_equal(rb->steps[i].when.kind, RUNBOOK_WHEN_DEFAULT);
	}
	runbook_destroy(&rb);

	/* No schedule: nothing set. A type's own timeout, noop's too. */
	rb = parse_ok("name: d\nsteps: [{id: a, noop: {timeout: 2s}}]\n");
	assert_int_equal(rb->steps[0].timeout_ms, 2000);
	assert_false(rb->schedule.present);
	assert_null(rb->schedule.cron);
	assert_null(rb->schedule.timezone);
	runbook_destroy(&rb);
}

/* allowed_operators and allowed_roles: parsed in order; absent means
 * nobody is singled out. */
static void
test_allowed(void **state)
{
	(void)state;
	runbook_t *rb = parse_source_ok("tests/data/lint/good/restricted.yaml");
	assert_int_equal(rb->allowed_operator_count, 2);
	assert_string_equal(rb->allowed_operators[0], "alice");
	assert_string_equal(rb->allowed_operators[1], "db.oncall");
	assert_int_equal(rb->allowed_role_count, 1);
	assert_string_equal(rb->allowed_roles[0], "admin");
	assert_int_equal(rb->allowed_mark.line, 4);
	runbook_destroy(&rb);

	rb = parse_ok("name: x\nsteps: [{id: a, noop: }]\n");
	assert_int_equal(rb->allowed_operator_count + rb->allowed_role_count, 0);
	runbook_destroy(&rb);
	rb = parse_ok("name: x\nallowed_roles: [operator, admin]\nsteps: [{id: a, noop: }]\n");
	assert_int_equal(rb->allowed_role_count, 2);
	runbook_destroy(&rb);
	assert_lint("name: x\nallowed_roles: admin\nsteps: [{id: a, noop: }]\n",
	            "t.yaml:2:16: 'allowed_roles' must be a sequence such as [admin], not text\n");
	assert_lint("name: x\nallowed_operators: [~]\nsteps: [{id: a, noop: }]\n",
	            "t.yaml:2:21: 'allowed_operators' has no value (write \"\" for empty text)\n");
}

/* The example in DESIGN.md, verbatim, is the language's showcase. */
static void
test_design_example(void **state)
{
	(void)state;
	runbook_t *rb = parse_source_ok("tests/data/lint/good/design-example.yaml");

	assert_string_equal(rb->schedule.cron, "0 8 * * 1-5");
	assert_string_equal(rb->schedule.timezone, "Europe/London");
	assert_int_equal(rb->schedule.jitter_ms, 120000);
	assert_int_equal(rb->schedule.catchup, RUNBOOK_CATCHUP_LATEST);
	assert_int_equal(rb->schedule.concurrency, RUNBOOK_CONCURRENCY_FORBID);
	assert_string_equal(rb->targets.labels[0].values[0], "api");
	assert_int_equal(rb->targets.batch.value, 25);
	assert_true(rb->targets.batch.percent);
	assert_int_equal(rb->targets.max_failures.value, 10);
	assert_true(rb->targets.max_failures.percent);
	assert_string_equal(runbook_param_find(rb, "disk_min_free_pct")->default_value, "20");
	assert_int_equal(rb->severity, 3);
	assert_string_equal(rb->escalation, "default");
	assert_int_equal(rb->step_count, 5);
	assert_int_equal(rb->steps[0].type, RUNBOOK_STEP_HTTP_CHECK);
	assert_string_equal(rb->steps[0].expect_status, "200");
	assert_int_equal(rb->steps[0].timeout_ms, 5000);
	assert_string_equal(rb->steps[1].min_free_pct, "{{ params.disk_min_free_pct }}");
	assert_string_equal(rb->steps[2].op, "<");
	assert_string_equal(rb->steps[2].value, "10");
	assert_int_equal(rb->steps[3].when.kind, RUNBOOK_WHEN_FAILED);
	assert_int_equal(rb->steps[3].when.step_index, 0);
	assert_int_equal(rb->steps[3].timeout_ms, 60000);
	assert_int_equal(rb->steps[3].retries.count, 2);
	assert_int_equal(rb->steps[3].retries.backoff_ms, 10000);
	assert_int_equal(rb->steps[4].type, RUNBOOK_STEP_MANUAL);
	assert_int_equal(rb->steps[4].timeout_ms, 30 * 60000);
	assert_int_equal(rb->trigger_count, 1);
	assert_string_equal(rb->triggers[0].match[0].key, "alertname");
	assert_string_equal(rb->triggers[0].match[0].value, "ServiceDown");
	runbook_destroy(&rb);
}

/* Cron errors point inside the expression when it is written on one line
 * as is; otherwise at the expression. */
static void
test_cron_positions(void **state)
{
	(void)state;
	assert_lint("name: x\nschedule: 0 25 * * *\nsteps: [{id: a, noop: }]\n",
	            "t.yaml:2:13: bad cron expression: hour: 25 is out of range 0-23\n");
	assert_lint("name: x\nschedule: {cron: '0 8 * * FRY'}\nsteps: [{id: a, noop: }]\n",
	            "t.yaml:2:27: bad cron expression: day-of-week: unknown name 'FRY'\n");
	assert_lint("name: x\nschedule:\n  cron: \"0 8 * 13 *\"\nsteps: [{id: a, noop: }]\n",
	            "t.yaml:3:16: bad cron expression: month: 13 is out of range 1-12\n");
	/* An escape changes the width: the expression's own position. */
	assert_lint("name: x\nschedule: \"0 8 * 13 \\x2a\"\nsteps: [{id: a, noop: }]\n",
	            "t.yaml:2:11: bad cron expression: month: 13 is out of range 1-12\n");
	assert_lint("name: x\nschedule: |\n  0 8 * 13 *\nsteps: [{id: a, noop: }]\n",
	            "t.yaml:2:11: bad cron expression: month: 13 is out of range 1-12\n");
}

static void
test_when_targets(void **state)
{
	(void)state;
	assert_lint("name: x\nsteps:\n  - {id: a, noop: }\n  - {id: b, noop: , when: {failed: c}}\n"
	            "  - {id: c, noop: , when: {succeeded: c}}\n  - {id: d, noop: , when: {failed: "
	            "zz}}\n",
	            "t.yaml:4:36: when: step 'c' is not an earlier step (steps before this one: "
	            "a)\n"
	            "t.yaml:5:39: when: step 'c' is not an earlier step (steps before this one: "
	            "a, b)\n"
	            "t.yaml:6:36: when: step 'zz' is not an earlier step (steps before this one: "
	            "a, b, c)\n");
	assert_lint("name: x\nsteps:\n  - {id: a, noop: , when: {failed: a}}\n",
	            "t.yaml:3:36: when: step 'a' is not an earlier step (there are no steps "
	            "before this one)\n");

	/* A long list is cut. */
	char text[2048] = "name: x\nsteps:\n";
	for (int i = 0; i < 12; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
		         "  - {id: s%d, noop: }\n", i);
	snprintf(text + strlen(text), sizeof(text) - strlen(text),
	         "  - {id: last, noop: , when: {failed: nope}}\n");
	assert_lint(text, "t.yaml:15:39: when: step 'nope' is not an earlier step (steps before "
	                  "this one: s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, ...)\n");
}

static void
test_helpers(void **state)
{
	(void)state;
	runbook_t *rb = parse_ok(every_key_runbook);

	assert_int_equal(runbook_step_find(rb, "sh"), 0);
	assert_int_equal(runbook_step_find(rb, "nothing3"), 11);
	assert_int_equal(runbook_step_find(rb, "nope"), -1);
	assert_int_equal(runbook_step_find(NULL, "sh"), -1);
	assert_int_equal(runbook_step_find(rb, NULL), -1);

	assert_true(runbook_step_on_coordinator(RUNBOOK_STEP_MANUAL));
	assert_true(runbook_step_on_coordinator(RUNBOOK_STEP_NOTIFY));
	assert_false(runbook_step_on_coordinator(RUNBOOK_STEP_SHELL));
	assert_false(runbook_step_on_coordinator(RUNBOOK_STEP_NOOP));
	assert_false(runbook_step_on_coordinator(RUNBOOK_STEP_HTTP_CHECK));

	assert_string_equal(runbook_step_type_name(RUNBOOK_STEP_SHELL), "shell");
	assert_string_equal(runbook_step_type_name(RUNBOOK_STEP_METRIC_CHECK), "metric_check");
	assert_string_equal(runbook_step_type_name(RUNBOOK_STEP_NOOP), "noop");
	assert_string_equal(runbook_step_type_name((runbook_step_type_t)0), "unknown");

	/* runbook_param_check: NULL when the value fits the type. */
	static const struct {
		const char *param;
		const char *value;
		const char *error;
	} cases[] = {
	    {"count", "42", NULL},
	    {"count", "-9223372036854775808", NULL},
	    {"count", "+9223372036854775807", NULL},
	    {"count", "9223372036854775808",
	     "param 'count' must be an integer, not "
	     "'9223372036854775808'"},
	    {"count", "1.5", "param 'count' must be an integer, not '1.5'"},
	    {"count", " 1", "param 'count' must be an integer, not ' 1'"},
	    {"count", "", "param 'count' must be an integer, not ''"},
	    {"count", "-", "param 'count' must be an integer, not '-'"},
	    {"force", "TRUE", NULL},
	    {"force", "no", NULL},
	    {"force", "0", NULL},
	    {"force", "on", "param 'force' must be true, false, yes, no, 1 or 0, not 'on'"},
	    {"wait", "90s", NULL},
	    {"wait", "0", NULL},
	    {"wait", "soon",
	     "param 'wait' must be a duration such as 30s, 5m or 1h30m, not "
	     "'soon'"},
	    {"dir", "anything at all", NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got =
		    runbook_param_check(runbook_param_find(rb, cases[i].param), cases[i].value);
		if (cases[i].error == NULL && got != NULL)
			fail_msg("%s=%s: %s", cases[i].param, cases[i].value, got);
		if (cases[i].error != NULL) {
			assert_non_null(got);
			assert_string_equal(got, cases[i].error);
		}
		free(got);
	}
	char *got = runbook_param_check(NULL, "1");
	assert_non_null(got);
	free(got);
	runbook_destroy(&rb);
}

/* max_failures: 0 is given (set), not unset; batch still needs 1. */
static void
test_max_failures_zero(void **state)
{
	(void)state;
	runbook_t *rb = parse_ok("name: r\n"
	                         "targets: {all: true, batch: 1, max_failures: 0}\n"
	                         "steps: [{id: a, noop: }]\n");
	assert_true(rb->targets.max_failures.set);
	assert_int_equal(rb->targets.max_failures.value, 0);
	assert_int_equal(runbook_amount_of(rb->targets.max_failures, 5), 0);
	runbook_destroy(&rb);
	rb = parse_ok("name: r\ntargets: {all: true, batch: 1}\nsteps: [{id: a, noop: }]\n");
	assert_false(rb->targets.max_failures.set);
	runbook_destroy(&rb);
	assert_lint("name: r\ntargets: {all: true, batch: 0}\nsteps: [{id: a, noop: }]\n",
	            "t.yaml:2:29: 'batch' must be a number of hosts (1 or more) or a percentage"
	            " from 1% to 100%, not '0'\n");
}

/* hold, interval and timeout from duration params: taken per host at
 * submit, and held to the rules a literal value is linted by. */
static void
test_hold_from_param(void **state)
{
	(void)state;
	runbook_t *rb = parse_ok("name: r\n"
	                         "params:\n"
	                         "  hold: {type: duration, default: 15m}\n"
	                         "  every: {type: duration, default: 30s}\n"
	                         "  limit: {type: duration}\n"
	                         "steps:\n"
	                         "  - id: watch\n"
	                         "    hold: \"{{ params.hold }}\"\n"
	                         "    interval: \"{{ params.every }}\"\n"
	                         "    http_check: {url: \"http://localhost/\"}\n"
	                         "  - id: bounded\n"
	                         "    hold: \"{{ params.hold }}\"\n"
	                         "    timeout: \"{{ params.limit }}\"\n"
	                         "    http_check: {url: \"http://localhost/\"}\n");
	const runbook_step_t *watch = &rb->steps[0], *bounded = &rb->steps[1];
	assert_string_equal(watch->hold_param, "hold");
	assert_string_equal(watch->interval_param, "every");
	assert_null(watch->timeout_param);
	assert_string_equal(bounded->timeout_param, "limit");
	runbook_timing_t t;
	char *err = NULL;
	template_var_t vars[] = {
	    {.name = "params.hold", .value = "2s"},
	    {.name = "params.every", .value = "500ms"},
	    {.name = "params.limit", .value = "1m"},
	    {.name = "run.id", .value = "x"},
	};
	assert_int_equal(runbook_step_timing(watch, vars, 4, &t, &err), 0);
	assert_int_equal(t.hold_ms, 2000);
	assert_int_equal(t.interval_ms, 500);
	/* No timeout given: the hold plus the check's own, as for a literal. */
	assert_int_equal(t.timeout_ms, 2000 + RUNBOOK_DEFAULT_HTTP_TIMEOUT_MS);
	/* bounded re-checks every 30s (the default): a 2s hold is too short. */
	assert_int_equal(runbook_step_timing(bounded, vars, 4, &t, &err), -1);
	assert_string_equal(err, "step bounded re-checks every 30.0s, longer than its hold of 2.0s"
	                         " (param 'hold'); the interval must be shorter than the hold");
	free(err);
	vars[0].value = "45s";
	assert_int_equal(runbook_step_timing(bounded, vars, 4, &t, &err), 0);
	assert_int_equal(t.timeout_ms, 60000);
	assert_int_equal(t.hold_ms, 45000);
	/* An interval longer than the hold, a timeout not longer than it. */
	vars[0].value = "100ms";
	assert_int_equal(runbook_step_timing(watch, vars, 4, &t, &err), -1);
	assert_string_equal(err, "step watch re-checks every 500ms (param 'every'), longer than its"
	                         " hold of 100ms (param 'hold'); the interval must be shorter than"
	                         " the hold");
	free(err);
	vars[0].value = "5m";
	assert_int_equal(runbook_step_timing(bounded, vars, 4, &t, &err), -1);
	assert_string_equal(err,
	                    "step bounded holds for 5m00s (param 'hold') but its timeout is"
	                    " 1m00s (param 'limit'): the timeout must be longer than the hold");
	free(err);
	/* No value, or not a duration (the last guard: typed params are
	 * checked when the run is submitted). */
	assert_int_equal(runbook_step_timing(bounded, vars, 2, &t, &err), -1);
	assert_string_equal(err, "step bounded: 'timeout' takes param 'limit', which has no value;"
	                         " pass -p limit=DURATION (e.g. 15m) or give it a default");
	free(err);
	vars[0].value = "soon";
	assert_int_equal(runbook_step_timing(watch, vars, 4, &t, &err), -1);
	assert_string_equal(err, "step watch: 'hold' takes param 'hold', which is 'soon', not a"
	                         " duration longer than 0 (e.g. 30s, 15m)");
	free(err);
	runbook_destroy(&rb);
}

static void
test_amount_of(void **state)
{
	(void)state;
	runbook_amount_t unset = {0, false, false};
	assert_int_equal(runbook_amount_of(unset, 7), 7);
	assert_int_equal(runbook_amount_of(unset, 0), 0);
	runbook_amount_t two = {2, false, true};
	assert_int_equal(runbook_amount_of(two, 7), 2);
	assert_int_equal(runbook_amount_of(two, 1), 1);
	assert_int_equal(runbook_amount_of(two, 0), 0);
	runbook_amount_t quarter = {25, true, true};
	assert_int_equal(runbook_amount_of(quarter, 8), 2);
	assert_int_equal(runbook_amount_of(quarter, 9), 3); /* 2.25 rounds up */
	assert_int_equal(runbook_amount_of(quarter, 1), 1);
	assert_int_equal(runbook_amount_of(quarter, 0), 0);
	runbook_amount_t one_pct = {1, true, true};
	assert_int_equal(runbook_amount_of(one_pct, 3), 1); /* at least 1 */
	assert_int_equal(runbook_amount_of(one_pct, 250), 3);
	/* max_failures: 0 (or 0%) is given, not unset: no failure allowed. */
	runbook_amount_t zero = {0, false, true};
	assert_int_equal(runbook_amount_of(zero, 7), 0);
	runbook_amount_t zero_pct = {0, true, true};
	assert_int_equal(runbook_amount_of(zero_pct, 7), 0);
	runbook_amount_t all = {100, true, true};
	assert_int_equal(runbook_amount_of(all, 13), 13);
	assert_int_equal(runbook_amount_of(all, SIZE_MAX), SIZE_MAX);
}

static void
test_field_values(void **state)
{
	(void)state;
	static const struct {
		const char *key;
		const char *value;
		bool ok;
	} cases[] = {
	    {"url", "http://x", true},
	    {"url", "HTTPS://x:1/a?b=c", true},
	    {"url", "ftp://x", false},
	    {"url", "http://", false},
	    {"url", "http:///path", false},
	    {"url", "http://a b", false},
	    {"path", "/", true},
	    {"path", "var", false},
	    {"expect_status", "100", true},
	    {"expect_status", "599", true},
	    {"expect_status", "600", false},
	    {"expect_status", "99", false},
	    {"expect_status", "2xx", false},
	    {"min_free_pct", "0", true},
	    {"min_free_pct", "100", true},
	    {"min_free_pct", "100.0", true},
	    {"min_free_pct", "12.5", true},
	    {"min_free_pct", "100.01", false},
	    {"min_free_pct", "-1", false},
	    {"min_free_pct", "1e1", false},
	    {"min_free_pct", ".", false},
	    {"min_free_bytes", "0", true},
	    {"min_free_bytes", "500M", true},
	    {"min_free_bytes", "16777215T", true},
	    {"min_free_bytes", "16777216T", false}, /* 2^64 */
	    {"min_free_bytes", "18446744073709551615", true},
	    {"min_free_bytes", "18446744073709551616", false},
	    {"min_free_bytes", "10GB", false},
	    {"min_free_bytes", "G", false},
	    {"min_free_bytes", "-1", false},
	    {"metric", "up", true},
	    {"metric", "job:rate5m{a=\"1\", b = \"x\\\"y\\\\\\n\" ,}", true},
	    {"metric", "m{}", true},
	    {"metric", "9m", false},
	    {"metric", "m{a=1}", false},
	    {"metric", "m{a=\"1\",a=\"2\"}", false},
	    {"metric", "m{a:b=\"1\"}", false},
	    {"metric", "m{a=\"\\x\"}", false},
	    {"metric", "m{a=\"1\"", false},
	    {"metric", "m{a=\"1\"} x", false},
	    {"value", "10", true},
	    {"value", "-0.5", true},
	    {"value", "+1.5E-3", true},
	    {"value", ".5", true},
	    {"value", "5.", true},
	    {"value", "1e999", false},
	    {"value", "inf", false},
	    {"value", "NaN", false},
	    {"value", "0x10", false},
	    {"value", "1e", false},
	    {"value", "", false},
	    {"no_such_key", "whatever", true},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *err = runbook_field_check(cases[i].key, cases[i].value);
		if ((err == NULL) != cases[i].ok)
			fail_msg("%s '%s': %s", cases[i].key, cases[i].value, err ? err : "fits");
		free(err);
	}
	char *err = runbook_field_check("min_free_pct", "abc");
	assert_string_equal(err, "'min_free_pct' must be a percentage from 0 to 100, not 'abc'");
	free(err);

	uint64_t b;
	assert_int_equal(runbook_bytes_parse("10G", &b), 0);
	assert_true(b == 10ULL << 30);
	assert_int_equal(runbook_bytes_parse("3K", &b), 0);
	assert_true(b == 3072);
	assert_int_equal(runbook_bytes_parse("7", &b), 0);
	assert_true(b == 7);
	assert_int_equal(runbook_bytes_parse(NULL, &b), -1);
	assert_int_equal(runbook_bytes_parse("", &b), -1);

	char *name = NULL;
	runbook_kv_t *labels = NULL;
	size_t n = 0;
	assert_int_equal(runbook_metric_parse("up{job=\"a\\\"b\",x=\"\"}", &name, &labels, &n), 0);
	assert_string_equal(name, "up");
	assert_int_equal(n, 2);
	assert_string_equal(labels[0].key, "job");
	assert_string_equal(labels[0].value, "a\"b");
	assert_string_equal(labels[1].key, "x");
	assert_string_equal(labels[1].value, "");
	free(name);
	for (size_t i = 0; i < n; i++) {
		free(labels[i].key);
		free(labels[i].value);
	}
	free(labels);
	assert_int_equal(runbook_metric_parse("up", &name, &labels, &n), 0);
	assert_int_equal(n, 0);
	free(name);
	free(labels);
	assert_int_equal(runbook_metric_parse("up{", &name, &labels, &n), -1);

	/* More label matchers than anyone writes: refused, and quickly. */
	char big[4096] = "m{";
	for (int i = 0; i < 40; i++)
		snprintf(big + strlen(big), sizeof(big) - strlen(big), "l%d=\"v\",", i);
	snprintf(big + strlen(big), sizeof(big) - strlen(big), "}");
	assert_int_equal(runbook_metric_parse(big, NULL, NULL, NULL), -1);
}

/* Mutations of the runbook that uses every key reach every checker: each
 * round replaces, deletes or inserts a few characters. */
static void
test_every_key_mutations(void **state)
{
	(void)state;
	static const char alphabet[] = "[]{}:,-?'\"#%@ \n\t{{}}0aP.>|!&*";
	uint32_t seed = 777;
	size_t len = strlen(every_key_runbook);
	char *m = malloc(len + 16);
	assert_non_null(m);

	for (int round = 0; round < 6000; round++) {
		memcpy(m, every_key_runbook, len + 1);
		size_t n = len;
		for (int k = 0; k < 3; k++) {
			size_t at = rnd(&seed) % n;
			char ch = alphabet[rnd(&seed) % (sizeof(alphabet) - 1)];
			switch (rnd(&seed) % 3) {
			case 0:
				m[at] = ch;
				break;
			case 1:
				memmove(m + at, m + at + 1, n - at);
				n--;
				break;
			default:
				memmove(m + at + 1, m + at, n - at + 1);
				m[at] = ch;
				n++;
				break;
			}
		}
		parse_either(m, n, "m.yaml", true);
	}
	free(m);
}

/* Every tests/data/lint/bad/X.yaml gives exactly the lines in X.expected
 * (file names as given: the test runs in that directory), and every file in
 * good/ parses without an error. The integration test runs `rota lint` on
 * the same files. */
static void
lint_dir(const char *dir, bool bad)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		fail_msg("cannot open %s", dir);
	char *cwd = getcwd(NULL, 0);
	assert_int_equal(chdir(dir), 0);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (len < 6 || strcmp(e->d_name + len - 5, ".yaml") != 0)
			continue;
		runbook_errors_t errs = {0};
		runbook_t *rb = runbook_parse_file(e->d_name, &errs);
		char *got = runbook_errors_format(&errs);
		runbook_errors_clear(&errs);
		if (!bad && rb == NULL)
			fail_msg("%s/%s should be clean:\n%s", dir, e->d_name, got);
		if (bad) {
			char want_path[512];
			snprintf(want_path, sizeof(want_path), "%.*s.expected", (int)(len - 5),
			         e->d_name);
			FILE *f = fopen(want_path, "r");
			if (f == NULL)
				fail_msg("%s/%s has no %s", dir, e->d_name, want_path);
			char want[16384];
			size_t wn = fread(want, 1, sizeof(want) - 1, f);
			want[wn] = '\0';
			fclose(f);
			if (rb != NULL || strcmp(got, want) != 0)
				fail_msg("%s/%s:\n--- got\n%s--- want\n%s", dir, e->d_name, got,
				         want);
		}
		runbook_destroy(&rb);
		free(got);
		n++;
	}
	closedir(d);
	assert_int_equal(chdir(cwd), 0);
	free(cwd);
	assert_true(n >= (bad ? 15 : 3));
}

static void
test_lint_data(void **state)
{
	(void)state;
	char *bad = source_path("tests/data/lint/bad");
	char *good = source_path("tests/data/lint/good");
	lint_dir(bad, true);
	lint_dir(good, false);
	free(bad);
	free(good);
}

static char *
source_path(const char *rel)
{
	const char *dir = getenv("ROTA_SOURCE_DIR");
	char *p = NULL;

	if (dir == NULL)
		dir = ".";
	assert_true(asprintf(&p, "%s/%s", dir, rel) > 0);
	return p;
}

/* Parses the file at rel under the source tree, which must be accepted. */
static runbook_t *
parse_source_ok(const char *rel)
{
	char *path = source_path(rel);
	runbook_errors_t errs = {0};
	runbook_t *rb = runbook_parse_file(path, &errs);
	if (rb == NULL)
		fail_msg("%s", runbook_errors_format(&errs));
	runbook_errors_clear(&errs);
	free(path);
	return rb;
}

/* Every shell step of a shipped runbook is valid POSIX sh, as /bin/sh -n
 * reads it (dash on Debian): a syntax error shows here, not at 3 a.m. */
static void
shell_syntax_check(const runbook_t *rb, const char *file)
{
	for (size_t i = 0; i < rb->step_count; i++) {
		const runbook_step_t *s = &rb->steps[i];
		if (s->type != RUNBOOK_STEP_SHELL)
			continue;
		char tmp[] = "/tmp/rota-test-sh.XXXXXX";
		int fd = mkstemp(tmp);
		assert_true(fd >= 0);
		size_t len = strlen(s->run);
		assert_int_equal(write(fd, s->run, len), (ssize_t)len);
		close(fd);
		char *cmd = NULL;
		assert_true(asprintf(&cmd, "/bin/sh -n %s", tmp) > 0);
		int rc = system(cmd);
		unlink(tmp);
		free(cmd);
		if (rc != 0)
			fail_msg("%s: step '%s' is not valid sh (see /bin/sh -n above)", file,
			         s->id);
	}
}

static void
test_shipped_runbooks_parse(void **state)
{
	(void)state;
	char *dir = source_path("runbooks");
	DIR *d = opendir(dir);
	if (d == NULL)
		fail_msg("cannot open %s (set ROTA_SOURCE_DIR to the source tree)", dir);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (len < 6 || strcmp(e->d_name + len - 5, ".yaml") != 0)
			continue;
		char *path = NULL;
		assert_true(asprintf(&path, "%s/%s", dir, e->d_name) > 0);
		runbook_errors_t errs = {0};
		runbook_t *rb = runbook_parse_file(path, &errs);
		if (rb == NULL) {
			char *out = runbook_errors_format(&errs);
			fail_msg("%s", out);
		}
		/* The file name is the runbook's name. */
		assert_int_equal(strlen(rb->name), len - 5);
		assert_memory_equal(rb->name, e->d_name, len - 5);
		assert_non_null(rb->description);
		/* Nobody gives -p to a scheduled or alert-started run: every param
		 * of one needs a default, and its failure needs a severity. */
		if (rb->schedule.present || rb->trigger_count > 0) {
			/* ... except one an alert gives (from_alert) in a runbook
			 * only alerts start: an alert without it starts nothing and
			 * says why, rather than run a remedy on a guessed unit. */
			for (size_t i = 0; i < rb->param_count; i++)
				if (rb->params[i].required &&
				    (rb->schedule.present || rb->params[i].from_alert_count == 0))
					fail_msg(
					    "%s: param '%s' has no default, but the runbook runs "
					    "unattended",
					    e->d_name, rb->params[i].name);
			if (rb->severity == 0)
				fail_msg("%s runs unattended and has no severity", e->d_name);
		}
		shell_syntax_check(rb, e->d_name);
		runbook_destroy(&rb);
		free(path);
		n++;
	}
	closedir(d);
	free(dir);
	assert_true(n >= 3);
}

/* The demo's runbook: scheduled, every check type, and with its defaults
 * nothing that needs a service on the host (its URLs are empty, so the
 * checks that use them hang on gates that skip them). */
static void
test_daily_health_check(void **state)
{
	(void)state;
	char *path = source_path("runbooks/daily-health-check.yaml");
	runbook_errors_t errs = {0};
	runbook_t *rb = runbook_parse_file(path, &errs);

	assert_non_null(rb);
	assert_true(rb->targets.all);
	assert_true(rb->schedule.present);
	assert_string_equal(rb->schedule.cron, "0 8 * * 1-5");
	assert_int_equal(rb->schedule.catchup, RUNBOOK_CATCHUP_LATEST);
	assert_int_equal(rb->schedule.concurrency, RUNBOOK_CONCURRENCY_FORBID);
	assert_true(rb->schedule.jitter_ms > 0);
	assert_int_equal(rb->severity, 3);

	const runbook_step_t *disk = &rb->steps[runbook_step_find(rb, "disk")];
	assert_int_equal(disk->type, RUNBOOK_STEP_DISK_CHECK);
	assert_string_equal(disk->min_free_pct, "{{ params.disk_min_free_pct }}");
	assert_int_equal(disk->when.kind, RUNBOOK_WHEN_ALWAYS);

	int gate = runbook_step_find(rb, "health_configured");
	int health = runbook_step_find(rb, "health");
	assert_true(gate >= 0 && health > gate);
	assert_true(rb->steps[gate].continue_on_failure);
	assert_int_equal(rb->steps[health].type, RUNBOOK_STEP_HTTP_CHECK);
	assert_int_equal(rb->steps[health].when.kind, RUNBOOK_WHEN_SUCCEEDED);
	assert_int_equal(rb->steps[health].when.step_index, (size_t)gate);

	int metrics = runbook_step_find(rb, "metrics_configured");
	const char *const metric_steps[] = {"error_rate", "latency"};
	for (size_t i = 0; i < 2; i++) {
		const runbook_step_t *m = &rb->steps[runbook_step_find(rb, metric_steps[i])];
		assert_int_equal(m->type, RUNBOOK_STEP_METRIC_CHECK);
		assert_int_equal(m->when.kind, RUNBOOK_WHEN_SUCCEEDED);
		assert_int_equal(m->when.step_index, (size_t)metrics);
	}

	const runbook_step_t *restart = &rb->steps[runbook_step_find(rb, "restart")];
	assert_int_equal(restart->when.kind, RUNBOOK_WHEN_FAILED);
	assert_int_equal(restart->when.step_index, (size_t)health);
	const runbook_step_t *recheck = &rb->steps[runbook_step_find(rb, "recheck")];
	assert_int_equal(recheck->type, RUNBOOK_STEP_HTTP_CHECK);
	assert_true(recheck->retries.count > 0);

	assert_string_equal(runbook_param_find(rb, "disk_min_free_pct")->default_value, "20");
	const char *const opt_in[] = {"services", "health_url", "metrics_url", "backup_dir",
	                              "restart_service"};
	for (size_t i = 0; i < sizeof(opt_in) / sizeof(opt_in[0]); i++)
		assert_string_equal(runbook_param_find(rb, opt_in[i])->default_value, "");
	for (size_t i = 0; i < rb->param_count; i++)
		assert_false(rb->params[i].required);
	runbook_destroy(&rb);
	free(path);
}

/* Secret params reach a step only through its environment: usable in
 * run, prompt and message, as a whole env value, nowhere else. run_as is
 * for steps a worker runs. */
static void
test_secrets_and_run_as(void **state)
{
	(void)state;
	runbook_t *rb = parse_ok("name: x\nparams:\n  tok: {default: \"\", secret: true}\n"
	                         "steps:\n  - id: a\n    run_as: deploy\n"
	                         "    shell: {run: 'curl -H {{ params.tok }}', env: {T: "
	                         "\" {{ params.tok }} \"}}\n"
	                         "  - id: b\n    notify: {message: \"t {{ params.tok }}\"}\n");
	assert_string_equal(rb->steps[0].run_as, "deploy");
	assert_null(rb->steps[1].run_as);
	runbook_destroy(&rb);
	assert_lint("name: x\nparams:\n  tok: {default: \"\", secret: true}\nsteps:\n"
	            "  - id: a\n    shell: {run: ls, env: {T: \"Bearer {{ params.tok }}\"}, "
	            "workdir: \"/{{ params.tok }}\"}\n"
	            "  - id: b\n    http_check: {url: \"http://h/{{ params.tok }}\"}\n"
	            "  - id: c\n    run_as: \"-x\"\n    noop: {}\n"
	            "  - id: d\n    run_as: root\n    manual: {prompt: ok?}\n",
	            "t.yaml:6:31: env T: a secret param must be the whole value (\"{{ "
	            "params.NAME }}\"), not part of it\n"
	            "t.yaml:6:68: 'workdir' cannot use secret param 'tok': a secret reaches a "
	            "step only through its environment (use it in a shell step's run or env)\n"
	            "t.yaml:8:23: 'url' cannot use secret param 'tok': a secret reaches a step "
	            "only through its environment (use it in a shell step's run or env)\n"
	            "t.yaml:10:13: 'run_as' must be a user name (1 to 32 of a-z A-Z 0-9 . _ -, "
	            "not starting with -), not '-x'\n"
	            "t.yaml:13:13: step 'd' cannot have 'run_as': only shell steps and checks "
	            "run on a worker as a user\n");
}

/* A template in a shell step's run must be a word of the command (rota
 * quotes its value as exactly one word): one inside quotes, a comment or
 * a here-document is refused at its own line and column with how to write
 * it; '| raw' is for params that are not secret, in run only, and warned
 * about (issue 12, defect 5). */
static void
test_run_templates(void **state)
{
	(void)state;
	runbook_t *rb =
	    parse_ok("name: x\nparams:\n  p: a\n  tok: {default: \"\", secret: true}\n"
	             "steps:\n  - id: a\n    shell: |\n"
	             "      echo {{ params.p }} --t={{ params.tok }} \"$X\"'y'\n"
	             "      x=$(echo {{ host.id }}); echo \"$(echo {{ run.id }})\"\n"
	             "      cat <<'EOF'\n      $x\n      EOF\n      echo {{ params.p }}\n");
	assert_int_equal(rb->warnings.count, 0);
	runbook_destroy(&rb);

	assert_lint("name: x\nparams:\n  p: a\n  tok: {default: \"\", secret: true}\nsteps:\n"
	            "  - id: a\n    shell:\n      run: |\n"
	            "        echo \"{{ params.p }}\" '{{ params.tok }}'\n"
	            "        cat <<EOF # {{ host.id }}\n        {{ run.id }}\n        EOF\n"
	            "  - id: b\n    shell: 'echo {{ params.tok|raw }} \\{{ params.p }}'\n",
	            "t.yaml:9:15: run: {{ params.p }} is inside a \"...\" string; rota quotes "
	            "every value as one shell word itself: close the quotes before it and open "
	            "them again after it (\"text \"{{ params.x }}\" more\"), or pass it through "
	            "env and write \"$X\"\n"
	            "t.yaml:9:32: run: {{ params.tok }} is inside a '...' string; rota quotes "
	            "every value as one shell word itself: close the quotes before it and open "
	            "them again after it ('text '{{ params.x }}' more'), or pass it through env "
	            "and write \"$X\"\n"
	            "t.yaml:10:21: run: {{ host.id }} is in a # comment, which a newline in the "
	            "value would end; take it out of the comment\n"
	            "t.yaml:11:9: run: {{ run.id }} is in a here-document, where quotes are not "
	            "special; pass it through env and write $X in the here-document\n"
	            "t.yaml:14:18: run: {{ params.tok | raw }}: a secret param cannot be raw; it "
	            "reaches the command only as \"${ROTA_SECRET_tok}\" (remove '| raw')\n"
	            "t.yaml:14:40: run: {{ params.p }} is right after a backslash, which would "
	            "escape rota's quoting; remove the backslash: rota quotes every value as one "
	            "shell word itself\n");
	assert_lint("name: x\nparams:\n  p: a\nsteps:\n"
	            "  - id: a\n    notify: {message: \"{{ params.p | raw }}\"}\n"
	            "  - id: b\n    shell: {run: ls, env: {P: \"{{ params.p | shell }}\"}}\n",
	            "t.yaml:6:24: 'message': '| raw' applies only in a shell step's run (values "
	            "here are not shell); remove it\n"
	            "t.yaml:8:31: bad template in 'P': unknown filter 'shell' at offset 0 (the "
	            "only filter is raw)\n");

	/* raw: valid, with a warning at the template. */
	rb = parse_ok("name: x\nparams:\n  flags: \"-a -l\"\nsteps:\n"
	              "  - id: a\n    shell: |\n      ls {{ params.flags | raw }} /\n");
	char *w = runbook_errors_format(&rb->warnings);
	assert_string_equal(w, "t.yaml:7:10: run: {{ params.flags | raw }} is pasted into the "
	                       "command as shell, unquoted: a ';', '$(...)' or quote in its "
	                       "value runs as commands; remove '| raw' unless the value is "
	                       "meant to be shell\n");
	free(w);
	runbook_destroy(&rb);
}

/* An unquoted operator is YAML syntax ('>' and '|' start a block scalar,
 * '!' a tag): every form says to quote it, as the user would write it. */
static void
test_op_quote_hint(void **state)
{
	(void)state;
	static const char head[] = "name: x\nsteps:\n  - id: m\n    metric_check:\n"
	                           "      url: http://h/metrics\n      metric: up\n";
	char text[512];
	snprintf(text, sizeof(text), "%s      op: >\n      value: 1\n", head);
	assert_lint(text, "t.yaml:7:11: 'op' must be one of <, <=, >, >=, ==, !=, not an empty "
	                  "block ('>' unquoted starts one); did you mean to quote '>'? write op: "
	                  "'>'\n");
	snprintf(text, sizeof(text), "%s      op: >=\n      value: 1\n", head);
	assert_lint(text, "t.yaml:7:12: YAML syntax error: did not find expected comment or line "
	                  "break (while scanning a block scalar at line 7, column 11); did you "
	                  "mean to quote '>='? write op: '>='\n");
	snprintf(text, sizeof(text), "%s      op: >= # at least\n      value: 1\n", head);
	assert_lint(text, "t.yaml:7:12: YAML syntax error: did not find expected comment or line "
	                  "break (while scanning a block scalar at line 7, column 11); did you "
	                  "mean to quote '>='? write op: '>='\n");
	snprintf(text, sizeof(text), "%s      op: !=\n      value: 1\n", head);
	assert_lint(text, "t.yaml:7:11: YAML tags ('!=') are not supported in runbooks; did you "
	                  "mean to quote '!='? write op: '!='\n");
	assert_lint("name: x\nsteps:\n  - id: m\n    metric_check: {url: http://h/m, metric: up, "
	            "op: >, value: 1}\n",
	            "t.yaml:4:53: YAML syntax error: found character that cannot start any token "
	            "(while scanning for the next token at line 4, column 53); did you mean to "
	            "quote '>'? write op: '>'\n");
	/* No hint where nothing was written unquoted after a key. */
	assert_lint("name: x\nsteps: [\n", "t.yaml:3:1: YAML syntax error: did not find expected "
	                                   "node content (while parsing a flow node at line 3, "
	                                   "column 1)\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_secrets_and_run_as),
	    cmocka_unit_test(test_run_templates),
	    cmocka_unit_test(test_op_quote_hint),
	    cmocka_unit_test(test_full_runbook),
	    cmocka_unit_test(test_minimal_and_shorthands),
	    cmocka_unit_test(test_empty_input),
	    cmocka_unit_test(test_syntax_error_has_position),
	    cmocka_unit_test(test_not_utf8),
	    cmocka_unit_test(test_multiple_documents),
	    cmocka_unit_test(test_anchors_aliases_tags),
	    cmocka_unit_test(test_duplicate_keys),
	    cmocka_unit_test(test_deep_nesting),
	    cmocka_unit_test(test_size_limit),
	    cmocka_unit_test(test_node_limit),
	    cmocka_unit_test(test_too_many_errors),
	    cmocka_unit_test(test_required_keys),
	    cmocka_unit_test(test_names_validated),
	    cmocka_unit_test(test_wrong_types),
	    cmocka_unit_test(test_steps),
	    cmocka_unit_test(test_duplicate_step_ids),
	    cmocka_unit_test(test_params_rules),
	    cmocka_unit_test(test_did_you_mean),
	    cmocka_unit_test(test_required_fields),
	    cmocka_unit_test(test_templates),
	    cmocka_unit_test(test_alert_context),
	    cmocka_unit_test(test_coordinator_targets),
	    cmocka_unit_test(test_errors_format_and_append),
	    cmocka_unit_test(test_long_and_odd_keys_are_shown_safely),
	    cmocka_unit_test(test_garbage_does_not_crash),
	    cmocka_unit_test(test_parse_file_errors),
	    cmocka_unit_test(test_shipped_runbooks_parse),
	    cmocka_unit_test(test_daily_health_check),
	    cmocka_unit_test(test_every_key),
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_design_example),
	    cmocka_unit_test(test_cron_positions),
	    cmocka_unit_test(test_when_targets),
	    cmocka_unit_test(test_helpers),
	    cmocka_unit_test(test_amount_of),
	    cmocka_unit_test(test_max_failures_zero),
	    cmocka_unit_test(test_hold_from_param),
	    cmocka_unit_test(test_field_values),
	    cmocka_unit_test(test_every_key_mutations),
	    cmocka_unit_test(test_lint_data),
	    cmocka_unit_test(test_allowed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
