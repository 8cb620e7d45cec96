/* cmd_backup: `rota backup FILE [--no-wait] [--json]`.
 *
 * The coordinator answers at once (the copy runs a slice per loop turn);
 * the command then asks `status` every CLI_POLL_INTERVAL_MS until that
 * backup is over, so no single answer has to wait for a large copy.
 *
 * Must never: say a backup succeeded before the coordinator said so. */
#include "cmd_backup.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "client.h"
#include "format.h"
#include "options.h"
#include "usage.h"

#define BACKUP_SYNOPSIS "FILE [--no-wait] [--json]"

enum { CMD_BACKUP_OPT_NO_WAIT = 1000 };

void
cmd_backup_json_members(json_t *j, const Rota__BackupInfo *b)
{
	json_member_string(j, "path", b->path);
	json_member_string(j, "state", b->state);
	json_member_string(j, "actor", b->actor);
	json_member_int(j, "started_ms", b->started_ms);
	json_member_int(j, "ended_ms", b->ended_ms);
	json_member_uint(j, "bytes", b->bytes);
	json_member_string(j, "sha256", b->sha256);
	json_member_uint(j, "schema_version", b->schema_version);
	json_member_uint(j, "runs", b->runs);
	json_member_uint(j, "slices", b->slices);
	json_member_uint(j, "max_pause_us", b->max_pause_us);
	json_member_uint(j, "max_slice_cpu_us", b->max_slice_cpu_us);
	json_member_string(j, "error", b->error);
	json_member_int(j, "last_success_ms", b->last_success_ms);
	json_member_string(j, "last_success_path", b->last_success_path);
}

void
cmd_backup_line(const Rota__BackupInfo *b, char *buf, size_t len)
{
	char at[FORMAT_BUF_BYTES], last[FORMAT_BUF_BYTES];
	if (b == NULL || b->state[0] == '\0') {
		snprintf(buf, len, "none yet (rota backup FILE)");
		return;
	}
	if (strcmp(b->state, "running") == 0) {
		format_time(b->started_ms, at, sizeof(at));
		snprintf(buf, len, "running: %s, since %s UTC (by %s)", b->path, at, b->actor);
		return;
	}
	format_time(b->ended_ms, at, sizeof(at));
	if (strcmp(b->state, "ok") == 0) {
		snprintf(buf, len, "ok: %s at %s UTC (%llu bytes, %llu runs)", b->path, at,
		         (unsigned long long)b->bytes, (unsigned long long)b->runs);
		return;
	}
	if (b->last_success_ms > 0)
		format_time(b->last_success_ms, last, sizeof(last));
	snprintf(buf, len, "FAILED: %s at %s UTC: %s; the last good one: %s%s%s%s", b->path, at,
	         b->error, b->last_success_ms ? b->last_success_path : "none",
	         b->last_success_ms ? " at " : "", b->last_success_ms ? last : "",
	         b->last_success_ms ? " UTC" : "");
}

static int
cmd_backup_take(void *ctx, int ch, char *arg)
{
	(void)arg;
	if (ch == CMD_BACKUP_OPT_NO_WAIT)
		*(bool *)ctx = true;
	return CLI_EXIT_OK;
}

static void
cmd_backup_print(const Rota__BackupInfo *b, bool json)
{
	if (json) {
		json_t *j = json_new_object();
		cmd_backup_json_members(j, b);
		json_print_object(&j);
		return;
	}
	if (strcmp(b->state, "running") == 0) {
		printf("backup to %s started on the coordinator's host; rota status shows how it"
		       " ends\n",
		       b->path);
		return;
	}
	char took[FORMAT_BUF_BYTES];
	format_duration(b->ended_ms - b->started_ms, took, sizeof(took));
	printf("backup   %s (on the coordinator's host)\n", b->path);
	printf("checksum %s (SHA-256, also in %s.sha256)\n", b->sha256, b->path);
	printf("holds    %llu runs, schema version %u, %llu bytes\n", (unsigned long long)b->runs,
	       b->schema_version, (unsigned long long)b->bytes);
	printf("took     %s in %llu slices; the coordinator paused at most %.2f ms at a time\n",
	       took, (unsigned long long)b->slices, (double)b->max_pause_us / 1000.0);
}

/* Asks status until the backup started at started_ms to path is over.
 * The exit code; *done the answer to print (caller frees). */
static int
cmd_backup_wait(session_t *s, const char *path, int64_t started_ms, Rota__Envelope **done)
{
	for (;;) {
		struct timespec pause = {0, CLI_POLL_INTERVAL_MS * 1000000L};
		nanosleep(&pause, NULL);
		Rota__StatusRequest body = ROTA__STATUS_REQUEST__INIT;
		Rota__Request req = ROTA__REQUEST__INIT;
		req.body_case = ROTA__REQUEST__BODY_STATUS;
		req.status = &body;
		Rota__Envelope *reply = NULL;
		int rc = session_call(s, &req, ROTA__RESPONSE__BODY_STATUS, &reply);
		if (rc != CLI_EXIT_OK)
			return rc;
		const Rota__BackupInfo *b = reply->response->status->backup;
		if (b == NULL || strcmp(b->path, path) != 0 || b->started_ms != started_ms) {
			client_reply_free(&reply);
			fprintf(stderr,
			        "rota: the coordinator no longer reports the backup to %s (it"
			        " restarted?); look for the file and rota status\n",
			        path);
			return CLI_EXIT_REFUSED;
		}
		if (strcmp(b->state, "running") != 0) {
			*done = reply;
			return CLI_EXIT_OK;
		}
		client_reply_free(&reply);
	}
}

int
cmd_backup_run(session_t *s, int argc, char **argv)
{
	bool no_wait = false;
	static const struct option own[] = {
	    {"no-wait", no_argument, NULL, CMD_BACKUP_OPT_NO_WAIT},
	    {NULL, 0, NULL, 0},
	};
	options_spec_t spec = {
	    .command = "backup",
	    .synopsis = BACKUP_SYNOPSIS,
	    .shortopts = ":h",
	    .own = own,
	    .take = cmd_backup_take,
	    .ctx = &no_wait,
	};
	options_t o = {0};
	int done = options_parse(&spec, argc, argv, &o);
	if (done >= 0)
		return done;
	if (optind + 1 != argc)
		return usage_error("backup takes one FILE, an absolute path on the coordinator's"
		                   " host; usage: rota backup " BACKUP_SYNOPSIS);
	Rota__BackupRequest body = ROTA__BACKUP_REQUEST__INIT;
	body.path = argv[optind];
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_BACKUP;
	req.backup = &body;
	Rota__Envelope *reply = NULL;
	int rc = session_call(s, &req, ROTA__RESPONSE__BODY_BACKUP, &reply);
	if (rc != CLI_EXIT_OK)
		return rc;
	const Rota__BackupInfo *b = reply->response->backup->backup;
	if (b == NULL) {
		client_reply_free(&reply);
		fprintf(stderr, "rota: the coordinator's answer says nothing of the backup\n");
		return CLI_EXIT_REFUSED;
	}
	if (no_wait) {
		cmd_backup_print(b, o.json);
		client_reply_free(&reply);
		return CLI_EXIT_OK;
	}
	Rota__Envelope *end = NULL;
	rc = cmd_backup_wait(s, b->path, b->started_ms, &end);
	client_reply_free(&reply);
	if (rc != CLI_EXIT_OK)
		return rc;
	const Rota__BackupInfo *e = end->response->status->backup;
	cmd_backup_print(e, o.json);
	if (strcmp(e->state, "ok") != 0) {
		fprintf(stderr, "rota: backup to %s failed: %s\n", e->path, e->error);
		rc = CLI_EXIT_RUN_FAILED;
	}
	client_reply_free(&end);
	return rc;
}
