/* runview: a run's JSON object, shared by every command that lists runs. */
#ifndef ROTA_RUNVIEW_H
#define ROTA_RUNVIEW_H

#include <stdint.h>

#include "json.h"
#include "rota.pb-c.h"

/* One run as `runs --json` writes it (an object), for every command that
 * lists runs, so they stay one shape; now_ms times a run not yet ended. */
void runview_json_summary(json_t *j, const Rota__RunSummary *r, int64_t now_ms);
/* "key": [...] of the non-NULL runs[0..n) as runview_json_summary writes
 * them (`runs`, `incident show`). */
void runview_json_runs(json_t *j, const char *key, Rota__RunSummary *const *runs, size_t n,
                       int64_t now_ms);

#endif
