/* follow: paging a run's output with the Logs cursor, and following it with
 * the event stream (FollowRequest; polling with the Logs cursor only with a
 * coordinator older than the stream).
 *
 * Must never: loop without a bound. Every request waits at most
 * CLI_TIMEOUT_MS, a cursor that does not move ends paging, and a follower
 * whose coordinator is gone gives up after CLI_FAILOVER_MS. */
#include "follow.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "client.h"
#include "clock.h"
#include "format.h"
#include "strlist.h"
#include "transcript.h"
#include "xalloc.h"

static void
follow_pause(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
	/* An interrupted pause only makes the next poll early. */
	nanosleep(&ts, NULL);
}

/* The hosts already reported as waiting at a manual step while following
 * one run, as "step\nhost": each is said once, however long it waits, but
 * a host that reaches the step later (the next batch of a rolling run)
 * needs its own answer, so it is said too. */
static char *
follow_waiting_key(const Rota__StepRunInfo *st)
{
	return xasprintf("%s\n%s", st->step_id, st->host);
}

/* Whether st is waiting (at host, when given) and has not been said. */
static bool
follow_waiting_new(const strlist_t *w, const Rota__StepRunInfo *st, const char *host)
{
	if (st == NULL || st->status != ROTA__STEP_STATUS__STEP_WAITING ||
	    (host != NULL && strcmp(st->host, host) != 0))
		return false;
	char *key = follow_waiting_key(st);
	bool said = strlist_has(w, key);
	free(key);
	return !said;
}

static void
follow_waiting_add(strlist_t *w, const Rota__StepRunInfo *st)
{
	strlist_add(w, follow_waiting_key(st));
}

/* One line on stderr for step steps[i]: every host newly waiting at it
 * (the first few by name), and the command that answers. */
static void
follow_say_waiting(const Rota__ShowRunResponse *resp, size_t i, const char *host,
                   const char *run_id, strlist_t *said)
{
	const char *step_id = resp->steps[i]->step_id;
	char *step = xstrdup(step_id);
	format_printable(step);
	fprintf(stderr, "rota: step %s is waiting for approval on ", step);
	unsigned hosts = 0;
	for (size_t k = i; k < resp->n_steps; k++) {
		const Rota__StepRunInfo *st = resp->steps[k];
		if (!follow_waiting_new(said, st, host) || strcmp(st->step_id, step_id) != 0)
			continue;
		if (hosts < CLI_SHOW_WAITING_HOSTS) {
			char *name = xstrdup(st->host);
			format_printable(name);
			fprintf(stderr, "%s%s", hosts > 0 ? ", " : "", name);
			free(name);
		}
		hosts++;
		follow_waiting_add(said, st);
	}
	if (hosts > CLI_SHOW_WAITING_HOSTS)
		fprintf(stderr, ", ... (%u hosts)", hosts);
	fprintf(stderr, ": rota approve %s %s\n", run_id, step);
	free(step);
}

/* Asks for the run's steps and says, on stderr so stdout stays the steps'
 * own output, which manual step now waits for approval, where, and how to
 * give it. LogsResponse carries only the run's status, so this takes a
 * ShowRun: callers ask only while the run is quiet, and at most every
 * CLI_WAITING_CHECK_MS. Returns an exit code. */
static int
follow_note_waiting(session_t *s, const char *run_id, const char *host, strlist_t *said)
{
	Rota__ShowRunRequest show = ROTA__SHOW_RUN_REQUEST__INIT;
	show.run_id = (char *)run_id;
	show.tail_lines = 0;
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_SHOW;
	req.show = &show;
	Rota__Envelope *reply;
	int rc = session_call(s, &req, ROTA__RESPONSE__BODY_SHOW, &reply);
	if (rc != CLI_EXIT_OK)
		return rc;
	const Rota__ShowRunResponse *resp = reply->response->show;
	/* The full id, not what the operator typed: "last" may name
	 * another run by the time they approve. */
	char *id = xstrdup(resp->run != NULL && resp->run->id != NULL && resp->run->id[0] != '\0'
	                       ? resp->run->id
	                       : run_id);
	format_printable(id);
	for (size_t i = 0; i < resp->n_steps; i++) {
		if (follow_waiting_new(said, resp->steps[i], host))
			follow_say_waiting(resp, i, host, id, said);
	}
	free(id);
	client_reply_free(&reply);
	return CLI_EXIT_OK;
}

/* Pages (and, with follow, polls every CLI_POLL_INTERVAL_MS) with the Logs
 * cursor: for `rota logs` without -f, and a coordinator older than the
 * event stream. */
static int
follow_poll(session_t *s, const char *run_id, const char *host, int follow, unsigned flags,
            int *run_status)
{
	bool quiet = (flags & FOLLOW_QUIET) != 0;
	transcript_t *t = transcript_new(stdout);
	transcript_set_raw(t, (flags & FOLLOW_RAW) != 0);
	strlist_t said = {0};
	bool checked = false;
	int64_t checked_ms = 0;
	uint64_t after = 0;
	int rc = CLI_EXIT_OK;
	*run_status = ROTA__RUN_STATUS__RUN_STATUS_UNSPECIFIED;
	if (follow)
		session_set_following(s, run_id);

	for (;;) {
		Rota__LogsRequest logs = ROTA__LOGS_REQUEST__INIT;
		logs.run_id = (char *)run_id;
		if (host != NULL)
			logs.host = (char *)host;
		logs.after = after;
		logs.limit = CLI_LOGS_PAGE_CHUNKS;
		Rota__Request req = ROTA__REQUEST__INIT;
		req.body_case = ROTA__REQUEST__BODY_LOGS;
		req.logs = &logs;

		Rota__Envelope *reply;
		rc = session_call(s, &req, ROTA__RESPONSE__BODY_LOGS, &reply);
		if (rc != CLI_EXIT_OK)
			break;
		const Rota__LogsResponse *resp = reply->response->logs;
		uint64_t cursor = after;
		for (size_t i = 0; i < resp->n_chunks; i++) {
			const Rota__OutputChunk *c = resp->chunks[i];
			if (c == NULL)
				continue;
			if (!quiet)
				transcript_feed(t, c->host, c->step_id, c->attempt, c->stream,
				                c->data.data, c->data.len);
			if (c->id > cursor)
				cursor = c->id;
		}
		/* The coordinator's cursor wins; the chunk ids are the fallback
		 * if it sent none, so a page is never asked for twice. */
		if (resp->next > cursor)
			cursor = resp->next;
		size_t got = resp->n_chunks;
		*run_status = resp->run_status;
		client_reply_free(&reply);
		fflush(stdout);

		int moved = cursor > after;
		after = cursor;
		if (got > 0 && moved)
			continue; /* more may be waiting: ask again at once */
		if (!follow || format_run_is_terminal(*run_status))
			break;
		/* Quiet and not over: it may be waiting for an operator. */
		int64_t now = clock_mono_ms();
		if (!checked || now - checked_ms >= CLI_WAITING_CHECK_MS) {
			checked = true;
			checked_ms = now;
			rc = follow_note_waiting(s, run_id, host, &said);
			if (rc != CLI_EXIT_OK)
				break;
		}
		follow_pause(CLI_POLL_INTERVAL_MS);
	}

	strlist_free(&said);
	transcript_destroy(&t);
	fflush(stdout);
	session_set_following(s, NULL);
	return rc;
}

/* What one stream of windows has seen (follow_stream). */
typedef struct {
	transcript_t *t; /* borrowed */
	bool quiet;
	uint64_t cursor; /* every event up to it is shown */
	bool gap;        /* an event of this window was missed: ask again */
	bool ended;      /* the run's final status came */
	bool waiting;    /* a step waits for approval */
	int run_status;
} follow_stream_t;

static void
follow_on_event(void *ctx, const Rota__Event *ev)
{
	follow_stream_t *f = ctx;
	/* Each event names the one sent before it: another one means the
	 * window lost an event (a full queue); the rest of it is dropped and
	 * asked for again from the last one shown. */
	if (f->gap || ev->prev != f->cursor) {
		f->gap = true;
		return;
	}
	switch (ev->body_case) {
	case ROTA__EVENT__BODY_OUTPUT:
		if (!f->quiet)
			transcript_feed(f->t, ev->output->host, ev->output->step_id,
			                ev->output->attempt, ev->output->stream,
			                ev->output->data.data, ev->output->data.len);
		break;
	case ROTA__EVENT__BODY_STEP:
		if (ev->step->status == ROTA__STEP_STATUS__STEP_WAITING)
			f->waiting = true;
		break;
	case ROTA__EVENT__BODY_RUN:
		f->run_status = ev->run->status;
		f->ended = format_run_is_terminal(ev->run->status);
		break;
	case ROTA__EVENT__BODY_RESYNC:
		/* Ask again from its cursor: where this window stood, or (past
		 * what retention deleted) the oldest event kept. */
		f->gap = true;
		if (ev->resync->cursor > f->cursor)
			f->cursor = ev->resync->cursor;
		return;
	default:
		break;
	}
	f->cursor = ev->cursor;
}

/* Follows the run with the event stream (FollowRequest): each window's
 * events are pushed as they commit, and the next window is asked from the
 * cursor, so a reconnect or a coordinator restart neither loses nor
 * repeats a line. CLI_EXIT_UNKNOWN_REQUEST from a coordinator without it. */
static int
follow_stream(session_t *s, const char *run_id, const char *host, unsigned flags, int *run_status)
{
	follow_stream_t f = {.quiet = (flags & FOLLOW_QUIET) != 0};
	f.t = transcript_new(stdout);
	transcript_set_raw(f.t, (flags & FOLLOW_RAW) != 0);
	strlist_t said = {0};
	char *run = xstrdup(run_id); /* owned: the full id once known */
	int rc = CLI_EXIT_OK;
	int64_t last_answer = clock_mono_ms();
	session_set_event_sink(s, follow_on_event, &f);
	session_set_following(s, run_id);
	for (;;) {
		Rota__FollowRequest fr = ROTA__FOLLOW_REQUEST__INIT;
		fr.run_id = run;
		if (host != NULL)
			fr.host = (char *)host;
		fr.after = f.cursor;
		Rota__Request req = ROTA__REQUEST__INIT;
		req.body_case = ROTA__REQUEST__BODY_FOLLOW;
		req.follow = &fr;
		f.gap = false;
		Rota__Envelope *reply = NULL;
		rc = session_call_new(s, &req, ROTA__RESPONSE__BODY_FOLLOW, &reply);
		fflush(stdout);
		if (rc == CLI_EXIT_UNREACHABLE && clock_mono_ms() - last_answer < CLI_FAILOVER_MS) {
			/* The window in flight died with its coordinator: ask
			 * again from the cursor when it (or another) is back. */
			fprintf(stderr, "rota: following run %s again from where it was\n", run);
			follow_pause(CLI_FAILOVER_PAUSE_MS);
			continue;
		}
		if (rc != CLI_EXIT_OK)
			break;
		last_answer = clock_mono_ms();
		const Rota__FollowResponse *resp = reply->response->follow;
		if (resp->run_id != NULL && resp->run_id[0] != '\0' &&
		    strcmp(resp->run_id, run) != 0) {
			free(run);
			run = xstrdup(resp->run_id);
		}
		bool full = resp->resync || f.gap || resp->more;
		if (!f.gap && resp->next > f.cursor)
			f.cursor = resp->next;
		if (!f.ended && !f.gap)
			f.run_status = resp->run_status;
		client_reply_free(&reply);
		*run_status = f.run_status;
		if (f.waiting && !f.ended) {
			f.waiting = false;
			rc = follow_note_waiting(s, run, host, &said);
			if (rc != CLI_EXIT_OK)
				break;
		}
		/* Over once its final status came with everything before it. */
		if (f.ended || (!full && format_run_is_terminal(f.run_status)))
			break;
	}
	session_set_event_sink(s, NULL, NULL);
	session_set_following(s, NULL);
	strlist_free(&said);
	transcript_destroy(&f.t);
	fflush(stdout);
	free(run);
	return rc;
}

int
follow_run(session_t *s, const char *run_id, const char *host, int follow, unsigned flags,
           int *run_status)
{
	*run_status = ROTA__RUN_STATUS__RUN_STATUS_UNSPECIFIED;
	if (follow) {
		int rc = follow_stream(s, run_id, host, flags, run_status);
		if (rc != CLI_EXIT_UNKNOWN_REQUEST)
			return rc;
	}
	return follow_poll(s, run_id, host, follow, flags, run_status);
}

/* Counts the events of one window (follow_next_change). */
static void
follow_count_event(void *ctx, const Rota__Event *ev)
{
	uint64_t *cursor = ctx;
	if (ev->cursor > *cursor)
		*cursor = ev->cursor;
}

int
follow_next_change(session_t *s, const char *run_id, const char *host, uint64_t *cursor)
{
	Rota__FollowRequest fr = ROTA__FOLLOW_REQUEST__INIT;
	fr.run_id = (char *)run_id;
	if (host != NULL)
		fr.host = (char *)host;
	fr.after = *cursor;
	fr.from_now = *cursor == 0;
	fr.limit = 1;
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_FOLLOW;
	req.follow = &fr;
	uint64_t seen = *cursor;
	session_set_event_sink(s, follow_count_event, &seen);
	Rota__Envelope *reply = NULL;
	int rc = session_call_new(s, &req, ROTA__RESPONSE__BODY_FOLLOW, &reply);
	session_set_event_sink(s, NULL, NULL);
	if (rc != CLI_EXIT_OK)
		return rc;
	*cursor = reply->response->follow->next > seen ? reply->response->follow->next : seen;
	client_reply_free(&reply);
	return CLI_EXIT_OK;
}
