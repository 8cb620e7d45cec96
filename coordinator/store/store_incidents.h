/* store_incidents: the incidents room's tables (incidents, incident_events,
 * incident_runs, escalations, alerts; schema 4) behind functions named for
 * what they do, so coordinator/incidents/ writes no SQL. Part of the store
 * room's public header (store.h includes it).
 *
 * Writers write in the turn's transaction: the caller opens it with
 * store_begin first, as the incidents module always has, and a failed
 * write marks the turn failed. Strings are copied; what a function returns
 * in a store_incident_t or a strlist_t is the caller's to free.
 *
 * Must never: open or commit a transaction of its own. */
#ifndef ROTA_STORE_INCIDENTS_H
#define ROTA_STORE_INCIDENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rota.pb-c.h"
#include "strlist.h"

typedef struct store store_t;

/* One incident row, as the climb and the API need it. NULL columns read
 * as "" (runbook, acked_by, note). */
typedef struct {
	char *id, *title, *status, *source, *runbook, *hosts, *policy, *acked_by, *note; /* owned */
	int severity, tier;
	bool overdue;
	int64_t next_ms, ack_due_ms, created_ms, acked_ms, resolved_ms;
} store_incident_t;
/* Frees the strings of r and zeroes it. */
void store_incident_clear(store_incident_t *r);

/* A new incident, triggered. */
typedef struct {
	const char *id;
	const char *title;
	int severity;
	const char *source;
	const char *runbook; /* may be NULL */
	const char *hosts;   /* "" when none */
	const char *policy;
	int64_t ack_due_ms;
	int64_t created_ms;
	const char *dedup; /* may be NULL */
} store_incident_new_t;

/* "INC-<n>" into id, n one past the highest number used. 0, or -1 (the
 * turn marked failed). */
int store_incident_next_id(store_t *s, char *id, size_t len);
int store_incident_insert(store_t *s, const store_incident_new_t *n);
/* 0 and *r filled (store_incident_clear), 1 when there is none, -1. */
int store_incident_get(store_t *s, const char *id, store_incident_t *r);
/* The climb's state: tier, when to look next (0: never), overdue. */
int store_incident_set_climb(store_t *s, const char *id, int tier, int64_t next_ms, bool overdue);
/* Status, acked_ms, acked_by, resolved_ms and note of r (an empty acked_by
 * or note is stored as NULL); next_ms becomes 0. */
int store_incident_set_status(store_t *s, const store_incident_t *r);
int store_incident_set_hosts(store_t *s, const char *id, const char *hosts);
/* Adds a line to the incident's timeline. */
int store_incident_event_add(store_t *s, const char *id, int64_t at_ms, const char *kind,
                             const char *text);
/* Records that tier was notified (channels: their names, joined). */
int store_incident_escalation_add(store_t *s, const char *id, int tier, int64_t at_ms,
                                  const char *channels);
/* When tier was last notified; 0 when never or on error. */
int64_t store_incident_last_escalation(store_t *s, const char *id, int tier);
int store_incident_link_run(store_t *s, const char *id, const char *run_id);

/* The newest unresolved incident with this dedup key, and the incident a
 * run belongs to: 1 (id filled), 0 none, -1. */
int store_incident_find_open(store_t *s, const char *dedup, char *id, size_t len);
int store_incident_of_run(store_t *s, const char *run_id, char *id, size_t len);
/* Every channel the incident's trigger, escalations and overdue notices
 * went to, added to *channels. 0, or -1 (the turn marked failed). */
int store_incident_notified(store_t *s, const char *id, strlist_t *channels);
/* The earliest next_ms of any incident (0: none). 0 or -1. */
int store_incident_min_due(store_t *s, int64_t *next_ms);
/* The ids of incidents due by now (at most 100), added to *ids. 0 or -1. */
int store_incident_due(store_t *s, int64_t now_ms, strlist_t *ids);
/* The newest incidents (only unresolved ones with open_only), at most
 * limit: *rows (caller frees with store_incident_rows_free) and *count,
 * also on -1 (what was read before the error). */
int store_incident_list(store_t *s, bool open_only, uint32_t limit, store_incident_t **rows,
                        size_t *count);
void store_incident_rows_free(store_incident_t *rows, size_t count);
/* The runs linked to the incident, added to *runs; -1 when it cannot ask. */
int store_incident_runs(store_t *s, const char *id, strlist_t *runs);
/* Its notices pending and given up; left as they are when unreadable. */
int store_incident_delivery_counts(store_t *s, const char *id, uint32_t *pending, uint32_t *failed);
/* The incident's timeline and its notices into out (events, deliveries;
 * every field malloc'd). 0 or -1. */
int store_incident_events(store_t *s, const char *id, Rota__ShowIncidentResponse *out);
int store_incident_deliveries(store_t *s, const char *id, Rota__ShowIncidentResponse *out);
/* For /metrics: counts[severity 1-4][0 triggered, 1 acknowledged, 2
 * resolved], zeroed first. */
int store_incident_counts(store_t *s, uint64_t counts[5][3]);

/* An alert by fingerprint: 1 with its incident, its status and whether
 * the incident is unresolved; 0 unknown; -1. */
int store_alert_get(store_t *s, const char *fingerprint, char *incident_id, size_t id_len,
                    char *status, size_t status_len, bool *incident_open);
int store_alert_put(store_t *s, const char *fingerprint, const char *incident_id,
                    const char *status, const char *alertname, const char *host, const char *run_id,
                    int64_t starts_ms, int64_t now_ms);
/* How many of the incident's alerts are firing; -1 on error. */
int store_alerts_firing(store_t *s, const char *incident_id);

#endif
