/* cmd_schedules: `rota schedules` — when the coordinator's scheduled runbooks
 * fire next and how they last ran — and `rota schedules --next N NAME`,
 * the next N fire times of one schedule.
 *
 * NAME may be a runbook file (it holds a '/' or ends in .yaml/.yml): then
 * the file is parsed and the times computed here, with no coordinator, so
 * an operator can check a cron line before installing it. */
#ifndef ROTA_CMD_SCHEDULES_H
#define ROTA_CMD_SCHEDULES_H

#include "session.h"

/* argv[0] is "schedules". Returns an exit code; for a file, an invalid
 * runbook or one without a schedule is CLI_EXIT_RUN_FAILED (as `reload`
 * says of an invalid file), a missing file CLI_EXIT_USAGE. */
int cmd_schedules_list(session_t *s, int argc, char **argv);

#endif
