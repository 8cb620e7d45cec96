/* follow: a run's step output, from the coordinator to the terminal.
 *
 * `rota logs` and the following half of `rota submit --wait` both page
 * through LogsRequest with the cursor the coordinator hands back, and
 * print chunks through a transcript. */
#ifndef ROTA_FOLLOW_H
#define ROTA_FOLLOW_H

#include "session.h"

#define FOLLOW_QUIET 1u /* print nothing */
#define FOLLOW_RAW 2u   /* the steps' bytes as they are, not sanitized */

/* Prints the output of run_id (host NULL or "" for every host) to stdout,
 * or nothing with FOLLOW_QUIET in flags, from the start; with follow, keeps polling every
 * CLI_POLL_INTERVAL_MS until the run is terminal. *run_status is the
 * last status the coordinator reported. Returns an exit code (the session
 * has printed why when it is not CLI_EXIT_OK). */
int follow_run(session_t *s, const char *run_id, const char *host, int follow, unsigned flags,
               int *run_status);

/* Waits (at most about 2 s) for the next committed change of run_id (of
 * host's steps when host is set) after *cursor (0: from now on), and moves
 * *cursor past it: cancel's wait for the end. CLI_EXIT_OK, an exit code
 * having said why, or CLI_EXIT_UNKNOWN_REQUEST (unsaid) from a coordinator
 * without the event stream. */
int follow_next_change(session_t *s, const char *run_id, const char *host, uint64_t *cursor);

#endif
