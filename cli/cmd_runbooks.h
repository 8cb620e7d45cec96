/* cmd_runbooks: `rota runbooks` and `rota reload` — the coordinator's runbook
 * directory as it serves it.
 *
 * Every file is listed with its state: loaded, invalid (not served), or
 * stale (the file is invalid now; the version loaded before still is
 * served). Below the table come the errors of every file that is not
 * loaded, "file:line:column: message", so the operator sees why. */
#ifndef ROTA_CMD_RUNBOOKS_H
#define ROTA_CMD_RUNBOOKS_H

#include "session.h"

/* `rota runbooks [--json]`; argv[0] is "runbooks". Returns an exit code. */
int cmd_runbooks_list(session_t *s, int argc, char **argv);

/* `rota reload [--json]`: the coordinator rereads its directory. Returns
 * CLI_EXIT_OK when every file loaded, CLI_EXIT_RUN_FAILED when some are
 * invalid (their errors printed), or the session's code. */
int cmd_runbooks_reload(session_t *s, int argc, char **argv);

#endif
