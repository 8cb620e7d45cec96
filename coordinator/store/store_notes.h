/* store_notes: what operators write on incidents and runs (rota note), and
 * who decided a manual step (schema 8). Part of the store room's public
 * header (store.h includes it). An incident's note is a line of its
 * timeline (incident_events, kind "note"); a run's is a run_notes row.
 *
 * Must never: write outside the turn's transaction (each write begins it). */
#ifndef ROTA_STORE_NOTES_H
#define ROTA_STORE_NOTES_H

#include <stdint.h>

#include "rota.pb-c.h"

typedef struct store store_t;

/* One note; every string borrowed. */
typedef struct {
	int64_t at_ms;
	const char *kind;   /* action | finding | cause | prevention */
	const char *author; /* the operator */
	const char *text;
} store_note_t;

/* A note on incident id's timeline. 0, or -1 (the turn marked failed). */
int store_note_incident_add(store_t *s, const char *id, const store_note_t *n);
/* A note on run run_id. 0, or -1 (the turn marked failed). */
int store_note_run_add(store_t *s, const char *run_id, const store_note_t *n);
/* The run's notes (oldest first) and the incidents it is linked to, into
 * out->notes and out->incident_ids (every field malloc'd). 0 or -1. */
int store_note_run_list(store_t *s, const char *run_id, Rota__ShowRunResponse *out);
/* Who approved (or rejected) the manual step at store row `row`, and when.
 * 0, or -1 (the turn marked failed). */
int store_note_approver(store_t *s, int64_t row, const char *by, int64_t at_ms);

#endif
