/* db_pg_tx: a PostgreSQL connection's transactions, for db_pg.c: BEGIN
 * sent with the transaction's first statement, COMMIT waited for at once
 * (db_commit) or left in flight (db_commit_start) until db_commit_finish,
 * and ROLLBACK.
 *
 * Why a COMMIT in flight: the server takes about as long to execute a
 * turn's writes (a few hundred runs' rows) as the loop takes to read the
 * next turn's messages; waiting for each COMMIT, the loop and the server
 * took turns on the machine's cores instead of working together. The
 * loop sends a turn's COMMIT, reads the next turn while the server works,
 * and tells nobody of the first turn before db_commit_finish says it is
 * durable (coordinator_commit.c).
 *
 * Rules while a COMMIT is in flight: nothing else is sent before its
 * answer is read (a libpq pipeline's answers come in order): every call
 * that sends or waits reads it first (db_pg_tx_read_inflight), keeping
 * its outcome for db_commit_finish; BEGIN is not sent before the next
 * statement, so a turn may begin meanwhile. A failed COMMIT in flight
 * that db_commit_finish has not taken makes every later commit fail: a
 * transaction that followed a failed one rests on writes that are not
 * there, and must never commit.
 *
 * Must never: report a COMMIT in flight as done before its answer is
 * read; commit anything after a failed COMMIT not yet taken. */
#include "db_pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static db_pg_t *
pg(db_t *db)
{
	return (db_pg_t *)db;
}

bool
db_pg_in_transaction(db_t *db)
{
	db_pg_t *d = pg(db);
	if (d->begin_pending)
		return true;
	/* The server is busy with the last turn's COMMIT: nothing of the
	 * caller's is open. */
	if (d->inflight && !d->inflight_read)
		return false;
	PGTransactionStatusType t = PQtransactionStatus(d->conn);
	return t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
}

/* READ COMMITTED, PostgreSQL's default: the leader is the only writer
 * (db_pg.c's banner), so a stricter level would only add retries. */
int
db_pg_begin(db_t *db)
{
	db_pg_t *d = pg(db);
	/* PostgreSQL only warns about a nested BEGIN; SQLite refuses it, and
	 * so does this, so a caller's mistake shows on both. */
	if (db_pg_in_transaction(db)) {
		db_pg_fail_with(d, DB_ERR_OTHER, "cannot begin a transaction within a transaction");
		return DB_ERROR;
	}
	if (PQstatus(d->conn) != CONNECTION_OK) {
		db_pg_fail(d, NULL, "the connection to the database is lost");
		return DB_ERROR;
	}
	/* Sent with the first statement (db_pg_tx_ready), as the writes
	 * after it: its answer is read with theirs. */
	d->begin_pending = true;
	d->pipe.wanted = true;
	return 0;
}

int
db_pg_tx_ready(db_pg_t *d)
{
	db_pg_tx_read_inflight(d);
	if (!d->begin_pending)
		return 0;
	d->begin_pending = false;
	if (db_pg_pipe_send(d->conn, &d->pipe, NULL, "BEGIN", 0, NULL, NULL, NULL, NULL, "BEGIN") !=
	    0) {
		db_pg_fail(d, NULL, "cannot send BEGIN");
		return DB_ERROR;
	}
	return 0;
}

/* A write of the transaction failed (its error already the connection's):
 * the server holds the failed transaction open until told, so it is ended
 * here, as a COMMIT refused ends it. */
static int
pg_commit_refused(db_pg_t *d)
{
	if (PQstatus(d->conn) == CONNECTION_OK && PQtransactionStatus(d->conn) == PQTRANS_INERROR) {
		d->trips++;
		PQclear(PQexec(d->conn, "ROLLBACK"));
		char *msg = xasprintf("%s; the transaction was rolled back", d->errmsg);
		free(d->errmsg);
		d->errmsg = msg;
	}
	return DB_ERROR;
}

/* COMMIT sent behind the writes still unanswered (a failed write aborts
 * it). 1: nothing was ever sent in the transaction, so there is nothing
 * to commit and nothing to read; 0: sent; DB_ERROR: refused or not sent. */
static int
pg_commit_send(db_pg_t *d)
{
	db_pg_tx_read_inflight(d);
	if (d->inflight && d->inflight_rc != 0) {
		d->pipe.wanted = false;
		d->begin_pending = false;
		db_pg_fail_with(d, DB_ERR_OTHER,
		                "cannot commit: the transaction before it failed to commit");
		return DB_ERROR;
	}
	if (d->begin_pending) {
		d->begin_pending = false;
		d->pipe.wanted = false;
		return 1;
	}
	/* No transaction: it was lost with the connection (a reconnect
	 * since BEGIN), or never begun. PostgreSQL would only warn. */
	if (PQstatus(d->conn) == CONNECTION_OK && !db_pg_in_transaction(&d->base)) {
		db_pg_fail_with(d, DB_ERR_OTHER, "cannot commit: no transaction is open");
		return DB_ERROR;
	}
	d->pipe.wanted = false;
	/* A pipe with no room left for the COMMIT is read first. */
	if (d->pipe.on && db_pg_pipe_full(&d->pipe) && db_pg_settle(d) != 0)
		return pg_commit_refused(d);
	if (db_pg_pipe_send(d->conn, &d->pipe, NULL, "COMMIT", 0, NULL, NULL, NULL, NULL,
	                    "COMMIT") != 0) {
		db_pg_fail(d, NULL, "cannot send COMMIT");
		return DB_ERROR;
	}
	return 0;
}

/* The answers up to the COMMIT's, in one round trip. A transaction that
 * had failed is rolled back, and the server says so only in the tag. */
static int
pg_commit_read(db_pg_t *d)
{
	char tag[32] = "";
	if (db_pg_pipe_drain(d->conn, &d->pipe, &d->changes, tag, sizeof(tag)) != 0) {
		db_pg_fail_pipe(d);
		return pg_commit_refused(d);
	}
	if (strcmp(tag, "ROLLBACK") == 0) {
		db_pg_fail_with(d, DB_ERR_OTHER,
		                "the transaction was rolled back: a statement in it had failed");
		return DB_ERROR;
	}
	return 0;
}

int
db_pg_commit(db_t *db)
{
	int rc = pg_commit_send(pg(db));
	if (rc != 0)
		return rc == 1 ? 0 : DB_ERROR;
	return pg_commit_read(pg(db));
}

/* The outcome of the COMMIT in flight, read now. */
static void
pg_inflight_take(db_pg_t *d)
{
	d->inflight_read = true;
	d->inflight_rc = pg_commit_read(d);
	if (d->inflight_rc != 0) {
		free(d->inflight_error);
		d->inflight_error = xstrdup(d->errmsg ? d->errmsg : "the COMMIT failed");
		d->inflight_class = d->error_class;
	}
}

void
db_pg_tx_read_inflight(db_pg_t *d)
{
	if (!d->inflight || d->inflight_read)
		return;
	d->inflight_early++;
	pg_inflight_take(d);
}

int
db_pg_commit_start(db_t *db)
{
	db_pg_t *d = pg(db);
	if (d->inflight) {
		db_pg_fail_with(
		    d, DB_ERR_OTHER,
		    "cannot commit: the last COMMIT is still in flight (db_commit_finish)");
		return DB_ERROR;
	}
	int rc = pg_commit_send(d);
	if (rc == DB_ERROR)
		return DB_ERROR;
	d->inflight = true;
	d->inflight_read = rc == 1; /* nothing sent: done already */
	d->inflight_rc = 0;
	/* A Sync that could not be sent fails the read, as a lost
	 * connection does. */
	if (rc == 0)
		(void)db_pg_pipe_sync(d->conn, &d->pipe);
	return 0;
}

int
db_pg_commit_finish(db_t *db)
{
	db_pg_t *d = pg(db);
	if (!d->inflight)
		return 0;
	if (!d->inflight_read)
		pg_inflight_take(d);
	d->inflight = false;
	if (d->inflight_rc == 0)
		return 0;
	/* Its own failure, whatever the calls since reported. */
	free(d->errmsg);
	d->errmsg = d->inflight_error;
	d->inflight_error = NULL;
	d->error_class = d->inflight_class;
	return DB_ERROR;
}

int
db_pg_socket(db_t *db)
{
	return PQsocket(pg(db)->conn);
}

/* The failure that made the caller roll back stays the one db_errmsg
 * reports. */
void
db_pg_rollback(db_t *db)
{
	db_pg_t *d = pg(db);
	db_pg_tx_read_inflight(d);
	d->pipe.wanted = false;
	if (d->begin_pending) {
		d->begin_pending = false; /* nothing was sent */
		return;
	}
	if (d->pipe.on) {
		/* The writes' answers are read and dropped: the failure that is
		 * reported is the caller's. */
		int64_t changes = 0;
		db_pg_pipe_drain(d->conn, &d->pipe, &changes, NULL, 0);
		db_pg_pipe_forget(&d->pipe);
	}
	if (PQstatus(d->conn) != CONNECTION_OK || !db_pg_in_transaction(db))
		return;
	d->trips++;
	PQclear(PQexec(d->conn, "ROLLBACK"));
}

void
db_pg_tx_lost(db_pg_t *d)
{
	d->begin_pending = false;
	if (!d->inflight || d->inflight_read)
		return;
	d->inflight_read = true;
	d->inflight_rc = DB_ERROR;
	free(d->inflight_error);
	d->inflight_error = xstrdup("the connection to the database was lost with a COMMIT on its"
	                            " way: whether it committed is read back from the store");
	d->inflight_class = DB_ERR_UNAVAILABLE;
}
