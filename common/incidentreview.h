/* incidentreview: a post-incident review in Markdown, from what the
 * coordinator recorded of the incident, in the structure of a post-mortem
 * template: severity, status, start and resolution, the times to
 * acknowledge and to resolve, a timeline merged from the incident's
 * events, its runs' steps and its notifications, the runs per host and
 * step, the notifications with their delivery, the notes; the impact
 * (hosts, runs); root cause, resolution and prevention from the notes of
 * those kinds, else marked "To be written".
 *
 * Plain input (the answers of ShowIncident and ShowRun), so the CLI and the
 * console render the same document. docs/incidents.md, "Post-incident
 * review".
 *
 * Must never: drop or reorder an event of the incident's timeline (the
 * review is the record), or put a peer's control characters in the
 * document. */
#ifndef ROTA_INCIDENTREVIEW_H
#define ROTA_INCIDENTREVIEW_H

#include <stddef.h>
#include <stdint.h>

#include "rota.pb-c.h"

/* The document, new (the caller frees). inc: the incident's answer; runs:
 * the answers of its runs (n of them; a run missing here is listed from
 * inc's summary only); now_ms: for an incident still open. */
char *incidentreview_render(const Rota__ShowIncidentResponse *inc,
                            Rota__ShowRunResponse *const *runs, size_t n, int64_t now_ms);

#endif
