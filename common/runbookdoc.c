/* runbookdoc: the document of a runbook, built once (see runbookdoc.h);
 * its Markdown is runbookdoc_md.c, its JSON runbookdoc_json.c. Here: the
 * model, and the index of a library. */
#include "runbookdoc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "markdown.h"
#include "strlist.h"
#include "xalloc.h"

/* The sections of the steps, in the order of runbook_phase_t. */
static const runbookdoc_section_t phased_sections[] = {
    {RUNBOOK_PHASE_IMMEDIATE, "immediate", "Immediate actions"},
    {RUNBOOK_PHASE_INVESTIGATE, "investigate", "Investigation"},
    {RUNBOOK_PHASE_RESOLVE, "resolve", "Resolution"},
    {RUNBOOK_PHASE_VERIFY, "verify", "Verification"},
};
static const runbookdoc_section_t plain_section = {RUNBOOK_PHASE_NONE, "steps", "Steps"};

const runbookdoc_section_t *
runbookdoc_sections(const runbookdoc_t *doc, size_t *n)
{
	if (doc->phased) {
		*n = sizeof(phased_sections) / sizeof(phased_sections[0]);
		return phased_sections;
	}
	*n = 1;
	return &plain_section;
}

bool
runbookdoc_tier_applies(const runbookdoc_t *doc, const runbookdoc_tier_t *t)
{
	int sev = doc->rb != NULL ? (int)doc->rb->severity : 0;
	return t->severities == 0 || sev < 1 || sev > 7 || (t->severities & (1u << sev)) != 0;
}

/* The phase each step is shown under (see runbookdoc.h). */
static void
runbookdoc_place(runbookdoc_t *doc)
{
	const runbook_t *rb = doc->rb;
	size_t n = rb != NULL ? rb->step_count : 0;
	doc->phases = xcalloc(n + 1, sizeof(*doc->phases));
	for (size_t i = 0; i < n; i++)
		doc->phased = doc->phased || rb->steps[i].phase != RUNBOOK_PHASE_NONE;
	runbook_phase_t current = doc->phased ? RUNBOOK_PHASE_IMMEDIATE : RUNBOOK_PHASE_NONE;
	for (size_t i = 0; i < n; i++) {
		if (rb->steps[i].phase != RUNBOOK_PHASE_NONE)
			current = rb->steps[i].phase;
		doc->phases[i] = current;
	}
}

runbookdoc_t *
runbookdoc_new(const runbook_t *rb, const runbookdoc_policy_t *policy)
{
	runbookdoc_t *doc = xcalloc(1, sizeof(*doc));
	doc->rb = rb;
	if (policy != NULL) {
		doc->policy = *policy;
		doc->policy_known = true;
	} else {
		doc->policy.name =
		    rb != NULL && rb->escalation != NULL ? rb->escalation : "default";
	}
	runbookdoc_place(doc);
	return doc;
}

/* The answer's policy, its strings borrowed from it, into doc. */
static void
runbookdoc_take_policy(runbookdoc_t *doc, const Rota__RunbookPolicy *p)
{
	size_t names = 0;
	for (size_t i = 0; i < p->n_tiers; i++)
		names += p->tiers[i]->n_notify;
	doc->own_tiers = xcalloc(p->n_tiers + 1, sizeof(*doc->own_tiers));
	doc->own_notify = xcalloc(names + 1, sizeof(*doc->own_notify));
	size_t at = 0;
	for (size_t i = 0; i < p->n_tiers; i++) {
		const Rota__RunbookTier *t = p->tiers[i];
		for (size_t k = 0; k < t->n_notify; k++)
			doc->own_notify[at + k] = t->notify[k];
		doc->own_tiers[i] = (runbookdoc_tier_t){
		    .after_ms = t->after_ms,
		    .notify = doc->own_notify + at,
		    .notify_count = t->n_notify,
		    .repeat_ms = t->repeat_ms,
		    .severities = (uint8_t)t->severities,
		};
		at += t->n_notify;
	}
	doc->policy = (runbookdoc_policy_t){
	    .name = p->name != NULL && p->name[0] != '\0' ? p->name : "default",
	    .configured = p->configured,
	    .tiers = doc->own_tiers,
	    .tier_count = p->n_tiers,
	    .ack_due_ms = p->ack_due_ms,
	    .until_resolved = p->until_resolved,
	};
	doc->policy_known = true;
}

runbookdoc_t *
runbookdoc_from_show(const Rota__ShowRunbookResponse *show)
{
	runbook_t *rb = NULL;
	if (show->yaml != NULL && show->yaml[0] != '\0') {
		runbook_errors_t errs = {0};
		const char *path = show->runbook != NULL && show->runbook->path != NULL
		                       ? show->runbook->path
		                       : "runbook";
		rb = runbook_parse_string(show->yaml, strlen(show->yaml), path, &errs);
		runbook_errors_clear(&errs);
	}
	runbookdoc_t *doc = runbookdoc_new(rb, NULL);
	doc->own_rb = rb;
	doc->info = show->runbook;
	if (show->runbook != NULL && show->runbook->errors != NULL &&
	    show->runbook->errors[0] != '\0')
		doc->lint = show->runbook->errors;
	if (show->policy != NULL)
		runbookdoc_take_policy(doc, show->policy);
	doc->schedule = show->schedule;
	return doc;
}

void
runbookdoc_free(runbookdoc_t **docp)
{
	runbookdoc_t *doc = *docp;
	if (doc == NULL)
		return;
	free(doc->phases);
	free(doc->own_tiers);
	free(doc->own_notify);
	runbook_destroy(&doc->own_rb);
	free(doc);
	*docp = NULL;
}

char *
runbookdoc_render(const runbook_t *rb, const runbookdoc_policy_t *policy)
{
	runbookdoc_t *doc = runbookdoc_new(rb, policy);
	char *md = runbookdoc_markdown(doc);
	runbookdoc_free(&doc);
	return md;
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
