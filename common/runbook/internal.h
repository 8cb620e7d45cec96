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
 *   step_kinds.c  the step kinds' table: one row per kind
 *   step_*.c      one file per kind: its parse (and lint), render, texts
 *   render.c      a step into its StepSpec for one host (templates
 *                 rendered, secrets moved to secret_env)
 *   steps.c       what every step has: id, type, when, retries, run_as
 *   compose.c     runbook steps expanded: another runbook's steps spliced in
 *   runbook.c     the public API (parse, free, look-ups)
 * The symbols here have external linkage so the files can share them; they
 * are not part of any API. */
#ifndef ROTA_RUNBOOK_INTERNAL_H
#define ROTA_RUNBOOK_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rota.pb-c.h"
#include "runbook.h"
#include "strlist.h"
#include "template.h"
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
	const yamltree_node_t *step;         /* the step's mapping (its other keys) */
} step_ctx_t;

/* A step being rendered into its spec for one host (render.c). Every
 * rendered text is owned by `owned` and lives until the spec is packed. */
typedef struct {
	const template_var_t *vars; /* borrowed */
	size_t var_count;
	strlist_t owned; /* every rendered text and render_alloc block */
	char *error;     /* owned: the first failure */
	const char *step;
} render_t;

/* One step kind: a row of step_kinds[] (step_kinds.c), its functions in
 * its own file (step_shell.c, step_http.c ...). */
typedef struct {
	runbook_step_info_t info; /* name, type, default timeout, runs_on, run_as, spec_case */
	/* Checks the value of the kind's key (v) into s: errors and warnings
	 * into c. s->timeout_ms is already the default or the step's own. */
	void (*parse)(check_t *c, const yamltree_node_t *v, runbook_step_t *s,
	              const step_ctx_t *sc);
	/* Fills the kind's part of ss from s: kind_case and its message,
	 * allocated with render_alloc (so owned by r, like every text). */
	void (*render)(render_t *r, const runbook_step_t *s, Rota__StepSpec *ss);
	/* The kind's text fields of s, borrowed, into out; returns how many
	 * (at most RUNBOOK_STEP_MAX_TEXTS). They may hold templates. */
	size_t (*texts)(const runbook_step_t *s, const char **out);
	/* Says what s does (runbook_step_phrase), with runbook_phrase_words and
	 * runbook_phrase_code. Optional: a kind without it is said by its name and
	 * its texts. */
	void (*phrase)(const runbook_step_t *s, runbook_phrase_t *out);
} step_kind_t;

/* Adds words (static or borrowed) or a value shown as code to p (a NULL
 * text adds nothing); phrase_own keeps text (new) for p's life. */
void runbook_phrase_words(runbook_phrase_t *p, const char *words);
void runbook_phrase_code(runbook_phrase_t *p, const char *value);
const char *runbook_phrase_own(runbook_phrase_t *p, char *text);

/* Rows in step_kinds[]; checked against the table where it is defined. */
#define STEP_KIND_COUNT 11
extern const step_kind_t step_kinds[STEP_KIND_COUNT];
/* The row of type, or NULL. */
const step_kind_t *step_kind_find(runbook_step_type_t type);
/* Starts checking the mapping v of a kind: its keys and its timeout.
 * Returns false (after reporting) when v is not a mapping. where gets
 * "KIND of step 'x'" for the kind's own messages. */
bool runbook_type_map(check_t *c, const yamltree_node_t *v, runbook_step_t *s, const step_ctx_t *sc,
                      const char *type, const char *const *keys, size_t nkeys, char *where,
                      size_t wlen);

/* One file per kind: its parse (and lint), render and texts. */
#define STEP_KIND_FUNCTIONS(k)                                                                     \
	void step_##k##_parse(check_t *c, const yamltree_node_t *v, runbook_step_t *s,             \
	                      const step_ctx_t *sc);                                               \
	void step_##k##_render(render_t *r, const runbook_step_t *s, Rota__StepSpec *ss);          \
	size_t step_##k##_texts(const runbook_step_t *s, const char **out)
STEP_KIND_FUNCTIONS(shell);
STEP_KIND_FUNCTIONS(http);
STEP_KIND_FUNCTIONS(disk);
STEP_KIND_FUNCTIONS(metric);
STEP_KIND_FUNCTIONS(manual);
STEP_KIND_FUNCTIONS(notify);
STEP_KIND_FUNCTIONS(noop);
STEP_KIND_FUNCTIONS(file);
STEP_KIND_FUNCTIONS(tls);
STEP_KIND_FUNCTIONS(promql);
STEP_KIND_FUNCTIONS(runbook);
/* Each kind's phrase, in its file (optional: see step_kind_t). */
void step_shell_phrase(const runbook_step_t *s, runbook_phrase_t *out);
void step_http_phrase(const runbook_step_t *s, runbook_phrase_t *out);
void step_disk_phrase(const runbook_step_t *s, runbook_phrase_t *out);
void step_metric_phrase(const runbook_step_t *s, runbook_phrase_t *out);
void step_manual_phrase(const runbook_step_t *s, runbook_phrase_t *out);
void step_notify_phrase(const runbook_step_t *s, runbook_phrase_t *out);
void step_noop_phrase(const runbook_step_t *s, runbook_phrase_t *out);
void step_file_phrase(const runbook_step_t *s, runbook_phrase_t *out);
void step_tls_phrase(const runbook_step_t *s, runbook_phrase_t *out);
void step_promql_phrase(const runbook_step_t *s, runbook_phrase_t *out);
void step_runbook_phrase(const runbook_step_t *s, runbook_phrase_t *out);

/* The step fields whose text has a syntax, by YAML key. what is how an
 * error names the expected form: "'KEY' must be WHAT, not ...". */
typedef struct {
	const char *key;
	const char *what;
	bool (*fits)(const char *text);
} field_rule_t;

/* scalars.c */
bool runbook_is_digit(char ch);
bool runbook_text_blank(const char *s);
bool runbook_text_uint(const char *s, uint64_t max, uint64_t *out);
bool runbook_text_int64(const char *s);
bool runbook_text_bool(const char *s, bool *out);
bool runbook_text_duration(const char *s);
size_t runbook_metric_name_len(const char *s, bool metric);
void runbook_kv_free(runbook_kv_t *kv, size_t n);
const field_rule_t *runbook_field_rule(const char *key);

/* checks.c */
void runbook_keys_check(check_t *c, const yamltree_node_t *map, const char *const *keys,
                        size_t nkeys, const char *where);
const char *runbook_names_join(const char *const *names, size_t n, bool last_or, char *buf,
                               size_t len);
char *runbook_want_string(check_t *c, const yamltree_node_t *v, const char *key);
int runbook_want_bool(check_t *c, const yamltree_node_t *v, const char *key, bool *out);
int runbook_want_duration_ex(check_t *c, const yamltree_node_t *v, const char *key, bool allow_zero,
                             uint32_t *out);
int runbook_want_duration(check_t *c, const yamltree_node_t *v, const char *key, uint32_t *out);
int runbook_want_uint(check_t *c, const yamltree_node_t *v, const char *key, uint32_t min,
                      uint32_t max, uint32_t *out);
int runbook_want_enum(check_t *c, const yamltree_node_t *v, const char *key,
                      const char *const *names, size_t n, int *index);
bool runbook_name_valid(const char *s, const char *charset, size_t max_len, bool ident);
char *runbook_field_text(check_t *c, const yamltree_node_t *map, const char *key, bool required,
                         const char *where);
char *runbook_field_enum(check_t *c, const yamltree_node_t *map, const char *key,
                         const char *const *names, size_t n);

/* templates.c */
void runbook_tmpl_check_rule(check_t *c, const yamltree_node_t *n, const char *key,
                             const char *text, secret_rule_t rule);
void runbook_tmpl_check(check_t *c, const yamltree_node_t *n, const char *key, const char *text);
bool runbook_text_templated(const char *s);

/* sections.c */
bool runbook_param_value_fits(runbook_param_type_t type, const char *text, const char **what);
void runbook_check_root(check_t *c, const yamltree_node_t *root);

/* render.c: texts rendered with the run's vars, each checked by the
 * parser's rule for its key; after a failure they return NULL / 0 and
 * r->error says why. */
/* size zeroed bytes owned by r (freed with its texts). */
void *render_alloc(render_t *r, size_t size);
const char *render(render_t *r, const char *text);
const char *render_shell(render_t *r, const char *text);
const char *render_field(render_t *r, const char *key, const char *text);
double render_double(render_t *r, const char *key, const char *text);
uint64_t render_bytes(render_t *r, const char *text);
/* The same for another key's size. */
uint64_t render_bytes_of(render_t *r, const char *key, const char *text);
void render_fail(render_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The secret params text names (without "params."), added to names. */
void render_secret_refs(const render_t *r, const char *text, strlist_t *names);
/* Appends a secret_env entry to ss: key the variable, value the param's
 * name (the stored spec never holds the secret; dispatcher_send puts it
 * in). Freed by runbook_step_spec. */
void render_secret_env_add(render_t *r, Rota__StepSpec *ss, const char *key, const char *param);

/* doc.c: the documentation keys (the runbook's and a step's). */
void runbook_check_doc(check_t *c, const yamltree_node_t *root);
void runbook_check_step_doc(check_t *c, const yamltree_node_t *step, runbook_step_t *s);

/* runbook.c: frees what a step owns (not the step itself). */
void runbook_step_free(runbook_step_t *s);
/* compose.c: frees rb's frames and included texts. */
void runbook_frames_free(runbook_t *rb);
/* The first line of a bundle (runbook_bundle), by which
 * runbook_parse_string knows one. */
#define RUNBOOK_BUNDLE_MARK "# rota: a run's copy of a runbook and the runbooks it runs\n"
/* Reads a bundle back: the runbook, expanded with the texts it holds. */
runbook_t *runbook_bundle_parse(const char *text, size_t len, const char *name,
                                runbook_errors_t *errs);

/* steps.c */
void runbook_check_steps(check_t *c, const yamltree_node_t *root);

#endif
