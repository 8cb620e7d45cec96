/* store_sql: for modules that keep their own tables' SQL (incident,
 * outbox) but write in the store's connection and turn.
 *
 * A module passes its statement text as a string with static storage; the
 * store prepares it once, keeps it (the store owns and finalizes it) and
 * finds it again by that address. A writer calls store_begin first, like
 * the store's own writers, so its rows commit with the loop's turn.
 *
 * Must never: be handed a sql pointer that does not outlive the store. */
#ifndef ROTA_STORE_SQL_H
#define ROTA_STORE_SQL_H

#include <sqlite3.h>

#include "store.h"

/* Enough for every module's statements; store_stmt logs and fails past it. */
#define STORE_EXTRA_MAX 64

/* The statement for sql, reset and unbound; NULL (logged, and the open
 * turn marked failed) if it cannot be prepared. */
sqlite3_stmt *store_stmt(store_t *s, const char *sql);
/* Steps a statement that returns no rows and resets it; on failure logs,
 * marks the open turn failed (it will not commit) and returns -1. */
int store_stmt_done(store_t *s, sqlite3_stmt *st);
/* A query that stepped to an error: logs, resets, marks the turn failed. */
void store_stmt_failed(store_t *s, sqlite3_stmt *st);

#endif
