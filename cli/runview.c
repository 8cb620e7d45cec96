/* runview: a run as every --json document that names one writes it
 * (`runs`, `show`, `submit --wait`, `incident show`), so they stay one
 * shape. Pure rendering: asks nothing, prints nothing. */
#include "runview.h"

#include "format.h"

/* JSON for a wall time: ms since the epoch, or null for "not yet". */
void
runview_json_time(json_t *j, const char *key, int64_t ms)
{
	json_key(j, key);
	if (ms > 0)
		json_int(j, ms);
	else
		json_null(j);
}

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
	runview_json_time(j, "created_ms", r->created_ms);
	runview_json_time(j, "started_ms", r->started_ms);
	runview_json_time(j, "ended_ms", r->ended_ms);
	json_member_string(j, "trigger", format_trigger(r->trigger));
	runview_json_time(j, "slot_ms", r->slot_ms);
	json_key(j, "reason");
	if (r->reason != NULL && r->reason[0] != '\0')
		json_string(j, r->reason);
	else
		json_null(j);
	/* Elapsed so far while it runs, as the table shows. */
	int64_t span = format_span_ms(r->started_ms, r->ended_ms, now);
	json_key(j, "duration_ms");
	if (span >= 0)
		json_int(j, span);
	else
		json_null(j);
	json_object_end(j);
}
