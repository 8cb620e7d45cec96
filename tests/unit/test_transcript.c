/* test_transcript: step output on the terminal. Chunks split lines
 * anywhere and steps interleave; every printed line must start with its
 * own "HOST STEP | " prefix, and a step's bytes must not reach the
 * terminal as control sequences unless --raw. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rota.pb-c.h"
#include "transcript.h"

#define OUT ROTA__STREAM__STREAM_STDOUT
#define ERR ROTA__STREAM__STREAM_STDERR
#define SYS ROTA__STREAM__STREAM_SYSTEM

typedef struct {
	FILE *f;
	transcript_t *t;
} fixture_t;

static int
setup(void **state)
{
	fixture_t *x = calloc(1, sizeof(*x));
	x->f = tmpfile();
	x->t = transcript_new(x->f);
	*state = x;
	return x->f != NULL && x->t != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	fixture_t *x = *state;
	transcript_destroy(&x->t);
	fclose(x->f);
	free(x);
	return 0;
}

static void
feed(fixture_t *x, const char *host, const char *step, uint32_t attempt, int stream,
     const char *text)
{
	transcript_feed(x->t, host, step, attempt, stream, (const uint8_t *)text, strlen(text));
}

/* Everything printed so far. */
static void
printed_is(fixture_t *x, const char *want)
{
	fflush(x->f);
	long n = ftell(x->f);
	char *got = calloc((size_t)n + 1, 1);
	rewind(x->f);
	assert_int_equal(fread(got, 1, (size_t)n, x->f), (size_t)n);
	assert_string_equal(got, want);
	free(got);
}

static void
test_prefixes(void **state)
{
	fixture_t *x = *state;
	feed(x, "web-1", "disk", 1, OUT, "/dev/sda1 63% free\n");
	feed(x, "web-1", "disk", 1, ERR, "df: /mnt: no such file\n");
	feed(x, "web-1", "disk", 1, SYS, "output truncated\n");
	feed(x, "web-1", "disk", 2, OUT, "again\n");
	printed_is(x, "web-1 disk | /dev/sda1 63% free\n"
	              "web-1 disk ! df: /mnt: no such file\n"
	              "web-1 disk # output truncated\n"
	              "web-1 disk#2 | again\n");
}

/* A line split across chunks, with another host's line in between, is
 * printed once, whole, under its own prefix. */
static void
test_partial_lines(void **state)
{
	fixture_t *x = *state;
	feed(x, "w1", "s", 1, OUT, "hel");
	feed(x, "w2", "s", 1, OUT, "other\nand a par");
	printed_is(x, "w2 s | other\n");
	feed(x, "w1", "s", 1, OUT, "lo\n");
	printed_is(x, "w2 s | other\nw1 s | hello\n");
	/* The end of the output ends the partial lines. */
	transcript_flush(x->t);
	printed_is(x, "w2 s | other\nw1 s | hello\nw2 s | and a par\n");
}

/* An escape sequence from a step is shown, not obeyed; --raw passes it. */
static void
test_sanitized_and_raw(void **state)
{
	fixture_t *x = *state;
	feed(x, "w1", "s", 1, OUT, "\x1b]0;owned\x07title\n");
	fflush(x->f);
	long n = ftell(x->f);
	char *got = calloc((size_t)n + 1, 1);
	rewind(x->f);
	assert_int_equal(fread(got, 1, (size_t)n, x->f), (size_t)n);
	assert_null(strchr(got, '\x1b'));
	assert_null(strchr(got, '\x07'));
	assert_non_null(strstr(got, "w1 s | "));
	assert_non_null(strstr(got, "title\n"));
	free(got);

	fixture_t *y = NULL;
	setup((void **)&y);
	transcript_set_raw(y->t, true);
	feed(y, "w1", "s", 1, OUT, "\x1b[31mred\n");
	printed_is(y, "w1 s | \x1b[31mred\n");
	teardown((void **)&y);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_prefixes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_partial_lines, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sanitized_and_raw, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
