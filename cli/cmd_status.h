/* cmd_status: the `rota status` command — which coordinator this is, how it is
 * secured (CURVE, or --insecure), who the caller is to it, and how busy it
 * is. */
#ifndef ROTA_CMD_STATUS_H
#define ROTA_CMD_STATUS_H

#include "session.h"

/* argv[0] is "status". Returns an exit code. */
int cmd_status_show(session_t *s, int argc, char **argv);

#endif
