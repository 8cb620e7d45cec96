/* db: one connection to the store's database, SQLite or PostgreSQL, behind
 * one small statement API, so that every module of the store room writes
 * its SQL and its binding code once for both engines.
 *
 * The model is SQLite's: prepare a statement once, bind its parameters by
 * position (1-based, written `?` or `?N` in the SQL), step it row by row,
 * reset it, bind again. The PostgreSQL side (db_pg.c, libpq) translates
 * `?`/`?N` to `$N`, prepares the statement on the server on first use (and
 * again after a reconnect), runs it on the first db_step and hands out the
 * result's rows on the following ones. Columns are read as text on both
 * sides and converted here, so an integer read from SUM() or COUNT() is the
 * same int64 on both.
 *
 * Where the engines' SQL differs, a statement is given in both dialects
 * (db_prepare2); everything else is written in the SQL both accept:
 * `ON CONFLICT (...) DO ...`, `RETURNING`, CASE instead of a boolean used
 * as a number, COALESCE, no rowid.
 *
 * Errors: every call that can fail returns DB_ERROR (or NULL / -1), and
 * db_errmsg() says why in the engine's words; db_error_class() says whether
 * waiting could help (busy/locked, a lost connection) or not.
 *
 * PostgreSQL, inside db_begin's transaction: an INSERT, UPDATE or DELETE
 * without RETURNING is sent without waiting for its answer (db_pg_pipe.c),
 * so its db_step says DB_DONE at once; a failure of it is reported by the
 * next call that reads an answer (a query's db_step, db_changes,
 * db_commit), which fails naming it. The transaction is aborted from that
 * write on, so db_commit cannot succeed after it.
 *
 * A connection is used by one thread. The outbox's sender opens its own.
 *
 * Must never: be included outside coordinator/store/; log a password
 * (db_target_redacted is what a log or an error names). */
#ifndef ROTA_DB_H
#define ROTA_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct db db_t;           /* a connection */
typedef struct db_stmt db_stmt_t; /* a prepared statement of one connection */

typedef enum { DB_SQLITE, DB_POSTGRESQL } db_engine_t;

/* What db_step returns. */
enum { DB_ERROR = -1, DB_DONE = 0, DB_ROW = 1 };

/* Why the last call failed. */
typedef enum {
	DB_ERR_NONE,
	DB_ERR_BUSY,        /* locked by another connection: waiting may help */
	DB_ERR_UNAVAILABLE, /* the connection or the server is gone: reconnecting may help */
	DB_ERR_CONSTRAINT,  /* a UNIQUE/NOT NULL/FOREIGN KEY constraint */
	DB_ERR_OTHER,       /* anything else (full disk, bad SQL, ...) */
} db_error_class_t;

typedef struct {
	/* SQLite: a file path. PostgreSQL: a postgresql:// or postgres://
	 * URL (libpq's connection string; no password in it: libpq reads
	 * PGPASSFILE or ~/.pgpass, or password_file below). */
	const char *target;
	/* PostgreSQL only: a file holding the password (its first line),
	 * refused unless it is a regular file not readable by group or
	 * others; NULL: libpq's own ways. */
	const char *password_file;
	/* SQLite only: how long a locked database is waited for. */
	int busy_timeout_ms;
	/* SQLite only: create the file when missing. */
	bool create;
} db_options_t;

/* True for a target naming a PostgreSQL database (postgresql:// or
 * postgres://). */
bool db_target_is_postgresql(const char *target);
/* The target as a log may print it: a URL without any password (caller
 * frees). */
char *db_target_redacted(const char *target);

/* Opens a connection. NULL with *error (caller frees) naming the target
 * (redacted) and the reason. */
db_t *db_open(const db_options_t *options, char **error);
/* Finalizes every statement still prepared on it and closes. */
void db_close(db_t **db);
db_engine_t db_engine(const db_t *db);

/* Runs SQL without parameters or rows (may be several statements). */
int db_exec(db_t *db, const char *sql);
/* The statement in the engine's dialect: sql for both, or pg_sql (when not
 * NULL) on PostgreSQL. NULL on error (db_errmsg says why). The connection
 * owns it until db_finalize or db_close. */
db_stmt_t *db_prepare(db_t *db, const char *sql);
db_stmt_t *db_prepare2(db_t *db, const char *sql, const char *pg_sql);
void db_finalize(db_stmt_t *st);
/* Clears the statement's rows and bindings, ready to bind again. */
void db_reset(db_stmt_t *st);

void db_bind_null(db_stmt_t *st, int i);
void db_bind_int64(db_stmt_t *st, int i, int64_t v);
/* NULL binds SQL NULL. The text is copied. */
void db_bind_text(db_stmt_t *st, int i, const char *v);
/* At most n bytes of v. */
void db_bind_text_n(db_stmt_t *st, int i, const char *v, size_t n);
/* A blob (BLOB / BYTEA); copied. len 0 binds an empty blob. */
void db_bind_blob(db_stmt_t *st, int i, const void *data, size_t len);

/* DB_ROW with a row to read, DB_DONE when no more, DB_ERROR. */
int db_step(db_stmt_t *st);
/* Columns are 0-based, as in SQLite. */
bool db_column_is_null(db_stmt_t *st, int i);
int64_t db_column_int64(db_stmt_t *st, int i);
/* Borrowed until the next step or reset; "" for NULL. */
const char *db_column_text(db_stmt_t *st, int i);
/* Borrowed until the next step or reset; len 0 and a non-NULL pointer for
 * an empty or NULL blob. */
const void *db_column_blob(db_stmt_t *st, int i, size_t *len);

/* Rows changed by the last INSERT/UPDATE/DELETE stepped on this
 * connection (PostgreSQL: reads the answers of the writes sent ahead, and
 * is -1 when one of them failed: db_errmsg says which). */
int64_t db_changes(db_t *db);
/* SQLite only: the rowid (INTEGER PRIMARY KEY) of the row the
 * connection's last INSERT added; -1 on PostgreSQL. Read right after the
 * INSERT's step, it is what RETURNING id would have read, without
 * RETURNING's cost (SQLite runs the statement to its end and keeps the
 * returned rows in a table of their own: almost half of a step run's
 * INSERT, docs/benchmarks.md, "A run's cost, second pass"). */
int64_t db_sqlite_last_id(db_t *db);
/* The last failure, in the engine's words ("" when none). */
const char *db_errmsg(db_t *db);
db_error_class_t db_error_class(db_t *db);
/* Statements run on the connection since it was opened: a prepared one
 * at its first step after a reset, and each db_exec, BEGIN and COMMIT
 * (logged at db_close). A count that does not move with the machine's
 * load, for what a change to the writers saves (docs/benchmarks.md). */
uint64_t db_statements(const db_t *db);
/* Statements prepared on the connection since it was opened (db_prepare):
 * a prepare parses and plans, so a writer that prepares anew for each
 * shape of a turn pays that again and again (store_batch.c). */
uint64_t db_prepares(const db_t *db);
/* The statement's SQL as prepared (for logs). */
const char *db_sql(db_stmt_t *st);

/* Transactions. Begin takes the write lock at once (SQLite: BEGIN
 * IMMEDIATE). Rollback is harmless when nothing is open (SQLite may have
 * rolled back by itself after an I/O error). */
int db_begin(db_t *db);
int db_commit(db_t *db);
void db_rollback(db_t *db);
bool db_in_transaction(db_t *db);
/* A commit in two halves, so the caller may work while the server does
 * (PostgreSQL): db_commit_start sends the COMMIT behind the transaction's
 * writes; db_commit_finish reads its answer (waiting if it has not come)
 * and returns what db_commit would have. In between, any other call on
 * the connection reads the answer first (its outcome is kept for the
 * finish) and a commit of a transaction begun meanwhile fails if that
 * COMMIT did. db_socket is the descriptor to poll for the answer. SQLite
 * (-1 for its socket): start commits at once, finish returns 0. */
int db_commit_start(db_t *db);
int db_commit_finish(db_t *db);
int db_socket(db_t *db);

/* SQLite only: the connection itself, for what only SQLite has (the online
 * backup, PRAGMAs read as rows); NULL on PostgreSQL. Added by the SQLite
 * engine (db_sqlite.c) for store_backup. */
struct sqlite3 *db_sqlite_handle(db_t *db);

/* PostgreSQL: after DB_ERR_UNAVAILABLE, tries once to reconnect (every
 * statement is prepared again on its next use). 0 when the connection
 * is usable. SQLite: always 0. */
int db_reconnect(db_t *db);

#endif
