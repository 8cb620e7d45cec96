/* store_row: binding a peer's text and copying columns (store_row.h). */
#include "store_row.h"

#include <stdio.h>
#include <string.h>

#include "xalloc.h"

size_t
store_text_cut(const char *v, size_t max)
{
	size_t n = strnlen(v, max);
	/* Never half a UTF-8 character: PostgreSQL refuses invalid UTF-8 in
	 * text, and a reader would only see a broken glyph. */
	while (n > 0 && v[n] != '\0' && ((unsigned char)v[n] & 0xc0) == 0x80)
		n--;
	return n;
}

void
store_bind_text_cut(db_stmt_t *st, int i, const char *v, size_t max)
{
	if (v == NULL)
		v = "";
	db_bind_text_n(st, i, v, store_text_cut(v, max));
}

char *
store_column_dup(db_stmt_t *st, int i)
{
	return xstrdup(db_column_text(st, i));
}

char *
store_column_dup_or_null(db_stmt_t *st, int i)
{
	return db_column_is_null(st, i) ? NULL : store_column_dup(st, i);
}

void
store_column_copy(db_stmt_t *st, int i, char *buf, size_t len)
{
	snprintf(buf, len, "%s", db_column_text(st, i));
}

uint8_t *
store_column_blob_dup(db_stmt_t *st, int i, size_t *len)
{
	const void *d = db_column_blob(st, i, len);
	uint8_t *copy = xmalloc(*len ? *len : 1);
	if (*len)
		memcpy(copy, d, *len);
	return copy;
}
