/* db_pg: what the PostgreSQL engine's files share (db_pg.c, the engine;
 * db_pg_conn.c, connecting; db_pg_sql.c, the SQL's parameters;
 * db_pg_pipe.c, a transaction's writes sent without waiting).
 *
 * Must never: be included outside those files. */
#ifndef ROTA_DB_PG_H
#define ROTA_DB_PG_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "db_engine.h"

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

/* An INSERT, UPDATE or DELETE without RETURNING (sql as translated): a
 * write whose answer may wait (db_pg_pipe.c). */
bool db_pg_plain_write(const char *sql);

/* A write joined to a list of rows (UPDATE ... FROM (VALUES ...), or FROM
 * unnest(...) of arrays): its
 * best plan depends on the tables' sizes as they are now, so it is
 * planned at each run rather than once (db_pg.c). */
bool db_pg_replanned(const char *sql);

/* A failure's class from its SQLSTATE (NULL: none) and the connection's
 * state: serialization failure, deadlock and lock-not-available are BUSY;
 * connection exceptions (08), shutdowns (57P01-57P03) and a broken
 * connection UNAVAILABLE; integrity violations (23) CONSTRAINT. */
db_error_class_t db_pg_error_class(PGconn *conn, const char *sqlstate);

/* The writes of a transaction sent and not yet answered (db_pg_pipe.c).
 * One per connection. */
#define DB_PG_PIPE_MAX 256
typedef struct {
	bool wanted; /* in a transaction begun by db_begin: writes may wait */
	bool on;     /* in libpq's pipeline mode */
	bool broken; /* the last drain lost the connection's thread */
	/* A Sync is sent (db_pg_pipe_sync): the answers wait to be read,
	 * and nothing more may be sent before they are. */
	bool synced, sync_failed;
	int pending; /* statements sent whose answers are not read */
	/* Each pending statement's SQL, for the error (borrowed: a statement
	 * is finalized only after a drain). */
	const char *sql[DB_PG_PIPE_MAX];
	PGresult *failed; /* owned: the first failure read, or NULL */
	/* The next drain keeps the last statement's answer in kept (owned
	 * until the caller takes it): a query sent behind the writes. */
	bool keep_last;
	PGresult *kept;
	const char *failed_sql; /* its statement (borrowed, as sql[]) */
	/* Counted for make bench: statements sent without waiting, and
	 * drains (one round trip each). */
	uint64_t sent, waits;
} db_pg_pipe_t;

/* Sends a prepared statement (name) or, name NULL, the statement text
 * unnamed (parsed and planned for this run, types may be NULL) without
 * reading its answer; sql names it in an error. Enters pipeline mode
 * first when needed. -1 when libpq could not send. */
int db_pg_pipe_send(PGconn *conn, db_pg_pipe_t *p, const char *name, const char *text, int n,
                    const Oid *types, const char *const *values, const int *lengths,
                    const int *formats, const char *sql);
/* True when no more may be sent before a drain. */
bool db_pg_pipe_full(const db_pg_pipe_t *p);
/* Rows changed into *changes, for the commands SQLite counts (INSERT,
 * UPDATE, DELETE, and MERGE); a SELECT leaves the count as it was, as on
 * SQLite. */
void db_pg_note_changes(PGresult *res, int64_t *changes);
/* Reads every pending answer (one Sync) and leaves pipeline mode. 0 when
 * all succeeded; -1 when one failed (p->failed says which and why; the
 * caller reports it and calls db_pg_pipe_forget) or the connection broke
 * (p->broken). *changes gets the last write's row count, tag (when not
 * NULL) the last answer's command tag. Nothing pending: 0 at once. */
int db_pg_pipe_drain(PGconn *conn, db_pg_pipe_t *p, int64_t *changes, char *tag, size_t tag_len);
/* Sends the Sync that ends what is pending (flushed to the server)
 * without reading the answers: the next drain reads them. -1 when libpq
 * could not send it (the drain then fails as for a lost connection). */
int db_pg_pipe_sync(PGconn *conn, db_pg_pipe_t *p);
/* Clears a failure reported. */
void db_pg_pipe_forget(db_pg_pipe_t *p);
/* The connection was reset: nothing is pending any more. */
void db_pg_pipe_lost(db_pg_pipe_t *p);

/* A connection (db_pg.c; its transactions in db_pg_tx.c). */
typedef struct db_pg_stmt db_pg_stmt_t;
typedef struct {
	struct db base;
	PGconn *conn; /* owned */
	/* Bumped by each reconnect: a statement prepared in an older
	 * generation is prepared again before it runs. Starts at 1; a
	 * statement's 0 means never prepared. */
	unsigned generation;
	unsigned next_name; /* the next statement's name, rota_N */
	int64_t changes;
	char *errmsg; /* owned: the last failure, NULL after a success */
	db_error_class_t error_class;
	db_pg_stmt_t *stmts; /* owned: every statement still prepared */
	db_pg_pipe_t pipe;   /* the transaction's writes not yet answered */
	uint64_t trips;      /* statements waited for (logged at close) */
	/* db_begin was called and nothing sent since: BEGIN goes with the
	 * transaction's first statement (db_pg_tx.c), so a turn can begin
	 * while the last turn's COMMIT is still on its way. */
	bool begin_pending;
	/* A COMMIT sent by db_commit_start whose answer is not yet known
	 * (inflight), read (inflight_read) with its outcome (inflight_rc,
	 * and inflight_error, owned, its message) until db_commit_finish
	 * takes it. */
	bool inflight, inflight_read;
	int inflight_rc;
	db_error_class_t inflight_class;
	char *inflight_error;
	uint64_t inflight_early; /* read by another call than the finish */
} db_pg_t;

/* The connection's error: from a result (res may be NULL: libpq's
 * message, else fallback), of rota's own making, or from a drain that
 * failed (naming the statement). */
void db_pg_fail(db_pg_t *d, const PGresult *res, const char *fallback);
void db_pg_fail_with(db_pg_t *d, db_error_class_t cls, const char *msg);
void db_pg_fail_pipe(db_pg_t *d);
/* Reads a COMMIT in flight, then the answers of the writes sent and left;
 * a failure among the writes becomes the connection's error and -1. */
int db_pg_settle(db_pg_t *d);

/* Transactions (db_pg_tx.c), db_engine.h's operations. */
bool db_pg_in_transaction(db_t *db);
int db_pg_begin(db_t *db);
int db_pg_commit(db_t *db);
int db_pg_commit_start(db_t *db);
int db_pg_commit_finish(db_t *db);
int db_pg_socket(db_t *db);
void db_pg_rollback(db_t *db);
/* Before a statement is sent: the COMMIT in flight read, a pending BEGIN
 * sent. -1 when BEGIN could not be sent. */
int db_pg_tx_ready(db_pg_t *d);
/* The COMMIT in flight read now, its outcome kept for db_commit_finish. */
void db_pg_tx_read_inflight(db_pg_t *d);
/* The connection was reset or is closing: a COMMIT in flight is given up
 * (its outcome unknown: failed, as a lost connection's COMMIT). */
void db_pg_tx_lost(db_pg_t *d);

#endif
