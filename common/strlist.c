/* strlist: see strlist.h. */
#include "strlist.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

void
strlist_add(strlist_t *l, char *owned)
{
	l->items = xrealloc(l->items, (l->count + 1) * sizeof(*l->items));
	l->items[l->count++] = owned;
}

void
strlist_free(strlist_t *l)
{
	for (size_t i = 0; i < l->count; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->count = 0;
}

bool
strlist_has(const strlist_t *l, const char *s)
{
	for (size_t i = 0; i < l->count; i++) {
		if (strcmp(l->items[i], s) == 0)
			return true;
	}
	return false;
}

char *
strlist_join(const strlist_t *l, const char *empty)
{
	if (l->count == 0)
		return xstrdup(empty);
	size_t len = 1;
	for (size_t i = 0; i < l->count; i++)
		len += strlen(l->items[i]) + 2;
	char *s = xmalloc(len);
	char *end = s; /* appended at the end: strcat would rescan, O(n^2) */
	for (size_t i = 0; i < l->count; i++) {
		if (i) {
			memcpy(end, ", ", 2);
			end += 2;
		}
		size_t n = strlen(l->items[i]);
		memcpy(end, l->items[i], n);
		end += n;
	}
	*end = '\0';
	return s;
}
