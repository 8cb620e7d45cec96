/* runbookdoc: a runbook as a Markdown document (see runbookdoc.h).
 *
 * Written with open_memstream: a document is a few kilobytes, and a
 * stream keeps the sections readable as the order they appear in. */
#include "runbookdoc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"
#include "format.h"
#include "markdown.h"
#include "strlist.h"
#include "xalloc.h"

/* The sections of the steps, in the order of runbook_phase_t. */
static const char *const phase_titles[RUNBOOK_PHASE_COUNT] = {
    "Steps", "Immediate actions", "Investigation", "Resolution", "Verification",
};

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

/* What the step does, by kind: a sentence with its commands as code. */
static void
put_step_action(FILE *f, const runbook_step_t *s)
{
	switch (s->type) {
	case RUNBOOK_STEP_SHELL:
		if (s->run != NULL && strchr(s->run, '\n') != NULL &&
		    s->run[strcspn(s->run, "\n") + 1] != '\0') {
			char *run = markdown_text(s->run);
			size_t n = strlen(run);
			while (n > 0 && run[n - 1] == '\n')
				run[--n] = '\0';
			fputs("   - runs:\n\n     ```sh\n", f);
			for (char *line = run; line != NULL;) {
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
			free(run);
			return;
		}
		fputs("   - runs ", f);
		markdown_code(f, s->run);
		break;
	case RUNBOOK_STEP_HTTP_CHECK:
		fputs("   - checks that ", f);
		fprintf(f, "%s ", s->method != NULL ? s->method : "GET");
		markdown_code(f, s->url);
		fprintf(f, " answers %s", s->expect_status != NULL ? s->expect_status : "200");
		if (s->body_contains != NULL) {
			fputs(" with ", f);
			markdown_code(f, s->body_contains);
			fputs(" in its body", f);
		}
		break;
	case RUNBOOK_STEP_DISK_CHECK:
		fputs("   - checks that ", f);
		markdown_code(f, s->path);
		fputs(" has at least ", f);
		if (s->min_free_pct != NULL)
			fprintf(f, "%s%% free", s->min_free_pct);
		if (s->min_free_pct != NULL && s->min_free_bytes != NULL)
			fputs(" and ", f);
		if (s->min_free_bytes != NULL)
			fprintf(f, "%s bytes free", s->min_free_bytes);
		break;
	case RUNBOOK_STEP_METRIC_CHECK:
		fputs("   - checks that ", f);
		markdown_code(f, s->metric);
		fprintf(f, " %s %s at ", s->op != NULL ? s->op : "?",
		        s->value != NULL ? s->value : "?");
		markdown_code(f, s->url);
		break;
	case RUNBOOK_STEP_FILE_CHECK:
		fputs("   - checks the files ", f);
		markdown_code(f, s->path);
		if (s->max_age != NULL)
			fprintf(f, ": newer than %s", s->max_age);
		if (s->min_size != NULL)
			fprintf(f, ", at least %s bytes", s->min_size);
		if (s->min_count != NULL)
			fprintf(f, ", at least %s of them", s->min_count);
		break;
	case RUNBOOK_STEP_TLS_CHECK:
		fputs("   - checks that the certificate of ", f);
		markdown_code(f, s->url);
		fprintf(f, " is valid for %s more days",
		        s->min_days_left != NULL ? s->min_days_left : "some");
		break;
	case RUNBOOK_STEP_MANUAL:
		fputs("   - waits for an operator (`rota approve RUN ", f);
		fprintf(f, "%s`): ", s->id != NULL ? s->id : "STEP");
		markdown_code(f, s->prompt);
		break;
	case RUNBOOK_STEP_NOTIFY:
		if (s->channel != NULL) {
			fputs("   - notifies channel ", f);
			markdown_code(f, s->channel);
		} else {
			fputs("   - notifies the escalation policy's first tier", f);
		}
		fputs(": ", f);
		markdown_code(f, s->message);
		break;
	default:
		fputs("   - does nothing on the host (a marker in the run)", f);
		break;
	}
	fputs("\n", f);
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

/* The phase each step is shown under (see runbookdoc.h); NONE for all
 * when no step has a phase. */
static void
step_phases(const runbook_t *rb, runbook_phase_t *out)
{
	bool any = false;
	for (size_t i = 0; i < rb->step_count; i++)
		any = any || rb->steps[i].phase != RUNBOOK_PHASE_NONE;
	runbook_phase_t current = any ? RUNBOOK_PHASE_IMMEDIATE : RUNBOOK_PHASE_NONE;
	for (size_t i = 0; i < rb->step_count; i++) {
		if (rb->steps[i].phase != RUNBOOK_PHASE_NONE)
			current = rb->steps[i].phase;
		out[i] = current;
	}
}

static void
put_steps(FILE *f, const runbook_t *rb)
{
	runbook_phase_t *phases = xcalloc(rb->step_count + 1, sizeof(*phases));
	step_phases(rb, phases);
	bool phased = rb->step_count > 0 && phases[0] != RUNBOOK_PHASE_NONE;
	for (int p = phased ? RUNBOOK_PHASE_IMMEDIATE : RUNBOOK_PHASE_NONE;
	     p < (phased ? RUNBOOK_PHASE_COUNT : RUNBOOK_PHASE_NONE + 1); p++) {
		fprintf(f, "## %s\n\n", phase_titles[p]);
		size_t shown = 0;
		for (size_t i = 0; i < rb->step_count; i++) {
			if ((int)phases[i] == p) {
				put_step(f, &rb->steps[i], i);
				shown++;
			}
		}
		fputs(shown > 0 ? "\n" : "No steps of this runbook in this phase.\n\n", f);
	}
	free(phases);
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
put_tiers(FILE *f, const runbookdoc_policy_t *p)
{
	fputs("| After | Notify | Then |\n|---|---|---|\n", f);
	for (size_t i = 0; i < p->tier_count; i++) {
		const runbookdoc_tier_t *t = &p->tiers[i];
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
		char then[64] = "";
		if (t->repeat_ms > 0) {
			char every[32];
			doc_duration(t->repeat_ms, every, sizeof(every));
			snprintf(then, sizeof(then), "again every %s", every);
		}
		markdown_cell(f, then);
		fputs("|\n", f);
	}
	fputs("\n", f);
}

static void
put_escalation(FILE *f, const runbook_t *rb, const runbookdoc_policy_t *p)
{
	const char *name = rb->escalation != NULL ? rb->escalation : "default";
	fputs("## Escalation\n\n", f);
	if (rb->severity == 0)
		fputs("This runbook gives no severity: an incident opened with it has the one "
		      "given at `rota incident open --severity`.\n\n",
		      f);
	if (p == NULL) {
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
		put_tiers(f, p);
		fputs("The climb stops when the incident is acknowledged (`rota ack INC-N`).\n\n",
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
		markdown_cell(f, param_types[p->type]);
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

static void
put_schedule(FILE *f, const runbook_t *rb)
{
	const runbook_schedule_t *sc = &rb->schedule;
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
	        catchup_names[sc->catchup], concurrency_names[sc->concurrency]);
	for (size_t i = 0; i < sc->skip.count; i++)
		fprintf(f, "- skipped on %s%s%s\n", sc->skip.items[i].date,
		        sc->skip.items[i].why[0] != '\0' ? ": " : "", sc->skip.items[i].why);
	if (sc->skip_file != NULL) {
		fputs("- skipped on the dates of ", f);
		markdown_code(f, sc->skip_file);
		fputs("\n", f);
	}
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

char *
runbookdoc_render(const runbook_t *rb, const runbookdoc_policy_t *policy)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	if (f == NULL)
		return xstrdup("");
	put_head(f, rb);
	put_alert(f, rb);
	put_steps(f, rb);
	fputs("## Prevention\n\n", f);
	if (rb->prevention != NULL)
		markdown_prose(f, rb->prevention);
	else
		fputs("To be written (the runbook has no `prevention`).\n\n", f);
	put_escalation(f, rb, policy);
	put_params(f, rb);
	put_schedule(f, rb);
	fclose(f);
	/* One newline at the end, not the blank line each section leaves. */
	while (len > 1 && out[len - 1] == '\n' && out[len - 2] == '\n')
		out[--len] = '\0';
	return out;
}

char *
runbookdoc_summary(const runbook_t *rb)
{
	strlist_t parts = {0};
	if (rb->severity > 0)
		strlist_add(&parts, xstrdup(format_severity((unsigned)rb->severity)));
	for (size_t i = 0; i < rb->trigger_count; i++) {
		const runbook_trigger_t *t = &rb->triggers[i];
		const char *alert = NULL;
		for (size_t k = 0; k < t->match_count && alert == NULL; k++)
			if (strcmp(t->match[k].key, "alertname") == 0)
				alert = t->match[k].value;
		strlist_add(&parts, xasprintf("on alert %s", alert != NULL ? alert : "(labels)"));
	}
	if (rb->schedule.present)
		strlist_add(&parts, format_schedule(rb->schedule.cron, rb->schedule.timezone));
	if (rb->trigger_count == 0 && !rb->schedule.present)
		strlist_add(&parts, xstrdup("by hand"));
	char *s = strlist_join_sep(&parts, "; ", "");
	strlist_free(&parts);
	return s;
}

/* The order of a category's section: the known ones first, in their
 * order; then others; the uncategorized last. */
static int
category_rank(const char *c)
{
	if (c == NULL || c[0] == '\0')
		return RUNBOOK_CATEGORY_COUNT + 1;
	for (int i = 0; i < RUNBOOK_CATEGORY_COUNT; i++)
		if (strcmp(c, runbook_categories[i]) == 0)
			return i;
	return RUNBOOK_CATEGORY_COUNT;
}

static int
entry_cmp(const void *a, const void *b)
{
	const runbookdoc_entry_t *x = *(const runbookdoc_entry_t *const *)a;
	const runbookdoc_entry_t *y = *(const runbookdoc_entry_t *const *)b;
	int rx = category_rank(x->category), ry = category_rank(y->category);
	if (rx != ry)
		return rx < ry ? -1 : 1;
	if (rx == RUNBOOK_CATEGORY_COUNT) {
		int c = strcmp(x->category, y->category);
		if (c != 0)
			return c;
	}
	return strcmp(x->name != NULL ? x->name : "", y->name != NULL ? y->name : "");
}

char *
runbookdoc_index(const runbookdoc_entry_t *entries, size_t n)
{
	const runbookdoc_entry_t **sorted = xcalloc(n + 1, sizeof(*sorted));
	for (size_t i = 0; i < n; i++)
		sorted[i] = &entries[i];
	qsort(sorted, n, sizeof(*sorted), entry_cmp);

	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	if (f == NULL) {
		free(sorted);
		return xstrdup("");
	}
	fprintf(f, "# Runbooks\n\n%zu runbook%s, by category.\n", n, n == 1 ? "" : "s");
	const char *section = NULL;
	for (size_t i = 0; i < n; i++) {
		const runbookdoc_entry_t *e = sorted[i];
		const char *c = e->category != NULL && e->category[0] != '\0' ? e->category : NULL;
		if (i == 0 || (section == NULL) != (c == NULL) ||
		    (c != NULL && strcmp(section, c) != 0)) {
			char *title = markdown_text(c != NULL ? c : "uncategorized");
			title[0] =
			    (char)(title[0] >= 'a' && title[0] <= 'z' ? title[0] - 32 : title[0]);
			fprintf(f, "\n## %s\n\n", title);
			free(title);
			section = c;
		}
		char *name = markdown_text(e->name);
		fprintf(f, "- [%s](%s.md)", name, name);
		free(name);
		if (e->description != NULL && e->description[0] != '\0') {
			char *d = markdown_text(e->description);
			for (char *p = d; *p != '\0'; p++)
				if (*p == '\n')
					*p = ' ';
			size_t dl = strlen(d);
			while (dl > 0 && d[dl - 1] == ' ')
				d[--dl] = '\0';
			fprintf(f, ": %s", d);
			free(d);
		}
		if (e->summary != NULL && e->summary[0] != '\0') {
			char *s = markdown_text(e->summary);
			fprintf(f, " (%s)", s);
			free(s);
		}
		fputs("\n", f);
	}
	fclose(f);
	free(sorted);
	return out;
}
