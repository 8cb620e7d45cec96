/* dispatcher: the run state machine wired to the store and the sockets.
 *
 * Active runs are a doubly linked list (the tick walks it) and a hash index
 * by run id: every Accepted, Output and Result names its run, and with
 * thousands of single-host runs in flight a list search per message was the
 * largest cost of the loop (rota-fleetsim's throughput benchmark). */
#include "dispatcher.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "duration.h"
#include "log.h"
#include "redactor.h"
#include "wire.h"
#include "xalloc.h"

/* An OutputAck the turn will send: the highest seq of its key. */
typedef struct {
	char *worker;  /* owned */
	char *run_id;  /* owned */
	char *step_id; /* owned */
	uint32_t attempt;
	uint64_t seq;
} dispatcher_output_ack_t;

/* A result that came before all of its output (see
 * dispatcher_output_complete). */
typedef struct {
	int64_t row;
	uint64_t seen_seq; /* the step run's output_seq when it last came */
	uint32_t deliveries;
} dispatcher_wait_t;

/* A slot of the run index left by a removed run: probing goes on past it. */
#define DISPATCHER_INDEX_TOMB ((run_t *)1)
#define DISPATCHER_INDEX_MIN 64

struct dispatcher {
	dispatcher_config_t cfg;
	run_t *runs; /* owned: the active runs */
	size_t count;
	/* The active runs by id (borrowed from runs): open addressing with
	 * linear probing, at most half full counting tombstones. */
	run_t **index; /* owned array */
	size_t index_cap, index_used;
	/* Runs a step of which ended this turn (borrowed; NULL once retired):
	 * driven as a whole once, at the end of the turn. */
	run_t **pending; /* owned array */
	size_t pending_count, pending_cap;
	dispatcher_stats_t stats;
	/* The turn's OutputAcks, coalesced by key. A linear search: a turn
	 * reads at most COORDINATOR_BATCH messages, and they come from few
	 * steps at once. */
	dispatcher_output_ack_t *acks; /* owned */
	size_t ack_count, ack_cap;
	/* Results waiting for output; memory only (after a restart a result
	 * starts its wait again, which only delays giving up). */
	dispatcher_wait_t *waits; /* owned */
	size_t wait_count;
};

dispatcher_t *
dispatcher_new(const dispatcher_config_t *config)
{
	dispatcher_t *d = xcalloc(1, sizeof(*d));
	d->cfg = *config;
	d->index_cap = DISPATCHER_INDEX_MIN;
	d->index = xcalloc(d->index_cap, sizeof(*d->index));
	return d;
}

static size_t
dispatcher_hash(const char *id)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)id; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return (size_t)h;
}

static void dispatcher_index_put(dispatcher_t *d, run_t *run);

/* Rebuilds the index with room for twice the active runs (tombstones go). */
static void
dispatcher_index_grow(dispatcher_t *d)
{
	size_t cap = DISPATCHER_INDEX_MIN;
	while (cap < (d->count + 1) * 4)
		cap *= 2;
	free(d->index);
	d->index = xcalloc(cap, sizeof(*d->index));
	d->index_cap = cap;
	d->index_used = 0;
	for (run_t *r = d->runs; r; r = r->next)
		dispatcher_index_put(d, r);
}

static void
dispatcher_index_put(dispatcher_t *d, run_t *run)
{
	if ((d->index_used + 1) * 2 > d->index_cap) {
		dispatcher_index_grow(d); /* puts every listed run, run among them */
		return;
	}
	size_t mask = d->index_cap - 1;
	size_t i = dispatcher_hash(run->id) & mask;
	while (d->index[i] != NULL)
		i = (i + 1) & mask;
	d->index[i] = run;
	d->index_used++;
}

static size_t
dispatcher_index_slot(const dispatcher_t *d, const char *run_id)
{
	size_t mask = d->index_cap - 1;
	for (size_t i = dispatcher_hash(run_id) & mask;; i = (i + 1) & mask) {
		run_t *r = d->index[i];
		if (r == NULL)
			return SIZE_MAX;
		if (r != DISPATCHER_INDEX_TOMB && strcmp(r->id, run_id) == 0)
			return i;
	}
}

/* Puts a run on the active list and in the index; the dispatcher owns it. */
static void
dispatcher_activate(dispatcher_t *d, run_t *run)
{
	run->prev = NULL;
	run->next = d->runs;
	if (d->runs)
		d->runs->prev = run;
	d->runs = run;
	d->count++;
	dispatcher_index_put(d, run);
}

void
dispatcher_destroy(dispatcher_t **dp)
{
	dispatcher_t *d = *dp;
	if (d == NULL)
		return;
	while (d->runs) {
		run_t *r = d->runs;
		d->runs = r->next;
		run_destroy(&r);
	}
	for (size_t i = 0; i < d->ack_count; i++) {
		free(d->acks[i].worker);
		free(d->acks[i].run_id);
		free(d->acks[i].step_id);
	}
	free(d->acks);
	free(d->waits);
	free(d->index);
	free(d->pending);
	free(d);
	*dp = NULL;
}

run_t *
dispatcher_find_run(dispatcher_t *d, const char *run_id)
{
	size_t i = dispatcher_index_slot(d, run_id);
	return i == SIZE_MAX ? NULL : d->index[i];
}

void
dispatcher_shift(dispatcher_t *d, int64_t delta_ms)
{
	for (run_t *r = d->runs; r; r = r->next) {
		for (size_t h = 0; h < r->host_count; h++) {
			if (r->hosts[h].absent_since)
				r->hosts[h].absent_since += delta_ms;
			for (size_t s = 0; s < r->step_count; s++)
				r->hosts[h].steps[s].dispatched_mono += delta_ms;
		}
	}
}

run_t *
dispatcher_runs(dispatcher_t *d)
{
	return d->runs;
}

size_t
dispatcher_active(const dispatcher_t *d)
{
	return d->count;
}

const dispatcher_stats_t *
dispatcher_stats(const dispatcher_t *d)
{
	return &d->stats;
}

size_t
dispatcher_pending(const dispatcher_t *d)
{
	size_t n = 0;
	for (const run_t *run = d->runs; run != NULL; run = run->next)
		for (size_t h = 0; h < run->host_count; h++) {
			const run_host_t *host = &run->hosts[h];
			if (host->phase != RUN_HOST_STARTED || host->cancelled)
				continue;
			bool pending = false, busy = false;
			for (size_t s = 0; s < run->step_count; s++) {
				int st = host->steps[s].status;
				pending = pending || st == ROTA__STEP_STATUS__STEP_PENDING;
				busy = busy || st == ROTA__STEP_STATUS__STEP_DISPATCHED ||
				       st == ROTA__STEP_STATUS__STEP_RUNNING ||
				       st == ROTA__STEP_STATUS__STEP_WAITING;
			}
			n += pending && !busy;
		}
	return n;
}

void
dispatcher_adopt_stats(dispatcher_t *d, const dispatcher_stats_t *stats)
{
	d->stats = *stats;
}

static void
dispatcher_persist_step(dispatcher_t *d, run_step_t *step, int exit_code, int sig, int64_t ended_ms,
                        const char *detail)
{
	store_step_state_t st = {
	    .status = step->status,
	    .exit_code = exit_code,
	    .signal = sig,
	    .started_ms = step->started_ms,
	    .ended_ms = ended_ms,
	    .detail = detail,
	};
	if (store_step_update(d->cfg.store, step->row, &st) != 0)
		log_error("store: cannot record step %s: the commit of this turn will fail",
		          step->step_id);
}

/* Records what the run module changed by itself (skips, never-started
 * hosts). */
static void
dispatcher_persist_dirty(dispatcher_t *d, run_t *run, size_t h)
{
	for (size_t s = 0; s < run->step_count; s++) {
		run_step_t *step = &run->hosts[h].steps[s];
		if (!step->dirty)
			continue;
		dispatcher_persist_step(d, step, 0, 0, 0, step->note);
		step->dirty = false;
		free(step->note);
		step->note = NULL;
	}
}

/* Removes a finished run from the active list and frees it. */
static void
dispatcher_retire(dispatcher_t *d, run_t *run)
{
	size_t i = dispatcher_index_slot(d, run->id);
	if (i != SIZE_MAX)
		d->index[i] = DISPATCHER_INDEX_TOMB;
	for (size_t k = 0; run->drive_pending && k < d->pending_count; k++) {
		if (d->pending[k] == run)
			d->pending[k] = NULL;
	}
	if (run->prev)
		run->prev->next = run->next;
	else
		d->runs = run->next;
	if (run->next)
		run->next->prev = run->prev;
	d->count--;
	run_destroy(&run);
}

/* Updates the run's status; retires it when every host is done. Returns 1
 * when the run was retired (and freed). */
static int
dispatcher_settle(dispatcher_t *d, run_t *run)
{
	int status = run_compute_status(run);
	if (status == run->status)
		return 0;
	run->status = status;
	if (status != ROTA__RUN_STATUS__RUN_RUNNING)
		run->ended_ms = clock_wall_ms();
	store_run_update(d->cfg.store, run->id, run->status, run->started_ms, run->ended_ms);
	if (status == ROTA__RUN_STATUS__RUN_RUNNING)
		return 0;
	uint32_t ok = 0, failed = 0, never = 0, unreachable = 0;
	for (size_t h = 0; h < run->host_count; h++) {
		if (run_host_ok(run, h))
			ok++;
		else
			failed++;
		never += run->hosts[h].phase == RUN_HOST_NEVER;
		unreachable += run->hosts[h].phase == RUN_HOST_UNREACHABLE;
	}
	char *reason = NULL;
	if (run->reason == NULL && never > 0)
		reason = xasprintf("stopped after %zu failed host(s) (max_failures %zu): %u"
		                   " host(s) never started",
		                   run_failed_hosts(run), run->max_failures, never);
	else if (run->reason == NULL && unreachable > 0)
		reason = xasprintf("%u host(s) unreachable when the run started", unreachable);
	store_run_outcome(d->cfg.store, run->id, ok, failed, run->reason ? run->reason : reason);
	log_info("run %s (%s) %s: %u host(s) ok, %u failed%s%s", run->id, run->runbook,
	         run_status_name(status), ok, failed, reason ? "; " : "", reason ? reason : "");
	if (d->cfg.hooks.run_ended) {
		char **failed_hosts = xcalloc(run->host_count + 1, sizeof(*failed_hosts));
		size_t nf = 0;
		for (size_t h = 0; h < run->host_count; h++)
			if (!run_host_ok(run, h))
				failed_hosts[nf++] = run->hosts[h].host;
		dispatcher_run_end_t end = {
		    .run_id = run->id,
		    .runbook = run->runbook,
		    .trigger = run->trigger,
		    .status = status,
		    .reason = run->reason ? run->reason : reason,
		    .failed_hosts = failed_hosts,
		    .failed_count = nf,
		    .hosts_ok = ok,
		};
		d->cfg.hooks.run_ended(d->cfg.hooks.ctx, &end);
		free(failed_hosts);
	}
	free(reason);
	dispatcher_retire(d, run);
	return 1;
}

/* The run started when its first step did. It is written at once, not when
 * the run ends, so `rota show` and `rota runs` of a running run say since
 * when (and a restart resumes with it). */
static void
dispatcher_mark_started(dispatcher_t *d, run_t *run, int64_t at_ms)
{
	if (run->started_ms != 0)
		return;
	run->started_ms = at_ms;
	store_run_update(d->cfg.store, run->id, run->status, run->started_ms, 0);
}

/* Secret values of the run masked in bytes from a worker; NULL when there
 * is nothing to mask (the caller uses the original). */
static uint8_t *
dispatcher_redact_bytes(const run_t *run, const uint8_t *data, size_t len, size_t *out_len)
{
	const char **values = xcalloc(run->secret_count + 1, sizeof(*values));
	for (size_t i = 0; i < run->secret_count; i++)
		values[i] = run->secrets[i].value;
	redactor_t *r = redactor_new(values, run->secret_count);
	free(values);
	if (r == NULL)
		return NULL;
	uint8_t *a = NULL, *b = NULL;
	size_t alen = 0, blen = 0;
	redactor_feed(r, data, len, &a, &alen);
	redactor_flush(r, &b, &blen);
	redactor_destroy(&r);
	uint8_t *out = xmalloc(alen + blen + 1);
	if (alen)
		memcpy(out, a, alen);
	if (blen)
		memcpy(out + alen, b, blen);
	free(a);
	free(b);
	*out_len = alen + blen;
	return out;
}

/* text with the run's secrets masked (the caller frees), or NULL when the
 * run holds none. */
static char *
dispatcher_redact_text(const run_t *run, const char *text)
{
	if (run == NULL || run->secret_count == 0 || text == NULL)
		return NULL;
	const char **values = xcalloc(run->secret_count + 1, sizeof(*values));
	for (size_t i = 0; i < run->secret_count; i++)
		values[i] = run->secrets[i].value;
	char *out = redactor_text(text, values, run->secret_count);
	free(values);
	return out;
}

/* Sends step s of host h to its worker, which must be connected. */
static void
dispatcher_send(dispatcher_t *d, run_t *run, size_t h, size_t s, worker_t *w)
{
	run_step_t *step = &run->hosts[h].steps[s];
	Rota__StepSpec *spec = rota__step_spec__unpack(NULL, step->spec_len, step->spec);
	if (spec == NULL) {
		/* Only this coordinator wrote it, so this is store corruption:
		 * the step ends in error (the next advance skips the rest). */
		run_step_set(run, h, s, ROTA__STEP_STATUS__STEP_ERROR);
		dispatcher_persist_step(d, step, 0, 0, clock_wall_ms(),
		                        "the stored step spec is unreadable");
		return;
	}
	/* The stored spec names the secret params it needs; their values are
	 * only in memory, and gone after a restart. The stored strings are
	 * swapped for the run's own (borrowed) and swapped back before the
	 * unpacked spec is freed. */
	size_t n_secret = spec->n_secret_env;
	char **names = xcalloc(n_secret + 1, sizeof(*names));
	const char *missing = NULL;
	for (size_t i = 0; i < n_secret; i++) {
		names[i] = spec->secret_env[i]->value;
		const char *v = run_secret(run, names[i]);
		if (v == NULL && missing == NULL)
			missing = names[i];
		spec->secret_env[i]->value = (char *)(v ? v : "");
	}
	if (missing != NULL) {
		char *why = xasprintf("secret params are kept in memory only; the coordinator "
		                      "restarted before this step was sent (param '%s' is gone):"
		                      " submit the run again",
		                      missing);
		for (size_t i = 0; i < n_secret; i++)
			spec->secret_env[i]->value = names[i];
		free(names);
		rota__step_spec__free_unpacked(spec, NULL);
		run_step_set(run, h, s, ROTA__STEP_STATUS__STEP_ERROR);
		step->started_ms = clock_wall_ms();
		dispatcher_mark_started(d, run, step->started_ms);
		dispatcher_persist_step(d, step, 0, 0, step->started_ms, why);
		log_warn("run %s host %s step %s error: %s", run->id, run->hosts[h].host,
		         step->step_id, why);
		free(why);
		return;
	}
	Rota__StepKey key = ROTA__STEP_KEY__INIT;
	key.run_id = run->id;
	key.step_id = step->step_id;
	key.host = run->hosts[h].host;
	key.attempt = step->attempt;
	Rota__Dispatch msg = ROTA__DISPATCH__INIT;
	msg.key = &key;
	msg.spec = spec;
	msg.fence = d->cfg.epoch;
	if (spec->timeout_ms)
		msg.deadline_ms = clock_wall_ms() + spec->timeout_ms;
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_DISPATCH;
	env.dispatch = &msg;
	sendq_push(d->cfg.sendq, d->cfg.worker_sock, (const uint8_t *)w->id, strlen(w->id), &env);
	uint32_t spec_timeout = spec->timeout_ms;
	for (size_t i = 0; i < n_secret; i++)
		spec->secret_env[i]->value = names[i];
	free(names);
	rota__step_spec__free_unpacked(spec, NULL);

	run_step_set(run, h, s, ROTA__STEP_STATUS__STEP_DISPATCHED);
	step->started_ms = clock_wall_ms();
	step->timeout_ms = spec_timeout;
	step->dispatched_mono = clock_mono_ms();
	dispatcher_persist_step(d, step, 0, 0, 0, NULL);
	w->running++;
	d->stats.dispatched++;
	dispatcher_mark_started(d, run, step->started_ms);
}

/* Ends a step marked invalid (its fields did not render into valid values,
 * or its stored spec does not unpack) `error` with the reason instead of
 * sending it. The spec is read only here, on this rare path. */
static void
dispatcher_refuse_invalid(dispatcher_t *d, run_t *run, size_t h, size_t s)
{
	run_step_t *step = &run->hosts[h].steps[s];
	Rota__StepSpec *spec = rota__step_spec__unpack(NULL, step->spec_len, step->spec);
	const char *why = spec != NULL && spec->invalid[0] != '\0'
	                      ? spec->invalid
	                      : "the stored step spec is unreadable";
	run_step_set(run, h, s, ROTA__STEP_STATUS__STEP_ERROR);
	step->started_ms = clock_wall_ms();
	dispatcher_mark_started(d, run, step->started_ms);
	dispatcher_persist_step(d, step, 0, 0, step->started_ms, why);
	log_info("run %s host %s step %s error: %s", run->id, run->hosts[h].host, step->step_id,
	         why);
	rota__step_spec__free_unpacked(spec, NULL);
}

/* A manual step: it waits on the coordinator for rota approve / reject. */
static void
dispatcher_wait_approval(dispatcher_t *d, run_t *run, size_t h, size_t s)
{
	run_step_t *step = &run->hosts[h].steps[s];
	Rota__StepSpec *spec = rota__step_spec__unpack(NULL, step->spec_len, step->spec);
	const char *prompt =
	    spec && spec->kind_case == ROTA__STEP_SPEC__KIND_MANUAL ? spec->manual->prompt : "";
	run_step_set(run, h, s, ROTA__STEP_STATUS__STEP_WAITING);
	step->started_ms = clock_wall_ms();
	step->timeout_ms = spec ? spec->timeout_ms : 0;
	dispatcher_mark_started(d, run, step->started_ms);
	char *detail = xasprintf("waiting for approval: %s (rota approve %s %s, or rota reject)",
	                         prompt, run->id, step->step_id);
	dispatcher_persist_step(d, step, 0, 0, 0, detail);
	log_info("run %s host %s step %s %s", run->id, run->hosts[h].host, step->step_id, detail);
	free(detail);
	rota__step_spec__free_unpacked(spec, NULL);
}

/* A notify step: its message goes to the outbox (through the hook) in this
 * turn, so it is sent once the step's success is committed. Without a hook
 * (unit tests) it is a log line. */
static void
dispatcher_notify(dispatcher_t *d, run_t *run, size_t h, size_t s)
{
	run_step_t *step = &run->hosts[h].steps[s];
	Rota__StepSpec *spec = rota__step_spec__unpack(NULL, step->spec_len, step->spec);
	bool ok = spec && spec->kind_case == ROTA__STEP_SPEC__KIND_NOTIFY;
	char *detail = NULL;
	if (!ok)
		detail = xstrdup("the stored notify spec is unreadable");
	else if (d->cfg.hooks.notify)
		ok =
		    d->cfg.hooks.notify(d->cfg.hooks.ctx, run->id, run->runbook, run->hosts[h].host,
		                        spec->notify->channel, spec->notify->message, &detail) == 0;
	else
		detail = xasprintf("logged (no channels): %s", spec->notify->message);
	run_step_set(run, h, s,
	             ok ? ROTA__STEP_STATUS__STEP_SUCCEEDED : ROTA__STEP_STATUS__STEP_ERROR);
	step->started_ms = clock_wall_ms();
	dispatcher_mark_started(d, run, step->started_ms);
	dispatcher_persist_step(d, step, 0, 0, step->started_ms, detail);
	log_info("notify: run %s (%s) host %s step %s: %s", run->id, run->runbook,
	         run->hosts[h].host, step->step_id, detail ? detail : "");
	free(detail);
	rota__step_spec__free_unpacked(spec, NULL);
}

/* Moves host h on as far as it can go now: skips what its `when` rules
 * out, runs coordinator steps, and sends the next worker step when its
 * worker is there and has room. */
static void
dispatcher_drive_host(dispatcher_t *d, run_t *run, size_t h, int64_t now_mono)
{
	int64_t now_wall = clock_wall_ms();
	for (;;) {
		int s = run_advance(run, h, now_mono, now_wall);
		dispatcher_persist_dirty(d, run, h);
		if (s < 0)
			return;
		switch (run->policy[s].kind) {
		case RUN_KIND_MANUAL:
			dispatcher_wait_approval(d, run, h, (size_t)s);
			return;
		case RUN_KIND_NOTIFY:
			dispatcher_notify(d, run, h, (size_t)s);
			continue;
		default: {
			/* A step that cannot be sent ends here, whether or not its
			 * worker is there: it needs none to say why. */
			if (run->hosts[h].steps[s].invalid) {
				dispatcher_refuse_invalid(d, run, h, (size_t)s);
				continue;
			}
			worker_t *w = registry_find(d->cfg.registry, run->hosts[h].host);
			if (w == NULL || !w->connected || !registry_available(w))
				return;
			dispatcher_send(d, run, h, (size_t)s, w);
			if (run->hosts[h].steps[s].status != ROTA__STEP_STATUS__STEP_ERROR)
				return;
			continue; /* an unreadable spec ended it: move on */
		}
		}
	}
}

/* Starts the hosts that may start and drives every host; settles the run.
 * Returns 1 when the run was retired. */
static int
dispatcher_drive(dispatcher_t *d, run_t *run, int64_t now_mono)
{
	/* A batch that ends can start the next one, whose hosts may end at
	 * once (every step skipped): go round until nothing changes. */
	for (int round = 0; round < 1000; round++) {
		size_t started = run_start_hosts(run);
		for (size_t h = 0; h < run->host_count; h++) {
			dispatcher_persist_dirty(d, run, h);
			if (!run_host_done(run, h))
				dispatcher_drive_host(d, run, h, now_mono);
		}
		if (started == 0)
			break;
	}
	return dispatcher_settle(d, run);
}

/* Records that step s of host h ended; retries it when its policy says so
 * and may_retry (false when no worker could take the retry), and moves the
 * run on. Returns 1 when the run was retired. */
static int
dispatcher_end_step(dispatcher_t *d, run_t *run, size_t h, size_t s, int status, int exit_code,
                    int sig, int64_t started_ms, int64_t ended_ms, const char *detail,
                    bool may_retry)
{
	run_step_t *step = &run->hosts[h].steps[s];
	int was = step->status;
	worker_t *w = registry_find(d->cfg.registry, run->hosts[h].host);
	if (w && w->running > 0 && run->policy[s].kind == RUN_KIND_WORKER &&
	    (was == ROTA__STEP_STATUS__STEP_DISPATCHED || was == ROTA__STEP_STATUS__STEP_RUNNING))
		w->running--;
	run_step_set(run, h, s, status);
	if (started_ms)
		step->started_ms = started_ms;
	dispatcher_persist_step(d, step, exit_code, sig, ended_ms, detail);
	if (status >= 0 && status < DISPATCHER_STATUS_SLOTS)
		d->stats.steps_ended[status]++;
	if (d->cfg.step_seconds && step->started_ms > 0 && ended_ms >= step->started_ms)
		metrics_histogram_observe(d->cfg.step_seconds,
		                          (double)(ended_ms - step->started_ms) / 1000.0);
	log_info("run %s host %s step %s attempt %u %s%s%s", run->id, run->hosts[h].host,
	         step->step_id, step->attempt, run_step_status_name(status),
	         detail && *detail ? ": " : "", detail ? detail : "");
	if (status == ROTA__STEP_STATUS__STEP_LOST && run->policy[s].kind == RUN_KIND_WORKER &&
	    !run->policy[s].idempotent) {
		/* Whether it ran, or ran half, is unknown, and running it again
		 * may do harm: a person has to look. */
		char *text = xasprintf(
		    "run %s host %s step %s attempt %u is lost and is not idempotent: it is not"
		    " run again automatically; it needs an operator to check whether it ran"
		    " (rota show %s)",
		    run->id, run->hosts[h].host, step->step_id, step->attempt, run->id);
		log_warn("%s", text);
		if (d->cfg.hooks.needs_operator)
			d->cfg.hooks.needs_operator(d->cfg.hooks.ctx, run->id, run->runbook,
			                            run->hosts[h].host, text);
		free(text);
	}
	int64_t delay = may_retry ? run_retry_delay(run, h, s, status) : -1;
	if (delay >= 0) {
		/* The next attempt is a new row: the failed one stays on record
		 * and a late result for it can never overwrite the retry. */
		step->attempt++;
		step->status = ROTA__STEP_STATUS__STEP_PENDING;
		step->started_ms = 0;
		step->retry_at_mono = clock_mono_ms() + delay;
		if (store_step_insert(d->cfg.store, run->id, step->step_id, run->hosts[h].host,
		                      step->attempt, (uint32_t)s, step->status, step->spec,
		                      step->spec_len, &step->row) != 0)
			log_error("store: cannot record retry of step %s", step->step_id);
		char wait[32];
		duration_format(delay, wait, sizeof(wait));
		log_info("run %s host %s step %s: attempt %u in %s", run->id, run->hosts[h].host,
		         step->step_id, step->attempt, wait);
	}
	/* Driving the whole run is O(hosts): per result, a fan-out to N hosts
	 * was O(N^2) (4 s of one turn at 10,000). A run with more than
	 * DISPATCHER_DRIVE_NOW_HOSTS hosts moves only this host on now (its
	 * next step goes out in this turn); the rest (a batch that may start,
	 * the run's end) is looked at once per turn in dispatcher_end_turn,
	 * before the commit. A smaller run is driven at once, as it always
	 * was: the cost is bounded and what callers see is unchanged. */
	if (run->host_count <= DISPATCHER_DRIVE_NOW_HOSTS)
		return dispatcher_drive(d, run, clock_mono_ms());
	if (run->hosts[h].phase == RUN_HOST_STARTED && !run_host_done(run, h))
		dispatcher_drive_host(d, run, h, clock_mono_ms());
	if (!run->drive_pending) {
		if (d->pending_count == d->pending_cap) {
			d->pending_cap = d->pending_cap ? d->pending_cap * 2 : 64;
			d->pending = xrealloc(d->pending, d->pending_cap * sizeof(*d->pending));
		}
		d->pending[d->pending_count++] = run;
		run->drive_pending = true;
	}
	return 0;
}

/* dispatcher_end_step, retried when its policy says so. */
static int
dispatcher_finish(dispatcher_t *d, run_t *run, size_t h, size_t s, int status, int exit_code,
                  int sig, int64_t started_ms, int64_t ended_ms, const char *detail)
{
	return dispatcher_end_step(d, run, h, s, status, exit_code, sig, started_ms, ended_ms,
	                           detail, true);
}

/* Drives the runs a step of which ended since the last call (see
 * dispatcher_finish); they may start a batch, end and be retired. */
static void
dispatcher_drive_pending(dispatcher_t *d)
{
	int64_t now = clock_mono_ms();
	/* Driving adds no run to the list (only finishing does), but a drive
	 * may retire a run listed further on, which clears its entry. */
	for (size_t k = 0; k < d->pending_count; k++) {
		run_t *run = d->pending[k];
		if (run == NULL)
			continue;
		run->drive_pending = false;
		d->pending[k] = NULL;
		dispatcher_drive(d, run, now);
	}
	d->pending_count = 0;
}

/* Builds the run's not_before times for a scheduled run's jitter. */
static void
dispatcher_jitter(run_t *run, uint32_t window_ms)
{
	for (size_t h = 0; h < run->host_count; h++)
		run->hosts[h].not_before =
		    run->created_ms + run_jitter_ms(run->runbook, run->hosts[h].host, window_ms);
}

int
dispatcher_submit(dispatcher_t *d, run_t **runp, const char *runbook_yaml, const char *params,
                  uint32_t jitter_ms)
{
	run_t *run = *runp;
	*runp = NULL;
	store_run_t rec = {
	    .id = run->id,
	    .runbook = run->runbook,
	    .runbook_yaml = runbook_yaml,
	    .params_json = params,
	    .status = ROTA__RUN_STATUS__RUN_RUNNING,
	    .created_ms = run->created_ms,
	    .trigger = run->trigger,
	    .reason = run->reason,
	    .slot_ms = run->slot_ms,
	};
	if (store_run_insert(d->cfg.store, &rec) != 0) {
		run_destroy(&run);
		return -1;
	}
	for (size_t h = 0; h < run->host_count; h++) {
		for (size_t s = 0; s < run->step_count; s++) {
			run_step_t *step = &run->hosts[h].steps[s];
			if (store_step_insert(d->cfg.store, run->id, step->step_id,
			                      run->hosts[h].host, step->attempt, (uint32_t)s,
			                      step->status, step->spec, step->spec_len,
			                      &step->row) != 0) {
				run_destroy(&run);
				return -1;
			}
		}
		dispatcher_persist_dirty(d, run, h);
	}
	if (jitter_ms > 0)
		dispatcher_jitter(run, jitter_ms);
	run->status = ROTA__RUN_STATUS__RUN_RUNNING;
	dispatcher_activate(d, run);
	log_info("run %s (%s, %s) submitted to %zu host(s)", run->id, run->runbook, run->trigger,
	         run->host_count);
	int64_t now = clock_mono_ms();
	for (size_t h = 0; h < run->host_count; h++) {
		worker_t *w = registry_find(d->cfg.registry, run->hosts[h].host);
		if (w == NULL || !w->connected)
			run->hosts[h].absent_since = now;
	}
	store_run_update(d->cfg.store, run->id, run->status, run->started_ms, 0);
	dispatcher_drive(d, run, now);
	return 0;
}

int
dispatcher_record(dispatcher_t *d, const store_run_t *rec)
{
	log_info("run %s (%s, %s) %s: %s", rec->id, rec->runbook,
	         rec->trigger ? rec->trigger : "manual", run_status_name(rec->status),
	         rec->reason ? rec->reason : "");
	if (store_run_insert(d->cfg.store, rec) != 0)
		return -1;
	if (d->cfg.hooks.run_ended) {
		dispatcher_run_end_t end = {
		    .run_id = rec->id,
		    .runbook = rec->runbook,
		    .trigger = rec->trigger ? rec->trigger : "manual",
		    .status = rec->status,
		    .reason = rec->reason,
		};
		d->cfg.hooks.run_ended(d->cfg.hooks.ctx, &end);
	}
	return 0;
}

/* Gives a recovered run its policies back from the YAML it was started
 * from; the kind of each step comes from its spec, so a runbook that no
 * longer parses still resumes (with default policies). */
static void
dispatcher_restore_policy(dispatcher_t *d, run_t *run)
{
	char *yaml = NULL, *trigger = NULL;
	bool cancelled = false;
	if (store_run_yaml(d->cfg.store, run->id, &yaml, &trigger, &cancelled) == 0) {
		run->cancelled = cancelled;
		runbook_errors_t errs = {0};
		runbook_t *rb = runbook_parse_string(yaml, strlen(yaml), run->runbook, &errs);
		if (rb && rb->step_count == run->step_count) {
			run_apply_runbook(run, rb);
			if (strcmp(trigger, "schedule") == 0 && rb->schedule.jitter_ms > 0)
				dispatcher_jitter(run, rb->schedule.jitter_ms);
		} else {
			log_warn("run %s: its runbook no longer parses; resuming it with default"
			         " step policies",
			         run->id);
		}
		free(run->trigger);
		run->trigger = trigger;
		trigger = NULL;
		runbook_destroy(&rb);
		runbook_errors_clear(&errs);
	}
	free(yaml);
	free(trigger);
	for (size_t s = 0; s < run->step_count; s++) {
		/* An unreachable host was never given specs: ask one that was. */
		run_step_t *step = NULL;
		for (size_t h = 0; h < run->host_count && step == NULL; h++) {
			if (run->hosts[h].steps[s].spec_len > 0)
				step = &run->hosts[h].steps[s];
		}
		if (step == NULL)
			continue;
		Rota__StepSpec *spec = rota__step_spec__unpack(NULL, step->spec_len, step->spec);
		if (spec == NULL)
			continue;
		if (spec->kind_case == ROTA__STEP_SPEC__KIND_MANUAL)
			run->policy[s].kind = RUN_KIND_MANUAL;
		else if (spec->kind_case == ROTA__STEP_SPEC__KIND_NOTIFY)
			run->policy[s].kind = RUN_KIND_NOTIFY;
		else
			run->policy[s].kind = RUN_KIND_WORKER;
		rota__step_spec__free_unpacked(spec, NULL);
	}
	for (size_t h = 0; h < run->host_count; h++) {
		run_host_t *host = &run->hosts[h];
		bool untouched = true;
		for (size_t s = 0; s < run->step_count; s++) {
			int st = host->steps[s].status;
			if (st == ROTA__STEP_STATUS__STEP_UNREACHABLE)
				host->phase = RUN_HOST_UNREACHABLE;
			if (st != ROTA__STEP_STATUS__STEP_PENDING || host->steps[s].attempt > 1)
				untouched = false;
		}
		if (host->phase != RUN_HOST_UNREACHABLE)
			host->phase = untouched ? RUN_HOST_WAITING : RUN_HOST_STARTED;
		/* A cancel in progress goes on: steps still running are asked
		 * again when their worker says Hello. */
		for (size_t s = 0; s < run->step_count; s++)
			host->cancelled |=
			    host->steps[s].status == ROTA__STEP_STATUS__STEP_CANCELLED;
		host->cancelled |= run->cancelled;
		for (size_t s = 0; s < run->step_count && host->cancelled; s++) {
			int st = host->steps[s].status;
			if (st == ROTA__STEP_STATUS__STEP_DISPATCHED ||
			    st == ROTA__STEP_STATUS__STEP_RUNNING)
				host->steps[s].cancel_mono = clock_mono_ms();
		}
	}
}

int
dispatcher_recover(dispatcher_t *d, int64_t now_mono)
{
	store_step_row_t *rows;
	size_t n;
	if (store_active_steps(d->cfg.store, &rows, &n) != 0)
		return -1;
	/* Rows come grouped by run, then host, then position: count the hosts
	 * and steps of each run, build it, and fill it in. */
	size_t i = 0;
	size_t resumed = 0;
	while (i < n) {
		size_t end = i;
		while (end < n && strcmp(rows[end].run_id, rows[i].run_id) == 0)
			end++;
		size_t hosts = 0, steps = 0;
		for (size_t k = i; k < end; k++) {
			if (k == i || strcmp(rows[k].host, rows[k - 1].host) != 0)
				hosts++;
			if (rows[k].position + 1 > steps)
				steps = rows[k].position + 1;
		}
		char *runbook = store_run_runbook(d->cfg.store, rows[i].run_id);
		run_t *run = run_new(rows[i].run_id, runbook ? runbook : "?", hosts, steps);
		free(runbook);
		run->created_ms = rows[i].run_created_ms;
		run->started_ms = rows[i].run_started_ms;
		size_t h = 0;
		for (size_t k = i; k < end; k++) {
			if (k > i && strcmp(rows[k].host, rows[k - 1].host) != 0)
				h++;
			run_host_t *host = &run->hosts[h];
			if (host->host == NULL)
				host->host = xstrdup(rows[k].host);
			host->absent_since = now_mono;
			run_step_t *step = &host->steps[rows[k].position];
			/* A later attempt supersedes an earlier one. */
			free(step->step_id);
			free(step->spec);
			step->step_id = xstrdup(rows[k].step_id);
			step->attempt = rows[k].attempt;
			step->status = rows[k].status;
			step->row = rows[k].row;
			step->spec = rows[k].spec;
			step->spec_len = rows[k].spec_len;
			step->started_ms = rows[k].started_ms;
			step->dispatched_mono = now_mono;
			rows[k].spec = NULL;
			Rota__StepSpec *spec =
			    rota__step_spec__unpack(NULL, step->spec_len, step->spec);
			step->invalid = spec == NULL || spec->invalid[0] != '\0';
			if (spec) {
				step->timeout_ms = spec->timeout_ms;
				rota__step_spec__free_unpacked(spec, NULL);
			}
		}
		dispatcher_restore_policy(d, run);
		run->status = ROTA__RUN_STATUS__RUN_RUNNING;
		dispatcher_activate(d, run);
		resumed++;
		i = end;
	}
	store_step_rows_free(rows, n);
	if (resumed)
		log_info("resuming %zu unfinished run(s) from the store", resumed);
	return 0;
}

/* Finds the active step a worker reports on, when the key is its current
 * attempt; counts and logs a key of another host. Returns the run or NULL
 * (then the store may still know the step run: dispatcher_find_row). */
static run_t *
dispatcher_lookup(dispatcher_t *d, worker_t *w, const Rota__StepKey *key, size_t *h, size_t *s)
{
	if (key == NULL || key->run_id == NULL || key->step_id == NULL || key->host == NULL)
		return NULL;
	if (strcmp(key->host, w->id) != 0) {
		d->stats.results_foreign++;
		log_warn("worker %s reported on a step of host %s; dropped", w->id, key->host);
		return NULL;
	}
	run_t *run = dispatcher_find_run(d, key->run_id);
	if (run == NULL || run_find(run, key->host, key->step_id, h, s) != 0)
		return NULL;
	if (run->hosts[*h].steps[*s].attempt != key->attempt ||
	    run->policy[*s].kind != RUN_KIND_WORKER)
		return NULL;
	return run;
}

void
dispatcher_accepted(dispatcher_t *d, worker_t *w, const Rota__Accepted *msg)
{
	size_t h, s;
	run_t *run = dispatcher_lookup(d, w, msg->key, &h, &s);
	if (run == NULL)
		return;
	run_step_t *step = &run->hosts[h].steps[s];
	if (step->status != ROTA__STEP_STATUS__STEP_DISPATCHED)
		return;
	run_step_set(run, h, s, ROTA__STEP_STATUS__STEP_RUNNING);
	dispatcher_persist_step(d, step, 0, 0, 0, NULL);
}

/* Remembers that the turn acknowledges key's chunks up to seq. */
static void
dispatcher_queue_output_ack(dispatcher_t *d, worker_t *w, const Rota__StepKey *key, uint64_t seq)
{
	for (size_t i = 0; i < d->ack_count; i++) {
		dispatcher_output_ack_t *a = &d->acks[i];
		if (a->attempt == key->attempt && strcmp(a->run_id, key->run_id) == 0 &&
		    strcmp(a->step_id, key->step_id) == 0 && strcmp(a->worker, w->id) == 0) {
			if (seq > a->seq)
				a->seq = seq;
			return;
		}
	}
	if (d->ack_count == d->ack_cap) {
		d->ack_cap = d->ack_cap ? d->ack_cap * 2 : 16;
		d->acks = xrealloc(d->acks, d->ack_cap * sizeof(*d->acks));
	}
	d->acks[d->ack_count++] = (dispatcher_output_ack_t){
	    .worker = xstrdup(w->id),
	    .run_id = xstrdup(key->run_id),
	    .step_id = xstrdup(key->step_id),
	    .attempt = key->attempt,
	    .seq = seq,
	};
}

void
dispatcher_end_turn(dispatcher_t *d)
{
	dispatcher_drive_pending(d);
	for (size_t i = 0; i < d->ack_count; i++) {
		dispatcher_output_ack_t *a = &d->acks[i];
		Rota__StepKey key = ROTA__STEP_KEY__INIT;
		key.run_id = a->run_id;
		key.step_id = a->step_id;
		key.host = a->worker;
		key.attempt = a->attempt;
		Rota__OutputAck ack = ROTA__OUTPUT_ACK__INIT;
		ack.key = &key;
		ack.seq = a->seq;
		Rota__Envelope env = ROTA__ENVELOPE__INIT;
		env.body_case = ROTA__ENVELOPE__BODY_OUTPUT_ACK;
		env.output_ack = &ack;
		sendq_push(d->cfg.sendq, d->cfg.worker_sock, (const uint8_t *)a->worker,
		           strlen(a->worker), &env);
		free(a->worker);
		free(a->run_id);
		free(a->step_id);
	}
	d->ack_count = 0;
}

/* The step run a worker reports output or a late result for when no active
 * run has it as its current attempt: a run that finished, or an attempt a
 * retry replaced. 0 with *row, 1 when there is none, -1 on a store error. */
static int
dispatcher_find_row(dispatcher_t *d, const Rota__StepKey *key, int64_t *row)
{
	return store_step_find(d->cfg.store, key->run_id, key->step_id, key->host, key->attempt,
	                       row);
}

void
dispatcher_output(dispatcher_t *d, worker_t *w, const Rota__Output *msg)
{
	const Rota__StepKey *key = msg->key;
	if (key == NULL || key->run_id == NULL || key->step_id == NULL || key->host == NULL ||
	    msg->seq == 0) {
		d->stats.outputs_dropped++;
		return;
	}
	if (strcmp(key->host, w->id) != 0) {
		/* A worker may only report its own host's steps. */
		d->stats.outputs_dropped++;
		d->stats.results_foreign++;
		log_warn("worker %s sent output for host %s; dropped", w->id, key->host);
		return;
	}
	size_t h, s;
	int64_t row;
	run_t *run = dispatcher_lookup(d, w, key, &h, &s);
	if (run != NULL) {
		run_step_t *step = &run->hosts[h].steps[s];
		row = step->row;
		if (step->status == ROTA__STEP_STATUS__STEP_DISPATCHED) {
			/* Output can overtake nothing, but Accepted may have been
			 * lost with a reconnect: output proves the step runs. */
			run_step_set(run, h, s, ROTA__STEP_STATUS__STEP_RUNNING);
			dispatcher_persist_step(d, step, 0, 0, 0, NULL);
		}
	} else {
		int rc = dispatcher_find_row(d, key, &row);
		if (rc != 0) {
			d->stats.outputs_dropped++;
			/* No such step run, and there never will be: the worker
			 * may forget these chunks. (A store error acks nothing:
			 * they come again.) */
			if (rc == 1)
				dispatcher_queue_output_ack(d, w, key, msg->seq);
			return;
		}
	}
	int stream = msg->stream == ROTA__STREAM__STREAM_STDERR ? ROTA__STREAM__STREAM_STDERR
	                                                        : ROTA__STREAM__STREAM_STDOUT;
	store_output_t outcome;
	uint64_t recorded = 0;
	/* The worker redacts across chunks; this is the second line of
	 * defence, per chunk, for as long as the run holds its secrets. */
	uint8_t *clean = NULL;
	size_t clean_len = msg->data.len;
	if (run != NULL && run->secret_count > 0)
		clean = dispatcher_redact_bytes(run, msg->data.data, msg->data.len, &clean_len);
	int arc =
	    store_output_append(d->cfg.store, row, msg->seq, stream, clean ? clean : msg->data.data,
	                        clean_len, d->cfg.output_cap, clock_wall_ms(), &outcome, &recorded);
	free(clean);
	if (arc != 0) {
		d->stats.outputs_dropped++;
		return;
	}
	switch (outcome) {
	case STORE_OUTPUT_STORED:
		d->stats.outputs_recorded++;
		break;
	case STORE_OUTPUT_DUPLICATE:
		d->stats.outputs_duplicate++;
		break;
	case STORE_OUTPUT_AHEAD:
		d->stats.outputs_ahead++;
		break;
	case STORE_OUTPUT_REFUSED:
	default:
		/* Never sent to this worker: refused for good, and acked so
		 * that it stops sending it. */
		d->stats.outputs_dropped++;
		log_warn("worker %s sent output for %s/%s attempt %u, which was never dispatched"
		         " to it; dropped",
		         w->id, key->run_id, key->step_id, key->attempt);
		recorded = msg->seq;
		break;
	}
	if (recorded > 0)
		dispatcher_queue_output_ack(d, w, key, recorded);
}

/* Whether every output chunk of step run row up to output_seq (the last one
 * the worker sent) is accounted for, so that its result may be acked: the
 * ack lets the worker forget the chunks too. Until then the worker keeps
 * resending them and the result, chunks first. A result that comes
 * DISPATCHER_OUTPUT_WAIT_RESULTS times with no chunk accounted for between
 * them never will have them (the worker's spool lost them): they are
 * recorded as lost. */
static bool
dispatcher_output_complete(dispatcher_t *d, const Rota__StepKey *key, int64_t row,
                           const Rota__Result *msg)
{
	uint64_t output_seq = msg->output_seq;
	/* The worker's spool could not keep some of this output: what is
	 * missing after one more resend pass (chunks first, then this
	 * result again) will never come. */
	const char *why = msg->spool_error && msg->spool_error[0] ? msg->spool_error : NULL;
	uint64_t have = 0;
	if (output_seq == 0)
		return true;
	if (store_output_seq(d->cfg.store, row, &have) != 0)
		return false; /* not acked: it comes again */
	size_t i = 0;
	while (i < d->wait_count && d->waits[i].row != row)
		i++;
	dispatcher_wait_t *wt = i < d->wait_count ? &d->waits[i] : NULL;
	if (have < output_seq && wt == NULL) {
		if (d->wait_count == DISPATCHER_OUTPUT_WAIT_MAX) {
			memmove(&d->waits[0], &d->waits[1],
			        (d->wait_count - 1) * sizeof(*d->waits));
			d->wait_count--;
		}
		if (d->waits == NULL)
			d->waits = xcalloc(DISPATCHER_OUTPUT_WAIT_MAX, sizeof(*d->waits));
		d->waits[d->wait_count++] =
		    (dispatcher_wait_t){.row = row, .seen_seq = have, .deliveries = 1};
		d->stats.results_waiting++;
		return false;
	}
	if (have < output_seq && have != wt->seen_seq) {
		wt->seen_seq = have;
		wt->deliveries = 1;
		return false;
	}
	if (have < output_seq && ++wt->deliveries < (why ? 2 : DISPATCHER_OUTPUT_WAIT_RESULTS))
		return false;
	if (have < output_seq) {
		if (why)
			log_warn("run %s host %s step %s attempt %u: output chunks %llu to %llu are"
			         " lost (the worker says: %s); recorded as lost",
			         key->run_id, key->host, key->step_id, key->attempt,
			         (unsigned long long)have + 1, (unsigned long long)output_seq, why);
		else
			log_warn(
			    "run %s host %s step %s attempt %u: output chunks %llu to %llu never"
			    " came (its result did, %u times); recorded as lost",
			    key->run_id, key->host, key->step_id, key->attempt,
			    (unsigned long long)have + 1, (unsigned long long)output_seq,
			    DISPATCHER_OUTPUT_WAIT_RESULTS);
		if (store_output_lost(d->cfg.store, row, output_seq, msg->output_bytes, why,
		                      clock_wall_ms()) != 0)
			return false;
		d->stats.outputs_lost += output_seq - have;
	}
	if (wt != NULL) {
		memmove(wt, wt + 1, (d->wait_count - i - 1) * sizeof(*d->waits));
		d->wait_count--;
	}
	return true;
}

static void
dispatcher_ack(dispatcher_t *d, worker_t *w, const Rota__StepKey *key)
{
	Rota__StepKey copy;
	wire_step_key_copy(&copy, key); /* not the worker's unknown fields */
	Rota__ResultAck ack = ROTA__RESULT_ACK__INIT;
	ack.key = &copy;
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_RESULT_ACK;
	env.result_ack = &ack;
	sendq_push(d->cfg.sendq, d->cfg.worker_sock, (const uint8_t *)w->id, strlen(w->id), &env);
}

void
dispatcher_result(dispatcher_t *d, worker_t *w, const Rota__Result *msg)
{
	size_t h, s;
	if (msg->key == NULL)
		return;
	if (msg->key->host && strcmp(msg->key->host, w->id) != 0) {
		d->stats.results_foreign++;
		log_warn("worker %s sent a result for host %s; dropped", w->id, msg->key->host);
		return;
	}
	run_t *run = dispatcher_lookup(d, w, msg->key, &h, &s);
	if (run == NULL) {
		/* A finished run, a superseded attempt, or nothing we know: the
		 * worker must stop resending it either way, once the output it
		 * names is in (a step run we know) or at once (one we do not). */
		d->stats.results_unknown++;
		int64_t row;
		int rc = msg->key->run_id && msg->key->step_id && msg->key->host
		             ? dispatcher_find_row(d, msg->key, &row)
		             : 1;
		if (rc == 1 || (rc == 0 && dispatcher_output_complete(d, msg->key, row, msg)))
			dispatcher_ack(d, w, msg->key);
		return;
	}
	run_step_t *step = &run->hosts[h].steps[s];
	bool complete = dispatcher_output_complete(d, msg->key, step->row, msg);
	if (run_step_status_terminal(step->status)) {
		d->stats.results_duplicate++;
		if (complete)
			dispatcher_ack(d, w, msg->key);
		return;
	}
	if (step->status != ROTA__STEP_STATUS__STEP_DISPATCHED &&
	    step->status != ROTA__STEP_STATUS__STEP_RUNNING) {
		/* Never sent to it: a worker reports only what it was given. */
		d->stats.results_unknown++;
		log_warn("worker %s sent a result for step %s of run %s, which was never"
		         " dispatched to it; dropped",
		         w->id, step->step_id, run->id);
		dispatcher_ack(d, w, msg->key);
		return;
	}
	int status = msg->status;
	const char *detail = msg->detail;
	switch (status) {
	case ROTA__STEP_STATUS__STEP_SUCCEEDED:
	case ROTA__STEP_STATUS__STEP_FAILED:
	case ROTA__STEP_STATUS__STEP_TIMEOUT:
	case ROTA__STEP_STATUS__STEP_CANCELLED:
	case ROTA__STEP_STATUS__STEP_ERROR:
	case ROTA__STEP_STATUS__STEP_LOST:
		break;
	default:
		status = ROTA__STEP_STATUS__STEP_ERROR;
		detail = "the worker reported a status that is not a final one";
		break;
	}
	/* Recorded now either way, so the run moves on; acked only once its
	 * output is in (the worker then resends it until it is). */
	d->stats.results_recorded++;
	if (complete)
		dispatcher_ack(d, w, msg->key);
	char *clean = dispatcher_redact_text(run, detail);
	dispatcher_finish(d, run, h, s, status, msg->exit_code, msg->signal, msg->started_ms,
	                  msg->ended_ms ? msg->ended_ms : clock_wall_ms(), clean ? clean : detail);
	free(clean);
}

static bool
hello_lists(const Rota__Hello *hello, const char *run_id, const char *step_id, uint32_t attempt)
{
	for (size_t i = 0; i < hello->n_in_flight; i++) {
		const Rota__StepKey *k = hello->in_flight[i];
		if (k && k->run_id && k->step_id && strcmp(k->run_id, run_id) == 0 &&
		    strcmp(k->step_id, step_id) == 0 && k->attempt == attempt)
			return true;
	}
	return false;
}

static bool
hello_spooled(const Rota__Hello *hello, const char *run_id, const char *step_id, uint32_t attempt)
{
	for (size_t i = 0; i < hello->n_spooled; i++) {
		const Rota__StepKey *k = hello->spooled[i]->key;
		if (k && strcmp(k->run_id, run_id) == 0 && strcmp(k->step_id, step_id) == 0 &&
		    k->attempt == attempt)
			return true;
	}
	return false;
}

/* Sends Cancel for the worker step in flight at (h, s). */
static void
dispatcher_send_cancel(dispatcher_t *d, run_t *run, size_t h, size_t s)
{
	run_step_t *step = &run->hosts[h].steps[s];
	worker_t *w = registry_find(d->cfg.registry, run->hosts[h].host);
	if (step->cancel_mono == 0)
		step->cancel_mono = clock_mono_ms();
	if (w == NULL || !w->connected)
		return; /* its absence is judged by the watchdog */
	Rota__StepKey key = ROTA__STEP_KEY__INIT;
	key.run_id = run->id;
	key.step_id = step->step_id;
	key.host = run->hosts[h].host;
	key.attempt = step->attempt;
	Rota__Cancel msg = ROTA__CANCEL__INIT;
	msg.key = &key;
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_CANCEL;
	env.cancel = &msg;
	sendq_push(d->cfg.sendq, d->cfg.worker_sock, (const uint8_t *)w->id, strlen(w->id), &env);
}

/* The worker step in flight on host h (not a manual one), or -1. */
static int
dispatcher_worker_step(const run_t *run, size_t h)
{
	int s = run_inflight_step(run, h);
	if (s >= 0 && run->policy[s].kind != RUN_KIND_WORKER)
		return -1;
	return s;
}

/* Sends Cancel for a step a worker says it runs when this coordinator has
 * no such step in flight. */
static void
dispatcher_stop_orphan(dispatcher_t *d, worker_t *w, const Rota__StepKey *key)
{
	if (key == NULL || key->run_id == NULL || key->step_id == NULL || key->host == NULL ||
	    strcmp(key->host, w->id) != 0)
		return;
	run_t *run = dispatcher_find_run(d, key->run_id);
	size_t h, s;
	const char *why = NULL;
	if (run == NULL)
		why = "its run has ended";
	else if (run_find(run, key->host, key->step_id, &h, &s) != 0)
		why = "its run has no such step";
	else if (run->hosts[h].steps[s].attempt != key->attempt)
		why = "a later attempt replaced it";
	else if (run_step_status_terminal(run->hosts[h].steps[s].status))
		why = "it was already recorded as ended";
	if (why == NULL)
		return;
	log_warn("worker %s still runs %s/%s attempt %u, but %s; cancelling it", w->id, key->run_id,
	         key->step_id, key->attempt, why);
	Rota__Cancel msg = ROTA__CANCEL__INIT;
	msg.key = (Rota__StepKey *)key;
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_CANCEL;
	env.cancel = &msg;
	sendq_push(d->cfg.sendq, d->cfg.worker_sock, (const uint8_t *)w->id, strlen(w->id), &env);
}

void
dispatcher_hello(dispatcher_t *d, worker_t *w, const Rota__Hello *hello, bool new_process)
{
	/* What it still runs that is over here (declared lost while it was
	 * away, a cancelled run, a superseded attempt) is stopped: a process
	 * nobody waits for must not run on. */
	for (size_t i = 0; i < hello->n_in_flight; i++)
		dispatcher_stop_orphan(d, w, hello->in_flight[i]);
	/* Then reconcile what we believe is in flight there with what the
	 * worker says it runs or holds a result for; then record the spooled
	 * results (which may dispatch next steps: those are not reconciled). */
	w->running = 0;
	run_t *next;
	for (run_t *run = d->runs; run; run = next) {
		next = run->next;
		int h = run_find_host(run, w->id);
		if (h < 0)
			continue;
		run->hosts[h].absent_since = 0;
		int s = dispatcher_worker_step(run, (size_t)h);
		if (s < 0)
			continue;
		run_step_t *step = &run->hosts[h].steps[s];
		if (hello_lists(hello, run->id, step->step_id, step->attempt) ||
		    hello_spooled(hello, run->id, step->step_id, step->attempt)) {
			w->running++;
			if (step->cancel_mono != 0)
				dispatcher_send_cancel(d, run, (size_t)h, (size_t)s);
			continue;
		}
		if (step->status == ROTA__STEP_STATUS__STEP_DISPATCHED &&
		    (!new_process || run->policy[s].idempotent)) {
			/* Never reached this worker process, whose spool would
			 * refuse a second start anyway: safe to send again. An
			 * idempotent step may be sent again even if another
			 * process got it. */
			run_step_set(run, (size_t)h, (size_t)s, ROTA__STEP_STATUS__STEP_PENDING);
			continue;
		}
		if (hello->truncated) {
			/* Its result may be among those the Hello could not list;
			 * the watchdog ends it if none comes. */
			w->running++;
			continue;
		}
		d->stats.steps_lost++;
		w->running++; /* counted, so that finishing it uncounts it */
		dispatcher_finish(d, run, (size_t)h, (size_t)s, ROTA__STEP_STATUS__STEP_LOST, 0, 0,
		                  0, clock_wall_ms(),
		                  step->status == ROTA__STEP_STATUS__STEP_DISPATCHED
		                      ? "the worker restarted (or another process took its id)"
		                        " before it accepted the step, which may have started"
		                        " there; not sent again (idempotent: false)"
		                      : "the worker restarted while the step ran");
	}
	for (size_t i = 0; i < hello->n_spooled; i++)
		dispatcher_result(d, w, hello->spooled[i]);
}

void
dispatcher_worker_stopping(dispatcher_t *d, worker_t *w)
{
	w->stopping = true;
	for (run_t *run = d->runs; run; run = run->next) {
		int h = run_find_host(run, w->id);
		if (h < 0)
			continue;
		int s = dispatcher_worker_step(run, (size_t)h);
		if (s < 0 || run->hosts[h].steps[s].status != ROTA__STEP_STATUS__STEP_DISPATCHED)
			continue;
		run_step_set(run, (size_t)h, (size_t)s, ROTA__STEP_STATUS__STEP_PENDING);
		run->hosts[h].steps[s].started_ms = 0;
		dispatcher_persist_step(d, &run->hosts[h].steps[s], 0, 0, 0, NULL);
		if (w->running > 0)
			w->running--;
		log_info("run %s host %s step %s: held until worker %s is back (it is stopping)",
		         run->id, w->id, run->hosts[h].steps[s].step_id, w->id);
	}
}

void
dispatcher_worker_lost(dispatcher_t *d, worker_t *w)
{
	run_t *next;
	for (run_t *run = d->runs; run; run = next) {
		next = run->next;
		int h = run_find_host(run, w->id);
		if (h < 0)
			continue;
		if (run->hosts[h].absent_since == 0)
			run->hosts[h].absent_since = clock_mono_ms();
		int s = dispatcher_worker_step(run, (size_t)h);
		if (s < 0)
			continue;
		run_step_t *step = &run->hosts[h].steps[s];
		if (run_retry_delay(run, (size_t)h, (size_t)s, ROTA__STEP_STATUS__STEP_LOST) >= 0) {
			/* Its retry could only go to this worker: the attempt is
			 * held until the worker is back, whose Hello says how it
			 * ended (a frozen worker's step may well have succeeded),
			 * or until its deadline (dispatcher_tick_host). */
			log_info("run %s host %s step %s attempt %u: held until worker %s is back"
			         " (a retry could only go to it)",
			         run->id, w->id, step->step_id, step->attempt, w->id);
			continue;
		}
		char detail[160];
		snprintf(detail, sizeof(detail),
		         "worker %s stopped answering heartbeats while the step ran", w->id);
		d->stats.steps_lost++;
		dispatcher_finish(d, run, (size_t)h, (size_t)s, ROTA__STEP_STATUS__STEP_LOST, 0, 0,
		                  0, clock_wall_ms(), detail);
	}
	w->running = 0;
}

/* The watchdog of a step in flight on a connected worker. A Dispatch not
 * accepted within lost_after is sent again (the worker starts an attempt at
 * most once, so this is safe); a step with no result long after its
 * deadline is declared lost, so nothing stays running forever. Returns 1
 * when the run was retired. */
static int
dispatcher_watch(dispatcher_t *d, run_t *run, size_t h, size_t s, worker_t *w, int64_t now_mono)
{
	run_step_t *step = &run->hosts[h].steps[s];
	int64_t age = now_mono - step->dispatched_mono;
	if (step->status == ROTA__STEP_STATUS__STEP_DISPATCHED) {
		if (age < d->cfg.lost_after_ms)
			return 0;
		log_warn("run %s host %s step %s: not accepted after %lld ms; sending it again",
		         run->id, w->id, step->step_id, (long long)age);
		if (w->running > 0)
			w->running--;
		run_step_set(run, h, s, ROTA__STEP_STATUS__STEP_PENDING);
		dispatcher_send(d, run, h, s, w);
		return dispatcher_drive(d, run, now_mono);
	}
	if (step->cancel_mono != 0 &&
	    now_mono - step->cancel_mono >= DISPATCHER_KILL_GRACE_MS + d->cfg.lost_after_ms) {
		char detail[160];
		snprintf(detail, sizeof(detail),
		         "worker %s did not confirm the cancel within %llds; its process may"
		         " still run",
		         w->id,
		         (long long)((DISPATCHER_KILL_GRACE_MS + d->cfg.lost_after_ms) / 1000));
		d->stats.steps_lost++;
		return dispatcher_finish(d, run, h, s, ROTA__STEP_STATUS__STEP_LOST, 0, 0, 0,
		                         clock_wall_ms(), detail);
	}
	if (step->timeout_ms == 0)
		return 0;
	int64_t limit = (int64_t)step->timeout_ms + DISPATCHER_KILL_GRACE_MS + d->cfg.lost_after_ms;
	if (age < limit)
		return 0;
	char detail[200];
	snprintf(detail, sizeof(detail),
	         "no result from worker %s %llds after the step started (timeout %us)", w->id,
	         (long long)(age / 1000), step->timeout_ms / 1000);
	d->stats.steps_lost++;
	return dispatcher_finish(d, run, h, s, ROTA__STEP_STATUS__STEP_LOST, 0, 0, 0,
	                         clock_wall_ms(), detail);
}

/* A manual step waits on wall time: its deadline survives a restart. */
static int
dispatcher_watch_approval(dispatcher_t *d, run_t *run, size_t h, size_t s)
{
	run_step_t *step = &run->hosts[h].steps[s];
	int64_t now = clock_wall_ms();
	if (step->timeout_ms == 0 || now < step->started_ms + (int64_t)step->timeout_ms)
		return 0;
	char wait[32];
	duration_format(step->timeout_ms, wait, sizeof(wait));
	char *detail = xasprintf("no approval within %s", wait);
	int rc =
	    dispatcher_finish(d, run, h, s, ROTA__STEP_STATUS__STEP_TIMEOUT, 0, 0, 0, now, detail);
	free(detail);
	return rc;
}

/* The step's timeout, read from its spec the first time (a step not sent
 * yet has not had it copied from there); 0 when it has none. */
static uint32_t
dispatcher_step_timeout(run_step_t *step)
{
	if (step->timeout_ms == 0 && step->spec_len > 0) {
		Rota__StepSpec *spec = rota__step_spec__unpack(NULL, step->spec_len, step->spec);
		if (spec != NULL)
			step->timeout_ms = spec->timeout_ms;
		rota__step_spec__free_unpacked(spec, NULL);
	}
	return step->timeout_ms;
}

/* One host's turn of the tick. Returns 1 when the run was retired. */
static int
dispatcher_tick_host(dispatcher_t *d, run_t *run, size_t h, int64_t now_mono)
{
	run_host_t *host = &run->hosts[h];
	int f = run_inflight_step(run, h);
	if (f >= 0 && run->policy[f].kind == RUN_KIND_MANUAL)
		return dispatcher_watch_approval(d, run, h, (size_t)f);
	worker_t *w = registry_find(d->cfg.registry, host->host);
	if (w && w->connected) {
		host->absent_since = 0;
		if (f >= 0)
			return dispatcher_watch(d, run, h, (size_t)f, w, now_mono);
		return 0;
	}
	if (host->absent_since == 0) {
		host->absent_since = now_mono;
		return 0;
	}
	int64_t away = now_mono - host->absent_since;
	if (away < d->cfg.lost_after_ms)
		return 0;
	int s = f;
	if (s < 0) {
		s = run_advance(run, h, now_mono, clock_wall_ms());
		dispatcher_persist_dirty(d, run, h);
	}
	if (s < 0 || run->policy[s].kind != RUN_KIND_WORKER)
		return 0;
	run_step_t *step = &host->steps[s];
	char detail[240];
	if (run_retry_delay(run, h, (size_t)s, ROTA__STEP_STATUS__STEP_LOST) >= 0) {
		/* A step that could be retried waits for its worker, since a
		 * retry could only go to it: no attempt is spent while none can
		 * be sent. The wait ends at the step's deadline: for one in
		 * flight, the watchdog's (a live worker would have reported by
		 * then); for one not sent, its timeout from when the worker
		 * went away. Then it is lost, and not retried: retrying cannot
		 * help while no worker can take it. */
		uint32_t timeout = dispatcher_step_timeout(step);
		int64_t waited = f >= 0 ? now_mono - step->dispatched_mono : away;
		int64_t limit = d->cfg.lost_after_ms;
		if (timeout > 0)
			limit = f >= 0 ? (int64_t)timeout + DISPATCHER_KILL_GRACE_MS +
			                     d->cfg.lost_after_ms
			               : (int64_t)timeout;
		if (waited < limit)
			return 0;
		snprintf(detail, sizeof(detail),
		         "worker %s was not connected for %llds, past the step's deadline; its"
		         " retries are not used while no worker can take them",
		         host->host, (long long)(away / 1000));
	} else {
		snprintf(detail, sizeof(detail), "worker %s was not connected for %llds",
		         host->host, (long long)(away / 1000));
	}
	d->stats.steps_lost++;
	/* The host's next step (a `when: always` one) starts its own wait. */
	host->absent_since = now_mono;
	return dispatcher_end_step(d, run, h, (size_t)s, ROTA__STEP_STATUS__STEP_LOST, 0, 0, 0,
	                           clock_wall_ms(), detail, false);
}

void
dispatcher_tick(dispatcher_t *d, int64_t now_mono)
{
	dispatcher_drive_pending(d);
	run_t *next;
	for (run_t *run = d->runs; run; run = next) {
		next = run->next;
		/* A host's turn can end the run and free it: once retired, not
		 * even the loop's bound may be read from it again. */
		bool retired = false;
		for (size_t h = 0; !retired && h < run->host_count; h++) {
			if (run->hosts[h].phase == RUN_HOST_STARTED && !run_host_done(run, h))
				retired = dispatcher_tick_host(d, run, h, now_mono) != 0;
		}
		if (!retired)
			dispatcher_drive(d, run, now_mono);
	}
}

/* Why a run that is not in flight has nothing to answer: it ended, and
 * how. Naming the runbook shows when `last` meant another run than the
 * one the operator had in mind (a schedule fired since). */
static char *
dispatcher_not_active(dispatcher_t *d, const char *run_id)
{
	Rota__RunSummary sum;
	if (store_run_summary(d->cfg.store, run_id, &sum) != 0)
		return xasprintf("run %s is not active: only a running run has steps waiting"
		                 " for approval",
		                 run_id);
	char *error = xasprintf("run %s (%s) has already ended (%s), so no step of it waits"
	                        " for approval; rota show %s says what happened",
	                        run_id, sum.runbook, run_status_name(sum.status), run_id);
	store_run_summary_clear(&sum);
	return error;
}

/* The manual steps of a run, "a, b", for a step name that is not one. */
static char *
dispatcher_manual_steps(const run_t *run)
{
	char *list = xstrdup("");
	for (size_t k = 0; k < run->step_count && run->host_count > 0; k++) {
		if (run->policy[k].kind != RUN_KIND_MANUAL)
			continue;
		char *longer =
		    xasprintf("%s%s%s", list, list[0] ? ", " : "", run->hosts[0].steps[k].step_id);
		free(list);
		list = longer;
	}
	return list;
}

int
dispatcher_approve(dispatcher_t *d, const char *run_id, const char *step_id, bool reject,
                   const char *note, uint32_t *released, char **error)
{
	*released = 0;
	run_t *run = dispatcher_find_run(d, run_id);
	if (run == NULL) {
		*error = dispatcher_not_active(d, run_id);
		return -1;
	}
	int s = -1;
	for (size_t k = 0; k < run->step_count && run->host_count > 0; k++) {
		if (strcmp(run->hosts[0].steps[k].step_id, step_id) == 0)
			s = (int)k;
	}
	if (s < 0 || run->policy[s].kind != RUN_KIND_MANUAL) {
		char *manual = dispatcher_manual_steps(run);
		*error =
		    xasprintf("run %s (%s) %s '%s'; %s%s", run_id, run->runbook,
		              s < 0 ? "has no step" : "has no manual step", step_id,
		              manual[0] ? "its manual steps: " : "it has no manual steps", manual);
		free(manual);
		return -1;
	}
	char *detail =
	    xasprintf("%s%s%s", reject ? "rejected by an operator" : "approved by an operator",
	              note && *note ? ": " : "", note ? note : "");
	int64_t now = clock_wall_ms();
	/* The hosts waiting now: releasing one moves the run on, which can
	 * bring another host to this step (a later batch, a jitter run out),
	 * and that one waits for an approval of its own. */
	size_t waiting = 0;
	bool *was_waiting = xcalloc(run->host_count + 1, sizeof(*was_waiting));
	for (size_t h = 0; h < run->host_count; h++) {
		was_waiting[h] = run->hosts[h].steps[s].status == ROTA__STEP_STATUS__STEP_WAITING;
		waiting += was_waiting[h];
	}
	if (waiting == 0) {
		*error = xasprintf("step %s of run %s is not waiting for approval on any host"
		                   " (rota show %s shows where it is)",
		                   step_id, run_id, run_id);
		free(was_waiting);
		free(detail);
		return -1;
	}
	/* Finishing a step can retire the run: stop once it is gone. */
	for (size_t h = 0; h < run->host_count; h++) {
		if (!was_waiting[h] ||
		    run->hosts[h].steps[s].status != ROTA__STEP_STATUS__STEP_WAITING)
			continue;
		(*released)++;
		if (dispatcher_finish(d, run, h, (size_t)s,
		                      reject ? ROTA__STEP_STATUS__STEP_FAILED
		                             : ROTA__STEP_STATUS__STEP_SUCCEEDED,
		                      0, 0, 0, now, detail) != 0)
			break;
	}
	log_info("run %s step %s %s on %u host(s)", run_id, step_id,
	         reject ? "rejected" : "approved", *released);
	free(was_waiting);
	free(detail);
	return 0;
}

/* Cancels what is not finished on host h: pending and waiting steps end
 * `cancelled` now; a step running on a worker is sent Cancel and stays
 * running until the worker confirms with its Result (or the watchdog
 * declares it lost), so `cancelled` always means the process is gone. */
static size_t
dispatcher_cancel_host(dispatcher_t *d, run_t *run, size_t h, const char *reason)
{
	run_host_t *host = &run->hosts[h];
	int64_t now = clock_wall_ms();
	size_t signalled = 0;
	host->cancelled = true;
	if (host->phase == RUN_HOST_WAITING)
		host->phase = RUN_HOST_NEVER; /* a later batch: it never starts */
	for (size_t s = 0; s < run->step_count; s++) {
		run_step_t *step = &host->steps[s];
		if (run_step_status_terminal(step->status))
			continue;
		if (run->policy[s].kind == RUN_KIND_WORKER &&
		    (step->status == ROTA__STEP_STATUS__STEP_DISPATCHED ||
		     step->status == ROTA__STEP_STATUS__STEP_RUNNING)) {
			dispatcher_send_cancel(d, run, h, s);
			signalled++;
			continue;
		}
		run_step_set(run, h, s, ROTA__STEP_STATUS__STEP_CANCELLED);
		dispatcher_persist_step(d, step, 0, 0, now, reason);
	}
	return signalled;
}

int
dispatcher_cancel(dispatcher_t *d, run_t *run, const char *host, const char *reason,
                  size_t *signalled)
{
	size_t n = 0;
	if (host == NULL) {
		run->cancelled = true;
		free(run->reason);
		run->reason = xstrdup(reason);
		store_run_cancel(d->cfg.store, run->id, reason);
	}
	for (size_t h = 0; h < run->host_count; h++) {
		if (host == NULL || strcmp(run->hosts[h].host, host) == 0)
			n += dispatcher_cancel_host(d, run, h, reason);
	}
	if (signalled)
		*signalled = n;
	log_info("run %s (%s)%s%s: %s; %zu step(s) asked to stop", run->id, run->runbook,
	         host ? " host " : "", host ? host : "", reason, n);
	return dispatcher_drive(d, run, clock_mono_ms());
}

run_t *
dispatcher_active_of(dispatcher_t *d, const char *runbook)
{
	for (run_t *r = d->runs; r; r = r->next) {
		if (strcmp(r->runbook, runbook) == 0)
			return r;
	}
	return NULL;
}
