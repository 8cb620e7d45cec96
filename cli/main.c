/* rota: the operator CLI.
 *
 * main only reads the global options, picks the command and hands it its
 * arguments; the commands live in run.c, output.c, approval.c, cancel.c, workers.c,
 * runbooks.c, schedules.c, incident.c and lint.c, the conversation with the coordinator
 * in session.c. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "approval.h"
#include "cancel.h"
#include "cli.h"
#include "incident.h"
#include "lint.h"
#include "output.h"
#include "run.h"
#include "runbooks.h"
#include "schedules.h"
#include "session.h"
#include "usage.h"
#include "workers.h"

typedef int (*main_command_fn)(session_t *s, int argc, char **argv);

static const struct {
	const char *name;
	main_command_fn fn;
} main_commands[] = {
    {"submit", run_submit},
    {"runs", run_list},
    {"show", run_show},
    {"logs", output_logs},
    {"approve", approval_approve},
    {"reject", approval_reject},
    {"cancel", cancel_run},
    {"workers", workers_list},
    {"runbooks", runbooks_list},
    {"reload", runbooks_reload},
    {"schedules", schedules_list},
    {"incident", incident_command},
    {"incidents", incident_list},
    {"ack", incident_ack},
    {"resolve", incident_resolve},
    {"lint", lint_files},
};

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"coordinator", required_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	const char *endpoint = NULL;
	int ch;
	opterr = 0;
	/* '+': stop at the command; what follows is the command's. */
	while ((ch = getopt_long(argc, argv, "+:hV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			endpoint = optarg;
			break;
		case 'h':
			usage_print(stdout);
			return CLI_EXIT_OK;
		case 'V':
			printf("rota %s\n", ROTA_VERSION);
			return CLI_EXIT_OK;
		default:
			return usage_getopt_error(NULL, "[--coordinator EP] COMMAND [ARGS]", ch,
			                          argv);
		}
	}
	if (optind >= argc)
		return usage_error(
		    "missing command; try 'rota runs', 'rota workers' or 'rota submit "
		    "RUNBOOK'");

	/* The flag wins over the environment, which wins over the default. */
	if (endpoint == NULL) {
		const char *env = getenv(CLI_ENDPOINT_ENV);
		endpoint = env != NULL && env[0] != '\0' ? env : CLI_DEFAULT_ENDPOINT;
	}
	if (endpoint[0] == '\0')
		return usage_error(
		    "--coordinator needs an endpoint, such as " CLI_DEFAULT_ENDPOINT);

	const char *name = argv[optind];
	/* What people type when they do not know the flag. */
	if (strcmp(name, "help") == 0) {
		usage_print(stdout);
		return CLI_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(main_commands) / sizeof(main_commands[0]); i++) {
		if (strcmp(name, main_commands[i].name) != 0)
			continue;
		session_t *s = session_new(endpoint);
		int rc = main_commands[i].fn(s, argc - optind, argv + optind);
		session_destroy(&s);
		/* A listing that did not reach its reader (a full disk) must
		 * not look like success; 1 is the CLI's "did not work". */
		if (fflush(stdout) != 0 && rc == CLI_EXIT_OK) {
			perror("rota: writing output");
			rc = CLI_EXIT_RUN_FAILED;
		}
		return rc;
	}
	return usage_error(
	    "unknown command '%s'; the commands are submit, runs, show, logs, "
	    "approve, reject, cancel, incident, incidents, ack, resolve, workers, runbooks, "
	    "reload, schedules and lint",
	    name);
}
