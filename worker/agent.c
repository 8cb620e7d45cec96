/* agent: the worker's protocol side (see agent.h). */
#include "agent.h"

#include <errno.h>
#include <fnmatch.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include <zmq.h>

#include "check.h"
#include "clock.h"
#include "curve.h"
#include "executor.h"
#include "log.h"
#include "redactor.h"
#include "spool.h"
#include "wire.h"
#include "xalloc.h"

typedef enum { AGENT_HELLO_SENT, AGENT_READY } agent_state_t;

/* A piece of a step's output past its head, kept while it may still be
 * among the last bytes (the tail that is sent when the step ends). */
typedef struct agent_tail {
	int stream;
	size_t len;
	size_t off; /* bytes of data already dropped from the front */
	struct agent_tail *next;
	uint8_t data[]; /* len bytes */
} agent_tail_t;

/* A step this worker runs. */
typedef struct agent_job {
	uint64_t exec_id;
	char *run_id;  /* owned */
	char *step_id; /* owned */
	uint32_t attempt;
	char *keytext; /* owned: spool key */
	uint64_t seq;  /* last Output seq sent */
	uint64_t sent_bytes;
	uint64_t limit; /* bytes it may send: the first half live, the last half at the end */
	bool truncated; /* past the first half: the rest goes to the tail */
	struct agent_tail *tail; /* owned list, oldest first: the last output kept */
	struct agent_tail *tail_last;
	uint64_t tail_bytes;
	uint64_t dropped; /* bytes between the head and the tail, not sent */
	/* Why the spool failed to keep some of its output (owned; NULL: it
	 * kept all of it). Goes in its Result, so the coordinator knows a
	 * missing chunk will never come and says why. */
	char *spool_error;
	uint64_t chunk_bytes; /* data bytes in the chunks sent, 1..seq */
	bool check;           /* a built-in check: its verdict is its exit code */
	/* A check's first report line, kept as the Result's detail. */
	char summary[AGENT_CHECK_DETAIL_MAX];
	size_t summary_len;
	bool summary_done; /* its newline was seen */
	/* Secrets masked in stdout and stderr (NULL: the step has none). */
	redactor_t *redact[2];
	struct agent_job *next;
} agent_job_t;

/* A Result the spool could not keep: held in memory and resent like a
 * spooled one until acknowledged, so a full disk never loses a result
 * (a worker restart then does). */
typedef struct agent_held {
	char *keytext; /* owned */
	uint8_t *data; /* owned: a packed Result */
	size_t len;
	struct agent_held *next;
} agent_held_t;

struct agent {
	agent_config_t cfg;
	char hostname[256];
	void *zctx;               /* owned */
	void *sock;               /* owned; NULL while waiting to reconnect */
	void *monitor;            /* owned: sock's handshake events (curve.h); NULL with it */
	char handshake_why[512];  /* why the last handshake failed; "" when none did */
	int64_t handshake_logged; /* mono ms the failure was last logged */
	int sigfd;                /* owned */
	executor_t *exec;         /* owned */
	spool_t *spool;           /* owned */
	agent_job_t *jobs;        /* owned list */
	agent_held_t *held;       /* owned list: results the spool could not keep */
	agent_state_t state;
	uint64_t epoch; /* of the coordinator that welcomed us; 0 = none */
	uint32_t heartbeat_ms;
	int64_t last_rx; /* mono ms of the last message from the coordinator */
	int64_t next_heartbeat;
	int64_t hello_sent_at;
	int64_t reconnect_at; /* mono ms; 0 = connected */
	int64_t next_resend;  /* mono ms of the next resend of unacked results and output */
	int64_t resend_ms;    /* the interval now (agent_schedule_resend) */
	bool misdialled;      /* told it dialled the operator API */
	bool welcomed_once;   /* some coordinator answered since start */
	int64_t backoff_ms;
	/* After the coordinator's Goodbye: reconnect at a fixed short interval
	 * (no backoff) until a coordinator answers or the line goes silent. */
	bool prompt;
	uint64_t instance; /* random per process: Hello.instance */
	bool stopping;
	bool cancelled_all;     /* the drain ran out (or was 0): groups killed */
	int64_t drain_deadline; /* mono ms */
	wire_stats_t wire;
	zmq_pollitem_t *items; /* owned: grows with the executor's pipes */
	int *fds;              /* owned */
	size_t poll_cap;
};

/* The spool key of a step attempt: run, step and attempt (host is us).
 * Lengths prefix the ids, so no id can be read as part of another. */
static char *
agent_keytext(const char *run_id, const char *step_id, uint32_t attempt)
{
	return xasprintf("%zu:%s/%zu:%s/%u", strlen(run_id), run_id, strlen(step_id), step_id,
	                 attempt);
}

/* Reads an id of agent_keytext: "LEN:TEXT" then the separator sep. Returns
 * the text (the caller frees) and moves *p past sep, or NULL. */
static char *
agent_keytext_id(const char **p, char sep)
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

/* The inverse of agent_keytext; -1 for a key it did not write. */
static int
agent_keytext_parse(const char *text, char **run_id, char **step_id, uint32_t *attempt)
{
	const char *p = text;
	*run_id = agent_keytext_id(&p, '/');
	*step_id = *run_id ? agent_keytext_id(&p, '/') : NULL;
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

static void
agent_send(agent_t *a, Rota__Envelope *env)
{
	if (a->sock == NULL)
		return;
	if (wire_send(a->sock, NULL, 0, env) != 0 && errno != EAGAIN)
		log_warn("send to coordinator failed: %s", zmq_strerror(errno));
}

static void
agent_fill_key(agent_t *a, const agent_job_t *j, Rota__StepKey *key)
{
	rota__step_key__init(key);
	key->run_id = j->run_id;
	key->step_id = j->step_id;
	key->host = (char *)a->cfg.id;
	key->attempt = j->attempt;
}

/* ---- Hello and connection ------------------------------------------- */

typedef struct {
	Rota__Result **results; /* the first AGENT_HELLO_MAX_SPOOLED, whole */
	size_t count;
	Rota__Result **more; /* then up to AGENT_HELLO_MAX_KEYS: keys only */
	size_t more_count;
	bool truncated; /* the spool holds more than that */
} agent_spooled_t;

static int
agent_collect_spooled(void *ctx, const char *key, const uint8_t *data, size_t len)
{
	agent_spooled_t *sp = ctx;
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

static void
agent_hello(agent_t *a)
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

	/* in_flight: the steps running here, and the steps whose results are
	 * spooled but do not fit in this Hello (they follow the Welcome), so
	 * the coordinator keeps all of them attached. */
	agent_spooled_t sp = {0};
	spool_each(a->spool, agent_collect_spooled, &sp);
	for (agent_held_t *h = a->held; h; h = h->next)
		agent_collect_spooled(&sp, h->keytext, h->data, h->len);
	size_t nj = sp.more_count;
	for (agent_job_t *j = a->jobs; j; j = j->next)
		nj++;
	Rota__StepKey *keysv = xcalloc(nj, sizeof(*keysv));
	Rota__StepKey **kp = xcalloc(nj, sizeof(*kp));
	size_t k = 0;
	for (agent_job_t *j = a->jobs; j; j = j->next, k++) {
		agent_fill_key(a, j, &keysv[k]);
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
	agent_send(a, &env);
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

static void
agent_close_socket(agent_t *a)
{
	if (a->monitor)
		zmq_close(a->monitor);
	a->monitor = NULL;
	if (a->sock)
		zmq_close(a->sock);
	a->sock = NULL;
}

/* A handshake event: a failure is logged with its reason (at most every
 * AGENT_HANDSHAKE_LOG_MS, or when the reason changes), since libzmq
 * retries by itself and would otherwise fail in silence. */
static void
agent_monitor(agent_t *a)
{
	char why[sizeof(a->handshake_why)];
	curve_event_t ev;
	while (a->monitor && (ev = curve_monitor_read(a->monitor, a->cfg.key != NULL, why,
	                                              sizeof(why))) != CURVE_EVENT_NONE) {
		if (ev == CURVE_EVENT_OK) {
			a->handshake_why[0] = '\0';
			continue;
		}
		int64_t now = clock_mono_ms();
		if (strcmp(why, a->handshake_why) != 0 || a->handshake_logged == 0 ||
		    now - a->handshake_logged >= AGENT_HANDSHAKE_LOG_MS) {
			log_error("handshake with the coordinator at %s failed: %s",
			          a->cfg.endpoint, why);
			a->handshake_logged = now;
		}
		snprintf(a->handshake_why, sizeof(a->handshake_why), "%s", why);
	}
}

static int
agent_connect(agent_t *a)
{
	a->sock = zmq_socket(a->zctx, ZMQ_DEALER);
	if (a->sock == NULL)
		return -1;
	wire_socket_setup(a->sock);
	zmq_setsockopt(a->sock, ZMQ_ROUTING_ID, a->cfg.id, strlen(a->cfg.id));
	if (a->cfg.key != NULL &&
	    curve_client_setup(a->sock, a->cfg.key, a->cfg.coordinator_key) != 0) {
		log_error("cannot set up CURVE: %s", zmq_strerror(errno));
		agent_close_socket(a);
		return -1;
	}
	a->monitor = curve_monitor_open(a->zctx, a->sock);
	if (a->monitor == NULL)
		log_warn("cannot monitor handshakes (%s): a refused one will look like silence",
		         zmq_strerror(errno));
	int ivl = AGENT_BACKOFF_MIN_MS, ivl_max = a->prompt ? 0 : AGENT_BACKOFF_MAX_MS;
	zmq_setsockopt(a->sock, ZMQ_RECONNECT_IVL, &ivl, sizeof(ivl));
	zmq_setsockopt(a->sock, ZMQ_RECONNECT_IVL_MAX, &ivl_max, sizeof(ivl_max));
	if (zmq_connect(a->sock, a->cfg.endpoint) != 0) {
		log_error("cannot connect to %s: %s", a->cfg.endpoint, zmq_strerror(errno));
		agent_close_socket(a);
		return -1;
	}
	a->last_rx = clock_mono_ms();
	a->reconnect_at = 0;
	agent_hello(a);
	return 0;
}

static void
agent_disconnect(agent_t *a, const char *why)
{
	if (a->welcomed_once || a->misdialled)
		log_warn("coordinator at %s %s; reconnecting in %lld ms", a->cfg.endpoint, why,
		         (long long)a->backoff_ms);
	else
		log_warn("no coordinator has answered at %s yet%s%s; trying again in %lld ms",
		         a->cfg.endpoint, a->handshake_why[0] ? ": the handshake failed: " : "",
		         a->handshake_why, (long long)a->backoff_ms);
	a->misdialled = false;
	a->prompt = false;
	agent_close_socket(a);
	a->epoch = 0;
	a->reconnect_at = clock_mono_ms() + a->backoff_ms;
	a->backoff_ms *= 2;
	if (a->backoff_ms > AGENT_BACKOFF_MAX_MS)
		a->backoff_ms = AGENT_BACKOFF_MAX_MS;
}

static void
agent_unhold(agent_t *a, const char *keytext)
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
agent_hold(agent_t *a, const char *keytext, uint8_t *data, size_t len)
{
	agent_unhold(a, keytext);
	agent_held_t *h = xcalloc(1, sizeof(*h));
	h->keytext = xstrdup(keytext);
	h->data = data;
	h->len = len;
	agent_held_t **p = &a->held;
	while (*p)
		p = &(*p)->next;
	*p = h;
}

static size_t
agent_held_count(const agent_t *a)
{
	size_t n = 0;
	for (const agent_held_t *h = a->held; h; h = h->next)
		n++;
	return n;
}

/* The spool lost (or could not take) output of running steps: each of
 * their Results will say so. */
static void
agent_jobs_spool_failed(agent_t *a, agent_job_t *only)
{
	for (agent_job_t *j = a->jobs; j; j = j->next) {
		if (only && j != only)
			continue;
		free(j->spool_error);
		j->spool_error = xstrdup(spool_error(a->spool));
	}
}

/* Every Result goes through here: spooled before it is sent, so a crash or
 * a lost connection between the two only means it is sent again. */
static void
agent_report(agent_t *a, const char *keytext, Rota__Result *r)
{
	size_t len = rota__result__get_packed_size(r);
	uint8_t *buf = xmalloc(len);
	rota__result__pack(r, buf);
	if (spool_put(a->spool, keytext, buf, len) != 0) {
		log_error("cannot spool the result of %s (%s); it is held in memory and sent"
		          " until acknowledged",
		          keytext, spool_error(a->spool));
		agent_hold(a, keytext, buf, len);
		buf = NULL;
	}
	free(buf);
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_RESULT;
	env.result = r;
	if (a->state == AGENT_READY)
		agent_send(a, &env);
}

/* Sends a result as the spool holds it (packed). -1 when it is unreadable. */
static int
agent_send_spooled(agent_t *a, const uint8_t *data, size_t len)
{
	Rota__Result *r = rota__result__unpack(NULL, len, data);
	if (r == NULL)
		return -1;
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_RESULT;
	env.result = r;
	agent_send(a, &env);
	rota__result__free_unpacked(r, NULL);
	return 0;
}

/* Tells the coordinator this worker is stopping: it holds this worker's
 * orders from now on. Sent when the stop begins, after every Welcome while
 * stopping, and instead of Accepted for an order that crossed it. */
static void
agent_send_goodbye(agent_t *a)
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
	agent_send(a, &env);
}

/* The coordinator said it is stopping: drop the connection and dial again
 * at once, every AGENT_BACKOFF_MIN_MS without backoff, so the Hello reaches
 * the next coordinator as soon as it binds. What this worker holds stays
 * spooled and goes with that Hello. */
static void
agent_coordinator_goodbye(agent_t *a, const Rota__Goodbye *bye)
{
	log_info("coordinator at %s is stopping (%s); saying hello to the next one as soon as it"
	         " is up",
	         a->cfg.endpoint, bye->reason && bye->reason[0] ? bye->reason : "no reason given");
	agent_close_socket(a);
	a->epoch = 0;
	a->misdialled = false;
	a->backoff_ms = AGENT_BACKOFF_MIN_MS;
	a->prompt = true;
	a->reconnect_at = clock_mono_ms(); /* connect in this very turn */
}

/* ---- executor callbacks ------------------------------------------------ */

static agent_job_t *
agent_job_by_exec(agent_t *a, uint64_t exec_id)
{
	for (agent_job_t *j = a->jobs; j; j = j->next) {
		if (j->exec_id == exec_id)
			return j;
	}
	return NULL;
}

/* Every Output chunk goes through here: kept in the spool (in the turn's
 * group) until the coordinator acknowledges it, and sent now when the
 * coordinator is there; the resend covers the rest. */
static void
agent_send_output(agent_t *a, agent_job_t *j, int stream, const uint8_t *data, size_t len,
                  bool truncated)
{
	Rota__StepKey key;
	agent_fill_key(a, j, &key);
	Rota__Output out = ROTA__OUTPUT__INIT;
	out.key = &key;
	out.stream = stream == 2 ? ROTA__STREAM__STREAM_STDERR : ROTA__STREAM__STREAM_STDOUT;
	out.seq = ++j->seq;
	out.data.data = (uint8_t *)data;
	out.data.len = len;
	out.truncated = truncated;
	size_t plen = rota__output__get_packed_size(&out);
	uint8_t *buf = xmalloc(plen ? plen : 1);
	rota__output__pack(&out, buf);
	j->chunk_bytes += len;
	/* A chunk the spool cannot keep is still sent: it is lost only if this
	 * send is, and then the Result's spool_error tells the coordinator it
	 * will never come and why (spool.c logs the failure). */
	if (spool_output_put(a->spool, j->keytext, out.seq, buf, plen) != 0)
		agent_jobs_spool_failed(a, j);
	free(buf);
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_OUTPUT;
	env.output = &out;
	if (a->state == AGENT_READY)
		agent_send(a, &env);
}

/* Keeps the first line of a check's report (its summary), however little
 * output the step may send: it becomes the Result's detail. */
static void
agent_keep_summary(agent_job_t *j, const uint8_t *data, size_t len)
{
	for (size_t i = 0; i < len && !j->summary_done; i++) {
		if (data[i] == '\n')
			j->summary_done = true;
		else if (j->summary_len + 1 < sizeof(j->summary))
			j->summary[j->summary_len++] = (char)data[i];
	}
	j->summary[j->summary_len] = '\0';
}

/* Appends to the tail and drops its oldest bytes past the tail's room
 * (limit - head), counting them. */
static void
agent_tail_keep(agent_job_t *j, int stream, const uint8_t *data, size_t len)
{
	uint64_t room = j->limit - j->limit / 2;
	if (len == 0)
		return;
	if (len > room) {
		j->dropped += len - room;
		data += len - room;
		len = (size_t)room;
	}
	agent_tail_t *t = xmalloc(sizeof(*t) + len);
	t->stream = stream;
	t->len = len;
	t->off = 0;
	t->next = NULL;
	memcpy(t->data, data, len);
	if (j->tail_last)
		j->tail_last->next = t;
	else
		j->tail = t;
	j->tail_last = t;
	j->tail_bytes += len;
	while (j->tail_bytes > room) {
		agent_tail_t *old = j->tail;
		size_t have = old->len - old->off;
		size_t cut = j->tail_bytes - room < have ? (size_t)(j->tail_bytes - room) : have;
		old->off += cut;
		j->tail_bytes -= cut;
		j->dropped += cut;
		if (old->off == old->len) {
			j->tail = old->next;
			if (j->tail == NULL)
				j->tail_last = NULL;
			free(old);
		}
	}
}

static void
agent_tail_free(agent_job_t *j)
{
	while (j->tail) {
		agent_tail_t *t = j->tail;
		j->tail = t->next;
		free(t);
	}
	j->tail_last = NULL;
	j->tail_bytes = 0;
}

/* At the end of a step that printed more than its limit: a note saying how
 * much was dropped between head and tail, then the tail, so the last lines
 * (where errors usually are) are kept. */
static void
agent_tail_flush(agent_t *a, agent_job_t *j)
{
	if (!j->truncated)
		return;
	if (j->dropped > 0) {
		char note[160];
		int n =
		    snprintf(note, sizeof(note),
		             "\n[rota: %llu bytes of output dropped here; the first and the last"
		             " %llu bytes are kept]\n",
		             (unsigned long long)j->dropped, (unsigned long long)(j->limit / 2));
		agent_send_output(a, j, 1, (const uint8_t *)note, (size_t)n, true);
	}
	for (agent_tail_t *t = j->tail; t; t = t->next)
		agent_send_output(a, j, t->stream, t->data + t->off, t->len - t->off, false);
	agent_tail_free(j);
}

static void
agent_take_output(agent_t *a, agent_job_t *j, int stream, const uint8_t *data, size_t len)
{
	if (len == 0)
		return;
	if (j->check && stream == 1)
		agent_keep_summary(j, data, len);
	uint64_t head = j->limit / 2;
	if (!j->truncated && j->sent_bytes + len > head) {
		/* Past the head: send what fits, keep the rest as tail. The
		 * pipes are still read, so the step never blocks on them. */
		size_t fit = (size_t)(head - j->sent_bytes);
		if (fit > 0)
			agent_send_output(a, j, stream, data, fit, false);
		j->sent_bytes = head;
		j->truncated = true;
		data += fit;
		len -= fit;
	}
	if (j->truncated) {
		agent_tail_keep(j, stream, data, len);
		return;
	}
	j->sent_bytes += len;
	agent_send_output(a, j, stream, data, len, false);
}

/* Output is redacted before anything else sees it: the spool, the socket,
 * the tail and a check's summary only ever hold the masked bytes. */
static void
agent_on_output(void *ctx, uint64_t job, int stream, const uint8_t *data, size_t len)
{
	agent_t *a = ctx;
	agent_job_t *j = agent_job_by_exec(a, job);
	if (j == NULL)
		return;
	redactor_t *r = stream == 1 || stream == 2 ? j->redact[stream - 1] : NULL;
	if (r == NULL) {
		agent_take_output(a, j, stream, data, len);
		return;
	}
	uint8_t *clean = NULL;
	size_t clean_len = 0;
	redactor_feed(r, data, len, &clean, &clean_len);
	agent_take_output(a, j, stream, clean, clean_len);
	free(clean);
}

/* The end of the step's streams: what the redactors held back. */
static void
agent_flush_redacted(agent_t *a, agent_job_t *j)
{
	for (int s = 0; s < 2; s++) {
		if (j->redact[s] == NULL)
			continue;
		uint8_t *clean = NULL;
		size_t clean_len = 0;
		redactor_flush(j->redact[s], &clean, &clean_len);
		agent_take_output(a, j, s + 1, clean, clean_len);
		free(clean);
		redactor_destroy(&j->redact[s]);
	}
}

static const char *
agent_signal_name(int sig)
{
	const char *name = sigabbrev_np(sig);
	return name ? name : "?";
}

/* The Result of a shell step: its exit code decides. */
static int
agent_shell_status(agent_t *a, const exec_result_t *res, char *detail, size_t len)
{
	int status;
	switch (res->outcome) {
	case EXEC_EXITED:
		status = res->exit_code == 0 ? ROTA__STEP_STATUS__STEP_SUCCEEDED
		                             : ROTA__STEP_STATUS__STEP_FAILED;
		if (res->exit_code != 0)
			snprintf(detail, len, "exited with status %d", res->exit_code);
		else
			detail[0] = '\0';
		break;
	case EXEC_SIGNALED:
		status = ROTA__STEP_STATUS__STEP_FAILED;
		snprintf(detail, len, "killed by signal %d (SIG%s)", res->signal,
		         agent_signal_name(res->signal));
		break;
	case EXEC_TIMED_OUT:
		status = ROTA__STEP_STATUS__STEP_TIMEOUT;
		snprintf(detail, len, "%s", res->detail);
		break;
	case EXEC_CANCELLED:
		status = ROTA__STEP_STATUS__STEP_CANCELLED;
		if (a->stopping && a->cfg.drain_ms > 0)
			snprintf(detail, len,
			         "worker %s stopped and the step did not finish within its drain"
			         " time (%us): %s",
			         a->cfg.id, a->cfg.drain_ms / 1000, res->detail);
		else if (a->stopping)
			snprintf(detail, len, "worker %s stopped while the step ran: %s", a->cfg.id,
			         res->detail);
		else
			snprintf(detail, len, "%s", res->detail);
		break;
	default:
		/* The executor's detail already says it could not start. */
		status = ROTA__STEP_STATUS__STEP_ERROR;
		snprintf(detail, len, "%s", res->detail);
		break;
	}
	return status;
}

/* The Result of a built-in check: its exit code is its verdict (check.h)
 * and its report's first line the detail. A verdict of error, and a check
 * process that died of a signal, are STEP_ERROR: the check could not be
 * made, which is not the same news as a service that answered badly
 * (FAILED), and the runbook's author, not the service, has to act. */
static int
agent_check_status(agent_t *a, const agent_job_t *j, const exec_result_t *res, char *detail,
                   size_t len)
{
	const char *summary = j->summary;
	switch (res->outcome) {
	case EXEC_EXITED:
		switch (res->exit_code) {
		case CHECK_PASS:
			snprintf(detail, len, "%s", summary);
			return ROTA__STEP_STATUS__STEP_SUCCEEDED;
		case CHECK_FAIL:
			snprintf(detail, len, "%s", summary[0] ? summary : "the check failed");
			return ROTA__STEP_STATUS__STEP_FAILED;
		case CHECK_ERROR:
			snprintf(detail, len, "%s",
			         summary[0] ? summary : "the check could not be made");
			return ROTA__STEP_STATUS__STEP_ERROR;
		default:
			snprintf(detail, len, "the check process exited with status %d%s%s",
			         res->exit_code, summary[0] ? ": " : "", summary);
			return ROTA__STEP_STATUS__STEP_ERROR;
		}
	case EXEC_SIGNALED:
		snprintf(detail, len, "the check process was killed by signal %d (SIG%s)",
		         res->signal, agent_signal_name(res->signal));
		return ROTA__STEP_STATUS__STEP_ERROR;
	case EXEC_TIMED_OUT:
		/* The check's own timeout fails it with a report; this is the
		 * executor's backstop, CHECK_KILL_SLACK_MS later. */
		snprintf(detail, len, "the check did not end by itself: %s", res->detail);
		return ROTA__STEP_STATUS__STEP_TIMEOUT;
	case EXEC_CANCELLED:
	default:
		/* Cancelled or never started: as for a shell step. */
		return agent_shell_status(a, res, detail, len);
	}
}

static void
agent_on_done(void *ctx, uint64_t job, const exec_result_t *res)
{
	agent_t *a = ctx;
	agent_job_t *j = agent_job_by_exec(a, job);
	if (j == NULL)
		return;
	Rota__StepKey key;
	agent_fill_key(a, j, &key);
	Rota__Result r = ROTA__RESULT__INIT;
	char detail[512];
	r.key = &key;
	r.exit_code = res->exit_code;
	r.signal = res->signal;
	r.started_ms = res->started_ms;
	r.ended_ms = res->ended_ms;
	agent_flush_redacted(a, j);
	agent_tail_flush(a, j);
	/* The chunks must be durable (or known lost) before the Result says
	 * whether they are. */
	if (spool_sync(a->spool) != 0)
		agent_jobs_spool_failed(a, NULL);
	r.output_seq = j->seq;
	r.output_bytes = j->chunk_bytes;
	r.spool_error = j->spool_error;
	if (j->check)
		r.status = agent_check_status(a, j, res, detail, sizeof(detail));
	else
		r.status = agent_shell_status(a, res, detail, sizeof(detail));
	r.detail = detail;
	log_info("step %s/%s#%u finished: %s%s%s", j->run_id, j->step_id, j->attempt,
	         r.status == ROTA__STEP_STATUS__STEP_SUCCEEDED ? "ok" : "not ok",
	         detail[0] ? ", " : "", detail);
	agent_report(a, j->keytext, &r);

	for (agent_job_t **p = &a->jobs; *p; p = &(*p)->next) {
		if (*p == j) {
			*p = j->next;
			break;
		}
	}
	free(j->run_id);
	free(j->step_id);
	free(j->keytext);
	free(j->spool_error);
	agent_tail_free(j);
	redactor_destroy(&j->redact[0]);
	redactor_destroy(&j->redact[1]);
	free(j);
}

/* ---- coordinator messages ---------------------------------------------- */

/* A Result for a step that ends as it is dispatched: refused, or a noop. */
static void
agent_send_result_now(agent_t *a, const Rota__StepKey *k, const char *keytext, int status,
                      const char *detail)
{
	Rota__StepKey key;
	wire_step_key_copy(&key, k); /* spooled: not the coordinator's unknown fields */
	Rota__Result r = ROTA__RESULT__INIT;
	r.key = &key;
	r.status = status;
	r.detail = (char *)detail;
	r.started_ms = r.ended_ms = clock_wall_ms();
	agent_report(a, keytext, &r);
}

/* Whether this worker refuses a step spec outright, and why. Shell steps
 * and the built-in checks run here; manual and notify steps are the
 * coordinator's own and are never meant to reach a worker. */
static bool
agent_step_refused(agent_t *a, const Rota__StepSpec *spec, char *why, size_t len)
{
	const char *kind = NULL;
	bool present = true;
	switch (spec->kind_case) {
	case ROTA__STEP_SPEC__KIND_SHELL:
		present = spec->shell != NULL;
		kind = "shell";
		break;
	case ROTA__STEP_SPEC__KIND_HTTP_CHECK:
		present = spec->http_check != NULL;
		kind = "http_check";
		break;
	case ROTA__STEP_SPEC__KIND_DISK_CHECK:
		present = spec->disk_check != NULL;
		kind = "disk_check";
		break;
	case ROTA__STEP_SPEC__KIND_METRIC_CHECK:
		present = spec->metric_check != NULL;
		kind = "metric_check";
		break;
	case ROTA__STEP_SPEC__KIND_NOOP:
		return false;
	case ROTA__STEP_SPEC__KIND_MANUAL:
	case ROTA__STEP_SPEC__KIND_NOTIFY:
		snprintf(why, len,
		         "a %s step is run by the coordinator itself, never by a worker; worker"
		         " %s was sent one and did not run it",
		         spec->kind_case == ROTA__STEP_SPEC__KIND_MANUAL ? "manual" : "notify",
		         a->cfg.id);
		return true;
	default:
		snprintf(why, len,
		         "worker %s (version %s) does not know this step type (kind %d); is"
		         " the coordinator newer than the worker?",
		         a->cfg.id, ROTA_VERSION, (int)spec->kind_case);
		return true;
	}
	if (!present) {
		snprintf(why, len, "the %s step came without its settings", kind);
		return true;
	}
	return false;
}

static const char *
agent_kind_name(const Rota__StepSpec *spec)
{
	switch (spec->kind_case) {
	case ROTA__STEP_SPEC__KIND_SHELL:
		return "shell";
	case ROTA__STEP_SPEC__KIND_HTTP_CHECK:
		return "http_check";
	case ROTA__STEP_SPEC__KIND_DISK_CHECK:
		return "disk_check";
	case ROTA__STEP_SPEC__KIND_METRIC_CHECK:
		return "metric_check";
	case ROTA__STEP_SPEC__KIND_NOOP:
		return "noop";
	default:
		return "?";
	}
}

static bool
agent_list_empty(const char *const *list)
{
	return list == NULL || list[0] == NULL;
}

/* "a, b, c" of a NULL-terminated list, into buf. */
static const char *
agent_list_text(const char *const *list, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = '\0';
	for (size_t i = 0; list && list[i] && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? ", " : "", list[i]);
	return buf;
}

/* This worker's own rules (--allow-runbooks, --allow-step-types): a step
 * they refuse never runs, and the reason is its recorded detail. */
static bool
agent_policy_refused(agent_t *a, const Rota__StepSpec *spec, char *why, size_t len)
{
	char list[512];
	const char *kind = agent_kind_name(spec);
	if (!agent_list_empty(a->cfg.allow_types)) {
		bool ok = false;
		for (size_t i = 0; a->cfg.allow_types[i] && !ok; i++)
			ok = strcmp(a->cfg.allow_types[i], kind) == 0;
		if (!ok) {
			snprintf(why, len,
			         "worker %s does not accept %s steps (--allow-step-types %s)",
			         a->cfg.id, kind,
			         agent_list_text(a->cfg.allow_types, list, sizeof(list)));
			return true;
		}
	}
	if (!agent_list_empty(a->cfg.allow_runbooks) && spec->adhoc) {
		/* The name of an ad-hoc run is the submitter's to write: no
		 * glob may match it, only --allow-adhoc admits it. */
		if (!a->cfg.allow_adhoc) {
			snprintf(why, len,
			         "worker %s does not accept ad-hoc runs (%s, a submitted file;"
			         " --allow-runbooks %s without --allow-adhoc)",
			         a->cfg.id, spec->runbook && spec->runbook[0] ? spec->runbook : "?",
			         agent_list_text(a->cfg.allow_runbooks, list, sizeof(list)));
			return true;
		}
	} else if (!agent_list_empty(a->cfg.allow_runbooks)) {
		const char *rb = spec->runbook ? spec->runbook : "";
		bool ok = false;
		for (size_t i = 0; a->cfg.allow_runbooks[i] && !ok; i++)
			ok = rb[0] != '\0' && fnmatch(a->cfg.allow_runbooks[i], rb, 0) == 0;
		if (!ok) {
			snprintf(why, len,
			         "worker %s does not accept runbook %s (--allow-runbooks %s)",
			         a->cfg.id, rb[0] ? rb : "(unnamed)",
			         agent_list_text(a->cfg.allow_runbooks, list, sizeof(list)));
			return true;
		}
	}
	return false;
}

/* Who a step runs as, resolved before the fork (getpwnam and getgrouplist
 * are not async-signal-safe). */
typedef struct {
	char name[64];
	char home[PATH_MAX];
	bool switch_ids;
	uid_t uid;
	gid_t gid;
	gid_t *groups; /* owned */
	int ngroups;
} agent_user_t;

/* Fills u for run_as ("" = the worker's own user). -1 with why when the
 * step may not, or cannot, run as that user. */
static int
agent_resolve_user(agent_t *a, const char *run_as, agent_user_t *u, char *why, size_t len)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	memset(u, 0, sizeof(*u));
	uid_t me = geteuid();
	if (run_as[0] == '\0') {
		if (getpwuid_r(me, &pw, buf, sizeof(buf), &res) != 0 || res == NULL) {
			/* No passwd entry (a container's arbitrary uid): still run. */
			snprintf(u->name, sizeof(u->name), "%u", (unsigned)me);
			snprintf(u->home, sizeof(u->home), "/");
			return 0;
		}
		snprintf(u->name, sizeof(u->name), "%s", pw.pw_name);
		snprintf(u->home, sizeof(u->home), "%s", pw.pw_dir);
		return 0;
	}
	bool allowed = false;
	for (size_t i = 0; a->cfg.allow_users && a->cfg.allow_users[i] && !allowed; i++)
		allowed = strcmp(a->cfg.allow_users[i], run_as) == 0;
	if (!allowed) {
		char list[512];
		snprintf(why, len, "worker %s does not allow steps to run as %s (--allow-user: %s)",
		         a->cfg.id, run_as,
		         agent_list_empty(a->cfg.allow_users)
		             ? "none"
		             : agent_list_text(a->cfg.allow_users, list, sizeof(list)));
		return -1;
	}
	int rc = getpwnam_r(run_as, &pw, buf, sizeof(buf), &res);
	if (rc != 0 || res == NULL) {
		snprintf(why, len, "worker %s has no user %s%s%s", a->cfg.id, run_as,
		         rc ? ": " : "", rc ? strerror(rc) : "");
		return -1;
	}
	snprintf(u->name, sizeof(u->name), "%s", pw.pw_name);
	snprintf(u->home, sizeof(u->home), "%s", pw.pw_dir);
	if (pw.pw_uid == me)
		return 0; /* already that user: nothing to switch */
	if (me != 0) {
		snprintf(why, len,
		         "worker %s runs as uid %u, not root, so it cannot run a step as %s",
		         a->cfg.id, (unsigned)me, run_as);
		return -1;
	}
	u->switch_ids = true;
	u->uid = pw.pw_uid;
	u->gid = pw.pw_gid;
	int n = 32;
	for (int tries = 0; tries < 4; tries++) {
		free(u->groups);
		u->groups = xcalloc((size_t)n, sizeof(*u->groups));
		int want = n;
		if (getgrouplist(pw.pw_name, pw.pw_gid, u->groups, &want) >= 0) {
			u->ngroups = want;
			return 0;
		}
		n = want > n ? want : n * 2;
	}
	free(u->groups);
	u->groups = NULL;
	snprintf(why, len, "worker %s cannot list the groups of user %s", a->cfg.id, run_as);
	return -1;
}

/* Where the step runs: the worker's --workdir, or the step's workdir when
 * that is inside it (resolved, so no '..' or symlink leads out). A
 * directory that does not exist is left for chdir to report as before. */
static int
agent_workdir(agent_t *a, const char *want, char *out, size_t len, char *why, size_t whylen)
{
	const char *root = a->cfg.workdir ? a->cfg.workdir : AGENT_DEFAULT_WORKDIR;
	if (want == NULL || want[0] == '\0') {
		snprintf(out, len, "%s", root);
		return 0;
	}
	char real[PATH_MAX], rroot[PATH_MAX];
	if (realpath(want, real) == NULL) {
		snprintf(out, len, "%s", want);
		return 0;
	}
	if (realpath(root, rroot) == NULL)
		snprintf(rroot, sizeof(rroot), "%s", root);
	size_t rl = strlen(rroot);
	bool inside = strcmp(rroot, "/") == 0 ||
	              (strncmp(real, rroot, rl) == 0 && (real[rl] == '\0' || real[rl] == '/'));
	if (!inside) {
		snprintf(why, whylen, "workdir %s is outside this worker's --workdir %s", want,
		         root);
		return -1;
	}
	snprintf(out, len, "%s", real);
	return 0;
}

/* The whole environment of a step (exec_spec_t.env_only): a fixed PATH,
 * the user's HOME/USER/LOGNAME, the variables --pass-env names, ROTA_*
 * about the step, the step's env, then its secrets. Strings owned by the
 * returned list. */
static char **
agent_step_env(agent_t *a, const Rota__Dispatch *d, const agent_user_t *u)
{
	const Rota__StepSpec *spec = d->spec;
	const Rota__ShellSpec *sh =
	    spec->kind_case == ROTA__STEP_SPEC__KIND_SHELL ? spec->shell : NULL;
	size_t npass = 0;
	while (a->cfg.pass_env && a->cfg.pass_env[npass])
		npass++;
	size_t cap = 16 + npass + (sh ? sh->n_env : 0) + spec->n_secret_env;
	char **env = xcalloc(cap + 1, sizeof(*env));
	size_t n = 0;
	env[n++] = xasprintf("PATH=%s", AGENT_STEP_PATH);
	env[n++] = xasprintf("HOME=%s", u->home);
	env[n++] = xasprintf("USER=%s", u->name);
	env[n++] = xasprintf("LOGNAME=%s", u->name);
	for (size_t i = 0; i < npass; i++) {
		const char *v = getenv(a->cfg.pass_env[i]);
		if (v != NULL)
			env[n++] = xasprintf("%s=%s", a->cfg.pass_env[i], v);
	}
	env[n++] = xasprintf("ROTA_RUN_ID=%s", d->key->run_id);
	env[n++] = xasprintf("ROTA_STEP_ID=%s", d->key->step_id);
	env[n++] = xasprintf("ROTA_ATTEMPT=%u", d->key->attempt);
	env[n++] = xasprintf("ROTA_HOST=%s", a->cfg.id);
	env[n++] = xasprintf("ROTA_RUNBOOK=%s", spec->runbook ? spec->runbook : "");
	for (size_t i = 0; sh && i < sh->n_env; i++)
		env[n++] = xasprintf("%s=%s", sh->env[i]->key, sh->env[i]->value);
	for (size_t i = 0; i < spec->n_secret_env; i++)
		env[n++] = xasprintf("%s=%s", spec->secret_env[i]->key, spec->secret_env[i]->value);
	env[n] = NULL;
	return env;
}

static void
agent_env_free(char **env)
{
	for (size_t i = 0; env && env[i]; i++) {
		explicit_bzero(env[i], strlen(env[i])); /* may hold a secret */
		free(env[i]);
	}
	free(env);
}

/* What a check's child needs: the helper to exec and the step's spec,
 * packed in the parent (the child only writes it). Borrowed. */
typedef struct {
	const char *helper;
	const uint8_t *spec;
	size_t len;
} agent_check_job_t;

/* The body of a check's child process (executor.h says what it may do):
 * hands the packed spec to rota-check on its stdin through a memfd (any
 * size, and no writer to block on) and execs it; rota-check writes the
 * report to stdout and exits with the verdict, as check_run did here when
 * the worker linked libcurl. The exec keeps the worker's environment, as
 * the in-process check saw it (proxy variables). */
static int
agent_check_child(void *arg)
{
	const agent_check_job_t *cj = arg;
	if (cj->helper == NULL) {
		dprintf(STDOUT_FILENO, "cannot run the check: the worker has no check helper"
		                       " (rota-check; see --check-helper)\n");
		return CHECK_ERROR;
	}
	int fd = memfd_create("rota-check-spec", MFD_CLOEXEC);
	if (fd < 0) {
		dprintf(STDOUT_FILENO, "cannot run the check: memfd_create: %s\n", strerror(errno));
		return CHECK_ERROR;
	}
	for (size_t off = 0; off < cj->len;) {
		ssize_t w = write(fd, cj->spec + off, cj->len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			dprintf(STDOUT_FILENO, "cannot run the check: writing its spec: %s\n",
			        strerror(errno));
			return CHECK_ERROR;
		}
		off += (size_t)w;
	}
	/* dup2 clears close-on-exec on the copy: stdin survives the exec. */
	if (lseek(fd, 0, SEEK_SET) != 0 || dup2(fd, STDIN_FILENO) != STDIN_FILENO) {
		dprintf(STDOUT_FILENO, "cannot run the check: %s\n", strerror(errno));
		return CHECK_ERROR;
	}
	close(fd);
	char *const argv[] = {"rota-check", NULL};
	execv(cj->helper, argv);
	dprintf(STDOUT_FILENO, "cannot run the check helper %s: %s\n", cj->helper, strerror(errno));
	return CHECK_ERROR;
}

static void
agent_dispatch(agent_t *a, const Rota__Dispatch *d)
{
	const Rota__StepKey *k = d->key;
	if (k == NULL || k->run_id == NULL || k->step_id == NULL || k->host == NULL ||
	    d->spec == NULL) {
		a->wire.dropped_empty++;
		return;
	}
	if (d->fence < a->epoch) {
		log_warn("dropped an order from a stale coordinator (epoch %llu < %llu)",
		         (unsigned long long)d->fence, (unsigned long long)a->epoch);
		return;
	}
	if (strcmp(k->host, a->cfg.id) != 0) {
		log_warn("dropped an order for host %s (I am %s)", k->host, a->cfg.id);
		return;
	}
	Rota__StepKey key;
	wire_step_key_copy(&key, k);
	Rota__Accepted acc = ROTA__ACCEPTED__INIT;
	acc.key = &key;
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_ACCEPTED;
	env.accepted = &acc;

	char *keytext = agent_keytext(k->run_id, k->step_id, k->attempt);
	for (agent_job_t *j = a->jobs; j; j = j->next) {
		if (strcmp(j->keytext, keytext) == 0) {
			agent_send(a, &env); /* a resent order: it runs already */
			free(keytext);
			return;
		}
	}
	if (a->stopping) {
		/* Not started, so not accepted: the Goodbye tells the
		 * coordinator to hold it (it was sent before this one arrived,
		 * or crossed it). */
		log_info("not starting %s/%s#%u: this worker is stopping", k->run_id, k->step_id,
		         k->attempt);
		agent_send_goodbye(a);
		free(keytext);
		return;
	}
	int started = spool_mark_started(a->spool, keytext);
	if (started < 0) {
		/* Without the spool a result could be lost and an attempt run
		 * twice: refuse, and say why. */
		log_error("cannot record the start of %s/%s#%u in the spool; refusing it",
		          k->run_id, k->step_id, k->attempt);
		agent_send_result_now(a, k, keytext, ROTA__STEP_STATUS__STEP_ERROR,
		                      "the worker cannot write its spool (disk full or"
		                      " unwritable?); the step was not started");
		free(keytext);
		return;
	}
	if (started != 0) {
		/* Started before: never twice. Answer with its spooled result,
		 * or, when there is none (this worker restarted while it ran),
		 * say it is lost, so the coordinator does not wait forever. */
		size_t len = 0;
		uint8_t *data = spool_get(a->spool, keytext, &len);
		if (data == NULL || agent_send_spooled(a, data, len) != 0) {
			log_warn("refused to start %s/%s#%u again: it was started before",
			         k->run_id, k->step_id, k->attempt);
			agent_send_result_now(a, k, keytext, ROTA__STEP_STATUS__STEP_LOST,
			                      "the worker had started this attempt before (it"
			                      " restarted meanwhile) and holds no result; not run"
			                      " again");
		}
		free(data);
		free(keytext);
		return;
	}
	char why[256];
	if (agent_step_refused(a, d->spec, why, sizeof(why))) {
		agent_send_result_now(a, k, keytext, ROTA__STEP_STATUS__STEP_ERROR, why);
		free(keytext);
		return;
	}
	/* Before the noop shortcut: a refused runbook gets no success either. */
	if (agent_policy_refused(a, d->spec, why, sizeof(why))) {
		log_warn("refused %s/%s#%u: %s", k->run_id, k->step_id, k->attempt, why);
		agent_send_result_now(a, k, keytext, ROTA__STEP_STATUS__STEP_ERROR, why);
		free(keytext);
		return;
	}
	if (d->spec->kind_case == ROTA__STEP_SPEC__KIND_NOOP) {
		/* Nothing to run, so nothing to fork: accepted and done. */
		agent_send(a, &env);
		agent_send_result_now(a, k, keytext, ROTA__STEP_STATUS__STEP_SUCCEEDED, "");
		log_info("step %s/%s#%u (noop) finished: ok", k->run_id, k->step_id, k->attempt);
		free(keytext);
		return;
	}
	if (executor_running(a->exec) >= a->cfg.capacity) {
		agent_send_result_now(a, k, keytext, ROTA__STEP_STATUS__STEP_ERROR,
		                      "the worker is at capacity");
		free(keytext);
		return;
	}
	agent_user_t user;
	char workdir[PATH_MAX];
	bool check = check_handles(d->spec);
	const Rota__ShellSpec *sh = d->spec->shell;
	if (agent_resolve_user(a, d->spec->run_as ? d->spec->run_as : "", &user, why,
	                       sizeof(why)) != 0 ||
	    agent_workdir(a, check ? NULL : sh->workdir, workdir, sizeof(workdir), why,
	                  sizeof(why)) != 0) {
		log_warn("refused %s/%s#%u: %s", k->run_id, k->step_id, k->attempt, why);
		agent_send_result_now(a, k, keytext, ROTA__STEP_STATUS__STEP_ERROR, why);
		free(user.groups);
		free(keytext);
		return;
	}
	/* Checks take no step environment: rota-check runs with the
	 * worker's own, as the in-process check did (agent_check_child). */
	char **env_kv = check ? NULL : agent_step_env(a, d, &user);
	exec_spec_t spec;
	uint8_t *packed = NULL; /* owned: the check's spec for rota-check */
	agent_check_job_t cj = {.helper = a->cfg.check_helper};
	if (check) {
		/* The check blocks, so it runs in a child of its own; cj is
		 * only read there, in the child's copy of memory. */
		cj.len = rota__step_spec__get_packed_size(d->spec);
		packed = xmalloc(cj.len + 1);
		rota__step_spec__pack(d->spec, packed);
		cj.spec = packed;
		uint64_t t = (uint64_t)check_timeout_ms(d->spec) + CHECK_KILL_SLACK_MS;
		spec = (exec_spec_t){
		    .fn = agent_check_child,
		    .arg = &cj,
		    .timeout_ms = t > UINT32_MAX ? UINT32_MAX : (uint32_t)t,
		};
	} else {
		spec = (exec_spec_t){
		    .run = sh->run,
		    .env = (const char *const *)env_kv,
		    .env_only = true,
		    .timeout_ms = d->spec->timeout_ms,
		};
	}
	spec.workdir = workdir;
	spec.set_umask = true;
	spec.umask = a->cfg.umask;
	spec.set_ids = user.switch_ids;
	spec.uid = user.uid;
	spec.gid = user.gid;
	spec.groups = user.groups;
	spec.ngroups = user.ngroups > 0 ? (size_t)user.ngroups : 0;
	agent_job_t *j = xcalloc(1, sizeof(*j));
	j->check = check;
	j->run_id = xstrdup(k->run_id);
	j->step_id = xstrdup(k->step_id);
	j->attempt = k->attempt;
	j->keytext = keytext;
	/* What it sends is also what the spool holds until acknowledged:
	 * never unbounded. */
	j->limit = d->spec->output_limit ? d->spec->output_limit : AGENT_OUTPUT_LIMIT_BYTES;
	if (d->spec->n_secret_env > 0) {
		const char **values = xcalloc(d->spec->n_secret_env + 1, sizeof(*values));
		for (size_t i = 0; i < d->spec->n_secret_env; i++)
			values[i] = d->spec->secret_env[i]->value;
		j->redact[0] = redactor_new(values, d->spec->n_secret_env);
		j->redact[1] = redactor_new(values, d->spec->n_secret_env);
		free(values);
	}
	j->next = a->jobs;
	a->jobs = j;
	agent_send(a, &env);
	j->exec_id = executor_start(a->exec, &spec);
	free(packed); /* the child has its copy */
	/* Its group, so a restart after this worker is SIGKILLed can stop what
	 * would otherwise run on unwatched (agent_stop_leftovers). */
	pid_t pgid = executor_pgid(a->exec, j->exec_id);
	uint64_t pstart = 0;
	if (pgid > 0 && executor_proc_starttime(pgid, &pstart) == 0)
		spool_mark_process(a->spool, keytext, pgid, pstart);
	else if (pgid > 0)
		log_warn("step %s/%s#%u: cannot read the start time of its process %d; a restart"
		         " after a crash would not stop it",
		         k->run_id, k->step_id, k->attempt, (int)pgid);
	agent_env_free(env_kv);
	free(user.groups);
	log_info("step %s/%s#%u started%s%s", k->run_id, k->step_id, k->attempt,
	         user.switch_ids ? " as " : "", user.switch_ids ? user.name : "");
	if (j->exec_id == 0) {
		exec_result_t res = {.outcome = EXEC_START_FAILED,
		                     .started_ms = clock_wall_ms(),
		                     .ended_ms = clock_wall_ms()};
		snprintf(res.detail, sizeof(res.detail), "the executor could not track the job");
		agent_on_done(a, 0, &res);
	}
}

static int
agent_resend_spooled(void *ctx, const char *key, const uint8_t *data, size_t len)
{
	(void)key;
	agent_send_spooled(ctx, data, len);
	return 0;
}

static int
agent_resend_output(void *ctx, const char *key, uint64_t seq, const uint8_t *chunk, size_t len)
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
	agent_send(a, &env);
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
static bool
agent_resend_all(agent_t *a)
{
	if (a->state != AGENT_READY)
		return false;
	bool any = false;
	if (spool_output_count(a->spool, NULL, NULL) > 0) {
		spool_output_each(a->spool, agent_resend_output, a);
		any = true;
	}
	if (spool_count(a->spool) > 0) {
		spool_each(a->spool, agent_resend_spooled, a);
		any = true;
	}
	for (agent_held_t *h = a->held; h; h = h->next) {
		agent_send_spooled(a, h->data, h->len);
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
static void
agent_schedule_resend(agent_t *a, bool progress)
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
agent_ack_keytext(const Rota__StepKey *k)
{
	if (k == NULL || k->run_id == NULL || k->step_id == NULL)
		return NULL;
	return agent_keytext(k->run_id, k->step_id, k->attempt);
}

static void
agent_handle(agent_t *a, Rota__Envelope *env)
{
	a->last_rx = clock_mono_ms();
	switch (env->body_case) {
	case ROTA__ENVELOPE__BODY_WELCOME: {
		const Rota__Welcome *w = env->welcome;
		bool fresh = a->state != AGENT_READY;
		a->epoch = w->epoch;
		if (w->heartbeat_ms >= 50 && w->heartbeat_ms <= 600000)
			a->heartbeat_ms = w->heartbeat_ms;
		a->state = AGENT_READY;
		a->welcomed_once = true;
		a->backoff_ms = AGENT_BACKOFF_MIN_MS;
		if (fresh)
			log_info("connected to coordinator %s at %s (epoch %llu)",
			         w->coordinator_id, a->cfg.endpoint, (unsigned long long)a->epoch);
		/* Hello carried some spooled results; output not yet
		 * acknowledged, results that finished since, and those that
		 * did not fit, go now. */
		agent_resend_all(a);
		if (a->stopping)
			agent_send_goodbye(a);
		a->prompt = false;
		a->next_resend = 0;
		agent_schedule_resend(a, true);
		break;
	}
	case ROTA__ENVELOPE__BODY_HEARTBEAT:
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
			agent_hello(a);
		}
		break;
	case ROTA__ENVELOPE__BODY_DISPATCH:
		if (a->state == AGENT_READY)
			agent_dispatch(a, env->dispatch);
		break;
	case ROTA__ENVELOPE__BODY_RESULT_ACK: {
		/* The coordinator acknowledges a result only once it holds
		 * every chunk up to its output_seq: the chunks go with it. */
		char *kt = agent_ack_keytext(env->result_ack->key);
		if (kt) {
			spool_delete(a->spool, kt);
			spool_output_drop(a->spool, kt);
			agent_unhold(a, kt);
			agent_schedule_resend(a, true);
		}
		free(kt);
		break;
	}
	case ROTA__ENVELOPE__BODY_OUTPUT_ACK: {
		char *kt = agent_ack_keytext(env->output_ack->key);
		if (kt) {
			spool_output_ack(a->spool, kt, env->output_ack->seq);
			agent_schedule_resend(a, true);
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
		agent_coordinator_goodbye(a, env->goodbye);
		break;
	case ROTA__ENVELOPE__BODY_RESPONSE:
		/* The answer an operator's endpoint gives a worker that dialled
		 * it by mistake: say what it said, once per connection. */
		if (env->response->error && !a->misdialled) {
			log_error("%s answered: %s", a->cfg.endpoint,
			          env->response->error->message);
			a->misdialled = true;
		}
		break;
	default:
		a->wire.dropped_empty++;
		break;
	}
}

/* ---- life ---------------------------------------------------------------- */

agent_t *
agent_new(const agent_config_t *config, char **error)
{
	agent_t *a = xcalloc(1, sizeof(*a));
	a->cfg = *config;
	a->sigfd = -1;
	a->heartbeat_ms = AGENT_HEARTBEAT_MS;
	a->poll_cap = 16;
	a->fds = xcalloc(a->poll_cap, sizeof(*a->fds));
	/* Room for the signalfd, the socket and its monitor besides. */
	a->items = xcalloc(a->poll_cap + 3, sizeof(*a->items));
	a->backoff_ms = AGENT_BACKOFF_MIN_MS;
	if (getrandom(&a->instance, sizeof(a->instance), 0) != (ssize_t)sizeof(a->instance))
		a->instance = (uint64_t)clock_wall_ms() ^ ((uint64_t)getpid() << 32);
	a->instance |= 1; /* never 0, which means "unknown" */
	if (gethostname(a->hostname, sizeof(a->hostname) - 1) != 0)
		snprintf(a->hostname, sizeof(a->hostname), "unknown");

	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* A spool write past a file-size limit fails like a full disk (the
	 * step is refused), rather than kill the worker with SIGXFSZ. Steps
	 * get default dispositions back (executor.c). */
	signal(SIGXFSZ, SIG_IGN);
	a->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (a->sigfd < 0) {
		*error = xasprintf("signalfd: %s", strerror(errno));
		agent_destroy(&a);
		return NULL;
	}
	a->spool = spool_open(config->spool_dir, error);
	if (a->spool == NULL) {
		agent_destroy(&a);
		return NULL;
	}
	exec_callbacks_t cb = {.on_output = agent_on_output, .on_done = agent_on_done, .ctx = a};
	a->exec = executor_new(&cb);
	a->zctx = zmq_ctx_new();
	if (a->exec == NULL || a->zctx == NULL) {
		*error = xstrdup("cannot start the executor or ZeroMQ");
		agent_destroy(&a);
		return NULL;
	}
	return a;
}

void
agent_destroy(agent_t **ap)
{
	agent_t *a = *ap;
	if (a == NULL)
		return;
	executor_destroy(&a->exec);
	while (a->jobs) {
		agent_job_t *j = a->jobs;
		a->jobs = j->next;
		free(j->run_id);
		free(j->step_id);
		free(j->keytext);
		free(j->spool_error);
		agent_tail_free(j);
		redactor_destroy(&j->redact[0]);
		redactor_destroy(&j->redact[1]);
		free(j);
	}
	agent_close_socket(a);
	if (a->zctx)
		zmq_ctx_term(a->zctx);
	spool_close(&a->spool);
	while (a->held)
		agent_unhold(a, a->held->keytext);
	free(a->items);
	free(a->fds);
	if (a->sigfd >= 0)
		close(a->sigfd);
	free(a);
	*ap = NULL;
}

static void
agent_signals(agent_t *a)
{
	struct signalfd_siginfo si;
	while (read(a->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
			if (!a->stopping) {
				log_info("signal %u: stopping; %zu step(s) running get %u ms to"
				         " finish, no new ones are started",
				         si.ssi_signo, executor_running(a->exec), a->cfg.drain_ms);
				a->stopping = true;
				a->drain_deadline = clock_mono_ms() + a->cfg.drain_ms;
				agent_send_goodbye(a);
			} else if (!a->cancelled_all) {
				/* A second signal: do not wait out the drain. */
				log_info("signal %u again: stopping the running steps now",
				         si.ssi_signo);
				a->drain_deadline = clock_mono_ms();
			}
		}
		/* SIGCHLD: executor_tick below reaps. */
	}
}

static void
agent_heartbeat(agent_t *a)
{
	Rota__Heartbeat hb = ROTA__HEARTBEAT__INIT;
	hb.epoch = a->epoch;
	hb.running = (uint32_t)executor_running(a->exec);
	hb.spool_error = (char *)spool_error(a->spool);
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_HEARTBEAT;
	env.heartbeat = &hb;
	agent_send(a, &env);
}

/* One turn of a stop. Returns true when the worker may exit: no step runs
 * and the coordinator acknowledged every result, or the flush time ran
 * out (what is left stays spooled and goes with the next start's Hello). */
static bool
agent_stop_step(agent_t *a, int64_t *flush_deadline)
{
	int64_t now = clock_mono_ms();
	if (a->jobs != NULL) {
		if (!a->cancelled_all && now >= a->drain_deadline) {
			size_t n = 0;
			for (agent_job_t *j = a->jobs; j; j = j->next, n++)
				executor_cancel(a->exec, j->exec_id);
			if (a->cfg.drain_ms > 0)
				log_warn("drain time (%u ms) is over: stopping %zu step(s) still"
				         " running (SIGTERM, then SIGKILL after %d ms)",
				         a->cfg.drain_ms, n, EXECUTOR_KILL_GRACE_MS);
			a->cancelled_all = true;
		}
		return false;
	}
	if (*flush_deadline == 0)
		*flush_deadline = now + AGENT_STOP_GRACE_MS;
	if (spool_count(a->spool) == 0 && a->held == NULL)
		return true;
	if (now >= *flush_deadline) {
		log_info("%zu result(s) not acknowledged yet; they stay in the spool for the next"
		         " start",
		         spool_count(a->spool));
		if (a->held)
			log_error("%zu result(s) the spool could not keep are lost with this stop",
			          agent_held_count(a));
		return true;
	}
	return false;
}

/* ---- leftovers of a previous process -------------------------------- */

typedef struct agent_leftover {
	char *keytext; /* owned */
	pid_t pgid;
	uint64_t pstart;
	int64_t started_ms;
	bool killed; /* ours: its group was signalled */
	struct agent_leftover *next;
} agent_leftover_t;

static int
agent_collect_leftover(void *ctx, const char *key, int64_t pgid, uint64_t pstart,
                       int64_t started_ms)
{
	agent_leftover_t **list = ctx;
	if (pgid <= 1 || pgid > INT32_MAX)
		return 0; /* never ours: not a group to signal */
	agent_leftover_t *l = xcalloc(1, sizeof(*l));
	l->keytext = xstrdup(key);
	l->pgid = (pid_t)pgid;
	l->pstart = pstart;
	l->started_ms = started_ms;
	l->next = *list;
	*list = l;
	return 0;
}

/* Whether any process of the group is left (a zombie counts until its new
 * parent reaps it, so this may stay true for the whole grace). */
static bool
agent_group_alive(pid_t pgid)
{
	return kill(-pgid, 0) == 0 || errno == EPERM;
}

/* A worker killed with SIGKILL cannot stop its steps: their groups run on,
 * unwatched, while the coordinator may retry them elsewhere. At start, each
 * attempt the spool says was running here with no result is looked for: if
 * its group leader is still the process that was started (same pid, same
 * start time) the group is stopped (SIGTERM, SIGKILL after
 * AGENT_LEFTOVER_GRACE_MS) and a LOST result is spooled for it, which the
 * Hello carries. A group that is gone, or a pid since reused, is left alone:
 * the coordinator marks the attempt lost on Hello, as before.
 *
 * This blocks for up to the grace, before the poll loop starts: nothing else
 * waits on this worker yet, and a restart is rare. */
static void
agent_stop_leftovers(agent_t *a)
{
	agent_leftover_t *list = NULL;
	if (spool_process_each(a->spool, agent_collect_leftover, &list) != 0)
		log_error("cannot read the started steps from the spool; steps a previous"
		          " process left running are not stopped");
	size_t killed = 0;
	for (agent_leftover_t *l = list; l; l = l->next) {
		uint64_t now_start = 0;
		if (executor_proc_starttime(l->pgid, &now_start) != 0 || now_start != l->pstart) {
			/* Gone, or another process has its pid: nothing of ours. */
			spool_forget_process(a->spool, l->keytext);
			continue;
		}
		if (kill(-l->pgid, SIGTERM) != 0 && errno != ESRCH) {
			log_error("cannot stop the leftover process group %d of step %s: %s",
			          (int)l->pgid, l->keytext, strerror(errno));
			continue;
		}
		l->killed = true;
		killed++;
	}
	int64_t deadline = clock_mono_ms() + AGENT_LEFTOVER_GRACE_MS;
	while (killed > 0) {
		size_t alive = 0;
		for (agent_leftover_t *l = list; l; l = l->next)
			alive += l->killed && agent_group_alive(l->pgid);
		if (alive == 0 || clock_mono_ms() >= deadline)
			break;
		usleep(AGENT_LEFTOVER_POLL_MS * 1000);
	}
	agent_leftover_t *next;
	for (agent_leftover_t *l = list; l; l = next) {
		next = l->next;
		if (l->killed) {
			if (agent_group_alive(l->pgid))
				kill(-l->pgid, SIGKILL);
			char *run_id = NULL, *step_id = NULL;
			uint32_t attempt = 0;
			if (agent_keytext_parse(l->keytext, &run_id, &step_id, &attempt) != 0) {
				log_error(
				    "stopped the leftover process group %d of an unreadable step"
				    " key %s; no result spooled for it",
				    (int)l->pgid, l->keytext);
				spool_forget_process(a->spool, l->keytext);
			} else {
				log_warn("worker restarted: stopped the leftover process group %d "
				         "of step"
				         " %s/%s#%u",
				         (int)l->pgid, run_id, step_id, attempt);
				Rota__StepKey key = ROTA__STEP_KEY__INIT;
				key.run_id = run_id;
				key.step_id = step_id;
				key.host = (char *)a->cfg.id;
				key.attempt = attempt;
				char detail[256];
				snprintf(
				    detail, sizeof(detail),
				    "the worker restarted (its previous process died while the step"
				    " ran) and stopped the step's leftover process group %d; "
				    "whether"
				    " the step did its work is unknown",
				    (int)l->pgid);
				Rota__Result r = ROTA__RESULT__INIT;
				r.key = &key;
				r.status = ROTA__STEP_STATUS__STEP_LOST;
				r.detail = detail;
				r.started_ms = l->started_ms;
				r.ended_ms = clock_wall_ms();
				agent_report(a, l->keytext, &r); /* spooled; the Hello carries it */
				free(run_id);
				free(step_id);
			}
		}
		free(l->keytext);
		free(l);
	}
}

int
agent_run(agent_t *a)
{
	uint64_t out_bytes = 0;
	size_t out_chunks = spool_output_count(a->spool, NULL, &out_bytes);
	log_info("worker %s starting; coordinator %s; spool %s (%zu unacknowledged result(s),"
	         " %zu output chunk(s), %llu bytes)",
	         a->cfg.id, a->cfg.endpoint, a->cfg.spool_dir, spool_count(a->spool), out_chunks,
	         (unsigned long long)out_bytes);
	agent_stop_leftovers(a);
	if (agent_connect(a) != 0)
		return -1;
	a->next_heartbeat = clock_mono_ms() + a->heartbeat_ms;
	int64_t flush_deadline = 0;
	while (true) {
		if (a->stopping && agent_stop_step(a, &flush_deadline))
			break;

		size_t want = executor_fd_count(a->exec);
		if (want > a->poll_cap) {
			a->poll_cap = want;
			a->fds = xrealloc(a->fds, want * sizeof(*a->fds));
			a->items = xrealloc(a->items, (want + 3) * sizeof(*a->items));
		}
		zmq_pollitem_t *items = a->items;
		int *fds = a->fds;
		size_t nfds = executor_fds(a->exec, fds, a->poll_cap);
		size_t n = 0;
		items[n++] = (zmq_pollitem_t){NULL, a->sigfd, ZMQ_POLLIN, 0};
		if (a->sock)
			items[n++] = (zmq_pollitem_t){a->sock, 0, ZMQ_POLLIN, 0};
		size_t monitor_at = n;
		if (a->monitor)
			items[n++] = (zmq_pollitem_t){a->monitor, 0, ZMQ_POLLIN, 0};
		size_t first_fd = n;
		for (size_t i = 0; i < nfds; i++)
			items[n++] = (zmq_pollitem_t){NULL, fds[i], ZMQ_POLLIN, 0};

		int64_t now = clock_mono_ms();
		int64_t wait = a->next_heartbeat - now;
		int64_t et = executor_next_timeout_ms(a->exec);
		if (et >= 0 && et < wait)
			wait = et;
		if (a->reconnect_at && a->reconnect_at - now < wait)
			wait = a->reconnect_at - now;
		if (a->stopping && wait > 100)
			wait = 100;
		if (wait < 0)
			wait = 0;
		if (zmq_poll(items, (int)n, (long)wait) < 0) {
			if (errno == EINTR)
				continue;
			log_error("zmq_poll: %s", zmq_strerror(errno));
			return -1;
		}
		/* The turn's output chunks and acknowledgements are one spool
		 * transaction (spool.h says what commits earlier). */
		spool_begin(a->spool);
		if (items[0].revents & ZMQ_POLLIN)
			agent_signals(a);
		if (a->monitor && (items[monitor_at].revents & ZMQ_POLLIN))
			agent_monitor(a);
		for (size_t i = first_fd; i < n; i++) {
			if (items[i].revents)
				executor_handle(a->exec, items[i].fd);
		}
		if (a->sock && (items[1].revents & ZMQ_POLLIN)) {
			for (int k = 0; k < 1000 && a->sock; k++) {
				wire_msg_t msg;
				int rc = wire_recv(a->sock, 0, &msg, &a->wire);
				if (rc == WIRE_ERR_AGAIN || rc == WIRE_ERR_IO)
					break;
				if (rc != WIRE_OK) {
					log_warn("dropped a frame from the coordinator: %s",
					         wire_strerror(rc));
					continue;
				}
				agent_handle(a, msg.env);
				wire_msg_clear(&msg);
			}
		}
		executor_tick(a->exec);
		if (spool_commit(a->spool) != 0)
			agent_jobs_spool_failed(a, NULL);

		now = clock_mono_ms();
		if (a->reconnect_at && now >= a->reconnect_at)
			agent_connect(a);
		if (now >= a->next_heartbeat) {
			if (a->sock) {
				agent_heartbeat(a);
				if (now - a->last_rx >
				    (int64_t)a->heartbeat_ms * AGENT_LOST_INTERVALS)
					agent_disconnect(a, "is silent");
				else if (a->state == AGENT_HELLO_SENT &&
				         now - a->hello_sent_at > AGENT_HELLO_RETRY_MS)
					agent_hello(a);
				else if (a->state == AGENT_READY && now >= a->next_resend) {
					bool sent = agent_resend_all(a);
					a->next_resend = 0;
					agent_schedule_resend(a, !sent);
				}
			}
			a->next_heartbeat = now + a->heartbeat_ms;
		}
	}
	log_info("worker %s stopped (%zu unacknowledged result(s) spooled)", a->cfg.id,
	         spool_count(a->spool));
	return 0;
}
