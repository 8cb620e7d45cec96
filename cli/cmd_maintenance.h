/* cmd_maintenance: `rota maintenance start|list|end` — maintenance
 * windows, during which a host's scheduled runs skip it, its alerts page
 * no one and a manual submit needs --force; and `rota incidents --stats`,
 * how fast incidents were acknowledged and resolved. */
#ifndef ROTA_CMD_MAINTENANCE_H
#define ROTA_CMD_MAINTENANCE_H

#include <stdbool.h>
#include <stdint.h>

#include "session.h"

/* argv[0] is "maintenance", argv[1] the verb. */
int cmd_maintenance_command(session_t *s, int argc, char **argv);
/* rota incidents --stats [--since D]: the incidents of the period_ms
 * before the coordinator's now. */
int cmd_maintenance_stats(session_t *s, int64_t period_ms, bool json);

#endif
