/* sanitize: bytes from outside (step output, a worker's hostname, an
 * alert's labels) made safe to print on a terminal or write to a log.
 *
 * One rule for every such place: printable UTF-8 and tabs pass as they
 * are; every other control character (ESC, CR, BEL, DEL, the C1 controls
 * a UTF-8 terminal also obeys, the bidirectional overrides that reorder
 * what a reader sees) is shown as a visible escape (\x1b, \u009b, \u202e);
 * a byte that is not part of valid UTF-8 is shown as U+FFFD. So no string
 * a peer sends can move the cursor, set the terminal's title, rewrite a
 * line's prefix, or start a fake log line.
 *
 * Must never: pass a control character through unless the caller asked
 * for it (tab always, newline with SANITIZE_KEEP_NEWLINE). */
#ifndef ROTA_SANITIZE_H
#define ROTA_SANITIZE_H

#include <stdbool.h>
#include <stddef.h>

/* Keep '\n' as it is (a multi-line text); otherwise it is shown as \x0a. */
#define SANITIZE_KEEP_NEWLINE 1u
/* Show a tab as \x09 too (a table cell, where it would break columns). */
#define SANITIZE_ESCAPE_TAB 2u

/* A new NUL-terminated string the caller frees: len bytes of data (NULL
 * only with len 0) made printable. Never fails (xalloc). */
char *sanitize_text(const void *data, size_t len, unsigned flags);

/* Strict UTF-8 (RFC 3629): no overlong forms, no surrogates (U+D800 to
 * U+DFFF), nothing above U+10FFFF, no truncated sequence. Returns len when
 * data is valid, else the byte offset of the first bad sequence, with
 * *why (when not NULL) a static phrase ("an overlong encoding"). */
size_t sanitize_utf8_check(const void *data, size_t len, const char **why);

#endif
