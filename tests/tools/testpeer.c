/* rota-testpeer: sends what no rota program would, for tests.
 *
 *   rota-testpeer garbage ENDPOINT   one DEALER sends every kind of bad frame
 *                                    (random bytes, empty, multi-part, wrong
 *                                    version, no body, an oversized frame on a
 *                                    second connection, a Result from a worker
 *                                    that never said Hello) and exits 0.
 *   rota-testpeer api DIR            a stand-in for the coordinator's operator
 *                                    API: binds a ROUTER on an ephemeral
 *                                    loopback port, writes "api=EP" to
 *                                    DIR/endpoints and answers every request
 *                                    from the canned fleet below until killed.
 *                                    It lets the CLI's display of answers be
 *                                    tested before the coordinator gives them.
 *                                    `rota runs --limit 4321` is answered
 *                                    with a frame over WIRE_MAX_ANSWER_BYTES,
 *                                    which no coordinator sends.
 *
 *   rota-testpeer dispatch ENDPOINT_FILE STEP...
 *                                    plays a coordinator for one worker, so a
 *                                    test can hand a real rota-worker any step
 *                                    spec, whatever the runbook parser knows:
 *                                    binds a ROUTER on an ephemeral loopback
 *                                    port, writes its endpoint to
 *                                    ENDPOINT_FILE, welcomes the first worker,
 *                                    dispatches each STEP in turn and waits
 *                                    for its Result. It prints, per step,
 *                                      output ID stdout|stderr LINE
 *                                      result ID STATUS EXIT_CODE DETAIL
 *                                    and exits 0, or 1 when a step gets no
 *                                    Result within DISPATCH_STEP_WAIT_MS.
 *
 *   rota-testpeer silent ENDPOINT ID GO_FILE
 *                                    a worker that freezes: says Hello as ID,
 *                                    prints "welcome EPOCH", then sends nothing
 *                                    (and reads nothing) until GO_FILE exists,
 *                                    sends one Heartbeat with that epoch and
 *                                    prints "heartbeat EPOCH" for the first
 *                                    Heartbeat that comes back. Exits 0, or 1
 *                                    when an answer does not come in
 *                                    SILENT_WAIT_MS.
 *
 *   rota-testpeer hello ENDPOINT ID LABELS BYTES
 *                                    says Hello as worker ID with LABELS
 *                                    labels whose values are BYTES bytes
 *                                    each, and prints what the coordinator
 *                                    answers within HELLO_WAIT_MS:
 *                                      welcome
 *                                      refused MESSAGE
 *                                    (exit 0), or exits 1 on no answer.
 *
 *   rota-testpeer oddhello ENDPOINT ID HOSTNAME [RUN STEP ATTEMPT SIGNAL EXIT ENDED_MS]
 *                                    says Hello as worker ID with HOSTNAME
 *                                    (any bytes), waits for the Welcome (exit
 *                                    1 without one in 5 s), and with the rest
 *                                    sends a succeeded Result for that key
 *                                    with those raw values, then exits 0.
 *
 * A STEP is ID|KIND|key=value|... with KIND one of shell, http_check,
 * disk_check, metric_check, noop, manual, notify or none (no kind set), and
 * the keys of its proto message (run; url, method, expect_status,
 * body_contains; path, min_free_pct, min_free_bytes; url, metric, op, value,
 * label=k=v; prompt; message) plus timeout_ms and output_limit.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "clock.h"
#include "publish.h"
#include "wire.h"
#include "xalloc.h"

#define DISPATCH_STEP_WAIT_MS 30000  /* for one step's Result */
#define DISPATCH_HELLO_WAIT_MS 15000 /* for the worker to say Hello */
#define DISPATCH_HEARTBEAT_MS 500

static int
send_frame(void *sock, const void *data, size_t len, int flags)
{
	if (zmq_send(sock, data, len, flags) < 0) {
		fprintf(stderr, "rota-testpeer: send: %s\n", zmq_strerror(zmq_errno()));
		return -1;
	}
	return 0;
}

static int
garbage(const char *endpoint)
{
	void *ctx = zmq_ctx_new();
	void *s = zmq_socket(ctx, ZMQ_DEALER);
	int linger = 2000;
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(s, ZMQ_ROUTING_ID, "intruder", 8);
	if (zmq_connect(s, endpoint) != 0) {
		fprintf(stderr, "rota-testpeer: connect %s: %s\n", endpoint,
		        zmq_strerror(zmq_errno()));
		return 1;
	}
	int rc = 0;
	/* Random bytes. */
	uint8_t junk[512];
	srand(42);
	for (int i = 0; i < 20; i++) {
		size_t n = (size_t)(rand() % (int)sizeof(junk)) + 1;
		for (size_t k = 0; k < n; k++)
			junk[k] = (uint8_t)rand();
		rc |= send_frame(s, junk, n, 0);
	}
	/* An empty frame and a multi-part message. */
	rc |= send_frame(s, "", 0, 0);
	rc |= send_frame(s, "part1", 5, ZMQ_SNDMORE);
	rc |= send_frame(s, "part2", 5, 0);
	/* A well-formed envelope of another protocol version. */
	Rota__Heartbeat hb = ROTA__HEARTBEAT__INIT;
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_HEARTBEAT;
	env.heartbeat = &hb;
	size_t len;
	uint8_t *buf = wire_encode(&env, &len);
	env.version = 99;
	size_t vlen = rota__envelope__get_packed_size(&env);
	uint8_t *vbuf = xmalloc(vlen);
	rota__envelope__pack(&env, vbuf);
	rc |= send_frame(s, vbuf, vlen, 0);
	free(vbuf);
	free(buf);
	/* An envelope with no body. */
	Rota__Envelope empty = ROTA__ENVELOPE__INIT;
	buf = wire_encode(&empty, &len);
	rc |= send_frame(s, buf, len, 0);
	free(buf);
	/* A truncated envelope: a Hello cut in half. */
	Rota__Hello hello = ROTA__HELLO__INIT;
	hello.worker_id = "intruder";
	hello.hostname = "nowhere";
	Rota__Envelope he = ROTA__ENVELOPE__INIT;
	he.body_case = ROTA__ENVELOPE__BODY_HELLO;
	he.hello = &hello;
	buf = wire_encode(&he, &len);
	rc |= send_frame(s, buf, len / 2, 0);
	free(buf);
	/* A Result for a run that does not exist, from a worker that never
	 * said Hello, and a Request on whatever endpoint this is. */
	Rota__StepKey key = ROTA__STEP_KEY__INIT;
	key.run_id = "no-such-run";
	key.step_id = "x";
	key.host = "intruder";
	key.attempt = 1;
	Rota__Result res = ROTA__RESULT__INIT;
	res.key = &key;
	res.status = ROTA__STEP_STATUS__STEP_SUCCEEDED;
	Rota__Envelope re = ROTA__ENVELOPE__INIT;
	re.body_case = ROTA__ENVELOPE__BODY_RESULT;
	re.result = &res;
	buf = wire_encode(&re, &len);
	rc |= send_frame(s, buf, len, 0);
	free(buf);

	/* An oversized frame, on a connection of its own: libzmq closes a
	 * connection that breaks ZMQ_MAXMSGSIZE. */
	void *big = zmq_socket(ctx, ZMQ_DEALER);
	zmq_setsockopt(big, ZMQ_LINGER, &linger, sizeof(linger));
	if (zmq_connect(big, endpoint) == 0) {
		size_t n = WIRE_MAX_FRAME_BYTES + 1024;
		uint8_t *huge = xcalloc(1, n);
		rc |= send_frame(big, huge, n, 0);
		free(huge);
	}
	usleep(300 * 1000);
	zmq_close(big);
	zmq_close(s);
	zmq_ctx_term(ctx);
	return rc == 0 ? 0 : 1;
}

/* ---- api: a canned coordinator ------------------------------------------ */

/* The fleet it describes: one run of every kind.
 * - AAA: a scheduled run that succeeded;
 * - BBB: a scheduled slot skipped because AAA still ran;
 * - CCC: a manual run whose step "confirm" waits on w1 and w2 (each of
 *   which retried "restart"), and that never reached w3. Approving or
 *   rejecting confirm ends it (succeeded or failed); a second decision is
 *   a conflict. */
#define API_RUN_AAA "20261123-080000-aaaaaa"
#define API_RUN_BBB "20261123-090000-bbbbbb"
#define API_RUN_CCC "20261123-100000-cccccc"
#define API_SLOT_MS INT64_C(1795420800000) /* 2026-11-23 08:00:00 UTC, a Monday */
#define API_DAY_MS INT64_C(86400000)
#define API_DIR "/etc/rota/runbooks/"

/* A ListRuns with this limit gets an oversized frame (see the banner). */
#define API_OVERSIZED_LIMIT 4321

static volatile sig_atomic_t api_stop;
static int api_decided; /* 0: confirm waits; 1: approved; 2: rejected */

static void
api_on_signal(int sig)
{
	(void)sig;
	api_stop = 1;
}

/* Which canned run an id names: the whole id, its end, or "last" (CCC).
 * NULL for none. */
static const char *
api_resolve(const char *id)
{
	static const char *const runs[] = {API_RUN_AAA, API_RUN_BBB, API_RUN_CCC};
	if (strcmp(id, "last") == 0)
		return API_RUN_CCC;
	for (size_t i = 0; i < 3; i++) {
		size_t n = strlen(runs[i]), m = strlen(id);
		if (m > 0 && m <= n && strcmp(runs[i] + n - m, id) == 0)
			return runs[i];
	}
	return NULL;
}

static void
api_summary(Rota__RunSummary *r, const char *id)
{
	rota__run_summary__init(r);
	r->id = (char *)id;
	if (strcmp(id, API_RUN_AAA) == 0) {
		r->runbook = "daily-health-check";
		r->status = ROTA__RUN_STATUS__RUN_SUCCEEDED;
		r->trigger = "schedule";
		r->slot_ms = API_SLOT_MS;
		r->hosts_total = r->hosts_ok = 2;
		r->created_ms = r->started_ms = API_SLOT_MS + 1500;
		r->ended_ms = API_SLOT_MS + 64500;
	} else if (strcmp(id, API_RUN_BBB) == 0) {
		r->runbook = "daily-health-check";
		r->status = ROTA__RUN_STATUS__RUN_SKIPPED;
		r->trigger = "schedule";
		r->slot_ms = API_SLOT_MS + 3600000;
		r->created_ms = r->ended_ms = API_SLOT_MS + 3600000;
		r->reason = "skipped: previous run " API_RUN_AAA " still running";
	} else {
		r->runbook = "restart-api";
		r->trigger = "manual";
		r->hosts_total = 3;
		r->hosts_failed = 1;
		r->hosts_ok = api_decided == 1 ? 2 : 0;
		r->status = api_decided == 0   ? ROTA__RUN_STATUS__RUN_RUNNING
		            : api_decided == 1 ? ROTA__RUN_STATUS__RUN_SUCCEEDED
		                               : ROTA__RUN_STATUS__RUN_FAILED;
		r->created_ms = r->started_ms = API_SLOT_MS + 7200000;
		if (api_decided != 0)
			r->ended_ms = API_SLOT_MS + 7300000;
		r->reason = "no connected worker for w3";
	}
}

#define API_MAX_STEPS 16

typedef struct {
	Rota__StepRunInfo steps[API_MAX_STEPS];
	Rota__StepRunInfo *ptrs[API_MAX_STEPS];
	size_t n;
} api_steps_t;

static Rota__StepRunInfo *
api_step(api_steps_t *a, const char *host, const char *id, uint32_t position, uint32_t attempt,
         Rota__StepStatus status, const char *detail)
{
	Rota__StepRunInfo *st = &a->steps[a->n];
	rota__step_run_info__init(st);
	a->ptrs[a->n++] = st;
	st->host = (char *)host;
	st->step_id = (char *)id;
	st->position = position;
	st->attempt = attempt;
	st->status = status;
	st->detail = (char *)(detail != NULL ? detail : "");
	st->started_ms = API_SLOT_MS + 7200000 + position * 1000;
	if (status != ROTA__STEP_STATUS__STEP_WAITING)
		st->ended_ms = st->started_ms + 500;
	return st;
}

static void
api_ccc_steps(api_steps_t *a)
{
	static const char *const hosts[] = {"w1", "w2"};
	Rota__StepStatus confirm = api_decided == 0   ? ROTA__STEP_STATUS__STEP_WAITING
	                           : api_decided == 1 ? ROTA__STEP_STATUS__STEP_SUCCEEDED
	                                              : ROTA__STEP_STATUS__STEP_FAILED;
	for (size_t h = 0; h < 2; h++) {
		api_step(a, hosts[h], "health", 0, 1, ROTA__STEP_STATUS__STEP_SUCCEEDED, NULL);
		Rota__StepRunInfo *st =
		    api_step(a, hosts[h], "restart", 1, 1, ROTA__STEP_STATUS__STEP_FAILED,
		             "exited with status 1");
		st->exit_code = 1;
		api_step(a, hosts[h], "restart", 1, 2, ROTA__STEP_STATUS__STEP_SUCCEEDED, NULL);
		api_step(a, hosts[h], "confirm", 2, 1, confirm,
		         api_decided == 2 ? "rejected: not green" : "Is the dashboard green?");
	}
	api_step(a, "w3", "health", 0, 1, ROTA__STEP_STATUS__STEP_UNREACHABLE,
	         "worker w3 was not connected when the run started");
}

static void
api_error(Rota__Response *resp, Rota__Error *err, Rota__ErrorCode code, char *msg)
{
	rota__error__init(err);
	err->code = code;
	err->message = msg;
	resp->error = err;
}

static void
api_runbook(Rota__RunbookInfo *rb, const char *name, const char *file, const char *state,
            const char *errors, const char *cron, const char *tz, uint32_t steps)
{
	rota__runbook_info__init(rb);
	rb->name = (char *)name;
	rb->path = (char *)file;
	rb->state = (char *)state;
	rb->errors = (char *)errors;
	rb->cron = (char *)cron;
	rb->timezone = (char *)tz;
	rb->step_count = steps;
	if (strcmp(state, "invalid") != 0)
		rb->loaded_ms = API_SLOT_MS - API_DAY_MS;
}

static size_t
api_runbooks(Rota__RunbookInfo *rbs, Rota__RunbookInfo **ptrs)
{
	api_runbook(&rbs[0], "daily-health-check", API_DIR "daily-health-check.yaml", "loaded", "",
	            "0 8 * * 1-5", "Europe/London", 5);
	api_runbook(&rbs[1], "half", API_DIR "half.yaml", "invalid",
	            API_DIR
	            "half.yaml:4:24: unknown key 'timout'; did you mean 'timeout'?\n" API_DIR
	            "half.yaml:6:5: step 'b': \x1b[31mno step type\n",
	            "", "", 0);
	api_runbook(&rbs[2], "log-rotation", API_DIR "log-rotation.yaml", "stale",
	            API_DIR
	            "log-rotation.yaml:3:13: schedule: cron: hour 25 is out of range 0-23\n",
	            "@daily", "", 3);
	api_runbook(&rbs[3], "", API_DIR "empty.yaml", "invalid",
	            API_DIR "empty.yaml: the file is empty", "", "", 0);
	for (size_t i = 0; i < 4; i++)
		ptrs[i] = &rbs[i];
	return 4;
}

/* Answers one request into resp; what it points at lives in the static
 * and automatic storage of api_serve's turn. */
static void
api_answer(const Rota__Request *req, Rota__Response *resp)
{
	static Rota__Error err;
	static char msg[512];
	static Rota__RunSummary runs[3];
	static Rota__RunSummary *run_ptrs[3];
	static Rota__ListRunsResponse list_runs;
	static Rota__ShowRunResponse show;
	static api_steps_t steps;
	static Rota__LogsResponse logs;
	static Rota__RunbookInfo rbs[4];
	static Rota__RunbookInfo *rb_ptrs[4];
	static Rota__ListRunbooksResponse list_rbs;
	static Rota__ReloadResponse reload;
	static Rota__ScheduleInfo sch[2];
	static Rota__ScheduleInfo *sch_ptrs[2];
	static int64_t upcoming[5];
	static Rota__ListSchedulesResponse list_sch;
	static Rota__ApproveResponse approve;

	switch (req->body_case) {
	case ROTA__REQUEST__BODY_RUNS:
		rota__list_runs_response__init(&list_runs);
		api_summary(&runs[0], API_RUN_CCC);
		api_summary(&runs[1], API_RUN_BBB);
		api_summary(&runs[2], API_RUN_AAA);
		for (size_t i = 0; i < 3; i++)
			run_ptrs[i] = &runs[i];
		list_runs.runs = run_ptrs;
		list_runs.n_runs = 3;
		resp->body_case = ROTA__RESPONSE__BODY_RUNS;
		resp->runs = &list_runs;
		return;
	case ROTA__REQUEST__BODY_SHOW:
	case ROTA__REQUEST__BODY_LOGS: {
		const char *asked = req->body_case == ROTA__REQUEST__BODY_SHOW ? req->show->run_id
		                                                               : req->logs->run_id;
		const char *id = api_resolve(asked != NULL ? asked : "");
		if (id == NULL) {
			snprintf(msg, sizeof(msg), "no run '%s'", asked);
			api_error(resp, &err, ROTA__ERROR_CODE__ERR_NOT_FOUND, msg);
			return;
		}
		api_summary(&runs[0], id);
		if (req->body_case == ROTA__REQUEST__BODY_LOGS) {
			rota__logs_response__init(&logs);
			logs.run_status = runs[0].status;
			logs.next = req->logs->after;
			resp->body_case = ROTA__RESPONSE__BODY_LOGS;
			resp->logs = &logs;
			return;
		}
		rota__show_run_response__init(&show);
		show.run = &runs[0];
		steps.n = 0;
		if (strcmp(id, API_RUN_CCC) == 0)
			api_ccc_steps(&steps);
		show.steps = steps.ptrs;
		show.n_steps = steps.n;
		resp->body_case = ROTA__RESPONSE__BODY_SHOW;
		resp->show = &show;
		return;
	}
	case ROTA__REQUEST__BODY_RUNBOOKS:
		rota__list_runbooks_response__init(&list_rbs);
		list_rbs.n_runbooks = api_runbooks(rbs, rb_ptrs);
		list_rbs.runbooks = rb_ptrs;
		resp->body_case = ROTA__RESPONSE__BODY_RUNBOOKS;
		resp->runbooks = &list_rbs;
		return;
	case ROTA__REQUEST__BODY_RELOAD:
		rota__reload_response__init(&reload);
		reload.n_runbooks = api_runbooks(rbs, rb_ptrs);
		reload.runbooks = rb_ptrs;
		reload.loaded = 2;
		reload.invalid = 2;
		reload.added = 1;
		reload.changed = 1;
		reload.removed = 0;
		resp->body_case = ROTA__RESPONSE__BODY_RELOAD;
		resp->reload = &reload;
		return;
	case ROTA__REQUEST__BODY_SCHEDULES: {
		rota__list_schedules_response__init(&list_sch);
		rota__schedule_info__init(&sch[0]);
		sch[0].runbook = "daily-health-check";
		sch[0].cron = "0 8 * * 1-5";
		sch[0].timezone = "Europe/London";
		sch[0].next_ms = API_SLOT_MS;
		sch[0].last_ms = API_SLOT_MS - 3 * API_DAY_MS;
		sch[0].last_run_id = API_RUN_AAA;
		sch[0].last_status = ROTA__RUN_STATUS__RUN_SUCCEEDED;
		sch[0].catchup = "latest";
		sch[0].concurrency = "forbid";
		sch[0].jitter_ms = 120000;
		rota__schedule_info__init(&sch[1]);
		sch[1].runbook = "log-rotation";
		sch[1].cron = "@daily";
		sch[1].timezone = "";
		sch[1].next_ms = API_SLOT_MS - 8 * 3600000;
		sch[1].catchup = "none";
		sch[1].concurrency = "allow";
		/* Monday to Friday at 08:00 London (GMT in November). */
		uint32_t want = req->schedules->next < 5 ? req->schedules->next : 5;
		for (uint32_t k = 0; k < want; k++)
			upcoming[k] = API_SLOT_MS + k * API_DAY_MS;
		sch[0].upcoming = upcoming;
		sch[0].n_upcoming = want;
		size_t n = 0;
		const char *only = req->schedules->runbook;
		for (size_t i = 0; i < 2; i++) {
			if (only == NULL || only[0] == '\0' || strcmp(only, sch[i].runbook) == 0)
				sch_ptrs[n++] = &sch[i];
		}
		list_sch.schedules = sch_ptrs;
		list_sch.n_schedules = n;
		resp->body_case = ROTA__RESPONSE__BODY_SCHEDULES;
		resp->schedules = &list_sch;
		return;
	}
	case ROTA__REQUEST__BODY_APPROVE: {
		const Rota__ApproveRequest *ap = req->approve;
		const char *id = api_resolve(ap->run_id != NULL ? ap->run_id : "");
		if (id == NULL) {
			snprintf(msg, sizeof(msg), "no run '%s'", ap->run_id);
			api_error(resp, &err, ROTA__ERROR_CODE__ERR_NOT_FOUND, msg);
			return;
		}
		if (strcmp(id, API_RUN_CCC) != 0 || strcmp(ap->step_id, "confirm") != 0 ||
		    api_decided != 0) {
			snprintf(msg, sizeof(msg),
			         "step '%s' of run %s is not waiting for approval", ap->step_id,
			         id);
			api_error(resp, &err, ROTA__ERROR_CODE__ERR_CONFLICT, msg);
			return;
		}
		api_decided = ap->reject ? 2 : 1;
		rota__approve_response__init(&approve);
		approve.run_id = (char *)id;
		approve.step_id = ap->step_id;
		approve.hosts = 2;
		resp->body_case = ROTA__RESPONSE__BODY_APPROVE;
		resp->approve = &approve;
		return;
	}
	default:
		api_error(resp, &err, ROTA__ERROR_CODE__ERR_BAD_REQUEST, "unknown request");
		return;
	}
}

static int
api(const char *dir)
{
	signal(SIGTERM, api_on_signal);
	signal(SIGINT, api_on_signal);
	void *ctx = zmq_ctx_new();
	void *s = zmq_socket(ctx, ZMQ_ROUTER);
	wire_socket_setup(s);
	if (zmq_bind(s, "tcp://127.0.0.1:*") != 0) {
		fprintf(stderr, "rota-testpeer: bind: %s\n", zmq_strerror(zmq_errno()));
		return 1;
	}
	char ep[256];
	size_t eplen = sizeof(ep);
	zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, ep, &eplen);
	char *path = xasprintf("%s/endpoints", dir);
	char *tmp = xasprintf("%s/endpoints.tmp", dir);
	FILE *f = fopen(tmp, "w");
	if (f == NULL || fprintf(f, "api=%s\n", ep) < 0 || fclose(f) != 0 ||
	    rename(tmp, path) != 0) {
		fprintf(stderr, "rota-testpeer: cannot write %s\n", path);
		return 1;
	}
	free(path);
	free(tmp);

	wire_stats_t stats = {0};
	while (!api_stop) {
		zmq_pollitem_t item = {.socket = s, .events = ZMQ_POLLIN};
		if (zmq_poll(&item, 1, 200) <= 0)
			continue;
		wire_msg_t msg;
		int rc = wire_recv(s, 1, &msg, &stats);
		if (rc != WIRE_OK)
			continue;
		if (msg.env->body_case == ROTA__ENVELOPE__BODY_REQUEST &&
		    msg.env->request != NULL &&
		    msg.env->request->body_case == ROTA__REQUEST__BODY_RUNS &&
		    msg.env->request->runs->limit == API_OVERSIZED_LIMIT) {
			size_t len = WIRE_MAX_ANSWER_BYTES + 1024 * 1024;
			uint8_t *big = xcalloc(1, len);
			wire_send_raw(s, msg.identity, msg.identity_len, big, len);
			free(big);
		} else if (msg.env->body_case == ROTA__ENVELOPE__BODY_REQUEST &&
		           msg.env->request != NULL) {
			Rota__Response resp = ROTA__RESPONSE__INIT;
			resp.id = msg.env->request->id;
			api_answer(msg.env->request, &resp);
			Rota__Envelope out = ROTA__ENVELOPE__INIT;
			out.body_case = ROTA__ENVELOPE__BODY_RESPONSE;
			out.response = &resp;
			wire_send(s, msg.identity, msg.identity_len, &out);
		}
		wire_msg_clear(&msg);
	}
	zmq_close(s);
	zmq_ctx_term(ctx);
	return 0;
}

/* ---- dispatch: a coordinator for one worker ------------------------------ */

typedef struct {
	char *id;            /* owned */
	Rota__StepSpec spec; /* its messages and strings owned, freed by step_free */
	char *out[2];        /* owned: stdout, stderr as received */
	size_t out_len[2];
} step_t;

static int
step_parse(char *text, step_t *st)
{
	memset(st, 0, sizeof(*st));
	rota__step_spec__init(&st->spec);
	char *save = NULL;
	char *id = strtok_r(text, "|", &save);
	char *kind = strtok_r(NULL, "|", &save);
	if (id == NULL || kind == NULL) {
		fprintf(stderr, "rota-testpeer: step '%s': write ID|KIND|key=value...\n", text);
		return -1;
	}
	st->id = xstrdup(id);
	Rota__StepSpec *sp = &st->spec;
	if (strcmp(kind, "shell") == 0) {
		sp->kind_case = ROTA__STEP_SPEC__KIND_SHELL;
		sp->shell = xcalloc(1, sizeof(*sp->shell));
		rota__shell_spec__init(sp->shell);
	} else if (strcmp(kind, "http_check") == 0) {
		sp->kind_case = ROTA__STEP_SPEC__KIND_HTTP_CHECK;
		sp->http_check = xcalloc(1, sizeof(*sp->http_check));
		rota__http_check_spec__init(sp->http_check);
	} else if (strcmp(kind, "disk_check") == 0) {
		sp->kind_case = ROTA__STEP_SPEC__KIND_DISK_CHECK;
		sp->disk_check = xcalloc(1, sizeof(*sp->disk_check));
		rota__disk_check_spec__init(sp->disk_check);
	} else if (strcmp(kind, "metric_check") == 0) {
		sp->kind_case = ROTA__STEP_SPEC__KIND_METRIC_CHECK;
		sp->metric_check = xcalloc(1, sizeof(*sp->metric_check));
		rota__metric_check_spec__init(sp->metric_check);
	} else if (strcmp(kind, "noop") == 0) {
		sp->kind_case = ROTA__STEP_SPEC__KIND_NOOP;
		sp->noop = xcalloc(1, sizeof(*sp->noop));
		rota__noop_spec__init(sp->noop);
	} else if (strcmp(kind, "manual") == 0) {
		sp->kind_case = ROTA__STEP_SPEC__KIND_MANUAL;
		sp->manual = xcalloc(1, sizeof(*sp->manual));
		rota__manual_spec__init(sp->manual);
	} else if (strcmp(kind, "notify") == 0) {
		sp->kind_case = ROTA__STEP_SPEC__KIND_NOTIFY;
		sp->notify = xcalloc(1, sizeof(*sp->notify));
		rota__notify_spec__init(sp->notify);
	} else if (strcmp(kind, "none") != 0) {
		fprintf(stderr, "rota-testpeer: step %s: unknown kind %s\n", id, kind);
		return -1;
	}
	char *kv;
	while ((kv = strtok_r(NULL, "|", &save)) != NULL) {
		char *eq = strchr(kv, '=');
		if (eq == NULL) {
			fprintf(stderr, "rota-testpeer: step %s: '%s' is not key=value\n", id, kv);
			return -1;
		}
		*eq = '\0';
		const char *k = kv;
		char *v = eq + 1;
		bool known = true;
		if (strcmp(k, "timeout_ms") == 0)
			sp->timeout_ms = (uint32_t)strtoul(v, NULL, 10);
		else if (strcmp(k, "output_limit") == 0)
			sp->output_limit = strtoull(v, NULL, 10);
		else if (sp->kind_case == ROTA__STEP_SPEC__KIND_SHELL && strcmp(k, "run") == 0)
			sp->shell->run = xstrdup(v);
		else if (sp->kind_case == ROTA__STEP_SPEC__KIND_HTTP_CHECK && strcmp(k, "url") == 0)
			sp->http_check->url = xstrdup(v);
		else if (sp->kind_case == ROTA__STEP_SPEC__KIND_HTTP_CHECK &&
		         strcmp(k, "method") == 0)
			sp->http_check->method = xstrdup(v);
		else if (sp->kind_case == ROTA__STEP_SPEC__KIND_HTTP_CHECK &&
		         strcmp(k, "expect_status") == 0)
			sp->http_check->expect_status = (uint32_t)strtoul(v, NULL, 10);
		else if (sp->kind_case == ROTA__STEP_SPEC__KIND_HTTP_CHECK &&
		         strcmp(k, "body_contains") == 0)
			sp->http_check->body_contains = xstrdup(v);
		else if (sp->kind_case == ROTA__STEP_SPEC__KIND_DISK_CHECK &&
		         strcmp(k, "path") == 0)
			sp->disk_check->path = xstrdup(v);
		else if (sp->kind_case == ROTA__STEP_SPEC__KIND_DISK_CHECK &&
		         strcmp(k, "min_free_pct") == 0)
			sp->disk_check->min_free_pct = strtod(v, NULL);
		else if (sp->kind_case == ROTA__STEP_SPEC__KIND_DISK_CHECK &&
		         strcmp(k, "min_free_bytes") == 0)
			sp->disk_check->min_free_bytes = strtoull(v, NULL, 10);
		else if (sp->kind_case == ROTA__STEP_SPEC__KIND_METRIC_CHECK &&
		         strcmp(k, "url") == 0)
			sp->metric_check->url = xstrdup(v);
		else if (sp->kind_case == ROTA__STEP_SPEC__KIND_METRIC_CHECK &&
		         strcmp(k, "metric") == 0)
			sp->metric_check->metric = xstrdup(v);
		else if (sp->kind_case == ROTA__STEP_SPEC__KIND_METRIC_CHECK &&
		         strcmp(k, "op") == 0)
			sp->metric_check->op = xstrdup(v);
		else if (sp->kind_case == ROTA__STEP_SPEC__KIND_METRIC_CHECK &&
		         strcmp(k, "value") == 0)
			sp->metric_check->value = strtod(v, NULL);
		else if (sp->kind_case == ROTA__STEP_SPEC__KIND_METRIC_CHECK &&
		         strcmp(k, "label") == 0 && strchr(v, '=')) {
			Rota__MetricCheckSpec *m = sp->metric_check;
			Rota__Label *l = xcalloc(1, sizeof(*l));
			rota__label__init(l);
			char *veq = strchr(v, '=');
			l->key = xstrndup(v, (size_t)(veq - v));
			l->value = xstrdup(veq + 1);
			m->labels = xrealloc(m->labels, (m->n_labels + 1) * sizeof(*m->labels));
			m->labels[m->n_labels++] = l;
		} else if (sp->kind_case == ROTA__STEP_SPEC__KIND_MANUAL &&
		           strcmp(k, "prompt") == 0)
			sp->manual->prompt = xstrdup(v);
		else if (sp->kind_case == ROTA__STEP_SPEC__KIND_NOTIFY && strcmp(k, "message") == 0)
			sp->notify->message = xstrdup(v);
		else
			known = false;
		if (!known) {
			fprintf(stderr, "rota-testpeer: step %s: unknown key %s for %s\n", id, k,
			        kind);
			return -1;
		}
	}
	return 0;
}

/* Frees what step_parse made: a strdup'ed string is never the
 * protobuf-c empty-string constant the inits put there. */
static void
str_free(char *s)
{
	if (s != NULL && s != protobuf_c_empty_string)
		free(s);
}

/* The kinds' messages share a union (a oneof): kind_case says which. */
static void
step_free(step_t *st)
{
	Rota__StepSpec *sp = &st->spec;
	switch (sp->kind_case) {
	case ROTA__STEP_SPEC__KIND_SHELL:
		str_free(sp->shell->run);
		free(sp->shell);
		break;
	case ROTA__STEP_SPEC__KIND_HTTP_CHECK:
		str_free(sp->http_check->url);
		str_free(sp->http_check->method);
		str_free(sp->http_check->body_contains);
		free(sp->http_check);
		break;
	case ROTA__STEP_SPEC__KIND_DISK_CHECK:
		str_free(sp->disk_check->path);
		free(sp->disk_check);
		break;
	case ROTA__STEP_SPEC__KIND_METRIC_CHECK: {
		Rota__MetricCheckSpec *m = sp->metric_check;
		str_free(m->url);
		str_free(m->metric);
		str_free(m->op);
		for (size_t i = 0; i < m->n_labels; i++) {
			str_free(m->labels[i]->key);
			str_free(m->labels[i]->value);
			free(m->labels[i]);
		}
		free(m->labels);
		free(m);
		break;
	}
	case ROTA__STEP_SPEC__KIND_NOOP:
		free(sp->noop);
		break;
	case ROTA__STEP_SPEC__KIND_MANUAL:
		str_free(sp->manual->prompt);
		free(sp->manual);
		break;
	case ROTA__STEP_SPEC__KIND_NOTIFY:
		str_free(sp->notify->message);
		free(sp->notify);
		break;
	default:
		break;
	}
	free(st->out[0]);
	free(st->out[1]);
	free(st->id);
}

/* Prints what a step wrote, line by line, then its Result. */
static void
step_print(const step_t *st, const Rota__Result *r)
{
	static const char *const names[2] = {"stdout", "stderr"};
	for (int s = 0; s < 2; s++) {
		const char *p = st->out[s], *end = p + st->out_len[s];
		while (p != NULL && p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			const char *le = nl ? nl : end;
			printf("output %s %s %.*s\n", st->id, names[s], (int)(le - p), p);
			p = nl ? nl + 1 : end;
		}
	}
	const ProtobufCEnumValue *v =
	    protobuf_c_enum_descriptor_get_value(&rota__step_status__descriptor, (int)r->status);
	printf("result %s %s %d %s\n", st->id, v ? v->name : "?", r->exit_code,
	       r->detail ? r->detail : "");
	fflush(stdout);
}

static int
send_to(void *s, const uint8_t *id, size_t idlen, Rota__Envelope *env)
{
	if (wire_send(s, id, idlen, env) != 0) {
		fprintf(stderr, "rota-testpeer: send: %s\n", zmq_strerror(errno));
		return -1;
	}
	return 0;
}

static int
dispatch(const char *endpoint_file, int nsteps, char **texts)
{
	step_t *steps = xcalloc((size_t)nsteps, sizeof(*steps));
	int rc = 1;
	void *ctx = zmq_ctx_new();
	void *s = zmq_socket(ctx, ZMQ_ROUTER);
	wire_socket_setup(s);
	char endpoint[256];
	size_t elen = sizeof(endpoint);
	for (int i = 0; i < nsteps; i++)
		if (step_parse(texts[i], &steps[i]) != 0)
			goto out;
	if (zmq_bind(s, "tcp://127.0.0.1:*") != 0 ||
	    zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, endpoint, &elen) != 0 ||
	    publish_line(endpoint_file, endpoint) != 0) {
		fprintf(stderr, "rota-testpeer: cannot bind or write %s: %s\n", endpoint_file,
		        strerror(errno));
		goto out;
	}

	uint8_t worker[WIRE_MAX_IDENTITY_BYTES + 1];
	size_t worker_len = 0;
	char host[WIRE_MAX_IDENTITY_BYTES + 1] = "";
	int current = -1; /* the step dispatched and not yet answered */
	int64_t deadline = clock_mono_ms() + DISPATCH_HELLO_WAIT_MS;
	int64_t next_beat = 0;
	wire_stats_t stats = {0};
	while (current < nsteps) {
		int64_t now = clock_mono_ms();
		if (now > deadline) {
			if (current < 0)
				fprintf(stderr, "rota-testpeer: no worker said Hello\n");
			else
				printf("noresult %s\n", steps[current].id);
			goto out;
		}
		if (worker_len > 0 && now >= next_beat) {
			Rota__Heartbeat hb = ROTA__HEARTBEAT__INIT;
			hb.epoch = 1;
			Rota__Envelope env = ROTA__ENVELOPE__INIT;
			env.body_case = ROTA__ENVELOPE__BODY_HEARTBEAT;
			env.heartbeat = &hb;
			send_to(s, worker, worker_len, &env);
			next_beat = now + DISPATCH_HEARTBEAT_MS;
		}
		zmq_pollitem_t item = {s, 0, ZMQ_POLLIN, 0};
		if (zmq_poll(&item, 1, 100) < 0 && errno != EINTR)
			goto out;
		wire_msg_t msg;
		bool advance = false;
		while (wire_recv(s, 1, &msg, &stats) == WIRE_OK) {
			Rota__Envelope *env = msg.env;
			if (env->body_case == ROTA__ENVELOPE__BODY_HELLO && worker_len == 0) {
				memcpy(worker, msg.identity, msg.identity_len);
				worker_len = msg.identity_len;
				snprintf(host, sizeof(host), "%s", env->hello->worker_id);
				Rota__Welcome w = ROTA__WELCOME__INIT;
				w.coordinator_id = "testpeer";
				w.epoch = 1;
				w.heartbeat_ms = DISPATCH_HEARTBEAT_MS;
				Rota__Envelope out = ROTA__ENVELOPE__INIT;
				out.body_case = ROTA__ENVELOPE__BODY_WELCOME;
				out.welcome = &w;
				send_to(s, worker, worker_len, &out);
				advance = true;
			} else if (env->body_case == ROTA__ENVELOPE__BODY_OUTPUT && current >= 0 &&
			           env->output->key &&
			           strcmp(env->output->key->step_id, steps[current].id) == 0) {
				step_t *st = &steps[current];
				int k = env->output->stream == ROTA__STREAM__STREAM_STDERR;
				size_t n = env->output->data.len;
				st->out[k] = xrealloc(st->out[k], st->out_len[k] + n + 1);
				memcpy(st->out[k] + st->out_len[k], env->output->data.data, n);
				st->out_len[k] += n;
			} else if (env->body_case == ROTA__ENVELOPE__BODY_RESULT &&
			           env->result->key) {
				Rota__ResultAck ack = ROTA__RESULT_ACK__INIT;
				ack.key = env->result->key;
				Rota__Envelope out = ROTA__ENVELOPE__INIT;
				out.body_case = ROTA__ENVELOPE__BODY_RESULT_ACK;
				out.result_ack = &ack;
				send_to(s, worker, worker_len, &out);
				if (current >= 0 &&
				    strcmp(env->result->key->step_id, steps[current].id) == 0) {
					step_print(&steps[current], env->result);
					advance = true;
				}
			}
			wire_msg_clear(&msg);
		}
		if (!advance)
			continue;
		current++;
		deadline = clock_mono_ms() + DISPATCH_STEP_WAIT_MS;
		if (current == nsteps)
			break;
		Rota__StepKey key = ROTA__STEP_KEY__INIT;
		key.run_id = "run-1";
		key.step_id = steps[current].id;
		key.host = host;
		key.attempt = 1;
		Rota__Dispatch d = ROTA__DISPATCH__INIT;
		d.key = &key;
		d.spec = &steps[current].spec;
		d.fence = 1;
		Rota__Envelope out = ROTA__ENVELOPE__INIT;
		out.body_case = ROTA__ENVELOPE__BODY_DISPATCH;
		out.dispatch = &d;
		if (send_to(s, worker, worker_len, &out) != 0)
			goto out;
	}
	rc = 0;
out:
	for (int i = 0; i < nsteps; i++)
		step_free(&steps[i]);
	free(steps);
	zmq_close(s);
	zmq_ctx_term(ctx);
	return rc;
}

#define SILENT_WAIT_MS 60000

/* The first envelope of body_case from s within wait_ms (others are
 * skipped), or NULL; free with rota__envelope__free_unpacked. */
static Rota__Envelope *
peer_wait(void *s, int body_case, int64_t wait_ms)
{
	int64_t end = clock_mono_ms() + wait_ms;
	wire_stats_t stats = {0};
	while (clock_mono_ms() < end) {
		zmq_pollitem_t item = {s, 0, ZMQ_POLLIN, 0};
		if (zmq_poll(&item, 1, 100) < 0 && errno != EINTR)
			return NULL;
		wire_msg_t msg;
		while (wire_recv(s, 0, &msg, &stats) == WIRE_OK) {
			if ((int)msg.env->body_case == body_case) {
				Rota__Envelope *env = msg.env;
				msg.env = NULL;
				wire_msg_clear(&msg);
				return env;
			}
			wire_msg_clear(&msg);
		}
	}
	return NULL;
}

static int
silent(const char *endpoint, const char *id, const char *go_file)
{
	void *ctx = zmq_ctx_new();
	void *s = zmq_socket(ctx, ZMQ_DEALER);
	wire_socket_setup(s);
	zmq_setsockopt(s, ZMQ_ROUTING_ID, id, strlen(id));
	int rc = 1;
	if (zmq_connect(s, endpoint) != 0) {
		fprintf(stderr, "rota-testpeer: connect %s: %s\n", endpoint,
		        zmq_strerror(zmq_errno()));
		goto out;
	}
	Rota__Hello hello = ROTA__HELLO__INIT;
	hello.worker_id = (char *)id;
	hello.hostname = (char *)id;
	hello.version = (char *)"testpeer";
	hello.capacity = 1;
	hello.instance = 42;
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_HELLO;
	env.hello = &hello;
	if (wire_send(s, NULL, 0, &env) != 0)
		goto out;
	Rota__Envelope *got = peer_wait(s, ROTA__ENVELOPE__BODY_WELCOME, SILENT_WAIT_MS);
	if (got == NULL) {
		fprintf(stderr, "rota-testpeer: no Welcome\n");
		goto out;
	}
	uint64_t epoch = got->welcome->epoch;
	rota__envelope__free_unpacked(got, NULL);
	printf("welcome %llu\n", (unsigned long long)epoch);
	fflush(stdout);
	int64_t end = clock_mono_ms() + SILENT_WAIT_MS;
	while (access(go_file, F_OK) != 0) {
		if (clock_mono_ms() >= end) {
			fprintf(stderr, "rota-testpeer: %s never appeared\n", go_file);
			goto out;
		}
		usleep(50 * 1000);
	}
	/* What the coordinator sent while we were frozen is stale: only its
	 * answer to the Heartbeat below counts. */
	wire_stats_t stats = {0};
	wire_msg_t msg;
	while (wire_recv(s, 0, &msg, &stats) == WIRE_OK)
		wire_msg_clear(&msg);
	Rota__Heartbeat hb = ROTA__HEARTBEAT__INIT;
	hb.epoch = epoch;
	env.body_case = ROTA__ENVELOPE__BODY_HEARTBEAT;
	env.heartbeat = &hb;
	if (wire_send(s, NULL, 0, &env) != 0)
		goto out;
	got = peer_wait(s, ROTA__ENVELOPE__BODY_HEARTBEAT, SILENT_WAIT_MS);
	if (got == NULL) {
		fprintf(stderr, "rota-testpeer: no Heartbeat came back\n");
		goto out;
	}
	printf("heartbeat %llu\n", (unsigned long long)got->heartbeat->epoch);
	rota__envelope__free_unpacked(got, NULL);
	rc = 0;
out:
	zmq_close(s);
	zmq_ctx_term(ctx);
	return rc;
}

#define HELLO_WAIT_MS 10000

static int
hello(const char *endpoint, const char *id, int nlabels, size_t bytes)
{
	void *ctx = zmq_ctx_new();
	void *s = zmq_socket(ctx, ZMQ_DEALER);
	int linger = 0;
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(s, ZMQ_ROUTING_ID, id, strlen(id));
	if (zmq_connect(s, endpoint) != 0) {
		fprintf(stderr, "rota-testpeer: connect %s: %s\n", endpoint,
		        zmq_strerror(zmq_errno()));
		return 1;
	}
	Rota__Hello h = ROTA__HELLO__INIT;
	h.worker_id = (char *)id;
	h.hostname = "testpeer";
	h.version = "test";
	h.capacity = 1;
	h.instance = 42;
	Rota__Label *labels = xcalloc((size_t)nlabels + 1, sizeof(*labels));
	Rota__Label **lp = xcalloc((size_t)nlabels + 1, sizeof(*lp));
	char *value = xmalloc(bytes + 1);
	memset(value, 'v', bytes);
	value[bytes] = '\0';
	char(*keys)[16] = xcalloc((size_t)nlabels + 1, sizeof(*keys));
	for (int i = 0; i < nlabels; i++) {
		rota__label__init(&labels[i]);
		snprintf(keys[i], sizeof(keys[i]), "k%d", i);
		labels[i].key = keys[i];
		labels[i].value = value;
		lp[i] = &labels[i];
	}
	h.labels = lp;
	h.n_labels = (size_t)nlabels;
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_HELLO;
	env.hello = &h;
	int rc = 1;
	if (wire_send(s, NULL, 0, &env) != 0) {
		fprintf(stderr, "rota-testpeer: send: %s\n", zmq_strerror(zmq_errno()));
		goto out;
	}
	int64_t deadline = clock_mono_ms() + HELLO_WAIT_MS;
	wire_stats_t stats = {0};
	while (clock_mono_ms() < deadline) {
		zmq_pollitem_t it = {.socket = s, .events = ZMQ_POLLIN};
		if (zmq_poll(&it, 1, 100) <= 0)
			continue;
		wire_msg_t msg;
		if (wire_recv(s, 0, &msg, &stats) != WIRE_OK)
			continue;
		if (msg.env->body_case == ROTA__ENVELOPE__BODY_WELCOME) {
			printf("welcome\n");
			rc = 0;
		} else if (msg.env->body_case == ROTA__ENVELOPE__BODY_RESPONSE &&
		           msg.env->response->error != NULL) {
			printf("refused %s\n", msg.env->response->error->message);
			rc = 0;
		}
		wire_msg_clear(&msg);
		if (rc == 0)
			break;
	}
	if (rc != 0)
		fprintf(stderr, "rota-testpeer: no answer to the Hello within %d ms\n",
		        HELLO_WAIT_MS);
out:
	free(keys);
	free(value);
	free(lp);
	free(labels);
	zmq_close(s);
	zmq_ctx_term(ctx);
	return rc;
}

/* ---- oddhello: a worker that says odd things ------------------------------ */

static int
hello_peer(int argc, char **argv)
{
	const char *endpoint = argv[0], *id = argv[1];
	void *ctx = zmq_ctx_new();
	void *s = zmq_socket(ctx, ZMQ_DEALER);
	int linger = 500;
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(s, ZMQ_ROUTING_ID, id, strlen(id));
	int rc = 1;
	if (zmq_connect(s, endpoint) != 0)
		goto out;
	Rota__Hello hello = ROTA__HELLO__INIT;
	hello.worker_id = (char *)id;
	hello.hostname = argv[2];
	hello.version = "testpeer";
	hello.instance = 1;
	Rota__Envelope he = ROTA__ENVELOPE__INIT;
	he.body_case = ROTA__ENVELOPE__BODY_HELLO;
	he.hello = &hello;
	if (wire_send(s, NULL, 0, &he) != 0)
		goto out;
	Rota__Envelope *welcome = peer_wait(s, ROTA__ENVELOPE__BODY_WELCOME, 5000);
	if (welcome == NULL) {
		fprintf(stderr, "rota-testpeer: no Welcome\n");
		goto out;
	}
	rota__envelope__free_unpacked(welcome, NULL);
	if (argc >= 9) {
		Rota__StepKey key = ROTA__STEP_KEY__INIT;
		key.run_id = argv[3];
		key.step_id = argv[4];
		key.host = (char *)id;
		key.attempt = (uint32_t)strtoul(argv[5], NULL, 10);
		Rota__Result res = ROTA__RESULT__INIT;
		res.key = &key;
		res.status = ROTA__STEP_STATUS__STEP_SUCCEEDED;
		res.signal = (int32_t)strtol(argv[6], NULL, 10);
		res.exit_code = (int32_t)strtol(argv[7], NULL, 10);
		res.started_ms = clock_wall_ms();
		res.ended_ms = strtoll(argv[8], NULL, 10);
		Rota__Envelope re = ROTA__ENVELOPE__INIT;
		re.body_case = ROTA__ENVELOPE__BODY_RESULT;
		re.result = &res;
		if (wire_send(s, NULL, 0, &re) != 0)
			goto out;
	}
	usleep(300 * 1000);
	rc = 0;
out:
	zmq_close(s);
	zmq_ctx_term(ctx);
	return rc;
}

int
main(int argc, char **argv)
{
	if ((argc == 5 || argc == 11) && strcmp(argv[1], "oddhello") == 0)
		return hello_peer(argc - 2, argv + 2);
	if (argc == 6 && strcmp(argv[1], "hello") == 0)
		return hello(argv[2], argv[3], (int)strtol(argv[4], NULL, 10),
		             (size_t)strtoul(argv[5], NULL, 10));
	if (argc == 3 && strcmp(argv[1], "garbage") == 0)
		return garbage(argv[2]);
	if (argc == 3 && strcmp(argv[1], "api") == 0)
		return api(argv[2]);
	if (argc >= 4 && strcmp(argv[1], "dispatch") == 0)
		return dispatch(argv[2], argc - 3, argv + 3);
	if (argc == 5 && strcmp(argv[1], "silent") == 0)
		return silent(argv[2], argv[3], argv[4]);
	fprintf(stderr,
	        "usage: rota-testpeer garbage ENDPOINT\n"
	        "       rota-testpeer api DIR\n"
	        "       rota-testpeer dispatch ENDPOINT_FILE ID|KIND|key=value...\n"
	        "       rota-testpeer silent ENDPOINT ID GO_FILE\n"
	        "       rota-testpeer hello ENDPOINT ID LABELS BYTES\n"
	        "       rota-testpeer oddhello ENDPOINT ID HOSTNAME [RUN STEP ATTEMPT SIGNAL"
	        " EXIT ENDED_MS]\n");
	return 2;
}
