/* agent_step: a step's life on this worker (agent_internal.h). A Dispatch
 * is checked (fence, host, a resent order, the spool's record of a start),
 * refused when its kind (agent_kind.h) or this worker's rules
 * (step_policy.h) say so, and otherwise started as its kind runs: a shell
 * child, or a child that execs rota-check; a noop ends at once. When the
 * executor says it ended, its Result is made and reported.
 *
 * Must never: start an attempt twice (the spool records every start before
 * the fork), or start a step its kind or the worker's rules refuse. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "agent_internal.h"
#include "agent_kind.h"
#include "check.h"
#include "clock.h"
#include "log.h"
#include "step_policy.h"
#include "xalloc.h"

agent_job_t *
agent_step_by_exec(agent_t *a, uint64_t exec_id)
{
	for (agent_job_t *j = a->jobs; j; j = j->next) {
		if (j->exec_id == exec_id)
			return j;
	}
	return NULL;
}

static const char *
agent_step_signal_name(int sig)
{
	const char *name = sigabbrev_np(sig);
	return name ? name : "?";
}

/* The Result of a shell step: its exit code decides. */
static int
agent_step_shell_status(agent_t *a, const exec_result_t *res, char *detail, size_t len)
{
	int status;
	switch (res->outcome) {
	case EXEC_EXITED:
		status = res->exit_code == 0 ? ROTA__STEP_STATUS__STEP_SUCCEEDED
		                             : ROTA__STEP_STATUS__STEP_FAILED;
		if (res->exit_code != 0)
			snprintf(detail, len, "exited with status %d", res->exit_code);
		else
			detail[0] = '\0';
		break;
	case EXEC_SIGNALED:
		status = ROTA__STEP_STATUS__STEP_FAILED;
		snprintf(detail, len, "killed by signal %d (SIG%s)", res->signal,
		         agent_step_signal_name(res->signal));
		break;
	case EXEC_TIMED_OUT:
		status = ROTA__STEP_STATUS__STEP_TIMEOUT;
		snprintf(detail, len, "%s", res->detail);
		break;
	case EXEC_CANCELLED:
		status = ROTA__STEP_STATUS__STEP_CANCELLED;
		if (a->stopping && a->cfg.drain_ms > 0)
			snprintf(detail, len,
			         "worker %s stopped and the step did not finish within its drain"
			         " time (%us): %s",
			         a->cfg.id, a->cfg.drain_ms / 1000, res->detail);
		else if (a->stopping)
			snprintf(detail, len, "worker %s stopped while the step ran: %s", a->cfg.id,
			         res->detail);
		else
			snprintf(detail, len, "%s", res->detail);
		break;
	default:
		/* The executor's detail already says it could not start. */
		status = ROTA__STEP_STATUS__STEP_ERROR;
		snprintf(detail, len, "%s", res->detail);
		break;
	}
	return status;
}

/* The Result of a built-in check: its exit code is its verdict (check.h)
 * and its report's first line the detail. A verdict of error, and a check
 * process that died of a signal, are STEP_ERROR: the check could not be
 * made, which is not the same news as a service that answered badly
 * (FAILED), and the runbook's author, not the service, has to act. */
static int
agent_step_check_status(agent_t *a, const agent_job_t *j, const exec_result_t *res, char *detail,
                        size_t len)
{
	const char *summary = j->summary;
	switch (res->outcome) {
	case EXEC_EXITED:
		switch (res->exit_code) {
		case CHECK_PASS:
			snprintf(detail, len, "%s", summary);
			return ROTA__STEP_STATUS__STEP_SUCCEEDED;
		case CHECK_FAIL:
			snprintf(detail, len, "%s", summary[0] ? summary : "the check failed");
			return ROTA__STEP_STATUS__STEP_FAILED;
		case CHECK_ERROR:
			snprintf(detail, len, "%s",
			         summary[0] ? summary : "the check could not be made");
			return ROTA__STEP_STATUS__STEP_ERROR;
		default:
			snprintf(detail, len, "the check process exited with status %d%s%s",
			         res->exit_code, summary[0] ? ": " : "", summary);
			return ROTA__STEP_STATUS__STEP_ERROR;
		}
	case EXEC_SIGNALED:
		snprintf(detail, len, "the check process was killed by signal %d (SIG%s)",
		         res->signal, agent_step_signal_name(res->signal));
		return ROTA__STEP_STATUS__STEP_ERROR;
	case EXEC_TIMED_OUT:
		/* The check's own timeout fails it with a report; this is the
		 * executor's backstop, CHECK_KILL_SLACK_MS later. */
		snprintf(detail, len, "the check did not end by itself: %s", res->detail);
		return ROTA__STEP_STATUS__STEP_TIMEOUT;
	case EXEC_CANCELLED:
	default:
		/* Cancelled or never started: as for a shell step. */
		return agent_step_shell_status(a, res, detail, len);
	}
}

void
agent_step_on_done(void *ctx, uint64_t job, const exec_result_t *res)
{
	agent_t *a = ctx;
	agent_job_t *j = agent_step_by_exec(a, job);
	if (j == NULL)
		return;
	Rota__StepKey key;
	agent_link_fill_key(a, j, &key);
	Rota__Result r = ROTA__RESULT__INIT;
	char detail[512];
	r.key = &key;
	r.exit_code = res->exit_code;
	r.signal = res->signal;
	r.started_ms = res->started_ms;
	r.ended_ms = res->ended_ms;
	agent_output_flush_redacted(a, j);
	agent_output_tail_flush(a, j);
	/* The chunks must be durable (or known lost) before the Result says
	 * whether they are. */
	if (spool_sync(a->spool) != 0)
		agent_output_spool_failed(a, NULL);
	r.output_seq = j->seq;
	r.output_bytes = j->chunk_bytes;
	r.spool_error = j->spool_error;
	if (j->check)
		r.status = agent_step_check_status(a, j, res, detail, sizeof(detail));
	else
		r.status = agent_step_shell_status(a, res, detail, sizeof(detail));
	r.detail = detail;
	if (j->check && r.status == ROTA__STEP_STATUS__STEP_SUCCEEDED)
		r.value = j->value;
	log_info("step %s/%s#%u finished: %s%s%s", j->run_id, j->step_id, j->attempt,
	         r.status == ROTA__STEP_STATUS__STEP_SUCCEEDED ? "ok" : "not ok",
	         detail[0] ? ", " : "", detail);
	agent_link_report(a, j->keytext, &r);

	for (agent_job_t **p = &a->jobs; *p; p = &(*p)->next) {
		if (*p == j) {
			*p = j->next;
			break;
		}
	}
	agent_step_free(j);
}

void
agent_step_free(agent_job_t *j)
{
	if (j == NULL)
		return;
	free(j->run_id);
	free(j->step_id);
	free(j->keytext);
	free(j->spool_error);
	agent_output_tail_free(j);
	redactor_destroy(&j->redact[0]);
	redactor_destroy(&j->redact[1]);
	free(j);
}

/* A Result for a step that ends as it is dispatched: refused, or a noop. */
static void
agent_step_result_now(agent_t *a, const Rota__StepKey *k, const char *keytext, int status,
                      const char *detail)
{
	Rota__StepKey key;
	wire_step_key_copy(&key, k); /* spooled: not the coordinator's unknown fields */
	Rota__Result r = ROTA__RESULT__INIT;
	r.key = &key;
	r.status = status;
	r.detail = (char *)detail;
	r.started_ms = r.ended_ms = clock_wall_ms();
	agent_link_report(a, keytext, &r);
}

/* What a check's child needs: the helper to exec and the step's spec,
 * packed in the parent (the child only writes it). Borrowed. */
typedef struct {
	const char *helper;
	const uint8_t *spec;
	size_t len;
} agent_step_check_job_t;

/* The body of a check's child process (executor.h says what it may do):
 * hands the packed spec to rota-check on its stdin through a memfd (any
 * size, and no writer to block on) and execs it; rota-check writes the
 * report to stdout and exits with the verdict, as check_run did here when
 * the worker linked libcurl. The exec keeps the worker's environment, as
 * the in-process check saw it (proxy variables). */
static int
agent_step_check_child(void *arg)
{
	const agent_step_check_job_t *cj = arg;
	if (cj->helper == NULL) {
		dprintf(STDOUT_FILENO, "cannot run the check: the worker has no check helper"
		                       " (rota-check; see --check-helper)\n");
		return CHECK_ERROR;
	}
	int fd = memfd_create("rota-check-spec", MFD_CLOEXEC);
	if (fd < 0) {
		dprintf(STDOUT_FILENO, "cannot run the check: memfd_create: %s\n", strerror(errno));
		return CHECK_ERROR;
	}
	for (size_t off = 0; off < cj->len;) {
		ssize_t w = write(fd, cj->spec + off, cj->len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			dprintf(STDOUT_FILENO, "cannot run the check: writing its spec: %s\n",
			        strerror(errno));
			return CHECK_ERROR;
		}
		off += (size_t)w;
	}
	/* dup2 clears close-on-exec on the copy: stdin survives the exec. */
	if (lseek(fd, 0, SEEK_SET) != 0 || dup2(fd, STDIN_FILENO) != STDIN_FILENO) {
		dprintf(STDOUT_FILENO, "cannot run the check: %s\n", strerror(errno));
		return CHECK_ERROR;
	}
	close(fd);
	char *const argv[] = {"rota-check", NULL};
	execv(cj->helper, argv);
	dprintf(STDOUT_FILENO, "cannot run the check helper %s: %s\n", cj->helper, strerror(errno));
	return CHECK_ERROR;
}

void
agent_step_start(agent_t *a, const Rota__Dispatch *d)
{
	const Rota__StepKey *k = d->key;
	if (k == NULL || k->run_id == NULL || k->step_id == NULL || k->host == NULL ||
	    d->spec == NULL) {
		a->wire.dropped_empty++;
		return;
	}
	if (d->fence < a->epoch) {
		log_warn("dropped an order from a stale coordinator (epoch %llu < %llu)",
		         (unsigned long long)d->fence, (unsigned long long)a->epoch);
		return;
	}
	if (strcmp(k->host, a->cfg.id) != 0) {
		log_warn("dropped an order for host %s (I am %s)", k->host, a->cfg.id);
		return;
	}
	Rota__StepKey key;
	wire_step_key_copy(&key, k);
	Rota__Accepted acc = ROTA__ACCEPTED__INIT;
	acc.key = &key;
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_ACCEPTED;
	env.accepted = &acc;

	char *keytext = agent_link_keytext(k->run_id, k->step_id, k->attempt);
	for (agent_job_t *j = a->jobs; j; j = j->next) {
		if (strcmp(j->keytext, keytext) == 0) {
			agent_link_send(a, &env); /* a resent order: it runs already */
			free(keytext);
			return;
		}
	}
	if (a->stopping) {
		/* Not started, so not accepted: the Goodbye tells the
		 * coordinator to hold it (it was sent before this one arrived,
		 * or crossed it). */
		log_info("not starting %s/%s#%u: this worker is stopping", k->run_id, k->step_id,
		         k->attempt);
		agent_link_goodbye(a);
		free(keytext);
		return;
	}
	int started = spool_mark_started(a->spool, keytext);
	if (started < 0) {
		/* Without the spool a result could be lost and an attempt run
		 * twice: refuse, and say why. */
		log_error("cannot record the start of %s/%s#%u in the spool; refusing it",
		          k->run_id, k->step_id, k->attempt);
		agent_step_result_now(a, k, keytext, ROTA__STEP_STATUS__STEP_ERROR,
		                      "the worker cannot write its spool (disk full or"
		                      " unwritable?); the step was not started");
		free(keytext);
		return;
	}
	if (started != 0) {
		/* Started before: never twice. Answer with its spooled result,
		 * or, when there is none (this worker restarted while it ran),
		 * say it is lost, so the coordinator does not wait forever. */
		size_t len = 0;
		uint8_t *data = spool_get(a->spool, keytext, &len);
		if (data == NULL || agent_link_send_spooled(a, data, len) != 0) {
			log_warn("refused to start %s/%s#%u again: it was started before",
			         k->run_id, k->step_id, k->attempt);
			agent_step_result_now(a, k, keytext, ROTA__STEP_STATUS__STEP_LOST,
			                      "the worker had started this attempt before (it"
			                      " restarted meanwhile) and holds no result; not run"
			                      " again");
		}
		free(data);
		free(keytext);
		return;
	}
	char why[256];
	if (agent_kind_refuses(d->spec, a->cfg.id, why, sizeof(why))) {
		agent_step_result_now(a, k, keytext, ROTA__STEP_STATUS__STEP_ERROR, why);
		free(keytext);
		return;
	}
	/* Before the noop shortcut: a refused runbook gets no success either. */
	if (step_policy_refuses(&a->cfg, d->spec, why, sizeof(why))) {
		log_warn("refused %s/%s#%u: %s", k->run_id, k->step_id, k->attempt, why);
		agent_step_result_now(a, k, keytext, ROTA__STEP_STATUS__STEP_ERROR, why);
		free(keytext);
		return;
	}
	const agent_kind_t *kind = agent_kind_find(d->spec); /* known: not refused */
	if (kind->runs == AGENT_KIND_NOOP) {
		/* Nothing to run, so nothing to fork: accepted and done. */
		agent_link_send(a, &env);
		agent_step_result_now(a, k, keytext, ROTA__STEP_STATUS__STEP_SUCCEEDED, "");
		log_info("step %s/%s#%u (noop) finished: ok", k->run_id, k->step_id, k->attempt);
		free(keytext);
		return;
	}
	if (executor_running(a->exec) >= a->cfg.capacity) {
		agent_step_result_now(a, k, keytext, ROTA__STEP_STATUS__STEP_ERROR,
		                      "the worker is at capacity");
		free(keytext);
		return;
	}
	step_policy_user_t user;
	char workdir[PATH_MAX];
	bool check = kind->runs == AGENT_KIND_CHECK;
	const Rota__ShellSpec *sh = d->spec->shell;
	if (step_policy_user(&a->cfg, d->spec->run_as ? d->spec->run_as : "", &user, why,
	                     sizeof(why)) != 0 ||
	    step_policy_workdir(&a->cfg, check ? NULL : sh->workdir, workdir, sizeof(workdir), why,
	                        sizeof(why)) != 0) {
		log_warn("refused %s/%s#%u: %s", k->run_id, k->step_id, k->attempt, why);
		agent_step_result_now(a, k, keytext, ROTA__STEP_STATUS__STEP_ERROR, why);
		free(user.groups);
		free(keytext);
		return;
	}
	/* Checks take no step environment: rota-check runs with the
	 * worker's own, as the in-process check did (agent_step_check_child). */
	char **env_kv = check ? NULL : step_policy_env(&a->cfg, d, &user);
	exec_spec_t spec;
	uint8_t *packed = NULL; /* owned: the check's spec for rota-check */
	agent_step_check_job_t cj = {.helper = a->cfg.check_helper};
	if (check) {
		/* The check blocks, so it runs in a child of its own; cj is
		 * only read there, in the child's copy of memory. */
		cj.len = rota__step_spec__get_packed_size(d->spec);
		packed = xmalloc(cj.len + 1);
		rota__step_spec__pack(d->spec, packed);
		cj.spec = packed;
		uint64_t t = (uint64_t)check_timeout_ms(d->spec) + CHECK_KILL_SLACK_MS;
		spec = (exec_spec_t){
		    .fn = agent_step_check_child,
		    .arg = &cj,
		    .timeout_ms = t > UINT32_MAX ? UINT32_MAX : (uint32_t)t,
		};
	} else {
		spec = (exec_spec_t){
		    .run = sh->run,
		    .env = (const char *const *)env_kv,
		    .env_only = true,
		    .timeout_ms = d->spec->timeout_ms,
		};
	}
	spec.workdir = workdir;
	spec.set_umask = true;
	spec.umask = a->cfg.umask;
	spec.set_ids = user.switch_ids;
	spec.uid = user.uid;
	spec.gid = user.gid;
	spec.groups = user.groups;
	spec.ngroups = user.ngroups > 0 ? (size_t)user.ngroups : 0;
	agent_job_t *j = xcalloc(1, sizeof(*j));
	j->check = check;
	j->run_id = xstrdup(k->run_id);
	j->step_id = xstrdup(k->step_id);
	j->attempt = k->attempt;
	j->keytext = keytext;
	/* What it sends is also what the spool holds until acknowledged:
	 * never unbounded. */
	j->limit = d->spec->output_limit ? d->spec->output_limit : AGENT_OUTPUT_LIMIT_BYTES;
	if (d->spec->n_secret_env > 0) {
		const char **values = xcalloc(d->spec->n_secret_env + 1, sizeof(*values));
		for (size_t i = 0; i < d->spec->n_secret_env; i++)
			values[i] = d->spec->secret_env[i]->value;
		j->redact[0] = redactor_new(values, d->spec->n_secret_env);
		j->redact[1] = redactor_new(values, d->spec->n_secret_env);
		free(values);
	}
	j->next = a->jobs;
	a->jobs = j;
	agent_link_send(a, &env);
	j->exec_id = executor_start(a->exec, &spec);
	free(packed); /* the child has its copy */
	/* Its group, so a restart after this worker is SIGKILLed can stop what
	 * would otherwise run on unwatched (agent_stop_leftovers). */
	pid_t pgid = executor_pgid(a->exec, j->exec_id);
	uint64_t pstart = 0;
	if (pgid > 0 && executor_proc_starttime(pgid, &pstart) == 0)
		spool_mark_process(a->spool, keytext, pgid, pstart);
	else if (pgid > 0)
		log_warn("step %s/%s#%u: cannot read the start time of its process %d; a restart"
		         " after a crash would not stop it",
		         k->run_id, k->step_id, k->attempt, (int)pgid);
	step_policy_env_free(env_kv);
	free(user.groups);
	log_info("step %s/%s#%u started%s%s", k->run_id, k->step_id, k->attempt,
	         user.switch_ids ? " as " : "", user.switch_ids ? user.name : "");
	if (j->exec_id == 0) {
		exec_result_t res = {.outcome = EXEC_START_FAILED,
		                     .started_ms = clock_wall_ms(),
		                     .ended_ms = clock_wall_ms()};
		snprintf(res.detail, sizeof(res.detail), "the executor could not track the job");
		agent_step_on_done(a, 0, &res);
	}
}
