/* table: aligned plain-text tables for the CLI's listings.
 *
 * Cells are copied in and made safe to print: control characters (a
 * newline or an escape sequence from a worker's labels, say) become '?',
 * so one cell can neither break the layout nor drive the terminal. Widths
 * count UTF-8 code points, not bytes; double-width characters are counted
 * as one (right for the names and states rota shows; a CJK hostname would
 * misalign, which is cosmetic). Columns are separated by two spaces and
 * lines carry no trailing blanks. */
#ifndef ROTA_TABLE_H
#define ROTA_TABLE_H

#include <stddef.h>
#include <stdio.h>

typedef struct table table_t;

/* headers is ncols strings, copied; NULL makes a table without a header
 * line. */
table_t *table_new(size_t ncols, const char *const *headers);
void table_destroy(table_t **tp);

/* Every line starts with this many spaces (default 0). */
void table_set_indent(table_t *t, size_t spaces);

/* Starts a row; the cells that follow fill it left to right, and cells not
 * given are empty. */
void table_row(table_t *t);
/* text NULL is an empty cell. */
void table_cell(table_t *t, const char *text);
void table_cellf(table_t *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A line printed under the current row as it is, after indent spaces
 * more than the table's own, and not part of any column: the output lines
 * under a step, say. len bytes of text, copied; a trailing newline is
 * dropped. */
void table_note(table_t *t, size_t indent, const char *text, size_t len);

/* The whole table as text, each line ending in '\n'; the caller frees. */
char *table_render(const table_t *t);
void table_print(const table_t *t, FILE *out);

#endif
