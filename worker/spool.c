/* spool: unacknowledged results and started attempts in SQLite. */
#include "spool.h"

#include <errno.h>
#include <sqlite3.h>
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
};

static const char spool_schema[] =
    "PRAGMA journal_mode = WAL;"
    "CREATE TABLE IF NOT EXISTS results (seq INTEGER PRIMARY KEY, key TEXT UNIQUE NOT NULL,"
    " result BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS started (key TEXT PRIMARY KEY, at_ms INTEGER NOT NULL);"
    /* Started attempts are only needed while a coordinator could still
     * send the same order again; a week is far beyond any retry. */
    "DELETE FROM started WHERE at_ms < (strftime('%s','now') - 7 * 86400) * 1000;";

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
	                       NULL) != SQLITE_OK) {
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
	sqlite3_close(s->db);
	dirlock_release(&s->lockfd);
	free(s);
	*sp = NULL;
}

static int
spool_step(spool_t *s, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		log_error("spool: %s", sqlite3_errmsg(s->db));
		return -1;
	}
	return 0;
}

int
spool_put(spool_t *s, const char *key, const uint8_t *result, size_t len)
{
	sqlite3_bind_text(s->put, 1, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(s->put, 2, result, (int)len, SQLITE_TRANSIENT);
	return spool_step(s, s->put);
}

int
spool_delete(spool_t *s, const char *key)
{
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
	sqlite3_bind_text(s->mark, 1, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s->mark, 2, clock_wall_ms());
	if (spool_step(s, s->mark) != 0)
		return -1;
	return sqlite3_changes(s->db) == 0 ? 1 : 0;
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
