/* runview: a run as every --json document that names one writes it
 * (`runs`, `show`, `submit --wait`, `incident show`), so they stay one
 * shape. Pure rendering: asks nothing, prints nothing. */
#include "runview.h"

#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "xalloc.h"

void
runview_json_summary(json_t *j, const Rota__RunSummary *r, int64_t now)
{
	json_object_begin(j);
	json_member_string(j, "id", r->id);
	json_member_string(j, "runbook", r->runbook);
	json_member_string(j, "status", format_run_status(r->status));
	json_member_uint(j, "hosts_total", r->hosts_total);
	json_member_uint(j, "hosts_ok", r->hosts_ok);
	json_member_uint(j, "hosts_failed", r->hosts_failed);
	json_member_time(j, "created_ms", r->created_ms);
	json_member_time(j, "started_ms", r->started_ms);
	json_member_time(j, "ended_ms", r->ended_ms);
	json_member_string(j, "trigger", format_trigger(r->trigger));
	json_member_time(j, "slot_ms", r->slot_ms);
	json_member_text(j, "reason", r->reason);
	/* Elapsed so far while it runs, as the table shows. */
	int64_t span = format_span_ms(r->started_ms, r->ended_ms, now);
	json_member_int_or_null(j, "duration_ms", span >= 0, span);
	json_object_end(j);
}

void
runview_json_runs(json_t *j, const char *key, Rota__RunSummary *const *runs, size_t n, int64_t now)
{
	json_key(j, key);
	json_array_begin(j);
	for (size_t i = 0; i < n; i++) {
		if (runs[i] != NULL)
			runview_json_summary(j, runs[i], now);
	}
	json_array_end(j);
}

/* One line of params cut into its fields, borrowed from line (which it
 * writes NULs into). */
static runview_param_t
runview_param_cut(char *line)
{
	runview_param_t p = {.name = line, .value = "", .source = "", .host = ""};
	char *eq = strchr(line, '=');
	char *tab = strchr(line, '\t');
	if (eq != NULL && (tab == NULL || eq < tab)) {
		*eq = '\0';
		p.value = eq + 1;
	}
	if (tab != NULL) {
		*tab = '\0';
		p.source = tab + 1;
		char *tab2 = strchr(tab + 1, '\t');
		if (tab2 != NULL) {
			*tab2 = '\0';
			p.host = tab2 + 1;
		}
	}
	return p;
}

void
runview_params_each(const char *params, void (*fn)(void *ctx, const runview_param_t *p), void *ctx)
{
	if (params == NULL)
		return;
	char *copy = xstrdup(params); /* owned: cut in place */
	char *save = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		runview_param_t p = runview_param_cut(line);
		fn(ctx, &p);
	}
	free(copy);
}

static void
param_json(void *ctx, const runview_param_t *p)
{
	json_t *j = ctx;
	json_object_begin(j);
	json_member_string(j, "name", p->name);
	json_member_string(j, "value", p->value);
	json_member_string(j, "source", p->source);
	json_member_string(j, "host", p->host);
	json_object_end(j);
}

void
runview_json_params(json_t *j, const char *params)
{
	json_key(j, "params");
	json_array_begin(j);
	runview_params_each(params, param_json, j);
	json_array_end(j);
}
