/* test_cli_config: the CLI's configuration file, `name = value` lines, and
 * the errors an operator sees for a bad one (FILE:LINE: what). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli_config.h"

static char dir[] = "/tmp/rota-test-cli-config-XXXXXX";
static char path[sizeof(dir) + 16];

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/config", dir);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(path);
	return rmdir(dir);
}

static void
write_file(const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Loads text as the file; returns the error (caller frees), or NULL. */
static char *
load_error(const char *text, cli_config_t *c)
{
	write_file(text);
	char *error = NULL;
	if (cli_config_load_file(path, c, &error) == 0) {
		assert_null(error);
		return NULL;
	}
	assert_non_null(error);
	return error;
}

static void
test_settings(void **state)
{
	(void)state;
	cli_config_t c;
	assert_null(load_error("# rota\n"
	                       "\n"
	                       "  coordinator = tcp://rota.example:7401  \n"
	                       "key=/home/alice/alice.key_secret\r\n"
	                       "coordinator-key =\t/etc/rota/coordinator.key\n"
	                       "coordinator = tcp://later:1\n",
	                       &c));
	assert_string_equal(c.path, path);
	assert_string_equal(c.coordinator, "tcp://later:1"); /* the last one wins */
	assert_string_equal(c.key, "/home/alice/alice.key_secret");
	assert_string_equal(c.coordinator_key, "/etc/rota/coordinator.key");
	cli_config_clear(&c);
	assert_null(c.coordinator);

	assert_null(load_error("", &c));
	assert_null(c.coordinator);
	assert_null(c.key);
	cli_config_clear(&c);
}

static void
error_is(const char *text, const char *want_after_path)
{
	cli_config_t c;
	char *error = load_error(text, &c);
	assert_non_null(error);
	char *want = NULL;
	assert_true(asprintf(&want, "%s%s", path, want_after_path) > 0);
	assert_string_equal(error, want);
	/* Nothing half-read is handed back. */
	assert_null(c.coordinator);
	assert_null(c.path);
	free(want);
	free(error);
}

static void
test_errors(void **state)
{
	(void)state;
	error_is("coordinator = tcp://x:1\nendpoint tcp://x:1\n", ":2: expected 'name = value'");
	error_is("\n# c\nendpoint = tcp://x:1\n",
	         ":3: unknown setting 'endpoint' (coordinator, key and coordinator-key are known)");
	error_is("key =   \n", ":1: 'key' has no value");
}

static void
test_unreadable(void **state)
{
	(void)state;
	cli_config_t c;
	char *error = NULL;
	assert_int_equal(cli_config_load_file("/nonexistent/rota/config", &c, &error), -1);
	assert_string_equal(error, "cannot read the configuration /nonexistent/rota/config: No "
	                           "such file or directory");
	free(error);
}

/* ROTA_CONFIG names the file; without it, $XDG_CONFIG_HOME/rota/config,
 * and no file there is no error. */
static void
test_load_from_environment(void **state)
{
	(void)state;
	write_file("coordinator = tcp://env:1\n");
	setenv("ROTA_CONFIG", path, 1);
	cli_config_t c;
	char *error = NULL;
	assert_int_equal(cli_config_load(&c, &error), 0);
	assert_string_equal(c.coordinator, "tcp://env:1");
	cli_config_clear(&c);

	unsetenv("ROTA_CONFIG");
	setenv("XDG_CONFIG_HOME", dir, 1); /* dir/rota/config does not exist */
	assert_int_equal(cli_config_load(&c, &error), 0);
	assert_null(c.path);
	cli_config_clear(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_settings),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_unreadable),
	    cmocka_unit_test(test_load_from_environment),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
