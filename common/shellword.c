/* shellword: a template value in a shell command as exactly one shell word
 * (see shellword.h).
 *
 * shellword_places is a small reader of POSIX sh: quotes ('...', "..."),
 * backslashes, `...`, $(...), $((...)), ${...}, # comments and
 * here-documents, with a stack for what nests. It does not parse commands;
 * it only needs to know, at each template, whether a word quoted by rota
 * would be read as that one word. Where it is unsure (deeper nesting than
 * its stack, $'...' which bash and dash read differently, a case inside
 * $(...) whose patterns end in ')', a "$((" that is not arithmetic, a '
 * inside "${...}" (a quote or a plain character by the operator), a
 * template it was made to jump over) it answers a place that is refused
 * for every template from there on, never SHELLWORD_WORD.
 *
 * Must never: read past the end of the command, or call a template a plain
 * word when it is inside quotes, a comment or a here-document. */
#include "shellword.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

char *
shellword_quote(const char *value)
{
	size_t n = 2;
	for (const char *p = value; *p; p++)
		n += *p == '\'' ? 4 : 1;
	char *out = xmalloc(n + 1);
	char *o = out;
	*o++ = '\'';
	for (const char *p = value; *p; p++) {
		if (*p == '\'') {
			memcpy(o, "'\\''", 4);
			o += 4;
		} else {
			*o++ = *p;
		}
	}
	*o++ = '\'';
	*o = '\0';
	return out;
}

/* What the reader is inside of. CODE is the top level and the inside of
 * $(...), where sh reads commands (and a quoted word is one word). */
typedef enum {
	IN_CODE,
	IN_CMDSUB, /* $( ... ): code until its ')' */
	IN_SINGLE,
	IN_DOUBLE,
	IN_BACKTICK,
	IN_ARITH,
	IN_PARAM,
} state_t;

/* Nesting deeper than this is not something a runbook needs. */
#define SHELLWORD_MAX_DEPTH 32
/* Here-documents opened on one line before their bodies start. */
#define SHELLWORD_MAX_HEREDOCS 16

typedef struct {
	char *delim; /* owned; NULL: unknown (a template in it): to the end */
	bool strip_tabs;
	bool quoted; /* a quote or backslash in the delimiter: the body is literal */
} heredoc_t;

typedef struct {
	const char *s;
	size_t len;
	size_t i;
	const size_t *off;
	const size_t *lens;
	size_t count;
	size_t next; /* the next template not yet placed */
	shellword_place_t *places;
	state_t stack[SHELLWORD_MAX_DEPTH];
	int arith_depth[SHELLWORD_MAX_DEPTH]; /* IN_ARITH: open '(' inside it */
	bool arith_cmd[SHELLWORD_MAX_DEPTH];  /* IN_ARITH: a "((" command, not $(( */
	int depth;
	bool word; /* in CODE: inside a word (so '#' is not a comment) */
	int test;  /* the depth a "[[" opened at; 0: not inside [[ ]] */
	heredoc_t heredocs[SHELLWORD_MAX_HEREDOCS];
	size_t heredoc_count;
	/* Lost track: every template from here on is refused, at rest_place. */
	bool unsure;
	shellword_place_t rest_place;
} reader_t;

static bool
at_template(const reader_t *r, size_t at)
{
	return r->next < r->count && r->off[r->next] == at;
}

/* Places every template that starts before `upto` and has no place yet. */
static void
place_before(reader_t *r, size_t upto, shellword_place_t place)
{
	while (r->next < r->count && r->off[r->next] < upto)
		r->places[r->next++] = place;
}

/* Places the template at r->i and steps over it. */
static void
take_template(reader_t *r, shellword_place_t place)
{
	r->places[r->next] = place;
	r->i = r->off[r->next] + r->lens[r->next];
	r->next++;
}

static state_t
top(const reader_t *r)
{
	return r->stack[r->depth - 1];
}

/* From here on the reader cannot be sure how sh reads the command. */
static void
give_up(reader_t *r, shellword_place_t place)
{
	if (!r->unsure)
		r->rest_place = place;
	r->unsure = true;
}

static void
push(reader_t *r, state_t st)
{
	if (r->depth == SHELLWORD_MAX_DEPTH) {
		give_up(r, SHELLWORD_UNSURE);
		return;
	}
	r->arith_depth[r->depth] = 0;
	r->arith_cmd[r->depth] = false;
	r->stack[r->depth++] = st;
}

static void
pop(reader_t *r)
{
	if (r->depth > 1)
		r->depth--;
}

static bool
in_cmdsub(const reader_t *r)
{
	for (int d = 0; d < r->depth; d++)
		if (r->stack[d] == IN_CMDSUB)
			return true;
	return false;
}

/* Whether anything open is arithmetic: bash evaluates what a $( ) inside
 * $(( )) prints as arithmetic too (a[$(cmd)] runs cmd). */
static bool
in_arith(const reader_t *r)
{
	for (int d = 0; d < r->depth; d++)
		if (r->stack[d] == IN_ARITH)
			return true;
	return false;
}

/* Whether c ends a word in code (or the command ends). */
static bool
ends_word(char c)
{
	return c == '\0' || strchr(" \t\n;&|()<>", c) != NULL;
}

/* Whether the ${...} on top of the stack is inside "...": the nearest
 * state below it that is not another ${...}. */
static bool
param_in_double(const reader_t *r)
{
	for (int d = r->depth - 1; d >= 0; d--)
		if (r->stack[d] != IN_PARAM)
			return r->stack[d] == IN_DOUBLE;
	return false;
}

static shellword_place_t
place_of(state_t st)
{
	switch (st) {
	case IN_CODE:
	case IN_CMDSUB:
		return SHELLWORD_WORD;
	case IN_SINGLE:
		return SHELLWORD_SINGLE;
	case IN_DOUBLE:
		return SHELLWORD_DOUBLE;
	case IN_BACKTICK:
		return SHELLWORD_BACKTICK;
	case IN_ARITH:
		return SHELLWORD_ARITH;
	case IN_PARAM:
		return SHELLWORD_PARAM;
	}
	return SHELLWORD_UNSURE;
}

static char
peek(const reader_t *r, size_t ahead)
{
	return r->i + ahead < r->len ? r->s[r->i + ahead] : '\0';
}

/* A backslash inside quotes: it escapes the next character, unless that
 * is a template's first brace, which then stays inside the quotes. */
static void
skip_escape(reader_t *r)
{
	r->i += at_template(r, r->i + 1) || r->i + 1 >= r->len ? 1 : 2;
}

/* '$' followed by (, ((, { or ': opens what it opens; true when it did. */
static bool
dollar_open(reader_t *r)
{
	if (peek(r, 1) == '(' && peek(r, 2) == '(') {
		push(r, IN_ARITH);
		r->i += 3;
	} else if (peek(r, 1) == '(') {
		push(r, IN_CMDSUB);
		r->i += 2;
		r->word = false;
	} else if (peek(r, 1) == '{') {
		push(r, IN_PARAM);
		r->i += 2;
	} else {
		return false;
	}
	return true;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* The delimiter word of "<<[-] WORD" at r->i, its quotes removed. A
 * template in it makes the delimiter unknown (NULL): the body then runs
 * to the end of the command. */
static void
read_heredoc_word(reader_t *r, bool strip_tabs)
{
	while (r->i < r->len && is_blank(r->s[r->i]))
		r->i++;
	char *d = xmalloc(r->len - r->i + 1);
	size_t n = 0;
	bool known = true;
	bool quoted = false;
	while (r->i < r->len && strchr(" \t\n;&|<>()", r->s[r->i]) == NULL) {
		char c = r->s[r->i];
		if (at_template(r, r->i)) {
			take_template(r, SHELLWORD_HEREDOC);
			known = false;
		} else if (c == '\'' || c == '"') {
			quoted = true;
			r->i++;
			while (r->i < r->len && r->s[r->i] != c) {
				if (at_template(r, r->i)) {
					take_template(r, SHELLWORD_HEREDOC);
					known = false;
					continue;
				}
				/* In "..." a backslash escapes only these. */
				if (c == '"' && r->s[r->i] == '\\' && r->i + 1 < r->len &&
				    strchr("$`\"\\\n", r->s[r->i + 1]) != NULL)
					r->i++;
				d[n++] = r->s[r->i++];
			}
			if (r->i < r->len)
				r->i++;
		} else if ((c == '$' && r->i + 1 < r->len && r->s[r->i + 1] == '(') || c == '`') {
			/* bash takes "<<$(x)" whole as the delimiter, dash refuses
			 * it; a `...` in it runs on past blanks and newlines: where
			 * the word and the body end is the shell's. */
			give_up(r, SHELLWORD_HEREDOC);
			known = false;
			break;
		} else if (c == '\\' && r->i + 1 < r->len && !at_template(r, r->i + 1)) {
			quoted = true;
			d[n++] = r->s[r->i + 1];
			r->i += 2;
		} else {
			d[n++] = c;
			r->i++;
		}
	}
	d[n] = '\0';
	if (r->heredoc_count == SHELLWORD_MAX_HEREDOCS) {
		free(d);
		give_up(r, SHELLWORD_HEREDOC);
		return;
	}
	if (!known || n == 0) {
		free(d);
		d = NULL;
	}
	r->heredocs[r->heredoc_count++] =
	    (heredoc_t){.delim = d, .strip_tabs = strip_tabs, .quoted = quoted};
}

/* At the start of the line after "<<WORD": the bodies of the pending
 * here-documents, in order, each to its delimiter line. Every template in
 * them is in a here-document. */
static void
read_heredoc_bodies(reader_t *r)
{
	for (size_t h = 0; h < r->heredoc_count; h++) {
		const heredoc_t *hd = &r->heredocs[h];
		while (r->i < r->len) {
			size_t start = r->i;
			const char *nl = memchr(r->s + start, '\n', r->len - start);
			size_t end = nl ? (size_t)(nl - r->s) : r->len;
			r->i = nl ? end + 1 : r->len;
			size_t from = start;
			if (hd->strip_tabs)
				while (from < end && r->s[from] == '\t')
					from++;
			if (hd->delim != NULL && end - from == strlen(hd->delim) &&
			    memcmp(r->s + from, hd->delim, end - from) == 0)
				break;
			place_before(r, end + 1, SHELLWORD_HEREDOC);
			/* In an unquoted body a backslash-newline joins this line
			 * to the next ("x\" and "EOF" are the line xEOF): where
			 * the body ends, the reader does not follow. */
			size_t slashes = 0;
			while (end - slashes > start && r->s[end - slashes - 1] == '\\')
				slashes++;
			if (!hd->quoted && nl != NULL && slashes % 2 == 1)
				give_up(r, SHELLWORD_HEREDOC);
		}
		free(hd->delim);
	}
	r->heredoc_count = 0;
}

/* One step in code (the top level or inside $(...)). */
static void
step_code(reader_t *r)
{
	char c = r->s[r->i];
	switch (c) {
	case '\\':
		if (at_template(r, r->i + 1)) {
			r->i++;
			take_template(r, SHELLWORD_BACKSLASH);
			r->word = true;
		} else if (peek(r, 1) == '\n') {
			/* A line continuation is removed before anything else: a
			 * word neither starts nor ends here (" \\\n#" is a comment). */
			r->i += 2;
		} else {
			r->i += r->i + 1 < r->len ? 2 : 1;
			r->word = true;
		}
		return;
	case '\'':
		push(r, IN_SINGLE);
		r->i++;
		r->word = true;
		return;
	case '"':
		push(r, IN_DOUBLE);
		r->i++;
		r->word = true;
		return;
	case '`':
		push(r, IN_BACKTICK);
		r->i++;
		r->word = true;
		return;
	case '$':
		/* (dollar_open starts the inside of a $(...) outside a word.) */
		r->word = true;
		if (at_template(r, r->i + 1)) {
			r->i++;
			take_template(r, SHELLWORD_DOLLAR);
		} else if (peek(r, 1) == '\'') {
			/* bash reads $'...' with backslash escapes, dash as '$' and
			 * '...': where it ends depends on the shell. */
			give_up(r, SHELLWORD_DOLLAR_QUOTE);
			r->i += 2;
		} else if (peek(r, 1) == '$') {
			r->i += 2; /* "$$", the shell's pid: the second '$' opens nothing */
		} else if (peek(r, 1) == '[') {
			/* bash's old $[ ] arithmetic: refused from here on. */
			give_up(r, SHELLWORD_ARITH);
			r->i += 2;
		} else if (!dollar_open(r)) {
			r->i++;
		}
		return;
	case '#':
		if (!r->word) {
			const char *nl = memchr(r->s + r->i, '\n', r->len - r->i);
			size_t end = nl ? (size_t)(nl - r->s) : r->len;
			place_before(r, end, SHELLWORD_COMMENT);
			r->i = end;
			return;
		}
		r->i++;
		return;
	case '\n':
		r->i++;
		r->word = false;
		if (r->heredoc_count > 0)
			read_heredoc_bodies(r);
		return;
	case '<':
		if (peek(r, 1) == '<' && peek(r, 2) == '<') {
			r->i += 3; /* bash's here-string: a word follows */
		} else if (peek(r, 1) == '<') {
			r->i += 2;
			bool strip = peek(r, 0) == '-';
			if (strip)
				r->i++;
			read_heredoc_word(r, strip);
		} else {
			r->i++;
		}
		r->word = false;
		return;
	case ')':
		r->i++;
		if (top(r) == IN_CMDSUB) {
			pop(r);
			r->word = true;
		} else {
			r->word = false;
		}
		return;
	case '(':
		if (!r->word && peek(r, 1) == '(') {
			/* bash's (( )) command: arithmetic, as $(( )) is. */
			push(r, IN_ARITH);
			if (top(r) == IN_ARITH)
				r->arith_cmd[r->depth - 1] = true;
			r->i += 2;
			return;
		}
		r->i++;
		r->word = false;
		return;
	case ' ':
	case '\t':
	case ';':
	case '&':
	case '|':
	case '>':
		r->i++;
		r->word = false;
		return;
	default:
		if (!r->word && c == '[' && peek(r, 1) == '[' && ends_word(peek(r, 2)) &&
		    r->test == 0) {
			/* bash's [[ ]]: the operands of -eq and the like are
			 * arithmetic. Until its "]]" (an unseen one: to the end). */
			r->test = r->depth;
			r->i += 2;
			r->word = true;
			return;
		}
		if (!r->word && c == ']' && peek(r, 1) == ']' && ends_word(peek(r, 2)) &&
		    r->test == r->depth) {
			r->test = 0;
			r->i += 2;
			r->word = true;
			return;
		}
		if (!r->word && in_cmdsub(r) && r->len - r->i >= 5 &&
		    memcmp(r->s + r->i, "case", 4) == 0 &&
		    strchr(" \t\n", r->s[r->i + 4]) != NULL) {
			/* A case pattern's ')' would look like the end of the
			 * $( ): the reader would lose its place. */
			give_up(r, SHELLWORD_UNSURE);
		}
		r->i++;
		r->word = true;
		return;
	}
}

static void
step_quoted(reader_t *r, state_t st)
{
	char c = r->s[r->i];
	switch (st) {
	case IN_SINGLE:
		if (c == '\'')
			pop(r);
		r->i++;
		return;
	case IN_BACKTICK:
		if (c == '\\') {
			skip_escape(r);
			return;
		}
		if (c == '`')
			pop(r);
		r->i++;
		return;
	default:
		break;
	}
	/* "...", $((...)) and ${...}: expansions nest inside them. */
	if (c == '\\') {
		skip_escape(r);
		return;
	}
	if (c == '$' && peek(r, 1) == '$') {
		r->i += 2; /* "$$", the shell's pid: the second '$' opens nothing */
		return;
	}
	if (c == '$' && !at_template(r, r->i + 1) && dollar_open(r))
		return;
	if (c == '`') {
		push(r, IN_BACKTICK);
		r->i++;
		return;
	}
	r->i++;
	if (st == IN_DOUBLE) {
		if (c == '"')
			pop(r);
	} else if (st == IN_PARAM) {
		if (c == '}')
			pop(r);
		else if (c == '\'' && param_in_double(r))
			/* In "${x-'...'}" a ' is a plain character for some
			 * operators (- + = ?) and a quote for others (# %). */
			give_up(r, SHELLWORD_UNSURE);
		else if (c == '\'')
			push(r, IN_SINGLE);
		else if (c == '"')
			push(r, IN_DOUBLE);
	} else if (st == IN_ARITH) {
		int *open = &r->arith_depth[r->depth - 1];
		if (c == '"' || c == '\'') {
			/* bash reads quotes inside $(( )) (a "))" in them does
			 * not end it), dash refuses them: the shell's to say. */
			give_up(r, SHELLWORD_ARITH);
		} else if (c == '<' && peek(r, 0) == '<' && r->arith_cmd[r->depth - 1]) {
			/* dash reads "((" as two subshells, where "<<" opens a
			 * here-document. */
			give_up(r, SHELLWORD_HEREDOC);
		} else if (c == '(') {
			(*open)++;
		} else if (c == ')' && *open > 0) {
			(*open)--;
		} else if (c == ')' && peek(r, 0) == ')') {
			r->i++;
			pop(r);
		} else if (c == ')') {
			/* "$((a); b)" is a subshell in $( ), not arithmetic: where
			 * it ends, the reader cannot tell. */
			give_up(r, SHELLWORD_UNSURE);
		}
	}
}

void
shellword_places(const char *command, const size_t *offsets, const size_t *lengths, size_t count,
                 shellword_place_t *places)
{
	reader_t r = {
	    .s = command,
	    .len = strlen(command),
	    .off = offsets,
	    .lens = lengths,
	    .count = count,
	    .places = places,
	    .stack = {IN_CODE},
	    .depth = 1,
	};

	while (r.i < r.len && r.next < r.count && !r.unsure) {
		/* A template the reader stepped over without looking at it
		 * (it cannot happen; if it did, refuse rather than guess). */
		place_before(&r, r.i, SHELLWORD_UNSURE);
		if (r.next == r.count)
			break;
		state_t st = top(&r);
		if (at_template(&r, r.i)) {
			shellword_place_t place = place_of(st);
			if (place == SHELLWORD_WORD && in_arith(&r))
				place = SHELLWORD_ARITH;
			else if (place == SHELLWORD_WORD && r.test != 0)
				place = SHELLWORD_TEST;
			take_template(&r, place);
			if (st == IN_CODE || st == IN_CMDSUB)
				r.word = true;
			continue;
		}
		if (st == IN_CODE || st == IN_CMDSUB)
			step_code(&r);
		else
			step_quoted(&r, st);
	}
	place_before(&r, (size_t)-1, r.unsure ? r.rest_place : SHELLWORD_UNSURE);
	for (size_t h = 0; h < r.heredoc_count; h++)
		free(r.heredocs[h].delim);
}

const char *
shellword_place_hint(shellword_place_t place)
{
	switch (place) {
	case SHELLWORD_WORD:
		return "a shell word";
	case SHELLWORD_SINGLE:
		return "inside a '...' string; rota quotes every value as one shell word itself:"
		       " close the quotes before it and open them again after it"
		       " ('text '{{ params.x }}' more'), or pass it through env and write \"$X\"";
	case SHELLWORD_DOUBLE:
		return "inside a \"...\" string; rota quotes every value as one shell word itself:"
		       " close the quotes before it and open them again after it"
		       " (\"text \"{{ params.x }}\" more\"), or pass it through env and write "
		       "\"$X\"";
	case SHELLWORD_DOLLAR_QUOTE:
		return "after a $'...' string, which shells read differently (bash with escapes,"
		       " dash as '$' and '...'), so rota cannot tell where it ends; write that"
		       " string another way (printf), or pass the value through env and write"
		       " \"$X\"";
	case SHELLWORD_BACKSLASH:
		return "right after a backslash, which would escape rota's quoting; remove the"
		       " backslash: rota quotes every value as one shell word itself";
	case SHELLWORD_DOLLAR:
		return "right after '$'; remove the '$': rota inserts the value itself, quoted as"
		       " one shell word";
	case SHELLWORD_BACKTICK:
		return "inside `...`; write $(...) instead, where rota can quote it as one word";
	case SHELLWORD_ARITH:
		return "inside $(( )), (( )) or $[ ] (or a $(...) in one), where a quoted word is"
		       " not a number and bash runs a $(...) written in the value; pass it through"
		       " env (with type: int) and write $((X ...))";
	case SHELLWORD_PARAM:
		return "inside ${...}; pass it through env and write ${X...}";
	case SHELLWORD_HEREDOC:
		return "in a here-document, where quotes are not special; pass it through env"
		       " and write $X in the here-document";
	case SHELLWORD_COMMENT:
		return "in a # comment, which a newline in the value would end; take it out of"
		       " the comment";
	case SHELLWORD_TEST:
		return "inside [[ ]], where bash reads the operands of -eq, -lt and the like as"
		       " arithmetic, which runs a $(...) written in the value; write [ ] (test)"
		       " instead, or pass a param of type: int through env";
	case SHELLWORD_UNSURE:
		break;
	}
	return "where rota cannot tell how the shell reads it (after a case inside $(...),"
	       " a $(( that is not arithmetic, a ' inside \"${...}\", or nested too deeply);"
	       " pass it through env and write \"$X\"";
}
