/* db_sqlite: the SQLite engine behind db.h. SQLite's API is db.h's model,
 * so this is mostly a thin layer: statements are prepared PERSISTENT (the
 * store keeps them for its life), text and blobs are bound TRANSIENT
 * (copied), `?`/`?N` are SQLite's own, and a transaction begins IMMEDIATE
 * so the write lock is taken at BEGIN, not halfway through a turn. */
#include "db_engine.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>

#include "xalloc.h"

typedef struct db_sqlite_stmt db_sqlite_stmt_t;

typedef struct {
	struct db base;
	sqlite3 *conn; /* owned */
	/* The last call's SQLite code (SQLITE_OK after a success), for
	 * db_errmsg and db_error_class. */
	int rc;
	db_sqlite_stmt_t *stmts; /* owned: every statement still prepared */
} db_sqlite_t;

struct db_sqlite_stmt {
	struct db_stmt base;
	sqlite3_stmt *st;              /* owned */
	db_sqlite_stmt_t *prev, *next; /* the connection's list */
};

static db_sqlite_t *
sq(db_t *db)
{
	return (db_sqlite_t *)db;
}

static db_sqlite_stmt_t *
sst(db_stmt_t *st)
{
	return (db_sqlite_stmt_t *)st;
}

static void
sq_finalize(db_stmt_t *stmt)
{
	db_sqlite_stmt_t *st = sst(stmt);
	db_sqlite_t *d = sq(st->base.db);
	if (st->prev)
		st->prev->next = st->next;
	else
		d->stmts = st->next;
	if (st->next)
		st->next->prev = st->prev;
	sqlite3_finalize(st->st);
	free(st);
}

static void
sq_close(db_t *db)
{
	db_sqlite_t *d = sq(db);
	while (d->stmts != NULL)
		sq_finalize(&d->stmts->base);
	sqlite3_close(d->conn);
	free(d);
}

static int
sq_exec(db_t *db, const char *sql)
{
	db_sqlite_t *d = sq(db);
	d->rc = sqlite3_exec(d->conn, sql, NULL, NULL, NULL);
	return d->rc == SQLITE_OK ? 0 : DB_ERROR;
}

static db_stmt_t *
sq_prepare(db_t *db, const char *sql)
{
	db_sqlite_t *d = sq(db);
	sqlite3_stmt *raw = NULL;
	d->rc = sqlite3_prepare_v3(d->conn, sql, -1, SQLITE_PREPARE_PERSISTENT, &raw, NULL);
	if (d->rc != SQLITE_OK) {
		sqlite3_finalize(raw);
		return NULL;
	}
	if (raw == NULL) { /* only a comment or white space */
		d->rc = SQLITE_MISUSE;
		return NULL;
	}
	db_sqlite_stmt_t *st = xcalloc(1, sizeof(*st));
	st->base.db = db;
	st->st = raw;
	st->next = d->stmts;
	if (d->stmts)
		d->stmts->prev = st;
	d->stmts = st;
	return &st->base;
}

static void
sq_reset(db_stmt_t *st)
{
	sqlite3_reset(sst(st)->st);
	sqlite3_clear_bindings(sst(st)->st);
}

static void
sq_bind_null(db_stmt_t *st, int i)
{
	sqlite3_bind_null(sst(st)->st, i);
}

static void
sq_bind_int64(db_stmt_t *st, int i, int64_t v)
{
	sqlite3_bind_int64(sst(st)->st, i, v);
}

static void
sq_bind_text_n(db_stmt_t *st, int i, const char *v, size_t n)
{
	sqlite3_bind_text64(sst(st)->st, i, v, n, SQLITE_TRANSIENT, SQLITE_UTF8);
}

static void
sq_bind_blob(db_stmt_t *st, int i, const void *data, size_t len)
{
	sqlite3_bind_blob64(sst(st)->st, i, data, len, SQLITE_TRANSIENT);
}

static int
sq_step(db_stmt_t *st)
{
	db_sqlite_t *d = sq(st->db);
	int rc = sqlite3_step(sst(st)->st);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
		d->rc = SQLITE_OK;
		return rc == SQLITE_ROW ? DB_ROW : DB_DONE;
	}
	d->rc = rc;
	return DB_ERROR;
}

static bool
sq_column_is_null(db_stmt_t *st, int i)
{
	return sqlite3_column_type(sst(st)->st, i) == SQLITE_NULL;
}

static int64_t
sq_column_int64(db_stmt_t *st, int i)
{
	return sqlite3_column_int64(sst(st)->st, i);
}

static const char *
sq_column_text(db_stmt_t *st, int i)
{
	return (const char *)sqlite3_column_text(sst(st)->st, i);
}

static const void *
sq_column_blob(db_stmt_t *st, int i, size_t *len)
{
	/* sqlite3_column_blob before sqlite3_column_bytes, as SQLite advises. */
	const void *data = sqlite3_column_blob(sst(st)->st, i);
	*len = (size_t)sqlite3_column_bytes(sst(st)->st, i);
	return data;
}

static int64_t
sq_changes(db_t *db)
{
	return sqlite3_changes64(sq(db)->conn);
}

int64_t
db_sqlite_last_id(db_t *db)
{
	if (db->engine != DB_SQLITE)
		return -1;
	return sqlite3_last_insert_rowid(sq(db)->conn);
}

static const char *
sq_errmsg(db_t *db)
{
	db_sqlite_t *d = sq(db);
	return d->rc == SQLITE_OK ? "" : sqlite3_errmsg(d->conn);
}

/* A file that cannot be read or written any more (deleted, replaced,
 * corrupt, an I/O error) is "unavailable": the store refuses writes until
 * it is back, as it always has. A full disk is not: it is the operator's
 * to free, and is reported as it is (DB_ERR_OTHER). */
static db_error_class_t
sq_error_class(db_t *db)
{
	switch (sq(db)->rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return DB_ERR_NONE;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return DB_ERR_BUSY;
	case SQLITE_CONSTRAINT:
		return DB_ERR_CONSTRAINT;
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
	case SQLITE_READONLY:
		return DB_ERR_UNAVAILABLE;
	default:
		return DB_ERR_OTHER;
	}
}

static const char *
sq_sql(db_stmt_t *st)
{
	return sqlite3_sql(sst(st)->st);
}

static int
sq_begin(db_t *db)
{
	return sq_exec(db, "BEGIN IMMEDIATE");
}

static int
sq_commit(db_t *db)
{
	return sq_exec(db, "COMMIT");
}

static bool
sq_in_transaction(db_t *db)
{
	return !sqlite3_get_autocommit(sq(db)->conn);
}

/* SQLite rolls a transaction back by itself after some errors (a full
 * disk, an I/O error); a ROLLBACK then would only fail with "no
 * transaction is active". The failure that caused it stays the one
 * db_errmsg reports. */
static void
sq_rollback(db_t *db)
{
	db_sqlite_t *d = sq(db);
	if (!sq_in_transaction(db))
		return;
	int rc = d->rc;
	if (sqlite3_exec(d->conn, "ROLLBACK", NULL, NULL, NULL) == SQLITE_OK && rc != SQLITE_OK)
		d->rc = rc;
}

static int
sq_reconnect(db_t *db)
{
	(void)db;
	return 0;
}

static const db_ops_t db_sqlite_ops = {
    .close = sq_close,
    .exec = sq_exec,
    .prepare = sq_prepare,
    .finalize = sq_finalize,
    .reset = sq_reset,
    .bind_null = sq_bind_null,
    .bind_int64 = sq_bind_int64,
    .bind_text_n = sq_bind_text_n,
    .bind_blob = sq_bind_blob,
    .step = sq_step,
    .column_is_null = sq_column_is_null,
    .column_int64 = sq_column_int64,
    .column_text = sq_column_text,
    .column_blob = sq_column_blob,
    .changes = sq_changes,
    .errmsg = sq_errmsg,
    .error_class = sq_error_class,
    .sql = sq_sql,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .in_transaction = sq_in_transaction,
    .reconnect = sq_reconnect,
};

/* SQLite's memory statistics (on by default) take a process-wide mutex
 * and update counters on every sqlite3_malloc and sqlite3_free: about 75
 * of each a run in the throughput scenario, 3 to 4 % of the loop's
 * instructions. Nothing here reads the statistics (sqlite3_status,
 * sqlite3_memory_used, a soft heap limit). The setting is accepted only
 * before SQLite initializes, i.e. before the process's first open; when
 * something opened SQLite first (SQLITE_MISUSE), the statistics stay on,
 * which costs speed, not correctness. */
static pthread_once_t db_sqlite_once = PTHREAD_ONCE_INIT;

static void
db_sqlite_configure(void)
{
	/* SQLITE_MISUSE when initialized already: see above. */
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

db_t *
db_sqlite_open(const db_options_t *o, char **error)
{
	if (pthread_once(&db_sqlite_once, db_sqlite_configure) != 0) {
		*error = xasprintf("cannot configure SQLite");
		return NULL;
	}
	db_sqlite_t *d = xcalloc(1, sizeof(*d));
	d->base.ops = &db_sqlite_ops;
	d->base.engine = DB_SQLITE;
	/* NOMUTEX: one thread uses a connection, so SQLite's per-call
	 * mutexes only cost (4 % of the coordinator under load). */
	int flags =
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (o->create ? SQLITE_OPEN_CREATE : 0);
	d->rc = sqlite3_open_v2(o->target, &d->conn, flags, NULL);
	if (d->rc != SQLITE_OK) {
		*error = xasprintf("cannot open %s: %s", o->target,
		                   d->conn ? sqlite3_errmsg(d->conn) : "out of memory");
		sqlite3_close(d->conn);
		free(d);
		return NULL;
	}
	if (o->busy_timeout_ms > 0)
		sqlite3_busy_timeout(d->conn, o->busy_timeout_ms);
	return &d->base;
}

struct sqlite3 *
db_sqlite_handle(db_t *db)
{
	return db->engine == DB_SQLITE ? sq(db)->conn : NULL;
}
