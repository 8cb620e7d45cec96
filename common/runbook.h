/* runbook: the runbook model (plain data) and its YAML parser.
 *
 * A runbook file is parsed in two passes: libyaml events become a small
 * tree of nodes that remember their line and column, then the tree is
 * checked key by key into a runbook_t. Every problem is collected (not just
 * the first) as "file:line:column: message", so `rota lint` and the
 * coordinator can show them all. The language grows here: a new key is a
 * new case in the checker, a new step kind a file in common/runbook/ (its
 * parse, lint and render), a row in its table (step_kinds.c) and fields in
 * runbook_step_t (coordinator/README.md, "How to add a step kind").
 *
 * Must never: crash or hang on any input, or accept a runbook with an error. */
#ifndef ROTA_RUNBOOK_H
#define ROTA_RUNBOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cron.h"
#include "skipdates.h"
#include "template.h"
#include "yamltree.h"

#define RUNBOOK_MAX_FILE_BYTES (1024 * 1024)
#define RUNBOOK_DEFAULT_STEP_TIMEOUT_MS (3600 * 1000) /* one hour: shell */
/* Default timeouts of the other step types: a check that has not answered
 * in these has failed; a person gets an hour to approve; a notification is
 * retried (through the outbox) for five minutes; a noop only has to be
 * seen by a worker. */
#define RUNBOOK_DEFAULT_HTTP_TIMEOUT_MS (30 * 1000)
#define RUNBOOK_DEFAULT_METRIC_TIMEOUT_MS (30 * 1000)
#define RUNBOOK_DEFAULT_DISK_TIMEOUT_MS (10 * 1000)
#define RUNBOOK_DEFAULT_FILE_TIMEOUT_MS (10 * 1000)
#define RUNBOOK_DEFAULT_TLS_TIMEOUT_MS (30 * 1000)
#define RUNBOOK_DEFAULT_PROMQL_TIMEOUT_MS (30 * 1000)
#define RUNBOOK_DEFAULT_MANUAL_TIMEOUT_MS (3600 * 1000)
#define RUNBOOK_DEFAULT_NOTIFY_TIMEOUT_MS (5 * 60 * 1000)
#define RUNBOOK_DEFAULT_NOOP_TIMEOUT_MS (10 * 1000)
/* hold: how often a held check is re-run when 'interval' is not given. */
#define RUNBOOK_DEFAULT_HOLD_INTERVAL_MS (30 * 1000)
/* retries: the wait before the first retry when 'backoff' is not given. */
#define RUNBOOK_DEFAULT_RETRY_BACKOFF_MS (10 * 1000)
#define RUNBOOK_MAX_RETRIES 100
#define RUNBOOK_MAX_CATCHUP 1000 /* schedule.catchup_max */
/* Bounds that keep a hostile file from costing more than a moment: */
#define RUNBOOK_MAX_DEPTH YAMLTREE_MAX_DEPTH   /* nested sequences/mappings */
#define RUNBOOK_MAX_NODES YAMLTREE_MAX_NODES   /* YAML nodes in one file */
#define RUNBOOK_MAX_ERRORS YAMLTREE_MAX_ERRORS /* per parse; then "too many errors" */
#define RUNBOOK_MAX_NAME_LEN 100               /* runbook name, param names, step ids */
#define RUNBOOK_MAX_PARAMS 256
#define RUNBOOK_MAX_STEPS 1000
#define RUNBOOK_MAX_ALLOWED 256  /* names in allowed_operators */
#define RUNBOOK_MAX_FROM_ALERT 8 /* labels in one param's from_alert */
/* Template names of the alert that started a run (docs/runbooks.md): */
#define RUNBOOK_ALERT_LABELS "alert.labels."           /* + a label's name */
#define RUNBOOK_ALERT_ANNOTATIONS "alert.annotations." /* + an annotation's name */
#define RUNBOOK_ALERT_STARTS_AT "alert.starts_at"      /* RFC 3339, UTC */

/* A position in the file (yamltree.h): line and column, 1-based. */
typedef yamltree_mark_t runbook_mark_t;

typedef struct {
	char *key;
	char *value;
} runbook_kv_t;

typedef enum {
	RUNBOOK_PARAM_STRING = 0,
	RUNBOOK_PARAM_INT,
	RUNBOOK_PARAM_BOOL,
	RUNBOOK_PARAM_DURATION,
} runbook_param_type_t;

typedef struct {
	char *name;
	char *default_value; /* NULL when the param has no default; fits type */
	char *description;   /* may be NULL */
	runbook_param_type_t type;
	bool required; /* true: a value must be given at submit */
	bool secret;   /* true: to be kept out of output and logs (issue 6) */
	/* command: true: the value is run as shell (sh -c "$X"), so a value a
	 * caller gives with -p is as much as an ad-hoc run, and needs that
	 * permission (api_submit); the default and vars, which are the
	 * runbook's and the configuration's, need none. Never from_alert. */
	bool command;
	/* from_alert: the alert labels whose value the param takes when an
	 * alert starts the run, the first the alert has; none: the default
	 * (or vars, or -p) as for any run. Only in a runbook with triggers. */
	char **from_alert;
	size_t from_alert_count;
	runbook_mark_t mark;
} runbook_param_t;

typedef enum {
	RUNBOOK_STEP_SHELL = 1,
	RUNBOOK_STEP_HTTP_CHECK,
	RUNBOOK_STEP_DISK_CHECK,
	RUNBOOK_STEP_METRIC_CHECK,
	RUNBOOK_STEP_MANUAL, /* runs on the coordinator: waits for approve/reject */
	RUNBOOK_STEP_NOTIFY, /* runs on the coordinator: a message to a channel */
	RUNBOOK_STEP_NOOP,
	RUNBOOK_STEP_FILE_CHECK,
	RUNBOOK_STEP_TLS_CHECK,
	RUNBOOK_STEP_PROMQL_CHECK,
	RUNBOOK_STEP_RUNBOOK, /* another runbook's steps, spliced in (compose.c) */
} runbook_step_type_t;

/* Where a step stands in the runbook read as a document (seed structure:
 * immediate actions, investigation, resolution, verification); it never
 * changes how the step runs. NONE: not given (runbookdoc.h says where such
 * a step is shown). */
typedef enum {
	RUNBOOK_PHASE_NONE = 0,
	RUNBOOK_PHASE_IMMEDIATE,
	RUNBOOK_PHASE_INVESTIGATE,
	RUNBOOK_PHASE_RESOLVE,
	RUNBOOK_PHASE_VERIFY,
} runbook_phase_t;
#define RUNBOOK_PHASE_COUNT 5

/* When a step runs on a host, given the steps before it there. */
typedef enum {
	RUNBOOK_WHEN_DEFAULT = 0, /* only while nothing before it failed unhandled */
	RUNBOOK_WHEN_FAILED,      /* only when step `step` failed on this host */
	RUNBOOK_WHEN_SUCCEEDED,   /* only when step `step` succeeded on this host */
	RUNBOOK_WHEN_ALWAYS,      /* whatever happened before */
} runbook_when_kind_t;

typedef struct {
	runbook_when_kind_t kind;
	char *step;        /* FAILED/SUCCEEDED: the id of an earlier step */
	size_t step_index; /* FAILED/SUCCEEDED: its index in steps[] */
} runbook_when_t;

typedef struct {
	uint32_t count;          /* attempts after the first; 0 = no retry */
	uint32_t backoff_ms;     /* wait before the first retry; doubles after */
	uint32_t max_backoff_ms; /* cap on the wait; 0 = no cap */
} runbook_retries_t;

/* The string fields hold the YAML text and may contain {{ }} templates:
 * numbers are checked at parse time when they hold no template, and after
 * rendering (at submit) otherwise. NULL = not given. */
typedef struct {
	char *id;
	runbook_step_type_t type;
	/* shell */
	char *run;         /* command text */
	runbook_kv_t *env; /* values may hold templates */
	size_t env_count;
	char *workdir; /* NULL: the worker's directory */
	/* http_check, metric_check */
	char *url;
	char *method;        /* http_check: NULL = GET */
	char *expect_status; /* http_check: NULL = 200 */
	char *body_contains; /* http_check */
	/* disk_check: at least one of the two minimums */
	char *path;
	char *min_free_pct;   /* 0-100, may be fractional */
	char *min_free_bytes; /* bytes, or with a K/M/G/T suffix (1024-based) */
	/* file_check (path above: a path or glob) */
	char *max_age;   /* a duration */
	char *min_size;  /* bytes, or with a K/M/G/T suffix */
	char *min_count; /* a whole number, 1 or more */
	/* tls_check (url above) */
	char *min_days_left; /* a whole number of days */
	char *server_name;   /* NULL: the URL's host */
	char *ca_file;       /* NULL: the system's CA store */
	/* metric_check */
	char *metric; /* name, optionally with {k="v",...} label matchers */
	char *op;     /* < <= > >= == != */
	char *value;  /* a number */
	/* promql_check (url, op and value above) */
	char *query; /* PromQL */
	char *match; /* all (NULL) or any: which series must pass */
	/* runbook: the runbook it calls, and the values of that runbook's
	 * params (key: its param; value: a text in this runbook's context) */
	char *call;
	runbook_kv_t *call_params;
	size_t call_param_count;
	/* manual: prompt; notify: message and channel */
	char *prompt;
	char *message;
	char *channel; /* notify: NULL = the runbook's escalation policy */
	/* shell and checks: the user the worker runs it as; NULL = the
	 * worker's own (the worker must allow it: --allow-user) */
	char *run_as;
	/* checks: hold (a duration; NULL = run once), re-checked every
	 * interval (a duration; NULL = RUNBOOK_DEFAULT_HOLD_INTERVAL_MS) */
	uint32_t hold_ms;
	uint32_t interval_ms;
	/* hold, interval and the step's timeout may each be one duration param
	 * ("{{ params.hold }}", a param of type: duration): its name here
	 * (the _ms field is then unused), the value taken and checked for each
	 * host at submit (runbook_step_timing); NULL = the literal _ms field */
	char *hold_param;
	char *interval_param;
	char *timeout_param;
	bool timeout_given; /* false: the timeout is the hold plus the kind's own */
	/* checks: record (a name; NULL = not kept) and its baseline: the
	 * previous value (baseline_of 1) or the median of the last baseline_of
	 * (0 = no baseline), and the largest change allowed, in percent */
	char *record;
	uint32_t baseline_of;
	bool has_max_increase, has_max_decrease;
	double max_increase_pct, max_decrease_pct;
	/* every type */
	uint32_t timeout_ms; /* always set: the type's default if not given */
	runbook_when_t when;
	runbook_retries_t retries;
	bool continue_on_failure; /* its failure does not fail the host */
	bool idempotent;          /* default true; false: never retried automatically */
	/* documentation only (runbook/doc.c): what the step is for, and its
	 * phase; description NULL = not given */
	char *description;
	runbook_phase_t phase;
	/* The call it was spliced in by, whose params its templates'
	 * params.* are: frames[frame - 1]; 0: the runbook's own step. */
	size_t frame;
	runbook_mark_t mark;
} runbook_step_t;

/* A value for a called runbook's param: the text (a template in the
 * caller's context, or the callee's default as written), and the type it
 * must have once rendered. */
typedef struct {
	char *name;
	char *text;
	runbook_param_type_t type;
} runbook_bind_t;

/* One `runbook` step as expanded (compose.c): its steps are the runbook's
 * steps whose frame is this one, with ids "STEP.ID" (nested: "a.b.ID"). */
typedef struct {
	char *step;            /* the prefix of its steps' ids: "cleanup", "a.b" */
	char *runbook;         /* the runbook it called */
	size_t parent;         /* the caller's frame (frames[parent - 1]); 0: the runbook */
	runbook_bind_t *binds; /* one per param of the called runbook */
	size_t bind_count;
} runbook_frame_t;

/* A runbook a `runbook` step called, as the text it was expanded from
 * (kept so a run replays the versions it started with). */
typedef struct {
	char *name;
	char *yaml;
} runbook_included_t;

/* A label a host must have; it matches when its value is any of values. */
typedef struct {
	char *key;
	char **values;
	size_t value_count;
} runbook_label_match_t;

/* A count of hosts, or a percentage of the run's hosts. set: given in the
 * file; value 0 is unset unless set (only max_failures may be given as 0:
 * stop at the first failed host). */
typedef struct {
	uint32_t value;
	bool percent;
	bool set;
} runbook_amount_t;

/* The one host of a run of a runbook with `targets: { coordinator: true }`.
 * A worker id is letters, digits, '-', '_' and '.', so no worker can have
 * this one (and the coordinator refuses a Hello that says it has). */
#define RUNBOOK_COORDINATOR_HOST "@coordinator"

typedef struct {
	char **hosts; /* worker ids */
	size_t host_count;
	runbook_label_match_t *labels; /* every label must match */
	size_t label_count;
	bool all;
	/* `coordinator: true`: the run needs no worker. Its one host is the
	 * pseudo-host RUNBOOK_COORDINATOR_HOST and every step is one the
	 * coordinator runs itself (manual, notify): reminders and sign-offs. */
	bool coordinator;
	runbook_mark_t coordinator_mark;
	runbook_amount_t batch;        /* rolling: hosts started at a time; unset = all */
	runbook_amount_t max_failures; /* stop starting hosts past this many failures;
	                                * unset = never stop, 0 = at the first */
} runbook_targets_t;

typedef enum {
	RUNBOOK_CATCHUP_LATEST = 0, /* one run for the latest missed slot */
	RUNBOOK_CATCHUP_NONE,       /* missed slots are dropped */
	RUNBOOK_CATCHUP_ALL,        /* every missed slot, at most catchup_max */
} runbook_catchup_t;

typedef enum {
	RUNBOOK_CONCURRENCY_FORBID = 0, /* skip the slot, record a skipped run */
	RUNBOOK_CONCURRENCY_ALLOW,
	RUNBOOK_CONCURRENCY_REPLACE, /* cancel the running one, start the new one */
} runbook_concurrency_t;

#define RUNBOOK_DEFAULT_CATCHUP_MAX 10

/* Every field is set only when present; then timezone is never NULL. */
typedef struct {
	bool present;
	char *cron;     /* as written: 5 fields or @daily... (valid for cron_parse) */
	cron_t expr;    /* cron parsed: the scheduler's, so that no start parses it again */
	char *timezone; /* IANA name; "UTC" when not given */
	uint32_t jitter_ms;
	runbook_catchup_t catchup;
	uint32_t catchup_max; /* catchup all: at most this many runs */
	runbook_concurrency_t concurrency;
	runbook_mark_t mark;
	/* skip_dates: the dates written in the runbook, and those of its
	 * holiday file once runbook_skip_file_load has read it (the parse
	 * never reads another file: a run's runbook is parsed again from the
	 * store, where the file may not be). */
	skipdates_t skip;
	char *skip_file; /* owned: {file: PATH} as written; NULL = none */
	runbook_mark_t skip_file_mark;
} runbook_schedule_t;

/* An incident runbook's trigger: an alert whose labels match every pair. */
typedef struct {
	char *source; /* "alertmanager" */
	runbook_kv_t *match;
	size_t match_count;
	runbook_mark_t mark;
} runbook_trigger_t;

/* One error, and a list of them (yamltree.h): {file, line, column,
 * message}; line and column are 1-based; line 0 means the file as a whole
 * (cannot open it, too large, too many errors) and is formatted "file:
 * message". The list owns its items. */
typedef yamltree_error_t runbook_error_t;
typedef yamltree_errors_t runbook_errors_t;

/* A parsed runbook; every string is owned by it. */
typedef struct {
	char *path; /* the file name used in errors */
	char *name;
	char *description; /* may be NULL */
	runbook_targets_t targets;
	runbook_schedule_t schedule;
	int severity;     /* 1-4 for P1-P4; 0 = not given */
	char *escalation; /* policy name; NULL = "default" */
	/* `maintenance: ignore`: its schedule keeps firing through a freeze
	 * window (the coordinator's own duties: backups, the DR test);
	 * `pause` (the default) stops with the rest. Windows on hosts still
	 * skip those hosts. */
	bool maintenance_ignore;
	runbook_trigger_t *triggers;
	size_t trigger_count;
	runbook_param_t *params;
	size_t param_count;
	runbook_step_t *steps;
	size_t step_count;
	/* After runbook_expand: the calls of its `runbook` steps, and the
	 * texts of every runbook they called (nested calls too). */
	runbook_frame_t *frames;
	size_t frame_count;
	runbook_included_t *included;
	size_t included_count;
	/* Who may submit it or open an incident with it through the operator
	 * API (docs/security.md): a caller named in allowed_operators, or whose
	 * role is one of allowed_roles or above it ("operator" or "admin").
	 * Both empty: anyone whose role may submit. Schedules and alerts are
	 * not callers and are not checked. */
	char **allowed_operators;
	size_t allowed_operator_count;
	char **allowed_roles;
	size_t allowed_role_count;
	runbook_mark_t allowed_mark; /* the first of the two keys, for messages */
	/* Documentation only (runbook/doc.c; docs/runbooks.md, "Runbooks as
	 * documents"): what the alert means, how to keep it from coming back,
	 * when and to whom to escalate beyond the policy, and the library's
	 * section. NULL = not given. They never change how a run goes. */
	char *alert;
	char *prevention;
	char *escalation_notes;
	char *category; /* a lower-case name: operations, monitoring, incidents, ... */
	/* What is valid but deserves a second look ("| raw" in a command),
	 * by position; `rota lint` prints them as "file:line:column: warning:
	 * message". They never make a runbook invalid. */
	runbook_errors_t warnings;
} runbook_t;

/* Parse a file or a string (name is used as the file in errors). Return the
 * runbook (the caller's; free with runbook_destroy) or NULL with at least
 * one error appended to errs. errs must be zeroed before first use. */
runbook_t *runbook_parse_file(const char *path, runbook_errors_t *errs);
runbook_t *runbook_parse_string(const char *text, size_t len, const char *name,
                                runbook_errors_t *errs);
void runbook_destroy(runbook_t **rbp);

const runbook_param_t *runbook_param_find(const runbook_t *rb, const char *name);
/* The index of the step with this id, or -1. */
int runbook_step_find(const runbook_t *rb, const char *id);
/* Whether name is one of an alert's template names: alert.labels.NAME,
 * alert.annotations.NAME (NAME a label key) or alert.starts_at. */
bool runbook_alert_name_valid(const char *name);

/* Reads the schedule's holiday file ({file: PATH} in skip_dates; a relative
 * PATH is taken from the directory of runbook_path) into its skip dates.
 * Returns 0 (also with no file), or -1 with *error (the caller frees) as
 * "skip_dates: FILE:LINE:COL: what", to be said at skip_file_mark. */
int runbook_skip_file_load(runbook_t *rb, const char *runbook_path, char **error);
/* True for the step types the coordinator runs itself (manual, notify). */
bool runbook_step_on_coordinator(runbook_step_type_t type);
const char *runbook_step_type_name(runbook_step_type_t type);
/* "immediate", "investigate", "resolve", "verify"; "" for NONE. */
const char *runbook_phase_name(runbook_phase_t phase);
/* The categories rota knows (seed order: operations, monitoring,
 * incidents, deployment); another name is valid but warned about. */
#define RUNBOOK_CATEGORY_COUNT 4
extern const char *const runbook_categories[RUNBOOK_CATEGORY_COUNT];

/* ---- step kinds (common/runbook/step_kinds.c: one row per kind) ---- */

/* Where a step kind runs. */
typedef enum {
	RUNBOOK_RUNS_WORKER = 0,  /* the worker agent itself (shell, noop) */
	RUNBOOK_RUNS_CHECK,       /* the worker, in its helper rota-check (the checks) */
	RUNBOOK_RUNS_COORDINATOR, /* the coordinator itself (manual, notify) */
	RUNBOOK_RUNS_INLINE,      /* never itself: its runbook's steps are spliced in */
} runbook_runs_on_t;

/* What the rest of rota may know of a step kind: plain data, borrowed
 * from the table, valid for the life of the program. */
typedef struct {
	const char *name; /* its YAML key: "http_check" */
	runbook_step_type_t type;
	uint32_t default_timeout_ms;
	runbook_runs_on_t runs_on;
	bool run_as;   /* may name a user to run as (a worker runs it as one) */
	int spec_case; /* the Rota__StepSpec kind_case its spec carries */
} runbook_step_info_t;

/* The kind of type, or of a StepSpec's kind_case; NULL when unknown. */
const runbook_step_info_t *runbook_step_info(runbook_step_type_t type);
const runbook_step_info_t *runbook_step_info_of_spec(int spec_case);

/* What a step does, in words, for a document (common/runbookdoc): words,
 * and values shown as code (a command, a URL, a path). Each kind says it
 * in its own file (step_kinds.c's `phrase`); a kind that does not is said
 * by its name and its fields, so a new kind is never missing from a
 * document. The texts are the step's fields as written (templates not
 * rendered), borrowed from the step or static, or owned by the phrase. */
typedef struct {
	const char *text;
	bool code;        /* a value, shown as code */
	const char *lang; /* a code block's language ("sh"), or NULL */
} runbook_phrase_part_t;
#define RUNBOOK_PHRASE_MAX 24
typedef struct {
	runbook_phrase_part_t parts[RUNBOOK_PHRASE_MAX];
	size_t count;   /* parts past RUNBOOK_PHRASE_MAX are dropped */
	char *owned[4]; /* texts made for the phrase; runbook_phrase_clear */
	size_t owned_count;
} runbook_phrase_t;
/* The phrase of step into *out (zeroed first); runbook_phrase_clear after. */
void runbook_step_phrase(const runbook_step_t *step, runbook_phrase_t *out);
void runbook_phrase_clear(runbook_phrase_t *p);
/* The phrase as plain text, new (the caller frees): the parts joined. */
char *runbook_phrase_text(const runbook_phrase_t *p);

/* The step's templated texts (its kind's fields, not env), borrowed, into
 * out (room for RUNBOOK_STEP_MAX_TEXTS); returns how many. */
#define RUNBOOK_STEP_MAX_TEXTS 16
size_t runbook_step_texts(const runbook_step_t *step, const char **out);

/* What a step's spec is rendered with, besides the step. */
typedef struct {
	const char *runbook;        /* borrowed: the run's runbook name */
	bool adhoc;                 /* the run is ad hoc (rota exec) */
	uint64_t output_limit;      /* bytes of output the worker keeps */
	const template_var_t *vars; /* borrowed: params.*, run.id, host.* */
	size_t var_count;
} runbook_spec_in_t;

/* A step's timeout, hold and interval for one host, with the params they
 * name taken from vars (as runbook_spec_in_t's). */
typedef struct {
	uint32_t timeout_ms;
	uint32_t hold_ms;
	uint32_t interval_ms;
} runbook_timing_t;

/* Fills out; -1 with *error (the caller frees) naming the step and the
 * param when a value is missing, not a duration, or breaks the rules a
 * literal one is linted by (interval no longer than hold, timeout longer
 * than hold). */
int runbook_step_timing(const runbook_step_t *step, const template_var_t *vars, size_t var_count,
                        runbook_timing_t *out, char **error);

/* Renders step for one host into a packed Rota__StepSpec, new in *spec
 * (the caller frees). A field that does not render into a valid value (by
 * the parser's rule for it) makes an `invalid` spec that says why, and a
 * noop in place of the step; returns whether it did. Secrets never enter
 * the spec: a secret env value or a secret a command names becomes a
 * secret_env entry naming the param. */
bool runbook_step_spec(const runbook_step_t *step, const runbook_spec_in_t *in, uint8_t **spec,
                       size_t *spec_len);
/* Checks a value given for a param against its type: NULL when it fits,
 * else a message the caller frees ("param 'n' must be an integer, not 'x'").
 * int: an optional sign and digits inside int64; bool: true, false, yes,
 * no, 1 or 0 in any case; duration: as duration_parse; string: anything. */
char *runbook_param_check(const runbook_param_t *p, const char *value);
/* How many of total hosts an amount is (a percentage rounds up, at least 1;
 * a count is capped at total; unset = total; 0 when total is 0, or when
 * given as 0 or 0%: only max_failures may be). */
size_t runbook_amount_of(runbook_amount_t a, size_t total);

/* Checks the text of a step field after its templates were rendered at
 * submit, by the same rule the parser applies to literal values: key is
 * the YAML key (url, path, expect_status, min_free_pct, min_free_bytes,
 * metric, value). NULL when it fits or the key has no rule, else a message
 * the caller frees ("'min_free_pct' must be a percentage from 0 to 100, not
 * 'abc'"). */
char *runbook_field_check(const char *key, const char *value);
/* min_free_bytes: digits with an optional K, M, G or T suffix (1024-based)
 * into bytes. Returns 0, or -1 for anything else or a value past 2^64. */
int runbook_bytes_parse(const char *text, uint64_t *bytes);
/* metric: 'name' or 'name{k="v",...}' (Prometheus names; values with the
 * escapes \\ \" \n) into *name and its label matchers, all new and the
 * caller's (free each key and value, then the array). name or labels may be
 * NULL to only check. Returns 0, or -1 (nothing allocated). */
int runbook_metric_parse(const char *text, char **name, runbook_kv_t **labels, size_t *label_count);

/* ---- composition (common/runbook/compose.c) ---- */

/* How deep `runbook` steps may call each other: a runbook calling one
 * calling one ... at most this many calls down. */
#define RUNBOOK_MAX_CALL_DEPTH 4

/* The text of the runbook called name, borrowed until runbook_expand
 * returns, and in *path the file its errors name; NULL: none is known. */
typedef const char *(*runbook_resolve_fn)(void *ctx, const char *name, const char **path);

/* Whether rb has `runbook` steps still to expand. */
bool runbook_has_calls(const runbook_t *rb);
/* Splices the steps of the runbooks rb's `runbook` steps call into rb, in
 * place of those steps: ids prefixed "STEP.", `when` kept (on the called
 * runbook's own steps), params bound through rb->frames, and the texts
 * used kept in rb->included. An unknown runbook, an unknown or missing
 * param, a cycle or calls deeper than RUNBOOK_MAX_CALL_DEPTH is an error
 * at the step's file:line:column (appended to errs). Returns 0, or -1
 * (rb is then unchanged but for what it may hold half-done: destroy it). */
int runbook_expand(runbook_t *rb, runbook_resolve_fn resolve, void *ctx, runbook_errors_t *errs);
/* The text a run keeps of an expanded rb parsed from yaml: yaml itself
 * (a copy) when it calls nothing, else a bundle of yaml and the texts it
 * called, which runbook_parse_string reads back into the same expanded
 * runbook. The caller frees. */
char *runbook_bundle(const runbook_t *rb, const char *yaml);

/* "file:line:column: message\n" for every error, in a new string the caller
 * frees ("" when there are none). */
char *runbook_errors_format(const runbook_errors_t *errs);
void runbook_errors_clear(runbook_errors_t *errs);

#endif
