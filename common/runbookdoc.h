/* runbookdoc: a runbook rendered as a Markdown document, in the structure
 * on-call teams write their runbooks in (alert description, immediate
 * actions, investigation, resolution, prevention, escalation), then its
 * params and schedule; and the index of a library, by category.
 *
 * One renderer for every reader: the coordinator renders a runbook of its
 * catalog with its escalation policy's real tiers (`rota runbook show NAME
 * --markdown`, `rota runbook docs`, the console), the CLI a local file
 * without them (`--file`). docs/runbooks.md, "Runbooks as documents".
 *
 * Where a step goes: under its `phase`; a step without one goes with the
 * step before it (the first ones under immediate actions); a runbook none
 * of whose steps has a phase lists them all under "Steps".
 *
 * Must never: change the runbook, or put control characters of a file into
 * the document (they become '?'). */
#ifndef ROTA_RUNBOOKDOC_H
#define ROTA_RUNBOOKDOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runbook.h"

/* One tier of an escalation policy, as the coordinator's config has it;
 * every pointer borrowed for the call. */
typedef struct {
	int64_t after_ms;          /* since the incident opened */
	const char *const *notify; /* channel (or target) names */
	size_t notify_count;
	int64_t repeat_ms; /* last tier: notify again this often; 0 never */
} runbookdoc_tier_t;

/* The escalation the runbook's incidents get. NULL for render: not known
 * (a local file): the document names the policy and says where its tiers
 * are. */
typedef struct {
	const char *name; /* the policy that applies (the runbook's, else "default") */
	bool configured;  /* false: no such policy: nobody is notified */
	const runbookdoc_tier_t *tiers;
	size_t tier_count;
	/* the acknowledgement deadline of the runbook's severity: 0 none known,
	 * -1 the next business day */
	int64_t ack_due_ms;
} runbookdoc_policy_t;

/* The document, new (the caller frees). policy may be NULL. */
char *runbookdoc_render(const runbook_t *rb, const runbookdoc_policy_t *policy);

/* One line of the index of a library; every string borrowed. */
typedef struct {
	const char *name;
	const char *category;    /* NULL or "": "Uncategorized" */
	const char *description; /* may be NULL */
	const char *summary;     /* runbookdoc_summary's, may be NULL */
} runbookdoc_entry_t;

/* "P1; on alert ServiceDown" / "P3; 0 8 * * * UTC" / "by hand": what
 * starts the runbook and its severity, for an index line; new, the
 * caller's. */
char *runbookdoc_summary(const runbook_t *rb);

/* The index: a section per category (operations, monitoring, incidents,
 * deployment in that order, then others by name, then the uncategorized),
 * a line per runbook linking NAME.md. New, the caller's. */
char *runbookdoc_index(const runbookdoc_entry_t *entries, size_t n);

#endif
