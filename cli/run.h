/* run: the commands about runs — submit one, list them, show one.
 *
 * Each takes its argv (argv[0] the command name), parses its own options,
 * asks the coordinator through the session and prints the answer as a
 * table or, with --json, one JSON document on stdout. Each returns the
 * CLI's exit code. */
#ifndef ROTA_RUN_H
#define ROTA_RUN_H

#include <stdint.h>

#include "json.h"
#include "rota.pb-c.h"
#include "session.h"

int run_submit(session_t *s, int argc, char **argv);
int run_list(session_t *s, int argc, char **argv);
int run_show(session_t *s, int argc, char **argv);

/* One run as `runs --json` writes it (an object), for every command that
 * lists runs, so they stay one shape; now_ms times a run not yet ended. */
void run_json_summary(json_t *j, const Rota__RunSummary *r, int64_t now_ms);

#endif
