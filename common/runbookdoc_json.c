/* runbookdoc_json: a runbook's document as JSON (see runbookdoc.h):
 * `rota runbook show NAME --json` and GET /v1/runbooks/NAME, which the
 * console's runbook page draws (docs/http-api.md). */
#include "runbookdoc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cron.h"
#include "format.h"
#include "jsondoc.h"
#include "xalloc.h"

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
	if (a.value == 0 && !a.set) {
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

static const char *
jsondoc_zone(const char *tz)
{
	return tz != NULL && tz[0] != '\0' ? tz : "UTC";
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

/* What a step does: its kind's phrase as one sentence, and in parts (the
 * values marked as code, for a page to show them so). */
static void
jsondoc_rb_what(json_t *j, const runbook_step_t *s)
{
	runbook_phrase_t ph;
	runbook_step_phrase(s, &ph);
	char *what = runbook_phrase_text(&ph); /* owned */
	json_member_string(j, "what", what);
	free(what);
	json_key(j, "what_parts");
	json_array_begin(j);
	for (size_t i = 0; i < ph.count; i++) {
		json_object_begin(j);
		json_member_string(j, "text", ph.parts[i].text);
		json_member_bool(j, "code", ph.parts[i].code);
		json_object_end(j);
	}
	json_array_end(j);
	runbook_phrase_clear(&ph);
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
	json_member_text(j, "description", s->description);
	json_member_text(j, "phase", runbook_phase_name(s->phase));
	jsondoc_rb_what(j, s);
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

/* The policy an incident of the runbook climbs; null when not known. */
static void
jsondoc_rb_policy(json_t *j, const runbookdoc_t *doc)
{
	json_key(j, "policy");
	if (!doc->policy_known) {
		json_null(j);
		return;
	}
	const runbookdoc_policy_t *p = &doc->policy;
	json_object_begin(j);
	json_member_string(j, "name", p->name);
	json_member_bool(j, "configured", p->configured);
	json_member_int(j, "ack_due_ms", p->ack_due_ms);
	json_member_string(j, "until", p->until_resolved ? "resolved" : "acknowledged");
	json_key(j, "tiers");
	json_array_begin(j);
	for (size_t i = 0; i < p->tier_count; i++) {
		const runbookdoc_tier_t *t = &p->tiers[i];
		json_object_begin(j);
		json_member_uint(j, "after_ms", (uint64_t)t->after_ms);
		json_key(j, "notify");
		json_array_begin(j);
		for (size_t k = 0; k < t->notify_count; k++)
			json_string(j, t->notify[k]);
		json_array_end(j);
		json_member_uint(j, "repeat_ms", (uint64_t)t->repeat_ms);
		json_key(j, "severities");
		json_array_begin(j);
		for (unsigned s = 1; s <= 4; s++)
			if (t->severities & (1u << s))
				json_string(j, format_severity(s));
		json_array_end(j);
		json_member_bool(j, "applies", runbookdoc_tier_applies(doc, t));
		json_object_end(j);
	}
	json_array_end(j);
	json_object_end(j);
}

/* The sections of the steps, in order, each with its steps' ids in run
 * order: where the document puts each step. */
static void
jsondoc_rb_sections(json_t *j, const runbookdoc_t *doc)
{
	size_t n;
	const runbookdoc_section_t *sections = runbookdoc_sections(doc, &n);
	json_key(j, "sections");
	json_array_begin(j);
	for (size_t k = 0; k < n; k++) {
		json_object_begin(j);
		json_member_string(j, "phase", sections[k].key);
		json_member_string(j, "title", sections[k].title);
		json_key(j, "steps");
		json_array_begin(j);
		for (size_t i = 0; i < doc->rb->step_count; i++)
			if (doc->phases[i] == sections[k].phase)
				json_string(j, doc->rb->steps[i].id);
		json_array_end(j);
		json_object_end(j);
	}
	json_array_end(j);
}

void
runbookdoc_json(json_t *j, const runbookdoc_t *doc)
{
	const runbook_t *rb = doc->rb;
	json_key(j, "runbook");
	json_object_begin(j);
	if (doc->info != NULL)
		jsondoc_runbook(j, doc->info);
	json_object_end(j);
	jsondoc_lint(j, doc->lint);
	if (rb == NULL) {
		/* Invalid: what is known is its errors. */
		json_key(j, "params");
		json_null(j);
		json_key(j, "steps");
		json_null(j);
		json_key(j, "sections");
		json_null(j);
		return;
	}
	json_member_text(j, "description", rb->description);
	json_member_text(j, "category", rb->category);
	json_key(j, "severity");
	if (rb->severity > 0)
		json_string(j, format_severity((unsigned)rb->severity));
	else
		json_null(j);
	json_member_text(j, "alert", rb->alert);
	json_member_text(j, "prevention", rb->prevention);
	json_member_text(j, "escalation_notes", rb->escalation_notes);
	json_member_string(j, "escalation", rb->escalation ? rb->escalation : "default");
	jsondoc_rb_policy(j, doc);
	jsondoc_strings(j, "allowed_operators", rb->allowed_operators, rb->allowed_operator_count);
	jsondoc_strings(j, "allowed_roles", rb->allowed_roles, rb->allowed_role_count);
	JSON_MEMBER_OBJECTS_OF(j, "params", rb->params, rb->param_count, jsondoc_rb_param);
	jsondoc_rb_targets(j, &rb->targets);
	jsondoc_rb_schedule(j, &rb->schedule, doc->schedule);
	JSON_MEMBER_OBJECTS_OF(j, "triggers", rb->triggers, rb->trigger_count, jsondoc_rb_trigger);
	jsondoc_rb_sections(j, doc);
	JSON_MEMBER_OBJECTS_OF(j, "steps", rb->steps, rb->step_count, jsondoc_rb_step);
}
