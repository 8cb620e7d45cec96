/* catalog: runbooks by name, loaded from a directory at start.
 *
 * Entries are kept in file name order (what `rota runbooks` lists) and
 * found through two hash indexes, by runbook name and by path: a catalog of
 * 100,000 runbooks was O(N^2) string compares to load with a linear
 * catalog_find (two minutes), and every submit of a loaded runbook looks
 * its name up. A catalog never changes once loaded (a reload builds a new
 * one), so the indexes are sized once and never grow or delete. */
#include "catalog.h"
#include "catalog_read.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "file.h"
#include "fnv.h"
#include "log.h"
#include "strlist.h"
#include "xalloc.h"

typedef struct {
	uint32_t entry; /* index + 1; 0: empty */
	uint32_t hash;  /* the key's fnv_add, cut to 32 bits */
} catalog_slot_t;

struct catalog {
	catalog_entry_t *entries; /* owned, in file name order */
	size_t count;
	/* Open addressing, linear probing; a slot holds an entry's index + 1
	 * (0 is empty) and the key's hash, so a probe that passes another key
	 * compares two numbers, not two strings reached through the entry (a
	 * cache miss each at 100,000 runbooks). index_cap is a power of two at
	 * least twice the files. */
	catalog_slot_t *by_name; /* owned */
	catalog_slot_t *by_path; /* owned */
	size_t index_cap;
	catalog_problem_t *problems; /* owned */
	size_t invalid;
	/* Rows not yet written to the store (catalog_persist_later): per
	 * entry, CATALOG_SAVE_* bits; NULL when none is pending. */
	uint8_t *unsaved; /* owned */
	size_t unsaved_count;
	size_t unsaved_next; /* where the next slice looks first */
};

/* The entry's row is to be written (store_runbook_put). */
#define CATALOG_SAVE_PUT 1
/* Rows of other names saved from its path are to be deleted. */
#define CATALOG_SAVE_FORGET 2

/* file_read_all: open(2) and read(2), not stdio (file.c says why). */
char *
catalog_read_file(const char *path, size_t max, size_t *len, char **error)
{
	struct stat sb;
	char *buf = NULL; /* owned: returned */
	/* A file created and then read has its access time written (relatime
	 * writes it once after each change): at a start over 100,000 new
	 * runbooks, one inode made dirty and journalled each. */
	switch (file_read_all(path, max, FILE_NOATIME, &buf, len, &sb)) {
	case FILE_OK:
		return buf;
	case FILE_ERR_OPEN:
		*error = xasprintf("%s: cannot open: %s", path, strerror(errno));
		return NULL;
	case FILE_ERR_STAT:
	case FILE_ERR_NOT_REGULAR:
		*error = xasprintf("%s: not a regular file", path);
		return NULL;
	case FILE_ERR_TOO_LARGE:
		*error = xasprintf("%s: %lld bytes is larger than the limit of %zu", path,
		                   (long long)sb.st_size, max);
		return NULL;
	case FILE_ERR_READ:
		break;
	}
	*error = xasprintf("%s: read error: %s", path, strerror(errno));
	return NULL;
}

static int
catalog_is_yaml(const char *name)
{
	size_t n = strlen(name);
	if (name[0] == '.')
		return 0;
	return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
	       (n > 4 && strcmp(name + n - 4, ".yml") == 0);
}

static int
catalog_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
catalog_hash(const char *text, char out[17])
{
	/* A version tag for `rota runbooks`. */
	snprintf(out, 17, "%016llx", (unsigned long long)fnv_add(FNV_START, text));
}

/* The slot of key in table: the entry's, or the empty one where it would
 * go (*hash: what catalog_set keeps there). by_name compares runbook
 * names, else paths. */
static size_t
catalog_slot(const catalog_t *c, const catalog_slot_t *table, bool by_name, const char *key,
             uint32_t *hash)
{
	size_t mask = c->index_cap - 1, h = (size_t)fnv_add(FNV_START, key);
	*hash = (uint32_t)h;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		if (table[i].entry == 0)
			return i;
		if (table[i].hash != *hash)
			continue;
		const catalog_entry_t *e = &c->entries[table[i].entry - 1];
		if (strcmp(by_name ? e->rb->name : e->path, key) == 0)
			return i;
	}
}

/* The entry at index i (of c->entries) found under key from now on. */
static void
catalog_set(const catalog_t *c, catalog_slot_t *table, bool by_name, const char *key, size_t i)
{
	uint32_t hash;
	size_t slot = catalog_slot(c, table, by_name, key, &hash);
	table[slot] = (catalog_slot_t){.entry = (uint32_t)(i + 1), .hash = hash};
}

/* The entry found under key in table, or NULL. */
static const catalog_entry_t *
catalog_get(const catalog_t *c, const catalog_slot_t *table, bool by_name, const char *key)
{
	if (c == NULL || c->index_cap == 0)
		return NULL;
	uint32_t hash;
	size_t slot = catalog_slot(c, table, by_name, key, &hash);
	return table[slot].entry ? &c->entries[table[slot].entry - 1] : NULL;
}

static const catalog_entry_t *
catalog_find_path(const catalog_t *c, const char *path)
{
	return c != NULL ? catalog_get(c, c->by_path, false, path) : NULL;
}

static void
catalog_add_problem(catalog_t *c, const char *path, char *errors)
{
	c->problems = xrealloc(c->problems, (c->invalid + 1) * sizeof(*c->problems));
	c->problems[c->invalid].path = xstrdup(path);
	c->problems[c->invalid].errors = errors;
	c->invalid++;
}

/* The last good version of a file that is broken now, from the previous
 * catalog or the store: parsed again, since it is served again. */
static bool
catalog_last_good(const char *path, const catalog_t *previous, store_t *store, char **yaml,
                  int64_t *loaded_ms)
{
	const catalog_entry_t *was = catalog_find_path(previous, path);
	if (was != NULL) {
		*yaml = xstrdup(was->yaml);
		*loaded_ms = was->loaded_ms;
		return true;
	}
	char *name = NULL, *hash = NULL;
	if (store && store_runbook_by_path(store, path, &name, &hash, yaml, loaded_ms) == 0) {
		free(name);
		free(hash);
		return true;
	}
	return false;
}

/* Adds the file at path, read and parsed (r, whose text and runbook it
 * takes): served, stale, or a problem. */
static void
catalog_add_file(catalog_t *c, const char *path, catalog_read_t *r, const catalog_t *previous,
                 store_t *store)
{
	char *text = r->text, *errors = r->errors;
	runbook_t *rb = r->rb;
	*r = (catalog_read_t){.warnings = r->warnings};
	if (r->warnings != NULL)
		/* Valid, and loaded; said as rota lint says it. */
		log_warn("runbook %s loaded with warnings:\n%s", path, r->warnings);
	catalog_read_clear(r);
	int64_t loaded_ms = clock_wall_ms();
	if (rb == NULL) {
		char *good = NULL;
		if (catalog_last_good(path, previous, store, &good, &loaded_ms)) {
			runbook_errors_t errs = {0};
			rb = runbook_parse_string(good, strlen(good), path, &errs);
			runbook_errors_clear(&errs);
			char *skip_err = NULL;
			if (rb != NULL && runbook_skip_file_load(rb, path, &skip_err) != 0) {
				log_error("runbook %s: its last good version's %s", path, skip_err);
				free(skip_err);
			}
		}
		free(text);
		text = good;
		if (rb == NULL) {
			log_error("runbook %s is invalid and was not loaded:\n%s", path, errors);
			catalog_add_problem(c, path, errors);
			free(text);
			return;
		}
		log_error("runbook %s is invalid; still serving its last good version:\n%s", path,
		          errors);
	} else {
		/* Paths are unique in a catalog: one entry at most. */
		const catalog_entry_t *was = catalog_find_path(previous, path);
		if (was != NULL && strcmp(was->yaml, text) == 0)
			loaded_ms = was->loaded_ms;
	}
	const catalog_entry_t *dup = catalog_get(c, c->by_name, true, rb->name);
	if (dup != NULL) {
		char *msg = xasprintf("%s: runbook name '%s' is already used by %s; not loaded\n",
		                      path, rb->name, dup->path);
		log_error("%s", msg);
		catalog_add_problem(c, path, msg);
		runbook_destroy(&rb);
		free(text);
		free(errors);
		return;
	}
	catalog_entry_t *e = &c->entries[c->count++];
	e->path = xstrdup(path);
	e->yaml = text;
	e->rb = rb;
	e->errors = errors;
	e->loaded_ms = loaded_ms;
	catalog_hash(text, e->hash);
	catalog_set(c, c->by_name, true, rb->name, c->count - 1);
	/* Directory entries have unique names, so the path is new. */
	catalog_set(c, c->by_path, false, e->path, c->count - 1);
}

/* The indexes again, after entries were removed. */
static void
catalog_reindex(catalog_t *c)
{
	memset(c->by_name, 0, c->index_cap * sizeof(*c->by_name));
	memset(c->by_path, 0, c->index_cap * sizeof(*c->by_path));
	for (size_t i = 0; i < c->count; i++) {
		catalog_set(c, c->by_name, true, c->entries[i].rb->name, i);
		catalog_set(c, c->by_path, false, c->entries[i].path, i);
	}
}

const char *
catalog_resolve(void *ctx, const char *name, const char **path)
{
	const catalog_entry_t *e = catalog_find(ctx, name);
	if (e == NULL)
		return NULL;
	*path = e->path;
	return e->yaml;
}

/* Expands e's runbook steps. On an error e serves the version previous
 * served (stale, with the errors), or is an invalid file: *remove set
 * (catalog_expand_all takes it out). */
static void
catalog_expand(catalog_t *c, catalog_entry_t *e, const catalog_t *previous, runbook_t **dropped,
               bool *remove)
{
	runbook_errors_t errs = {0};
	if (runbook_expand(e->rb, catalog_resolve, c, &errs) == 0) {
		e->bundle = runbook_bundle(e->rb, e->yaml);
		catalog_hash(e->bundle, e->hash); /* a called runbook's change is a new version */
		runbook_errors_clear(&errs);
		return;
	}
	char *errors = runbook_errors_format(&errs);
	runbook_errors_clear(&errs);
	const catalog_entry_t *was = catalog_find_path(previous, e->path);
	runbook_t *rb = NULL;
	if (was != NULL && strcmp(was->rb->name, e->rb->name) == 0) {
		const char *text = catalog_run_yaml(was);
		rb = runbook_parse_string(text, strlen(text), e->path, &errs);
		runbook_errors_clear(&errs);
	}
	/* Destroyed after the loop: its name is still in the index. */
	*dropped = e->rb;
	if (rb != NULL) {
		log_error("runbook %s is invalid; still serving its last good version:\n%s",
		          e->path, errors);
		e->rb = rb;
		free(e->yaml);
		e->yaml = xstrdup(was->yaml);
		e->bundle = was->bundle != NULL ? xstrdup(was->bundle) : NULL;
		memcpy(e->hash, was->hash, sizeof(e->hash));
		e->loaded_ms = was->loaded_ms;
		free(e->errors);
		e->errors = errors;
		return;
	}
	log_error("runbook %s is invalid and was not loaded:\n%s", e->path, errors);
	catalog_add_problem(c, e->path, errors);
	/* Kept until every entry is expanded: a runbook calling this one is
	 * told what is wrong with it, whatever the order. */
	*remove = true;
}

/* Every entry's runbook steps expanded, once all files are in. */
static void
catalog_expand_all(catalog_t *c, const catalog_t *previous)
{
	runbook_t **dropped = xcalloc(c->count + 1, sizeof(*dropped));
	bool *remove = xcalloc(c->count + 1, sizeof(*remove));
	size_t removed = 0;
	for (size_t i = 0; i < c->count; i++)
		if (runbook_has_calls(c->entries[i].rb))
			catalog_expand(c, &c->entries[i], previous, &dropped[i], &remove[i]);
	size_t k = 0;
	for (size_t i = 0; i < c->count; i++) {
		catalog_entry_t *e = &c->entries[i];
		if (remove[i]) {
			/* Its rb is the dropped one. */
			free(e->path);
			free(e->yaml);
			free(e->errors);
			removed++;
		} else {
			c->entries[k++] = *e;
		}
		runbook_destroy(&dropped[i]);
	}
	c->count = k;
	free(dropped);
	free(remove);
	if (removed > 0)
		catalog_reindex(c);
}

catalog_t *
catalog_load(const char *dir, const catalog_t *previous, store_t *store, char **error)
{
	return catalog_load_threads(dir, previous, store, 0, error);
}

catalog_t *
catalog_load_threads(const char *dir, const catalog_t *previous, store_t *store, unsigned threads,
                     char **error)
{
	DIR *d = opendir(dir);
	if (d == NULL) {
		*error = xasprintf("runbook directory %s: %s", dir, strerror(errno));
		return NULL;
	}
	char **names = NULL;
	size_t n = 0, cap = 0, longest = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (!catalog_is_yaml(de->d_name))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			names = xrealloc(names, cap * sizeof(*names));
		}
		names[n] = xstrdup(de->d_name);
		size_t len = strlen(names[n++]);
		if (len > longest)
			longest = len;
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(*names), catalog_cmp);

	catalog_t *c = xcalloc(1, sizeof(*c));
	c->entries = xcalloc(n + 1, sizeof(*c->entries));
	c->index_cap = 16;
	while (c->index_cap < 2 * (n + 1))
		c->index_cap *= 2;
	c->by_name = xcalloc(c->index_cap, sizeof(*c->by_name));
	c->by_path = xcalloc(c->index_cap, sizeof(*c->by_path));
	/* Each file's path made in one buffer: "dir/" is written once. */
	size_t dirlen = strlen(dir);
	char *path = xmalloc(dirlen + longest + 2);
	memcpy(path, dir, dirlen);
	path[dirlen] = '/';
	/* Read and parsed on threads first; then taken in file name order
	 * here, where the store, the previous catalog and the log are. */
	catalog_read_t *read = xcalloc(n + 1, sizeof(*read));
	catalog_read_all(dir, names, n, threads, read);
	for (size_t i = 0; i < n; i++) {
		memcpy(path + dirlen + 1, names[i], strlen(names[i]) + 1); /* <= longest + 1 */
		catalog_add_file(c, path, &read[i], previous, store);
		free(names[i]);
	}
	free(read);
	free(path);
	free(names);
	catalog_expand_all(c, previous);
	/* A stale file (invalid, its last good version served) is invalid
	 * too: counted as `rota reload` and `rota runbooks` count it. */
	size_t stale = 0;
	for (size_t i = 0; i < c->count; i++)
		stale += c->entries[i].errors != NULL;
	if (stale > 0)
		log_info("loaded %zu runbook(s) from %s (%zu invalid, %zu of them served from"
		         " their last good version)",
		         c->count, dir, c->invalid + stale, stale);
	else
		log_info("loaded %zu runbook(s) from %s (%zu invalid)", c->count, dir, c->invalid);
	return c;
}

void
catalog_destroy(catalog_t **cp)
{
	catalog_t *c = *cp;
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->count; i++) {
		free(c->entries[i].path);
		free(c->entries[i].yaml);
		free(c->entries[i].errors);
		free(c->entries[i].bundle);
		runbook_destroy(&c->entries[i].rb);
	}
	for (size_t i = 0; i < c->invalid; i++) {
		free(c->problems[i].path);
		free(c->problems[i].errors);
	}
	free(c->problems);
	free(c->unsaved);
	free(c->entries);
	free(c->by_name);
	free(c->by_path);
	free(c);
	*cp = NULL;
}

const char *
catalog_run_yaml(const catalog_entry_t *e)
{
	return e->bundle != NULL ? e->bundle : e->yaml;
}

void
catalog_swap(catalog_t *c, catalog_t **freshp)
{
	catalog_t old = *c;
	*c = **freshp;
	**freshp = old;
	catalog_destroy(freshp);
}

const catalog_entry_t *
catalog_find(const catalog_t *c, const char *name)
{
	return catalog_get(c, c->by_name, true, name);
}

size_t
catalog_count(const catalog_t *c)
{
	return c->count;
}

const catalog_entry_t *
catalog_at(const catalog_t *c, size_t i)
{
	return i < c->count ? &c->entries[i] : NULL;
}

size_t
catalog_invalid(const catalog_t *c)
{
	return c->invalid;
}

const catalog_problem_t *
catalog_problem_at(const catalog_t *c, size_t i)
{
	return i < c->invalid ? &c->problems[i] : NULL;
}

char *
catalog_names(const catalog_t *c)
{
	strlist_t names = {0};
	for (size_t i = 0; i < c->count; i++)
		strlist_add(&names, xstrdup(c->entries[i].rb->name));
	char *s = strlist_join(&names, "none");
	strlist_free(&names);
	return s;
}

catalog_diff_t
catalog_diff(const catalog_t *old, const catalog_t *new_)
{
	catalog_diff_t d = {0};
	for (size_t i = 0; i < new_->count; i++) {
		const catalog_entry_t *was =
		    old ? catalog_find(old, new_->entries[i].rb->name) : NULL;
		if (was == NULL)
			d.added++;
		else if (strcmp(was->hash, new_->entries[i].hash) != 0)
			d.changed++;
	}
	for (size_t i = 0; old && i < old->count; i++) {
		if (catalog_find(new_, old->entries[i].rb->name) == NULL)
			d.removed++;
	}
	return d;
}

/* What the store holds already, read in one statement (catalog_persist):
 * per entry of the new catalog, whether its row is saved as it is, and
 * whether its path is saved under another name too. */
typedef struct {
	const catalog_t *c;
	bool *same;     /* owned by catalog_persist */
	bool *path_was; /* owned by catalog_persist */
} catalog_stored_t;

static void
catalog_stored_row(void *ctx, const char *name, const char *path, const char *hash)
{
	catalog_stored_t *st = ctx;
	const catalog_entry_t *e = catalog_find(st->c, name);
	if (e != NULL && strcmp(e->hash, hash) == 0 && strcmp(e->path, path) == 0)
		st->same[e - st->c->entries] = true;
	const catalog_entry_t *p = catalog_find_path(st->c, path);
	if (p != NULL && strcmp(p->rb->name, name) != 0)
		st->path_was[p - st->c->entries] = true;
}

/* The saved rows are read first so that a start over an unchanged
 * directory writes nothing, and a first start only inserts: the upsert of
 * a row saved as it is changes nothing (its WHERE), and the delete of
 * other names on a path finds none unless the store has one (paths are
 * unique in a catalog, so no earlier save can give a row this path). At
 * 100,000 runbooks that was 200,000 statements at each start. What is to
 * be written is only marked here (catalog_save_some writes it): the rows
 * are what a later start reads, never what this one serves from. */
int
catalog_persist_later(const catalog_t *old, catalog_t *new_, store_t *store)
{
	int rc = 0;
	catalog_stored_t st = {
	    .c = new_,
	    .same = xcalloc(new_->count + 1, sizeof(bool)),
	    .path_was = xcalloc(new_->count + 1, sizeof(bool)),
	};
	if (new_->count > 0 && store_runbook_list(store, catalog_stored_row, &st) != 0) {
		/* Unknown: every row written, as before. */
		rc = -1;
		for (size_t i = 0; i < new_->count; i++)
			st.same[i] = false, st.path_was[i] = true;
	}
	free(new_->unsaved);
	new_->unsaved = xcalloc(new_->count + 1, 1);
	new_->unsaved_count = 0;
	new_->unsaved_next = 0;
	for (size_t i = 0; i < new_->count; i++) {
		if (new_->entries[i].errors != NULL)
			continue; /* stale: the store keeps its last good version */
		new_->unsaved[i] = (uint8_t)((st.same[i] ? 0 : CATALOG_SAVE_PUT) |
		                             (st.path_was[i] ? CATALOG_SAVE_FORGET : 0));
		new_->unsaved_count += new_->unsaved[i] != 0;
	}
	free(st.same);
	free(st.path_was);
	for (size_t i = 0; old && i < old->count; i++) {
		const char *name = old->entries[i].rb->name;
		if (catalog_find(new_, name) == NULL && store_runbook_delete(store, name) != 0)
			rc = -1;
	}
	return rc;
}

/* Writes entry i's pending rows; its bits are cleared only once written. */
static int
catalog_save_entry(catalog_t *c, size_t i, store_t *store)
{
	const catalog_entry_t *e = &c->entries[i];
	uint8_t *bits = &c->unsaved[i];
	if ((*bits & CATALOG_SAVE_PUT) &&
	    store_runbook_put(store, e->rb->name, e->path, e->hash, e->yaml, e->loaded_ms) != 0)
		return -1;
	*bits &= (uint8_t)~CATALOG_SAVE_PUT;
	if ((*bits & CATALOG_SAVE_FORGET) &&
	    store_runbook_forget_path(store, e->path, e->rb->name) != 0)
		return -1;
	*bits = 0;
	c->unsaved_count--;
	return 0;
}

int
catalog_save_some(catalog_t *c, store_t *store, size_t max)
{
	for (size_t done = 0; c->unsaved_count > 0 && done < max; c->unsaved_next++) {
		size_t i = c->unsaved_next;
		if (c->unsaved[i] == 0)
			continue;
		if (catalog_save_entry(c, i, store) != 0)
			return -1;
		done++;
	}
	return 0;
}

int
catalog_save_runbook(catalog_t *c, store_t *store, const char *name)
{
	if (c->unsaved_count == 0)
		return 0;
	const catalog_entry_t *e = catalog_find(c, name);
	if (e == NULL || c->unsaved[e - c->entries] == 0)
		return 0;
	return catalog_save_entry(c, (size_t)(e - c->entries), store);
}

size_t
catalog_unsaved(const catalog_t *c)
{
	return c->unsaved_count;
}

int
catalog_persist(const catalog_t *old, catalog_t *new_, store_t *store)
{
	int rc = catalog_persist_later(old, new_, store);
	if (catalog_save_some(new_, store, SIZE_MAX) != 0)
		rc = -1;
	return rc;
}
