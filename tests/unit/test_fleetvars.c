/* test_fleetvars: the configuration's vars (param values per host): which
 * entry gives a host its value (labels, host, both, neither; a later entry
 * wins), what `rota show` is told about where it came from, and every
 * mistake in the file reported at file:line:column. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fleetvars.h"
#include "registry.h"
#include "xalloc.h"

/* Reads text's `vars:` value; errors into *errors ("" for none, the
 * caller frees). */
static fleetvars_t *
read_vars(const char *text, char **errors)
{
	static const yamltree_options_t opts = {.noun = "configuration", .max_bytes = 65536};
	yamltree_errors_t errs = {0};
	yamltree_report_t rep;
	yamltree_report_init(&rep, &errs, "c.yaml");
	yamltree_node_t *root = yamltree_parse(&rep, text, strlen(text), &opts);
	assert_non_null(root);
	fleetvars_t *fv = fleetvars_read(&rep, yamltree_map_get(root, "vars"));
	yamltree_destroy(&root);
	yamltree_report_finish(&rep);
	*errors = yamltree_errors_format(&errs);
	yamltree_errors_clear(&errs);
	return fv;
}

/* A worker that said Hello with these labels ("k=v", NULL-ended). */
static worker_t *
hello(registry_t *r, const char *id, const char *const *labels)
{
	Rota__Hello h = ROTA__HELLO__INIT;
	Rota__Label lab[4], *lp[4];
	size_t n = 0;
	char keys[4][32];
	for (; labels && labels[n]; n++) {
		const char *eq = strchr(labels[n], '=');
		snprintf(keys[n], sizeof(keys[n]), "%.*s", (int)(eq - labels[n]), labels[n]);
		rota__label__init(&lab[n]);
		lab[n].key = keys[n];
		lab[n].value = (char *)eq + 1;
		lp[n] = &lab[n];
	}
	h.worker_id = (char *)id;
	h.hostname = (char *)id;
	h.version = "test";
	h.labels = lp;
	h.n_labels = n;
	return registry_hello(r, &h, 0, 0);
}

static void
test_precedence(void **state)
{
	(void)state;
	char *errors = NULL;
	fleetvars_t *fv =
	    read_vars("vars:\n"
	              "  - params: {url: http://every, tier: any}\n"
	              "  - match: {role: api}\n"
	              "    params: {url: http://api}\n"
	              "  - host: db-1\n"
	              "    params: {url: http://db-1}\n"
	              "  - {match: {role: api, env: prod}, host: api-2, params: {tier: gold}}\n",
	              &errors);
	assert_string_equal(errors, "");
	free(errors);
	assert_int_equal(fleetvars_count(fv), 4);

	registry_t *r = registry_new();
	worker_t *api1 = hello(r, "api-1", (const char *[]){"role=api", NULL});
	worker_t *api2 = hello(r, "api-2", (const char *[]){"role=api", "env=prod", NULL});
	worker_t *db1 = hello(r, "db-1", (const char *[]){"role=db", NULL});
	const char *src = NULL;
	/* Later entries win: the role's value over everyone's. */
	assert_string_equal(fleetvars_value(fv, api1, "url", &src), "http://api");
	assert_string_equal(src, "vars (role=api, line 3)");
	assert_string_equal(fleetvars_value(fv, db1, "url", &src), "http://db-1");
	assert_string_equal(src, "vars (host db-1, line 5)");
	assert_string_equal(fleetvars_value(fv, db1, "tier", &src), "any");
	assert_string_equal(src, "vars (every host, line 2)");
	/* Both match and host: both must hold. */
	assert_string_equal(fleetvars_value(fv, api2, "tier", &src), "gold");
	assert_string_equal(src, "vars (role=api, env=prod, host api-2, line 7)");
	assert_string_equal(fleetvars_value(fv, api1, "tier", NULL), "any");
	/* A name no entry gives. */
	assert_null(fleetvars_value(fv, api1, "other", NULL));
	assert_null(fleetvars_value(NULL, api1, "url", NULL));
	registry_destroy(&r);
	fleetvars_destroy(&fv);
	fleetvars_destroy(&fv); /* harmless */
}

static void
test_errors(void **state)
{
	(void)state;
	char *errors = NULL;
	fleetvars_t *fv = read_vars("vars:\n"
	                            "  - match: [role]\n"
	                            "    params: {a: 1}\n"
	                            "  - host: {x: 1}\n"
	                            "    params: {a: [1]}\n"
	                            "  - hosts: web-1\n"
	                            "  - just text\n",
	                            &errors);
	assert_string_equal(
	    errors,
	    "c.yaml:2:12: vars: match must be a mapping, not a sequence\n"
	    "c.yaml:4:11: vars: host must be a worker id, not a mapping\n"
	    "c.yaml:5:17: vars: params: 'a' must be a value, not a sequence\n"
	    "c.yaml:6:5: vars: unknown key 'hosts' in an entry (expected match, host, params)\n"
	    "c.yaml:6:5: vars: an entry needs 'params' (the values it gives)\n"
	    "c.yaml:7:5: vars: an entry must be a mapping (match, host, params), not text\n");
	free(errors);
	fleetvars_destroy(&fv);
	fv = read_vars("vars: {a: 1}\n", &errors);
	assert_string_equal(errors, "c.yaml:1:7: vars must be a list of entries (- match: {...},"
	                            " params: {...}), not a mapping\n");
	free(errors);
	fleetvars_destroy(&fv);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_precedence),
	    cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
