/* coordinator_workers: the workers' endpoint: Hello and its checks, every
 * other message a connected worker sends, the coordinator's heartbeats, the
 * workers it declares lost, and whether a second connection under a
 * worker's key is refused. Must never: record what a connection that has
 * not said Hello sends. */
#include "coordinator_internal.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "clock.h"
#include "log.h"
#include "runbook.h"
#include "xalloc.h"

/* Whether the TCP connection a worker last spoke on is still open at both
 * ends: its fd still names the same peer and is ESTABLISHED. A worker that
 * gave up on a frozen coordinator closed it, so the coordinator's end is in
 * CLOSE_WAIT (or closed) the moment it thaws, even while the messages that
 * connection queued still make the worker look recently heard from. */
static bool
coordinator_conn_open(const worker_t *w)
{
	if (w->conn_fd < 0)
		return true; /* not a TCP peer we can ask: assume it is */
	wire_msg_t probe;
	memset(&probe, 0, sizeof(probe));
	probe.src_fd = w->conn_fd;
	if (strcmp(wire_peer(&probe), w->peer) != 0)
		return false; /* closed, or the fd number now names another */
	struct tcp_info ti;
	socklen_t tl = sizeof(ti);
	if (getsockopt(w->conn_fd, IPPROTO_TCP, TCP_INFO, &ti, &tl) == 0 &&
	    ti.tcpi_state != TCP_ESTABLISHED)
		return false;
	return true;
}

/* A second connection with a worker's key while that worker is connected,
 * not stopping, heard from within two heartbeats, and its connection still
 * open: libzmq would ignore it (no handover under CURVE), so ZAP refuses it
 * with the reason. A restarted worker whose old connection the coordinator
 * has not noticed is admitted once that one falls silent or closes. */
bool
coordinator_worker_busy(void *ctx, const char *id, char *why, size_t len)
{
	coordinator_t *c = ctx;
	const worker_t *w = c->svc->registry ? registry_find(c->svc->registry, id) : NULL;
	int64_t ago = w ? clock_mono_ms() - w->last_seen_mono : 0;
	if (w == NULL || !w->connected || w->stopping || ago > 2 * (int64_t)w->hb_ms ||
	    !coordinator_conn_open(w))
		return false;
	snprintf(why, len,
	         "worker %s is connected from %s (heard from %lld ms ago): a second process"
	         " with the id and key of %s?",
	         id, w->peer[0] ? w->peer : "?", (long long)ago, id);
	return true;
}

/* Tells a peer we do not know (yet) which coordinator it talks to, so it
 * says Hello again. */
static void
coordinator_nudge(coordinator_t *c, const wire_msg_t *msg, uint64_t epoch)
{
	Rota__Heartbeat hb = ROTA__HEARTBEAT__INIT;
	hb.epoch = epoch;
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_HEARTBEAT;
	env.heartbeat = &hb;
	sendq_push(c->svc->sendq, c->svc->worker_sock, msg->identity, msg->identity_len, &env);
}

/* Whether msg came on another connection than the one w said Hello on.
 * The fd tells connections apart while both are open, which is when it
 * matters: a closed connection sends nothing more. */
static bool
coordinator_other_connection(const wire_msg_t *msg, const worker_t *w)
{
	return msg->src_fd >= 0 && w->conn_fd >= 0 && msg->src_fd != w->conn_fd;
}

int
coordinator_hello_check(const Rota__Hello *hello, const uint8_t *identity, size_t identity_len,
                        const char **why)
{
	if (hello->worker_id == NULL || hello->worker_id[0] == '\0' ||
	    strlen(hello->worker_id) != identity_len ||
	    memcmp(hello->worker_id, identity, identity_len) != 0) {
		*why = "a Hello whose worker_id is not its identity";
		return -1;
	}
	if (hello->n_in_flight > COORDINATOR_HELLO_MAX_KEYS ||
	    hello->n_spooled > COORDINATOR_HELLO_MAX_KEYS) {
		*why = "a Hello over the limits of in-flight or spooled entries";
		return -1;
	}
	return 0;
}

static void
coordinator_hello(coordinator_t *c, const wire_msg_t *msg)
{
	const Rota__Hello *hello = msg->env->hello;
	const char *drop = NULL;
	if (coordinator_hello_check(hello, msg->identity, msg->identity_len, &drop) != 0) {
		c->hello_refused++;
		coordinator_log_drop(c, "worker", msg, drop);
		return;
	}
	char why[320];
	if (wire_hello_check(hello, why, sizeof(why)) != 0) {
		/* Stored, it would be in every `rota workers` answer: refused, and
		 * the worker is told why (it logs what the coordinator answered). */
		c->hello_refused++;
		coordinator_log_drop(c, "worker", msg, why);
		char text[512];
		snprintf(text, sizeof(text),
		         "Hello refused: %s (docs/protocol.md, \"Bounded fields\"); fix it and"
		         " restart the worker",
		         why);
		coordinator_redirect(c, c->svc->worker_sock, msg, 0, text);
		return;
	}
	if (strcmp(hello->worker_id, RUNBOOK_COORDINATOR_HOST) == 0) {
		/* The host of the runs that need no worker (runbook.h): a
		 * worker of that name would be taken for it (by rota show, an
		 * alert's host, a window). rota-worker never says it; another
		 * client is told why. */
		c->hello_refused++;
		coordinator_log_drop(c, "worker", msg, "a Hello as " RUNBOOK_COORDINATOR_HOST);
		coordinator_redirect(c, c->svc->worker_sock, msg, 0,
		                     "Hello refused: worker id " RUNBOOK_COORDINATOR_HOST
		                     " is the host of runbooks with targets: { coordinator: true"
		                     " }; give the worker another id");
		return;
	}
	worker_t *w = registry_find(c->svc->registry, hello->worker_id);
	bool was = w && w->connected;
	/* Another connection under this id: ZMQ_ROUTER_HANDOVER already gave
	 * it the identity, so the old connection's pending messages arrive
	 * under a libzmq-made id and are dropped; from now on only this
	 * connection speaks for the worker. */
	bool replacing = was && coordinator_other_connection(msg, w);
	/* Another process (a restart, or a second worker with this id): an
	 * order the old one was sent may have run there (dispatcher.h). */
	bool other = w && w->instance != 0 && hello->instance != w->instance;
	char old_peer[sizeof(w->peer)] = "";
	if (w)
		snprintf(old_peer, sizeof(old_peer), "%s", w->peer);
	char *old_host = was ? xstrdup(w->hostname) : NULL;
	char *old_labels = was ? registry_labels_string(w) : NULL;
	w = registry_hello(c->svc->registry, hello, clock_mono_ms(), clock_wall_ms());
	w->conn_fd = msg->src_fd;
	snprintf(w->peer, sizeof(w->peer), "%s", wire_peer(msg));
	char *labels = registry_labels_string(w);
	if (replacing && other) {
		w->replaced++;
		c->workers_replaced++;
		char key[160];
		uint64_t suppressed = 0;
		snprintf(key, sizeof(key), "replaced/%s", w->id);
		if (log_limit_allow(&c->drop_log, key, clock_mono_ms(), COORDINATOR_DROP_LOG_MS,
		                    &suppressed))
			log_warn(
			    "worker %s: a Hello from %s (host %s, labels %s) replaces its"
			    " connection from %s (host %s, labels %s): the worker restarted, or"
			    " two workers use the id %s; the newest connection takes over"
			    " (%u replacement(s) so far, %llu not logged)",
			    w->id, w->peer[0] ? w->peer : "?", w->hostname,
			    labels[0] ? labels : "none", old_peer[0] ? old_peer : "?", old_host,
			    old_labels[0] ? old_labels : "none", w->id, w->replaced,
			    (unsigned long long)suppressed);
	} else if (replacing) {
		log_info("worker %s reconnected from %s (was %s)", w->id,
		         w->peer[0] ? w->peer : "?", old_peer[0] ? old_peer : "?");
	}
	free(old_host);
	free(old_labels);
	store_worker_upsert(c->svc->store, w->id, w->hostname, labels, w->version, "connected",
	                    w->last_seen_wall);
	log_info("worker %s %s from %s (host %s, labels %s, %zu in flight, %zu spooled)", w->id,
	         !was    ? "connected"
	         : other ? "said hello again as a new process"
	                 : "said hello again",
	         w->peer[0] ? w->peer : "?", w->hostname, labels[0] ? labels : "none",
	         hello->n_in_flight, hello->n_spooled);
	free(labels);

	Rota__Welcome welcome = ROTA__WELCOME__INIT;
	welcome.coordinator_id = c->coordinator_id;
	welcome.epoch = c->svc->epoch;
	welcome.heartbeat_ms = w->hb_ms; /* the fleet's now (registry_hello) */
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_WELCOME;
	env.welcome = &welcome;
	sendq_push(c->svc->sendq, c->svc->worker_sock, msg->identity, msg->identity_len, &env);
	w->hb_sent_mono = clock_mono_ms();
	dispatcher_hello(c->svc->dispatcher, w, hello, other);
}

/* A worker whose coordinator went silent asks who leads: a follower
 * answers with its Redirect, the leader with one naming itself. Nothing
 * else is done: the probe comes on a connection of its own, under a name
 * libzmq made (so it can never take over the identity of a worker
 * connected here), and the registry does not hear of it. Under CURVE the
 * ZAP handler admitted its key as any worker's; who leads is all it
 * learns, what any follower tells an admitted worker. */
static void
coordinator_probe(coordinator_t *c, const wire_msg_t *msg)
{
	const char *endpoint = NULL;
	void *sock = c->svc->worker_sock;
	int rc =
	    redirect_target(c->svc, REDIRECT_WORKERS, &endpoint)
	        ? redirect_send(c->svc, REDIRECT_WORKERS, sock, msg->identity, msg->identity_len, 0)
	        : redirect_send_here(c->svc, c->coordinator_id, sock, msg->identity,
	                             msg->identity_len);
	if (rc != 0)
		coordinator_log_drop(c, "worker", msg, "the answer to its probe could not be sent");
}

void
coordinator_worker_message(coordinator_t *c, const wire_msg_t *msg)
{
	Rota__Envelope *env = msg->env;
	if (env->body_case == ROTA__ENVELOPE__BODY_HEARTBEAT && env->heartbeat->probe) {
		coordinator_probe(c, msg);
		return;
	}
	/* Under CURVE, a worker speaks only under its key's id; one that
	 * says Hello under another is told why it gets no Welcome. */
	if (!security_worker_allowed(c->svc->security, msg)) {
		if (env->body_case == ROTA__ENVELOPE__BODY_HELLO) {
			char text[640];
			snprintf(text, sizeof(text), "the coordinator refused this worker: %s",
			         security_worker_denied(c->svc->security));
			coordinator_redirect(c, c->svc->worker_sock, msg, 0, text);
		}
		return;
	}
	/* A follower acts on nothing a worker sends: whatever it is, the
	 * worker is told where the leader is (redirect.h). */
	if (env->body_case != ROTA__ENVELOPE__BODY_REQUEST &&
	    coordinator_follower_redirect(c, REDIRECT_WORKERS, c->svc->worker_sock, msg, 0))
		return;
	if (env->body_case == ROTA__ENVELOPE__BODY_HELLO) {
		coordinator_hello(c, msg);
		return;
	}
	if (env->body_case == ROTA__ENVELOPE__BODY_REQUEST) {
		char text[640];
		snprintf(text, sizeof(text),
		         "%s is where workers connect; rota talks to the operator API at %s"
		         " (--coordinator or ROTA_COORDINATOR)",
		         c->bound_worker, c->bound_api);
		coordinator_redirect(c, c->svc->worker_sock, msg, env->request->id, text);
		return;
	}
	/* Identities are compared as C strings from here on: one with a NUL
	 * in it could pass for another worker's. */
	if (msg->identity_len == 0 || memchr(msg->identity, '\0', msg->identity_len) != NULL) {
		c->worker_wire.dropped_empty++;
		coordinator_log_drop(c, "worker", msg, "its identity is empty or holds a NUL byte");
		return;
	}
	char id[WIRE_MAX_IDENTITY_BYTES + 1];
	memcpy(id, msg->identity, msg->identity_len);
	id[msg->identity_len] = '\0';
	worker_t *w = registry_find(c->svc->registry, id);
	if (w == NULL || !w->connected) {
		/* Not connected here (unknown since a restart, or declared lost:
		 * a worker frozen past the silence window still holds our epoch).
		 * Epoch 0 differs from any a worker was welcomed with, so it says
		 * Hello again; a reply with ours would only look like a sign of
		 * life and the worker would never re-introduce itself. */
		coordinator_nudge(c, msg, 0);
		return;
	}
	if (coordinator_other_connection(msg, w)) {
		/* The identity moved to a connection that has not said Hello (a
		 * second process with this id, or libzmq reconnecting under a
		 * worker that did not notice): what it says is not recorded.
		 * Its epoch may be ours, so the nudge carries none to make it
		 * say Hello. */
		c->stale_frames++;
		coordinator_log_drop(c, "worker", msg,
		                     "a connection that has not said Hello; asked it to");
		coordinator_nudge(c, msg, 0);
		return;
	}
	registry_seen(w, clock_mono_ms(), clock_wall_ms());
	/* The store on disk is gone: a result recorded now would be lost at
	 * the next start, so it is not recorded nor acknowledged; the worker
	 * keeps it spooled and sends it again to the next coordinator. */
	if (c->store_lost != NULL && (env->body_case == ROTA__ENVELOPE__BODY_RESULT ||
	                              env->body_case == ROTA__ENVELOPE__BODY_OUTPUT))
		return;
	switch (env->body_case) {
	case ROTA__ENVELOPE__BODY_HEARTBEAT:
		switch (registry_spool_error(w, env->heartbeat->spool_error)) {
		case 1:
			log_warn("worker %s: its spool is failing (%s): output it cannot keep is at"
			         " risk",
			         w->id, w->spool_error);
			break;
		case -1:
			log_info("worker %s: its spool works again", w->id);
			break;
		}
		break;
	case ROTA__ENVELOPE__BODY_GOODBYE:
		if (!w->stopping)
			log_info("worker %s is stopping (%s): it finishes what it runs and is sent"
			         " nothing new",
			         w->id,
			         env->goodbye->reason && env->goodbye->reason[0]
			             ? env->goodbye->reason
			             : "no reason given");
		dispatcher_worker_stopping(c->svc->dispatcher, w);
		break;
	case ROTA__ENVELOPE__BODY_ACCEPTED:
		dispatcher_accepted(c->svc->dispatcher, w, env->accepted);
		break;
	case ROTA__ENVELOPE__BODY_OUTPUT:
		dispatcher_output(c->svc->dispatcher, w, env->output);
		break;
	case ROTA__ENVELOPE__BODY_RESULT:
		dispatcher_result(c->svc->dispatcher, w, env->result);
		break;
	default:
		c->worker_wire.dropped_empty++;
		coordinator_log_drop(c, "worker", msg, wire_strerror(WIRE_ERR_EMPTY));
		break;
	}
}

void
coordinator_heartbeat(coordinator_t *c, bool expire)
{
	registry_t *reg = c->svc->registry;
	/* The fleet's interval, for the heartbeats sent now and every Welcome
	 * until the next call (registry.h). */
	uint32_t was = registry_heartbeat_ms(reg);
	uint32_t interval = registry_repace(reg);
	if (interval != was)
		log_info("heartbeats: %zu workers connected, interval %u ms (was %u ms): a worker"
		         " silent for %lld ms is lost",
		         registry_connected(reg), interval, was,
		         (long long)registry_window_for(c->svc->options.heartbeat_ms, interval));
	Rota__Heartbeat hb = ROTA__HEARTBEAT__INIT;
	hb.epoch = c->svc->epoch;
	hb.heartbeat_ms = interval;
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_HEARTBEAT;
	env.heartbeat = &hb;
	/* Every COORDINATOR_HEARTBEAT_EVERY of the worker's intervals, less
	 * half a tick of slack, so a tick that comes a little early does not
	 * push a worker's heartbeat to the next one. Each worker's phase
	 * starts at its Welcome, which spreads the sends over the ticks. A
	 * new interval goes with the next heartbeat each worker is due: no
	 * message more when the fleet grows. */
	int64_t now = clock_mono_ms();
	int64_t half_tick = (int64_t)c->svc->options.heartbeat_ms / 2;
	for (size_t i = 0; i < registry_count(reg); i++) {
		worker_t *w = registry_at(reg, i);
		int64_t every = (int64_t)w->hb_ms * COORDINATOR_HEARTBEAT_EVERY - half_tick;
		if (!w->connected || now - w->hb_sent_mono < every)
			continue;
		hb.running = w->running;
		sendq_push(c->svc->sendq, c->svc->worker_sock, (const uint8_t *)w->id,
		           strlen(w->id), &env);
		registry_told(w, interval, now);
		w->hb_sent_mono = now;
	}
	/* Messages still queued may be the very heartbeats that keep workers
	 * alive: judge silence only once the queue is drained. */
	if (!expire)
		return;
	/* Room for every worker: a failed switch can lose them all at once. */
	size_t max = registry_count(reg);
	worker_t **lost = xcalloc(max, sizeof(*lost));
	now = clock_mono_ms();
	size_t n = registry_expire(reg, now, lost, max);
	for (size_t i = 0; i < n; i++) {
		worker_t *w = lost[i];
		if (w->stopping)
			log_info("worker %s stopped: silent since its Goodbye", w->id);
		else
			log_warn("worker %s lost: silent for more than %lld ms", w->id,
			         (long long)registry_lost_after(reg, w, now));
		char *labels = registry_labels_string(w);
		store_worker_upsert(c->svc->store, w->id, w->hostname, labels, w->version,
		                    registry_state(w), w->last_seen_wall);
		free(labels);
		dispatcher_worker_lost(c->svc->dispatcher, w);
	}
	free(lost);
}
