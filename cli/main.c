/* rota: the operator CLI.
 *
 * main only reads the global options, picks the command and hands it its
 * arguments; each command family lives in its cmd_*.c (cli/README.md),
 * the conversation with the coordinator in session.c. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_config.h"
#include "cmd_approval.h"
#include "cmd_audit.h"
#include "cmd_cancel.h"
#include "cmd_incident.h"
#include "cmd_keygen.h"
#include "cmd_backup.h"
#include "cmd_keys.h"
#include "cmd_maintenance.h"
#include "cmd_store.h"
#include "cmd_web.h"
#include "cmd_lint.h"
#include "cmd_history.h"
#include "cmd_logs.h"
#include "cmd_note.h"
#include "cmd_oncall.h"
#include "cmd_run.h"
#include "cmd_runbookdoc.h"
#include "cmd_runbooks.h"
#include "cmd_schedules.h"
#include "cmd_status.h"
#include "cmd_workers.h"
#include "eplist.h"
#include "session.h"
#include "usage.h"

typedef int (*main_command_fn)(session_t *s, int argc, char **argv);

static const struct {
	const char *name;
	main_command_fn fn;
} main_commands[] = {
    {"submit", cmd_run_submit},
    {"runs", cmd_history_runs},
    {"show", cmd_run_show},
    {"history", cmd_history_show},
    {"search", cmd_history_search},
    {"logs", cmd_logs_print},
    {"approve", cmd_approval_approve},
    {"reject", cmd_approval_reject},
    {"cancel", cmd_cancel_run},
    {"workers", cmd_workers_list},
    {"runbooks", cmd_runbooks_list},
    {"runbook", cmd_runbookdoc_command},
    {"reload", cmd_runbooks_reload},
    {"schedules", cmd_schedules_list},
    {"incident", cmd_incident_command},
    {"incidents", cmd_incident_list},
    {"ack", cmd_incident_ack},
    {"resolve", cmd_incident_resolve},
    {"note", cmd_note_write},
    {"oncall", cmd_oncall_command},
    {"lint", cmd_lint_files},
    {"keygen", cmd_keygen_run},
    {"status", cmd_status_show},
    {"audit", cmd_audit_list},
    {"keys", cmd_keys_list},
    {"maintenance", cmd_maintenance_command},
    {"prune", cmd_store_prune},
    {"backup", cmd_backup_run},
    {"web", cmd_web_command},
};

/* Commands that never talk to the coordinator: a broken configuration
 * file must not stop them. */
static int
main_is_local(const char *name)
{
	return strcmp(name, "lint") == 0 || strcmp(name, "keygen") == 0;
}

/* The flag wins over the environment, which wins over the configuration
 * file. */
static const char *
main_pick(const char *flag, const char *env_name, const char *config)
{
	if (flag != NULL)
		return flag;
	const char *env = getenv(env_name);
	if (env != NULL && env[0] != '\0')
		return env;
	return config;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"coordinator", required_argument, NULL, 'c'},
	    {"key", required_argument, NULL, 'k'},
	    {"coordinator-key", required_argument, NULL, 'K'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	const char *endpoint = NULL;
	const char *key = NULL, *coordinator_key = NULL;
	int ch;
	opterr = 0;
	/* '+': stop at the command; what follows is the command's. */
	while ((ch = getopt_long(argc, argv, "+:hV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			endpoint = optarg;
			break;
		case 'k':
			key = optarg;
			break;
		case 'K':
			coordinator_key = optarg;
			break;
		case 'h':
			usage_print(stdout);
			return CLI_EXIT_OK;
		case 'V':
			printf("rota %s\n", ROTA_VERSION);
			return CLI_EXIT_OK;
		default:
			return usage_getopt_error(
			    NULL,
			    "[--coordinator EP] [--key FILE --coordinator-key "
			    "FILE] COMMAND [ARGS]",
			    ch, argv);
		}
	}
	if (optind >= argc)
		return usage_error(
		    "missing command; try 'rota runs', 'rota workers' or 'rota submit "
		    "RUNBOOK'");

	const char *name = argv[optind];
	cli_config_t config = {0};
	if (!main_is_local(name)) {
		char *error = NULL;
		if (cli_config_load(&config, &error) != 0) {
			int rc = usage_error("%s", error);
			free(error);
			return rc;
		}
	}
	endpoint = main_pick(endpoint, CLI_ENDPOINT_ENV, config.coordinator);
	if (endpoint == NULL)
		endpoint = CLI_DEFAULT_ENDPOINT;
	key = main_pick(key, CLI_KEY_ENV, config.key);
	coordinator_key =
	    main_pick(coordinator_key, CLI_COORDINATOR_KEY_ENV, config.coordinator_key);
	if (endpoint[0] == '\0') {
		cli_config_clear(&config);
		return usage_error(
		    "--coordinator needs an endpoint, such as " CLI_DEFAULT_ENDPOINT);
	}
	if ((key == NULL) != (coordinator_key == NULL)) {
		cli_config_clear(&config);
		return usage_error(
		    "CURVE needs both keys: --key FILE (yours, NAME.key_secret) and "
		    "--coordinator-key FILE (the coordinator's public key), or " CLI_KEY_ENV
		    " and " CLI_COORDINATOR_KEY_ENV ", or both in the configuration file");
	}

	/* What people type when they do not know the flag. */
	if (strcmp(name, "help") == 0) {
		usage_print(stdout);
		return CLI_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(main_commands) / sizeof(main_commands[0]); i++) {
		if (strcmp(name, main_commands[i].name) != 0)
			continue;
		/* A command that never calls (lint, keygen) ignores a bad
		 * list, as it ignores a broken configuration file. */
		char *eperror = NULL;
		eplist_t *eps = eplist_parse(main_is_local(name) ? CLI_DEFAULT_ENDPOINT : endpoint,
		                             &eperror); /* owned, then the session's */
		if (eps == NULL) {
			cli_config_clear(&config);
			int erc = usage_error("--coordinator (or " CLI_ENDPOINT_ENV
			                      ") %s; give an endpoint like " CLI_DEFAULT_ENDPOINT
			                      ", or several separated by commas",
			                      eperror);
			free(eperror);
			return erc;
		}
		session_t *s = session_new(&eps);
		if (key != NULL)
			session_set_keys(s, key, coordinator_key);
		int rc = main_commands[i].fn(s, argc - optind, argv + optind);
		session_destroy(&s);
		cli_config_clear(&config);
		/* A listing that did not reach its reader (a full disk) must
		 * not look like success; 1 is the CLI's "did not work". */
		if (fflush(stdout) != 0 && rc == CLI_EXIT_OK) {
			perror("rota: writing output");
			rc = CLI_EXIT_RUN_FAILED;
		}
		return rc;
	}
	cli_config_clear(&config);
	return usage_error(
	    "unknown command '%s'; the commands are submit, runs, show, history, search, logs, "
	    "approve, reject, cancel, incident, incidents, ack, resolve, maintenance, workers, "
	    "runbooks, runbook, reload, schedules, status, audit, keys, backup, prune, lint and "
	    "keygen",
	    name);
}
