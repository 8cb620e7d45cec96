/* jsondoc: the JSON document of each operator answer, one shape for every
 * reader: the CLI's --json output and the coordinator's HTTP API under
 * /v1/ both write an answer through here, so a script that reads one can
 * read the other.
 *
 * Each jsondoc_<answer> returns the whole document (its top object ended;
 * the caller destroys it, or prints it with json_print). Times a run or a
 * step has not ended yet are measured to now_ms. Nothing here asks the
 * coordinator anything: it renders what an answer holds.
 *
 * Must never: write a second shape for an object another document already
 * writes (a run is runview's, an incident jsondoc_incident_info's). */
#ifndef ROTA_JSONDOC_H
#define ROTA_JSONDOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"
#include "runbook.h"
#include "rota.pb-c.h"

/* ---- runs (jsondoc_runs.c) ---------------------------------------------- */

/* `runs --json`: {"runs": [...], "next_before": ID or null}. */
json_t *jsondoc_runs(const Rota__ListRunsResponse *r, int64_t now_ms);
/* `show --json`: {"run": {...}, "steps": [...]}, the steps by host, then as
 * the runbook orders them, then by attempt. */
json_t *jsondoc_run_show(const Rota__ShowRunResponse *show, int64_t now_ms);
/* The steps of show in that order, NULL entries left out: an array the
 * caller frees, of steps that stay the response's. */
const Rota__StepRunInfo **jsondoc_sorted_steps(const Rota__ShowRunResponse *show, size_t *n);

/* `submit --json` (without --wait): {"run_id", "hosts"}. */
json_t *jsondoc_submitted(const Rota__SubmitResponse *sub);
/* The members that document starts with, for `submit --wait --json`'s. */
void jsondoc_submitted_members(json_t *j, const Rota__SubmitResponse *sub);
/* `approve --json` and `reject --json`: {"run_id", "step_id", "decision",
 * "hosts", "note"}; run_id and step_id as the coordinator resolved them
 * when it says (else as asked). */
json_t *jsondoc_approval(const Rota__ApproveResponse *resp, const char *run_id, const char *step_id,
                         bool reject, const char *note);
/* The answer to a cancel at once, before its steps have stopped:
 * {"run_id", "signalled"} (the HTTP API's; the CLI waits and then prints
 * the steps). */
json_t *jsondoc_cancelled(const Rota__CancelResponse *resp);

/* ---- incidents (jsondoc_incidents.c) ------------------------------------ */

/* Whether the acknowledgement deadline was missed, by the coordinator's
 * clock (its fields), not the reader's. */
bool jsondoc_incident_overdue(const Rota__IncidentInfo *inc);
/* JSON: an array of strings under key. */
void jsondoc_strings(json_t *j, const char *key, char *const *items, size_t n);
/* JSON: the incident's object in every document that names one. */
void jsondoc_incident_info(json_t *j, const Rota__IncidentInfo *inc);
/* `incidents --json`: {"incidents": [...]}. */
json_t *jsondoc_incidents(const Rota__ListIncidentsResponse *r);
/* `ack --json`, `resolve --json`: {"incident": {...}}, and for a resolve
 * the "cancelled_runs" (resolve --cancel-runs). */
json_t *jsondoc_incident_action(const Rota__IncidentResponse *resp, bool resolve);
/* A note's members (`note --json`, a run's and an incident's notes). */
void jsondoc_note(json_t *j, const Rota__IncidentEvent *e);
/* `note --json`: {"incident_id", "run_id", and the note's members}. */
json_t *jsondoc_noted(const Rota__NoteResponse *resp);
/* `incident show --json`: {"incident", "timeline", "deliveries", "runs"}. */
json_t *jsondoc_incident_show(const Rota__ShowIncidentResponse *show, int64_t now_ms);

/* ---- the runbook library (jsondoc_library.c) --------------------------- */

/* One runbook's object (`runbooks`, `reload`): its lint errors a line each. */
void jsondoc_runbook(json_t *j, const Rota__RunbookInfo *rb);
/* `runbooks --json`: {"runbooks": [...]}. */
json_t *jsondoc_runbooks(const Rota__ListRunbooksResponse *r);
/* `schedules --json`: {"schedules": [...]}, next fire times in their zone. */
json_t *jsondoc_schedules(const Rota__ListSchedulesResponse *r);

/* `runbook show NAME --json` (and its alias `runbooks NAME --json`), GET
 * /v1/runbooks/NAME: one runbook as a document, rendered from the one
 * model of a runbook's document (runbookdoc.h, runbookdoc_json). */
json_t *jsondoc_runbook_show(const Rota__ShowRunbookResponse *show);

/* ---- the fleet (jsondoc_fleet.c) ----------------------------------------- */

/* `workers --json`: {"workers": [...], "total"}. */
json_t *jsondoc_workers(const Rota__ListWorkersResponse *r);
/* `audit --json`: {"entries": [...]}, oldest first. */
json_t *jsondoc_audit(const Rota__AuditResponse *r);

/* ---- on call and maintenance (jsondoc_oncall.c) ------------------------- */

/* `oncall --json`: {"at", "rotations": [{"rotation", "person", "override",
 * "until_ms", "next", "timezone", "contacts", "overrides": [...]}]}. */
json_t *jsondoc_oncall(const Rota__OncallResponse *r);
/* `oncall override --json`. */
json_t *jsondoc_oncall_override(const Rota__OncallOverrideResponse *o);
/* `oncall feed --json`: {"rotation", "url" or null, "revoked"}. */
json_t *jsondoc_oncall_feed(const Rota__OncallFeedResponse *f);
/* One maintenance window's members (an object begun by the caller). */
void jsondoc_maintenance_window(json_t *j, const Rota__MaintenanceWindow *w);
/* `maintenance start|end --json`: the window. */
json_t *jsondoc_maintenance(const Rota__MaintenanceWindow *w);
/* `maintenance list --json`: {"windows": [...]}. */
json_t *jsondoc_maintenance_list(const Rota__MaintenanceListResponse *l);

#endif
