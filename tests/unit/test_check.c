/* test_check: the built-in checks against real things: a Prometheus text
 * parser fed good, bad and huge input; disk_check on a temporary directory;
 * http_check and metric_check against a libmicrohttpd server on a loopback
 * port of its own. Each check writes its report to a memfd, read back here. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <math.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "clock.h"

/* ---- helpers ---------------------------------------------------------------- */

static char report[64 * 1024];

/* Every check writes its report to rfd, a memfd; verdict() reads it back
 * into report and empties rfd for the next check. */
static int rfd = -1;

static check_verdict_t
verdict(check_verdict_t v)
{
	off_t len = lseek(rfd, 0, SEEK_CUR);
	assert_true(len >= 0 && (size_t)len < sizeof(report));
	assert_int_equal(pread(rfd, report, (size_t)len, 0), len);
	report[len] = '\0';
	assert_int_equal(ftruncate(rfd, 0), 0);
	assert_int_equal(lseek(rfd, 0, SEEK_SET), 0);
	return v;
}

static void
assert_report_has(const char *want)
{
	if (strstr(report, want) == NULL)
		fail_msg("report does not contain \"%s\":\n%s", want, report);
}

/* The report's first line, which the agent uses as the Result's detail. */
static const char *
first_line(void)
{
	static char line[1024];
	size_t n = strcspn(report, "\n");
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	memcpy(line, report, n);
	line[n] = '\0';
	return line;
}

static check_line_t
parse(const char *line, check_sample_t *s)
{
	return check_sample_parse(line, strlen(line), s);
}

static check_str_t
plain(const char *s)
{
	return (check_str_t){s, strlen(s), false};
}

/* ---- the text format -------------------------------------------------------- */

static void
test_parse_samples(void **state)
{
	(void)state;
	check_sample_t s;
	assert_int_equal(parse("foo 1", &s), CHECK_LINE_SAMPLE);
	assert_true(check_str_equal(s.series.name, plain("foo")));
	assert_int_equal(s.series.nlabels, 0);
	assert_true(s.value == 1.0);
	assert_false(s.has_timestamp);

	assert_int_equal(
	    parse("http_requests_total{method=\"post\",code=\"200\"} 1027 1395066363000", &s),
	    CHECK_LINE_SAMPLE);
	assert_true(check_str_equal(s.series.name, plain("http_requests_total")));
	assert_int_equal(s.series.nlabels, 2);
	assert_true(check_str_equal(s.series.labels[0].key, plain("method")));
	assert_true(check_str_equal(s.series.labels[0].value, plain("post")));
	assert_true(check_str_equal(s.series.labels[1].key, plain("code")));
	assert_true(check_str_equal(s.series.labels[1].value, plain("200")));
	assert_true(s.value == 1027.0);
	assert_true(s.has_timestamp);
	assert_true(s.timestamp == 1395066363000.0);

	/* Blanks, tabs, CRLF, a trailing comma, braces with no labels, a
	 * recording rule's colons, exponents, negative numbers. */
	assert_int_equal(parse("  \tjob:up:sum { a = \"1\" , } \t -3.5e2  \r", &s),
	                 CHECK_LINE_SAMPLE);
	assert_true(check_str_equal(s.series.name, plain("job:up:sum")));
	assert_int_equal(s.series.nlabels, 1);
	assert_true(s.value == -350.0);
	assert_int_equal(parse("up{} 0", &s), CHECK_LINE_SAMPLE);
	assert_int_equal(s.series.nlabels, 0);
	assert_int_equal(parse("up{a=\"b\"}1", &s), CHECK_LINE_SAMPLE);
	assert_true(s.value == 1.0);
	assert_int_equal(parse("x -0 -17", &s), CHECK_LINE_SAMPLE);
	assert_true(s.timestamp == -17.0);
	/* An OpenMetrics exemplar after the value is not ours: ignored. */
	assert_int_equal(
	    parse("rq_bucket{le=\"0.5\"} 3 # {trace_id=\"abc\"} 1.0 1520879607.789", &s),
	    CHECK_LINE_SAMPLE);
	assert_true(s.value == 3.0);
	assert_false(s.has_timestamp);
	/* An empty label value is a value. */
	assert_int_equal(parse("x{a=\"\"} 2", &s), CHECK_LINE_SAMPLE);
	assert_int_equal(s.series.labels[0].value.len, 0);
}

static void
test_parse_escapes(void **state)
{
	(void)state;
	check_sample_t s;
	assert_int_equal(parse("msdos_file_access_time_seconds{path=\"C:\\\\DIR\\\\FILE.TXT\","
	                       "error=\"Cannot find file:\\n\\\"FILE.TXT\\\"\"} 1.458255915e9",
	                       &s),
	                 CHECK_LINE_SAMPLE);
	assert_int_equal(s.series.nlabels, 2);
	assert_true(check_str_equal(s.series.labels[0].value, plain("C:\\DIR\\FILE.TXT")));
	assert_true(
	    check_str_equal(s.series.labels[1].value, plain("Cannot find file:\n\"FILE.TXT\"")));
	assert_false(check_str_equal(s.series.labels[0].value, plain("C:\\\\DIR\\\\FILE.TXT")));
	assert_true(s.value == 1.458255915e9);
	/* A '}' or ',' inside quotes is part of the value. */
	assert_int_equal(parse("x{a=\"}, b=\\\"c\\\"\"} 5", &s), CHECK_LINE_SAMPLE);
	assert_int_equal(s.series.nlabels, 1);
	assert_true(check_str_equal(s.series.labels[0].value, plain("}, b=\"c\"")));
	/* A backslash before anything else stands for itself. */
	assert_int_equal(parse("x{a=\"\\d\"} 5", &s), CHECK_LINE_SAMPLE);
	assert_true(check_str_equal(s.series.labels[0].value, plain("\\d")));
}

static void
test_parse_comments_and_blanks(void **state)
{
	(void)state;
	check_sample_t s;
	const char *skip[] = {
	    "",
	    "   \t\r",
	    "#",
	    "# HELP http_requests_total The total number of HTTP requests.",
	    "# TYPE http_requests_total counter",
	    "  # an indented comment with {braces} 1",
	    "# EOF",
	};
	for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
		if (parse(skip[i], &s) != CHECK_LINE_SKIP)
			fail_msg("not skipped: \"%s\"", skip[i]);
}

static void
test_parse_nan_inf(void **state)
{
	(void)state;
	check_sample_t s;
	assert_int_equal(parse("g NaN", &s), CHECK_LINE_SAMPLE);
	assert_true(isnan(s.value));
	assert_int_equal(parse("g +Inf", &s), CHECK_LINE_SAMPLE);
	assert_true(isinf(s.value) && s.value > 0);
	assert_int_equal(parse("g -Inf", &s), CHECK_LINE_SAMPLE);
	assert_true(isinf(s.value) && s.value < 0);
	assert_int_equal(parse("g{le=\"+Inf\"} 7", &s), CHECK_LINE_SAMPLE);
	assert_true(s.value == 7.0);
	/* Beyond a double's range: +-Inf, as Go reads it. */
	assert_int_equal(parse("g 1e999", &s), CHECK_LINE_SAMPLE);
	assert_true(isinf(s.value));
}

static void
test_parse_garbage(void **state)
{
	(void)state;
	check_sample_t s;
	const char *bad[] = {
	    "foo",                     /* no value */
	    "foo ",                    /* no value */
	    "{} 1",                    /* no name */
	    "{job=\"a\"} 1",           /* no name */
	    "foo{ 1",                  /* unclosed */
	    "foo{a=\"b\" 1",           /* unclosed */
	    "foo{a=\"b 1",             /* unclosed quote */
	    "foo{a=\"b\\",             /* backslash at the end */
	    "foo{a=b} 1",              /* value not quoted */
	    "foo{a} 1",                /* no value */
	    "foo{=\"b\"} 1",           /* no label name */
	    "foo{1a=\"b\"} 1",         /* label name starts with a digit */
	    "foo{a:b=\"c\"} 1",        /* ':' in a label name */
	    "foo{a=\"b\"c=\"d\"} 1",   /* no comma */
	    "foo{a=\"b\",,c=\"d\"} 1", /* two commas */
	    "foo-bar 1",               /* '-' in a name */
	    "1foo 1",                  /* name starts with a digit */
	    "foo abc",                 /* not a number */
	    "foo 1x",                  /* not a number */
	    "foo 1 abc",               /* not a timestamp */
	    "foo 1 2 3",               /* one token too many */
	    "foo 0x",                  /* half a hex number */
	    "\xff\xfe 1",              /* not text */
	    "foo{a=\"b\"}} 1",         /* stray brace */
	    "foo 1111111111111111111111111111111111111111111111111111111111111111111111",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse(bad[i], &s) != CHECK_LINE_BAD)
			fail_msg("not refused: \"%s\"", bad[i]);
	/* A NUL is a byte like any other, not the end of the line. */
	assert_int_equal(check_sample_parse("foo\0 1", 6, &s), CHECK_LINE_BAD);
	assert_int_equal(check_sample_parse("foo 1\0", 6, &s), CHECK_LINE_BAD);
	/* Lengths are respected: nothing is read past len. */
	assert_int_equal(check_sample_parse("foo 12345", 5, &s), CHECK_LINE_SAMPLE);
	assert_true(s.value == 1.0);
}

static void
test_parse_label_bound(void **state)
{
	(void)state;
	check_sample_t s;
	char line[4096];
	for (int want = CHECK_SAMPLE_MAX_LABELS; want <= CHECK_SAMPLE_MAX_LABELS + 1; want++) {
		size_t n = (size_t)snprintf(line, sizeof(line), "many{");
		for (int i = 0; i < want; i++)
			n += (size_t)snprintf(line + n, sizeof(line) - n, "l%d=\"%d\",", i, i);
		snprintf(line + n, sizeof(line) - n, "} 1");
		assert_int_equal(parse(line, &s), want == CHECK_SAMPLE_MAX_LABELS
		                                      ? CHECK_LINE_SAMPLE
		                                      : CHECK_LINE_BAD);
	}
}

/* This thread's CPU time in ms: what a pure scan costs, whatever else runs
 * on a busy machine. */
static int64_t
cpu_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
test_scan_huge_and_random(void **state)
{
	(void)state;
	check_series_t want;
	assert_int_equal(check_series_parse("target", 6, &want), 0);
	check_scan_t scan;

	/* Random bytes, with a sample of ours at the very end. */
	size_t len = 4u << 20;
	char *buf = malloc(len + 64);
	assert_non_null(buf);
	srand(7);
	for (size_t i = 0; i < len; i++)
		buf[i] = (char)(rand() & 0xff);
	size_t n = len + (size_t)snprintf(buf + len, 64, "\ntarget 42");
	int64_t t0 = cpu_ms();
	check_metrics_scan(buf, n, &want, CHECK_OP_EQ, 42, NULL, NULL, &scan);
	assert_int_equal(scan.matched, 1);
	assert_int_equal(scan.passed, 1);
	assert_true(scan.bad_lines > 0);

	/* One 4 MiB line: a label value that never closes. */
	memcpy(buf, "target{a=\"", 10);
	memset(buf + 10, 'x', len - 10);
	check_metrics_scan(buf, len, &want, CHECK_OP_EQ, 42, NULL, NULL, &scan);
	assert_int_equal(scan.lines, 1);
	assert_int_equal(scan.bad_lines, 1);
	assert_int_equal(scan.matched, 0);

	/* The same line closed: a 4 MiB label value is fine. */
	memcpy(buf + len - 4, "\"} 1", 4);
	check_metrics_scan(buf, len, &want, CHECK_OP_EQ, 1, NULL, NULL, &scan);
	assert_int_equal(scan.samples, 1);
	assert_int_equal(scan.matched, 1);

	/* Only newlines, and only opening braces. */
	memset(buf, '\n', len);
	check_metrics_scan(buf, len, &want, CHECK_OP_EQ, 1, NULL, NULL, &scan);
	assert_int_equal(scan.lines, len);
	assert_int_equal(scan.samples, 0);
	memset(buf, '{', len);
	check_metrics_scan(buf, len, &want, CHECK_OP_EQ, 1, NULL, NULL, &scan);
	assert_int_equal(scan.bad_lines, 1);
	assert_true(cpu_ms() - t0 < 10000);

	/* Empty text. */
	check_metrics_scan(buf, 0, &want, CHECK_OP_EQ, 1, NULL, NULL, &scan);
	assert_int_equal(scan.lines, 0);
	free(buf);
}

static void
test_series_selectors(void **state)
{
	(void)state;
	check_series_t want;
	const char *sel = "errors_total{job=\"api\", env=\"a \\\"b\\\"\"}";
	assert_int_equal(check_series_parse(sel, strlen(sel), &want), 0);
	assert_true(check_str_equal(want.name, plain("errors_total")));
	assert_int_equal(want.nlabels, 2);
	assert_true(check_str_equal(want.labels[1].value, plain("a \"b\"")));
	assert_int_equal(check_series_parse(" up ", 4, &want), 0);
	assert_int_equal(want.nlabels, 0);
	const char *bad[] = {"", "errors total", "{job=\"x\"}", "x{", "x 1", "x{a=\"b\"} 1"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (check_series_parse(bad[i], strlen(bad[i]), &want) != -1)
			fail_msg("selector accepted: \"%s\"", bad[i]);
}

static void
test_series_match_and_format(void **state)
{
	(void)state;
	check_sample_t s;
	check_series_t want;
	assert_int_equal(parse("req_total{job=\"api\",code=\"500\",path=\"a\\\"b\"} 3", &s),
	                 CHECK_LINE_SAMPLE);
	assert_int_equal(check_series_parse("req_total", 9, &want), 0);
	assert_true(check_series_match(&s.series, &want)); /* no labels wanted */
	assert_int_equal(check_series_add_label(&want, "code", "500"), 0);
	assert_true(check_series_match(&s.series, &want));
	assert_int_equal(check_series_add_label(&want, "path", "a\"b"), 0);
	assert_true(check_series_match(&s.series, &want)); /* escaped vs plain */
	assert_int_equal(check_series_add_label(&want, "zone", ""), 0);
	assert_true(check_series_match(&s.series, &want)); /* "" matches absent */
	assert_int_equal(check_series_add_label(&want, "job", "db"), 0);
	assert_false(check_series_match(&s.series, &want));

	assert_int_equal(check_series_parse("req", 3, &want), 0);
	assert_false(check_series_match(&s.series, &want)); /* a prefix is not the name */
	assert_int_equal(check_series_parse("req_total{host=\"x\"}", 19, &want), 0);
	assert_false(check_series_match(&s.series, &want)); /* label absent */

	char buf[128];
	assert_int_equal(check_series_parse("x", 1, &want), 0);
	check_series_format(&want, buf, sizeof(buf));
	assert_string_equal(buf, "x");
	assert_int_equal(check_series_add_label(&want, "m", "say \"hi\"\\\n"), 0);
	check_series_format(&want, buf, sizeof(buf));
	assert_string_equal(buf, "x{m=\"say \\\"hi\\\"\\\\\\n\"}");
	check_series_format(&s.series, buf, sizeof(buf));
	assert_string_equal(buf, "req_total{job=\"api\",code=\"500\",path=\"a\\\"b\"}");
	check_series_format(&s.series, buf, 8); /* cut short, still terminated */
	assert_string_equal(buf, "req_tot");

	for (int i = 1; i < CHECK_SAMPLE_MAX_LABELS; i++)
		assert_int_equal(check_series_add_label(&want, "k", "v"), 0);
	assert_int_equal(check_series_add_label(&want, "k", "v"), -1);
}

static void
test_ops(void **state)
{
	(void)state;
	const char *names[] = {"<", "<=", ">", ">=", "==", "!="};
	check_op_t op;
	for (size_t i = 0; i < 6; i++) {
		assert_int_equal(check_op_parse(names[i], &op), 0);
		assert_int_equal(op, (check_op_t)i);
		assert_string_equal(check_op_name(op), names[i]);
	}
	assert_int_equal(check_op_parse(" <= ", &op), 0);
	assert_int_equal(op, CHECK_OP_LE);
	const char *bad[] = {"", "=", "<>", "=<", "lt", "< =", "<<"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (check_op_parse(bad[i], &op) != -1)
			fail_msg("op accepted: \"%s\"", bad[i]);
	assert_int_equal(check_op_parse(NULL, &op), -1);

	assert_true(check_compare(3, CHECK_OP_LT, 10));
	assert_false(check_compare(10, CHECK_OP_LT, 10));
	assert_true(check_compare(10, CHECK_OP_LE, 10));
	assert_true(check_compare(11, CHECK_OP_GT, 10));
	assert_false(check_compare(10, CHECK_OP_GT, 10));
	assert_true(check_compare(10, CHECK_OP_GE, 10));
	assert_true(check_compare(0.5, CHECK_OP_EQ, 0.5));
	assert_false(check_compare(0.5, CHECK_OP_NE, 0.5));
	assert_true(check_compare(INFINITY, CHECK_OP_GT, 1e308));
	assert_true(check_compare(-INFINITY, CHECK_OP_LT, -1e308));
	/* NaN satisfies nothing but != */
	for (int o = CHECK_OP_LT; o <= CHECK_OP_EQ; o++)
		assert_false(check_compare(NAN, (check_op_t)o, 1));
	assert_false(check_compare(NAN, CHECK_OP_EQ, NAN));
	assert_true(check_compare(NAN, CHECK_OP_NE, 1));
}

typedef struct {
	int calls;
	int ok;
	char last[128];
} matches_t;

static void
on_match(void *ctx, const char *line, size_t len, const check_sample_t *sample, bool ok)
{
	matches_t *m = ctx;
	(void)sample;
	m->calls++;
	m->ok += ok;
	snprintf(m->last, sizeof(m->last), "%.*s", (int)len, line);
}

static void
test_scan_counts(void **state)
{
	(void)state;
	const char *text = "# HELP e errors\n"
	                   "# TYPE e counter\n"
	                   "e{job=\"api\",i=\"a\"} 3\n"
	                   "e{job=\"api\",i=\"b\"} 12 1395066363000\n"
	                   "e{job=\"db\"} 100\n"
	                   "garbage here\n"
	                   "\n"
	                   "e{job=\"api\",i=\"c\"} 1"; /* no final newline */
	check_series_t want;
	assert_int_equal(check_series_parse("e{job=\"api\"}", 12, &want), 0);
	check_scan_t scan;
	matches_t m = {0};
	check_metrics_scan(text, strlen(text), &want, CHECK_OP_LT, 10, on_match, &m, &scan);
	assert_int_equal(scan.lines, 8);
	assert_int_equal(scan.samples, 4);
	assert_int_equal(scan.bad_lines, 1);
	assert_int_equal(scan.matched, 3);
	assert_int_equal(scan.passed, 2);
	assert_int_equal(m.calls, 3);
	assert_int_equal(m.ok, 2);
	assert_string_equal(m.last, "e{job=\"api\",i=\"c\"} 1");
}

/* ---- disk_check ---------------------------------------------------------------- */

static char tmpdir[64];

static void
test_disk(void **state)
{
	(void)state;
	Rota__DiskCheckSpec spec = ROTA__DISK_CHECK_SPEC__INIT;
	spec.path = tmpdir;

	/* No threshold: a report of the space, and a pass. */
	assert_int_equal(verdict(check_disk(&spec, rfd)), CHECK_PASS);
	assert_true(strncmp(report, tmpdir, strlen(tmpdir)) == 0);
	assert_report_has("% free (");
	assert_report_has(" of ");
	assert_null(strstr(report, "needs"));

	spec.min_free_pct = 0.001;
	assert_int_equal(verdict(check_disk(&spec, rfd)), CHECK_PASS);
	assert_report_has("; needs at least 0.001%");

	spec.min_free_pct = 100;
	assert_int_equal(verdict(check_disk(&spec, rfd)), CHECK_FAIL);
	assert_report_has("; needs at least 100%\n");

	spec.min_free_pct = 0;
	spec.min_free_bytes = 1;
	assert_int_equal(verdict(check_disk(&spec, rfd)), CHECK_PASS);
	assert_report_has("; needs at least 1 B\n");
	spec.min_free_bytes = UINT64_C(1) << 62; /* 4 EiB */
	assert_int_equal(verdict(check_disk(&spec, rfd)), CHECK_FAIL);
	assert_report_has("; needs at least 4.0 EiB\n");
	spec.min_free_pct = 1;
	assert_int_equal(verdict(check_disk(&spec, rfd)), CHECK_FAIL);
	assert_report_has("; needs at least 1% and 4.0 EiB\n");
	/* One line only: it is also the Result's detail. */
	assert_int_equal(strchr(report, '\n') - report + 1, (long)strlen(report));
}

/* ---- file_check ---------------------------------------------------------------- */

/* Writes size bytes to dir/name and sets its mtime age_s seconds ago. */
static void
backup_file(const char *dir, const char *name, size_t size, long age_s)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	for (size_t i = 0; i < size; i++)
		fputc('x', f);
	fclose(f);
	struct timespec ts[2];
	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= age_s;
	ts[1] = ts[0];
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static void
test_file(void **state)
{
	(void)state;
	char dir[128], glob_path[160];
	snprintf(dir, sizeof(dir), "%s/backups", tmpdir);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(glob_path, sizeof(glob_path), "%s/db-*.sql.gz", dir);
	Rota__FileCheckSpec spec = ROTA__FILE_CHECK_SPEC__INIT;
	spec.path = glob_path;

	/* Nothing there yet: a backup that was never taken fails. */
	assert_int_equal(verdict(check_file(&spec, rfd)), CHECK_FAIL);
	assert_report_has("no file matches; needs at least 1\n");

	backup_file(dir, "db-1.sql.gz", 2048, 3 * 86400);
	backup_file(dir, "db-2.sql.gz", 4096, 2 * 3600);
	backup_file(dir, "notes.txt", 10, 0); /* does not match */
	spec.max_age_ms = 26 * 3600 * 1000ULL;
	spec.min_size = 1024;
	spec.min_count = 2;
	assert_int_equal(verdict(check_file(&spec, rfd)), CHECK_PASS);
	assert_report_has(": 2 files; newest ");
	assert_report_has("db-2.sql.gz: 4.0 KiB, 2 h 0 min old; needs at most 1d02h old, at least "
	                  "1.0 KiB, at least 2 files\n");

	/* Stale: the newest is older than max_age. */
	spec.max_age_ms = 3600 * 1000ULL;
	assert_int_equal(verdict(check_file(&spec, rfd)), CHECK_FAIL);
	/* Too small, and too few. */
	spec.max_age_ms = 0;
	spec.min_size = 1024 * 1024;
	assert_int_equal(verdict(check_file(&spec, rfd)), CHECK_FAIL);
	spec.min_size = 0;
	spec.min_count = 3;
	assert_int_equal(verdict(check_file(&spec, rfd)), CHECK_FAIL);
	assert_report_has("needs at least 3 files\n");
	/* A directory named like a backup is not one. */
	spec.min_count = 0;
	char sub[200];
	snprintf(sub, sizeof(sub), "%s/db-3.sql.gz", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(verdict(check_file(&spec, rfd)), CHECK_PASS);
	assert_report_has(": 2 files; newest ");
	/* Not absolute: an error in the runbook, not a failed check. */
	spec.path = "backups/*.gz";
	assert_int_equal(verdict(check_file(&spec, rfd)), CHECK_ERROR);
	rmdir(sub);
	snprintf(sub, sizeof(sub), "rm -rf '%s'", dir);
	assert_int_equal(system(sub), 0);
}

/* tls_check reads the expiry as libcurl shows OpenSSL's notAfter. */
static void
test_tls_time_parse(void **state)
{
	(void)state;
	assert_int_equal(check_tls_time_parse("Dec  6 12:00:00 2027 GMT"), 1828094400);
	assert_int_equal(check_tls_time_parse("Jan 15 00:00:01 2030 GMT"), 1894665601);
	assert_int_equal(check_tls_time_parse("2027-12-06"), -1);
	assert_int_equal(check_tls_time_parse("Dec  6 12:00:00 2027 CET"), -1);
	assert_int_equal(check_tls_time_parse(NULL), -1);
}

static void
test_disk_errors(void **state)
{
	(void)state;
	Rota__DiskCheckSpec spec = ROTA__DISK_CHECK_SPEC__INIT;
	char path[128];
	snprintf(path, sizeof(path), "%s/no/such/dir", tmpdir);
	spec.path = path;
	assert_int_equal(verdict(check_disk(&spec, rfd)), CHECK_ERROR);
	assert_report_has(path);
	assert_report_has("No such file or directory");

	spec.path = "";
	assert_int_equal(verdict(check_disk(&spec, rfd)), CHECK_ERROR);
	assert_report_has("no path");

	spec.path = tmpdir;
	spec.min_free_pct = 150;
	assert_int_equal(verdict(check_disk(&spec, rfd)), CHECK_ERROR);
	assert_report_has("150");
	spec.min_free_pct = NAN;
	assert_int_equal(verdict(check_disk(&spec, rfd)), CHECK_ERROR);
	spec.min_free_pct = -1;
	assert_int_equal(verdict(check_disk(&spec, rfd)), CHECK_ERROR);

	/* A pseudo filesystem has no size to take a percentage of. */
	spec.min_free_pct = 10;
	spec.path = "/proc";
	assert_int_equal(verdict(check_disk(&spec, rfd)), CHECK_ERROR);
	assert_report_has("/proc");
}

/* ---- an HTTP server on loopback ------------------------------------------ */

static struct MHD_Daemon *httpd;
static uint16_t port;
static char *big;         /* owned: 3 MiB body with a marker at its end */
static char *big_metrics; /* owned: 9 MiB of metrics, ours first */
#define BIG_LEN (3u << 20)
#define BIG_METRICS_LEN (9u << 20)

static const char metrics_text[] =
    "# HELP errors_total Errors served.\n"
    "# TYPE errors_total counter\n"
    "errors_total{job=\"api\"} 3\n"
    "errors_total{job=\"db\"} 12 1395066363000\n"
    "http_requests_total{code=\"500\",instance=\"a\"} 7\n"
    "http_requests_total{code=\"500\",instance=\"b\"} 150\n"
    "http_requests_total{code=\"200\",instance=\"a\"} 1e6\n"
    "weird_total{path=\"C:\\\\DIR\\\\FILE.TXT\",msg=\"say \\\"hi\\\"\"} 1\n"
    "nan_gauge NaN\n"
    "inf_gauge +Inf\n"
    "this line is garbage\n"
    "temperature_celsius -3.5\n";

static enum MHD_Result
respond(struct MHD_Connection *c, unsigned status, const char *body, size_t len,
        const char *location)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	if (location)
		MHD_add_response_header(r, "Location", location);
	enum MHD_Result rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
        const char *version, const char *upload, size_t *upload_len, void **con)
{
	(void)cls;
	(void)version;
	(void)upload;
	static int first;
	if (*con == NULL) { /* the headers: answer once the request is whole */
		*con = &first;
		return MHD_YES;
	}
	if (*upload_len != 0) {
		*upload_len = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/health") == 0)
		return respond(c, 200, "ok\n", 3, NULL);
	if (strcmp(url, "/down") == 0)
		return respond(c, 503, "service unavailable\n\x01 bye\n", 25, NULL);
	if (strcmp(url, "/body") == 0)
		return respond(c, 200, "hello from the rota test server\n", 32, NULL);
	if (strcmp(url, "/method") == 0) {
		static char seen[32];
		snprintf(seen, sizeof(seen), "method=%s\n", method);
		return respond(c, 200, seen, strlen(seen), NULL);
	}
	if (strcmp(url, "/redirect") == 0)
		return respond(c, 302, "", 0, "/health");
	if (strcmp(url, "/slow") == 0) {
		usleep(1500 * 1000);
		return respond(c, 200, "late\n", 5, NULL);
	}
	if (strcmp(url, "/big") == 0)
		return respond(c, 200, big, BIG_LEN, NULL);
	if (strcmp(url, "/metrics") == 0)
		return respond(c, 200, metrics_text, sizeof(metrics_text) - 1, NULL);
	if (strcmp(url, "/metrics-big") == 0)
		return respond(c, 200, big_metrics, BIG_METRICS_LEN, NULL);
	if (strcmp(url, "/prom/api/v1/query") == 0) {
		/* A Prometheus API of canned answers, one per query */
		static const struct {
			const char *query;
			unsigned status;
			const char *body;
		} answers[] = {
		    {"errors_total", 200,
		     "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
		     "{\"metric\":{\"__name__\":\"errors_total\",\"job\":\"api\"},"
		     "\"value\":[1700000000.1,\"3\"]},"
		     "{\"metric\":{\"__name__\":\"errors_total\",\"job\":\"db\"},"
		     "\"value\":[1700000000.1,\"12\"]}]}}"},
		    {"scalar(1)", 200,
		     "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\","
		     "\"result\":[1700000000.1,\"1\"]}}"},
		    {"nothing", 200,
		     "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}"},
		    {"rate(x[", 400,
		     "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"1:8: parse "
		     "error: unclosed left bracket\"}"},
		    {"slow_query", 503,
		     "{\"status\":\"error\",\"errorType\":\"timeout\",\"error\":\"query timed "
		     "out\"}"},
		    {"x[5m]", 200,
		     "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[]}}"},
		    {"junk", 200, "<html>not an API</html>"},
		};
		const char *q = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "query");
		for (size_t i = 0; q != NULL && i < sizeof(answers) / sizeof(answers[0]); i++)
			if (strcmp(q, answers[i].query) == 0)
				return respond(c, answers[i].status, answers[i].body,
				               strlen(answers[i].body), NULL);
	}
	return respond(c, 404, "not found\n", 10, NULL);
}

static int
server_start(void **state)
{
	(void)state;
	big = malloc(BIG_LEN);
	big_metrics = malloc(BIG_METRICS_LEN);
	if (big == NULL || big_metrics == NULL)
		return -1;
	memset(big, 'a', BIG_LEN);
	memcpy(big, "START", 5);
	memcpy(big + BIG_LEN - 6, "MARKER", 6);
	/* Ours first, then filler samples past the read limit, the last one
	 * cut in the middle of its number. */
	size_t n = (size_t)snprintf(big_metrics, BIG_METRICS_LEN, "early_total 5\n");
	while (n + 32 < BIG_METRICS_LEN)
		n += (size_t)snprintf(big_metrics + n, BIG_METRICS_LEN - n,
		                      "filler_total{i=\"%07zu\"} 1\n", n);
	memset(big_metrics + n, '9', BIG_METRICS_LEN - n);

	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	httpd =
	    MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0,
	                     NULL, NULL, handler, NULL, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_END);
	if (httpd == NULL)
		return -1;
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(httpd, MHD_DAEMON_INFO_BIND_PORT);
	if (info == NULL || info->port == 0)
		return -1;
	port = info->port;
	return 0;
}

static int
server_stop(void **state)
{
	(void)state;
	if (httpd)
		MHD_stop_daemon(httpd);
	free(big);
	free(big_metrics);
	return 0;
}

static const char *
url_of(const char *path)
{
	static char url[8][128];
	static int next;
	char *u = url[next++ % 8];
	snprintf(u, 128, "http://127.0.0.1:%u%s", (unsigned)port, path);
	return u;
}

/* ---- http_check ---------------------------------------------------------------- */

static void
test_http_status(void **state)
{
	(void)state;
	Rota__HttpCheckSpec spec = ROTA__HTTP_CHECK_SPEC__INIT;
	char want[160];
	spec.url = (char *)url_of("/health");
	assert_int_equal(verdict(check_http(&spec, 5000, rfd)), CHECK_PASS);
	snprintf(want, sizeof(want), "GET %s -> 200 in ", spec.url);
	assert_true(strncmp(report, want, strlen(want)) == 0);
	assert_report_has(" ms\n");

	spec.url = (char *)url_of("/down");
	assert_int_equal(verdict(check_http(&spec, 5000, rfd)), CHECK_FAIL);
	snprintf(want, sizeof(want), "GET %s -> 503 (expected 200) in ", spec.url);
	assert_true(strncmp(first_line(), want, strlen(want)) == 0);
	/* The start of the error page, control bytes made harmless. */
	assert_report_has("  | service unavailable\n  | . bye\n");

	spec.expect_status = 503;
	assert_int_equal(verdict(check_http(&spec, 5000, rfd)), CHECK_PASS);

	spec.expect_status = 200;
	spec.url = (char *)url_of("/nowhere");
	assert_int_equal(verdict(check_http(&spec, 5000, rfd)), CHECK_FAIL);
	assert_report_has("-> 404 (expected 200)");
}

static void
test_http_body(void **state)
{
	(void)state;
	Rota__HttpCheckSpec spec = ROTA__HTTP_CHECK_SPEC__INIT;
	spec.url = (char *)url_of("/body");
	spec.body_contains = "rota test";
	assert_int_equal(verdict(check_http(&spec, 5000, rfd)), CHECK_PASS);
	assert_report_has("; body contains \"rota test\"");
	spec.body_contains = "goodbye";
	assert_int_equal(verdict(check_http(&spec, 5000, rfd)), CHECK_FAIL);
	assert_report_has("body does not contain \"goodbye\" (32 bytes read)");
	assert_report_has("  | hello from the rota test server\n");

	/* Only the first CHECK_HTTP_BODY_MAX bytes are read. */
	spec.url = (char *)url_of("/big");
	spec.body_contains = "START";
	assert_int_equal(verdict(check_http(&spec, 5000, rfd)), CHECK_PASS);
	spec.body_contains = "MARKER";
	assert_int_equal(verdict(check_http(&spec, 5000, rfd)), CHECK_FAIL);
	assert_report_has("(1048576 bytes read, the rest not read)");
	/* A body check on a status that is wrong reports the status. */
	spec.url = (char *)url_of("/down");
	assert_int_equal(verdict(check_http(&spec, 5000, rfd)), CHECK_FAIL);
	assert_report_has("-> 503 (expected 200)");
}

static void
test_http_methods(void **state)
{
	(void)state;
	Rota__HttpCheckSpec spec = ROTA__HTTP_CHECK_SPEC__INIT;
	spec.url = (char *)url_of("/method");
	const char *methods[] = {"GET", "post", "PUT", "DELETE"};
	for (size_t i = 0; i < 4; i++) {
		char want[32];
		spec.method = (char *)methods[i];
		snprintf(want, sizeof(want), "method=%s", i == 1 ? "POST" : methods[i]);
		spec.body_contains = want;
		assert_int_equal(verdict(check_http(&spec, 5000, rfd)), CHECK_PASS);
		assert_true(strncmp(report, i == 1 ? "POST" : methods[i], 3) == 0);
	}
	spec.method = "HEAD";
	spec.body_contains = "";
	assert_int_equal(verdict(check_http(&spec, 5000, rfd)), CHECK_PASS);
	assert_report_has("HEAD ");
	spec.body_contains = "x";
	assert_int_equal(verdict(check_http(&spec, 5000, rfd)), CHECK_ERROR);
	assert_report_has("cannot be checked with HEAD");
	spec.body_contains = "";
	spec.method = "PATCH";
	assert_int_equal(verdict(check_http(&spec, 5000, rfd)), CHECK_ERROR);
	assert_report_has("method PATCH is not one of");
}

static void
test_http_not_followed_and_refused(void **state)
{
	(void)state;
	Rota__HttpCheckSpec spec = ROTA__HTTP_CHECK_SPEC__INIT;
	spec.url = (char *)url_of("/redirect");
	assert_int_equal(verdict(check_http(&spec, 5000, rfd)), CHECK_FAIL);
	assert_report_has("-> 302 (expected 200)");

	/* A port that was just free: nobody listens there. */
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t sl = sizeof(sa);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&sa, &sl), 0);
	close(s);
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/health", (unsigned)ntohs(sa.sin_port));
	spec.url = url;
	assert_int_equal(verdict(check_http(&spec, 5000, rfd)), CHECK_FAIL);
	char want[96];
	snprintf(want, sizeof(want), "GET %s -> ", url);
	assert_true(strncmp(report, want, strlen(want)) == 0);
	assert_report_has("127.0.0.1");
	assert_report_has("(Connection refused)");
}

static void
test_http_timeout(void **state)
{
	(void)state;
	Rota__HttpCheckSpec spec = ROTA__HTTP_CHECK_SPEC__INIT;
	spec.url = (char *)url_of("/slow");
	int64_t t0 = clock_mono_ms();
	assert_int_equal(verdict(check_http(&spec, 300, rfd)), CHECK_FAIL);
	int64_t took = clock_mono_ms() - t0;
	assert_true(took >= 250 && took < 1400);
	assert_report_has("imed out"); /* "Operation timed out after 30x milliseconds" */
}

static void
test_http_errors(void **state)
{
	(void)state;
	Rota__HttpCheckSpec spec = ROTA__HTTP_CHECK_SPEC__INIT;
	assert_int_equal(verdict(check_http(&spec, 5000, rfd)), CHECK_ERROR);
	assert_report_has("no url");
	spec.url = "ftp://127.0.0.1/file";
	assert_int_equal(verdict(check_http(&spec, 5000, rfd)), CHECK_ERROR);
	assert_report_has("GET ftp://127.0.0.1/file -> ");
	spec.url = "file:///etc/passwd";
	assert_int_equal(verdict(check_http(&spec, 5000, rfd)), CHECK_ERROR);
	assert_null(strstr(report, "root:"));
	spec.url = (char *)url_of("/health");
	spec.expect_status = 42;
	assert_int_equal(verdict(check_http(&spec, 5000, rfd)), CHECK_ERROR);
	assert_report_has("expect_status 42");
	/* A url with a newline stays on one line in the summary. */
	spec.expect_status = 0;
	spec.url = "http://127.0.0.1:1/a\nb";
	(void)verdict(check_http(&spec, 5000, rfd));
	assert_report_has("http://127.0.0.1:1/a?b");
}

/* ---- metric_check --------------------------------------------------------------- */

static check_verdict_t
metric(const char *path, const char *name, const char *op, double value)
{
	Rota__MetricCheckSpec spec = ROTA__METRIC_CHECK_SPEC__INIT;
	spec.url = (char *)url_of(path);
	spec.metric = (char *)name;
	spec.op = (char *)op;
	spec.value = value;
	return verdict(check_metric(&spec, 5000, rfd));
}

static void
test_metric_single(void **state)
{
	(void)state;
	char want[160];
	assert_int_equal(metric("/metrics", "errors_total{job=\"api\"}", "<", 10), CHECK_PASS);
	snprintf(want, sizeof(want), "errors_total{job=\"api\"} is 3, < 10 (%s)\n",
	         url_of("/metrics"));
	want[strcspn(want, "\n")] = '\0';
	assert_string_equal(first_line(), want);
	assert_report_has("  ok      errors_total{job=\"api\"} 3\n");
	assert_report_has("9 samples in 12 lines read in ");
	assert_report_has("; 1 lines not understood");

	assert_int_equal(metric("/metrics", "errors_total{job=\"db\"}", "<", 10), CHECK_FAIL);
	assert_report_has("errors_total{job=\"db\"} is 12, not < 10 (");
	assert_report_has("  NOT OK  errors_total{job=\"db\"} 12 1395066363000\n");

	assert_int_equal(metric("/metrics", "temperature_celsius", ">=", -3.5), CHECK_PASS);
	assert_int_equal(metric("/metrics", "temperature_celsius", "==", -3.5), CHECK_PASS);
	assert_int_equal(metric("/metrics", "temperature_celsius", "!=", -3.5), CHECK_FAIL);
	assert_int_equal(metric("/metrics", "inf_gauge", ">", 1e300), CHECK_PASS);
	assert_report_has("inf_gauge is +Inf, > 1e+300");
	assert_int_equal(metric("/metrics", "nan_gauge", "<", 1), CHECK_FAIL);
	assert_report_has("nan_gauge is NaN, not < 1");
	assert_int_equal(metric("/metrics", "nan_gauge", "!=", 0), CHECK_PASS);
	/* Escaped label values, matched as what they mean. */
	assert_int_equal(metric("/metrics", "weird_total{msg=\"say \\\"hi\\\"\"}", "==", 1),
	                 CHECK_PASS);
}

static void
test_metric_several(void **state)
{
	(void)state;
	/* Every sample that matches must satisfy the condition. */
	assert_int_equal(metric("/metrics", "http_requests_total{code=\"500\"}", "<", 1000),
	                 CHECK_PASS);
	assert_report_has("http_requests_total{code=\"500\"}: all 2 matching samples are < 1000");
	assert_int_equal(metric("/metrics", "http_requests_total{code=\"500\"}", "<", 100),
	                 CHECK_FAIL);
	assert_report_has("http_requests_total{code=\"500\"}: 1 of 2 matching samples are not < "
	                  "100; all must be");
	assert_report_has("  ok      http_requests_total{code=\"500\",instance=\"a\"} 7\n");
	assert_report_has("  NOT OK  http_requests_total{code=\"500\",instance=\"b\"} 150\n");
	assert_int_equal(metric("/metrics", "http_requests_total", ">", 0), CHECK_PASS);
	assert_report_has("all 3 matching samples");

	/* Labels given apart from the name, as the proto carries them. */
	Rota__MetricCheckSpec spec = ROTA__METRIC_CHECK_SPEC__INIT;
	Rota__Label code = ROTA__LABEL__INIT, inst = ROTA__LABEL__INIT;
	code.key = "code";
	code.value = "500";
	inst.key = "instance";
	inst.value = "b";
	Rota__Label *labels[] = {&code, &inst};
	spec.url = (char *)url_of("/metrics");
	spec.metric = "http_requests_total";
	spec.labels = labels;
	spec.n_labels = 2;
	spec.op = ">";
	spec.value = 100;
	assert_int_equal(verdict(check_metric(&spec, 5000, rfd)), CHECK_PASS);
	assert_report_has("http_requests_total{code=\"500\",instance=\"b\"} is 150, > 100");
	inst.key = "bad-name";
	assert_int_equal(verdict(check_metric(&spec, 5000, rfd)), CHECK_ERROR);
	assert_report_has("label bad-name is not a label name");
}

static void
test_metric_not_found(void **state)
{
	(void)state;
	char want[160];
	assert_int_equal(metric("/metrics", "errors_total{job=\"web\"}", "<", 10), CHECK_FAIL);
	snprintf(want, sizeof(want),
	         "metric errors_total{job=\"web\"} not found at %s (9 samples read)",
	         url_of("/metrics"));
	assert_string_equal(first_line(), want);
	assert_int_equal(metric("/metrics", "errors", "<", 10), CHECK_FAIL);
	/* Not a metrics endpoint. */
	assert_int_equal(metric("/down", "errors_total", "<", 10), CHECK_FAIL);
	assert_report_has("cannot read metrics: GET ");
	assert_report_has(" -> 503 in ");
	assert_int_equal(metric("/body", "errors_total", "<", 10), CHECK_FAIL);
	assert_report_has("not found at");
	assert_report_has("0 samples in 1 lines read in ");
	assert_report_has("; 1 lines not understood");
}

static void
test_metric_truncated(void **state)
{
	(void)state;
	assert_int_equal(metric("/metrics-big", "early_total", "==", 5), CHECK_PASS);
	assert_report_has("the answer was longer than 8388608 bytes");
	/* The cut line is not read as a sample, so it is not a bad line. */
	assert_null(strstr(report, "not understood"));
	assert_int_equal(metric("/metrics-big", "filler_total", "==", 1), CHECK_PASS);
	assert_report_has("more matching samples not listed");
}

static void
test_metric_errors(void **state)
{
	(void)state;
	assert_int_equal(metric("/metrics", "errors_total", "=", 1), CHECK_ERROR);
	assert_report_has("op = is not one of < <= > >= == !=");
	assert_int_equal(metric("/metrics", "errors_total", "", 1), CHECK_ERROR);
	assert_int_equal(metric("/metrics", "errors total", "<", 1), CHECK_ERROR);
	assert_report_has("metric errors total is not a name");
	assert_int_equal(metric("/metrics", "", "<", 1), CHECK_ERROR);
	assert_int_equal(metric("/metrics", "x", "<", NAN), CHECK_ERROR);
	Rota__MetricCheckSpec spec = ROTA__METRIC_CHECK_SPEC__INIT;
	spec.metric = "x";
	spec.op = "<";
	assert_int_equal(verdict(check_metric(&spec, 5000, rfd)), CHECK_ERROR);
	assert_report_has("no url");
}

/* ---- check_run ---------------------------------------------------------------- */

static check_verdict_t
promql(const char *query, const char *op, double value, const char *match)
{
	Rota__PromqlCheckSpec spec = ROTA__PROMQL_CHECK_SPEC__INIT;
	spec.url = (char *)url_of("/prom/");
	spec.query = (char *)query;
	spec.op = (char *)op;
	spec.value = value;
	spec.match = (char *)match;
	return verdict(check_promql(&spec, 5000, rfd));
}

/* promql_check against canned answers of /api/v1/query: series compared
 * (all, any), a scalar, and each distinct way of not getting a number. */
static void
test_promql(void **state)
{
	(void)state;
	assert_int_equal(promql("errors_total", "<", 20, ""), CHECK_PASS);
	assert_report_has("all 2 series of errors_total are < 20 (");
	assert_int_equal(promql("errors_total", "<", 10, "all"), CHECK_FAIL);
	char want[200];
	snprintf(want, sizeof(want),
	         "1 of 2 series of errors_total is not < 10: errors_total{job=\"db\"} = 12; all "
	         "must be (%s)",
	         url_of("/prom/"));
	assert_string_equal(first_line(), want);
	assert_report_has("errors_total{job=\"db\"} = 12; all must be");
	assert_report_has(
	    "  NOT OK  errors_total{job=\"db\"} 12\n  ok      errors_total{job=\"api\"} 3\n");
	assert_int_equal(promql("errors_total", ">", 10, "any"), CHECK_PASS);
	assert_report_has("1 of 2 series of errors_total are > 10; any one must be");
	assert_int_equal(promql("errors_total", ">", 100, "any"), CHECK_FAIL);
	assert_report_has("none of the 2 series of errors_total is > 100; one must be: "
	                  "errors_total{job=\"api\"} = 3");
	assert_int_equal(promql("scalar(1)", "==", 1, NULL), CHECK_PASS);
	assert_report_has("scalar(1) is 1, == 1 (");
	assert_int_equal(promql("nothing", "<", 1, NULL), CHECK_FAIL);
	assert_report_has("nothing returned no series at ");
	assert_int_equal(promql("rate(x[", "<", 1, NULL), CHECK_ERROR);
	assert_report_has("Prometheus refused the query rate(x[: 1:8: parse error: unclosed left "
	                  "bracket (");
	assert_int_equal(promql("slow_query", "<", 1, NULL), CHECK_FAIL);
	assert_report_has(
	    "Prometheus could not run the query slow_query: timeout: query timed out");
	assert_int_equal(promql("x[5m]", "<", 1, NULL), CHECK_ERROR);
	assert_report_has("x[5m] gives a matrix, not an instant vector or a scalar");
	assert_int_equal(promql("junk", "<", 1, NULL), CHECK_FAIL);
	assert_report_has("did not answer as Prometheus's /api/v1/query does: HTTP 200, not a JSON "
	                  "object");
	assert_report_has("  | <html>not an API</html>");
	assert_int_equal(promql("errors_total", "=<", 1, NULL), CHECK_ERROR);
	assert_int_equal(promql("errors_total", "<", 1, "most"), CHECK_ERROR);
	assert_report_has("promql_check: match most is not all or any");

	Rota__PromqlCheckSpec spec = ROTA__PROMQL_CHECK_SPEC__INIT;
	spec.url = "http://127.0.0.1:1";
	spec.query = "up";
	spec.op = "<";
	assert_int_equal(verdict(check_promql(&spec, 2000, rfd)), CHECK_FAIL);
	assert_report_has("cannot reach Prometheus at http://127.0.0.1:1: ");
}

/* hold: passes after re-checking for the hold; a failure ends it at once
 * with how long it held. */
static void
test_hold(void **state)
{
	(void)state;
	Rota__StepSpec step = ROTA__STEP_SPEC__INIT;
	Rota__HttpCheckSpec http = ROTA__HTTP_CHECK_SPEC__INIT;
	http.url = (char *)url_of("/health");
	step.kind_case = ROTA__STEP_SPEC__KIND_HTTP_CHECK;
	step.http_check = &http;
	step.hold_ms = 300;
	step.hold_interval_ms = 100;
	step.timeout_ms = 5300;
	assert_int_equal(verdict(check_run(&step, rfd)), CHECK_PASS);
	assert_report_has("held 0.3s: ");
	assert_report_has(" checks passed, every 0.1s (last: GET ");
	http.url = (char *)url_of("/down");
	step.hold_ms = 60000;
	step.timeout_ms = 65000;
	assert_int_equal(verdict(check_run(&step, rfd)), CHECK_FAIL);
	assert_report_has(" of 1m00s, then check 1 failed: GET ");
	assert_report_has("| service unavailable");
}

static void
test_run_dispatches(void **state)
{
	(void)state;
	Rota__StepSpec step = ROTA__STEP_SPEC__INIT;
	Rota__DiskCheckSpec disk = ROTA__DISK_CHECK_SPEC__INIT;
	disk.path = tmpdir;
	step.kind_case = ROTA__STEP_SPEC__KIND_DISK_CHECK;
	step.disk_check = &disk;
	assert_true(check_handles(&step));
	assert_int_equal(verdict(check_run(&step, rfd)), CHECK_PASS);
	assert_int_equal(check_timeout_ms(&step), CHECK_DEFAULT_TIMEOUT_MS);
	step.timeout_ms = 1234;
	assert_int_equal(check_timeout_ms(&step), 1234);

	Rota__HttpCheckSpec http = ROTA__HTTP_CHECK_SPEC__INIT;
	http.url = (char *)url_of("/down");
	step.kind_case = ROTA__STEP_SPEC__KIND_HTTP_CHECK;
	step.http_check = &http;
	assert_int_equal(verdict(check_run(&step, rfd)), CHECK_FAIL);

	Rota__ManualSpec manual = ROTA__MANUAL_SPEC__INIT;
	step.kind_case = ROTA__STEP_SPEC__KIND_MANUAL;
	step.manual = &manual;
	assert_false(check_handles(&step));
	assert_int_equal(verdict(check_run(&step, rfd)), CHECK_ERROR);
	assert_report_has("not a built-in check");
	step.kind_case = ROTA__STEP_SPEC__KIND_NOOP;
	assert_false(check_handles(&step));
	/* A kind with its message missing is refused, not dereferenced. */
	step.kind_case = ROTA__STEP_SPEC__KIND_METRIC_CHECK;
	step.metric_check = NULL;
	assert_int_equal(verdict(check_run(&step, rfd)), CHECK_ERROR);
	assert_int_equal(verdict(check_run(NULL, rfd)), CHECK_ERROR);
	assert_false(check_handles(NULL));
}

/* The number after "recorded value: " in the report, or NAN. */
static double
recorded(void)
{
	const char *at = strstr(report, CHECK_VALUE_PREFIX);
	return at != NULL ? strtod(at + strlen(CHECK_VALUE_PREFIX), NULL) : NAN;
}

/* record: disk_check yields the used percentage, file_check how many
 * files match (tls_check's days left: integration.checks, which has a TLS
 * server). */
static void
test_record_values(void **state)
{
	(void)state;
	Rota__RecordSpec rec = ROTA__RECORD_SPEC__INIT;
	rec.name = "n";
	Rota__StepSpec step = ROTA__STEP_SPEC__INIT;
	step.record = &rec;
	Rota__DiskCheckSpec disk = ROTA__DISK_CHECK_SPEC__INIT;
	disk.path = tmpdir;
	step.kind_case = ROTA__STEP_SPEC__KIND_DISK_CHECK;
	step.disk_check = &disk;
	assert_int_equal(verdict(check_run(&step, rfd)), CHECK_PASS);
	struct statvfs sv;
	assert_int_equal(statvfs(tmpdir, &sv), 0);
	double used = 100.0 - 100.0 * (double)sv.f_bavail / (double)sv.f_blocks;
	assert_true(fabs(recorded() - used) < 0.5);

	char dir[128], glob_path[160];
	snprintf(dir, sizeof(dir), "%s/counted", tmpdir);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(glob_path, sizeof(glob_path), "%s/*.gz", dir);
	Rota__FileCheckSpec file = ROTA__FILE_CHECK_SPEC__INIT;
	file.path = glob_path;
	step.kind_case = ROTA__STEP_SPEC__KIND_FILE_CHECK;
	step.file_check = &file;
	backup_file(dir, "a.gz", 1, 0);
	backup_file(dir, "b.gz", 1, 0);
	backup_file(dir, "c.gz", 1, 0);
	assert_int_equal(verdict(check_run(&step, rfd)), CHECK_PASS);
	assert_true(recorded() == 3);
	/* A failing check records nothing: it is already news. */
	file.min_count = 4;
	assert_int_equal(verdict(check_run(&step, rfd)), CHECK_FAIL);
	assert_true(isnan(recorded()));
	char cmd[200];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int
main(void)
{
	/* The server is on loopback; a proxy from the environment would
	 * send the checks elsewhere. */
	const char *proxies[] = {"http_proxy",  "HTTP_PROXY", "https_proxy",
	                         "HTTPS_PROXY", "all_proxy",  "ALL_PROXY"};
	for (size_t i = 0; i < sizeof(proxies) / sizeof(proxies[0]); i++)
		unsetenv(proxies[i]);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/rota-check-XXXXXX");
	rfd = memfd_create("report", MFD_CLOEXEC);
	if (rfd < 0 || mkdtemp(tmpdir) == NULL || check_global_init() != 0)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_samples),
	    cmocka_unit_test(test_parse_escapes),
	    cmocka_unit_test(test_parse_comments_and_blanks),
	    cmocka_unit_test(test_parse_nan_inf),
	    cmocka_unit_test(test_parse_garbage),
	    cmocka_unit_test(test_parse_label_bound),
	    cmocka_unit_test(test_scan_huge_and_random),
	    cmocka_unit_test(test_series_selectors),
	    cmocka_unit_test(test_series_match_and_format),
	    cmocka_unit_test(test_ops),
	    cmocka_unit_test(test_scan_counts),
	    cmocka_unit_test(test_disk),
	    cmocka_unit_test(test_disk_errors),
	    cmocka_unit_test(test_file),
	    cmocka_unit_test(test_tls_time_parse),
	    cmocka_unit_test(test_http_status),
	    cmocka_unit_test(test_http_body),
	    cmocka_unit_test(test_http_methods),
	    cmocka_unit_test(test_http_not_followed_and_refused),
	    cmocka_unit_test(test_http_timeout),
	    cmocka_unit_test(test_http_errors),
	    cmocka_unit_test(test_metric_single),
	    cmocka_unit_test(test_metric_several),
	    cmocka_unit_test(test_metric_not_found),
	    cmocka_unit_test(test_metric_truncated),
	    cmocka_unit_test(test_metric_errors),
	    cmocka_unit_test(test_run_dispatches),
	    cmocka_unit_test(test_record_values),
	    cmocka_unit_test(test_promql),
	    cmocka_unit_test(test_hold),
	};
	int failed = cmocka_run_group_tests(tests, server_start, server_stop);
	check_global_cleanup();
	close(rfd);
	rmdir(tmpdir);
	return failed;
}
