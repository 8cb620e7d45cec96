/* store: the store's connection and its turn: open (with the schema's
 * migrations, store_schema.c), close, backup, and the one transaction per
 * loop turn (begin lazily, commit once). The writers are in
 * store_write.c, the queries that fill API answers in store_query.c, and
 * the other rooms' tables in store_incidents.c, store_outbox.c and
 * store_audit.c.
 *
 * Statements are prepared once and reused. Every writer opens the turn's
 * transaction lazily; the loop commits once per turn ("group commit"), so a
 * burst of results costs one fsync, not one each. */
#include "store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "xalloc.h"

void
store_note_error(store_t *s)
{
	if (s->why[0] == '\0')
		snprintf(s->why, sizeof(s->why), "%s", sqlite3_errmsg(s->db));
}

int
store_exec(store_t *s, const char *sql)
{
	char *err = NULL;
	if (sqlite3_exec(s->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		store_note_error(s);
		log_error("store: %s: %s", sql, err ? err : "?");
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

store_t *
store_open(const char *path, char **error)
{
	store_t *s = xcalloc(1, sizeof(*s));
	*error = NULL;
	/* NOMUTEX: one thread uses this connection, so SQLite's per-call
	 * mutexes only cost (4 % of the coordinator under load). */
	if (sqlite3_open_v2(path, &s->db,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	                    NULL) != SQLITE_OK) {
		*error = xasprintf("cannot open %s: %s", path,
		                   s->db ? sqlite3_errmsg(s->db) : "out of memory");
		store_destroy(&s);
		return NULL;
	}
	sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);
	if (store_exec(s, "PRAGMA journal_mode = WAL") != 0 ||
	    store_exec(s, "PRAGMA synchronous = NORMAL") != 0 ||
	    store_exec(s, "PRAGMA foreign_keys = ON") != 0) {
		*error = xasprintf("cannot configure %s: %s", path, sqlite3_errmsg(s->db));
		store_destroy(&s);
		return NULL;
	}
	if (store_migrate(s, error) != 0) {
		char *inner = *error;
		*error = xasprintf("%s: %s", path, inner);
		free(inner);
		store_destroy(&s);
		return NULL;
	}
	for (int i = 0; i < Q_COUNT; i++) {
		if (sqlite3_prepare_v3(s->db, store_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->q[i],
		                       NULL) != SQLITE_OK) {
			*error = xasprintf("cannot prepare a query: %s", sqlite3_errmsg(s->db));
			store_destroy(&s);
			return NULL;
		}
	}
	return s;
}

int
store_backup(store_t *s, const char *dest, char **error)
{
	/* Made here, new and 0600 like the store: never over another file. */
	int fd = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		*error = xasprintf("cannot create %s: %s", dest, strerror(errno));
		return -1;
	}
	close(fd);
	sqlite3 *out = NULL;
	int rc = sqlite3_open_v2(dest, &out, SQLITE_OPEN_READWRITE, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_backup *b = sqlite3_backup_init(out, "main", s->db, "main");
		if (b == NULL) {
			rc = sqlite3_errcode(out);
		} else {
			sqlite3_backup_step(b, -1);
			rc = sqlite3_backup_finish(b);
		}
	}
	if (rc != SQLITE_OK)
		*error = xasprintf("cannot copy the store to %s: %s", dest,
		                   out ? sqlite3_errmsg(out) : sqlite3_errstr(rc));
	sqlite3_close(out);
	return rc == SQLITE_OK ? 0 : -1;
}

void
store_destroy(store_t **sp)
{
	store_t *s = *sp;
	if (s == NULL)
		return;
	if (s->in_tx)
		store_commit(s);
	for (int i = 0; i < Q_COUNT; i++)
		sqlite3_finalize(s->q[i]);
	for (size_t i = 0; i < s->extra_count; i++)
		sqlite3_finalize(s->extra[i].st);
	if (s->db != NULL)
		sqlite3_close(s->db);
	free(s);
	*sp = NULL;
}

int
store_begin(store_t *s)
{
	if (s->failed)
		return -1;
	if (s->in_tx)
		return 0;
	if (store_exec(s, "BEGIN IMMEDIATE") != 0) {
		s->failed = true;
		return -1;
	}
	s->in_tx = true;
	return 0;
}

/* Rolls back what is open. SQLite may have rolled the transaction back
 * itself (a full disk, an I/O error: sqlite3_get_autocommit says so), and a
 * ROLLBACK then would only log "no transaction is active". */
static void
store_rollback(store_t *s)
{
	if (!sqlite3_get_autocommit(s->db))
		store_exec(s, "ROLLBACK");
}

int
store_commit(store_t *s)
{
	if (s->failed) {
		if (s->in_tx)
			store_rollback(s);
		s->in_tx = false;
		s->failed = false;
		return -1;
	}
	if (!s->in_tx) {
		s->why[0] = '\0';
		return 0;
	}
	s->in_tx = false;
	if (store_lease_fence(s) != 0 || store_exec(s, "COMMIT") != 0) {
		store_rollback(s);
		return -1;
	}
	s->why[0] = '\0';
	return 0;
}

const char *
store_last_error(const store_t *s)
{
	return s->why[0] ? s->why : "unknown error";
}

bool
store_in_transaction(const store_t *s)
{
	return s->in_tx;
}

bool
store_failed(const store_t *s)
{
	return s->failed;
}

sqlite3_stmt *
store_q(store_t *s, int which)
{
	sqlite3_stmt *st = s->q[which];
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

int
store_done(store_t *s, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		log_error("store: %s: %s", sqlite3_sql(st), sqlite3_errmsg(s->db));
		store_note_error(s);
		sqlite3_reset(st);
		if (s->in_tx)
			s->failed = true;
		return -1;
	}
	sqlite3_reset(st);
	return 0;
}

sqlite3_stmt *
store_stmt(store_t *s, const char *sql)
{
	for (size_t i = 0; i < s->extra_count; i++)
		if (s->extra[i].sql == sql) {
			sqlite3_reset(s->extra[i].st);
			sqlite3_clear_bindings(s->extra[i].st);
			return s->extra[i].st;
		}
	sqlite3_stmt *st = NULL;
	if (s->extra_count == STORE_EXTRA_MAX ||
	    sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
		log_error("store: cannot prepare %s: %s", sql,
		          s->extra_count == STORE_EXTRA_MAX ? "too many statements"
		                                            : sqlite3_errmsg(s->db));
		sqlite3_finalize(st);
		/* The caller's write is lost: the turn must not commit without it. */
		if (s->in_tx)
			s->failed = true;
		return NULL;
	}
	s->extra[s->extra_count].sql = sql;
	s->extra[s->extra_count].st = st;
	s->extra_count++;
	return st;
}

int
store_stmt_done(store_t *s, sqlite3_stmt *st)
{
	return store_done(s, st);
}

void
store_stmt_failed(store_t *s, sqlite3_stmt *st)
{
	log_error("store: %s: %s", sqlite3_sql(st), sqlite3_errmsg(s->db));
	store_note_error(s);
	sqlite3_reset(st);
	if (s->in_tx)
		s->failed = true;
}

int
store_epoch_next(store_t *s, uint64_t *epoch)
{
	sqlite3_stmt *st;
	if (store_begin(s) != 0)
		return -1;
	if (store_exec(s, "INSERT INTO meta (key, value) VALUES ('epoch', '1')"
	                  " ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1") !=
	    0) {
		store_commit(s);
		return -1;
	}
	if (sqlite3_prepare_v2(s->db, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'epoch'",
	                       -1, &st, NULL) != SQLITE_OK) {
		s->failed = true;
		store_commit(s);
		return -1;
	}
	int rc = sqlite3_step(st) == SQLITE_ROW ? 0 : -1;
	*epoch = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (store_commit(s) != 0)
		return -1;
	return rc;
}
