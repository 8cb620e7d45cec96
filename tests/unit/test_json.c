/* test_json: what `rota ... --json` writes is valid JSON whatever bytes a
 * peer put in a string, and its punctuation is right for nested
 * documents. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"

/* Asserts that len bytes of in quote to want (quotes included). */
static void
quote_is(const char *in, size_t len, const char *want)
{
	char *got = json_quote(in, len);
	assert_string_equal(got, want);
	free(got);
}

static void
test_plain(void **state)
{
	(void)state;
	quote_is("", 0, "\"\"");
	quote_is("web-1", 5, "\"web-1\"");
	quote_is("a b/c:d", 7, "\"a b/c:d\"");
}

static void
test_quotes_and_backslashes(void **state)
{
	(void)state;
	quote_is("say \"hi\"", 8, "\"say \\\"hi\\\"\"");
	quote_is("C:\\tmp\\", 7, "\"C:\\\\tmp\\\\\"");
	quote_is("\\\"", 2, "\"\\\\\\\"\"");
}

static void
test_control_chars(void **state)
{
	(void)state;
	quote_is("a\nb", 3, "\"a\\nb\"");
	quote_is("\t\r\b\f", 4, "\"\\t\\r\\b\\f\"");
	quote_is("\x01\x1f", 2, "\"\\u0001\\u001f\"");
	quote_is("\x1b[31mred", 8, "\"\\u001b[31mred\"");
	quote_is("del\x7f", 4, "\"del\\u007f\"");
	/* A NUL inside the given length is data, not the end. */
	quote_is("a\0b", 3, "\"a\\u0000b\"");
}

static void
test_utf8_passthrough(void **state)
{
	(void)state;
	quote_is("caf\xc3\xa9", 5, "\"caf\xc3\xa9\"");                 /* é, 2 bytes */
	quote_is("\xe2\x82\xac", 3, "\"\xe2\x82\xac\"");               /* €, 3 bytes */
	quote_is("\xf0\x9f\x9a\x80 go", 7, "\"\xf0\x9f\x9a\x80 go\""); /* rocket, 4 */
	quote_is("\xef\xbf\xbf", 3, "\"\xef\xbf\xbf\"");               /* U+FFFF */
	quote_is("\xf4\x8f\xbf\xbf", 4, "\"\xf4\x8f\xbf\xbf\"");       /* U+10FFFF */
}

static void
test_invalid_utf8_replaced(void **state)
{
	(void)state;
	quote_is("\xff", 1, "\"\\ufffd\"");
	quote_is("a\x80z", 3, "\"a\\ufffdz\"");
	/* Overlong forms, surrogates and code points past U+10FFFF. */
	quote_is("\xc0\xaf", 2, "\"\\ufffd\\ufffd\"");
	quote_is("\xe0\x80\xaf", 3, "\"\\ufffd\\ufffd\\ufffd\"");
	quote_is("\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"");
	quote_is("\xf4\x90\x80\x80", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	/* A sequence cut short by the end of the data (a chunk boundary). */
	quote_is("ok\xe2\x82", 4, "\"ok\\ufffd\\ufffd\"");
	/* A lead byte followed by ASCII: only the lead byte is replaced. */
	quote_is("\xc3(", 2, "\"\\ufffd(\"");
}

static void
test_document(void **state)
{
	(void)state;
	json_t *j = json_new();
	json_object_begin(j);
	json_key(j, "run_id");
	json_string(j, "r-1");
	json_key(j, "hosts");
	json_array_begin(j);
	json_string(j, "web-1");
	json_string(j, "web-2");
	json_array_end(j);
	json_key(j, "empty");
	json_array_begin(j);
	json_array_end(j);
	json_key(j, "labels");
	json_object_begin(j);
	json_key(j, "role\"x");
	json_string(j, "web");
	json_object_end(j);
	json_key(j, "n");
	json_int(j, -42);
	json_key(j, "u");
	json_uint(j, UINT64_MAX);
	json_key(j, "ok");
	json_bool(j, true);
	json_key(j, "none");
	json_string(j, NULL);
	json_key(j, "tail");
	json_string_len(j, "x\ny\n", 4);
	json_object_end(j);
	assert_string_equal(json_text(j),
	                    "{\"run_id\":\"r-1\",\"hosts\":[\"web-1\",\"web-2\"],\"empty\":[],"
	                    "\"labels\":{\"role\\\"x\":\"web\"},\"n\":-42,"
	                    "\"u\":18446744073709551615,\"ok\":true,\"none\":null,"
	                    "\"tail\":\"x\\ny\\n\"}");
	assert_int_equal(json_length(j), strlen(json_text(j)));
	json_destroy(&j);
	assert_null(j);
	json_destroy(&j); /* a second destroy is harmless */
}

static void
test_array_of_objects(void **state)
{
	(void)state;
	json_t *j = json_new();
	json_array_begin(j);
	for (int i = 0; i < 3; i++) {
		json_object_begin(j);
		json_key(j, "i");
		json_int(j, i);
		json_object_end(j);
	}
	json_array_end(j);
	assert_string_equal(json_text(j), "[{\"i\":0},{\"i\":1},{\"i\":2}]");
	json_destroy(&j);
}

/* json_member_*: a key and its value; a time of 0 and an empty or NULL
 * text are null. */
static void
test_members(void **state)
{
	(void)state;
	json_t *j = json_new();
	json_object_begin(j);
	json_member_string(j, "s", "x");
	json_member_string(j, "sn", NULL);
	json_member_int(j, "i", -3);
	json_member_uint(j, "u", 7);
	json_member_bool(j, "b", true);
	json_member_time(j, "t", 1700000000000);
	json_member_time(j, "t0", 0);
	json_member_text(j, "x", "y");
	json_member_text(j, "xe", "");
	json_member_text(j, "xn", NULL);
	json_object_end(j);
	assert_string_equal(json_text(j), "{\"s\":\"x\",\"sn\":null,\"i\":-3,\"u\":7,\"b\":true,"
	                                  "\"t\":1700000000000,\"t0\":null,\"x\":\"y\",\"xe\":null,"
	                                  "\"xn\":null}");
	json_destroy(&j);
}

typedef struct {
	const char *name;
} item_t;

static void
item_members(json_t *j, const item_t *it)
{
	json_member_string(j, "name", it->name);
}

/* A document's top object, an array of a peer's messages (a NULL among
 * them left out, an empty one still an array), a number or null. */
static void
test_helpers(void **state)
{
	(void)state;
	item_t a = {"a"}, b = {"b"};
	item_t *items[] = {&a, NULL, &b};
	size_t none = 0;
	json_t *j = json_new_object();
	JSON_MEMBER_OBJECTS(j, "items", items, 3, item_members);
	JSON_MEMBER_OBJECTS(j, "none", items, none, item_members);
	json_member_int_or_null(j, "n", true, -1);
	json_member_int_or_null(j, "z", false, 5);
	json_object_end(j);
	assert_string_equal(json_text(j), "{\"items\":[{\"name\":\"a\"},{\"name\":\"b\"}],"
	                                  "\"none\":[],\"n\":-1,\"z\":null}");
	json_destroy(&j);
}

static void
test_long_string_grows(void **state)
{
	(void)state;
	size_t n = 100000;
	char *in = malloc(n);
	memset(in, '"', n);
	json_t *j = json_new();
	json_string_len(j, in, n);
	/* Every quote escaped, plus the two around it. */
	assert_int_equal(json_length(j), 2 * n + 2);
	json_destroy(&j);
	free(in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain),
	    cmocka_unit_test(test_quotes_and_backslashes),
	    cmocka_unit_test(test_control_chars),
	    cmocka_unit_test(test_utf8_passthrough),
	    cmocka_unit_test(test_invalid_utf8_replaced),
	    cmocka_unit_test(test_document),
	    cmocka_unit_test(test_array_of_objects),
	    cmocka_unit_test(test_members),
	    cmocka_unit_test(test_helpers),
	    cmocka_unit_test(test_long_string_grows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
