/* dispatcher: runs driven over a real store, registry and send queue (the
 * queue is never flushed: no sockets). A "restart" is a new dispatcher and
 * registry recovering from the same store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture_status.h"
#include "clock.h"
#include "dispatcher.h"
#include "fixture_store.h"
#include "launcher.h"
#include "registry.h"
#include "runbook.h"
#include "sendq.h"
#include "services.h"
#include "store/store.h"
#include "xalloc.h"

#define LOST_AFTER_MS 200
#define SETTLE_MS 3000
#define RUN_ID_BYTES 32

typedef struct {
	char dir[64];
	store_t *store;
	registry_t *registry;
	sendq_t *sendq;
	dispatcher_t *d;
	/* What the coordinator's services would hold, pointing at the above
	 * (the test owns them, not svc). */
	services_t svc;
	launcher_t *launcher;
} fixture_t;

/* What the last run that ended said of its incident (the run_ended hook). */
static char ended_incident[64];
static int ended_runs;

static void
hook_run_ended(void *ctx, const dispatcher_run_end_t *end)
{
	(void)ctx;
	ended_runs++;
	snprintf(ended_incident, sizeof(ended_incident), "%s", end->incident ? end->incident : "");
}

static void
fixture_dispatcher(fixture_t *f)
{
	f->svc.store = f->store;
	f->svc.registry = f->registry;
	f->svc.sendq = f->sendq;
	f->svc.epoch = 1;
	f->svc.options.output_cap = 1 << 20;
	dispatcher_config_t cfg = {
	    .svc = &f->svc,
	    .lost_after_ms = LOST_AFTER_MS,
	    .settle_ms = SETTLE_MS,
	    .hooks = {.run_ended = hook_run_ended},
	};
	f->d = dispatcher_new(&cfg);
	f->svc.dispatcher = f->d;
}

static int
setup(void **state)
{
	fixture_t *f = xcalloc(1, sizeof(*f));
	f->store = fixture_store_new("disp", f->dir, sizeof(f->dir), NULL, 0);
	assert_non_null(f->store);
	f->registry = registry_new();
	f->sendq = sendq_new();
	fixture_dispatcher(f);
	f->launcher = launcher_new(&f->svc);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	fixture_t *f = *state;
	launcher_destroy(&f->launcher);
	dispatcher_destroy(&f->d);
	sendq_destroy(&f->sendq);
	registry_destroy(&f->registry);
	assert_int_equal(fixture_store_remove(&f->store, f->dir), 0);
	free(f);
	return 0;
}

/* Worker id says hello (what it lists is the caller's to fill in), as
 * another process than the one before when new_process. */
static worker_t *
say_hello(fixture_t *f, Rota__Hello *hello, const char *id, bool new_process)
{
	hello->worker_id = (char *)id;
	hello->hostname = (char *)id;
	hello->version = (char *)"test";
	worker_t *w = registry_hello(f->registry, hello, clock_mono_ms(), clock_wall_ms());
	dispatcher_hello(f->d, w, hello, new_process);
	return w;
}

/* A worker says Hello (listing nothing in flight). */
static worker_t *
connect_worker(fixture_t *f, const char *id, uint32_t capacity)
{
	Rota__Hello hello = ROTA__HELLO__INIT;
	hello.capacity = capacity;
	return say_hello(f, &hello, id, false);
}

/* A worker the store knows but that is not connected. */
static void
known_worker(fixture_t *f, const char *id)
{
	Rota__WorkerInfo info = ROTA__WORKER_INFO__INIT;
	info.id = (char *)id;
	info.hostname = (char *)id;
	info.version = (char *)"test";
	registry_add_known(f->registry, &info);
}

/* Submits yaml to the given targets; the run id into id. */
static void
submit(fixture_t *f, const char *yaml, const char *const *targets, size_t n, char id[RUN_ID_BYTES])
{
	runbook_errors_t errs = {0};
	runbook_t *rb = runbook_parse_string(yaml, strlen(yaml), "test.yaml", &errs);
	if (rb == NULL) {
		char *msg = runbook_errors_format(&errs);
		fail_msg("runbook: %s", msg);
	}
	runbook_errors_clear(&errs);
	launch_t req = {
	    .rb = rb,
	    .yaml = yaml,
	    .targets = (char **)targets,
	    .n_targets = n,
	    .trigger = "manual",
	};
	launch_result_t res;
	int rc = launcher_start(f->launcher, &req, &res);
	if (rc != 0)
		fail_msg("launcher_start: %s", res.error ? res.error : "?");
	snprintf(id, RUN_ID_BYTES, "%s", res.run_id);
	launch_result_clear(&res);
	runbook_destroy(&rb);
	assert_int_equal(store_commit(f->store), 0);
}

/* Submits yaml to the one target; the run id into id. */
static void
submit_on(fixture_t *f, const char *yaml, const char *target, char id[RUN_ID_BYTES])
{
	const char *const targets[] = {target};
	submit(f, yaml, targets, 1, id);
}

/* A coordinator restart: what is committed survives, nothing is connected. */
static void
restart(fixture_t *f)
{
	assert_int_equal(store_commit(f->store), 0);
	dispatcher_destroy(&f->d);
	sendq_discard(f->sendq);
	registry_destroy(&f->registry);
	f->registry = registry_new();
	fixture_dispatcher(f);
	assert_int_equal(dispatcher_recover(f->d, clock_mono_ms()), 0);
}

static int
status_of(fixture_t *f, const char *run_id, const char *host, const char *step)
{
	run_t *run = dispatcher_find_run(f->d, run_id);
	assert_non_null(run);
	size_t h, s;
	assert_int_equal(run_find(run, host, step, &h, &s), 0);
	return run->hosts[h].steps[s].status;
}

static uint32_t
attempt_of(fixture_t *f, const char *run_id, const char *host, const char *step)
{
	run_t *run = dispatcher_find_run(f->d, run_id);
	assert_non_null(run);
	size_t h, s;
	assert_int_equal(run_find(run, host, step, &h, &s), 0);
	return run->hosts[h].steps[s].attempt;
}

/* The worker's Accepted for an attempt. */
static void
accepted(fixture_t *f, worker_t *w, const char *run_id, const char *step, uint32_t attempt)
{
	Rota__StepKey key = ROTA__STEP_KEY__INIT;
	key.run_id = (char *)run_id;
	key.step_id = (char *)step;
	key.host = w->id;
	key.attempt = attempt;
	Rota__Accepted msg = ROTA__ACCEPTED__INIT;
	msg.key = &key;
	dispatcher_accepted(f->d, w, &msg);
}

static int
run_status_of(fixture_t *f, const char *run_id)
{
	Rota__RunSummary sum;
	assert_int_equal(store_commit(f->store), 0);
	assert_int_equal(store_run_summary(f->store, run_id, &sum), 0);
	int status = sum.status;
	store_run_summary_clear(&sum);
	return status;
}

/* A manual step keeps waiting for approval across a restart, even when the
 * first host of the run (in the store's order) was unreachable and so has
 * no spec to tell the step's kind by. */
static void
test_manual_step_survives_restart_with_an_unreachable_host(void **state)
{
	fixture_t *f = *state;
	known_worker(f, "a-gone");
	connect_worker(f, "b", 0);
	static const char yaml[] = "name: confirm\n"
	                           "steps:\n"
	                           "  - id: confirm\n"
	                           "    manual: { prompt: \"ok?\" }\n";
	const char *const targets[] = {"a-gone", "b"};
	char run_id[RUN_ID_BYTES];
	submit(f, yaml, targets, 2, run_id);
	assert_int_equal(status_of(f, run_id, "b", "confirm"), WAITING);
	assert_int_equal(status_of(f, run_id, "a-gone", "confirm"), UNREACHABLE);

	restart(f);
	worker_t *b = connect_worker(f, "b", 0);
	dispatcher_tick(f->d, clock_mono_ms());
	assert_int_equal(status_of(f, run_id, "b", "confirm"), WAITING);
	assert_int_equal(b->running, 0);
	uint32_t released = 0;
	char *error = NULL;
	int rc = dispatcher_approve(f->d, run_id, "confirm", false, "alice", "", &released, &error);
	if (rc != 0)
		fail_msg("approve: %s", error);
	assert_int_equal(released, 1);
	assert_int_equal(run_status_of(f, run_id), ROTA__RUN_STATUS__RUN_FAILED);
}

/* A worker's Result for the attempt in flight. */
static void
result(fixture_t *f, worker_t *w, const char *run_id, const char *step, uint32_t attempt,
       int status)
{
	Rota__StepKey key = ROTA__STEP_KEY__INIT;
	key.run_id = (char *)run_id;
	key.step_id = (char *)step;
	key.host = w->id;
	key.attempt = attempt;
	Rota__Result msg = ROTA__RESULT__INIT;
	msg.key = &key;
	msg.status = status;
	msg.detail = (char *)"";
	dispatcher_result(f->d, w, &msg);
}

/* A worker's Output chunk. */
static void
output(fixture_t *f, worker_t *w, const char *run_id, const char *step, const char *host,
       uint32_t attempt, uint64_t seq, const char *text)
{
	Rota__StepKey key = ROTA__STEP_KEY__INIT;
	key.run_id = (char *)run_id;
	key.step_id = (char *)step;
	key.host = (char *)host;
	key.attempt = attempt;
	Rota__Output msg = ROTA__OUTPUT__INIT;
	msg.key = &key;
	msg.stream = ROTA__STREAM__STREAM_STDOUT;
	msg.seq = seq;
	msg.data.data = (uint8_t *)text;
	msg.data.len = strlen(text);
	dispatcher_output(f->d, w, &msg);
}

/* A Result naming the last chunk sent; returns how many messages it
 * queued (1 when it was acked: the run has nothing more to send). */
static size_t
result_after(fixture_t *f, worker_t *w, const char *run_id, const char *step, uint64_t output_seq)
{
	Rota__StepKey key = ROTA__STEP_KEY__INIT;
	key.run_id = (char *)run_id;
	key.step_id = (char *)step;
	key.host = w->id;
	key.attempt = 1;
	Rota__Result msg = ROTA__RESULT__INIT;
	msg.key = &key;
	msg.status = ROTA__STEP_STATUS__STEP_SUCCEEDED;
	msg.detail = (char *)"";
	msg.output_seq = output_seq;
	size_t before = sendq_length(f->sendq);
	dispatcher_result(f->d, w, &msg);
	return sendq_length(f->sendq) - before;
}

/* The run's stored output, in `rota logs` order. */
static char *
logs_of(fixture_t *f, const char *run_id)
{
	return fixture_store_logs(f->store, run_id);
}

/* Output is stored in seq order, once, also after its run ended; one
 * OutputAck per key per turn; a result is acked only once its output is
 * in, or after it came DISPATCHER_OUTPUT_WAIT_RESULTS times with nothing
 * new, when the missing chunks are recorded lost. */
static void
test_output_delivery(void **state)
{
	fixture_t *f = *state;
	worker_t *a = connect_worker(f, "a", 0);
	worker_t *b = connect_worker(f, "b", 0);
	static const char yaml[] = "name: out\n"
	                           "steps:\n"
	                           "  - id: one\n"
	                           "    shell: \"true\"\n";
	const char *const targets[] = {"a", "b"};
	char run_id[RUN_ID_BYTES];
	submit(f, yaml, targets, 2, run_id);
	dispatcher_end_turn(f->d);
	sendq_discard(f->sendq);
	const dispatcher_stats_t *st = dispatcher_stats(f->d);

	output(f, a, run_id, "one", "a", 1, 1, "a1\n");
	output(f, a, run_id, "one", "a", 1, 3, "a3\n"); /* ahead of 2 */
	output(f, a, run_id, "one", "a", 1, 2, "a2\n");
	output(f, a, run_id, "one", "a", 1, 3, "a3\n");
	output(f, a, run_id, "one", "a", 1, 2, "a2\n"); /* a duplicate */
	output(f, a, run_id, "one", "b", 1, 1, "not a's\n");
	output(f, a, run_id, "one", "a", 2, 1, "no such attempt\n");
	assert_int_equal(st->outputs_recorded, 3);
	assert_int_equal(st->outputs_ahead, 1);
	assert_int_equal(st->outputs_duplicate, 1);
	assert_int_equal(st->outputs_dropped, 2);
	assert_int_equal(sendq_length(f->sendq), 0); /* nothing before the turn ends */
	dispatcher_end_turn(f->d);
	/* a's attempt 1 (coalesced) and a's attempt 2 (unknown: forget it). */
	assert_int_equal(sendq_length(f->sendq), 2);
	sendq_discard(f->sendq);

	/* a's result names chunk 5: recorded, not acked; b's is complete. */
	assert_int_equal(result_after(f, a, run_id, "one", 5), 0);
	assert_int_equal(status_of(f, run_id, "a", "one"), OK);
	output(f, b, run_id, "one", "b", 1, 1, "b1\n");
	assert_int_equal(result_after(f, b, run_id, "one", 1), 1);
	assert_null(dispatcher_find_run(f->d, run_id));
	assert_int_equal(run_status_of(f, run_id), ROTA__RUN_STATUS__RUN_SUCCEEDED);

	/* The run is over; a's chunks 4 and 5 come late and are stored. */
	output(f, a, run_id, "one", "a", 1, 4, "a4\n");
	assert_int_equal(result_after(f, a, run_id, "one", 5), 0);
	output(f, a, run_id, "one", "a", 1, 5, "a5\n");
	assert_int_equal(result_after(f, a, run_id, "one", 5), 1);
	char *text = logs_of(f, run_id);
	assert_string_equal(text, "a1\na2\na3\nb1\na4\na5\n");
	free(text);

	/* b's result says 3, but chunks 2 and 3 never come: the third time
	 * in a row with nothing new, they are given up. */
	assert_int_equal(result_after(f, b, run_id, "one", 3), 0);
	assert_int_equal(result_after(f, b, run_id, "one", 3), 0);
	assert_int_equal(result_after(f, b, run_id, "one", 3), 1);
	assert_int_equal(st->outputs_lost, 2);
	output(f, b, run_id, "one", "b", 1, 2, "b2, too late\n");
	assert_int_equal(st->outputs_duplicate, 2);
	text = logs_of(f, run_id);
	assert_non_null(strstr(text, "a5\n[rota: output lost: chunks 2 to 3 of this step"));
	assert_null(strstr(text, "too late"));
	free(text);
	assert_int_equal(store_commit(f->store), 0);
}

/* One approve releases the hosts waiting when it is given; a host that
 * comes to wait at the step meanwhile (its jitter ran out) waits for an
 * approval of its own, and takes no other host's place. */
static void
test_approve_releases_the_hosts_waiting_then(void **state)
{
	fixture_t *f = *state;
	connect_worker(f, "a", 0);
	connect_worker(f, "b", 0);
	connect_worker(f, "c", 0);
	static const char yaml[] = "name: confirm\n"
	                           "steps:\n"
	                           "  - id: confirm\n"
	                           "    manual: { prompt: \"ok?\" }\n";
	const char *const targets[] = {"a", "b", "c"};
	char run_id[RUN_ID_BYTES];
	submit(f, yaml, targets, 3, run_id);
	/* Hold b back as a scheduled run's jitter would, then let it go. */
	run_t *run = dispatcher_find_run(f->d, run_id);
	size_t hb, s;
	assert_int_equal(run_find(run, "b", "confirm", &hb, &s), 0);
	run->hosts[hb].steps[s].status = PENDING;
	run->hosts[hb].not_before = clock_wall_ms() + 20;
	usleep(40 * 1000);
	uint32_t released = 0;
	char *error = NULL;
	assert_int_equal(
	    dispatcher_approve(f->d, run_id, "confirm", false, "alice", "", &released, &error), 0);
	assert_int_equal(released, 2);
	assert_int_equal(status_of(f, run_id, "a", "confirm"), OK);
	assert_int_equal(status_of(f, run_id, "c", "confirm"), OK);
	assert_int_equal(status_of(f, run_id, "b", "confirm"), WAITING);
}

/* A notify hook that suppresses every notice, as the responder does for a
 * resolved incident's run; ctx counts its calls. */
static int
suppress_notify(void *ctx, const char *run_id, const char *runbook, const char *host,
                const char *channel, const char *message, char **detail)
{
	(void)run_id, (void)runbook, (void)host, (void)channel;
	(*(int *)ctx)++;
	*detail = xasprintf("suppressed: incident INC-1 was resolved; not sent: %s", message);
	return 1;
}

/* The stored row of step of run_id (a ShowRun's). */
static const Rota__StepRunInfo *
stored_step(const Rota__ShowRunResponse *show, const char *step)
{
	for (size_t i = 0; i < show->n_steps; i++)
		if (strcmp(show->steps[i]->step_id, step) == 0)
			return show->steps[i];
	fail_msg("no stored step %s", step);
	return NULL;
}

/* A notify step the hook suppresses is skipped (not failed, not sent) with
 * the hook's reason, and the run goes on; the approver of the next step is
 * stored with the time. */
static void
test_suppressed_notify_is_skipped_and_the_approver_kept(void **state)
{
	fixture_t *f = *state;
	dispatcher_destroy(&f->d);
	int calls = 0;
	dispatcher_config_t cfg = {
	    .svc = &f->svc,
	    .lost_after_ms = LOST_AFTER_MS,
	    .settle_ms = SETTLE_MS,
	    .hooks = {.notify = suppress_notify, .ctx = &calls},
	};
	f->d = dispatcher_new(&cfg);
	f->svc.dispatcher = f->d;
	connect_worker(f, "a", 0);
	static const char yaml[] = "name: tell\n"
	                           "steps:\n"
	                           "  - id: tell\n"
	                           "    notify: { message: \"app is down\" }\n"
	                           "  - id: confirm\n"
	                           "    manual: { prompt: \"ok?\" }\n";
	char run_id[RUN_ID_BYTES];
	submit_on(f, yaml, "a", run_id);
	assert_int_equal(calls, 1);
	assert_int_equal(status_of(f, run_id, "a", "tell"), SKIPPED);
	assert_int_equal(status_of(f, run_id, "a", "confirm"), WAITING);
	uint32_t released = 0;
	char *error = NULL;
	int64_t before = clock_wall_ms();
	assert_int_equal(
	    dispatcher_approve(f->d, run_id, "confirm", false, "alice", "", &released, &error), 0);
	assert_int_equal(run_status_of(f, run_id), ROTA__RUN_STATUS__RUN_SUCCEEDED);
	Rota__ShowRunResponse *show = xmalloc(sizeof(*show));
	assert_int_equal(store_run_show(f->store, run_id, 0, show), 0);
	const Rota__StepRunInfo *tell = stored_step(show, "tell");
	assert_int_equal(tell->status, SKIPPED);
	assert_non_null(strstr(tell->detail, "suppressed: incident INC-1 was resolved"));
	const Rota__StepRunInfo *confirm = stored_step(show, "confirm");
	assert_string_equal(confirm->approved_by, "alice");
	assert_true(confirm->approved_ms >= before);
	assert_non_null(strstr(confirm->detail, "approved by alice at "));
	assert_string_equal(tell->approved_by, "");
	rota__show_run_response__free_unpacked(show, NULL);
}

/* A step that can be retried is held while its worker is away (a retry
 * could only go there); a worker back as a new process that no longer runs
 * it makes it lost, and the retry goes out at once. The worker's count of
 * steps in flight stays true throughout. */
static void
test_lost_step_retried_when_the_worker_returns(void **state)
{
	fixture_t *f = *state;
	worker_t *w = connect_worker(f, "a", 1);
	static const char yaml[] = "name: two\n"
	                           "steps:\n"
	                           "  - id: one\n"
	                           "    retries: { count: 1, backoff: 0s }\n"
	                           "    shell: \"true\"\n"
	                           "  - id: two\n"
	                           "    shell: \"true\"\n";
	char run_id[RUN_ID_BYTES];
	submit_on(f, yaml, "a", run_id);
	assert_int_equal(status_of(f, run_id, "a", "one"), DISPATCHED);
	assert_int_equal(w->running, 1);
	accepted(f, w, run_id, "one", 1);
	w->connected = false;
	dispatcher_worker_lost(f->d, w);
	assert_int_equal(w->running, 0);
	assert_int_equal(status_of(f, run_id, "a", "one"), RUNNING);
	Rota__Hello fresh = ROTA__HELLO__INIT;
	fresh.capacity = 1;
	w = say_hello(f, &fresh, "a", true);
	dispatcher_tick(f->d, clock_mono_ms());
	assert_int_equal(attempt_of(f, run_id, "a", "one"), 2);
	assert_int_equal(status_of(f, run_id, "a", "one"), DISPATCHED);
	assert_int_equal(w->running, 1);
	/* It says Hello again with the step running. */
	Rota__StepKey key = ROTA__STEP_KEY__INIT;
	key.run_id = run_id;
	key.step_id = (char *)"one";
	key.host = (char *)"a";
	key.attempt = 2;
	Rota__StepKey *keys[] = {&key};
	Rota__Hello hello = ROTA__HELLO__INIT;
	hello.capacity = 1;
	hello.in_flight = keys;
	hello.n_in_flight = 1;
	w = say_hello(f, &hello, "a", false);
	assert_int_equal(w->running, 1);
	result(f, w, run_id, "one", 2, OK);
	assert_int_equal(status_of(f, run_id, "a", "two"), DISPATCHED);
	assert_int_equal(w->running, 1);
	result(f, w, run_id, "one", 2, OK); /* a duplicate */
	result(f, w, run_id, "two", 1, OK);
	assert_int_equal(w->running, 0);
	assert_null(dispatcher_find_run(f->d, run_id));
	assert_int_equal(run_status_of(f, run_id), ROTA__RUN_STATUS__RUN_SUCCEEDED);
}

/* A rolling run resumed after a restart in the middle of a batch finishes
 * the batch, then starts the next. */
static void
test_rolling_run_resumes_mid_batch(void **state)
{
	fixture_t *f = *state;
	worker_t *a = connect_worker(f, "a", 0);
	connect_worker(f, "b", 0);
	connect_worker(f, "c", 0);
	static const char yaml[] = "name: roll\n"
	                           "targets: { batch: 1 }\n"
	                           "steps:\n"
	                           "  - id: one\n"
	                           "    shell: \"true\"\n"
	                           "  - id: two\n"
	                           "    shell: \"true\"\n";
	const char *const targets[] = {"a", "b", "c"};
	char run_id[RUN_ID_BYTES];
	submit(f, yaml, targets, 3, run_id);
	result(f, a, run_id, "one", 1, OK);
	assert_int_equal(status_of(f, run_id, "a", "two"), DISPATCHED);
	assert_int_equal(status_of(f, run_id, "b", "one"), PENDING);
	restart(f);
	a = connect_worker(f, "a", 0);
	worker_t *b = connect_worker(f, "b", 0);
	worker_t *c = connect_worker(f, "c", 0);
	dispatcher_tick(f->d, clock_mono_ms());
	/* a's step two never reached it (its Hello did not list it): sent
	 * again; b and c wait for a. */
	assert_int_equal(status_of(f, run_id, "a", "two"), DISPATCHED);
	assert_int_equal(status_of(f, run_id, "b", "one"), PENDING);
	result(f, a, run_id, "two", 1, OK);
	assert_int_equal(status_of(f, run_id, "b", "one"), DISPATCHED);
	assert_int_equal(status_of(f, run_id, "c", "one"), PENDING);
	result(f, b, run_id, "one", 1, OK);
	result(f, b, run_id, "two", 1, OK);
	assert_int_equal(status_of(f, run_id, "c", "one"), DISPATCHED);
	result(f, c, run_id, "one", 1, OK);
	result(f, c, run_id, "two", 1, OK);
	assert_int_equal(run_status_of(f, run_id), ROTA__RUN_STATUS__RUN_SUCCEEDED);
}

/* A worker may report only what was dispatched to it: a result for a step
 * still pending (never sent), or for an attempt other than the one in
 * flight, is acknowledged, counted, and not recorded. */
static void
test_results_for_steps_never_dispatched_are_not_recorded(void **state)
{
	fixture_t *f = *state;
	worker_t *a = connect_worker(f, "a", 0);
	static const char yaml[] = "name: two\n"
	                           "steps:\n"
	                           "  - id: one\n"
	                           "    shell: \"true\"\n"
	                           "  - id: two\n"
	                           "    shell: \"true\"\n";
	char run_id[RUN_ID_BYTES];
	submit_on(f, yaml, "a", run_id);
	assert_int_equal(status_of(f, run_id, "a", "one"), DISPATCHED);
	uint64_t unknown = dispatcher_stats(f->d)->results_unknown;
	result(f, a, run_id, "two", 1, OK); /* never dispatched */
	assert_int_equal(status_of(f, run_id, "a", "two"), PENDING);
	result(f, a, run_id, "one", 2, OK); /* an attempt never made */
	assert_int_equal(status_of(f, run_id, "a", "one"), DISPATCHED);
	assert_int_equal(dispatcher_stats(f->d)->results_unknown, unknown + 2);
	result(f, a, run_id, "one", 1, OK);
	assert_int_equal(status_of(f, run_id, "a", "two"), DISPATCHED);
	result(f, a, run_id, "two", 1, OK);
	assert_int_equal(run_status_of(f, run_id), ROTA__RUN_STATUS__RUN_SUCCEEDED);
}

/* A Hello from another worker process (a restart, or a second process with
 * the id) that does not list a dispatched step: the old process may have
 * started it. An idempotent step is sent again; one that is not ends lost
 * and is never sent again. From the same process it is sent again. */
static void
test_not_idempotent_order_lost_to_a_new_process(void **state)
{
	fixture_t *f = *state;
	connect_worker(f, "a", 0);
	static const char yaml[] = "name: once\n"
	                           "steps:\n"
	                           "  - id: safe\n"
	                           "    shell: \"true\"\n"
	                           "  - id: charge\n"
	                           "    idempotent: false\n"
	                           "    shell: \"true\"\n";
	char run_id[RUN_ID_BYTES];
	submit_on(f, yaml, "a", run_id);
	assert_int_equal(status_of(f, run_id, "a", "safe"), DISPATCHED);
	Rota__Hello hello = ROTA__HELLO__INIT;
	worker_t *w = say_hello(f, &hello, "a", true);
	dispatcher_tick(f->d, clock_mono_ms());
	assert_int_equal(status_of(f, run_id, "a", "safe"), DISPATCHED); /* idempotent */
	result(f, w, run_id, "safe", 1, OK);
	assert_int_equal(status_of(f, run_id, "a", "charge"), DISPATCHED);
	/* The same process again: its spool refuses a second start. */
	dispatcher_hello(f->d, w, &hello, false);
	dispatcher_tick(f->d, clock_mono_ms());
	assert_int_equal(status_of(f, run_id, "a", "charge"), DISPATCHED);
	/* Another process: ambiguous, and not idempotent. */
	dispatcher_hello(f->d, w, &hello, true);
	assert_null(dispatcher_find_run(f->d, run_id));
	assert_int_equal(run_status_of(f, run_id), ROTA__RUN_STATUS__RUN_FAILED);
	assert_int_equal(w->running, 0);
}

/* A worker that said Goodbye gets nothing new; its order not yet accepted
 * is held (pending, not lost) and goes out when it says Hello again. */
static void
test_stopping_worker_holds_orders(void **state)
{
	fixture_t *f = *state;
	worker_t *w = connect_worker(f, "a", 0);
	static const char yaml[] = "name: held\n"
	                           "steps:\n"
	                           "  - id: one\n"
	                           "    idempotent: false\n"
	                           "    shell: \"true\"\n";
	char run_id[RUN_ID_BYTES];
	submit_on(f, yaml, "a", run_id);
	assert_int_equal(status_of(f, run_id, "a", "one"), DISPATCHED);
	dispatcher_worker_stopping(f->d, w);
	assert_true(w->stopping);
	assert_int_equal(w->running, 0);
	assert_int_equal(status_of(f, run_id, "a", "one"), PENDING);
	dispatcher_tick(f->d, clock_mono_ms());
	assert_int_equal(status_of(f, run_id, "a", "one"), PENDING);
	w = connect_worker(f, "a", 0);
	assert_false(w->stopping);
	dispatcher_tick(f->d, clock_mono_ms());
	assert_int_equal(status_of(f, run_id, "a", "one"), DISPATCHED);
	result(f, w, run_id, "one", 1, OK);
	assert_int_equal(run_status_of(f, run_id), ROTA__RUN_STATUS__RUN_SUCCEEDED);
}

/* A worker that said Goodbye and then went silent (stopped, not lost): a
 * host held for it that started nothing is skipped once it has been away
 * for the lost window, and the run succeeds on the other host instead of
 * failing with a lost step. */
static void
test_stopped_worker_host_skipped_not_lost(void **state)
{
	fixture_t *f = *state;
	worker_t *a = connect_worker(f, "a", 0);
	worker_t *b = connect_worker(f, "b", 0);
	dispatcher_worker_stopping(f->d, a);
	static const char yaml[] = "name: held\n"
	                           "steps:\n"
	                           "  - id: one\n"
	                           "    shell: \"true\"\n";
	const char *const targets[] = {"a", "b"};
	char run_id[RUN_ID_BYTES];
	submit(f, yaml, targets, 2, run_id);
	assert_int_equal(status_of(f, run_id, "a", "one"), PENDING); /* held */
	result(f, b, run_id, "one", 1, OK);
	a->connected = false; /* silent since its Goodbye */
	assert_string_equal(registry_state(a), "stopped");
	dispatcher_tick(f->d, clock_mono_ms());
	usleep((LOST_AFTER_MS + 50) * 1000);
	dispatcher_tick(f->d, clock_mono_ms());
	assert_int_equal(run_status_of(f, run_id), ROTA__RUN_STATUS__RUN_SUCCEEDED);
	Rota__ShowRunResponse *show = xmalloc(sizeof(*show));
	assert_int_equal(store_run_show(f->store, run_id, 0, show), 0);
	for (size_t i = 0; i < show->n_steps; i++) {
		if (strcmp(show->steps[i]->host, "a") != 0)
			continue;
		assert_int_equal(show->steps[i]->status, SKIPPED);
		assert_non_null(
		    strstr(show->steps[i]->detail, "worker a stopped (it said Goodbye)"));
	}
	rota__show_run_response__free_unpacked(show, NULL);
}

/* Every target stopped on purpose: a scheduled run is recorded skipped
 * (no one's fault, no incident) and a manual submit is refused, both
 * naming the stopped worker. */
static void
test_every_target_stopped(void **state)
{
	fixture_t *f = *state;
	worker_t *a = connect_worker(f, "a", 0);
	dispatcher_worker_stopping(f->d, a);
	a->connected = false;
	static const char yaml[] = "name: daily\n"
	                           "steps:\n"
	                           "  - id: one\n"
	                           "    shell: \"true\"\n";
	runbook_errors_t errs = {0};
	runbook_t *rb = runbook_parse_string(yaml, strlen(yaml), "test.yaml", &errs);
	assert_non_null(rb);
	const char *const targets[] = {"a"};
	launch_t req = {
	    .rb = rb,
	    .yaml = yaml,
	    .targets = (char **)targets,
	    .n_targets = 1,
	    .trigger = "manual",
	};
	launch_result_t res;
	assert_int_equal(launcher_start(f->launcher, &req, &res), -1);
	assert_non_null(
	    strstr(res.error, "every worker it targets is stopped (it said Goodbye): a"));
	launch_result_clear(&res);
	req.trigger = "schedule";
	assert_int_equal(launcher_start(f->launcher, &req, &res), 0);
	char run_id[RUN_ID_BYTES];
	snprintf(run_id, sizeof(run_id), "%s", res.run_id);
	launch_result_clear(&res);
	assert_int_equal(run_status_of(f, run_id), ROTA__RUN_STATUS__RUN_SKIPPED);
	runbook_destroy(&rb);
}

/* A run that ends inside dispatcher_tick (its only host's worker stayed
 * away past the lost window) is retired and freed there; the tick must not
 * read it afterwards. ASan (ROTA_SANITIZE=ON) reports the use after free
 * this guards against. A second run on another host keeps the list
 * non-empty around it. */
static void
test_run_ended_by_the_tick_is_not_read_again(void **state)
{
	fixture_t *f = *state;
	worker_t *a = connect_worker(f, "a", 0);
	connect_worker(f, "b", 0);
	static const char yaml[] = "name: once\n"
	                           "steps:\n"
	                           "  - id: one\n"
	                           "    shell: \"true\"\n";
	const char *const on_a[] = {"a"};
	const char *const on_b[] = {"b"};
	char gone[RUN_ID_BYTES], stays[RUN_ID_BYTES];
	submit(f, yaml, on_b, 1, stays);
	submit(f, yaml, on_a, 1, gone);
	assert_int_equal(status_of(f, gone, "a", "one"), DISPATCHED);
	/* Not connected any more, as after a turn that could not commit: the
	 * tick notices, then gives up on it after the lost window. */
	a->connected = false;
	int64_t now = clock_mono_ms();
	dispatcher_tick(f->d, now);
	dispatcher_tick(f->d, now + 2 * LOST_AFTER_MS);
	assert_null(dispatcher_find_run(f->d, gone));
	assert_int_equal(run_status_of(f, gone), ROTA__RUN_STATUS__RUN_FAILED);
	assert_int_equal(status_of(f, stays, "b", "one"), DISPATCHED);
}

/* Whether the store holds that attempt of the step. */
static bool
has_attempt(fixture_t *f, const char *run_id, const char *host, const char *step, uint32_t attempt)
{
	int64_t row;
	int rc = store_step_find(f->store, run_id, step, host, attempt, &row);
	assert_true(rc == 0 || rc == 1);
	return rc == 0;
}

/* While a host's worker is away, a step that could be retried spends no
 * attempt: one in flight is held and recorded as the worker reports it
 * when it is back; it is lost, without a retry, only past its deadline
 * (timeout + kill grace + lost window); a retry not sent yet waits for the
 * worker up to the step's timeout, then ends lost without another. */
static void
test_worker_away_spends_no_retry(void **state)
{
	fixture_t *f = *state;
	worker_t *w = connect_worker(f, "a", 0);
	static const char yaml[] = "name: patient\n"
	                           "steps:\n"
	                           "  - id: one\n"
	                           "    timeout: 2s\n"
	                           "    retries: { count: 2, backoff: 1s }\n"
	                           "    shell: \"true\"\n";
	const char *const targets[] = {"a"};
	const int64_t deadline = 2000 + DISPATCHER_KILL_GRACE_MS + LOST_AFTER_MS;

	/* Held, then recorded from the spool the Hello carries. */
	char held[RUN_ID_BYTES];
	submit(f, yaml, targets, 1, held);
	int64_t sent = clock_mono_ms();
	accepted(f, w, held, "one", 1);
	w->connected = false;
	dispatcher_worker_lost(f->d, w);
	dispatcher_tick(f->d, sent + 10 * LOST_AFTER_MS);
	dispatcher_tick(f->d, sent + deadline - LOST_AFTER_MS);
	assert_int_equal(status_of(f, held, "a", "one"), RUNNING);
	assert_int_equal(attempt_of(f, held, "a", "one"), 1);
	Rota__StepKey key = ROTA__STEP_KEY__INIT;
	key.run_id = held;
	key.step_id = (char *)"one";
	key.host = (char *)"a";
	key.attempt = 1;
	Rota__Result res = ROTA__RESULT__INIT;
	res.key = &key;
	res.status = ROTA__STEP_STATUS__STEP_SUCCEEDED;
	res.detail = (char *)"";
	Rota__Result *spooled[] = {&res};
	Rota__Hello hello = ROTA__HELLO__INIT;
	hello.spooled = spooled;
	hello.n_spooled = 1;
	w = say_hello(f, &hello, "a", false);
	assert_int_equal(run_status_of(f, held), ROTA__RUN_STATUS__RUN_SUCCEEDED);
	assert_false(has_attempt(f, held, "a", "one", 2));
	assert_int_equal(w->running, 0);

	/* Never back: lost at the deadline, and no retry is made. */
	char gone[RUN_ID_BYTES];
	submit(f, yaml, targets, 1, gone);
	sent = clock_mono_ms();
	w->connected = false;
	dispatcher_worker_lost(f->d, w);
	dispatcher_tick(f->d, sent + deadline - LOST_AFTER_MS);
	assert_int_equal(status_of(f, gone, "a", "one"), DISPATCHED);
	dispatcher_tick(f->d, sent + deadline + LOST_AFTER_MS);
	assert_null(dispatcher_find_run(f->d, gone));
	assert_int_equal(run_status_of(f, gone), ROTA__RUN_STATUS__RUN_FAILED);
	assert_false(has_attempt(f, gone, "a", "one", 2));

	/* A retry waiting for its backoff when the worker goes: it waits for
	 * the worker up to the step's timeout, then ends without a third. */
	w = connect_worker(f, "a", 0);
	char retry[RUN_ID_BYTES];
	submit(f, yaml, targets, 1, retry);
	result(f, w, retry, "one", 1, FAILED);
	assert_int_equal(attempt_of(f, retry, "a", "one"), 2);
	assert_int_equal(status_of(f, retry, "a", "one"), PENDING);
	int64_t away = clock_mono_ms();
	w->connected = false;
	dispatcher_worker_lost(f->d, w);
	dispatcher_tick(f->d, away + 1500);
	assert_int_equal(status_of(f, retry, "a", "one"), PENDING);
	assert_int_equal(attempt_of(f, retry, "a", "one"), 2);
	dispatcher_tick(f->d, away + 2000 + LOST_AFTER_MS);
	assert_null(dispatcher_find_run(f->d, retry));
	assert_int_equal(run_status_of(f, retry), ROTA__RUN_STATUS__RUN_FAILED);
	assert_false(has_attempt(f, retry, "a", "one", 3));
}

/* After a start or a promotion (both recover the runs from the store), a
 * host of a recovered run is not lost before the settle window: its worker
 * may still be failing over to this coordinator through its endpoint list
 * and backoff, far longer than the lost window. A step that may not be
 * retried (idempotent: false) goes on and is recorded once when the worker
 * is back; a worker that never comes back loses it when the window ends. */
static void
test_recovered_host_waits_the_settle_window(void **state)
{
	fixture_t *f = *state;
	worker_t *w = connect_worker(f, "a", 0);
	static const char yaml[] = "name: once\n"
	                           "steps:\n"
	                           "  - id: charge\n"
	                           "    idempotent: false\n"
	                           "    shell: \"true\"\n";
	char back[RUN_ID_BYTES], gone[RUN_ID_BYTES];
	submit_on(f, yaml, "a", back);
	accepted(f, w, back, "charge", 1);

	int64_t t0 = clock_mono_ms();
	restart(f);
	known_worker(f, "a");
	dispatcher_tick(f->d, t0);
	dispatcher_tick(f->d, t0 + 5 * LOST_AFTER_MS);
	dispatcher_tick(f->d, t0 + SETTLE_MS - LOST_AFTER_MS);
	assert_non_null(dispatcher_find_run(f->d, back));
	assert_int_equal(status_of(f, back, "a", "charge"), RUNNING);
	/* Back, the same process, the step running: recorded once. */
	Rota__StepKey key = ROTA__STEP_KEY__INIT;
	key.run_id = back;
	key.step_id = (char *)"charge";
	key.host = (char *)"a";
	key.attempt = 1;
	Rota__StepKey *keys[] = {&key};
	Rota__Hello hello = ROTA__HELLO__INIT;
	hello.in_flight = keys;
	hello.n_in_flight = 1;
	w = say_hello(f, &hello, "a", false);
	dispatcher_tick(f->d, t0 + SETTLE_MS);
	assert_int_equal(status_of(f, back, "a", "charge"), RUNNING);
	result(f, w, back, "charge", 1, OK);
	assert_int_equal(run_status_of(f, back), ROTA__RUN_STATUS__RUN_SUCCEEDED);
	assert_false(has_attempt(f, back, "a", "charge", 2));

	/* Never back: lost once the window is over, not before. */
	submit_on(f, yaml, "a", gone);
	accepted(f, w, gone, "charge", 1);
	t0 = clock_mono_ms();
	restart(f);
	known_worker(f, "a");
	dispatcher_tick(f->d, t0 + SETTLE_MS - LOST_AFTER_MS);
	assert_int_equal(status_of(f, gone, "a", "charge"), RUNNING);
	dispatcher_tick(f->d, t0 + SETTLE_MS + 2 * LOST_AFTER_MS);
	assert_null(dispatcher_find_run(f->d, gone));
	assert_int_equal(run_status_of(f, gone), ROTA__RUN_STATUS__RUN_FAILED);
}

/* A resync resets the dispatcher in place (dispatcher_reset): the same
 * object, its counters kept, its runs forgotten and read again from the
 * store; the launcher, which holds the services, starts runs on it still. */
static void
test_a_reset_keeps_the_dispatcher_and_reads_the_store_again(void **state)
{
	fixture_t *f = *state;
	worker_t *a = connect_worker(f, "a", 1);
	static const char yaml[] = "name: one\n"
	                           "steps:\n"
	                           "  - id: one\n"
	                           "    shell: \"true\"\n";
	char run_id[RUN_ID_BYTES];
	submit_on(f, yaml, "a", run_id);
	accepted(f, a, run_id, "one", 1);
	assert_int_equal(store_commit(f->store), 0);
	uint64_t dispatched = dispatcher_stats(f->d)->dispatched;
	assert_true(dispatched > 0);

	const dispatcher_t *held = f->d;
	dispatcher_reset(f->d);
	assert_ptr_equal(f->d, held);
	assert_ptr_equal(f->svc.dispatcher, held);
	assert_int_equal(dispatcher_active(f->d), 0);
	assert_null(dispatcher_find_run(f->d, run_id));
	assert_int_equal(dispatcher_stats(f->d)->dispatched, dispatched);
	a->connected = false; /* as the coordinator's resync leaves every worker */
	a->running = 0;
	assert_int_equal(dispatcher_recover(f->d, clock_mono_ms()), 0);
	assert_int_equal(dispatcher_active(f->d), 1);
	assert_int_equal(status_of(f, run_id, "a", "one"), RUNNING);

	connect_worker(f, "b", 1);
	const char *const on_b[] = {"b"};
	submit(f, yaml, on_b, 1, run_id);
	assert_int_equal(dispatcher_active(f->d), 2);
	assert_int_equal(status_of(f, run_id, "b", "one"), DISPATCHED);
}

/* A run's incident is known to the dispatcher from its link, and again
 * after a restart from the store, so its end names it without a query. */
static void
test_a_run_ends_knowing_its_incident(void **state)
{
	fixture_t *f = *state;
	worker_t *a = connect_worker(f, "a", 0);
	static const char yaml[] = "name: one\n"
	                           "steps:\n"
	                           "  - id: one\n"
	                           "    shell: \"true\"\n";
	store_incident_new_t inc = {.id = "INC-7",
	                            .title = "t",
	                            .severity = 2,
	                            .source = "cli",
	                            .hosts = "",
	                            .policy = "default"};
	assert_int_equal(store_incident_insert(f->store, &inc), 0);
	char linked[RUN_ID_BYTES], other[RUN_ID_BYTES];
	submit_on(f, yaml, "a", linked);
	submit_on(f, yaml, "a", other);
	assert_int_equal(store_incident_link_run(f->store, "INC-7", linked), 0);
	dispatcher_run_incident(f->d, linked, "INC-7");
	assert_int_equal(store_commit(f->store), 0);
	char id[64] = "";
	assert_int_equal(dispatcher_incident_of(f->d, linked, id, sizeof(id)), 1);
	assert_string_equal(id, "INC-7");
	assert_int_equal(dispatcher_incident_of(f->d, other, id, sizeof(id)), 0);
	assert_int_equal(dispatcher_incident_of(f->d, "no-such-run", id, sizeof(id)), -1);

	restart(f);
	a = connect_worker(f, "a", 0);
	dispatcher_tick(f->d, clock_mono_ms());
	ended_runs = 0;
	result(f, a, other, "one", 1, ROTA__STEP_STATUS__STEP_SUCCEEDED);
	dispatcher_end_turn(f->d);
	assert_int_equal(ended_runs, 1);
	assert_string_equal(ended_incident, "");
	result(f, a, linked, "one", 1, ROTA__STEP_STATUS__STEP_SUCCEEDED);
	dispatcher_end_turn(f->d);
	assert_int_equal(ended_runs, 2);
	assert_string_equal(ended_incident, "INC-7");
	assert_int_equal(store_commit(f->store), 0);
}

/* Run ids are unique by construction: the second, the epoch's low byte
 * and a count, so two made in the same second differ with no query. */
static void
test_run_ids_are_unique_by_construction(void **state)
{
	fixture_t *f = *state;
	f->svc.epoch = 0x1a2;
	char a[RUN_ID_BYTES], b[RUN_ID_BYTES];
	launcher_run_id(f->launcher, a, sizeof(a));
	launcher_run_id(f->launcher, b, sizeof(b));
	assert_int_equal(strlen(a), strlen("20261206-214000-a20000"));
	assert_string_not_equal(a, b);
	assert_int_equal(a[15], '-');
	assert_memory_equal(a + 16, "a2", 2);
	assert_memory_equal(b + 16, "a2", 2);
	/* Another epoch (a restart, a resync, a new lease): other ids. */
	f->svc.epoch = 0x1a3;
	char c[RUN_ID_BYTES];
	launcher_run_id(f->launcher, c, sizeof(c));
	assert_memory_equal(c + 16, "a3", 2);
}

/* A result resent for a run that has ended (its ack was not back yet) is
 * acked again without reading the store when it names no output: on
 * PostgreSQL the look-up was a waited-for round trip. One that names
 * output still looks its step run up (its chunks must be in first). */
static void
test_a_result_resent_for_an_ended_run_reads_nothing(void **state)
{
	fixture_t *f = *state;
	worker_t *a = connect_worker(f, "a", 0);
	static const char yaml[] = "name: once\n"
	                           "steps:\n"
	                           "  - id: one\n"
	                           "    shell: \"true\"\n";
	char run_id[RUN_ID_BYTES];
	submit_on(f, yaml, "a", run_id);
	result(f, a, run_id, "one", 1, OK);
	assert_int_equal(store_commit(f->store), 0);
	assert_null(dispatcher_find_run(f->d, run_id));
	sendq_discard(f->sendq);
	uint64_t unknown = dispatcher_stats(f->d)->results_unknown;
	uint64_t before = store_statements(f->store);
	result(f, a, run_id, "one", 1, OK);
	assert_int_equal(store_statements(f->store), before);
	assert_int_equal(dispatcher_stats(f->d)->results_unknown, unknown + 1);
	assert_int_equal(sendq_discard(f->sendq), 1); /* its ResultAck */
	assert_int_equal(run_status_of(f, run_id), ROTA__RUN_STATUS__RUN_SUCCEEDED);
	Rota__StepKey key = ROTA__STEP_KEY__INIT;
	key.run_id = run_id;
	key.step_id = (char *)"one";
	key.host = a->id;
	key.attempt = 1;
	Rota__Result msg = ROTA__RESULT__INIT;
	msg.key = &key;
	msg.status = ROTA__STEP_STATUS__STEP_SUCCEEDED;
	msg.detail = (char *)"";
	msg.output_seq = 1;
	dispatcher_result(f->d, a, &msg);
	assert_true(store_statements(f->store) > before);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_a_run_ends_knowing_its_incident, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_run_ids_are_unique_by_construction, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(
	        test_manual_step_survives_restart_with_an_unreachable_host, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_approve_releases_the_hosts_waiting_then, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_suppressed_notify_is_skipped_and_the_approver_kept,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stopped_worker_host_skipped_not_lost, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_every_target_stopped, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lost_step_retried_when_the_worker_returns, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_rolling_run_resumes_mid_batch, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_results_for_steps_never_dispatched_are_not_recorded, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_not_idempotent_order_lost_to_a_new_process, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_stopping_worker_holds_orders, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_output_delivery, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_a_result_resent_for_an_ended_run_reads_nothing,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_run_ended_by_the_tick_is_not_read_again, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_worker_away_spends_no_retry, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_a_reset_keeps_the_dispatcher_and_reads_the_store_again, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_recovered_host_waits_the_settle_window, setup,
	                                    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
