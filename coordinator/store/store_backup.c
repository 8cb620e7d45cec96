/* store_backup: a consistent copy of the SQLite store, taken while the
 * coordinator keeps working (`rota backup FILE`), and the checks a copy
 * must pass before a coordinator may start on it (--restore).
 *
 * The copy is SQLite's online backup API in slices: each call copies a
 * few pages (sqlite3_backup_step) and returns, so the loop answers its
 * sockets between slices. Pages the loop writes meanwhile through the same
 * connection are copied into the backup as they are written; a write by
 * another connection (the outbox's sender) makes SQLite start the copy
 * again from its first page. What is copied is the store as it was at the
 * end of the last slice: whole turns only, since a slice never runs inside
 * the turn's transaction.
 *
 * Then the copy is read back in slices of the same size, for its SHA-256
 * (and written to disk range by range, so the final fsync is short), and
 * put in place: FILE.sha256 (the `sha256sum` format) first, then the file
 * renamed from FILE.partial to FILE, so a FILE that exists always has its
 * checksum beside it. The schema version is the file's own (SQLite's
 * user_version, in its header, under the checksum).
 *
 * Must never: run a slice with the turn's transaction open, overwrite an
 * existing file, or leave FILE in place with a checksum that is not its
 * own. */
/* sync_file_range: _GNU_SOURCE comes from the build. */
#include "store_int.h"

#include <sqlite3.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sha256.h"
#include "xalloc.h"

/* The phases, one or more slices each. The copy's fsync runs on a thread
 * (slices only look whether it is done); the small files' fsyncs have a
 * slice each. */
typedef enum {
	BACKUP_COPY,  /* sqlite3_backup_step, a slice of pages at a time */
	BACKUP_COUNT, /* the copy's schema version and runs, read from it */
	BACKUP_HASH,  /* read back: the checksum, each range written out */
	BACKUP_SYNC,  /* the file's fsync */
	BACKUP_SUM,   /* FILE.sha256 written */
	BACKUP_PLACE, /* FILE.partial renamed to FILE, the directory synced */
} backup_phase_t;

struct store_backup {
	store_t *store; /* borrowed */
	char *dest;     /* owned: FILE */
	char *partial;  /* owned: FILE.partial, the copy being made */
	sqlite3 *out;   /* owned while copying */
	sqlite3_backup *b;
	backup_phase_t phase;
	int fd; /* the partial file, read back while hashing */
	uint64_t size, hashed;
	int page_size;
	sha256_t sha;
	store_backup_result_t result;
	/* The file's fsync runs on a thread of its own: on a busy disk it
	 * waits for tens or hundreds of milliseconds (118 ms measured for
	 * 128 MB), which would be the loop's pause. Slices look whether it
	 * is done; abort joins it. */
	pthread_t sync_thread;
	bool syncing;          /* sync_thread runs, or ran and is not joined */
	atomic_bool sync_done; /* set by sync_thread when fsync returned */
	int sync_errno;        /* fsync's errno, 0 when it succeeded */
};

static void *
store_backup_sync(void *arg)
{
	store_backup_t *b = arg;
	b->sync_errno = fsync(b->fd) == 0 ? 0 : errno;
	atomic_store(&b->sync_done, true);
	return NULL;
}

/* Joins the fsync thread if one was started. */
static void
store_backup_sync_join(store_backup_t *b)
{
	if (!b->syncing)
		return;
	pthread_join(b->sync_thread, NULL);
	b->syncing = false;
}

store_backup_t *
store_backup_begin(store_t *s, const char *dest, char **error)
{
	sqlite3 *in = db_sqlite_handle(s->db);
	if (in == NULL) {
		*error = xstrdup(STORE_BACKUP_PG_HINT);
		return NULL;
	}
	struct stat st;
	char *sum = xasprintf("%s.sha256", dest); /* owned */
	bool taken = lstat(dest, &st) == 0 || lstat(sum, &st) == 0;
	free(sum);
	if (taken) {
		*error = xasprintf("%s (or %s.sha256) already exists: give a new name (a backup"
		                   " never replaces a file)",
		                   dest, dest);
		return NULL;
	}
	store_backup_t *b = xcalloc(1, sizeof(*b));
	b->store = s;
	b->fd = -1;
	b->dest = xstrdup(dest);
	b->partial = xasprintf("%s.partial", dest);
	/* New and 0600 like the store; a partial file left by a crash is the
	 * operator's to look at, never silently reused. */
	int fd = open(b->partial, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		*error = xasprintf("cannot create %s: %s", b->partial, strerror(errno));
		free(b->partial);
		b->partial = NULL; /* not ours to remove */
		store_backup_abort(&b);
		return NULL;
	}
	close(fd);
	int rc = sqlite3_open_v2(b->partial, &b->out, SQLITE_OPEN_READWRITE, NULL);
	if (rc == SQLITE_OK)
		/* Each slice commits the copy: without a journal (a partial
		 * file is thrown away, never rolled back) and without a sync
		 * (made durable by the checksum pass and one fsync), a slice
		 * is the pages' copy and writes, no journal file made and
		 * deleted (that was 10-25 ms a slice on the bench machine). */
		rc = sqlite3_exec(b->out,
		                  "PRAGMA synchronous = OFF; PRAGMA journal_mode = OFF;"
		                  " PRAGMA locking_mode = EXCLUSIVE",
		                  NULL, NULL, NULL);
	if (rc == SQLITE_OK && (b->b = sqlite3_backup_init(b->out, "main", in, "main")) == NULL)
		rc = sqlite3_errcode(b->out);
	if (rc != SQLITE_OK) {
		*error = xasprintf("cannot start the copy to %s: %s", b->partial,
		                   b->out ? sqlite3_errmsg(b->out) : sqlite3_errstr(rc));
		store_backup_abort(&b);
		return NULL;
	}
	return b;
}

/* The copy is whole: what the checksum and the answer say of it, read
 * from the copy itself, then the file closed for the checksum pass. */
static int
store_backup_copied(store_backup_t *b, char **error)
{
	store_backup_result_t *r = &b->result;
	int rc = SQLITE_OK;
	sqlite3_stmt *st = NULL;
	if (rc == SQLITE_OK &&
	    (rc = sqlite3_prepare_v2(b->out, "PRAGMA user_version", -1, &st, NULL)) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		r->schema_version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	if (rc == SQLITE_OK &&
	    (rc = sqlite3_prepare_v2(b->out, "SELECT COUNT(*) FROM runs", -1, &st, NULL)) ==
	        SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		r->runs = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_OK) {
		*error = xasprintf("cannot finish the copy to %s: %s", b->partial,
		                   sqlite3_errmsg(b->out));
		return -1;
	}
	b->page_size = 4096;
	if (sqlite3_prepare_v2(b->out, "PRAGMA page_size", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		b->page_size = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (sqlite3_close(b->out) != SQLITE_OK) {
		*error = xasprintf("cannot close %s: %s", b->partial, sqlite3_errmsg(b->out));
		return -1;
	}
	b->out = NULL;
	struct stat sb;
	if ((b->fd = open(b->partial, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0 ||
	    fstat(b->fd, &sb) != 0) {
		*error = xasprintf("cannot read %s back: %s", b->partial, strerror(errno));
		return -1;
	}
	b->size = (uint64_t)sb.st_size;
	r->bytes = b->size;
	sha256_init(&b->sha);
	b->phase = BACKUP_HASH;
	return 0;
}

/* Writes FILE.sha256 whole (a temporary name, fsync, rename), in the
 * format `sha256sum -c` reads: the digest, two spaces, the file's name. */
static int
store_backup_write_sum(store_backup_t *b, char **error)
{
	char *sum = xasprintf("%s.sha256", b->dest);
	char *tmp = xasprintf("%s.sha256.partial", b->dest);
	char *copy = xstrdup(b->dest); /* basename may change its argument */
	int rc = -1;
	FILE *f = fopen(tmp, "wx");
	if (f == NULL) {
		*error = xasprintf("cannot create %s: %s", tmp, strerror(errno));
		goto out;
	}
	fprintf(f, "%s  %s\n", b->result.sha256, basename(copy));
	if (fflush(f) != 0 || fsync(fileno(f)) != 0 || fclose(f) != 0) {
		*error = xasprintf("cannot write %s: %s", tmp, strerror(errno));
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, sum) != 0) {
		*error = xasprintf("cannot rename %s to %s: %s", tmp, sum, strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	free(sum);
	free(tmp);
	free(copy);
	return rc;
}

/* Puts the backup in place once its checksum is (store_backup_write_sum):
 * the file renamed, then the directory's entries made durable. */
static int
store_backup_place(store_backup_t *b, char **error)
{
	if (rename(b->partial, b->dest) != 0) {
		*error =
		    xasprintf("cannot rename %s to %s: %s", b->partial, b->dest, strerror(errno));
		return -1;
	}
	free(b->partial);
	b->partial = NULL;
	char *copy = xstrdup(b->dest);
	int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	free(copy);
	return 0;
}

int
store_backup_step(store_backup_t *b, int pages, char **error)
{
	if (b->phase == BACKUP_COPY) {
		int rc = sqlite3_backup_step(b->b, pages);
		if (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			return 1; /* more to copy, or the source busy: the next slice goes on */
		if (rc != SQLITE_DONE) {
			*error = xasprintf("cannot copy the store to %s: %s", b->partial,
			                   sqlite3_errstr(rc));
			return -1;
		}
		b->result.pages = (uint64_t)sqlite3_backup_pagecount(b->b);
		rc = sqlite3_backup_finish(b->b);
		b->b = NULL;
		if (rc != SQLITE_OK) {
			*error = xasprintf("cannot finish the copy to %s: %s", b->partial,
			                   sqlite3_errmsg(b->out));
			return -1;
		}
		b->phase = BACKUP_COUNT;
		return 1;
	}
	switch (b->phase) {
	case BACKUP_COUNT:
		return store_backup_copied(b, error) == 0 ? 1 : -1;
	case BACKUP_SYNC:
		if (!b->syncing) {
			atomic_store(&b->sync_done, false);
			int rc = pthread_create(&b->sync_thread, NULL, store_backup_sync, b);
			if (rc != 0) {
				*error = xasprintf("cannot start writing %s to disk: %s",
				                   b->partial, strerror(rc));
				return -1;
			}
			b->syncing = true;
			return 1;
		}
		if (!atomic_load(&b->sync_done))
			return 1; /* the disk is still writing: the next slice looks again */
		store_backup_sync_join(b);
		if (b->sync_errno != 0) {
			*error = xasprintf("cannot write %s to disk: %s", b->partial,
			                   strerror(b->sync_errno));
			return -1;
		}
		close(b->fd);
		b->fd = -1;
		b->phase = BACKUP_SUM;
		return 1;
	case BACKUP_SUM:
		if (store_backup_write_sum(b, error) != 0)
			return -1;
		b->phase = BACKUP_PLACE;
		return 1;
	case BACKUP_PLACE:
		return store_backup_place(b, error) == 0 ? 0 : -1;
	default:
		break;
	}
	/* Hashing: as many bytes as the copy's slice would have written. */
	size_t want = (size_t)pages * (size_t)b->page_size;
	uint8_t *buf = xmalloc(want);
	while (want > 0 && b->hashed < b->size) {
		ssize_t n = pread(b->fd, buf, want, (off_t)b->hashed);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*error = xasprintf("cannot read %s back: %s", b->partial,
			                   n < 0 ? strerror(errno) : "it is shorter than it was");
			free(buf);
			return -1;
		}
		sha256_update(&b->sha, buf, (size_t)n);
		/* Its writing out started now, a slice at a time, without
		 * waiting for the disk: the last fsync then finds most of the
		 * file written and has little left to wait for. */
		sync_file_range(b->fd, (off_t)b->hashed, n, SYNC_FILE_RANGE_WRITE);
		b->hashed += (uint64_t)n;
		want -= (size_t)n;
	}
	free(buf);
	if (b->hashed == b->size) {
		sha256_final_hex(&b->sha, b->result.sha256);
		b->phase = BACKUP_SYNC;
	}
	return 1;
}

const store_backup_result_t *
store_backup_result(const store_backup_t *b)
{
	return &b->result;
}

const char *
store_backup_phase(const store_backup_t *b)
{
	static const char *const names[] = {"copy",  "count",       "checksum",
	                                    "fsync", "sha256 file", "rename"};
	return names[b->phase];
}

const char *
store_backup_dest(const store_backup_t *b)
{
	return b->dest;
}

void
store_backup_abort(store_backup_t **bp)
{
	store_backup_t *b = *bp;
	if (b == NULL)
		return;
	if (b->b != NULL)
		sqlite3_backup_finish(b->b);
	if (b->out != NULL)
		sqlite3_close(b->out);
	/* Before its fd is closed: the thread may still be in fsync. */
	store_backup_sync_join(b);
	if (b->fd >= 0)
		close(b->fd);
	if (b->partial != NULL)
		unlink(b->partial);
	if (b->partial != NULL && b->phase == BACKUP_PLACE) {
		/* Its checksum was put in place for a file that will not be. */
		char *sum = xasprintf("%s.sha256", b->dest);
		unlink(sum);
		free(sum);
	}
	free(b->partial);
	free(b->dest);
	free(b);
	*bp = NULL;
}

/* ---- the checks of --restore ---- */

/* The digest FILE.sha256 names for FILE: 0, or -1 with *error. */
static int
store_backup_read_sum(const char *file, char hex[SHA256_HEX_BYTES], char **error)
{
	char *sum = xasprintf("%s.sha256", file);
	FILE *f = fopen(sum, "r");
	int rc = -1;
	if (f == NULL) {
		*error = xasprintf("cannot read its checksum %s: %s (a backup made by rota backup"
		                   " has one beside it)",
		                   sum, strerror(errno));
		goto out;
	}
	char line[256];
	size_t n = 0;
	if (fgets(line, sizeof(line), f) != NULL)
		n = strspn(line, "0123456789abcdef");
	fclose(f);
	if (n != SHA256_HEX_BYTES - 1 || (line[n] != ' ' && line[n] != '\t')) {
		*error = xasprintf("%s does not hold a SHA-256 checksum (64 hex digits, then the"
		                   " file's name)",
		                   sum);
		goto out;
	}
	memcpy(hex, line, SHA256_HEX_BYTES - 1);
	hex[SHA256_HEX_BYTES - 1] = '\0';
	rc = 0;
out:
	free(sum);
	return rc;
}

int
store_backup_verify(const char *copy, const char *file, store_backup_result_t *out, char **error)
{
	memset(out, 0, sizeof(*out));
	char want[SHA256_HEX_BYTES];
	if (store_backup_read_sum(file, want, error) != 0)
		return -1;
	struct stat st;
	if (sha256_file(copy, out->sha256) != 0 || stat(copy, &st) != 0) {
		*error = xasprintf("cannot read %s: %s", copy, strerror(errno));
		return -1;
	}
	out->bytes = (uint64_t)st.st_size;
	if (strcmp(want, out->sha256) != 0) {
		*error = xasprintf("its checksum does not match %s.sha256 (the file is %llu bytes,"
		                   " SHA-256 %s; the backup was %s): the file is damaged or"
		                   " truncated; restore another backup",
		                   file, (unsigned long long)out->bytes, out->sha256, want);
		return -1;
	}
	sqlite3 *db = NULL;
	sqlite3_stmt *st_ = NULL;
	int rc = sqlite3_open_v2(copy, &db, SQLITE_OPEN_READWRITE, NULL);
	int result = -1;
	if (rc != SQLITE_OK) {
		*error = xasprintf("cannot open it as a SQLite database: %s",
		                   db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		goto out;
	}
	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st_, NULL) != SQLITE_OK ||
	    sqlite3_step(st_) != SQLITE_ROW) {
		*error = xasprintf("it is not a sound SQLite database: %s", sqlite3_errmsg(db));
		goto out;
	}
	const char *verdict = (const char *)sqlite3_column_text(st_, 0);
	if (verdict == NULL || strcmp(verdict, "ok") != 0) {
		*error = xasprintf("SQLite's integrity check fails: %s",
		                   verdict ? verdict : "no verdict");
		goto out;
	}
	sqlite3_finalize(st_);
	st_ = NULL;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st_, NULL) != SQLITE_OK ||
	    sqlite3_step(st_) != SQLITE_ROW) {
		*error = xasprintf("cannot read its schema version: %s", sqlite3_errmsg(db));
		goto out;
	}
	out->schema_version = sqlite3_column_int(st_, 0);
	sqlite3_finalize(st_);
	st_ = NULL;
	if (out->schema_version > STORE_SCHEMA_VERSION) {
		*error =
		    xasprintf("its schema version %d is newer than this rota-coordinator's (%d):"
		              " restore it with the rota-coordinator that made it, or a newer"
		              " one",
		              out->schema_version, STORE_SCHEMA_VERSION);
		goto out;
	}
	if (sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM runs", -1, &st_, NULL) != SQLITE_OK ||
	    sqlite3_step(st_) != SQLITE_ROW) {
		*error =
		    xasprintf("it holds no rota store (no runs table): %s", sqlite3_errmsg(db));
		goto out;
	}
	out->runs = (uint64_t)sqlite3_column_int64(st_, 0);
	result = 0;
out:
	sqlite3_finalize(st_);
	sqlite3_close(db);
	return result;
}

int
store_read_only(store_t *s)
{
	return store_exec(s, store_is_postgresql(s) ? "SET default_transaction_read_only = on"
	                                            : "PRAGMA query_only = ON");
}

/* ---- the last backup's outcome, kept in meta ---- */

int
store_meta_set(store_t *s, const char *key, const char *value)
{
	static const char sql[] = "INSERT INTO meta (key, value) VALUES (?, ?)"
	                          " ON CONFLICT (key) DO UPDATE SET value = excluded.value";
	return STORE_WRITE_SQL(s, sql, STORE_TEXT(key), STORE_TEXT(value));
}

int
store_meta_get(store_t *s, const char *key, char **value)
{
	static const char sql[] = "SELECT value FROM meta WHERE key = ?";
	*value = NULL;
	db_stmt_t *st = store_stmt(s, sql);
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, key);
	int rc = db_step(st);
	if (rc == DB_ERROR) {
		store_stmt_failed(s, st);
		return -1;
	}
	if (rc == DB_ROW)
		*value = xstrdup(db_column_text(st, 0));
	db_reset(st);
	return 0;
}

int64_t
store_bytes(store_t *s)
{
	static const char sql[] = "SELECT page_count * page_size FROM pragma_page_count(),"
	                          " pragma_page_size()";
	static const char pg_sql[] = "SELECT pg_database_size(current_database())";
	db_stmt_t *st = store_stmt2(s, sql, pg_sql);
	if (st == NULL)
		return -1;
	int64_t bytes = db_step(st) == DB_ROW ? db_column_int64(st, 0) : -1;
	db_reset(st);
	return bytes;
}
