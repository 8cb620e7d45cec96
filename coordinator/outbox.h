/* outbox: durable notifications and the thread that delivers them.
 *
 * The loop writes a notice with outbox_add in the same transaction as the
 * state change that caused it (an incident opened, a tier climbed, an ack);
 * after the commit it calls outbox_wake. The sender thread reads due rows
 * from its own connection to the store's file (so it sees only committed
 * rows and never blocks the loop), POSTs each to its channel with libcurl,
 * and records the outcome on the row: delivered_ms on a 2xx; on a
 * connection error, a 5xx or a 429 another attempt after an exponential
 * backoff with jitter (a Retry-After header wins); on any other 4xx, or
 * once the row is older than give_up_ms, given_up_ms with last_error. Rows
 * of one incident go to one channel in order: a later row waits while an
 * earlier one is pending. A restarted coordinator resumes from the table;
 * a row recorded delivered is never sent again.
 *
 * Must never: block the loop on the network, or deliver a row that was not
 * committed. */
#ifndef ROTA_OUTBOX_H
#define ROTA_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "channel.h"
#include "store.h"

typedef struct {
	const char *incident_id; /* NULL or "" outside an incident */
	const char *channel;     /* a channel name from the config */
	const char *kind;        /* as notice_t.kind */
	int severity;
	const char *title;
	const char *text;
	const char *hosts; /* comma-separated; may be NULL */
} outbox_item_t;

/* Records a notice in the open turn (store_begin). 0 or -1 (the turn fails). */
int outbox_add(store_t *s, const outbox_item_t *item, int64_t now_ms);

typedef struct {
	const char *db_path;       /* the store's file */
	const channel_t *channels; /* copied */
	size_t channel_count;
	const char *link_base; /* may be NULL */
	int64_t give_up_ms;    /* OUTBOX_GIVE_UP_MS when 0 */
	int64_t backoff_ms;    /* first retry delay; OUTBOX_BACKOFF_MS when 0 */
	int64_t max_backoff_ms;
	int64_t timeout_ms; /* per request; OUTBOX_TIMEOUT_MS when 0 */
} outbox_config_t;

#define OUTBOX_GIVE_UP_MS (24LL * 3600 * 1000)
#define OUTBOX_BACKOFF_MS 1000
#define OUTBOX_MAX_BACKOFF_MS (5LL * 60 * 1000)
#define OUTBOX_TIMEOUT_MS 10000

typedef struct {
	uint64_t delivered; /* rows recorded delivered */
	uint64_t failures;  /* attempts that failed (each retry counts) */
	uint64_t given_up;  /* rows given up on */
} outbox_stats_t;

typedef struct outbox outbox_t;

/* Starts the sender thread. NULL with *error (caller frees) on failure. */
outbox_t *outbox_start(const outbox_config_t *cfg, char **error);
/* Tells the sender that committed rows may be due now. Cheap, never blocks. */
void outbox_wake(outbox_t *o);
/* Counters since start (read without locking the sender out). */
void outbox_stats(outbox_t *o, outbox_stats_t *out);
/* Stops the thread: transfers in flight are abandoned (their rows stay
 * pending and go out after the next start). Returns within a second. */
void outbox_stop(outbox_t **op);

#endif
