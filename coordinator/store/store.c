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

#include <sqlite3.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "xalloc.h"

void
store_note_error(store_t *s)
{
	if (s->why[0] == '\0')
		snprintf(s->why, sizeof(s->why), "%s", db_errmsg(s->db));
}

int
store_exec(store_t *s, const char *sql)
{
	store_batch_before(s, store_batch_touches(sql));
	if (db_exec(s->db, sql) != 0) {
		store_note_error(s);
		log_error("store: %s: %s", sql, db_errmsg(s->db));
		return -1;
	}
	return 0;
}

bool
store_is_postgresql(const store_t *s)
{
	return db_engine(s->db) == DB_POSTGRESQL;
}

#ifndef ROTA_HAVE_STORE_SCHEMA_PG
/* Built without store_schema_pg.c: a PostgreSQL store cannot be migrated. */
int
store_migrate_pg(store_t *s, char **error)
{
	(void)s;
	*error = xstrdup("PostgreSQL support is not built into this rota");
	return -1;
}

int
store_schema_version_pg(store_t *s)
{
	(void)s;
	return -1;
}
#endif

/* What only a SQLite file has: the WAL (readers never wait for the
 * writer), NORMAL sync (durable at each checkpoint of the WAL, safe
 * against corruption), and foreign keys, which SQLite leaves off by
 * default (PostgreSQL always checks them). */
static int
store_configure_sqlite(store_t *s)
{
	return store_exec(s, "PRAGMA journal_mode = WAL") != 0 ||
	               store_exec(s, "PRAGMA synchronous = NORMAL") != 0 ||
	               store_exec(s, "PRAGMA foreign_keys = ON") != 0
	           ? -1
	           : 0;
}

/* Retention gives space back to the file system only when the file
 * keeps its free pages apart (auto_vacuum = INCREMENTAL, then
 * store_prune_vacuum). A new file is made so (store_open, before its first
 * table); a file made before schema 9 is switched here, once, by a VACUUM
 * that rewrites it whole: it needs as much free disk as the file and takes
 * about a second per 100 MB, logged. No transaction may hold a VACUUM, so
 * this is not one of the migrations. */
static int
store_vacuum_mode(store_t *s, const char *where, char **error)
{
	db_stmt_t *st = db_prepare(s->db, "PRAGMA auto_vacuum");
	if (st == NULL) {
		*error = xasprintf("%s: cannot read auto_vacuum: %s", where, db_errmsg(s->db));
		return -1;
	}
	int64_t mode = db_step(st) == DB_ROW ? db_column_int64(st, 0) : -1;
	db_finalize(st);
	if (mode == 2) /* INCREMENTAL */
		return 0;
	log_info("store: %s: switching to auto_vacuum = INCREMENTAL, so that pruned rows give"
	         " their space back; this rewrites the file once (VACUUM)",
	         where);
	int64_t start = clock_mono_ms();
	if (db_exec(s->db, "PRAGMA auto_vacuum = INCREMENTAL") != 0 ||
	    db_exec(s->db, "VACUUM") != 0) {
		*error = xasprintf("%s: cannot switch to auto_vacuum = INCREMENTAL (VACUUM needs"
		                   " as much free disk as the file): %s",
		                   where, db_errmsg(s->db));
		return -1;
	}
	log_info("store: %s: auto_vacuum switched in %lld ms", where,
	         (long long)(clock_mono_ms() - start));
	return 0;
}

store_t *
store_open(const store_options_t *o, char **error)
{
	store_t *s = xcalloc(1, sizeof(*s));
	s->batch = store_batch_new();
	s->adds = store_adds_new();
	*error = NULL;
	db_options_t dbo = {
	    .target = o->target,
	    .password_file = o->password_file,
	    .busy_timeout_ms = STORE_BUSY_TIMEOUT_MS,
	    .create = true,
	};
	if ((s->db = db_open(&dbo, error)) == NULL) {
		store_batch_destroy(&s->batch);
		store_adds_destroy(&s->adds);
		free(s);
		return NULL;
	}
	char *where = db_target_redacted(o->target); /* owned, freed below */
	bool pg = store_is_postgresql(s);
	/* A new file: auto_vacuum before anything is written to it (even the
	 * WAL's header), so no VACUUM is ever needed to switch it. */
	if (!pg && store_schema_version(s) == 0 &&
	    store_exec(s, "PRAGMA auto_vacuum = INCREMENTAL") != 0) {
		*error = xasprintf("cannot configure %s: %s", where, db_errmsg(s->db));
		goto fail;
	}
	if (!pg && store_configure_sqlite(s) != 0) {
		*error = xasprintf("cannot configure %s: %s", where, db_errmsg(s->db));
		goto fail;
	}
	if ((pg ? store_migrate_pg(s, error) : store_migrate(s, error)) != 0) {
		char *inner = *error;
		*error = xasprintf("%s: %s", where, inner);
		free(inner);
		goto fail;
	}
	if (!pg && store_vacuum_mode(s, where, error) != 0)
		goto fail;
	for (int i = 0; i < Q_COUNT; i++) {
		if ((s->q[i] = db_prepare2(s->db, store_sql[i].sql, store_sql[i].pg)) == NULL) {
			*error = xasprintf("cannot prepare a query: %s", db_errmsg(s->db));
			goto fail;
		}
		s->q_touches[i] = store_batch_touches(store_sql[i].sql);
	}
	free(where);
	return s;
fail:
	free(where);
	store_destroy(&s);
	return NULL;
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
	sqlite3 *in = db_sqlite_handle(s->db);
	if (in == NULL) {
		unlink(dest);
		*error = xstrdup("a PostgreSQL store is copied with pg_dump, not by rota");
		return -1;
	}
	sqlite3 *out = NULL;
	int rc = sqlite3_open_v2(dest, &out, SQLITE_OPEN_READWRITE, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_backup *b = sqlite3_backup_init(out, "main", in, "main");
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
	store_checkpointer_stop(s);
	/* db_close finalizes every statement still prepared (s->q, extra,
	 * the batch's). */
	db_close(&s->db);
	store_batch_destroy(&s->batch);
	store_adds_destroy(&s->adds);
	store_maint_forget(s);
	free(s);
	*sp = NULL;
}

/* The word a log gives for BEGIN: SQLite's takes the write lock at once. */
static const char *
store_begin_word(const store_t *s)
{
	return store_is_postgresql(s) ? "BEGIN" : "BEGIN IMMEDIATE";
}

int
store_begin(store_t *s)
{
	if (s->failed)
		return -1;
	if (s->in_tx)
		return 0;
	if (db_begin(s->db) != 0) {
		store_note_error(s);
		log_error("store: %s: %s", store_begin_word(s), db_errmsg(s->db));
		s->failed = true;
		return -1;
	}
	s->in_tx = true;
	return 0;
}

/* Rolls back what is open. The database may have rolled the transaction
 * back itself (SQLite after a full disk or an I/O error); db_rollback
 * then does nothing. */
static void
store_rollback(store_t *s)
{
	db_rollback(s->db);
}

/* A COMMIT refused or failed: the reason kept, the fence's refusal told
 * apart, the transaction rolled back. */
static void
store_commit_failed(store_t *s)
{
	store_note_error(s);
	if (!store_lease_fenced(s, db_errmsg(s->db)))
		log_error("store: COMMIT: %s", db_errmsg(s->db));
	store_rollback(s);
}

int
store_commit(store_t *s)
{
	if (s->inflight) {
		/* A caller's mistake: the turn in flight is finished first. */
		log_error("store: a commit while the last turn's COMMIT is in flight: refused");
		s->failed = true;
	}
	if (store_commit_start(s) != 0)
		return -1;
	return store_commit_finish(s);
}

bool
store_commit_inflight(const store_t *s)
{
	return s->inflight;
}

int
store_socket(store_t *s)
{
	return db_socket(s->db);
}

int
store_commit_finish(store_t *s)
{
	if (!s->inflight)
		return 0;
	s->inflight = false;
	if (db_commit_finish(s->db) == 0)
		return 0;
	store_commit_failed(s);
	/* What the next turn began rests on this one: dropped with it. */
	store_batch_clear(s->batch);
	store_adds_clear(s->adds);
	store_maint_forget(s);
	if (s->in_tx)
		store_rollback(s);
	s->in_tx = false;
	s->failed = false;
	return -1;
}

int
store_send_held(store_t *s)
{
	if (s->failed)
		return -1;
	if (!s->in_tx)
		return 0;
	return store_batch_flush(s, STORE_BATCH_ADDS | STORE_BATCH_ROWS | STORE_BATCH_EVENTS);
}

int
store_commit_start(store_t *s)
{
	/* What the turn held back is written first, inside it (a failure
	 * marks the turn failed: below). */
	(void)store_send_held(s);
	store_batch_clear(s->batch);
	store_adds_clear(s->adds);
	store_maint_forget(s); /* read again next turn */
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
	if (store_lease_fence(s) != 0) {
		store_rollback(s);
		return -1;
	}
	if (db_commit_start(s->db) != 0) {
		store_commit_failed(s);
		return -1;
	}
	s->inflight = true;
	s->why[0] = '\0';
	return 0;
}

uint64_t
store_statements(const store_t *s)
{
	return db_statements(s->db);
}

uint64_t
store_prepares(const store_t *s)
{
	return db_prepares(s->db);
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

db_stmt_t *
store_q(store_t *s, int which)
{
	store_batch_before(s, s->q_touches[which]);
	db_stmt_t *st = s->q[which];
	db_reset(st);
	return st;
}

int
store_done(store_t *s, db_stmt_t *st)
{
	int rc = db_step(st);
	if (rc != DB_DONE) {
		log_error("store: %s: %s", db_sql(st), db_errmsg(s->db));
		store_note_error(s);
		db_reset(st);
		if (s->in_tx)
			s->failed = true;
		return -1;
	}
	db_reset(st);
	return 0;
}

db_stmt_t *
store_stmt2(store_t *s, const char *sql, const char *pg_sql)
{
	for (size_t i = 0; i < s->extra_count; i++)
		if (s->extra[i].sql == sql) {
			store_batch_before(s, s->extra[i].touches);
			db_reset(s->extra[i].st);
			return s->extra[i].st;
		}
	store_batch_before(s, store_batch_touches(pg_sql ? pg_sql : sql));
	db_stmt_t *st = NULL;
	if (s->extra_count == STORE_EXTRA_MAX || (st = db_prepare2(s->db, sql, pg_sql)) == NULL) {
		log_error("store: cannot prepare %s: %s", sql,
		          s->extra_count == STORE_EXTRA_MAX ? "too many statements"
		                                            : db_errmsg(s->db));
		/* The caller's write is lost: the turn must not commit without it. */
		if (s->in_tx)
			s->failed = true;
		return NULL;
	}
	s->extra[s->extra_count].sql = sql;
	s->extra[s->extra_count].st = st;
	s->extra[s->extra_count].touches =
	    store_batch_touches(sql) | store_batch_touches(pg_sql ? pg_sql : sql);
	s->extra_count++;
	return st;
}

db_stmt_t *
store_stmt(store_t *s, const char *sql)
{
	return store_stmt2(s, sql, NULL);
}

int
store_stmt_done(store_t *s, db_stmt_t *st)
{
	return store_done(s, st);
}

/* Binds args in order and steps st, in the open turn. */
static int
store_write_args(store_t *s, db_stmt_t *st, const store_arg_t *args, size_t n)
{
	if (st == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (args[i].is_text)
			db_bind_text(st, (int)i + 1, args[i].text);
		else
			db_bind_int64(st, (int)i + 1, args[i].num);
	}
	return store_done(s, st);
}

int
store_write_q(store_t *s, int which, const store_arg_t *args, size_t n)
{
	if (store_begin(s) != 0)
		return -1;
	return store_write_args(s, store_q(s, which), args, n);
}

int
store_write_sql(store_t *s, const char *sql, const store_arg_t *args, size_t n)
{
	if (store_begin(s) != 0)
		return -1;
	return store_write_args(s, store_stmt(s, sql), args, n);
}

void
store_stmt_failed(store_t *s, db_stmt_t *st)
{
	log_error("store: %s: %s", db_sql(st), db_errmsg(s->db));
	store_note_error(s);
	db_reset(st);
	if (s->in_tx)
		s->failed = true;
}

int
store_epoch_next(store_t *s, uint64_t *epoch)
{
	static const char sql_read[] = "SELECT CAST(value AS BIGINT) FROM meta WHERE key = 'epoch'";
	if (store_begin(s) != 0)
		return -1;
	if (store_exec(s, "INSERT INTO meta (key, value) VALUES ('epoch', '1')"
	                  " ON CONFLICT (key) DO UPDATE"
	                  " SET value = CAST(CAST(meta.value AS BIGINT) + 1 AS TEXT)") != 0) {
		s->failed = true;
		store_commit(s);
		return -1;
	}
	db_stmt_t *st = store_stmt(s, sql_read);
	if (st == NULL) {
		s->failed = true;
		store_commit(s);
		return -1;
	}
	int rc = db_step(st) == DB_ROW ? 0 : -1;
	*epoch = (uint64_t)db_column_int64(st, 0);
	db_reset(st);
	if (store_commit(s) != 0)
		return -1;
	return rc;
}

int
store_returning_id(store_t *s, db_stmt_t *st, int64_t *id)
{
	if (db_step(st) != DB_ROW) {
		store_stmt_failed(s, st);
		return -1;
	}
	*id = db_column_int64(st, 0);
	/* RETURNING: the statement is done once its one row is read. */
	if (db_step(st) != DB_DONE) {
		store_stmt_failed(s, st);
		return -1;
	}
	db_reset(st);
	return 0;
}

int
store_rows(db_stmt_t *st, void *rows, size_t *count, size_t size, store_row_fn each, void *ctx)
{
	/* rows is a T **: its pointer is read and written as bytes, so one
	 * loop serves every element type without a cast through void **. */
	char *array;
	memcpy(&array, rows, sizeof(array));
	size_t cap = *count;
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		if (*count == cap) {
			cap = cap ? cap * 2 : 8;
			array = xrealloc(array, cap * size);
			memcpy(rows, &array, sizeof(array));
		}
		char *row = array + (*count)++ * size;
		memset(row, 0, size);
		each(st, row, ctx);
	}
	return rc;
}
