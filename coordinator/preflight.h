/* preflight: `rota-coordinator --check`, like OpenBSD's `httpd -n`.
 *
 * Reads what the coordinator would read at start (the configuration file,
 * every runbook in the runbook directory, the key files, the HTTP token)
 * the same way it would, and prints every problem, one per line, as
 * file:line:column where the reader knows the position. Names a notify
 * step or an escalation gives that the configuration lacks as warnings.
 * Starts nothing: no store, no socket, no lock.
 *
 * Must never: open the store or bind a socket (a running coordinator may
 * own both). */
#ifndef ROTA_PREFLIGHT_H
#define ROTA_PREFLIGHT_H

#include <stdio.h>

#include "coordinator.h"

/* Problems go to err; "configuration OK ..." to out. Returns 0 when
 * nothing would stop the coordinator from starting, else 1. */
int preflight_run(const coordinator_config_t *cfg, FILE *out, FILE *err);

#endif
