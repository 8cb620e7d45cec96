/* Temporary: the helpers runbook.h declares, until the full parser lands. */
#include <stdlib.h>
#include <string.h>

#include "runbook.h"
#include "xalloc.h"

int
runbook_step_find(const runbook_t *rb, const char *id)
{
	for (size_t i = 0; i < rb->step_count; i++) {
		if (rb->steps[i].id && strcmp(rb->steps[i].id, id) == 0)
			return (int)i;
	}
	return -1;
}

bool
runbook_step_on_coordinator(runbook_step_type_t type)
{
	return type == RUNBOOK_STEP_MANUAL || type == RUNBOOK_STEP_NOTIFY;
}

const char *
runbook_step_type_name(runbook_step_type_t type)
{
	(void)type;
	return "shell";
}

char *
runbook_param_check(const runbook_param_t *p, const char *value)
{
	(void)p;
	(void)value;
	return NULL;
}

size_t
runbook_amount_of(runbook_amount_t a, size_t total)
{
	if (a.value == 0)
		return total;
	if (!a.percent)
		return a.value;
	size_t n = (total * a.value + 99) / 100;
	return n ? n : 1;
}
