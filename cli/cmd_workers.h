/* cmd_workers: the `rota workers` command — the fleet as the coordinator sees
 * it: each worker, its labels, whether it is connected, and what it runs —
 * and `rota workers remove ID`, which makes it forget one. */
#ifndef ROTA_CMD_WORKERS_H
#define ROTA_CMD_WORKERS_H

#include "session.h"

/* argv[0] is "workers"; "workers remove ID" forgets a worker (admin).
 * Returns an exit code. */
int cmd_workers_list(session_t *s, int argc, char **argv);

#endif
