/* table: column widths from the widest cell, then one line per row.
 *
 * Must never: print a control character from a cell, or leave blanks at
 * the end of a line (they show up in diffs and copy-paste). */
#include "table.h"

#include <assert.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sanitize.h"
#include "strbuf.h"
#include "xalloc.h"

typedef struct {
	char **cells; /* ncols entries; NULL is empty */
	char **notes;
	size_t *note_indent;
	size_t nnotes;
	size_t filled; /* cells given so far */
} table_row_t;

struct table {
	size_t ncols;
	size_t indent;
	char **headers; /* NULL: no header line */
	table_row_t *rows;
	size_t nrows;
	size_t cap;
};

table_t *
table_new(size_t ncols, const char *const *headers)
{
	assert(ncols > 0);
	table_t *t = xcalloc(1, sizeof(*t));
	t->ncols = ncols;
	if (headers != NULL) {
		t->headers = xcalloc(ncols, sizeof(char *));
		for (size_t i = 0; i < ncols; i++)
			t->headers[i] = xstrdup(headers[i]);
	}
	return t;
}

void
table_destroy(table_t **tp)
{
	table_t *t = *tp;
	if (t == NULL)
		return;
	for (size_t r = 0; r < t->nrows; r++) {
		table_row_t *row = &t->rows[r];
		for (size_t c = 0; c < t->ncols; c++)
			free(row->cells[c]);
		free(row->cells);
		for (size_t n = 0; n < row->nnotes; n++)
			free(row->notes[n]);
		free(row->notes);
		free(row->note_indent);
	}
	free(t->rows);
	if (t->headers != NULL) {
		for (size_t c = 0; c < t->ncols; c++)
			free(t->headers[c]);
		free(t->headers);
	}
	free(t);
	*tp = NULL;
}

void
table_set_indent(table_t *t, size_t spaces)
{
	t->indent = spaces;
}

void
table_row(table_t *t)
{
	if (t->nrows == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->rows = xrealloc(t->rows, t->cap * sizeof(*t->rows));
	}
	table_row_t *row = &t->rows[t->nrows++];
	memset(row, 0, sizeof(*row));
	row->cells = xcalloc(t->ncols, sizeof(char *));
}

/* A copy of text safe for the terminal (sanitize.h). */
static char *
table_clean(const char *text)
{
	return sanitize_text(text, strlen(text), SANITIZE_ESCAPE_TAB);
}

void
table_cell(table_t *t, const char *text)
{
	assert(t->nrows > 0);
	table_row_t *row = &t->rows[t->nrows - 1];
	assert(row->filled < t->ncols);
	row->cells[row->filled++] = text != NULL ? table_clean(text) : NULL;
}

void
table_cellf(table_t *t, const char *fmt, ...)
{
	char *text;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
	table_cell(t, text != NULL ? text : "?");
	free(text);
}

void
table_note(table_t *t, size_t indent, const char *text, size_t len)
{
	assert(t->nrows > 0);
	table_row_t *row = &t->rows[t->nrows - 1];
	if (len > 0 && text[len - 1] == '\n')
		len--;
	row->notes = xrealloc(row->notes, (row->nnotes + 1) * sizeof(char *));
	row->note_indent = xrealloc(row->note_indent, (row->nnotes + 1) * sizeof(size_t));
	row->notes[row->nnotes] = sanitize_text(text, len, 0);
	row->note_indent[row->nnotes] = indent;
	row->nnotes++;
}

/* Display width: code points, counted as the bytes that do not continue
 * a UTF-8 sequence. */
static size_t
table_width(const char *s)
{
	size_t w = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if ((*p & 0xc0) != 0x80)
			w++;
	}
	return w;
}

static void
table_spaces(strbuf_t *b, size_t n)
{
	static const char blanks[] = "                                ";
	while (n > 0) {
		size_t k = n < sizeof(blanks) - 1 ? n : sizeof(blanks) - 1;
		strbuf_add(b, blanks, k);
		n -= k;
	}
}

static void
table_line(const table_t *t, strbuf_t *b, char *const *cells, const size_t *widths)
{
	/* Cells after the last non-empty one are not padded at all. */
	size_t last = 0;
	for (size_t c = 0; c < t->ncols; c++) {
		if (cells[c] != NULL && cells[c][0] != '\0')
			last = c + 1;
	}
	if (last > 0)
		table_spaces(b, t->indent);
	for (size_t c = 0; c < last; c++) {
		const char *s = cells[c] != NULL ? cells[c] : "";
		strbuf_adds(b, s);
		if (c + 1 < last)
			table_spaces(b, widths[c] - table_width(s) + 2);
	}
	strbuf_add(b, "\n", 1);
}

char *
table_render(const table_t *t)
{
	size_t *widths = xcalloc(t->ncols, sizeof(size_t));
	for (size_t c = 0; c < t->ncols; c++) {
		if (t->headers != NULL)
			widths[c] = table_width(t->headers[c]);
		for (size_t r = 0; r < t->nrows; r++) {
			const char *s = t->rows[r].cells[c];
			size_t w = s != NULL ? table_width(s) : 0;
			if (w > widths[c])
				widths[c] = w;
		}
	}

	strbuf_t b = {0};
	strbuf_add(&b, "", 0);
	if (t->headers != NULL)
		table_line(t, &b, t->headers, widths);
	for (size_t r = 0; r < t->nrows; r++) {
		const table_row_t *row = &t->rows[r];
		table_line(t, &b, row->cells, widths);
		for (size_t n = 0; n < row->nnotes; n++) {
			if (row->notes[n][0] != '\0')
				table_spaces(&b, t->indent + row->note_indent[n]);
			strbuf_adds(&b, row->notes[n]);
			strbuf_add(&b, "\n", 1);
		}
	}
	free(widths);
	return b.data;
}

void
table_print(const table_t *t, FILE *out)
{
	char *text = table_render(t);
	fputs(text, out);
	free(text);
}
