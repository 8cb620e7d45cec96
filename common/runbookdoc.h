/* runbookdoc: a runbook as a document, in the structure on-call teams
 * write their runbooks in (alert description, immediate actions,
 * investigation, resolution, prevention, escalation), then its params,
 * targets and schedule; and the index of a library, by category.
 *
 * One model, several outputs. runbookdoc_t is the document: built once
 * (runbookdoc_from_show from the coordinator's answer to a ShowRunbook
 * request, runbookdoc_new from a parsed file), then rendered as Markdown
 * (runbookdoc_markdown: `rota runbook show NAME`, `rota runbook docs`) or
 * as JSON (runbookdoc_json: `rota runbook show NAME --json`, GET
 * /v1/runbooks/NAME, which the console's runbook page draws). What goes
 * into which section is decided here, once, so every output says the
 * same thing. docs/runbooks.md, "Runbooks as documents".
 *
 * Where a step goes: under its `phase`; a step without one goes with the
 * step before it (the first ones under immediate actions); a runbook none
 * of whose steps has a phase lists them all under "Steps". What a step
 * does is its kind's phrase (runbook_step_phrase), so a new step kind is
 * documented by its own file.
 *
 * Must never: change the runbook, or put control characters of a file into
 * a Markdown document (they become '?'; JSON escapes them). */
#ifndef ROTA_RUNBOOKDOC_H
#define ROTA_RUNBOOKDOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"
#include "rota.pb-c.h"
#include "runbook.h"

/* One tier of an escalation policy, as the coordinator's config has it;
 * every pointer borrowed. */
typedef struct {
	int64_t after_ms;          /* since the incident opened */
	const char *const *notify; /* channel names, "oncall:ROTATION" */
	size_t notify_count;
	int64_t repeat_ms;  /* last tier: notify again this often; 0 never */
	uint8_t severities; /* bit s: for incidents of severity Ps; 0 every one */
} runbookdoc_tier_t;

/* The escalation the runbook's incidents get. */
typedef struct {
	const char *name; /* the policy that applies (the runbook's, else "default") */
	bool configured;  /* false: no such policy: nobody is notified */
	const runbookdoc_tier_t *tiers;
	size_t tier_count;
	/* the acknowledgement deadline of the runbook's severity: 0 none known,
	 * -1 the next business day */
	int64_t ack_due_ms;
	bool until_resolved; /* the climb goes on past an acknowledgement */
} runbookdoc_policy_t;

/* The section of a document steps are shown under, in order. */
typedef struct {
	runbook_phase_t phase; /* NONE: "Steps", the runbook gives no phase */
	const char *key;       /* "immediate" ... "verify", "steps" */
	const char *title;     /* "Immediate actions" ... */
} runbookdoc_section_t;

/* The document. Every pointer is borrowed from what it was built from,
 * or owned by it (said beside each); runbookdoc_free frees it. */
typedef struct {
	const Rota__RunbookInfo *info; /* the coordinator's summary; NULL for a file */
	const runbook_t *rb;           /* NULL: the file is invalid */
	const char *lint;              /* "file:line:column: message" lines; NULL none */
	bool policy_known;             /* false: a file read without the coordinator */
	runbookdoc_policy_t policy;
	const Rota__ScheduleInfo *schedule; /* next fire times; NULL none known */
	runbook_phase_t *phases;            /* owned: the phase each step is shown under */
	bool phased;                        /* some step gives a phase */
	/* owned storage behind the borrowed pointers above */
	runbook_t *own_rb;
	runbookdoc_tier_t *own_tiers;
	const char **own_notify;
} runbookdoc_t;

/* The document of a parsed runbook, without the coordinator (policy NULL:
 * not known: the document names the policy and says where its tiers
 * are). rb and policy's pointers are borrowed for the document's life. */
runbookdoc_t *runbookdoc_new(const runbook_t *rb, const runbookdoc_policy_t *policy);
/* The document of the coordinator's answer (borrowed for the document's
 * life): its YAML parsed, its policy, schedule and lint errors. */
runbookdoc_t *runbookdoc_from_show(const Rota__ShowRunbookResponse *show);
void runbookdoc_free(runbookdoc_t **doc);

/* The sections of the steps, in order (phased or not); *n set. */
const runbookdoc_section_t *runbookdoc_sections(const runbookdoc_t *doc, size_t *n);
/* Whether the tier applies to the runbook's incidents (its severity). */
bool runbookdoc_tier_applies(const runbookdoc_t *doc, const runbookdoc_tier_t *t);

/* The document as Markdown, new (the caller frees). */
char *runbookdoc_markdown(const runbookdoc_t *doc);
/* The document's members as JSON into the object open in j
 * (docs/http-api.md, GET /v1/runbooks/NAME). */
void runbookdoc_json(json_t *j, const runbookdoc_t *doc);

/* runbookdoc_new, runbookdoc_markdown, runbookdoc_free in one. */
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
