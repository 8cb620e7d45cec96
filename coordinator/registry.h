/* registry: the workers the coordinator knows, in memory.
 *
 * A worker is connected from its Hello until it is silent for
 * REGISTRY_LOST_INTERVALS heartbeat intervals; then it is lost until it says
 * Hello again, or stopped if it said Goodbye first. The registry only keeps the facts; the
 * coordinator persists them and the dispatcher decides what a loss means for runs. */
#ifndef ROTA_REGISTRY_H
#define ROTA_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rota.pb-c.h"

#define REGISTRY_LOST_INTERVALS 5

typedef struct {
	char *key;
	char *value;
} registry_label_t;

typedef struct {
	char *id;                 /* owned; equals its ROUTER identity */
	char *hostname;           /* owned */
	char *version;            /* owned */
	registry_label_t *labels; /* owned */
	size_t label_count;
	bool connected;
	int64_t last_seen_mono;
	int64_t last_seen_wall;
	uint32_t running;  /* steps in flight on it, kept by the dispatcher */
	uint32_t capacity; /* steps it runs at once at most (from Hello; 0 = no limit) */
	/* It said Goodbye: it finishes what it runs and is sent nothing new
	 * until it says Hello again. Kept when it goes silent after: it is
	 * then stopped, not lost (registry_state). */
	bool stopping;
	/* The connection that said Hello (wire_msg_t): messages from another
	 * connection under this id are not its own. */
	int conn_fd;
	char peer[64];
	uint64_t instance; /* Hello.instance; 0 = unknown */
	/* When the coordinator last sent it a Welcome or its own Heartbeat
	 * (COORDINATOR_HEARTBEAT_EVERY). */
	int64_t hb_sent_mono;
	uint32_t replaced; /* connections replaced by another one's Hello */
	/* Why its spool cannot write, from its last Heartbeat ("" = it can,
	 * or the worker is older than the field). */
	char spool_error[200];
} worker_t;

typedef struct registry registry_t;

registry_t *registry_new(void);
void registry_destroy(registry_t **rp);

/* Records a Hello: creates or refreshes the worker and marks it connected. */
worker_t *registry_hello(registry_t *r, const Rota__Hello *hello, int64_t now_mono,
                         int64_t now_wall);
/* Adds a worker known from the store, not connected. */
worker_t *registry_add_known(registry_t *r, const Rota__WorkerInfo *info);
worker_t *registry_find(registry_t *r, const char *id);
/* Forgets the worker (rota workers remove) and frees it: pointers to it
 * die with it, so callers look workers up by id and keep none across a
 * turn. -1 when there is no such worker. */
int registry_remove(registry_t *r, const char *id);
void registry_seen(worker_t *w, int64_t now_mono, int64_t now_wall);
/* Records a Heartbeat's spool_error (NULL = ""); returns 1 when the spool
 * went from working to failing, -1 back, 0 no change. */
int registry_spool_error(worker_t *w, const char *why);
/* Marks connected workers silent for longer than timeout_ms lost; returns
 * how many, with up to max of them in lost[]. */
size_t registry_expire(registry_t *r, int64_t now_mono, int64_t timeout_ms, worker_t **lost,
                       size_t max);
/* Moves every worker's last-seen time on by delta_ms (after the coordinator
 * itself stalled). */
void registry_shift(registry_t *r, int64_t delta_ms);
/* "connected", "stopping" (it said Goodbye and finishes what it runs),
 * "stopped" (it said Goodbye, then went silent: stopped on purpose, which
 * runs skip and no incident comes of) or "lost" (silent without a word). */
const char *registry_state(const worker_t *w);
/* Whether the worker is connected, not stopping, and has room for another
 * step. */
bool registry_available(const worker_t *w);
size_t registry_count(const registry_t *r);
worker_t *registry_at(registry_t *r, size_t i);
const char *registry_label(const worker_t *w, const char *key);
/* "k=v,k=v" in a new string the caller frees. */
char *registry_labels_string(const worker_t *w);

#endif
