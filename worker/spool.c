/* spool: unacknowledged results and output, started attempts, in SQLite. */
#include "spool.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clock.h"
#include "dirlock.h"
#include "log.h"
#include "xalloc.h"

struct spool {
	int lockfd;  /* owned: one worker per spool directory */
	sqlite3 *db; /* owned */
	sqlite3_stmt *put, *del, *each, *count, *mark, *get; /* owned */
	sqlite3_stmt *proc_set, *proc_each;                  /* owned */
	sqlite3_stmt *out_put, *out_ack, *out_drop, *out_each, *out_count,
	    *out_count_key; /* owned */
	bool group;         /* between spool_begin and spool_commit */
	bool in_tx;         /* the group's transaction is open (begun lazily) */
	/* Why the last write failed, "" once a write is durable again. */
	char error[256];
	uint64_t failures;      /* failed writes since the last log line */
	int64_t failure_logged; /* mono ms of the last log line; 0 = none */
	bool inserted;          /* the group's transaction added rows */
};

static const char spool_schema[] =
    "PRAGMA journal_mode = WAL;"
    "CREATE TABLE IF NOT EXISTS results (seq INTEGER PRIMARY KEY, key TEXT UNIQUE NOT NULL,"
    " result BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS started (key TEXT PRIMARY KEY, at_ms INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS outputs (key TEXT NOT NULL, seq INTEGER NOT NULL,"
    " chunk BLOB NOT NULL, PRIMARY KEY (key, seq)) WITHOUT ROWID;"
    /* Started attempts are only needed while a coordinator could still
     * send the same order again; a week is far beyond any retry. */
    "DELETE FROM started WHERE at_ms < (strftime('%s','now') - 7 * 86400) * 1000;";

/* Schema versions (PRAGMA user_version) after the first, each applied once
 * to a spool written by an older worker, in order.
 * 1: started.pgid and started.pstart, the process group of a running
 *    attempt and its leader's start time (NULL once it has a result). */
static const char *const spool_migrations[] = {
    "ALTER TABLE started ADD COLUMN pgid INTEGER;"
    "ALTER TABLE started ADD COLUMN pstart INTEGER;",
};
#define SPOOL_SCHEMA_VERSION ((int)(sizeof(spool_migrations) / sizeof(spool_migrations[0])))

static int
spool_migrate(sqlite3 *db, char **err)
{
	sqlite3_stmt *st = NULL;
	int version = -1;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version < 0)
		return -1;
	if (version > SPOOL_SCHEMA_VERSION) {
		*err = sqlite3_mprintf("written by a newer worker (schema %d > %d)", version,
		                       SPOOL_SCHEMA_VERSION);
		return -1;
	}
	for (; version < SPOOL_SCHEMA_VERSION; version++) {
		/* One transaction a step: a crash leaves the old version whole. */
		char *sql = sqlite3_mprintf("BEGIN IMMEDIATE; %s PRAGMA user_version = %d; COMMIT;",
		                            spool_migrations[version], version + 1);
		int rc = sqlite3_exec(db, sql, NULL, NULL, err);
		sqlite3_free(sql);
		if (rc != SQLITE_OK) {
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
	}
	return 0;
}

spool_t *
spool_open(const char *dir, char **error)
{
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		*error = xasprintf("cannot create spool directory %s: %s", dir, strerror(errno));
		return NULL;
	}
	spool_t *s = xcalloc(1, sizeof(*s));
	s->lockfd = dirlock_take(dir, "rota-worker", error);
	if (s->lockfd < 0) {
		free(s);
		return NULL;
	}
	char *path = xasprintf("%s/spool.db", dir);
	char *err = NULL;
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	        SQLITE_OK ||
	    sqlite3_exec(s->db, spool_schema, NULL, NULL, &err) != SQLITE_OK ||
	    spool_migrate(s->db, &err) != 0 ||
	    sqlite3_prepare_v2(s->db, "UPDATE started SET pgid = ?, pstart = ? WHERE key = ?", -1,
	                       &s->proc_set, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db,
	                       "SELECT key, pgid, pstart, at_ms FROM started WHERE pgid IS NOT NULL"
	                       " AND pstart IS NOT NULL AND key NOT IN (SELECT key FROM results)"
	                       " ORDER BY at_ms",
	                       -1, &s->proc_each, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO results (key, result) VALUES (?, ?)",
	                       -1, &s->put, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "DELETE FROM results WHERE key = ?", -1, &s->del, NULL) !=
	        SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "SELECT key, result FROM results ORDER BY seq", -1, &s->each,
	                       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "SELECT COUNT(*) FROM results", -1, &s->count, NULL) !=
	        SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "INSERT OR IGNORE INTO started (key, at_ms) VALUES (?, ?)",
	                       -1, &s->mark, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "SELECT result FROM results WHERE key = ?", -1, &s->get,
	                       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db,
	                       "INSERT OR REPLACE INTO outputs (key, seq, chunk) VALUES (?, ?, ?)",
	                       -1, &s->out_put, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "DELETE FROM outputs WHERE key = ? AND seq <= ?", -1,
	                       &s->out_ack, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "DELETE FROM outputs WHERE key = ?", -1, &s->out_drop,
	                       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "SELECT key, seq, chunk FROM outputs ORDER BY key, seq", -1,
	                       &s->out_each, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db,
	                       "SELECT COUNT(*), COALESCE(SUM(LENGTH(chunk)), 0) FROM outputs", -1,
	                       &s->out_count, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db,
	                       "SELECT COUNT(*), COALESCE(SUM(LENGTH(chunk)), 0) FROM outputs"
	                       " WHERE key = ?",
	                       -1, &s->out_count_key, NULL) != SQLITE_OK) {
		*error = xasprintf("spool %s: %s", path, err ? err : sqlite3_errmsg(s->db));
		sqlite3_free(err);
		free(path);
		spool_close(&s);
		return NULL;
	}
	sqlite3_busy_timeout(s->db, 5000);
	free(path);
	return s;
}

void
spool_close(spool_t **sp)
{
	spool_t *s = *sp;
	if (s == NULL)
		return;
	sqlite3_finalize(s->put);
	sqlite3_finalize(s->del);
	sqlite3_finalize(s->each);
	sqlite3_finalize(s->count);
	sqlite3_finalize(s->mark);
	sqlite3_finalize(s->get);
	sqlite3_finalize(s->proc_set);
	sqlite3_finalize(s->proc_each);
	sqlite3_finalize(s->out_put);
	sqlite3_finalize(s->out_ack);
	sqlite3_finalize(s->out_drop);
	sqlite3_finalize(s->out_each);
	sqlite3_finalize(s->out_count);
	sqlite3_finalize(s->out_count_key);
	if (s->in_tx)
		spool_commit(s);
	sqlite3_close(s->db);
	dirlock_release(&s->lockfd);
	free(s);
	*sp = NULL;
}

/* A write failed: remembers why (the OS's reason when there is one: "No
 * space left on device" says more than SQLite's "database or disk is
 * full") and logs it at once the first time, then once per
 * SPOOL_LOG_INTERVAL_MS with the count, so a full disk under a step that
 * prints fast does not flood the log. */
static void
spool_failed(spool_t *s, const char *what, const char *sqlite_err)
{
	int os = sqlite3_system_errno(s->db);
	if (os <= 0 && (sqlite3_extended_errcode(s->db) & 0xff) == SQLITE_FULL)
		os = ENOSPC; /* what SQLite calls "database or disk is full" */
	snprintf(s->error, sizeof(s->error), "spool write failed: %s",
	         os > 0       ? strerror(os)
	         : sqlite_err ? sqlite_err
	                      : sqlite3_errmsg(s->db));
	s->failures++;
	int64_t now = clock_mono_ms();
	if (s->failure_logged == 0 || now - s->failure_logged >= SPOOL_LOG_INTERVAL_MS) {
		log_error("spool: cannot %s: %s (%llu failed write%s since the last such line;"
		          " output that cannot be spooled is at risk)",
		          what, s->error, (unsigned long long)s->failures,
		          s->failures == 1 ? "" : "s");
		s->failures = 0;
		s->failure_logged = now;
	}
	/* SQLite rolls a transaction back by itself after some errors (a full
	 * disk among them): the group's writes are gone, and the next ones
	 * run on their own until a new group begins. */
	if (s->in_tx && sqlite3_get_autocommit(s->db)) {
		s->in_tx = false;
		s->inserted = false;
	}
}

/* A write that added rows is durable: the spool works again. (Deletes
 * and no-op commits prove nothing: on a full disk SQLite can still reuse
 * the pages it has.) */
static void
spool_succeeded(spool_t *s)
{
	if (s->error[0] == '\0')
		return;
	log_info("spool: writing again (%llu more failed write%s since the last error line)",
	         (unsigned long long)s->failures, s->failures == 1 ? "" : "s");
	s->error[0] = '\0';
	s->failures = 0;
	s->failure_logged = 0;
}

const char *
spool_error(const spool_t *s)
{
	return s->error;
}

static int
spool_step(spool_t *s, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		spool_failed(s, "write", NULL);
		return -1;
	}
	bool insert = st == s->put || st == s->mark || st == s->out_put;
	if (insert && s->in_tx)
		s->inserted = true;
	else if (insert)
		spool_succeeded(s);
	return 0;
}

/* The writes that may wait for the end of the group join its transaction,
 * opened at the first of them; a turn that writes nothing costs nothing. */
static void
spool_join(spool_t *s)
{
	if (!s->group || s->in_tx)
		return;
	char *err = NULL;
	if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, &err) != SQLITE_OK) {
		/* Each write then commits by itself: slower, not wrong. */
		spool_failed(s, "begin", err);
		sqlite3_free(err);
		return;
	}
	s->in_tx = true;
}

/* A write that must be durable before the caller acts on it (a result is
 * sent, a step started) first commits what the group holds. */
static void
spool_settle(spool_t *s)
{
	spool_sync(s);
}

int
spool_put(spool_t *s, const char *key, const uint8_t *result, size_t len)
{
	spool_settle(s);
	sqlite3_bind_text(s->put, 1, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(s->put, 2, result, (int)len, SQLITE_TRANSIENT);
	if (spool_step(s, s->put) != 0)
		return -1;
	/* Its process group is over: forget it. This may wait for the group
	 * (a leftover scan skips an attempt with a result anyway). */
	spool_forget_process(s, key);
	return 0;
}

int
spool_delete(spool_t *s, const char *key)
{
	spool_join(s);
	sqlite3_bind_text(s->del, 1, key, -1, SQLITE_TRANSIENT);
	return spool_step(s, s->del);
}

int
spool_each(spool_t *s, int (*fn)(void *ctx, const char *key, const uint8_t *data, size_t len),
           void *ctx)
{
	int rc;
	while ((rc = sqlite3_step(s->each)) == SQLITE_ROW) {
		const char *key = (const char *)sqlite3_column_text(s->each, 0);
		const uint8_t *data = sqlite3_column_blob(s->each, 1);
		size_t len = (size_t)sqlite3_column_bytes(s->each, 1);
		if (fn(ctx, key ? key : "", data, len) != 0)
			break;
	}
	sqlite3_reset(s->each);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

size_t
spool_count(spool_t *s)
{
	size_t n = 0;
	if (sqlite3_step(s->count) == SQLITE_ROW)
		n = (size_t)sqlite3_column_int64(s->count, 0);
	sqlite3_reset(s->count);
	return n;
}

int
spool_mark_started(spool_t *s, const char *key)
{
	spool_settle(s);
	sqlite3_bind_text(s->mark, 1, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s->mark, 2, clock_wall_ms());
	if (spool_step(s, s->mark) != 0)
		return -1;
	return sqlite3_changes(s->db) == 0 ? 1 : 0;
}

int
spool_mark_process(spool_t *s, const char *key, int64_t pgid, uint64_t starttime)
{
	spool_join(s);
	sqlite3_bind_int64(s->proc_set, 1, pgid);
	sqlite3_bind_int64(s->proc_set, 2, starttime > INT64_MAX ? INT64_MAX : (int64_t)starttime);
	sqlite3_bind_text(s->proc_set, 3, key, -1, SQLITE_TRANSIENT);
	return spool_step(s, s->proc_set);
}

int
spool_forget_process(spool_t *s, const char *key)
{
	spool_join(s);
	sqlite3_bind_null(s->proc_set, 1);
	sqlite3_bind_null(s->proc_set, 2);
	sqlite3_bind_text(s->proc_set, 3, key, -1, SQLITE_TRANSIENT);
	return spool_step(s, s->proc_set);
}

int
spool_process_each(spool_t *s,
                   int (*fn)(void *ctx, const char *key, int64_t pgid, uint64_t starttime,
                             int64_t started_ms),
                   void *ctx)
{
	int rc;
	while ((rc = sqlite3_step(s->proc_each)) == SQLITE_ROW) {
		const char *key = (const char *)sqlite3_column_text(s->proc_each, 0);
		int64_t pgid = sqlite3_column_int64(s->proc_each, 1);
		uint64_t start = (uint64_t)sqlite3_column_int64(s->proc_each, 2);
		int64_t at = sqlite3_column_int64(s->proc_each, 3);
		if (fn(ctx, key ? key : "", pgid, start, at) != 0)
			break;
	}
	sqlite3_reset(s->proc_each);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

uint8_t *
spool_get(spool_t *s, const char *key, size_t *len)
{
	uint8_t *out = NULL;
	sqlite3_bind_text(s->get, 1, key, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(s->get) == SQLITE_ROW) {
		*len = (size_t)sqlite3_column_bytes(s->get, 0);
		out = xmalloc(*len ? *len : 1);
		if (*len)
			memcpy(out, sqlite3_column_blob(s->get, 0), *len);
	}
	sqlite3_reset(s->get);
	return out;
}

int
spool_output_put(spool_t *s, const char *key, uint64_t seq, const uint8_t *chunk, size_t len)
{
	spool_join(s);
	sqlite3_bind_text(s->out_put, 1, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s->out_put, 2, (int64_t)seq);
	sqlite3_bind_blob(s->out_put, 3, len ? chunk : (const void *)"", (int)len,
	                  SQLITE_TRANSIENT);
	return spool_step(s, s->out_put);
}

int
spool_output_ack(spool_t *s, const char *key, uint64_t seq)
{
	spool_join(s);
	sqlite3_bind_text(s->out_ack, 1, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s->out_ack, 2, seq > INT64_MAX ? INT64_MAX : (int64_t)seq);
	return spool_step(s, s->out_ack);
}

int
spool_output_drop(spool_t *s, const char *key)
{
	spool_join(s);
	sqlite3_bind_text(s->out_drop, 1, key, -1, SQLITE_TRANSIENT);
	return spool_step(s, s->out_drop);
}

int
spool_output_each(spool_t *s,
                  int (*fn)(void *ctx, const char *key, uint64_t seq, const uint8_t *chunk,
                            size_t len),
                  void *ctx)
{
	int rc;
	while ((rc = sqlite3_step(s->out_each)) == SQLITE_ROW) {
		const char *key = (const char *)sqlite3_column_text(s->out_each, 0);
		uint64_t seq = (uint64_t)sqlite3_column_int64(s->out_each, 1);
		const uint8_t *chunk = sqlite3_column_blob(s->out_each, 2);
		size_t len = (size_t)sqlite3_column_bytes(s->out_each, 2);
		if (fn(ctx, key ? key : "", seq, chunk, len) != 0)
			break;
	}
	sqlite3_reset(s->out_each);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

size_t
spool_output_count(spool_t *s, const char *key, uint64_t *bytes)
{
	sqlite3_stmt *st = key ? s->out_count_key : s->out_count;
	if (key)
		sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
	size_t n = 0;
	uint64_t b = 0;
	if (sqlite3_step(st) == SQLITE_ROW) {
		n = (size_t)sqlite3_column_int64(st, 0);
		b = (uint64_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (bytes)
		*bytes = b;
	return n;
}

int
spool_begin(spool_t *s)
{
	s->group = true;
	return 0;
}

int
spool_commit(spool_t *s)
{
	s->group = false;
	if (!s->in_tx)
		return 0;
	s->in_tx = false;
	char *err = NULL;
	if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, &err) != SQLITE_OK) {
		s->inserted = false;
		spool_failed(s, "commit", err);
		sqlite3_free(err);
		if (!sqlite3_get_autocommit(s->db))
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	if (s->inserted)
		spool_succeeded(s);
	s->inserted = false;
	return 0;
}

int
spool_sync(spool_t *s)
{
	if (!s->in_tx)
		return 0;
	bool group = s->group;
	int rc = spool_commit(s);
	s->group = group;
	return rc;
}
