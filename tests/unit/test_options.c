/* test_options: the option parsing every CLI command shares, checked by
 * what the operator sees: the values it hands on, the usage errors on
 * stderr word for word, and the exit codes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli.h"
#include "options.h"

/* ---- stderr, captured ---------------------------------------------------- */

static FILE *capture_file;
static int capture_saved = -1;

static void
capture_begin(void)
{
	fflush(stderr);
	capture_file = tmpfile();
	assert_non_null(capture_file);
	capture_saved = dup(STDERR_FILENO);
	assert_true(capture_saved >= 0);
	assert_true(dup2(fileno(capture_file), STDERR_FILENO) >= 0);
}

/* What was written to stderr since capture_begin; the caller frees it. */
static char *
capture_end(void)
{
	fflush(stderr);
	assert_true(dup2(capture_saved, STDERR_FILENO) >= 0);
	close(capture_saved);
	long n = ftell(capture_file);
	assert_true(n >= 0);
	char *text = calloc((size_t)n + 1, 1);
	assert_non_null(text);
	rewind(capture_file);
	assert_int_equal(fread(text, 1, (size_t)n, capture_file), (size_t)n);
	fclose(capture_file);
	return text;
}

/* Parses argv (NULL-ended) with spec, stderr captured into *err (caller
 * frees). Returns what options_parse returned. */
static int
parse(const options_spec_t *spec, options_t *o, char **err, char **argv)
{
	int argc = 0;
	while (argv[argc] != NULL)
		argc++;
	capture_begin();
	int rc = options_parse(spec, argc, argv, o);
	*err = capture_end();
	return rc;
}

#define ARGV(...) ((char *[]){__VA_ARGS__, NULL})
#define HINT "\nRun 'rota --help' for usage.\n"

static const options_spec_t runs_spec = {
    .command = "runs",
    .synopsis = "[--limit N] [--json]",
    .shortopts = ":n:h",
    .limit_max = 10000,
};

/* ---- tests --------------------------------------------------------------- */

static void
test_defaults_and_values(void **state)
{
	(void)state;
	char *err;
	options_t o = {.limit = 20};
	assert_int_equal(parse(&runs_spec, &o, &err, ARGV("runs")), -1);
	assert_false(o.json);
	assert_int_equal(o.limit, 20);
	assert_string_equal(err, "");
	free(err);

	o.limit = 20;
	assert_int_equal(parse(&runs_spec, &o, &err, ARGV("runs", "--json", "--limit", "7")), -1);
	assert_true(o.json);
	assert_int_equal(o.limit, 7);
	free(err);

	/* -n is --limit's short form; --lim an abbreviation getopt allows. */
	assert_int_equal(parse(&runs_spec, &o, &err, ARGV("runs", "-n", "3")), -1);
	assert_int_equal(o.limit, 3);
	free(err);
	assert_int_equal(parse(&runs_spec, &o, &err, ARGV("runs", "--lim=4", "extra")), -1);
	assert_int_equal(o.limit, 4);
	free(err);
}

/* Arguments are left for the command, from optind on. */
static void
test_arguments_left(void **state)
{
	(void)state;
	char *err;
	options_t o = {0};
	char **argv = ARGV("runs", "one", "--json", "two");
	assert_int_equal(parse(&runs_spec, &o, &err, argv), -1);
	assert_true(o.json);
	/* glibc permutes: the options first, then the arguments. */
	assert_string_equal(argv[optind], "one");
	assert_string_equal(argv[optind + 1], "two");
	free(err);
}

static void
test_limit_errors(void **state)
{
	(void)state;
	char *err;
	options_t o = {.limit = 20};
	assert_int_equal(parse(&runs_spec, &o, &err, ARGV("runs", "--limit", "0")), CLI_EXIT_USAGE);
	assert_string_equal(err, "rota: runs: --limit needs a whole number from 1 to 10000, got "
	                         "'0'" HINT);
	free(err);
	assert_int_equal(parse(&runs_spec, &o, &err, ARGV("runs", "-n", "10001")), CLI_EXIT_USAGE);
	assert_string_equal(err, "rota: runs: --limit needs a whole number from 1 to 10000, got "
	                         "'10001'" HINT);
	free(err);
	assert_int_equal(parse(&runs_spec, &o, &err, ARGV("runs", "--limit", "5x")),
	                 CLI_EXIT_USAGE);
	free(err);
	assert_int_equal(parse(&runs_spec, &o, &err, ARGV("runs", "--limit", "-5")),
	                 CLI_EXIT_USAGE);
	free(err);
	assert_int_equal(o.limit, 20);

	/* audit says "not", as it always has. */
	const options_spec_t audit = {
	    .command = "audit",
	    .synopsis = "[--since T] [--limit N] [--json]",
	    .shortopts = ":h",
	    .limit_max = 1000,
	    .limit_got = "not",
	};
	assert_int_equal(parse(&audit, &o, &err, ARGV("audit", "--limit", "x")), CLI_EXIT_USAGE);
	assert_string_equal(
	    err, "rota: audit: --limit needs a whole number from 1 to 1000, not 'x'" HINT);
	free(err);
	/* and has no -n. */
	assert_int_equal(parse(&audit, &o, &err, ARGV("audit", "-n", "5")), CLI_EXIT_USAGE);
	assert_string_equal(err, "rota: audit: unknown option '-n'; usage: rota audit [--since T] "
	                         "[--limit N] [--json]" HINT);
	free(err);
}

static void
test_getopt_errors(void **state)
{
	(void)state;
	char *err;
	options_t o = {0};
	assert_int_equal(parse(&runs_spec, &o, &err, ARGV("runs", "--bogus")), CLI_EXIT_USAGE);
	assert_string_equal(err,
	                    "rota: runs: unknown option '--bogus'; usage: rota runs [--limit N] "
	                    "[--json]" HINT);
	free(err);
	assert_int_equal(parse(&runs_spec, &o, &err, ARGV("runs", "--limit")), CLI_EXIT_USAGE);
	assert_string_equal(err, "rota: runs: option '--limit' needs a value; usage: rota runs "
	                         "[--limit N] [--json]" HINT);
	free(err);
	assert_int_equal(parse(&runs_spec, &o, &err, ARGV("runs", "-x")), CLI_EXIT_USAGE);
	assert_string_equal(err, "rota: runs: unknown option '-x'; usage: rota runs [--limit N] "
	                         "[--json]" HINT);
	free(err);
	/* A command with no --limit does not take one. */
	const options_spec_t show = {
	    .command = "show", .synopsis = "RUN [--json]", .shortopts = ":h"};
	assert_int_equal(parse(&show, &o, &err, ARGV("show", "--limit", "3")), CLI_EXIT_USAGE);
	assert_string_equal(err, "rota: show: unknown option '--limit'; usage: rota show RUN "
	                         "[--json]" HINT);
	free(err);
	/* logs has no --json. */
	const options_spec_t logs = {
	    .command = "logs", .synopsis = "RUN", .shortopts = ":fh", .no_json = true};
	assert_int_equal(parse(&logs, &o, &err, ARGV("logs", "--json", "r")), CLI_EXIT_USAGE);
	free(err);
}

static void
test_note(void **state)
{
	(void)state;
	char *err;
	options_t o = {0};
	const options_spec_t ack = {
	    .command = "ack",
	    .synopsis = "ID [--note TEXT] [--json]",
	    .shortopts = ":h",
	    .note_example = "looking at it",
	};
	assert_int_equal(parse(&ack, &o, &err, ARGV("ack", "INC-7", "--note", "on it")), -1);
	assert_string_equal(o.note, "on it");
	free(err);
	assert_int_equal(parse(&ack, &o, &err, ARGV("ack", "INC-7")), -1);
	assert_null(o.note);
	free(err);
	assert_int_equal(parse(&ack, &o, &err, ARGV("ack", "--note", "", "INC-7")), CLI_EXIT_USAGE);
	assert_string_equal(err, "rota: ack: --note needs text, as in --note 'looking at it'; "
	                         "leave --note out for no note" HINT);
	free(err);
}

/* The command's own options reach its take, in order; a take's error
 * ends the parse with its code. */
typedef struct {
	char seen[16];
	size_t n;
} takes_t;

static int
take_record(void *ctx, int ch, char *arg)
{
	takes_t *t = ctx;
	if (ch == 's' && strcmp(arg, "bad") == 0)
		return CLI_EXIT_REFUSED; /* any code: it is handed back */
	t->seen[t->n++] = (char)ch;
	return CLI_EXIT_OK;
}

static void
test_own_options(void **state)
{
	(void)state;
	static const struct option own[] = {
	    {"open", no_argument, NULL, 'o'},
	    {"since", required_argument, NULL, 's'},
	    {NULL, 0, NULL, 0},
	};
	takes_t t = {0};
	const options_spec_t spec = {
	    .command = "incidents",
	    .synopsis = "[--open] [--limit N] [--json]",
	    .shortopts = ":n:h",
	    .limit_max = 1000,
	    .own = own,
	    .take = take_record,
	    .ctx = &t,
	};
	char *err;
	options_t o = {.limit = 20};
	assert_int_equal(
	    parse(&spec, &o, &err, ARGV("incidents", "--open", "--since", "1h", "-n", "2")), -1);
	assert_string_equal(t.seen, "os");
	assert_int_equal(o.limit, 2);
	free(err);
	assert_int_equal(parse(&spec, &o, &err, ARGV("incidents", "--since", "bad", "--open")),
	                 CLI_EXIT_REFUSED);
	free(err);
}

static void
test_help_and_json_only(void **state)
{
	(void)state;
	/* --help prints the help on stdout and ends the command with 0. */
	fflush(stdout);
	int saved = dup(STDOUT_FILENO);
	FILE *out = tmpfile();
	dup2(fileno(out), STDOUT_FILENO);
	options_t o = {0};
	char *err;
	int rc = parse(&runs_spec, &o, &err, ARGV("runs", "--help"));
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	assert_int_equal(rc, CLI_EXIT_OK);
	assert_true(ftell(out) > 100);
	fclose(out);
	free(err);

	bool json = false;
	capture_begin();
	assert_int_equal(
	    options_json_only("status", "[--json]", 2, ARGV("status", "--json"), &json), -1);
	assert_true(json);
	assert_int_equal(options_json_only("status", "[--json]", 2, ARGV("status", "--all"), &json),
	                 CLI_EXIT_USAGE);
	err = capture_end();
	assert_string_equal(err, "rota: status: unknown option '--all'; usage: rota status "
	                         "[--json]" HINT);
	free(err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults_and_values),
	    cmocka_unit_test(test_arguments_left),
	    cmocka_unit_test(test_limit_errors),
	    cmocka_unit_test(test_getopt_errors),
	    cmocka_unit_test(test_note),
	    cmocka_unit_test(test_own_options),
	    cmocka_unit_test(test_help_and_json_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
