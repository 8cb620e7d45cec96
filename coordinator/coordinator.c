/* coordinator: the daemon's life: start (coordinator_new), the loop
 * (coordinator_run), stop and destroy; see coordinator.h. What each socket
 * brings is handled in coordinator_workers.c, coordinator_operators.c and
 * coordinator_http.c; keeping memory and the store one in coordinator_resync.c. */
#include "coordinator_internal.h"

#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "clock.h"
#include "dirlock.h"
#include "log.h"
#include "maintenance.h"
#include "xalloc.h"

static int
coordinator_bind(void *sock, const char *endpoint, char *bound, size_t len, char **error)
{
	if (zmq_bind(sock, endpoint) != 0) {
		*error = xasprintf("cannot bind %s: %s", endpoint, zmq_strerror(errno));
		return -1;
	}
	size_t n = len;
	if (zmq_getsockopt(sock, ZMQ_LAST_ENDPOINT, bound, &n) != 0)
		snprintf(bound, len, "%s", endpoint);
	return 0;
}

/* Tests and scripts bind port 0 ("tcp://127.0.0.1:*") and read the real
 * endpoints here; written to a temporary name and renamed, so a reader
 * never sees half a file. */
static int
coordinator_write_endpoints(const char *dir, const char *worker, const char *api, const char *http,
                            char **error)
{
	char *tmp = xasprintf("%s/endpoints.tmp", dir);
	char *path = xasprintf("%s/endpoints", dir);
	int rc = -1;
	FILE *f = fopen(tmp, "w");
	if (f == NULL) {
		*error = xasprintf("cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	fprintf(f, "worker=%s\napi=%s\n", worker, api);
	if (http != NULL)
		fprintf(f, "http=%s\n", http);
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		*error = xasprintf("cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(tmp);
	free(path);
	return rc;
}

void
coordinator_load_workers(coordinator_t *c)
{
	Rota__ListWorkersResponse *known = xmalloc(sizeof(*known));
	if (store_workers_list(c->svc->store, known) != 0)
		log_warn("could not read known workers from the store");
	else
		for (size_t i = 0; i < known->n_workers; i++)
			registry_add_known(c->svc->registry, known->workers[i]);
	rota__list_workers_response__free_unpacked(known, NULL);
}

/* Store commits take milliseconds: finer buckets than a step's. */
static const double coordinator_commit_buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                    0.05,   0.1,   0.25,   0.5,   1,    2.5};

/* A data directory someone else made may let others read the store (or,
 * with write, replace it): said at start, with the fix. */
static void
coordinator_check_data_dir(const char *dir)
{
	struct stat st;
	if (stat(dir, &st) == 0 && (st.st_mode & 077) != 0)
		log_warn("data directory %s is readable by others (mode %04o): it holds rota.db,"
		         " every run's output and the audit log; chmod 700 %s",
		         dir, (unsigned)(st.st_mode & 07777), dir);
}

/* Names this coordinator: id (--id or id:, checked), else the host name.
 * Given one, every log line says it too, so that two coordinators on one
 * host are told apart in a shared journal as in rota status, /healthz and
 * /metrics. */
static void
coordinator_name(coordinator_t *c, const char *id)
{
	static char program[sizeof("rota-coordinator[]") + sizeof(c->coordinator_id)];
	if (id != NULL) {
		snprintf(c->coordinator_id, sizeof(c->coordinator_id), "%s", id);
		snprintf(program, sizeof(program), "rota-coordinator[%s]", id);
		log_set_program(program);
		return;
	}
	char host[sizeof(c->coordinator_id)] = "coordinator";
	gethostname(host, sizeof(host) - 1);
	snprintf(c->coordinator_id, sizeof(c->coordinator_id), "%s", host);
}

coordinator_t *
coordinator_new(const coordinator_config_t *config, char **error)
{
	coordinator_t *c = xcalloc(1, sizeof(*c));
	services_t *s = c->svc = services_new(config); /* owned by c */
	c->sigfd = -1;
	c->lockfd = -1;
	char bound_worker[256], bound_api[256];

	/* The store holds every run's output and the audit log: whatever
	 * this process creates is its own (rota.db and its WAL files 0600). */
	umask(077);
	if (mkdir(config->data_dir, 0700) != 0 && errno != EEXIST) {
		*error = xasprintf("cannot create data directory %s: %s", config->data_dir,
		                   strerror(errno));
		goto fail;
	}
	coordinator_check_data_dir(config->data_dir);
	c->lockfd = dirlock_take(config->data_dir, "rota-coordinator", error);
	if (c->lockfd < 0)
		goto fail;
	/* Signals become loop events; block them before libzmq starts its
	 * threads so those inherit the mask. */
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* A write past a file-size limit (ulimit -f, LimitFSIZE=) must fail
	 * like a full disk (EFBIG: the turn is not committed), not kill the
	 * coordinator with SIGXFSZ. */
	signal(SIGXFSZ, SIG_IGN);
	c->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (c->sigfd < 0) {
		*error = xasprintf("signalfd: %s", strerror(errno));
		goto fail;
	}

	s->config =
	    config->config_path ? config_load(config->config_path, error) : config_default();
	if (s->config == NULL)
		goto fail;
	coordinator_name(c, config->id ? config->id : s->config->id);
	s->metrics.step_seconds =
	    metrics_histogram_new(METRICS_DURATION_BUCKETS, METRICS_DURATION_BUCKET_COUNT);
	s->metrics.commit_seconds = metrics_histogram_new(
	    coordinator_commit_buckets,
	    sizeof(coordinator_commit_buckets) / sizeof(coordinator_commit_buckets[0]));
	/* PostgreSQL or SQLite, decided as --check decides it. Keys, the
	 * lock and the endpoints file stay in the data directory either way. */
	coordinator_store_plan_t splan; /* owns its strings; cleared once the outbox has them */
	if (coordinator_store_plan(config, s->config, &splan, error) != 0)
		goto fail;
	char *db = splan.target ? xstrdup(splan.target)
	                        : xasprintf("%s/rota.db", config->data_dir); /* owned */
	store_options_t sopts = {.target = db, .password_file = splan.password_file};
	/* A SQLite file is locked before SQLite touches it (DATA_DIR/lock can
	 * be deleted); a PostgreSQL store has no file to lock or watch. */
	c->storelock = splan.target == NULL ? storelock_take(db, error) : NULL;
	s->store = c->storelock != NULL || splan.target != NULL ? store_open(&sopts, error) : NULL;
	char *why = NULL; /* the first check finds the WAL, to watch it too */
	if (s->store != NULL && storelock_check(c->storelock, &why) != 0)
		*error = why;
	if (s->store == NULL || why != NULL) {
		free(db);
		coordinator_store_plan_clear(&splan);
		goto fail;
	}
	/* The URL holds no password (coordinator_store_plan refused one). */
	log_info("store: %s", splan.target ? splan.target : db);
	s->incidents = incidents_new(s->store, s->config);
	s->oncall = oncall_new(s->store, s->config);
	incidents_set_oncall(s->incidents, s->oncall);
	s->audit = audit_new(s->store);
	s->pruner = pruner_new(s->store, &s->config->retention, clock_mono_ms());
	s->indexer = indexer_new(s->store, clock_mono_ms());
	/* The followers' cursor goes on from the store's last event. */
	s->events = events_new(s->store, error);
	if (s->events == NULL)
		goto fail;
	s->backup = backup_new(s->store);
	if (config->read_only && store_read_only(s->store) != 0) {
		*error = xstrdup("cannot make the store read-only (--read-only)");
		goto fail;
	}
	/* The WAL's checkpoints off the loop's thread (store_checkpoint.c). */
	if (!config->read_only && store_checkpointer_start(s->store, error) != 0)
		goto fail;
	c->started_wall = clock_wall_ms();
	c->started_mono = clock_mono_ms();
	/* Started by the leader only (coordinator_role.c): kept to start it
	 * again on each promotion. */
	c->outbox_db = db;
	c->outbox_password_file = splan.password_file ? xstrdup(splan.password_file) : NULL;
	coordinator_store_plan_clear(&splan);
	c->outbox_config = (outbox_config_t){
	    .store = {.target = c->outbox_db, .password_file = c->outbox_password_file},
	    .channels = s->config->channels,
	    .channel_count = s->config->channel_count,
	    .link_base = s->config->link,
	    .give_up_ms = s->config->give_up_ms,
	    .backoff_ms = s->config->backoff_ms,
	    .max_backoff_ms = s->config->max_backoff_ms,
	    .timeout_ms = s->config->timeout_ms,
	};
	s->catalog = catalog_load(config->runbooks_dir, NULL, s->store, error);
	if (s->catalog == NULL)
		goto fail;

	c->zctx = zmq_ctx_new();
	/* Keys and the ZAP handler come before any socket binds. */
	security_config_t sec = {
	    .key_file = config->key_file,
	    .workers_dir = config->workers_dir,
	    .operators_file = config->operators_file,
	    .insecure = config->insecure,
	    .heartbeat_ms = config->heartbeat_ms,
	    .max_heartbeats_per_second = config->max_heartbeats_per_second,
	    .on_refusal = coordinator_auth_refused,
	    .on_refusal_ctx = c,
	    .worker_busy = coordinator_worker_busy,
	    .worker_busy_ctx = c,
	};
	s->security =
	    security_new(&sec, c->zctx, config->worker_endpoint, config->api_endpoint, error);
	if (s->security == NULL)
		goto fail;
	s->worker_sock = zmq_socket(c->zctx, ZMQ_ROUTER);
	s->api_sock = zmq_socket(c->zctx, ZMQ_ROUTER);
	if (s->worker_sock == NULL || s->api_sock == NULL) {
		*error = xasprintf("cannot create sockets: %s", zmq_strerror(errno));
		goto fail;
	}
	int one = 1;
	wire_socket_setup(s->worker_sock);
	wire_socket_setup(s->api_sock);
	/* A worker that reconnects (after a crash, before its old TCP
	 * connection timed out) takes its identity over. */
	zmq_setsockopt(s->worker_sock, ZMQ_ROUTER_HANDOVER, &one, sizeof(one));
	/* Sends to a peer that is gone fail instead of vanishing. */
	zmq_setsockopt(s->worker_sock, ZMQ_ROUTER_MANDATORY, &one, sizeof(one));
	zmq_setsockopt(s->api_sock, ZMQ_ROUTER_MANDATORY, &one, sizeof(one));
	int queue = COORDINATOR_PEER_QUEUE;
	if (zmq_setsockopt(s->worker_sock, ZMQ_SNDHWM, &queue, sizeof(queue)) != 0 ||
	    zmq_setsockopt(s->api_sock, ZMQ_SNDHWM, &queue, sizeof(queue)) != 0) {
		*error = xasprintf("cannot size the sockets' queues: %s", zmq_strerror(errno));
		goto fail;
	}
	if (security_setup_sockets(s->security, s->worker_sock, s->api_sock, error) != 0)
		goto fail;
	if (coordinator_bind(s->worker_sock, config->worker_endpoint, bound_worker,
	                     sizeof(bound_worker), error) != 0 ||
	    coordinator_bind(s->api_sock, config->api_endpoint, bound_api, sizeof(bound_api),
	                     error) != 0)
		goto fail;
	char *bound_http = c->bound_http;
	if (coordinator_http_start(c, bound_http, sizeof(c->bound_http), error) != 0)
		goto fail;
	if (coordinator_write_endpoints(config->data_dir, bound_worker, bound_api,
	                                c->httpd ? bound_http : NULL, error) != 0)
		goto fail;
	snprintf(c->bound_worker, sizeof(c->bound_worker), "%s", bound_worker);
	snprintf(c->bound_api, sizeof(c->bound_api), "%s", bound_api);
	if (redirect_advertise(config, bound_worker, bound_api, c->httpd ? bound_http : NULL,
	                       &s->advertised, error) != 0)
		goto fail;

	s->registry = registry_new();
	registry_set_pace(s->registry, config->heartbeat_ms, config->max_heartbeats_per_second);
	s->sendq = sendq_new();
	sendq_on_fail(s->sendq, coordinator_send_failed, c);
	s->responder = responder_new(s);
	s->launcher = launcher_new(s);
	dispatcher_config_t dcfg = {
	    .svc = s,
	    .lost_after_ms = (int64_t)config->heartbeat_ms * REGISTRY_LOST_INTERVALS,
	    .settle_ms = COORDINATOR_SETTLE_MS, /* the scheduler's settle window too */
	    .hooks = responder_hooks(s->responder),
	};
	s->dispatcher = dispatcher_new(&dcfg);
	s->scheduler = scheduler_new(s->store);
	c->api = (api_t){
	    .svc = s,
	    .reload = coordinator_reload,
	    .reload_ctx = c,
	    .status = coordinator_status,
	    .status_ctx = c,
	    .curve = security_curve(s->security),
	    .settling = true,
	    .web = c->webapi, /* made with the HTTP endpoint, above */
	};
	/* Leads at once on SQLite (the same recovery as ever: runs in flight,
	 * runbooks and schedules), or follows until the lease is free. */
	if (coordinator_role_start(c, config->lease_ms ? config->lease_ms : s->config->lease_ms,
	                           error) != 0)
		goto fail;
	log_info("coordinator %s %s, epoch %llu: workers on %s, operators on %s, HTTP on %s,"
	         " data in %s",
	         c->coordinator_id, leader_is_leader(c->leader) ? "leads" : "follows",
	         (unsigned long long)s->epoch, bound_worker, bound_api,
	         c->httpd ? bound_http : "nothing (--http off)", config->data_dir);
	return c;
fail:
	coordinator_destroy(&c);
	return NULL;
}

void
coordinator_destroy(coordinator_t **cp)
{
	coordinator_t *c = *cp;
	if (c == NULL)
		return;
	httpd_stop(&c->httpd);
	webapi_destroy(&c->webapi);
	api_clear(&c->api);
	services_destroy(&c->svc); /* the outbox first, the sockets and keys last */
	coordinator_role_destroy(c);
	if (c->zctx)
		zmq_ctx_term(c->zctx);
	if (c->sigfd >= 0)
		close(c->sigfd);
	storelock_release(&c->storelock); /* after every connection to the store closed */
	free(c->store_lost);
	dirlock_release(&c->lockfd);
	free(c);
	*cp = NULL;
}

static bool
coordinator_settled(coordinator_t *c, int64_t now)
{
	if (c->settled)
		return true;
	size_t away = 0;
	for (size_t i = 0; i < registry_count(c->svc->registry); i++)
		away += !registry_at(c->svc->registry, i)->connected;
	if (away > 0 && now < c->settle_deadline)
		return false;
	c->settled = true;
	c->api.settling = false;
	if (away > 0)
		log_info("scheduler starts with %zu known worker(s) still away", away);
	return true;
}

/* Starts the run of one schedule slot, or records why it did not start. */
/* The freeze window pausing every schedule now, described (the caller
 * frees), or NULL. A window that cannot be read pauses nothing: a duty
 * missed silently is worse than one run in a freeze. */
static char *
coordinator_frozen(coordinator_t *c)
{
	maint_set_t set;
	if (maintenance_active(c->svc->store, config_maintenance(c->svc->config), clock_wall_ms(),
	                       &set) != 0) {
		log_error("scheduler: cannot read the maintenance windows; schedules go on");
		return NULL;
	}
	const maint_window_t *f = maintenance_freeze(&set);
	char *what = NULL;
	if (f != NULL) {
		char *w = maintenance_describe(f);
		what = xasprintf("freeze %s", w);
		free(w);
	}
	maintenance_set_free(&set);
	return what;
}

static const char *
coordinator_fire(void *ctx, const schedule_t *sc, int64_t slot_ms, size_t missed)
{
	coordinator_t *c = ctx;
	static char run_id[32];
	const catalog_entry_t *e = catalog_find(c->svc->catalog, sc->runbook);
	if (e == NULL)
		return NULL;
	char slot[32];
	clock_format(slot_ms, slot, sizeof(slot));
	const launcher_t *l = c->svc->launcher;
	launch_t req = {
	    .rb = e->rb,
	    .yaml = catalog_run_yaml(e),
	    .trigger = "schedule",
	    .slot_ms = slot_ms,
	};
	const skipdate_t *skip = skipdates_find(&e->rb->schedule.skip, slot_ms, sc->timezone);
	if (skip != NULL) {
		char *why = skipdates_describe(skip);
		char *reason = xasprintf("skipped: %s", why);
		free(why);
		int rc = launcher_record_ended(l, &req, ROTA__RUN_STATUS__RUN_SKIPPED, reason,
		                               run_id, sizeof(run_id));
		free(reason);
		return rc == 0 ? run_id : NULL;
	}
	char *frozen = e->rb->maintenance_ignore ? NULL : coordinator_frozen(c);
	if (frozen != NULL) {
		char *reason = xasprintf("skipped: %s (maintenance: ignore in a runbook keeps its"
		                         " schedule going)",
		                         frozen);
		free(frozen);
		int rc = launcher_record_ended(l, &req, ROTA__RUN_STATUS__RUN_SKIPPED, reason,
		                               run_id, sizeof(run_id));
		free(reason);
		return rc == 0 ? run_id : NULL;
	}
	run_t *active = dispatcher_active_of(c->svc->dispatcher, sc->runbook);
	if (active != NULL && sc->concurrency == RUNBOOK_CONCURRENCY_FORBID) {
		char *reason = xasprintf("skipped: run %s of %s is still running (concurrency:"
		                         " forbid)",
		                         active->id, sc->runbook);
		int rc = launcher_record_ended(l, &req, ROTA__RUN_STATUS__RUN_SKIPPED, reason,
		                               run_id, sizeof(run_id));
		free(reason);
		return rc == 0 ? run_id : NULL;
	}
	if (active != NULL && sc->concurrency == RUNBOOK_CONCURRENCY_REPLACE) {
		char *reason = xasprintf("cancelled: replaced by the %s UTC slot of its schedule"
		                         " (concurrency: replace)",
		                         slot);
		dispatcher_cancel(c->svc->dispatcher, active, NULL, reason, NULL);
		free(reason);
	}
	if (missed > 0)
		log_info("schedule %s: one run for the %s UTC slot stands for %zu missed slot(s)",
		         sc->runbook, slot, missed + 1);
	launch_result_t res;
	int rc = launcher_start(l, &req, &res);
	snprintf(run_id, sizeof(run_id), "%s", res.run_id);
	launch_result_clear(&res);
	return rc == 0 && run_id[0] ? run_id : NULL;
}

static void
coordinator_signal(coordinator_t *c)
{
	struct signalfd_siginfo si;
	while (read(c->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			if (!c->stopping)
				log_info("signal %u: stopping: this turn is committed, workers are"
				         " told, new runs are refused",
				         si.ssi_signo);
			c->stopping = true;
			c->api.stopping = true;
			break;
		case SIGHUP: {
			security_reload(c->svc->security);
			log_info("SIGHUP: reloading runbooks from %s and the configuration's"
			         " maintenance windows",
			         c->svc->options.runbooks_dir);
			Rota__ReloadResponse out;
			char *error = NULL; /* logged by coordinator_reload */
			coordinator_reload(c, &out, &error);
			free(error);
			api_reload_response_clear(&out);
			break;
		}
		default:
			break;
		}
	}
}

/* Time this process did not run (stopped, swapped out, a stalled disk) is
 * not the workers' silence: move their clocks on by it, so a frozen
 * coordinator does not declare a healthy fleet lost the moment it thaws.
 * Called at each checkpoint of the loop with the time it meant to sleep
 * since the last one. */
static void
coordinator_forgive(coordinator_t *c, int64_t *last_check, int64_t slept)
{
	int64_t now = clock_mono_ms();
	int64_t stalled = now - *last_check - slept;
	if (stalled > (int64_t)c->svc->options.heartbeat_ms * 2) {
		log_warn("the coordinator did not run for %lld ms; workers get that time back",
		         (long long)stalled);
		/* A worker that gave up on us meanwhile is reconnecting with a
		 * backoff that doubled through our silence, and on a busy
		 * machine its next Hello may again go unanswered within its
		 * patience (the backlog of the thaw comes first) and double it
		 * once more: it gets the longest backoff, WIRE_RECONNECT_MAX_MS,
		 * before it is called lost. With only the silence's length
		 * given back, three workers of pg.fault.coordinator_stop were
		 * called lost at a load of 20, their steps with them. */
		registry_shift(c->svc->registry, stalled + WIRE_RECONNECT_MAX_MS);
		dispatcher_shift(c->svc->dispatcher, stalled);
	}
	*last_check = now;
}

/* Tells every connected worker that this coordinator is going, so it says
 * Hello to the next one at once instead of waiting for 5 heartbeats of
 * silence. */
static void
coordinator_goodbye(coordinator_t *c)
{
	Rota__Goodbye bye = ROTA__GOODBYE__INIT;
	bye.reason = "the coordinator is stopping";
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_GOODBYE;
	env.goodbye = &bye;
	size_t n = 0;
	for (size_t i = 0; i < registry_count(c->svc->registry); i++) {
		worker_t *w = registry_at(c->svc->registry, i);
		if (!w->connected)
			continue;
		sendq_push(c->svc->sendq, c->svc->worker_sock, (const uint8_t *)w->id,
		           strlen(w->id), &env);
		n++;
	}
	sendq_flush(c->svc->sendq, &c->sent);
	log_info("told %zu worker(s) goodbye", n);
}

/* The end of the loop: the last turn's changes are committed (and only then
 * its messages sent), the workers are told, and for COORDINATOR_STOP_LINGER_MS
 * the operator API still answers, refusing what would change anything, so a
 * submit racing the stop gets a clear refusal rather than a timeout; that
 * time also lets libzmq put the goodbyes on the wire (sockets close with no
 * linger). Worker messages are left unread: what they send is resent to the
 * next coordinator. */
static void
coordinator_stop(coordinator_t *c)
{
	/* The store knows a worker's time of Hello: give it the last sighting,
	 * so the next start does not show seconds-old workers as long gone. */
	for (size_t i = 0; i < registry_count(c->svc->registry); i++) {
		worker_t *w = registry_at(c->svc->registry, i);
		if (!w->connected)
			continue;
		char *labels = registry_labels_string(w);
		store_worker_upsert(c->svc->store, w->id, w->hostname, labels, w->version,
		                    registry_state(w), w->last_seen_wall);
		free(labels);
	}
	dispatcher_end_turn(c->svc->dispatcher);
	if (coordinator_commit_settle(c) == 0 && store_commit(c->svc->store) == 0) {
		events_committed(c->svc->events, c->svc->sendq, true, clock_mono_ms());
		sendq_flush(c->svc->sendq, &c->sent);
		if (incidents_take_wake(c->svc->incidents))
			outbox_wake(c->svc->outbox);
	} else
		log_error("store: the last turn could not be committed; its messages are"
		          " withheld (%zu)",
		          sendq_discard(c->svc->sendq));
	coordinator_goodbye(c);
	/* A successor need not wait for the lease to expire. */
	leader_stop(c->leader);
	int64_t end = clock_mono_ms() + COORDINATOR_STOP_LINGER_MS;
	for (int64_t now = clock_mono_ms(); now < end; now = clock_mono_ms()) {
		zmq_pollitem_t item[] = {
		    {c->svc->api_sock, 0, ZMQ_POLLIN, 0},
		    {security_zap_socket(c->svc->security), 0, ZMQ_POLLIN, 0},
		};
		if (zmq_poll(item, item[1].socket ? 2 : 1, (long)(end - now)) < 0 && errno != EINTR)
			break;
		if (item[1].socket && (item[1].revents & ZMQ_POLLIN))
			security_zap_handle(c->svc->security);
		if (item[0].revents & ZMQ_POLLIN)
			coordinator_read(c, c->svc->api_sock, &c->api_wire, "api",
			                 coordinator_api_message);
		/* Reads only: nothing to make durable, but close the read. */
		store_commit(c->svc->store);
		events_committed(c->svc->events, c->svc->sendq, false, clock_mono_ms());
		sendq_flush(c->svc->sendq, &c->sent);
	}
}

/* Whether a message (or a signal, a handshake, an HTTP connection) waits on
 * the loop's sockets now: polled without waiting. */
static bool
coordinator_input_ready(coordinator_t *c)
{
	zmq_pollitem_t items[5] = {
	    {c->svc->worker_sock, 0, ZMQ_POLLIN, 0},
	    {c->svc->api_sock, 0, ZMQ_POLLIN, 0},
	    {NULL, c->sigfd, ZMQ_POLLIN, 0},
	};
	int n = 3;
	void *zap = security_zap_socket(c->svc->security);
	if (zap != NULL)
		items[n++] = (zmq_pollitem_t){zap, 0, ZMQ_POLLIN, 0};
	if (c->httpd != NULL)
		items[n++] = (zmq_pollitem_t){NULL, httpd_fd(c->httpd), ZMQ_POLLIN, 0};
	return zmq_poll(items, n, 0) > 0;
}

/* A turn allocates what it reads, encodes and writes, and frees it at its
 * end. With glibc's defaults (the heap's top given back past 128 KiB free)
 * each turn shrank the heap with brk(2) and the next grew it again: a
 * munmap with its TLB shootdown and a page fault for every page touched
 * again, about a fifth of the loop's CPU under the throughput benchmark
 * (docs/benchmarks.md, "The loop's turn"). The heap keeps up to
 * COORDINATOR_HEAP_KEEP free at its top instead; allocations up to
 * COORDINATOR_HEAP_MMAP still come from it (setting a threshold stops
 * glibc's moving one), larger ones (a run's whole output) are mapped and
 * given back as before. */
#define COORDINATOR_HEAP_KEEP (32 << 20)
#define COORDINATOR_HEAP_PAD (1 << 20)
#define COORDINATOR_HEAP_MMAP (4 << 20)
static void
coordinator_heap_keep(void)
{
	if (mallopt(M_MMAP_THRESHOLD, COORDINATOR_HEAP_MMAP) != 1 ||
	    mallopt(M_TRIM_THRESHOLD, COORDINATOR_HEAP_KEEP) != 1 ||
	    mallopt(M_TOP_PAD, COORDINATOR_HEAP_PAD) != 1)
		/* Not glibc's allocator (a sanitizer's, valgrind's): it keeps
		 * its own heap, and nothing is wrong. */
		log_info("mallopt: this allocator keeps its heap its own way");
}

int
coordinator_run(coordinator_t *c)
{
	coordinator_heap_keep();
	int64_t next_heartbeat = clock_mono_ms();
	int64_t next_tick = clock_mono_ms();
	int64_t last_check = clock_mono_ms();
	turnstats_begin(&c->turn);
	while (!c->stopping) {
		if (c->resync_pending) {
			/* No message may meet a dispatcher that lost its runs: wait
			 * for the store, answering only signals. */
			coordinator_resync(c);
			/* The lease goes on being renewed (or lost) meanwhile. */
			coordinator_role_turn(c, clock_mono_ms());
			if (c->resync_pending) {
				zmq_pollitem_t sig = {NULL, c->sigfd, ZMQ_POLLIN, 0};
				if (zmq_poll(&sig, 1, COORDINATOR_RESYNC_RETRY_MS) > 0)
					coordinator_signal(c);
				last_check = clock_mono_ms();
				continue;
			}
		}
		int64_t now = clock_mono_ms();
		int64_t wait = next_heartbeat < next_tick ? next_heartbeat - now : next_tick - now;
		if (wait < 0)
			wait = 0;
		long http_wait = c->httpd ? httpd_timeout_ms(c->httpd) : -1;
		if (http_wait >= 0 && http_wait < wait)
			wait = http_wait;
		if (pruner_busy(c->svc->pruner))
			wait = 0; /* a pass goes on between messages, a slice a turn */
		bool indexing = leader_is_leader(c->leader) && !c->stopping &&
		                !c->store_unwritable && c->store_lost == NULL;
		if (indexing &&
		    (indexer_busy(c->svc->indexer, now) || coordinator_save_busy(c, now)))
			wait = 0; /* the search index's backlog, the start's rows too */
		long events_wait = events_timeout_ms(c->svc->events, now);
		if (events_wait >= 0 && events_wait < wait)
			wait = events_wait;
		/* A backup goes on a slice a turn, the loop sleeping between
		 * slices (a message still wakes it at once). */
		long backup_wait = backup_wait_ms(c->svc->backup);
		if (backup_wait >= 0 && backup_wait < wait)
			wait = backup_wait;
		zmq_pollitem_t items[6] = {
		    {c->svc->worker_sock, 0, ZMQ_POLLIN, 0},
		    {c->svc->api_sock, 0, ZMQ_POLLIN, 0},
		    {NULL, c->sigfd, ZMQ_POLLIN, 0},
		};
		int n_items = 3, zap_item = -1, commit_item = -1;
		void *zap = security_zap_socket(c->svc->security);
		if (zap != NULL) {
			/* ZAP: answered here, so handshakes wait at most a turn. */
			items[n_items] = (zmq_pollitem_t){zap, 0, ZMQ_POLLIN, 0};
			zap_item = n_items++;
		}
		if (c->httpd != NULL)
			items[n_items++] =
			    (zmq_pollitem_t){NULL, httpd_fd(c->httpd), ZMQ_POLLIN, 0};
		if (store_commit_inflight(c->svc->store)) {
			/* The last turn's COMMIT answered: told at once. */
			items[n_items] =
			    (zmq_pollitem_t){NULL, store_socket(c->svc->store), ZMQ_POLLIN, 0};
			commit_item = n_items++;
		}
		log_flush(); /* the turn's INFO lines, before waiting (log.h) */
		turnstats_mark(&c->turn, TURN_AFTER);
		if (zmq_poll(items, n_items, (long)wait) < 0) {
			if (errno == EINTR)
				continue;
			log_error("zmq_poll: %s", zmq_strerror(errno));
			return -1;
		}
		turnstats_mark(&c->turn, TURN_WAIT);
		if (commit_item >= 0 && (items[commit_item].revents & ZMQ_POLLIN) &&
		    coordinator_commit_settle(c) != 0) {
			coordinator_resync(c);
			turnstats_begin(&c->turn);
			continue;
		}
		coordinator_forgive(c, &last_check, wait);
		/* Signals first: a submit read in the same turn as SIGTERM is
		 * refused, not started by a coordinator about to go. */
		if (items[2].revents & ZMQ_POLLIN)
			coordinator_signal(c);
		/* Before any message: a leader that lost the lease (or was
		 * frozen past it) steps down before it acts on anything. */
		coordinator_role_turn(c, clock_mono_ms());
		bool leads = leader_is_leader(c->leader);
		if (zap_item >= 0 && (items[zap_item].revents & ZMQ_POLLIN))
			security_zap_handle(c->svc->security);
		bool drained = true;
		if (items[0].revents & ZMQ_POLLIN)
			drained = coordinator_read(c, c->svc->worker_sock, &c->worker_wire,
			                           "worker", coordinator_worker_message);
		if (items[1].revents & ZMQ_POLLIN)
			coordinator_read(c, c->svc->api_sock, &c->api_wire, "api",
			                 coordinator_api_message);
		if (c->httpd && !c->resync_pending)
			httpd_run(c->httpd);
		coordinator_forgive(c, &last_check, 0);
		turnstats_mark(&c->turn, TURN_READ);
		now = clock_mono_ms();
		if (now >= next_heartbeat) {
			coordinator_heartbeat(c, drained);
			next_heartbeat = now + c->svc->options.heartbeat_ms;
		}
		if (now >= next_tick) {
			/* The timers' work may commit on its own (the alert
			 * inbox): the turn in flight is settled first. */
			if (coordinator_commit_settle(c) != 0) {
				coordinator_resync(c);
				turnstats_begin(&c->turn);
				continue;
			}
			/* Only the leader acts on runs, slots and escalations. */
			if (leads && c->store_lost == NULL)
				dispatcher_tick(c->svc->dispatcher, now);
			if (leads && !c->stopping && c->store_lost == NULL &&
			    coordinator_settled(c, now))
				scheduler_run(c->svc->scheduler, clock_wall_ms(), coordinator_fire,
				              c);
			if (leads && !c->store_unwritable && c->store_lost == NULL)
				incidents_tick(c->svc->incidents, clock_wall_ms());
			if (leads && !c->stopping && !c->store_unwritable &&
			    store_shared(c->svc->store) && now >= c->next_inbox) {
				coordinator_http_inbox(c);
				c->next_inbox = now + COORDINATOR_INBOX_MS;
			}
			audit_tick(c->svc->audit, now, clock_wall_ms(),
			           leads && !c->store_unwritable);
			next_tick = now + COORDINATOR_TICK_MS;
		}
		/* Durable first, then tell (coordinator_commit.c). */
		turnstats_mark(&c->turn, TURN_TICK);
		/* The slices below write in transactions of their own, after the
		 * turn's answers are out: only a leader whose store takes writes,
		 * and not while this turn's COMMIT is in flight. */
		bool slices =
		    leads && !c->stopping && !c->store_unwritable && c->store_lost == NULL;
		if (coordinator_commit_turn(c, slices && coordinator_commit_may_overlap(c, now)) !=
		    0) {
			coordinator_resync(c);
			turnstats_begin(&c->turn);
			continue;
		}
		slices = slices && !store_commit_inflight(c->svc->store);
		/* A slice of the search index's backlog. */
		if (slices && indexer_busy(c->svc->indexer, now))
			indexer_turn(c->svc->indexer, now);
		/* A slice of the runbooks' and schedules' rows the start left
		 * to write (coordinator_save.c). */
		if (slices && coordinator_save_busy(c, now))
			coordinator_save_turn(c, COORDINATOR_SAVE_SLICE_MS);
		/* Retention: a slice of bounded time, and only when no message
		 * waits (dispatch goes first; pruner.h bounds how long it is put
		 * off). */
		if (slices && !(pruner_busy(c->svc->pruner) && coordinator_input_ready(c) &&
		                pruner_put_off(c->svc->pruner, now)))
			pruner_turn(c->svc->pruner, now, clock_wall_ms());
		/* A slice of the backup, between turns (nothing open); its
		 * outcome, when it ends, is committed here. */
		if (backup_running(c->svc->backup)) {
			backup_turn(c->svc->backup, clock_wall_ms());
			if (store_in_transaction(c->svc->store) && store_commit(c->svc->store) != 0)
				log_warn("store: the backup's outcome could not be recorded: %s",
				         store_last_error(c->svc->store));
		}
		if (now >= c->next_store_check) {
			coordinator_check_store(c);
			c->next_store_check = now + COORDINATOR_STORE_CHECK_MS;
		}
	}
	coordinator_stop(c);
	const wire_stats_t *w = &c->worker_wire;
	const dispatcher_stats_t *ds = dispatcher_stats(c->svc->dispatcher);
	log_info("stopped: %llu worker frames (%llu dropped, %llu from connections that had not"
	         " said hello), %llu api frames (%llu dropped), %llu results recorded, %llu"
	         " duplicates, %llu worker connection(s) replaced; %llu output chunks recorded,"
	         " %llu duplicates, %llu ahead of a missing one, %llu lost",
	         (unsigned long long)w->received,
	         (unsigned long long)(w->dropped_shape + w->dropped_size + w->dropped_decode +
	                              w->dropped_version + w->dropped_empty),
	         (unsigned long long)c->stale_frames, (unsigned long long)c->api_wire.received,
	         (unsigned long long)(c->api_wire.dropped_shape + c->api_wire.dropped_size +
	                              c->api_wire.dropped_decode + c->api_wire.dropped_version +
	                              c->api_wire.dropped_empty),
	         (unsigned long long)ds->results_recorded,
	         (unsigned long long)ds->results_duplicate, (unsigned long long)c->workers_replaced,
	         (unsigned long long)ds->outputs_recorded,
	         (unsigned long long)ds->outputs_duplicate, (unsigned long long)ds->outputs_ahead,
	         (unsigned long long)ds->outputs_lost);
	security_log_stats(c->svc->security);
	turnstats_log(&c->turn, ds->results_recorded);
	return 0;
}
