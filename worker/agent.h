/* agent: the worker daemon's loop.
 *
 * One zmq_poll over the DEALER to the coordinator, the executor's pipes and a
 * signalfd. It says Hello, heartbeats, runs what it is dispatched, streams
 * output as it comes, spools every Result before sending it and every
 * Output chunk as it sends it (each kept until acknowledged), and when the
 * coordinator goes silent for AGENT_LOST_INTERVALS heartbeats it drops the
 * connection and reconnects with backoff. */
#ifndef ROTA_AGENT_H
#define ROTA_AGENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "keys.h"
#include "wire.h"

#define AGENT_DEFAULT_ENDPOINT "tcp://127.0.0.1:7400"
#define AGENT_DEFAULT_SPOOL "/var/lib/rota-worker"
#define AGENT_HEARTBEAT_MS 1000 /* until Welcome says otherwise */
#define AGENT_LOST_INTERVALS 5
/* Heartbeats of silence after which a worker with several coordinators
 * asks the others who leads (agent_probe.c): more than the longest quiet
 * gap of a live coordinator (it sends a heartbeat every one and a half to
 * two intervals), fewer than AGENT_LOST_INTERVALS. Then it asks again
 * every heartbeat / AGENT_PROBE_EVERY_DIV until its coordinator speaks or
 * is given up. */
#define AGENT_PROBE_INTERVALS 3
#define AGENT_PROBE_EVERY_DIV 4
#define AGENT_BACKOFF_MIN_MS 250
#define AGENT_BACKOFF_MAX_MS WIRE_RECONNECT_MAX_MS
#define AGENT_HELLO_RETRY_MS 2000
#define AGENT_DEFAULT_CAPACITY 32
#define AGENT_MAX_CAPACITY 1024     /* keeps a Hello's in-flight list in bounds */
#define AGENT_HELLO_MAX_SPOOLED 256 /* the rest follow the Welcome */
#define AGENT_HELLO_MAX_KEYS 4000   /* below the coordinator's limit of 4096 */
#define AGENT_RESEND_INTERVALS 5    /* heartbeats between resends of unacked results and output */
#define AGENT_RESEND_MAX_MS 60000   /* the resend interval backs off up to this */
/* Output a step may send (and the spool hold) when its spec sets no limit. */
#define AGENT_OUTPUT_LIMIT_BYTES (16u * 1024 * 1024)
#define AGENT_STOP_GRACE_MS 2000     /* on SIGTERM: time for final results to be acked */
#define AGENT_DEFAULT_DRAIN_MS 30000 /* on SIGTERM: time running steps get to finish */
#define AGENT_MAX_DRAIN_MS 86400000  /* --drain at most a day */
/* At start: a leftover step group gets this long after SIGTERM before
 * SIGKILL (the poll loop has not started yet, so keep it short). */
#define AGENT_LEFTOVER_GRACE_MS 2000
#define AGENT_LEFTOVER_POLL_MS 50
#define AGENT_HANDSHAKE_LOG_MS 30000 /* a failing handshake is logged at most this often */
#define AGENT_CHECK_DETAIL_MAX 400   /* bytes of a check's summary line kept as its detail */
#define AGENT_DEFAULT_UMASK 022
#define AGENT_DEFAULT_WORKDIR "/"
/* The PATH of every step: a fixed, root-owned search path, never the
 * worker's own (which a service manager or a shell may have set). */
#define AGENT_STEP_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

typedef struct {
	const char *endpoint;
	const char *id;
	const char *spool_dir;
	const char *const *labels; /* "k=v", NULL-terminated */
	/* --address: the addresses the host is known by, NULL-terminated;
	 * NULL or empty: its interfaces' (hostaddr.h). */
	const char *const *addresses;
	uint32_t capacity;
	/* On SIGTERM, running steps get this long to finish before their
	 * groups are killed (0: killed at once). */
	uint32_t drain_ms;
	/* CURVE (both or neither; borrowed, must outlive the agent): this
	 * worker's key pair and the coordinator's public key, pinned. */
	const keys_pair_t *key;
	const keys_pair_t *coordinator_key;
	/* What steps may do here (docs/security.md); each list
	 * NULL-terminated, borrowed. */
	const char *const *allow_users;    /* run_as names allowed; NULL/empty: none */
	const char *const *pass_env;       /* worker variables a step inherits */
	const char *const *allow_runbooks; /* fnmatch globs; NULL/empty: every runbook */
	const char *const *allow_types;    /* step types; NULL/empty: every type */
	mode_t umask;                      /* of every step */
	const char *workdir;               /* where steps run; a step's workdir must be in it */
	/* With allow_runbooks: also run ad-hoc runs (StepSpec.adhoc, a file
	 * submitted rather than a loaded runbook), which no glob matches. */
	bool allow_adhoc;
	/* The rota-check program that check children exec (check.h);
	 * borrowed. NULL: every check ends in error. */
	const char *check_helper;
} agent_config_t;

typedef struct agent agent_t;

agent_t *agent_new(const agent_config_t *config, char **error);
/* Runs until SIGTERM or SIGINT, then stops (docs/operations.md): says
 * Goodbye so the coordinator sends nothing new, lets running steps finish
 * for drain_ms, cancels the rest (SIGTERM, grace, SIGKILL to each group),
 * spools their results as cancelled, waits up to AGENT_STOP_GRACE_MS for
 * the coordinator to acknowledge what it holds. Returns 0 on a clean stop. */
int agent_run(agent_t *a);
void agent_destroy(agent_t **ap);

#endif
