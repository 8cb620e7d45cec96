/* runbook: turns a runbook YAML file into a runbook_t, or into a list of
 * errors that each point at a line and column.
 *
 * Two passes. Pass 1 (tree_build) turns libyaml's events into a small tree
 * of scalar / sequence / mapping nodes that remember where they started, and
 * rejects what the language does not allow at the YAML level: anchors and
 * aliases, tags, duplicate keys, several documents, deep nesting, NUL bytes.
 * Pass 2 (check_*) walks the tree key by key against a table of known keys
 * per mapping, so a typo gets "did you mean" and a key from the full language
 * that this version does not run yet gets "not supported ... yet" instead of
 * being ignored. Step types are a table plus a switch: a new step type is a
 * new table row and a new case.
 *
 * Errors are collected, not returned at the first one: `rota lint` shows them
 * all, sorted by position. Pass 2 only runs on a tree pass 1 accepted, so one
 * YAML-level mistake does not bury the user in follow-on errors.
 *
 * Must never: crash, hang or grow without bound on any input (every input
 * size, depth, node count and error count is bounded below), or return a
 * runbook when it reported an error. */
#include "runbook.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "duration.h"
#include "template.h"
#include "xalloc.h"

/* ------------------------------------------------------------------ */
/* Errors                                                             */

typedef struct {
	runbook_errors_t *errs;
	const char *file;
	size_t first;  /* index in errs of this parse's first error */
	size_t count;  /* errors this parse added */
	bool overflow; /* more than RUNBOOK_MAX_ERRORS were found */
} report_t;

static const runbook_mark_t MARK_FILE = {0, 0};

static void
report_vadd(report_t *r, runbook_mark_t mark, const char *fmt, va_list ap)
{
	va_list ap2;

	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	char *msg = xmalloc(n > 0 ? (size_t)n + 1 : 1);
	if (n > 0)
		vsnprintf(msg, (size_t)n + 1, fmt, ap);
	else
		msg[0] = '\0';

	runbook_errors_t *e = r->errs;
	e->items = xrealloc(e->items, (e->count + 1) * sizeof(*e->items));
	e->items[e->count] = (runbook_error_t){
	    .file = xstrdup(r->file),
	    .line = mark.line,
	    .column = mark.column,
	    .message = msg,
	};
	e->count++;
	r->count++;
}

static void __attribute__((format(printf, 3, 4)))
report_add(report_t *r, runbook_mark_t mark, const char *fmt, ...)
{
	va_list ap;

	/* A hostile file could otherwise produce one error per line. */
	if (r->count >= RUNBOOK_MAX_ERRORS) {
		r->overflow = true;
		return;
	}
	va_start(ap, fmt);
	report_vadd(r, mark, fmt, ap);
	va_end(ap);
}

/* Like report_add but ignores the cap: for the one closing "too many". */
static void __attribute__((format(printf, 3, 4)))
report_add_final(report_t *r, runbook_mark_t mark, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_vadd(r, mark, fmt, ap);
	va_end(ap);
}

static int
mark_cmp(runbook_mark_t a, runbook_mark_t b)
{
	if (a.line != b.line)
		return a.line < b.line ? -1 : 1;
	if (a.column != b.column)
		return a.column < b.column ? -1 : 1;
	return 0;
}

/* Sorts this parse's errors by position. Insertion sort: stable (errors at
 * one position keep the order they were found in) and at most
 * RUNBOOK_MAX_ERRORS items. */
static void
report_sort(report_t *r)
{
	runbook_error_t *items = r->errs->items + r->first;

	for (size_t i = 1; i < r->count; i++) {
		runbook_error_t tmp = items[i];
		runbook_mark_t tm = {tmp.line, tmp.column};
		size_t j = i;
		while (j > 0 &&
		       mark_cmp((runbook_mark_t){items[j - 1].line, items[j - 1].column}, tm) > 0) {
			items[j] = items[j - 1];
			j--;
		}
		items[j] = tmp;
	}
}

/* User text shown inside an error: at most SHOWN_MAX bytes (cut on a UTF-8
 * boundary, "..." appended) with control characters replaced by '?', so a
 * message stays one readable line whatever the file holds. Returned by value
 * so it can be used inline as an argument: shown(s).s */
#define SHOWN_MAX 60
typedef struct {
	char s[SHOWN_MAX + 4];
} shown_t;

static shown_t
shown(const char *text)
{
	shown_t out;
	size_t n = strlen(text);
	bool cut = false;

	if (n > SHOWN_MAX) {
		n = SHOWN_MAX;
		while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
			n--;
		cut = true;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)text[i];
		out.s[i] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
	}
	if (cut) {
		memcpy(out.s + n, "...", 4);
	} else {
		out.s[n] = '\0';
	}
	return out;
}

/* ------------------------------------------------------------------ */
/* Pass 1: libyaml events into a tree                                 */

typedef enum { NODE_SCALAR, NODE_SEQUENCE, NODE_MAPPING } node_kind_t;

typedef struct node node_t;
struct node {
	node_kind_t kind;
	runbook_mark_t mark;
	char *text;    /* scalar: its value, NUL-free */
	bool plain;    /* scalar: written without quotes (so may be null/bool) */
	node_t **kids; /* sequence: items; mapping: key, value, key, value ... */
	size_t count;
	size_t cap;
};

static node_t *
node_new(node_kind_t kind, runbook_mark_t mark)
{
	node_t *n = xcalloc(1, sizeof(*n));

	n->kind = kind;
	n->mark = mark;
	return n;
}

/* Recursive, but the tree is at most RUNBOOK_MAX_DEPTH deep. */
static void
node_free(node_t *n)
{
	if (n == NULL)
		return;
	for (size_t i = 0; i < n->count; i++)
		node_free(n->kids[i]);
	free(n->kids);
	free(n->text);
	free(n);
}

static void
node_append(node_t *parent, node_t *kid)
{
	if (parent->count == parent->cap) {
		parent->cap = parent->cap ? parent->cap * 2 : 8;
		parent->kids = xrealloc(parent->kids, parent->cap * sizeof(*parent->kids));
	}
	parent->kids[parent->count++] = kid;
}

static runbook_mark_t
mark_from_yaml(yaml_mark_t m)
{
	runbook_mark_t out;

	out.line = m.line < (size_t)INT_MAX ? (int)m.line + 1 : INT_MAX;
	out.column = m.column < (size_t)INT_MAX ? (int)m.column + 1 : INT_MAX;
	return out;
}

/* Line and column (both 1-based, the column counted in characters as
 * libyaml does) of a byte offset in text. */
static runbook_mark_t
mark_from_offset(const char *text, size_t len, size_t off)
{
	runbook_mark_t m = {1, 1};

	if (off > len)
		off = len;
	for (size_t i = 0; i < off; i++) {
		unsigned char ch = (unsigned char)text[i];
		if (ch == '\n') {
			m.line++;
			m.column = 1;
		} else if ((ch & 0xC0) != 0x80) {
			m.column++;
		}
	}
	return m;
}

/* Returns the offset of the first byte that is not part of well-formed
 * UTF-8 (overlong forms, surrogates and values past U+10FFFF included) or a
 * NUL, or len when there is none. */
static size_t
utf8_check(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t need;
		unsigned int cp;

		if (c == 0)
			return i;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) {
			need = 1;
			cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			need = 2;
			cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			need = 3;
			cp = c & 0x07;
		} else {
			return i;
		}
		if (len - i <= need)
			return i;
		for (size_t k = 1; k <= need; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return i;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
		    (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
			return i;
		i += need + 1;
	}
	return len;
}

static void
report_yaml_error(report_t *r, const yaml_parser_t *p, const char *text, size_t len)
{
	const char *problem = p->problem ? p->problem : "malformed YAML";

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		report_add(r, MARK_FILE, "out of memory while reading YAML");
		break;
	case YAML_READER_ERROR:
		/* The reader gives a byte offset, not a mark. */
		if (p->problem_value != -1)
			report_add(r, mark_from_offset(text, len, p->problem_offset), "%s (#x%X)",
			           problem, (unsigned int)p->problem_value);
		else
			report_add(r, mark_from_offset(text, len, p->problem_offset), "%s",
			           problem);
		break;
	case YAML_SCANNER_ERROR:
	case YAML_PARSER_ERROR:
		if (p->context != NULL) {
			runbook_mark_t cm = mark_from_yaml(p->context_mark);
			report_add(r, mark_from_yaml(p->problem_mark),
			           "YAML syntax error: %s (%s at line %d, column %d)", problem,
			           p->context, cm.line, cm.column);
		} else {
			report_add(r, mark_from_yaml(p->problem_mark), "YAML syntax error: %s",
			           problem);
		}
		break;
	default:
		report_add(r, MARK_FILE, "cannot read YAML: %s", problem);
		break;
	}
}

static int
key_ptr_cmp(const void *a, const void *b)
{
	const node_t *ka = *(const node_t *const *)a;
	const node_t *kb = *(const node_t *const *)b;
	int c = strcmp(ka->text, kb->text);

	return c != 0 ? c : mark_cmp(ka->mark, kb->mark);
}

/* Duplicate keys, found by sorting rather than by comparing every pair: a
 * 1 MiB mapping can hold ~170k keys, and n^2 string compares would hang. */
static bool
mapping_check_duplicates(report_t *r, const node_t *map)
{
	size_t nkeys = map->count / 2;
	bool ok = true;

	if (nkeys < 2)
		return true;

	const node_t **keys = xcalloc(nkeys, sizeof(*keys));
	size_t n = 0;
	for (size_t i = 0; i + 1 < map->count; i += 2)
		if (map->kids[i]->kind == NODE_SCALAR)
			keys[n++] = map->kids[i];
	qsort(keys, n, sizeof(*keys), key_ptr_cmp);
	for (size_t i = 1, first = 0; i < n; i++) {
		if (strcmp(keys[i]->text, keys[first]->text) != 0) {
			first = i;
			continue;
		}
		report_add(
		    r, keys[i]->mark, "duplicate key '%s' (first defined at line %d, column %d)",
		    shown(keys[i]->text).s, keys[first]->mark.line, keys[first]->mark.column);
		ok = false;
	}
	free(keys);
	return ok;
}

/* Anchors and tags are refused rather than ignored: an anchor is only
 * useful with aliases (refused: they make one node appear in many places and
 * allow "billion laughs" expansion), and a tag would change what a value
 * means in ways the checker does not model. */
static bool
event_check_props(report_t *r, runbook_mark_t mark, const yaml_char_t *anchor,
                  const yaml_char_t *tag)
{
	bool ok = true;

	if (anchor != NULL) {
		report_add(r, mark, "YAML anchors ('&%s') are not supported in runbooks",
		           shown((const char *)anchor).s);
		ok = false;
	}
	if (tag != NULL) {
		/* Show "!!str" as written, not libyaml's expanded form. */
		const char *t = (const char *)tag;
		const char *core = "tag:yaml.org,2002:";
		bool is_core = strncmp(t, core, strlen(core)) == 0;
		report_add(r, mark, "YAML tags ('%s%s') are not supported in runbooks",
		           is_core ? "!!" : "", shown(is_core ? t + strlen(core) : t).s);
		ok = false;
	}
	return ok;
}

/* Adds node under the innermost open collection (or as the root). A
 * mapping's keys must be scalars: anything else is reported here. */
static bool
tree_attach(report_t *r, node_t **stack, int depth, node_t **root, node_t *node)
{
	if (depth == 0) {
		*root = node;
		return true;
	}
	node_t *parent = stack[depth - 1];
	bool ok = true;
	if (parent->kind == NODE_MAPPING && parent->count % 2 == 0 && node->kind != NODE_SCALAR) {
		report_add(r, node->mark, "a mapping key must be plain text, not a %s",
		           node->kind == NODE_MAPPING ? "mapping" : "sequence");
		ok = false;
	}
	node_append(parent, node);
	return ok;
}

/* Pass 1. Returns the root node (the caller frees it with node_free) or NULL
 * after reporting at least one error. */
static node_t *
tree_build(report_t *r, const char *text, size_t len)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	node_t *stack[RUNBOOK_MAX_DEPTH];
	int depth = 0;
	node_t *root = NULL;
	int documents = 0;
	size_t nodes = 0;
	bool ok = true;

	if (!yaml_parser_initialize(&parser)) {
		report_add(r, MARK_FILE, "out of memory while reading YAML");
		return NULL;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);

	for (bool done = false; !done;) {
		if (!yaml_parser_parse(&parser, &ev)) {
			report_yaml_error(r, &parser, text, len);
			ok = false;
			break;
		}
		runbook_mark_t mark = mark_from_yaml(ev.start_mark);
		node_t *node = NULL;

		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++documents > 1) {
				report_add(r, mark,
				           "a second YAML document ('---'); a runbook file holds "
				           "exactly one runbook");
				ok = false;
				done = true;
			}
			break;
		case YAML_ALIAS_EVENT:
			report_add(r, mark,
			           "YAML aliases ('*%s') are not supported in runbooks; write the "
			           "value out",
			           shown((const char *)ev.data.alias.anchor).s);
			ok = false;
			/* A stand-in keeps the tree's shape so parsing can go on
			 * and find further errors. */
			node = node_new(NODE_SCALAR, mark);
			node->text = xstrdup("");
			break;
		case YAML_SCALAR_EVENT:
			if (!event_check_props(r, mark, ev.data.scalar.anchor, ev.data.scalar.tag))
				ok = false;
			node = node_new(NODE_SCALAR, mark);
			node->text =
			    xstrndup((const char *)ev.data.scalar.value, ev.data.scalar.length);
			node->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
			/* "\0" in a double-quoted scalar: the rest of rota uses C
			 * strings, which would silently cut the value there. */
			if (memchr(ev.data.scalar.value, '\0', ev.data.scalar.length) != NULL) {
				report_add(r, mark, "text contains a NUL character");
				ok = false;
			}
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT: {
			bool is_map = ev.type == YAML_MAPPING_START_EVENT;
			const yaml_char_t *anchor =
			    is_map ? ev.data.mapping_start.anchor : ev.data.sequence_start.anchor;
			const yaml_char_t *tag =
			    is_map ? ev.data.mapping_start.tag : ev.data.sequence_start.tag;
			if (!event_check_props(r, mark, anchor, tag))
				ok = false;
			if (depth == RUNBOOK_MAX_DEPTH) {
				report_add(r, mark, "nesting deeper than %d levels",
				           RUNBOOK_MAX_DEPTH);
				ok = false;
				done = true;
				break;
			}
			node = node_new(is_map ? NODE_MAPPING : NODE_SEQUENCE, mark);
			break;
		}
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			/* libyaml pairs start and end events, so depth > 0 here. */
			if (depth > 0) {
				depth--;
				if (stack[depth]->kind == NODE_MAPPING &&
				    !mapping_check_duplicates(r, stack[depth]))
					ok = false;
			}
			break;
		default:
			break;
		}

		if (node != NULL) {
			if (++nodes > RUNBOOK_MAX_NODES) {
				report_add(r, mark, "more than %d YAML values in one file",
				           RUNBOOK_MAX_NODES);
				node_free(node);
				ok = false;
				done = true;
			} else {
				if (!tree_attach(r, stack, depth, &root, node))
					ok = false;
				if (node->kind != NODE_SCALAR)
					stack[depth++] = node;
			}
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);

	if (!ok) {
		node_free(root);
		return NULL;
	}
	if (root == NULL || (root->kind == NODE_SCALAR && root->plain && root->text[0] == '\0')) {
		report_add(r, (runbook_mark_t){1, 1},
		           "the runbook is empty; it needs at least 'name' and 'steps'");
		node_free(root);
		return NULL;
	}
	return root;
}

/* ------------------------------------------------------------------ */
/* Pass 2: the tree into a runbook_t                                  */

/* One known key of a mapping. supported == false: part of the language
 * rota will run but this version does not yet, so the user gets "not
 * supported yet" rather than "unknown key". */
typedef struct {
	const char *name;
	bool supported;
} key_spec_t;

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

static const key_spec_t keys_top[] = {
    {"name", true},      {"description", true}, {"targets", true},
    {"params", true},    {"steps", true},       {"schedule", false},
    {"severity", false}, {"escalation", false}, {"triggers", false},
};

static const key_spec_t keys_targets[] = {
    {"hosts", true},
    {"labels", true},
    {"all", true},
};

static const key_spec_t keys_param[] = {
    {"default", true},
    {"required", true},
    {"description", true},
};

/* A step's own keys plus one per step type (see step_types). */
static const key_spec_t keys_step[] = {
    {"id", true},          {"timeout", true},     {"shell", true},
    {"http_check", false}, {"disk_check", false}, {"metric_check", false},
    {"manual", false},     {"notify", false},     {"noop", false},
    {"when", false},       {"retries", false},    {"continue_on_failure", false},
    {"idempotent", false},
};

static const key_spec_t keys_shell[] = {
    {"run", true},
    {"timeout", true},
    {"env", true},
    {"workdir", true},
};

/* Every step type the language knows. type 0: not implemented yet (already
 * reported as "not supported" by keys_step). */
static const struct {
	const char *name;
	runbook_step_type_t type;
} step_types[] = {
    {"shell", RUNBOOK_STEP_SHELL},
    {"http_check", 0},
    {"disk_check", 0},
    {"metric_check", 0},
    {"manual", 0},
    {"notify", 0},
    {"noop", 0},
};

typedef struct {
	report_t *r;
	runbook_t *rb;
	char *param_list; /* "a, b" for template errors; built on first use */
} check_t;

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
 * be at most half the candidate's length, so "x" does not suggest "id". */
static const char *
suggest_key(const char *key, const key_spec_t *keys, size_t nkeys)
{
	const char *best = NULL;
	size_t best_d = 3;
	size_t lk = strlen(key);

	if (lk > LEV_MAX)
		return NULL;
	for (size_t i = 0; i < nkeys; i++) {
		size_t lc = strlen(keys[i].name);
		if (lc > LEV_MAX || (lk > lc ? lk - lc : lc - lk) > 2)
			continue;
		size_t d = levenshtein(key, keys[i].name);
		if (d < best_d && d * 2 <= lc) {
			best = keys[i].name;
			best_d = d;
		}
	}
	return best;
}

/* Reports every key of map that is not in keys (with a hint when one is
 * close) or is known but not supported yet. where names the mapping
 * ("runbook", "step 'x'"). */
static void
keys_check(check_t *c, const node_t *map, const key_spec_t *keys, size_t nkeys, const char *where)
{
	for (size_t i = 0; i + 1 < map->count; i += 2) {
		const node_t *k = map->kids[i];
		const key_spec_t *spec = NULL;
		for (size_t j = 0; j < nkeys; j++) {
			if (strcmp(k->text, keys[j].name) == 0) {
				spec = &keys[j];
				break;
			}
		}
		if (spec == NULL) {
			const char *hint = suggest_key(k->text, keys, nkeys);
			if (hint != NULL)
				report_add(c->r, k->mark,
				           "unknown key '%s' in %s; did you mean '%s'?",
				           shown(k->text).s, where, hint);
			else
				report_add(c->r, k->mark, "unknown key '%s' in %s",
				           shown(k->text).s, where);
		} else if (!spec->supported) {
			report_add(c->r, k->mark,
			           "'%s' is not supported by this version of rota yet", spec->name);
		}
	}
}

/* The value of key in map, or NULL. Linear; keys are unique (pass 1). */
static const node_t *
map_get(const node_t *map, const char *key)
{
	for (size_t i = 0; i + 1 < map->count; i += 2)
		if (strcmp(map->kids[i]->text, key) == 0)
			return map->kids[i + 1];
	return NULL;
}

/* YAML's null: an empty plain scalar, "~" or "null". */
static bool
node_is_null(const node_t *n)
{
	if (n->kind != NODE_SCALAR || !n->plain)
		return false;
	return n->text[0] == '\0' || strcmp(n->text, "~") == 0 || strcmp(n->text, "null") == 0 ||
	       strcmp(n->text, "Null") == 0 || strcmp(n->text, "NULL") == 0;
}

static const char *
kind_name(const node_t *n)
{
	if (node_is_null(n))
		return "nothing";
	switch (n->kind) {
	case NODE_MAPPING:
		return "a mapping";
	case NODE_SEQUENCE:
		return "a sequence";
	default:
		return "text";
	}
}

/* Text value of key; NULL (after reporting) when v is not text or is null.
 * Returns a copy the caller owns. */
static char *
want_string(check_t *c, const node_t *v, const char *key)
{
	if (v->kind != NODE_SCALAR) {
		report_add(c->r, v->mark, "'%s' must be text, not %s", key, kind_name(v));
		return NULL;
	}
	if (node_is_null(v)) {
		report_add(c->r, v->mark, "'%s' has no value (write \"\" for empty text)", key);
		return NULL;
	}
	return xstrdup(v->text);
}

/* Only the YAML 1.2 core spellings, unquoted: "yes"/"on" are YAML 1.1
 * booleans some readers accept and others do not, so refuse them. */
static int
want_bool(check_t *c, const node_t *v, const char *key, bool *out)
{
	if (v->kind == NODE_SCALAR && v->plain) {
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
	if (v->kind == NODE_SCALAR && !node_is_null(v))
		report_add(c->r, v->mark, "'%s' must be true or false, not '%s'", key,
		           shown(v->text).s);
	else
		report_add(c->r, v->mark, "'%s' must be true or false, not %s", key, kind_name(v));
	return -1;
}

static int
want_duration(check_t *c, const node_t *v, const char *key, uint32_t *out)
{
	uint64_t ms;

	if (v->kind != NODE_SCALAR || node_is_null(v)) {
		report_add(c->r, v->mark,
		           "'%s' must be a duration such as 30s, 5m or 1h30m, not %s", key,
		           kind_name(v));
		return -1;
	}
	if (duration_parse(v->text, &ms) != 0) {
		report_add(c->r, v->mark,
		           "'%s' is not a valid duration: '%s' (use e.g. 500ms, 30s, 5m, 1h30m; "
		           "at most 30d)",
		           key, shown(v->text).s);
		return -1;
	}
	if (ms == 0) {
		report_add(c->r, v->mark, "'%s' must be longer than 0", key);
		return -1;
	}
	*out = (uint32_t)ms; /* DURATION_MAX_MS < UINT32_MAX */
	return 0;
}

/* s is 1..max_len characters from charset (a strspn set); when ident, it
 * must not start with a digit or '-'. */
static bool
name_valid(const char *s, const char *charset, size_t max_len, bool ident)
{
	size_t n = strlen(s);

	if (n == 0 || n > max_len || strspn(s, charset) != n)
		return false;
	if (ident && ((s[0] >= '0' && s[0] <= '9') || s[0] == '-' || s[0] == '.'))
		return false;
	return true;
}

#define CHARS_ALNUM "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
#define CHARS_RUNBOOK_NAME CHARS_ALNUM "._-"
#define CHARS_IDENT CHARS_ALNUM "_"
#define CHARS_STEP_ID CHARS_ALNUM "_-"
#define CHARS_LABEL_KEY CHARS_ALNUM "._/-"
#define MAX_HOST_LEN 255
#define MAX_ENV_NAME_LEN 255

/* ---- templates ---- */

typedef struct {
	check_t *c;
	runbook_mark_t mark;
} tmpl_ctx_t;

static const char *
param_list(check_t *c)
{
	if (c->param_list == NULL) {
		size_t len = 1;
		for (size_t i = 0; i < c->rb->param_count; i++)
			len += strlen(c->rb->params[i].name) + 2;
		c->param_list = xcalloc(1, len);
		for (size_t i = 0; i < c->rb->param_count; i++) {
			if (i > 0)
				strcat(c->param_list, ", ");
			strcat(c->param_list, c->rb->params[i].name);
		}
	}
	return c->param_list;
}

/* Returns 0 always: every unknown name in a text is reported, not just the
 * first. */
static int
tmpl_check_name(void *vctx, const char *name)
{
	tmpl_ctx_t *tc = vctx;
	check_t *c = tc->c;

	if (strncmp(name, "params.", 7) == 0) {
		if (runbook_param_find(c->rb, name + 7) != NULL)
			return 0;
		if (c->rb->param_count == 0)
			report_add(c->r, tc->mark,
			           "unknown template name '%s'; no params are declared",
			           shown(name).s);
		else
			report_add(c->r, tc->mark,
			           "unknown template name '%s'; declared params: %s", shown(name).s,
			           param_list(c));
		return 0;
	}
	if (strcmp(name, "host.id") == 0 || strcmp(name, "run.id") == 0)
		return 0;
	if (strncmp(name, "host.labels.", 12) == 0 &&
	    name_valid(name + 12, CHARS_LABEL_KEY, RUNBOOK_MAX_NAME_LEN, false))
		return 0;
	report_add(c->r, tc->mark,
	           "unknown template name '%s'; use params.NAME, host.id, host.labels.KEY or "
	           "run.id",
	           shown(name).s);
	return 0;
}

/* Checks the templates in text (the value of key, at node n). */
static void
tmpl_check(check_t *c, const node_t *n, const char *key, const char *text)
{
	tmpl_ctx_t tc = {.c = c, .mark = n->mark};
	char *error = NULL;

	if (template_names(text, tmpl_check_name, &tc, &error) != 0 && error != NULL)
		report_add(c->r, n->mark, "bad template in '%s': %s", key, error);
	free(error);
}

/* ---- targets ---- */

/* Adds v to targets.hosts, which the caller sized for every candidate. */
static void
check_host(check_t *c, const node_t *v)
{
	runbook_targets_t *t = &c->rb->targets;

	if (v->kind != NODE_SCALAR || node_is_null(v)) {
		report_add(c->r, v->mark, "a host in 'hosts' must be a worker id, not %s",
		           kind_name(v));
		return;
	}
	size_t n = strlen(v->text);
	bool ok = n > 0 && n <= MAX_HOST_LEN;
	for (size_t i = 0; ok && i < n; i++) {
		unsigned char ch = (unsigned char)v->text[i];
		if (ch <= ' ' || ch == 0x7f)
			ok = false;
	}
	if (!ok) {
		report_add(c->r, v->mark,
		           "host '%s' is not a valid worker id (1 to %d characters, no spaces)",
		           shown(v->text).s, MAX_HOST_LEN);
		return;
	}
	t->hosts[t->host_count++] = xstrdup(v->text);
}

static void
check_targets(check_t *c, const node_t *v)
{
	runbook_targets_t *t = &c->rb->targets;

	if (node_is_null(v))
		return;
	if (v->kind != NODE_MAPPING) {
		report_add(c->r, v->mark,
		           "'targets' must be a mapping (hosts, labels, all), not %s",
		           kind_name(v));
		return;
	}
	keys_check(c, v, keys_targets, COUNT_OF(keys_targets), "targets");

	const node_t *hosts = map_get(v, "hosts");
	if (hosts != NULL && !node_is_null(hosts)) {
		if (hosts->kind == NODE_SCALAR) {
			t->hosts = xcalloc(1, sizeof(*t->hosts));
			check_host(c, hosts); /* one host written without brackets */
		} else if (hosts->kind == NODE_SEQUENCE) {
			t->hosts = xcalloc(hosts->count + 1, sizeof(*t->hosts));
			for (size_t i = 0; i < hosts->count; i++)
				check_host(c, hosts->kids[i]);
		} else {
			report_add(c->r, hosts->mark,
			           "'hosts' must be a sequence of worker ids, not %s",
			           kind_name(hosts));
		}
	}

	const node_t *labels = map_get(v, "labels");
	if (labels != NULL && !node_is_null(labels)) {
		if (labels->kind != NODE_MAPPING) {
			report_add(c->r, labels->mark,
			           "'labels' must be a mapping of label: value, not %s",
			           kind_name(labels));
		} else {
			t->labels = xcalloc(labels->count / 2 + 1, sizeof(*t->labels));
			for (size_t i = 0; i + 1 < labels->count; i += 2) {
				const node_t *k = labels->kids[i];
				if (!name_valid(k->text, CHARS_LABEL_KEY, RUNBOOK_MAX_NAME_LEN,
				                false)) {
					report_add(
					    c->r, k->mark,
					    "label '%s' is not a valid label name (1 to %d of "
					    "A-Z a-z 0-9 . _ / -)",
					    shown(k->text).s, RUNBOOK_MAX_NAME_LEN);
					continue;
				}
				char *value = want_string(c, labels->kids[i + 1], k->text);
				if (value == NULL)
					continue;
				t->labels[t->label_count].key = xstrdup(k->text);
				t->labels[t->label_count].values = xcalloc(1, sizeof(char *));
				t->labels[t->label_count].values[0] = value;
				t->labels[t->label_count].value_count = 1;
				t->label_count++;
			}
		}
	}

	const node_t *all = map_get(v, "all");
	if (all != NULL && want_bool(c, all, "all", &t->all) == 0 && t->all &&
	    ((hosts != NULL && !node_is_null(hosts)) || (labels != NULL && !node_is_null(labels))))
		report_add(c->r, all->mark,
		           "'all: true' cannot be combined with 'hosts' or 'labels'");
}

/* ---- params ---- */

/* A param is required unless it has a default. "required: true" with a
 * default, or "required: false" without one, contradict each other and are
 * errors rather than a guess: a param that silently expands to "" can turn
 * "rm -rf {{ params.dir }}/" into something nobody meant. */
static void
check_param(check_t *c, const node_t *v, runbook_param_t *p)
{
	char where[RUNBOOK_MAX_NAME_LEN + 16];

	snprintf(where, sizeof(where), "param '%s'", p->name);
	p->required = true;
	if (node_is_null(v))
		return; /* "name:" alone: a required param */
	if (v->kind == NODE_SCALAR) {
		p->default_value = xstrdup(v->text); /* shorthand for the default */
		p->required = false;
		return;
	}
	if (v->kind != NODE_MAPPING) {
		report_add(c->r, v->mark,
		           "param '%s' must be a default value or a mapping (default, required, "
		           "description), not %s",
		           p->name, kind_name(v));
		return;
	}
	keys_check(c, v, keys_param, COUNT_OF(keys_param), where);

	const node_t *dv = map_get(v, "default");
	if (dv != NULL)
		p->default_value = want_string(c, dv, "default");
	const node_t *dd = map_get(v, "description");
	if (dd != NULL)
		p->description = want_string(c, dd, "description");
	const node_t *rq = map_get(v, "required");
	bool required = true;
	if (rq != NULL && want_bool(c, rq, "required", &required) == 0) {
		if (required && dv != NULL)
			report_add(c->r, rq->mark,
			           "param '%s' is required and has a default; drop one of them",
			           p->name);
		else if (!required && dv == NULL)
			report_add(c->r, rq->mark,
			           "param '%s' is not required but has no default; give it one "
			           "(default: \"\" for empty)",
			           p->name);
	}
	p->required = dv == NULL;
}

static void
check_params(check_t *c, const node_t *v)
{
	runbook_t *rb = c->rb;

	if (node_is_null(v))
		return;
	if (v->kind != NODE_MAPPING) {
		report_add(c->r, v->mark, "'params' must be a mapping of param names, not %s",
		           kind_name(v));
		return;
	}
	if (v->count / 2 > RUNBOOK_MAX_PARAMS) {
		report_add(c->r, v->mark, "more than %d params", RUNBOOK_MAX_PARAMS);
		return;
	}
	rb->params = xcalloc(v->count / 2 + 1, sizeof(*rb->params));
	for (size_t i = 0; i + 1 < v->count; i += 2) {
		const node_t *k = v->kids[i];
		if (!name_valid(k->text, CHARS_IDENT, RUNBOOK_MAX_NAME_LEN, true)) {
			report_add(c->r, k->mark,
			           "param name '%s' is not valid (a letter or _, then letters, "
			           "digits or _; at most %d)",
			           shown(k->text).s, RUNBOOK_MAX_NAME_LEN);
			continue;
		}
		runbook_param_t *p = &rb->params[rb->param_count++];
		p->name = xstrdup(k->text);
		p->mark = k->mark;
		check_param(c, v->kids[i + 1], p);
	}
}

/* ---- steps ---- */

static void
check_env(check_t *c, const node_t *v, runbook_step_t *s)
{
	if (node_is_null(v))
		return;
	if (v->kind != NODE_MAPPING) {
		report_add(c->r, v->mark, "'env' must be a mapping of NAME: value, not %s",
		           kind_name(v));
		return;
	}
	s->env = xcalloc(v->count / 2 + 1, sizeof(*s->env));
	for (size_t i = 0; i + 1 < v->count; i += 2) {
		const node_t *k = v->kids[i];
		const node_t *val = v->kids[i + 1];
		if (!name_valid(k->text, CHARS_IDENT, MAX_ENV_NAME_LEN, true)) {
			report_add(c->r, k->mark,
			           "environment variable name '%s' is not valid (a letter or _, "
			           "then letters, digits or _)",
			           shown(k->text).s);
			continue;
		}
		char *value = want_string(c, val, k->text);
		if (value == NULL)
			continue;
		tmpl_check(c, val, k->text, value);
		s->env[s->env_count].key = xstrdup(k->text);
		s->env[s->env_count].value = value;
		s->env_count++;
	}
}

static bool
text_blank(const char *s)
{
	return s[strspn(s, " \t\r\n")] == '\0';
}

static void
check_shell(check_t *c, const node_t *v, runbook_step_t *s, const char *label, bool step_timeout)
{
	char where[RUNBOOK_MAX_NAME_LEN + 32];
	const node_t *run = v;

	if (v->kind == NODE_MAPPING) {
		snprintf(where, sizeof(where), "shell of %s", label);
		keys_check(c, v, keys_shell, COUNT_OF(keys_shell), where);
		run = map_get(v, "run");
		if (run == NULL)
			report_add(c->r, v->mark, "shell of %s has no 'run'", label);

		const node_t *to = map_get(v, "timeout");
		if (to != NULL) {
			if (step_timeout)
				report_add(
				    c->r, to->mark,
				    "'timeout' is given both on %s and in its shell; keep one",
				    label);
			else
				want_duration(c, to, "timeout", &s->timeout_ms);
		}
		const node_t *env = map_get(v, "env");
		if (env != NULL)
			check_env(c, env, s);
		const node_t *wd = map_get(v, "workdir");
		if (wd != NULL) {
			s->workdir = want_string(c, wd, "workdir");
			if (s->workdir != NULL && s->workdir[0] == '\0')
				report_add(c->r, wd->mark, "'workdir' is empty");
			else if (s->workdir != NULL)
				tmpl_check(c, wd, "workdir", s->workdir);
		}
	} else if (v->kind != NODE_SCALAR || node_is_null(v)) {
		report_add(c->r, v->mark,
		           "'shell' must be a command or a mapping (run, timeout, env, workdir), "
		           "not %s",
		           kind_name(v));
		return;
	}
	if (run == NULL)
		return;
	s->run = want_string(c, run, "run");
	if (s->run == NULL)
		return;
	if (text_blank(s->run)) {
		report_add(c->r, run->mark, "'run' is empty");
		return;
	}
	tmpl_check(c, run, "run", s->run);
}

/* *id_node is set to the step's id value (for the duplicate check) or NULL. */
static void
check_step(check_t *c, const node_t *n, size_t index, runbook_step_t *s, const node_t **id_node)
{
	char label[RUNBOOK_MAX_NAME_LEN + 16];

	*id_node = NULL;
	s->mark = n->mark;
	s->timeout_ms = RUNBOOK_DEFAULT_STEP_TIMEOUT_MS;
	if (n->kind != NODE_MAPPING) {
		report_add(c->r, n->mark,
		           "step %zu must be a mapping with 'id' and a step type, not %s",
		           index + 1, kind_name(n));
		return;
	}

	snprintf(label, sizeof(label), "step %zu", index + 1);
	const node_t *idv = map_get(n, "id");
	if (idv == NULL) {
		report_add(c->r, n->mark, "step %zu has no 'id'", index + 1);
	} else if ((s->id = want_string(c, idv, "id")) != NULL) {
		if (!name_valid(s->id, CHARS_STEP_ID, RUNBOOK_MAX_NAME_LEN, false)) {
			report_add(c->r, idv->mark,
			           "step id '%s' is not valid (1 to %d of A-Z a-z 0-9 _ -)",
			           shown(s->id).s, RUNBOOK_MAX_NAME_LEN);
		} else {
			snprintf(label, sizeof(label), "step '%s'", s->id);
			*id_node = idv;
		}
	}
	keys_check(c, n, keys_step, COUNT_OF(keys_step), label);

	/* Exactly one step type. */
	const node_t *type_key = NULL;
	const node_t *type_val = NULL;
	runbook_step_type_t type = 0;
	for (size_t i = 0; i + 1 < n->count; i += 2) {
		const node_t *k = n->kids[i];
		for (size_t j = 0; j < COUNT_OF(step_types); j++) {
			if (strcmp(k->text, step_types[j].name) != 0)
				continue;
			if (type_key != NULL) {
				report_add(c->r, k->mark,
				           "%s has more than one type: '%s' and '%s'", label,
				           type_key->text, k->text);
			} else {
				type_key = k;
				type_val = n->kids[i + 1];
				type = step_types[j].type;
			}
		}
	}
	if (type_key == NULL)
		report_add(c->r, n->mark,
		           "%s has no step type; add 'shell: COMMAND' (the only type this "
		           "version runs)",
		           label);

	const node_t *to = map_get(n, "timeout");
	if (to != NULL)
		want_duration(c, to, "timeout", &s->timeout_ms);

	s->type = type;
	switch (type) {
	case RUNBOOK_STEP_SHELL:
		check_shell(c, type_val, s, label, to != NULL);
		break;
	default:
		/* Not implemented yet: keys_check has said so. */
		break;
	}
}

static void
check_steps(check_t *c, const node_t *root)
{
	runbook_t *rb = c->rb;
	const node_t *v = map_get(root, "steps");

	if (v == NULL) {
		report_add(c->r, root->mark, "missing required key 'steps'");
		return;
	}
	if (v->kind != NODE_SEQUENCE) {
		report_add(c->r, v->mark, "'steps' must be a sequence of steps, not %s",
		           kind_name(v));
		return;
	}
	if (v->count == 0) {
		report_add(c->r, v->mark, "'steps' is empty; a runbook needs at least one step");
		return;
	}
	if (v->count > RUNBOOK_MAX_STEPS) {
		report_add(c->r, v->mark, "more than %d steps", RUNBOOK_MAX_STEPS);
		return;
	}
	rb->steps = xcalloc(v->count, sizeof(*rb->steps));
	rb->step_count = v->count;
	const node_t **ids = xcalloc(v->count, sizeof(*ids));
	for (size_t i = 0; i < v->count; i++)
		check_step(c, v->kids[i], i, &rb->steps[i], &ids[i]);

	/* n^2 is fine: at most RUNBOOK_MAX_STEPS. */
	for (size_t i = 1; i < v->count; i++) {
		for (size_t j = 0; ids[i] != NULL && j < i; j++) {
			if (ids[j] != NULL && strcmp(ids[i]->text, ids[j]->text) == 0) {
				report_add(
				    c->r, ids[i]->mark,
				    "duplicate step id '%s' (first used at line %d, column %d)",
				    ids[i]->text, ids[j]->mark.line, ids[j]->mark.column);
				break;
			}
		}
	}
	free(ids);
}

static void
check_root(check_t *c, const node_t *root)
{
	runbook_t *rb = c->rb;

	if (root->kind != NODE_MAPPING) {
		report_add(c->r, root->mark,
		           "a runbook must be a mapping of keys (name, steps, ...), not %s",
		           kind_name(root));
		return;
	}
	keys_check(c, root, keys_top, COUNT_OF(keys_top), "runbook");

	const node_t *v = map_get(root, "name");
	if (v == NULL) {
		report_add(c->r, root->mark, "missing required key 'name'");
	} else if ((rb->name = want_string(c, v, "name")) != NULL &&
	           !name_valid(rb->name, CHARS_RUNBOOK_NAME, RUNBOOK_MAX_NAME_LEN, false)) {
		report_add(c->r, v->mark,
		           "runbook name '%s' is not valid (1 to %d of A-Z a-z 0-9 . _ -)",
		           shown(rb->name).s, RUNBOOK_MAX_NAME_LEN);
	}
	if ((v = map_get(root, "description")) != NULL)
		rb->description = want_string(c, v, "description");
	if ((v = map_get(root, "targets")) != NULL)
		check_targets(c, v);
	/* params before steps: templates in steps name params. */
	if ((v = map_get(root, "params")) != NULL)
		check_params(c, v);
	check_steps(c, root);
}

/* ------------------------------------------------------------------ */
/* Public                                                             */

runbook_t *
runbook_parse_string(const char *text, size_t len, const char *name, runbook_errors_t *errs)
{
	runbook_errors_t local = {0};
	report_t r;
	runbook_t *rb = NULL;

	if (errs == NULL)
		errs = &local;
	r = (report_t){.errs = errs, .file = name ? name : "<string>", .first = errs->count};

	if (text == NULL) {
		report_add(&r, MARK_FILE, "no runbook text");
	} else if (len > RUNBOOK_MAX_FILE_BYTES) {
		report_add(&r, MARK_FILE, "the runbook is larger than %d bytes",
		           RUNBOOK_MAX_FILE_BYTES);
	} else {
		size_t bad = utf8_check((const unsigned char *)text, len);
		if (bad < len) {
			report_add(&r, mark_from_offset(text, len, bad),
			           text[bad] == '\0'
			               ? "NUL byte; a runbook must be UTF-8 text"
			               : "invalid UTF-8; a runbook must be UTF-8 text");
		} else {
			node_t *root = tree_build(&r, text, len);
			if (root != NULL) {
				check_t c = {.r = &r};
				rb = xcalloc(1, sizeof(*rb));
				rb->path = xstrdup(r.file);
				c.rb = rb;
				check_root(&c, root);
				free(c.param_list);
				node_free(root);
			}
		}
	}

	report_sort(&r);
	if (r.overflow)
		report_add_final(&r, MARK_FILE, "too many errors; stopped after %d",
		                 RUNBOOK_MAX_ERRORS);
	if (r.count > 0)
		runbook_destroy(&rb);
	runbook_errors_clear(&local);
	return rb;
}

runbook_t *
runbook_parse_file(const char *path, runbook_errors_t *errs)
{
	runbook_errors_t local = {0};
	report_t r;
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	runbook_t *rb = NULL;

	if (errs == NULL)
		errs = &local;
	if (path == NULL)
		path = "<null>";
	r = (report_t){.errs = errs, .file = path, .first = errs->count};

	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		report_add(&r, MARK_FILE, "cannot open: %s", strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		report_add(&r, MARK_FILE, "cannot stat: %s", strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		report_add(&r, MARK_FILE, "not a regular file");
		goto out;
	}
	if (st.st_size > RUNBOOK_MAX_FILE_BYTES) {
		report_add(&r, MARK_FILE, "the runbook is larger than %d bytes",
		           RUNBOOK_MAX_FILE_BYTES);
		goto out;
	}
	/* Read one byte more than allowed, in case the file grew since fstat. */
	buf = xmalloc(RUNBOOK_MAX_FILE_BYTES + 1);
	for (;;) {
		ssize_t n = read(fd, buf + len, RUNBOOK_MAX_FILE_BYTES + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			report_add(&r, MARK_FILE, "cannot read: %s", strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > RUNBOOK_MAX_FILE_BYTES) {
			report_add(&r, MARK_FILE, "the runbook is larger than %d bytes",
			           RUNBOOK_MAX_FILE_BYTES);
			goto out;
		}
	}
	rb = runbook_parse_string(buf, len, path, errs);
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	runbook_errors_clear(&local);
	return rb;
}

static void
kv_free(runbook_kv_t *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

void
runbook_destroy(runbook_t **rbp)
{
	if (rbp == NULL || *rbp == NULL)
		return;
	runbook_t *rb = *rbp;

	free(rb->path);
	free(rb->name);
	free(rb->description);
	for (size_t i = 0; i < rb->targets.host_count; i++)
		free(rb->targets.hosts[i]);
	free(rb->targets.hosts);
	for (size_t i = 0; i < rb->targets.label_count; i++) {
		runbook_label_match_t *m = &rb->targets.labels[i];
		free(m->key);
		for (size_t k = 0; k < m->value_count; k++)
			free(m->values[k]);
		free(m->values);
	}
	free(rb->targets.labels);
	for (size_t i = 0; i < rb->param_count; i++) {
		free(rb->params[i].name);
		free(rb->params[i].default_value);
		free(rb->params[i].description);
	}
	free(rb->params);
	for (size_t i = 0; i < rb->step_count; i++) {
		runbook_step_t *s = &rb->steps[i];
		free(s->id);
		free(s->run);
		kv_free(s->env, s->env_count);
		free(s->workdir);
	}
	free(rb->steps);
	free(rb);
	*rbp = NULL;
}

const runbook_param_t *
runbook_param_find(const runbook_t *rb, const char *name)
{
	if (rb == NULL || name == NULL)
		return NULL;
	for (size_t i = 0; i < rb->param_count; i++)
		if (rb->params[i].name != NULL && strcmp(rb->params[i].name, name) == 0)
			return &rb->params[i];
	return NULL;
}

char *
runbook_errors_format(const runbook_errors_t *errs)
{
	size_t cap = 1;
	char *out;
	size_t len = 0;

	if (errs == NULL)
		return xstrdup("");
	for (size_t i = 0; i < errs->count; i++)
		cap += strlen(errs->items[i].file) + strlen(errs->items[i].message) + 32;
	out = xmalloc(cap);
	out[0] = '\0';
	for (size_t i = 0; i < errs->count; i++) {
		const runbook_error_t *e = &errs->items[i];
		int n;
		if (e->line > 0)
			n = snprintf(out + len, cap - len, "%s:%d:%d: %s\n", e->file, e->line,
			             e->column, e->message);
		else
			n = snprintf(out + len, cap - len, "%s: %s\n", e->file, e->message);
		if (n > 0)
			len += (size_t)n;
	}
	return out;
}

void
runbook_errors_clear(runbook_errors_t *errs)
{
	if (errs == NULL)
		return;
	for (size_t i = 0; i < errs->count; i++) {
		free(errs->items[i].file);
		free(errs->items[i].message);
	}
	free(errs->items);
	errs->items = NULL;
	errs->count = 0;
}
