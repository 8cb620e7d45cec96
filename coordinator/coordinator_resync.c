/* coordinator_resync: keeping memory and the store one: a turn that could
 * not be committed (resync), the runbook directory read again (reload), and
 * the store file watched for having been deleted or replaced. Objects are
 * reset in place, never rebuilt: every module keeps its pointers. */
#include "coordinator_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "dirlock.h"
#include "log.h"
#include "maintenance.h"
#include "xalloc.h"

/* Rereads the configuration file: NULL when it has errors (logged, and
 * said in *error, the caller's), else the fresh configuration (the
 * caller's), or NULL with *error NULL when there is no file to read. */
static config_t *
coordinator_reload_config(coordinator_t *c, char **error)
{
	const char *path = c->svc->config->path;
	*error = NULL;
	if (path == NULL)
		return NULL;
	char *why = NULL;
	config_t *fresh = config_load(path, &why);
	if (fresh == NULL) {
		log_error("reload: the configuration has errors; nothing reloaded (the runbooks and"
		          " maintenance windows in use stay):\n    %s",
		          why);
		*error =
		    xasprintf("the configuration has errors; nothing reloaded (the runbooks and"
		              " maintenance windows in use stay):\n%s",
		              why);
		free(why);
	}
	return fresh;
}

/* Loads the runbook directory into a new catalog and swaps it in: a file
 * that is broken now keeps its last good version (catalog.h). The
 * configuration is read first, and only its maintenance: list is applied
 * (config_swap_maintenance): a bad file refuses the whole reload. */
int
coordinator_reload(void *ctx, Rota__ReloadResponse *out, char **config_error)
{
	coordinator_t *c = ctx;
	catalog_t *catalog = c->svc->catalog;
	rota__reload_response__init(out);
	config_t *fresh_config = coordinator_reload_config(c, config_error);
	if (*config_error != NULL) {
		api_runbooks_fill(catalog, &out->runbooks, &out->n_runbooks);
		return -1;
	}
	if (fresh_config != NULL) {
		maint_plan_diff_t d = maintenance_plan_diff(config_maintenance(c->svc->config),
		                                            config_maintenance(fresh_config));
		config_swap_maintenance(c->svc->config, fresh_config);
		config_destroy(&fresh_config);
		out->config_reloaded = true;
		out->maintenance_windows =
		    (uint32_t)maintenance_plan_count(config_maintenance(c->svc->config));
		out->maintenance_added = d.added;
		out->maintenance_changed = d.changed;
		out->maintenance_removed = d.removed;
		log_info(
		    "reloaded the configuration's maintenance: %u recurring window(s) (%u added,"
		    " %u changed, %u removed); its other keys apply at the next start",
		    out->maintenance_windows, d.added, d.changed, d.removed);
	}
	char *error = NULL;
	catalog_t *fresh =
	    catalog_load(c->svc->options.runbooks_dir, catalog, c->svc->store, &error);
	if (fresh == NULL) {
		log_error("reload: %s; keeping the runbooks already loaded", error);
		free(error);
		api_runbooks_fill(catalog, &out->runbooks, &out->n_runbooks);
		out->loaded = (uint32_t)catalog_count(catalog);
		out->invalid = (uint32_t)catalog_invalid(catalog);
		return 0;
	}
	catalog_diff_t diff = catalog_diff(catalog, fresh);
	/* A follower writes nothing: the leader records its own, and this
	 * one records its catalog when it leads (coordinator_role.c). */
	bool leads = leader_is_leader(c->leader);
	if (leads)
		catalog_persist(catalog, fresh, c->svc->store);
	/* In place: every module that holds the catalog sees the new one. */
	catalog_swap(catalog, &fresh);
	if (leads)
		scheduler_sync(c->svc->scheduler, catalog, clock_wall_ms());
	out->loaded = (uint32_t)catalog_count(catalog);
	out->invalid = (uint32_t)catalog_invalid(catalog);
	for (size_t i = 0; i < catalog_count(catalog); i++)
		out->invalid += catalog_at(catalog, i)->errors != NULL; /* stale */
	out->added = diff.added;
	out->changed = diff.changed;
	out->removed = diff.removed;
	api_runbooks_fill(catalog, &out->runbooks, &out->n_runbooks);
	log_info("reloaded runbooks: %u loaded (%u added, %u changed, %u removed), %u invalid",
	         out->loaded, out->added, out->changed, out->removed, out->invalid);
	return 0;
}

/* An answer withheld with its failed turn: the operator waiting for it is
 * told now that nothing was done, instead of timing out as if the
 * coordinator were unreachable. */
static void
coordinator_withheld(void *ctx, void *sock, const uint8_t *identity, size_t identity_len,
                     const uint8_t *data, size_t len)
{
	coordinator_t *c = ctx;
	Rota__Envelope *env = NULL;
	if (sock != c->svc->api_sock || wire_decode(data, len, &env) != WIRE_OK)
		return;
	if (env->body_case == ROTA__ENVELOPE__BODY_RESPONSE && env->response != NULL) {
		char text[512];
		snprintf(text, sizeof(text),
		         "store: cannot commit: %s; not done (nothing of this request was recorded;"
		         " see the coordinator's log), try again",
		         store_last_error(c->svc->store));
		Rota__Error err = ROTA__ERROR__INIT;
		err.code = ROTA__ERROR_CODE__ERR_UNAVAILABLE;
		err.message = text;
		Rota__Response resp = ROTA__RESPONSE__INIT;
		resp.id = env->response->id;
		resp.error = &err;
		Rota__Envelope out = ROTA__ENVELOPE__INIT;
		out.body_case = ROTA__ENVELOPE__BODY_RESPONSE;
		out.response = &resp;
		wire_send(c->svc->api_sock, identity, identity_len, &out);
	}
	rota__envelope__free_unpacked(env, NULL);
}

/* A turn's changes could not be committed, so memory is ahead of the store.
 * Nothing of the turn was told to anyone (the send queue is dropped): reload
 * the runs from the store, and move to a new epoch so that every worker says
 * Hello again and resends what was not acknowledged. */
void
coordinator_resync(coordinator_t *c)
{
	/* A turn in flight that committed is told; one that did not is
	 * withheld with the rest. */
	(void)coordinator_commit_settle(c);
	size_t withheld = sendq_discard_each(c->svc->sendq, coordinator_withheld, c);
	incidents_resync(c->svc->incidents);
	if (!leader_is_leader(c->leader)) {
		/* A follower writes nothing of runs: there is nothing to reload. */
		c->resync_pending = false;
		return;
	}
	if (store_deposed(c->svc->store)) {
		/* The fence refused the commit: another coordinator leads. */
		coordinator_role_deposed(c, "a commit was refused: the epoch is no longer the"
		                            " lease's");
		return;
	}
	if (c->resync_pending) {
		/* A retry of a reload that failed: only the reload again. */
		if (dispatcher_recover(c->svc->dispatcher, clock_mono_ms()) == 0) {
			c->resync_pending = false;
			log_info("store: runs reloaded");
		}
		store_commit(c->svc->store);
		return;
	}
	c->commit_failures++;
	c->store_unwritable = true;
	uint64_t epoch = 0;
	int raised = store_lease_raise(c->svc->store, leader_epoch(c->leader), &epoch);
	if (raised == 0 || (raised < 0 && store_shared(c->svc->store))) {
		/* Shared: an epoch the lease does not hold would be fenced at
		 * the next commit; a leader that cannot raise it gives up and
		 * the next one (maybe itself) starts from the store. */
		coordinator_role_deposed(c, raised == 0 ? "the epoch is no longer the lease's"
		                                        : "cannot raise the epoch in the store");
		return;
	}
	if (raised == 1 && epoch > c->svc->epoch)
		c->svc->epoch = epoch;
	else
		c->svc->epoch++;
	leader_epoch_set(c->leader, c->svc->epoch);
	log_error("store: a turn could not be committed (%llu so far); %zu message(s) withheld;"
	          " reloading runs from the store and asking every worker to say hello again"
	          " (epoch %llu)",
	          (unsigned long long)c->commit_failures, withheld,
	          (unsigned long long)c->svc->epoch);
	/* In place (the counters carry on): every module that holds the
	 * dispatcher or the scheduler keeps it. */
	dispatcher_reset(c->svc->dispatcher);
	/* The schedules' slots of the failed turn were not recorded either:
	 * what the store holds is read again, and so are the runbooks' rows
	 * (a run's runbook row written in that turn was rolled back with it);
	 * what is missing is marked for the slices (coordinator_save.c). */
	scheduler_reset(c->svc->scheduler);
	scheduler_sync_later(c->svc->scheduler, c->svc->catalog, clock_wall_ms());
	if (catalog_persist_later(NULL, c->svc->catalog, c->svc->store) != 0)
		log_warn("store: cannot read the saved runbooks; all are written again");
	if (dispatcher_recover(c->svc->dispatcher, clock_mono_ms()) != 0) {
		log_error("store: cannot reload runs; will try again");
		c->resync_pending = true;
	} else {
		c->resync_pending = false;
	}
	store_commit(c->svc->store);
	for (size_t i = 0; i < registry_count(c->svc->registry); i++) {
		worker_t *w = registry_at(c->svc->registry, i);
		w->connected = false;
		w->running = 0;
	}
}

/* The store file, its WAL or the lock file deleted or replaced under a
 * running coordinator (storelock.h): what it writes from then on goes
 * where no restart will look. Between turns (no transaction open), once a
 * second. It saves what the open store holds to a new file, says once what
 * to do, and from then on takes no work and acknowledges nothing: a
 * restart is the way out. */
void
coordinator_check_store(coordinator_t *c)
{
	const char *dir = c->svc->options.data_dir;
	char *error = NULL;
	if (c->store_lost != NULL)
		return;
	if (!dirlock_held(c->lockfd, dir)) {
		int fd = dirlock_take(dir, "rota-coordinator", &error);
		if (fd >= 0) {
			dirlock_release(&c->lockfd);
			c->lockfd = fd;
			log_warn("%s/lock was deleted or replaced while in use: made it again (the"
			         " lock on the store file itself kept a second coordinator out)",
			         dir);
		} else {
			c->store_lost = xasprintf("%s/lock was deleted or replaced while in use,"
			                          " and cannot be taken again: %s",
			                          dir, error);
			free(error);
			error = NULL;
		}
	}
	char *why = NULL;
	if (c->store_lost == NULL && storelock_check(c->storelock, &why) != 0)
		c->store_lost = why;
	if (c->store_lost == NULL)
		return;
	char stamp[32];
	time_t now = (time_t)(clock_wall_ms() / 1000);
	struct tm tm;
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", gmtime_r(&now, &tm));
	char *rescue = xasprintf("%s/rota.db.rescued-%s", dir, stamp);
	char *what = NULL;
	if (store_backup(c->svc->store, rescue, &error) == 0)
		what = xasprintf("%s. This coordinator takes no new work and acknowledges no"
		                 " results (workers keep them) until it is restarted. What its"
		                 " store held is saved in %s: stop the coordinator, move that file"
		                 " to %s/rota.db, and start it again",
		                 c->store_lost, rescue, dir);
	else
		what = xasprintf("%s. This coordinator takes no new work and acknowledges no"
		                 " results (workers keep them) until it is restarted; saving what"
		                 " its store held failed (%s): stop it, restore %s/rota.db from a"
		                 " backup, and start it again",
		                 c->store_lost, error, dir);
	free(error);
	free(rescue);
	free(c->store_lost);
	c->store_lost = what;
	log_error("store: %s", c->store_lost);
}
