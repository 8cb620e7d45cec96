/* leader: this coordinator's role among the coordinators sharing one store,
 * leader or follower, and the lease that decides it (docs/ha.md).
 *
 * A plain state machine: the loop calls leader_turn at the top of every
 * turn with the monotonic clock, and it acts at most once every
 * LEADER_RENEW_MS: a follower tries to take the lease, a leader renews it.
 * What taking, renewing and giving up mean is the store's (store_lease.c,
 * through the ops below): on the database's clock, fenced by an epoch that
 * every write transaction checks. What becoming leader or follower means is
 * the coordinator's (promote, demote).
 *
 * A leader steps down when a renewal finds the epoch gone (another took
 * over), when a commit was refused by the fence (leader_deposed), or when
 * the store has not confirmed the lease for a whole lease (the database
 * unreachable): by then another may hold it, so acting on would be acting
 * blind. The time is counted from the start of the last renewal that
 * succeeded, which is before the database stamped it: this coordinator
 * stops acting before the database lets another take over.
 *
 * Must never: block, read a clock itself (tests drive it with a fake one),
 * or act as leader once it cannot tell that it still is. */
#ifndef ROTA_LEADER_H
#define ROTA_LEADER_H

#include <stdbool.h>
#include <stdint.h>

/* How often a leader renews and a follower tries to take over. */
#define LEADER_RENEW_MS 1000
/* The default lease (--lease): how long a leader that stopped renewing
 * keeps it, so the longest a frozen leader holds up its successor. */
#define LEADER_DEFAULT_LEASE_MS 5000
/* The bounds --lease accepts: a lease must outlast a few renewals. */
#define LEADER_MIN_LEASE_MS 2000
#define LEADER_MAX_LEASE_MS 300000

typedef enum {
	LEADER_FOLLOWER,
	LEADER_LEADER,
} leader_role_t;

typedef struct {
	/* Tries to take the lease. 1 taken, with *epoch the new epoch; 0
	 * another coordinator holds it; -1 the store could not say. */
	int (*take)(void *ctx, uint64_t *epoch);
	/* Renews the lease held under epoch. 1 renewed; 0 deposed (the
	 * epoch is no longer the lease's); -1 the store could not say. */
	int (*renew)(void *ctx, uint64_t epoch);
	/* Gives the lease up (stepping down, or stopping), so that another
	 * takes it without waiting for it to expire; best effort. */
	void (*release)(void *ctx, uint64_t epoch);
	/* Became leader under epoch: load the runs, start what a leader
	 * runs. 0, or -1: not ready to lead (the lease is given back). */
	int (*promote)(void *ctx, uint64_t epoch);
	/* Stepped down: drop what only a leader holds. why is for the log. */
	void (*demote)(void *ctx, uint64_t epoch, const char *why);
	void *ctx;
} leader_ops_t;

typedef struct leader leader_t;

/* A follower that tries to take over at its first turn. ops is copied. */
leader_t *leader_new(const leader_ops_t *ops, int64_t lease_ms);
void leader_destroy(leader_t **lp);

/* Once per loop turn, before anything of the turn: takes, renews or steps
 * down when due. now: monotonic ms. */
void leader_turn(leader_t *l, int64_t now);
/* A commit was refused because the epoch is no longer the lease's: steps
 * down now (no-op for a follower). why is for the log. */
void leader_deposed(leader_t *l, const char *why);
/* Stopping: a leader gives the lease up and becomes a follower. */
void leader_stop(leader_t *l);

leader_role_t leader_role(const leader_t *l);
bool leader_is_leader(const leader_t *l);
/* The epoch of the lease held, or of the last one held (0: never). */
uint64_t leader_epoch(const leader_t *l);
/* A leader's resync raised the epoch of the lease it holds. */
void leader_epoch_set(leader_t *l, uint64_t epoch);
/* Role changes since start, both ways (rota_leader_changes_total). */
uint64_t leader_changes(const leader_t *l);
int64_t leader_lease_ms(const leader_t *l);
const char *leader_role_name(leader_role_t role);

#endif
