/* store_checkpoint: the SQLite WAL's checkpoints, taken by a thread with a
 * connection of its own (see store.h, store_checkpointer_start).
 *
 * SQLite checkpoints by itself in the commit that takes the WAL past 1,000
 * pages: on the loop's thread, copying those pages into the file and
 * syncing both, while the turn's messages wait to be sent. Here the loop's
 * connection only says the WAL is that long (its WAL hook, which replaces
 * the automatic checkpoint) and this thread checkpoints, PASSIVE: it never
 * waits for the loop's writes nor holds them up (SQLite lets one
 * checkpoint run beside a writer; it copies only frames no reader still
 * needs). Durability is unchanged: with synchronous = NORMAL a commit was
 * never synced by itself, only at the checkpoint, and the checkpoint still
 * syncs the WAL before it copies a page.
 *
 * Must never: take the loop's connection (the thread has its own), or let
 * a failed checkpoint stop the next one (the WAL only grows meanwhile). */
#include "store_int.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xalloc.h"

struct store_checkpointer {
	sqlite3 *conn; /* owned: the thread's own connection */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool due;              /* the WAL reached STORE_CHECKPOINT_PAGES (under mu) */
	int asked;             /* the WAL's pages when the thread was last woken (the hook's) */
	bool stop;             /* under mu */
	uint64_t done, failed; /* under mu */
};

/* Called by SQLite on the loop's thread after each commit, with the WAL's
 * length in pages: wakes the thread, nothing more. A WAL that is not
 * written from its start again after a checkpoint (the commits went on
 * while it ran) stays long: the thread is then woken again only for each
 * quarter of STORE_CHECKPOINT_PAGES more, not after every commit (each
 * checkpoint syncs the disk twice). */
static int
store_checkpoint_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	(void)db;
	(void)name;
	store_checkpointer_t *c = arg;
	if (pages >= STORE_CHECKPOINT_PAGES &&
	    (pages < c->asked || pages >= c->asked + STORE_CHECKPOINT_PAGES / 4)) {
		c->asked = pages;
		pthread_mutex_lock(&c->mu);
		c->due = true;
		pthread_cond_signal(&c->cv);
		pthread_mutex_unlock(&c->mu);
	}
	return SQLITE_OK;
}

static void *
store_checkpoint_run(void *arg)
{
	store_checkpointer_t *c = arg;
	pthread_mutex_lock(&c->mu);
	for (;;) {
		while (!c->due && !c->stop)
			pthread_cond_wait(&c->cv, &c->mu);
		if (c->stop)
			break;
		c->due = false;
		pthread_mutex_unlock(&c->mu);
		int rc = sqlite3_wal_checkpoint_v2(c->conn, "main", SQLITE_CHECKPOINT_PASSIVE, NULL,
		                                   NULL);
		pthread_mutex_lock(&c->mu);
		/* Busy: a writer was starting the WAL again from its start, the
		 * checkpoint's work done already; the next commits ask again. */
		if (rc == SQLITE_OK) {
			c->done++;
		} else if (rc != SQLITE_BUSY && c->failed++ == 0) { /* logged once */
			log_warn(
			    "store: a checkpoint of the WAL failed: %s (tried again as it grows)",
			    sqlite3_errmsg(c->conn));
		}
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

int
store_checkpointer_start(store_t *s, char **error)
{
	sqlite3 *loop = db_sqlite_handle(s->db);
	if (loop == NULL || s->checkpointer != NULL)
		return 0; /* PostgreSQL checkpoints by itself; or started already */
	const char *path = sqlite3_db_filename(loop, "main");
	if (path == NULL || path[0] == '\0')
		return 0; /* an in-memory store has no WAL */
	store_checkpointer_t *c = xcalloc(1, sizeof(*c));
	int rc = sqlite3_open_v2(path, &c->conn, SQLITE_OPEN_READWRITE, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(c->conn, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		*error = xasprintf("store: cannot open a connection for the WAL's checkpoints: %s",
		                   c->conn ? sqlite3_errmsg(c->conn) : sqlite3_errstr(rc));
		sqlite3_close(c->conn);
		free(c);
		return -1;
	}
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	/* The thread inherits the caller's signal mask: the coordinator has
	 * blocked its signals (they are read from its signalfd) before. */
	rc = pthread_create(&c->thread, NULL, store_checkpoint_run, c);
	if (rc != 0) {
		*error = xasprintf("store: cannot start the checkpoint thread: %s", strerror(rc));
		pthread_cond_destroy(&c->cv);
		pthread_mutex_destroy(&c->mu);
		sqlite3_close(c->conn);
		free(c);
		return -1;
	}
	s->checkpointer = c;
	/* From now on the loop's commits no longer checkpoint by themselves. */
	sqlite3_wal_hook(loop, store_checkpoint_hook, c);
	return 0;
}

void
store_checkpointer_stop(store_t *s)
{
	store_checkpointer_t *c = s->checkpointer;
	if (c == NULL)
		return;
	/* Back to SQLite's own checkpoints before the hook's target goes. */
	sqlite3_wal_autocheckpoint(db_sqlite_handle(s->db), STORE_CHECKPOINT_PAGES);
	pthread_mutex_lock(&c->mu);
	c->stop = true;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->thread, NULL);
	sqlite3_close(c->conn);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	free(c);
	s->checkpointer = NULL;
}

uint64_t
store_checkpoints(store_t *s)
{
	store_checkpointer_t *c = s->checkpointer;
	if (c == NULL)
		return 0;
	pthread_mutex_lock(&c->mu);
	uint64_t n = c->done;
	pthread_mutex_unlock(&c->mu);
	return n;
}
