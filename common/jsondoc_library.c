/* jsondoc_library: the documents of `runbooks`, `reload` and `schedules`
 * (see jsondoc.h). */
#include "jsondoc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cron.h"
#include "format.h"
#include "runbook.h"
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

/* ---- one runbook as a document (`runbooks NAME`, GET /v1/runbooks/NAME) -- */

/* "key": [...] with an object for each of the n structs at items (a
 * parsed runbook's arrays hold structs, not pointers). */
#define JSON_MEMBER_OBJECTS_OF(j, key, items, n, member)                                           \
	do {                                                                                       \
		json_key((j), (key));                                                              \
		json_array_begin(j);                                                               \
		for (size_t i_ = 0; i_ < (n); i_++) {                                              \
			json_object_begin(j);                                                      \
			member((j), &(items)[i_]);                                                 \
			json_object_end(j);                                                        \
		}                                                                                  \
		json_array_end(j);                                                                 \
	} while (0)

static const char *const jsondoc_param_types[] = {"string", "int", "bool", "duration"};

static void
jsondoc_rb_param(json_t *j, const runbook_param_t *p)
{
	json_member_string(j, "name", p->name);
	json_member_string(j, "type",
	                   (size_t)p->type < sizeof(jsondoc_param_types) / sizeof(char *)
	                       ? jsondoc_param_types[p->type]
	                       : "string");
	/* A secret's default is not for every viewer of the page. */
	json_member_string(j, "default", p->secret && p->default_value ? "****" : p->default_value);
	json_member_bool(j, "required", p->required);
	json_member_bool(j, "secret", p->secret);
	json_member_text(j, "description", p->description);
	jsondoc_strings(j, "from_alert", p->from_alert, p->from_alert_count);
	json_member_uint(j, "line", p->mark.line);
}

/* A count or a percentage of hosts, or null when unset. */
static void
jsondoc_amount(json_t *j, const char *key, runbook_amount_t a)
{
	json_key(j, key);
	if (a.value == 0) {
		json_null(j);
		return;
	}
	char buf[32];
	snprintf(buf, sizeof(buf), "%u%s", a.value, a.percent ? "%" : "");
	json_string(j, buf);
}

static void
jsondoc_rb_targets(json_t *j, const runbook_targets_t *t)
{
	json_key(j, "targets");
	json_object_begin(j);
	json_member_bool(j, "all", t->all);
	json_member_bool(j, "coordinator", t->coordinator);
	jsondoc_strings(j, "hosts", t->hosts, t->host_count);
	json_key(j, "labels");
	json_object_begin(j);
	for (size_t i = 0; i < t->label_count; i++)
		jsondoc_strings(j, t->labels[i].key, t->labels[i].values, t->labels[i].value_count);
	json_object_end(j);
	jsondoc_amount(j, "batch", t->batch);
	jsondoc_amount(j, "max_failures", t->max_failures);
	json_object_end(j);
}

static const char *const jsondoc_catchups[] = {"latest", "none", "all"};
static const char *const jsondoc_concurrencies[] = {"forbid", "allow", "replace"};

/* The schedule with the fire times the coordinator listed (sch, may be
 * NULL), each in the schedule's zone and in UTC. */
static void
jsondoc_rb_schedule(json_t *j, const runbook_schedule_t *s, const Rota__ScheduleInfo *sch)
{
	json_key(j, "schedule");
	if (!s->present) {
		json_null(j);
		return;
	}
	const char *tz = jsondoc_zone(s->timezone);
	json_object_begin(j);
	json_member_string(j, "cron", s->cron);
	json_member_string(j, "timezone", tz);
	json_member_uint(j, "jitter_ms", s->jitter_ms);
	json_member_string(j, "catchup", jsondoc_catchups[s->catchup % 3]);
	json_member_uint(j, "catchup_max", s->catchup_max);
	json_member_string(j, "concurrency", jsondoc_concurrencies[s->concurrency % 3]);
	json_key(j, "next");
	json_array_begin(j);
	for (size_t i = 0; sch != NULL && i < sch->n_upcoming; i++) {
		char local[FORMAT_BUF_BYTES], utc[FORMAT_BUF_BYTES];
		cron_format(sch->upcoming[i], tz, local, sizeof(local));
		cron_format(sch->upcoming[i], "UTC", utc, sizeof(utc));
		json_object_begin(j);
		json_member_time(j, "at_ms", sch->upcoming[i]);
		json_member_string(j, "local", local);
		json_member_string(j, "utc", utc);
		json_member_text(j, "skipped",
		                 i < sch->n_upcoming_skipped ? sch->upcoming_skipped[i] : NULL);
		json_object_end(j);
	}
	json_array_end(j);
	json_member_time(j, "last_ms", sch != NULL ? sch->last_ms : 0);
	json_member_text(j, "last_run_id", sch != NULL ? sch->last_run_id : NULL);
	json_object_end(j);
}

static void
jsondoc_rb_trigger(json_t *j, const runbook_trigger_t *t)
{
	json_member_string(j, "source", t->source);
	json_key(j, "match");
	json_object_begin(j);
	for (size_t i = 0; i < t->match_count; i++)
		json_member_string(j, t->match[i].key, t->match[i].value);
	json_object_end(j);
}

/* What a step does, in a sentence: its kind's fields as written (templates
 * unrendered). A new string the caller frees. */
static char *
jsondoc_step_what(const runbook_step_t *s)
{
	switch (s->type) {
	case RUNBOOK_STEP_SHELL:
		return xasprintf("runs the command: %s", s->run ? s->run : "");
	case RUNBOOK_STEP_HTTP_CHECK:
		return xasprintf(
		    "checks that %s %s answers %s%s%s%s", s->method ? s->method : "GET",
		    s->url ? s->url : "", s->expect_status ? s->expect_status : "200",
		    s->body_contains ? " with a body containing \"" : "",
		    s->body_contains ? s->body_contains : "", s->body_contains ? "\"" : "");
	case RUNBOOK_STEP_DISK_CHECK:
		return xasprintf("checks that %s has at least %s%s%s%s free",
		                 s->path ? s->path : "", s->min_free_pct ? s->min_free_pct : "",
		                 s->min_free_pct ? "%" : "",
		                 s->min_free_pct && s->min_free_bytes ? " and " : "",
		                 s->min_free_bytes ? s->min_free_bytes : "");
	case RUNBOOK_STEP_METRIC_CHECK:
		return xasprintf("checks that %s at %s is %s %s", s->metric ? s->metric : "",
		                 s->url ? s->url : "", s->op ? s->op : "",
		                 s->value ? s->value : "");
	case RUNBOOK_STEP_FILE_CHECK:
		return xasprintf("checks that %s exists%s%s%s%s%s%s", s->path ? s->path : "",
		                 s->max_age ? ", newer than " : "", s->max_age ? s->max_age : "",
		                 s->min_size ? ", at least " : "", s->min_size ? s->min_size : "",
		                 s->min_count ? ", files at least " : "",
		                 s->min_count ? s->min_count : "");
	case RUNBOOK_STEP_TLS_CHECK:
		return xasprintf("checks the TLS certificate of %s (valid%s%s%s)",
		                 s->url ? s->url : "", s->min_days_left ? ", at least " : "",
		                 s->min_days_left ? s->min_days_left : "",
		                 s->min_days_left ? " days left" : "");
	case RUNBOOK_STEP_MANUAL:
		return xasprintf("waits for an operator to approve or reject: %s",
		                 s->prompt ? s->prompt : "");
	case RUNBOOK_STEP_NOTIFY:
		return xasprintf("sends a message to %s: %s",
		                 s->channel ? s->channel : "the escalation policy",
		                 s->message ? s->message : "");
	case RUNBOOK_STEP_NOOP:
	default:
		return xstrdup("does nothing (a marker)");
	}
}

static const char *
jsondoc_runs_on(runbook_step_type_t type)
{
	const runbook_step_info_t *k = runbook_step_info(type);
	if (k == NULL || k->runs_on == RUNBOOK_RUNS_WORKER)
		return "worker";
	return k->runs_on == RUNBOOK_RUNS_CHECK ? "worker (rota-check)" : "coordinator";
}

static void
jsondoc_rb_step(json_t *j, const runbook_step_t *s)
{
	json_member_string(j, "id", s->id);
	json_member_string(j, "kind", runbook_step_type_name(s->type));
	char *what = jsondoc_step_what(s); /* owned */
	json_member_string(j, "what", what);
	free(what);
	json_member_string(j, "runs_on", jsondoc_runs_on(s->type));
	json_member_text(j, "run_as", s->run_as);
	json_key(j, "when");
	json_object_begin(j);
	static const char *const kinds[] = {"default", "failed", "succeeded", "always"};
	json_member_string(j, "kind", kinds[s->when.kind % 4]);
	json_member_string(j, "step", s->when.step);
	json_object_end(j);
	json_member_bool(j, "manual_approval", s->type == RUNBOOK_STEP_MANUAL);
	json_member_uint(j, "timeout_ms", s->timeout_ms);
	json_key(j, "retries");
	json_object_begin(j);
	json_member_uint(j, "count", s->retries.count);
	json_member_uint(j, "backoff_ms", s->retries.backoff_ms);
	json_member_uint(j, "max_backoff_ms", s->retries.max_backoff_ms);
	json_object_end(j);
	json_member_bool(j, "continue_on_failure", s->continue_on_failure);
	json_member_bool(j, "idempotent", s->idempotent);
	json_member_uint(j, "line", s->mark.line);
}

/* "file:line:column: message" lines as {"line", "column", "message"}
 * (line 0: the file as a whole). */
static void
jsondoc_lint(json_t *j, const char *errors)
{
	json_key(j, "lint");
	json_array_begin(j);
	const char *p = errors != NULL ? errors : "";
	while (*p != '\0') {
		size_t len = strcspn(p, "\n");
		char *line = xstrndup(p, len); /* owned */
		unsigned ln = 0, col = 0;
		int used = 0;
		const char *msg = line;
		/* The position follows the file name: the first ":N:N: ". */
		for (const char *c = strchr(line, ':'); c != NULL; c = strchr(c + 1, ':')) {
			if (sscanf(c, ":%u:%u: %n", &ln, &col, &used) == 2 && used > 0) {
				msg = c + used;
				break;
			}
			ln = col = 0;
		}
		if (msg == line && strchr(line, ':') != NULL)
			msg = strstr(line, ": ") ? strstr(line, ": ") + 2 : line;
		if (len > 0) {
			json_object_begin(j);
			json_member_uint(j, "line", ln);
			json_member_uint(j, "column", col);
			json_member_string(j, "message", msg);
			json_object_end(j);
		}
		free(line);
		p += len;
		if (*p == '\n')
			p++;
	}
	json_array_end(j);
}

void
jsondoc_runbook_members(json_t *j, const Rota__ShowRunbookResponse *show, const runbook_t *rb)
{
	json_key(j, "runbook");
	json_object_begin(j);
	if (show->runbook != NULL)
		jsondoc_runbook(j, show->runbook);
	json_object_end(j);
	jsondoc_lint(j, show->runbook != NULL ? show->runbook->errors : NULL);
	if (rb == NULL) {
		/* Invalid: what is known is its errors. */
		json_key(j, "params");
		json_null(j);
		json_key(j, "steps");
		json_null(j);
		return;
	}
	json_member_text(j, "description", rb->description);
	json_key(j, "severity");
	if (rb->severity > 0)
		json_string(j, format_severity((unsigned)rb->severity));
	else
		json_null(j);
	json_member_string(j, "escalation", rb->escalation ? rb->escalation : "default");
	jsondoc_strings(j, "allowed_operators", rb->allowed_operators, rb->allowed_operator_count);
	jsondoc_strings(j, "allowed_roles", rb->allowed_roles, rb->allowed_role_count);
	JSON_MEMBER_OBJECTS_OF(j, "params", rb->params, rb->param_count, jsondoc_rb_param);
	jsondoc_rb_targets(j, &rb->targets);
	jsondoc_rb_schedule(j, &rb->schedule, show->schedule);
	JSON_MEMBER_OBJECTS_OF(j, "triggers", rb->triggers, rb->trigger_count, jsondoc_rb_trigger);
	JSON_MEMBER_OBJECTS_OF(j, "steps", rb->steps, rb->step_count, jsondoc_rb_step);
}

runbook_t *
jsondoc_runbook_parse(const Rota__ShowRunbookResponse *show)
{
	if (show->yaml == NULL || show->yaml[0] == '\0')
		return NULL;
	runbook_errors_t errs = {0};
	const char *path = show->runbook != NULL ? show->runbook->path : "runbook";
	runbook_t *rb = runbook_parse_string(show->yaml, strlen(show->yaml), path, &errs);
	runbook_errors_clear(&errs);
	return rb;
}

json_t *
jsondoc_runbook_show(const Rota__ShowRunbookResponse *show)
{
	runbook_t *rb = jsondoc_runbook_parse(show); /* owned */
	json_t *j = json_new_object();
	jsondoc_runbook_members(j, show, rb);
	json_object_end(j);
	runbook_destroy(&rb);
	return j;
}
