/* cmd_backup: the `rota backup FILE` command: the coordinator copies its
 * store to FILE, a path on the coordinator's host, while it keeps working;
 * the command follows the copy (through rota status) to its end and says
 * what was written. Admin only. */
#ifndef ROTA_CMD_BACKUP_H
#define ROTA_CMD_BACKUP_H

#include "json.h"
#include "session.h"

/* argv[0] is "backup". Returns an exit code: 1 when the backup failed. */
int cmd_backup_run(session_t *s, int argc, char **argv);
/* A BackupInfo's members, into the object j has open (rota status uses
 * it too). */
void cmd_backup_json_members(json_t *j, const Rota__BackupInfo *b);
/* One line on a backup, for rota status: "ok /path at TIME (...)". */
void cmd_backup_line(const Rota__BackupInfo *b, char *buf, size_t len);

#endif
