/* usage: the CLI's help text and its usage errors.
 *
 * A usage error is one line on stderr that says what to do instead, then
 * the hint to `rota --help`; the command exits CLI_EXIT_USAGE. */
#ifndef ROTA_USAGE_H
#define ROTA_USAGE_H

#include <stdio.h>

/* The full help text. */
void usage_print(FILE *out);

/* Prints "rota: MESSAGE" and the help hint on stderr; returns
 * CLI_EXIT_USAGE so a caller can `return usage_error(...)`. */
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Reports what getopt_long (run with a leading ':' in its optstring and
 * opterr 0) stopped at: ch is what it returned (':' or '?'), command the
 * command being parsed ("submit", or NULL for rota's own options), synopsis its arguments
 * ("[--limit N]
 * [--json]"), shown so the operator sees the fix. Returns CLI_EXIT_USAGE. */
int usage_getopt_error(const char *command, const char *synopsis, int ch, char *const argv[]);

/* A whole number in [1, max], nothing else (an option's value like
 * --limit N). Returns 0 with *out, or -1. */
int usage_parse_count(const char *text, unsigned max, unsigned *out);

#endif
