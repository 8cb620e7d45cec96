/* agent_internal: what the worker agent's files share, and nothing else
 * includes. The agent (agent.h) is one object in six files, one job each:
 *
 *   agent.c         the loop: life, signals, the stop, a previous process's
 *                   leftovers, one zmq_poll a turn
 *   agent_link.c    the link to the coordinator: Hello, Welcome, reconnect,
 *                   heartbeats, every Result spooled then sent, the resend
 *                   of what is not acknowledged, the messages it sends us
 *   agent_step.c    a step's life here: the order accepted or refused, the
 *                   child started as its kind says (agent_kind.h), its
 *                   Result when it ends
 *   agent_output.c  a step's output: redacted, the head sent as it comes,
 *                   the tail kept, every chunk spooled
 *   agent_probe.c   who leads, asked of the other coordinators of the list
 *                   while ours is silent (a frozen leader's successor)
 *   step_policy.c   what a step may do here (pure functions, step_policy.h)
 *
 * Must never: be included outside worker/agent*.c. */
#ifndef ROTA_AGENT_INTERNAL_H
#define ROTA_AGENT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zmq.h>

#include "agent.h"
#include "eplist.h"
#include "executor.h"
#include "redactor.h"
#include "spool.h"
#include "strlist.h"
#include "wire.h"

typedef enum { AGENT_HELLO_SENT, AGENT_READY } agent_state_t;

/* A probe of another coordinator of the list while ours is silent
 * (agent_probe.c). */
typedef struct {
	void *sock;                             /* owned DEALER; NULL when unused */
	char endpoint[EPLIST_MAX_ENDPOINT + 1]; /* what it dials */
} agent_probe_t;

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
	/* A check's current line, while it may be its recorded value
	 * (CHECK_VALUE_PREFIX): value holds the last complete one, "" when the
	 * last line is not one. */
	char line[64];
	size_t line_len;
	bool line_long;
	char value[64];
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
	/* owned: --coordinator's endpoints, and the one dialled now (a
	 * Redirect's target, or the next one after a silence). */
	eplist_t *endpoints;
	/* Followed a Redirect since the last Welcome: the next one waits
	 * for the backoff, so two coordinators that point at each other
	 * (an election under way) are not dialled in a tight loop. */
	bool redirected;
	/* Coordinators of the list that failed since the last full round
	 * (or Welcome): the backoff doubles once per round. */
	size_t round_failed;
	char hostname[256];
	/* owned: what Hello.addresses says (cfg.addresses, else this host's
	 * interfaces: hostaddr.h), found once at start. */
	strlist_t addresses;
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
	int64_t last_tx; /* mono ms of the last message sent to it */
	/* The last Heartbeat sent said the spool fails: the next one goes
	 * even when other messages went, to say whether it works again. */
	bool hb_spool_failing;
	/* While the coordinator has been silent for AGENT_PROBE_INTERVALS
	 * heartbeats: the other coordinators of the list, asked who leads
	 * (agent_probe.c). probes_open counts the entries in use. */
	agent_probe_t probes[EPLIST_MAX];
	size_t probes_open;
	int64_t next_probe; /* mono ms of the next round of probes */
	int64_t next_heartbeat;
	int64_t hello_sent_at;
	int64_t reconnect_at; /* mono ms; 0 = connected */
	int64_t next_resend;  /* mono ms of the next resend of unacked results and output */
	int64_t resend_ms;    /* the interval now (agent_link_schedule_resend) */
	bool misdialled;      /* told it dialled the operator API */
	bool welcomed_once;   /* some coordinator answered since start */
	int64_t backoff_ms;
	/* After the coordinator's Goodbye: reconnect at a fixed short interval
	 * (no backoff) until a coordinator answers; with other coordinators
	 * to try, until the line goes silent (agent_link_awaits_return). */
	bool prompt;
	bool away_logged;  /* said once that the coordinator is not back yet */
	uint64_t instance; /* random per process: Hello.instance */
	bool stopping;
	bool cancelled_all;     /* the drain ran out (or was 0): groups killed */
	int64_t drain_deadline; /* mono ms */
	wire_stats_t wire;
	zmq_pollitem_t *items; /* owned: grows with the executor's pipes */
	int *fds;              /* owned */
	size_t poll_cap;
};

/* ---- the link to the coordinator (agent_link.c) -------------------------- */

/* The spool key of a step attempt: run, step and attempt (host is us).
 * Lengths prefix the ids, so no id can be read as part of another. The
 * caller frees it. */
char *agent_link_keytext(const char *run_id, const char *step_id, uint32_t attempt);
/* The inverse of agent_link_keytext (*run_id and *step_id the caller's);
 * -1 for a key it did not write. */
int agent_link_keytext_parse(const char *text, char **run_id, char **step_id, uint32_t *attempt);
/* Sends env when connected; a failure other than EAGAIN is logged. */
void agent_link_send(agent_t *a, Rota__Envelope *env);
/* key borrows j's strings. */
void agent_link_fill_key(agent_t *a, const agent_job_t *j, Rota__StepKey *key);
void agent_link_hello(agent_t *a);
void agent_link_close(agent_t *a);
/* Reads the socket monitor's handshake events and logs a failure. */
void agent_link_monitor(agent_t *a);
/* A new DEALER to the coordinator, then Hello. -1 when it cannot be made. */
int agent_link_connect(agent_t *a);
/* The coordinator endpoint dialled now; borrowed. */
const char *agent_link_endpoint(const agent_t *a);
/* Drops the connection and schedules the reconnect with backoff, to the
 * next endpoint of --coordinator's list when it has several. */
void agent_link_disconnect(agent_t *a, const char *why);
/* Whether a coordinator silent for AGENT_LOST_INTERVALS heartbeats is one
 * that said goodbye and is the only one to dial: it is away, not silent,
 * and is waited for (said once, at info); false: give it up as silent. */
bool agent_link_awaits_return(agent_t *a, int64_t now);
/* Forgets a Result held in memory (one the spool could not keep). */
void agent_link_unhold(agent_t *a, const char *keytext);
size_t agent_link_held_count(const agent_t *a);
/* Every Result goes through here: spooled (or held) before it is sent. r
 * is borrowed. */
void agent_link_report(agent_t *a, const char *keytext, Rota__Result *r);
/* Sends a result as the spool holds it (packed). -1 when it is unreadable. */
int agent_link_send_spooled(agent_t *a, const uint8_t *data, size_t len);
/* Tells the coordinator this worker is stopping. */
void agent_link_goodbye(agent_t *a);
/* Sends every unacknowledged chunk and result again; whether there was any. */
bool agent_link_resend_all(agent_t *a);
/* Sets the next resend (progress: back to the base interval). */
void agent_link_schedule_resend(agent_t *a, bool progress);
void agent_link_heartbeat(agent_t *a);
/* Whether the heartbeat due at now is to be sent: not when something else
 * went to the coordinator within the interval (it counts any frame). */
bool agent_link_heartbeat_due(agent_t *a, int64_t now);
/* One message from the coordinator (env borrowed). */
void agent_link_handle(agent_t *a, Rota__Envelope *env);

/* ---- who leads, asked while the coordinator is silent (agent_probe.c) ---- */

/* Opens, sends and closes the probes as the silence of the coordinator
 * says; call once a turn. */
void agent_probe_tick(agent_t *a, int64_t now);
/* When agent_probe_tick has something to do next (mono ms); INT64_MAX for
 * nothing. */
int64_t agent_probe_due(const agent_t *a);
/* Adds the open probes to items (room for EPLIST_MAX); returns how many. */
size_t agent_probe_pollitems(agent_t *a, zmq_pollitem_t *items);
/* Reads the answers of the probes whose items (as agent_probe_pollitems
 * added them) are readable; may move the link to a newer leader. */
void agent_probe_read(agent_t *a, const zmq_pollitem_t *items, size_t n);
/* Closes every probe. */
void agent_probe_stop(agent_t *a);

/* ---- a step's output (agent_output.c) ------------------------------------ */

/* The executor's on_output callback (ctx is the agent). */
void agent_output_feed(void *ctx, uint64_t job, int stream, const uint8_t *data, size_t len);
/* At the end of the step's streams: what the redactors held back. */
void agent_output_flush_redacted(agent_t *a, agent_job_t *j);
/* At the end of a step past its limit: the note of what was dropped, then
 * the tail. */
void agent_output_tail_flush(agent_t *a, agent_job_t *j);
void agent_output_tail_free(agent_job_t *j);
/* The spool lost output of running steps (only, or all when NULL): each of
 * their Results will say so. */
void agent_output_spool_failed(agent_t *a, agent_job_t *only);

/* ---- a step's life (agent_step.c) ---------------------------------------- */

/* A Dispatch from the coordinator (d borrowed): refused, answered from the
 * spool, or started. */
void agent_step_start(agent_t *a, const Rota__Dispatch *d);
/* The executor's on_done callback (ctx is the agent): the Result, then the
 * job is freed. */
void agent_step_on_done(void *ctx, uint64_t job, const exec_result_t *res);
/* The running step of an executor job, or NULL. */
agent_job_t *agent_step_by_exec(agent_t *a, uint64_t exec_id);
/* Frees a job that is off the list (NULL is fine). */
void agent_step_free(agent_job_t *j);

#endif
