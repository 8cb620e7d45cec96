/* coordinator_role: the coordinator as leader or follower (leader.h,
 * docs/ha.md): the lease's ops on the store, what becoming leader loads
 * and starts (the same recovery as a start), what stepping down drops, and
 * where a follower sends workers and operators (services.leadership, which
 * redirect.c answers from), `rota status`'s part answered from the store.
 *
 * Must never: let a follower run the scheduler, the dispatcher, the
 * escalation timers or the outbox, or write a run. */
#include "coordinator_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "xalloc.h"

/* What this coordinator says of itself in the lease and the coordinators
 * table: the endpoints others are sent to. */
static store_lease_t
coordinator_lease(coordinator_t *c)
{
	const redirect_advertised_t *adv = &c->svc->advertised;
	return (store_lease_t){
	    .holder = c->coordinator_id,
	    .worker_endpoint = adv->worker[0] ? adv->worker : c->bound_worker,
	    .api_endpoint = adv->api[0] ? adv->api : c->bound_api,
	    .http_endpoint = adv->http,
	    .lease_ms = leader_lease_ms(c->leader),
	};
}

/* What the redirects read (services.leadership, redirect.h): this
 * coordinator leads (zeroed), or follows and the leader is where the
 * store's row says, while its lease runs ("" when none is known, so
 * nobody is sent to a dead leader). */
static void
coordinator_role_leadership(coordinator_t *c)
{
	redirect_leader_t *l = &c->svc->leadership;
	memset(l, 0, sizeof(*l));
	if (leader_is_leader(c->leader))
		return;
	l->follower = true;
	store_leader_t row;
	if (store_leader_read(c->svc->store, &row) == 0 && row.expires_in_ms > 0) {
		l->epoch = row.epoch;
		snprintf(l->id, sizeof(l->id), "%s", row.holder);
		snprintf(l->worker, sizeof(l->worker), "%s", row.worker_endpoint);
		snprintf(l->api, sizeof(l->api), "%s", row.api_endpoint);
		snprintf(l->http, sizeof(l->http), "%s", row.http_endpoint);
	}
	store_leader_clear(&row);
}

static int
coordinator_role_take(void *ctx, uint64_t *epoch)
{
	coordinator_t *c = ctx;
	store_lease_t lease = coordinator_lease(c);
	return store_lease_take(c->svc->store, &lease, epoch);
}

static int
coordinator_role_renew(void *ctx, uint64_t epoch)
{
	coordinator_t *c = ctx;
	store_lease_t lease = coordinator_lease(c);
	return store_lease_renew(c->svc->store, &lease, epoch);
}

static void
coordinator_role_release(void *ctx, uint64_t epoch)
{
	coordinator_t *c = ctx;
	store_lease_release(c->svc->store, epoch);
}

/* Became leader: exactly what a restarted coordinator does with the store
 * (the runs in flight, the runbooks and schedules recorded), then the
 * outbox's sender, and the settle window for the workers to find us. */
static int
coordinator_role_promote(void *ctx, uint64_t epoch)
{
	coordinator_t *c = ctx;
	services_t *s = c->svc;
	s->epoch = epoch;
	free(c->promote_error);
	c->promote_error = NULL;
	dispatcher_reset(s->dispatcher);
	scheduler_reset(s->scheduler);
	incidents_resync(s->incidents);
	coordinator_load_workers(c);
	if (dispatcher_recover(s->dispatcher, clock_mono_ms()) != 0) {
		c->promote_error = xstrdup("cannot read unfinished runs from the store");
		goto fail;
	}
	/* The rows are marked, and written after the start in slices
	 * (coordinator_save.c) unless there are few: the first answer does
	 * not wait for 200,000 upserts at 100,000 scheduled runbooks. */
	int64_t wall = clock_wall_ms();
	bool marked = catalog_persist_later(NULL, s->catalog, s->store) == 0 &&
	              scheduler_sync_later(s->scheduler, s->catalog, wall) == 0;
	if (marked && catalog_unsaved(s->catalog) + scheduler_unsaved(s->scheduler) <=
	                  COORDINATOR_SAVE_AT_ONCE)
		marked = catalog_save_some(s->catalog, s->store, SIZE_MAX) == 0 &&
		         scheduler_save_some(s->scheduler, wall, SIZE_MAX) == 0;
	if (!marked || store_commit(s->store) != 0) {
		c->promote_error = xstrdup("cannot record runbooks and schedules in the store");
		goto fail;
	}
	if (s->outbox == NULL) {
		char *error = NULL;
		s->outbox = outbox_start(&c->outbox_config, &error);
		if (s->outbox == NULL) {
			c->promote_error = error;
			goto fail;
		}
	}
	coordinator_save_mark(c);
	memset(&s->leadership, 0, sizeof(s->leadership));
	c->resync_pending = false;
	c->store_unwritable = false;
	c->settled = false;
	c->api.settling = true;
	c->settle_deadline = clock_mono_ms() + COORDINATOR_SETTLE_MS;
	log_info("coordinator %s leads under epoch %llu: %zu run(s) in flight taken over",
	         c->coordinator_id, (unsigned long long)epoch, dispatcher_active(s->dispatcher));
	return 0;
fail:
	log_error("coordinator %s cannot lead: %s", c->coordinator_id, c->promote_error);
	return -1;
}

/* Tells every connected worker to look for the leader elsewhere (it says
 * Hello again, and a follower's answer sends it on), and forgets that they
 * are connected here. */
static void
coordinator_role_release_workers(coordinator_t *c)
{
	Rota__Goodbye bye = ROTA__GOODBYE__INIT;
	bye.reason = "this coordinator is no longer the leader";
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_GOODBYE;
	env.goodbye = &bye;
	for (size_t i = 0; i < registry_count(c->svc->registry); i++) {
		worker_t *w = registry_at(c->svc->registry, i);
		if (w->connected)
			wire_send(c->svc->worker_sock, (const uint8_t *)w->id, strlen(w->id), &env);
		w->connected = false;
		w->running = 0;
	}
}

/* Stepped down: nothing of the turn in progress is committed or sent, and
 * what only a leader holds is dropped in place (the objects stay). */
static void
coordinator_role_demote(void *ctx, uint64_t epoch, const char *why)
{
	coordinator_t *c = ctx;
	services_t *s = c->svc;
	(void)why;
	/* A turn in flight is told if it committed (the fence refuses it
	 * if another leads); then what this one began is refused by the
	 * fence (or harmless: nothing open). */
	(void)coordinator_commit_settle(c);
	store_lease_drop(s->store);
	store_commit(s->store);
	size_t withheld = sendq_discard(s->sendq);
	dispatcher_reset(s->dispatcher);
	scheduler_reset(s->scheduler);
	incidents_resync(s->incidents);
	outbox_stop(&s->outbox);
	coordinator_role_release_workers(c);
	coordinator_role_leadership(c);
	c->resync_pending = false;
	c->store_unwritable = false;
	c->settled = false;
	log_warn("coordinator %s follows now (was leader under epoch %llu): runs, schedules,"
	         " escalations and the outbox are left to the leader; %zu message(s) of the"
	         " last turn withheld",
	         c->coordinator_id, (unsigned long long)epoch, withheld);
}

int
coordinator_role_start(coordinator_t *c, int64_t lease_ms, char **error)
{
	leader_ops_t ops = {
	    .take = coordinator_role_take,
	    .renew = coordinator_role_renew,
	    .release = coordinator_role_release,
	    .promote = coordinator_role_promote,
	    .demote = coordinator_role_demote,
	    .ctx = c,
	};
	c->leader = leader_new(&ops, lease_ms);
	/* Read-only: a follower of nobody, for good (its store refuses writes). */
	if (c->svc->options.read_only) {
		coordinator_role_leadership(c);
		return 0;
	}
	/* Sharing the store, this coordinator is sent others to whenever it
	 * leads: it must have endpoints they can dial. */
	if (store_shared(c->svc->store) &&
	    redirect_advertise_ready(&c->svc->advertised, error) != 0)
		return -1;
	leader_turn(c->leader, clock_mono_ms());
	if (leader_is_leader(c->leader))
		return 0;
	if (store_shared(c->svc->store)) {
		coordinator_role_leadership(c);
		return 0;
	}
	/* SQLite: this coordinator alone holds the file, so not leading
	 * means the store cannot be read or written: a start refuses. */
	*error = xstrdup(c->promote_error ? c->promote_error
	                                  : "cannot advance the coordinator epoch in the store");
	return -1;
}

void
coordinator_role_turn(coordinator_t *c, int64_t now)
{
	if (c->svc->options.read_only)
		return;
	leader_turn(c->leader, now);
	if (!store_shared(c->svc->store) || now < c->next_seen)
		return;
	c->next_seen = now + LEADER_RENEW_MS;
	if (!leader_is_leader(c->leader))
		coordinator_role_leadership(c); /* where a follower sends others */
	store_lease_t self = coordinator_lease(c);
	bool leads = leader_is_leader(c->leader);
	if (store_coordinator_seen(c->svc->store, &self, leads ? "leader" : "follower",
	                           leader_epoch(c->leader)) != 0)
		log_debug("could not record this coordinator as alive in the store");
}

void
coordinator_role_deposed(coordinator_t *c, const char *why)
{
	leader_deposed(c->leader, why);
}

/* A row is what its coordinator last said of itself: a leader killed or
 * frozen said "leader" under an epoch the lease has since left. Shown as
 * such at 3 a.m. it reads as two leaders; it is the deposed one. */
static void
coordinator_role_mark_deposed(Rota__StatusResponse *out)
{
	if (out->leader_id == NULL || out->leader_id[0] == '\0')
		return; /* the lease was not read: nothing to judge by */
	for (size_t i = 0; i < out->n_coordinators; i++) {
		Rota__CoordinatorInfo *ci = out->coordinators[i];
		if (strcmp(ci->role, "leader") == 0 && ci->epoch != out->leader_epoch) {
			free(ci->role); /* the row's own (store_coordinators_list) */
			ci->role = xstrdup("deposed");
		}
	}
}

/* rota status's part on leadership: this coordinator's role, the lease as
 * the store holds it, and every coordinator that said it is alive. The
 * list is the coordinator's until the next call (c->status_list). */
void
coordinator_role_status(coordinator_t *c, Rota__StatusResponse *out)
{
	bool leads = leader_is_leader(c->leader);
	out->coordinator_role = (char *)leader_role_name(leader_role(c->leader));
	out->shared_store = store_shared(c->svc->store);
	store_coordinators_clear(&c->status_list);
	store_leader_clear(&c->status_leader);
	if (!out->shared_store || store_leader_read(c->svc->store, &c->status_leader) != 0) {
		if (leads) {
			out->leader_id = c->coordinator_id;
			out->leader_epoch = c->svc->epoch;
			out->leader_api_endpoint = c->bound_api;
		}
	} else {
		out->leader_id = c->status_leader.holder;
		out->leader_epoch = c->status_leader.epoch;
		out->leader_api_endpoint = c->status_leader.api_endpoint;
		out->leader_expires_in_ms = c->status_leader.expires_in_ms;
	}
	if (out->shared_store && store_coordinators_list(c->svc->store, &c->status_list) == 0) {
		out->coordinators = c->status_list.coordinators;
		out->n_coordinators = c->status_list.n_coordinators;
		coordinator_role_mark_deposed(out);
	}
	/* Reads only, each statement reset: no transaction of their own to
	 * close (and the turn's, if open, is not this answer's to commit). */
}

void
coordinator_role_destroy(coordinator_t *c)
{
	leader_destroy(&c->leader);
	store_coordinators_clear(&c->status_list);
	store_leader_clear(&c->status_leader);
	free(c->promote_error);
	free(c->outbox_db);
	free(c->outbox_password_file);
}
