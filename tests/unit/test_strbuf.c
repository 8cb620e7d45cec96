/* test_strbuf: the growable string every text builder shares: what is
 * appended comes back whole, NUL-terminated, bytes included. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "strbuf.h"

static void
test_reserve_gives_an_empty_string(void **state)
{
	(void)state;
	strbuf_t b = {0};

	strbuf_reserve(&b, 100);
	assert_non_null(b.data);
	assert_string_equal(b.data, "");
	assert_int_equal(b.len, 0);
	assert_true(b.cap >= 101);
	/* Room reserved is used without another allocation. */
	char *before = b.data;
	for (int i = 0; i < 100; i++)
		strbuf_add(&b, "x", 1);
	assert_ptr_equal(b.data, before);
	assert_int_equal(b.len, 100);
	assert_int_equal(strlen(b.data), 100);
	free(b.data);
}

static void
test_many_small_appends_keep_every_byte(void **state)
{
	(void)state;
	strbuf_t b = {0};

	for (int i = 0; i < 10000; i++) {
		char c = (char)('a' + i % 26);
		strbuf_add(&b, &c, 1);
	}
	assert_int_equal(b.len, 10000);
	for (int i = 0; i < 10000; i++)
		assert_int_equal(b.data[i], 'a' + i % 26);
	assert_int_equal(b.data[10000], '\0');
	free(b.data);
}

static void
test_bytes_and_strings_mix(void **state)
{
	(void)state;
	strbuf_t b = {0};

	strbuf_adds(&b, "a");
	strbuf_add(&b, "\0b", 2); /* a NUL inside is kept: len says where it ends */
	strbuf_adds(&b, "cd");
	strbuf_add(&b, "", 0);
	assert_int_equal(b.len, 5);
	assert_memory_equal(b.data, "a\0bcd", 6);
	free(b.data);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reserve_gives_an_empty_string),
	    cmocka_unit_test(test_many_small_appends_keep_every_byte),
	    cmocka_unit_test(test_bytes_and_strings_mix),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
