/* strlist: see strlist.h. */
#include "strlist.h"

#include <ctype.h>
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
	return strlist_join_sep(l, ", ", empty);
}

char *
strlist_join_sep(const strlist_t *l, const char *sep, const char *empty)
{
	if (l->count == 0)
		return xstrdup(empty);
	size_t len = 1;
	for (size_t i = 0; i < l->count; i++)
		len += strlen(l->items[i]) + strlen(sep);
	char *s = xmalloc(len);
	char *end = s; /* appended at the end: strcat would rescan, O(n^2) */
	for (size_t i = 0; i < l->count; i++) {
		if (i) {
			size_t m = strlen(sep);
			memcpy(end, sep, m);
			end += m;
		}
		size_t n = strlen(l->items[i]);
		memcpy(end, l->items[i], n);
		end += n;
	}
	*end = '\0';
	return s;
}

void
strlist_split(strlist_t *l, const char *text, char sep)
{
	while (text != NULL && *text) {
		const char *end = strchr(text, sep);
		const char *stop = end ? end : text + strlen(text);
		while (text < stop && isspace((unsigned char)*text))
			text++;
		const char *last = stop;
		while (last > text && isspace((unsigned char)last[-1]))
			last--;
		if (last > text)
			strlist_add(l, xstrndup(text, (size_t)(last - text)));
		text = end ? end + 1 : NULL;
	}
}
