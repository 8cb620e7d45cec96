/* incidentreview: a post-incident review (see incidentreview.h).
 *
 * The timeline is one list of items (the incident's events, each run's
 * steps starting and ending on each host, each notification delivered or
 * given up), sorted by time with a stable key, so the incident's own
 * events keep the order the coordinator recorded them in. */
#include "incidentreview.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "markdown.h"
#include "strlist.h"
#include "xalloc.h"

#define TO_BE_WRITTEN "To be written."

typedef struct {
	int64_t at_ms;
	size_t seq; /* the order it was added in: the tie-break */
	char *what; /* owned: the event's column */
	char *text; /* owned */
} review_item_t;

typedef struct {
	review_item_t *items;
	size_t count, cap;
} review_timeline_t;

static void
timeline_add(review_timeline_t *t, int64_t at_ms, char *what, char *text)
{
	if (at_ms <= 0) {
		free(what);
		free(text);
		return;
	}
	if (t->count == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 32;
		t->items = xrealloc(t->items, t->cap * sizeof(*t->items));
	}
	t->items[t->count] = (review_item_t){at_ms, t->count, what, text};
	t->count++;
}

static int
item_cmp(const void *a, const void *b)
{
	const review_item_t *x = a, *y = b;
	if (x->at_ms != y->at_ms)
		return x->at_ms < y->at_ms ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static const char *
str(const char *s)
{
	return s != NULL ? s : "";
}

static void
put_time(FILE *f, int64_t ms)
{
	char at[FORMAT_BUF_BYTES];
	if (ms <= 0) {
		fputs("-", f);
		return;
	}
	format_time(ms, at, sizeof(at));
	fprintf(f, "%s UTC", at);
}

static void
put_span(FILE *f, int64_t from_ms, int64_t to_ms)
{
	char d[FORMAT_BUF_BYTES];
	format_duration(to_ms - from_ms, d, sizeof(d));
	fputs(d, f);
}

/* ---- the timeline ---- */

static void
timeline_of_incident(review_timeline_t *t, const Rota__ShowIncidentResponse *inc)
{
	for (size_t i = 0; i < inc->n_events; i++) {
		const Rota__IncidentEvent *e = inc->events[i];
		if (e->note_kind != NULL && e->note_kind[0] != '\0')
			timeline_add(t, e->at_ms, xasprintf("note (%s)", e->note_kind),
			             xasprintf("%s: %s", e->by && e->by[0] ? e->by : "an operator",
			                       str(e->text)));
		else
			timeline_add(t, e->at_ms, xstrdup(str(e->kind)), xstrdup(str(e->text)));
	}
}

static void
timeline_of_run(review_timeline_t *t, const Rota__ShowRunResponse *r)
{
	const Rota__RunSummary *run = r->run;
	if (run == NULL)
		return;
	for (size_t i = 0; i < r->n_steps; i++) {
		const Rota__StepRunInfo *s = r->steps[i];
		timeline_add(t, s->started_ms, xstrdup("step"),
		             xasprintf("run %s: %s started on %s", str(run->id), str(s->step_id),
		                       str(s->host)));
		if (s->approved_ms > 0)
			timeline_add(t, s->approved_ms, xstrdup("approval"),
			             xasprintf("run %s: %s decided by %s", str(run->id),
			                       str(s->step_id), str(s->approved_by)));
		if (format_run_is_terminal(run->status) || s->ended_ms > 0)
			timeline_add(t, s->ended_ms, xstrdup("step"),
			             xasprintf("run %s: %s %s on %s%s%s", str(run->id),
			                       str(s->step_id), format_step_status(s->status),
			                       str(s->host), s->detail && s->detail[0] ? ": " : "",
			                       str(s->detail)));
	}
	/* The run's start and end are the incident's own events already. */
	for (size_t i = 0; i < r->n_notes; i++) {
		const Rota__IncidentEvent *e = r->notes[i];
		timeline_add(t, e->at_ms, xasprintf("note (%s)", str(e->note_kind)),
		             xasprintf("on run %s, %s: %s", str(run->id),
		                       e->by && e->by[0] ? e->by : "an operator", str(e->text)));
	}
}

static void
timeline_of_deliveries(review_timeline_t *t, const Rota__ShowIncidentResponse *inc)
{
	for (size_t i = 0; i < inc->n_deliveries; i++) {
		const Rota__Delivery *d = inc->deliveries[i];
		if (d->delivered_ms > 0)
			timeline_add(
			    t, d->delivered_ms, xstrdup("notification"),
			    xasprintf("%s to %s %s", str(d->kind), str(d->channel), str(d->state)));
	}
}

static void
put_timeline(FILE *f, const Rota__ShowIncidentResponse *inc, Rota__ShowRunResponse *const *runs,
             size_t n)
{
	review_timeline_t t = {0};
	timeline_of_incident(&t, inc);
	for (size_t i = 0; i < n; i++)
		timeline_of_run(&t, runs[i]);
	timeline_of_deliveries(&t, inc);
	qsort(t.items, t.count, sizeof(*t.items), item_cmp);

	fputs("## Timeline\n\n| Time (UTC) | Event | What |\n|---|---|---|\n", f);
	for (size_t i = 0; i < t.count; i++) {
		char at[FORMAT_BUF_BYTES];
		format_time(t.items[i].at_ms, at, sizeof(at));
		markdown_cell(f, at);
		markdown_cell(f, t.items[i].what);
		markdown_cell(f, t.items[i].text);
		fputs("|\n", f);
		free(t.items[i].what);
		free(t.items[i].text);
	}
	fputs("\n", f);
	free(t.items);
}

/* ---- the other sections ---- */

static void
put_head(FILE *f, const Rota__IncidentInfo *i, int64_t now_ms)
{
	char *title = markdown_text(i->title);
	fprintf(f, "# Incident review: %s: %s\n\n", str(i->id), title);
	free(title);
	fprintf(f, "**Severity:** %s  \n", format_severity(i->severity));
	fprintf(f, "**Status:** %s  \n", str(i->status));
	fputs("**Started:** ", f);
	put_time(f, i->created_ms);
	fputs("  \n**Acknowledged:** ", f);
	if (i->acked_ms > 0) {
		put_time(f, i->acked_ms);
		char *by = markdown_text(i->acked_by);
		if (by[0] != '\0')
			fprintf(f, " by %s", by);
		free(by);
	} else {
		fputs("not acknowledged", f);
	}
	fputs("  \n**Resolved:** ", f);
	if (i->resolved_ms > 0)
		put_time(f, i->resolved_ms);
	else
		fputs("not resolved", f);
	fprintf(f, "  \n**Source:** %s; runbook %s; escalation policy %s", str(i->source),
	        i->runbook && i->runbook[0] ? i->runbook : "none", str(i->policy));
	if (i->tier >= 0)
		fprintf(f, ", tier %d reached", i->tier + 1);
	fputs("\n\n| | |\n|---|---|\n| Time to acknowledge | ", f);
	if (i->acked_ms > 0)
		put_span(f, i->created_ms, i->acked_ms);
	else
		fputs("not acknowledged", f);
	fputs(" |\n| Time to resolve | ", f);
	if (i->resolved_ms > 0) {
		put_span(f, i->created_ms, i->resolved_ms);
	} else {
		fputs("open for ", f);
		put_span(f, i->created_ms, now_ms);
	}
	fputs(" |\n\n", f);
}

static void
put_runs(FILE *f, const Rota__ShowIncidentResponse *inc, Rota__ShowRunResponse *const *runs,
         size_t n)
{
	fputs("## Runs\n\n", f);
	if (inc->n_runs == 0 && n == 0) {
		fputs("No run was started for this incident.\n\n", f);
		return;
	}
	for (size_t i = 0; i < inc->n_runs; i++) {
		const Rota__RunSummary *rs = inc->runs[i];
		const Rota__ShowRunResponse *r = NULL;
		for (size_t k = 0; k < n && r == NULL; k++)
			if (runs[k]->run != NULL && strcmp(str(runs[k]->run->id), str(rs->id)) == 0)
				r = runs[k];
		fprintf(f, "### Run %s of %s: %s\n\n", str(rs->id), str(rs->runbook),
		        format_run_status(rs->status));
		fprintf(f, "%u host%s: %u ok, %u failed; started ", rs->hosts_total,
		        rs->hosts_total == 1 ? "" : "s", rs->hosts_ok, rs->hosts_failed);
		put_time(f, rs->started_ms > 0 ? rs->started_ms : rs->created_ms);
		fputs(", ended ", f);
		put_time(f, rs->ended_ms);
		fputs(".\n\n", f);
		if (r == NULL || r->n_steps == 0)
			continue;
		fputs("| Host | Step | Outcome | Started | Ended | Detail |\n"
		      "|---|---|---|---|---|---|\n",
		      f);
		for (size_t k = 0; k < r->n_steps; k++) {
			const Rota__StepRunInfo *s = r->steps[k];
			char a[FORMAT_BUF_BYTES] = "-", b[FORMAT_BUF_BYTES] = "-";
			if (s->started_ms > 0)
				format_time(s->started_ms, a, sizeof(a));
			if (s->ended_ms > 0)
				format_time(s->ended_ms, b, sizeof(b));
			char *outcome =
			    s->exit_code != 0 || s->status == ROTA__STEP_STATUS__STEP_FAILED
			        ? xasprintf("%s (exit %d)", format_step_status(s->status),
			                    s->exit_code)
			        : xstrdup(format_step_status(s->status));
			markdown_cell(f, s->host);
			markdown_cell(f, s->step_id);
			markdown_cell(f, outcome);
			markdown_cell(f, a);
			markdown_cell(f, b);
			char *detail =
			    s->approved_by && s->approved_by[0]
			        ? xasprintf("%s%sdecided by %s", str(s->detail),
			                    s->detail && s->detail[0] ? "; " : "", s->approved_by)
			        : xstrdup(str(s->detail));
			markdown_cell(f, detail);
			fputs("|\n", f);
			free(outcome);
			free(detail);
		}
		fputs("\n", f);
	}
}

static void
put_notifications(FILE *f, const Rota__ShowIncidentResponse *inc)
{
	const Rota__IncidentInfo *i = inc->incident;
	fputs("## Notifications\n\n", f);
	if (inc->n_deliveries == 0) {
		fputs("Nobody was notified.\n\n", f);
	} else {
		fputs("| Channel | Kind | Delivery | Attempts | Queued | Delivered | Last error |\n"
		      "|---|---|---|---|---|---|---|\n",
		      f);
		for (size_t k = 0; k < inc->n_deliveries; k++) {
			const Rota__Delivery *d = inc->deliveries[k];
			char a[FORMAT_BUF_BYTES] = "-", b[FORMAT_BUF_BYTES] = "-", n[16];
			if (d->created_ms > 0)
				format_time(d->created_ms, a, sizeof(a));
			if (d->delivered_ms > 0)
				format_time(d->delivered_ms, b, sizeof(b));
			snprintf(n, sizeof(n), "%u", d->attempts);
			markdown_cell(f, d->channel);
			markdown_cell(f, d->kind);
			markdown_cell(f, d->state);
			markdown_cell(f, n);
			markdown_cell(f, a);
			markdown_cell(f, b);
			markdown_cell(f, d->last_error);
			fputs("|\n", f);
		}
		fputs("\n", f);
	}
	fputs("Acknowledgements: ", f);
	if (i->acked_ms > 0) {
		char *by =
		    markdown_text(i->acked_by && i->acked_by[0] ? i->acked_by : "an operator");
		fprintf(f, "by %s at ", by);
		free(by);
		put_time(f, i->acked_ms);
		fputs(", after ", f);
		put_span(f, i->created_ms, i->acked_ms);
		fputs(".\n\n", f);
	} else {
		fputs("none.\n\n", f);
	}
}

/* The notes of the incident and its runs whose kind is kind (NULL: all),
 * a bullet each; returns how many. */
static size_t
put_notes_of(FILE *f, const Rota__ShowIncidentResponse *inc, Rota__ShowRunResponse *const *runs,
             size_t n, const char *kind)
{
	size_t shown = 0;
	for (size_t r = 0; r <= n; r++) {
		Rota__IncidentEvent *const *events = r == 0 ? inc->events : runs[r - 1]->notes;
		size_t count = r == 0 ? inc->n_events : runs[r - 1]->n_notes;
		for (size_t k = 0; k < count; k++) {
			const Rota__IncidentEvent *e = events[k];
			if (e->note_kind == NULL || e->note_kind[0] == '\0')
				continue;
			if (kind != NULL && strcmp(e->note_kind, kind) != 0)
				continue;
			char at[FORMAT_BUF_BYTES];
			format_time(e->at_ms, at, sizeof(at));
			char *text = markdown_text(e->text);
			char *by = markdown_text(e->by && e->by[0] ? e->by : "an operator");
			for (char *p = text; *p != '\0'; p++)
				if (*p == '\n')
					*p = ' ';
			if (kind == NULL)
				fprintf(f, "- %s (%s; %s, %s UTC", text, e->note_kind, by, at);
			else
				fprintf(f, "- %s (%s, %s UTC", text, by, at);
			if (r > 0 && runs[r - 1]->run != NULL)
				fprintf(f, "; on run %s", str(runs[r - 1]->run->id));
			fputs(")\n", f);
			free(text);
			free(by);
			shown++;
		}
	}
	return shown;
}

static void
put_impact(FILE *f, const Rota__ShowIncidentResponse *inc, Rota__ShowRunResponse *const *runs,
           size_t n)
{
	strlist_t hosts = {0};
	const Rota__IncidentInfo *i = inc->incident;
	for (size_t k = 0; k < i->n_hosts; k++)
		if (!strlist_has(&hosts, i->hosts[k]))
			strlist_add(&hosts, xstrdup(i->hosts[k]));
	for (size_t r = 0; r < n; r++)
		for (size_t k = 0; k < runs[r]->n_steps; k++)
			if (!strlist_has(&hosts, str(runs[r]->steps[k]->host)))
				strlist_add(&hosts, xstrdup(str(runs[r]->steps[k]->host)));
	unsigned ok = 0, failed = 0;
	for (size_t k = 0; k < inc->n_runs; k++) {
		if (inc->runs[k]->status == ROTA__RUN_STATUS__RUN_SUCCEEDED)
			ok++;
		else if (inc->runs[k]->status == ROTA__RUN_STATUS__RUN_FAILED)
			failed++;
	}
	char *joined = strlist_join_sep(&hosts, ", ", "none recorded");
	char *h = markdown_text(joined);
	fputs("## Impact\n\n", f);
	fprintf(f, "- **Hosts:** %s\n", h);
	fprintf(f, "- **Runs:** %zu (%u succeeded, %u failed)\n", inc->n_runs, ok, failed);
	fputs("- **User impact:** " TO_BE_WRITTEN "\n\n", f);
	free(h);
	free(joined);
	strlist_free(&hosts);
}

char *
incidentreview_render(const Rota__ShowIncidentResponse *inc, Rota__ShowRunResponse *const *runs,
                      size_t n, int64_t now_ms)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	if (f == NULL || inc->incident == NULL) {
		if (f != NULL)
			fclose(f);
		free(out);
		return xstrdup("");
	}
	const Rota__IncidentInfo *i = inc->incident;
	put_head(f, i, now_ms);
	put_timeline(f, inc, runs, n);
	put_runs(f, inc, runs, n);
	put_notifications(f, inc);
	fputs("## Notes\n\n", f);
	if (put_notes_of(f, inc, runs, n, NULL) == 0)
		fputs(
		    "No notes (`rota note INC-N 'TEXT' --kind action|finding|cause|prevention`).\n",
		    f);
	fputs("\n", f);
	put_impact(f, inc, runs, n);
	fputs("## Root cause\n\n", f);
	if (put_notes_of(f, inc, runs, n, "cause") == 0)
		fputs(TO_BE_WRITTEN "\n", f);
	fputs("\n## Resolution\n\n", f);
	size_t said = put_notes_of(f, inc, runs, n, "action");
	if (i->note != NULL && i->note[0] != '\0') {
		char *note = markdown_text(i->note);
		fprintf(f, "- Resolved with the note: %s\n", note);
		free(note);
		said++;
	}
	if (said == 0)
		fputs(TO_BE_WRITTEN "\n", f);
	fputs("\n## Prevention\n\n", f);
	if (put_notes_of(f, inc, runs, n, "prevention") == 0)
		fputs(TO_BE_WRITTEN "\n", f);
	fputs("\n## Lessons learned\n\n", f);
	if (put_notes_of(f, inc, runs, n, "finding") == 0)
		fputs(TO_BE_WRITTEN "\n", f);
	fclose(f);
	return out;
}
