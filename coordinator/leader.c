/* leader: the role state machine (leader.h). No clock, no store, no log of
 * its own beyond the transitions: everything else comes through its ops. */
#include "leader.h"

#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "xalloc.h"

struct leader {
	leader_ops_t ops;
	int64_t lease_ms;
	leader_role_t role;
	uint64_t epoch;
	uint64_t changes;
	bool started;    /* next_ms holds a time */
	int64_t next_ms; /* when the next take or renewal is due */
	/* When the last renewal (or the take) that succeeded started: the
	 * lease held is good until at least this + lease_ms on our clock. */
	int64_t confirmed_ms;
	bool unreachable_said; /* the first failed renewal of a run is logged */
};

leader_t *
leader_new(const leader_ops_t *ops, int64_t lease_ms)
{
	leader_t *l = xcalloc(1, sizeof(*l));
	l->ops = *ops;
	l->lease_ms = lease_ms > 0 ? lease_ms : LEADER_DEFAULT_LEASE_MS;
	l->role = LEADER_FOLLOWER;
	return l;
}

void
leader_destroy(leader_t **lp)
{
	free(*lp);
	*lp = NULL;
}

const char *
leader_role_name(leader_role_t role)
{
	return role == LEADER_LEADER ? "leader" : "follower";
}

static void
leader_step_down(leader_t *l, const char *why, bool release)
{
	if (l->role != LEADER_LEADER)
		return;
	l->role = LEADER_FOLLOWER;
	l->changes++;
	log_warn("leader: stepping down from epoch %llu: %s; now a follower",
	         (unsigned long long)l->epoch, why);
	l->ops.demote(l->ops.ctx, l->epoch, why);
	if (release)
		l->ops.release(l->ops.ctx, l->epoch);
}

static void
leader_try_take(leader_t *l, int64_t now)
{
	uint64_t epoch = 0;
	int rc = l->ops.take(l->ops.ctx, &epoch);
	if (rc != 1)
		return;
	l->role = LEADER_LEADER;
	l->epoch = epoch;
	l->changes++;
	l->confirmed_ms = now;
	l->unreachable_said = false;
	log_info("leader: took the lease, epoch %llu (lease %lld ms)", (unsigned long long)epoch,
	         (long long)l->lease_ms);
	if (l->ops.promote(l->ops.ctx, epoch) != 0)
		leader_step_down(l, "could not load the runs from the store", true);
}

static void
leader_renew(leader_t *l, int64_t now)
{
	int rc = l->ops.renew(l->ops.ctx, l->epoch);
	if (rc == 1) {
		if (l->unreachable_said)
			log_info("leader: the lease of epoch %llu is renewed again",
			         (unsigned long long)l->epoch);
		l->unreachable_said = false;
		l->confirmed_ms = now;
		return;
	}
	if (rc == 0) {
		leader_step_down(l,
		                 "another coordinator took the lease over (the epoch is no"
		                 " longer ours)",
		                 false);
		return;
	}
	int64_t silent = now - l->confirmed_ms;
	if (silent >= l->lease_ms) {
		char why[160];
		snprintf(why, sizeof(why),
		         "the store has not confirmed the lease for %lld ms (lease %lld ms):"
		         " another coordinator may hold it now",
		         (long long)silent, (long long)l->lease_ms);
		leader_step_down(l, why, true);
	} else if (!l->unreachable_said) {
		l->unreachable_said = true;
		log_warn("leader: could not renew the lease of epoch %llu; stepping down in %lld"
		         " ms unless a renewal succeeds",
		         (unsigned long long)l->epoch, (long long)(l->lease_ms - silent));
	}
}

void
leader_turn(leader_t *l, int64_t now)
{
	/* A leader that has not been confirmed for a lease (frozen, or the
	 * loop stalled) asks the store before acting on anything: that is
	 * due at once, whatever the schedule says. */
	bool stale = l->role == LEADER_LEADER && now - l->confirmed_ms >= l->lease_ms;
	if (l->started && now < l->next_ms && !stale)
		return;
	l->started = true;
	l->next_ms = now + LEADER_RENEW_MS;
	if (l->role == LEADER_LEADER)
		leader_renew(l, now);
	else
		leader_try_take(l, now);
}

void
leader_deposed(leader_t *l, const char *why)
{
	leader_step_down(l, why, false);
}

void
leader_stop(leader_t *l)
{
	if (l->role != LEADER_LEADER)
		return;
	l->role = LEADER_FOLLOWER;
	l->changes++;
	log_info("leader: stopping: giving the lease of epoch %llu up",
	         (unsigned long long)l->epoch);
	l->ops.release(l->ops.ctx, l->epoch);
}

leader_role_t
leader_role(const leader_t *l)
{
	return l->role;
}

bool
leader_is_leader(const leader_t *l)
{
	return l != NULL && l->role == LEADER_LEADER;
}

uint64_t
leader_epoch(const leader_t *l)
{
	return l->epoch;
}

void
leader_epoch_set(leader_t *l, uint64_t epoch)
{
	l->epoch = epoch;
}

uint64_t
leader_changes(const leader_t *l)
{
	return l->changes;
}

int64_t
leader_lease_ms(const leader_t *l)
{
	return l->lease_ms;
}
