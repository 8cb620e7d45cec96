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

/* A run's params as ShowRunResponse.params holds them, one line each,
 * "NAME=VALUE<TAB>SOURCE[<TAB>HOST]" (an older run's "NAME=VALUE" has no
 * source): `rota show` prints them as a table (name, value, where it came
 * from, and the host for a host's own value), --json as "params": [{name,
 * value, source, host}]. Nothing printed for none. */
typedef struct {
	const char *name, *value, *source, *host; /* "" when absent */
} runview_param_t;
/* Calls fn for every line of params, cut into its fields (borrowed for
 * the call). `rota show` prints them as a table (cli/cmd_run.c). */
void runview_params_each(const char *params, void (*fn)(void *ctx, const runview_param_t *p),
                         void *ctx);
void runview_json_params(json_t *j, const char *params);

#endif
