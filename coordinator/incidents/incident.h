/* incident: incidents, their timeline, and the escalation that climbs them.
 *
 * An incident is opened by an operator (rota incident open), an alert
 * (Alertmanager) or a failed scheduled run; it moves triggered ->
 * acknowledged -> resolved (or straight to resolved). While it is
 * triggered, its escalation policy (config.h) notifies tier after tier at
 * the tiers' times since it opened, and once at the acknowledgement
 * deadline of its severity; the last tier may repeat. Each notification is
 * an outbox row written in the same turn as the change that caused it, so
 * a notification is never sent for a change that did not commit, and never
 * lost for one that did. ack stops the climb; ack and resolve tell every
 * channel that was notified.
 *
 * State lives in the store only (the tables of schema 4); the module keeps
 * nothing but when it next has to look, so a restart resumes the climb
 * where the store says it is, and a climb that fell due while the
 * coordinator was down happens at once.
 *
 * Must never: notify a tier twice, climb an acknowledged incident, or keep
 * state the store does not have. */
#ifndef ROTA_INCIDENT_H
#define ROTA_INCIDENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The coordinator's configuration (config.h, at the core: it includes this
 * room for its channels, so this header only names the type). */
typedef struct config config_t;
#include "rota.pb-c.h"
#include "store/store.h"

#define INCIDENT_ID_MAX 32
#define INCIDENT_DEFAULT_SEVERITY 3

typedef struct incidents incidents_t;

typedef struct {
	const char *title;
	int severity;        /* 1-4; 0: INCIDENT_DEFAULT_SEVERITY */
	const char *source;  /* cli | alertmanager | run-failure */
	const char *runbook; /* may be NULL */
	const char *hosts;   /* comma-separated; may be NULL */
	const char *policy;  /* NULL: "default" */
	const char *dedup;   /* what later failures or alerts find it by; may be NULL */
	const char *by;      /* who opened it, for the timeline; may be NULL */
	/* Set when its host is in a maintenance window (says which): the
	 * incident is recorded as suppressed, closed at once; nobody is
	 * notified and nothing climbs. NULL: opened as usual. */
	const char *suppressed;
} incident_spec_t;

/* config is borrowed and must outlive the module. */
incidents_t *incidents_new(store_t *store, const config_t *config);
void incidents_destroy(incidents_t **ip);
/* Who is on call (oncall.h; borrowed, must outlive the module), for tiers
 * that notify oncall:ROTATION. Unset: the configuration's overrides only. */
typedef struct oncall oncall_t;
void incidents_set_oncall(incidents_t *in, oncall_t *oncall);

/* True (once) when this turn added outbox rows: after the commit the
 * coordinator wakes the sender. */
bool incidents_take_wake(incidents_t *in);
/* Forgets what it cached of a turn that did not commit. */
void incidents_resync(incidents_t *in);
/* Marks that a notice was queued by someone else (a notify step). */
void incidents_set_wake(incidents_t *in);

/* Opens an incident and notifies its first tier. 0 and id, or -1. */
int incidents_open(incidents_t *in, const incident_spec_t *spec, int64_t now_ms, char *id,
                   size_t len);
/* The unresolved incident with this dedup key: 1 (id filled), 0 none, -1. */
int incidents_find_open(incidents_t *in, const char *dedup, char *id, size_t len);
/* Adds a line to the timeline. */
int incidents_note(incidents_t *in, const char *id, const char *kind, const char *text,
                   int64_t now_ms);
int incidents_link_run(incidents_t *in, const char *id, const char *run_id);
/* Adds hosts (comma-separated) not listed yet. */
int incidents_add_hosts(incidents_t *in, const char *id, const char *hosts);
/* The incident a run belongs to: 1 (id filled), 0 none, -1. */
int incidents_of_run(incidents_t *in, const char *run_id, char *id, size_t len);
/* Whether incident id is resolved: 1 (*resolved_ms set), 0 not, -1 when
 * it cannot be read. A resolved incident's runs send no notify step: a
 * page for it now would reopen it on the pager. */
int incidents_resolved_at(incidents_t *in, const char *id, int64_t *resolved_ms);
/* rota note on incident id (open or resolved): kind, author and text on
 * its timeline. 0, or -1 with *code and *error (caller frees). */
int incidents_write_note(incidents_t *in, const char *id, const char *kind, const char *author,
                         const char *text, int64_t now_ms, int *code, char **error);

/* ack and resolve: 0, or -1 with *code (a Rota__ErrorCode) and *error
 * (caller frees) saying why not. */
int incidents_ack(incidents_t *in, const char *id, const char *by, const char *note, int64_t now_ms,
                  int *code, char **error);
int incidents_resolve(incidents_t *in, const char *id, const char *by, const char *note,
                      int64_t now_ms, int *code, char **error);

/* Climbs every incident whose time came; cheap when none did. */
int incidents_tick(incidents_t *in, int64_t now_ms);

/* "INC-7", "inc-7" or "7" into the stored id: 0 (*id, caller frees) or -1
 * with *error. */
int incidents_resolve_id(incidents_t *in, const char *text, char **id, char **error);

/* Queries for the API; every field malloc'd (free with the message's
 * free_unpacked, or incidents_info_clear for a bare IncidentInfo). */
int incidents_list(incidents_t *in, bool open_only, uint32_t limit,
                   Rota__ListIncidentsResponse *out);
int incidents_show(incidents_t *in, const char *id, Rota__ShowIncidentResponse *out);
/* 0, 1 when there is no such incident, -1. */
int incidents_info(incidents_t *in, const char *id, Rota__IncidentInfo *out);
void incidents_info_clear(Rota__IncidentInfo *info);

/* Alerts an incident was opened or updated for, by fingerprint. */
typedef struct {
	char incident_id[INCIDENT_ID_MAX];
	char status[16]; /* firing | resolved */
	bool incident_open;
} incident_alert_t;
/* 1 (filled), 0 unknown, -1. */
int incidents_alert_get(incidents_t *in, const char *fingerprint, incident_alert_t *out);
int incidents_alert_put(incidents_t *in, const char *fingerprint, const char *incident_id,
                        const char *status, const char *alertname, const char *host,
                        const char *run_id, int64_t starts_ms, int64_t now_ms);
/* How many of the incident's alerts are still firing; -1 on error. */
int incidents_alerts_firing(incidents_t *in, const char *incident_id);

/* For /metrics: counts[severity 1-4][0 triggered, 1 acknowledged, 2 resolved]. */
int incidents_counts(incidents_t *in, uint64_t counts[5][3]);
/* Outbox rows pending and given up (for /metrics). */
int incidents_outbox_counts(incidents_t *in, uint64_t *pending, uint64_t *given_up);

#endif
