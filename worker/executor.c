/* executor: steps as child process groups, driven by the worker's loop.
 *
 * Each job is `/bin/sh -c RUN` (or a function, for built-in checks) in a
 * process group of its own, so a timeout or a cancel reaches everything the
 * step started, not only the shell. Output is handed on as it is read;
 * on_done comes after the last byte.
 *
 * Must never: block in the loop path, wait for a child that is not ours
 * (the worker may have others), signal a group whose leader pid could have
 * been reused, or drop a job for want of a slot.
 *
 * The worker is multithreaded (libzmq runs I/O threads), so between fork and
 * exec the child only makes async-signal-safe calls: everything it needs,
 * the environment included, is built by the parent before fork. A function
 * job is the one exception, and executor.h says what it may do.
 * The child's side, from its start to its exec, is executor_child.c: a
 * shell is not forked but cloned with the worker's memory, as posix_spawn
 * starts one. */
#include "executor.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "executor_child.h"
#include "log.h"
#include "xalloc.h"

extern char **environ;

/* Reads at most this many chunks from a pipe after the drain deadline: a
 * SIGKILLed writer stops soon, but not necessarily before we look, and a
 * bound keeps a writer that has not died yet from holding the loop. */
#define EXECUTOR_FINAL_READS 64

enum kill_reason {
	KILL_NONE = 0,
	KILL_TIMEOUT,
	KILL_CANCEL,
};

typedef struct {
	uint64_t id;
	pid_t pid;     /* also the process group id; 0 when never forked */
	int fd[2];     /* stdout, stderr read ends; -1 once at EOF */
	int status_fd; /* exec-status pipe read end; -1 once read */
	int64_t start_mono;
	int64_t started_wall;
	uint32_t timeout_ms;
	uint32_t grace_ms;
	enum kill_reason kill_reason;
	int64_t term_mono; /* when SIGTERM was sent */
	bool kill_sent;    /* SIGKILL sent after the grace period */
	bool exited;       /* the shell's exit was seen (it is a zombie) */
	bool status_lost;  /* someone else reaped it */
	int64_t exit_mono;
	int exit_code;     /* CLD_EXITED: si_status */
	int exit_signal;   /* CLD_KILLED / CLD_DUMPED: si_status */
	bool drain_killed; /* the pipes were still open at the drain deadline */
	char failed[200];  /* non-empty: could not start; why */
	char workdir[128]; /* for that message: which directory it could not enter */
} job_t;

struct executor {
	exec_callbacks_t cb;
	job_t **jobs; /* in start order; a linear scan is fine for the few
	                 dozen jobs a worker runs at once */
	size_t njobs;
	size_t cap;
	uint64_t next_id;
	void *child_stack; /* owned (executor_child_start maps it); NULL until a shell */
	uint8_t buf[EXECUTOR_READ_CHUNK];
};

static void
fmt_ms(char *buf, size_t len, int64_t ms)
{
	if (ms % 1000 == 0)
		snprintf(buf, len, "%llds", (long long)(ms / 1000));
	else if (ms < 1000)
		snprintf(buf, len, "%lldms", (long long)ms);
	else
		snprintf(buf, len, "%.1fs", (double)ms / 1000.0);
}

static void
fd_close(int *fdp)
{
	if (*fdp >= 0) {
		close(*fdp);
		*fdp = -1;
	}
}

/* Signals the job's process group. The fallback to the pid alone covers a
 * child that has not made its group yet or never could; both are ours, so
 * neither can hit a stranger. */
static void
job_signal(job_t *j, int sig)
{
	if (j->pid <= 0)
		return;
	if (kill(-j->pid, sig) == 0)
		return;
	if (errno != ESRCH)
		log_warn("executor: job %llu: kill(-%d, %d): %s", (unsigned long long)j->id,
		         (int)j->pid, sig, strerror(errno));
	if (kill(j->pid, sig) == -1 && errno != ESRCH)
		log_warn("executor: job %llu: kill(%d, %d): %s", (unsigned long long)j->id,
		         (int)j->pid, sig, strerror(errno));
}

executor_t *
executor_new(const exec_callbacks_t *callbacks)
{
	if (callbacks == NULL || callbacks->on_output == NULL || callbacks->on_done == NULL)
		return NULL;
	executor_t *e = xcalloc(1, sizeof(*e));
	e->cb = *callbacks;
	return e;
}

void
executor_destroy(executor_t **ep)
{
	if (ep == NULL || *ep == NULL)
		return;
	executor_t *e = *ep;
	for (size_t i = 0; i < e->njobs; i++) {
		job_t *j = e->jobs[i];
		if (j->pid > 0) {
			job_signal(j, SIGKILL);
			/* Blocking is acceptable here: SIGKILL cannot be
			 * ignored and the worker is shutting down. */
			while (waitpid(j->pid, NULL, 0) == -1 && errno == EINTR)
				;
		}
		fd_close(&j->fd[0]);
		fd_close(&j->fd[1]);
		fd_close(&j->status_fd);
		free(j);
	}
	executor_child_stack_free(&e->child_stack);
	free(e->jobs);
	free(e);
	*ep = NULL;
}

static job_t *
job_add(executor_t *e)
{
	if (e->njobs == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 8;
		e->jobs = xrealloc(e->jobs, e->cap * sizeof(*e->jobs));
	}
	job_t *j = xcalloc(1, sizeof(*j));
	j->id = ++e->next_id;
	j->fd[0] = j->fd[1] = j->status_fd = -1;
	j->start_mono = clock_mono_ms();
	j->started_wall = clock_wall_ms();
	e->jobs[e->njobs++] = j;
	return j;
}

static job_t *
job_find(const executor_t *e, uint64_t id)
{
	for (size_t i = 0; i < e->njobs; i++)
		if (e->jobs[i]->id == id)
			return e->jobs[i];
	return NULL;
}

static size_t
env_key_len(const char *kv)
{
	const char *eq = strchr(kv, '=');
	return eq ? (size_t)(eq - kv) : strlen(kv);
}

static bool
env_same_key(const char *a, const char *b)
{
	size_t n = env_key_len(a);
	return n == env_key_len(b) && strncmp(a, b, n) == 0;
}

/* Builds the child's environment: the worker's, with the extras on top. The
 * strings are borrowed; only the array is the caller's to free. Returns NULL
 * and fills why when an extra is not "K=V". */
static char **
env_build(const char *const *extra, bool only, char *why, size_t whylen)
{
	size_t nenv = 0, nextra = 0;
	while (!only && environ != NULL && environ[nenv] != NULL)
		nenv++;
	while (extra != NULL && extra[nextra] != NULL) {
		const char *eq = strchr(extra[nextra], '=');
		if (eq == NULL || eq == extra[nextra]) {
			snprintf(why, whylen, "environment entry %zu is not K=V", nextra);
			return NULL;
		}
		nextra++;
	}
	char **envp = xcalloc(nenv + nextra + 1, sizeof(*envp));
	size_t n = 0;
	for (size_t i = 0; i < nenv; i++) {
		bool overridden = false;
		for (size_t k = 0; k < nextra && !overridden; k++)
			overridden = env_same_key(environ[i], extra[k]);
		if (!overridden)
			envp[n++] = environ[i];
	}
	/* A key given twice: the last one wins, as with repeated setenv. */
	for (size_t k = 0; k < nextra; k++) {
		bool later = false;
		for (size_t m = k + 1; m < nextra && !later; m++)
			later = env_same_key(extra[k], extra[m]);
		if (!later)
			envp[n++] = (char *)extra[k];
	}
	envp[n] = NULL;
	return envp;
}

static int
fd_set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl == -1 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		return -1;
	return 0;
}

uint64_t
executor_start(executor_t *e, const exec_spec_t *spec)
{
	if (e == NULL || spec == NULL || (spec->run == NULL) == (spec->fn == NULL))
		return 0;
	job_t *j = job_add(e);
	j->timeout_ms = spec->timeout_ms;
	j->grace_ms = spec->grace_ms ? spec->grace_ms : EXECUTOR_KILL_GRACE_MS;

	const char *workdir = spec->workdir && spec->workdir[0] ? spec->workdir : NULL;
	if (workdir)
		snprintf(j->workdir, sizeof(j->workdir), "%s", workdir);
	int out[2] = {-1, -1}, err[2] = {-1, -1}, st[2] = {-1, -1};
	int devnull = -1;
	/* A function child does not exec, so it has no use for an envp. */
	char **envp = NULL;
	if (spec->fn == NULL) {
		envp = env_build(spec->env, spec->env_only, j->failed, sizeof(j->failed));
		if (envp == NULL)
			return j->id; /* reported by the next executor_tick */
	}

	/* Every fd is O_CLOEXEC so no other child (of ours or the worker's)
	 * keeps a pipe open. Only the read ends are non-blocking: the shell's
	 * stdout must stay blocking or its writers would see EAGAIN. */
	if (pipe2(out, O_CLOEXEC) == -1 || pipe2(err, O_CLOEXEC) == -1 ||
	    pipe2(st, O_CLOEXEC) == -1) {
		snprintf(j->failed, sizeof(j->failed), "pipe: %s", strerror(errno));
		goto fail;
	}
	if (fd_set_nonblock(out[0]) == -1 || fd_set_nonblock(err[0]) == -1 ||
	    fd_set_nonblock(st[0]) == -1) {
		snprintf(j->failed, sizeof(j->failed), "fcntl O_NONBLOCK: %s", strerror(errno));
		goto fail;
	}
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (devnull == -1) {
		snprintf(j->failed, sizeof(j->failed), "open /dev/null: %s", strerror(errno));
		goto fail;
	}

	char *argv[] = {"sh", "-c", (char *)spec->run, NULL};
	executor_child_t child = {devnull, out[1], err[1], st[1], spec, workdir, argv, envp};
	pid_t pid = executor_child_start(&child, &e->child_stack);
	if (pid == -1) {
		snprintf(j->failed, sizeof(j->failed), "%s: %s", spec->fn ? "fork" : "clone",
		         strerror(errno));
		goto fail;
	}

	/* Also here, so the group exists before we return and a cancel or
	 * timeout cannot race the child's own setpgid. EACCES means the child
	 * already exec'd, which it does only after its own setpgid. */
	if (setpgid(pid, pid) == -1 && errno != EACCES && errno != ESRCH)
		log_warn("executor: job %llu: setpgid(%d): %s", (unsigned long long)j->id, (int)pid,
		         strerror(errno));
	j->pid = pid;
	j->fd[0] = out[0];
	j->fd[1] = err[0];
	j->status_fd = st[0];
	close(out[1]);
	close(err[1]);
	close(st[1]);
	close(devnull);
	free(envp);
	log_debug("executor: job %llu: started pid %d", (unsigned long long)j->id, (int)pid);
	return j->id;

fail:
	log_warn("executor: job %llu: %s", (unsigned long long)j->id, j->failed);
	for (int i = 0; i < 2; i++) {
		fd_close(&out[i]);
		fd_close(&err[i]);
		fd_close(&st[i]);
	}
	fd_close(&devnull);
	free(envp);
	return j->id;
}

int
executor_cancel(executor_t *e, uint64_t id)
{
	job_t *j = e ? job_find(e, id) : NULL;
	if (j == NULL)
		return -1;
	if (j->kill_reason != KILL_NONE || j->pid <= 0)
		return 0; /* already being stopped, or never started */
	j->kill_reason = KILL_CANCEL;
	j->term_mono = clock_mono_ms();
	job_signal(j, SIGTERM);
	return 0;
}

size_t
executor_running(const executor_t *e)
{
	return e ? e->njobs : 0;
}

pid_t
executor_pgid(const executor_t *e, uint64_t job)
{
	const job_t *j = e ? job_find(e, job) : NULL;
	return j && j->pid > 0 ? j->pid : 0;
}

int
executor_parse_starttime(const char *stat, uint64_t *ticks)
{
	const char *p = strrchr(stat, ')');
	if (p == NULL)
		return -1;
	p++;
	/* After the name come state (field 3) ... starttime (field 22). */
	for (int field = 3; field < 22; field++) {
		while (*p == ' ')
			p++;
		if (*p == '\0' || *p == '\n')
			return -1;
		while (*p != ' ' && *p != '\0' && *p != '\n')
			p++;
	}
	while (*p == ' ')
		p++;
	if (*p < '0' || *p > '9')
		return -1;
	errno = 0;
	char *end = NULL;
	unsigned long long v = strtoull(p, &end, 10);
	if (errno != 0 || (*end != ' ' && *end != '\0' && *end != '\n'))
		return -1;
	*ticks = (uint64_t)v;
	return 0;
}

int
executor_proc_starttime(pid_t pid, uint64_t *ticks)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf) - 1)) == -1 && errno == EINTR)
		;
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return executor_parse_starttime(buf, ticks);
}

size_t
executor_fd_count(const executor_t *e)
{
	size_t n = 0;
	for (size_t i = 0; e && i < e->njobs; i++)
		n += (e->jobs[i]->fd[0] >= 0) + (e->jobs[i]->fd[1] >= 0);
	return n;
}

size_t
executor_fds(const executor_t *e, int *fds, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; e && i < e->njobs; i++) {
		for (int s = 0; s < 2; s++) {
			if (e->jobs[i]->fd[s] >= 0 && n < max)
				fds[n++] = e->jobs[i]->fd[s];
		}
	}
	return n;
}

/* Reads one chunk from stream s of j and delivers it. Returns 1 when data
 * was delivered, 0 at EOF or error (the pipe is then closed), -1 when
 * nothing is ready now. */
static int
job_read(executor_t *e, job_t *j, int s)
{
	if (j->fd[s] < 0)
		return 0;
	ssize_t n = read(j->fd[s], e->buf, sizeof(e->buf));
	if (n > 0) {
		e->cb.on_output(e->cb.ctx, j->id, s + 1, e->buf, (size_t)n);
		return 1;
	}
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return -1;
	if (n == -1)
		log_warn("executor: job %llu: read %s: %s", (unsigned long long)j->id,
		         s == 0 ? "stdout" : "stderr", strerror(errno));
	fd_close(&j->fd[s]);
	return 0;
}

void
executor_handle(executor_t *e, int fd)
{
	if (e == NULL || fd < 0)
		return;
	for (size_t i = 0; i < e->njobs; i++) {
		job_t *j = e->jobs[i];
		for (int s = 0; s < 2; s++) {
			/* One chunk per call: poll is level-triggered, so a
			 * chatty job cannot starve the others or the sockets. */
			if (j->fd[s] == fd) {
				(void)job_read(e, j, s);
				return;
			}
		}
	}
}

/* The child is gone: did it exec? Its status pipe says, without blocking,
 * because the only writer has exited. */
static void
job_read_status(job_t *j)
{
	struct child_report r;
	ssize_t n = read(j->status_fd, &r, sizeof(r));
	fd_close(&j->status_fd);
	if (n != (ssize_t)sizeof(r))
		return; /* EOF: exec succeeded (the fd was CLOEXEC) */
	switch (r.stage) {
	case CHILD_SETPGID:
		snprintf(j->failed, sizeof(j->failed), "setpgid: %s", strerror(r.err));
		break;
	case CHILD_STDIO:
		snprintf(j->failed, sizeof(j->failed), "setting up stdio: %s", strerror(r.err));
		break;
	case CHILD_CHDIR:
		snprintf(j->failed, sizeof(j->failed), "cannot change to workdir %s: %s",
		         j->workdir, strerror(r.err));
		break;
	case CHILD_EXEC:
		snprintf(j->failed, sizeof(j->failed), "exec /bin/sh: %s", strerror(r.err));
		break;
	case CHILD_IDS:
		snprintf(j->failed, sizeof(j->failed), "cannot switch to the step's user: %s",
		         strerror(r.err));
		break;
	default:
		snprintf(j->failed, sizeof(j->failed), "child failed before exec (stage %d)",
		         r.stage);
		break;
	}
}

/* Looks at the shell without reaping it (WNOWAIT): while it is a zombie its
 * pid, which names the group, cannot be reused, so signalling the group
 * stays safe until job_finish reaps it. */
static void
job_poll_exit(job_t *j, int64_t now)
{
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)j->pid, &si, WEXITED | WNOHANG | WNOWAIT) == -1) {
		if (errno == EINTR)
			return;
		/* ECHILD: someone else reaped it (SIGCHLD set to SIG_IGN, or
		 * a waitpid(-1) elsewhere). The status is lost; say so. */
		log_error("executor: job %llu: waitid(%d): %s", (unsigned long long)j->id,
		          (int)j->pid, strerror(errno));
		j->exited = true;
		j->status_lost = true;
		j->exit_mono = now;
		return;
	}
	if (si.si_pid == 0)
		return; /* still running */
	j->exited = true;
	j->exit_mono = now;
	if (si.si_code == CLD_EXITED)
		j->exit_code = si.si_status;
	else
		j->exit_signal = si.si_status;
	if (j->status_fd >= 0)
		job_read_status(j);
}

/* Moves a job along its timers. Returns true when it is over. */
static bool
job_advance(executor_t *e, job_t *j, int64_t now)
{
	if (j->pid <= 0)
		return true; /* never forked; j->failed says why */
	if (!j->exited)
		job_poll_exit(j, now);
	if (!j->exited) {
		if (j->kill_reason == KILL_NONE && j->timeout_ms > 0 &&
		    now - j->start_mono >= (int64_t)j->timeout_ms) {
			j->kill_reason = KILL_TIMEOUT;
			j->term_mono = now;
			job_signal(j, SIGTERM);
		}
		if (j->kill_reason != KILL_NONE && !j->kill_sent &&
		    now - j->term_mono >= (int64_t)j->grace_ms) {
			j->kill_sent = true;
			job_signal(j, SIGKILL);
		}
		return false;
	}
	if (j->fd[0] < 0 && j->fd[1] < 0)
		return true;
	if (now - j->exit_mono < EXECUTOR_DRAIN_MS)
		return false;
	/* Something the shell left behind still holds a pipe. Kill it, then
	 * take what is already buffered so no output is lost. */
	j->drain_killed = true;
	job_signal(j, SIGKILL);
	for (int s = 0; s < 2; s++) {
		for (int k = 0; k < EXECUTOR_FINAL_READS; k++)
			if (job_read(e, j, s) != 1)
				break;
		fd_close(&j->fd[s]);
	}
	return true;
}

static void
job_result(const job_t *j, int64_t now, exec_result_t *r)
{
	char timeout[32], grace[32], drain[32], left[96] = "";

	memset(r, 0, sizeof(*r));
	r->started_ms = j->started_wall;
	r->ended_ms = j->started_wall + (now - j->start_mono);
	r->exit_code = j->exit_code;
	r->signal = j->exit_signal;
	fmt_ms(timeout, sizeof(timeout), j->timeout_ms);
	fmt_ms(grace, sizeof(grace), j->grace_ms);
	fmt_ms(drain, sizeof(drain), EXECUTOR_DRAIN_MS);
	if (j->drain_killed)
		snprintf(left, sizeof(left),
		         "SIGKILL to what still held its output %s after the shell exited", drain);

	if (j->failed[0] != '\0') {
		r->outcome = EXEC_START_FAILED;
		r->exit_code = 0;
		r->signal = 0;
		snprintf(r->detail, sizeof(r->detail), "could not start: %s", j->failed);
	} else if (j->kill_reason != KILL_NONE) {
		const char *then = j->kill_sent ? ", then SIGKILL after "
		                   : left[0]    ? ", then "
		                                : "";
		const char *what = j->kill_sent ? grace : left;
		const char *tail = j->kill_sent ? " grace" : "";
		if (j->kill_reason == KILL_TIMEOUT) {
			r->outcome = EXEC_TIMED_OUT;
			snprintf(r->detail, sizeof(r->detail),
			         "timed out after %s: sent SIGTERM to the process group%s%s%s",
			         timeout, then, what, tail);
		} else {
			r->outcome = EXEC_CANCELLED;
			snprintf(r->detail, sizeof(r->detail),
			         "cancelled: sent SIGTERM to the process group%s%s%s", then, what,
			         tail);
		}
	} else if (j->status_lost) {
		r->outcome = EXEC_SIGNALED;
		snprintf(r->detail, sizeof(r->detail),
		         "exit status lost: the shell was reaped by someone else%s%s",
		         left[0] ? "; " : "", left);
	} else if (j->exit_signal != 0) {
		r->outcome = EXEC_SIGNALED;
		snprintf(r->detail, sizeof(r->detail), "killed by signal %d (%s)%s%s",
		         j->exit_signal, strsignal(j->exit_signal), left[0] ? "; " : "", left);
	} else {
		r->outcome = EXEC_EXITED;
		snprintf(r->detail, sizeof(r->detail), "exited with code %d%s%s", j->exit_code,
		         left[0] ? "; " : "", left);
	}
}

/* The job is over: kill what is left of its group, reap the shell. */
static void
job_finish(job_t *j)
{
	if (j->pid <= 0)
		return;
	/* Always: a step's processes do not outlive it (see executor.h). */
	job_signal(j, SIGKILL);
	int status;
	pid_t r;
	while ((r = waitpid(j->pid, &status, WNOHANG)) == -1 && errno == EINTR)
		;
	if (r == 0)
		log_error("executor: job %llu: pid %d seen exited but not reapable",
		          (unsigned long long)j->id, (int)j->pid);
	else if (r == -1 && !j->status_lost)
		log_warn("executor: job %llu: waitpid(%d): %s", (unsigned long long)j->id,
		         (int)j->pid, strerror(errno));
	fd_close(&j->fd[0]);
	fd_close(&j->fd[1]);
	fd_close(&j->status_fd);
}

void
executor_tick(executor_t *e)
{
	if (e == NULL)
		return;
	int64_t now = clock_mono_ms();
	for (size_t i = 0; i < e->njobs;) {
		job_t *j = e->jobs[i];
		if (!job_advance(e, j, now)) {
			i++;
			continue;
		}
		job_finish(j);
		/* Unlink before the callback: on_done may start new jobs,
		 * which can grow (and move) the array. */
		memmove(&e->jobs[i], &e->jobs[i + 1], (e->njobs - i - 1) * sizeof(*e->jobs));
		e->njobs--;
		exec_result_t r;
		job_result(j, now, &r);
		log_debug("executor: job %llu: %s", (unsigned long long)j->id, r.detail);
		uint64_t id = j->id;
		free(j);
		e->cb.on_done(e->cb.ctx, id, &r);
	}
}

int64_t
executor_next_timeout_ms(const executor_t *e)
{
	if (e == NULL || e->njobs == 0)
		return -1;
	int64_t now = clock_mono_ms();
	int64_t best = -1;
	for (size_t i = 0; i < e->njobs; i++) {
		const job_t *j = e->jobs[i];
		int64_t due;
		if (j->pid <= 0) {
			due = now;
		} else if (j->exited) {
			due = j->fd[0] < 0 && j->fd[1] < 0 ? now : j->exit_mono + EXECUTOR_DRAIN_MS;
		} else {
			due = now + EXECUTOR_REAP_POLL_MS;
			if (j->kill_reason == KILL_NONE && j->timeout_ms > 0 &&
			    j->start_mono + (int64_t)j->timeout_ms < due)
				due = j->start_mono + (int64_t)j->timeout_ms;
			if (j->kill_reason != KILL_NONE && !j->kill_sent &&
			    j->term_mono + (int64_t)j->grace_ms < due)
				due = j->term_mono + (int64_t)j->grace_ms;
		}
		int64_t wait = due > now ? due - now : 0;
		if (best < 0 || wait < best)
			best = wait;
	}
	return best;
}
