/* fleetvars: param values per host from the configuration (see
 * fleetvars.h). The list is short (a page of YAML) and read once per host
 * of a run: a linear walk costs less than an index would. */
#include "fleetvars.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strlist.h"
#include "xalloc.h"

/* Bounds, so a configuration cannot make every run slow. */
#define FLEETVARS_MAX_ENTRIES 1000
#define FLEETVARS_MAX_PAIRS 256 /* labels in one match, params in one entry */

typedef struct {
	char *key;
	char *value;
} pair_t;

typedef struct {
	pair_t *match; /* owned: every label must equal */
	size_t match_count;
	char *host;     /* owned; NULL: any host */
	pair_t *params; /* owned */
	size_t param_count;
	char *source; /* owned: "vars (role=api, line 12)" */
} entry_t;

struct fleetvars {
	entry_t *entries; /* owned, in the file's order */
	size_t count;
};

static const char *const keys_entry[] = {"match", "host", "params"};

static void
pairs_free(pair_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(p[i].key);
		free(p[i].value);
	}
	free(p);
}

/* A mapping of names to scalars into *out; what names the mapping in
 * messages. */
static void
read_pairs(yamltree_report_t *rep, const yamltree_node_t *n, const char *what, pair_t **out,
           size_t *count)
{
	if (n->kind != YAMLTREE_MAPPING) {
		yamltree_report_add(rep, n->mark, "vars: %s must be a mapping, not %s", what,
		                    yamltree_kind_name(n));
		return;
	}
	if (n->count / 2 > FLEETVARS_MAX_PAIRS) {
		yamltree_report_add(rep, n->mark, "vars: %s has more than %d entries", what,
		                    FLEETVARS_MAX_PAIRS);
		return;
	}
	*out = xcalloc(n->count / 2 + 1, sizeof(**out));
	for (size_t i = 0; i + 1 < n->count; i += 2) {
		const yamltree_node_t *k = n->kids[i], *v = n->kids[i + 1];
		if (v->kind != YAMLTREE_SCALAR) {
			yamltree_report_add(rep, v->mark, "vars: %s: '%s' must be a value, not %s",
			                    what, yamltree_shown(k->text).s, yamltree_kind_name(v));
			continue;
		}
		(*out)[*count].key = xstrdup(k->text);
		(*out)[*count].value = xstrdup(yamltree_is_null(v) ? "" : v->text);
		(*count)++;
	}
}

static void
read_entry(yamltree_report_t *rep, const yamltree_node_t *n, entry_t *e)
{
	if (n->kind != YAMLTREE_MAPPING) {
		yamltree_report_add(
		    rep, n->mark, "vars: an entry must be a mapping (match, host, params), not %s",
		    yamltree_kind_name(n));
		return;
	}
	for (size_t i = 0; i + 1 < n->count; i += 2) {
		const char *k = n->kids[i]->text;
		bool known = false;
		for (size_t j = 0; j < sizeof(keys_entry) / sizeof(keys_entry[0]); j++)
			known = known || strcmp(k, keys_entry[j]) == 0;
		if (!known)
			yamltree_report_add(
			    rep, n->kids[i]->mark,
			    "vars: unknown key '%s' in an entry (expected match, host,"
			    " params)",
			    yamltree_shown(k).s);
	}
	const yamltree_node_t *v;
	if ((v = yamltree_map_get(n, "match")) != NULL)
		read_pairs(rep, v, "match", &e->match, &e->match_count);
	if ((v = yamltree_map_get(n, "host")) != NULL) {
		if (yamltree_is_text(v) && v->text[0] != '\0')
			e->host = xstrdup(v->text);
		else
			yamltree_report_add(rep, v->mark, "vars: host must be a worker id, not %s",
			                    yamltree_kind_name(v));
	}
	if ((v = yamltree_map_get(n, "params")) != NULL)
		read_pairs(rep, v, "params", &e->params, &e->param_count);
	else
		yamltree_report_add(rep, n->mark,
		                    "vars: an entry needs 'params' (the values it gives)");

	strlist_t what = {0};
	for (size_t i = 0; i < e->match_count; i++)
		strlist_add(&what, xasprintf("%s=%s", e->match[i].key, e->match[i].value));
	if (e->host != NULL)
		strlist_add(&what, xasprintf("host %s", e->host));
	char *sel = strlist_join_sep(&what, ", ", "every host");
	e->source = xasprintf("vars (%s, line %d)", sel, n->mark.line);
	free(sel);
	strlist_free(&what);
}

fleetvars_t *
fleetvars_read(yamltree_report_t *rep, const yamltree_node_t *node)
{
	fleetvars_t *fv = xcalloc(1, sizeof(*fv));
	if (node == NULL || yamltree_is_null(node))
		return fv;
	if (node->kind != YAMLTREE_SEQUENCE) {
		yamltree_report_add(
		    rep, node->mark,
		    "vars must be a list of entries (- match: {...}, params: {...}),"
		    " not %s",
		    yamltree_kind_name(node));
		return fv;
	}
	if (node->count > FLEETVARS_MAX_ENTRIES) {
		yamltree_report_add(rep, node->mark, "vars: more than %d entries",
		                    FLEETVARS_MAX_ENTRIES);
		return fv;
	}
	fv->entries = xcalloc(node->count + 1, sizeof(*fv->entries));
	for (size_t i = 0; i < node->count; i++)
		read_entry(rep, node->kids[i], &fv->entries[fv->count++]);
	return fv;
}

void
fleetvars_destroy(fleetvars_t **fvp)
{
	fleetvars_t *fv = *fvp;
	if (fv == NULL)
		return;
	for (size_t i = 0; i < fv->count; i++) {
		entry_t *e = &fv->entries[i];
		pairs_free(e->match, e->match_count);
		pairs_free(e->params, e->param_count);
		free(e->host);
		free(e->source);
	}
	free(fv->entries);
	free(fv);
	*fvp = NULL;
}

size_t
fleetvars_count(const fleetvars_t *fv)
{
	return fv ? fv->count : 0;
}

static bool
entry_matches(const entry_t *e, const worker_t *w)
{
	if (e->host != NULL && strcmp(e->host, w->id) != 0)
		return false;
	for (size_t i = 0; i < e->match_count; i++) {
		const char *v = registry_label(w, e->match[i].key);
		if (v == NULL || strcmp(v, e->match[i].value) != 0)
			return false;
	}
	return true;
}

const char *
fleetvars_value(const fleetvars_t *fv, const worker_t *w, const char *param, const char **source)
{
	const char *value = NULL;
	for (size_t i = 0; fv != NULL && w != NULL && i < fv->count; i++) {
		const entry_t *e = &fv->entries[i];
		for (size_t k = 0; k < e->param_count; k++) {
			if (strcmp(e->params[k].key, param) != 0 || !entry_matches(e, w))
				continue;
			value = e->params[k].value;
			if (source != NULL)
				*source = e->source;
		}
	}
	return value;
}
