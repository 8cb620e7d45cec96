/* incidentview: an incident as the CLI shows it, on the terminal and in
 * JSON (the shapes cli/README.md documents).
 *
 * Times in the text are UTC; "in 4m" and "3s ago" are by the now_ms given.
 * Nothing here asks the coordinator anything. */
#ifndef ROTA_INCIDENTVIEW_H
#define ROTA_INCIDENTVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"
#include "rota.pb-c.h"

/* One line on stdout with a peer's strings in it, control characters
 * replaced as table cells do. */
void incidentview_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* s, or "" for NULL. Borrowed. */
const char *incidentview_text(const char *s);
/* A wall time as "2026-11-23 08:00:01 UTC", or "-" for 0. */
void incidentview_time(int64_t ms, char *buf, size_t len);
/* "w1, w2, w3 +2" with at most max names (0: all), or "-"; the caller
 * frees it. */
char *incidentview_hosts(const Rota__IncidentInfo *inc, size_t max);
/* What the list says of the climb: "ack due in 9m, next escalation in
 * 4m", "ACK OVERDUE, ...", "stopped: acked by bob", or "-" once resolved. */
void incidentview_escalation(const Rota__IncidentInfo *inc, int64_t now_ms, char *buf, size_t len);
/* The IncidentInfo of an answer to what ("ack"), or NULL after saying on
 * stderr that the answer has none (a coordinator of another version). */
const Rota__IncidentInfo *incidentview_of(const Rota__IncidentInfo *inc, const char *what);

/* `incident show` as one JSON document on stdout, or as the head,
 * timeline, notifications and runs tables. */
void incidentview_show_json(const Rota__ShowIncidentResponse *show, int64_t now_ms);
void incidentview_show_text(const Rota__ShowIncidentResponse *show, int64_t now_ms);

#endif
