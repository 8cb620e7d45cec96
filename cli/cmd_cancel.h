/* cmd_cancel: `rota cancel RUN [--host H]` — stop a run, or one host's part of
 * it, and wait until every step that was running has really stopped.
 *
 * The coordinator answers at once; steps running on workers end when their
 * worker confirms the kill (SIGTERM, grace, SIGKILL) or the coordinator's
 * watchdog declares them lost, so this command follows the run with ShowRun
 * until nothing of it is in flight, then prints each host's outcome. */
#ifndef ROTA_CMD_CANCEL_H
#define ROTA_CMD_CANCEL_H

#include "session.h"

/* argv[0] is "cancel"; the rest is RUN [--host H] [--note TEXT] [--json].
 * Returns an exit code: 0 once everything it cancelled has stopped,
 * CLI_EXIT_REFUSED when the run has already ended or has no such host. */
int cmd_cancel_run(session_t *s, int argc, char **argv);

#endif
