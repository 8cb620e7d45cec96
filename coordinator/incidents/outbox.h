/* outbox: durable notifications and the thread that delivers them.
 *
 * The loop writes a notice with outbox_add in the same transaction as the
 * state change that caused it (an incident opened, a tier climbed, an ack);
 * after the commit it calls outbox_wake. The sender thread reads due rows
 * from its own connection to the store's file (so it sees only committed
 * rows and never blocks the loop), POSTs each to its channel with libcurl
 * (Content-Type: application/json, Idempotency-Key: rota-<id> on every
 * channel), and records the outcome on the row: delivered_ms on a 2xx; on
 * a connection error, a timeout, a 5xx, a 408 or a 429 another attempt
 * after an exponential backoff with jitter (a Retry-After header, seconds
 * or HTTP-date, wins); on any other 3xx or 4xx at once, or once the row is
 * older than give_up_ms, given_up_ms with last_error ("HTTP 404: body
 * head", curl's error text, "gave up after N attempts over D: <last
 * error>", "channel X is not configured"). Rows of one incident go to one
 * channel in order: a later row waits while an earlier one is pending.
 * A restarted coordinator resumes from the table; a row recorded delivered
 * is never sent again. Delivery is at least once: a 2xx that could not be
 * recorded before a crash is sent again, with the same Idempotency-Key.
 *
 * Must never: block the loop on the network, or deliver a row that was not
 * committed. */
#ifndef ROTA_OUTBOX_H
#define ROTA_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "channel.h"
#include "store/store.h"

/* A notice: incident_id (NULL or "" outside an incident), channel (a
 * channel name from the config), kind (as notice_t.kind), severity, title,
 * text, hosts (comma-separated; may be NULL). See store/store_outbox.h. */
typedef store_outbox_item_t outbox_item_t;

/* Records a notice in the open turn (store_begin), due at once. Strings are
 * copied. 0, or -1 (logged) when it was not recorded: a store error (the
 * turn fails) or an item without a channel or kind. */
int outbox_add(store_t *s, const outbox_item_t *item, int64_t now_ms);

typedef struct {
	store_options_t store;     /* the store, as store_open was given it */
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
/* Transfers at once, and at most per channel: a receiver that hangs holds
 * up its own notices until their timeout, never another channel's. */
#define OUTBOX_INFLIGHT_MAX 8
#define OUTBOX_INFLIGHT_PER_CHANNEL 4
/* The longest the sender sleeps without a wake or a due row: notices
 * committed without outbox_wake still go out this soon. */
#define OUTBOX_IDLE_MS 1000
/* The sender's own connection waits this long for the loop's write lock
 * (it holds it for one turn's commit only). */
#define OUTBOX_BUSY_TIMEOUT_MS 5000
/* Bytes of a refusal's body kept in last_error ("HTTP 404: no_service"). */
#define OUTBOX_REPLY_KEEP 120
/* Rows given up on per sender turn (the rest in the next turns). */
#define OUTBOX_SCAN_GIVE_UP_MAX 32

typedef struct {
	uint64_t delivered; /* rows recorded delivered */
	uint64_t failures;  /* attempts that failed (each retry counts) */
	uint64_t given_up;  /* rows given up on */
} outbox_stats_t;

typedef struct outbox outbox_t;

/* Opens the sender's own connection to cfg->store (the store must have
 * been opened, so migrated, first) and starts the sender thread; cfg and
 * its channels are copied. Calls curl_global_init (reference counted, from
 * the calling thread: call it before other threads use libcurl). NULL with
 * *error (caller frees) on failure. */
outbox_t *outbox_start(const outbox_config_t *cfg, char **error);
/* Tells the sender that committed rows may be due now. Cheap, never blocks. */
void outbox_wake(outbox_t *o);
/* Counters since start (read without locking the sender out). */
void outbox_stats(outbox_t *o, outbox_stats_t *out);
/* Stops the thread: transfers in flight are abandoned (their rows stay
 * pending and go out after the next start). Returns at once unless the
 * sender is waiting on the store's lock (at most OUTBOX_BUSY_TIMEOUT_MS).
 * NULL is harmless; *op is set to NULL. */
void outbox_stop(outbox_t **op);

#endif
