/* cmd_lint: the `rota lint` command — checks runbook files on this machine,
 * without a coordinator, and reports every error with file:line:column. */
#ifndef ROTA_CMD_LINT_H
#define ROTA_CMD_LINT_H

#include "session.h"

/* argv[0] is "lint". s is not used: lint never talks to a coordinator (it
 * takes one only to fit main's command table). Returns an exit code: 0
 * every file is valid, 1 at least one error, 2 usage. */
int cmd_lint_files(session_t *s, int argc, char **argv);

#endif
