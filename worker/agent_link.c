/* agent_link: the worker's link to the coordinator (agent_internal.h). It
 * dials, says Hello (with what it runs and what its spool holds), takes the
 * Welcome, heartbeats, reconnects with backoff when the coordinator goes
 * silent or says Goodbye, spools every Result before it sends it, resends
 * what is not acknowledged, and reads what the coordinator sends.
 *
 * Must never: drop a Result before the coordinator acknowledges it (one
 * the spool cannot keep is held in memory), or trust a key it did not
 * write. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "agent_internal.h"
#include "clock.h"
#include "curve.h"
#include "log.h"
#include "xalloc.h"

/* The spool key of a step attempt: run, step and attempt (host is us).
 * Lengths prefix the ids, so no id can be read as part of another. */
char *
agent_link_keytext(const char *run_id, const char *step_id, uint32_t attempt)
{
	return xasprintf("%zu:%s/%zu:%s/%u", strlen(run_id), run_id, strlen(step_id), step_id,
	                 attempt);
}

/* Reads an id of agent_link_keytext: "LEN:TEXT" then the separator sep. Returns
 * the text (the caller frees) and moves *p past sep, or NULL. */
static char *
agent_link_keytext_id(const char **p, char sep)
{
	char *end = NULL;
	errno = 0;
	unsigned long long n = strtoull(*p, &end, 10);
	if (errno != 0 || end == *p || *end != ':' || n > strlen(end + 1) || end[1 + n] != sep)
		return NULL;
	char *id = xstrndup(end + 1, (size_t)n);
	*p = end + 1 + n + 1;
	return id;
}

/* The inverse of agent_link_keytext; -1 for a key it did not write. */
int
agent_link_keytext_parse(const char *text, char **run_id, char **step_id, uint32_t *attempt)
{
	const char *p = text;
	*run_id = agent_link_keytext_id(&p, '/');
	*step_id = *run_id ? agent_link_keytext_id(&p, '/') : NULL;
	char *end = NULL;
	errno = 0;
	unsigned long v = *step_id ? strtoul(p, &end, 10) : 0;
	if (*step_id == NULL || errno != 0 || end == p || *end != '\0' || v > UINT32_MAX) {
		free(*run_id);
		free(*step_id);
		*run_id = *step_id = NULL;
		return -1;
	}
	*attempt = (uint32_t)v;
	return 0;
}

void
agent_link_send(agent_t *a, Rota__Envelope *env)
{
	if (a->sock == NULL)
		return;
	if (wire_send(a->sock, NULL, 0, env) == 0)
		a->last_tx = clock_mono_ms(); /* a sign of life: agent_link_heartbeat_due */
	else if (errno != EAGAIN)
		log_warn("send to coordinator failed: %s", zmq_strerror(errno));
}

void
agent_link_fill_key(agent_t *a, const agent_job_t *j, Rota__StepKey *key)
{
	rota__step_key__init(key);
	key->run_id = j->run_id;
	key->step_id = j->step_id;
	key->host = (char *)a->cfg.id;
	key->attempt = j->attempt;
}

typedef struct {
	Rota__Result **results; /* the first AGENT_HELLO_MAX_SPOOLED, whole */
	size_t count;
	Rota__Result **more; /* then up to AGENT_HELLO_MAX_KEYS: keys only */
	size_t more_count;
	bool truncated; /* the spool holds more than that */
} agent_link_spooled_t;

static int
agent_link_collect_spooled(void *ctx, const char *key, const uint8_t *data, size_t len)
{
	agent_link_spooled_t *sp = ctx;
	(void)key;
	if (sp->more_count >= AGENT_HELLO_MAX_KEYS) {
		sp->truncated = true;
		return 1;
	}
	Rota__Result *r = rota__result__unpack(NULL, len, data);
	if (r == NULL || r->key == NULL) {
		if (r)
			rota__result__free_unpacked(r, NULL);
		return 0;
	}
	if (sp->count < AGENT_HELLO_MAX_SPOOLED) {
		sp->results = xrealloc(sp->results, (sp->count + 1) * sizeof(*sp->results));
		sp->results[sp->count++] = r;
	} else {
		sp->more = xrealloc(sp->more, (sp->more_count + 1) * sizeof(*sp->more));
		sp->more[sp->more_count++] = r;
	}
	return 0;
}

void
agent_link_hello(agent_t *a)
{
	Rota__Hello hello = ROTA__HELLO__INIT;
	hello.worker_id = (char *)a->cfg.id;
	hello.hostname = a->hostname;
	hello.version = ROTA_VERSION;
	hello.capacity = a->cfg.capacity;
	hello.instance = a->instance;

	size_t nl = 0;
	while (a->cfg.labels && a->cfg.labels[nl])
		nl++;
	Rota__Label *labels = xcalloc(nl, sizeof(*labels));
	Rota__Label **lp = xcalloc(nl, sizeof(*lp));
	char **keys = xcalloc(nl, sizeof(*keys));
	for (size_t i = 0; i < nl; i++) {
		const char *eq = strchr(a->cfg.labels[i], '=');
		rota__label__init(&labels[i]);
		keys[i] = xstrndup(a->cfg.labels[i], (size_t)(eq - a->cfg.labels[i]));
		labels[i].key = keys[i];
		labels[i].value = (char *)eq + 1;
		lp[i] = &labels[i];
	}
	hello.n_labels = nl;
	hello.labels = lp;
	hello.n_addresses = a->addresses.count;
	hello.addresses = a->addresses.items;

	/* in_flight: the steps running here, and the steps whose results are
	 * spooled but do not fit in this Hello (they follow the Welcome), so
	 * the coordinator keeps all of them attached. */
	agent_link_spooled_t sp = {0};
	spool_each(a->spool, agent_link_collect_spooled, &sp);
	for (agent_held_t *h = a->held; h; h = h->next)
		agent_link_collect_spooled(&sp, h->keytext, h->data, h->len);
	size_t nj = sp.more_count;
	for (agent_job_t *j = a->jobs; j; j = j->next)
		nj++;
	Rota__StepKey *keysv = xcalloc(nj, sizeof(*keysv));
	Rota__StepKey **kp = xcalloc(nj, sizeof(*kp));
	size_t k = 0;
	for (agent_job_t *j = a->jobs; j; j = j->next, k++) {
		agent_link_fill_key(a, j, &keysv[k]);
		kp[k] = &keysv[k];
	}
	/* The coordinator refuses a Hello with more keys than it allows: a
	 * spool this full is listed in part (and says so), and the rest is
	 * resent after the Welcome. */
	for (size_t i = 0; i < sp.more_count && k < AGENT_HELLO_MAX_KEYS; i++, k++)
		kp[k] = sp.more[i]->key;
	hello.truncated = sp.truncated || k < nj;
	nj = k;
	hello.n_in_flight = nj;
	hello.in_flight = kp;
	hello.n_spooled = sp.count;
	hello.spooled = sp.results;

	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_HELLO;
	env.hello = &hello;
	agent_link_send(a, &env);
	a->state = AGENT_HELLO_SENT;
	a->hello_sent_at = clock_mono_ms();

	for (size_t i = 0; i < sp.count; i++)
		rota__result__free_unpacked(sp.results[i], NULL);
	free(sp.results);
	for (size_t i = 0; i < sp.more_count; i++)
		rota__result__free_unpacked(sp.more[i], NULL);
	free(sp.more);
	for (size_t i = 0; i < nl; i++)
		free(keys[i]);
	free(keys);
	free(labels);
	free(lp);
	free(keysv);
	free(kp);
}

void
agent_link_close(agent_t *a)
{
	agent_probe_stop(a);
	curve_monitor_close(a->sock, &a->monitor);
	if (a->sock)
		zmq_close(a->sock);
	a->sock = NULL;
}

const char *
agent_link_endpoint(const agent_t *a)
{
	return eplist_current(a->endpoints);
}

/* Whether another coordinator may answer when this one does not: the list
 * has several, or this one is a Redirect's target. */
static bool
agent_link_alternatives(const agent_t *a)
{
	return eplist_count(a->endpoints) > 1 || eplist_redirected(a->endpoints);
}

/* A handshake event: a failure is logged with its reason (at most every
 * AGENT_HANDSHAKE_LOG_MS, or when the reason changes). libzmq gives a
 * connection whose handshake failed up for good (it dials again only after
 * a refused or closed connection), so the worker makes a new socket after
 * its backoff: a key listed later, or a restarted coordinator that found
 * the old process still holding this worker (status 500), admits it then.
 * Waiting for silence instead would wait forever after a goodbye. */
void
agent_link_monitor(agent_t *a)
{
	char why[sizeof(a->handshake_why)];
	curve_event_t ev;
	while (a->monitor && (ev = curve_monitor_read(a->monitor, a->cfg.key != NULL, why,
	                                              sizeof(why))) != CURVE_EVENT_NONE) {
		if (ev == CURVE_EVENT_OK) {
			a->handshake_why[0] = '\0';
			continue;
		}
		if (ev == CURVE_EVENT_DOWN) {
			/* With another coordinator to try, a refused or closed
			 * connection moves on now rather than after 5 silent
			 * heartbeats; alone, libzmq dials again by itself. */
			if (agent_link_alternatives(a)) {
				agent_link_disconnect(a, a->state == AGENT_READY
				                             ? "closed the connection"
				                             : "refused the connection");
				return;
			}
			continue;
		}
		int64_t now = clock_mono_ms();
		if (strcmp(why, a->handshake_why) != 0 || a->handshake_logged == 0 ||
		    now - a->handshake_logged >= AGENT_HANDSHAKE_LOG_MS) {
			log_error("handshake with the coordinator at %s failed: %s",
			          agent_link_endpoint(a), why);
			a->handshake_logged = now;
		}
		snprintf(a->handshake_why, sizeof(a->handshake_why), "%s", why);
		agent_link_disconnect(a, "refused the handshake");
		return;
	}
}

int
agent_link_connect(agent_t *a)
{
	a->sock = zmq_socket(a->zctx, ZMQ_DEALER);
	if (a->sock == NULL)
		return -1;
	wire_socket_setup(a->sock);
	zmq_setsockopt(a->sock, ZMQ_ROUTING_ID, a->cfg.id, strlen(a->cfg.id));
	if (a->cfg.key != NULL &&
	    curve_client_setup(a->sock, a->cfg.key, a->cfg.coordinator_key) != 0) {
		log_error("cannot set up CURVE: %s", zmq_strerror(errno));
		agent_link_close(a);
		return -1;
	}
	a->monitor = curve_monitor_open(a->zctx, a->sock);
	if (a->monitor == NULL)
		log_warn("cannot monitor handshakes (%s): a refused one will look like silence",
		         zmq_strerror(errno));
	int ivl = AGENT_BACKOFF_MIN_MS, ivl_max = a->prompt ? 0 : AGENT_BACKOFF_MAX_MS;
	zmq_setsockopt(a->sock, ZMQ_RECONNECT_IVL, &ivl, sizeof(ivl));
	zmq_setsockopt(a->sock, ZMQ_RECONNECT_IVL_MAX, &ivl_max, sizeof(ivl_max));
	if (zmq_connect(a->sock, agent_link_endpoint(a)) != 0) {
		log_error("cannot connect to %s: %s", agent_link_endpoint(a), zmq_strerror(errno));
		agent_link_close(a);
		return -1;
	}
	a->last_rx = clock_mono_ms();
	a->reconnect_at = 0;
	agent_link_hello(a);
	return 0;
}

void
agent_link_disconnect(agent_t *a, const char *why)
{
	char was[EPLIST_MAX_ENDPOINT + 1];
	snprintf(was, sizeof(was), "%s", agent_link_endpoint(a));
	/* The next coordinator of the list, round robin (after a Redirect's
	 * target: the one after the coordinator that redirected). The
	 * backoff is per round: the next one is dialled soon, and only once
	 * every one has failed does the wait double, so a dead entry does not
	 * make the live ones wait longer. */
	bool others = agent_link_alternatives(a);
	const char *next = others ? eplist_next(a->endpoints) : was;
	a->round_failed++;
	bool round_done = !others || a->round_failed >= eplist_count(a->endpoints);
	int64_t wait = round_done ? a->backoff_ms : AGENT_BACKOFF_MIN_MS;
	char then[EPLIST_MAX_ENDPOINT + 32] = "";
	if (strcmp(next, was) != 0)
		snprintf(then, sizeof(then), " at %s", next);
	if (a->welcomed_once || a->misdialled)
		log_warn("coordinator at %s %s; reconnecting%s in %lld ms", was, why, then,
		         (long long)wait);
	else
		log_warn("no coordinator has answered at %s yet%s%s; trying again%s in %lld ms",
		         was, a->handshake_why[0] ? ": the handshake failed: " : "",
		         a->handshake_why, then, (long long)wait);
	a->misdialled = false;
	a->prompt = false;
	agent_link_close(a);
	a->epoch = 0;
	a->reconnect_at = clock_mono_ms() + wait;
	if (!round_done)
		return;
	a->round_failed = 0;
	a->backoff_ms *= 2;
	if (a->backoff_ms > AGENT_BACKOFF_MAX_MS)
		a->backoff_ms = AGENT_BACKOFF_MAX_MS;
}

void
agent_link_unhold(agent_t *a, const char *keytext)
{
	for (agent_held_t **p = &a->held; *p; p = &(*p)->next) {
		if (strcmp((*p)->keytext, keytext) == 0) {
			agent_held_t *h = *p;
			*p = h->next;
			free(h->keytext);
			free(h->data);
			free(h);
			return;
		}
	}
}

/* Takes data (a packed Result of keytext). */
static void
agent_link_hold(agent_t *a, const char *keytext, uint8_t *data, size_t len)
{
	agent_link_unhold(a, keytext);
	agent_held_t *h = xcalloc(1, sizeof(*h));
	h->keytext = xstrdup(keytext);
	h->data = data;
	h->len = len;
	agent_held_t **p = &a->held;
	while (*p)
		p = &(*p)->next;
	*p = h;
}

size_t
agent_link_held_count(const agent_t *a)
{
	size_t n = 0;
	for (const agent_held_t *h = a->held; h; h = h->next)
		n++;
	return n;
}

/* Every Result goes through here: spooled before it is sent, so a crash or
 * a lost connection between the two only means it is sent again. */
void
agent_link_report(agent_t *a, const char *keytext, Rota__Result *r)
{
	size_t len = rota__result__get_packed_size(r);
	uint8_t *buf = xmalloc(len);
	rota__result__pack(r, buf);
	if (spool_put(a->spool, keytext, buf, len) != 0) {
		log_error("cannot spool the result of %s (%s); it is held in memory and sent"
		          " until acknowledged",
		          keytext, spool_error(a->spool));
		agent_link_hold(a, keytext, buf, len);
		buf = NULL;
	}
	free(buf);
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_RESULT;
	env.result = r;
	if (a->state == AGENT_READY)
		agent_link_send(a, &env);
}

/* Sends a result as the spool holds it (packed). -1 when it is unreadable. */
int
agent_link_send_spooled(agent_t *a, const uint8_t *data, size_t len)
{
	Rota__Result *r = rota__result__unpack(NULL, len, data);
	if (r == NULL)
		return -1;
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_RESULT;
	env.result = r;
	agent_link_send(a, &env);
	rota__result__free_unpacked(r, NULL);
	return 0;
}

/* Tells the coordinator this worker is stopping: it holds this worker's
 * orders from now on. Sent when the stop begins, after every Welcome while
 * stopping, and instead of Accepted for an order that crossed it. */
void
agent_link_goodbye(agent_t *a)
{
	if (a->state != AGENT_READY)
		return;
	char reason[96];
	snprintf(reason, sizeof(reason), "worker %s is shutting down", a->cfg.id);
	Rota__Goodbye bye = ROTA__GOODBYE__INIT;
	bye.reason = reason;
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_GOODBYE;
	env.goodbye = &bye;
	agent_link_send(a, &env);
}

/* The coordinator said it is stopping: drop the connection and dial again
 * at once, every AGENT_BACKOFF_MIN_MS without backoff, so the Hello reaches
 * the next coordinator as soon as it binds. What this worker holds stays
 * spooled and goes with that Hello. */
static void
agent_link_coordinator_goodbye(agent_t *a, const Rota__Goodbye *bye)
{
	log_info("coordinator at %s is stopping (%s); saying hello to the next one as soon as it"
	         " is up",
	         agent_link_endpoint(a),
	         bye->reason && bye->reason[0] ? bye->reason : "no reason given");
	agent_link_close(a);
	a->epoch = 0;
	a->misdialled = false;
	a->backoff_ms = AGENT_BACKOFF_MIN_MS;
	a->prompt = true;
	a->away_logged = false;
	a->reconnect_at = clock_mono_ms(); /* connect in this very turn */
}

/* A coordinator that said goodbye is expected to be away for a while (a
 * restart, an upgrade, a slow start on a busy host). With no other to try,
 * giving it up as silent would only make a new socket and start the
 * backoff, so the Hello would reach it later than it could; the dialling
 * goes on at AGENT_BACKOFF_MIN_MS instead, and the wait is logged once.
 * With others to try, silence moves on to the next, as for any silence. */
bool
agent_link_awaits_return(agent_t *a, int64_t now)
{
	if (!a->prompt || agent_link_alternatives(a))
		return false;
	if (!a->away_logged) {
		log_info("coordinator at %s has not come back since its goodbye (%llds ago); still"
		         " dialling it every %d ms",
		         agent_link_endpoint(a), (long long)((now - a->last_rx) / 1000),
		         AGENT_BACKOFF_MIN_MS);
		a->away_logged = true;
	}
	return true;
}

static int
agent_link_resend_spooled(void *ctx, const char *key, const uint8_t *data, size_t len)
{
	(void)key;
	agent_link_send_spooled(ctx, data, len);
	return 0;
}

static int
agent_link_resend_output(void *ctx, const char *key, uint64_t seq, const uint8_t *chunk, size_t len)
{
	agent_t *a = ctx;
	Rota__Output *out = rota__output__unpack(NULL, len, chunk);
	if (out == NULL || out->key == NULL) {
		/* Only this worker wrote it: a damaged row. Forget it rather
		 * than trip over it at every resend. */
		log_warn("spool: unreadable output chunk %s #%llu", key, (unsigned long long)seq);
		if (out)
			rota__output__free_unpacked(out, NULL);
		return 0;
	}
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_OUTPUT;
	env.output = out;
	agent_link_send(a, &env);
	rota__output__free_unpacked(out, NULL);
	return 0;
}

/* Sends every unacknowledged output chunk and result again: the chunks
 * first, by key and seq, so the coordinator, which records a step's output
 * only in seq order, has them before the result that names the last one.
 * The coordinator records each once and acknowledges duplicates, so
 * resending is always safe; it covers what finished while the connection
 * was being set up, turns the coordinator could not commit, and sends the
 * transport dropped. Returns whether there was anything to send. */
bool
agent_link_resend_all(agent_t *a)
{
	if (a->state != AGENT_READY)
		return false;
	bool any = false;
	if (spool_output_count(a->spool, NULL, NULL) > 0) {
		spool_output_each(a->spool, agent_link_resend_output, a);
		any = true;
	}
	if (spool_count(a->spool) > 0) {
		spool_each(a->spool, agent_link_resend_spooled, a);
		any = true;
	}
	for (agent_held_t *h = a->held; h; h = h->next) {
		agent_link_send_spooled(a, h->data, h->len);
		any = true;
	}
	return any;
}

/* The periodic resend: AGENT_RESEND_INTERVALS heartbeats apart, doubling
 * after each pass that had something to send (a coordinator that does not
 * take what we hold is not flooded with it) up to AGENT_RESEND_MAX_MS, and
 * back to the base interval when an acknowledgement shows progress. An
 * acknowledgement never postpones a pass: a coordinator that acks one step
 * while it waits for a chunk of another must still get that chunk again. */
void
agent_link_schedule_resend(agent_t *a, bool progress)
{
	int64_t base = (int64_t)a->heartbeat_ms * AGENT_RESEND_INTERVALS;
	int64_t now = clock_mono_ms();
	if (progress || a->resend_ms < base) {
		a->resend_ms = base;
		if (a->next_resend == 0 || a->next_resend > now + base)
			a->next_resend = now + base;
		return;
	}
	a->resend_ms =
	    a->resend_ms * 2 < AGENT_RESEND_MAX_MS ? a->resend_ms * 2 : AGENT_RESEND_MAX_MS;
	a->next_resend = now + a->resend_ms;
}

/* A key in an acknowledgement, in spool form; NULL when it is incomplete. */
static char *
agent_link_ack_keytext(const Rota__StepKey *k)
{
	if (k == NULL || k->run_id == NULL || k->step_id == NULL)
		return NULL;
	return agent_link_keytext(k->run_id, k->step_id, k->attempt);
}

bool
agent_link_heartbeat_due(agent_t *a, int64_t now)
{
	bool failing = spool_error(a->spool)[0] != '\0';
	/* The coordinator takes any frame as a sign of life; a Heartbeat is
	 * needed only when nothing else went within the interval, or to say
	 * the spool fails (or works again), which only a Heartbeat tells. */
	if (a->state != AGENT_READY || failing || a->hb_spool_failing ||
	    now - a->last_tx >= (int64_t)a->heartbeat_ms) {
		a->hb_spool_failing = failing;
		return true;
	}
	return false;
}

/* A new interval from the coordinator (its Welcome, or its Heartbeat when
 * the fleet grew or shrank): kept to from now; a shorter one at once. */
static void
agent_link_pace(agent_t *a, uint32_t heartbeat_ms)
{
	if (heartbeat_ms < 50 || heartbeat_ms > 600000 || heartbeat_ms == a->heartbeat_ms)
		return;
	log_debug("heartbeat interval %u ms (was %u ms), as the coordinator says", heartbeat_ms,
	          a->heartbeat_ms);
	a->heartbeat_ms = heartbeat_ms;
	int64_t now = clock_mono_ms();
	if (a->next_heartbeat > now + (int64_t)heartbeat_ms)
		a->next_heartbeat = now + (int64_t)heartbeat_ms;
}

void
agent_link_heartbeat(agent_t *a)
{
	Rota__Heartbeat hb = ROTA__HEARTBEAT__INIT;
	hb.epoch = a->epoch;
	hb.running = (uint32_t)executor_running(a->exec);
	hb.spool_error = (char *)spool_error(a->spool);
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_HEARTBEAT;
	env.heartbeat = &hb;
	agent_link_send(a, &env);
}

/* A follower's Redirect: dial the leader it names. The Redirect came over
 * this connection, from a coordinator holding the server key this worker
 * pins (under CURVE), so following it is safe; still only to a tcp or ipc
 * endpoint. What runs here goes on, and the Hello to the leader lists it
 * with what the spool holds, exactly as after any reconnect. The first
 * redirect since a Welcome is followed at once, later ones after the
 * backoff. */
static void
agent_link_redirect(agent_t *a, const Rota__Redirect *r)
{
	char was[EPLIST_MAX_ENDPOINT + 1];
	snprintf(was, sizeof(was), "%s", agent_link_endpoint(a));
	const char *to = r->endpoint ? r->endpoint : "";
	char why[160];
	if (to[0] == '\0') {
		agent_link_disconnect(a, "is a follower and knows no leader now");
		return;
	}
	if (eplist_follow(a->endpoints, to, why, sizeof(why)) != 0) {
		log_error("coordinator at %s redirected this worker to '%.*s', which it does not"
		          " follow: %s",
		          was, EPLIST_MAX_ENDPOINT, to, why);
		agent_link_disconnect(a, "redirected to an endpoint this worker refuses");
		return;
	}
	int64_t wait = a->redirected ? a->backoff_ms : 0;
	log_info("coordinator at %s is a follower; the leader is %s (epoch %llu) at %s:"
	         " connecting to it%s",
	         was, r->leader_id && r->leader_id[0] ? r->leader_id : "?",
	         (unsigned long long)r->epoch, to, wait ? " after the backoff" : "");
	agent_link_close(a);
	a->epoch = 0;
	a->misdialled = false;
	a->prompt = false;
	a->reconnect_at = clock_mono_ms() + wait;
	if (a->redirected) {
		a->backoff_ms *= 2;
		if (a->backoff_ms > AGENT_BACKOFF_MAX_MS)
			a->backoff_ms = AGENT_BACKOFF_MAX_MS;
	}
	a->redirected = true;
}

void
agent_link_handle(agent_t *a, Rota__Envelope *env)
{
	a->last_rx = clock_mono_ms();
	switch (env->body_case) {
	case ROTA__ENVELOPE__BODY_WELCOME: {
		const Rota__Welcome *w = env->welcome;
		bool fresh = a->state != AGENT_READY;
		a->epoch = w->epoch;
		agent_link_pace(a, w->heartbeat_ms);
		a->state = AGENT_READY;
		a->welcomed_once = true;
		a->backoff_ms = AGENT_BACKOFF_MIN_MS;
		a->redirected = false;
		a->round_failed = 0;
		if (fresh)
			log_info("connected to coordinator %s at %s (epoch %llu)",
			         w->coordinator_id, agent_link_endpoint(a),
			         (unsigned long long)a->epoch);
		/* Hello carried some spooled results; output not yet
		 * acknowledged, results that finished since, and those that
		 * did not fit, go now. */
		agent_link_resend_all(a);
		if (a->stopping)
			agent_link_goodbye(a);
		a->prompt = false;
		a->next_resend = 0;
		agent_link_schedule_resend(a, true);
		break;
	}
	case ROTA__ENVELOPE__BODY_HEARTBEAT:
		if (env->heartbeat->epoch == a->epoch && a->state == AGENT_READY)
			agent_link_pace(a, env->heartbeat->heartbeat_ms);
		if (env->heartbeat->epoch != a->epoch &&
		    (a->state == AGENT_READY ||
		     clock_mono_ms() - a->hello_sent_at > AGENT_HELLO_RETRY_MS)) {
			/* A coordinator that does not know us (it restarted, or
			 * it declared us lost: epoch 0): introduce ourselves
			 * again. */
			if (env->heartbeat->epoch == 0)
				log_info("the coordinator does not count this worker as connected"
				         " (it was silent too long, or another connection took its"
				         " id); saying hello again");
			else
				log_info(
				    "coordinator epoch changed (%llu -> %llu); saying hello again",
				    (unsigned long long)a->epoch,
				    (unsigned long long)env->heartbeat->epoch);
			agent_link_hello(a);
		}
		break;
	case ROTA__ENVELOPE__BODY_DISPATCH:
		if (a->state == AGENT_READY)
			agent_step_start(a, env->dispatch);
		break;
	case ROTA__ENVELOPE__BODY_RESULT_ACK: {
		/* The coordinator acknowledges a result only once it holds
		 * every chunk up to its output_seq: the chunks go with it. */
		char *kt = agent_link_ack_keytext(env->result_ack->key);
		if (kt) {
			spool_delete(a->spool, kt);
			spool_output_drop(a->spool, kt);
			agent_link_unhold(a, kt);
			agent_link_schedule_resend(a, true);
		}
		free(kt);
		break;
	}
	case ROTA__ENVELOPE__BODY_OUTPUT_ACK: {
		char *kt = agent_link_ack_keytext(env->output_ack->key);
		if (kt) {
			spool_output_ack(a->spool, kt, env->output_ack->seq);
			agent_link_schedule_resend(a, true);
		}
		free(kt);
		break;
	}
	case ROTA__ENVELOPE__BODY_CANCEL:
		if (env->cancel->key && env->cancel->key->run_id && env->cancel->key->step_id) {
			for (agent_job_t *j = a->jobs; j; j = j->next) {
				if (strcmp(j->run_id, env->cancel->key->run_id) == 0 &&
				    strcmp(j->step_id, env->cancel->key->step_id) == 0 &&
				    j->attempt == env->cancel->key->attempt)
					executor_cancel(a->exec, j->exec_id);
			}
		}
		break;
	case ROTA__ENVELOPE__BODY_GOODBYE:
		agent_link_coordinator_goodbye(a, env->goodbye);
		break;
	case ROTA__ENVELOPE__BODY_RESPONSE:
		if (env->response->redirect != NULL) {
			agent_link_redirect(a, env->response->redirect);
			break;
		}
		/* The answer an operator's endpoint gives a worker that dialled
		 * it by mistake: say what it said, once per connection. */
		if (env->response->error && !a->misdialled) {
			log_error("%s answered: %s", agent_link_endpoint(a),
			          env->response->error->message);
			a->misdialled = true;
		}
		break;
	default:
		a->wire.dropped_empty++;
		break;
	}
}
