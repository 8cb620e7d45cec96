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

#include "clock.h"
#include "dispatcher.h"
#include "launcher.h"
#include "registry.h"
#include "runbook.h"
#include "sendq.h"
#include "store.h"
#include "xalloc.h"

enum {
	PENDING = ROTA__STEP_STATUS__STEP_PENDING,
	DISPATCHED = ROTA__STEP_STATUS__STEP_DISPATCHED,
	RUNNING = ROTA__STEP_STATUS__STEP_RUNNING,
	OK = ROTA__STEP_STATUS__STEP_SUCCEEDED,
	FAILED = ROTA__STEP_STATUS__STEP_FAILED,
	LOST = ROTA__STEP_STATUS__STEP_LOST,
	WAITING = ROTA__STEP_STATUS__STEP_WAITING,
	UNREACHABLE = ROTA__STEP_STATUS__STEP_UNREACHABLE,
};

#define LOST_AFTER_MS 200

typedef struct {
	char dir[64];
	store_t *store;
	registry_t *registry;
	sendq_t *sendq;
	dispatcher_t *d;
} fixture_t;

static void
fixture_dispatcher(fixture_t *f)
{
	dispatcher_config_t cfg = {
	    .store = f->store,
	    .registry = f->registry,
	    .sendq = f->sendq,
	    .epoch = 1,
	    .output_cap = 1 << 20,
	    .lost_after_ms = LOST_AFTER_MS,
	};
	f->d = dispatcher_new(&cfg);
}

static int
setup(void **state)
{
	fixture_t *f = xcalloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/rota-disp.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	char db[96];
	snprintf(db, sizeof(db), "%s/rota.db", f->dir);
	char *error = NULL;
	f->store = store_open(db, &error);
	assert_non_null(f->store);
	f->registry = registry_new();
	f->sendq = sendq_new();
	fixture_dispatcher(f);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	fixture_t *f = *state;
	dispatcher_destroy(&f->d);
	sendq_destroy(&f->sendq);
	registry_destroy(&f->registry);
	store_destroy(&f->store);
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* A worker says Hello (listing nothing in flight). */
static worker_t *
connect_worker(fixture_t *f, const char *id, uint32_t capacity)
{
	Rota__Hello hello = ROTA__HELLO__INIT;
	hello.worker_id = (char *)id;
	hello.hostname = (char *)id;
	hello.version = (char *)"test";
	hello.capacity = capacity;
	worker_t *w = registry_hello(f->registry, &hello, clock_mono_ms(), clock_wall_ms());
	dispatcher_hello(f->d, w, &hello);
	return w;
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

/* Submits yaml to the given targets; returns the run id (static). */
static const char *
submit(fixture_t *f, const char *yaml, const char *const *targets, size_t n)
{
	static char id[32];
	runbook_errors_t errs = {0};
	runbook_t *rb = runbook_parse_string(yaml, strlen(yaml), "test.yaml", &errs);
	if (rb == NULL) {
		char *msg = runbook_errors_format(&errs);
		fail_msg("runbook: %s", msg);
	}
	runbook_errors_clear(&errs);
	launcher_t l = {.store = f->store, .registry = f->registry, .dispatcher = f->d};
	launch_t req = {
	    .rb = rb,
	    .yaml = yaml,
	    .targets = (char **)targets,
	    .n_targets = n,
	    .trigger = "manual",
	};
	launch_result_t res;
	int rc = launcher_start(&l, &req, &res);
	if (rc != 0)
		fail_msg("launcher_start: %s", res.error ? res.error : "?");
	snprintf(id, sizeof(id), "%s", res.run_id);
	launch_result_clear(&res);
	runbook_destroy(&rb);
	assert_int_equal(store_commit(f->store), 0);
	return id;
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
	char run_id[32];
	snprintf(run_id, sizeof(run_id), "%s", submit(f, yaml, targets, 2));
	assert_int_equal(status_of(f, run_id, "b", "confirm"), WAITING);
	assert_int_equal(status_of(f, run_id, "a-gone", "confirm"), UNREACHABLE);

	restart(f);
	worker_t *b = connect_worker(f, "b", 0);
	dispatcher_tick(f->d, clock_mono_ms());
	assert_int_equal(status_of(f, run_id, "b", "confirm"), WAITING);
	assert_int_equal(b->running, 0);
	uint32_t released = 0;
	char *error = NULL;
	int rc = dispatcher_approve(f->d, run_id, "confirm", false, "", &released, &error);
	if (rc != 0)
		fail_msg("approve: %s", error);
	assert_int_equal(released, 1);
	assert_int_equal(run_status_of(f, run_id), ROTA__RUN_STATUS__RUN_FAILED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_manual_step_survives_restart_with_an_unreachable_host, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
