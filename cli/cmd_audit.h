/* cmd_audit: the `rota audit` command — who did what to the coordinator
 * (every state-changing request, with its outcome) and who failed to get
 * in. Admin only: the coordinator refuses it to other roles. */
#ifndef ROTA_CMD_AUDIT_H
#define ROTA_CMD_AUDIT_H

#include <stdint.h>

#include "session.h"

/* argv[0] is "audit". Returns an exit code. */
int cmd_audit_list(session_t *s, int argc, char **argv);

/* --since T: a duration back from now_ms (1h, 30m, 2d) or an RFC 3339
 * time (2026-11-23T08:00:00Z, with an optional fraction and a Z or
 * +HH:MM offset). 0 with *since_ms, or -1. */
int cmd_audit_parse_since(const char *text, int64_t now_ms, int64_t *since_ms);

#endif
