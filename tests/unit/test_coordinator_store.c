/* test_coordinator_store: which store the coordinator opens (--store,
 * ROTA_STORE, the configuration's store:, in that order), the URLs it
 * accepts, every way it refuses one that holds a password (without
 * repeating the password), and the checks of the password file. */
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

#include "config.h"
#include "coordinator.h"
#include "fixture_dir.h"

static char dir[64];

static int
setup(void **state)
{
	(void)state;
	unsetenv(COORDINATOR_STORE_ENV);
	return fixture_dir_make("test-coordinator-store", dir, sizeof(dir));
}

static int
teardown(void **state)
{
	(void)state;
	unsetenv(COORDINATOR_STORE_ENV);
	return fixture_dir_remove(dir);
}

/* Writes text to dir/name with mode; returns the path (owned by the
 * caller). */
static char *
write_file(const char *name, const char *text, mode_t mode)
{
	char *path = strdup(fixture_dir_path(dir, name));
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static void
url_ok(const char *url)
{
	char *why = NULL;
	if (coordinator_store_check_url(url, &why) != 0)
		fail_msg("refused %s: %s", url, why);
}

/* Refused with exactly want; the message never holds secret. */
static void
url_refused(const char *url, const char *want, const char *secret)
{
	char *why = NULL;
	if (coordinator_store_check_url(url, &why) == 0)
		fail_msg("accepted %s", url);
	assert_non_null(why);
	if (strcmp(why, want) != 0)
		fail_msg("for %s\nwant: %s\ngot:  %s", url, want, why);
	if (secret != NULL && strstr(why, secret) != NULL)
		fail_msg("the refusal of %s repeats the password: %s", url, why);
	free(why);
}

#define PASSWORD_REFUSAL                                                                           \
	"the URL holds a password, which would be seen in the process list and the logs; take"     \
	" it out and give it in a file: --store-password-file FILE (or store_password_file: in"    \
	" the configuration; mode 0600), or libpq's PGPASSFILE or ~/.pgpass"

static void
test_urls_accepted(void **state)
{
	(void)state;
	url_ok("postgresql://rota@db.example.net:5432/rota?sslmode=verify-full");
	url_ok("postgres://db.example.net/rota");
	url_ok("postgresql:///rota?host=/run/postgresql");
	url_ok("postgresql://rota@db1:5432,db2:5432/rota?target_session_attrs=read-write");
	/* libpq's own password file, by name: a path, not a secret. */
	url_ok("postgresql://rota@db/rota?passfile=/etc/rota/pgpass&sslmode=require");
	url_ok("postgresql://rota@[::1]:5432/rota");
}

static void
test_urls_with_a_password(void **state)
{
	(void)state;
	url_refused("postgresql://rota:s3cret@db/rota", PASSWORD_REFUSAL, "s3cret");
	url_refused("postgres://rota:s3cret@db:5432/rota?sslmode=verify-full", PASSWORD_REFUSAL,
	            "s3cret");
	/* An empty password is a password field all the same. */
	url_refused("postgresql://rota:@db/rota", PASSWORD_REFUSAL, NULL);
	/* A / or an @ in the password does not hide it. */
	url_refused("postgresql://rota:se/cr@t@db/rota", PASSWORD_REFUSAL, "se/cr");
	url_refused("postgresql://rota@db/rota?password=s3cret", PASSWORD_REFUSAL, "s3cret");
	url_refused("postgresql://rota@db/rota?sslmode=require&pass%77ord=s3cret", PASSWORD_REFUSAL,
	            "s3cret");
	/* libpq's key=value form is not a URL, and this one holds a
	 * password: the password is what is said. */
	url_refused("host=db user=rota password=s3cret dbname=rota", PASSWORD_REFUSAL, "s3cret");
}

static void
test_urls_not_postgresql(void **state)
{
	(void)state;
	url_refused("", "give a URL: postgresql://USER@HOST:PORT/DATABASE?sslmode=verify-full",
	            NULL);
	url_refused("mysql://rota@db/rota",
	            "'mysql://rota@db/rota' is not a PostgreSQL URL: give"
	            " postgresql://USER@HOST:PORT/DATABASE?sslmode=verify-full, or no store for"
	            " SQLite in the data directory",
	            NULL);
	url_refused("/var/lib/rota/rota.db",
	            "'/var/lib/rota/rota.db' is not a PostgreSQL URL: give"
	            " postgresql://USER@HOST:PORT/DATABASE?sslmode=verify-full, or no store for"
	            " SQLite in the data directory",
	            NULL);
}

static config_t *
config_with(const char *store, const char *password_file)
{
	config_t *c = config_default();
	c->path = strdup("/etc/rota/coordinator.yaml");
	c->store = store ? strdup(store) : NULL;
	c->store_password_file = password_file ? strdup(password_file) : NULL;
	return c;
}

/* The plan for these flags and configuration; it must succeed. */
static coordinator_store_plan_t
planned(const coordinator_config_t *opts, const config_t *config)
{
	coordinator_store_plan_t p;
	char *error = NULL;
	if (coordinator_store_plan(opts, config, &p, &error) != 0)
		fail_msg("refused: %s", error);
	return p;
}

static void
test_precedence(void **state)
{
	(void)state;
	coordinator_config_t opts = {.data_dir = "/var/lib/rota"};
	config_t *config = config_with("postgresql://rota@from-config/rota", NULL);

	/* Nothing given: SQLite in the data directory. */
	coordinator_store_plan_t p = planned(&opts, NULL);
	assert_null(p.target);
	assert_null(p.password_file);
	assert_null(p.source);
	coordinator_store_plan_clear(&p);

	p = planned(&opts, config);
	assert_string_equal(p.target, "postgresql://rota@from-config/rota");
	assert_string_equal(p.source, "/etc/rota/coordinator.yaml: store");
	coordinator_store_plan_clear(&p);

	/* The environment wins over the file; an empty variable is unset. */
	setenv(COORDINATOR_STORE_ENV, "", 1);
	p = planned(&opts, config);
	assert_string_equal(p.target, "postgresql://rota@from-config/rota");
	coordinator_store_plan_clear(&p);
	setenv(COORDINATOR_STORE_ENV, "postgresql://rota@from-env/rota", 1);
	p = planned(&opts, config);
	assert_string_equal(p.target, "postgresql://rota@from-env/rota");
	assert_string_equal(p.source, "ROTA_STORE");
	coordinator_store_plan_clear(&p);

	/* The flag wins over both. */
	opts.store = "postgresql://rota@from-flag/rota";
	p = planned(&opts, config);
	assert_string_equal(p.target, "postgresql://rota@from-flag/rota");
	assert_string_equal(p.source, "--store");
	coordinator_store_plan_clear(&p);
	unsetenv(COORDINATOR_STORE_ENV);
	config_destroy(&config);
}

/* The plan must be refused with exactly want. */
static void
plan_refused(const coordinator_config_t *opts, const config_t *config, const char *want)
{
	coordinator_store_plan_t p;
	char *error = NULL;
	if (coordinator_store_plan(opts, config, &p, &error) == 0)
		fail_msg("accepted; wanted: %s", want);
	assert_null(p.target);
	assert_null(p.password_file);
	if (strcmp(error, want) != 0)
		fail_msg("want: %s\ngot:  %s", want, error);
	free(error);
}

static void
test_refusals_name_their_source(void **state)
{
	(void)state;
	coordinator_config_t opts = {.data_dir = "/var/lib/rota",
	                             .store = "postgresql://rota:s3cret@db/rota"};
	plan_refused(&opts, NULL, "--store: " PASSWORD_REFUSAL);
	opts.store = NULL;
	setenv(COORDINATOR_STORE_ENV, "sqlite:///var/lib/rota/rota.db", 1);
	plan_refused(&opts, NULL,
	             "ROTA_STORE: 'sqlite:///var/lib/rota/rota.db' is not a PostgreSQL URL: give"
	             " postgresql://USER@HOST:PORT/DATABASE?sslmode=verify-full, or no store"
	             " for SQLite in the data directory");
	unsetenv(COORDINATOR_STORE_ENV);
}

static void
test_password_file(void **state)
{
	(void)state;
	char *good = write_file("pw", "s3cret\n", 0600);
	coordinator_config_t opts = {.data_dir = "/var/lib/rota",
	                             .store = "postgresql://rota@db/rota",
	                             .store_password_file = good};
	coordinator_store_plan_t p = planned(&opts, NULL);
	assert_string_equal(p.password_file, good);
	coordinator_store_plan_clear(&p);

	/* From the configuration, unless the flag gives one. */
	opts.store_password_file = NULL;
	config_t *config = config_with(NULL, good);
	p = planned(&opts, config);
	assert_string_equal(p.password_file, good);
	coordinator_store_plan_clear(&p);
	config_destroy(&config);

	char *open_ = write_file("pw-open", "s3cret\n", 0640);
	opts.store_password_file = open_;
	char want[1024];
	snprintf(want, sizeof(want),
	         "the store's password file %s is readable by others (mode 0640): anyone who"
	         " can read it can use the database as rota; run 'chmod 600 %s' (and change"
	         " the password if it may have been copied)",
	         open_, open_);
	plan_refused(&opts, NULL, want);

	char *empty = write_file("pw-empty", "\n", 0600);
	opts.store_password_file = empty;
	snprintf(want, sizeof(want),
	         "the store's password file %s is empty: write the password on its first line",
	         empty);
	plan_refused(&opts, NULL, want);

	opts.store_password_file = fixture_dir_path(dir, "missing");
	snprintf(want, sizeof(want),
	         "cannot read the store's password file %s: No such file or directory",
	         fixture_dir_path(dir, "missing"));
	plan_refused(&opts, NULL, want);

	opts.store_password_file = dir;
	snprintf(want, sizeof(want), "the store's password file %s is not a regular file", dir);
	plan_refused(&opts, NULL, want);

	/* A password file without a PostgreSQL store is a mistake: said. */
	opts.store = NULL;
	opts.store_password_file = good;
	plan_refused(&opts, NULL,
	             "--store-password-file is for a PostgreSQL store (--store"
	             " postgresql://...); without one the store is SQLite in the data"
	             " directory (/var/lib/rota/rota.db)");
	opts.store_password_file = NULL;
	config = config_with(NULL, good);
	plan_refused(&opts, config,
	             "store_password_file is for a PostgreSQL store (--store"
	             " postgresql://...); without one the store is SQLite in the data"
	             " directory (/var/lib/rota/rota.db)");
	config_destroy(&config);
	free(good);
	free(open_);
	free(empty);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_urls_accepted),
	    cmocka_unit_test(test_urls_with_a_password),
	    cmocka_unit_test(test_urls_not_postgresql),
	    cmocka_unit_test(test_precedence),
	    cmocka_unit_test(test_refusals_name_their_source),
	    cmocka_unit_test(test_password_file),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
