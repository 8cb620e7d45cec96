/* envelope_seeds: writes valid Envelope frames, one file per kind of
 * message rota sends, as the seed corpus of fuzz_envelope.
 *
 *   fuzz_envelope_seeds DIR
 *
 * Made by wire_encode at build time, so the seeds always match
 * proto/rota.proto. */
#include <stdio.h>
#include <stdlib.h>

#include "wire.h"

static const char *out_dir;
static int failures;

static void
seed(const char *name, Rota__Envelope *env)
{
	size_t len = 0;
	uint8_t *buf = wire_encode(env, &len);
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s.bin", out_dir, name);
	FILE *f = fopen(path, "wb");
	if (f == NULL || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		failures++;
	}
	free(buf);
}

static void
worker_seeds(void)
{
	Rota__StepKey key = ROTA__STEP_KEY__INIT;
	key.run_id = "20261123-080000-abcd";
	key.step_id = "disk";
	key.host = "web-1";
	key.attempt = 1;
	Rota__Label role = ROTA__LABEL__INIT;
	role.key = "role";
	role.value = "web";
	Rota__Label *labels[] = {&role};

	Rota__Result res = ROTA__RESULT__INIT;
	res.key = &key;
	res.status = ROTA__STEP_STATUS__STEP_FAILED;
	res.exit_code = 3;
	res.started_ms = 1795420800000;
	res.ended_ms = 1795420801500;
	res.detail = "exited with status 3";
	res.output_seq = 4;
	Rota__Result *spooled[] = {&res};
	Rota__StepKey *in_flight[] = {&key};

	Rota__Hello hello = ROTA__HELLO__INIT;
	hello.worker_id = "web-1";
	hello.hostname = "web-1.example";
	hello.labels = labels;
	hello.n_labels = 1;
	hello.version = "0.1.0";
	hello.capacity = 4;
	hello.in_flight = in_flight;
	hello.n_in_flight = 1;
	hello.spooled = spooled;
	hello.n_spooled = 1;
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_HELLO;
	env.hello = &hello;
	seed("hello", &env);

	Rota__Welcome welcome = ROTA__WELCOME__INIT;
	welcome.coordinator_id = "coord-1";
	welcome.epoch = 7;
	welcome.heartbeat_ms = 1000;
	env = (Rota__Envelope)ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_WELCOME;
	env.welcome = &welcome;
	seed("welcome", &env);

	Rota__Heartbeat hb = ROTA__HEARTBEAT__INIT;
	hb.epoch = 7;
	hb.running = 1;
	env = (Rota__Envelope)ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_HEARTBEAT;
	env.heartbeat = &hb;
	seed("heartbeat", &env);

	Rota__ShellSpec shell = ROTA__SHELL_SPEC__INIT;
	shell.run = "systemctl restart -- \"$UNIT\"";
	Rota__Label unit = ROTA__LABEL__INIT;
	unit.key = "UNIT";
	unit.value = "nginx";
	Rota__Label *envs[] = {&unit};
	shell.env = envs;
	shell.n_env = 1;
	shell.workdir = "/tmp";
	Rota__StepSpec spec = ROTA__STEP_SPEC__INIT;
	spec.timeout_ms = 60000;
	spec.output_limit = 65536;
	spec.kind_case = ROTA__STEP_SPEC__KIND_SHELL;
	spec.shell = &shell;
	Rota__Dispatch dispatch = ROTA__DISPATCH__INIT;
	dispatch.key = &key;
	dispatch.spec = &spec;
	dispatch.deadline_ms = 1795424400000;
	dispatch.fence = 7;
	env = (Rota__Envelope)ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_DISPATCH;
	env.dispatch = &dispatch;
	seed("dispatch-shell", &env);

	Rota__HttpCheckSpec http = ROTA__HTTP_CHECK_SPEC__INIT;
	http.url = "http://127.0.0.1:8000/health";
	http.method = "GET";
	http.expect_status = 200;
	http.body_contains = "ok";
	spec.kind_case = ROTA__STEP_SPEC__KIND_HTTP_CHECK;
	spec.http_check = &http;
	seed("dispatch-http", &env);

	Rota__DiskCheckSpec disk = ROTA__DISK_CHECK_SPEC__INIT;
	disk.path = "/";
	disk.min_free_pct = 20.5;
	disk.min_free_bytes = 1u << 30;
	spec.kind_case = ROTA__STEP_SPEC__KIND_DISK_CHECK;
	spec.disk_check = &disk;
	seed("dispatch-disk", &env);

	Rota__MetricCheckSpec metric = ROTA__METRIC_CHECK_SPEC__INIT;
	metric.url = "http://127.0.0.1:9100/metrics";
	metric.metric = "node_load1";
	metric.labels = labels;
	metric.n_labels = 1;
	metric.op = "<";
	metric.value = 4.0;
	spec.kind_case = ROTA__STEP_SPEC__KIND_METRIC_CHECK;
	spec.metric_check = &metric;
	seed("dispatch-metric", &env);

	Rota__Accepted acc = ROTA__ACCEPTED__INIT;
	acc.key = &key;
	env = (Rota__Envelope)ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_ACCEPTED;
	env.accepted = &acc;
	seed("accepted", &env);

	static uint8_t text[] = "Filesystem  Use%\n/dev/sda1  42%\n";
	Rota__Output out = ROTA__OUTPUT__INIT;
	out.key = &key;
	out.stream = ROTA__STREAM__STREAM_STDOUT;
	out.seq = 1;
	out.data.data = text;
	out.data.len = sizeof(text) - 1;
	env = (Rota__Envelope)ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_OUTPUT;
	env.output = &out;
	seed("output", &env);

	env = (Rota__Envelope)ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_RESULT;
	env.result = &res;
	seed("result", &env);

	Rota__ResultAck ack = ROTA__RESULT_ACK__INIT;
	ack.key = &key;
	env = (Rota__Envelope)ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_RESULT_ACK;
	env.result_ack = &ack;
	seed("result-ack", &env);

	Rota__Cancel cancel = ROTA__CANCEL__INIT;
	cancel.key = &key;
	env = (Rota__Envelope)ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_CANCEL;
	env.cancel = &cancel;
	seed("cancel", &env);
}

static void
api_seeds(void)
{
	Rota__Label param = ROTA__LABEL__INIT;
	param.key = "log_dir";
	param.value = "/var/log/app";
	Rota__Label *params[] = {&param};
	char *targets[] = {"role=web", "web-1"};
	Rota__SubmitRequest sub = ROTA__SUBMIT_REQUEST__INIT;
	sub.runbook_yaml = "name: fix\n"
	                   "targets: { hosts: [web-1] }\n"
	                   "params:\n"
	                   "  log_dir: { default: /var/log }\n"
	                   "steps:\n"
	                   "  - id: list\n"
	                   "    shell: { run: \"ls {{ params.log_dir }}\" }\n"
	                   "  - id: after\n"
	                   "    when: { failed: list }\n"
	                   "    noop: {}\n";
	sub.runbook_path = "./fix.yaml";
	sub.targets = targets;
	sub.n_targets = 2;
	sub.params = params;
	sub.n_params = 1;
	Rota__Request req = ROTA__REQUEST__INIT;
	req.id = 42;
	req.body_case = ROTA__REQUEST__BODY_SUBMIT;
	req.submit = &sub;
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_REQUEST;
	env.request = &req;
	seed("request-submit", &env);

	Rota__ListRunsRequest runs = ROTA__LIST_RUNS_REQUEST__INIT;
	runs.limit = 20;
	req.body_case = ROTA__REQUEST__BODY_RUNS;
	req.runs = &runs;
	seed("request-runs", &env);

	Rota__ApproveRequest approve = ROTA__APPROVE_REQUEST__INIT;
	approve.run_id = "20261123-080000-abcd";
	approve.step_id = "confirm";
	approve.note = "checked by hand";
	req.body_case = ROTA__REQUEST__BODY_APPROVE;
	req.approve = &approve;
	seed("request-approve", &env);

	Rota__Error err = ROTA__ERROR__INIT;
	err.code = ROTA__ERROR_CODE__ERR_UNKNOWN_RUNBOOK;
	err.message = "unknown runbook 'x'";
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = 42;
	resp.error = &err;
	env = (Rota__Envelope)ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_RESPONSE;
	env.response = &resp;
	seed("response-error", &env);
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	out_dir = argv[1];
	worker_seeds();
	api_seeds();
	return failures ? 1 : 0;
}
