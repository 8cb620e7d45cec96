/* cmd_review: `rota incident review INC-7 [--out FILE]`: the post-incident
 * review of an incident in Markdown (common/incidentreview.h), built from
 * what incident show and show answer, so it needs no more than a viewer's
 * role. */
#ifndef ROTA_CMD_REVIEW_H
#define ROTA_CMD_REVIEW_H

#include "session.h"

/* argv[0] is "review". Exit codes: CLI_EXIT_USAGE, CLI_EXIT_REFUSED (no such
 * incident), CLI_EXIT_RUN_FAILED (the file could not be written). */
int cmd_review_write(session_t *s, int argc, char **argv);

#endif
