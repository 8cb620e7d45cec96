/* jsondoc_runs: the documents of `runs` and `show` (see jsondoc.h). */
#include "jsondoc.h"

#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "runview.h"
#include "xalloc.h"

json_t *
jsondoc_runs(const Rota__ListRunsResponse *r, int64_t now)
{
	json_t *j = json_new_object();
	runview_json_runs(j, "runs", r->runs, r->n_runs, now);
	/* The cursor of the next page (`--before`, `before=`); null on the
	 * last. */
	json_member_text(j, "next_before", r->next_before);
	json_object_end(j);
	return j;
}

static int
jsondoc_step_cmp(const void *a, const void *b)
{
	const Rota__StepRunInfo *x = *(const Rota__StepRunInfo *const *)a;
	const Rota__StepRunInfo *y = *(const Rota__StepRunInfo *const *)b;
	int c = strcmp(x->host, y->host);
	if (c != 0)
		return c;
	if (x->position != y->position)
		return x->position < y->position ? -1 : 1;
	c = strcmp(x->step_id, y->step_id);
	if (c != 0)
		return c;
	if (x->attempt != y->attempt)
		return x->attempt < y->attempt ? -1 : 1;
	return 0;
}

const Rota__StepRunInfo **
jsondoc_sorted_steps(const Rota__ShowRunResponse *show, size_t *n)
{
	const Rota__StepRunInfo **steps = xcalloc(show->n_steps + 1, sizeof(*steps));
	size_t k = 0;
	for (size_t i = 0; i < show->n_steps; i++) {
		if (show->steps[i] != NULL)
			steps[k++] = show->steps[i];
	}
	qsort(steps, k, sizeof(*steps), jsondoc_step_cmp);
	*n = k;
	return steps;
}

static void
jsondoc_step(json_t *j, const Rota__StepRunInfo *st, int64_t now)
{
	json_object_begin(j);
	json_member_string(j, "host", st->host);
	json_member_string(j, "step_id", st->step_id);
	json_member_uint(j, "position", st->position);
	json_member_uint(j, "attempt", st->attempt);
	json_member_string(j, "status", format_step_status(st->status));
	json_member_bool(j, "handled", st->handled);
	json_member_int(j, "exit_code", st->exit_code);
	json_key(j, "signal");
	if (st->signal != 0) {
		char sig[FORMAT_BUF_BYTES];
		format_signal(st->signal, sig, sizeof(sig));
		json_string(j, sig);
	} else {
		json_null(j);
	}
	json_member_time(j, "started_ms", st->started_ms);
	json_member_time(j, "ended_ms", st->ended_ms);
	int64_t span = format_span_ms(st->started_ms, st->ended_ms, now);
	json_member_int_or_null(j, "duration_ms", span >= 0, span);
	json_member_string(j, "detail", st->detail);
	json_member_text(j, "approved_by", st->approved_by);
	json_member_time(j, "approved_ms", st->approved_ms);
	json_key(j, "tail");
	json_string_len(j, (const char *)st->tail.data, st->tail.len);
	json_member_bool(j, "tail_cut", st->tail_cut);
	json_object_end(j);
}

json_t *
jsondoc_run_show(const Rota__ShowRunResponse *show, int64_t now)
{
	size_t n;
	const Rota__StepRunInfo **steps = jsondoc_sorted_steps(show, &n); /* owned */
	json_t *j = json_new_object();
	json_key(j, "run");
	if (show->run != NULL)
		runview_json_summary(j, show->run, now);
	else
		json_null(j);
	runview_json_params(j, show->params);
	json_key(j, "steps");
	json_array_begin(j);
	for (size_t i = 0; i < n; i++)
		jsondoc_step(j, steps[i], now);
	json_array_end(j);
	JSON_MEMBER_OBJECTS(j, "notes", show->notes, show->n_notes, jsondoc_note);
	jsondoc_strings(j, "incidents", show->incident_ids, show->n_incident_ids);
	json_object_end(j);
	free(steps);
	return j;
}

void
jsondoc_submitted_members(json_t *j, const Rota__SubmitResponse *sub)
{
	json_member_string(j, "run_id", sub->run_id);
	jsondoc_strings(j, "hosts", sub->hosts, sub->n_hosts);
}

json_t *
jsondoc_submitted(const Rota__SubmitResponse *sub)
{
	json_t *j = json_new_object();
	jsondoc_submitted_members(j, sub);
	json_object_end(j);
	return j;
}

json_t *
jsondoc_approval(const Rota__ApproveResponse *resp, const char *run_id, const char *step_id,
                 bool reject, const char *note)
{
	/* The coordinator's names win: it resolved "last" to a run. */
	const char *run = resp->run_id != NULL && resp->run_id[0] != '\0' ? resp->run_id : run_id;
	const char *step =
	    resp->step_id != NULL && resp->step_id[0] != '\0' ? resp->step_id : step_id;
	json_t *j = json_new_object();
	json_member_string(j, "run_id", run);
	json_member_string(j, "step_id", step);
	json_member_string(j, "decision", reject ? "rejected" : "approved");
	json_member_uint(j, "hosts", resp->hosts);
	json_member_string(j, "note", note);
	json_object_end(j);
	return j;
}

json_t *
jsondoc_cancelled(const Rota__CancelResponse *resp)
{
	json_t *j = json_new_object();
	json_member_string(j, "run_id", resp->run_id);
	json_member_uint(j, "signalled", resp->signalled);
	json_object_end(j);
	return j;
}
