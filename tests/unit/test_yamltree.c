/* test_yamltree: a YAML text into a tree with positions, and the errors of
 * one file collected, sorted and formatted as "file:line:column: message".
 * The runbook language's own errors are in test_runbook; these show the
 * module as another reader of a rota file (a config) would use it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "yamltree.h"

static const yamltree_options_t OPTS = {
    .noun = "config",
    .empty_hint = NULL,
    .max_bytes = 4096,
};

/* Parses text that must be rejected; returns the formatted errors (the
 * caller frees). */
static char *
errors_of(const char *text)
{
	yamltree_errors_t errs = {0};
	yamltree_report_t r;

	yamltree_report_init(&r, &errs, "c.yaml");
	yamltree_node_t *root = yamltree_parse(&r, text, strlen(text), &OPTS);
	assert_null(root);
	yamltree_report_finish(&r);
	assert_true(errs.count > 0);
	char *out = yamltree_errors_format(&errs);
	yamltree_errors_clear(&errs);
	return out;
}

#define assert_errors(text, want)                                                                  \
	do {                                                                                       \
		char *got_ = errors_of(text);                                                      \
		assert_string_equal(got_, want);                                                   \
		free(got_);                                                                        \
	} while (0)

static void
test_tree(void **state)
{
	(void)state;
	const char *text = "listen: \"tcp://*:5555\"\n"
	                   "tiers:\n"
	                   "  - name: one\n"
	                   "    after: ~\n";
	yamltree_errors_t errs = {0};
	yamltree_report_t r;

	yamltree_report_init(&r, &errs, "c.yaml");
	yamltree_node_t *root = yamltree_parse(&r, text, strlen(text), &OPTS);
	assert_non_null(root);
	assert_int_equal(errs.count, 0);
	assert_int_equal(root->kind, YAMLTREE_MAPPING);
	assert_int_equal(root->count, 4);

	const yamltree_node_t *listen = yamltree_map_get(root, "listen");
	assert_non_null(listen);
	assert_true(yamltree_is_text(listen));
	assert_false(listen->plain);
	assert_string_equal(listen->text, "tcp://*:5555");
	assert_int_equal(listen->mark.line, 1);
	assert_int_equal(listen->mark.column, 9);

	const yamltree_node_t *tiers = yamltree_map_get(root, "tiers");
	assert_int_equal(tiers->kind, YAMLTREE_SEQUENCE);
	assert_string_equal(yamltree_kind_name(tiers), "a sequence");
	const yamltree_node_t *tier = tiers->kids[0];
	assert_int_equal(tier->mark.line, 3);
	assert_int_equal(tier->mark.column, 5);
	const yamltree_node_t *after = yamltree_map_get(tier, "after");
	assert_true(yamltree_is_null(after));
	assert_string_equal(yamltree_kind_name(after), "nothing");
	assert_null(yamltree_map_get(tier, "missing"));

	/* A reader adds its own errors at a node; they come out sorted. */
	yamltree_report_add(&r, after->mark, "'after' must be a duration");
	yamltree_report_add(&r, listen->mark, "cannot bind");
	yamltree_report_finish(&r);
	char *out = yamltree_errors_format(&errs);
	assert_string_equal(out, "c.yaml:1:9: cannot bind\n"
	                         "c.yaml:4:12: 'after' must be a duration\n");
	free(out);
	yamltree_errors_clear(&errs);
	assert_int_equal(errs.count, 0);

	yamltree_destroy(&root);
	assert_null(root);
	yamltree_destroy(&root);
}

/* Every YAML-level error of the file, not just the first. */
static void
test_refusals(void **state)
{
	(void)state;
	assert_errors("a: &x 1\n"
	              "b: *x\n"
	              "a: 2\n",
	              "c.yaml:1:4: YAML anchors ('&x') are not supported in configs\n"
	              "c.yaml:2:4: YAML aliases ('*x') are not supported in configs; write the "
	              "value out\n"
	              "c.yaml:3:1: duplicate key 'a' (first defined at line 1, column 1)\n");
	assert_errors("a: 1\n---\nb: 2\n",
	              "c.yaml:2:1: a second YAML document ('---'); a config file holds "
	              "exactly one config\n");
	assert_errors("a: [1\n", "c.yaml:2:1: YAML syntax error: did not find expected ',' or "
	                         "']' (while parsing a flow sequence at line 1, column 4)\n");
	assert_errors("", "c.yaml:1:1: the config is empty\n");
	assert_errors("a: \"\xff\"\n", "c.yaml:1:5: invalid UTF-8; a config must be UTF-8 text\n");
}

static void
test_too_many(void **state)
{
	(void)state;
	yamltree_errors_t errs = {0};
	yamltree_report_t r;

	yamltree_report_init(&r, &errs, "c.yaml");
	for (int i = 0; i < YAMLTREE_MAX_ERRORS + 5; i++)
		yamltree_report_add(&r, (yamltree_mark_t){i + 1, 1}, "bad %d", i);
	yamltree_report_finish(&r);
	assert_int_equal(errs.count, YAMLTREE_MAX_ERRORS + 1);
	assert_int_equal(errs.items[YAMLTREE_MAX_ERRORS].line, 0);
	assert_string_equal(errs.items[YAMLTREE_MAX_ERRORS].message,
	                    "too many errors; stopped after 100");
	yamltree_errors_clear(&errs);
}

static void
test_read_file(void **state)
{
	(void)state;
	char path[] = "/tmp/test_yamltree_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "k: v\n", 5), 5);
	close(fd);

	yamltree_errors_t errs = {0};
	yamltree_report_t r;
	size_t len = 0;
	yamltree_report_init(&r, &errs, path);
	char *text = yamltree_read_file(&r, path, &OPTS, &len);
	assert_non_null(text);
	assert_int_equal(len, 5);
	assert_string_equal(text, "k: v\n");
	free(text);

	yamltree_options_t tiny = OPTS;
	tiny.max_bytes = 4;
	assert_null(yamltree_read_file(&r, path, &tiny, &len));
	assert_null(yamltree_read_file(&r, "/tmp", &OPTS, &len));
	unlink(path);
	assert_null(yamltree_read_file(&r, path, &OPTS, &len));
	yamltree_report_finish(&r);
	assert_int_equal(errs.count, 3);
	char *out = yamltree_errors_format(&errs);
	char want[512];
	snprintf(want, sizeof(want),
	         "%s: the config is larger than 4 bytes\n"
	         "%s: not a regular file\n"
	         "%s: cannot open: No such file or directory\n",
	         path, path, path);
	/* Errors of the whole file keep the order they were found in. */
	assert_string_equal(out, want);
	free(out);
	yamltree_errors_clear(&errs);
}

/* A newline starts the next line at column 1; a UTF-8 character is one
 * column however many bytes it has. */
static void
test_mark_advance(void **state)
{
	(void)state;
	yamltree_mark_t m = yamltree_mark_advance((yamltree_mark_t){3, 5}, "ab", 2);
	assert_int_equal(m.line, 3);
	assert_int_equal(m.column, 7);
	m = yamltree_mark_advance((yamltree_mark_t){1, 1}, "a\n\xc3\xa9x", 5);
	assert_int_equal(m.line, 2);
	assert_int_equal(m.column, 3);
	m = yamltree_mark_advance((yamltree_mark_t){4, 2}, "zzz", 0);
	assert_int_equal(m.line, 4);
	assert_int_equal(m.column, 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tree),         cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_too_many),     cmocka_unit_test(test_read_file),
	    cmocka_unit_test(test_mark_advance),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
