/* cmd_keys: ListKeysResponse as tables or a JSON document.
 *
 * Must never: print a key where a fingerprint will do (the coordinator
 * sends fingerprints only), or let a coordinator without CURVE look as if
 * it checked keys. */
#include "cmd_keys.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ask.h"
#include "cli.h"
#include "json.h"
#include "options.h"
#include "table.h"
#include "usage.h"

#define KEYLIST_SYNOPSIS "[--json]"

static void
cmd_keys_json_worker(json_t *j, const Rota__KeyInfo *k)
{
	json_member_string(j, "id", k->name);
	json_member_string(j, "fingerprint", k->fingerprint);
	json_member_string(j, "state", k->state);
	json_member_bool(j, "connected",
	                 strcmp(k->state, "connected") == 0 || strcmp(k->state, "stopping") == 0);
}

static void
cmd_keys_json_operator(json_t *j, const Rota__KeyInfo *k)
{
	json_member_string(j, "name", k->name);
	json_member_string(j, "role", k->role);
	json_member_string(j, "fingerprint", k->fingerprint);
}

static void
cmd_keys_json(const Rota__Response *resp)
{
	const Rota__ListKeysResponse *r = resp->keys;
	json_t *j = json_new_object();
	json_member_bool(j, "curve", r->curve);
	json_key(j, "coordinator");
	json_object_begin(j);
	json_member_text(j, "fingerprint", r->coordinator_fingerprint);
	json_object_end(j);
	json_member_text(j, "workers_dir", r->workers_dir);
	json_member_text(j, "operators_file", r->operators_file);
	JSON_MEMBER_OBJECTS(j, "workers", r->workers, r->n_workers, cmd_keys_json_worker);
	JSON_MEMBER_OBJECTS(j, "operators", r->operators, r->n_operators, cmd_keys_json_operator);
	json_print_object(&j);
}

/* The workers' keys (ID KEY STATE), or the operators' (NAME ROLE KEY);
 * nothing for none. */
static void
cmd_keys_table(Rota__KeyInfo *const *keys, size_t n, bool operators)
{
	if (n == 0)
		return;
	static const char *const worker_headers[] = {"ID", "KEY", "STATE"};
	static const char *const operator_headers[] = {"NAME", "ROLE", "KEY"};
	table_t *t = table_new(3, operators ? operator_headers : worker_headers);
	for (size_t i = 0; i < n; i++) {
		const Rota__KeyInfo *k = keys[i];
		if (k == NULL)
			continue;
		table_row(t);
		table_cell(t, k->name);
		table_cell(t, operators ? k->role : k->fingerprint);
		table_cell(t, operators ? k->fingerprint : k->state);
	}
	table_print(t, stdout);
	table_destroy(&t);
}

static void
cmd_keys_text(const Rota__Response *resp)
{
	const Rota__ListKeysResponse *r = resp->keys;
	if (!r->curve) {
		/* Nothing to list, and that is the point to make. */
		printf("no CURVE: the coordinator admits no keys and checks none; every caller"
		       " is an admin (loopback only, or --insecure). 'rota-coordinator --init"
		       " DIR' makes keys (docs/security.md)\n");
		return;
	}
	printf("coordinator  %s (its public key's fingerprint)\n", r->coordinator_fingerprint);
	printf("\nworkers (%zu, %s)\n", r->n_workers,
	       r->workers_dir[0] ? r->workers_dir : "no authorized_workers directory");
	cmd_keys_table(r->workers, r->n_workers, false);
	printf("\noperators (%zu, %s)\n", r->n_operators,
	       r->operators_file[0] ? r->operators_file : "no operators file");
	cmd_keys_table(r->operators, r->n_operators, true);
}

int
cmd_keys_list(session_t *s, int argc, char **argv)
{
	bool json;
	int done = options_json_only("keys", KEYLIST_SYNOPSIS, argc, argv, &json);
	if (done >= 0)
		return done;
	if (optind < argc)
		return usage_error(
		    "keys takes no arguments, got '%s'; usage: rota keys " KEYLIST_SYNOPSIS,
		    argv[optind]);
	Rota__ListKeysRequest body = ROTA__LIST_KEYS_REQUEST__INIT;
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_KEYS;
	req.keys = &body;
	return ask_print(s, &req, ROTA__RESPONSE__BODY_KEYS, json ? cmd_keys_json : cmd_keys_text);
}
