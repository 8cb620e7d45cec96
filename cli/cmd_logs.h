/* cmd_logs: `rota logs`, a run's step output, paged or followed. */
#ifndef ROTA_CMD_LOGS_H
#define ROTA_CMD_LOGS_H

#include "session.h"

/* `rota logs RUN [--host H] [-f] [--raw]`; argv[0] is "logs". Returns an
 * exit code. */
int cmd_logs_print(session_t *s, int argc, char **argv);

#endif
