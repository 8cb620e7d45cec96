/* coordinator_internal: what the coordinator's files share (coordinator.c and
 * coordinator_*.c): the daemon's state and the functions one file calls in
 * another. Internal: no module outside the coordinator's files includes it. */
#ifndef ROTA_COORDINATOR_INTERNAL_H
#define ROTA_COORDINATOR_INTERNAL_H

#include "coordinator.h"

#include "api.h"
#include "catalog.h"
#include "config.h"
#include "dispatcher.h"
#include "http/http.h"
#include "incidents/incidents.h"
#include "launcher.h"
#include "leader.h"
#include "redirect.h"
#include "log.h"
#include "registry.h"
#include "scheduler.h"
#include "security/security.h"
#include "sendq.h"
#include "services.h"
#include "store/store.h"
#include "turnstats.h"
#include "webapi.h"
#include "wire.h"

struct coordinator {
	/* owned: the objects the modules share (services.h); built here, lent
	 * to every module by pointer */
	services_t *svc;
	void *zctx;             /* owned: the sockets in svc are its */
	int sigfd;              /* owned */
	int lockfd;             /* owned: the data directory's lock */
	storelock_t *storelock; /* owned: the lock on rota.db itself, and its watch */
	/* owned: why the store on disk is no longer the one written, and what
	 * to do (NULL while it is): then no work is taken, nothing acked. */
	char *store_lost;
	int64_t next_store_check;
	httpd_t *httpd;   /* owned: NULL with --http off */
	webapi_t *webapi; /* owned: the JSON API httpd serves; NULL with --http off */
	api_t api;        /* the operators' requests; borrows svc */
	char coordinator_id[64];
	char bound_worker[256]; /* the endpoints as bound, for messages */
	char bound_api[256];
	char bound_http[300]; /* "" with --http off */
	bool http_token;      /* the alert intake requires a bearer token */
	bool http_insecure;   /* beyond loopback without a token (--insecure) */

	/* CURVE without a token: every alert is refused (401). */
	bool intake_closed;
	/* The audit's actor for what alerts do: the token file's name. */
	char http_token_name[128];
	int64_t started_wall;
	int64_t started_mono;
	wire_stats_t worker_wire;
	wire_stats_t api_wire;
	turnstats_t turn; /* the loop's phases timed (turnstats.h) */
	sendq_stats_t sent;
	/* Messages a flush could not send, by endpoint: [0] the workers', [1]
	 * the API's; gone (not connected) or full (a peer that does not read). */
	struct {
		uint64_t gone, full;
	} send_drops[2];
	log_limit_t drop_log;
	uint64_t commit_failures;
	uint64_t hello_refused;
	uint64_t workers_replaced; /* connections replaced by another process's Hello */
	uint64_t stale_frames;     /* from a connection that did not say Hello */
	bool resync_pending;
	/* The turn whose COMMIT is in flight (coordinator_commit.c): when it
	 * began committing, how many queued messages are its, and whether it
	 * woke the outbox. */
	int64_t inflight_start_us;
	size_t inflight_queued;
	bool inflight_wake;
	/* A turn's events not yet read back: told with the next turn's. */
	bool events_owed;
	/* The last turn that wrote could not be committed (disk full, a
	 * file-size limit, the file locked): refuse work until one can. */
	bool store_unwritable;
	bool stopping;
	/* Slots wait at start until the workers had a chance to come back
	 * (all known ones connected, or COORDINATOR_SETTLE_MS): a slot fired
	 * the moment a restarted coordinator opens finds nobody there. */
	bool settled;
	int64_t settle_deadline;

	/* Leadership (coordinator_role.c, leader.h). */
	leader_t *leader;   /* owned */
	int64_t next_seen;  /* when this coordinator next says it is alive */
	int64_t next_inbox; /* when the leader next looks at the alert inbox */
	/* The rows written after the start (coordinator_save.c). */
	int64_t save_started; /* the promotion, mono ms */
	int64_t save_retry;   /* no slice before this (mono ms), after one failed */
	int64_t save_cpu_us;  /* the slices' CPU on the loop's thread */
	bool save_logged;     /* their end was logged */
	char *promote_error;  /* owned: why it could not lead (NULL: it could) */
	/* The outbox's settings, to start it again on becoming leader (its
	 * db_path is outbox_db). */
	outbox_config_t outbox_config;
	char *outbox_db;            /* owned */
	char *outbox_password_file; /* owned; NULL: libpq's own ways */
	/* What the last `rota status` lent its answer (owned until the next). */
	Rota__StatusResponse status_list;
	Rota__PruneCount status_prune[STORE_PRUNE_TABLES];
	Rota__PruneCount *status_prune_list[STORE_PRUNE_TABLES];
	Rota__BackupInfo status_backup; /* rota status's backup: its strings the backup's */
	store_leader_t status_leader;
};

/* coordinator_sse.c: GET /v1/events's source (httpd_handlers_t). */
int coordinator_sse_open(void *ctx, const char *run_text, char **run, char **why);
int coordinator_sse_frames(void *ctx, const char *run, uint64_t cursor, bool catch_up, size_t max,
                           void (*put)(void *put_ctx, sharedbuf_t *frame), void *put_ctx,
                           uint64_t *next);
bool coordinator_sse_news(void *ctx, const char *run, uint64_t cursor, uint64_t *next);
uint64_t coordinator_sse_last(void *ctx, const char *run);

/* coordinator_http.c */
/* Starts the HTTP server when one is configured, and writes the address it
 * bound to bound ("" when off). 0, or -1 with *error (caller frees). */
int coordinator_http_start(coordinator_t *c, char *bound, size_t len, char **error);
/* The leader: acts on the alerts followers kept, in the open turn. */
void coordinator_http_inbox(coordinator_t *c);

/* coordinator_intake.c */
/* Reads up to COORDINATOR_BATCH messages; returns false when more wait. */
bool coordinator_read(coordinator_t *c, void *sock, wire_stats_t *stats, const char *name,
                      void (*handle)(coordinator_t *, const wire_msg_t *));
/* sendq's hook: a message that could not be sent is counted and said, once
 * a minute per peer. */
void coordinator_send_failed(void *ctx, void *sock, const uint8_t *identity, size_t identity_len,
                             int err);
void coordinator_log_drop(coordinator_t *c, const char *endpoint, const wire_msg_t *msg,
                          const char *why);
void coordinator_redirect(coordinator_t *c, void *sock, const wire_msg_t *msg, uint64_t request_id,
                          const char *text);
/* On a follower: sends msg's peer a Redirect to the leader (answering
 * request_id; 0 on the workers' socket), logs it once a minute per peer,
 * and returns true; the message is not acted on. false on a leader. */
bool coordinator_follower_redirect(coordinator_t *c, redirect_socket_t kind, void *sock,
                                   const wire_msg_t *msg, uint64_t request_id);
/* security.h's on_refusal, with the coordinator as ctx. */
void coordinator_auth_refused(void *ctx, zap_refusal_t kind, const char *domain,
                              const char *address, const char *key, const char *why);

/* coordinator_workers.c */
void coordinator_worker_message(coordinator_t *c, const wire_msg_t *msg);
/* Heartbeats the workers due one; with expire, declares the silent ones lost. */
void coordinator_heartbeat(coordinator_t *c, bool expire);
/* security.h's worker_busy, with the coordinator as ctx. */
bool coordinator_worker_busy(void *ctx, const char *id, char *why, size_t len);

/* coordinator_operators.c */
void coordinator_api_message(coordinator_t *c, const wire_msg_t *msg);
/* api.h's status, with the coordinator as ctx. */
void coordinator_status(void *ctx, Rota__StatusResponse *out);

/* coordinator.c */
/* The workers the store knows, into the registry (not connected). */
void coordinator_load_workers(coordinator_t *c);

/* coordinator_role.c */
/* Makes the role machine and takes the first turn: on SQLite this
 * coordinator must lead (0), else -1 with *error (caller frees); on a
 * shared store it may follow. */
int coordinator_role_start(coordinator_t *c, int64_t lease_ms, char **error);
/* At the top of every loop turn: takes, renews or steps down when due, and
 * says in the store that this coordinator is alive, once a second. */
void coordinator_role_turn(coordinator_t *c, int64_t now);
/* A commit was refused by the fence: step down now. */
void coordinator_role_deposed(coordinator_t *c, const char *why);
/* Fills rota status's leadership fields (strings lent until the next call). */
void coordinator_role_status(coordinator_t *c, Rota__StatusResponse *out);
void coordinator_role_destroy(coordinator_t *c);

/* coordinator_save.c: the runbooks' and schedules' rows, written after
 * the start in slices. Up to this many rows are written at the promotion
 * itself (a small library is written whole, as before). */
#define COORDINATOR_SAVE_AT_ONCE 2000
/* A slice's budget of the loop's time, and the wait after one failed. */
#define COORDINATOR_SAVE_SLICE_MS 8
#define COORDINATOR_SAVE_RETRY_MS 10000
/* At the promotion, once the rows are marked. */
void coordinator_save_mark(coordinator_t *c);
/* Rows are marked, and no failed slice is waited for. */
bool coordinator_save_busy(const coordinator_t *c, int64_t now);
/* One slice of at most max_ms (0: all), outside the turn, committed here:
 * 0, or -1 when it failed (rolled back, marked again, retried after
 * COORDINATOR_SAVE_RETRY_MS). */
int coordinator_save_turn(coordinator_t *c, size_t max_ms);

/* coordinator_resync.c */
/* After a failed commit (or to retry a failed reload of the runs). */
void coordinator_resync(coordinator_t *c);

/* A turn's end and what is told once it is durable (coordinator_commit.c).
 * coordinator_commit_turn: the turn in flight settled, then this one
 * committed, its COMMIT left in flight when overlap and it wrote; -1 when
 * either failed (the caller resyncs). coordinator_commit_settle: the turn
 * in flight finished and told (0; nothing in flight: 0), -1 when its
 * COMMIT failed (the caller resyncs). coordinator_commit_now: settle, then
 * commit what this turn holds at once and tell it (an HTTP request's
 * turn). coordinator_commit_may_overlap: whether a leader's turn may leave
 * its COMMIT in flight now (PostgreSQL, no slice due after it). */
int coordinator_commit_turn(coordinator_t *c, bool overlap);
int coordinator_commit_settle(coordinator_t *c);
int coordinator_commit_now(coordinator_t *c);
bool coordinator_commit_may_overlap(coordinator_t *c, int64_t now);
/* api.h's reload (and SIGHUP's), with the coordinator as ctx. */
int coordinator_reload(void *ctx, Rota__ReloadResponse *out, char **error);
/* Once a second, between turns: the store file and the locks still there. */
void coordinator_check_store(coordinator_t *c);

#endif
