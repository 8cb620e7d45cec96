/* keylist: the `rota keys` command — the keys the coordinator admits now
 * (worker keys with whether each is connected, operator keys with their
 * roles) and its own key's fingerprint. Admin only: the coordinator
 * refuses it to other roles. */
#ifndef ROTA_KEYLIST_H
#define ROTA_KEYLIST_H

#include "session.h"

/* argv[0] is "keys". Returns an exit code. */
int keylist_command(session_t *s, int argc, char **argv);

#endif
