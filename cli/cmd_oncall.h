/* cmd_oncall: `rota oncall [ROTATION] [--at TIME] [--json]` (who is on
 * call at an instant, now by default, and who is next, per rotation) and
 * `rota oncall override ROTATION --person P --from TIME --until TIME`
 * (someone covers the rotation for a while; the operator role, audited). */
#ifndef ROTA_CMD_ONCALL_H
#define ROTA_CMD_ONCALL_H

#include "session.h"

/* argv[0] is "oncall". Exit code: CLI_EXIT_REFUSED when the coordinator
 * says no (no such rotation or person, a role too low). */
int cmd_oncall_command(session_t *s, int argc, char **argv);

#endif
