/* test_redactor: secrets masked in streams, whatever the chunking. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "redactor.h"

/* Feeds text in chunks of size step (the last one shorter), then flushes;
 * returns everything emitted as one string. */
static char *
stream(redactor_t *r, const char *text, size_t step)
{
	size_t len = strlen(text), cap = len * 4 + 16, n = 0;
	char *all = calloc(1, cap);
	uint8_t *out = NULL;
	size_t out_len = 0;
	for (size_t off = 0; off < len; off += step) {
		size_t take = len - off < step ? len - off : step;
		redactor_feed(r, (const uint8_t *)text + off, take, &out, &out_len);
		assert_true(n + out_len < cap);
		if (out_len)
			memcpy(all + n, out, out_len);
		n += out_len;
		free(out);
	}
	redactor_flush(r, &out, &out_len);
	assert_true(n + out_len < cap);
	if (out_len)
		memcpy(all + n, out, out_len);
	free(out);
	return all;
}

static void
test_every_chunking(void **state)
{
	const char *secrets[] = {"hunter2", "tok"};
	const char *text = "a hunter2 b hunte c tokhunter2tok d hunter";
	const char *want = "a **** b hunte c ************ d hunter";
	(void)state;
	/* Every chunk size splits the secrets at every possible place. */
	for (size_t step = 1; step <= strlen(text) + 1; step++) {
		redactor_t *r = redactor_new(secrets, 2);
		assert_non_null(r);
		char *got = stream(r, text, step);
		if (strcmp(got, want) != 0)
			fail_msg("chunk size %zu: got '%s', want '%s'", step, got, want);
		free(got);
		redactor_destroy(&r);
		assert_null(r);
	}
}

static void
test_split_across_chunks(void **state)
{
	const char *secrets[] = {"s3cr3t-value"};
	redactor_t *r = redactor_new(secrets, 1);
	uint8_t *out = NULL;
	size_t len = 0;
	(void)state;

	/* The first half of the secret ends the chunk: it is held back. */
	redactor_feed(r, (const uint8_t *)"line: s3cr3t", 12, &out, &len);
	assert_int_equal(len, 6);
	assert_memory_equal(out, "line: ", 6);
	assert_int_equal(redactor_pending(r), 6);
	free(out);
	redactor_feed(r, (const uint8_t *)"-value\n", 7, &out, &len);
	assert_int_equal(len, 5);
	assert_memory_equal(out, "****\n", 5);
	assert_int_equal(redactor_pending(r), 0);
	free(out);

	/* A held prefix that turns out not to be the secret is passed on. */
	redactor_feed(r, (const uint8_t *)"s3c", 3, &out, &len);
	assert_int_equal(len, 0);
	assert_null(out);
	redactor_feed(r, (const uint8_t *)"ret", 3, &out, &len);
	assert_int_equal(len, 6);
	assert_memory_equal(out, "s3cret", 6);
	free(out);

	/* At the end of the stream, a held prefix is only a prefix. */
	redactor_feed(r, (const uint8_t *)"s3cr3t-valu", 11, &out, &len);
	assert_int_equal(len, 0);
	redactor_flush(r, &out, &len);
	assert_int_equal(len, 11);
	assert_memory_equal(out, "s3cr3t-valu", 11);
	free(out);
	redactor_destroy(&r);
	redactor_destroy(&r); /* harmless */
}

static void
test_longest_first_and_binary(void **state)
{
	const char *secrets[] = {"ab", "abcd", ""};
	(void)state;
	char *s = redactor_text("xabcdx abx a", secrets, 3);
	assert_string_equal(s, "x****x ****x a");
	free(s);

	/* Output is bytes: NULs pass through. */
	redactor_t *r = redactor_new(secrets, 3);
	uint8_t *out = NULL;
	size_t len = 0;
	redactor_feed(r, (const uint8_t *)"\0ab\0", 4, &out, &len);
	assert_int_equal(len, 6);
	assert_memory_equal(out, "\0****\0", 6);
	free(out);
	redactor_destroy(&r);
}

/* A secret that starts with a shorter one, cut by a chunk's end right
 * after the shorter one: the longer is masked whole, no tail of it left. */
static void
test_longest_first_across_chunks(void **state)
{
	const char *secrets[] = {"ab", "abcd"};
	const char *text = "xabcdx abx a";
	const char *want = "x****x ****x a";
	(void)state;
	for (size_t step = 1; step <= strlen(text) + 1; step++) {
		redactor_t *r = redactor_new(secrets, 2);
		char *got = stream(r, text, step);
		if (strcmp(got, want) != 0)
			fail_msg("chunk size %zu: got '%s', want '%s'", step, got, want);
		free(got);
		redactor_destroy(&r);
	}
}

static void
test_nothing_to_redact(void **state)
{
	const char *empty[] = {"", NULL};
	(void)state;
	assert_null(redactor_new(empty, 2));
	assert_null(redactor_new(NULL, 0));
	char *s = redactor_text("plain", empty, 2);
	assert_string_equal(s, "plain");
	free(s);
	assert_null(redactor_text(NULL, empty, 2));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_chunking),
	    cmocka_unit_test(test_split_across_chunks),
	    cmocka_unit_test(test_longest_first_and_binary),
	    cmocka_unit_test(test_longest_first_across_chunks),
	    cmocka_unit_test(test_nothing_to_redact),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
