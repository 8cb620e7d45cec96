/* check_internal: what the built-in checks (check.c, check_http.c,
 * check_disk.c, check_metric.c) share inside the rota-checks library: the
 * report writers and the one HTTP fetcher. Not for the worker: it links none
 * of these files (check.h says why).
 *
 * Must never: be included outside worker/check*.c. */
#ifndef ROTA_CHECK_INTERNAL_H
#define ROTA_CHECK_INTERNAL_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "check.h"

/* ---- reports (check.c) ---------------------------------------------------- */

/* Writes to the report. A write that fails does not change the verdict. */
void check_say(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A spec string fit to quote on the summary line, in buf (one line,
 * bounded); returns buf. */
const char *check_show(const char *s, char *buf, size_t len);
/* Writes len bytes a server sent, indented, control bytes as '.'. */
void check_say_excerpt(int fd, const char *data, size_t len);
/* A sample value as the text format writes it (NaN, +Inf, %.15g). */
void check_fmt_value(char *buf, size_t len, double v);
/* A byte count in B, KiB, MiB, ... */
void check_fmt_bytes(char *buf, size_t len, double b);
/* The number this check yields (record: docs/runbooks.md): a check that
 * has one calls it; check_run reports it on the report's last line. */
void check_value(double v);
/* s, or "" for NULL (borrowed). */
const char *check_str_or_empty(const char *s);

/* ---- HTTP (check_http.c) -------------------------------------------------- */

typedef struct {
	char *body; /* owned; NULL until the first byte */
	size_t len;
	size_t cap;
	size_t max;
	bool truncated; /* the body went on past max; reading stopped there */
	long status;    /* 0 when no answer came */
	int64_t ms;     /* how long the request took */
	CURLcode rc;
	long os_errno; /* of the failed connect or read, when there was one */
	char err[CURL_ERROR_SIZE];
	char text[CURL_ERROR_SIZE + 64]; /* what check_fetch_error made of it */
} check_fetch_t;

/* Makes one request (metrics: ask for the Prometheus text format). Returns
 * -1 when it could not even be set up (f->err says why); otherwise 0, with
 * the outcome of the transfer in f->rc and f->status. f->body is the
 * caller's to free either way. */
int check_fetch(const char *url, const char *method, uint32_t timeout_ms, size_t max, bool metrics,
                check_fetch_t *f);
/* The text of a failed transfer (in f->text; borrowed from f). */
const char *check_fetch_error(check_fetch_t *f);
/* ERROR for a transfer that failed on what the runbook wrote, else FAIL. */
check_verdict_t check_fetch_verdict(CURLcode rc);

#endif
