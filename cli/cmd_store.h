/* cmd_store: the `rota prune` command — retention now, or with --dry-run
 * what it would delete, per table (docs/operations.md, "Retention").
 * Admin only: the coordinator refuses it to other roles. */
#ifndef ROTA_CMD_STORE_H
#define ROTA_CMD_STORE_H

#include "session.h"

/* argv[0] is "prune". Returns an exit code. */
int cmd_store_prune(session_t *s, int argc, char **argv);

#endif
