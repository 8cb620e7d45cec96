/* web: which paths are the console's, and what each is answered with. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http/web.h"

static void
test_pages_get_the_shell(void **state)
{
	(void)state;
	static const char *pages[] = {
	    "/",        "/incidents",   "/incidents/INC-7", "/runs",          "/runs/7f3a9c",
	    "/workers", "/schedules",   "/runbooks",        "/runbooks/disk", "/audit",
	    "/oncall",  "/maintenance",
	};
	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		const web_asset_t *a = web_find(pages[i]);
		assert_non_null(a);
		assert_string_equal(a->name, "index.html");
		assert_string_equal(a->type, "text/html; charset=utf-8");
		assert_true(a->len > 0);
		assert_int_equal(strlen((const char *)a->data), a->len); /* NUL after the bytes */
	}
}

static void
test_static_files(void **state)
{
	(void)state;
	const web_asset_t *a = web_find("/static/app.js");
	assert_non_null(a);
	assert_string_equal(a->type, "text/javascript; charset=utf-8");
	a = web_find("/static/console.css");
	assert_non_null(a);
	assert_string_equal(a->type, "text/css; charset=utf-8");
	/* The shell only at the pages' paths; nothing outside the table. */
	assert_null(web_find("/static/index.html"));
	assert_null(web_find("/static/"));
	assert_null(web_find("/static/../CMakeLists.txt"));
	assert_null(web_find("/static/nope.js"));
}

static void
test_not_the_consoles(void **state)
{
	(void)state;
	static const char *others[] = {
	    "",       "/runs/",        "/runs/a/b",    "/incidents/",  "/v1/runs",
	    "/index", "/metrics",      "/healthz",     "/auditx",      "/runbooks/a/",
	    "//",     "/INC-7/../etc", "/workers/w-1", "/schedules/x",
	};
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		assert_null(web_find(others[i]));
}

/* The shell loads scripts from this origin only: no inline script for the
 * policy to refuse. */
static void
test_shell_has_no_inline_script(void **state)
{
	(void)state;
	const web_asset_t *a = web_find("/");
	assert_non_null(a);
	const char *html = (const char *)a->data;
	for (const char *p = strstr(html, "<script"); p != NULL; p = strstr(p + 1, "<script"))
		assert_true(strncmp(p, "<script src=\"/static/", 20) == 0);
	assert_null(strstr(html, " on"));    /* no onclick= and the like */
	assert_null(strstr(html, "style=")); /* no inline style */
	assert_null(strstr(html, "http"));   /* no other origin */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pages_get_the_shell),
	    cmocka_unit_test(test_static_files),
	    cmocka_unit_test(test_not_the_consoles),
	    cmocka_unit_test(test_shell_has_no_inline_script),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
