/* strlist: a growable list of owned strings, freed all at once. */
#ifndef ROTA_STRLIST_H
#define ROTA_STRLIST_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
	char **items; /* owned, and each item */
	size_t count;
} strlist_t;

/* Appends owned (taken). */
void strlist_add(strlist_t *l, char *owned);
void strlist_free(strlist_t *l);
bool strlist_has(const strlist_t *l, const char *s);
/* "a, b, c" in a new string the caller frees; a copy of empty when none. */
char *strlist_join(const strlist_t *l, const char *empty);
/* The same with another separator. */
char *strlist_join_sep(const strlist_t *l, const char *sep, const char *empty);
/* Appends the non-empty pieces of text cut at sep (spaces around them
 * trimmed). */
void strlist_split(strlist_t *l, const char *text, char sep);

#endif
