/* catalog: the runbooks the coordinator serves, from its runbook directory.
 *
 * Every *.yaml / *.yml file is parsed. A valid file is served ("loaded"). A
 * file with errors never replaces a good version: if this path served one
 * before (in the previous catalog, or saved in the store from an earlier
 * start), that version goes on being served and is marked "stale" with the
 * file's errors; otherwise the file is listed as "invalid" with its errors.
 * Two files with the same runbook name: the first in name order wins and
 * the other is invalid. A runbook's `runbook` steps are expanded once
 * every file is read (runbook_expand), from the runbooks loaded: an
 * unknown one or a cycle makes the caller invalid, and a reload expands
 * again, so a called runbook's change reaches its callers. A reload builds a whole new catalog and
 * the caller swaps it in (catalog_swap), so a reload is atomic. */
#ifndef ROTA_CATALOG_H
#define ROTA_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include "runbook.h"
#include "store/store.h"

typedef struct {
	char *path;    /* owned */
	char *yaml;    /* owned: the text it was parsed from */
	runbook_t *rb; /* owned */
	char hash[17]; /* of yaml: the version */
	int64_t loaded_ms;
	char *errors; /* owned: NULL, or the file's errors when this is stale */
	/* owned: what a run of it keeps (runbook_bundle: yaml and the texts of
	 * the runbooks its runbook steps run); NULL when it runs none */
	char *bundle;
} catalog_entry_t;

typedef struct {
	char *path;   /* owned */
	char *errors; /* owned: "file:line:column: message" lines */
} catalog_problem_t;

typedef struct catalog catalog_t;

typedef struct {
	uint32_t added, changed, removed;
} catalog_diff_t;

/* Loads dir; previous (may be NULL) and the store (may be NULL) supply the
 * last good version of files that are now broken. A missing or unreadable
 * directory is an error (NULL, *error set, the caller frees); bad files are
 * not. */
catalog_t *catalog_load(const char *dir, const catalog_t *previous, store_t *store, char **error);
/* catalog_load reading and parsing the files on threads threads (0: one
 * per online CPU, at most 4; catalog_read.h): the same catalog, and the same
 * errors in the same order, whatever the number. */
catalog_t *catalog_load_threads(const char *dir, const catalog_t *previous, store_t *store,
                                unsigned threads, char **error);
void catalog_destroy(catalog_t **cp);
/* The text a run of e keeps with it (launch_t.yaml): its bundle, or its
 * yaml when it runs no other runbook. Borrowed from e. */
const char *catalog_run_yaml(const catalog_entry_t *e);
/* runbook_expand's resolver (ctx: the catalog_t): a loaded runbook's text
 * (its file's, or the last good version served for it) and its path. */
const char *catalog_resolve(void *ctx, const char *name, const char **path);
/* Reload: c takes the contents of *freshp (catalog_load's) and frees its
 * own; *freshp is destroyed and nulled. c stays the same object, so those
 * who keep a pointer to it see the new runbooks; an entry of the old ones
 * (catalog_find, catalog_at) is freed. */
void catalog_swap(catalog_t *c, catalog_t **freshp);
const catalog_entry_t *catalog_find(const catalog_t *c, const char *name);
size_t catalog_count(const catalog_t *c);
const catalog_entry_t *catalog_at(const catalog_t *c, size_t i);
size_t catalog_invalid(const catalog_t *c);
const catalog_problem_t *catalog_problem_at(const catalog_t *c, size_t i);
/* "a, b, c" in a new string the caller frees ("none" when empty). */
char *catalog_names(const catalog_t *c);
/* What changed from old (may be NULL) to new. */
catalog_diff_t catalog_diff(const catalog_t *old, const catalog_t *new_);
/* Saves the served versions in the store and forgets runbooks old served
 * that new does not. In the turn's transaction. */
int catalog_persist(const catalog_t *old, catalog_t *new_, store_t *store);
/* catalog_persist, but of the served versions only the runbooks old
 * served and new does not are forgotten now (a store that cannot be read
 * marks every row): the rows to write are marked in new_, for
 * catalog_save_some to write after the start, in slices. The catalog
 * serves from memory, so nothing it answers waits for them; a restart
 * before they are written reads the files again and writes them then. A
 * stale entry's row (its last good version) is never written. */
int catalog_persist_later(const catalog_t *old, catalog_t *new_, store_t *store);
/* Writes up to max of the marked rows, in the open transaction. A row is
 * unmarked as it is written: after a transaction that could not be
 * committed, catalog_persist_later marks again from the store. -1 when a
 * write failed. */
int catalog_save_some(catalog_t *c, store_t *store, size_t max);
/* Writes name's row now if it is still marked: a run of a runbook is
 * recorded only once its row is written, in the same transaction or an
 * earlier one. 0 when written or nothing was marked. */
int catalog_save_runbook(catalog_t *c, store_t *store, const char *name);
/* Rows still marked. */
size_t catalog_unsaved(const catalog_t *c);

/* Reads a whole file of at most max bytes into a new NUL-terminated buffer.
 * Returns NULL with *error set (caller frees) on failure. */
char *catalog_read_file(const char *path, size_t max, size_t *len, char **error);

#endif
