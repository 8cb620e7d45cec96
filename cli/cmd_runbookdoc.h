/* cmd_runbookdoc: `rota runbook show NAME --markdown` and `rota runbook
 * docs --out DIR`: runbooks read as documents (common/runbookdoc.h).
 *
 * A runbook of the coordinator's catalog is rendered by the coordinator,
 * with the tiers and timings of the escalation policy its incidents
 * really follow; `--file PATH` renders a local file here, without asking
 * anyone (its escalation section names the policy only). */
#ifndef ROTA_CMD_RUNBOOKDOC_H
#define ROTA_CMD_RUNBOOKDOC_H

#include "session.h"

/* argv[0] is "runbook"; argv[1] show or docs. Exit codes: CLI_EXIT_USAGE,
 * CLI_EXIT_REFUSED (unknown runbook), CLI_EXIT_RUN_FAILED (a local file
 * that does not parse, or a page that could not be written). */
int cmd_runbookdoc_command(session_t *s, int argc, char **argv);

#endif
