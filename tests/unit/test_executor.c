/* test_executor: real shells, driven by a poll loop shaped like the worker's
 * (pipes plus a signalfd for SIGCHLD), bounded in time so a hang fails. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "executor.h"

#define MAX_JOBS 64
#define LOOP_BOUND_MS 15000

typedef struct {
	uint8_t *data;
	size_t len;
} buf_t;

typedef struct {
	buf_t out[MAX_JOBS][2];
	bool done[MAX_JOBS];
	exec_result_t result[MAX_JOBS];
	int64_t start_mono[MAX_JOBS];
	int64_t first_output_mono[MAX_JOBS];
	bool done_at_first_output[MAX_JOBS];
	int64_t done_mono[MAX_JOBS];
	size_t ndone;
	int violations; /* output after done, done twice, bad stream or size */
	executor_t *e;  /* for callbacks that start jobs */
	int chain_left; /* on_done starts another job while this is > 0 */
} rec_t;

static rec_t rec;
static int sigfd = -1;
static int fds_at_setup;
static char tmpdir[64];

static void
on_output(void *ctx, uint64_t job, int stream, const uint8_t *data, size_t len)
{
	rec_t *r = ctx;
	if (job == 0 || job >= MAX_JOBS || (stream != 1 && stream != 2) || len == 0 ||
	    len > EXECUTOR_READ_CHUNK) {
		r->violations++;
		return;
	}
	if (r->done[job])
		r->violations++;
	if (r->first_output_mono[job] == 0) {
		r->first_output_mono[job] = clock_mono_ms();
		r->done_at_first_output[job] = r->done[job];
	}
	buf_t *b = &r->out[job][stream - 1];
	b->data = realloc(b->data, b->len + len + 1);
	assert_non_null(b->data);
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

static uint64_t start_job(const char *run, const char *const *env, const char *workdir,
                          uint32_t timeout_ms, uint32_t grace_ms);

static void
on_done(void *ctx, uint64_t job, const exec_result_t *result)
{
	rec_t *r = ctx;
	if (job == 0 || job >= MAX_JOBS || r->done[job]) {
		r->violations++;
		return;
	}
	r->done[job] = true;
	r->done_mono[job] = clock_mono_ms();
	r->result[job] = *result;
	r->ndone++;
	if (r->chain_left > 0) {
		r->chain_left--;
		assert_int_not_equal(start_job("echo chained", NULL, NULL, 0, 0), 0);
	}
}

static const char *
out_of(uint64_t job, int stream)
{
	const buf_t *b = &rec.out[job][stream - 1];
	return b->data ? (const char *)b->data : "";
}

static uint64_t
start_job(const char *run, const char *const *env, const char *workdir, uint32_t timeout_ms,
          uint32_t grace_ms)
{
	exec_spec_t spec = {.run = run,
	                    .env = env,
	                    .workdir = workdir,
	                    .timeout_ms = timeout_ms,
	                    .grace_ms = grace_ms};
	uint64_t id = executor_start(rec.e, &spec);
	assert_true(id > 0 && id < MAX_JOBS);
	rec.start_mono[id] = clock_mono_ms();
	return id;
}

/* One turn of the worker's loop: poll the pipes and the SIGCHLD signalfd
 * for as long as the executor allows, hand over what is ready, tick. */
static void
loop_turn(int64_t max_wait_ms)
{
	size_t n = executor_fd_count(rec.e);
	struct pollfd *pfd = calloc(n + 1, sizeof(*pfd));
	int *fds = calloc(n + 1, sizeof(*fds));
	assert_non_null(pfd);
	assert_non_null(fds);
	assert_int_equal(executor_fds(rec.e, fds, n), n);
	for (size_t i = 0; i < n; i++) {
		pfd[i].fd = fds[i];
		pfd[i].events = POLLIN;
	}
	pfd[n].fd = sigfd;
	pfd[n].events = POLLIN;

	int64_t wait = executor_next_timeout_ms(rec.e);
	if (wait < 0 || wait > max_wait_ms)
		wait = max_wait_ms;
	int rc = poll(pfd, n + 1, (int)wait);
	assert_true(rc >= 0 || errno == EINTR);
	if (rc > 0) {
		for (size_t i = 0; i < n; i++)
			if (pfd[i].revents != 0)
				executor_handle(rec.e, pfd[i].fd);
		if (pfd[n].revents & POLLIN) {
			struct signalfd_siginfo si[8];
			while (read(sigfd, si, sizeof(si)) > 0)
				;
		}
	}
	executor_tick(rec.e);
	free(pfd);
	free(fds);
}

/* Runs the loop until reached(arg) or bound_ms passes: whether it was
 * reached. */
static bool
run_until(bool (*reached)(uint64_t arg), uint64_t arg, int64_t bound_ms)
{
	int64_t end = clock_mono_ms() + bound_ms;
	while (!reached(arg)) {
		int64_t left = end - clock_mono_ms();
		if (left <= 0)
			return false;
		loop_turn(left);
	}
	return true;
}

static bool
done_at_least(uint64_t want)
{
	return rec.ndone >= want;
}

/* Runs the loop until `want` jobs are done or bound_ms passes. */
static bool
run_until_done(size_t want, int64_t bound_ms)
{
	return run_until(done_at_least, want, bound_ms);
}

static bool
has_output(uint64_t j)
{
	return rec.first_output_mono[j] != 0;
}

/* Runs the loop until job j has written something. */
static bool
run_until_output(uint64_t j, int64_t bound_ms)
{
	return run_until(has_output, j, bound_ms);
}

static bool
pid_dead(pid_t pid)
{
	if (kill(pid, 0) == -1 && errno == ESRCH)
		return true;
	/* A zombie waiting for its reaper is dead for our purposes. */
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return true;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *p = strrchr(buf, ')');
	return p != NULL && p[1] == ' ' && p[2] == 'Z';
}

/* Waits up to bound_ms for pid to be gone, reaping orphans that the
 * subreaper setting handed to us. */
static bool
wait_pid_dead(pid_t pid, int64_t bound_ms)
{
	int64_t end = clock_mono_ms() + bound_ms;
	for (;;) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (pid_dead(pid))
			return true;
		if (clock_mono_ms() >= end)
			return false;
		usleep(20000);
	}
}

static pid_t
read_pidfile(const char *path, int64_t bound_ms)
{
	int64_t end = clock_mono_ms() + bound_ms;
	for (;;) {
		FILE *f = fopen(path, "r");
		if (f != NULL) {
			int pid = 0;
			int ok = fscanf(f, "%d", &pid);
			fclose(f);
			if (ok == 1 && pid > 1)
				return (pid_t)pid;
		}
		if (clock_mono_ms() >= end)
			return -1;
		usleep(20000);
	}
}

/* Asserts that the process whose pid the job wrote to pidfile is there,
 * and is gone within the bound: nothing the job started outlives it. */
static void
assert_pidfile_process_dies(const char *pidfile)
{
	pid_t pid = read_pidfile(pidfile, 5000);
	assert_true(pid > 1);
	assert_true(wait_pid_dead(pid, 5000));
}

/* Open fds of this process, to catch a pipe the executor forgot to close. */
static int
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (d == NULL)
		return -1;
	int n = 0;
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

static int
setup(void **state)
{
	(void)state;
	memset(&rec, 0, sizeof(rec));
	exec_callbacks_t cb = {.on_output = on_output, .on_done = on_done, .ctx = &rec};
	rec.e = executor_new(&cb);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/rota-exec-XXXXXX");
	if (rec.e == NULL || mkdtemp(tmpdir) == NULL)
		return -1;
	/* Orphans of the shells come to us, so a test can see them die. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1)
		return -1;
	fds_at_setup = count_fds();
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	executor_destroy(&rec.e);
	int fds_now = count_fds();
	if (fds_now != fds_at_setup) {
		fprintf(stderr, "fd leak: %d open before, %d after\n", fds_at_setup, fds_now);
		return -1;
	}
	for (size_t i = 0; i < MAX_JOBS; i++) {
		free(rec.out[i][0].data);
		free(rec.out[i][1].data);
	}
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		return -1;
	return rec.violations == 0 ? 0 : -1;
}

static void
test_exit_code_and_streams(void **state)
{
	(void)state;
	uint64_t j = start_job("echo hello; echo oops >&2; exit 3", NULL, NULL, 0, 0);
	assert_int_equal(executor_running(rec.e), 1);
	assert_true(run_until_done(1, LOOP_BOUND_MS));
	assert_string_equal(out_of(j, 1), "hello\n");
	assert_string_equal(out_of(j, 2), "oops\n");
	assert_int_equal(rec.result[j].outcome, EXEC_EXITED);
	assert_int_equal(rec.result[j].exit_code, 3);
	assert_int_equal(rec.result[j].signal, 0);
	assert_true(rec.result[j].started_ms > 0);
	assert_true(rec.result[j].started_ms <= rec.result[j].ended_ms);
	assert_string_equal(rec.result[j].detail, "exited with code 3");
	assert_int_equal(executor_running(rec.e), 0);
	assert_int_equal(executor_next_timeout_ms(rec.e), -1);
	assert_int_equal(rec.violations, 0);
}

static void
test_output_streamed_before_exit(void **state)
{
	(void)state;
	uint64_t j = start_job("echo first; sleep 2; echo second", NULL, NULL, 0, 0);
	assert_true(run_until_done(1, LOOP_BOUND_MS));
	assert_true(rec.first_output_mono[j] > 0);
	assert_false(rec.done_at_first_output[j]);
	assert_true(rec.first_output_mono[j] - rec.start_mono[j] < 1500);
	assert_true(rec.done_mono[j] - rec.start_mono[j] >= 1900);
	assert_string_equal(out_of(j, 1), "first\nsecond\n");
	assert_int_equal(rec.result[j].outcome, EXEC_EXITED);
	assert_int_equal(rec.result[j].exit_code, 0);
}

static void
test_timeout_kills_group(void **state)
{
	(void)state;
	char pidfile[128], run[512];
	snprintf(pidfile, sizeof(pidfile), "%s/grandchild.pid", tmpdir);
	snprintf(run, sizeof(run),
	         "trap '' TERM; (trap '' TERM; sleep 300) & echo $! > '%s'; sleep 300", pidfile);
	uint64_t j = start_job(run, NULL, NULL, 500, 500);
	assert_true(run_until_done(1, 5000));
	int64_t took = rec.done_mono[j] - rec.start_mono[j];
	assert_true(took >= 900 && took < 3000);
	assert_int_equal(rec.result[j].outcome, EXEC_TIMED_OUT);
	assert_int_equal(rec.result[j].signal, SIGKILL);
	assert_non_null(strstr(rec.result[j].detail, "timed out after 500ms"));
	assert_non_null(strstr(rec.result[j].detail, "SIGTERM"));
	assert_non_null(strstr(rec.result[j].detail, "SIGKILL after 500ms grace"));

	assert_pidfile_process_dies(pidfile);
}

static void
test_timeout_sigterm_enough(void **state)
{
	(void)state;
	uint64_t j = start_job("sleep 30", NULL, NULL, 300, 0);
	assert_true(run_until_done(1, 5000));
	assert_true(rec.done_mono[j] - rec.start_mono[j] < 2000);
	assert_int_equal(rec.result[j].outcome, EXEC_TIMED_OUT);
	assert_int_equal(rec.result[j].signal, SIGTERM);
	assert_string_equal(rec.result[j].detail,
	                    "timed out after 300ms: sent SIGTERM to the process group");
}

static void
test_cancel(void **state)
{
	(void)state;
	uint64_t j = start_job("sleep 30", NULL, NULL, 0, 0);
	loop_turn(50);
	assert_int_equal(rec.ndone, 0);
	int64_t t0 = clock_mono_ms();
	assert_int_equal(executor_cancel(rec.e, j), 0);
	assert_int_equal(executor_cancel(rec.e, j), 0); /* a second ask is harmless */
	assert_true(run_until_done(1, 5000));
	assert_true(rec.done_mono[j] - t0 < 1000);
	assert_int_equal(rec.result[j].outcome, EXEC_CANCELLED);
	assert_int_equal(rec.result[j].signal, SIGTERM);
	assert_string_equal(rec.result[j].detail, "cancelled: sent SIGTERM to the process group");
	assert_int_equal(executor_cancel(rec.e, j), -1); /* gone */
}

static void
test_cancel_escalates_to_sigkill(void **state)
{
	(void)state;
	/* Cancel only once the trap is set, or SIGTERM alone would do. */
	uint64_t j = start_job("trap '' TERM; echo ready; sleep 30", NULL, NULL, 0, 300);
	assert_true(run_until_output(j, 5000));
	assert_int_equal(executor_cancel(rec.e, j), 0);
	assert_true(run_until_done(1, 5000));
	assert_int_equal(rec.result[j].outcome, EXEC_CANCELLED);
	assert_int_equal(rec.result[j].signal, SIGKILL);
	assert_non_null(strstr(rec.result[j].detail, "then SIGKILL after 300ms grace"));
}

static void
test_background_holder_does_not_hang(void **state)
{
	(void)state;
	char pidfile[128], run[256];
	snprintf(pidfile, sizeof(pidfile), "%s/bg.pid", tmpdir);
	snprintf(run, sizeof(run), "sleep 30 & echo $! > '%s'; echo started; exit 0", pidfile);
	uint64_t j = start_job(run, NULL, NULL, 0, 0);
	assert_true(run_until_done(1, 5000));
	int64_t took = rec.done_mono[j] - rec.start_mono[j];
	assert_true(took >= EXECUTOR_DRAIN_MS - 100);
	assert_true(took < EXECUTOR_DRAIN_MS + 1500);
	assert_int_equal(rec.result[j].outcome, EXEC_EXITED);
	assert_int_equal(rec.result[j].exit_code, 0);
	assert_string_equal(out_of(j, 1), "started\n");
	assert_non_null(strstr(rec.result[j].detail, "SIGKILL to what still held its output"));
	assert_pidfile_process_dies(pidfile);
}

static void
test_env_and_workdir(void **state)
{
	(void)state;
	assert_int_equal(setenv("FOO", "from-worker", 1), 0);
	assert_int_equal(setenv("ROTA_TEST_KEPT", "kept", 1), 0);
	const char *env[] = {"FOO=bar", "BAZ=1", "BAZ=2", NULL};
	uint64_t j =
	    start_job("echo $FOO; echo $BAZ; echo $ROTA_TEST_KEPT; pwd -P", env, tmpdir, 0, 0);
	assert_true(run_until_done(1, LOOP_BOUND_MS));
	char real[PATH_MAX], want[PATH_MAX + 64];
	assert_non_null(realpath(tmpdir, real));
	snprintf(want, sizeof(want), "bar\n2\nkept\n%s\n", real);
	assert_string_equal(out_of(j, 1), want);
	assert_int_equal(rec.result[j].outcome, EXEC_EXITED);
	assert_int_equal(rec.result[j].exit_code, 0);
	/* The worker's own environment is untouched. */
	assert_string_equal(getenv("FOO"), "from-worker");
	assert_null(getenv("BAZ"));
	unsetenv("FOO");
	unsetenv("ROTA_TEST_KEPT");
}

static void
test_bad_env_and_workdir_start_failed(void **state)
{
	(void)state;
	char missing[128];
	snprintf(missing, sizeof(missing), "%s/no-such-dir", tmpdir);
	uint64_t a = start_job("echo never", NULL, missing, 0, 0);
	const char *env[] = {"NOEQUALS", NULL};
	uint64_t b = start_job("echo never", env, NULL, 0, 0);
	assert_true(run_until_done(2, LOOP_BOUND_MS));
	assert_int_equal(rec.result[a].outcome, EXEC_START_FAILED);
	assert_non_null(strstr(rec.result[a].detail, "workdir"));
	assert_non_null(strstr(rec.result[a].detail, strerror(ENOENT)));
	assert_int_equal(rec.result[b].outcome, EXEC_START_FAILED);
	assert_non_null(strstr(rec.result[b].detail, "K=V"));
	assert_string_equal(out_of(a, 1), "");
	assert_string_equal(out_of(b, 1), "");
}

static void
test_signal_death(void **state)
{
	(void)state;
	uint64_t j = start_job("kill -9 $$", NULL, NULL, 0, 0);
	assert_true(run_until_done(1, LOOP_BOUND_MS));
	assert_int_equal(rec.result[j].outcome, EXEC_SIGNALED);
	assert_int_equal(rec.result[j].signal, 9);
	assert_non_null(strstr(rec.result[j].detail, "signal 9"));
}

/* The worker blocks signals for its signalfd and may ignore some; the
 * shell must get default dispositions and an empty mask regardless. (dash
 * clears its mask at start-up by itself, so with /bin/sh = dash this catches
 * only the dispositions half; an ignored signal survives exec.) */
static void
test_child_signals_reset(void **state)
{
	(void)state;
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	assert_int_equal(sigprocmask(SIG_BLOCK, &block, &old), 0);
	struct sigaction ign = {.sa_handler = SIG_IGN}, oldint;
	assert_int_equal(sigaction(SIGINT, &ign, &oldint), 0);

	uint64_t a = start_job("kill -TERM $$; sleep 5", NULL, NULL, 0, 0);
	uint64_t b = start_job("kill -INT $$; sleep 5", NULL, NULL, 0, 0);

	assert_int_equal(sigaction(SIGINT, &oldint, NULL), 0);
	assert_int_equal(sigprocmask(SIG_SETMASK, &old, NULL), 0);

	assert_true(run_until_done(2, LOOP_BOUND_MS));
	assert_int_equal(rec.result[a].outcome, EXEC_SIGNALED);
	assert_int_equal(rec.result[a].signal, SIGTERM);
	assert_int_equal(rec.result[b].outcome, EXEC_SIGNALED);
	assert_int_equal(rec.result[b].signal, SIGINT);
}

/* A shell child is started the way posix_spawn starts one (clone with
 * CLONE_VM | CLONE_VFORK), not by fork: it shares the worker's memory until
 * its exec, and executor_start returns only once the exec is done. So the
 * child is /bin/sh as soon as the start returns, every time; a forked child
 * is most often still a copy of this program then (issue 15). */
static void
test_shell_execed_when_start_returns(void **state)
{
	(void)state;
	char sh[PATH_MAX];
	assert_non_null(realpath("/bin/sh", sh));
	uint64_t ids[20];
	int copies = 0;
	for (size_t i = 0; i < 20; i++) {
		ids[i] = start_job("sleep 30", NULL, NULL, 0, 0);
		char link[64], exe[PATH_MAX];
		snprintf(link, sizeof(link), "/proc/%d/exe", (int)executor_pgid(rec.e, ids[i]));
		ssize_t n = readlink(link, exe, sizeof(exe) - 1);
		assert_true(n > 0);
		exe[n] = '\0';
		if (strcmp(exe, sh) != 0)
			copies++;
	}
	for (size_t i = 0; i < 20; i++)
		assert_int_equal(executor_cancel(rec.e, ids[i]), 0);
	assert_true(run_until_done(20, LOOP_BOUND_MS));
	assert_int_equal(copies, 0);
	for (size_t i = 0; i < 20; i++)
		assert_int_equal(rec.result[ids[i]].outcome, EXEC_CANCELLED);
}

static void
test_many_concurrent(void **state)
{
	(void)state;
	uint64_t ids[20];
	char run[64];
	for (int i = 0; i < 20; i++) {
		snprintf(run, sizeof(run), "echo job-%d", i);
		ids[i] = start_job(run, NULL, NULL, 0, 0);
	}
	assert_int_equal(executor_running(rec.e), 20);
	assert_true(executor_fd_count(rec.e) <= 40);
	assert_true(run_until_done(20, LOOP_BOUND_MS));
	for (int i = 0; i < 20; i++) {
		char want[64];
		snprintf(want, sizeof(want), "job-%d\n", i);
		assert_string_equal(out_of(ids[i], 1), want);
		assert_int_equal(rec.result[ids[i]].outcome, EXEC_EXITED);
		assert_int_equal(rec.result[ids[i]].exit_code, 0);
	}
	assert_int_equal(executor_running(rec.e), 0);
}

/* on_done may start jobs, and the job array may grow while tick walks it. */
static void
test_start_from_on_done(void **state)
{
	(void)state;
	rec.chain_left = 12;
	for (int i = 0; i < 8; i++)
		start_job("exit 0", NULL, NULL, 0, 0);
	assert_true(run_until_done(20, LOOP_BOUND_MS));
	assert_int_equal(rec.chain_left, 0);
	for (uint64_t j = 9; j <= 20; j++)
		assert_string_equal(out_of(j, 1), "chained\n");
}

static void
test_large_output_complete(void **state)
{
	(void)state;
	uint64_t j =
	    start_job("head -c 300000 /dev/zero | tr '\\0' x; echo end >&2", NULL, NULL, 0, 0);
	assert_true(run_until_done(1, LOOP_BOUND_MS));
	assert_int_equal(rec.out[j][0].len, 300000);
	for (size_t i = 0; i < rec.out[j][0].len; i++)
		if (rec.out[j][0].data[i] != 'x')
			fail_msg("byte %zu is %d", i, rec.out[j][0].data[i]);
	assert_string_equal(out_of(j, 2), "end\n");
	assert_int_equal(rec.result[j].exit_code, 0);
}

static void
test_destroy_kills_everything(void **state)
{
	(void)state;
	char pidfile[128], run[256];
	snprintf(pidfile, sizeof(pidfile), "%s/destroy.pid", tmpdir);
	snprintf(run, sizeof(run), "sleep 300 & echo $! > '%s'; wait", pidfile);
	start_job(run, NULL, NULL, 0, 0);
	pid_t bg = read_pidfile(pidfile, 5000);
	assert_true(bg > 1);
	int64_t t0 = clock_mono_ms();
	executor_destroy(&rec.e);
	assert_null(rec.e);
	executor_destroy(&rec.e); /* harmless twice */
	assert_true(clock_mono_ms() - t0 < 1000);
	assert_true(wait_pid_dead(bg, 5000));
	assert_int_equal(rec.ndone, 0); /* destroy reports nothing */
}

/* A function job: what the built-in checks run in a forked child. */
static int
fn_report(void *arg)
{
	const char *word = arg;
	/* Every fd but stdio must be closed: list what is left. */
	DIR *d = opendir("/proc/self/fd");
	if (d == NULL)
		return 99;
	char fds[256] = "";
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL && n < sizeof(fds) - 16) {
		if (de->d_name[0] == '.' || (int)strtol(de->d_name, NULL, 10) == dirfd(d))
			continue;
		n += (size_t)snprintf(fds + n, sizeof(fds) - n, "%s%d", n ? " " : "",
		                      (int)strtol(de->d_name, NULL, 10));
	}
	closedir(d);
	sigset_t mask;
	sigprocmask(SIG_SETMASK, NULL, &mask);
	dprintf(1, "%s fds=%s chld_blocked=%d pgrp_is_me=%d\n", word, fds,
	        sigismember(&mask, SIGCHLD), getpgrp() == getpid());
	dprintf(2, "to stderr\n");
	return 2;
}

static _Noreturn int
fn_hang(void *arg)
{
	(void)arg;
	for (;;)
		pause();
}

static uint64_t
start_fn(int (*fn)(void *), void *arg, const char *workdir, uint32_t timeout_ms)
{
	exec_spec_t spec = {.fn = fn, .arg = arg, .workdir = workdir, .timeout_ms = timeout_ms};
	uint64_t id = executor_start(rec.e, &spec);
	assert_true(id > 0 && id < MAX_JOBS);
	rec.start_mono[id] = clock_mono_ms();
	return id;
}

static void
test_function_job(void **state)
{
	(void)state;
	/* Another job's pipes are open in the worker while this one forks:
	 * the function child must not hold them. */
	uint64_t other = start_job("sleep 1", NULL, NULL, 0, 0);
	uint64_t j = start_fn(fn_report, "hello", NULL, 0);
	assert_true(run_until_done(2, LOOP_BOUND_MS));
	assert_string_equal(out_of(j, 1), "hello fds=0 1 2 chld_blocked=0 pgrp_is_me=1\n");
	assert_string_equal(out_of(j, 2), "to stderr\n");
	assert_int_equal(rec.result[j].outcome, EXEC_EXITED);
	assert_int_equal(rec.result[j].exit_code, 2);
	assert_string_equal(rec.result[j].detail, "exited with code 2");
	assert_int_equal(rec.result[other].outcome, EXEC_EXITED);
}

static void
test_function_job_timeout(void **state)
{
	(void)state;
	uint64_t j = start_fn(fn_hang, NULL, NULL, 300);
	assert_true(run_until_done(1, LOOP_BOUND_MS));
	assert_int_equal(rec.result[j].outcome, EXEC_TIMED_OUT);
	assert_int_equal(rec.result[j].signal, SIGTERM);
	assert_true(rec.done_mono[j] - rec.start_mono[j] < 3000);
}

static void
test_function_job_cancel(void **state)
{
	(void)state;
	uint64_t j = start_fn(fn_hang, NULL, NULL, 0);
	assert_int_equal(executor_cancel(rec.e, j), 0);
	assert_true(run_until_done(1, LOOP_BOUND_MS));
	assert_int_equal(rec.result[j].outcome, EXEC_CANCELLED);
}

static void
test_function_job_bad_workdir(void **state)
{
	(void)state;
	uint64_t j = start_fn(fn_report, "x", "/nonexistent/rota", 0);
	assert_true(run_until_done(1, LOOP_BOUND_MS));
	assert_int_equal(rec.result[j].outcome, EXEC_START_FAILED);
	assert_string_equal(out_of(j, 1), "");
	assert_non_null(strstr(rec.result[j].detail, "/nonexistent/rota"));
}

/* Field 22 of /proc/PID/stat, counted from the last ')' since the command
 * name may hold spaces and parentheses; and this process's own. */
static void
test_proc_starttime(void **state)
{
	(void)state;
	uint64_t t = 0;
	assert_int_equal(executor_parse_starttime("42 (a) b) c) S 1 42 42 0 -1 4194560 100 0 0 0"
	                                          " 1 2 0 0 20 0 1 0 987654321 1000 10\n",
	                                          &t),
	                 0);
	assert_int_equal(t, 987654321);
	assert_int_equal(executor_parse_starttime("42 (sh) S 1 42", &t), -1);
	assert_int_equal(executor_parse_starttime("no name here", &t), -1);
	assert_int_equal(executor_parse_starttime("42 (x) S 1 42 42 0 -1 4 1 0 0 0 1 2 0 0 20 0"
	                                          " 1 0 12x 1000",
	                                          &t),
	                 -1);
	uint64_t mine = 0, again = 0;
	assert_int_equal(executor_proc_starttime(getpid(), &mine), 0);
	assert_true(mine > 0);
	assert_int_equal(executor_proc_starttime(getpid(), &again), 0);
	assert_int_equal(mine, again);
	assert_int_equal(executor_proc_starttime(0x7ffffff0, &t), -1); /* no such pid */
}

static void
test_bad_arguments(void **state)
{
	(void)state;
	assert_null(executor_new(NULL));
	exec_callbacks_t half = {.on_output = on_output};
	assert_null(executor_new(&half));
	exec_spec_t spec = {.run = NULL};
	assert_int_equal(executor_start(rec.e, &spec), 0);
	exec_spec_t both = {.run = "true", .fn = fn_hang};
	assert_int_equal(executor_start(rec.e, &both), 0);
	assert_int_equal(executor_start(rec.e, NULL), 0);
	assert_int_equal(executor_cancel(rec.e, 12345), -1);
	assert_int_equal(executor_running(rec.e), 0);
	assert_int_equal(executor_fds(rec.e, NULL, 0), 0);
	executor_handle(rec.e, 0); /* unknown fd: ignored */
	executor_tick(rec.e);
	assert_int_equal(rec.ndone, 0);
}

int
main(void)
{
	/* SIGCHLD comes through a signalfd, as in the worker. */
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &chld, NULL) == -1)
		return 1;
	sigfd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sigfd == -1)
		return 1;

	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_exit_code_and_streams, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_output_streamed_before_exit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_timeout_kills_group, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_timeout_sigterm_enough, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cancel_escalates_to_sigkill, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_background_holder_does_not_hang, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_env_and_workdir, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_env_and_workdir_start_failed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_signal_death, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_child_signals_reset, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_shell_execed_when_start_returns, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_many_concurrent, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_start_from_on_done, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_large_output_complete, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_destroy_kills_everything, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_function_job, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_function_job_timeout, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_function_job_cancel, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_function_job_bad_workdir, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
	    cmocka_unit_test(test_proc_starttime),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	close(sigfd);
	return rc;
}
