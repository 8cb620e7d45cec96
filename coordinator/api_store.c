/* api_store: the operator requests about the store itself: rota prune
 * (retention now, or what it would delete). */
#include "api_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "clock.h"
#include "services.h"
#include "xalloc.h"

char *
api_prune_target(const Rota__Request *req)
{
	(void)req;
	return xstrdup("store");
}

void
api_prune(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req)
{
	pruner_t *pruner = api->svc->pruner;
	bool dry = req->prune->dry_run;
	int64_t now = clock_wall_ms();
	store_prune_pass_t cuts; /* the cut-offs a pass from now has */
	store_prune_begin(&cuts, &api->svc->config->retention, now);
	uint64_t rows[STORE_PRUNE_TABLES] = {0};
	Rota__PruneResponse body = ROTA__PRUNE_RESPONSE__INIT;
	body.dry_run = dry;
	if (dry) {
		bool partial = false;
		if (pruner_dry_run(pruner, now, PRUNER_DRY_MS, rows, &partial) != 0) {
			api_refuse(api, identity, identity_len, req->id,
			           ROTA__ERROR_CODE__ERR_INTERNAL,
			           "the store could not count what retention would delete (see the"
			           " coordinator's log)");
			return;
		}
		body.partial = partial;
	} else {
		body.already_running = pruner_busy(pruner);
		pruner_start(pruner, now);
	}
	body.started_ms = now;
	Rota__PruneCount counts[STORE_PRUNE_TABLES];
	Rota__PruneCount *list[STORE_PRUNE_TABLES];
	char note[512];
	int at = snprintf(note, sizeof(note), "%s",
	                  !dry           ? "pass started;"
	                  : body.partial ? "dry run (bounded): would delete at least"
	                                 : "dry run: would delete");
	for (int t = 0; t < STORE_PRUNE_TABLES; t++) {
		rota__prune_count__init(&counts[t]);
		counts[t].table = (char *)store_prune_table_name((store_prune_table_t)t);
		counts[t].rows = rows[t];
		counts[t].cut_ms = cuts.cut[t];
		list[t] = &counts[t];
		if (dry && at > 0 && (size_t)at < sizeof(note))
			at += snprintf(note + at, sizeof(note) - (size_t)at, " %s=%" PRIu64,
			               counts[t].table, rows[t]);
	}
	if (!dry && body.already_running)
		snprintf(note, sizeof(note), "a pass was already under way");
	api_note(api, xstrdup(note));
	body.n_tables = STORE_PRUNE_TABLES;
	body.tables = list;
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = req->id;
	resp.body_case = ROTA__RESPONSE__BODY_PRUNE;
	resp.prune = &body;
	api_reply(api, identity, identity_len, &resp);
}
