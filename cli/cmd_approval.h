/* cmd_approval: `rota approve` and `rota reject` — the operator's answer to a
 * manual step that waits in a run.
 *
 * One ApproveRequest releases (or fails) the step on every host waiting at
 * it; the coordinator resolves the run id ("last", a unique start or end) as for
 * `show`, and refuses with ERR_CONFLICT a step that is not waiting. */
#ifndef ROTA_CMD_APPROVAL_H
#define ROTA_CMD_APPROVAL_H

#include "session.h"

/* argv[0] is "approve" or "reject"; the rest is RUN STEP [--note TEXT]
 * [--json]. Returns an exit code: CLI_EXIT_REFUSED when the coordinator
 * says no (the step is not waiting, no such run). */
int cmd_approval_approve(session_t *s, int argc, char **argv);
int cmd_approval_reject(session_t *s, int argc, char **argv);

#endif
