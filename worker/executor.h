/* executor: runs steps as child processes of the worker.
 *
 * Each step is `/bin/sh -c RUN`, or a function called in a forked child (the
 * built-in checks), in a new process group with stdin from
 * /dev/null and stdout/stderr on non-blocking pipes that the worker's poll
 * loop watches. A timeout kills the whole group: SIGTERM, then SIGKILL after
 * a grace period. The executor never blocks and never waits for a child's
 * exit to deliver its output: output is handed to the caller as it is read.
 *
 * The executor owns no sockets and knows nothing of the protocol: it is
 * driven by the worker's loop through the calls below. */
#ifndef ROTA_EXECUTOR_H
#define ROTA_EXECUTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define EXECUTOR_KILL_GRACE_MS 5000 /* SIGTERM to SIGKILL */
#define EXECUTOR_DRAIN_MS                                                                          \
	1000 /* after the shell exits, wait this long for                                          \
	        the pipes to close before killing the group */
#define EXECUTOR_READ_CHUNK 16384
/* The longest executor_next_timeout_ms while a shell runs: a backstop, so a
 * missed SIGCHLD delays a result but never loses it. */
#define EXECUTOR_REAP_POLL_MS 250

typedef struct executor executor_t;

/* What happened to a finished job. */
typedef enum {
	EXEC_EXITED = 0,   /* exited by itself; see exit_code */
	EXEC_SIGNALED,     /* killed by a signal it did not get from us; see signal */
	EXEC_TIMED_OUT,    /* we killed it because its timeout passed */
	EXEC_CANCELLED,    /* we killed it because executor_cancel asked */
	EXEC_START_FAILED, /* could not be started; see detail */
} exec_outcome_t;

typedef struct {
	exec_outcome_t outcome;
	int exit_code;      /* EXEC_EXITED: 0..255 */
	int signal;         /* the signal that ended the shell, if any */
	int64_t started_ms; /* wall clock */
	int64_t ended_ms;   /* wall clock */
	char detail[256];   /* human text: "timed out after 2s; sent SIGTERM, then SIGKILL" */
} exec_result_t;

/* A job is either a shell command (run) or a function (fn); exactly one of
 * the two is set.
 *
 * fn is called in the forked child, in the job's process group, with stdin
 * from /dev/null, stdout and stderr on the job's pipes, default signal
 * dispositions, an empty signal mask, workdir entered, and every other fd
 * closed; its return value (0..255) is the exit code. env is ignored: there
 * is no exec to hand it to. arg is borrowed until executor_start returns
 * (the child has its own copy of memory).
 *
 * Unlike a shell's child, fn runs outside the async-signal-safe rules in a
 * process forked from a multithreaded one (libzmq's I/O threads). It may use
 * what glibc makes safe across fork (malloc, stdio) and libraries set up
 * before the fork that no other thread uses (libcurl after
 * curl_global_init); never ZeroMQ, and never the worker's own state beyond
 * reading arg. A child that hangs on a lock left held anyway is killed by
 * the job's timeout, like a hung shell: give function jobs a timeout. */
typedef struct {
	const char *run;        /* shell command text; NULL for a function job */
	int (*fn)(void *arg);   /* the function job; NULL for a shell */
	void *arg;              /* fn's argument */
	const char *const *env; /* extra "K=V" entries, NULL-terminated; may be NULL */
	/* env is the whole environment: nothing of the worker's is inherited
	 * (the agent builds it: docs/security.md). */
	bool env_only;
	const char *workdir; /* NULL or "" keeps the worker's directory */
	/* Applied in the child before exec (or fn), when set: */
	bool set_umask;
	mode_t umask;
	bool set_ids; /* setgroups(groups), setgid(gid), setuid(uid); needs root */
	uid_t uid;
	gid_t gid;
	const gid_t *groups; /* borrowed until executor_start returns */
	size_t ngroups;
	uint32_t timeout_ms; /* 0 = none */
	uint32_t grace_ms;   /* 0 = EXECUTOR_KILL_GRACE_MS */
} exec_spec_t;

/* Callbacks, called from executor_handle / executor_tick, never reentrantly.
 * on_output: stream 1 = stdout, 2 = stderr; data is borrowed for the call.
 * on_done: the job is over (all output already delivered); after it returns,
 * the job id is invalid. */
typedef struct {
	void (*on_output)(void *ctx, uint64_t job, int stream, const uint8_t *data, size_t len);
	void (*on_done)(void *ctx, uint64_t job, const exec_result_t *result);
	void *ctx;
} exec_callbacks_t;

/* Lifecycle of a job, and what it must never do:
 * - When the shell has exited, its pipes are read until EOF or until
 *   EXECUTOR_DRAIN_MS passes; then whatever is left in its process group is
 *   killed with SIGKILL, always. A step's processes never outlive the step;
 *   a step that means to leave a daemon behind must setsid() it.
 * - The shell is reaped only after that kill (it is watched with WNOWAIT
 *   until then), so its pid, which is also the group id, cannot be reused by
 *   an unrelated process while the executor may still signal the group.
 * - A workdir that cannot be entered, or a /bin/sh that cannot be executed,
 *   is EXEC_START_FAILED with the errno text in detail, not exit code 127.
 * - A function job is watched, timed out, cancelled and drained exactly like
 *   a shell; its "shell" is the forked child that runs fn.
 * - ended_ms is started_ms plus the monotonic duration of the job (until
 *   on_done), so a wall-clock step never gives a negative duration.
 * - Only the executor's own children are waited for (never waitpid(-1)).
 * Callbacks may call executor_start and executor_cancel, never
 * executor_destroy. */
executor_t *executor_new(const exec_callbacks_t *callbacks);
/* Kills every running group with SIGKILL, reaps them, frees everything. */
void executor_destroy(executor_t **ep);

/* Starts a job. Returns its id (> 0), or 0 when it could not even be
 * tracked (or spec sets both or neither of run and fn); a fork, clone or exec failure is reported
 * through on_done with EXEC_START_FAILED (on the next executor_tick), not here. */
uint64_t executor_start(executor_t *e, const exec_spec_t *spec);
/* Asks a job to stop: SIGTERM to its group now, SIGKILL after grace. Its
 * on_done reports EXEC_CANCELLED. Returns -1 for an unknown job. */
int executor_cancel(executor_t *e, uint64_t job);
/* Jobs started and not yet reported through on_done. */
size_t executor_running(const executor_t *e);
/* The process group id of a running job (its shell's pid), or 0 when the
 * job is unknown or was never forked. */
pid_t executor_pgid(const executor_t *e, uint64_t job);

/* The start time of process pid, field 22 (starttime) of /proc/PID/stat in
 * clock ticks since boot: with the pid it names one process even after the
 * pid is reused. 0, or -1 when the process is gone or the file unreadable. */
int executor_proc_starttime(pid_t pid, uint64_t *ticks);
/* The same from the text of a /proc/PID/stat file (exposed for tests): the
 * command name in parentheses may hold spaces and ')', so fields are
 * counted from the last ')'. -1 when the text is malformed. */
int executor_parse_starttime(const char *stat, uint64_t *ticks);

/* The poll loop integration. executor_fds writes up to max fds to watch for
 * POLLIN (the output pipes of every job) and returns how many.
 * executor_handle reads whatever is ready on fd. executor_tick reaps exited
 * children, enforces timeouts and grace periods, and delivers on_done; call
 * it every loop turn and when SIGCHLD arrives. executor_next_timeout_ms says
 * how long the loop may sleep (-1 = no timer pending). */
size_t executor_fds(const executor_t *e, int *fds, size_t max);
/* How many fds executor_fds would write given room enough: size the array
 * with this, so no job's pipe goes unwatched. An fd executor_handle does not
 * know (closed earlier in the same loop turn) is ignored. */
size_t executor_fd_count(const executor_t *e);
void executor_handle(executor_t *e, int fd);
void executor_tick(executor_t *e);
int64_t executor_next_timeout_ms(const executor_t *e);

#endif
