/* cmd_logs: the `rota logs RUN [--host H] [-f] [--raw]` command, a run's
 * step output on the terminal.
 *
 * Parses the options and hands the paging and following to follow.c,
 * which `rota submit --wait` shares. */
#include "cmd_logs.h"

#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "follow.h"
#include "format.h"
#include "usage.h"

#define LOGS_SYNOPSIS "RUN [--host H] [-f] [--raw]"

int
cmd_logs_print(session_t *s, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"host", required_argument, NULL, 'H'},
	    {"follow", no_argument, NULL, 'f'},
	    {"raw", no_argument, NULL, 'R'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *host = NULL;
	int follow = 0;
	unsigned flags = 0;
	int ch;
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":fh", opts, NULL)) != -1) {
		switch (ch) {
		case 'H':
			host = optarg;
			break;
		case 'f':
			follow = 1;
			break;
		case 'R':
			flags |= FOLLOW_RAW;
			break;
		case 'h':
			usage_print(stdout);
			return CLI_EXIT_OK;
		default:
			return usage_getopt_error("logs", LOGS_SYNOPSIS, ch, argv);
		}
	}
	if (optind >= argc)
		return usage_error("logs needs a run id: rota logs " LOGS_SYNOPSIS
		                   " (see 'rota runs')");
	if (optind + 1 < argc)
		return usage_error(
		    "logs takes one run id, got '%s' too; usage: rota logs " LOGS_SYNOPSIS,
		    argv[optind + 1]);
	if (host != NULL && host[0] == '\0')
		return usage_error(
		    "logs: --host needs a host name, as in 'rota logs RUN --host web-1'");

	int status;
	int rc = follow_run(s, argv[optind], host, follow, flags, &status);
	/* Following ends when the run does: say how, on stderr so that the
	 * output on stdout stays the steps' own. */
	if (rc == CLI_EXIT_OK && follow)
		fprintf(stderr, "rota: run %s %s (rota show %s)\n", argv[optind],
		        format_run_status(status), argv[optind]);
	return rc;
}
