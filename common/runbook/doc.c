/* runbook/doc: the documentation keys, which make a runbook readable as a
 * document (runbookdoc.h renders it): the runbook's alert, prevention,
 * escalation_notes and category, and a step's description and phase.
 *
 * Must never: let one of them change how a run goes; they are only read
 * by the renderer and listed in the catalog. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* In the order of runbook_phase_t, from RUNBOOK_PHASE_IMMEDIATE. */
static const char *const names_phase[] = {"immediate", "investigate", "resolve", "verify"};

const char *const runbook_categories[RUNBOOK_CATEGORY_COUNT] = {
    "operations",
    "monitoring",
    "incidents",
    "deployment",
};

#define CATEGORY_MAX_LEN 40
#define CHARS_CATEGORY "abcdefghijklmnopqrstuvwxyz0123456789-"

const char *
runbook_phase_name(runbook_phase_t phase)
{
	if (phase <= RUNBOOK_PHASE_NONE || phase >= RUNBOOK_PHASE_COUNT)
		return "";
	return names_phase[phase - 1];
}

/* Text that says something: a string that is not blank. */
static char *
want_prose(check_t *c, const yamltree_node_t *v, const char *key)
{
	char *text = runbook_want_string(c, v, key);
	if (text != NULL && text[strspn(text, " \t\r\n")] == '\0') {
		yamltree_report_add(c->r, v->mark, "'%s' is blank; write what it says or remove it",
		                    key);
		free(text);
		return NULL;
	}
	return text;
}

/* A category is a section of the library's index: a lower-case name. One
 * rota does not know is allowed (a team's own section) but warned about,
 * since a typo would make a section of one. */
static void
check_category(check_t *c, const yamltree_node_t *v)
{
	char *name = runbook_want_string(c, v, "category");
	if (name == NULL)
		return;
	if (!runbook_name_valid(name, CHARS_CATEGORY, CATEGORY_MAX_LEN, false)) {
		yamltree_report_add(
		    c->r, v->mark,
		    "'category' must be a lower-case name (1 to %d of a-z 0-9 -) such as "
		    "operations, monitoring, incidents or deployment, not '%s'",
		    CATEGORY_MAX_LEN, yamltree_shown(name).s);
		free(name);
		return;
	}
	bool known = false;
	for (size_t i = 0; i < RUNBOOK_CATEGORY_COUNT && !known; i++)
		known = strcmp(name, runbook_categories[i]) == 0;
	if (!known)
		yamltree_report_add(
		    c->warn, v->mark,
		    "category '%s' is not one of operations, monitoring, incidents, "
		    "deployment: it will have a section of its own in the index",
		    yamltree_shown(name).s);
	c->rb->category = name;
}

void
runbook_check_doc(check_t *c, const yamltree_node_t *root)
{
	runbook_t *rb = c->rb;
	const yamltree_node_t *v;

	if ((v = yamltree_map_get(root, "alert")) != NULL)
		rb->alert = want_prose(c, v, "alert");
	if ((v = yamltree_map_get(root, "prevention")) != NULL)
		rb->prevention = want_prose(c, v, "prevention");
	if ((v = yamltree_map_get(root, "escalation_notes")) != NULL)
		rb->escalation_notes = want_prose(c, v, "escalation_notes");
	if ((v = yamltree_map_get(root, "category")) != NULL)
		check_category(c, v);
}

void
runbook_check_step_doc(check_t *c, const yamltree_node_t *step, runbook_step_t *s)
{
	const yamltree_node_t *v;

	if ((v = yamltree_map_get(step, "description")) != NULL)
		s->description = want_prose(c, v, "description");
	if ((v = yamltree_map_get(step, "phase")) != NULL) {
		int index;
		if (runbook_want_enum(c, v, "phase", names_phase, COUNT_OF(names_phase), &index) ==
		    0)
			s->phase = (runbook_phase_t)(index + 1);
	}
}
