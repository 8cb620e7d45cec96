/* test_template: expansion, and the errors that must never become a silent
 * empty string. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "template.h"

static const template_var_t vars[] = {
    {"params.dir", "/var/log", false},
    {"params.days", "7", false},
    {"host.id", "web-1", false},
    {"params.empty", "", false},
};
#define NVARS (sizeof(vars) / sizeof(vars[0]))

static char *
render_ok(const char *text)
{
	char *error = (char *)"not touched";
	char *out = template_render(text, vars, NVARS, &error);

	if (out == NULL)
		fail_msg("render of '%s' failed: %s", text, error);
	assert_null(error);
	return out;
}

static void
assert_render(const char *text, const char *want)
{
	char *out = render_ok(text);
	assert_string_equal(out, want);
	free(out);
}

static void
assert_render_error(const char *text, const char *want_error)
{
	char *error = NULL;
	char *out = template_render(text, vars, NVARS, &error);

	assert_null(out);
	assert_non_null(error);
	assert_string_equal(error, want_error);
	free(error);
}

static void
test_plain_text_is_copied(void **state)
{
	(void)state;
	assert_render("", "");
	assert_render("echo hello", "echo hello");
	assert_render("awk '{ print $1 }' }} {", "awk '{ print $1 }' }} {");
}

static void
test_substitution(void **state)
{
	(void)state;
	assert_render("{{params.dir}}", "/var/log");
	assert_render("{{ params.dir }}", "/var/log");
	assert_render("{{\tparams.dir  }}", "/var/log");
	assert_render("find {{ params.dir }} -mtime +{{ params.days }} # on {{ host.id }}",
	              "find /var/log -mtime +7 # on web-1");
	assert_render("a{{ params.empty }}b", "ab");
	assert_render("{{ params.days }}{{ params.days }}", "77");
	/* The expansion is not expanded again. */
	template_var_t v[] = {{"x", "{{ y }}", false}};
	char *error = NULL;
	char *out = template_render("[{{ x }}]", v, 1, &error);
	assert_string_equal(out, "[{{ y }}]");
	free(out);
}

static void
test_errors(void **state)
{
	(void)state;
	assert_render_error("echo {{ params.nope }}", "unknown name 'params.nope' in template");
	assert_render_error("echo {{ params.dir", "unclosed '{{' at offset 5");
	assert_render_error("{{ params.dir }} {{", "unclosed '{{' at offset 17");
	assert_render_error("x {{}}", "empty name in '{{ }}' at offset 2");
	assert_render_error("x {{   }}", "empty name in '{{ }}' at offset 2");
	/* No vars at all: every name is unknown. */
	char *error = NULL;
	assert_null(template_render("{{ host.id }}", NULL, 0, &error));
	assert_string_equal(error, "unknown name 'host.id' in template");
	free(error);
	error = NULL;
	assert_null(template_render(NULL, vars, NVARS, &error));
	assert_non_null(error);
	free(error);
}

typedef struct {
	char seen[256];
	int stop_at; /* return nonzero on this call (1-based); 0: never */
	int calls;
} names_ctx_t;

static int
collect(void *vctx, const char *name)
{
	names_ctx_t *ctx = vctx;

	ctx->calls++;
	size_t at = strlen(ctx->seen);
	snprintf(ctx->seen + at, sizeof(ctx->seen) - at, "%.*s;", (int)(sizeof(ctx->seen) - at - 2),
	         name);
	return ctx->calls == ctx->stop_at ? 42 : 0;
}

static void
test_names(void **state)
{
	names_ctx_t ctx = {0};
	char *error = NULL;

	(void)state;
	assert_int_equal(
	    template_names("a {{ params.x }} b {{host.id}} {{ nope }}", collect, &ctx, &error), 0);
	assert_null(error);
	assert_string_equal(ctx.seen, "params.x;host.id;nope;");

	/* The callback's nonzero value stops the walk and is returned. */
	memset(&ctx, 0, sizeof(ctx));
	ctx.stop_at = 1;
	assert_int_equal(template_names("{{ a }} {{ b }}", collect, &ctx, &error), 42);
	assert_null(error);
	assert_string_equal(ctx.seen, "a;");

	/* Syntax errors: names before the error were visited. */
	memset(&ctx, 0, sizeof(ctx));
	assert_int_equal(template_names("{{ a }} {{ b", collect, &ctx, &error), -1);
	assert_string_equal(error, "unclosed '{{' at offset 8");
	assert_string_equal(ctx.seen, "a;");
	free(error);

	memset(&ctx, 0, sizeof(ctx));
	assert_int_equal(template_names("no templates", collect, &ctx, &error), 0);
	assert_int_equal(ctx.calls, 0);
}

/* A secret never reaches the text: masked by default, an env reference in
 * a shell command. */
static void
test_secret(void **state)
{
	const template_var_t sv[] = {
	    {"params.token", "s3cr3t", true},
	    {"params.dir", "/srv", false},
	};
	char *error = NULL;
	(void)state;

	char *out = template_render("t={{ params.token }} d={{ params.dir }}", sv, 2, &error);
	assert_non_null(out);
	assert_string_equal(out, "t=**** d=/srv");
	free(out);

	out = template_render_secret("curl -H {{ params.token }} {{params.dir}}", sv, 2,
	                             TEMPLATE_SHELL, &error);
	assert_non_null(out);
	assert_string_equal(out, "curl -H \"${ROTA_SECRET_token}\" '/srv'");
	assert_null(strstr(out, "s3cr3t"));
	free(out);

	out = template_render_secret("{{ params.token }}", sv, 2, TEMPLATE_SECRET_MASK, &error);
	assert_string_equal(out, "****");
	free(out);

	out = template_secret_env_name("params.token");
	assert_string_equal(out, "ROTA_SECRET_token");
	free(out);
}

/* shell renders with the vars of test_shell_words; the error, if any,
 * into *error. */
static char *
shell(const char *text, char **error)
{
	static const template_var_t sv[] = {
	    {"params.x", "$(id -u); touch /tmp/PWNED", false},
	    {"params.q", "it's \"quoted\"", false},
	    {"params.empty", "", false},
	    {"params.nl", "a\nrm -rf /\n", false},
	    {"params.tok", "p@ss word *.yaml", true},
	    {"params.cmd", "echo hi; id", false},
	    {"host.id", "web-1", false},
	};
	*error = NULL;
	return template_render_secret(text, sv, sizeof(sv) / sizeof(sv[0]), TEMPLATE_SHELL, error);
}

static void
assert_shell(const char *text, const char *want)
{
	char *error = NULL;
	char *out = shell(text, &error);
	if (out == NULL)
		fail_msg("shell render of '%s' failed: %s", text, error);
	assert_string_equal(out, want);
	free(out);
}

static void
assert_shell_error(const char *text, const char *want_start)
{
	char *error = NULL;
	char *out = shell(text, &error);
	if (out != NULL)
		fail_msg("shell render of '%s' gave '%s', expected an error", text, out);
	assert_non_null(error);
	if (strncmp(error, want_start, strlen(want_start)) != 0)
		fail_msg("error '%s' does not start with '%s'", error, want_start);
	free(error);
}

/* In a shell command every value is exactly one word quoted by rota: no
 * value changes the command's structure (issue 12, defect 5). */
static void
test_shell_words(void **state)
{
	(void)state;
	assert_shell("echo hello {{ params.x }}", "echo hello '$(id -u); touch /tmp/PWNED'");
	assert_shell("printf %s {{ params.q }}", "printf %s 'it'\\''s \"quoted\"'");
	assert_shell("set -- {{ params.empty }}", "set -- ''");
	assert_shell("echo {{ params.nl }}", "echo 'a\nrm -rf /\n'");
	assert_shell("cd /srv/{{ host.id }}/logs --name={{host.id}}",
	             "cd /srv/'web-1'/logs --name='web-1'");
	assert_shell("x=$(echo {{ host.id }})", "x=$(echo 'web-1')");
	assert_shell("x=\"$(echo {{ host.id }})\"", "x=\"$(echo 'web-1')\"");
	/* A secret: a double-quoted reference to its variable, one word too. */
	assert_shell("set -- {{ params.tok }} --t={{ params.tok }}",
	             "set -- \"${ROTA_SECRET_tok}\" --t=\"${ROTA_SECRET_tok}\"");
	/* raw: pasted as shell, on purpose. */
	assert_shell("{{ params.cmd | raw }}", "echo hi; id");
	assert_shell("echo \"{{ params.cmd|raw }}\"", "echo \"echo hi; id\"");
	/* Where rota's quoting would not hold: refused, with how to write it. */
	assert_shell_error("echo \"hello {{ params.x }}\"",
	                   "{{ params.x }} is inside a \"...\" string; rota quotes");
	assert_shell_error("echo 'hello {{ params.x }}'",
	                   "{{ params.x }} is inside a '...' string");
	assert_shell_error("curl -H \"{{ params.tok }}\"", "{{ params.tok }} is inside a \"...\"");
	assert_shell_error("cat <<EOF\n{{ params.x }}\nEOF\n",
	                   "{{ params.x }} is in a here-document");
	assert_shell_error("echo \\{{ params.x }}", "{{ params.x }} is right after a backslash");
	assert_shell_error("echo ${{ params.x }}", "{{ params.x }} is right after '$'");
	assert_shell_error("# {{ params.x }}\necho", "{{ params.x }} is in a # comment");
}

/* The raw filter: parsed, and nothing else is a filter. */
static void
test_filters(void **state)
{
	(void)state;
	assert_render("{{ params.dir | raw }}", "/var/log");
	assert_render_error("{{ params.dir | shell }}",
	                    "unknown filter 'shell' at offset 0 (the only filter is raw)");
	assert_render_error("a {{ params.dir | }}",
	                    "empty filter after '|' in '{{ }}' at offset 2");
	assert_render_error("{{ | raw }}", "empty name in '{{ }}' at offset 0");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain_text_is_copied),
	    cmocka_unit_test(test_substitution),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_secret),
	    cmocka_unit_test(test_shell_words),
	    cmocka_unit_test(test_filters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
