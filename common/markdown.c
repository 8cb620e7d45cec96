/* markdown: text of a file or a peer written into a Markdown document
 * (runbookdoc, incidentreview): control characters made visible, inline
 * code fenced so no backtick in it ends it, table cells kept on one line.
 *
 * Must never: let a text's own characters break the document's structure
 * (a '|' ending a cell, a backtick ending code, a newline ending a row). */
#include "markdown.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* A copy of text fit for the document: control characters but newlines
 * become '?'. The caller frees. */
char *
markdown_text(const char *text)
{
	char *s = xstrdup(text != NULL ? text : "");
	for (char *p = s; *p != '\0'; p++) {
		unsigned char ch = (unsigned char)*p;
		if ((ch < ' ' && ch != '\n') || ch == 0x7f)
			*p = '?';
	}
	return s;
}

/* Prose: its lines as written, trailing blank lines dropped. */
void
markdown_prose(FILE *f, const char *text)
{
	char *s = markdown_text(text);
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = '\0';
	fprintf(f, "%s\n\n", s);
	free(s);
}

/* Inline code: one line, in a fence of more backticks than it holds. */
void
markdown_code(FILE *f, const char *text)
{
	char *s = markdown_text(text);
	size_t run = 0, longest = 0;
	for (char *p = s; *p != '\0'; p++) {
		if (*p == '\n')
			*p = ' ';
		run = *p == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	bool pad = s[0] == '`' || (s[0] != '\0' && s[strlen(s) - 1] == '`');
	for (size_t i = 0; i <= longest; i++)
		fputc('`', f);
	fprintf(f, "%s%s%s", pad ? " " : "", s, pad ? " " : "");
	for (size_t i = 0; i <= longest; i++)
		fputc('`', f);
	free(s);
}

/* A table cell: one line, '|' escaped. */
void
markdown_cell(FILE *f, const char *text)
{
	char *s = markdown_text(text);
	fputs("| ", f);
	for (char *p = s; *p != '\0'; p++) {
		if (*p == '|')
			fputs("\\|", f);
		else
			fputc(*p == '\n' ? ' ' : *p, f);
	}
	fputc(' ', f);
	free(s);
}
