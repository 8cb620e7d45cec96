/* db_pg: what the PostgreSQL engine's files share (db_pg.c, the engine;
 * db_pg_conn.c, connecting; db_pg_sql.c, the SQL's parameters).
 *
 * Must never: be included outside those files. */
#ifndef ROTA_DB_PG_H
#define ROTA_DB_PG_H

#include <libpq-fe.h>

#include "db.h"

/* Connects as options says: refuses a URL holding a password, reads and
 * checks options->password_file, and hands libpq the store's defaults
 * (application_name, timeouts) under whatever the URL sets. NULL with
 * *error (caller frees) naming the target redacted. */
PGconn *db_pg_connect(const db_options_t *options, char **error);

/* The SQL with `?` and `?N` as `$N`, numbered as SQLite numbers them, into
 * a new string the caller frees; *nparams gets the largest number. */
char *db_pg_translate(const char *sql, int *nparams);

/* A message (libpq's, over several lines) on one line for a log: runs of
 * white space as one space, none at either end; a new string the caller
 * frees. */
char *db_pg_one_line(const char *msg);

#endif
