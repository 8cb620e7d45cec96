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
	strcpy(text, "name: ");
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
	char *p = text;
	p += sprintf(p, "[");
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "a,");
	strcpy(p, "]");
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
	char *p = text;
	for (int i = 0; i < 300; i++)
		p += sprintf(p, "zz%d: 1\n", i);
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
	    "t.yaml:2:10: 'targets' must be a mapping (hosts, labels, all, batch, max_failures), "
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
	assert_lint("name: x\nsteps:\n  - shell: ls\n  - id: b\n  - id: c\n    shell: ls\n    "
	            "timeout: soon\n",
	            "t.yaml:3:5: step 1 has no 'id'\n"
	            "t.yaml:4:5: step 'b' has no step type; add one of shell, http_check, "
	            "disk_check, metric_check, manual, notify or noop\n"
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
	            "host.labels.KEY or run.id\n"
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
	strcpy(text, "name: x\n\"");
	memset(text + strlen(text), 'k', 200);
	strcat(text, "\": 1\n\"a\\tb\\nc\": 2\nsteps: [{id: a, shell: ls}]\n");
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
		runbook_errors_t errs = {0};
		runbook_t *rb = runbook_parse_string(buf, len, "g.yaml", &errs);
		/* Either a runbook or at least one error, never both. */
		assert_true((rb != NULL) != (errs.count > 0));
		char *out = runbook_errors_format(&errs);
		free(out);
		runbook_destroy(&rb);
		runbook_errors_clear(&errs);
	}

	/* Mutations of a valid runbook reach deep into pass 2. */
	size_t flen = strlen(full_runbook);
	char *m = malloc(flen + 1);
	assert_non_null(m);
	for (int round = 0; round < 3000; round++) {
		memcpy(m, full_runbook, flen + 1);
		for (int k = 0; k < 3; k++)
			m[rnd(&seed) % flen] = alphabet[rnd(&seed) % (sizeof(alphabet) - 1)];
		runbook_errors_t errs = {0};
		runbook_t *rb = runbook_parse_string(m, flen, "m.yaml", &errs);
		assert_true((rb != NULL) != (errs.count > 0));
		runbook_destroy(&rb);
		runbook_errors_clear(&errs);
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
	                     "http_check, disk_check, metric_check, manual, notify or noop\n"
	                     "%s:4:5: unknown key 'shel' in step 'a'; did you mean 'shell'?\n",
	                     path, path) > 0);
	assert_string_equal(out, want);
	free(want);
	free(out);
	runbook_errors_clear(&errs);
	unlink(path);
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
		runbook_destroy(&rb);
		free(path);
		n++;
	}
	closedir(d);
	free(dir);
	assert_true(n >= 3);
}

static void
test_daily_health_check(void **state)
{
	(void)state;
	char *path = source_path("runbooks/daily-health-check.yaml");
	runbook_errors_t errs = {0};
	runbook_t *rb = runbook_parse_file(path, &errs);

	assert_non_null(rb);
	assert_true(rb->targets.all);
	assert_int_equal(rb->step_count, 3);
	assert_string_equal(rb->steps[0].id, "disk");
	assert_string_equal(rb->steps[1].id, "load");
	assert_string_equal(rb->steps[2].id, "health");
	for (size_t i = 0; i < rb->step_count; i++)
		assert_int_equal(rb->steps[i].type, RUNBOOK_STEP_SHELL);
	assert_string_equal(runbook_param_find(rb, "path")->default_value, "/");
	assert_string_equal(runbook_param_find(rb, "disk_min_free_pct")->default_value, "20");
	assert_string_equal(runbook_param_find(rb, "max_load_per_core")->default_value, "4");
	assert_string_equal(runbook_param_find(rb, "health_url")->default_value, "");
	for (size_t i = 0; i < rb->param_count; i++)
		assert_false(rb->params[i].required);
	runbook_destroy(&rb);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
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
	    cmocka_unit_test(test_errors_format_and_append),
	    cmocka_unit_test(test_long_and_odd_keys_are_shown_safely),
	    cmocka_unit_test(test_garbage_does_not_crash),
	    cmocka_unit_test(test_parse_file_errors),
	    cmocka_unit_test(test_shipped_runbooks_parse),
	    cmocka_unit_test(test_daily_health_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
