/* cmd_status: StatusResponse as a few lines or a JSON document.
 *
 * Must never: call a coordinator secure when it said it is not; the
 * security line is the first thing an operator reads. */
#include "cmd_status.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "ask.h"
#include "cli.h"
#include "format.h"
#include "json.h"
#include "options.h"
#include "usage.h"

#define STATUS_SYNOPSIS "[--json]"

static const char *
cmd_status_security(const Rota__StatusResponse *st)
{
	if (st->curve)
		return "CURVE (keys required on both endpoints)";
	if (st->insecure)
		return "INSECURE: no CURVE beyond loopback (--insecure); anyone who can reach it"
		       " is an admin";
	return "no CURVE (loopback only; every caller is an admin)";
}

static void
cmd_status_json(const Rota__Response *resp)
{
	const Rota__StatusResponse *st = resp->status;
	json_t *j = json_new_object();
	json_member_string(j, "version", st->version);
	json_member_string(j, "coordinator_id", st->coordinator_id);
	json_member_uint(j, "epoch", st->epoch);
	json_member_int(j, "started_ms", st->started_ms);
	json_member_int(j, "uptime_ms", st->uptime_ms);
	json_key(j, "endpoints");
	json_object_begin(j);
	json_member_string(j, "worker", st->worker_endpoint);
	json_member_string(j, "api", st->api_endpoint);
	json_member_text(j, "http", st->http_endpoint);
	json_object_end(j);
	json_member_bool(j, "curve", st->curve);
	json_member_bool(j, "insecure", st->insecure);
	json_member_bool(j, "http_token", st->http_token);
	json_member_string(j, "caller", st->caller);
	json_member_string(j, "role", st->role);
	json_member_uint(j, "workers_connected", st->workers_connected);
	json_member_uint(j, "workers_known", st->workers_known);
	json_member_uint(j, "runs_active", st->runs_active);
	json_member_uint(j, "incidents_open", st->incidents_open);
	json_print_object(&j);
}

static void
cmd_status_text(const Rota__Response *resp)
{
	const Rota__StatusResponse *st = resp->status;
	char started[FORMAT_BUF_BYTES], uptime[FORMAT_BUF_BYTES];
	format_time(st->started_ms, started, sizeof(started));
	format_duration(st->uptime_ms, uptime, sizeof(uptime));
	printf("coordinator  %s (rota %s, epoch %llu)\n", st->coordinator_id, st->version,
	       (unsigned long long)st->epoch);
	printf("up           %s (since %s UTC)\n", uptime, started);
	printf("security     %s\n", cmd_status_security(st));
	printf("you          %s (%s)\n", st->caller[0] ? st->caller : "anonymous", st->role);
	printf("workers      %s\n", st->worker_endpoint);
	printf("api          %s\n", st->api_endpoint);
	if (st->http_endpoint[0])
		printf("http         %s (alert intake %s)\n", st->http_endpoint,
		       st->http_token ? "requires a bearer token" : "open, no token");
	else
		printf("http         off\n");
	printf("fleet        %u of %u worker(s) connected, %u run(s) active, %u incident(s)"
	       " open\n",
	       st->workers_connected, st->workers_known, st->runs_active, st->incidents_open);
}

int
cmd_status_show(session_t *s, int argc, char **argv)
{
	bool json;
	int done = options_json_only("status", STATUS_SYNOPSIS, argc, argv, &json);
	if (done >= 0)
		return done;
	if (optind < argc)
		return usage_error(
		    "status takes no arguments, got '%s'; usage: rota status " STATUS_SYNOPSIS,
		    argv[optind]);
	Rota__StatusRequest body = ROTA__STATUS_REQUEST__INIT;
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_STATUS;
	req.status = &body;
	return ask_print(s, &req, ROTA__RESPONSE__BODY_STATUS,
	                 json ? cmd_status_json : cmd_status_text);
}
