/* store_row: the store room's helpers over db.h for what every module
 * does with a statement: bind a peer's text cut to a bound, and copy a
 * row's columns into strings and buffers the caller owns. Used by every
 * module of the store room (the store's own tables and the incidents',
 * outbox's and audit's), on either engine.
 *
 * Must never: be included outside coordinator/store/. */
#ifndef ROTA_STORE_ROW_H
#define ROTA_STORE_ROW_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

/* Binds v ("" when NULL) cut to at most max bytes: for text a peer chose. */
void store_bind_text_cut(db_stmt_t *st, int i, const char *v, size_t max);
/* The bytes of v (not NULL) store_bind_text_cut keeps: at most max, never
 * half a UTF-8 character. */
size_t store_text_cut(const char *v, size_t max);

/* A copy of the column's text (caller frees); "" for NULL. */
char *store_column_dup(db_stmt_t *st, int i);
/* A copy of the column's text (caller frees); NULL for NULL. */
char *store_column_dup_or_null(db_stmt_t *st, int i);
/* The column's text into buf (at most len - 1 bytes, always terminated). */
void store_column_copy(db_stmt_t *st, int i, char *buf, size_t len);
/* A copy of the column's blob (caller frees; never NULL, even when empty)
 * and its length in *len. */
uint8_t *store_column_blob_dup(db_stmt_t *st, int i, size_t *len);

#endif
