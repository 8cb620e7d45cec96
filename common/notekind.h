/* notekind: the kinds of note an operator writes on an incident or a run
 * (rota note --kind), the one list the CLI and the coordinator check
 * against, in the order a post-incident review reads them. */
#ifndef ROTA_NOTEKIND_H
#define ROTA_NOTEKIND_H

#include <stdbool.h>

/* The kind a note has when none is given. */
#define NOTEKIND_DEFAULT "action"

/* Whether kind is one of the kinds. */
bool notekind_valid(const char *kind);
/* "action, finding, cause or prevention", for messages. */
const char *notekind_choices(void);

#endif
