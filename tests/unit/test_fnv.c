/* test_fnv: FNV-1a 64 from rota's start (fnv.h): the runbooks' version
 * tags and the schedules' jitters built on it must not change between
 * builds, so its values are pinned. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fnv.h"

static void
test_values_are_pinned(void **state)
{
	(void)state;
	assert_true(fnv_add(FNV_START, "") == 0x14650fb0739d0383ULL);
	assert_true(fnv_add(FNV_START, "a") == 0x44bd8ad473cd9906ULL);
	assert_true(fnv_add(FNV_START, "foobar") == 0x88fad7c0a8ff07f2ULL);
}

static void
test_carried_on_and_bytes(void **state)
{
	(void)state;
	/* A hash carried on over a second string is the hash of both. */
	assert_true(fnv_add(fnv_add(FNV_START, "foo"), "bar") == fnv_add(FNV_START, "foobar"));
	/* Bytes include what a string stops at. */
	assert_true(fnv_add_bytes(FNV_START, "foobar", 6) == fnv_add(FNV_START, "foobar"));
	assert_true(fnv_add_bytes(FNV_START, "a", 2) != fnv_add(FNV_START, "a"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_values_are_pinned),
	    cmocka_unit_test(test_carried_on_and_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
