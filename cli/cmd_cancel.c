/* cmd_cancel: see cmd_cancel.h. */
#include "cmd_cancel.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "client.h"
#include "follow.h"
#include "format.h"
#include "json.h"
#include "options.h"
#include "usage.h"
#include "xalloc.h"

#define CANCEL_SYNOPSIS "RUN [--host H] [--note TEXT] [--json]"

static bool
cmd_cancel_in_flight(int status)
{
	return status == ROTA__STEP_STATUS__STEP_DISPATCHED ||
	       status == ROTA__STEP_STATUS__STEP_RUNNING ||
	       status == ROTA__STEP_STATUS__STEP_WAITING ||
	       status == ROTA__STEP_STATUS__STEP_PENDING;
}

/* Asks for the run; *done is set when nothing of it (on host, when given)
 * is still pending or in flight. *reply is the caller's. */
static int
cmd_cancel_poll(session_t *s, const char *run_id, const char *host, Rota__Envelope **reply,
                bool *done)
{
	Rota__ShowRunRequest show = ROTA__SHOW_RUN_REQUEST__INIT;
	show.run_id = (char *)run_id;
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_SHOW;
	req.show = &show;
	int rc = session_call(s, &req, ROTA__RESPONSE__BODY_SHOW, reply);
	if (rc != CLI_EXIT_OK)
		return rc;
	const Rota__ShowRunResponse *resp = (*reply)->response->show;
	*done = true;
	for (size_t i = 0; i < resp->n_steps; i++) {
		const Rota__StepRunInfo *st = resp->steps[i];
		if ((host == NULL || strcmp(st->host, host) == 0) &&
		    cmd_cancel_in_flight(st->status))
			*done = false;
	}
	return CLI_EXIT_OK;
}

/* One line per step that ended by the cancel (cancelled or lost), the
 * latest attempt of each. */
static void
cmd_cancel_print(const Rota__ShowRunResponse *resp, const char *host, int json)
{
	json_t *j = NULL;
	if (json) {
		j = json_new_object();
		json_member_string(j, "run_id", resp->run->id);
		json_member_string(j, "status", format_run_status(resp->run->status));
		json_key(j, "steps");
		json_array_begin(j);
	}
	for (size_t i = 0; i < resp->n_steps; i++) {
		const Rota__StepRunInfo *st = resp->steps[i];
		if (host != NULL && strcmp(st->host, host) != 0)
			continue;
		if (st->status != ROTA__STEP_STATUS__STEP_CANCELLED &&
		    st->status != ROTA__STEP_STATUS__STEP_LOST)
			continue;
		if (json) {
			json_object_begin(j);
			json_member_string(j, "host", st->host);
			json_member_string(j, "step_id", st->step_id);
			json_member_uint(j, "attempt", st->attempt);
			json_member_string(j, "status", format_step_status(st->status));
			json_member_string(j, "detail", st->detail);
			json_object_end(j);
			continue;
		}
		char *line = xasprintf("  %-16s %-16s %-10s %s", st->host, st->step_id,
		                       format_step_status(st->status), st->detail);
		format_printable(line);
		printf("%s\n", line);
		free(line);
	}
	if (json) {
		json_array_end(j);
		json_print_object(&j);
	}
}

/* What cancel's own options say. */
typedef struct {
	const char *host; /* borrowed from argv */
	const char *note; /* borrowed from argv */
} cmd_cancel_args_t;

static int
cmd_cancel_take(void *ctx, int ch, char *arg)
{
	cmd_cancel_args_t *a = ctx;
	if (ch == 'n') {
		a->note = arg;
		return CLI_EXIT_OK;
	}
	/* 'H' */
	if (arg[0] == '\0')
		return usage_error("cancel: --host needs a worker id, as in --host "
		                   "web-1; leave it out to cancel every host");
	a->host = arg;
	return CLI_EXIT_OK;
}

int
cmd_cancel_run(session_t *s, int argc, char **argv)
{
	/* --note is cancel's own: an empty note is allowed here. */
	static const struct option own[] = {
	    {"host", required_argument, NULL, 'H'},
	    {"note", required_argument, NULL, 'n'},
	    {NULL, 0, NULL, 0},
	};
	cmd_cancel_args_t args = {NULL, NULL};
	const options_spec_t spec = {
	    .command = "cancel",
	    .synopsis = CANCEL_SYNOPSIS,
	    .shortopts = ":h",
	    .own = own,
	    .take = cmd_cancel_take,
	    .ctx = &args,
	};
	options_t o = {0};
	int parsed = options_parse(&spec, argc, argv, &o);
	if (parsed >= 0)
		return parsed;
	const char *host = args.host, *note = args.note;
	bool json = o.json;
	if (argc - optind != 1 || argv[optind][0] == '\0')
		return usage_error("cancel needs one RUN: rota cancel last, or an id from "
		                   "'rota runs' (add --host H for one host only)");

	Rota__CancelRequest cr = ROTA__CANCEL_REQUEST__INIT;
	cr.run_id = argv[optind];
	if (host != NULL)
		cr.host = (char *)host;
	if (note != NULL)
		cr.note = (char *)note;
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_CANCEL;
	req.cancel = &cr;
	Rota__Envelope *reply;
	int rc = session_call(s, &req, ROTA__RESPONSE__BODY_CANCEL, &reply);
	if (rc != CLI_EXIT_OK)
		return rc;
	char *run_id = xstrdup(reply->response->cancel->run_id);
	unsigned signalled = reply->response->cancel->signalled;
	client_reply_free(&reply);
	if (!json)
		fprintf(stderr,
		        "rota: cancelling run %s%s%s: %u running step(s) asked to stop;"
		        " waiting for their workers to confirm\n",
		        run_id, host ? " on " : "", host ? host : "", signalled);

	/* The coordinator's watchdog ends every step it asked to stop (the
	 * worker confirms, or it is declared lost), so this wait ends. */
	bool done = false;
	bool stream = true; /* the coordinator has the event stream */
	uint64_t cursor = 0;
	for (;;) {
		rc = cmd_cancel_poll(s, run_id, host, &reply, &done);
		if (rc != CLI_EXIT_OK)
			break;
		if (done) {
			const Rota__ShowRunResponse *resp = reply->response->show;
			if (!json)
				printf("run %s%s%s cancelled; run status %s\n", run_id,
				       host ? " on " : "", host ? host : "",
				       format_run_status(resp->run->status));
			cmd_cancel_print(resp, host, json);
			client_reply_free(&reply);
			break;
		}
		client_reply_free(&reply);
		/* Until something of the run changes (pushed as it commits),
		 * or, from an older coordinator, a poll's pause. */
		if (stream) {
			rc = follow_next_change(s, run_id, host, &cursor);
			if (rc == CLI_EXIT_UNKNOWN_REQUEST)
				stream = false;
			else if (rc != CLI_EXIT_OK)
				break;
			if (stream)
				continue;
		}
		struct timespec ts = {.tv_sec = 0, .tv_nsec = CLI_POLL_INTERVAL_MS * 1000000L};
		nanosleep(&ts, NULL);
	}
	free(run_id);
	return rc;
}
