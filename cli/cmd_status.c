/* cmd_status: StatusResponse as a few lines or a JSON document.
 *
 * Must never: call a coordinator secure when it said it is not; the
 * security line is the first thing an operator reads. */
#include "cmd_status.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "ask.h"
#include "cmd_backup.h"
#include "cli.h"
#include "format.h"
#include "json.h"
#include "options.h"
#include "usage.h"

#define STATUS_SYNOPSIS "[--json]"
/* A coordinator not heard from for this long is marked silent. */
#define CMD_STATUS_SILENT_MS 3000

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
	json_member_uint(j, "runs_total", st->runs_total);
	json_member_uint(j, "maintenance_windows", st->maintenance_windows);
	json_member_uint(j, "hosts_in_maintenance", st->hosts_in_maintenance);
	json_member_string(j, "freeze", st->freeze);
	json_key(j, "backup");
	json_object_begin(j);
	if (st->backup != NULL)
		cmd_backup_json_members(j, st->backup);
	json_object_end(j);
	json_member_string(j, "coordinator_role", st->coordinator_role);
	json_member_bool(j, "shared_store", st->shared_store);
	json_key(j, "leader");
	json_object_begin(j);
	json_member_string(j, "id", st->leader_id);
	json_member_uint(j, "epoch", st->leader_epoch);
	json_member_string(j, "api", st->leader_api_endpoint);
	json_member_int(j, "expires_in_ms", st->leader_expires_in_ms);
	json_object_end(j);
	json_member_int(j, "store_bytes", st->store_bytes);
	json_member_int(j, "last_prune_ms", st->last_prune_ms);
	json_member_bool(j, "prune_running", st->prune_running);
	json_key(j, "last_prune");
	json_object_begin(j);
	for (size_t i = 0; i < st->n_last_prune; i++)
		json_member_uint(j, st->last_prune[i]->table, st->last_prune[i]->rows);
	json_object_end(j);
	json_key(j, "coordinators");
	json_array_begin(j);
	for (size_t i = 0; i < st->n_coordinators; i++) {
		const Rota__CoordinatorInfo *ci = st->coordinators[i];
		json_object_begin(j);
		json_member_string(j, "id", ci->id);
		json_member_string(j, "role", ci->role);
		json_member_string(j, "worker", ci->worker_endpoint);
		json_member_string(j, "api", ci->api_endpoint);
		json_member_text(j, "http", ci->http_endpoint);
		json_member_uint(j, "epoch", ci->epoch);
		json_member_int(j, "last_seen_ago_ms", ci->last_seen_ago_ms);
		json_object_end(j);
	}
	json_array_end(j);
	json_print_object(&j);
}

/* Who leads, and every coordinator sharing the store (docs/ha.md). An
 * older coordinator sends no role: nothing is said. */
static void
cmd_status_leadership(const Rota__StatusResponse *st)
{
	if (st->coordinator_role[0] == '\0')
		return;
	if (!st->shared_store) {
		printf("role         %s (the only coordinator: SQLite store)\n",
		       st->coordinator_role);
		return;
	}
	printf("role         %s\n", st->coordinator_role);
	char left[FORMAT_BUF_BYTES];
	format_duration(st->leader_expires_in_ms > 0 ? st->leader_expires_in_ms : 0, left,
	                sizeof(left));
	if (st->leader_id[0] == '\0')
		printf("leader       none holds the lease now\n");
	else
		printf("leader       %s at %s (epoch %llu, lease %s)\n", st->leader_id,
		       st->leader_api_endpoint, (unsigned long long)st->leader_epoch,
		       st->leader_expires_in_ms > 0 ? left : "expired");
	if (st->n_coordinators == 0)
		return;
	printf("coordinators\n");
	printf("  %-24s %-9s %-30s %6s  %s\n", "ID", "ROLE", "API", "EPOCH", "LAST RENEWAL");
	for (size_t i = 0; i < st->n_coordinators; i++) {
		const Rota__CoordinatorInfo *ci = st->coordinators[i];
		char ago[FORMAT_BUF_BYTES];
		format_duration(ci->last_seen_ago_ms > 0 ? ci->last_seen_ago_ms : 0, ago,
		                sizeof(ago));
		/* Alive coordinators say so every second: one silent for
		 * longer is down, frozen or cut off from the database. */
		printf("  %-24s %-9s %-30s %6llu  %s ago%s\n", ci->id, ci->role, ci->api_endpoint,
		       (unsigned long long)ci->epoch, ago,
		       ci->last_seen_ago_ms > CMD_STATUS_SILENT_MS ? " (silent)" : "");
	}
}

/* The store's size and retention's last pass (docs/operations.md). */
static void
cmd_status_store(const Rota__StatusResponse *st)
{
	printf("store        %.1f MB", (double)st->store_bytes / 1e6);
	if (st->prune_running) {
		printf("; a retention pass is running\n");
	} else if (st->last_prune_ms > 0) {
		char when[FORMAT_BUF_BYTES];
		format_time(st->last_prune_ms, when, sizeof(when));
		unsigned long long rows = 0;
		for (size_t i = 0; i < st->n_last_prune; i++)
			rows += st->last_prune[i]->rows;
		if (st->n_last_prune > 0)
			printf("; last prune %s UTC (%llu rows deleted)\n", when, rows);
		else
			printf("; last prune %s UTC\n", when);
	} else {
		printf("; no retention pass yet\n");
	}
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
	cmd_status_store(st);
	printf("fleet        %u of %u worker(s) connected, %u run(s) active, %u incident(s)"
	       " open\n",
	       st->workers_connected, st->workers_known, st->runs_active, st->incidents_open);
	char backup[1024];
	cmd_backup_line(st->backup, backup, sizeof(backup));
	printf("runs         %llu stored\n", (unsigned long long)st->runs_total);
	if (st->maintenance_windows > 0)
		printf("maintenance  %u window(s) active, %u host(s) in maintenance%s%s\n",
		       st->maintenance_windows, st->hosts_in_maintenance,
		       st->freeze && st->freeze[0] ? "; schedules frozen by " : "",
		       st->freeze && st->freeze[0] ? st->freeze : "");
	printf("backup       %s\n", backup);
	cmd_status_leadership(st);
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
