/* test_sanitize: what reaches a terminal or a log, and strict UTF-8. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sanitize.h"

static void
expect(const char *in, size_t len, unsigned flags, const char *want)
{
	char *got = sanitize_text(in, len, flags);
	assert_string_equal(got, want);
	free(got);
}
#define EXPECT(lit, flags, want) expect(lit, sizeof(lit) - 1, flags, want)

static void
test_printable_text_passes(void **state)
{
	(void)state;
	EXPECT("plain text, tabs\tkept", 0, "plain text, tabs\tkept");
	EXPECT("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x99\x82", 0,
	       "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x99\x82");
	EXPECT("", 0, "");
}

static void
test_controls_are_shown(void **state)
{
	(void)state;
	/* A colour, a title (OSC ... BEL), a CR that would overwrite the
	 * prefix, a DEL: all visible, none raw. */
	EXPECT("\x1b[31mred\x1b[0m", 0, "\\x1b[31mred\\x1b[0m");
	EXPECT("\x1b]0;pwned\x07", 0, "\\x1b]0;pwned\\x07");
	EXPECT("fake\rw1 step | ok", 0, "fake\\x0dw1 step | ok");
	EXPECT("a\x7f"
	       "b\x00"
	       "c",
	       0, "a\\x7fb\\x00c");
	/* Newlines: shown unless kept. */
	EXPECT("one\ntwo", 0, "one\\x0atwo");
	EXPECT("one\ntwo", SANITIZE_KEEP_NEWLINE, "one\ntwo");
	/* C1 controls (U+009B is CSI to a UTF-8 terminal) and bidi overrides. */
	EXPECT("\xc2\x9b"
	       "31m",
	       0, "\\u009b31m");
	EXPECT("abc\xe2\x80\xae"
	       "fed",
	       0, "abc\\u202efed");
}

static void
test_invalid_utf8_is_replaced(void **state)
{
	(void)state;
	EXPECT("A\xc0\xaf", 0, "A\xef\xbf\xbd\xef\xbf\xbd");               /* overlong '/' */
	EXPECT("\xed\xa0\x80", 0, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); /* a surrogate */
	EXPECT("x\xff"
	       "y",
	       0, "x\xef\xbf\xbdy");
	EXPECT("cut \xe2\x82", 0, "cut \xef\xbf\xbd\xef\xbf\xbd");
}

static void
test_strict_utf8_check(void **state)
{
	(void)state;
	const char *why = NULL;
	assert_int_equal(sanitize_utf8_check("ok \xc3\xa9", 5, &why), 5);
	assert_int_equal(sanitize_utf8_check("A\xc0\xaf", 3, &why), 1);
	assert_string_equal(why, "an overlong encoding");
	assert_int_equal(sanitize_utf8_check("ab\xe0\x80\xaf", 5, &why), 2);
	assert_string_equal(why, "an overlong encoding");
	assert_int_equal(sanitize_utf8_check("\xed\xa0\x80", 3, &why), 0);
	assert_string_equal(why, "a surrogate (U+D800 to U+DFFF)");
	assert_int_equal(sanitize_utf8_check("xx\xf4\x90\x80\x80", 6, &why), 2);
	assert_string_equal(why, "a code point above U+10FFFF");
	assert_int_equal(sanitize_utf8_check("\xf0\x9f\x99", 3, &why), 0);
	assert_string_equal(why, "a truncated sequence");
	assert_int_equal(sanitize_utf8_check("\x80", 1, &why), 0);
	/* The largest and the smallest of each length are fine. */
	assert_int_equal(sanitize_utf8_check("\xf4\x8f\xbf\xbf\xc2\x80\xe0\xa0\x80", 9, NULL), 9);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_printable_text_passes),
	    cmocka_unit_test(test_controls_are_shown),
	    cmocka_unit_test(test_invalid_utf8_is_replaced),
	    cmocka_unit_test(test_strict_utf8_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
