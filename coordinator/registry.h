/* registry: the workers the coordinator knows, in memory, and the pace of
 * their heartbeats.
 *
 * A worker is connected from its Hello until it is silent for its loss
 * window; then it is lost until it says Hello again, or stopped if it said
 * Goodbye first. The heartbeat interval is the configured one (--heartbeat,
 * 1 s) while the fleet is small, and the window REGISTRY_LOST_INTERVALS of
 * it (5 s). A larger fleet is given a longer interval, so that its
 * heartbeats total at most --max-heartbeats-per-second, and a window of
 * REGISTRY_LOST_INTERVALS_GROWN of those (registry_window_for;
 * docs/decisions.md, "Heartbeats that grow with the fleet"). The registry
 * only keeps the facts; the coordinator persists them and the dispatcher
 * decides what a loss means for runs. */
#ifndef ROTA_REGISTRY_H
#define ROTA_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rota.pb-c.h"

#define REGISTRY_LOST_INTERVALS 5
/* A grown interval's window: 2 of them, and never less than the
 * configured interval's. What a window must allow for is a heartbeat held
 * up (a busy worker, a congested link), not one lost (TCP delivers it), so
 * its slack is counted in seconds: a whole grown interval (7 s at 10,000
 * workers) is more than the 4 s a small fleet allows. */
#define REGISTRY_LOST_INTERVALS_GROWN 2
/* The workers' heartbeats the coordinator takes in a second at most, by
 * default: 10,000 workers get 7 s, so one that dies is lost within 14 s
 * (15 s with the check's tick); up to 1,500 keep the 1 s interval. */
#define REGISTRY_MAX_HEARTBEATS_PER_SECOND 1500
/* A grown interval is a whole number of these: the fleet's interval
 * changes in steps, not with every worker that comes or goes. */
#define REGISTRY_INTERVAL_STEP_MS 500
/* The longest interval a worker takes (agent_link.c). */
#define REGISTRY_MAX_INTERVAL_MS 600000

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
	/* owned: the addresses its last Hello reported (Hello.addresses); not
	 * stored, so a worker known only from the store has none. */
	char **addresses;
	size_t address_count;
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
	/* The heartbeat interval it was last told (its Welcome or the
	 * coordinator's Heartbeat), and the one before, which it may still
	 * keep to until hb_was_until (a shorter one is heard only with the
	 * next message): it is judged by the longer (registry_lost_after). */
	uint32_t hb_ms;
	uint32_t hb_was_ms;
	int64_t hb_was_until;
	uint32_t replaced; /* connections replaced by another one's Hello */
	/* Why its spool cannot write, from its last Heartbeat ("" = it can,
	 * or the worker is older than the field): owned, or the registry's
	 * one shared "" (most workers' spools work, and 200 bytes each were
	 * 2 MB for 10,000 of them). Never NULL; set only through
	 * registry_spool_error. */
	char *spool_error;
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
/* The worker a host name from outside (an alert's label) means, tried in
 * this order: a worker of that id; else the one whose hostname it is;
 * else the one whose id is its first label ("web-1.example.net" ->
 * "web-1"); else the one that reported it as an address ("10.0.0.5").
 * NULL when none does, or when more than one worker has that hostname or
 * address: then *ambiguous (may be NULL) is set, since guessing would run
 * a remedy on the wrong host. O(workers) past the id. */
worker_t *registry_match_host(registry_t *r, const char *name, bool *ambiguous);
/* Forgets the worker (rota workers remove) and frees it: pointers to it
 * die with it, so callers look workers up by id and keep none across a
 * turn. -1 when there is no such worker. */
int registry_remove(registry_t *r, const char *id);
void registry_seen(worker_t *w, int64_t now_mono, int64_t now_wall);
/* Records a Heartbeat's spool_error (NULL = ""); returns 1 when the spool
 * went from working to failing, -1 back, 0 no change. */
int registry_spool_error(worker_t *w, const char *why);
/* The heartbeat interval for a fleet of `connected` workers: base_ms, or
 * longer when their heartbeats, one per worker per interval, would be more
 * than max_per_second (0: no bound); then rounded up to a whole number of
 * REGISTRY_INTERVAL_STEP_MS, and REGISTRY_MAX_INTERVAL_MS at most. Pure
 * arithmetic. */
uint32_t registry_interval_for(uint32_t base_ms, size_t connected, uint32_t max_per_second);
/* How long a worker given interval_ms may be silent before it is lost:
 * REGISTRY_LOST_INTERVALS of it while it is base_ms, else
 * REGISTRY_LOST_INTERVALS_GROWN of it but never less than the former.
 * Pure arithmetic. */
int64_t registry_window_for(uint32_t base_ms, uint32_t interval_ms);
/* Sets the configured interval and bound (registry_new: 1 s, unbounded). */
void registry_set_pace(registry_t *r, uint32_t base_ms, uint32_t max_per_second);
/* Counts the connected workers and sets the fleet's interval from them:
 * a longer one at once, a shorter one only once the fleet is a quarter
 * smaller than would need the present one (no flapping when a few
 * workers come and go at a boundary). Returns the interval. O(workers). */
uint32_t registry_repace(registry_t *r);
/* The interval a worker is told now, and the connected workers it was
 * set for (as of the last registry_repace). */
uint32_t registry_heartbeat_ms(const registry_t *r);
size_t registry_connected(const registry_t *r);
/* Records that w was told interval_ms at now_mono. */
void registry_told(worker_t *w, uint32_t interval_ms, int64_t now_mono);
/* How long w may be silent at now_mono before it is lost
 * (registry_window_for the interval it is judged by). */
int64_t registry_lost_after(const registry_t *r, const worker_t *w, int64_t now_mono);
/* Marks connected workers silent for longer than registry_lost_after
 * lost; returns how many, with up to max of them in lost[]. */
size_t registry_expire(registry_t *r, int64_t now_mono, worker_t **lost, size_t max);
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
