/* cmd_web: the web console's sign-in: `rota web login`, `rota web logout`. */
#ifndef ROTA_CMD_WEB_H
#define ROTA_CMD_WEB_H

#include "session.h"

int cmd_web_command(session_t *s, int argc, char **argv);

#endif
