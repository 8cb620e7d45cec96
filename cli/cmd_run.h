/* cmd_run: the commands about one run — submit it, show it (lists of runs are
 * cmd_history's).
 *
 * Each takes its argv (argv[0] the command name), parses its own options,
 * asks the coordinator through the session and prints the answer as a
 * table or, with --json, one JSON document on stdout. Each returns the
 * CLI's exit code. */
#ifndef ROTA_CMD_RUN_H
#define ROTA_CMD_RUN_H

#include "session.h"

int cmd_run_submit(session_t *s, int argc, char **argv);
int cmd_run_show(session_t *s, int argc, char **argv);

#endif
