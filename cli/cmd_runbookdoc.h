/* cmd_runbookdoc: `rota runbook show NAME [--markdown|--json]` (and its
 * alias `rota runbooks NAME`) and `rota runbook docs --out DIR`: runbooks
 * read as documents (common/runbookdoc.h).
 *
 * A runbook of the coordinator's catalog is shown from the coordinator's
 * answer to ShowRunbook (its text, its schedule's next fire times, the
 * tiers and timings of the escalation policy its incidents really
 * follow), rendered here by the one model every output shares: Markdown,
 * or the JSON GET /v1/runbooks/NAME serves. `runbook docs` gets every
 * page rendered by the coordinator from the same answer. `--file PATH`
 * renders a local file here, without asking anyone (its escalation
 * section names the policy only). */
#ifndef ROTA_CMD_RUNBOOKDOC_H
#define ROTA_CMD_RUNBOOKDOC_H

#include <stdbool.h>

#include "session.h"

/* argv[0] is "runbook"; argv[1] show or docs. Exit codes: CLI_EXIT_USAGE,
 * CLI_EXIT_REFUSED (unknown runbook), CLI_EXIT_RUN_FAILED (a local file
 * that does not parse, or a page that could not be written). */
int cmd_runbookdoc_command(session_t *s, int argc, char **argv);
/* `runbook show NAME`: the document of name, as Markdown or (json) the
 * JSON document; returns the exit code. */
int cmd_runbookdoc_show_name(session_t *s, const char *name, bool json);

#endif
