/* db_pg_pipe: a transaction's writes sent without waiting for their
 * answers (libpq's pipeline mode), for db_pg.c.
 *
 * Why: every statement waited for is a round trip to the server, and on a
 * busy machine each one waits its turn for a core twice; a loop turn that
 * writes a few hundred rows spent its time in those waits. Inside a
 * transaction begun by db_begin, a statement that returns no rows and
 * whose answer nobody reads at once (an INSERT, UPDATE or DELETE without
 * RETURNING; db_pg.c decides) is sent and left; the answers are all read
 * by the next call that must wait anyway (a query, db_changes, COMMIT,
 * ROLLBACK, a prepare), in one round trip for all of them (a Sync).
 *
 * Failures: a write that failed is reported by that later call, which
 * fails in its place; the transaction is aborted on the server from that
 * write on, so COMMIT cannot succeed after it: a turn with a failed write
 * commits nothing, exactly as when each write was waited for. The error
 * names the statement that failed.
 *
 * The server's answers are small (a few dozen bytes a write), but a
 * blocking connection must not send without bound while nothing reads
 * them: DB_PG_PIPE_MAX statements at most are left unread.
 *
 * Also here: the class of a failure the server answers (db_pg_error_class),
 * for db_pg.c and the drain alike. */
#include "db_pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

void
db_pg_note_changes(PGresult *res, int64_t *changes)
{
	const char *cmd = PQcmdStatus(res);
	if (strncmp(cmd, "INSERT", 6) == 0 || strncmp(cmd, "UPDATE", 6) == 0 ||
	    strncmp(cmd, "DELETE", 6) == 0 || strncmp(cmd, "MERGE", 5) == 0)
		*changes = strtoll(PQcmdTuples(res), NULL, 10);
}

static void
pipe_note_failure(db_pg_pipe_t *p, PGresult *res, const char *sql)
{
	if (p->failed != NULL) {
		PQclear(res);
		return;
	}
	p->failed = res;
	p->failed_sql = sql;
}

int
db_pg_pipe_send(PGconn *conn, db_pg_pipe_t *p, const char *name, const char *text, int n,
                const Oid *types, const char *const *values, const int *lengths, const int *formats,
                const char *sql)
{
	if (!p->on) {
		if (PQenterPipelineMode(conn) != 1)
			return -1;
		p->on = true;
	}
	/* After a Sync nothing is sent before its answers are read
	 * (db_pg_tx.c reads a COMMIT in flight first). */
	if (p->pending >= DB_PG_PIPE_MAX || p->synced)
		return -1; /* the caller reads the answers first (db_pg_pipe_full) */
	int ok = name != NULL
	             ? PQsendQueryPrepared(conn, name, n, values, lengths, formats, 0)
	             : PQsendQueryParams(conn, text, n, types, values, lengths, formats, 0);
	if (ok != 1)
		return -1;
	p->sql[p->pending++] = sql;
	p->sent++;
	return 0;
}

bool
db_pg_pipe_full(const db_pg_pipe_t *p)
{
	return p->pending >= DB_PG_PIPE_MAX;
}

int
db_pg_pipe_sync(PGconn *conn, db_pg_pipe_t *p)
{
	if (!p->on || p->synced)
		return 0;
	p->waits++;
	p->synced = true;
	if (PQpipelineSync(conn) != 1) {
		p->sync_failed = true;
		return -1;
	}
	return 0;
}

int
db_pg_pipe_drain(PGconn *conn, db_pg_pipe_t *p, int64_t *changes, char *tag, size_t tag_len)
{
	if (!p->on)
		return 0;
	db_pg_pipe_sync(conn, p);
	bool broken = p->sync_failed;
	int answered = 0, nulls = 0;
	while (!broken) {
		PGresult *res = PQgetResult(conn);
		if (res == NULL) {
			/* One NULL ends each statement's answers; more than that
			 * many is a connection that says nothing any more. */
			if (PQstatus(conn) != CONNECTION_OK || ++nulls > p->pending + 1)
				broken = true;
			continue;
		}
		ExecStatusType status = PQresultStatus(res);
		if (status == PGRES_PIPELINE_SYNC) {
			PQclear(res);
			break;
		}
		const char *sql = answered < p->pending ? p->sql[answered] : "";
		answered++;
		if ((status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) && p->keep_last &&
		    answered == p->pending) {
			PQclear(p->kept);
			p->kept = res; /* the query that joined the writes: its caller's */
		} else if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
			db_pg_note_changes(res, changes);
			if (tag != NULL)
				snprintf(tag, tag_len, "%s", PQcmdStatus(res));
			PQclear(res);
		} else if (status == PGRES_PIPELINE_ABORTED) {
			PQclear(res); /* after the failure kept below */
		} else {
			pipe_note_failure(p, res, sql);
		}
	}
	p->pending = 0;
	p->on = false;
	p->synced = false;
	p->sync_failed = false;
	p->keep_last = false;
	if (broken || PQexitPipelineMode(conn) != 1) {
		/* The connection is lost (db_reconnect follows) or in a state
		 * this code did not put it in: either way the turn fails. */
		p->broken = true;
		return -1;
	}
	return p->failed != NULL ? -1 : 0;
}

void
db_pg_pipe_forget(db_pg_pipe_t *p)
{
	PQclear(p->failed);
	p->failed = NULL;
	PQclear(p->kept);
	p->kept = NULL;
	p->failed_sql = NULL;
	p->broken = false;
}

void
db_pg_pipe_lost(db_pg_pipe_t *p)
{
	db_pg_pipe_forget(p);
	p->on = false;
	p->synced = false;
	p->sync_failed = false;
	p->wanted = false;
	p->pending = 0;
}

db_error_class_t
db_pg_error_class(PGconn *conn, const char *sqlstate)
{
	if (PQstatus(conn) != CONNECTION_OK)
		return DB_ERR_UNAVAILABLE;
	if (sqlstate == NULL)
		return DB_ERR_OTHER;
	if (strcmp(sqlstate, "40001") == 0 || strcmp(sqlstate, "40P01") == 0 ||
	    strcmp(sqlstate, "55P03") == 0)
		return DB_ERR_BUSY;
	if (strncmp(sqlstate, "08", 2) == 0 || strcmp(sqlstate, "57P01") == 0 ||
	    strcmp(sqlstate, "57P02") == 0 || strcmp(sqlstate, "57P03") == 0)
		return DB_ERR_UNAVAILABLE;
	if (strncmp(sqlstate, "23", 2) == 0)
		return DB_ERR_CONSTRAINT;
	return DB_ERR_OTHER;
}
