/* runbook/checks: the checker's vocabulary: unknown keys with "did you
 * mean", typed values (text, bool, duration, integer, one of a list),
 * names, and a step type's fields (text with templates, enumerations).
 * Each reports into check_t's report and never stops at the first error. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "duration.h"
#include "xalloc.h"

#define LEV_MAX 64

/* Levenshtein distance, for "did you mean". Both strings at most LEV_MAX
 * bytes (callers check), so two fixed rows suffice. */
static size_t
levenshtein(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t prev[LEV_MAX + 1], cur[LEV_MAX + 1];

	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t del = prev[j] + 1;
			size_t ins = cur[j - 1] + 1;
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t best = del < ins ? del : ins;
			cur[j] = best < sub ? best : sub;
		}
		memcpy(prev, cur, (lb + 1) * sizeof(prev[0]));
	}
	return prev[lb];
}

/* The closest known key within distance 2, or NULL. The distance must also
 * be at most half the candidate's length, so "x" does not suggest "id".
 * Failing that, a key of 3 or more characters that starts the candidate
 * ("http" for "http_check") or that the candidate starts ("shell_cmd" for
 * "shell"), since step types are often written by their first word; then a
 * long shared start. */
static const char *
suggest_key(const char *key, const char *const *keys, size_t nkeys)
{
	const char *best = NULL;
	size_t best_d = 3;
	size_t lk = strlen(key);

	if (lk > LEV_MAX)
		return NULL;
	for (size_t i = 0; i < nkeys; i++) {
		size_t lc = strlen(keys[i]);
		if (lc > LEV_MAX || (lk > lc ? lk - lc : lc - lk) > 2)
			continue;
		size_t d = levenshtein(key, keys[i]);
		if (d < best_d && d * 2 <= lc) {
			best = keys[i];
			best_d = d;
		}
	}
	if (best != NULL || lk < 3)
		return best;
	for (size_t i = 0; i < nkeys; i++) {
		size_t lc = strlen(keys[i]);
		if (lc >= 3 && strncmp(key, keys[i], lk < lc ? lk : lc) == 0)
			return keys[i];
	}
	/* Last, a shared start of 4 or more characters, at least half the key
	 * ("retry" for "retries"); the longest wins. */
	size_t best_p = 3;
	for (size_t i = 0; i < nkeys; i++) {
		size_t p = 0;
		while (key[p] != '\0' && key[p] == keys[i][p])
			p++;
		if (p > best_p && p * 2 >= lk) {
			best = keys[i];
			best_p = p;
		}
	}
	return best;
}

/* Reports every key of map that is not in keys (with a hint when one is
 * close). where names the mapping ("runbook", "step 'x'"). */
void
runbook_keys_check(check_t *c, const yamltree_node_t *map, const char *const *keys, size_t nkeys,
                   const char *where)
{
	for (size_t i = 0; i + 1 < map->count; i += 2) {
		const yamltree_node_t *k = map->kids[i];
		bool known = false;
		for (size_t j = 0; j < nkeys && !known; j++) /* the first byte first */
			known = k->text[0] == keys[j][0] && strcmp(k->text, keys[j]) == 0;
		if (known)
			continue;
		const char *hint = suggest_key(k->text, keys, nkeys);
		if (hint != NULL)
			yamltree_report_add(c->r, k->mark,
			                    "unknown key '%s' in %s; did you mean '%s'?",
			                    yamltree_shown(k->text).s, where, hint);
		else
			yamltree_report_add(c->r, k->mark, "unknown key '%s' in %s",
			                    yamltree_shown(k->text).s, where);
	}
}

/* "a, b, c" (or "a, b or c" with last_or) into buf, for messages that list
 * choices; the lists are short constant tables. */
const char *
runbook_names_join(const char *const *names, size_t n, bool last_or, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && off < len; i++) {
		const char *sep = i == 0 ? "" : (last_or && i == n - 1) ? " or " : ", ";
		int w = snprintf(buf + off, len - off, "%s%s", sep, names[i]);
		if (w < 0)
			break;
		off += (size_t)w;
	}
	return buf;
}

/* Text value of key; NULL (after reporting) when v is not text or is null.
 * Returns a copy the caller owns. */
char *
runbook_want_string(check_t *c, const yamltree_node_t *v, const char *key)
{
	if (v->kind != YAMLTREE_SCALAR) {
		yamltree_report_add(c->r, v->mark, "'%s' must be text, not %s", key,
		                    yamltree_kind_name(v));
		return NULL;
	}
	if (yamltree_is_null(v)) {
		yamltree_report_add(c->r, v->mark, "'%s' has no value (write \"\" for empty text)",
		                    key);
		return NULL;
	}
	return xstrdup(v->text);
}

/* Only the YAML 1.2 core spellings, unquoted: "yes"/"on" are YAML 1.1
 * booleans some readers accept and others do not, so refuse them. */
int
runbook_want_bool(check_t *c, const yamltree_node_t *v, const char *key, bool *out)
{
	if (v->kind == YAMLTREE_SCALAR && v->plain) {
		const char *t = v->text;
		if (strcmp(t, "true") == 0 || strcmp(t, "True") == 0 || strcmp(t, "TRUE") == 0) {
			*out = true;
			return 0;
		}
		if (strcmp(t, "false") == 0 || strcmp(t, "False") == 0 || strcmp(t, "FALSE") == 0) {
			*out = false;
			return 0;
		}
	}
	if (yamltree_is_text(v))
		yamltree_report_add(c->r, v->mark, "'%s' must be true or false, not '%s'", key,
		                    yamltree_shown(v->text).s);
	else
		yamltree_report_add(c->r, v->mark, "'%s' must be true or false, not %s", key,
		                    yamltree_kind_name(v));
	return -1;
}

/* allow_zero: "0" is meaningful (jitter, backoff) rather than a mistake
 * (a timeout of nothing). */
int
runbook_want_duration_ex(check_t *c, const yamltree_node_t *v, const char *key, bool allow_zero,
                         uint32_t *out)
{
	uint64_t ms;

	if (!yamltree_is_text(v)) {
		yamltree_report_add(c->r, v->mark,
		                    "'%s' must be a duration such as 30s, 5m or 1h30m, not %s", key,
		                    yamltree_kind_name(v));
		return -1;
	}
	if (duration_parse(v->text, &ms) != 0) {
		yamltree_report_add(
		    c->r, v->mark,
		    "'%s' is not a valid duration: '%s' (use e.g. 500ms, 30s, 5m, 1h30m; "
		    "at most 30d)",
		    key, yamltree_shown(v->text).s);
		return -1;
	}
	if (ms == 0 && !allow_zero) {
		yamltree_report_add(c->r, v->mark, "'%s' must be longer than 0", key);
		return -1;
	}
	*out = (uint32_t)ms; /* DURATION_MAX_MS < UINT32_MAX */
	return 0;
}

int
runbook_want_duration(check_t *c, const yamltree_node_t *v, const char *key, uint32_t *out)
{
	return runbook_want_duration_ex(c, v, key, false, out);
}

/* An integer from min to max. */
int
runbook_want_uint(check_t *c, const yamltree_node_t *v, const char *key, uint32_t min, uint32_t max,
                  uint32_t *out)
{
	uint64_t n;

	if (yamltree_is_text(v) && runbook_text_uint(v->text, max, &n) && n >= min) {
		*out = (uint32_t)n;
		return 0;
	}
	if (yamltree_is_text(v))
		yamltree_report_add(c->r, v->mark,
		                    "'%s' must be an integer from %u to %u, not '%s'", key, min,
		                    max, yamltree_shown(v->text).s);
	else
		yamltree_report_add(c->r, v->mark, "'%s' must be an integer from %u to %u, not %s",
		                    key, min, max, yamltree_kind_name(v));
	return -1;
}

/* One of names, exactly as written there; *index is its position. */
int
runbook_want_enum(check_t *c, const yamltree_node_t *v, const char *key, const char *const *names,
                  size_t n, int *index)
{
	char list[128];

	if (yamltree_is_text(v)) {
		for (size_t i = 0; i < n; i++) {
			if (strcmp(v->text, names[i]) == 0) {
				*index = (int)i;
				return 0;
			}
		}
	}
	runbook_names_join(names, n, false, list, sizeof(list));
	bool block = v->style == YAML_FOLDED_SCALAR_STYLE || v->style == YAML_LITERAL_SCALAR_STYLE;
	if (v->kind == YAMLTREE_SCALAR && block) {
		/* "op: >" starts a YAML folded block; it is not the text ">". */
		const char *ind = v->style == YAML_FOLDED_SCALAR_STYLE ? ">" : "|";
		yamltree_report_add(
		    c->r, v->mark,
		    "'%s' must be one of %s, not %s block ('%s' unquoted starts one);"
		    " did you mean to quote '%s'? write %s: '%s'",
		    key, list, runbook_text_blank(v->text) ? "an empty" : "a YAML", ind, ind, key,
		    ind);
	} else if (yamltree_is_text(v))
		yamltree_report_add(c->r, v->mark, "'%s' must be one of %s, not '%s'", key, list,
		                    yamltree_shown(v->text).s);
	else
		yamltree_report_add(c->r, v->mark, "'%s' must be one of %s, not %s", key, list,
		                    yamltree_kind_name(v));
	return -1;
}

/* s is 1..max_len characters from charset (a strspn set); when ident, it
 * must not start with a digit or '-'. */
bool
runbook_name_valid(const char *s, const char *charset, size_t max_len, bool ident)
{
	size_t n = strlen(s);

	if (n == 0 || n > max_len || strspn(s, charset) != n)
		return false;
	if (ident && ((s[0] >= '0' && s[0] <= '9') || s[0] == '-' || s[0] == '.'))
		return false;
	return true;
}

/* ---- step fields ---- */

/* The text of key in map, with its templates checked, as a copy the caller
 * owns; NULL when it is absent (an error when required) or wrong. where
 * names the mapping ("http_check of step 'a'"). A key with a runbook_field_rule
 * must fit it unless it holds a template. */
char *
runbook_field_text(check_t *c, const yamltree_node_t *map, const char *key, bool required,
                   const char *where)
{
	const yamltree_node_t *v = yamltree_map_get(map, key);
	const field_rule_t *rule = runbook_field_rule(key);

	if (v == NULL) {
		if (required)
			yamltree_report_add(c->r, map->mark, "%s has no '%s'", where, key);
		return NULL;
	}
	if (rule != NULL && !yamltree_is_text(v)) {
		yamltree_report_add(c->r, v->mark, "'%s' must be %s, not %s", key, rule->what,
		                    yamltree_kind_name(v));
		return NULL;
	}
	char *text = runbook_want_string(c, v, key);
	if (text == NULL)
		return NULL;
	if (runbook_text_blank(text)) {
		yamltree_report_add(c->r, v->mark, "'%s' is empty", key);
		free(text);
		return NULL;
	}
	if (runbook_text_templated(text))
		runbook_tmpl_check(c, v, key, text);
	else if (rule != NULL && !rule->fits(text))
		yamltree_report_add(c->r, v->mark, "'%s' must be %s, not '%s'", key, rule->what,
		                    yamltree_shown(text).s);
	return text;
}

/* An enumerated field (method, op): literal, never templated, so a typo
 * is caught before anything runs. Stored as written. */
char *
runbook_field_enum(check_t *c, const yamltree_node_t *map, const char *key,
                   const char *const *names, size_t n)
{
	const yamltree_node_t *v = yamltree_map_get(map, key);
	int index;

	if (v == NULL || runbook_want_enum(c, v, key, names, n, &index) != 0)
		return NULL;
	return xstrdup(names[index]);
}
