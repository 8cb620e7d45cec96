/* executor_child: the child between its start and its exec (or fn).
 *
 * Async-signal-safe calls only, on memory the executor prepared: the
 * worker is multithreaded (libzmq's I/O threads), and a shell child shares
 * the worker's memory until its exec.
 *
 * A shell is started as posix_spawn starts one: clone with CLONE_VM shares
 * the worker's memory instead of copying its page tables, and CLONE_VFORK
 * holds the starting thread until the child has exec'd or died, so the child
 * alone uses its stack and its executor_child_t. fork copied the page tables
 * of the whole worker for the exec to throw away, and left the worker a
 * copy-on-write fault for each page it wrote next (issue 15,
 * docs/benchmarks.md). The starting thread (the worker's loop) waits for
 * the child's setup and exec: system calls that wait on nothing but the
 * kernel, but for a chdir into a hung network mount, which
 * step_policy_workdir's realpath waits on in the loop already. posix_spawn
 * itself cannot set the umask or the ids, nor say which stage failed.
 * A function job is still forked: fn is code of any kind, and gets a copy
 * of the worker (executor.h). */
#include "executor_child.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Where a function child stops closing fds when close_range is missing. */
#define EXECUTOR_CLOSE_FALLBACK_MAX 65536
/* The id calls taking 32-bit ids: where the plain ones take 16-bit ids
 * (32-bit x86 and arm), glibc's wrappers call these. */
#ifdef SYS_setuid32
#define CHILD_SYS_SETGROUPS SYS_setgroups32
#define CHILD_SYS_SETGID SYS_setgid32
#define CHILD_SYS_SETUID SYS_setuid32
#else
#define CHILD_SYS_SETGROUPS SYS_setgroups
#define CHILD_SYS_SETGID SYS_setgid
#define CHILD_SYS_SETUID SYS_setuid
#endif
/* The stack a shell child runs on until its exec: child_setup's frames need
 * a few KiB. The lowest page is a guard. */
#define EXECUTOR_CHILD_STACK (64 * 1024)

static _Noreturn void
child_fail(int status_fd, int stage, int err)
{
	struct child_report r = {stage, err};
	/* Smaller than PIPE_BUF, so one write is atomic. Nothing to do if it
	 * fails: the parent then reports the 127 exit. */
	ssize_t n = write(status_fd, &r, sizeof(r));
	(void)n;
	_exit(127);
}

/* The child between fork and exec (or fn): async-signal-safe calls only.
 * Returns the status pipe's write end, moved above 2. */
static int
child_setup(int devnull, int out_w, int err_w, int status_w, const exec_spec_t *spec,
            const char *workdir)
{
	/* A group of our own, so the executor can signal the whole step. */
	if (setpgid(0, 0) == -1)
		child_fail(status_w, CHILD_SETPGID, errno);

	/* The worker blocks signals for its signalfd and may ignore some
	 * (SIGPIPE); an exec keeps both the mask and ignored dispositions. */
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (int sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &sa, NULL); /* fails for KILL, STOP, libc's own: fine */
	sigset_t none;
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);

	/* Move every fd above 2 first: if the worker runs with a closed
	 * stdio, a pipe may have landed on 0..2 and a dup2 would clobber it. */
	int s = fcntl(status_w, F_DUPFD_CLOEXEC, 3);
	if (s == -1)
		child_fail(status_w, CHILD_STDIO, errno);
	status_w = s;
	int src[3] = {devnull, out_w, err_w};
	for (int i = 0; i < 3; i++) {
		int fd = fcntl(src[i], F_DUPFD_CLOEXEC, 3);
		if (fd == -1)
			child_fail(status_w, CHILD_STDIO, errno);
		src[i] = fd;
	}
	for (int i = 0; i < 3; i++) {
		if (dup2(src[i], i) == -1) /* dup2 clears FD_CLOEXEC on i */
			child_fail(status_w, CHILD_STDIO, errno);
	}

	if (spec->set_umask)
		umask(spec->umask);
	/* Groups first, then the gid, then the uid: after setuid the others
	 * are no longer ours to change. A failure stops the child: a step
	 * never runs as someone else than it asked. The system calls, not
	 * glibc's wrappers: those make every thread of the worker change ids,
	 * and a shell child shares the worker's memory, its list of threads
	 * included, but not the threads. The kernel's calls change this
	 * process, the only one to change. */
	if (spec->set_ids) {
		if (syscall(CHILD_SYS_SETGROUPS, (long)spec->ngroups, spec->groups) == -1 ||
		    syscall(CHILD_SYS_SETGID, (long)spec->gid) == -1 ||
		    syscall(CHILD_SYS_SETUID, (long)spec->uid) == -1)
			child_fail(status_w, CHILD_IDS, errno);
	}
	/* After the switch, so the directory is entered with the step's own
	 * rights. */
	if (workdir != NULL && chdir(workdir) == -1)
		child_fail(status_w, CHILD_CHDIR, errno);
	return status_w;
}

/* Closes every fd from lowfd up but keep (-1: none). Without an exec,
 * O_CLOEXEC closes nothing: a function child would otherwise hold the
 * worker's sockets, its spool and the other jobs' pipes for as long as it
 * runs. A shell child needs it too: an fd the worker inherited without
 * O_CLOEXEC (from its parent, or a library's) would reach the step. */
static void
child_close_from(int lowfd, int keep)
{
	if (keep >= lowfd) {
		if ((keep == lowfd || close_range((unsigned)lowfd, (unsigned)keep - 1, 0) == 0) &&
		    close_range((unsigned)keep + 1, ~0U, 0) == 0)
			return;
	} else if (close_range((unsigned)lowfd, ~0U, 0) == 0) {
		return;
	}
	/* Kernels before 5.9. The bound keeps a huge RLIMIT_NOFILE from
	 * turning this into millions of system calls. */
	long max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > EXECUTOR_CLOSE_FALLBACK_MAX)
		max = EXECUTOR_CLOSE_FALLBACK_MAX;
	for (int fd = lowfd; fd < max; fd++)
		if (fd != keep)
			(void)close(fd);
}

static _Noreturn void
child_exec(int devnull, int out_w, int err_w, int status_w, const exec_spec_t *spec,
           const char *workdir, char *const argv[], char *const envp[])
{
	status_w = child_setup(devnull, out_w, err_w, status_w, spec, workdir);
	/* Only 0..2 reach the step; the status pipe closes with the exec. */
	child_close_from(3, status_w);
	execve("/bin/sh", argv, envp);
	child_fail(status_w, CHILD_EXEC, errno);
}

static int
child_exec_entry(void *p)
{
	const executor_child_t *c = p;
	child_exec(c->devnull, c->out_w, c->err_w, c->status_w, c->spec, c->workdir, c->argv,
	           c->envp);
}

/* Maps the shells' stack once; a CLONE_VFORK child has left it when the
 * clone returns, so every shell uses the same. */
static int
child_stack_map(void **stack)
{
	if (*stack != NULL)
		return 0;
	void *st = mmap(NULL, EXECUTOR_CHILD_STACK, PROT_READ | PROT_WRITE,
	                MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (st == MAP_FAILED)
		return -1;
	if (mprotect(st, (size_t)sysconf(_SC_PAGESIZE), PROT_NONE) == -1) {
		int err = errno;
		(void)munmap(st, EXECUTOR_CHILD_STACK);
		errno = err;
		return -1;
	}
	*stack = st;
	return 0;
}

/* The child writes only its own stack, and errno, which the starting thread
 * reads only on a failure here. Every signal is blocked across the clone so
 * that no handler of the worker's runs in the child: child_setup sets every
 * disposition to default before it unblocks them. */
static pid_t
child_spawn_shell(const executor_child_t *c, void **stack)
{
	if (child_stack_map(stack) != 0)
		return -1;
	sigset_t all, old;
	sigfillset(&all);
	int rc = pthread_sigmask(SIG_SETMASK, &all, &old);
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	/* The stack grows down: the child starts at its top. */
	pid_t pid = clone(child_exec_entry, (char *)*stack + EXECUTOR_CHILD_STACK,
	                  CLONE_VM | CLONE_VFORK | SIGCHLD, (void *)c);
	int err = errno;
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = err;
	return pid;
}

/* The child of a function job: the same setup as a shell's, then fn. Closing
 * the status pipe (with every other fd) tells the parent the setup worked,
 * as a successful exec would. */
static _Noreturn void
child_call(int devnull, int out_w, int err_w, int status_w, const exec_spec_t *spec,
           const char *workdir)
{
	int (*fn)(void *) = spec->fn;
	void *arg = spec->arg;
	(void)child_setup(devnull, out_w, err_w, status_w, spec, workdir);
	child_close_from(3, -1);
	_exit(fn(arg) & 0xff);
}
pid_t
executor_child_start(const executor_child_t *c, void **stack)
{
	if (c->spec->fn == NULL)
		return child_spawn_shell(c, stack);
	pid_t pid = fork();
	if (pid == 0)
		child_call(c->devnull, c->out_w, c->err_w, c->status_w, c->spec, c->workdir);
	return pid;
}

void
executor_child_stack_free(void **stack)
{
	if (*stack == NULL)
		return;
	(void)munmap(*stack, EXECUTOR_CHILD_STACK);
	*stack = NULL;
}
