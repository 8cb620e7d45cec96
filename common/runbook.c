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

#include "cron.h"
#include "duration.h"
#include "file.h"
#include "keys.h"
#include "shellword.h"
#include "strlist.h"
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

static void __attribute__((format(printf, 3, 0)))
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
	/* Nothing to sort, and items may be NULL: no offset from it (UB). */
	if (r->count < 2)
		return;
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
	char *text;         /* scalar: its value, NUL-free */
	bool plain;         /* scalar: written without quotes (so may be null/bool) */
	int style;          /* scalar: its yaml_scalar_style_t */
	runbook_mark_t end; /* scalar: just past its last character (or quote) */
	node_t **kids;      /* sequence: items; mapping: key, value, key, value ... */
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

/* The byte offset of a libyaml mark (0-based line, column in characters)
 * in text, or len when it is past the end. */
static size_t
offset_of_yaml_mark(const char *text, size_t len, size_t line, size_t column)
{
	size_t i = 0;
	for (size_t l = 0; l < line && i < len; i++)
		if (text[i] == '\n')
			l++;
	for (size_t col = 0; col < column && i < len && text[i] != '\n'; col++) {
		i++;
		while (i < len && ((unsigned char)text[i] & 0xC0) == 0x80)
			i++;
	}
	return i;
}

#define HINT_TOKEN_MAX 32
/* What a key the hint names may be made of (the language's keys). */
#define CHARS_KEY_HINT "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"

/* "; did you mean to quote '>='? write op: '>='" for a value at offset at
 * that YAML read as something else (a block scalar's '>' or '|', a tag's
 * '!'), written unquoted after "KEY:"; "" when it does not look like one.
 * The token runs to the end of the line (to one of ",}]" too in a flow
 * mapping), without trailing blanks or a comment. */
static void
quote_hint(const char *text, size_t len, size_t at, char *out, size_t out_len)
{
	out[0] = '\0';
	if (at >= len || strchr(">|!", text[at]) == NULL)
		return;
	/* The key: "KEY:" then blanks just before the value. */
	size_t k = at;
	while (k > 0 && (text[k - 1] == ' ' || text[k - 1] == '\t'))
		k--;
	if (k == 0 || text[k - 1] != ':')
		return;
	size_t key_end = --k;
	while (k > 0 && strchr(CHARS_KEY_HINT, text[k - 1]) != NULL)
		k--;
	if (k == key_end)
		return;
	bool flow = false;
	for (size_t b = k; b > 0 && text[b - 1] != '\n'; b--)
		if (text[b - 1] == '{' || text[b - 1] == '[')
			flow = true;
	size_t end = at;
	while (end < len && text[end] != '\n' && !(flow && strchr(",}]", text[end]) != NULL) &&
	       !(end > at && text[end] == '#' && (text[end - 1] == ' ' || text[end - 1] == '\t')))
		end++;
	while (end > at && (text[end - 1] == ' ' || text[end - 1] == '\t' || text[end - 1] == '\r'))
		end--;
	if (end - at > HINT_TOKEN_MAX || memchr(text + at, '\'', end - at) != NULL)
		return;
	snprintf(out, out_len, "; did you mean to quote '%.*s'? write %.*s: '%.*s'",
	         (int)(end - at), text + at, (int)(key_end - k), text + k, (int)(end - at),
	         text + at);
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
	case YAML_PARSER_ERROR: {
		/* An unquoted operator ("op: >=", "{op: >}") reads as the start of
		 * a block scalar or as nothing YAML knows: say how to write it. */
		char hint[3 * HINT_TOKEN_MAX + 128 + 64];
		const yaml_mark_t *at =
		    p->context != NULL && strcmp(p->context, "while scanning a block scalar") == 0
		        ? &p->context_mark
		        : &p->problem_mark;
		quote_hint(text, len, offset_of_yaml_mark(text, len, at->line, at->column), hint,
		           sizeof(hint));
		if (p->context != NULL) {
			runbook_mark_t cm = mark_from_yaml(p->context_mark);
			report_add(r, mark_from_yaml(p->problem_mark),
			           "YAML syntax error: %s (%s at line %d, column %d)%s", problem,
			           p->context, cm.line, cm.column, hint);
		} else {
			report_add(r, mark_from_yaml(p->problem_mark), "YAML syntax error: %s%s",
			           problem, hint);
		}
		break;
	}
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
/* text and len: the file, for a hint when a tag is all a scalar holds
 * ("op: !=": an operator YAML read as a tag); NULL for no hint. */
static bool
event_check_props(report_t *r, runbook_mark_t mark, const yaml_char_t *anchor,
                  const yaml_char_t *tag, const char *text, size_t len)
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
		/* "op: !=" is a tag to YAML, not the operator. */
		char hint[3 * HINT_TOKEN_MAX + 128];
		hint[0] = '\0';
		if (!is_core && text != NULL && mark.line > 0)
			quote_hint(text, len,
			           offset_of_yaml_mark(text, len, (size_t)mark.line - 1,
			                               (size_t)mark.column - 1),
			           hint, sizeof(hint));
		report_add(r, mark, "YAML tags ('%s%s') are not supported in runbooks%s",
		           is_core ? "!!" : "", shown(is_core ? t + strlen(core) : t).s, hint);
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
			if (!event_check_props(r, mark, ev.data.scalar.anchor, ev.data.scalar.tag,
			                       ev.data.scalar.length == 0 ? text : NULL, len))
				ok = false;
			node = node_new(NODE_SCALAR, mark);
			node->text =
			    xstrndup((const char *)ev.data.scalar.value, ev.data.scalar.length);
			node->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
			node->style = (int)ev.data.scalar.style;
			node->end = mark_from_yaml(ev.end_mark);
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
			if (!event_check_props(r, mark, anchor, tag, NULL, 0))
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
/* Value syntax, shared by the checker and the public helpers         */

/* These take the text of one value and say whether it fits; they are used
 * at parse time on literal values and (through runbook_field_check and
 * runbook_param_check) at submit on rendered ones, so the two can never
 * disagree about what a valid value is. */

static bool
is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static bool
text_blank(const char *s)
{
	return s[strspn(s, " \t\r\n")] == '\0';
}

/* Digits only (no sign, no spaces), at most max. */
static bool
text_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!is_digit(*s))
		return false;
	for (; is_digit(*s); s++) {
		uint64_t d = (uint64_t)(*s - '0');
		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (*s != '\0')
		return false;
	*out = v;
	return true;
}

/* An optional sign and digits, inside int64_t. */
static bool
text_int64(const char *s)
{
	bool neg = *s == '-';
	uint64_t v;

	if (*s == '-' || *s == '+')
		s++;
	/* -9223372036854775808 is one more than the largest positive. */
	return text_uint(s, neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, &v);
}

/* Case-insensitive, so "-p force=TRUE" works as well as "true". */
static const char *const bool_true_words[] = {"true", "yes", "1"};
static const char *const bool_false_words[] = {"false", "no", "0"};

static bool
text_bool(const char *s, bool *out)
{
	for (size_t i = 0; i < sizeof(bool_true_words) / sizeof(bool_true_words[0]); i++) {
		if (strcasecmp(s, bool_true_words[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcasecmp(s, bool_false_words[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return false;
}

static bool
text_duration(const char *s)
{
	uint64_t ms;

	return duration_parse(s, &ms) == 0;
}

/* A decimal number: [+-]digits[.digits][e[+-]digits] (sign and exponent
 * only when allowed), finite, into *out. Written out rather than trusting
 * strtod alone, which also takes hex, "inf", "nan" and leading spaces. */
static bool
text_number(const char *s, bool allow_sign, bool allow_exp, double *out)
{
	const char *p = s;
	size_t digits = 0;

	if (allow_sign && (*p == '-' || *p == '+'))
		p++;
	for (; is_digit(*p); p++)
		digits++;
	if (*p == '.') {
		p++;
		for (; is_digit(*p); p++)
			digits++;
	}
	if (digits == 0)
		return false;
	if (allow_exp && (*p == 'e' || *p == 'E')) {
		p++;
		if (*p == '-' || *p == '+')
			p++;
		if (!is_digit(*p))
			return false;
		while (is_digit(*p))
			p++;
	}
	if (*p != '\0')
		return false;
	errno = 0;
	double v = strtod(s, NULL);
	if (errno == ERANGE && (v > 1.0 || v < -1.0))
		return false; /* overflow to infinity; underflow to 0 is harmless */
	*out = v;
	return true;
}

static bool
rule_status(const char *s)
{
	uint64_t v;

	return text_uint(s, 999, &v) && v >= 100 && v <= 599;
}

static bool
rule_pct(const char *s)
{
	double v;

	return text_number(s, false, false, &v) && v <= 100.0;
}

static bool
rule_value(const char *s)
{
	double v;

	return text_number(s, true, true, &v);
}

/* "http://" or "https://", a host part, and nothing that would need
 * quoting in a request line. */
static bool
rule_url(const char *s)
{
	size_t skip;

	if (strncasecmp(s, "http://", 7) == 0)
		skip = 7;
	else if (strncasecmp(s, "https://", 8) == 0)
		skip = 8;
	else
		return false;
	if (s[skip] == '\0' || s[skip] == '/')
		return false;
	for (const char *p = s; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return false;
	return true;
}

static bool
rule_path(const char *s)
{
	return s[0] == '/';
}

static bool
rule_bytes(const char *s)
{
	uint64_t v;

	return runbook_bytes_parse(s, &v) == 0;
}

/* Prometheus names: a metric may hold ':', a label may not. */
static size_t
metric_name_len(const char *s, bool metric)
{
	size_t n = 0;

	for (;; n++) {
		char ch = s[n];
		bool alpha = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' ||
		             (metric && ch == ':');
		if (!alpha && !(n > 0 && is_digit(ch)))
			return n;
	}
}

/* Label matchers in one metric_check; also keeps the duplicate check
 * below (n^2) cheap. Real selectors use a handful. */
#define MAX_METRIC_LABELS 32

static const char *
skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Reads a double-quoted label value at p (escapes \\ \" \n, as in the
 * Prometheus text format) into a new string; returns the byte after the
 * closing quote, or NULL. */
static const char *
metric_label_value(const char *p, char **value)
{
	const char *q;

	if (*p++ != '"')
		return NULL;
	/* Measure first, so the copy is sized by this value, not the rest of
	 * the text. */
	for (q = p; *q != '"'; q++) {
		if (*q == '\0')
			return NULL;
		if (*q == '\\') {
			q++;
			if (*q != 'n' && *q != '\\' && *q != '"')
				return NULL;
		}
	}
	char *out = xmalloc((size_t)(q - p) + 1);
	size_t n = 0;
	for (; p < q; p++) {
		if (*p == '\\') {
			p++;
			out[n++] = *p == 'n' ? '\n' : *p;
		} else {
			out[n++] = *p;
		}
	}
	out[n] = '\0';
	*value = out;
	return q + 1;
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

int
runbook_metric_parse(const char *text, char **name, runbook_kv_t **labels, size_t *label_count)
{
	runbook_kv_t *kv = NULL;
	size_t n = 0;

	if (text == NULL)
		return -1;
	size_t len = metric_name_len(text, true);
	if (len == 0)
		return -1;
	const char *p = text + len;
	if (*p == '{') {
		kv = xcalloc(MAX_METRIC_LABELS, sizeof(*kv));
		p = skip_blanks(p + 1);
		while (*p != '}') {
			size_t kl = metric_name_len(p, false);
			if (kl == 0 || n == MAX_METRIC_LABELS)
				goto bad;
			char *key = xstrndup(p, kl);
			for (size_t i = 0; i < n; i++) {
				if (strcmp(kv[i].key, key) == 0) {
					free(key);
					goto bad; /* Prometheus refuses it too */
				}
			}
			kv[n].key = key;
			p = skip_blanks(p + kl);
			if (*p != '=')
				goto bad_key;
			p = metric_label_value(skip_blanks(p + 1), &kv[n].value);
			if (p == NULL)
				goto bad_key;
			n++;
			p = skip_blanks(p);
			if (*p == ',')
				p = skip_blanks(p + 1);
			else if (*p != '}')
				goto bad;
		}
		p++;
	}
	if (*p != '\0')
		goto bad;
	if (name != NULL)
		*name = xstrndup(text, len);
	if (labels != NULL) {
		*labels = kv;
		*label_count = n;
	} else {
		kv_free(kv, n);
	}
	return 0;
bad_key:
	free(kv[n].key);
bad:
	kv_free(kv, n);
	return -1;
}

static bool
rule_metric(const char *s)
{
	return runbook_metric_parse(s, NULL, NULL, NULL) == 0;
}

int
runbook_bytes_parse(const char *text, uint64_t *bytes)
{
	static const char suffixes[] = "KMGT";
	uint64_t mult = 1;

	if (text == NULL)
		return -1;
	size_t len = strlen(text);
	if (len == 0)
		return -1;
	const char *suffix = strchr(suffixes, text[len - 1]);
	char digits[32];
	if (suffix != NULL) {
		for (const char *k = suffixes; k <= suffix; k++)
			mult *= 1024;
		len--;
	}
	if (len == 0 || len >= sizeof(digits))
		return -1;
	memcpy(digits, text, len);
	digits[len] = '\0';
	uint64_t v;
	if (!text_uint(digits, UINT64_MAX / mult, &v))
		return -1;
	*bytes = v * mult;
	return 0;
}

/* The step fields whose text has a syntax, by YAML key. what is how an
 * error names the expected form: "'KEY' must be WHAT, not ...". */
typedef struct {
	const char *key;
	const char *what;
	bool (*fits)(const char *text);
} field_rule_t;

static const field_rule_t field_rules[] = {
    {"url", "an http:// or https:// URL", rule_url},
    {"path", "an absolute path", rule_path},
    {"expect_status", "an HTTP status from 100 to 599", rule_status},
    {"min_free_pct", "a percentage from 0 to 100", rule_pct},
    {"min_free_bytes", "a size in bytes, such as 500M or 10G (suffix K, M, G or T)", rule_bytes},
    {"metric", "a metric name, optionally with labels: name{key=\"value\",...}", rule_metric},
    {"value", "a number", rule_value},
};

static const field_rule_t *
field_rule(const char *key)
{
	for (size_t i = 0; i < sizeof(field_rules) / sizeof(field_rules[0]); i++)
		if (strcmp(field_rules[i].key, key) == 0)
			return &field_rules[i];
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Pass 2: the tree into a runbook_t                                  */

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

/* The known keys of each mapping, for "unknown key" and "did you mean". */
static const char *const keys_top[] = {
    "name",     "description",       "targets",       "params",
    "steps",    "schedule",          "severity",      "escalation",
    "triggers", "allowed_operators", "allowed_roles",
};
static const char *const keys_schedule[] = {
    "cron", "timezone", "jitter", "catchup", "catchup_max", "concurrency",
};
static const char *const keys_targets[] = {
    "hosts", "labels", "all", "batch", "max_failures",
};
static const char *const keys_param[] = {
    "default", "required", "description", "type", "secret",
};
static const char *const keys_trigger[] = {"alertmanager"};
/* A step's own keys plus one per step type (see step_types). */
static const char *const keys_step[] = {
    "id",         "timeout", "when",       "retries",    "continue_on_failure",
    "idempotent", "shell",   "http_check", "disk_check", "metric_check",
    "manual",     "notify",  "noop",       "run_as",
};
static const char *const keys_when[] = {"failed", "succeeded"};
static const char *const keys_retries[] = {"count", "backoff", "max_backoff"};
static const char *const keys_shell[] = {"run", "timeout", "env", "workdir"};
static const char *const keys_http[] = {"url", "method", "expect_status", "body_contains",
                                        "timeout"};
static const char *const keys_disk[] = {"path", "min_free_pct", "min_free_bytes", "timeout"};
static const char *const keys_metric[] = {"url", "metric", "op", "value", "timeout"};
static const char *const keys_manual[] = {"prompt", "timeout"};
static const char *const keys_notify[] = {"message", "channel", "timeout"};
static const char *const keys_noop[] = {"timeout"};

/* Enumerations, in the order of their C enums (index = value, except
 * where a table of values says otherwise). */
static const char *const names_severity[] = {"P1", "P2", "P3", "P4"};
/* allowed_roles: the roles that may submit at all (a viewer never may). */
static const char *const names_allowed_role[] = {"operator", "admin"};
static const char *const names_param_type[] = {"string", "int", "bool", "duration"};
static const char *const names_catchup[] = {"latest", "none", "all"};
static const char *const names_concurrency[] = {"forbid", "allow", "replace"};
static const char *const names_method[] = {"GET", "HEAD", "POST", "PUT", "DELETE"};
static const char *const names_op[] = {"<", "<=", ">", ">=", "==", "!="};

typedef struct {
	report_t *r;
	report_t *warn; /* into rb->warnings */
	runbook_t *rb;
	char *param_list; /* "a, b" for template errors; built on first use */
	const char *text; /* the whole file, for positions inside a value */
	size_t len;
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
static void
keys_check(check_t *c, const node_t *map, const char *const *keys, size_t nkeys, const char *where)
{
	for (size_t i = 0; i + 1 < map->count; i += 2) {
		const node_t *k = map->kids[i];
		bool known = false;
		for (size_t j = 0; j < nkeys && !known; j++)
			known = strcmp(k->text, keys[j]) == 0;
		if (known)
			continue;
		const char *hint = suggest_key(k->text, keys, nkeys);
		if (hint != NULL)
			report_add(c->r, k->mark, "unknown key '%s' in %s; did you mean '%s'?",
			           shown(k->text).s, where, hint);
		else
			report_add(c->r, k->mark, "unknown key '%s' in %s", shown(k->text).s,
			           where);
	}
}

/* "a, b, c" (or "a, b or c" with last_or) into buf, for messages that list
 * choices; the lists are short constant tables. */
static const char *
names_join(const char *const *names, size_t n, bool last_or, char *buf, size_t len)
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

static bool
node_is_text(const node_t *n)
{
	return n->kind == NODE_SCALAR && !node_is_null(n);
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
	if (node_is_text(v))
		report_add(c->r, v->mark, "'%s' must be true or false, not '%s'", key,
		           shown(v->text).s);
	else
		report_add(c->r, v->mark, "'%s' must be true or false, not %s", key, kind_name(v));
	return -1;
}

/* allow_zero: "0" is meaningful (jitter, backoff) rather than a mistake
 * (a timeout of nothing). */
static int
want_duration_ex(check_t *c, const node_t *v, const char *key, bool allow_zero, uint32_t *out)
{
	uint64_t ms;

	if (!node_is_text(v)) {
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
	if (ms == 0 && !allow_zero) {
		report_add(c->r, v->mark, "'%s' must be longer than 0", key);
		return -1;
	}
	*out = (uint32_t)ms; /* DURATION_MAX_MS < UINT32_MAX */
	return 0;
}

static int
want_duration(check_t *c, const node_t *v, const char *key, uint32_t *out)
{
	return want_duration_ex(c, v, key, false, out);
}

/* An integer from min to max. */
static int
want_uint(check_t *c, const node_t *v, const char *key, uint32_t min, uint32_t max, uint32_t *out)
{
	uint64_t n;

	if (node_is_text(v) && text_uint(v->text, max, &n) && n >= min) {
		*out = (uint32_t)n;
		return 0;
	}
	if (node_is_text(v))
		report_add(c->r, v->mark, "'%s' must be an integer from %u to %u, not '%s'", key,
		           min, max, shown(v->text).s);
	else
		report_add(c->r, v->mark, "'%s' must be an integer from %u to %u, not %s", key, min,
		           max, kind_name(v));
	return -1;
}

/* One of names, exactly as written there; *index is its position. */
static int
want_enum(check_t *c, const node_t *v, const char *key, const char *const *names, size_t n,
          int *index)
{
	char list[128];

	if (node_is_text(v)) {
		for (size_t i = 0; i < n; i++) {
			if (strcmp(v->text, names[i]) == 0) {
				*index = (int)i;
				return 0;
			}
		}
	}
	names_join(names, n, false, list, sizeof(list));
	bool block = v->style == YAML_FOLDED_SCALAR_STYLE || v->style == YAML_LITERAL_SCALAR_STYLE;
	if (v->kind == NODE_SCALAR && block) {
		/* "op: >" starts a YAML folded block; it is not the text ">". */
		const char *ind = v->style == YAML_FOLDED_SCALAR_STYLE ? ">" : "|";
		report_add(c->r, v->mark,
		           "'%s' must be one of %s, not %s block ('%s' unquoted starts one);"
		           " did you mean to quote '%s'? write %s: '%s'",
		           key, list, text_blank(v->text) ? "an empty" : "a YAML", ind, ind, key,
		           ind);
	} else if (node_is_text(v))
		report_add(c->r, v->mark, "'%s' must be one of %s, not '%s'", key, list,
		           shown(v->text).s);
	else
		report_add(c->r, v->mark, "'%s' must be one of %s, not %s", key, list,
		           kind_name(v));
	return -1;
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
#define CHARS_USER CHARS_ALNUM "._-"
#define MAX_USER_LEN 32 /* useradd's limit */
/* Steps named in "steps before this one: ..." before it says "...". */
#define MAX_LISTED_STEPS 10

/* ---- templates ---- */

/* Where a secret param may be used (docs/security.md): */
typedef enum {
	SECRET_REFUSED = 0, /* check fields, workdir, channel: would be stored or
	                       visible, and a mask would make them wrong */
	SECRET_RENDERED,    /* run (an env reference), prompt, message (****) */
	SECRET_WHOLE_VALUE, /* an env value: only as the whole value */
} secret_rule_t;

/* A template of a text being checked. */
typedef struct {
	char *name; /* owned */
	bool raw;
	bool secret; /* a secret param */
	size_t offset, length;
} tmpl_ref_t;

typedef struct {
	check_t *c;
	runbook_mark_t mark;
	const char *key;
	secret_rule_t rule;
	size_t names;     /* templates seen */
	bool secret;      /* a secret param among them */
	tmpl_ref_t *refs; /* owned: every template, in order */
} tmpl_ctx_t;

static const char *
param_list(check_t *c)
{
	if (c->param_list == NULL) {
		strlist_t names = {0}; /* owned: freed here */
		for (size_t i = 0; i < c->rb->param_count; i++)
			strlist_add(&names, xstrdup(c->rb->params[i].name));
		c->param_list = strlist_join_sep(&names, ", ", "");
		strlist_free(&names);
	}
	return c->param_list;
}

/* Returns 0 always: every unknown name in a text is reported, not just the
 * first. */
static int
tmpl_check_name(tmpl_ctx_t *tc, const char *name)
{
	check_t *c = tc->c;

	tc->names++;
	if (strncmp(name, "params.", 7) == 0) {
		const runbook_param_t *p = runbook_param_find(c->rb, name + 7);
		if (p != NULL && p->secret) {
			tc->secret = true;
			if (tc->rule == SECRET_REFUSED)
				report_add(c->r, tc->mark,
				           "'%s' cannot use secret param '%s': a secret reaches a "
				           "step only through its environment (use it in a shell "
				           "step's run or env)",
				           tc->key, name + 7);
		}
		if (p != NULL)
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

static int
tmpl_check_ref(void *vctx, const template_ref_t *ref)
{
	tmpl_ctx_t *tc = vctx;
	bool had_secret = tc->secret;
	bool was = false;

	tc->secret = false;
	tmpl_check_name(tc, ref->name);
	was = tc->secret;
	tc->secret = had_secret || was;
	tc->refs = xrealloc(tc->refs, (tc->names) * sizeof(*tc->refs));
	tc->refs[tc->names - 1] = (tmpl_ref_t){
	    .name = xstrdup(ref->name),
	    .raw = ref->raw,
	    .secret = was,
	    .offset = ref->offset,
	    .length = ref->length,
	};
	return 0;
}

/* The byte offset of mark (line, column in characters) in the file. */
static size_t
offset_of_mark(const check_t *c, runbook_mark_t m)
{
	size_t i = 0;
	for (int line = 1; line < m.line && i < c->len; i++)
		if (c->text[i] == '\n')
			line++;
	for (int col = 1; col < m.column && i < c->len && c->text[i] != '\n'; col++) {
		i++;
		while (i < c->len && ((unsigned char)c->text[i] & 0xC0) == 0x80)
			i++;
	}
	return i;
}

/* Where the index-th template of the value of scalar n starts in the file:
 * the index-th "{{ ... }}" between the scalar's start and end there, when
 * the file holds as many as the value (quotes, indentation and folded
 * lines do not change them); else the scalar's own mark. */
static runbook_mark_t
tmpl_mark(const check_t *c, const node_t *n, size_t index, size_t count)
{
	if (c->text == NULL || n->kind != NODE_SCALAR)
		return n->mark;
	size_t from = offset_of_mark(c, n->mark);
	size_t to = n->end.line > 0 ? offset_of_mark(c, n->end) : c->len;
	size_t found = 0, at = 0;
	for (size_t i = from; i + 1 < to;) {
		if (c->text[i] != '{' || c->text[i + 1] != '{') {
			i++;
			continue;
		}
		if (found == index)
			at = i;
		found++;
		size_t j = i + 2;
		while (j + 1 < to && !(c->text[j] == '}' && c->text[j + 1] == '}'))
			j++;
		i = j + 2;
	}
	if (found != count)
		return n->mark;
	/* Count lines and characters from the scalar's start. */
	runbook_mark_t m = n->mark;
	for (size_t i = from; i < at; i++) {
		unsigned char ch = (unsigned char)c->text[i];
		if (ch == '\n') {
			m.line++;
			m.column = 1;
		} else if ((ch & 0xC0) != 0x80) {
			m.column++;
		}
	}
	return m;
}

/* A shell step's run: every template (but a raw one) must stand where
 * rota's quoting makes its value exactly one shell word (shellword.h);
 * raw is for params that are not secret, and is warned about. */
static void
tmpl_check_shell(check_t *c, const node_t *n, const char *text, const tmpl_ctx_t *tc)
{
	size_t count = tc->names;
	size_t *offsets = xcalloc(count + 1, sizeof(*offsets));
	size_t *lengths = xcalloc(count + 1, sizeof(*lengths));
	shellword_place_t *places = xcalloc(count + 1, sizeof(*places));
	for (size_t i = 0; i < count; i++) {
		offsets[i] = tc->refs[i].offset;
		lengths[i] = tc->refs[i].length;
	}
	shellword_places(text, offsets, lengths, count, places);
	for (size_t i = 0; i < count; i++) {
		const tmpl_ref_t *ref = &tc->refs[i];
		if (ref->raw && ref->secret)
			report_add(c->r, tmpl_mark(c, n, i, count),
			           "run: {{ %s | raw }}: a secret param cannot be raw; it reaches "
			           "the command only as \"${%s%s}\" (remove '| raw')",
			           shown(ref->name).s, TEMPLATE_SECRET_ENV_PREFIX, ref->name + 7);
		else if (ref->raw)
			report_add(c->warn, tmpl_mark(c, n, i, count),
			           "run: {{ %s | raw }} is pasted into the command as shell, "
			           "unquoted: a ';', '$(...)' or quote in its value runs as "
			           "commands; remove '| raw' unless the value is meant to be shell",
			           shown(ref->name).s);
		else if (places[i] != SHELLWORD_WORD)
			report_add(c->r, tmpl_mark(c, n, i, count), "run: {{ %s }} is %s",
			           shown(ref->name).s, shellword_place_hint(places[i]));
	}
	free(places);
	free(lengths);
	free(offsets);
}

/* Checks the templates in text (the value of key, at node n) under a
 * secret rule. */
static void
tmpl_check_rule(check_t *c, const node_t *n, const char *key, const char *text, secret_rule_t rule)
{
	tmpl_ctx_t tc = {.c = c, .mark = n->mark, .key = key, .rule = rule};
	char *error = NULL;

	if (template_each(text, tmpl_check_ref, &tc, &error) != 0 && error != NULL)
		report_add(c->r, n->mark, "bad template in '%s': %s", key, error);
	free(error);
	if (strcmp(key, "run") == 0 && rule == SECRET_RENDERED) {
		tmpl_check_shell(c, n, text, &tc);
	} else {
		for (size_t i = 0; i < tc.names; i++)
			if (tc.refs[i].raw) {
				report_add(
				    c->r, tmpl_mark(c, n, i, tc.names),
				    "'%s': '| raw' applies only in a shell step's run (values "
				    "here are not shell); remove it",
				    key);
				break;
			}
	}
	for (size_t i = 0; i < tc.names; i++)
		free(tc.refs[i].name);
	free(tc.refs);
	if (rule != SECRET_WHOLE_VALUE || !tc.secret)
		return;
	/* The value travels apart from the spec (secret_env), so it cannot be
	 * assembled with other text. */
	size_t len = strlen(text);
	while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t'))
		len--;
	const char *p = text;
	while (*p == ' ' || *p == '\t')
		p++;
	if (tc.names != 1 || strncmp(p, "{{", 2) != 0 || len < 2 ||
	    strncmp(text + len - 2, "}}", 2) != 0)
		report_add(c->r, n->mark,
		           "env %s: a secret param must be the whole value (\"{{ params.NAME "
		           "}}\"), not part of it",
		           key);
}

/* Secret params are rendered in a command, a prompt or a message; refused
 * in every other field. */
static void
tmpl_check(check_t *c, const node_t *n, const char *key, const char *text)
{
	bool rendered =
	    strcmp(key, "run") == 0 || strcmp(key, "prompt") == 0 || strcmp(key, "message") == 0;
	tmpl_check_rule(c, n, key, text, rendered ? SECRET_RENDERED : SECRET_REFUSED);
}

/* A value is left for submit when it holds a template: only the rendered
 * text can be checked. */
static bool
text_templated(const char *s)
{
	return strstr(s, "{{") != NULL;
}

/* ---- step fields ---- */

/* The text of key in map, with its templates checked, as a copy the caller
 * owns; NULL when it is absent (an error when required) or wrong. where
 * names the mapping ("http_check of step 'a'"). A key with a field_rule
 * must fit it unless it holds a template. */
static char *
field_text(check_t *c, const node_t *map, const char *key, bool required, const char *where)
{
	const node_t *v = map_get(map, key);
	const field_rule_t *rule = field_rule(key);

	if (v == NULL) {
		if (required)
			report_add(c->r, map->mark, "%s has no '%s'", where, key);
		return NULL;
	}
	if (rule != NULL && !node_is_text(v)) {
		report_add(c->r, v->mark, "'%s' must be %s, not %s", key, rule->what, kind_name(v));
		return NULL;
	}
	char *text = want_string(c, v, key);
	if (text == NULL)
		return NULL;
	if (text_blank(text)) {
		report_add(c->r, v->mark, "'%s' is empty", key);
		free(text);
		return NULL;
	}
	if (text_templated(text))
		tmpl_check(c, v, key, text);
	else if (rule != NULL && !rule->fits(text))
		report_add(c->r, v->mark, "'%s' must be %s, not '%s'", key, rule->what,
		           shown(text).s);
	return text;
}

/* An enumerated field (method, op): literal, never templated, so a typo
 * is caught before anything runs. Stored as written. */
static char *
field_enum(check_t *c, const node_t *map, const char *key, const char *const *names, size_t n)
{
	const node_t *v = map_get(map, key);
	int index;

	if (v == NULL || want_enum(c, v, key, names, n, &index) != 0)
		return NULL;
	return xstrdup(names[index]);
}

/* ---- targets ---- */

/* Adds v to targets.hosts, which the caller sized for every candidate. */
static void
check_host(check_t *c, const node_t *v)
{
	runbook_targets_t *t = &c->rb->targets;

	if (!node_is_text(v)) {
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
check_hosts(check_t *c, const node_t *hosts)
{
	runbook_targets_t *t = &c->rb->targets;

	if (hosts->kind == NODE_SCALAR) {
		t->hosts = xcalloc(1, sizeof(*t->hosts));
		check_host(c, hosts); /* one host written without brackets */
	} else if (hosts->kind == NODE_SEQUENCE) {
		t->hosts = xcalloc(hosts->count + 1, sizeof(*t->hosts));
		for (size_t i = 0; i < hosts->count; i++)
			check_host(c, hosts->kids[i]);
	} else {
		report_add(c->r, hosts->mark, "'hosts' must be a sequence of worker ids, not %s",
		           kind_name(hosts));
	}
}

/* One label: "role: web" or "role: [web, api]" (any of them matches). */
static void
check_label(check_t *c, const node_t *k, const node_t *v)
{
	runbook_targets_t *t = &c->rb->targets;

	if (!name_valid(k->text, CHARS_LABEL_KEY, RUNBOOK_MAX_NAME_LEN, false)) {
		report_add(c->r, k->mark,
		           "label '%s' is not a valid label name (1 to %d of A-Z a-z 0-9 . _ / -)",
		           shown(k->text).s, RUNBOOK_MAX_NAME_LEN);
		return;
	}
	if (v->kind == NODE_SEQUENCE && v->count == 0) {
		report_add(c->r, v->mark, "label '%s' lists no values; give at least one",
		           shown(k->text).s);
		return;
	}
	size_t n = v->kind == NODE_SEQUENCE ? v->count : 1;
	char **values = xcalloc(n, sizeof(*values));
	size_t got = 0;
	for (size_t i = 0; i < n; i++) {
		char *value = want_string(c, v->kind == NODE_SEQUENCE ? v->kids[i] : v, k->text);
		if (value != NULL)
			values[got++] = value;
	}
	if (got < n) {
		for (size_t i = 0; i < got; i++)
			free(values[i]);
		free(values);
		return;
	}
	runbook_label_match_t *m = &t->labels[t->label_count++];
	m->key = xstrdup(k->text);
	m->values = values;
	m->value_count = n;
}

static void
check_labels(check_t *c, const node_t *labels)
{
	runbook_targets_t *t = &c->rb->targets;

	if (labels->kind != NODE_MAPPING) {
		report_add(c->r, labels->mark, "'labels' must be a mapping of label: value, not %s",
		           kind_name(labels));
		return;
	}
	t->labels = xcalloc(labels->count / 2 + 1, sizeof(*t->labels));
	for (size_t i = 0; i + 1 < labels->count; i += 2)
		check_label(c, labels->kids[i], labels->kids[i + 1]);
}

/* A count of hosts ("5") or a percentage of them ("25%"). */
static void
check_amount(check_t *c, const node_t *v, const char *key, runbook_amount_t *out)
{
	uint64_t n;

	if (node_is_text(v)) {
		size_t len = strlen(v->text);
		if (len > 1 && v->text[len - 1] == '%') {
			char digits[8];
			if (len - 1 < sizeof(digits)) {
				memcpy(digits, v->text, len - 1);
				digits[len - 1] = '\0';
				if (text_uint(digits, 100, &n) && n >= 1) {
					*out = (runbook_amount_t){(uint32_t)n, true};
					return;
				}
			}
		} else if (text_uint(v->text, UINT32_MAX, &n) && n >= 1) {
			*out = (runbook_amount_t){(uint32_t)n, false};
			return;
		}
		report_add(c->r, v->mark,
		           "'%s' must be a number of hosts (1 or more) or a percentage from 1%% to "
		           "100%%, not '%s'",
		           key, shown(v->text).s);
		return;
	}
	report_add(c->r, v->mark,
	           "'%s' must be a number of hosts (1 or more) or a percentage from 1%% to 100%%, "
	           "not %s",
	           key, kind_name(v));
}

static void
check_targets(check_t *c, const node_t *v)
{
	runbook_targets_t *t = &c->rb->targets;

	if (node_is_null(v))
		return;
	if (v->kind != NODE_MAPPING) {
		report_add(c->r, v->mark,
		           "'targets' must be a mapping (hosts, labels, all, batch, max_failures), "
		           "not %s",
		           kind_name(v));
		return;
	}
	keys_check(c, v, keys_targets, COUNT_OF(keys_targets), "targets");

	const node_t *hosts = map_get(v, "hosts");
	if (hosts != NULL && !node_is_null(hosts))
		check_hosts(c, hosts);
	const node_t *labels = map_get(v, "labels");
	if (labels != NULL && !node_is_null(labels))
		check_labels(c, labels);

	const node_t *all = map_get(v, "all");
	if (all != NULL && want_bool(c, all, "all", &t->all) == 0 && t->all &&
	    ((hosts != NULL && !node_is_null(hosts)) || (labels != NULL && !node_is_null(labels))))
		report_add(c->r, all->mark,
		           "'all: true' cannot be combined with 'hosts' or 'labels'");

	const node_t *n;
	if ((n = map_get(v, "batch")) != NULL)
		check_amount(c, n, "batch", &t->batch);
	if ((n = map_get(v, "max_failures")) != NULL)
		check_amount(c, n, "max_failures", &t->max_failures);
}

/* ---- params ---- */

/* Does text fit a param type? what gets the words for an error. */
static bool
param_value_fits(runbook_param_type_t type, const char *text, const char **what)
{
	bool b;

	switch (type) {
	case RUNBOOK_PARAM_INT:
		*what = "an integer";
		return text_int64(text);
	case RUNBOOK_PARAM_BOOL:
		*what = "true, false, yes, no, 1 or 0";
		return text_bool(text, &b);
	case RUNBOOK_PARAM_DURATION:
		*what = "a duration such as 30s, 5m or 1h30m";
		return text_duration(text);
	default:
		*what = "text";
		return true;
	}
}

/* The param's settings from its mapping. */
static void
check_param_map(check_t *c, const node_t *v, runbook_param_t *p)
{
	char where[RUNBOOK_MAX_NAME_LEN + 16];

	snprintf(where, sizeof(where), "param '%s'", p->name);
	keys_check(c, v, keys_param, COUNT_OF(keys_param), where);

	const node_t *n;
	if ((n = map_get(v, "type")) != NULL) {
		int type;
		if (want_enum(c, n, "type", names_param_type, COUNT_OF(names_param_type), &type) ==
		    0)
			p->type = (runbook_param_type_t)type;
	}
	const node_t *dv = map_get(v, "default");
	if (dv != NULL && (p->default_value = want_string(c, dv, "default")) != NULL) {
		const char *what;
		if (!param_value_fits(p->type, p->default_value, &what))
			report_add(c->r, dv->mark, "param '%s': default '%s' is not %s", p->name,
			           shown(p->default_value).s,
			           p->type == RUNBOOK_PARAM_INT ? "an int" : what);
	}
	if ((n = map_get(v, "description")) != NULL)
		p->description = want_string(c, n, "description");
	if ((n = map_get(v, "secret")) != NULL)
		want_bool(c, n, "secret", &p->secret);

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

/* A param is required unless it has a default. "required: true" with a
 * default, or "required: false" without one, contradict each other and are
 * errors rather than a guess: a param that silently expands to "" can turn
 * "rm -rf {{ params.dir }}/" into something nobody meant. */
static void
check_param(check_t *c, const node_t *v, runbook_param_t *p)
{
	p->required = true;
	p->type = RUNBOOK_PARAM_STRING;
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
		           "description, type, secret), not %s",
		           p->name, kind_name(v));
		return;
	}
	check_param_map(c, v, p);
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

/* ---- schedule ---- */

/* Where in the file column col (1-based) of scalar n's text is: exact when
 * the scalar sits on one line and its text is what was written (plain, or
 * quoted without escapes: then its width is the text's length, plus the two
 * quotes); otherwise the scalar's own position. */
static runbook_mark_t
mark_inside(const node_t *n, int col)
{
	bool quoted = n->style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
	              n->style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	size_t width = strlen(n->text) + (quoted ? 2 : 0);
	runbook_mark_t m = n->mark;

	if ((n->plain || quoted) && n->end.line == n->mark.line && col >= 1 &&
	    (size_t)(n->end.column - n->mark.column) == width && (size_t)col <= width)
		m.column += col - 1 + (quoted ? 1 : 0);
	return m;
}

static void
check_cron(check_t *c, const node_t *v, runbook_schedule_t *sc)
{
	char err[256];
	int col = 0;
	cron_t cron;

	if (!node_is_text(v)) {
		report_add(
		    c->r, v->mark,
		    "'cron' must be a cron expression such as \"0 8 * * 1-5\" or \"@daily\", "
		    "not %s",
		    kind_name(v));
		return;
	}
	err[0] = '\0';
	if (cron_parse(v->text, &cron, err, sizeof(err), &col) != 0) {
		report_add(c->r, mark_inside(v, col), "bad cron expression: %s",
		           err[0] ? err : "not a cron expression");
		return;
	}
	sc->cron = xstrdup(v->text);
}

static void
check_timezone(check_t *c, const node_t *v, runbook_schedule_t *sc)
{
	char *tz = want_string(c, v, "timezone");

	if (tz == NULL)
		return;
	if (!cron_timezone_valid(tz)) {
		report_add(c->r, v->mark,
		           "unknown timezone '%s' (an IANA name like Europe/London "
		           "or UTC)",
		           shown(tz).s);
		free(tz);
		return;
	}
	free(sc->timezone);
	sc->timezone = tz;
}

static void
check_schedule_map(check_t *c, const node_t *v, runbook_schedule_t *sc)
{
	const node_t *n;
	int e;

	keys_check(c, v, keys_schedule, COUNT_OF(keys_schedule), "schedule");
	if ((n = map_get(v, "cron")) != NULL)
		check_cron(c, n, sc);
	else
		report_add(c->r, v->mark, "schedule has no 'cron'");
	if ((n = map_get(v, "timezone")) != NULL)
		check_timezone(c, n, sc);
	if ((n = map_get(v, "jitter")) != NULL)
		want_duration_ex(c, n, "jitter", true, &sc->jitter_ms);
	if ((n = map_get(v, "catchup")) != NULL &&
	    want_enum(c, n, "catchup", names_catchup, COUNT_OF(names_catchup), &e) == 0)
		sc->catchup = (runbook_catchup_t)e;
	if ((n = map_get(v, "concurrency")) != NULL &&
	    want_enum(c, n, "concurrency", names_concurrency, COUNT_OF(names_concurrency), &e) == 0)
		sc->concurrency = (runbook_concurrency_t)e;
	if ((n = map_get(v, "catchup_max")) != NULL &&
	    want_uint(c, n, "catchup_max", 1, RUNBOOK_MAX_CATCHUP, &sc->catchup_max) == 0 &&
	    sc->catchup != RUNBOOK_CATCHUP_ALL)
		/* Said rather than ignored: the writer expects it to matter. */
		report_add(c->r, n->mark, "'catchup_max' only applies with 'catchup: all'");
}

/* "schedule: EXPR" is short for "schedule: {cron: EXPR}". */
static void
check_schedule(check_t *c, const node_t *v)
{
	runbook_schedule_t *sc = &c->rb->schedule;

	sc->present = true;
	sc->mark = v->mark;
	sc->timezone = xstrdup("UTC");
	sc->catchup = RUNBOOK_CATCHUP_LATEST;
	sc->catchup_max = RUNBOOK_DEFAULT_CATCHUP_MAX;
	sc->concurrency = RUNBOOK_CONCURRENCY_FORBID;
	if (node_is_text(v))
		check_cron(c, v, sc);
	else if (v->kind == NODE_MAPPING)
		check_schedule_map(c, v, sc);
	else
		report_add(c->r, v->mark,
		           "'schedule' must be a cron expression or a mapping (cron, timezone, "
		           "jitter, catchup, catchup_max, concurrency), not %s",
		           kind_name(v));
}

/* ---- severity, escalation, triggers ---- */

static void
check_severity(check_t *c, const node_t *v)
{
	int index;

	if (want_enum(c, v, "severity", names_severity, COUNT_OF(names_severity), &index) == 0)
		c->rb->severity = index + 1;
}

static void
check_escalation(check_t *c, const node_t *v)
{
	char *name = want_string(c, v, "escalation");

	if (name == NULL)
		return;
	if (!name_valid(name, CHARS_RUNBOOK_NAME, RUNBOOK_MAX_NAME_LEN, false)) {
		report_add(
		    c->r, v->mark,
		    "escalation policy name '%s' is not valid (1 to %d of A-Z a-z 0-9 . _ -)",
		    shown(name).s, RUNBOOK_MAX_NAME_LEN);
		free(name);
		return;
	}
	c->rb->escalation = name;
}

/* The alert labels a trigger matches: Prometheus label names, text values. */
static void
check_trigger_match(check_t *c, const node_t *v, runbook_trigger_t *t, const char *where)
{
	if (v->kind != NODE_MAPPING || v->count == 0) {
		report_add(c->r, v->mark,
		           "'alertmanager' in %s must be a mapping of alert labels such as "
		           "{alertname: ServiceDown}, not %s",
		           where, v->kind == NODE_MAPPING ? "an empty mapping" : kind_name(v));
		return;
	}
	t->match = xcalloc(v->count / 2, sizeof(*t->match));
	for (size_t i = 0; i + 1 < v->count; i += 2) {
		const node_t *k = v->kids[i];
		if (metric_name_len(k->text, false) != strlen(k->text) || k->text[0] == '\0') {
			report_add(
			    c->r, k->mark,
			    "alert label '%s' is not a valid label name (a letter or _, then "
			    "letters, digits or _)",
			    shown(k->text).s);
			continue;
		}
		char *value = want_string(c, v->kids[i + 1], k->text);
		if (value == NULL)
			continue;
		t->match[t->match_count].key = xstrdup(k->text);
		t->match[t->match_count].value = value;
		t->match_count++;
	}
}

static void
check_trigger(check_t *c, const node_t *v, size_t index, runbook_trigger_t *t)
{
	char where[32];

	snprintf(where, sizeof(where), "trigger %zu", index + 1);
	t->mark = v->mark;
	if (v->kind != NODE_MAPPING || v->count != 2) {
		report_add(c->r, v->mark,
		           "%s must be a mapping with one source, such as {alertmanager: "
		           "{alertname: ServiceDown}}, not %s",
		           where, v->kind == NODE_MAPPING ? "several keys" : kind_name(v));
		if (v->kind == NODE_MAPPING)
			keys_check(c, v, keys_trigger, COUNT_OF(keys_trigger), where);
		return;
	}
	keys_check(c, v, keys_trigger, COUNT_OF(keys_trigger), where);
	const node_t *am = map_get(v, "alertmanager");
	if (am == NULL)
		return;
	t->source = xstrdup("alertmanager");
	check_trigger_match(c, am, t, where);
}

static void
check_triggers(check_t *c, const node_t *v)
{
	runbook_t *rb = c->rb;

	if (node_is_null(v))
		return;
	if (v->kind != NODE_SEQUENCE) {
		report_add(c->r, v->mark,
		           "'triggers' must be a sequence such as [{alertmanager: {alertname: "
		           "ServiceDown}}], not %s",
		           kind_name(v));
		return;
	}
	rb->triggers = xcalloc(v->count + 1, sizeof(*rb->triggers));
	rb->trigger_count = v->count;
	for (size_t i = 0; i < v->count; i++)
		check_trigger(c, v->kids[i], i, &rb->triggers[i]);
}

/* ---- allowed_operators, allowed_roles ---- */

/* A sequence of distinct names into *out; roles must be one of
 * names_allowed_role, operators valid key names (keys.h). */
static void
check_allowed(check_t *c, const node_t *v, const char *key, bool roles, char ***out, size_t *count)
{
	if (v->kind != NODE_SEQUENCE) {
		report_add(c->r, v->mark, "'%s' must be a sequence such as %s, not %s", key,
		           roles ? "[admin]" : "[alice, bob]", kind_name(v));
		return;
	}
	if (v->count == 0) {
		report_add(c->r, v->mark,
		           "'%s' names nobody: nobody could submit this runbook (remove the key to"
		           " let every operator)",
		           key);
		return;
	}
	if (v->count > RUNBOOK_MAX_ALLOWED) {
		report_add(c->r, v->mark, "'%s' names more than %d", key, RUNBOOK_MAX_ALLOWED);
		return;
	}
	*out = xcalloc(v->count, sizeof(**out));
	for (size_t i = 0; i < v->count; i++) {
		const node_t *item = v->kids[i];
		char *name = want_string(c, item, key);
		if (name == NULL)
			continue;
		int index;
		if (roles && strcmp(name, "viewer") == 0) {
			report_add(c->r, item->mark,
			           "'%s': a viewer cannot submit anything; list operator or admin",
			           key);
			free(name);
			continue;
		}
		if (roles && want_enum(c, item, key, names_allowed_role,
		                       COUNT_OF(names_allowed_role), &index) != 0) {
			free(name);
			continue;
		}
		if (!roles && !keys_valid_name(name)) {
			report_add(c->r, item->mark,
			           "'%s': operator name '%s' is not valid (1 to 128 of A-Z a-z 0-9"
			           " . _ -, not starting with '.')",
			           key, shown(name).s);
			free(name);
			continue;
		}
		bool twice = false;
		for (size_t k = 0; k < *count && !twice; k++)
			twice = strcmp((*out)[k], name) == 0;
		if (twice) {
			report_add(c->r, item->mark, "'%s' names '%s' twice", key, shown(name).s);
			free(name);
			continue;
		}
		(*out)[(*count)++] = name;
	}
}

/* ---- step types ---- */

/* What a step type's checker knows about the step around it. */
typedef struct {
	const char *label;          /* "step 'x'", or "step 3" without a valid id */
	const node_t *step_timeout; /* the step's own 'timeout', or NULL */
} step_ctx_t;

/* Starts checking the mapping v of a step type: its keys and its timeout.
 * Returns false (after reporting) when v is not a mapping. where gets
 * "TYPE of step 'x'" for the type's own messages. */
static bool
type_map(check_t *c, const node_t *v, runbook_step_t *s, const step_ctx_t *sc, const char *type,
         const char *const *keys, size_t nkeys, char *where, size_t wlen)
{
	char list[128];

	snprintf(where, wlen, "%s of %s", type, sc->label);
	if (v->kind != NODE_MAPPING) {
		report_add(c->r, v->mark, "'%s' must be a mapping (%s), not %s", type,
		           names_join(keys, nkeys, false, list, sizeof(list)), kind_name(v));
		return false;
	}
	keys_check(c, v, keys, nkeys, where);
	const node_t *to = map_get(v, "timeout");
	if (to == NULL)
		return true;
	if (sc->step_timeout != NULL)
		report_add(c->r, to->mark, "'timeout' is given both on %s and in its %s; keep one",
		           sc->label, type);
	else
		want_duration(c, to, "timeout", &s->timeout_ms);
	return true;
}

#define WHERE_LEN (RUNBOOK_MAX_NAME_LEN + 48)

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
		tmpl_check_rule(c, val, k->text, value, SECRET_WHOLE_VALUE);
		s->env[s->env_count].key = xstrdup(k->text);
		s->env[s->env_count].value = value;
		s->env_count++;
	}
}

static void
check_shell(check_t *c, const node_t *v, runbook_step_t *s, const step_ctx_t *sc)
{
	char where[WHERE_LEN];
	const node_t *run = v;

	if (v->kind == NODE_MAPPING) {
		type_map(c, v, s, sc, "shell", keys_shell, COUNT_OF(keys_shell), where,
		         sizeof(where));
		run = map_get(v, "run");
		if (run == NULL)
			report_add(c->r, v->mark, "shell of %s has no 'run'", sc->label);
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
	} else if (!node_is_text(v)) {
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

static void
check_http(check_t *c, const node_t *v, runbook_step_t *s, const step_ctx_t *sc)
{
	char where[WHERE_LEN];

	if (!type_map(c, v, s, sc, "http_check", keys_http, COUNT_OF(keys_http), where,
	              sizeof(where)))
		return;
	s->url = field_text(c, v, "url", true, where);
	s->method = field_enum(c, v, "method", names_method, COUNT_OF(names_method));
	s->expect_status = field_text(c, v, "expect_status", false, where);
	s->body_contains = field_text(c, v, "body_contains", false, where);
	if (s->body_contains != NULL && s->method != NULL && strcmp(s->method, "HEAD") == 0)
		report_add(c->r, map_get(v, "body_contains")->mark,
		           "'body_contains' cannot be checked with method HEAD (its answer has "
		           "no body)");
}

static void
check_disk(check_t *c, const node_t *v, runbook_step_t *s, const step_ctx_t *sc)
{
	char where[WHERE_LEN];

	if (!type_map(c, v, s, sc, "disk_check", keys_disk, COUNT_OF(keys_disk), where,
	              sizeof(where)))
		return;
	s->path = field_text(c, v, "path", true, where);
	s->min_free_pct = field_text(c, v, "min_free_pct", false, where);
	s->min_free_bytes = field_text(c, v, "min_free_bytes", false, where);
	if (map_get(v, "min_free_pct") == NULL && map_get(v, "min_free_bytes") == NULL)
		report_add(c->r, v->mark,
		           "%s checks nothing; give 'min_free_pct', 'min_free_bytes' or both",
		           where);
}

static void
check_metric(check_t *c, const node_t *v, runbook_step_t *s, const step_ctx_t *sc)
{
	char where[WHERE_LEN];

	if (!type_map(c, v, s, sc, "metric_check", keys_metric, COUNT_OF(keys_metric), where,
	              sizeof(where)))
		return;
	s->url = field_text(c, v, "url", true, where);
	s->metric = field_text(c, v, "metric", true, where);
	if (map_get(v, "op") == NULL)
		report_add(c->r, v->mark, "%s has no 'op'", where);
	s->op = field_enum(c, v, "op", names_op, COUNT_OF(names_op));
	s->value = field_text(c, v, "value", true, where);
}

static void
check_manual(check_t *c, const node_t *v, runbook_step_t *s, const step_ctx_t *sc)
{
	char where[WHERE_LEN];

	if (!type_map(c, v, s, sc, "manual", keys_manual, COUNT_OF(keys_manual), where,
	              sizeof(where)))
		return;
	s->prompt = field_text(c, v, "prompt", true, where);
}

static void
check_notify(check_t *c, const node_t *v, runbook_step_t *s, const step_ctx_t *sc)
{
	char where[WHERE_LEN];

	if (!type_map(c, v, s, sc, "notify", keys_notify, COUNT_OF(keys_notify), where,
	              sizeof(where)))
		return;
	s->message = field_text(c, v, "message", true, where);
	s->channel = field_text(c, v, "channel", false, where);
}

/* noop does nothing: "noop:", "noop: true", or "noop: {}" (which may hold
 * a timeout, like every type's mapping). */
static void
check_noop(check_t *c, const node_t *v, runbook_step_t *s, const step_ctx_t *sc)
{
	char where[WHERE_LEN];

	if (node_is_null(v) || (v->kind == NODE_SCALAR && v->plain && strcmp(v->text, "true") == 0))
		return;
	if (v->kind == NODE_MAPPING) {
		type_map(c, v, s, sc, "noop", keys_noop, COUNT_OF(keys_noop), where, sizeof(where));
		return;
	}
	if (v->kind == NODE_SCALAR)
		report_add(c->r, v->mark, "'noop' must be empty, {} or true, not '%s'",
		           shown(v->text).s);
	else
		report_add(c->r, v->mark, "'noop' must be empty, {} or true, not %s", kind_name(v));
}

typedef void (*step_check_fn)(check_t *c, const node_t *v, runbook_step_t *s, const step_ctx_t *sc);

/* Every step type: a new type is a row here, a checker, and its fields in
 * runbook_step_t. */
static const struct {
	const char *name;
	runbook_step_type_t type;
	uint32_t default_timeout_ms;
	step_check_fn check;
} step_types[] = {
    {"shell", RUNBOOK_STEP_SHELL, RUNBOOK_DEFAULT_STEP_TIMEOUT_MS, check_shell},
    {"http_check", RUNBOOK_STEP_HTTP_CHECK, RUNBOOK_DEFAULT_HTTP_TIMEOUT_MS, check_http},
    {"disk_check", RUNBOOK_STEP_DISK_CHECK, RUNBOOK_DEFAULT_DISK_TIMEOUT_MS, check_disk},
    {"metric_check", RUNBOOK_STEP_METRIC_CHECK, RUNBOOK_DEFAULT_METRIC_TIMEOUT_MS, check_metric},
    {"manual", RUNBOOK_STEP_MANUAL, RUNBOOK_DEFAULT_MANUAL_TIMEOUT_MS, check_manual},
    {"notify", RUNBOOK_STEP_NOTIFY, RUNBOOK_DEFAULT_NOTIFY_TIMEOUT_MS, check_notify},
    {"noop", RUNBOOK_STEP_NOOP, RUNBOOK_DEFAULT_NOOP_TIMEOUT_MS, check_noop},
};

/* ---- per-step settings ---- */

/* The shape of 'when'; the step it names is checked against the steps
 * before it by check_when_target. *target gets the node naming it. */
static void
check_when(check_t *c, const node_t *v, runbook_step_t *s, const step_ctx_t *sc,
           const node_t **target)
{
	static const char *shape = "always, {failed: STEP} or {succeeded: STEP}";
	char where[WHERE_LEN];

	if (node_is_text(v) && strcmp(v->text, "always") == 0) {
		s->when.kind = RUNBOOK_WHEN_ALWAYS;
		return;
	}
	if (v->kind != NODE_MAPPING) {
		if (node_is_text(v))
			report_add(c->r, v->mark, "'when' must be %s, not '%s'", shape,
			           shown(v->text).s);
		else
			report_add(c->r, v->mark, "'when' must be %s, not %s", shape, kind_name(v));
		return;
	}
	snprintf(where, sizeof(where), "when of %s", sc->label);
	keys_check(c, v, keys_when, COUNT_OF(keys_when), where);
	const node_t *failed = map_get(v, "failed");
	const node_t *succeeded = map_get(v, "succeeded");
	if (failed != NULL && succeeded != NULL) {
		report_add(c->r, v->mark, "'when' takes 'failed' or 'succeeded', not both");
		return;
	}
	if (failed == NULL && succeeded == NULL) {
		if (v->count == 0)
			report_add(c->r, v->mark, "'when' must be %s, not an empty mapping", shape);
		return;
	}
	const node_t *id = failed != NULL ? failed : succeeded;
	s->when.step = want_string(c, id, failed != NULL ? "failed" : "succeeded");
	if (s->when.step == NULL)
		return;
	s->when.kind = failed != NULL ? RUNBOOK_WHEN_FAILED : RUNBOOK_WHEN_SUCCEEDED;
	*target = id;
}

static void
check_retries_map(check_t *c, const node_t *v, runbook_retries_t *r, const step_ctx_t *sc)
{
	char where[WHERE_LEN];
	const node_t *n;

	snprintf(where, sizeof(where), "retries of %s", sc->label);
	keys_check(c, v, keys_retries, COUNT_OF(keys_retries), where);
	if ((n = map_get(v, "count")) != NULL)
		want_uint(c, n, "count", 0, RUNBOOK_MAX_RETRIES, &r->count);
	else
		report_add(c->r, v->mark, "%s has no 'count'", where);
	if ((n = map_get(v, "backoff")) != NULL)
		want_duration_ex(c, n, "backoff", true, &r->backoff_ms);
	const node_t *mb = map_get(v, "max_backoff");
	if (mb != NULL && want_duration(c, mb, "max_backoff", &r->max_backoff_ms) == 0 &&
	    r->max_backoff_ms < r->backoff_ms) {
		/* Both shown: the backoff may be the default, not written. */
		char max[32], first[32];
		duration_format(r->max_backoff_ms, max, sizeof(max));
		duration_format(r->backoff_ms, first, sizeof(first));
		report_add(c->r, mb->mark, "'max_backoff' (%s) is shorter than 'backoff' (%s)", max,
		           first);
	}
}

/* "retries: 2" or "retries: {count: 2, backoff: 10s, max_backoff: 1m}". */
static void
check_retries(check_t *c, const node_t *v, runbook_retries_t *r, const step_ctx_t *sc)
{
	r->backoff_ms = RUNBOOK_DEFAULT_RETRY_BACKOFF_MS;
	if (v->kind == NODE_MAPPING) {
		check_retries_map(c, v, r, sc);
		return;
	}
	uint64_t n;
	if (node_is_text(v) && is_digit(v->text[0])) {
		if (text_uint(v->text, RUNBOOK_MAX_RETRIES, &n))
			r->count = (uint32_t)n;
		else
			report_add(c->r, v->mark,
			           "'retries' must be an integer from 0 to %d, not '%s'",
			           RUNBOOK_MAX_RETRIES, shown(v->text).s);
		return;
	}
	if (node_is_text(v))
		report_add(c->r, v->mark,
		           "'retries' must be an integer or a mapping {count, backoff, "
		           "max_backoff}, not '%s'",
		           shown(v->text).s);
	else
		report_add(c->r, v->mark,
		           "'retries' must be an integer or a mapping {count, backoff, "
		           "max_backoff}, not %s",
		           kind_name(v));
}

/* run_as: a user name as useradd allows it. Only steps a worker runs
 * can have one; whether the worker allows it is its own decision. */
static void
check_run_as(check_t *c, const node_t *v, runbook_step_t *s, const step_ctx_t *sc)
{
	char *user = want_string(c, v, "run_as");
	if (user == NULL)
		return;
	if (!name_valid(user, CHARS_USER, MAX_USER_LEN, false) || user[0] == '-') {
		report_add(c->r, v->mark,
		           "'run_as' must be a user name (1 to %d of a-z A-Z 0-9 . _ -, not "
		           "starting with -), not '%s'",
		           MAX_USER_LEN, shown(user).s);
		free(user);
		return;
	}
	if (s->type == RUNBOOK_STEP_MANUAL || s->type == RUNBOOK_STEP_NOTIFY ||
	    s->type == RUNBOOK_STEP_NOOP) {
		report_add(c->r, v->mark,
		           "%s cannot have 'run_as': only shell steps and checks run on a "
		           "worker as a user",
		           sc->label);
		free(user);
		return;
	}
	s->run_as = user;
}

/* The settings every step type shares. *when_target: see check_when. */
static void
check_step_settings(check_t *c, const node_t *n, runbook_step_t *s, const step_ctx_t *sc,
                    const node_t **when_target)
{
	const node_t *v;

	if ((v = map_get(n, "when")) != NULL)
		check_when(c, v, s, sc, when_target);
	const node_t *retries = map_get(n, "retries");
	if (retries != NULL)
		check_retries(c, retries, &s->retries, sc);
	if ((v = map_get(n, "continue_on_failure")) != NULL)
		want_bool(c, v, "continue_on_failure", &s->continue_on_failure);
	if ((v = map_get(n, "run_as")) != NULL)
		check_run_as(c, v, s, sc);
	s->idempotent = true;
	if ((v = map_get(n, "idempotent")) != NULL)
		want_bool(c, v, "idempotent", &s->idempotent);
	/* Retrying a step that must not run twice would be the very harm the
	 * flag exists to prevent. */
	if (!s->idempotent && s->retries.count > 0)
		report_add(c->r, retries->mark,
		           "%s is not idempotent, so it is never retried automatically; remove "
		           "'retries' or make it idempotent",
		           sc->label);
}

/* The step's type: exactly one type key. Returns its index in step_types,
 * or -1 (reported). */
static int
step_type_find(check_t *c, const node_t *n, const char *label)
{
	char list[128];
	const node_t *type_key = NULL;
	int found = -1;

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
				found = (int)j;
			}
		}
	}
	if (type_key == NULL) {
		const char *names[COUNT_OF(step_types)];
		for (size_t j = 0; j < COUNT_OF(step_types); j++)
			names[j] = step_types[j].name;
		report_add(c->r, n->mark, "%s has no step type; add one of %s", label,
		           names_join(names, COUNT_OF(names), true, list, sizeof(list)));
	}
	return found;
}

/* The nodes of a step that check_steps needs after check_step. */
typedef struct {
	const node_t *id;          /* its valid id, or NULL */
	const node_t *when_target; /* the step its 'when' names, or NULL */
} step_nodes_t;

static void
check_step(check_t *c, const node_t *n, size_t index, runbook_step_t *s, step_nodes_t *nodes)
{
	char label[RUNBOOK_MAX_NAME_LEN + 16];

	s->mark = n->mark;
	s->timeout_ms = RUNBOOK_DEFAULT_STEP_TIMEOUT_MS;
	s->idempotent = true;
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
			nodes->id = idv;
		}
	}
	keys_check(c, n, keys_step, COUNT_OF(keys_step), label);

	step_ctx_t sc = {.label = label, .step_timeout = map_get(n, "timeout")};
	int t = step_type_find(c, n, label);
	if (t >= 0) {
		s->type = step_types[t].type;
		s->timeout_ms = step_types[t].default_timeout_ms;
	}
	if (sc.step_timeout != NULL)
		want_duration(c, sc.step_timeout, "timeout", &s->timeout_ms);
	if (t >= 0)
		step_types[t].check(c, map_get(n, step_types[t].name), s, &sc);
	check_step_settings(c, n, s, &sc, &nodes->when_target);
}

/* 'when' names a step: it must be one before this one, so the order of a
 * runbook is the order it runs in and no step can wait on a later one. */
static void
check_when_target(check_t *c, runbook_step_t *steps, const step_nodes_t *nodes, size_t i)
{
	runbook_step_t *s = &steps[i];
	char list[MAX_LISTED_STEPS * (RUNBOOK_MAX_NAME_LEN + 2) + 8];
	size_t off = 0, listed = 0;

	if (nodes[i].when_target == NULL)
		return;
	for (size_t j = 0; j < i; j++) {
		if (nodes[j].id != NULL && strcmp(steps[j].id, s->when.step) == 0) {
			s->when.step_index = j;
			return;
		}
	}
	list[0] = '\0';
	for (size_t j = 0; j < i; j++) {
		if (nodes[j].id == NULL)
			continue;
		if (listed++ == MAX_LISTED_STEPS) {
			snprintf(list + off, sizeof(list) - off, ", ...");
			break;
		}
		int w =
		    snprintf(list + off, sizeof(list) - off, "%s%s", off ? ", " : "", steps[j].id);
		off += w > 0 ? (size_t)w : 0;
	}
	if (listed == 0)
		report_add(c->r, nodes[i].when_target->mark,
		           "when: step '%s' is not an earlier step (there are no steps before this "
		           "one)",
		           shown(s->when.step).s);
	else
		report_add(c->r, nodes[i].when_target->mark,
		           "when: step '%s' is not an earlier step (steps before this one: %s)",
		           shown(s->when.step).s, list);
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
	step_nodes_t *nodes = xcalloc(v->count, sizeof(*nodes));
	for (size_t i = 0; i < v->count; i++) {
		check_step(c, v->kids[i], i, &rb->steps[i], &nodes[i]);
		check_when_target(c, rb->steps, nodes, i);
	}

	/* n^2 is fine: at most RUNBOOK_MAX_STEPS. */
	for (size_t i = 1; i < v->count; i++) {
		for (size_t j = 0; nodes[i].id != NULL && j < i; j++) {
			if (nodes[j].id != NULL &&
			    strcmp(nodes[i].id->text, nodes[j].id->text) == 0) {
				report_add(
				    c->r, nodes[i].id->mark,
				    "duplicate step id '%s' (first used at line %d, column %d)",
				    nodes[i].id->text, nodes[j].id->mark.line,
				    nodes[j].id->mark.column);
				break;
			}
		}
	}
	free(nodes);
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
	if ((v = map_get(root, "schedule")) != NULL)
		check_schedule(c, v);
	if ((v = map_get(root, "severity")) != NULL)
		check_severity(c, v);
	if ((v = map_get(root, "escalation")) != NULL)
		check_escalation(c, v);
	if ((v = map_get(root, "triggers")) != NULL)
		check_triggers(c, v);
	const node_t *ops = map_get(root, "allowed_operators");
	const node_t *roles = map_get(root, "allowed_roles");
	if (ops != NULL)
		check_allowed(c, ops, "allowed_operators", false, &rb->allowed_operators,
		              &rb->allowed_operator_count);
	if (roles != NULL)
		check_allowed(c, roles, "allowed_roles", true, &rb->allowed_roles,
		              &rb->allowed_role_count);
	if (ops != NULL || roles != NULL)
		rb->allowed_mark = (ops != NULL ? ops : roles)->mark;
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
				rb = xcalloc(1, sizeof(*rb));
				rb->path = xstrdup(r.file);
				report_t w = {.errs = &rb->warnings, .file = r.file};
				check_t c = {
				    .r = &r, .warn = &w, .rb = rb, .text = text, .len = len};
				check_root(&c, root);
				report_sort(&w);
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
	char *buf = NULL; /* owned */
	size_t len = 0;
	runbook_t *rb = NULL;

	if (errs == NULL)
		errs = &local;
	if (path == NULL)
		path = "<null>";
	r = (report_t){.errs = errs, .file = path, .first = errs->count};

	/* FILE_NONBLOCK: opening a FIFO must not wait for a writer. */
	switch (file_read_all(path, RUNBOOK_MAX_FILE_BYTES, FILE_NONBLOCK, &buf, &len, NULL)) {
	case FILE_OK:
		rb = runbook_parse_string(buf, len, path, errs);
		break;
	case FILE_ERR_OPEN:
		report_add(&r, MARK_FILE, "cannot open: %s", strerror(errno));
		break;
	case FILE_ERR_STAT:
		report_add(&r, MARK_FILE, "cannot stat: %s", strerror(errno));
		break;
	case FILE_ERR_NOT_REGULAR:
		report_add(&r, MARK_FILE, "not a regular file");
		break;
	case FILE_ERR_TOO_LARGE:
		report_add(&r, MARK_FILE, "the runbook is larger than %d bytes",
		           RUNBOOK_MAX_FILE_BYTES);
		break;
	case FILE_ERR_READ:
		report_add(&r, MARK_FILE, "cannot read: %s", strerror(errno));
		break;
	}
	free(buf);
	runbook_errors_clear(&local);
	return rb;
}

static void
step_free(runbook_step_t *s)
{
	char *texts[] = {
	    s->id,
	    s->run,
	    s->workdir,
	    s->url,
	    s->method,
	    s->expect_status,
	    s->body_contains,
	    s->path,
	    s->min_free_pct,
	    s->min_free_bytes,
	    s->metric,
	    s->op,
	    s->value,
	    s->prompt,
	    s->message,
	    s->channel,
	    s->when.step,
	    s->run_as,
	};

	for (size_t i = 0; i < COUNT_OF(texts); i++)
		free(texts[i]);
	kv_free(s->env, s->env_count);
}

void
runbook_destroy(runbook_t **rbp)
{
	if (rbp == NULL || *rbp == NULL)
		return;
	runbook_t *rb = *rbp;

	runbook_errors_clear(&rb->warnings);
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
	free(rb->schedule.cron);
	free(rb->schedule.timezone);
	free(rb->escalation);
	for (size_t i = 0; i < rb->trigger_count; i++) {
		free(rb->triggers[i].source);
		kv_free(rb->triggers[i].match, rb->triggers[i].match_count);
	}
	free(rb->triggers);
	for (size_t i = 0; i < rb->param_count; i++) {
		free(rb->params[i].name);
		free(rb->params[i].default_value);
		free(rb->params[i].description);
	}
	free(rb->params);
	for (size_t i = 0; i < rb->step_count; i++)
		step_free(&rb->steps[i]);
	free(rb->steps);
	for (size_t i = 0; i < rb->allowed_operator_count; i++)
		free(rb->allowed_operators[i]);
	free(rb->allowed_operators);
	for (size_t i = 0; i < rb->allowed_role_count; i++)
		free(rb->allowed_roles[i]);
	free(rb->allowed_roles);
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

int
runbook_step_find(const runbook_t *rb, const char *id)
{
	if (rb == NULL || id == NULL)
		return -1;
	for (size_t i = 0; i < rb->step_count && i < INT_MAX; i++)
		if (rb->steps[i].id != NULL && strcmp(rb->steps[i].id, id) == 0)
			return (int)i;
	return -1;
}

bool
runbook_step_on_coordinator(runbook_step_type_t type)
{
	return type == RUNBOOK_STEP_MANUAL || type == RUNBOOK_STEP_NOTIFY;
}

const char *
runbook_step_type_name(runbook_step_type_t type)
{
	for (size_t i = 0; i < COUNT_OF(step_types); i++)
		if (step_types[i].type == type)
			return step_types[i].name;
	return "unknown";
}

char *
runbook_param_check(const runbook_param_t *p, const char *value)
{
	const char *what;

	if (p == NULL || value == NULL)
		return xstrdup("no param or no value to check");
	if (param_value_fits(p->type, value, &what))
		return NULL;
	return xasprintf("param '%s' must be %s, not '%s'", p->name, what, shown(value).s);
}

size_t
runbook_amount_of(runbook_amount_t a, size_t total)
{
	if (a.value == 0)
		return total;
	if (!a.percent)
		return a.value < total ? a.value : total;
	/* ceil(total * value / 100) without overflowing total * value. */
	size_t v = a.value > 100 ? 100 : a.value;
	size_t n = (total / 100) * v + ((total % 100) * v + 99) / 100;
	return n == 0 && total > 0 ? 1 : n;
}

char *
runbook_field_check(const char *key, const char *value)
{
	const field_rule_t *rule = key != NULL ? field_rule(key) : NULL;

	if (rule == NULL || value == NULL || rule->fits(value))
		return NULL;
	return xasprintf("'%s' must be %s, not '%s'", key, rule->what, shown(value).s);
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
