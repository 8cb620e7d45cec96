/* shellword: a template value in a shell command as exactly one shell word.
 *
 * A shell step's `run` is handed to `/bin/sh -c`. rota inserts every
 * "{{ name }}" there quoted by itself (shellword_quote), so no value can
 * change the command's structure: a ';', '$(...)', a quote or a newline in
 * it stays data. That is only true where a quoted word means what it
 * says: outside every quote, comment and here-document. shellword_place
 * reads the command as sh does, far enough to tell where each template
 * sits, so the parser can refuse the places where rota's quoting would not
 * hold (docs/runbooks.md, "Templates in run").
 *
 * The reader is deliberately conservative: where it cannot be sure a
 * template stands outside quotes, it says so, and the runbook is refused
 * with a hint rather than run with a guess. */
#ifndef ROTA_SHELLWORD_H
#define ROTA_SHELLWORD_H

#include <stddef.h>

/* Where a template sits in a command. */
typedef enum {
	SHELLWORD_WORD = 0,     /* outside quotes: a word or part of one; safe */
	SHELLWORD_SINGLE,       /* inside '...' */
	SHELLWORD_DOUBLE,       /* inside "..." */
	SHELLWORD_DOLLAR_QUOTE, /* in or after $'...' (bash and dash disagree) */
	SHELLWORD_BACKSLASH,    /* right after a backslash, which would escape rota's quote */
	SHELLWORD_DOLLAR,       /* right after '$' ("$'...'" means something else) */
	SHELLWORD_BACKTICK,     /* inside `...` */
	SHELLWORD_ARITH,        /* inside $(( )), (( )) or $[ ], or a $( ) in them */
	SHELLWORD_PARAM,        /* inside ${...} */
	SHELLWORD_HEREDOC,      /* in a here-document or its delimiter */
	SHELLWORD_COMMENT,      /* in a # comment */
	SHELLWORD_TEST,         /* inside [[ ]] (bash: -eq and the like are arithmetic) */
	SHELLWORD_UNSURE,       /* the reader lost its place: refused */
} shellword_place_t;

/* value as one shell word: between single quotes, each ' written '\'' (so
 * "it's" becomes 'it'\''s', and "" becomes ''). The caller frees. */
char *shellword_quote(const char *value);

/* Where each template of command sits: places[i] for the template at byte
 * offset offsets[i], lengths[i] bytes long (as the template module found
 * them, in order). The reader steps over templates as opaque parts of a
 * word. One pass over the command; count may be 0. */
void shellword_places(const char *command, const size_t *offsets, const size_t *lengths,
                      size_t count, shellword_place_t *places);

/* Where place is and how to write the template instead, to follow "{{ x }}
 * is " in a message: "inside a \"...\" string; rota quotes ...". Borrowed,
 * static. */
const char *shellword_place_hint(shellword_place_t place);

#endif
