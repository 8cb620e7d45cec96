/* store_sqlite: the one set of helpers for binding parameters and reading
 * columns of a SQLite statement, used by every module of the store room
 * (the store's own tables and the incidents', outbox's and audit's).
 *
 * Text is bound SQLITE_TRANSIENT (SQLite copies it), so the caller's
 * strings need not outlive the statement. A NULL column reads as "" unless
 * the helper says otherwise.
 *
 * Must never: be included outside coordinator/store/. */
#ifndef ROTA_STORE_SQLITE_H
#define ROTA_STORE_SQLITE_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

/* Binds v, or SQL NULL when v is NULL. */
void store_bind_text(sqlite3_stmt *st, int i, const char *v);
/* Binds v ("" when NULL) cut to at most max bytes: for text a peer chose. */
void store_bind_text_cut(sqlite3_stmt *st, int i, const char *v, size_t max);
/* Binds data as a blob (len 0: an empty blob). */
void store_bind_blob(sqlite3_stmt *st, int i, const void *data, size_t len);

/* The column's text, borrowed until the next step or reset; "" for NULL. */
const char *store_column_text(sqlite3_stmt *st, int i);
/* A copy of the column's text (caller frees); "" for NULL. */
char *store_column_dup(sqlite3_stmt *st, int i);
/* A copy of the column's text (caller frees); NULL for NULL. */
char *store_column_dup_or_null(sqlite3_stmt *st, int i);
/* The column's text into buf (at most len - 1 bytes, always terminated). */
void store_column_copy(sqlite3_stmt *st, int i, char *buf, size_t len);
/* A copy of the column's blob (caller frees; never NULL, even when empty)
 * and its length in *len. */
uint8_t *store_column_blob_dup(sqlite3_stmt *st, int i, size_t *len);

#endif
