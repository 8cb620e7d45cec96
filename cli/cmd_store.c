/* cmd_store: rota prune [--dry-run] [--json].
 *
 * A pass runs in the coordinator's loop, a slice a turn; the command
 * starts it, then asks `status` until the pass has ended and prints what
 * it deleted. A dry run is one answer: the counts of a pass that would
 * start now.
 *
 * Must never: say a pass ended before the coordinator said so. */
#include "cmd_store.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "cli.h"
#include "client.h"
#include "format.h"
#include "json.h"
#include "options.h"
#include "usage.h"

#define PRUNE_SYNOPSIS "[--dry-run] [--json]"
/* How often, and for how long at most, the end of a pass is asked for. A
 * pass of a million rows takes about a minute (docs/benchmarks.md). */
#define CMD_PRUNE_POLL_MS 200
#define CMD_PRUNE_WAIT_MS (10 * 60 * 1000)

static int
cmd_store_take(void *ctx, int ch, char *arg)
{
	(void)arg;
	if (ch == 'd')
		*(bool *)ctx = true;
	return CLI_EXIT_OK;
}

static void
cmd_store_counts_json(json_t *j, Rota__PruneCount *const *c, size_t n, bool cuts)
{
	json_key(j, "tables");
	json_object_begin(j);
	for (size_t i = 0; i < n; i++) {
		json_key(j, c[i]->table);
		json_object_begin(j);
		json_member_uint(j, "rows", c[i]->rows);
		if (cuts)
			json_member_int(j, "older_than_ms", c[i]->cut_ms);
		json_object_end(j);
	}
	json_object_end(j);
}

static void
cmd_store_counts_text(Rota__PruneCount *const *c, size_t n, const Rota__PruneCount *const *cuts,
                      size_t n_cuts, const char *verb)
{
	printf("%-14s %10s  %s\n", "TABLE", verb, "OLDER THAN");
	for (size_t i = 0; i < n; i++) {
		char when[FORMAT_BUF_BYTES];
		int64_t cut = i < n_cuts ? cuts[i]->cut_ms : 0;
		if (cut > 0)
			format_time(cut, when, sizeof(when));
		printf("%-14s %10llu  %s%s\n", c[i]->table, (unsigned long long)c[i]->rows,
		       cut > 0 ? when : "kept forever", cut > 0 ? " UTC" : "");
	}
}

static void
cmd_store_sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* Asks status until the pass that started at started_ms has ended; prints
 * what it deleted. */
static int
cmd_store_wait(session_t *s, const Rota__PruneResponse *started, bool json)
{
	for (long waited = 0; waited <= CMD_PRUNE_WAIT_MS; waited += CMD_PRUNE_POLL_MS) {
		Rota__StatusRequest body = ROTA__STATUS_REQUEST__INIT;
		Rota__Request req = ROTA__REQUEST__INIT;
		req.body_case = ROTA__REQUEST__BODY_STATUS;
		req.status = &body;
		Rota__Envelope *reply = NULL;
		int rc = session_call(s, &req, ROTA__RESPONSE__BODY_STATUS, &reply);
		if (rc != CLI_EXIT_OK)
			return rc;
		const Rota__StatusResponse *st = reply->response->status;
		/* Ended, and by this coordinator process (whose counts these are). */
		if (!st->prune_running && st->last_prune_ms >= started->started_ms &&
		    st->n_last_prune > 0) {
			if (json) {
				json_t *j = json_new_object();
				json_member_bool(j, "dry_run", false);
				json_member_int(j, "ended_ms", st->last_prune_ms);
				json_member_int(j, "store_bytes", st->store_bytes);
				cmd_store_counts_json(j, st->last_prune, st->n_last_prune, false);
				json_print_object(&j);
			} else {
				cmd_store_counts_text(
				    st->last_prune, st->n_last_prune,
				    (const Rota__PruneCount *const *)started->tables,
				    started->n_tables, "DELETED");
				printf("store now %lld bytes\n", (long long)st->store_bytes);
			}
			client_reply_free(&reply);
			return CLI_EXIT_OK;
		}
		client_reply_free(&reply);
		cmd_store_sleep_ms(CMD_PRUNE_POLL_MS);
	}
	fprintf(stderr,
	        "rota: prune: the pass is still running after %d minutes; it goes on in"
	        " the coordinator, and `rota status` says when it has ended\n",
	        CMD_PRUNE_WAIT_MS / 60000);
	return CLI_EXIT_OK;
}

int
cmd_store_prune(session_t *s, int argc, char **argv)
{
	static const struct option own[] = {
	    {"dry-run", no_argument, NULL, 'd'},
	    {NULL, 0, NULL, 0},
	};
	bool dry = false;
	const options_spec_t spec = {
	    .command = "prune",
	    .synopsis = PRUNE_SYNOPSIS,
	    .shortopts = ":h",
	    .own = own,
	    .take = cmd_store_take,
	    .ctx = &dry,
	};
	options_t o = {0};
	int parsed = options_parse(&spec, argc, argv, &o);
	if (parsed >= 0)
		return parsed;
	if (optind < argc)
		return usage_error(
		    "prune takes no arguments, got '%s'; usage: rota prune " PRUNE_SYNOPSIS,
		    argv[optind]);
	Rota__PruneRequest body = ROTA__PRUNE_REQUEST__INIT;
	body.dry_run = dry;
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_PRUNE;
	req.prune = &body;
	Rota__Envelope *reply = NULL;
	int rc = session_call(s, &req, ROTA__RESPONSE__BODY_PRUNE, &reply);
	if (rc != CLI_EXIT_OK)
		return rc;
	const Rota__PruneResponse *r = reply->response->prune;
	if (!dry) {
		if (r->already_running && !o.json)
			printf("a pass was already under way; waiting for it to end\n");
		rc = cmd_store_wait(s, r, o.json);
	} else if (o.json) {
		json_t *j = json_new_object();
		json_member_bool(j, "dry_run", true);
		json_member_bool(j, "partial", r->partial);
		json_member_int(j, "at_ms", r->started_ms);
		cmd_store_counts_json(j, r->tables, r->n_tables, true);
		json_print_object(&j);
	} else {
		cmd_store_counts_text(r->tables, r->n_tables,
		                      (const Rota__PruneCount *const *)r->tables, r->n_tables,
		                      "WOULD GO");
		if (r->partial)
			printf("(dry run: nothing deleted; the count stopped at its bound, so each"
			       " figure is \"at least\")\n");
		else
			printf("(dry run: nothing deleted)\n");
	}
	client_reply_free(&reply);
	return rc;
}
