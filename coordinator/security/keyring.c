/* keyring: authorized_workers/ and operators.yaml (see keyring.h).
 *
 * Must never: half-load (a reload that fails leaves the caller's keyring
 * as it was), or trust a name it did not validate: names become ZAP user
 * ids and log text. */
#include "keyring.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xalloc.h"
#include "yamltree.h"

/* operators.yaml is a short list; more is a mistake (or an attack on
 * memory), and the parser stops there. */
#define KEYRING_OPERATORS_MAX 10000
#define KEYRING_WORKERS_MAX 100000
#define KEYRING_OPERATORS_FILE_MAX_BYTES (4 * 1024 * 1024)

struct keyring {
	keyring_entry_t *workers; /* owned */
	size_t n_workers;
	keyring_entry_t *operators; /* owned */
	size_t n_operators;
};

const char *
keyring_role_name(keyring_role_t role)
{
	switch (role) {
	case KEYRING_ROLE_VIEWER:
		return "viewer";
	case KEYRING_ROLE_OPERATOR:
		return "operator";
	case KEYRING_ROLE_ADMIN:
		return "admin";
	default:
		return "none";
	}
}

int
keyring_role_parse(const char *name, keyring_role_t *out)
{
	if (strcmp(name, "viewer") == 0)
		*out = KEYRING_ROLE_VIEWER;
	else if (strcmp(name, "operator") == 0)
		*out = KEYRING_ROLE_OPERATOR;
	else if (strcmp(name, "admin") == 0)
		*out = KEYRING_ROLE_ADMIN;
	else
		return -1;
	return 0;
}

void
keyring_entries_free(keyring_entry_t *entries, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(entries[i].name);
	free(entries);
}

void
keyring_destroy(keyring_t **kp)
{
	keyring_t *k = *kp;
	if (k == NULL)
		return;
	keyring_entries_free(k->workers, k->n_workers);
	keyring_entries_free(k->operators, k->n_operators);
	free(k);
	*kp = NULL;
}

/* ---- operators.yaml ------------------------------------------------------ */

/* Every problem of the file is reported (yamltree_report_add) and reading
 * goes on with the next operator, so one pass shows them all. */

static const char *
keyring_scalar(const yamltree_node_t *n)
{
	return n != NULL && n->kind == YAMLTREE_SCALAR ? n->text : NULL;
}

/* One item of the operators list into e; -1 after reporting why. */
static int
keyring_parse_operator(yamltree_report_t *r, const yamltree_node_t *item, keyring_entry_t *e)
{
	if (item->kind != YAMLTREE_MAPPING) {
		yamltree_report_add(r, item->mark,
		                    "an operator is a mapping with name, key and role");
		return -1;
	}
	const char *name = NULL, *key = NULL, *role = NULL, *adhoc = NULL;
	const yamltree_node_t *name_node = item, *key_node = item, *role_node = item,
	                      *adhoc_node = item;
	int rc = 0;
	for (size_t i = 0; i + 1 < item->count; i += 2) {
		const yamltree_node_t *k = item->kids[i];
		const yamltree_node_t *v = item->kids[i + 1];
		const char *ks = keyring_scalar(k);
		const char *vs = keyring_scalar(v);
		const char **slot = NULL;
		const yamltree_node_t **slot_node = NULL;
		if (strcmp(ks, "name") == 0) {
			slot = &name;
			slot_node = &name_node;
		} else if (strcmp(ks, "key") == 0) {
			slot = &key;
			slot_node = &key_node;
		} else if (strcmp(ks, "role") == 0) {
			slot = &role;
			slot_node = &role_node;
		} else if (strcmp(ks, "adhoc") == 0) {
			slot = &adhoc;
			slot_node = &adhoc_node;
		} else {
			yamltree_report_add(
			    r, k->mark,
			    "unknown field '%s' (an operator has name, key, role and"
			    " optionally adhoc)",
			    ks);
			rc = -1;
			continue;
		}
		if (*slot != NULL) {
			yamltree_report_add(r, k->mark, "'%s' given twice", ks);
			rc = -1;
			continue;
		}
		if (vs == NULL) {
			yamltree_report_add(r, v->mark, "'%s' must be a single value", ks);
			rc = -1;
			continue;
		}
		*slot = vs;
		*slot_node = v;
	}
	if (rc != 0)
		return -1;
	if (name == NULL || key == NULL || role == NULL) {
		yamltree_report_add(r, item->mark, "an operator needs %s",
		                    name == NULL ? "a name"
		                    : key == NULL
		                        ? "a key (its public key, as rota keygen prints it)"
		                        : "a role: viewer, operator or admin");
		return -1;
	}
	if (!keys_valid_name(name)) {
		yamltree_report_add(r, name_node->mark,
		                    "operator name '%s': use 1 to 128 letters, digits, '-', '_' or"
		                    " '.'",
		                    yamltree_shown(name).s);
		rc = -1;
	}
	if (keys_decode(key, e->key) != 0) {
		yamltree_report_add(r, key_node->mark,
		                    "the key of '%s' is not a CURVE public key (40 Z85 characters,"
		                    " as in NAME.key from rota keygen)",
		                    yamltree_shown(name).s);
		rc = -1;
	}
	if (keyring_role_parse(role, &e->role) != 0) {
		yamltree_report_add(r, role_node->mark, "role '%s': use viewer, operator or admin",
		                    yamltree_shown(role).s);
		return -1;
	}
	/* Submitting a file runs what the caller wrote, past every runbook's
	 * allowed_operators: an admin's by default, anyone else's only when
	 * granted. */
	e->adhoc = e->role == KEYRING_ROLE_ADMIN;
	if (adhoc != NULL) {
		if (strcmp(adhoc, "true") == 0) {
			e->adhoc = true;
		} else if (strcmp(adhoc, "false") == 0) {
			e->adhoc = false;
		} else {
			yamltree_report_add(r, adhoc_node->mark, "adhoc '%s': use true or false",
			                    yamltree_shown(adhoc).s);
			return -1;
		}
		if (e->adhoc && e->role < KEYRING_ROLE_OPERATOR) {
			yamltree_report_add(r, adhoc_node->mark,
			                    "adhoc: true needs role operator or admin; %s is a %s"
			                    " (a viewer submits nothing)",
			                    yamltree_shown(name).s, role);
			return -1;
		}
	}
	if (rc != 0)
		return -1;
	e->name = xstrdup(name);
	return 0;
}

/* The operators list of root into *out; -1 after reporting every problem. */
static int
keyring_parse_tree(yamltree_report_t *r, const yamltree_node_t *root, keyring_entry_t **out,
                   size_t *count)
{
	if (root == NULL)
		return 0; /* an empty file: no operators */
	if (root->kind != YAMLTREE_MAPPING) {
		yamltree_report_add(r, root->mark, "expected a mapping with 'operators:'");
		return -1;
	}
	const yamltree_node_t *list = NULL;
	int rc = 0;
	for (size_t i = 0; i + 1 < root->count; i += 2) {
		const char *ks = keyring_scalar(root->kids[i]);
		if (strcmp(ks, "operators") != 0) {
			yamltree_report_add(
			    r, root->kids[i]->mark,
			    "unknown top-level field '%s' (the file holds 'operators:')",
			    yamltree_shown(ks).s);
			rc = -1;
			continue;
		}
		list = root->kids[i + 1];
	}
	if (list == NULL || yamltree_is_null(list))
		return rc; /* "operators:" with nothing under it */
	if (list->kind != YAMLTREE_SEQUENCE) {
		yamltree_report_add(r, list->mark, "'operators' must be a list");
		return -1;
	}
	size_t n = list->count;
	if (n > KEYRING_OPERATORS_MAX) {
		yamltree_report_add(r, list->mark, "more than %d operators", KEYRING_OPERATORS_MAX);
		return -1;
	}
	keyring_entry_t *entries = xcalloc(n ? n : 1, sizeof(*entries)); /* owned: *out */
	size_t kept = 0;
	for (size_t i = 0; i < n; i++) {
		const yamltree_node_t *item = list->kids[i];
		keyring_entry_t *e = &entries[kept];
		if (keyring_parse_operator(r, item, e) != 0) {
			rc = -1;
			continue;
		}
		bool clash = false;
		for (size_t j = 0; j < kept && !clash; j++) {
			bool same_name = strcmp(entries[j].name, e->name) == 0;
			if (same_name)
				yamltree_report_add(r, item->mark, "operator '%s' is listed twice",
				                    e->name);
			else if (memcmp(entries[j].key, e->key, KEYS_BYTES) == 0)
				yamltree_report_add(r, item->mark,
				                    "the key of '%s' is also the key of '%s': one"
				                    " key, one operator",
				                    e->name, entries[j].name);
			clash = same_name || memcmp(entries[j].key, e->key, KEYS_BYTES) == 0;
		}
		if (clash) {
			free(e->name);
			memset(e, 0, sizeof(*e));
			rc = -1;
			continue;
		}
		kept++;
	}
	if (rc != 0) {
		keyring_entries_free(entries, kept);
		return -1;
	}
	*out = entries;
	*count = kept;
	return 0;
}

int
keyring_parse_operators(const char *path, keyring_entry_t **out, size_t *count, char **error)
{
	*out = NULL;
	*count = 0;
	/* The message operators know for a file that is not there. */
	if (access(path, R_OK) != 0) {
		*error = xasprintf("cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	static const yamltree_options_t opts = {
	    .noun = "keyring", /* "a keyring file holds exactly one keyring" */
	    .max_bytes = KEYRING_OPERATORS_FILE_MAX_BYTES,
	    .empty_ok = true,
	    .duplicates_ok = true, /* "'name' given twice", "operator x is listed twice" */
	};
	yamltree_errors_t errs = {0};
	yamltree_report_t r;
	yamltree_report_init(&r, &errs, path);
	size_t len = 0;
	char *text = yamltree_read_file(&r, path, &opts, &len);                     /* owned */
	yamltree_node_t *root = text ? yamltree_parse(&r, text, len, &opts) : NULL; /* owned */
	int rc = errs.count == 0 ? keyring_parse_tree(&r, root, out, count) : -1;
	yamltree_destroy(&root);
	free(text);
	yamltree_report_finish(&r);
	if (rc != 0 || errs.count > 0) {
		char *all = yamltree_errors_format(&errs); /* owned: *error */
		size_t n = strlen(all);
		if (n > 0 && all[n - 1] == '\n')
			all[n - 1] = '\0';
		*error = all;
		yamltree_errors_clear(&errs);
		return -1;
	}
	return 0;
}

/* ---- authorized_workers/ ------------------------------------------------- */

static int
keyring_name_cmp(const void *a, const void *b)
{
	return strcmp(((const keyring_entry_t *)a)->name, ((const keyring_entry_t *)b)->name);
}

static int
keyring_load_workers(keyring_t *k, const char *dir, char **error)
{
	DIR *d = opendir(dir);
	if (d == NULL) {
		if (errno == ENOENT)
			return 0;
		*error = xasprintf("cannot read %s: %s", dir, strerror(errno));
		return -1;
	}
	size_t cap = 16;
	k->workers = xcalloc(cap, sizeof(*k->workers));
	struct dirent *de;
	int rc = 0;
	while ((de = readdir(d)) != NULL) {
		/* Dot files are editors' and tools' (and "." and ".."). */
		if (de->d_name[0] == '.')
			continue;
		char *path = xasprintf("%s/%s", dir, de->d_name); /* owned */
		struct stat st;
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
			free(path);
			continue;
		}
		if (!keys_valid_name(de->d_name)) {
			*error = xasprintf("%s: the file name is the worker id, and '%s' is not one"
			                   " (1 to 128 letters, digits, '-', '_' or '.')",
			                   path, de->d_name);
			free(path);
			rc = -1;
			break;
		}
		keys_pair_t pair;
		if (keys_load_public(path, &pair, error) != 0) {
			free(path);
			rc = -1;
			break;
		}
		for (size_t i = 0; i < k->n_workers; i++) {
			if (memcmp(k->workers[i].key, pair.public_key, KEYS_BYTES) == 0) {
				*error =
				    xasprintf("%s: the same key as %s/%s: one key, one worker (a"
				              " key names who holds it)",
				              path, dir, k->workers[i].name);
				rc = -1;
				break;
			}
		}
		keys_wipe(&pair);
		free(path);
		if (rc != 0)
			break;
		if (k->n_workers == KEYRING_WORKERS_MAX) {
			*error =
			    xasprintf("%s: more than %d worker keys", dir, KEYRING_WORKERS_MAX);
			rc = -1;
			break;
		}
		if (k->n_workers == cap) {
			cap *= 2;
			k->workers = xrealloc(k->workers, cap * sizeof(*k->workers));
		}
		keyring_entry_t *e = &k->workers[k->n_workers++];
		memset(e, 0, sizeof(*e));
		e->name = xstrdup(de->d_name);
		memcpy(e->key, pair.public_key, KEYS_BYTES);
	}
	closedir(d);
	if (rc == 0 && k->n_workers > 1)
		qsort(k->workers, k->n_workers, sizeof(*k->workers), keyring_name_cmp);
	return rc;
}

keyring_t *
keyring_load(const char *workers_dir, const char *operators_file, char **error)
{
	keyring_t *k = xcalloc(1, sizeof(*k));
	if (workers_dir != NULL && keyring_load_workers(k, workers_dir, error) != 0)
		goto fail;
	if (operators_file != NULL && access(operators_file, F_OK) == 0 &&
	    keyring_parse_operators(operators_file, &k->operators, &k->n_operators, error) != 0)
		goto fail;
	return k;
fail:
	keyring_destroy(&k);
	return NULL;
}

static const keyring_entry_t *
keyring_by_key(const keyring_entry_t *e, size_t n, const uint8_t key[KEYS_BYTES])
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(e[i].key, key, KEYS_BYTES) == 0)
			return &e[i];
	return NULL;
}

static const keyring_entry_t *
keyring_by_name(const keyring_entry_t *e, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(e[i].name, name) == 0)
			return &e[i];
	return NULL;
}

const keyring_entry_t *
keyring_worker_by_key(const keyring_t *k, const uint8_t key[KEYS_BYTES])
{
	return keyring_by_key(k->workers, k->n_workers, key);
}

const keyring_entry_t *
keyring_worker_by_id(const keyring_t *k, const char *id)
{
	return keyring_by_name(k->workers, k->n_workers, id);
}

const keyring_entry_t *
keyring_operator_by_key(const keyring_t *k, const uint8_t key[KEYS_BYTES])
{
	return keyring_by_key(k->operators, k->n_operators, key);
}

const keyring_entry_t *
keyring_operator_by_name(const keyring_t *k, const char *name)
{
	return keyring_by_name(k->operators, k->n_operators, name);
}

size_t
keyring_worker_count(const keyring_t *k)
{
	return k->n_workers;
}

size_t
keyring_operator_count(const keyring_t *k)
{
	return k->n_operators;
}

const keyring_entry_t *
keyring_worker_at(const keyring_t *k, size_t i)
{
	return i < k->n_workers ? &k->workers[i] : NULL;
}

const keyring_entry_t *
keyring_operator_at(const keyring_t *k, size_t i)
{
	return i < k->n_operators ? &k->operators[i] : NULL;
}
