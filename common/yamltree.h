/* yamltree: reads a whole YAML file into a small tree of scalar / sequence /
 * mapping nodes that remember their line and column, and collects every
 * problem as "file:line:column: message" instead of stopping at the first.
 *
 * What a reader of a rota file (a runbook, the coordinator's config, a key
 * file) does with it:
 *
 *     yamltree_errors_t errs = {0};
 *     yamltree_report_t r;
 *     yamltree_report_init(&r, &errs, path);
 *     size_t len;
 *     char *text = yamltree_read_file(&r, path, &opts, &len);
 *     yamltree_node_t *root = text ? yamltree_parse(&r, text, len, &opts) : NULL;
 *     if (root != NULL)
 *             ... walk it; yamltree_report_add(&r, node->mark, "...") per problem ...
 *     yamltree_destroy(&root);
 *     free(text);
 *     yamltree_report_finish(&r);    (sorted by position, "too many errors")
 *     if (errs.count > 0) { char *s = yamltree_errors_format(&errs); ... }
 *     yamltree_errors_clear(&errs);
 *
 * The tree refuses what rota's files never need at the YAML level and what
 * would make a file mean something other than it shows: anchors and
 * aliases, tags, duplicate keys, a second document, non-scalar keys,
 * nesting deeper than YAMLTREE_MAX_DEPTH, more than YAMLTREE_MAX_NODES
 * values, NUL bytes and invalid UTF-8.
 *
 * Must never: crash, hang or grow without bound on any input (size, depth,
 * node count and error count are all bounded), or return a tree after
 * reporting an error. */
#ifndef ROTA_YAMLTREE_H
#define ROTA_YAMLTREE_H

#include <stdbool.h>
#include <stddef.h>

/* Bounds that keep a hostile file from costing more than a moment: */
#define YAMLTREE_MAX_DEPTH 64     /* nested sequences/mappings */
#define YAMLTREE_MAX_NODES 100000 /* YAML nodes in one file */
#define YAMLTREE_MAX_ERRORS 100   /* reported per report; then "too many errors" */

typedef struct {
	int line;   /* 1-based */
	int column; /* 1-based, in characters */
} yamltree_mark_t;

/* The file as a whole (cannot open it, too large, too many errors). */
#define YAMLTREE_MARK_FILE ((yamltree_mark_t){0, 0})

/* line and column are 1-based; line 0 means the file as a whole and is
 * formatted "file: message". */
typedef struct {
	char *file;
	int line;
	int column;
	char *message;
} yamltree_error_t;

typedef struct {
	yamltree_error_t *items; /* owned */
	size_t count;
} yamltree_errors_t;

/* "file:line:column: message\n" for every error, in a new string the caller
 * frees ("" when there are none or errs is NULL). */
char *yamltree_errors_format(const yamltree_errors_t *errs);
/* Frees every error; errs is then empty and may be used again. */
void yamltree_errors_clear(yamltree_errors_t *errs);

/* ---- the report: errors of one file, appended to an error list ---- */

typedef struct {
	yamltree_errors_t *errs; /* borrowed: where errors go */
	const char *file;        /* borrowed: the name errors carry (copied into each) */
	size_t first;            /* index in errs of this report's first error */
	size_t count;            /* errors this report added */
	bool overflow;           /* more than YAMLTREE_MAX_ERRORS were found */
} yamltree_report_t;

/* Starts a report that appends to errs (which must be zeroed before its
 * first use) under the name file; both must outlive the report. */
void yamltree_report_init(yamltree_report_t *r, yamltree_errors_t *errs, const char *file);
/* Appends one error at mark (YAMLTREE_MARK_FILE for the file as a whole).
 * Past YAMLTREE_MAX_ERRORS errors are counted as overflow, not kept. */
void yamltree_report_add(yamltree_report_t *r, yamltree_mark_t mark, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Sorts this report's errors by position; errors at one position keep the
 * order they were found in. */
void yamltree_report_sort(yamltree_report_t *r);
/* yamltree_report_sort, then "too many errors; stopped after N" when the
 * report overflowed. Call once, when the file is done. */
void yamltree_report_finish(yamltree_report_t *r);

/* User text shown inside an error: at most YAMLTREE_SHOWN_MAX bytes (cut on
 * a UTF-8 boundary, "..." appended) with control characters replaced by '?',
 * so a message stays one readable line whatever the file holds. Returned by
 * value so it can be used inline as an argument: yamltree_shown(s).s */
#define YAMLTREE_SHOWN_MAX 60
typedef struct {
	char s[YAMLTREE_SHOWN_MAX + 4];
} yamltree_shown_t;
yamltree_shown_t yamltree_shown(const char *text);

/* ---- the tree ---- */

typedef enum { YAMLTREE_SCALAR, YAMLTREE_SEQUENCE, YAMLTREE_MAPPING } yamltree_kind_t;

typedef struct yamltree_node yamltree_node_t;
typedef struct yamltree_block yamltree_block_t;
/* A tree's nodes, texts and kid lists live in blocks the root owns, freed
 * together by yamltree_destroy: no part of a tree is freed on its own. */
struct yamltree_node {
	yamltree_kind_t kind;
	yamltree_mark_t mark;
	char *text;             /* scalar: its value, NUL-free; in the tree's memory */
	bool plain;             /* scalar: written without quotes (so may be null/bool) */
	int style;              /* scalar: its yaml_scalar_style_t */
	yamltree_mark_t end;    /* scalar: just past its last character (or quote) */
	yamltree_node_t **kids; /* sequence: items; mapping: key, value, key, value ... */
	size_t count;
	size_t cap;
	yamltree_block_t *mem; /* the root's: the tree's memory, owned (yamltree.c) */
};

/* How a file is named in messages and how large it may be. */
typedef struct {
	/* What the file holds, for messages: "runbook" gives "the runbook is
	 * larger than ...", "YAML anchors ... are not supported in runbooks",
	 * "a runbook file holds exactly one runbook". */
	const char *noun;
	/* Said after "the runbook is empty; " when the file holds no value
	 * ("it needs at least 'name' and 'steps'"); NULL: nothing more. */
	const char *empty_hint;
	size_t max_bytes; /* larger files and texts are refused */
	/* An empty document is a NULL root, not an error (a configuration file
	 * that is all comments means "the defaults"). */
	bool empty_ok;
	/* Duplicate keys are kept, for a reader that names them itself ("channel
	 * x is defined twice"); the default refuses them. */
	bool duplicates_ok;
} yamltree_options_t;

/* Reads the whole regular file at path (at most opt->max_bytes; a FIFO or
 * a directory is refused without blocking). Returns its bytes, NUL-
 * terminated, in a new buffer the caller frees, with the length in *len; or
 * NULL after reporting why. */
char *yamltree_read_file(yamltree_report_t *r, const char *path, const yamltree_options_t *opt,
                         size_t *len);
/* Turns text (len bytes, need not be NUL-terminated) into a tree. Returns
 * the root, the caller's (free with yamltree_destroy), or NULL after
 * reporting at least one error: text NULL or too large, not UTF-8, a YAML
 * syntax error (with a hint when an unquoted operator was read as YAML),
 * any of the refusals above, or an empty document (unless opt->empty_ok:
 * then NULL with no error). The tree keeps no pointer into text. */
yamltree_node_t *yamltree_parse(yamltree_report_t *r, const char *text, size_t len,
                                const yamltree_options_t *opt);
/* Frees a tree; accepts NULL and sets *rootp to NULL. */
void yamltree_destroy(yamltree_node_t **rootp);

/* The value of key in mapping map, or NULL. Linear; keys are unique. */
const yamltree_node_t *yamltree_map_get(const yamltree_node_t *map, const char *key);
/* YAML's null: an empty plain scalar, "~" or "null". */
bool yamltree_is_null(const yamltree_node_t *n);
/* A scalar that is not null. */
bool yamltree_is_text(const yamltree_node_t *n);
/* "nothing", "a mapping", "a sequence" or "text", for "must be X, not Y". */
const char *yamltree_kind_name(const yamltree_node_t *n);
/* -1, 0 or 1 as a is before, at or after b. */
int yamltree_mark_cmp(yamltree_mark_t a, yamltree_mark_t b);
/* The mark just past the len bytes of text that start at m: a newline
 * starts the next line, every UTF-8 character is one column. */
yamltree_mark_t yamltree_mark_advance(yamltree_mark_t m, const char *text, size_t len);

#endif
