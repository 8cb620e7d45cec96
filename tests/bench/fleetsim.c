/* rota-fleetsim: a fleet of simulated workers in one process.
 *
 *   rota-fleetsim --coordinator EP[,EP2,...] --workers N [--labels k=v,...]
 *                 [--step-ms D] [--fail-pct P] [--id-prefix sim-]
 *                 [--capacity C] [--output] [--ready-file PATH]
 *                 [--stats-ms MS] [--connect-rate R]
 *
 * Each simulated worker is a real DEALER connection whose routing id is its
 * worker id (PREFIX1 .. PREFIXN) and speaks the worker protocol as
 * rota-worker does (docs/protocol.md): Hello with capacity, labels and what
 * it holds; heartbeats at the interval the Welcome gives; a new Hello when
 * the coordinator's epoch changes; Accepted; one Output chunk per shell
 * step with --output; a Result kept in memory until its ResultAck and
 * resent after every Welcome and every 5 heartbeats; an attempt started at
 * most once; Cancel; the coordinator's Goodbye. noop and shell steps end
 * after --step-ms (succeeded, or failed with exit 1 for --fail-pct of them)
 * without forking anything (only shell steps fail); other step kinds end
 * `error` at once. Given several coordinators (EP1,EP2,...: a
 * high-availability group, docs/ha.md), each worker dials the first,
 * follows a follower's Redirect to the leader, and after a silence of 5
 * heartbeats dials the next entry of the list, round robin, as rota-worker
 * does; it does not ask the others who leads while its coordinator is
 * silent (rota-worker's probe), so a frozen leader's simulated workers
 * move only after the silence.
 *
 * It is how the coordinator is tested at 10,000 hosts on one machine, so
 * it must cost little per worker:
 *
 * - One loop. Not zmq_poll: zmq_poll rebuilds its poll set and asks every
 *   socket for ZMQ_EVENTS on each call, O(N) per turn, which at 10,000
 *   sockets is the whole turn. Instead each socket's ZMQ_FD is registered
 *   once in an epoll set (level-triggered), and a socket is serviced only
 *   when its fd says libzmq has news for it, or when we sent on it this turn
 *   (a send may consume the notification of a message that arrived: the
 *   libzmq docs' ZMQ_FD caveat, so such a socket is checked once more at the
 *   end of the turn).
 * - A binary heap of step completions; heartbeats and reconnects by a sweep
 *   every SIM_SWEEP_MS.
 * - Two file descriptors per worker (the TCP connection and the socket's
 *   mailbox): the soft fd limit is raised to the hard one and ZMQ_MAX_SOCKETS
 *   to N; a fleet that does not fit one process's limit is refused at start
 *   with the advice to run several with distinct --id-prefix.
 *
 * What it must never do: run anything, or answer for an attempt twice with
 * different outcomes (a resent order gets Accepted or its held Result). It
 * forgets an attempt at its ResultAck (the real worker keeps a mark in its
 * spool): the coordinator sends no order for an attempt it acknowledged, so
 * memory stays bounded over a long benchmark. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include <zmq.h>

#include "clock.h"
#include "eplist.h"
#include "wire.h"
#include "xalloc.h"

#define SIM_HEARTBEAT_MS 1000        /* until a Welcome says otherwise */
#define SIM_LOST_INTERVALS 5         /* silent coordinator: reconnect */
#define SIM_HELLO_RETRY_MS 2000      /* an unanswered Hello is sent again */
#define SIM_RESEND_INTERVALS 5       /* unacked results are resent this often */
#define SIM_BACKOFF_MIN_MS 250       /* reconnect backoff, doubling */
#define SIM_MAX_EPS (2 * EPLIST_MAX) /* the list's endpoints, then Redirect targets */
#define SIM_BACKOFF_MAX_MS 8000
#define SIM_HELLO_MAX_SPOOLED 256 /* results a Hello carries whole */
#define SIM_HELLO_MAX_KEYS 4000   /* below the coordinator's 4096 */
#define SIM_SWEEP_MS 20           /* heartbeat and reconnect sweep */
#define SIM_FDS_PER_WORKER 2      /* TCP connection + socket mailbox */
#define SIM_FDS_SPARE 64          /* libzmq's own, stdio, epoll, signalfd */
#define SIM_EPOLL_BATCH 1024
#define SIM_DRAIN_MAX 256             /* messages read from one socket per turn */
#define SIM_DEFAULT_CAPACITY 32       /* as rota-worker */
#define SIM_DEFAULT_STATS_MS 0        /* no periodic stats line */
#define SIM_DEFAULT_CONNECT_RATE 2000 /* workers dialled per second at start */
#define SIM_MAX_LABELS 64
#define SIM_ID_MAX 200
#define SIM_ARENA_BYTES 65536 /* a decoded message's fields; larger ones use malloc */

typedef struct sim_job {
	uint64_t id;
	char *run_id;  /* in names[], allocated with the job */
	char *step_id; /* in names[] */
	uint32_t attempt;
	bool done;
	bool shell; /* only shell steps fail (--fail-pct): a noop cannot */
	int64_t started_ms;
	/* Held as the packed Envelope that carries them, so that a resend is
	 * one zmq_send with no decoding and encoding again. */
	uint8_t *result; /* owned: packed Envelope (Result), held until ResultAck */
	size_t result_len;
	uint8_t *output; /* owned: packed Envelope (Output, seq 1), held until acked */
	size_t output_len;
	struct sim_job *next;
	char names[]; /* run_id and step_id, each NUL-ended: one malloc a job */
} sim_job_t;

typedef struct {
	char id[SIM_ID_MAX + 1];
	void *sock; /* owned; NULL while waiting to reconnect */
	bool ready; /* welcomed on this connection */
	bool welcomed_once;
	bool dirty; /* sent on this turn: check for input once more */
	uint64_t epoch;
	uint64_t instance;
	uint32_t hb_ms;
	int64_t last_rx;
	int64_t last_tx; /* a sign of life: a heartbeat is skipped after one */
	int64_t next_hb;
	int64_t hello_at;
	int64_t reconnect_at; /* 0: connected */
	int64_t next_resend;
	int64_t backoff_ms;
	sim_job_t *jobs; /* owned */
	uint32_t running;
	/* The endpoint dialled (an index of sim_t.eps), and the entry of the
	 * list it came from (after a Redirect: the one that redirected), so
	 * that a failure moves on to the next entry, as rota-worker does. */
	uint8_t ep;
	uint8_t list_at;
	bool redirected; /* since the last Welcome: the next one waits for the backoff */
} sim_worker_t;

typedef struct {
	int64_t due;
	uint32_t worker;
	uint64_t job;
} sim_timer_t;

typedef struct {
	const char *endpoint; /* --coordinator as given: EP or EP1,EP2,... */
	size_t workers;
	const char *prefix;
	uint32_t step_ms;
	double fail_pct;
	uint32_t capacity;
	bool output;
	const char *ready_file;
	uint32_t stats_ms;
	uint32_t connect_rate;
	Rota__Label labels[SIM_MAX_LABELS];
	Rota__Label *label_ptrs[SIM_MAX_LABELS];
	size_t label_count;
} sim_config_t;

typedef struct {
	uint64_t hellos, welcomes, dispatches, accepted, results, result_acks, resent;
	uint64_t output_acks, cancels, goodbyes, reconnects, send_failed, refused;
	uint64_t redirects;
	uint64_t hb_sent, hb_skipped, hb_received;
} sim_stats_t;

typedef struct {
	sim_config_t cfg;
	void *zctx;
	int ep; /* epoll */
	int sigfd;
	sim_worker_t *w;   /* owned, cfg.workers of them */
	sim_timer_t *heap; /* owned */
	size_t heap_len, heap_cap;
	uint32_t *dirty; /* owned: workers sent to this turn */
	size_t dirty_len;
	uint32_t *batch; /* owned: the dirty list being serviced */
	uint64_t next_job;
	uint64_t rng;
	size_t welcomed; /* workers welcomed at least once */
	bool ready_written;
	bool stopping;
	sim_stats_t st;
	wire_stats_t wire;
	/* The clocks read once a turn: a message's handling needs no finer
	 * time than the turn it arrived in, and a run is several messages. */
	int64_t now_mono, now_wall;
	/* The worker whose input is being read: what it sends meanwhile needs
	 * no second look, the read goes on until libzmq says EAGAIN. */
	const sim_worker_t *servicing;
	uint8_t *sendbuf; /* owned: every Envelope is packed here, reused */
	size_t sendcap;
	/* A received message's fields are decoded into this arena, emptied
	 * before the next one: no malloc and free per field. */
	_Alignas(16) uint8_t arena[SIM_ARENA_BYTES];
	size_t arena_used;
	bool arena_spilled; /* a field of this message was malloc'ed */
	/* owned strings: --coordinator's entries (the first n_list), then the
	 * Redirect targets met (each kept once), shared by every worker. */
	char *eps[SIM_MAX_EPS];
	size_t n_list, n_eps;
} sim_t;

/* ---- small helpers ----------------------------------------------------- */

static uint64_t
sim_rand(sim_t *s)
{
	/* xorshift64*: plenty for picking which steps fail. */
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return s->rng * 0x2545F4914F6CDD1DULL;
}

/* Reads the clocks; the rest of the turn uses these. */
static void
sim_clock(sim_t *s)
{
	s->now_mono = clock_mono_ms();
	s->now_wall = clock_wall_ms();
}

static void
sim_heap_push(sim_t *s, sim_timer_t t)
{
	if (s->heap_len == s->heap_cap) {
		s->heap_cap = s->heap_cap ? s->heap_cap * 2 : 1024;
		s->heap = xrealloc(s->heap, s->heap_cap * sizeof(*s->heap));
	}
	size_t i = s->heap_len++;
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (s->heap[p].due <= t.due)
			break;
		s->heap[i] = s->heap[p];
		i = p;
	}
	s->heap[i] = t;
}

static sim_timer_t
sim_heap_pop(sim_t *s)
{
	sim_timer_t top = s->heap[0];
	sim_timer_t last = s->heap[--s->heap_len];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= s->heap_len)
			break;
		if (c + 1 < s->heap_len && s->heap[c + 1].due < s->heap[c].due)
			c++;
		if (last.due <= s->heap[c].due)
			break;
		s->heap[i] = s->heap[c];
		i = c;
	}
	if (s->heap_len > 0)
		s->heap[i] = last;
	return top;
}

static void
sim_mark_dirty(sim_t *s, sim_worker_t *w)
{
	if (w->dirty)
		return;
	w->dirty = true;
	s->dirty[s->dirty_len++] = (uint32_t)(w - s->w);
}

/* Sends packed Envelope bytes (the held ones, or s->sendbuf). */
static void
sim_send_bytes(sim_t *s, sim_worker_t *w, const uint8_t *data, size_t len)
{
	if (w->sock == NULL)
		return;
	/* Dropped when the queue is full: results are resent, heartbeats
	 * are replaced by the next one. */
	if (wire_send_raw(w->sock, NULL, 0, data, len) != 0)
		s->st.send_failed++;
	else
		w->last_tx = s->now_mono;
	/* A send may swallow the notice of a message that arrived: look once
	 * more at the end of the turn, unless the worker's input is being
	 * read now (sim_service reads until EAGAIN after this). */
	if (s->servicing != w)
		sim_mark_dirty(s, w);
}

/* Packs env (as wire_encode, version WIRE_VERSION) into a new buffer of
 * *len bytes the caller owns: what a job holds. */
static uint8_t *
sim_pack_held(Rota__Envelope *env, size_t *len)
{
	env->version = WIRE_VERSION;
	*len = rota__envelope__get_packed_size(env);
	uint8_t *buf = xmalloc(*len ? *len : 1);
	rota__envelope__pack(env, buf);
	return buf;
}

static void
sim_send(sim_t *s, sim_worker_t *w, Rota__Envelope *env)
{
	if (w->sock == NULL)
		return;
	env->version = WIRE_VERSION;
	size_t len = rota__envelope__get_packed_size(env);
	if (len > s->sendcap) {
		s->sendcap = len < 4096 ? 4096 : len * 2;
		s->sendbuf = xrealloc(s->sendbuf, s->sendcap);
	}
	rota__envelope__pack(env, s->sendbuf);
	sim_send_bytes(s, w, s->sendbuf, len);
}

static void
sim_fill_key(const sim_worker_t *w, const sim_job_t *j, Rota__StepKey *key)
{
	rota__step_key__init(key);
	key->run_id = j->run_id;
	key->step_id = j->step_id;
	key->host = (char *)w->id;
	key->attempt = j->attempt;
}

static sim_job_t *
sim_job_find(sim_worker_t *w, const Rota__StepKey *k)
{
	for (sim_job_t *j = w->jobs; j; j = j->next) {
		if (j->attempt == k->attempt && strcmp(j->step_id, k->step_id) == 0 &&
		    strcmp(j->run_id, k->run_id) == 0)
			return j;
	}
	return NULL;
}

static void
sim_job_free(sim_job_t *j)
{
	free(j->result);
	free(j->output);
	free(j);
}

/* ---- connection -------------------------------------------------------- */

static void
sim_hello(sim_t *s, sim_worker_t *w)
{
	Rota__Hello hello = ROTA__HELLO__INIT;
	hello.worker_id = w->id;
	hello.hostname = w->id; /* every simulated host has its own name */
	hello.version = ROTA_VERSION;
	hello.capacity = s->cfg.capacity;
	hello.instance = w->instance;
	hello.n_labels = s->cfg.label_count;
	hello.labels = s->cfg.label_count ? s->cfg.label_ptrs : NULL;

	size_t nj = 0;
	for (sim_job_t *j = w->jobs; j; j = j->next)
		nj++;
	Rota__StepKey *keys = xcalloc(nj + 1, sizeof(*keys));
	Rota__StepKey **kp = xcalloc(nj + 1, sizeof(*kp));
	Rota__Result **sp = xcalloc(nj + 1, sizeof(*sp));
	Rota__Envelope **se = xcalloc(nj + 1, sizeof(*se)); /* owns what sp points to */
	size_t nk = 0, ns = 0;
	/* Running steps, and held results past what a Hello carries whole,
	 * go as keys (their results follow the Welcome); the rest whole. */
	for (sim_job_t *j = w->jobs; j; j = j->next) {
		if (j->done && ns < SIM_HELLO_MAX_SPOOLED) {
			Rota__Envelope *e = rota__envelope__unpack(NULL, j->result_len, j->result);
			if (e != NULL && e->body_case == ROTA__ENVELOPE__BODY_RESULT) {
				se[ns] = e;
				sp[ns++] = e->result;
				continue;
			}
			if (e != NULL)
				rota__envelope__free_unpacked(e, NULL);
		}
		if (nk < SIM_HELLO_MAX_KEYS) {
			sim_fill_key(w, j, &keys[nk]);
			kp[nk] = &keys[nk];
			nk++;
		} else {
			hello.truncated = true;
		}
	}
	hello.n_in_flight = nk;
	hello.in_flight = kp;
	hello.n_spooled = ns;
	hello.spooled = sp;
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_HELLO;
	env.hello = &hello;
	sim_send(s, w, &env);
	w->ready = false;
	w->hello_at = s->now_mono;
	s->st.hellos++;
	for (size_t i = 0; i < ns; i++)
		rota__envelope__free_unpacked(se[i], NULL);
	free(se);
	free(sp);
	free(kp);
	free(keys);
}

static int
sim_connect(sim_t *s, sim_worker_t *w)
{
	w->sock = zmq_socket(s->zctx, ZMQ_DEALER);
	if (w->sock == NULL) {
		fprintf(stderr, "rota-fleetsim: worker %s: zmq_socket: %s\n", w->id,
		        zmq_strerror(errno));
		return -1;
	}
	int fd = -1;
	size_t fdlen = sizeof(fd);
	if (wire_socket_setup(w->sock) != 0 ||
	    zmq_setsockopt(w->sock, ZMQ_ROUTING_ID, w->id, strlen(w->id)) != 0 ||
	    zmq_connect(w->sock, s->eps[w->ep]) != 0 ||
	    zmq_getsockopt(w->sock, ZMQ_FD, &fd, &fdlen) != 0) {
		fprintf(stderr, "rota-fleetsim: worker %s: cannot connect to %s: %s\n", w->id,
		        s->eps[w->ep], zmq_strerror(errno));
		zmq_close(w->sock);
		w->sock = NULL;
		return -1;
	}
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)(w - s->w)};
	if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
		fprintf(stderr, "rota-fleetsim: worker %s: epoll_ctl: %s\n", w->id,
		        strerror(errno));
		zmq_close(w->sock);
		w->sock = NULL;
		return -1;
	}
	/* Dialling takes a while (a fleet at start): the clocks again. */
	sim_clock(s);
	int64_t now = s->now_mono;
	w->last_rx = now;
	w->reconnect_at = 0;
	w->epoch = 0;
	w->next_hb = now + w->hb_ms;
	sim_hello(s, w);
	return 0;
}

static void
sim_close(sim_t *s, sim_worker_t *w)
{
	if (w->sock == NULL)
		return;
	int fd = -1;
	size_t fdlen = sizeof(fd);
	if (zmq_getsockopt(w->sock, ZMQ_FD, &fd, &fdlen) == 0)
		epoll_ctl(s->ep, EPOLL_CTL_DEL, fd, NULL);
	zmq_close(w->sock);
	w->sock = NULL;
	w->ready = false;
	w->epoch = 0;
}

/* A silent coordinator: close, and dial again after the backoff. */
static void
sim_disconnect(sim_t *s, sim_worker_t *w, int64_t delay_ms)
{
	sim_close(s, w);
	w->reconnect_at = s->now_mono + delay_ms;
	s->st.reconnects++;
}

/* The next entry of the list, round robin (from a Redirect's target: the
 * one after the entry that redirected). */
static void
sim_next_endpoint(sim_t *s, sim_worker_t *w)
{
	w->list_at = (uint8_t)((w->list_at + 1) % s->n_list);
	w->ep = w->list_at;
}

/* A follower's Redirect: dial the leader it names (a tcp or ipc endpoint,
 * kept once in s->eps), at once the first time since a Welcome and after
 * the backoff then; with no leader named, the next entry of the list after
 * the backoff. */
static void
sim_redirect(sim_t *s, sim_worker_t *w, const Rota__Redirect *r)
{
	const char *to = r->endpoint ? r->endpoint : "";
	size_t i = 0;
	if (to[0] != '\0' && eplist_endpoint_ok(to, NULL, 0)) {
		while (i < s->n_eps && strcmp(s->eps[i], to) != 0)
			i++;
		if (i == s->n_eps && s->n_eps < SIM_MAX_EPS)
			s->eps[s->n_eps++] = xstrdup(to);
	} else {
		i = SIM_MAX_EPS; /* none to follow */
	}
	if (i < s->n_eps)
		w->ep = (uint8_t)i;
	else
		sim_next_endpoint(s, w);
	s->st.redirects++;
	int64_t delay = w->redirected || i >= s->n_eps ? w->backoff_ms : 0;
	if (delay)
		w->backoff_ms =
		    w->backoff_ms * 2 > SIM_BACKOFF_MAX_MS ? SIM_BACKOFF_MAX_MS : w->backoff_ms * 2;
	w->redirected = true;
	sim_disconnect(s, w, delay);
	s->st.reconnects--; /* a redirect is counted as one, not as a reconnect */
}

/* ---- steps --------------------------------------------------------------- */

/* Ends job j with status: the Result is packed, held until ResultAck, and
 * sent at once when the coordinator welcomed us. */
static void
sim_finish(sim_t *s, sim_worker_t *w, sim_job_t *j, int status, int exit_code, const char *detail)
{
	if (j->done)
		return;
	Rota__StepKey key;
	sim_fill_key(w, j, &key);
	Rota__Result r = ROTA__RESULT__INIT;
	r.key = &key;
	r.status = status;
	r.exit_code = exit_code;
	r.started_ms = j->started_ms;
	r.ended_ms = s->now_wall;
	r.detail = (char *)detail;
	r.output_seq = j->output ? 1 : 0;
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_RESULT;
	env.result = &r;
	j->result = sim_pack_held(&env, &j->result_len);
	j->done = true;
	if (w->running > 0)
		w->running--;
	if (w->ready) {
		sim_send_bytes(s, w, j->result, j->result_len);
		s->st.results++;
	}
}

static void
sim_complete(sim_t *s, sim_worker_t *w, sim_job_t *j)
{
	bool fail = j->shell && s->cfg.fail_pct > 0 &&
	            (double)(sim_rand(s) % 1000000) < s->cfg.fail_pct * 10000.0;
	if (fail)
		sim_finish(s, w, j, ROTA__STEP_STATUS__STEP_FAILED, 1,
		           "exited with status 1 (simulated failure)");
	else
		sim_finish(s, w, j, ROTA__STEP_STATUS__STEP_SUCCEEDED, 0, "");
}

static void
sim_send_accepted(sim_t *s, sim_worker_t *w, const Rota__StepKey *k)
{
	Rota__StepKey key;
	wire_step_key_copy(&key, k);
	Rota__Accepted acc = ROTA__ACCEPTED__INIT;
	acc.key = &key;
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_ACCEPTED;
	env.accepted = &acc;
	sim_send(s, w, &env);
	s->st.accepted++;
}

static void
sim_dispatch(sim_t *s, sim_worker_t *w, const Rota__Dispatch *d)
{
	const Rota__StepKey *k = d->key;
	if (k == NULL || k->run_id == NULL || k->step_id == NULL || k->host == NULL ||
	    d->spec == NULL || d->fence < w->epoch || strcmp(k->host, w->id) != 0) {
		s->st.refused++;
		return;
	}
	s->st.dispatches++;
	sim_job_t *j = sim_job_find(w, k);
	if (j != NULL) {
		/* A resent order: never started twice. */
		if (j->done)
			sim_send_bytes(s, w, j->result, j->result_len);
		else
			sim_send_accepted(s, w, k);
		return;
	}
	size_t rl = strlen(k->run_id) + 1, sl = strlen(k->step_id) + 1;
	j = xcalloc(1, sizeof(*j) + rl + sl);
	j->id = ++s->next_job;
	j->run_id = memcpy(j->names, k->run_id, rl);
	j->step_id = memcpy(j->names + rl, k->step_id, sl);
	j->attempt = k->attempt;
	j->started_ms = s->now_wall;
	j->next = w->jobs;
	w->jobs = j;
	w->running++;
	switch (d->spec->kind_case) {
	case ROTA__STEP_SPEC__KIND_NOOP:
	case ROTA__STEP_SPEC__KIND_SHELL:
		break;
	default:
		sim_finish(s, w, j, ROTA__STEP_STATUS__STEP_ERROR, 0,
		           "rota-fleetsim simulates only noop and shell steps");
		return;
	}
	sim_send_accepted(s, w, k);
	j->shell = d->spec->kind_case == ROTA__STEP_SPEC__KIND_SHELL;
	if (s->cfg.output && j->shell) {
		char line[512];
		int n = snprintf(line, sizeof(line), "fleetsim: %s ran %s of %s\n", w->id,
		                 k->step_id, k->run_id);
		Rota__StepKey key;
		sim_fill_key(w, j, &key);
		Rota__Output out = ROTA__OUTPUT__INIT;
		out.key = &key;
		out.stream = ROTA__STREAM__STREAM_STDOUT;
		out.seq = 1;
		out.data.data = (uint8_t *)line;
		out.data.len = n > 0 && (size_t)n < sizeof(line) ? (size_t)n : 0;
		Rota__Envelope env = ROTA__ENVELOPE__INIT;
		env.body_case = ROTA__ENVELOPE__BODY_OUTPUT;
		env.output = &out;
		j->output = sim_pack_held(&env, &j->output_len);
		sim_send_bytes(s, w, j->output, j->output_len);
	}
	if (s->cfg.step_ms == 0) {
		sim_complete(s, w, j);
		return;
	}
	sim_heap_push(s, (sim_timer_t){.due = s->now_mono + s->cfg.step_ms,
	                               .worker = (uint32_t)(w - s->w),
	                               .job = j->id});
}

/* Everything held that is not acknowledged: chunks first, then results,
 * as rota-worker does (the coordinator acks a result only once its output
 * is in). */
static void
sim_resend_all(sim_t *s, sim_worker_t *w)
{
	for (sim_job_t *j = w->jobs; j; j = j->next) {
		if (j->output)
			sim_send_bytes(s, w, j->output, j->output_len);
	}
	for (sim_job_t *j = w->jobs; j; j = j->next) {
		if (j->done) {
			sim_send_bytes(s, w, j->result, j->result_len);
			s->st.resent++;
		}
	}
	w->next_resend = s->now_mono + (int64_t)w->hb_ms * SIM_RESEND_INTERVALS;
}

static void
sim_result_ack(sim_t *s, sim_worker_t *w, const Rota__StepKey *k)
{
	if (k == NULL || k->run_id == NULL || k->step_id == NULL)
		return;
	for (sim_job_t **p = &w->jobs; *p; p = &(*p)->next) {
		sim_job_t *j = *p;
		if (j->done && j->attempt == k->attempt && strcmp(j->step_id, k->step_id) == 0 &&
		    strcmp(j->run_id, k->run_id) == 0) {
			*p = j->next;
			sim_job_free(j);
			s->st.result_acks++;
			return;
		}
	}
}

static void
sim_handle(sim_t *s, sim_worker_t *w, Rota__Envelope *env)
{
	int64_t now = s->now_mono;
	w->last_rx = now;
	switch (env->body_case) {
	case ROTA__ENVELOPE__BODY_WELCOME: {
		const Rota__Welcome *wl = env->welcome;
		w->epoch = wl->epoch;
		if (wl->heartbeat_ms >= 50 && wl->heartbeat_ms <= 600000)
			w->hb_ms = wl->heartbeat_ms;
		if (!w->ready) {
			w->ready = true;
			if (!w->welcomed_once) {
				w->welcomed_once = true;
				s->welcomed++;
			}
		}
		w->backoff_ms = SIM_BACKOFF_MIN_MS;
		w->redirected = false;
		s->st.welcomes++;
		sim_resend_all(s, w);
		break;
	}
	case ROTA__ENVELOPE__BODY_HEARTBEAT:
		s->st.hb_received++;
		/* The interval of a grown (or shrunk) fleet, as rota-worker
		 * keeps to it: a shorter one at once. */
		if (w->ready && env->heartbeat->epoch == w->epoch &&
		    env->heartbeat->heartbeat_ms >= 50 && env->heartbeat->heartbeat_ms <= 600000 &&
		    env->heartbeat->heartbeat_ms != w->hb_ms) {
			w->hb_ms = env->heartbeat->heartbeat_ms;
			if (w->next_hb > now + (int64_t)w->hb_ms)
				w->next_hb = now + (int64_t)w->hb_ms;
		}
		if (env->heartbeat->epoch != w->epoch &&
		    (w->ready || now - w->hello_at > SIM_HELLO_RETRY_MS))
			sim_hello(s, w); /* a coordinator that does not know us */
		break;
	case ROTA__ENVELOPE__BODY_DISPATCH:
		if (w->ready)
			sim_dispatch(s, w, env->dispatch);
		break;
	case ROTA__ENVELOPE__BODY_RESULT_ACK:
		sim_result_ack(s, w, env->result_ack->key);
		break;
	case ROTA__ENVELOPE__BODY_OUTPUT_ACK: {
		const Rota__StepKey *k = env->output_ack->key;
		sim_job_t *j = k && k->run_id && k->step_id ? sim_job_find(w, k) : NULL;
		if (j && j->output && env->output_ack->seq >= 1) {
			free(j->output);
			j->output = NULL;
			j->output_len = 0;
			s->st.output_acks++;
		}
		break;
	}
	case ROTA__ENVELOPE__BODY_CANCEL: {
		const Rota__StepKey *k = env->cancel->key;
		sim_job_t *j = k && k->run_id && k->step_id ? sim_job_find(w, k) : NULL;
		if (j && !j->done) {
			s->st.cancels++;
			sim_finish(s, w, j, ROTA__STEP_STATUS__STEP_CANCELLED, 0,
			           "cancelled (simulated step)");
		}
		break;
	}
	case ROTA__ENVELOPE__BODY_RESPONSE:
		/* A follower's answer to anything a worker sends. */
		if (env->response->redirect != NULL)
			sim_redirect(s, w, env->response->redirect);
		break;
	case ROTA__ENVELOPE__BODY_GOODBYE:
		/* The coordinator stops: dial the next one at once. */
		s->st.goodbyes++;
		sim_disconnect(s, w, 0);
		break;
	default:
		break;
	}
}

/* protobuf-c's allocator over s->arena: a bump pointer; what does not fit
 * is malloc'ed and freed one by one. */
static void *
sim_arena_alloc(void *data, size_t size)
{
	sim_t *s = data;
	size_t at = (s->arena_used + 15) & ~(size_t)15;
	if (size <= sizeof(s->arena) - at) {
		s->arena_used = at + size;
		return s->arena + at;
	}
	s->arena_spilled = true;
	return xmalloc(size ? size : 1);
}

static void
sim_arena_free(void *data, void *ptr)
{
	sim_t *s = data;
	uint8_t *p = ptr;
	if (p != NULL && (p < s->arena || p >= s->arena + sizeof(s->arena)))
		free(p);
}

/* One message of w's socket, decoded in the arena, as wire_recv and
 * wire_decode take it on a DEALER (one frame, version WIRE_VERSION, a
 * body; counted in s->wire); no peer or ZAP metadata, which a worker does
 * not read. *env is valid until the next call. */
static int
sim_recv(sim_t *s, void *sock, Rota__Envelope **env)
{
	*env = NULL;
	zmq_msg_t frame;
	zmq_msg_init(&frame);
	if (zmq_msg_recv(&frame, sock, ZMQ_DONTWAIT) < 0) {
		int saved = errno;
		zmq_msg_close(&frame);
		return saved == EAGAIN ? WIRE_ERR_AGAIN : WIRE_ERR_IO;
	}
	s->wire.received++;
	if (zmq_msg_more(&frame)) {
		/* Not a worker's message: dropped whole. */
		int more = 1;
		while (more) {
			zmq_msg_close(&frame);
			zmq_msg_init(&frame);
			if (zmq_msg_recv(&frame, sock, ZMQ_DONTWAIT) < 0)
				break;
			more = zmq_msg_more(&frame);
		}
		zmq_msg_close(&frame);
		s->wire.dropped_shape++;
		return WIRE_ERR_SHAPE;
	}
	size_t len = zmq_msg_size(&frame);
	int rc = WIRE_OK;
	if (len == 0 || len > WIRE_MAX_FRAME_BYTES) {
		s->wire.dropped_size++;
		rc = WIRE_ERR_SIZE;
	} else {
		ProtobufCAllocator a = {sim_arena_alloc, sim_arena_free, s};
		s->arena_used = 0;
		s->arena_spilled = false;
		*env = rota__envelope__unpack(&a, len, zmq_msg_data(&frame));
		if (*env == NULL) {
			s->wire.dropped_decode++;
			rc = WIRE_ERR_DECODE;
		} else if ((*env)->version != WIRE_VERSION) {
			s->wire.dropped_version++;
			rc = WIRE_ERR_VERSION;
		} else if ((*env)->body_case == ROTA__ENVELOPE__BODY__NOT_SET) {
			s->wire.dropped_empty++;
			rc = WIRE_ERR_EMPTY;
		}
		if (rc != WIRE_OK && *env != NULL) {
			rota__envelope__free_unpacked(*env, &a);
			*env = NULL;
		}
	}
	zmq_msg_close(&frame);
	return rc;
}

/* Frees what sim_recv decoded past the arena. */
static void
sim_recv_done(sim_t *s, Rota__Envelope *env)
{
	ProtobufCAllocator a = {sim_arena_alloc, sim_arena_free, s};
	/* Walks the message only when a field did not fit the arena. */
	if (s->arena_spilled && env != NULL)
		rota__envelope__free_unpacked(env, &a);
}

/* Reads what libzmq holds for w until EAGAIN, at most SIM_DRAIN_MAX
 * messages (then it stays dirty and is read again at the end of the turn).
 * No ZMQ_EVENTS first: a receive that finds nothing has libzmq process the
 * socket's commands and look again (socket_base_t::recv with
 * ZMQ_DONTWAIT), so its EAGAIN is as sure as ZMQ_EVENTS and one mailbox
 * check cheaper, and what the handlers sent before it needs no second
 * look. */
static void
sim_service(sim_t *s, sim_worker_t *w)
{
	void *sock = w->sock;
	s->servicing = w;
	for (int n = 0; sock != NULL && w->sock == sock; n++) {
		if (n >= SIM_DRAIN_MAX) {
			s->servicing = NULL;
			sim_mark_dirty(s, w);
			return;
		}
		Rota__Envelope *env = NULL;
		int rc = sim_recv(s, sock, &env);
		if (rc == WIRE_ERR_AGAIN || rc == WIRE_ERR_IO)
			break;
		if (rc != WIRE_OK)
			continue;
		sim_handle(s, w, env);
		sim_recv_done(s, env);
	}
	s->servicing = NULL;
}

static void
sim_heartbeat(sim_t *s, sim_worker_t *w)
{
	Rota__Heartbeat hb = ROTA__HEARTBEAT__INIT;
	hb.epoch = w->epoch;
	hb.running = w->running;
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_HEARTBEAT;
	env.heartbeat = &hb;
	sim_send(s, w, &env);
}

/* Heartbeats, silence, Hello retries, resends and reconnects of every
 * worker whose time has come. O(N) every SIM_SWEEP_MS: at 10,000 workers a
 * few hundred thousand comparisons a second, far below what the messages
 * themselves cost. */
static void
sim_sweep(sim_t *s, int64_t now)
{
	for (size_t i = 0; i < s->cfg.workers; i++) {
		sim_worker_t *w = &s->w[i];
		if (w->sock == NULL) {
			if (w->reconnect_at != 0 && now >= w->reconnect_at &&
			    sim_connect(s, w) != 0) {
				w->reconnect_at = now + w->backoff_ms;
				w->backoff_ms = w->backoff_ms * 2 > SIM_BACKOFF_MAX_MS
				                    ? SIM_BACKOFF_MAX_MS
				                    : w->backoff_ms * 2;
			}
			continue;
		}
		if (now < w->next_hb)
			continue;
		/* As rota-worker: anything sent within the interval was a
		 * sign of life, and the heartbeat is skipped. */
		if (w->ready && now - w->last_tx < (int64_t)w->hb_ms) {
			w->next_hb = w->last_tx + w->hb_ms;
			s->st.hb_skipped++;
		} else {
			w->next_hb = now + w->hb_ms;
			sim_heartbeat(s, w);
			s->st.hb_sent++;
		}
		if (now - w->last_rx > (int64_t)w->hb_ms * SIM_LOST_INTERVALS) {
			int64_t delay = w->backoff_ms;
			w->backoff_ms = w->backoff_ms * 2 > SIM_BACKOFF_MAX_MS ? SIM_BACKOFF_MAX_MS
			                                                       : w->backoff_ms * 2;
			if (s->n_list > 1)
				sim_next_endpoint(s, w);
			sim_disconnect(s, w, delay);
		} else if (!w->ready && now - w->hello_at > SIM_HELLO_RETRY_MS) {
			sim_hello(s, w);
		} else if (w->ready && now >= w->next_resend) {
			sim_resend_all(s, w);
		}
	}
}

static void
sim_timers(sim_t *s, int64_t now)
{
	while (s->heap_len > 0 && s->heap[0].due <= now) {
		sim_timer_t t = sim_heap_pop(s);
		sim_worker_t *w = &s->w[t.worker];
		for (sim_job_t *j = w->jobs; j; j = j->next) {
			if (j->id == t.job) {
				sim_complete(s, w, j); /* no-op when cancelled meanwhile */
				break;
			}
		}
	}
}

/* ---- set-up ---------------------------------------------------------------- */

static void
sim_stats_line(const sim_t *s, const char *when)
{
	size_t ready = 0, held = 0;
	for (size_t i = 0; i < s->cfg.workers; i++) {
		ready += s->w[i].ready;
		for (sim_job_t *j = s->w[i].jobs; j; j = j->next)
			held++;
	}
	fprintf(stderr,
	        "rota-fleetsim %s: %zu/%zu workers welcomed; %llu dispatches, %llu results"
	        " (%llu resent), %llu acked, %zu held; heartbeats %llu sent, %llu skipped,"
	        " %llu received; %llu hellos, %llu reconnects, %llu"
	        " cancels, %llu sends failed, %llu redirects\n",
	        when, ready, s->cfg.workers, (unsigned long long)s->st.dispatches,
	        (unsigned long long)s->st.results, (unsigned long long)s->st.resent,
	        (unsigned long long)s->st.result_acks, held, (unsigned long long)s->st.hb_sent,
	        (unsigned long long)s->st.hb_skipped, (unsigned long long)s->st.hb_received,
	        (unsigned long long)s->st.hellos, (unsigned long long)s->st.reconnects,
	        (unsigned long long)s->st.cancels, (unsigned long long)s->st.send_failed,
	        (unsigned long long)s->st.redirects);
}

static int
sim_parse_labels(sim_config_t *cfg, char *text)
{
	for (char *save = NULL, *tok = strtok_r(text, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		if (eq == NULL || eq == tok || cfg->label_count == SIM_MAX_LABELS)
			return -1;
		*eq = '\0';
		Rota__Label *l = &cfg->labels[cfg->label_count];
		rota__label__init(l);
		l->key = tok;
		l->value = eq + 1;
		cfg->label_ptrs[cfg->label_count++] = l;
	}
	return 0;
}

static void
usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: rota-fleetsim --coordinator EP[,EP2,...] --workers N [options]\n"
	    "  --labels k=v,...     labels of every simulated worker\n"
	    "  --step-ms D          simulated duration of a noop or shell step (default 0)\n"
	    "  --fail-pct P         percentage of shell steps that fail with exit 1 (default 0)\n"
	    "  --id-prefix P        worker ids are P1..PN (default sim-)\n"
	    "  --capacity C         steps each runs at once (default %d)\n"
	    "  --output             send one output line per shell step\n"
	    "  --ready-file PATH    written once every worker was welcomed\n"
	    "  --stats-ms MS        print a stats line this often (default: at exit only)\n"
	    "  --connect-rate R     workers dialled per second at start (default %d; 0: all"
	    " at once)\n",
	    SIM_DEFAULT_CAPACITY, SIM_DEFAULT_CONNECT_RATE);
}

/* Raises the fd limit to what n workers need, or says why it cannot. */
static int
sim_raise_fd_limit(size_t n)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return -1;
	rlim_t need = (rlim_t)n * SIM_FDS_PER_WORKER + SIM_FDS_SPARE;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
		fprintf(stderr,
		        "rota-fleetsim: %zu workers need %llu file descriptors and the hard limit"
		        " is %llu; run several rota-fleetsim processes with distinct --id-prefix"
		        " (each up to %llu workers) or raise the limit\n",
		        n, (unsigned long long)need, (unsigned long long)rl.rlim_max,
		        (unsigned long long)((rl.rlim_max - SIM_FDS_SPARE) / SIM_FDS_PER_WORKER));
		return -1;
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
		return 0;
	rl.rlim_cur = need;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
		fprintf(stderr, "rota-fleetsim: cannot raise the fd limit to %llu: %s\n",
		        (unsigned long long)need, strerror(errno));
		return -1;
	}
	return 0;
}

static void
sim_write_ready(sim_t *s)
{
	s->ready_written = true;
	if (s->cfg.ready_file == NULL)
		return;
	FILE *f = fopen(s->cfg.ready_file, "w");
	if (f == NULL || fprintf(f, "%zu\n", s->cfg.workers) < 0 || fclose(f) != 0)
		fprintf(stderr, "rota-fleetsim: cannot write %s: %s\n", s->cfg.ready_file,
		        strerror(errno));
}

static int
sim_loop(sim_t *s)
{
	struct epoll_event evs[SIM_EPOLL_BATCH];
	sim_clock(s);
	int64_t next_sweep = s->now_mono;
	int64_t next_stats = s->cfg.stats_ms ? s->now_mono + s->cfg.stats_ms : INT64_MAX;
	while (!s->stopping) {
		int64_t now = s->now_mono;
		int64_t wait = next_sweep - now;
		if (s->heap_len > 0 && s->heap[0].due - now < wait)
			wait = s->heap[0].due - now;
		if (wait < 0)
			wait = 0;
		int n = epoll_wait(s->ep, evs, SIM_EPOLL_BATCH, (int)wait);
		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "rota-fleetsim: epoll_wait: %s\n", strerror(errno));
			return -1;
		}
		sim_clock(s);
		for (int i = 0; i < n; i++) {
			uint32_t k = evs[i].data.u32;
			if (k == UINT32_MAX) {
				struct signalfd_siginfo si;
				while (read(s->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
					s->stopping = true;
				continue;
			}
			if (k < s->cfg.workers)
				sim_service(s, &s->w[k]);
		}
		now = s->now_mono;
		sim_timers(s, now);
		if (now >= next_sweep) {
			sim_sweep(s, now);
			next_sweep = now + SIM_SWEEP_MS;
		}
		/* Sockets we sent on: a send can swallow the notice of a
		 * message that arrived, so look once more. Servicing may send
		 * and dirty them again: bounded rounds, the rest next turn. */
		for (int round = 0; round < 4 && s->dirty_len > 0; round++) {
			size_t len = s->dirty_len;
			uint32_t *batch = s->dirty;
			s->dirty = s->batch;
			s->batch = batch;
			s->dirty_len = 0;
			for (size_t i = 0; i < len; i++)
				s->w[batch[i]].dirty = false;
			for (size_t i = 0; i < len; i++)
				sim_service(s, &s->w[batch[i]]);
		}
		if (!s->ready_written && s->welcomed == s->cfg.workers)
			sim_write_ready(s);
		if (now >= next_stats) {
			sim_stats_line(s, "stats");
			next_stats = now + s->cfg.stats_ms;
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static sim_t sim;
	sim_t *s = &sim;
	s->cfg.prefix = "sim-";
	s->cfg.capacity = SIM_DEFAULT_CAPACITY;
	s->cfg.stats_ms = SIM_DEFAULT_STATS_MS;
	s->cfg.connect_rate = SIM_DEFAULT_CONNECT_RATE;
	static const struct option opts[] = {
	    {"coordinator", required_argument, NULL, 'c'},
	    {"workers", required_argument, NULL, 'n'},
	    {"labels", required_argument, NULL, 'l'},
	    {"step-ms", required_argument, NULL, 'd'},
	    {"fail-pct", required_argument, NULL, 'f'},
	    {"id-prefix", required_argument, NULL, 'p'},
	    {"capacity", required_argument, NULL, 'k'},
	    {"output", no_argument, NULL, 'o'},
	    {"ready-file", required_argument, NULL, 'r'},
	    {"stats-ms", required_argument, NULL, 's'},
	    {"connect-rate", required_argument, NULL, 'R'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char *end = NULL;
		unsigned long long v = 0;
		if (ch == 'n' || ch == 'd' || ch == 'k' || ch == 's' || ch == 'R') {
			errno = 0;
			v = strtoull(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || end == optarg || v > 1000000000ULL) {
				fprintf(stderr, "rota-fleetsim: %s: give a whole number\n", optarg);
				return 2;
			}
		}
		switch (ch) {
		case 'c':
			s->cfg.endpoint = optarg;
			break;
		case 'n':
			s->cfg.workers = (size_t)v;
			break;
		case 'l':
			if (sim_parse_labels(&s->cfg, optarg) != 0) {
				fprintf(stderr,
				        "rota-fleetsim: --labels: give k=v,k=v (at most %d)\n",
				        SIM_MAX_LABELS);
				return 2;
			}
			break;
		case 'd':
			s->cfg.step_ms = (uint32_t)v;
			break;
		case 'f':
			s->cfg.fail_pct = strtod(optarg, &end);
			if (*end != '\0' || s->cfg.fail_pct < 0 || s->cfg.fail_pct > 100) {
				fprintf(stderr, "rota-fleetsim: --fail-pct %s: give 0 to 100\n",
				        optarg);
				return 2;
			}
			break;
		case 'p':
			s->cfg.prefix = optarg;
			break;
		case 'k':
			s->cfg.capacity = (uint32_t)v;
			break;
		case 'o':
			s->cfg.output = true;
			break;
		case 'r':
			s->cfg.ready_file = optarg;
			break;
		case 's':
			s->cfg.stats_ms = (uint32_t)v;
			break;
		case 'R':
			s->cfg.connect_rate = (uint32_t)v;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (s->cfg.endpoint == NULL || s->cfg.workers == 0 || optind < argc ||
	    s->cfg.workers > UINT32_MAX - 1 || strlen(s->cfg.prefix) > SIM_ID_MAX - 12) {
		usage(stderr);
		return 2;
	}
	char *eperr = NULL;
	eplist_t *list = eplist_parse(s->cfg.endpoint, &eperr);
	if (list == NULL) {
		fprintf(stderr, "rota-fleetsim: --coordinator: %s\n", eperr);
		free(eperr);
		return 2;
	}
	for (size_t i = 0; i < eplist_count(list); i++)
		s->eps[s->n_eps++] = xstrdup(eplist_at(list, i));
	s->n_list = s->n_eps;
	eplist_destroy(&list);
	if (sim_raise_fd_limit(s->cfg.workers) != 0)
		return 1;

	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	s->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	s->ep = epoll_create1(EPOLL_CLOEXEC);
	s->zctx = zmq_ctx_new();
	if (s->sigfd < 0 || s->ep < 0 || s->zctx == NULL ||
	    /* Twice the fleet: a closed socket counts until libzmq's reaper
	     * thread has destroyed it, and a reconnect storm closes and opens
	     * every worker's socket at once. */
	    zmq_ctx_set(s->zctx, ZMQ_MAX_SOCKETS, (int)s->cfg.workers * 2 + 16) != 0) {
		fprintf(stderr, "rota-fleetsim: cannot set up: %s\n", strerror(errno));
		return 1;
	}
	struct epoll_event sev = {.events = EPOLLIN, .data.u32 = UINT32_MAX};
	if (epoll_ctl(s->ep, EPOLL_CTL_ADD, s->sigfd, &sev) != 0) {
		fprintf(stderr, "rota-fleetsim: epoll_ctl: %s\n", strerror(errno));
		return 1;
	}
	if (getrandom(&s->rng, sizeof(s->rng), 0) != (ssize_t)sizeof(s->rng))
		s->rng = (uint64_t)clock_wall_ms() ^ ((uint64_t)getpid() << 32);
	s->rng |= 1;
	s->w = xcalloc(s->cfg.workers, sizeof(*s->w));
	s->dirty = xcalloc(s->cfg.workers, sizeof(*s->dirty));
	s->batch = xcalloc(s->cfg.workers, sizeof(*s->batch));
	uint64_t base = sim_rand(s);
	int rc = 0;
	sim_clock(s);
	int64_t start = s->now_mono;
	for (size_t i = 0; i < s->cfg.workers && rc == 0; i++) {
		sim_worker_t *w = &s->w[i];
		snprintf(w->id, sizeof(w->id), "%s%zu", s->cfg.prefix, i + 1);
		w->hb_ms = SIM_HEARTBEAT_MS;
		w->backoff_ms = SIM_BACKOFF_MIN_MS;
		w->instance = (base + i * 0x9E3779B97F4A7C15ULL) | 1;
		/* A fleet does not boot in one millisecond: dialled at
		 * --connect-rate by the sweep, so that the benchmarks measure
		 * a fleet, not a reconnect storm (docs/benchmarks.md). */
		if (s->cfg.connect_rate == 0)
			rc = sim_connect(s, w);
		else
			w->reconnect_at = start + 1 + (int64_t)(i * 1000 / s->cfg.connect_rate);
	}
	if (rc == 0) {
		fprintf(stderr, "rota-fleetsim: %zu workers (%s1..%s%zu) dialling %s\n",
		        s->cfg.workers, s->cfg.prefix, s->cfg.prefix, s->cfg.workers,
		        s->cfg.endpoint);
		rc = sim_loop(s);
	}
	sim_stats_line(s, "stopped");
	for (size_t i = 0; i < s->cfg.workers; i++) {
		sim_close(s, &s->w[i]);
		while (s->w[i].jobs) {
			sim_job_t *j = s->w[i].jobs;
			s->w[i].jobs = j->next;
			sim_job_free(j);
		}
	}
	free(s->w);
	free(s->dirty);
	free(s->batch);
	free(s->heap);
	free(s->sendbuf);
	for (size_t i = 0; i < s->n_eps; i++)
		free(s->eps[i]);
	zmq_ctx_term(s->zctx);
	close(s->ep);
	close(s->sigfd);
	return rc == 0 ? 0 : 1;
}
