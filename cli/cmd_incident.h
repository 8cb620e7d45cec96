/* cmd_incident: the operator's side of incidents — open one with a runbook,
 * list them, show one (timeline, notifications, runs), acknowledge and
 * resolve.
 *
 * The coordinator owns every decision (who is notified, when a tier
 * escalates, whether an ack is late); these commands only ask and print.
 * Times in the text are UTC, as everywhere in the CLI; "in 4m" and "3s
 * ago" are by this host's clock. --json prints one document whose shape
 * cli/README.md documents.
 *
 * Must never: print a notification that failed in a way that reads like
 * one still on its way; failed deliveries are shown as FAILED. */
#ifndef ROTA_CMD_INCIDENT_H
#define ROTA_CMD_INCIDENT_H

#include "session.h"

/* `rota incident open|show ...`; argv[0] is "incident". */
int cmd_incident_command(session_t *s, int argc, char **argv);
/* `rota incidents [--open] [--limit N] [--json]`. */
int cmd_incident_list(session_t *s, int argc, char **argv);
/* `rota ack ID [--note TEXT] [--json]`; CLI_EXIT_REFUSED (the
 * coordinator's message printed) when it is acknowledged or resolved. */
int cmd_incident_ack(session_t *s, int argc, char **argv);
/* `rota resolve ID [--note TEXT] [--json]`; CLI_EXIT_REFUSED when it is
 * resolved already. */
int cmd_incident_resolve(session_t *s, int argc, char **argv);

#endif
