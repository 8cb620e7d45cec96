/* test_shellword: quoting a value as one shell word, and telling where in a
 * command a template sits (a plain word, or somewhere rota's quoting would
 * not hold). Each quoted word is also checked against a real /bin/sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "shellword.h"
#include "template.h"
#include "xalloc.h"

/* What /bin/sh makes of "printf '<%s>' WORD": the arguments it sees. */
static char *
sh_args(const char *word)
{
	char *cmd = xasprintf("printf '<%%s>' %s", word);
	/* The command goes to sh through a file, not another quoting layer. */
	char path[] = "/tmp/test_shellword.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fputs(cmd, f);
	fclose(f);
	free(cmd);
	char *run = xasprintf("/bin/sh %s", path);
	FILE *p = popen(run, "r");
	free(run);
	assert_non_null(p);
	char buf[4096];
	size_t n = fread(buf, 1, sizeof(buf) - 1, p);
	buf[n] = '\0';
	pclose(p);
	unlink(path);
	return xstrdup(buf);
}

static void
test_quote(void **state)
{
	(void)state;
	static const char *const values[] = {
	    "plain",     "",       "it's", "''",        "$(id -u); touch /tmp/PWNED",
	    "a b\tc\nd", "*.yaml", "\\",   "\"$HOME\"", "`id`",
	    "'\\''",
	};
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		char *word = shellword_quote(values[i]);
		char *got = sh_args(word);
		char *want = xasprintf("<%s>", values[i]);
		if (strcmp(got, want) != 0)
			fail_msg("value '%s' quoted as %s reached sh as %s", values[i], word, got);
		free(want);
		free(got);
		free(word);
	}
	char *w = shellword_quote("it's");
	assert_string_equal(w, "'it'\\''s'");
	free(w);
}

typedef struct {
	size_t offsets[16], lengths[16], count;
} refs_t;

static int
collect(void *ctx, const template_ref_t *ref)
{
	refs_t *r = ctx;
	r->offsets[r->count] = ref->offset;
	r->lengths[r->count] = ref->length;
	r->count++;
	return 0;
}

/* The place of each template of command, as letters: W word, S '...',
 * D "...", $ $'...', B backslash, L after $, T `...`, A $(( )), P ${},
 * H here-document, C comment, R [[ ]], U unsure. */
static void
assert_places(const char *command, const char *want)
{
	static const char letters[] = "WSD$BLTAPHCRU";
	refs_t refs = {0};
	char *error = NULL;
	assert_int_equal(template_each(command, collect, &refs, &error), 0);
	shellword_place_t places[16];
	shellword_places(command, refs.offsets, refs.lengths, refs.count, places);
	char got[17];
	for (size_t i = 0; i < refs.count; i++)
		got[i] = letters[places[i]];
	got[refs.count] = '\0';
	if (strcmp(got, want) != 0)
		fail_msg("places in '%s': got %s, want %s", command, got, want);
}

static void
test_places(void **state)
{
	(void)state;
	/* Words, and parts of words. */
	assert_places("echo {{ a }} x{{ b }}y --n={{ c }} {{ d }}{{ e }}", "WWWWW");
	assert_places("echo {{ a }}; {{ b }} | grep {{ c }} && f({{ d }})", "WWWW");
	assert_places("x=$(echo {{ a }}) y=\"$(echo {{ b }})\"", "WW");
	assert_places("echo $(echo $(echo {{ a }}))", "W");
	assert_places("echo 'it''s' {{ a }} \"q\" {{ b }}", "WW");
	assert_places("echo 'a\"' {{ a }} \"b'\" {{ b }}", "WW");
	assert_places("echo \\' {{ a }} \\\" {{ b }}", "WW");
	assert_places("echo a#b {{ a }}", "W");
	assert_places("cat <<<{{ a }}", "W");
	/* Inside quotes. */
	assert_places("echo '{{ a }}' \"{{ b }}\" \"x {{ c }} y\"", "SDD");
	assert_places("echo \"a \\\" {{ a }}\" '\\' {{ b }}", "DW");
	/* bash reads $'\'' as one quote, dash as '$', '\' and an open quote. */
	assert_places("echo $'{{ a }}' $'\\' {{ b }}'", "$$");
	assert_places("echo {{ a }} $'\\'' {{ b }}", "W$");
	assert_places("echo \"$(echo \"{{ a }}\")\"", "D");
	/* Escapes and dollars. */
	assert_places("echo \\{{ a }} \\\\{{ b }}", "BW");
	assert_places("echo ${{ a }} \"${{ b }}\"", "LD");
	/* Backquotes, arithmetic, parameter expansions. */
	assert_places("echo `echo {{ a }}` {{ b }}", "TW");
	assert_places("echo $(( {{ a }} + (1) )) {{ b }}", "AW");
	assert_places("echo ${X:-{{ a }}} {{ b }} ${Y:-'{{ c }}'}", "PWS");
	/* Comments; a line continuation neither starts nor ends a word. */
	assert_places("# {{ a }}\necho {{ b }} # {{ c }}\n{{ d }}", "CWCW");
	assert_places("echo x \\\n#{{ a }}\necho x\\\n#{{ b }}", "CW");
	/* Here-documents: the body and the delimiter, quoted or not, <<-. */
	assert_places("cat <<EOF\n{{ a }}\nEOF\necho {{ b }}", "HW");
	assert_places("cat <<'EOF' >f; echo {{ a }}\nx {{ b }}\nEOF\n{{ c }}", "WHW");
	assert_places("cat <<-\"E F\"\n\t{{ a }}\n\tE F\n{{ b }}", "HW");
	assert_places("cat <<A <<B\n{{ a }}\nA\n{{ b }}\nB\n{{ c }}", "HHW");
	assert_places("cat <<{{ a }}\n{{ b }}\n", "HH");
	assert_places("cat <<EOF\n{{ a }}\nEOFX\n{{ b }}", "HH");
	/* In an unquoted here-document a backslash-newline joins two lines:
	 * "x\" and "EOF" are one line xEOF, not the delimiter. */
	assert_places("cat <<EOF\nx\\\nEOF\necho {{ a }}\nEOF\n{{ b }}", "HH");
	assert_places("cat <<'EOF'\nx\\\nEOF\necho {{ a }}", "W");
	assert_places("cat <<EOF\nx\\\\\nEOF\necho {{ a }}", "W");
	/* In "..." a backslash escapes only $ ` " \ and a newline: the
	 * delimiter of <<"a\b" is a\b, so the body runs past the line ab. */
	assert_places("cat <<\"a\\b\"\nab\n\"\na\\b\necho \" {{ a }} \"", "D");
	assert_places("cat <<\"a\\\"b\"\na\"b\necho {{ a }}", "W");
	/* bash takes "$(x)" whole as the delimiter (dash refuses it): where
	 * the body ends, the reader cannot tell. */
	assert_places("cat <<$(x)\n$\necho {{ a }}\n$(x)\n{{ b }}", "HH");
	/* A `...` in the delimiter runs on past blanks and newlines, as sh
	 * reads it: refused from there on too. */
	assert_places("cat <<x`} \\\n{{ a }}`\nx\n{{ b }}", "HH");
	/* A case inside $( ): its patterns' ')' would end the $( ) early, and
	 * "$((a); b)" is not arithmetic: refused from there on. */
	assert_places("x=\"$(case $y in a) echo \"{{ a }}\";; esac)\" {{ b }}", "UU");
	assert_places("case {{ a }} in {{ b }}) echo {{ c }};; esac", "WWW");
	assert_places("echo \"$((echo a); echo \"{{ a }}\")\" {{ b }}", "UU");
	/* "$$" is the shell's pid: the '$' after it opens nothing, so the
	 * "(" that follows is a plain character inside the quotes. */
	assert_places("echo \"$$(echo {{ a }})\" {{ b }}", "DW");
	assert_places("echo $$ {{ a }} \"$$$(echo {{ b }})\"", "WW");
	/* Inside "${x-...}" a ' is a quote for some operators (#, %) and a
	 * plain character for others (-, +, =, ?): refused from there on. */
	assert_places("echo \"${x-'}\"   '}\" {{ a }} '", "U");
	assert_places("echo ${x-'}'} {{ a }}", "W");
	/* bash evaluates as arithmetic the inside of (( )) and $[ ], the
	 * operands of [[ -eq ]], and what a $( ) inside $(( )) prints: a
	 * quoted 'a[$(cmd)]' runs cmd there. */
	assert_places("(( {{ a }} > 1 )) && echo {{ b }}", "AW");
	assert_places("for (( i = 0; i < {{ a }}; i++ )); do :; done", "A");
	/* dash reads "((" as two subshells: "<<" in it is a here-document. */
	assert_places("((<<-a))\nab\n-] {{ a }}", "H");
	assert_places("echo $[ {{ a }} + 1 ]", "A");
	assert_places("echo $(( $(echo {{ a }}) + 1 )) {{ b }}", "AW");
	/* bash reads "..." inside $(( )) as a quote (a "))" in it does not
	 * end it): refused from there on. */
	assert_places("echo $(( \")) {{ a }} \" )) {{ b }}", "AA");
	assert_places("[[ {{ a }} -eq 1 ]] && echo {{ b }}", "RW");
	assert_places("if [[ $(echo {{ a }}) -gt 2 ]]; then echo {{ b }}; fi", "RW");
	/* Too deep to tell: refused. */
	char deep[512] = "";
	for (int i = 0; i < 40; i++)
		snprintf(deep + strlen(deep), sizeof(deep) - strlen(deep), "$(");
	snprintf(deep + strlen(deep), sizeof(deep) - strlen(deep), "{{ a }}");
	assert_places(deep, "U");
}

static void
test_hints(void **state)
{
	(void)state;
	for (int p = SHELLWORD_SINGLE; p <= SHELLWORD_UNSURE; p++) {
		const char *h = shellword_place_hint((shellword_place_t)p);
		assert_non_null(h);
		assert_true(strlen(h) > 20);
	}
	assert_non_null(strstr(shellword_place_hint(SHELLWORD_DOUBLE),
	                       "close the quotes before it and open them again after it"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_quote),
	    cmocka_unit_test(test_places),
	    cmocka_unit_test(test_hints),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
