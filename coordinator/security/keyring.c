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
#include <yaml.h>

#include "xalloc.h"

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

static char *keyring_at(const char *path, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "FILE:LINE:COLUMN: what" at node n, in a new string the caller frees. */
static char *
keyring_at(const char *path, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *what = xvasprintf(fmt, ap); /* owned */
	va_end(ap);
	char *msg = xasprintf("%s:%zu:%zu: %s", path, n->start_mark.line + 1,
	                      n->start_mark.column + 1, what);
	free(what);
	return msg;
}

static const char *
keyring_scalar(const yaml_node_t *n)
{
	return n != NULL && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* One item of the operators list into e; -1 with *error. */
static int
keyring_parse_operator(const char *path, yaml_document_t *doc, yaml_node_t *item,
                       keyring_entry_t *e, char **error)
{
	if (item->type != YAML_MAPPING_NODE) {
		*error = keyring_at(path, item, "an operator is a mapping with name, key and role");
		return -1;
	}
	const char *name = NULL, *key = NULL, *role = NULL, *adhoc = NULL;
	yaml_node_t *name_node = item, *key_node = item, *role_node = item, *adhoc_node = item;
	for (yaml_node_pair_t *p = item->data.mapping.pairs.start; p < item->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);
		yaml_node_t *v = yaml_document_get_node(doc, p->value);
		const char *ks = keyring_scalar(k);
		const char *vs = keyring_scalar(v);
		if (ks == NULL) {
			*error =
			    keyring_at(path, k ? k : item, "a key of an operator must be a word");
			return -1;
		}
		const char **slot = NULL;
		yaml_node_t **slot_node = NULL;
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
			*error =
			    keyring_at(path, k,
			               "unknown field '%s' (an operator has name, key, role and"
			               " optionally adhoc)",
			               ks);
			return -1;
		}
		if (*slot != NULL) {
			*error = keyring_at(path, k, "'%s' given twice", ks);
			return -1;
		}
		if (vs == NULL) {
			*error = keyring_at(path, v ? v : k, "'%s' must be a single value", ks);
			return -1;
		}
		*slot = vs;
		*slot_node = v;
	}
	if (name == NULL || key == NULL || role == NULL) {
		*error =
		    keyring_at(path, item, "an operator needs %s",
		               name == NULL  ? "a name"
		               : key == NULL ? "a key (its public key, as rota keygen prints it)"
		                             : "a role: viewer, operator or admin");
		return -1;
	}
	if (!keys_valid_name(name)) {
		*error = keyring_at(path, name_node,
		                    "operator name '%s': use 1 to 128 letters, digits, '-', '_' or"
		                    " '.'",
		                    name);
		return -1;
	}
	if (keys_decode(key, e->key) != 0) {
		*error = keyring_at(path, key_node,
		                    "the key of '%s' is not a CURVE public key (40 Z85 characters,"
		                    " as in NAME.key from rota keygen)",
		                    name);
		return -1;
	}
	if (keyring_role_parse(role, &e->role) != 0) {
		*error =
		    keyring_at(path, role_node, "role '%s': use viewer, operator or admin", role);
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
			*error =
			    keyring_at(path, adhoc_node, "adhoc '%s': use true or false", adhoc);
			return -1;
		}
		if (e->adhoc && e->role < KEYRING_ROLE_OPERATOR) {
			*error = keyring_at(path, adhoc_node,
			                    "adhoc: true needs role operator or admin; %s is a %s"
			                    " (a viewer submits nothing)",
			                    name, role);
			return -1;
		}
	}
	e->name = xstrdup(name);
	return 0;
}

static int
keyring_parse_document(const char *path, yaml_document_t *doc, keyring_entry_t **out, size_t *count,
                       char **error)
{
	yaml_node_t *root = yaml_document_get_root_node(doc);
	if (root == NULL)
		return 0; /* an empty file: no operators */
	if (root->type != YAML_MAPPING_NODE) {
		*error = keyring_at(path, root, "expected a mapping with 'operators:'");
		return -1;
	}
	yaml_node_t *list = NULL;
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);
		const char *ks = keyring_scalar(k);
		if (ks == NULL || strcmp(ks, "operators") != 0) {
			*error =
			    keyring_at(path, k ? k : root,
			               "unknown top-level field '%s' (the file holds 'operators:')",
			               ks ? ks : "?");
			return -1;
		}
		list = yaml_document_get_node(doc, p->value);
	}
	if (list == NULL)
		return 0;
	if (list->type == YAML_SCALAR_NODE && list->data.scalar.length == 0)
		return 0; /* "operators:" with nothing under it */
	if (list->type != YAML_SEQUENCE_NODE) {
		*error = keyring_at(path, list, "'operators' must be a list");
		return -1;
	}
	size_t n = (size_t)(list->data.sequence.items.top - list->data.sequence.items.start);
	if (n > KEYRING_OPERATORS_MAX) {
		*error = keyring_at(path, list, "more than %d operators", KEYRING_OPERATORS_MAX);
		return -1;
	}
	keyring_entry_t *entries = xcalloc(n ? n : 1, sizeof(*entries)); /* owned: *out */
	size_t i = 0;
	for (yaml_node_item_t *it = list->data.sequence.items.start;
	     it < list->data.sequence.items.top; it++, i++) {
		yaml_node_t *item = yaml_document_get_node(doc, *it);
		if (item == NULL ||
		    keyring_parse_operator(path, doc, item, &entries[i], error) != 0) {
			if (item == NULL)
				*error = xasprintf("%s: a broken operators list", path);
			keyring_entries_free(entries, i);
			return -1;
		}
		for (size_t j = 0; j < i; j++) {
			bool same_name = strcmp(entries[j].name, entries[i].name) == 0;
			if (same_name || memcmp(entries[j].key, entries[i].key, KEYS_BYTES) == 0) {
				*error =
				    same_name
				        ? keyring_at(path, item, "operator '%s' is listed twice",
				                     entries[i].name)
				        : keyring_at(path, item,
				                     "the key of '%s' is also the key of '%s': one"
				                     " key, one operator",
				                     entries[i].name, entries[j].name);
				keyring_entries_free(entries, i + 1);
				return -1;
			}
		}
	}
	*out = entries;
	*count = n;
	return 0;
}

int
keyring_parse_operators(const char *path, keyring_entry_t **out, size_t *count, char **error)
{
	*out = NULL;
	*count = 0;
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		*error = xasprintf("cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fileno(f), &st) != 0 || st.st_size > KEYRING_OPERATORS_FILE_MAX_BYTES) {
		*error = xasprintf("%s: not a readable file of at most 4 MiB", path);
		fclose(f);
		return -1;
	}
	yaml_parser_t parser;
	yaml_document_t doc;
	int rc = -1;
	if (!yaml_parser_initialize(&parser)) {
		*error = xstrdup("cannot initialise the YAML parser");
		fclose(f);
		return -1;
	}
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		*error = xasprintf("%s:%zu:%zu: %s", path, parser.problem_mark.line + 1,
		                   parser.problem_mark.column + 1,
		                   parser.problem ? parser.problem : "not valid YAML");
		yaml_parser_delete(&parser);
		fclose(f);
		return -1;
	}
	rc = keyring_parse_document(path, &doc, out, count, error);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	fclose(f);
	return rc;
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
