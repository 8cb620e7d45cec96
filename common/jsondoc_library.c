/* jsondoc_library: the documents of `runbooks`, `reload` and `schedules`
 * (see jsondoc.h). */
#include "jsondoc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cron.h"
#include "format.h"
#include "runbook.h"
#include "runbookdoc.h"
#include "xalloc.h"

/* Each non-empty line of text as a string of the array being written. */
static void
jsondoc_lines(json_t *j, const char *text)
{
	const char *p = text != NULL ? text : "";
	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if (len > 0)
			json_string_len(j, p, len);
		p += len;
		if (*p == '\n')
			p++;
	}
}

void
jsondoc_runbook(json_t *j, const Rota__RunbookInfo *rb)
{
	json_member_text(j, "name", rb->name);
	json_member_string(j, "path", rb->path);
	json_member_string(j, "state", rb->state);
	json_key(j, "errors");
	json_array_begin(j);
	jsondoc_lines(j, rb->errors);
	json_array_end(j);
	json_member_text(j, "hash", rb->hash);
	json_member_text(j, "description", rb->description);
	json_member_text(j, "category", rb->category);
	json_member_text(j, "cron", rb->cron);
	/* A zone only means something beside a cron line. */
	json_member_text(
	    j, "timezone",
	    rb->cron != NULL && rb->cron[0] != '\0'
	        ? (rb->timezone != NULL && rb->timezone[0] != '\0' ? rb->timezone : "UTC")
	        : NULL);
	json_member_uint(j, "step_count", rb->step_count);
	json_member_time(j, "loaded_ms", rb->loaded_ms);
}

json_t *
jsondoc_runbooks(const Rota__ListRunbooksResponse *r)
{
	json_t *j = json_new_object();
	JSON_MEMBER_OBJECTS(j, "runbooks", r->runbooks, r->n_runbooks, jsondoc_runbook);
	json_object_end(j);
	return j;
}

static const char *
jsondoc_zone(const char *tz)
{
	return tz != NULL && tz[0] != '\0' ? tz : "UTC";
}

static void
jsondoc_schedule(json_t *j, const Rota__ScheduleInfo *sch)
{
	const char *tz = jsondoc_zone(sch->timezone);
	json_member_string(j, "runbook", sch->runbook);
	json_member_string(j, "cron", sch->cron);
	json_member_string(j, "timezone", tz);
	json_member_time(j, "next_ms", sch->next_ms);
	json_key(j, "next_local");
	if (sch->next_ms > 0) {
		char local[FORMAT_BUF_BYTES];
		cron_format(sch->next_ms, tz, local, sizeof(local));
		json_string(j, local);
	} else {
		json_null(j);
	}
	json_member_time(j, "last_ms", sch->last_ms);
	json_member_string(
	    j, "last_run_id",
	    sch->last_run_id != NULL && sch->last_run_id[0] != '\0' ? sch->last_run_id : NULL);
	json_key(j, "last_status");
	if (sch->last_ms > 0 || (sch->last_run_id != NULL && sch->last_run_id[0] != '\0'))
		json_string(j, format_run_status(sch->last_status));
	else
		json_null(j);
	json_member_string(j, "catchup", sch->catchup);
	json_member_string(j, "concurrency", sch->concurrency);
	json_member_uint(j, "jitter_ms", sch->jitter_ms);
}

json_t *
jsondoc_schedules(const Rota__ListSchedulesResponse *r)
{
	json_t *j = json_new_object();
	JSON_MEMBER_OBJECTS(j, "schedules", r->schedules, r->n_schedules, jsondoc_schedule);
	json_object_end(j);
	return j;
}

/* ---- one runbook as a document (`runbook show NAME --json`, GET
 * /v1/runbooks/NAME): the document's model renders it (runbookdoc_json) */

json_t *
jsondoc_runbook_show(const Rota__ShowRunbookResponse *show)
{
	runbookdoc_t *doc = runbookdoc_from_show(show); /* owned */
	json_t *j = json_new_object();
	runbookdoc_json(j, doc);
	json_object_end(j);
	runbookdoc_free(&doc);
	return j;
}
