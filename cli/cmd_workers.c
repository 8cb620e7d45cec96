/* cmd_workers: a table or a JSON document of ListWorkersResponse, and
 * `workers remove ID` (admin) to forget a decommissioned worker.
 *
 * Must never: let one worker with many running steps or labels widen the
 * table without bound; RUNNING lists CLI_WORKERS_MAX_KEYS keys at most. */
#include "cmd_workers.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ask.h"
#include "cli.h"
#include "clock.h"
#include "format.h"
#include "json.h"
#include "jsondoc.h"
#include "options.h"
#include "table.h"
#include "usage.h"
#include "xalloc.h"

#define WORKERS_SYNOPSIS "[--limit N] [--json]"
#define WORKERS_REMOVE_SYNOPSIS "ID [--json]"

typedef struct {
	char *data;
	size_t len;
} workers_text_t;

static void
cmd_workers_append(workers_text_t *t, const char *s)
{
	size_t n = strlen(s);
	t->data = xrealloc(t->data, t->len + n + 1);
	memcpy(t->data + t->len, s, n + 1);
	t->len += n;
}

/* "k=v,k=v", or "-" for none; the caller frees. */
static char *
cmd_workers_labels(const Rota__WorkerInfo *w)
{
	workers_text_t t = {0};
	for (size_t i = 0; i < w->n_labels; i++) {
		const Rota__Label *l = w->labels[i];
		if (l == NULL)
			continue;
		if (t.len > 0)
			cmd_workers_append(&t, ",");
		cmd_workers_append(&t, l->key);
		cmd_workers_append(&t, "=");
		cmd_workers_append(&t, l->value);
	}
	if (t.data == NULL)
		cmd_workers_append(&t, "-");
	return t.data;
}

/* "0", or the count and the first few run/step keys:
 * "2 (r-7f3a/disk, r-7f3a/nginx)"; the caller frees. */
static char *
cmd_workers_running(const Rota__WorkerInfo *w)
{
	workers_text_t t = {0};
	char num[32];
	snprintf(num, sizeof(num), "%zu", w->n_running);
	cmd_workers_append(&t, num);
	size_t shown = 0;
	for (size_t i = 0; i < w->n_running; i++) {
		const Rota__StepKey *k = w->running[i];
		if (k == NULL)
			continue;
		if (shown == CLI_WORKERS_MAX_KEYS) {
			cmd_workers_append(&t, ", ...");
			break;
		}
		cmd_workers_append(&t, shown == 0 ? " (" : ", ");
		cmd_workers_append(&t, k->run_id);
		cmd_workers_append(&t, "/");
		cmd_workers_append(&t, k->step_id);
		shown++;
	}
	if (shown > 0)
		cmd_workers_append(&t, ")");
	return t.data;
}

static void
cmd_workers_json(const Rota__Response *r)
{
	const Rota__ListWorkersResponse *resp = r->workers;
	json_t *j = jsondoc_workers(resp);
	json_print(&j);
}

static void
cmd_workers_table(const Rota__Response *r)
{
	const Rota__ListWorkersResponse *resp = r->workers;
	static const char *const headers[] = {"ID", "LABELS", "STATE", "LAST SEEN", "RUNNING"};
	table_t *t = table_new(5, headers);
	int64_t now = clock_wall_ms();
	for (size_t i = 0; i < resp->n_workers; i++) {
		const Rota__WorkerInfo *w = resp->workers[i];
		if (w == NULL)
			continue;
		char seen[FORMAT_BUF_BYTES];
		format_ago(w->last_seen_ms, now, seen, sizeof(seen));
		char *labels = cmd_workers_labels(w);
		char *running = cmd_workers_running(w);
		table_row(t);
		table_cell(t, w->id);
		table_cell(t, labels);
		/* A connection replaced by another's Hello: a restart, or two
		 * workers using one id (the coordinator's log names both). */
		char state[96];
		if (w->replaced > 0)
			snprintf(state, sizeof(state), "%s (replaced %ux)",
			         w->state[0] != '\0' ? w->state : "-", w->replaced);
		else
			snprintf(state, sizeof(state), "%s", w->state[0] != '\0' ? w->state : "-");
		/* Its spool cannot write: output it cannot keep is at risk. */
		if (w->spool_error && w->spool_error[0] != '\0')
			snprintf(state + strlen(state), sizeof(state) - strlen(state),
			         ", spool failing");
		/* In a maintenance window: its scheduled runs skip it, its
		 * alerts page no one. */
		if (w->maintenance && w->maintenance[0] != '\0')
			snprintf(state + strlen(state), sizeof(state) - strlen(state),
			         ", maintenance %s", w->maintenance);
		table_cell(t, state);
		table_cell(t, seen);
		table_cell(t, running);
		free(labels);
		free(running);
	}
	table_print(t, stdout);
	table_destroy(&t);
	if (resp->total > resp->n_workers)
		printf("(%zu of %u workers shown; --limit N for more)\n", resp->n_workers,
		       resp->total);
}

static void
cmd_workers_removed_json(const Rota__Response *resp)
{
	const Rota__RemoveWorkerResponse *r = resp->remove_worker;
	json_t *j = json_new_object();
	json_member_string(j, "id", r->id);
	json_member_bool(j, "removed", true);
	json_member_string(j, "state", r->state);
	json_member_time(j, "last_seen_ms", r->last_seen_ms);
	json_member_bool(j, "key_listed", r->key_listed);
	json_member_text(j, "key_path", r->key_path);
	json_print_object(&j);
}

static void
cmd_workers_removed_text(const Rota__Response *resp)
{
	const Rota__RemoveWorkerResponse *r = resp->remove_worker;
	char seen[FORMAT_BUF_BYTES];
	format_ago(r->last_seen_ms, clock_wall_ms(), seen, sizeof(seen));
	printf("removed worker %s (%s, last seen %s)\n", r->id, r->state[0] ? r->state : "lost",
	       seen);
	/* Forgetting a worker does not keep it out: say what does. */
	if (r->key_listed)
		printf("its key is still listed (%s): it can connect again and will be known"
		       " again; delete that file and send the coordinator SIGHUP to keep it"
		       " out\n",
		       r->key_path[0] ? r->key_path : "authorized_workers/");
	else if (!r->curve)
		printf("without CURVE any worker may connect under the id %s: it would be known"
		       " again\n",
		       r->id);
}

/* rota workers remove ID [--json]; argv[0] is "remove". */
static int
cmd_workers_remove(session_t *s, int argc, char **argv)
{
	bool json;
	int done = options_json_only("workers remove", WORKERS_REMOVE_SYNOPSIS, argc, argv, &json);
	if (done >= 0)
		return done;
	if (optind >= argc)
		return usage_error("workers remove: name the worker; usage: rota workers "
		                   "remove " WORKERS_REMOVE_SYNOPSIS);
	if (argc - optind > 1)
		return usage_error("workers remove takes one worker id, got '%s' too; usage: rota"
		                   " workers remove " WORKERS_REMOVE_SYNOPSIS,
		                   argv[optind + 1]);
	Rota__RemoveWorkerRequest body = ROTA__REMOVE_WORKER_REQUEST__INIT;
	body.id = argv[optind];
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_REMOVE_WORKER;
	req.remove_worker = &body;
	return ask_print(s, &req, ROTA__RESPONSE__BODY_REMOVE_WORKER,
	                 json ? cmd_workers_removed_json : cmd_workers_removed_text);
}

int
cmd_workers_list(session_t *s, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "remove") == 0)
		return cmd_workers_remove(s, argc - 1, argv + 1);
	static const options_spec_t spec = {
	    .command = "workers",
	    .synopsis = WORKERS_SYNOPSIS,
	    .shortopts = ":n:h",
	    .limit_max = CLI_WORKERS_MAX_LIMIT,
	};
	options_t o = {.limit = 0}; /* 0: every worker */
	int done = options_parse(&spec, argc, argv, &o);
	if (done >= 0)
		return done;
	if (optind < argc)
		return usage_error(
		    "workers takes no arguments, got '%s'; usage: rota workers " WORKERS_SYNOPSIS
		    ", or rota workers remove " WORKERS_REMOVE_SYNOPSIS,
		    argv[optind]);

	Rota__ListWorkersRequest list = ROTA__LIST_WORKERS_REQUEST__INIT;
	list.limit = o.limit;
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_WORKERS;
	req.workers = &list;
	return ask_print(s, &req, ROTA__RESPONSE__BODY_WORKERS,
	                 o.json ? cmd_workers_json : cmd_workers_table);
}
