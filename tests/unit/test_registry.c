/* test_registry: finding the worker an alert's host means, by id, host
 * name, short name or an address its Hello reported, and refusing to
 * guess when two workers share a name or an address. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "registry.h"

static void
hello(registry_t *r, const char *id, const char *hostname, char **addresses, size_t n)
{
	Rota__Hello h = ROTA__HELLO__INIT;
	h.worker_id = (char *)id;
	h.hostname = (char *)hostname;
	h.version = "test";
	h.addresses = addresses;
	h.n_addresses = n;
	assert_non_null(registry_hello(r, &h, 0, 0));
}

static const char *
match(registry_t *r, const char *name, bool *ambiguous)
{
	worker_t *w = registry_match_host(r, name, ambiguous);
	return w ? w->id : NULL;
}

static void
test_match_host(void **state)
{
	(void)state;
	registry_t *r = registry_new();
	hello(r, "web-1", "web-1.example.net", (char *[]){"10.0.0.5", "fd00::5"}, 2);
	hello(r, "web-2", "host-b", (char *[]){"10.0.0.6"}, 1);
	hello(r, "web-3", "host-c", (char *[]){"10.0.0.7", "192.168.1.1"}, 2);
	hello(r, "web-4", "host-c", (char *[]){"192.168.1.1"}, 1);
	bool amb = true;
	assert_string_equal(match(r, "web-2", &amb), "web-2"); /* its id */
	assert_false(amb);
	assert_string_equal(match(r, "host-b", &amb), "web-2"); /* its host name */
	assert_string_equal(match(r, "web-1.example.net", &amb), "web-1");
	assert_string_equal(match(r, "web-2.example.net", &amb), "web-2"); /* short name */
	assert_string_equal(match(r, "10.0.0.5", &amb), "web-1");          /* an address */
	assert_string_equal(match(r, "fd00::5", &amb), "web-1");
	assert_string_equal(match(r, "10.0.0.7", &amb), "web-3");
	assert_null(match(r, "10.0.0.9", &amb));
	assert_false(amb);
	/* Two workers with that host name, or that address: no guess. */
	assert_null(match(r, "host-c", &amb));
	assert_true(amb);
	assert_null(match(r, "192.168.1.1", &amb));
	assert_true(amb);
	assert_null(match(r, "", NULL));
	/* A new Hello replaces the addresses. */
	hello(r, "web-1", "web-1.example.net", (char *[]){"10.0.0.50"}, 1);
	assert_null(match(r, "10.0.0.5", &amb));
	assert_string_equal(match(r, "10.0.0.50", &amb), "web-1");
	registry_destroy(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_match_host),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
