/* db_pg: the PostgreSQL engine behind db.h, over libpq.
 *
 * Statements: the SQL's `?` and `?N` become `$N` (outside quoted strings,
 * quoted names, dollar-quoted bodies and comments); each statement is
 * prepared on the server (PQprepare, named rota_N by a per-connection
 * counter) when db_prepare is called, so bad SQL is reported there as on
 * SQLite, and prepared again on its next run after a reconnect (the server
 * forgets a session's statements: a generation counter, bumped by every
 * reconnect, says which are stale). Parameter types are the server's to
 * infer from the SQL; where it cannot (SQLite lets `?1` be a BIGINT
 * column's value and part of `?1 + 1`), the statement is prepared at its
 * first run with them declared from what was bound (pg_validate).
 *
 * Values: parameters travel as text, except blobs, sent in binary so
 * BYTEA holds the exact bytes. Results come back as text (one format for
 * the whole result, as libpq asks); a BYTEA column is decoded with
 * PQunescapeBytea when read, by db_column_blob and db_column_text alike
 * (SQLite hands out a blob's bytes as text too). A boolean column ('t',
 * 'f') reads as the integer 1 or 0, as a comparison does on SQLite.
 *
 * Rows: db_step runs the statement on its first call and keeps the whole
 * result, handing out one row per call. Single-row mode would hold the
 * connection until the last row was read, and the store runs other
 * statements while it walks a query's rows; its queries are bounded
 * (LIMIT) so the whole result is small.
 *
 * Transactions: BEGIN at PostgreSQL's default READ COMMITTED. That is
 * enough here: only the leader writes (the lease and the epoch checked
 * inside each write transaction see to it), so no two writers race for
 * the same rows. Unlike SQLite, a failed statement aborts the whole
 * transaction on PostgreSQL: a caller must not "try an INSERT and carry
 * on" inside one (use ON CONFLICT instead). A COMMIT of such a
 * transaction is refused here (the server answers it with ROLLBACK).
 *
 * Errors are classed by SQLSTATE (db_pg_error_class, db_pg_pipe.c).
 *
 * Writes inside a transaction are not waited for (db_pg_pipe.c): an
 * INSERT, UPDATE or DELETE without RETURNING is sent, and its answer read
 * with the others' at the next call that must wait (a query, db_changes,
 * COMMIT); a failed one fails that call, and the COMMIT after it.
 *
 * Connecting and the password rules are db_pg_conn.c's; the SQL's `?`
 * to `$N`, db_pg_sql.c's.
 *
 * Must never: log or put a password into an error; print a target other
 * than db_target_redacted's. */
#include "db_engine.h"
#include "db_pg.h"

#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xalloc.h"

/* PostgreSQL's type oids (pg_type.dat): columns read specially, and the
 * types a statement's parameters are declared with when the server cannot
 * tell them from the SQL. */
#define DB_PG_BOOLOID 16
#define DB_PG_BYTEAOID 17
#define DB_PG_INT8OID 20

/* A parameter as libpq takes it. */
typedef struct {
	char *value; /* owned; NULL: SQL NULL */
	int length;  /* bytes of a binary value */
	int format;  /* 0 text, 1 binary */
	Oid type;    /* what was bound: int8, bytea, or 0 (text, NULL) */
} db_pg_param_t;

/* A BYTEA column of the current row, decoded once. */
typedef struct {
	unsigned char *data; /* owned: NUL-terminated after len bytes */
	size_t len;
	bool done;
} db_pg_decoded_t;

struct db_pg_stmt {
	struct db_stmt base;
	char *sql;  /* owned: as given, for db_sql */
	char *text; /* owned: translated to $N */
	char name[32];
	unsigned generation; /* when it was prepared on the server (0: not) */
	/* The server could not tell the parameters' types from the SQL
	 * alone: declared from the first run's bindings (types, owned),
	 * and the statement prepared then. */
	bool typed;
	Oid *types;
	int nparams;
	db_pg_param_t *params; /* owned: nparams of them */
	/* What PQexecPrepared takes, pointing into params (owned arrays
	 * of nparams, filled at each run). */
	const char **values;
	int *lengths, *formats;
	int bad_index;             /* a bind past the parameters (0: none) */
	bool deferrable;           /* a write without rows: may be sent and left */
	bool replanned;            /* run unnamed, planned each run (db_pg_replanned) */
	bool deferred;             /* this run was sent and left (db_pg_pipe.c) */
	PGresult *res;             /* owned: the result being handed out */
	int row;                   /* the row db_step handed out last */
	db_pg_decoded_t *decoded;  /* owned: one per column of res */
	db_pg_stmt_t *prev, *next; /* the connection's list */
};

static db_pg_t *
pg(db_t *db)
{
	return (db_pg_t *)db;
}

static db_pg_stmt_t *
pst(db_stmt_t *st)
{
	return (db_pg_stmt_t *)st;
}

/* ---- errors ---- */

static void
pg_ok(db_pg_t *d)
{
	free(d->errmsg);
	d->errmsg = NULL;
	d->error_class = DB_ERR_NONE;
}

/* Keeps a failure's message, on one line for the log (the server's own
 * words and its detail, without libpq's "ERROR:" and layout), and its
 * class. res may be NULL (libpq could not even send the command). */
void
db_pg_fail(db_pg_t *d, const PGresult *res, const char *fallback)
{
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
	char *msg; /* owned */
	if (primary != NULL && detail != NULL)
		msg = xasprintf("%s (%s)", primary, detail);
	else if (primary != NULL)
		msg = xstrdup(primary);
	else if (PQerrorMessage(d->conn)[0] != '\0')
		msg = xstrdup(PQerrorMessage(d->conn));
	else
		msg = xstrdup(fallback);
	free(d->errmsg);
	d->errmsg = db_pg_one_line(msg);
	free(msg);
	d->error_class =
	    db_pg_error_class(d->conn, res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL);
}

/* A failure of rota's own making (a misuse, not the server's). */
void
db_pg_fail_with(db_pg_t *d, db_error_class_t cls, const char *msg)
{
	free(d->errmsg);
	d->errmsg = xstrdup(msg);
	d->error_class = cls;
}

/* A drain's failure as the connection's error, naming the statement. */
void
db_pg_fail_pipe(db_pg_t *d)
{
	if (d->pipe.failed != NULL) {
		db_pg_fail(d, d->pipe.failed, "the statement failed");
		char *msg = xasprintf("%s (in: %.120s)", d->errmsg, d->pipe.failed_sql);
		free(d->errmsg);
		d->errmsg = msg;
	} else {
		db_pg_fail(d, NULL, "the connection to the database is lost");
		/* A pipeline that could not be read to its end leaves the
		 * connection in a state no later statement can use, even when
		 * the socket is still up: only db_reconnect, which the store
		 * calls for an unavailable database, starts it again. */
		d->error_class = DB_ERR_UNAVAILABLE;
	}
	db_pg_pipe_forget(&d->pipe);
}

/* Reads the answers of the writes sent and left; a failure among them
 * becomes the connection's error and -1. */
int
db_pg_settle(db_pg_t *d)
{
	db_pg_tx_read_inflight(d);
	if (!d->pipe.on || db_pg_pipe_drain(d->conn, &d->pipe, &d->changes, NULL, 0) == 0)
		return 0;
	db_pg_fail_pipe(d);
	return -1;
}

/* ---- statements ---- */

static void
pg_clear_result(db_pg_stmt_t *st)
{
	if (st->decoded != NULL && st->res != NULL) {
		int cols = PQnfields(st->res);
		for (int c = 0; c < cols; c++) {
			free(st->decoded[c].data);
			st->decoded[c] = (db_pg_decoded_t){0};
		}
	}
	free(st->decoded);
	st->decoded = NULL;
	PQclear(st->res);
	st->res = NULL;
	st->row = -1;
	st->deferred = false;
}

static void
pg_clear_params(db_pg_stmt_t *st)
{
	for (int i = 0; i < st->nparams; i++) {
		free(st->params[i].value);
		st->params[i] = (db_pg_param_t){0};
	}
	st->bad_index = 0;
}

/* Prepares st on the server for the connection's current generation. */
static int
pg_server_prepare(db_pg_stmt_t *st)
{
	db_pg_t *d = pg(st->base.db);
	d->trips++;
	PGresult *res =
	    PQprepare(d->conn, st->name, st->text, st->nparams, st->typed ? st->types : NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		db_pg_fail(d, res, "cannot prepare the statement");
		PQclear(res);
		return -1;
	}
	PQclear(res);
	st->generation = d->generation;
	return 0;
}

/* The server infers a parameter's type from where it stands; it cannot
 * when the SQL alone leaves it open, as SQLite's untyped parameters allow
 * (`?1` both a BIGINT column's value and in `?1 + 1`, `? + ?`). Such a
 * statement is prepared at its first run, its parameters declared as
 * bound (an int64 as BIGINT, a blob as BYTEA). */
static bool
pg_types_undecided(const PGresult *res)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	return state != NULL && (strcmp(state, "42P08") == 0 || strcmp(state, "42P18") == 0 ||
	                         strcmp(state, "42725") == 0 || strcmp(state, "42883") == 0);
}

/* Prepares st as db_prepare does: now, so that bad SQL is refused there
 * as SQLite refuses it, or at its first run when only the parameters'
 * types are in doubt. Inside a transaction a savepoint keeps a refusal
 * from aborting the caller's transaction (SQLite's would not). */
static int
pg_validate(db_pg_stmt_t *st)
{
	db_pg_t *d = pg(st->base.db);
	if (db_pg_settle(d) != 0)
		return -1;
	d->trips++;
	bool in_tx = PQtransactionStatus(d->conn) == PQTRANS_INTRANS;
	if (in_tx) {
		PGresult *sp = PQexec(d->conn, "SAVEPOINT rota_prepare");
		bool ok = PQresultStatus(sp) == PGRES_COMMAND_OK;
		if (!ok)
			db_pg_fail(d, sp, "cannot prepare the statement");
		PQclear(sp);
		if (!ok)
			return -1;
	}
	PGresult *res = PQprepare(d->conn, st->name, st->text, st->nparams, NULL);
	ExecStatusType status = PQresultStatus(res);
	int rc = 0;
	if (status == PGRES_COMMAND_OK) {
		st->generation = d->generation;
	} else if (pg_types_undecided(res)) {
		st->typed = true;
	} else {
		db_pg_fail(d, res, "cannot prepare the statement");
		rc = -1;
	}
	PQclear(res);
	if (in_tx) {
		const char *undo = status == PGRES_COMMAND_OK
		                       ? "RELEASE SAVEPOINT rota_prepare"
		                       : "ROLLBACK TO SAVEPOINT rota_prepare; RELEASE SAVEPOINT"
		                         " rota_prepare";
		PGresult *end = PQexec(d->conn, undo);
		if (PQresultStatus(end) != PGRES_COMMAND_OK && rc == 0) {
			db_pg_fail(d, end, "cannot prepare the statement");
			rc = -1;
		}
		PQclear(end);
	}
	return rc;
}

static void
pg_stmt_free(db_pg_stmt_t *st)
{
	pg_clear_result(st);
	pg_clear_params(st);
	free(st->params);
	free(st->values);
	free(st->lengths);
	free(st->formats);
	free(st->types);
	free(st->sql);
	free(st->text);
	free(st);
}

static void
pg_finalize(db_stmt_t *stmt)
{
	db_pg_stmt_t *st = pst(stmt);
	db_pg_t *d = pg(st->base.db);
	if (st->prev)
		st->prev->next = st->next;
	else
		d->stmts = st->next;
	if (st->next)
		st->next->prev = st->prev;
	/* The server's copy goes with the session anyway; dropping it now
	 * is only tidiness, and a failed transaction would refuse it. A
	 * write of it still unanswered is read first (the drain's error is
	 * the next caller's: the transaction is aborted on the server). */
	(void)db_pg_settle(d);
	if (st->generation == d->generation && PQstatus(d->conn) == CONNECTION_OK &&
	    PQtransactionStatus(d->conn) == PQTRANS_IDLE) {
		char sql[64];
		snprintf(sql, sizeof(sql), "DEALLOCATE %s", st->name);
		PQclear(PQexec(d->conn, sql));
	}
	pg_stmt_free(st);
}

static db_stmt_t *
pg_prepare(db_t *db, const char *sql)
{
	db_pg_t *d = pg(db);
	db_pg_stmt_t *st = xcalloc(1, sizeof(*st));
	st->base.db = db;
	st->sql = xstrdup(sql);
	st->text = db_pg_translate(sql, &st->nparams);
	st->params = xcalloc((size_t)st->nparams + 1, sizeof(*st->params));
	st->values = xcalloc((size_t)st->nparams + 1, sizeof(*st->values));
	st->lengths = xcalloc((size_t)st->nparams + 1, sizeof(*st->lengths));
	st->formats = xcalloc((size_t)st->nparams + 1, sizeof(*st->formats));
	st->row = -1;
	st->types = xcalloc((size_t)st->nparams + 1, sizeof(*st->types));
	snprintf(st->name, sizeof(st->name), "rota_%u", d->next_name++);
	st->deferrable = db_pg_plain_write(st->text);
	st->replanned = db_pg_replanned(st->text);
	if (pg_validate(st) != 0) {
		pg_stmt_free(st);
		return NULL;
	}
	pg_ok(d);
	st->next = d->stmts;
	if (d->stmts)
		d->stmts->prev = st;
	d->stmts = st;
	return &st->base;
}

static void
pg_reset(db_stmt_t *stmt)
{
	pg_clear_result(pst(stmt));
	pg_clear_params(pst(stmt));
}

/* The parameter i (1-based), cleared, or NULL when the statement has no
 * such parameter (remembered: the next step fails, saying so). */
static db_pg_param_t *
pg_param(db_pg_stmt_t *st, int i)
{
	if (i < 1 || i > st->nparams) {
		if (st->bad_index == 0)
			st->bad_index = i == 0 ? -1 : i;
		return NULL;
	}
	db_pg_param_t *p = &st->params[i - 1];
	free(p->value);
	*p = (db_pg_param_t){0};
	return p;
}

static void
pg_bind_null(db_stmt_t *st, int i)
{
	pg_param(pst(st), i);
}

static void
pg_bind_int64(db_stmt_t *st, int i, int64_t v)
{
	db_pg_param_t *p = pg_param(pst(st), i);
	if (p != NULL) {
		p->value = xasprintf("%" PRId64, v);
		p->type = DB_PG_INT8OID;
	}
}

static void
pg_bind_text_n(db_stmt_t *st, int i, const char *v, size_t n)
{
	db_pg_param_t *p = pg_param(pst(st), i);
	if (p != NULL)
		p->value = xstrndup(v, n);
}

static void
pg_bind_blob(db_stmt_t *st, int i, const void *data, size_t len)
{
	db_pg_param_t *p = pg_param(pst(st), i);
	if (p == NULL)
		return;
	if (len > INT32_MAX) {
		/* libpq's lengths are ints: say so at the step. */
		pst(st)->bad_index = i;
		return;
	}
	p->value = xmalloc(len + 1);
	memcpy(p->value, data, len);
	p->length = (int)len;
	p->format = 1;
	p->type = DB_PG_BYTEAOID;
}

/* Runs st with its parameters; keeps the result. */
static int
pg_run(db_pg_stmt_t *st)
{
	db_pg_t *d = pg(st->base.db);
	if (st->bad_index != 0) {
		char msg[96];
		snprintf(msg, sizeof(msg), "bind index %d is out of range (the statement has %d)",
		         st->bad_index, st->nparams);
		db_pg_fail_with(d, DB_ERR_OTHER, msg);
		return DB_ERROR;
	}
	if (PQstatus(d->conn) != CONNECTION_OK) {
		db_pg_fail(d, NULL, "the connection to the database is lost");
		return DB_ERROR;
	}
	if (db_pg_tx_ready(d) != 0)
		return DB_ERROR;
	/* Sent and left: a plain write in db_begin's transaction, prepared
	 * already. A query behind such writes joins them, and its answer is
	 * read with theirs: one round trip for all. Anything else waits, the
	 * writes before it read first. */
	bool ready = d->pipe.wanted && st->generation == d->generation;
	bool defer = ready && st->deferrable && !db_pg_pipe_full(&d->pipe);
	bool join = ready && !defer && d->pipe.on && !db_pg_pipe_full(&d->pipe);
	if (!defer && !join && db_pg_settle(d) != 0)
		return DB_ERROR;
	if (st->typed && st->generation == 0)
		for (int i = 0; i < st->nparams; i++)
			st->types[i] = st->params[i].type;
	if (st->generation != d->generation && pg_server_prepare(st) != 0)
		return DB_ERROR;
	for (int i = 0; i < st->nparams; i++) {
		st->values[i] = st->params[i].value;
		st->lengths[i] = st->params[i].length;
		st->formats[i] = st->params[i].format;
	}
	const char *name = st->replanned ? NULL : st->name;
	const Oid *types = st->typed ? st->types : NULL;
	if (defer) {
		if (db_pg_pipe_send(d->conn, &d->pipe, name, st->text, st->nparams, types,
		                    st->values, st->lengths, st->formats, st->sql) != 0) {
			db_pg_fail(d, NULL, "cannot send the statement");
			return DB_ERROR;
		}
		st->deferred = true;
		return DB_DONE;
	}
	PGresult *res = NULL;
	if (join) {
		if (db_pg_pipe_send(d->conn, &d->pipe, name, st->text, st->nparams, types,
		                    st->values, st->lengths, st->formats, st->sql) != 0) {
			db_pg_fail(d, NULL, "cannot send the statement");
			return DB_ERROR;
		}
		d->pipe.keep_last = true;
		if (db_pg_settle(d) != 0)
			return DB_ERROR;
		res = d->pipe.kept;
		d->pipe.kept = NULL;
		if (res == NULL) {
			db_pg_fail_with(d, DB_ERR_OTHER, "the statement had no answer");
			return DB_ERROR;
		}
	} else {
		d->trips++;
		res = name == NULL ? PQexecParams(d->conn, st->text, st->nparams, types, st->values,
		                                  st->lengths, st->formats, 0)
		                   : PQexecPrepared(d->conn, name, st->nparams, st->values,
		                                    st->lengths, st->formats, 0);
	}
	ExecStatusType status = PQresultStatus(res);
	if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
		db_pg_fail(d, res, "the statement failed");
		PQclear(res);
		return DB_ERROR;
	}
	db_pg_note_changes(res, &d->changes);
	st->res = res;
	st->row = -1;
	st->decoded = xcalloc((size_t)PQnfields(res) + 1, sizeof(*st->decoded));
	return DB_DONE;
}

static int
pg_step(db_stmt_t *stmt)
{
	db_pg_stmt_t *st = pst(stmt);
	db_pg_t *d = pg(stmt->db);
	if (st->deferred)
		return DB_DONE;
	if (st->res == NULL && pg_run(st) != DB_DONE)
		return DB_ERROR;
	if (st->deferred)
		return DB_DONE;
	pg_ok(d);
	/* The previous row's decoded blobs go with it. */
	for (int c = 0; c < PQnfields(st->res); c++) {
		free(st->decoded[c].data);
		st->decoded[c] = (db_pg_decoded_t){0};
	}
	if (st->row + 1 >= PQntuples(st->res)) {
		st->row = PQntuples(st->res);
		return DB_DONE;
	}
	st->row++;
	return DB_ROW;
}

/* True when st has a current row holding column i. */
static bool
pg_has_cell(db_pg_stmt_t *st, int i)
{
	return st->res != NULL && st->row >= 0 && st->row < PQntuples(st->res) && i >= 0 &&
	       i < PQnfields(st->res);
}

static bool
pg_column_is_null(db_stmt_t *stmt, int i)
{
	db_pg_stmt_t *st = pst(stmt);
	return !pg_has_cell(st, i) || PQgetisnull(st->res, st->row, i);
}

/* A BYTEA cell's bytes, decoded on first read. */
static db_pg_decoded_t *
pg_decoded(db_pg_stmt_t *st, int i)
{
	db_pg_decoded_t *dc = &st->decoded[i];
	if (dc->done)
		return dc;
	dc->done = true;
	size_t n = 0;
	unsigned char *raw =
	    PQunescapeBytea((const unsigned char *)PQgetvalue(st->res, st->row, i), &n);
	if (raw == NULL) { /* out of memory: xmalloc's policy is to abort too */
		log_fatal("db: out of memory decoding a bytea column");
	}
	dc->data = xmalloc(n + 1);
	memcpy(dc->data, raw, n);
	dc->data[n] = '\0';
	dc->len = n;
	PQfreemem(raw);
	return dc;
}

static const char *
pg_column_text(db_stmt_t *stmt, int i)
{
	db_pg_stmt_t *st = pst(stmt);
	if (!pg_has_cell(st, i) || PQgetisnull(st->res, st->row, i))
		return NULL;
	if (PQftype(st->res, i) == DB_PG_BYTEAOID)
		return (const char *)pg_decoded(st, i)->data;
	return PQgetvalue(st->res, st->row, i);
}

static int64_t
pg_column_int64(db_stmt_t *stmt, int i)
{
	db_pg_stmt_t *st = pst(stmt);
	if (!pg_has_cell(st, i) || PQgetisnull(st->res, st->row, i))
		return 0;
	const char *v = PQgetvalue(st->res, st->row, i);
	if (PQftype(st->res, i) == DB_PG_BOOLOID)
		return v[0] == 't';
	/* Text to integer as SQLite converts: the leading number, 0 if none
	 * (a NUMERIC from SUM() reads as its integer part). */
	return strtoll(v, NULL, 10);
}

static const void *
pg_column_blob(db_stmt_t *stmt, int i, size_t *len)
{
	db_pg_stmt_t *st = pst(stmt);
	*len = 0;
	if (!pg_has_cell(st, i) || PQgetisnull(st->res, st->row, i))
		return NULL;
	if (PQftype(st->res, i) == DB_PG_BYTEAOID) {
		db_pg_decoded_t *dc = pg_decoded(st, i);
		*len = dc->len;
		return dc->data;
	}
	*len = (size_t)PQgetlength(st->res, st->row, i);
	return PQgetvalue(st->res, st->row, i);
}

static const char *
pg_sql(db_stmt_t *st)
{
	return pst(st)->sql;
}

/* ---- the connection ---- */

static int64_t
pg_changes(db_t *db)
{
	/* The last write's count is in its answer: read the pending ones. */
	if (db_pg_settle(pg(db)) != 0)
		return -1;
	return pg(db)->changes;
}

static const char *
pg_errmsg(db_t *db)
{
	return pg(db)->errmsg ? pg(db)->errmsg : "";
}

static db_error_class_t
pg_error_class(db_t *db)
{
	return pg(db)->error_class;
}

/* Runs a command without parameters; the result, or NULL after noting the
 * failure. */
static PGresult *
pg_command(db_pg_t *d, const char *sql)
{
	if (PQstatus(d->conn) != CONNECTION_OK) {
		db_pg_fail(d, NULL, "the connection to the database is lost");
		return NULL;
	}
	if (db_pg_settle(d) != 0)
		return NULL;
	d->trips++;
	PGresult *res = PQexec(d->conn, sql);
	ExecStatusType status = PQresultStatus(res);
	if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK &&
	    status != PGRES_EMPTY_QUERY) {
		db_pg_fail(d, res, "the command failed");
		PQclear(res);
		return NULL;
	}
	pg_ok(d);
	return res;
}

static int
pg_exec(db_t *db, const char *sql)
{
	if (db_pg_tx_ready(pg(db)) != 0)
		return DB_ERROR;
	PGresult *res = pg_command(pg(db), sql);
	if (res == NULL)
		return DB_ERROR;
	db_pg_note_changes(res, &pg(db)->changes);
	PQclear(res);
	return 0;
}

static int
pg_reconnect(db_t *db)
{
	db_pg_t *d = pg(db);
	for (db_pg_stmt_t *st = d->stmts; st != NULL; st = st->next)
		pg_clear_result(st);
	db_pg_tx_lost(d);
	db_pg_pipe_lost(&d->pipe);
	PQreset(d->conn);
	/* Whatever happened, the server's statements are gone. */
	d->generation++;
	if (PQstatus(d->conn) != CONNECTION_OK) {
		db_pg_fail(d, NULL, "cannot reconnect to the database");
		return -1;
	}
	pg_ok(d);
	return 0;
}

static void
pg_close(db_t *db)
{
	db_pg_t *d = pg(db);
	/* A COMMIT in flight is let end: the server commits it whether or
	 * not its answer is read. */
	db_pg_tx_read_inflight(d);
	db_pg_pipe_lost(&d->pipe);
	log_info("store: postgresql: %llu statements waited for, %llu sent and left, read in %llu"
	         " round trips; %llu commits read before their turn's end",
	         (unsigned long long)d->trips, (unsigned long long)d->pipe.sent,
	         (unsigned long long)d->pipe.waits, (unsigned long long)d->inflight_early);
	free(d->inflight_error);
	while (d->stmts != NULL) {
		/* The session ends with the connection: no DEALLOCATE. */
		d->stmts->generation = 0;
		pg_finalize(&d->stmts->base);
	}
	PQfinish(d->conn);
	free(d->errmsg);
	free(d);
}

static const db_ops_t db_pg_ops = {
    .close = pg_close,
    .exec = pg_exec,
    .prepare = pg_prepare,
    .finalize = pg_finalize,
    .reset = pg_reset,
    .bind_null = pg_bind_null,
    .bind_int64 = pg_bind_int64,
    .bind_text_n = pg_bind_text_n,
    .bind_blob = pg_bind_blob,
    .step = pg_step,
    .column_is_null = pg_column_is_null,
    .column_int64 = pg_column_int64,
    .column_text = pg_column_text,
    .column_blob = pg_column_blob,
    .changes = pg_changes,
    .errmsg = pg_errmsg,
    .error_class = pg_error_class,
    .sql = pg_sql,
    .begin = db_pg_begin,
    .commit = db_pg_commit,
    .commit_start = db_pg_commit_start,
    .commit_finish = db_pg_commit_finish,
    .socket = db_pg_socket,
    .rollback = db_pg_rollback,
    .in_transaction = db_pg_in_transaction,
    .reconnect = pg_reconnect,
};

db_t *
db_pg_open(const db_options_t *o, char **error)
{
	*error = NULL;
	PGconn *conn = db_pg_connect(o, error);
	if (conn == NULL)
		return NULL;
	db_pg_t *d = xcalloc(1, sizeof(*d));
	d->base.ops = &db_pg_ops;
	d->base.engine = DB_POSTGRESQL;
	d->conn = conn;
	d->generation = 1;
	return &d->base;
}
