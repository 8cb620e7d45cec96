/* store_sqlite: binding parameters and reading columns (store_sqlite.h). */
#include "store_sqlite.h"

#include <stdio.h>
#include <string.h>

#include "xalloc.h"

void
store_bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
}

void
store_bind_text_cut(sqlite3_stmt *st, int i, const char *v, size_t max)
{
	size_t n = v ? strlen(v) : 0;
	if (n > max)
		n = max;
	sqlite3_bind_text(st, i, v ? v : "", (int)n, SQLITE_TRANSIENT);
}

void
store_bind_blob(sqlite3_stmt *st, int i, const void *data, size_t len)
{
	sqlite3_bind_blob(st, i, data, (int)len, SQLITE_TRANSIENT);
}

const char *
store_column_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? (const char *)t : "";
}

char *
store_column_dup(sqlite3_stmt *st, int i)
{
	return xstrdup(store_column_text(st, i));
}

char *
store_column_dup_or_null(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? NULL : store_column_dup(st, i);
}

void
store_column_copy(sqlite3_stmt *st, int i, char *buf, size_t len)
{
	snprintf(buf, len, "%s", store_column_text(st, i));
}

uint8_t *
store_column_blob_dup(sqlite3_stmt *st, int i, size_t *len)
{
	/* sqlite3_column_blob before sqlite3_column_bytes, as SQLite advises. */
	const void *d = sqlite3_column_blob(st, i);
	*len = (size_t)sqlite3_column_bytes(st, i);
	uint8_t *copy = xmalloc(*len ? *len : 1);
	if (*len)
		memcpy(copy, d, *len);
	return copy;
}
