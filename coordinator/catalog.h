/* catalog: the runbooks loaded from the coordinator's runbook directory.
 *
 * Every *.yaml / *.yml file is parsed; a file with errors is logged with
 * every error (file:line:column) and left out, and the valid ones are
 * served. Two files with the same runbook name: the first in name order
 * wins and the other is reported. */
#ifndef ROTA_CATALOG_H
#define ROTA_CATALOG_H

#include <stddef.h>

#include "runbook.h"

typedef struct {
	char *path;    /* owned */
	char *yaml;    /* owned: the text it was parsed from */
	runbook_t *rb; /* owned */
} catalog_entry_t;

typedef struct catalog catalog_t;

/* Loads dir. A missing or unreadable directory is an error (NULL, *error
 * set, the caller frees it); bad files are not. */
catalog_t *catalog_load(const char *dir, char **error);
void catalog_destroy(catalog_t **cp);
const catalog_entry_t *catalog_find(const catalog_t *c, const char *name);
size_t catalog_count(const catalog_t *c);
size_t catalog_invalid(const catalog_t *c);
/* "a, b, c" in a new string the caller frees ("none" when empty). */
char *catalog_names(const catalog_t *c);

/* Reads a whole file of at most max bytes into a new NUL-terminated buffer.
 * Returns NULL with *error set (caller frees) on failure. */
char *catalog_read_file(const char *path, size_t max, size_t *len, char **error);

#endif
