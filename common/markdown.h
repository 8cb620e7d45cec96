/* markdown: writing others' text into Markdown documents (markdown.c). */
#ifndef ROTA_MARKDOWN_H
#define ROTA_MARKDOWN_H

#include <stdio.h>

/* A copy of text (NULL: "") with control characters but newlines made
 * '?'; the caller frees. */
char *markdown_text(const char *text);
/* Prose as a paragraph: its lines as written, then a blank line. */
void markdown_prose(FILE *f, const char *text);
/* Inline code on one line, in a fence longer than any backtick run in it. */
void markdown_code(FILE *f, const char *text);
/* "| text " of a table row: one line, '|' escaped. */
void markdown_cell(FILE *f, const char *text);

#endif
