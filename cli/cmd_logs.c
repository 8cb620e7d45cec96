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
#include "options.h"
#include "usage.h"

#define LOGS_SYNOPSIS "RUN [--host H] [-f] [--raw]"

/* What logs' options say. */
typedef struct {
	const char *host; /* borrowed from argv; NULL: every host */
	int follow;
	unsigned flags; /* FOLLOW_* */
} cmd_logs_args_t;

static int
cmd_logs_take(void *ctx, int ch, char *arg)
{
	cmd_logs_args_t *a = ctx;
	switch (ch) {
	case 'H':
		a->host = arg;
		break;
	case 'f':
		a->follow = 1;
		break;
	default: /* 'R' */
		a->flags |= FOLLOW_RAW;
		break;
	}
	return CLI_EXIT_OK;
}

int
cmd_logs_print(session_t *s, int argc, char **argv)
{
	static const struct option own[] = {
	    {"host", required_argument, NULL, 'H'},
	    {"follow", no_argument, NULL, 'f'},
	    {"raw", no_argument, NULL, 'R'},
	    {NULL, 0, NULL, 0},
	};
	cmd_logs_args_t args = {NULL, 0, 0};
	const options_spec_t spec = {
	    .command = "logs",
	    .synopsis = LOGS_SYNOPSIS,
	    .shortopts = ":fh",
	    .no_json = true,
	    .own = own,
	    .take = cmd_logs_take,
	    .ctx = &args,
	};
	options_t o = {0};
	int done = options_parse(&spec, argc, argv, &o);
	if (done >= 0)
		return done;
	const char *host = args.host;
	int follow = args.follow;
	unsigned flags = args.flags;
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
