/* runbook/internal.h: what the files of common/runbook/ share and nothing
 * outside them may use (the public API is runbook.h).
 *
 * Pass 1 is yamltree.c (public: yamltree.h). Pass 2 (the YAML tree into a
 * runbook_t) is split by what it checks:
 *   scalars.c     the syntax of one value (numbers, URLs, sizes, metrics),
 *                 shared with the checks at submit (runbook_field_check)
 *   checks.c      keys ("did you mean"), typed values, step fields
 *   templates.c   {{ }} templates in values, secret params, shell quoting
 *   sections.c    the runbook's own keys: targets, params, schedule,
 *                 severity, escalation, triggers, allowed_*
 *   step_types.c  the step types: their table and their checkers
 *   steps.c       what every step has: id, type, when, retries, run_as
 *   runbook.c     the public API (parse, free, look-ups)
 * The symbols here have external linkage so the files can share them; they
 * are not part of any API. */
#ifndef ROTA_RUNBOOK_INTERNAL_H
#define ROTA_RUNBOOK_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runbook.h"
#include "yamltree.h"

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

/* One parse's pass 2: where errors and warnings go, the runbook being
 * filled, and the file's text. */
typedef struct {
	yamltree_report_t *r;
	yamltree_report_t *warn; /* into rb->warnings */
	runbook_t *rb;
	char *param_list; /* "a, b" for template errors; built on first use */
	const char *text; /* the whole file, for positions inside a value */
	size_t len;
} check_t;

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
#define WHERE_LEN (RUNBOOK_MAX_NAME_LEN + 48)

/* Where a secret param may be used (docs/security.md): */
typedef enum {
	SECRET_REFUSED = 0, /* check fields, workdir, channel: would be stored or
	                       visible, and a mask would make them wrong */
	SECRET_RENDERED,    /* run (an env reference), prompt, message (****) */
	SECRET_WHOLE_VALUE, /* an env value: only as the whole value */
} secret_rule_t;

/* What a step type's checker knows about the step around it. */
typedef struct {
	const char *label;                   /* "step 'x'", or "step 3" without a valid id */
	const yamltree_node_t *step_timeout; /* the step's own 'timeout', or NULL */
} step_ctx_t;

typedef void (*step_check_fn)(check_t *c, const yamltree_node_t *v, runbook_step_t *s,
                              const step_ctx_t *sc);

/* A row of the step type table (step_types.c). */
typedef struct {
	const char *name;
	runbook_step_type_t type;
	uint32_t default_timeout_ms;
	step_check_fn check;
} step_type_t;
/* Rows in step_types; checked against the table where it is defined. */
#define STEP_TYPE_COUNT 7
extern const step_type_t step_types[STEP_TYPE_COUNT];

/* The step fields whose text has a syntax, by YAML key. what is how an
 * error names the expected form: "'KEY' must be WHAT, not ...". */
typedef struct {
	const char *key;
	const char *what;
	bool (*fits)(const char *text);
} field_rule_t;

/* scalars.c */
bool is_digit(char ch);
bool text_blank(const char *s);
bool text_uint(const char *s, uint64_t max, uint64_t *out);
bool text_int64(const char *s);
bool text_bool(const char *s, bool *out);
bool text_duration(const char *s);
size_t metric_name_len(const char *s, bool metric);
void kv_free(runbook_kv_t *kv, size_t n);
const field_rule_t *field_rule(const char *key);

/* checks.c */
void keys_check(check_t *c, const yamltree_node_t *map, const char *const *keys, size_t nkeys,
                const char *where);
const char *names_join(const char *const *names, size_t n, bool last_or, char *buf, size_t len);
char *want_string(check_t *c, const yamltree_node_t *v, const char *key);
int want_bool(check_t *c, const yamltree_node_t *v, const char *key, bool *out);
int want_duration_ex(check_t *c, const yamltree_node_t *v, const char *key, bool allow_zero,
                     uint32_t *out);
int want_duration(check_t *c, const yamltree_node_t *v, const char *key, uint32_t *out);
int want_uint(check_t *c, const yamltree_node_t *v, const char *key, uint32_t min, uint32_t max,
              uint32_t *out);
int want_enum(check_t *c, const yamltree_node_t *v, const char *key, const char *const *names,
              size_t n, int *index);
bool name_valid(const char *s, const char *charset, size_t max_len, bool ident);
char *field_text(check_t *c, const yamltree_node_t *map, const char *key, bool required,
                 const char *where);
char *field_enum(check_t *c, const yamltree_node_t *map, const char *key, const char *const *names,
                 size_t n);

/* templates.c */
void tmpl_check_rule(check_t *c, const yamltree_node_t *n, const char *key, const char *text,
                     secret_rule_t rule);
void tmpl_check(check_t *c, const yamltree_node_t *n, const char *key, const char *text);
bool text_templated(const char *s);

/* sections.c */
bool param_value_fits(runbook_param_type_t type, const char *text, const char **what);
void check_root(check_t *c, const yamltree_node_t *root);

/* steps.c */
void check_steps(check_t *c, const yamltree_node_t *root);

#endif
