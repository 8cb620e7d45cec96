/* cmd_note: `rota note INC-7|RUN TEXT [--kind K]` — what an operator did,
 * found, or thinks caused an incident, written on its timeline (or on a
 * run) with their name and the time; and how a note reads wherever notes
 * are shown (rota show, rota incident show). */
#ifndef ROTA_CMD_NOTE_H
#define ROTA_CMD_NOTE_H

#include "json.h"
#include "session.h"

/* argv[0] is "note". Exit code: CLI_EXIT_REFUSED when the coordinator says
 * no (no such incident or run), CLI_EXIT_USAGE for a bad --kind. */
int cmd_note_write(session_t *s, int argc, char **argv);
/* Who the coordinator records as acting when CURVE does not say: the
 * login name. */
const char *cmd_note_author(void);
/* A note as a timeline's text: "(kind) author: text", malloc'd. */
char *cmd_note_line(const Rota__IncidentEvent *e);
/* The note's members of a JSON object: at_ms, kind, by, text. */
void cmd_note_json(json_t *j, const Rota__IncidentEvent *e);

#endif
