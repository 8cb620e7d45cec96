/* db_engine: what db.c and the two engines behind it (db_sqlite.c,
 * db_pg.c) share. db.c holds the public functions of db.h and calls the
 * engine through the connection's table of operations; each engine's
 * connection and statement begin with the common part (struct db, struct
 * db_stmt) and add their own after it.
 *
 * Must never: be included outside db.c, db_sqlite.c and the PostgreSQL
 * engine's files (db_pg.h). */
#ifndef ROTA_DB_ENGINE_H
#define ROTA_DB_ENGINE_H

#include "db.h"

/* An engine's operations. Every pointer is set but those said. db.c has already checked
 * what it documents (a NULL text is bound as NULL before bind_text_n is
 * called, so v is never NULL there). */
typedef struct db_ops {
	void (*close)(db_t *db); /* finalizes its statements and frees db */
	int (*exec)(db_t *db, const char *sql);
	/* sql is already the engine's dialect. */
	db_stmt_t *(*prepare)(db_t *db, const char *sql);
	void (*finalize)(db_stmt_t *st);
	void (*reset)(db_stmt_t *st);
	void (*bind_null)(db_stmt_t *st, int i);
	void (*bind_int64)(db_stmt_t *st, int i, int64_t v);
	void (*bind_text_n)(db_stmt_t *st, int i, const char *v, size_t n);
	void (*bind_blob)(db_stmt_t *st, int i, const void *data, size_t len);
	int (*step)(db_stmt_t *st);
	bool (*column_is_null)(db_stmt_t *st, int i);
	int64_t (*column_int64)(db_stmt_t *st, int i);
	const char *(*column_text)(db_stmt_t *st, int i);
	const void *(*column_blob)(db_stmt_t *st, int i, size_t *len);
	int64_t (*changes)(db_t *db);
	const char *(*errmsg)(db_t *db);
	db_error_class_t (*error_class)(db_t *db);
	const char *(*sql)(db_stmt_t *st);
	int (*begin)(db_t *db);
	int (*commit)(db_t *db);
	void (*rollback)(db_t *db);
	bool (*in_transaction)(db_t *db);
	int (*reconnect)(db_t *db);
	/* May be NULL (SQLite: db_commit_start commits at once, there is no
	 * socket to wait on). */
	int (*commit_start)(db_t *db);
	int (*commit_finish)(db_t *db);
	int (*socket)(db_t *db);
} db_ops_t;

/* The first member of every engine's connection. */
struct db {
	const db_ops_t *ops;
	db_engine_t engine;
	uint64_t statements; /* run on it (db_statements), counted by db.c */
	uint64_t prepares;   /* prepared on it (db_prepares), counted by db.c */
};

/* The first member of every engine's statement. */
struct db_stmt {
	db_t *db;     /* borrowed: the connection that prepared it */
	bool stepped; /* stepped since its last reset: counted once */
};

/* The engines' openers, called by db_open. Same contract as db_open (the
 * target is the caller's; *error names it redacted). */
db_t *db_sqlite_open(const db_options_t *options, char **error);
db_t *db_pg_open(const db_options_t *options, char **error);

#endif
