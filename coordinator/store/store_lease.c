/* store_lease: the leader's lease, its epoch and the fence (store.h,
 * "leadership"; docs/ha.md).
 *
 * On SQLite one coordinator holds the file (storelock.h), so it always
 * leads: taking is the next epoch at once (store_epoch_next), renewing and
 * fencing cost nothing, and the coordinators list is left empty (rota
 * status shows the one coordinator from memory).
 *
 * Must never: let a write transaction commit under an epoch that is no
 * longer the lease's. */
#include "store_int.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xalloc.h"

bool
store_shared(const store_t *s)
{
	(void)s;
	return false;
}

int
store_lease_take(store_t *s, const store_lease_t *lease, uint64_t *epoch)
{
	(void)lease;
	if (store_epoch_next(s, epoch) != 0)
		return -1;
	s->fence_epoch = *epoch;
	return 1;
}

int
store_lease_renew(store_t *s, const store_lease_t *lease, uint64_t epoch)
{
	(void)s;
	(void)lease;
	(void)epoch;
	return 1;
}

void
store_lease_release(store_t *s, uint64_t epoch)
{
	(void)epoch;
	s->fence_epoch = 0;
}

void
store_lease_drop(store_t *s)
{
	s->fence_epoch = 0;
}

int
store_lease_raise(store_t *s, uint64_t epoch, uint64_t *next)
{
	(void)epoch;
	if (store_epoch_next(s, next) != 0)
		return -1;
	s->fence_epoch = *next;
	return 1;
}

int
store_lease_fence(store_t *s)
{
	s->deposed = false;
	return 0;
}

bool
store_deposed(const store_t *s)
{
	return s->deposed;
}

int
store_leader_read(store_t *s, store_leader_t *out)
{
	(void)s;
	memset(out, 0, sizeof(*out));
	return 1;
}

void
store_leader_clear(store_leader_t *l)
{
	free(l->holder);
	free(l->worker_endpoint);
	free(l->api_endpoint);
	free(l->http_endpoint);
	memset(l, 0, sizeof(*l));
}

int
store_coordinator_seen(store_t *s, const store_lease_t *self, const char *role, uint64_t epoch)
{
	(void)s;
	(void)self;
	(void)role;
	(void)epoch;
	return 0;
}

int
store_coordinators_list(store_t *s, Rota__StatusResponse *out)
{
	(void)s;
	out->coordinators = NULL;
	out->n_coordinators = 0;
	return 0;
}

void
store_coordinators_clear(Rota__StatusResponse *out)
{
	for (size_t i = 0; i < out->n_coordinators; i++)
		rota__coordinator_info__free_unpacked(out->coordinators[i], NULL);
	free(out->coordinators);
	out->coordinators = NULL;
	out->n_coordinators = 0;
}
