/* options: the option parsing every command shares.
 *
 * Each command used to carry its own getopt_long loop with the same
 * --json, --help, --limit N and --note TEXT cases; one spec per command
 * now says which of those it takes, plus its own options, and
 * options_parse runs the loop, reports usage errors in the one wording
 * (usage.h) and prints the help. The messages are what the commands
 * printed before, word for word: scripts and tests read them. */
#ifndef ROTA_OPTIONS_H
#define ROTA_OPTIONS_H

#include <getopt.h>
#include <stdbool.h>

/* One of the command's own options: ch is what getopt_long returned for
 * it (the val of its struct option), arg its value or NULL. Returns
 * CLI_EXIT_OK to go on, or an exit code (a usage error already
 * reported). */
typedef int (*options_take_fn)(void *ctx, int ch, char *arg);

typedef struct {
	const char *command;   /* "runs", "workers remove": names it in messages */
	const char *synopsis;  /* its arguments, shown with a getopt error */
	const char *shortopts; /* getopt's short options, ':' first (":n:h") */
	bool no_json;          /* true: no --json (logs) */
	unsigned limit_max;    /* --limit N takes 1..limit_max; 0: no --limit */
	const char *limit_got; /* the word before a bad --limit value; NULL: "got" */
	/* --note TEXT, refused when empty with "as in --note 'EXAMPLE'"; NULL:
	 * no --note here (or the command takes it as its own). */
	const char *note_example;
	const struct option *own; /* the command's other options, {0}-ended; NULL: none */
	options_take_fn take;     /* called for each of own; NULL when own is */
	void *ctx;                /* take's */
} options_spec_t;

/* What the shared options said. Set limit to the command's default before
 * options_parse; json and note are cleared by it. */
typedef struct {
	bool json;        /* --json */
	unsigned limit;   /* --limit N, or the default left in */
	const char *note; /* --note TEXT, borrowed from argv; NULL when not given */
} options_t;

/* Runs getopt_long over argv (argv[0] the command name) from the start.
 * Returns -1 when the command should go on, with *out filled and optind
 * at its first argument; else the exit code to return: CLI_EXIT_OK after
 * --help (the help printed), a take's code, or CLI_EXIT_USAGE after a
 * usage error reported on stderr. */
int options_parse(const options_spec_t *spec, int argc, char **argv, options_t *out);

/* A command whose only options are --json and --help. Same returns as
 * options_parse, with *json set when it goes on. */
int options_json_only(const char *command, const char *synopsis, int argc, char **argv, bool *json);

#endif
