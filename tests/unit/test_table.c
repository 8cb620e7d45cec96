/* test_table: the CLI's tables line up, carry no trailing blanks, and
 * cannot be broken or used to drive the terminal by what a cell holds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "table.h"

static void
render_is(const table_t *t, const char *want)
{
	char *got = table_render(t);
	assert_string_equal(got, want);
	free(got);
}

static void
test_aligned_columns(void **state)
{
	(void)state;
	static const char *const headers[] = {"ID", "STATUS", "HOSTS"};
	table_t *t = table_new(3, headers);
	table_row(t);
	table_cell(t, "r-1");
	table_cell(t, "succeeded");
	table_cellf(t, "%u/%u/%u", 2u, 0u, 2u);
	table_row(t);
	table_cell(t, "r-10000");
	table_cell(t, "failed");
	table_cell(t, "0/1/1");
	render_is(t, "ID       STATUS     HOSTS\n"
	             "r-1      succeeded  2/0/2\n"
	             "r-10000  failed     0/1/1\n");
	table_destroy(&t);
	assert_null(t);
	table_destroy(&t);
}

static void
test_header_only(void **state)
{
	(void)state;
	static const char *const headers[] = {"ID", "LABELS"};
	table_t *t = table_new(2, headers);
	render_is(t, "ID  LABELS\n");
	table_destroy(&t);
}

static void
test_no_trailing_blanks(void **state)
{
	(void)state;
	static const char *const headers[] = {"STEP", "DETAIL", "X"};
	table_t *t = table_new(3, headers);
	table_row(t);
	table_cell(t, "disk");
	table_cell(t, "");
	/* the third cell is never given */
	table_row(t);
	table_cell(t, "nginx");
	table_cell(t, NULL);
	table_cell(t, "y");
	render_is(t, "STEP   DETAIL  X\n"
	             "disk\n"
	             "nginx          y\n");
	table_destroy(&t);
}

static void
test_utf8_width(void **state)
{
	(void)state;
	table_t *t = table_new(2, NULL);
	table_row(t);
	table_cell(t, "caf\xc3\xa9"); /* 4 characters, 5 bytes */
	table_cell(t, "a");
	table_row(t);
	table_cell(t, "abcd");
	table_cell(t, "b");
	render_is(t, "caf\xc3\xa9  a\n"
	             "abcd  b\n");
	table_destroy(&t);
}

static void
test_control_chars_cleaned(void **state)
{
	(void)state;
	table_t *t = table_new(2, NULL);
	table_row(t);
	table_cell(t, "evil\x1b[2J");
	table_cell(t, "two\nlines\t!");
	render_is(t, "evil\\x1b[2J  two\\x0alines\\x09!\n");
	table_destroy(&t);
}

static void
test_indent_and_notes(void **state)
{
	(void)state;
	static const char *const headers[] = {"STEP", "STATUS"};
	table_t *t = table_new(2, headers);
	table_set_indent(t, 2);
	table_row(t);
	table_cell(t, "disk");
	table_cell(t, "succeeded");
	table_note(t, 4, "/dev/sda1 63% free\n", 19);
	table_note(t, 4, "", 0); /* an empty line carries no blanks */
	table_row(t);
	table_cell(t, "a-much-longer-step");
	table_cell(t, "failed");
	render_is(t, "  STEP                STATUS\n"
	             "  disk                succeeded\n"
	             "      /dev/sda1 63% free\n"
	             "\n"
	             "  a-much-longer-step  failed\n");
	table_destroy(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_aligned_columns),       cmocka_unit_test(test_header_only),
	    cmocka_unit_test(test_no_trailing_blanks),    cmocka_unit_test(test_utf8_width),
	    cmocka_unit_test(test_control_chars_cleaned), cmocka_unit_test(test_indent_and_notes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
