/* test_eplist: the coordinator lists that rota-worker --coordinator and rota
 * --coordinator take: what is accepted and what is refused (with the
 * entry named), the round robin, and where a Redirect sends the client and
 * where the rotation goes on after it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "eplist.h"

static void
test_one_endpoint(void **state)
{
	(void)state;
	char *error = NULL;
	eplist_t *l = eplist_parse("tcp://127.0.0.1:7400", &error);
	assert_non_null(l);
	assert_null(error);
	assert_int_equal(eplist_count(l), 1);
	assert_string_equal(eplist_current(l), "tcp://127.0.0.1:7400");
	/* One endpoint: the next one is itself, as before lists existed. */
	assert_string_equal(eplist_next(l), "tcp://127.0.0.1:7400");
	assert_false(eplist_redirected(l));
	eplist_destroy(&l);
	assert_null(l);
	eplist_destroy(&l);
}

static void
test_list_and_rotation(void **state)
{
	(void)state;
	char *error = NULL;
	eplist_t *l =
	    eplist_parse("tcp://a:7400, tcp://b:7400 ,ipc:///run/rota/w,tcp://a:7400", &error);
	assert_non_null(l);
	/* Spaces trimmed, the duplicate kept once, order kept. */
	assert_int_equal(eplist_count(l), 3);
	assert_string_equal(eplist_at(l, 0), "tcp://a:7400");
	assert_string_equal(eplist_at(l, 1), "tcp://b:7400");
	assert_string_equal(eplist_at(l, 2), "ipc:///run/rota/w");
	assert_null(eplist_at(l, 3));
	assert_string_equal(eplist_current(l), "tcp://a:7400");
	assert_string_equal(eplist_next(l), "tcp://b:7400");
	assert_string_equal(eplist_next(l), "ipc:///run/rota/w");
	assert_string_equal(eplist_next(l), "tcp://a:7400");
	eplist_destroy(&l);
}

static void
test_refused(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		const char *says;
	} cases[] = {
	    {"", "an empty entry"},
	    {"tcp://a:7400,,tcp://b:7400", "an empty entry"},
	    {"tcp://a:7400,", "an empty entry"},
	    {"http://a:7400", "'http://a:7400': not a tcp:// or ipc:// endpoint"},
	    {"inproc://x", "not a tcp:// or ipc:// endpoint"},
	    {"tcp://a", "needs a host and a port"},
	    {"tcp://:7400", "needs a host and a port"},
	    {"tcp://a:http", "the port 'http' is not a number"},
	    {"tcp://a:70000", "the port '70000' is not a number"},
	    {"ipc://", "without a path"},
	    {"tcp://a:1,tcp://a:2,tcp://a:3,tcp://a:4,tcp://a:5,tcp://a:6,tcp://a:7,tcp://a:8,"
	     "tcp://a:9,tcp://a:10,tcp://a:11,tcp://a:12,tcp://a:13,tcp://a:14,tcp://a:15,"
	     "tcp://a:16,tcp://a:17",
	     "more than 16 endpoints"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *error = NULL;
		eplist_t *l = eplist_parse(cases[i].text, &error);
		assert_null(l);
		assert_non_null(error);
		if (strstr(error, cases[i].says) == NULL)
			fail_msg("'%s': got '%s', want '%s'", cases[i].text, error, cases[i].says);
		free(error);
	}
}

static void
test_wildcard(void **state)
{
	(void)state;
	assert_true(eplist_endpoint_wildcard("tcp://*:7400"));
	assert_true(eplist_endpoint_wildcard("tcp://0.0.0.0:7400"));
	assert_true(eplist_endpoint_wildcard("tcp://[::]:7400"));
	assert_true(eplist_endpoint_wildcard("tcp://127.0.0.1:*"));
	assert_false(eplist_endpoint_wildcard("tcp://127.0.0.1:7400"));
	assert_false(eplist_endpoint_wildcard("tcp://coord1.example:7400"));
	assert_false(eplist_endpoint_wildcard("ipc:///run/rota/w"));
}

static void
test_follow(void **state)
{
	(void)state;
	char *error = NULL;
	char why[160];
	eplist_t *l = eplist_parse("tcp://a:1,tcp://b:2,tcp://c:3", &error);
	assert_non_null(l);
	/* A redirect to an entry of the list selects it; the rotation goes
	 * on from there. */
	assert_int_equal(eplist_follow(l, "tcp://c:3", why, sizeof(why)), 0);
	assert_false(eplist_redirected(l));
	assert_string_equal(eplist_current(l), "tcp://c:3");
	assert_string_equal(eplist_next(l), "tcp://a:1");
	/* A redirect elsewhere is dialled, and after it fails the rotation
	 * goes on with the entry after the one that redirected. */
	assert_int_equal(eplist_follow(l, "tcp://leader:9", why, sizeof(why)), 0);
	assert_true(eplist_redirected(l));
	assert_string_equal(eplist_current(l), "tcp://leader:9");
	assert_int_equal(eplist_count(l), 3);
	assert_string_equal(eplist_next(l), "tcp://b:2");
	assert_false(eplist_redirected(l));
	/* Following the target again replaces it; a bad target is refused
	 * and changes nothing. */
	assert_int_equal(eplist_follow(l, "tcp://leader:9", why, sizeof(why)), 0);
	assert_int_equal(eplist_follow(l, "tcp://leader2:9", why, sizeof(why)), 0);
	assert_string_equal(eplist_current(l), "tcp://leader2:9");
	assert_int_equal(eplist_follow(l, "inproc://evil", why, sizeof(why)), -1);
	assert_non_null(strstr(why, "not a tcp:// or ipc://"));
	assert_int_equal(eplist_follow(l, "tcp://0.0.0.0:7400", why, sizeof(why)), -1);
	assert_int_equal(eplist_follow(l, "", why, sizeof(why)), -1);
	assert_string_equal(eplist_current(l), "tcp://leader2:9");
	eplist_destroy(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_one_endpoint), cmocka_unit_test(test_list_and_rotation),
	    cmocka_unit_test(test_refused),      cmocka_unit_test(test_wildcard),
	    cmocka_unit_test(test_follow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
