/* coordinator_commit: the end of a turn (its commit) and what is told once
 * the turn is durable: its answers, its events, the outbox's wake.
 *
 * On PostgreSQL a leader's turn may leave its COMMIT in flight
 * (store_commit_start) and read the next turn while the server executes
 * it: the server's work on one turn and the loop's on the next then share
 * the machine's cores instead of taking turns (docs/decisions.md,
 * "A turn's COMMIT in flight"). The first turn is told, its queued
 * messages sent, only once its COMMIT is answered (coordinator_commit_settle,
 * when the store's socket is readable or at the next turn's end at the
 * latest), and always before anything of the next turn, which queues its
 * own behind them. Whatever would commit in the meantime (an HTTP
 * request's turn, a step-down, the stop, the timers' writes) settles the
 * turn in flight first.
 *
 * Must never: send a message of a turn whose COMMIT has not succeeded;
 * send a turn's messages before those of the turn before it. */
#include "coordinator_internal.h"

#include "clock.h"
#include "log.h"

/* Told of a turn now durable; queued: how many of the queued messages are
 * the turn's (the rest, the next turn's, wait for theirs). */
static void
coordinator_commit_told(coordinator_t *c, bool wrote, int64_t start_us, size_t queued, bool wake)
{
	if (wrote)
		metrics_histogram_observe(c->svc->metrics.commit_seconds,
		                          (double)(clock_mono_us() - start_us) / 1e6);
	if (wrote && c->store_unwritable) {
		c->store_unwritable = false;
		log_info("store: writable again; taking new work");
	}
	/* Nothing of a next turn queued: the events' frames go out now too. */
	bool alone = sendq_length(c->svc->sendq) == queued;
	/* The turn's events are read back from the store (events.c), which
	 * must not happen inside the next turn's open transaction: the read
	 * would see that turn's own event rows (held ones are flushed before
	 * it) before they are committed. They are owed to the next telling,
	 * which reads them with that turn's. */
	bool events = wrote || c->events_owed;
	c->events_owed = events && store_in_transaction(c->svc->store);
	if (!c->events_owed) {
		events_committed(c->svc->events, c->svc->sendq, events, clock_mono_ms());
		if (c->httpd != NULL && events)
			httpd_sse_wake(c->httpd);
	}
	sendq_flush_first(c->svc->sendq, alone ? sendq_length(c->svc->sendq) : queued, &c->sent);
	if (wake)
		outbox_wake(c->svc->outbox);
}

int
coordinator_commit_settle(coordinator_t *c)
{
	if (!store_commit_inflight(c->svc->store))
		return 0;
	if (store_commit_finish(c->svc->store) != 0)
		return -1;
	coordinator_commit_told(c, true, c->inflight_start_us, c->inflight_queued,
	                        c->inflight_wake);
	return 0;
}

int
coordinator_commit_now(coordinator_t *c)
{
	dispatcher_end_turn(c->svc->dispatcher);
	if (coordinator_commit_settle(c) != 0 || store_commit(c->svc->store) != 0)
		return -1;
	sendq_flush(c->svc->sendq, &c->sent);
	if (incidents_take_wake(c->svc->incidents))
		outbox_wake(c->svc->outbox);
	return 0;
}

bool
coordinator_commit_may_overlap(coordinator_t *c, int64_t now)
{
	/* The slices after a turn write in transactions of their own, after
	 * its answers: a turn that has them commits at once. */
	return store_shared(c->svc->store) && !indexer_busy(c->svc->indexer, now) &&
	       !coordinator_save_busy(c, now) && !pruner_due(c->svc->pruner, now) &&
	       !backup_running(c->svc->backup);
}

int
coordinator_commit_turn(coordinator_t *c, bool overlap)
{
	store_t *s = c->svc->store;
	dispatcher_end_turn(c->svc->dispatcher);
	/* This turn's writes go to the server behind the COMMIT in flight,
	 * which it takes up next, while the loop waits for that COMMIT; its
	 * own COMMIT is sent only once the one before has succeeded (a
	 * failed one rolls this turn back, store_commit_finish). */
	if (store_commit_inflight(s))
		(void)store_send_held(s); /* a failure fails the turn: below */
	/* The turn before first: its answers go before this one's. */
	if (coordinator_commit_settle(c) != 0)
		return -1;
	bool wrote = store_in_transaction(s);
	int64_t start = clock_mono_us();
	if (overlap && wrote) {
		if (store_commit_start(s) != 0)
			return -1;
		c->inflight_start_us = start;
		c->inflight_queued = sendq_length(c->svc->sendq);
		c->inflight_wake = incidents_take_wake(c->svc->incidents);
		turnstats_mark(&c->turn, TURN_COMMIT);
		turnstats_turn(&c->turn, wrote);
		return 0;
	}
	if (store_commit(s) != 0)
		return -1;
	turnstats_mark(&c->turn, TURN_COMMIT);
	turnstats_turn(&c->turn, wrote);
	coordinator_commit_told(c, wrote, start, sendq_length(c->svc->sendq),
	                        incidents_take_wake(c->svc->incidents));
	turnstats_mark(&c->turn, TURN_TELL);
	return 0;
}
