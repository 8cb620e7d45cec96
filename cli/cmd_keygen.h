/* cmd_keygen: `rota keygen NAME [--out DIR] [--force]`, a CURVE key pair.
 *
 * Writes DIR/NAME.key and DIR/NAME.key_secret (keys.h), prints the public
 * key and where both went. Needs no coordinator. */
#ifndef ROTA_CMD_KEYGEN_H
#define ROTA_CMD_KEYGEN_H

#include "session.h"

int cmd_keygen_run(session_t *s, int argc, char **argv);

#endif
