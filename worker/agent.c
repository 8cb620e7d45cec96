/* agent: the worker's loop (see agent.h; agent_internal.h maps the other
 * files of the agent). It makes the agent, runs one zmq_poll a turn over
 * the signalfd, the link to the coordinator and the executor's pipes, and
 * stops it: the drain, the cancel, the flush of what the coordinator has
 * not acknowledged. At start it stops what a previous process left running. */
#include "agent.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include <zmq.h>

#include "agent_internal.h"
#include "clock.h"
#include "hostaddr.h"
#include "log.h"
#include "xalloc.h"

/* ---- life ---------------------------------------------------------------- */

agent_t *
agent_new(const agent_config_t *config, char **error)
{
	agent_t *a = xcalloc(1, sizeof(*a));
	a->cfg = *config;
	a->sigfd = -1;
	a->heartbeat_ms = AGENT_HEARTBEAT_MS;
	a->poll_cap = 16;
	a->fds = xcalloc(a->poll_cap, sizeof(*a->fds));
	/* Room for the signalfd, the socket and its monitor besides. */
	a->items = xcalloc(a->poll_cap + 3 + EPLIST_MAX, sizeof(*a->items));
	a->backoff_ms = AGENT_BACKOFF_MIN_MS;
	a->endpoints = eplist_parse(config->endpoint, error);
	if (a->endpoints == NULL) {
		char *why = *error;
		*error = xasprintf("--coordinator %s", why);
		free(why);
		agent_destroy(&a);
		return NULL;
	}
	if (getrandom(&a->instance, sizeof(a->instance), 0) != (ssize_t)sizeof(a->instance))
		a->instance = (uint64_t)clock_wall_ms() ^ ((uint64_t)getpid() << 32);
	a->instance |= 1; /* never 0, which means "unknown" */
	if (gethostname(a->hostname, sizeof(a->hostname) - 1) != 0)
		snprintf(a->hostname, sizeof(a->hostname), "unknown");
	for (size_t i = 0; config->addresses && config->addresses[i]; i++)
		strlist_add(&a->addresses, xstrdup(config->addresses[i]));
	if (a->addresses.count == 0)
		hostaddr_detect(&a->addresses, WIRE_MAX_ADDRESSES);

	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* A spool write past a file-size limit fails like a full disk (the
	 * step is refused), rather than kill the worker with SIGXFSZ. Steps
	 * get default dispositions back (executor.c). */
	signal(SIGXFSZ, SIG_IGN);
	a->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (a->sigfd < 0) {
		*error = xasprintf("signalfd: %s", strerror(errno));
		agent_destroy(&a);
		return NULL;
	}
	a->spool = spool_open(config->spool_dir, error);
	if (a->spool == NULL) {
		agent_destroy(&a);
		return NULL;
	}
	exec_callbacks_t cb = {
	    .on_output = agent_output_feed, .on_done = agent_step_on_done, .ctx = a};
	a->exec = executor_new(&cb);
	a->zctx = zmq_ctx_new();
	if (a->exec == NULL || a->zctx == NULL) {
		*error = xstrdup("cannot start the executor or ZeroMQ");
		agent_destroy(&a);
		return NULL;
	}
	return a;
}

void
agent_destroy(agent_t **ap)
{
	agent_t *a = *ap;
	if (a == NULL)
		return;
	executor_destroy(&a->exec);
	while (a->jobs) {
		agent_job_t *j = a->jobs;
		a->jobs = j->next;
		agent_step_free(j);
	}
	agent_link_close(a);
	if (a->zctx)
		zmq_ctx_term(a->zctx);
	spool_close(&a->spool);
	while (a->held)
		agent_link_unhold(a, a->held->keytext);
	eplist_destroy(&a->endpoints);
	strlist_free(&a->addresses);
	free(a->items);
	free(a->fds);
	if (a->sigfd >= 0)
		close(a->sigfd);
	free(a);
	*ap = NULL;
}

static void
agent_signals(agent_t *a)
{
	struct signalfd_siginfo si;
	while (read(a->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
			if (!a->stopping) {
				log_info("signal %u: stopping; %zu step(s) running get %u ms to"
				         " finish, no new ones are started",
				         si.ssi_signo, executor_running(a->exec), a->cfg.drain_ms);
				a->stopping = true;
				a->drain_deadline = clock_mono_ms() + a->cfg.drain_ms;
				agent_link_goodbye(a);
			} else if (!a->cancelled_all) {
				/* A second signal: do not wait out the drain. */
				log_info("signal %u again: stopping the running steps now",
				         si.ssi_signo);
				a->drain_deadline = clock_mono_ms();
			}
		}
		/* SIGCHLD: executor_tick below reaps. */
	}
}

/* One turn of a stop. Returns true when the worker may exit: no step runs
 * and the coordinator acknowledged every result, or the flush time ran
 * out (what is left stays spooled and goes with the next start's Hello). */
static bool
agent_stop_step(agent_t *a, int64_t *flush_deadline)
{
	int64_t now = clock_mono_ms();
	if (a->jobs != NULL) {
		if (!a->cancelled_all && now >= a->drain_deadline) {
			size_t n = 0;
			for (agent_job_t *j = a->jobs; j; j = j->next, n++)
				executor_cancel(a->exec, j->exec_id);
			if (a->cfg.drain_ms > 0)
				log_warn("drain time (%u ms) is over: stopping %zu step(s) still"
				         " running (SIGTERM, then SIGKILL after %d ms)",
				         a->cfg.drain_ms, n, EXECUTOR_KILL_GRACE_MS);
			a->cancelled_all = true;
		}
		return false;
	}
	if (*flush_deadline == 0)
		*flush_deadline = now + AGENT_STOP_GRACE_MS;
	if (spool_count(a->spool) == 0 && a->held == NULL)
		return true;
	if (now >= *flush_deadline) {
		log_info("%zu result(s) not acknowledged yet; they stay in the spool for the next"
		         " start",
		         spool_count(a->spool));
		if (a->held)
			log_error("%zu result(s) the spool could not keep are lost with this stop",
			          agent_link_held_count(a));
		return true;
	}
	return false;
}

/* ---- leftovers of a previous process -------------------------------- */

typedef struct agent_leftover {
	char *keytext; /* owned */
	pid_t pgid;
	uint64_t pstart;
	int64_t started_ms;
	bool killed; /* ours: its group was signalled */
	struct agent_leftover *next;
} agent_leftover_t;

static int
agent_collect_leftover(void *ctx, const char *key, int64_t pgid, uint64_t pstart,
                       int64_t started_ms)
{
	agent_leftover_t **list = ctx;
	if (pgid <= 1 || pgid > INT32_MAX)
		return 0; /* never ours: not a group to signal */
	agent_leftover_t *l = xcalloc(1, sizeof(*l));
	l->keytext = xstrdup(key);
	l->pgid = (pid_t)pgid;
	l->pstart = pstart;
	l->started_ms = started_ms;
	l->next = *list;
	*list = l;
	return 0;
}

/* Whether any process of the group is left (a zombie counts until its new
 * parent reaps it, so this may stay true for the whole grace). */
static bool
agent_group_alive(pid_t pgid)
{
	return kill(-pgid, 0) == 0 || errno == EPERM;
}

/* A worker killed with SIGKILL cannot stop its steps: their groups run on,
 * unwatched, while the coordinator may retry them elsewhere. At start, each
 * attempt the spool says was running here with no result is looked for: if
 * its group leader is still the process that was started (same pid, same
 * start time) the group is stopped (SIGTERM, SIGKILL after
 * AGENT_LEFTOVER_GRACE_MS) and a LOST result is spooled for it, which the
 * Hello carries. A group that is gone, or a pid since reused, is left alone:
 * the coordinator marks the attempt lost on Hello, as before.
 *
 * This blocks for up to the grace, before the poll loop starts: nothing else
 * waits on this worker yet, and a restart is rare. */
static void
agent_stop_leftovers(agent_t *a)
{
	agent_leftover_t *list = NULL;
	if (spool_process_each(a->spool, agent_collect_leftover, &list) != 0)
		log_error("cannot read the started steps from the spool; steps a previous"
		          " process left running are not stopped");
	size_t killed = 0;
	for (agent_leftover_t *l = list; l; l = l->next) {
		uint64_t now_start = 0;
		if (executor_proc_starttime(l->pgid, &now_start) != 0 || now_start != l->pstart) {
			/* Gone, or another process has its pid: nothing of ours. */
			spool_forget_process(a->spool, l->keytext);
			continue;
		}
		if (kill(-l->pgid, SIGTERM) != 0 && errno != ESRCH) {
			log_error("cannot stop the leftover process group %d of step %s: %s",
			          (int)l->pgid, l->keytext, strerror(errno));
			continue;
		}
		l->killed = true;
		killed++;
	}
	int64_t deadline = clock_mono_ms() + AGENT_LEFTOVER_GRACE_MS;
	while (killed > 0) {
		size_t alive = 0;
		for (agent_leftover_t *l = list; l; l = l->next)
			alive += l->killed && agent_group_alive(l->pgid);
		if (alive == 0 || clock_mono_ms() >= deadline)
			break;
		usleep(AGENT_LEFTOVER_POLL_MS * 1000);
	}
	agent_leftover_t *next;
	for (agent_leftover_t *l = list; l; l = next) {
		next = l->next;
		if (l->killed) {
			if (agent_group_alive(l->pgid))
				kill(-l->pgid, SIGKILL);
			char *run_id = NULL, *step_id = NULL;
			uint32_t attempt = 0;
			if (agent_link_keytext_parse(l->keytext, &run_id, &step_id, &attempt) !=
			    0) {
				log_error(
				    "stopped the leftover process group %d of an unreadable step"
				    " key %s; no result spooled for it",
				    (int)l->pgid, l->keytext);
				spool_forget_process(a->spool, l->keytext);
			} else {
				log_warn("worker restarted: stopped the leftover process group %d "
				         "of step"
				         " %s/%s#%u",
				         (int)l->pgid, run_id, step_id, attempt);
				Rota__StepKey key = ROTA__STEP_KEY__INIT;
				key.run_id = run_id;
				key.step_id = step_id;
				key.host = (char *)a->cfg.id;
				key.attempt = attempt;
				char detail[256];
				snprintf(
				    detail, sizeof(detail),
				    "the worker restarted (its previous process died while the step"
				    " ran) and stopped the step's leftover process group %d; "
				    "whether"
				    " the step did its work is unknown",
				    (int)l->pgid);
				Rota__Result r = ROTA__RESULT__INIT;
				r.key = &key;
				r.status = ROTA__STEP_STATUS__STEP_LOST;
				r.detail = detail;
				r.started_ms = l->started_ms;
				r.ended_ms = clock_wall_ms();
				agent_link_report(a, l->keytext,
				                  &r); /* spooled; the Hello carries it */
				free(run_id);
				free(step_id);
			}
		}
		free(l->keytext);
		free(l);
	}
}

int
agent_run(agent_t *a)
{
	uint64_t out_bytes = 0;
	size_t out_chunks = spool_output_count(a->spool, NULL, &out_bytes);
	log_info("worker %s starting; coordinator %s; spool %s (%zu unacknowledged result(s),"
	         " %zu output chunk(s), %llu bytes)",
	         a->cfg.id, a->cfg.endpoint, a->cfg.spool_dir, spool_count(a->spool), out_chunks,
	         (unsigned long long)out_bytes);
	agent_stop_leftovers(a);
	if (agent_link_connect(a) != 0)
		return -1;
	a->next_heartbeat = clock_mono_ms() + a->heartbeat_ms;
	int64_t flush_deadline = 0;
	while (true) {
		if (a->stopping && agent_stop_step(a, &flush_deadline))
			break;

		size_t want = executor_fd_count(a->exec);
		if (want > a->poll_cap) {
			a->poll_cap = want;
			a->fds = xrealloc(a->fds, want * sizeof(*a->fds));
			a->items = xrealloc(a->items, (want + 3 + EPLIST_MAX) * sizeof(*a->items));
		}
		zmq_pollitem_t *items = a->items;
		int *fds = a->fds;
		size_t nfds = executor_fds(a->exec, fds, a->poll_cap);
		size_t n = 0;
		items[n++] = (zmq_pollitem_t){NULL, a->sigfd, ZMQ_POLLIN, 0};
		if (a->sock)
			items[n++] = (zmq_pollitem_t){a->sock, 0, ZMQ_POLLIN, 0};
		size_t monitor_at = n;
		if (a->monitor)
			items[n++] = (zmq_pollitem_t){a->monitor, 0, ZMQ_POLLIN, 0};
		size_t first_fd = n;
		for (size_t i = 0; i < nfds; i++)
			items[n++] = (zmq_pollitem_t){NULL, fds[i], ZMQ_POLLIN, 0};
		size_t probes_at = n;
		size_t nprobes = agent_probe_pollitems(a, items + n);
		n += nprobes;

		int64_t now = clock_mono_ms();
		int64_t wait = a->next_heartbeat - now;
		int64_t et = executor_next_timeout_ms(a->exec);
		if (et >= 0 && et < wait)
			wait = et;
		if (a->reconnect_at && a->reconnect_at - now < wait)
			wait = a->reconnect_at - now;
		int64_t probe_due = agent_probe_due(a);
		if (probe_due - now < wait)
			wait = probe_due - now;
		if (a->stopping && wait > 100)
			wait = 100;
		if (wait < 0)
			wait = 0;
		if (zmq_poll(items, (int)n, (long)wait) < 0) {
			if (errno == EINTR)
				continue;
			log_error("zmq_poll: %s", zmq_strerror(errno));
			return -1;
		}
		/* The turn's output chunks and acknowledgements are one spool
		 * transaction (spool.h says what commits earlier). */
		spool_begin(a->spool);
		if (items[0].revents & ZMQ_POLLIN)
			agent_signals(a);
		if (a->monitor && (items[monitor_at].revents & ZMQ_POLLIN))
			agent_link_monitor(a);
		for (size_t i = first_fd; i < probes_at; i++) {
			if (items[i].revents)
				executor_handle(a->exec, items[i].fd);
		}
		if (a->sock && (items[1].revents & ZMQ_POLLIN)) {
			for (int k = 0; k < 1000 && a->sock; k++) {
				wire_msg_t msg;
				int rc = wire_recv(a->sock, 0, &msg, &a->wire);
				if (rc == WIRE_ERR_AGAIN || rc == WIRE_ERR_IO)
					break;
				if (rc != WIRE_OK) {
					log_warn("dropped a frame from the coordinator: %s",
					         wire_strerror(rc));
					continue;
				}
				agent_link_handle(a, msg.env);
				wire_msg_clear(&msg);
			}
		}
		/* Read after the link: an answer that moves it closes the probes. */
		if (nprobes)
			agent_probe_read(a, items + probes_at, nprobes);
		executor_tick(a->exec);
		if (spool_commit(a->spool) != 0)
			agent_output_spool_failed(a, NULL);

		now = clock_mono_ms();
		if (a->reconnect_at && now >= a->reconnect_at)
			agent_link_connect(a);
		if (now >= a->next_heartbeat) {
			/* After a skipped heartbeat, the next is due an interval
			 * after what went instead. */
			int64_t next = now + a->heartbeat_ms;
			if (a->sock) {
				if (agent_link_heartbeat_due(a, now))
					agent_link_heartbeat(a);
				else
					next = a->last_tx + a->heartbeat_ms;
				if (now - a->last_rx >
				        (int64_t)a->heartbeat_ms * AGENT_LOST_INTERVALS &&
				    !agent_link_awaits_return(a, now))
					agent_link_disconnect(a, "is silent");
				else if (a->state == AGENT_HELLO_SENT &&
				         now - a->hello_sent_at > AGENT_HELLO_RETRY_MS)
					agent_link_hello(a);
				else if (a->state == AGENT_READY && now >= a->next_resend) {
					bool sent = agent_link_resend_all(a);
					a->next_resend = 0;
					agent_link_schedule_resend(a, !sent);
				}
			}
			a->next_heartbeat = next;
		}
		agent_probe_tick(a, clock_mono_ms());
	}
	log_info("worker %s stopped (%zu unacknowledged result(s) spooled)", a->cfg.id,
	         spool_count(a->spool));
	return 0;
}
