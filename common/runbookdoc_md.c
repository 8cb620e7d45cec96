/* runbookdoc_md: a runbook's document as Markdown (see runbookdoc.h).
 *
 * Written with open_memstream: a document is a few kilobytes, and a
 * stream keeps the sections readable in the order they appear in. */
#include "runbookdoc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"
#include "format.h"
#include "markdown.h"
#include "strlist.h"
#include "xalloc.h"

/* A duration as people write it in a runbook: 15m, 2h, 30s; others as
 * duration_format says them. */
static void
doc_duration(int64_t ms, char *buf, size_t len)
{
	if (ms > 0 && ms % 3600000 == 0)
		snprintf(buf, len, "%lldh", (long long)(ms / 3600000));
	else if (ms > 0 && ms % 60000 == 0)
		snprintf(buf, len, "%lldm", (long long)(ms / 60000));
	else if (ms > 0 && ms % 1000 == 0)
		snprintf(buf, len, "%llds", (long long)(ms / 1000));
	else
		duration_format(ms, buf, len);
}

static void
put_duration(FILE *f, int64_t ms)
{
	char d[32];
	doc_duration(ms, d, sizeof(d));
	fputs(d, f);
}

/* ---- a step ---- */

static bool
multiline(const char *text)
{
	const char *nl = text != NULL ? strchr(text, '\n') : NULL;
	return nl != NULL && nl[1] != '\0';
}

/* A value of several lines as a fenced block under the step's line. */
static void
put_block(FILE *f, const runbook_phrase_part_t *part)
{
	char *text = markdown_text(part->text);
	size_t n = strlen(text);
	while (n > 0 && text[n - 1] == '\n')
		text[--n] = '\0';
	fprintf(f, ":\n\n     ```%s\n", part->lang != NULL ? part->lang : "");
	for (char *line = text; line != NULL;) {
		char *nl = strchr(line, '\n');
		if (nl != NULL)
			*nl = '\0';
		if (line[0] != '\0')
			fprintf(f, "     %s\n", line);
		else
			fputs("\n", f);
		line = nl != NULL ? nl + 1 : NULL;
	}
	fputs("     ```\n\n", f);
	free(text);
}

/* What the step does: its kind's phrase, values as code; a value of
 * several lines ends the line and follows as a block. */
static void
put_step_action(FILE *f, const runbook_step_t *s)
{
	runbook_phrase_t ph;
	runbook_step_phrase(s, &ph);
	fputs("   - ", f);
	for (size_t i = 0; i < ph.count; i++) {
		const runbook_phrase_part_t *p = &ph.parts[i];
		if (p->code && multiline(p->text)) {
			put_block(f, p);
			runbook_phrase_clear(&ph);
			return;
		}
		if (p->code) {
			markdown_code(f, p->text);
			continue;
		}
		char *w = markdown_text(p->text);
		size_t n = strlen(w);
		/* "runs " before a block is "runs:" */
		if (i + 1 < ph.count && ph.parts[i + 1].code && multiline(ph.parts[i + 1].text))
			while (n > 0 && w[n - 1] == ' ')
				w[--n] = '\0';
		fputs(w, f);
		free(w);
	}
	fputs("\n", f);
	runbook_phrase_clear(&ph);
}

/* When, retries and the rest, one line, only what is not the default. */
static void
put_step_conditions(FILE *f, const runbook_step_t *s)
{
	char d[32];
	const char *sep = "   - ";
	bool any = false;

	if (s->when.kind == RUNBOOK_WHEN_FAILED || s->when.kind == RUNBOOK_WHEN_SUCCEEDED) {
		fprintf(f, "%sonly when `%s` %s", sep, s->when.step,
		        s->when.kind == RUNBOOK_WHEN_FAILED ? "failed" : "succeeded");
		sep = "; ", any = true;
	} else if (s->when.kind == RUNBOOK_WHEN_ALWAYS) {
		fprintf(f, "%salways, whatever failed before", sep);
		sep = "; ", any = true;
	}
	if (s->retries.count > 0) {
		doc_duration(s->retries.backoff_ms, d, sizeof(d));
		fprintf(f, "%sretried %u time%s (first after %s)", sep, s->retries.count,
		        s->retries.count == 1 ? "" : "s", d);
		sep = "; ", any = true;
	}
	if (s->continue_on_failure) {
		fprintf(f, "%sits failure does not fail the host", sep);
		sep = "; ", any = true;
	}
	if (s->run_as != NULL) {
		fprintf(f, "%sas user `%s`", sep, s->run_as);
		sep = "; ", any = true;
	}
	if (any) {
		doc_duration(s->timeout_ms, d, sizeof(d));
		/* A timeout from a param, or a held check's from its hold's. */
		if (s->timeout_param != NULL)
			fprintf(f, "; timeout param `%s`\n", s->timeout_param);
		else if (s->hold_param != NULL && !s->timeout_given)
			fprintf(f, "; timeout the hold (param `%s`) plus %s\n", s->hold_param, d);
		else
			fprintf(f, "; timeout %s\n", d);
	}
}

static void
put_step(FILE *f, const runbook_step_t *s, size_t index)
{
	fprintf(f, "%zu. **%s** (%s)", index + 1, s->id != NULL ? s->id : "?",
	        runbook_step_type_name(s->type));
	if (s->description != NULL) {
		char *d = markdown_text(s->description);
		for (char *p = d; *p != '\0'; p++)
			if (*p == '\n')
				*p = ' ';
		fprintf(f, ": %s", d);
		free(d);
	}
	fputs("\n", f);
	put_step_action(f, s);
	put_step_conditions(f, s);
}

static void
put_steps(FILE *f, const runbookdoc_t *doc)
{
	const runbook_t *rb = doc->rb;
	size_t n;
	const runbookdoc_section_t *sections = runbookdoc_sections(doc, &n);
	for (size_t k = 0; k < n; k++) {
		fprintf(f, "## %s\n\n", sections[k].title);
		size_t shown = 0;
		for (size_t i = 0; i < rb->step_count; i++) {
			if (doc->phases[i] == sections[k].phase) {
				put_step(f, &rb->steps[i], i);
				shown++;
			}
		}
		fputs(shown > 0 ? "\n" : "No steps of this runbook in this phase.\n\n", f);
	}
}

/* ---- the other sections ---- */

static void
put_triggers(FILE *f, const runbook_t *rb)
{
	for (size_t i = 0; i < rb->trigger_count; i++) {
		const runbook_trigger_t *t = &rb->triggers[i];
		fputs(i == 0 ? "Started by " : "; or by ", f);
		fprintf(f, "an %s alert with ", t->source != NULL ? t->source : "alertmanager");
		for (size_t k = 0; k < t->match_count; k++) {
			fputs(k == 0 ? "" : ", ", f);
			char *m = xasprintf("%s=%s", t->match[k].key, t->match[k].value);
			markdown_code(f, m);
			free(m);
		}
	}
	if (rb->trigger_count > 0)
		fputs(".\n\n", f);
}

static void
put_alert(FILE *f, const runbook_t *rb)
{
	fputs("## Alert description\n\n", f);
	if (rb->alert != NULL)
		markdown_prose(f, rb->alert);
	put_triggers(f, rb);
	if (rb->alert == NULL && rb->trigger_count == 0) {
		if (rb->schedule.present)
			fputs("No alert starts this runbook: it runs on its schedule (below), "
			      "or by hand.\n\n",
			      f);
		else
			fputs("No alert starts this runbook: it is run by hand.\n\n", f);
	}
}

static void
put_tiers(FILE *f, const runbookdoc_t *doc)
{
	const runbookdoc_policy_t *p = &doc->policy;
	fputs("| After | Notify | Then |\n|---|---|---|\n", f);
	for (size_t i = 0; i < p->tier_count; i++) {
		const runbookdoc_tier_t *t = &p->tiers[i];
		if (!runbookdoc_tier_applies(doc, t))
			continue; /* passed over for this runbook's severity */
		char after[32] = "at once";
		if (t->after_ms > 0)
			doc_duration(t->after_ms, after, sizeof(after));
		markdown_cell(f, after);
		strlist_t names = {0};
		for (size_t k = 0; k < t->notify_count; k++)
			strlist_add(&names, xstrdup(t->notify[k]));
		char *joined = strlist_join_sep(&names, ", ", "nobody");
		markdown_cell(f, joined);
		free(joined);
		strlist_free(&names);
		strlist_t then = {0};
		if (t->repeat_ms > 0) {
			char every[32];
			doc_duration(t->repeat_ms, every, sizeof(every));
			strlist_add(&then, xasprintf("again every %s", every));
		}
		if (t->severities != 0) {
			strlist_t sev = {0};
			for (unsigned s = 1; s <= 4; s++)
				if (t->severities & (1u << s))
					strlist_add(&sev, xstrdup(format_severity(s)));
			char *list = strlist_join_sep(&sev, ", ", "");
			strlist_add(&then, xasprintf("%s only", list));
			free(list);
			strlist_free(&sev);
		}
		char *cell = strlist_join_sep(&then, "; ", "");
		markdown_cell(f, cell);
		free(cell);
		strlist_free(&then);
		fputs("|\n", f);
	}
	fputs("\n", f);
}

static void
put_escalation(FILE *f, const runbookdoc_t *doc)
{
	const runbook_t *rb = doc->rb;
	const runbookdoc_policy_t *p = &doc->policy;
	const char *name = rb->escalation != NULL ? rb->escalation : "default";
	fputs("## Escalation\n\n", f);
	if (rb->severity == 0)
		fputs("This runbook gives no severity: an incident opened with it has the one "
		      "given at `rota incident open --severity`.\n\n",
		      f);
	if (!doc->policy_known) {
		fprintf(f,
		        "Incidents follow escalation policy **%s**; its tiers are in the "
		        "coordinator's configuration (`rota runbook show %s --markdown` lists "
		        "them).\n\n",
		        name, rb->name != NULL ? rb->name : "NAME");
	} else if (!p->configured) {
		fprintf(f,
		        "The coordinator has no escalation policy **%s** (nor `default`): its "
		        "incidents are recorded but notify nobody.\n\n",
		        name);
	} else {
		fprintf(f, "Incidents follow escalation policy **%s**", p->name);
		if (strcmp(p->name, name) != 0)
			fprintf(f, " (the runbook names `%s`, which is not configured)", name);
		if (rb->severity > 0 && p->ack_due_ms > 0) {
			fprintf(f, "; a %s incident is due an acknowledgement within ",
			        format_severity((unsigned)rb->severity));
			put_duration(f, p->ack_due_ms);
		} else if (rb->severity > 0 && p->ack_due_ms < 0) {
			fprintf(
			    f, "; a %s incident is due an acknowledgement by the next business day",
			    format_severity((unsigned)rb->severity));
		}
		fputs(".\n\n", f);
		put_tiers(f, doc);
		if (p->until_resolved)
			fputs(
			    "The climb goes on past an acknowledgement and stops when the incident "
			    "is resolved (`rota resolve INC-N`).\n\n",
			    f);
		else
			fputs("The climb stops when the incident is acknowledged (`rota ack "
			      "INC-N`).\n\n",
			      f);
	}
	if (rb->escalation_notes != NULL)
		markdown_prose(f, rb->escalation_notes);
}

static const char *const param_types[] = {"string", "int", "bool", "duration"};

static void
put_params(FILE *f, const runbook_t *rb)
{
	fputs("## Parameters\n\n", f);
	if (rb->param_count == 0) {
		fputs("None.\n\n", f);
		return;
	}
	fputs("| Name | Type | Default | Description |\n|---|---|---|---|\n", f);
	for (size_t i = 0; i < rb->param_count; i++) {
		const runbook_param_t *p = &rb->params[i];
		markdown_cell(f, p->name);
		markdown_cell(f, param_types[p->type % 4]);
		if (p->secret)
			markdown_cell(f, "(secret)");
		else if (p->required)
			markdown_cell(f, "(required)");
		else
			markdown_cell(f, p->default_value != NULL ? p->default_value : "");
		markdown_cell(f, p->description != NULL ? p->description : "");
		fputs("|\n", f);
	}
	fputs("\n", f);
}

static const char *const catchup_names[] = {"latest", "none", "all"};
static const char *const concurrency_names[] = {"forbid", "allow", "replace"};

/* The next fire times the coordinator listed, in the zone and in UTC. */
static void
put_next(FILE *f, const runbookdoc_t *doc)
{
	const Rota__ScheduleInfo *sch = doc->schedule;
	if (sch == NULL || sch->n_upcoming == 0)
		return;
	fputs("- next fire times (when this was written):\n", f);
	for (size_t i = 0; i < sch->n_upcoming; i++) {
		char *t = format_fire_time(sch->upcoming[i], doc->rb->schedule.timezone);
		const char *skip = i < sch->n_upcoming_skipped ? sch->upcoming_skipped[i] : "";
		char *why = markdown_text(skip != NULL ? skip : "");
		fprintf(f, "  - %s%s%s\n", t, why[0] != '\0' ? ": skipped, " : "", why);
		free(why);
		free(t);
	}
}

static void
put_schedule(FILE *f, const runbookdoc_t *doc)
{
	const runbook_schedule_t *sc = &doc->rb->schedule;
	fputs("## Schedule\n\n", f);
	if (!sc->present) {
		fputs("Not scheduled.\n\n", f);
		return;
	}
	fputs("- cron: ", f);
	markdown_code(f, sc->cron);
	fprintf(f, " in %s\n", sc->timezone != NULL ? sc->timezone : "UTC");
	if (sc->jitter_ms > 0) {
		fputs("- jitter: up to ", f);
		put_duration(f, sc->jitter_ms);
		fputs("\n", f);
	}
	fprintf(f, "- missed slots: %s; a slot while a run is going: %s\n",
	        catchup_names[sc->catchup % 3], concurrency_names[sc->concurrency % 3]);
	for (size_t i = 0; i < sc->skip.count; i++)
		fprintf(f, "- skipped on %s%s%s\n", sc->skip.items[i].date,
		        sc->skip.items[i].why[0] != '\0' ? ": " : "", sc->skip.items[i].why);
	if (sc->skip_file != NULL) {
		fputs("- skipped on the dates of ", f);
		markdown_code(f, sc->skip_file);
		fputs("\n", f);
	}
	put_next(f, doc);
	fputs("\n", f);
}

static void
put_targets(FILE *f, const runbook_targets_t *t)
{
	if (t->coordinator) {
		fputs("the coordinator itself, no worker (host `" RUNBOOK_COORDINATOR_HOST "`)", f);
	} else if (t->all) {
		fputs("every host", f);
	} else if (t->host_count > 0 || t->label_count > 0) {
		for (size_t i = 0; i < t->host_count; i++)
			fprintf(f, "%s`%s`", i ? ", " : "", t->hosts[i]);
		for (size_t i = 0; i < t->label_count; i++) {
			const runbook_label_match_t *m = &t->labels[i];
			fprintf(f, "%shosts whose label `%s` is ", i || t->host_count ? ", " : "",
			        m->key);
			for (size_t k = 0; k < m->value_count; k++)
				fprintf(f, "%s`%s`",
				        k == 0                   ? ""
				        : k + 1 < m->value_count ? ", "
				                                 : " or ",
				        m->values[k]);
		}
	} else {
		fputs("the hosts given at submit (`--target`), or the alert's host", f);
	}
	if (t->batch.value > 0)
		fprintf(f, "; %u%s at a time", t->batch.value,
		        t->batch.percent      ? "%"
		        : t->batch.value == 1 ? " host"
		                              : " hosts");
	if (t->batch.value > 0 && t->max_failures.set && t->max_failures.value == 0)
		fputs(", the first failed host stops the rollout", f);
	else if (t->batch.value > 0 && t->max_failures.set)
		fprintf(f, ", stopped once more than %u%s failed", t->max_failures.value,
		        t->max_failures.percent      ? "%"
		        : t->max_failures.value == 1 ? " host"
		                                     : " hosts");
}

static void
put_head(FILE *f, const runbook_t *rb)
{
	fprintf(f, "# %s\n\n", rb->name != NULL ? rb->name : "(unnamed)");
	if (rb->description != NULL)
		markdown_prose(f, rb->description);
	fputs("| | |\n|---|---|\n", f);
	markdown_cell(f, "Category");
	markdown_cell(f, rb->category != NULL ? rb->category : "uncategorized");
	fputs("|\n", f);
	markdown_cell(f, "Severity");
	markdown_cell(f, rb->severity > 0 ? format_severity((unsigned)rb->severity) : "not set");
	fputs("|\n| Targets | ", f);
	put_targets(f, &rb->targets);
	fputs(" |\n", f);
	fprintf(f, "| Steps | %zu |\n\n", rb->step_count);
}

/* The file's errors: an invalid file is only that; a stale one is served
 * in the version before, which the rest of the document shows. */
static void
put_lint(FILE *f, const runbookdoc_t *doc)
{
	const Rota__RunbookInfo *info = doc->info;
	if (doc->rb == NULL) {
		const char *name = info != NULL && info->name != NULL && info->name[0] != '\0'
		                       ? info->name
		                       : (info != NULL ? info->path : NULL);
		char *title = markdown_text(name != NULL ? name : "(unnamed)");
		fprintf(f, "# %s\n\n", title);
		free(title);
		fputs("This file is invalid and not served: fix the errors below (`rota lint "
		      "FILE` shows them too), then `rota reload`.\n\n",
		      f);
	}
	if (doc->lint == NULL)
		return;
	fputs("## Lint errors\n\n", f);
	if (doc->rb != NULL)
		fputs("The file is invalid now; the version loaded before is served, and is the "
		      "one this document shows.\n\n",
		      f);
	char *text = markdown_text(doc->lint);
	for (char *line = text; line != NULL && *line != '\0';) {
		char *nl = strchr(line, '\n');
		if (nl != NULL)
			*nl = '\0';
		if (line[0] != '\0') {
			fputs("- ", f);
			markdown_code(f, line);
			fputs("\n", f);
		}
		line = nl != NULL ? nl + 1 : NULL;
	}
	fputs("\n", f);
	free(text);
}

char *
runbookdoc_markdown(const runbookdoc_t *doc)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	if (f == NULL)
		return xstrdup("");
	const runbook_t *rb = doc->rb;
	if (rb != NULL)
		put_head(f, rb);
	put_lint(f, doc);
	if (rb != NULL) {
		put_alert(f, rb);
		put_steps(f, doc);
		fputs("## Prevention\n\n", f);
		if (rb->prevention != NULL)
			markdown_prose(f, rb->prevention);
		else
			fputs("To be written (the runbook has no `prevention`).\n\n", f);
		put_escalation(f, doc);
		put_params(f, rb);
		put_schedule(f, doc);
	}
	fclose(f);
	/* One newline at the end, not the blank line each section leaves. */
	while (len > 1 && out[len - 1] == '\n' && out[len - 2] == '\n')
		out[--len] = '\0';
	return out;
}
