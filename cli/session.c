/* session: a lazily connected client and the words for its failures.
 *
 * Must never: let a failure pass silently, or exit the process itself;
 * the command returns the code so main can clean up. */
#include "session.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "answer.h"
#include "cli.h"
#include "client.h"
#include "clock.h"
#include "keys.h"
#include "usage.h"
#include "wire.h"
#include "xalloc.h"

struct session {
	eplist_t *endpoints; /* owned: --coordinator's list; the current one is dialled */
	char *following;
	char *key_path;             /* owned; NULL: no CURVE */
	char *coordinator_key_path; /* owned */
	client_t *client;
	client_event_fn on_event; /* session_set_event_sink: every client gets it */
	void *event_ctx;
	bool quiet_unknown; /* session_call_new */
};

session_t *
session_new(eplist_t **endpoints)
{
	session_t *s = xcalloc(1, sizeof(*s));
	s->endpoints = *endpoints;
	*endpoints = NULL;
	return s;
}

/* The endpoint dialled now; borrowed. */
static const char *
session_endpoint(const session_t *s)
{
	return eplist_current(s->endpoints);
}

/* Whether another coordinator may answer when this one does not. */
static bool
session_alternatives(const session_t *s)
{
	return eplist_count(s->endpoints) > 1 || eplist_redirected(s->endpoints);
}

void
session_destroy(session_t **sp)
{
	session_t *s = *sp;
	if (s == NULL)
		return;
	client_destroy(&s->client);
	free(s->key_path);
	free(s->coordinator_key_path);
	eplist_destroy(&s->endpoints);
	free(s->following);
	free(s);
	*sp = NULL;
}

/* What Ctrl-C prints while a run is followed, built beforehand: the handler
 * may only write(2) it. */
static char session_interrupt_text[256];
static volatile sig_atomic_t session_interrupt_len;

static void
session_on_interrupt(int sig)
{
	(void)sig;
	if (session_interrupt_len > 0) {
		ssize_t n =
		    write(STDERR_FILENO, session_interrupt_text, (size_t)session_interrupt_len);
		(void)n;
	}
	_exit(130);
}

void
session_set_following(session_t *s, const char *run_id)
{
	free(s->following);
	s->following = xstrdup(run_id);
	if (run_id == NULL) {
		session_interrupt_len = 0;
		signal(SIGINT, SIG_DFL);
		return;
	}
	int n = snprintf(session_interrupt_text, sizeof(session_interrupt_text),
	                 "\nrota: stopped following run %s; the run goes on (rota logs -f %s,"
	                 " rota show %s)\n",
	                 run_id, run_id, run_id);
	if (n < 0 || (size_t)n >= sizeof(session_interrupt_text))
		n = 0;
	session_interrupt_len = n;
	signal(SIGINT, session_on_interrupt);
}

void
session_set_keys(session_t *s, const char *key_path, const char *coordinator_key_path)
{
	free(s->key_path);
	free(s->coordinator_key_path);
	s->key_path = xstrdup(key_path);
	s->coordinator_key_path = xstrdup(coordinator_key_path);
}

/* Makes the client: plain, or CURVE with the keys read now. */
static int
session_connect(session_t *s)
{
	if (s->key_path == NULL) {
		s->client = client_new(session_endpoint(s));
	} else {
		keys_pair_t mine, server;
		char *error = NULL;
		if (keys_load_secret(s->key_path, &mine, &error) != 0 ||
		    keys_load_public(s->coordinator_key_path, &server, &error) != 0) {
			fprintf(stderr, "rota: %s\n", error);
			free(error);
			keys_wipe(&mine);
			return CLI_EXIT_USAGE;
		}
		s->client = client_new_curve(session_endpoint(s), &mine, &server);
		keys_wipe(&mine);
	}
	if (s->client == NULL)
		return usage_error("cannot use coordinator endpoint '%s' (%s); give one "
		                   "like " CLI_DEFAULT_ENDPOINT
		                   " with --coordinator or " CLI_ENDPOINT_ENV,
		                   session_endpoint(s), zmq_strerror(errno));
	client_set_leave_when_down(s->client, session_alternatives(s));
	client_set_event_sink(s->client, s->on_event, s->event_ctx);
	return CLI_EXIT_OK;
}

static const char *
session_error_name(Rota__ErrorCode code)
{
	switch (code) {
	case ROTA__ERROR_CODE__ERR_BAD_REQUEST:
		return "bad request";
	case ROTA__ERROR_CODE__ERR_NOT_FOUND:
		return "not found";
	case ROTA__ERROR_CODE__ERR_UNKNOWN_RUNBOOK:
		return "unknown runbook";
	case ROTA__ERROR_CODE__ERR_BAD_RUNBOOK:
		return "bad runbook";
	case ROTA__ERROR_CODE__ERR_BAD_PARAMS:
		return "bad params";
	case ROTA__ERROR_CODE__ERR_NO_TARGETS:
		return "no targets";
	case ROTA__ERROR_CODE__ERR_INTERNAL:
		return "internal error";
	case ROTA__ERROR_CODE__ERR_UNAVAILABLE:
		return "unavailable";
	case ROTA__ERROR_CODE__ERR_CONFLICT:
		return "conflict";
	case ROTA__ERROR_CODE__ERR_FORBIDDEN:
		return "forbidden";
	case ROTA__ERROR_CODE__ERR_REDIRECT:
		return "redirected to the leader";
	default:
		return "error";
	}
}

static void
session_report_timeout(const session_t *s)
{
	int secs = CLI_TIMEOUT_MS / 1000;
	if (s->following != NULL)
		fprintf(
		    stderr,
		    "rota: lost the coordinator at %s (no answer within %d s) while following "
		    "run %s; is rota-coordinator running? The run is not stopped: 'rota logs -f "
		    "%s' picks it up again.\n",
		    session_endpoint(s), secs, s->following, s->following);
	else
		fprintf(stderr,
		        "rota: cannot reach the coordinator at %s (no answer within %d s); is "
		        "rota-coordinator running? Set --coordinator or " CLI_ENDPOINT_ENV ".\n",
		        session_endpoint(s), secs);
}

/* Several coordinators, none of which answered: what each did. */
static void
session_report_none(const session_t *s, const char *tried)
{
	if (s->following != NULL)
		fprintf(stderr,
		        "rota: lost every coordinator while following run %s (for %d s: %s); the"
		        " run is not stopped: 'rota logs -f %s' picks it up again.\n",
		        s->following, CLI_FAILOVER_MS / 1000, tried, s->following);
	else
		fprintf(stderr,
		        "rota: cannot reach a coordinator that answers (%s); is a leader"
		        " running? Set --coordinator or " CLI_ENDPOINT_ENV ".\n",
		        tried);
}

/* An answer that is not a Redirect: the body expected, or the error said. */
static int
session_answer(session_t *s, Rota__Envelope *env, Rota__Response__BodyCase expect,
               Rota__Envelope **reply)
{
	const Rota__Response *resp = env->response;
	if (resp->error != NULL && s->quiet_unknown &&
	    resp->error->code == ROTA__ERROR_CODE__ERR_BAD_REQUEST &&
	    resp->error->message != NULL &&
	    strncmp(resp->error->message, "unknown request", 15) == 0) {
		client_reply_free(&env);
		return CLI_EXIT_UNKNOWN_REQUEST;
	}
	if (resp->error != NULL) {
		const char *msg = resp->error->message;
		if (msg == NULL || msg[0] == '\0')
			msg = session_error_name(resp->error->code);
		fprintf(stderr, "rota: refused: %s\n", msg);
		client_reply_free(&env);
		return CLI_EXIT_REFUSED;
	}
	if (resp->body_case != expect || !answer_present(resp)) {
		char want[64], got[64];
		answer_name(expect, want, sizeof(want));
		answer_name(resp->body_case, got, sizeof(got));
		fprintf(stderr,
		        "rota: the coordinator at %s answered a %s request with a %s answer; are "
		        "rota and rota-coordinator the same version?\n",
		        session_endpoint(s), want, got);
		client_reply_free(&env);
		return CLI_EXIT_REFUSED;
	}
	*reply = env;
	return CLI_EXIT_OK;
}

/* A failure of the client that no other coordinator would mend (a key
 * refused, a handshake failed, an answer too large, libzmq): said, and
 * its exit code. */
static int
session_report_failure(session_t *s, int rc)
{
	if (rc == CLIENT_ERR_REFUSED) {
		fprintf(stderr,
		        "rota: the coordinator at %s refused this operator's key (%s): %s\n",
		        session_endpoint(s), s->key_path ? s->key_path : "no key",
		        client_why(s->client));
		return CLI_EXIT_REFUSED;
	}
	if (rc == CLIENT_ERR_HANDSHAKE) {
		fprintf(stderr, "rota: cannot talk to the coordinator at %s: %s\n",
		        session_endpoint(s), client_why(s->client));
		return CLI_EXIT_UNREACHABLE;
	}
	if (rc == CLIENT_ERR_TOO_LARGE) {
		fprintf(stderr,
		        "rota: the coordinator at %s sent an answer too large (over %d bytes) to"
		        " read; ask for less (--limit N, or rota logs RUN --host HOST for a"
		        " run's output)\n",
		        session_endpoint(s), WIRE_MAX_ANSWER_BYTES);
		return CLI_EXIT_REFUSED;
	}
	fprintf(stderr, "rota: cannot talk to the coordinator at %s: %s\n", session_endpoint(s),
	        zmq_strerror(errno));
	return CLI_EXIT_UNREACHABLE;
}

/* Appends "EP: what" to tried (len bytes), "; " between entries. */
static void
session_note(char *tried, size_t len, const char *ep, const char *what)
{
	size_t at = strlen(tried);
	if (at + 1 < len)
		snprintf(tried + at, len - at, "%s%s: %s", at ? "; " : "", ep, what);
}

/* Drops the connection; the next call dials the current endpoint. */
static void
session_drop(session_t *s)
{
	client_destroy(&s->client);
}

void
session_set_event_sink(session_t *s, client_event_fn fn, void *ctx)
{
	s->on_event = fn;
	s->event_ctx = ctx;
	if (s->client != NULL)
		client_set_event_sink(s->client, fn, ctx);
}

int
session_call_new(session_t *s, Rota__Request *req, Rota__Response__BodyCase expect,
                 Rota__Envelope **reply)
{
	s->quiet_unknown = true;
	int rc = session_call(s, req, expect, reply);
	s->quiet_unknown = false;
	return rc;
}

int
session_call(session_t *s, Rota__Request *req, Rota__Response__BodyCase expect,
             Rota__Envelope **reply)
{
	*reply = NULL;
	/* One pass tries each coordinator of the list once (a Redirect's
	 * target counts as one), following at most CLI_MAX_REDIRECTS
	 * redirects. While following a run, passes go on until
	 * CLI_FAILOVER_MS: a failover takes a lease and a takeover. */
	int64_t give_up = clock_mono_ms() + CLI_FAILOVER_MS;
	size_t failed = 0;
	size_t leaderless = 0; /* of the failed: followers that knew no leader */
	int hops = 0;
	char tried[1024] = "";
	for (;;) {
		if (s->client == NULL) {
			int rc = session_connect(s);
			if (rc != CLI_EXIT_OK)
				return rc;
		}
		Rota__Envelope *env = NULL;
		int rc = client_call(s->client, req, CLI_TIMEOUT_MS, &env);
		const char *what = NULL;
		char said[EPLIST_MAX_ENDPOINT + 320];
		if (rc == CLIENT_OK && env->response->redirect == NULL) {
			int arc = session_answer(s, env, expect, reply);
			/* A leader found through a redirect is dialled directly
			 * by the next call. */
			return arc;
		}
		if (rc == CLIENT_OK) {
			const Rota__Redirect *r = env->response->redirect;
			const char *to = r->endpoint ? r->endpoint : "";
			char why[160];
			if (to[0] == '\0') {
				what = "a follower that knows no leader now";
				leaderless++;
			} else if (hops >= CLI_MAX_REDIRECTS) {
				snprintf(said, sizeof(said),
				         "redirected again (to %.*s) after %d redirects: do the"
				         " coordinators agree on who leads? (rota status on each)",
				         EPLIST_MAX_ENDPOINT, to, hops);
				what = said;
			} else if (eplist_follow(s->endpoints, to, why, sizeof(why)) != 0) {
				snprintf(said, sizeof(said),
				         "redirected to '%.*s', not followed: %s",
				         EPLIST_MAX_ENDPOINT, to, why);
				what = said;
			}
			if (what == NULL) {
				/* Not done there: the leader gets the request. */
				client_reply_free(&env);
				session_drop(s);
				hops++;
				continue;
			}
			/* Without another coordinator to try, the follower's own
			 * words say what to do. */
			if (!session_alternatives(s)) {
				const Rota__Error *e = env->response->error;
				fprintf(stderr, "rota: %s: %s\n", session_endpoint(s),
				        to[0] == '\0' && e && e->message && e->message[0]
				            ? e->message
				            : what);
				/* to is the answer's: read before the answer is freed. */
				bool leaderless_here = to[0] == '\0';
				client_reply_free(&env);
				return leaderless_here ? CLI_EXIT_REFUSED : CLI_EXIT_UNREACHABLE;
			}
			client_reply_free(&env);
		} else if (rc == CLIENT_ERR_TIMEOUT || rc == CLIENT_ERR_DOWN) {
			/* A request that may have been read is sent elsewhere only
			 * while following a run, whose polls are reads: anything
			 * else might be done twice. */
			bool resend = s->following != NULL || !client_may_have_reached(s->client);
			if (!session_alternatives(s)) {
				session_report_timeout(s);
				return CLI_EXIT_UNREACHABLE;
			}
			if (!resend) {
				fprintf(stderr,
				        "rota: the coordinator at %s %s; the request may have been"
				        " done there: check (rota runs, rota show) before asking"
				        " again\n",
				        session_endpoint(s),
				        rc == CLIENT_ERR_DOWN
				            ? "closed the connection before answering"
				            : "did not answer within 5 s");
				return CLI_EXIT_UNREACHABLE;
			}
			if (rc == CLIENT_ERR_DOWN) {
				what = "refused or closed the connection";
			} else {
				snprintf(said, sizeof(said), "no answer within %d s",
				         CLI_TIMEOUT_MS / 1000);
				what = said;
			}
		} else {
			return session_report_failure(s, rc);
		}
		/* This coordinator did not answer: the next one. */
		session_note(tried, sizeof(tried), session_endpoint(s), what);
		session_drop(s);
		eplist_next(s->endpoints);
		failed++;
		if (failed < eplist_count(s->endpoints) && hops <= CLI_MAX_REDIRECTS)
			continue;
		if (s->following == NULL || clock_mono_ms() >= give_up) {
			/* Every coordinator answered, and none leads: refused as
			 * unavailable (nothing was done), not unreachable. */
			if (leaderless == failed) {
				fprintf(stderr,
				        "rota: unavailable: no coordinator leads now (%s): an"
				        " election is under way or the store is out of reach;"
				        " nothing was done: try again in a few seconds\n",
				        tried);
				return CLI_EXIT_REFUSED;
			}
			session_report_none(s, tried);
			return CLI_EXIT_UNREACHABLE;
		}
		struct timespec ts = {.tv_sec = 0, .tv_nsec = CLI_FAILOVER_PAUSE_MS * 1000000L};
		nanosleep(&ts, NULL);
		failed = 0;
		leaderless = 0;
		hops = 0;
		tried[0] = '\0';
	}
}
