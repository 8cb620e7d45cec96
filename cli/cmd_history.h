/* cmd_history: the commands that look back at what ran — `runs` (filtered,
 * a page at a time), `history RUNBOOK` (what its runs came to) and
 * `search TEXT` (stored step output).
 *
 * Each takes its argv (argv[0] the command name), parses its own options,
 * asks the coordinator through the session and prints the answer as text
 * or, with --json, one JSON document on stdout. Each returns the CLI's
 * exit code. */
#ifndef ROTA_CMD_HISTORY_H
#define ROTA_CMD_HISTORY_H

#include "session.h"

int cmd_history_runs(session_t *s, int argc, char **argv);
int cmd_history_show(session_t *s, int argc, char **argv);
int cmd_history_search(session_t *s, int argc, char **argv);

#endif
