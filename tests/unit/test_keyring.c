/* test_keyring: operators.yaml and authorized_workers/ as an admin writes
 * them, and the errors (file:line:column) for what is wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture_dir.h"
#include "security/keyring.h"

static char dir[64];
static keys_pair_t k1, k2;

static int
setup(void **state)
{
	(void)state;
	if (fixture_dir_make("test-keyring", dir, sizeof(dir)) != 0)
		return -1;
	return keys_generate(&k1) == 0 && keys_generate(&k2) == 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	return fixture_dir_remove(dir);
}

static const char *
write_file(const char *name, const char *text)
{
	const char *path = fixture_dir_path(dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

/* Parses text as operators.yaml; returns the error (caller frees) or NULL. */
static char *
parse_error(const char *text)
{
	const char *path = write_file("operators.yaml", text);
	keyring_entry_t *e = NULL;
	size_t n = 0;
	char *error = NULL;
	if (keyring_parse_operators(path, &e, &n, &error) == 0) {
		keyring_entries_free(e, n);
		return NULL;
	}
	return error;
}

static void
test_operators(void **state)
{
	(void)state;
	char text[512];
	snprintf(text, sizeof(text),
	         "# who may drive rota\n"
	         "operators:\n"
	         "  - name: alice\n"
	         "    key: \"%s\"\n"
	         "    role: admin\n"
	         "  - { name: bob, key: \"%s\", role: viewer }\n",
	         k1.public_z85, k2.public_z85);
	const char *path = write_file("operators.yaml", text);
	keyring_t *k = NULL;
	char *error = NULL;
	k = keyring_load(NULL, path, &error);
	assert_non_null(k);
	assert_int_equal(keyring_operator_count(k), 2);
	const keyring_entry_t *e = keyring_operator_by_key(k, k2.public_key);
	assert_non_null(e);
	assert_string_equal(e->name, "bob");
	assert_int_equal(e->role, KEYRING_ROLE_VIEWER);
	assert_int_equal(keyring_operator_by_name(k, "alice")->role, KEYRING_ROLE_ADMIN);
	assert_null(keyring_worker_by_key(k, k1.public_key)); /* an operator is not a worker */
	keyring_destroy(&k);
	assert_null(k);
}

static void
test_operator_errors(void **state)
{
	(void)state;
	char text[512];
	char *error;

	snprintf(text, sizeof(text),
	         "operators:\n  - name: alice\n    key: \"%s\"\n    role: root\n", k1.public_z85);
	error = parse_error(text);
	assert_non_null(error);
	assert_non_null(strstr(error, "operators.yaml:4:11: role 'root'"));
	free(error);

	snprintf(text, sizeof(text),
	         "operators:\n  - name: alice\n    key: \"%s\"\n    role: admin\n    rol: x\n",
	         k1.public_z85);
	error = parse_error(text);
	assert_non_null(strstr(error, ":5:5: unknown field 'rol'"));
	free(error);

	error = parse_error("operators:\n  - name: alice\n    key: \"short\"\n    role: admin\n");
	assert_non_null(strstr(error, ":3:10: the key of 'alice' is not a CURVE public key"));
	free(error);

	error = parse_error("operators:\n  - name: alice\n    role: admin\n");
	assert_non_null(strstr(error, ":2:5: an operator needs a key"));
	free(error);

	snprintf(text, sizeof(text),
	         "operators:\n  - {name: a, key: \"%s\", role: admin}\n"
	         "  - {name: b, key: \"%s\", role: viewer}\n",
	         k1.public_z85, k1.public_z85);
	error = parse_error(text);
	assert_non_null(strstr(error, ":3:5: the key of 'b' is also the key of 'a'"));
	free(error);

	error = parse_error("operators: [\n");
	assert_non_null(strstr(error, "operators.yaml:"));
	free(error);

	error = parse_error("admins: []\n");
	assert_non_null(strstr(error, ":1:1: unknown top-level field 'admins'"));
	free(error);

	/* Every broken operator at once, in file order; the good one between
	 * them is not named. */
	snprintf(text, sizeof(text),
	         "operators:\n  - {name: a, key: \"short\", role: admin}\n"
	         "  - {name: b, key: \"%s\", role: viewer}\n"
	         "  - {name: c, key: \"%s\", role: root}\n",
	         k1.public_z85, k2.public_z85);
	error = parse_error(text);
	assert_non_null(error);
	const char *first = strstr(error, ":2:20: the key of 'a' is not a CURVE public key");
	const char *second = strstr(error, ":4:70: role 'root'");
	if (first == NULL || second == NULL || second < first || strstr(error, "'b'") != NULL)
		fail_msg("want both errors, in order, and nothing of b; got:\n%s", error);
	free(error);

	/* The shared reader's messages read as sentences here too. */
	error = parse_error("operators: []\n---\noperators: []\n");
	assert_non_null(error);
	if (strstr(error, ":2:1: a second YAML document ('---'); a keyring file holds exactly one"
	                  " keyring") == NULL)
		fail_msg("got: %s", error);
	free(error);

	/* Empty is allowed: nobody is admitted. */
	assert_null(parse_error(""));
	assert_null(parse_error("operators:\n"));
}

static void
test_workers_dir(void **state)
{
	(void)state;
	char sub[128], text[256], *error = NULL;
	snprintf(sub, sizeof(sub), "%s/authorized_workers", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(text, sizeof(text), "public-key = %s\n", k1.public_z85);
	write_file("authorized_workers/web-1", text);
	snprintf(text, sizeof(text), "%s\n", k2.public_z85); /* a bare key */
	write_file("authorized_workers/web-2", text);
	write_file("authorized_workers/.web-3.swp", "editor junk");
	keyring_t *k = keyring_load(sub, NULL, &error);
	assert_non_null(k);
	assert_int_equal(keyring_worker_count(k), 2);
	assert_string_equal(keyring_worker_by_key(k, k2.public_key)->name, "web-2");
	assert_non_null(keyring_worker_by_id(k, "web-1"));
	assert_null(keyring_worker_by_id(k, "web-3"));
	keyring_destroy(&k);

	/* One key, one worker. */
	snprintf(text, sizeof(text), "%s\n", k1.public_z85);
	write_file("authorized_workers/web-9", text);
	assert_null(keyring_load(sub, NULL, &error));
	assert_non_null(strstr(error, "one key, one worker"));
	free(error);

	/* A malformed key names its file and line. */
	write_file("authorized_workers/web-9", "\npublic-key = nope\n");
	assert_null(keyring_load(sub, NULL, &error));
	assert_non_null(strstr(error, "authorized_workers/web-9:2:"));
	free(error);

	/* No directory: nobody yet, not an error. */
	k = keyring_load("/nonexistent/authorized_workers", NULL, &error);
	assert_non_null(k);
	assert_int_equal(keyring_worker_count(k), 0);
	keyring_destroy(&k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_operators, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_operator_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_workers_dir, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
