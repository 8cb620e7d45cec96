/* dispatcher_reports: what workers report about their steps.
 *
 * Accepted, Output and Result, looked up by their step key; output is
 * stored in seq order and acked once per key a turn; a result is recorded
 * once and acked only when every chunk of its output is accounted for.
 * Must never: record a result twice, store output for an attempt never
 * dispatched to its reporter, or take a key of another host. */
#include "dispatcher.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "redactor.h"
#include "wire.h"
#include "xalloc.h"

#include "dispatcher_internal.h"

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
	dispatcher_persist_step(d, run, step, 0, 0, 0, NULL);
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
		sendq_push(d->cfg.svc->sendq, d->cfg.svc->worker_sock, (const uint8_t *)a->worker,
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
	return store_step_find(d->cfg.svc->store, key->run_id, key->step_id, key->host,
	                       key->attempt, row);
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
			dispatcher_persist_step(d, run, step, 0, 0, 0, NULL);
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
	int arc = store_output_append(
	    d->cfg.svc->store, row, msg->seq, stream, clean ? clean : msg->data.data, clean_len,
	    d->cfg.svc->options.output_cap, clock_wall_ms(), &outcome, &recorded);
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
	if (store_output_seq(d->cfg.svc->store, row, &have) != 0)
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
		if (store_output_lost(d->cfg.svc->store, row, output_seq, msg->output_bytes, why,
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
	sendq_push(d->cfg.svc->sendq, d->cfg.svc->worker_sock, (const uint8_t *)w->id,
	           strlen(w->id), &env);
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
		/* One that names no output is acked whether the store knows
		 * its step run or not (nothing to wait for): no look-up, which
		 * was a waited-for round trip on PostgreSQL for every result
		 * resent for a run that had ended (docs/benchmarks.md,
		 * "PostgreSQL submits batched"). */
		int64_t row;
		int rc =
		    msg->key->run_id && msg->key->step_id && msg->key->host && msg->output_seq > 0
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
	char *judged = NULL; /* owned: the detail with its recorded value */
	if (status == ROTA__STEP_STATUS__STEP_SUCCEEDED && msg->value != NULL &&
	    msg->value[0] != '\0')
		judged = dispatcher_baseline(d, run, h, s, msg->value, &status, detail);
	if (judged != NULL)
		detail = judged;
	char *clean = dispatcher_redact_text(run, detail);
	dispatcher_finish(d, run, h, s, status, msg->exit_code, msg->signal, msg->started_ms,
	                  msg->ended_ms ? msg->ended_ms : clock_wall_ms(), clean ? clean : detail);
	free(clean);
	free(judged);
}
