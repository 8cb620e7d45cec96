/* notekind: the kinds of note (see notekind.h). */
#include "notekind.h"

#include <string.h>

/* What was done, what was found, why it happened, what stops it again. */
static const char *const notekind_names[] = {"action", "finding", "cause", "prevention"};

bool
notekind_valid(const char *kind)
{
	for (size_t i = 0; kind != NULL && i < sizeof(notekind_names) / sizeof(notekind_names[0]);
	     i++)
		if (strcmp(kind, notekind_names[i]) == 0)
			return true;
	return false;
}

const char *
notekind_choices(void)
{
	return "action, finding, cause or prevention";
}
