/* storelock: the coordinator's hold on its store file, and the watch that
 * the file it writes is still the one on disk.
 *
 * DATA_DIR/lock (dirlock) keeps a second coordinator out only while that
 * file exists: deleted, the next one takes a new lock and opens the same
 * store. So the store file itself is flocked too, before SQLite opens it
 * (flock and SQLite's own fcntl locks do not interact on Linux). And a
 * store deleted or replaced under a running coordinator is still written,
 * to an inode nobody will open again: everything acknowledged from then on
 * is lost at the next start. storelock_check says so, from the open file's
 * link count and the path's inode, for the file and its WAL.
 *
 * Must never: close its descriptors while SQLite has the file open (a
 * close drops every POSIX lock the process holds on the file: SQLite's
 * too); storelock_release comes after store_destroy. */
#ifndef ROTA_STORELOCK_H
#define ROTA_STORELOCK_H

typedef struct storelock storelock_t;

/* Opens path (creating it empty, mode 0600, when absent) and takes an
 * exclusive flock on it. NULL with *error (the caller frees) naming the
 * file when another process holds it or it cannot be opened. */
storelock_t *storelock_take(const char *path, char **error);

/* 0 while path and its WAL (path-wal, watched from the first call that
 * finds it) are the files this process holds open (and for k NULL: a
 * PostgreSQL store has no file to watch); -1 with *why (the
 * caller frees: what happened, in a sentence) when either was deleted or
 * replaced. Costs two fstat and two stat calls. */
int storelock_check(storelock_t *k, char **why);

/* Accepts NULL; sets *kp to NULL. */
void storelock_release(storelock_t **kp);

#endif
