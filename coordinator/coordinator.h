/* coordinator: the daemon's life: bind, load, one poll loop, stop.
 *
 * One thread, one zmq_poll over the workers' ROUTER, the operators' ROUTER
 * and a signalfd. Each turn: read what is ready, let the registry and the
 * dispatcher act, commit the store once, then send what the turn queued. */
#ifndef ROTA_COORDINATOR_H
#define ROTA_COORDINATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rota.pb-c.h"

#define COORDINATOR_DEFAULT_WORKER_EP "tcp://127.0.0.1:7400"
#define COORDINATOR_DEFAULT_API_EP "tcp://127.0.0.1:7401"
#define COORDINATOR_DEFAULT_DATA_DIR "/var/lib/rota"
#define COORDINATOR_DEFAULT_RUNBOOKS "/etc/rota/runbooks"
#define COORDINATOR_HEARTBEAT_MS 1000
/* The coordinator sends its own Heartbeat to a worker every this many
 * intervals, not every one: at 10,000 workers the I/O thread's cost is the
 * message count, and a worker hears a sign of life well inside its 5
 * intervals (docs/decisions.md, "Coordinator heartbeats"). Workers still
 * send theirs every interval. */
#define COORDINATOR_HEARTBEAT_EVERY 2
#define COORDINATOR_OUTPUT_CAP_BYTES (1024 * 1024)
#define COORDINATOR_TICK_MS 100 /* dispatcher watchdog cadence */
/* How often the store file and the lock file are checked for having been
 * deleted or replaced under the coordinator (storelock.h). */
#define COORDINATOR_STORE_CHECK_MS 1000
#define COORDINATOR_BATCH 1000           /* messages read per socket per turn */
#define COORDINATOR_RESYNC_RETRY_MS 1000 /* between reloads of a failing store */
#define COORDINATOR_DROP_LOG_MS 60000    /* one log line per peer per minute */
/* Messages queued for one peer before a send to it fails (ZMQ_SNDHWM).
 * A turn answers its requests in one burst after the commit, and a socket
 * learns what its peer has read only every half queue: at libzmq's 1,000
 * a client with 1,000 requests in flight lost answers. Ten times that
 * covers such a client; a peer that reads nothing is refused past it, and
 * that is counted and logged (rota_sends_dropped_total). */
#define COORDINATOR_PEER_QUEUE 10000
/* How often a leader on a shared store looks for alerts followers kept,
 * and how many it acts on a turn (docs/ha.md). */
#define COORDINATOR_INBOX_MS 1000
#define COORDINATOR_INBOX_BATCH 16
#define COORDINATOR_SETTLE_MS 10000 /* at most, for known workers to return */
/* After SIGTERM: the API refuses new work this long, and the workers'
 * goodbyes leave, before the process exits (well inside systemd's 5 s). */
#define COORDINATOR_STOP_LINGER_MS 500
/* A Hello lists what a worker runs and holds; more than this is not a
 * worker but a flood. */
#define COORDINATOR_HELLO_MAX_KEYS 4096
/* Labels, hostname and version are bounded by wire_hello_check
 * (WIRE_MAX_LABELS...), which tells the worker why. */

typedef struct {
	const char *data_dir;
	const char *worker_endpoint;
	const char *api_endpoint;
	const char *runbooks_dir;
	const char *config_path; /* the YAML configuration (config.h); NULL: defaults */
	const char *http;        /* "ADDR:PORT" or "off"; NULL: the config's */
	/* The alert intake's bearer token file (--http-token); NULL: the
	 * config's http_token_file. Beyond loopback one is required unless
	 * insecure. */
	const char *http_token_file;
	/* PEM files for HTTPS (--http-tls-cert, --http-tls-key): both, or
	 * neither (plain HTTP). */
	const char *http_tls_cert;
	const char *http_tls_key;
	uint32_t heartbeat_ms;
	/* The workers' heartbeats taken in a second at most: a larger fleet
	 * is given a longer interval (registry.h; 0: no bound). */
	uint32_t max_heartbeats_per_second;
	uint64_t output_cap;
	/* Keys and the secure default (security.h); main fills the paths in
	 * from the data directory when they are not given. */
	const char *key_file;
	const char *workers_dir;
	const char *operators_file;
	bool insecure;
	/* The leader's lease (--lease; leader.h): 0 for the default. */
	int64_t lease_ms;
	/* This coordinator's name (--id, checked by config_id_check): NULL
	 * for the configuration's id:, else the host name. */
	const char *id;
	/* The store (--store): a postgresql:// URL; NULL: ROTA_STORE, else
	 * the configuration's store:, else SQLite in data_dir
	 * (coordinator_store_plan decides). */
	const char *store;
	const char *store_password_file; /* NULL: the configuration's */
	/* What others are sent to in order to reach this coordinator
	 * (redirect.h): --advertise-worker, --advertise-api,
	 * --advertise-http; NULL: the endpoint as bound. */
	const char *advertise_worker;
	const char *advertise_api;
	const char *advertise_http;
	/* --read-only: never lead, write nothing (the store is opened
	 * query-only): answers rota status and /metrics from what the store
	 * holds, e.g. to check a restored backup. */
	bool read_only;
} coordinator_config_t;

typedef struct coordinator coordinator_t;

/* What start decides about HTTP, from the flags and the configuration:
 * off (addr NULL), or the address, the token (read from its file) and
 * whether the alert intake is closed (CURVE without a token) or insecure
 * (beyond loopback without a token, --insecure). Shared by the start and
 * `--check` (preflight.c), so both refuse the same things. */
typedef struct {
	const char *addr; /* borrowed from the options or config; NULL: HTTP off */
	char *host;       /* owned */
	uint16_t port;
	char *token;          /* owned: NULL without a token file */
	char *token_file;     /* owned: the file read, or NULL */
	char token_name[128]; /* the audit's actor for what alerts do */
	bool intake_closed;
	bool insecure;
	char *tls_cert; /* owned: PEM text, or NULL (plain HTTP) */
	char *tls_key;  /* owned: PEM text, or NULL; wiped when cleared */
	/* Beyond loopback over plain HTTP without --insecure: the console and
	 * its API refuse to serve (sessions would cross the network in the
	 * clear); the alert intake, /metrics and /healthz still answer. */
	bool console_needs_tls;
} coordinator_http_plan_t;

typedef struct config config_t;

/* 0 with *p filled (clear it with coordinator_http_plan_clear), or -1 with
 * *error (the caller frees) for what start would refuse. */
int coordinator_http_plan(const coordinator_config_t *opts, const config_t *config, bool curve,
                          coordinator_http_plan_t *p, char **error);
void coordinator_http_plan_clear(coordinator_http_plan_t *p);

/* The environment variable that names the store when --store does not. */
#define COORDINATOR_STORE_ENV "ROTA_STORE"

/* What start opens as its store (coordinator_store.c): --store, else
 * ROTA_STORE, else the configuration's store:, checked; and the password
 * file for it (--store-password-file, else store_password_file:). Shared
 * by the start and --check. Keys and the lock stay in the data directory
 * whatever the store. */
typedef struct {
	char *target;        /* owned: the postgresql:// URL; NULL: SQLite, DATA_DIR/rota.db */
	char *password_file; /* owned: NULL without one */
	char *source;        /* owned: where target came from, for messages; NULL for SQLite */
} coordinator_store_plan_t;

/* 0 with *p filled (clear it with coordinator_store_plan_clear), or -1
 * with *error (the caller frees) for what start would refuse: a URL that
 * is not postgresql:// or postgres://, one that holds a password, a
 * password file without a PostgreSQL store, or one that cannot be read,
 * is empty or is readable by group or others. config may be NULL. */
int coordinator_store_plan(const coordinator_config_t *opts, const config_t *config,
                           coordinator_store_plan_t *p, char **error);
void coordinator_store_plan_clear(coordinator_store_plan_t *p);
/* The checks of a store URL (config.c checks the file's store: with it);
 * 0, or -1 with *why (the caller frees), which never repeats a password. */
int coordinator_store_check_url(const char *url, char **why);
/* A password file: regular, not readable by group or others, a first
 * line. 0, or -1 with *why (the caller frees). */
int coordinator_store_check_password_file(const char *path, char **why);

/* --import-sqlite DIR (coordinator_import.c): copies the SQLite store of
 * DIR (its coordinator stopped) into the empty PostgreSQL store the plan
 * names, prints the rows per table to out. 0, or -1 with *error (the
 * caller frees). */
int coordinator_import(const coordinator_config_t *cfg, const char *dir, FILE *out, char **error);

/* Opens the store, loads runbooks, binds both endpoints and writes the
 * bound endpoints to DATA_DIR/endpoints. NULL with *error (caller frees). */
coordinator_t *coordinator_new(const coordinator_config_t *config, char **error);
/* Runs the loop until SIGTERM or SIGINT, then stops: commits the last
 * turn, sends every connected worker a Goodbye, refuses new runs for
 * COORDINATOR_STOP_LINGER_MS. Returns 0 on a clean stop. */
int coordinator_run(coordinator_t *c);
void coordinator_destroy(coordinator_t **cp);

/* The checks a Hello passes before it touches the registry: its worker_id
 * is the ROUTER identity it came under, and its key lists are within the
 * limits above (labels: wire_hello_check). 0 if it may go on; -1 with *why (static text) if it is
 * refused. Pure, so the envelope fuzzer runs the coordinator's own checks. */
int coordinator_hello_check(const Rota__Hello *hello, const uint8_t *identity, size_t identity_len,
                            const char **why);

#endif
