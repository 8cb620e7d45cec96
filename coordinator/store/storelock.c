/* storelock: a flock on the store file and a watch on its inode (see
 * storelock.h). */
#include "storelock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xalloc.h"

typedef struct {
	char *path; /* owned */
	int fd;     /* owned; -1 until the file is seen */
	dev_t dev;
	ino_t ino;
} watched_t;

struct storelock {
	watched_t db;
	watched_t wal;
};

static void
watched_note(watched_t *w, const struct stat *st)
{
	w->dev = st->st_dev;
	w->ino = st->st_ino;
}

/* 0, or -1 with *why when w's open file lost its name or the name now
 * points elsewhere. */
static int
watched_check(const watched_t *w, const char *what, char **why)
{
	struct stat open_st, path_st;
	if (fstat(w->fd, &open_st) != 0) {
		*why = xasprintf("cannot fstat %s: %s", w->path, strerror(errno));
		return -1;
	}
	if (open_st.st_nlink == 0) {
		*why = xasprintf("%s (%s) was deleted while the coordinator was using it", w->path,
		                 what);
		return -1;
	}
	if (stat(w->path, &path_st) != 0 || path_st.st_dev != w->dev || path_st.st_ino != w->ino) {
		*why = xasprintf("%s (%s) was replaced by another file while the coordinator was"
		                 " using it",
		                 w->path, what);
		return -1;
	}
	return 0;
}

storelock_t *
storelock_take(const char *path, char **error)
{
	storelock_t *k = xcalloc(1, sizeof(*k));
	k->db.path = xstrdup(path);
	k->db.fd = -1;
	k->wal.path = xasprintf("%s-wal", path);
	k->wal.fd = -1;
	struct stat st;
	k->db.fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
	if (k->db.fd < 0) {
		*error = xasprintf("cannot open %s: %s", path, strerror(errno));
		goto fail;
	}
	if (fstat(k->db.fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		*error = xasprintf("%s is not a regular file", path);
		goto fail;
	}
	if (flock(k->db.fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK)
			*error = xasprintf(
			    "the store %s is in use by another process (a rota-coordinator holds a"
			    " lock on the file itself, whatever became of its lock file): stop it,"
			    " or give this one another --data-dir",
			    path);
		else
			*error = xasprintf("cannot lock %s: %s", path, strerror(errno));
		goto fail;
	}
	watched_note(&k->db, &st);
	return k;
fail:
	storelock_release(&k);
	return NULL;
}

int
storelock_check(storelock_t *k, char **why)
{
	if (k == NULL) /* no file to watch: a PostgreSQL store */
		return 0;
	if (watched_check(&k->db, "the store", why) != 0)
		return -1;
	if (k->wal.fd < 0) {
		/* SQLite makes the WAL when it opens the store and keeps it
		 * while open: from the first sight on, it is watched too. */
		int fd = open(k->wal.path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		struct stat st;
		if (fd < 0)
			return 0;
		if (fstat(fd, &st) != 0) {
			close(fd);
			return 0;
		}
		k->wal.fd = fd;
		watched_note(&k->wal, &st);
	}
	return watched_check(&k->wal, "the store's write-ahead log", why);
}

void
storelock_release(storelock_t **kp)
{
	if (kp == NULL || *kp == NULL)
		return;
	storelock_t *k = *kp;
	if (k->db.fd >= 0)
		close(k->db.fd);
	if (k->wal.fd >= 0)
		close(k->wal.fd);
	free(k->db.path);
	free(k->wal.path);
	free(k);
	*kp = NULL;
}
