/* check: the built-in step types a worker runs itself, without a shell:
 * http_check, disk_check and metric_check.
 *
 * A check takes its protobuf spec, writes a short human report to a file
 * descriptor and returns a verdict. The report's first line is a one-line
 * summary ("GET http://127.0.0.1:8000/health -> 503 (expected 200) in 12 ms")
 * that the agent also uses as the Result's detail; later lines add what helps
 * an operator (the matching samples, the start of an error page).
 *
 * A check blocks (a network round trip, a statvfs on a stuck NFS mount), so
 * the worker never calls one from its loop: it runs the check in a forked
 * child through the executor (a function job), whose stdout is the report
 * and whose exit status is the verdict, so timeouts, output streaming and
 * cancel work as for a shell step. That child execs the helper program
 * rota-check (worker/check_main.c), which runs check_run: this file's
 * implementation (check.c, with a file per check: check_http.c,
 * check_disk.c, check_metric.c) is linked into the helper and not into the
 * worker, so the worker daemon does not map libcurl and the forty-odd
 * libraries it brings (docs/benchmarks.md, worker RSS). The worker uses
 * only the inline functions and constants of this header.
 *
 * Must never: crash or read unbounded on what a server sends (bodies are
 * read up to a bound; the metrics parser takes any bytes), follow redirects,
 * or fetch anything but http and https.
 *
 * The Prometheus text-format parser is pure (no I/O, no allocation) and
 * public so it can be tested on its own. */
#ifndef ROTA_CHECK_H
#define ROTA_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rota.pb-c.h"

#define CHECK_DEFAULT_TIMEOUT_MS 10000 /* a check's own timeout when the step sets none */
/* The executor kills a check this long after the check's own timeout, so a
 * check normally reports its timeout itself ("timed out after 5000 ms") and
 * the kill is only the backstop for one that hangs. */
#define CHECK_KILL_SLACK_MS 2000
#define CHECK_HTTP_BODY_MAX (1024 * 1024)        /* bytes of body http_check reads */
#define CHECK_METRICS_BODY_MAX (8 * 1024 * 1024) /* bytes metric_check reads */
#define CHECK_SAMPLE_MAX_LABELS 64               /* a sample with more is a line not understood */
#define CHECK_REPORT_MAX_SAMPLES 20              /* matching samples listed in a report */
#define CHECK_REPORT_BODY_EXCERPT 512            /* bytes of body shown when http_check fails */
#define CHECK_REPORT_LINE_MAX 200                /* bytes of a sample line shown in a report */
#define CHECK_VALUE_TOKEN_MAX 64                 /* longest number token in the text format */
#define CHECK_SHOW_MAX 300                       /* a spec string quoted in a summary, at most */

/* A recording check's report ends with this and its number (the worker
 * sends it as Result.value). */
#define CHECK_VALUE_PREFIX "recorded value: "

/* The verdict, which is also the check child's exit code. */
typedef enum {
	CHECK_PASS = 0,  /* the thing checked is as required */
	CHECK_FAIL = 1,  /* it is not (wrong status, too little space, no such sample) */
	CHECK_ERROR = 2, /* the check could not be made as specified (bad spec, no such path) */
} check_verdict_t;

/* The largest packed StepSpec the helper reads from its stdin. */
#define CHECK_SPEC_MAX_BYTES (1024 * 1024)

/* curl_global_init: call once from the helper's main, before any check.
 * Returns 0, or -1 when libcurl cannot start. */
int check_global_init(void);
void check_global_cleanup(void);

/* Whether the step is one check_run performs (http, disk, metric or file).
 * Inline, with check_timeout_ms: the worker needs them without check.c.
 * (The worker itself goes by its kind table, agent_kind.h.) */
static inline bool
check_handles(const Rota__StepSpec *spec)
{
	if (spec == NULL)
		return false;
	switch (spec->kind_case) {
	case ROTA__STEP_SPEC__KIND_HTTP_CHECK:
	case ROTA__STEP_SPEC__KIND_DISK_CHECK:
	case ROTA__STEP_SPEC__KIND_METRIC_CHECK:
	case ROTA__STEP_SPEC__KIND_FILE_CHECK:
	case ROTA__STEP_SPEC__KIND_TLS_CHECK:
	case ROTA__STEP_SPEC__KIND_PROMQL_CHECK:
		return true;
	default:
		return false;
	}
}

/* The timeout the check enforces itself: the step's, or the default. The
 * executor's kill timer should be this plus CHECK_KILL_SLACK_MS. */
static inline uint32_t
check_timeout_ms(const Rota__StepSpec *spec)
{
	return spec && spec->timeout_ms ? spec->timeout_ms : CHECK_DEFAULT_TIMEOUT_MS;
}

/* Performs the check in spec, writing its report to fd. Blocks for up to
 * check_timeout_ms. A spec that is not a check is CHECK_ERROR. A report
 * that cannot be written does not change the verdict. */
check_verdict_t check_run(const Rota__StepSpec *spec, int fd);
check_verdict_t check_http(const Rota__HttpCheckSpec *spec, uint32_t timeout_ms, int fd);
check_verdict_t check_disk(const Rota__DiskCheckSpec *spec, int fd);
check_verdict_t check_file(const Rota__FileCheckSpec *spec, int fd);
check_verdict_t check_tls(const Rota__TlsCheckSpec *spec, uint32_t timeout_ms, int fd);
/* A certificate's notAfter as libcurl shows it ("Dec  6 12:00:00 2027 GMT")
 * in seconds since the epoch, or -1. */
int64_t check_tls_time_parse(const char *text);
check_verdict_t check_metric(const Rota__MetricCheckSpec *spec, uint32_t timeout_ms, int fd);
/* promql_check (check_promql.c): asks url's /api/v1/query for the query and
 * applies op and value to each series (or the scalar) as match says. */
check_verdict_t check_promql(const Rota__PromqlCheckSpec *spec, uint32_t timeout_ms, int fd);

/* ---- the Prometheus text exposition format -------------------------- */

/* A run of bytes borrowed from a text (not NUL-terminated). A label value
 * read from the text still holds its escapes (\\, \", \n); escaped says so,
 * and check_str_equal decodes while it compares. */
typedef struct {
	const char *p;
	size_t len;
	bool escaped;
} check_str_t;

typedef struct {
	check_str_t key;
	check_str_t value;
} check_label_t;

/* A metric name with labels: a sample's series, or what a check looks for.
 * Every string is borrowed from the text it was parsed from. */
typedef struct {
	check_str_t name;
	size_t nlabels;
	check_label_t labels[CHECK_SAMPLE_MAX_LABELS];
} check_series_t;

typedef struct {
	check_series_t series;
	double value; /* NaN and +-Inf included */
	bool has_timestamp;
	double timestamp; /* as written: ms in the text format, s in OpenMetrics */
} check_sample_t;

typedef enum {
	CHECK_LINE_SAMPLE = 0, /* *out holds a sample */
	CHECK_LINE_SKIP,       /* blank, a comment, # HELP or # TYPE */
	CHECK_LINE_BAD,        /* not understood; *out is unspecified */
} check_line_t;

/* Parses one line (without its '\n') of the text format:
 *   name{label="value",...} value [timestamp]
 * Any bytes are accepted; a sample with more than CHECK_SAMPLE_MAX_LABELS
 * labels or a number token longer than CHECK_VALUE_TOKEN_MAX is BAD. */
check_line_t check_sample_parse(const char *line, size_t len, check_sample_t *out);

/* Parses a selector: `name` or `name{label="value",...}` (what a runbook may
 * write as metric_check's metric). Returns 0, or -1 when it is not one. */
int check_series_parse(const char *text, size_t len, check_series_t *out);
/* Adds a label wanted with a plain (unescaped) value, both borrowed.
 * Returns -1 when the series holds CHECK_SAMPLE_MAX_LABELS already. */
int check_series_add_label(check_series_t *s, const char *key, const char *value);
/* Whether the sample's series has want's name and every one of want's
 * labels. As in PromQL, a wanted empty value also matches an absent label. */
bool check_series_match(const check_series_t *sample, const check_series_t *want);
/* Formats a series as the text format writes it, into buf (always
 * NUL-terminated; cut short when too small). */
void check_series_format(const check_series_t *s, char *buf, size_t len);
/* Whether two strings are equal once their escapes are decoded. */
bool check_str_equal(check_str_t a, check_str_t b);

typedef enum {
	CHECK_OP_LT = 0,
	CHECK_OP_LE,
	CHECK_OP_GT,
	CHECK_OP_GE,
	CHECK_OP_EQ,
	CHECK_OP_NE,
} check_op_t;

/* "<", "<=", ">", ">=", "==", "!=" (surrounding blanks allowed). Returns 0,
 * or -1 for anything else. */
int check_op_parse(const char *text, check_op_t *op);
const char *check_op_name(check_op_t op);
/* value OP threshold, with IEEE semantics: NaN satisfies only !=. */
bool check_compare(double value, check_op_t op, double threshold);

/* What a scan of a metrics text found. */
typedef struct {
	size_t lines;     /* lines read */
	size_t samples;   /* lines that were samples */
	size_t bad_lines; /* lines not understood */
	size_t matched;   /* samples of the wanted series */
	size_t passed;    /* of those, samples that satisfy the condition */
} check_scan_t;

/* Called for each matching sample, with its whole line (borrowed) and
 * whether it satisfies the condition. */
typedef void (*check_match_fn)(void *ctx, const char *line, size_t len,
                               const check_sample_t *sample, bool ok);

/* Reads every line of text (len bytes, any content; a last line without
 * '\n' counts) and compares each sample of want with op and threshold.
 * on_match may be NULL. Pure: time is linear in len, memory constant. */
void check_metrics_scan(const char *text, size_t len, const check_series_t *want, check_op_t op,
                        double threshold, check_match_fn on_match, void *ctx, check_scan_t *out);

#endif
