/* yamltree: libyaml's events into a tree of nodes that know their line and
 * column, and the error report every rota file reader shares (yamltree.h).
 *
 * The tree is built from events rather than from libyaml's document API so
 * that each node keeps where it started (and a scalar where it ended), and
 * so that what rota's files never use (anchors, aliases, tags, a second
 * document) is refused at the place it is written, with every other error
 * of the file reported beside it.
 *
 * Must never: crash, hang or grow without bound on any input (the input
 * size, depth, node count and error count are all bounded), or return a
 * tree after reporting an error. */
#include "yamltree.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "file.h"
#include "xalloc.h"

/* ------------------------------------------------------------------ */
/* Errors                                                             */

static void __attribute__((format(printf, 3, 0)))
report_vadd(yamltree_report_t *r, yamltree_mark_t mark, const char *fmt, va_list ap)
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

	yamltree_errors_t *e = r->errs;
	e->items = xrealloc(e->items, (e->count + 1) * sizeof(*e->items));
	e->items[e->count] = (yamltree_error_t){
	    .file = xstrdup(r->file),
	    .line = mark.line,
	    .column = mark.column,
	    .message = msg,
	};
	e->count++;
	r->count++;
}

void
yamltree_report_add(yamltree_report_t *r, yamltree_mark_t mark, const char *fmt, ...)
{
	va_list ap;

	/* A hostile file could otherwise produce one error per line. */
	if (r->count >= YAMLTREE_MAX_ERRORS) {
		r->overflow = true;
		return;
	}
	va_start(ap, fmt);
	report_vadd(r, mark, fmt, ap);
	va_end(ap);
}

/* Like yamltree_report_add but ignores the cap: for the one closing "too many". */
static void __attribute__((format(printf, 3, 4)))
report_add_final(yamltree_report_t *r, yamltree_mark_t mark, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_vadd(r, mark, fmt, ap);
	va_end(ap);
}

int
yamltree_mark_cmp(yamltree_mark_t a, yamltree_mark_t b)
{
	if (a.line != b.line)
		return a.line < b.line ? -1 : 1;
	if (a.column != b.column)
		return a.column < b.column ? -1 : 1;
	return 0;
}

yamltree_mark_t
yamltree_mark_advance(yamltree_mark_t m, const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++) {
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

/* Sorts this parse's errors by position. Insertion sort: stable (errors at
 * one position keep the order they were found in) and at most
 * YAMLTREE_MAX_ERRORS items. */
void
yamltree_report_sort(yamltree_report_t *r)
{
	/* Nothing to sort, and items may be NULL: no offset from it (UB). */
	if (r->count < 2)
		return;
	yamltree_error_t *items = r->errs->items + r->first;

	for (size_t i = 1; i < r->count; i++) {
		yamltree_error_t tmp = items[i];
		yamltree_mark_t tm = {tmp.line, tmp.column};
		size_t j = i;
		while (j > 0 &&
		       yamltree_mark_cmp((yamltree_mark_t){items[j - 1].line, items[j - 1].column},
		                         tm) > 0) {
			items[j] = items[j - 1];
			j--;
		}
		items[j] = tmp;
	}
}

void
yamltree_report_init(yamltree_report_t *r, yamltree_errors_t *errs, const char *file)
{
	*r = (yamltree_report_t){.errs = errs, .file = file, .first = errs->count};
}

void
yamltree_report_finish(yamltree_report_t *r)
{
	yamltree_report_sort(r);
	if (r->overflow)
		report_add_final(r, YAMLTREE_MARK_FILE, "too many errors; stopped after %d",
		                 YAMLTREE_MAX_ERRORS);
}

char *
yamltree_errors_format(const yamltree_errors_t *errs)
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
		const yamltree_error_t *e = &errs->items[i];
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
yamltree_errors_clear(yamltree_errors_t *errs)
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

/* User text shown inside an error: at most YAMLTREE_SHOWN_MAX bytes (cut on a UTF-8
 * boundary, "..." appended) with control characters replaced by '?', so a
 * message stays one readable line whatever the file holds. Returned by value
 * so it can be used inline as an argument: yamltree_shown(s).s */

yamltree_shown_t
yamltree_shown(const char *text)
{
	yamltree_shown_t out;
	size_t n = strlen(text);
	bool cut = false;

	if (n > YAMLTREE_SHOWN_MAX) {
		n = YAMLTREE_SHOWN_MAX;
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

/* A tree's memory. A file's tree is a few dozen small nodes, texts and kid
 * lists, made together and freed together: taken from blocks rather than
 * one malloc and one free each (those were a tenth of a catalog's start at
 * 100,000 runbooks). The root keeps the blocks (yamltree_node_t.mem). */
struct yamltree_block {
	yamltree_block_t *next; /* owned: the block made before */
	size_t used, cap;       /* bytes of data */
	max_align_t data[];
};

/* A block's size; a larger request gets a block of its own. */
#define TREE_BLOCK_BYTES 4000
#define TREE_BLOCK_OWN (TREE_BLOCK_BYTES / 4)

static void
tree_mem_free(yamltree_block_t *b)
{
	while (b != NULL) {
		yamltree_block_t *next = b->next;
		free(b);
		b = next;
	}
}

/* size bytes from *mem, aligned as malloc's, not zeroed. */
static void *
tree_alloc(yamltree_block_t **mem, size_t size)
{
	const size_t align = _Alignof(max_align_t);
	size = (size + align - 1) / align * align;
	yamltree_block_t *b = *mem;
	if (b == NULL || b->cap - b->used < size) {
		size_t cap = size > TREE_BLOCK_BYTES ? size : TREE_BLOCK_BYTES;
		b = xmalloc(sizeof(*b) + cap);
		b->used = 0;
		b->cap = cap;
		if (size > TREE_BLOCK_OWN && *mem != NULL) {
			/* Behind the current block, whose room is kept for the
			 * small requests to come. */
			b->next = (*mem)->next;
			(*mem)->next = b;
		} else {
			b->next = *mem;
			*mem = b;
		}
	}
	void *p = (char *)b->data + b->used;
	b->used += size;
	return p;
}

static yamltree_node_t *
node_new(yamltree_block_t **mem, yamltree_kind_t kind, yamltree_mark_t mark)
{
	yamltree_node_t *n = tree_alloc(mem, sizeof(*n));

	*n = (yamltree_node_t){.kind = kind, .mark = mark};
	return n;
}

static char *
node_text(yamltree_block_t **mem, const char *text, size_t len)
{
	char *s = tree_alloc(mem, len + 1);
	memcpy(s, text, len);
	s[len] = '\0';
	return s;
}

static void
node_append(yamltree_block_t **mem, yamltree_node_t *parent, yamltree_node_t *kid)
{
	if (parent->count == parent->cap) {
		/* The old list stays in the blocks: at most as much again. */
		size_t cap = parent->cap ? parent->cap * 2 : 8;
		yamltree_node_t **kids = tree_alloc(mem, cap * sizeof(*kids));
		if (parent->count > 0)
			memcpy(kids, parent->kids, parent->count * sizeof(*kids));
		parent->kids = kids;
		parent->cap = cap;
	}
	parent->kids[parent->count++] = kid;
}

static yamltree_mark_t
mark_from_yaml(yaml_mark_t m)
{
	yamltree_mark_t out;

	out.line = m.line < (size_t)INT_MAX ? (int)m.line + 1 : INT_MAX;
	out.column = m.column < (size_t)INT_MAX ? (int)m.column + 1 : INT_MAX;
	return out;
}

/* Line and column (both 1-based, the column counted in characters as
 * libyaml does) of a byte offset in text. */
static yamltree_mark_t
mark_from_offset(const char *text, size_t len, size_t off)
{
	yamltree_mark_t start = {1, 1};

	if (off > len)
		off = len;
	return yamltree_mark_advance(start, text, off);
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
report_yaml_error(yamltree_report_t *r, const yaml_parser_t *p, const char *text, size_t len)
{
	const char *problem = p->problem ? p->problem : "malformed YAML";

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		yamltree_report_add(r, YAMLTREE_MARK_FILE, "out of memory while reading YAML");
		break;
	case YAML_READER_ERROR:
		/* The reader gives a byte offset, not a mark. */
		if (p->problem_value != -1)
			yamltree_report_add(r, mark_from_offset(text, len, p->problem_offset),
			                    "%s (#x%X)", problem, (unsigned int)p->problem_value);
		else
			yamltree_report_add(r, mark_from_offset(text, len, p->problem_offset), "%s",
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
			yamltree_mark_t cm = mark_from_yaml(p->context_mark);
			yamltree_report_add(r, mark_from_yaml(p->problem_mark),
			                    "YAML syntax error: %s (%s at line %d, column %d)%s",
			                    problem, p->context, cm.line, cm.column, hint);
		} else {
			yamltree_report_add(r, mark_from_yaml(p->problem_mark),
			                    "YAML syntax error: %s%s", problem, hint);
		}
		break;
	}
	default:
		yamltree_report_add(r, YAMLTREE_MARK_FILE, "cannot read YAML: %s", problem);
		break;
	}
}

static int
key_ptr_cmp(const void *a, const void *b)
{
	const yamltree_node_t *ka = *(const yamltree_node_t *const *)a;
	const yamltree_node_t *kb = *(const yamltree_node_t *const *)b;
	int c = strcmp(ka->text, kb->text);

	return c != 0 ? c : yamltree_mark_cmp(ka->mark, kb->mark);
}

/* Keys sorted by insertion rather than qsort up to this many. */
#define KEYS_INSERTION_MAX 16

/* Duplicate keys, found by sorting rather than by comparing every pair: a
 * 1 MiB mapping can hold ~170k keys, and n^2 string compares would hang. */
static bool
mapping_check_duplicates(yamltree_report_t *r, const yamltree_node_t *map)
{
	size_t nkeys = map->count / 2;
	bool ok = true;

	if (nkeys < 2)
		return true;

	const yamltree_node_t *few[KEYS_INSERTION_MAX];
	const yamltree_node_t **keys = nkeys <= KEYS_INSERTION_MAX ? few /* owned unless few */
	                                                           : xcalloc(nkeys, sizeof(*keys));
	size_t n = 0;
	for (size_t i = 0; i + 1 < map->count; i += 2)
		if (map->kids[i]->kind == YAMLTREE_SCALAR)
			keys[n++] = map->kids[i];
	if (n <= KEYS_INSERTION_MAX) {
		/* A runbook's mappings have a few keys each: qsort's set-up cost
		 * them more than the sort (a twentieth of a catalog's start).
		 * key_ptr_cmp is a total order, so the order is qsort's. */
		for (size_t i = 1; i < n; i++) {
			const yamltree_node_t *k = keys[i];
			size_t j = i;
			for (; j > 0 && key_ptr_cmp(&keys[j - 1], &k) > 0; j--)
				keys[j] = keys[j - 1];
			keys[j] = k;
		}
	} else {
		qsort(keys, n, sizeof(*keys), key_ptr_cmp);
	}
	for (size_t i = 1, first = 0; i < n; i++) {
		if (strcmp(keys[i]->text, keys[first]->text) != 0) {
			first = i;
			continue;
		}
		yamltree_report_add(r, keys[i]->mark,
		                    "duplicate key '%s' (first defined at line %d, column %d)",
		                    yamltree_shown(keys[i]->text).s, keys[first]->mark.line,
		                    keys[first]->mark.column);
		ok = false;
	}
	if (keys != few)
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
event_check_props(yamltree_report_t *r, const char *noun, yamltree_mark_t mark,
                  const yaml_char_t *anchor, const yaml_char_t *tag, const char *text, size_t len)
{
	bool ok = true;

	if (anchor != NULL) {
		yamltree_report_add(r, mark, "YAML anchors ('&%s') are not supported in %ss",
		                    yamltree_shown((const char *)anchor).s, noun);
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
		yamltree_report_add(r, mark, "YAML tags ('%s%s') are not supported in %ss%s",
		                    is_core ? "!!" : "",
		                    yamltree_shown(is_core ? t + strlen(core) : t).s, noun, hint);
		ok = false;
	}
	return ok;
}

/* Adds node under the innermost open collection (or as the root). A
 * mapping's keys must be scalars: anything else is reported here. */
static bool
tree_attach(yamltree_report_t *r, yamltree_block_t **mem, yamltree_node_t **stack, int depth,
            yamltree_node_t **root, yamltree_node_t *node)
{
	if (depth == 0) {
		*root = node;
		return true;
	}
	yamltree_node_t *parent = stack[depth - 1];
	bool ok = true;
	if (parent->kind == YAMLTREE_MAPPING && parent->count % 2 == 0 &&
	    node->kind != YAMLTREE_SCALAR) {
		yamltree_report_add(r, node->mark, "a mapping key must be plain text, not a %s",
		                    node->kind == YAMLTREE_MAPPING ? "mapping" : "sequence");
		ok = false;
	}
	node_append(mem, parent, node);
	return ok;
}

/* Returns the root node (the caller frees it with yamltree_destroy) or NULL after
 * reporting at least one error. */
static yamltree_node_t *
tree_build(yamltree_report_t *r, const char *text, size_t len, const yamltree_options_t *opt)
{
	const char *noun = opt->noun;
	const char *empty_hint = opt->empty_hint;
	yaml_parser_t parser;
	yaml_event_t ev;
	yamltree_node_t *stack[YAMLTREE_MAX_DEPTH];
	int depth = 0;
	yamltree_node_t *root = NULL;
	int documents = 0;
	size_t nodes = 0;
	yamltree_block_t *mem = NULL; /* owned: the tree's memory, the root's when it is returned */
	bool ok = true;

	if (!yaml_parser_initialize(&parser)) {
		yamltree_report_add(r, YAMLTREE_MARK_FILE, "out of memory while reading YAML");
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
		yamltree_mark_t mark = mark_from_yaml(ev.start_mark);
		yamltree_node_t *node = NULL;

		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++documents > 1) {
				yamltree_report_add(
				    r, mark,
				    "a second YAML document ('---'); a %s file holds "
				    "exactly one %s",
				    noun, noun);
				ok = false;
				done = true;
			}
			break;
		case YAML_ALIAS_EVENT:
			yamltree_report_add(
			    r, mark,
			    "YAML aliases ('*%s') are not supported in %ss; write the "
			    "value out",
			    yamltree_shown((const char *)ev.data.alias.anchor).s, noun);
			ok = false;
			/* A stand-in keeps the tree's shape so parsing can go on
			 * and find further errors. */
			node = node_new(&mem, YAMLTREE_SCALAR, mark);
			node->text = node_text(&mem, "", 0);
			break;
		case YAML_SCALAR_EVENT:
			if (!event_check_props(r, noun, mark, ev.data.scalar.anchor,
			                       ev.data.scalar.tag,
			                       ev.data.scalar.length == 0 ? text : NULL, len))
				ok = false;
			node = node_new(&mem, YAMLTREE_SCALAR, mark);
			node->text = node_text(&mem, (const char *)ev.data.scalar.value,
			                       ev.data.scalar.length);
			node->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
			node->style = (int)ev.data.scalar.style;
			node->end = mark_from_yaml(ev.end_mark);
			/* "\0" in a double-quoted scalar: the rest of rota uses C
			 * strings, which would silently cut the value there. */
			if (memchr(ev.data.scalar.value, '\0', ev.data.scalar.length) != NULL) {
				yamltree_report_add(r, mark, "text contains a NUL character");
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
			if (!event_check_props(r, noun, mark, anchor, tag, NULL, 0))
				ok = false;
			if (depth == YAMLTREE_MAX_DEPTH) {
				yamltree_report_add(r, mark, "nesting deeper than %d levels",
				                    YAMLTREE_MAX_DEPTH);
				ok = false;
				done = true;
				break;
			}
			node = node_new(&mem, is_map ? YAMLTREE_MAPPING : YAMLTREE_SEQUENCE, mark);
			break;
		}
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			/* libyaml pairs start and end events, so depth > 0 here. */
			if (depth > 0) {
				depth--;
				if (stack[depth]->kind == YAMLTREE_MAPPING && !opt->duplicates_ok &&
				    !mapping_check_duplicates(r, stack[depth]))
					ok = false;
			}
			break;
		default:
			break;
		}

		if (node != NULL) {
			if (++nodes > YAMLTREE_MAX_NODES) {
				yamltree_report_add(r, mark, "more than %d YAML values in one file",
				                    YAMLTREE_MAX_NODES);
				ok = false; /* node stays in mem, freed with it */
				done = true;
			} else {
				if (!tree_attach(r, &mem, stack, depth, &root, node))
					ok = false;
				if (node->kind != YAMLTREE_SCALAR)
					stack[depth++] = node;
			}
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);

	if (!ok) {
		tree_mem_free(mem);
		return NULL;
	}
	if (root == NULL ||
	    (root->kind == YAMLTREE_SCALAR && root->plain && root->text[0] == '\0')) {
		if (opt->empty_ok) {
			tree_mem_free(mem);
			return NULL;
		}
		yamltree_report_add(r, (yamltree_mark_t){1, 1}, "the %s is empty%s%s", noun,
		                    empty_hint != NULL ? "; " : "",
		                    empty_hint != NULL ? empty_hint : "");
		tree_mem_free(mem);
		return NULL;
	}
	root->mem = mem;
	return root;
}

/* The value of key in map, or NULL. Linear; keys are unique (pass 1). */
const yamltree_node_t *
yamltree_map_get(const yamltree_node_t *map, const char *key)
{
	/* The first byte first: a runbook's checks ask a hundred times a
	 * file, mostly for keys that are not there. */
	for (size_t i = 0; i + 1 < map->count; i += 2) {
		const char *k = map->kids[i]->text;
		if (k[0] == key[0] && strcmp(k, key) == 0)
			return map->kids[i + 1];
	}
	return NULL;
}

/* YAML's null: an empty plain scalar, "~" or "null". */
bool
yamltree_is_null(const yamltree_node_t *n)
{
	if (n->kind != YAMLTREE_SCALAR || !n->plain)
		return false;
	return n->text[0] == '\0' || strcmp(n->text, "~") == 0 || strcmp(n->text, "null") == 0 ||
	       strcmp(n->text, "Null") == 0 || strcmp(n->text, "NULL") == 0;
}

const char *
yamltree_kind_name(const yamltree_node_t *n)
{
	if (yamltree_is_null(n))
		return "nothing";
	switch (n->kind) {
	case YAMLTREE_MAPPING:
		return "a mapping";
	case YAMLTREE_SEQUENCE:
		return "a sequence";
	default:
		return "text";
	}
}

bool
yamltree_is_text(const yamltree_node_t *n)
{
	return n->kind == YAMLTREE_SCALAR && !yamltree_is_null(n);
}

/* ------------------------------------------------------------------ */
/* Public: read, parse, free                                          */

char *
yamltree_read_file(yamltree_report_t *r, const char *path, const yamltree_options_t *opt,
                   size_t *lenp)
{
	char *buf = NULL; /* owned: returned */
	/* FILE_NONBLOCK: opening a FIFO must not wait for a writer. */
	switch (file_read_all(path, opt->max_bytes, FILE_NONBLOCK, &buf, lenp, NULL)) {
	case FILE_OK:
		return buf;
	case FILE_ERR_OPEN:
		yamltree_report_add(r, YAMLTREE_MARK_FILE, "cannot open: %s", strerror(errno));
		break;
	case FILE_ERR_STAT:
		yamltree_report_add(r, YAMLTREE_MARK_FILE, "cannot stat: %s", strerror(errno));
		break;
	case FILE_ERR_NOT_REGULAR:
		yamltree_report_add(r, YAMLTREE_MARK_FILE, "not a regular file");
		break;
	case FILE_ERR_TOO_LARGE:
		yamltree_report_add(r, YAMLTREE_MARK_FILE, "the %s is larger than %zu bytes",
		                    opt->noun, opt->max_bytes);
		break;
	case FILE_ERR_READ:
		yamltree_report_add(r, YAMLTREE_MARK_FILE, "cannot read: %s", strerror(errno));
		break;
	}
	return NULL;
}

yamltree_node_t *
yamltree_parse(yamltree_report_t *r, const char *text, size_t len, const yamltree_options_t *opt)
{
	if (text == NULL) {
		yamltree_report_add(r, YAMLTREE_MARK_FILE, "no %s text", opt->noun);
		return NULL;
	}
	if (len > opt->max_bytes) {
		yamltree_report_add(r, YAMLTREE_MARK_FILE, "the %s is larger than %zu bytes",
		                    opt->noun, opt->max_bytes);
		return NULL;
	}
	size_t bad = utf8_check((const unsigned char *)text, len);
	if (bad < len) {
		yamltree_report_add(r, mark_from_offset(text, len, bad),
		                    text[bad] == '\0' ? "NUL byte; a %s must be UTF-8 text"
		                                      : "invalid UTF-8; a %s must be UTF-8 text",
		                    opt->noun);
		return NULL;
	}
	return tree_build(r, text, len, opt);
}

void
yamltree_destroy(yamltree_node_t **rootp)
{
	if (rootp == NULL)
		return;
	if (*rootp != NULL)
		tree_mem_free((*rootp)->mem);
	*rootp = NULL;
}
