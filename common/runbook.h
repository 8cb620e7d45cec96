/* runbook: the runbook model (plain data) and its YAML parser.
 *
 * A runbook file is parsed in two passes: libyaml events become a small
 * tree of nodes that remember their line and column, then the tree is
 * checked key by key into a runbook_t. Every problem is collected (not just
 * the first) as "file:line:column: message", so `rota lint` and the
 * coordinator can show them all. The language grows here: a new key is a
 * new case in the checker, a new step type a new member of the step union.
 *
 * Must never: crash or hang on any input, or accept a runbook with an error. */
#ifndef ROTA_RUNBOOK_H
#define ROTA_RUNBOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RUNBOOK_MAX_FILE_BYTES (1024 * 1024)
#define RUNBOOK_DEFAULT_STEP_TIMEOUT_MS (3600 * 1000) /* one hour */
/* Bounds that keep a hostile file from costing more than a moment: */
#define RUNBOOK_MAX_DEPTH 64     /* nested sequences/mappings */
#define RUNBOOK_MAX_NODES 100000 /* YAML nodes in one file */
#define RUNBOOK_MAX_ERRORS 100   /* reported per parse; then "too many errors" */
#define RUNBOOK_MAX_NAME_LEN 100 /* runbook name, param names, step ids */
#define RUNBOOK_MAX_PARAMS 256
#define RUNBOOK_MAX_STEPS 1000

typedef struct {
	int line;   /* 1-based */
	int column; /* 1-based */
} runbook_mark_t;

typedef struct {
	char *key;
	char *value;
} runbook_kv_t;

typedef struct {
	char *name;
	char *default_value; /* NULL when the param has no default */
	char *description;   /* may be NULL */
	bool required;       /* true: a value must be given at submit */
	runbook_mark_t mark;
} runbook_param_t;

typedef enum {
	RUNBOOK_STEP_SHELL = 1,
} runbook_step_type_t;

typedef struct {
	char *id;
	runbook_step_type_t type;
	/* shell */
	char *run;         /* command text; may hold {{ }} templates */
	runbook_kv_t *env; /* values may hold templates */
	size_t env_count;
	char *workdir;       /* NULL: the worker's directory */
	uint32_t timeout_ms; /* always set: RUNBOOK_DEFAULT_STEP_TIMEOUT_MS if not given */
	runbook_mark_t mark;
} runbook_step_t;

typedef struct {
	char **hosts; /* worker ids */
	size_t host_count;
	runbook_kv_t *labels; /* every label must match */
	size_t label_count;
	bool all;
} runbook_targets_t;

/* A parsed runbook; every string is owned by it. */
typedef struct {
	char *path; /* the file name used in errors */
	char *name;
	char *description; /* may be NULL */
	runbook_targets_t targets;
	runbook_param_t *params;
	size_t param_count;
	runbook_step_t *steps;
	size_t step_count;
} runbook_t;

/* line and column are 1-based; line 0 means the file as a whole (cannot
 * open it, too large, too many errors) and is formatted "file: message". */
typedef struct {
	char *file;
	int line;
	int column;
	char *message;
} runbook_error_t;

typedef struct {
	runbook_error_t *items; /* owned */
	size_t count;
} runbook_errors_t;

/* Parse a file or a string (name is used as the file in errors). Return the
 * runbook (the caller's; free with runbook_destroy) or NULL with at least
 * one error appended to errs. errs must be zeroed before first use. */
runbook_t *runbook_parse_file(const char *path, runbook_errors_t *errs);
runbook_t *runbook_parse_string(const char *text, size_t len, const char *name,
                                runbook_errors_t *errs);
void runbook_destroy(runbook_t **rbp);

const runbook_param_t *runbook_param_find(const runbook_t *rb, const char *name);

/* "file:line:column: message\n" for every error, in a new string the caller
 * frees ("" when there are none). */
char *runbook_errors_format(const runbook_errors_t *errs);
void runbook_errors_clear(runbook_errors_t *errs);

#endif
