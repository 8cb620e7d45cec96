/* cmd_keys: the `rota keys` command — the keys the coordinator admits now
 * (worker keys with whether each is connected, operator keys with their
 * roles) and its own key's fingerprint. Admin only: the coordinator
 * refuses it to other roles. */
#ifndef ROTA_CMD_KEYS_H
#define ROTA_CMD_KEYS_H

#include "session.h"

/* argv[0] is "keys". Returns an exit code. */
int cmd_keys_list(session_t *s, int argc, char **argv);

#endif
