/* agent_probe: who leads, asked of the other coordinators of the list
 * while ours is silent (agent_internal.h).
 *
 * A frozen leader (SIGSTOP, a paused VM) keeps its TCP connections open:
 * the kernel answers for it, so only its silence tells a worker, and the
 * silence rule (AGENT_LOST_INTERVALS heartbeats) is longer than the lease
 * after which another coordinator takes over. So once the coordinator
 * has been silent for AGENT_PROBE_INTERVALS heartbeats, a worker with
 * several coordinators asks each of the others, on a connection of its
 * own, who leads (a Heartbeat with probe set), every heartbeat /
 * AGENT_PROBE_EVERY_DIV until its coordinator speaks again or is given up.
 * A follower answers with the Redirect it gives anyone, the leader with
 * one naming itself (leads_here). The worker moves only when an answer
 * names a leader under a **newer epoch** than the one that welcomed it:
 * epochs come from the store, which raises one only when it hands the
 * lease over, so a newer epoch means its coordinator was deposed (its
 * later commits are fenced), and an answer of the same or an older epoch
 * changes nothing. Moving is a reconnect like any other: the Hello to
 * the new leader lists what runs here and what the spool holds.
 *
 * Must never: move on an answer that does not name a newer epoch, keep a
 * probe open once the coordinator speaks or the link is closed, or send a
 * probe under this worker's identity (it could take over the identity of
 * a connection the worker holds to the same coordinator under another
 * name: libzmq names the probe's connection instead). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <zmq.h>

#include "agent_internal.h"
#include "clock.h"
#include "curve.h"
#include "log.h"

/* Whether the link is one that probing helps: welcomed by a coordinator
 * that is now silent, with others to ask. */
static bool
agent_probe_can(const agent_t *a)
{
	return a->sock != NULL && a->state == AGENT_READY && a->epoch != 0 &&
	       eplist_count(a->endpoints) > 1;
}

/* When the silence becomes long enough to ask. */
static int64_t
agent_probe_start_at(const agent_t *a)
{
	return a->last_rx + (int64_t)a->heartbeat_ms * AGENT_PROBE_INTERVALS;
}

static bool
agent_probe_wanted(const agent_t *a, int64_t now)
{
	return agent_probe_can(a) && now >= agent_probe_start_at(a);
}

void
agent_probe_stop(agent_t *a)
{
	for (size_t i = 0; i < a->probes_open; i++) {
		if (a->probes[i].sock)
			zmq_close(a->probes[i].sock);
		a->probes[i].sock = NULL;
	}
	a->probes_open = 0;
	a->next_probe = 0;
}

/* A DEALER to ep with the link's CURVE keys; NULL (logged) when it cannot
 * be made. Its connection is named by libzmq, never by this worker's id. */
static void *
agent_probe_socket(agent_t *a, const char *ep)
{
	void *s = zmq_socket(a->zctx, ZMQ_DEALER);
	if (s == NULL)
		return NULL;
	wire_socket_setup(s); /* no linger: a probe's pending sends are dropped at close */
	if ((a->cfg.key != NULL &&
	     curve_client_setup(s, a->cfg.key, a->cfg.coordinator_key) != 0) ||
	    zmq_connect(s, ep) != 0) {
		log_warn("cannot ask the coordinator at %s who leads: %s", ep, zmq_strerror(errno));
		zmq_close(s);
		return NULL;
	}
	return s;
}

/* One probe to every other coordinator of the list, opening their
 * sockets on the first round. */
static void
agent_probe_round(agent_t *a, int64_t now)
{
	const char *current = eplist_current(a->endpoints);
	if (a->probes_open == 0) {
		log_info("coordinator at %s has been silent for %lld ms; asking the other"
		         " coordinators who leads",
		         current, (long long)(now - a->last_rx));
		for (size_t i = 0; i < eplist_count(a->endpoints) && a->probes_open < EPLIST_MAX;
		     i++) {
			const char *ep = eplist_at(a->endpoints, i);
			if (strcmp(ep, current) == 0)
				continue;
			agent_probe_t *p = &a->probes[a->probes_open++];
			snprintf(p->endpoint, sizeof(p->endpoint), "%s", ep);
			p->sock = agent_probe_socket(a, ep);
		}
	}
	Rota__Heartbeat hb = ROTA__HEARTBEAT__INIT;
	hb.epoch = a->epoch;
	hb.probe = true;
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_HEARTBEAT;
	env.heartbeat = &hb;
	for (size_t i = 0; i < a->probes_open; i++) {
		/* A coordinator that is down queues nothing for long: the
		 * socket's high-water mark bounds it, and EAGAIN is fine. */
		if (a->probes[i].sock)
			(void)wire_send(a->probes[i].sock, NULL, 0, &env);
	}
	int64_t every = (int64_t)a->heartbeat_ms / AGENT_PROBE_EVERY_DIV;
	a->next_probe = now + (every > 0 ? every : 1);
}

void
agent_probe_tick(agent_t *a, int64_t now)
{
	if (!agent_probe_wanted(a, now)) {
		if (a->probes_open)
			agent_probe_stop(a);
		return;
	}
	if (a->probes_open == 0 || now >= a->next_probe)
		agent_probe_round(a, now);
}

int64_t
agent_probe_due(const agent_t *a)
{
	if (!agent_probe_can(a))
		return INT64_MAX;
	if (a->probes_open)
		return a->next_probe;
	return agent_probe_start_at(a);
}

size_t
agent_probe_pollitems(agent_t *a, zmq_pollitem_t *items)
{
	size_t n = 0;
	for (size_t i = 0; i < a->probes_open; i++) {
		if (a->probes[i].sock)
			items[n++] = (zmq_pollitem_t){a->probes[i].sock, 0, ZMQ_POLLIN, 0};
	}
	return n;
}

/* An answer from the coordinator at probed: moves the link when it names
 * a leader under a newer epoch than ours. Returns whether it moved (the
 * probes are closed then). */
static bool
agent_probe_answer(agent_t *a, const char *probed, const Rota__Redirect *r)
{
	if (r->epoch <= a->epoch)
		return false; /* ours, or older: our coordinator may only be slow */
	const char *to = r->leads_here ? probed : (r->endpoint ? r->endpoint : "");
	if (to[0] == '\0')
		return false; /* it knows no leader yet: ask again */
	char was[EPLIST_MAX_ENDPOINT + 1];
	char target[EPLIST_MAX_ENDPOINT + 1];
	char why[160];
	snprintf(was, sizeof(was), "%s", eplist_current(a->endpoints));
	snprintf(target, sizeof(target), "%s", to);
	if (strcmp(target, was) == 0)
		return false;
	if (eplist_follow(a->endpoints, target, why, sizeof(why)) != 0) {
		log_error("coordinator at %s named '%.*s' as the leader, which this worker does"
		          " not dial: %s",
		          probed, EPLIST_MAX_ENDPOINT, target, why);
		return false;
	}
	log_info("coordinator at %s is silent and another leads: coordinator %s (epoch %llu,"
	         " newer than %llu) at %s, as the coordinator at %s says; connecting to it",
	         was, r->leader_id && r->leader_id[0] ? r->leader_id : "?",
	         (unsigned long long)r->epoch, (unsigned long long)a->epoch, target, probed);
	agent_link_close(a); /* closes the probes too */
	a->epoch = 0;
	a->misdialled = false;
	a->prompt = false;
	a->redirected = true; /* a Redirect from there waits for the backoff */
	a->reconnect_at = clock_mono_ms();
	return true;
}

void
agent_probe_read(agent_t *a, const zmq_pollitem_t *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!(items[i].revents & ZMQ_POLLIN))
			continue;
		/* Only a probe still open: the link may have been closed this
		 * turn (a Redirect, a Goodbye), and the probes with it. */
		void *sock = items[i].socket;
		char probed[EPLIST_MAX_ENDPOINT + 1] = "";
		for (size_t k = 0; k < a->probes_open; k++)
			if (a->probes[k].sock == sock)
				snprintf(probed, sizeof(probed), "%s", a->probes[k].endpoint);
		if (probed[0] == '\0')
			continue;
		for (int k = 0; k < 16; k++) {
			wire_msg_t msg;
			int rc = wire_recv(sock, 0, &msg, &a->wire);
			if (rc == WIRE_ERR_AGAIN || rc == WIRE_ERR_IO)
				break;
			if (rc != WIRE_OK)
				continue;
			bool moved = false;
			if (msg.env->body_case == ROTA__ENVELOPE__BODY_RESPONSE &&
			    msg.env->response->redirect != NULL)
				moved = agent_probe_answer(a, probed, msg.env->response->redirect);
			wire_msg_clear(&msg);
			if (moved)
				return; /* the probes are closed: items are stale */
		}
	}
}
