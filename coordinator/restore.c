/* restore: --restore (restore.h): refuse early, copy, check the copy, put
 * it in place. Runs before any coordinator starts, so it may block. */
#include "restore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dirlock.h"
#include "store/store.h"
#include "xalloc.h"

/* Entries of dir other than ".", ".." and a stale "lock": 0 when empty,
 * with the first one's name in first. -1 when dir cannot be read. */
static int
restore_dir_entries(const char *dir, char *first, size_t first_len, size_t *count)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return -1;
	*count = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
		    strcmp(e->d_name, "lock") == 0)
			continue;
		if ((*count)++ == 0)
			snprintf(first, first_len, "%s", e->d_name);
	}
	closedir(d);
	return 0;
}

/* Copies from to a new file to (0600), synced. 0, or -1 with *error. */
static int
restore_copy(const char *from, const char *to, char **error)
{
	int in = open(from, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (in < 0) {
		*error = xasprintf("cannot read %s: %s", from, strerror(errno));
		return -1;
	}
	int outfd = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600);
	if (outfd < 0) {
		*error = xasprintf("cannot create %s: %s", to, strerror(errno));
		close(in);
		return -1;
	}
	char buf[1 << 16];
	int rc = 0;
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*error = xasprintf("cannot read %s: %s", from, strerror(errno));
			rc = -1;
			break;
		}
		if (n == 0)
			break;
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(outfd, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				*error = xasprintf("cannot write %s: %s", to, strerror(errno));
				rc = -1;
				break;
			}
			off += w;
		}
		if (rc != 0)
			break;
	}
	if (rc == 0 && fsync(outfd) != 0) {
		*error = xasprintf("cannot write %s to disk: %s", to, strerror(errno));
		rc = -1;
	}
	close(in);
	close(outfd);
	if (rc != 0)
		unlink(to);
	return rc;
}

int
restore_run(const char *file, const char *data_dir, bool force, FILE *out, char **error)
{
	struct stat st;
	if (stat(file, &st) != 0) {
		*error = xasprintf("%s: %s", file, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		*error = xasprintf("%s: not a regular file", file);
		return -1;
	}
	if (mkdir(data_dir, 0700) != 0 && errno != EEXIST) {
		*error = xasprintf("cannot create %s: %s", data_dir, strerror(errno));
		return -1;
	}
	char first[256] = "";
	size_t count = 0;
	if (restore_dir_entries(data_dir, first, sizeof(first), &count) != 0) {
		*error = xasprintf("cannot read %s: %s", data_dir, strerror(errno));
		return -1;
	}
	if (count > 0 && !force) {
		*error = xasprintf("%s is not empty (it holds %s%s): restore into an empty or new"
		                   " directory, or give --force to replace its store (rota.db) and"
		                   " keep the rest",
		                   data_dir, first, count > 1 ? " and more" : "");
		return -1;
	}
	/* Nobody runs on it while it changes: a coordinator holds this lock. */
	int lock = dirlock_take(data_dir, "rota-coordinator --restore", error);
	if (lock < 0)
		return -1;
	char *db = xasprintf("%s/rota.db", data_dir);             /* owned */
	char *copy = xasprintf("%s/rota.db.restoring", data_dir); /* owned */
	int rc = -1;
	unlink(copy); /* a crashed restore's: ours, under the lock */
	store_backup_result_t res;
	char *why = NULL;
	if (restore_copy(file, copy, error) != 0)
		goto out;
	if (store_backup_verify(copy, file, &res, &why) != 0) {
		*error = xasprintf("%s is refused: %s", file, why);
		free(why);
		unlink(copy);
		goto out;
	}
	/* The old store's WAL must not be replayed into the new file. */
	const char *sides[] = {"-wal", "-shm", "-journal"};
	for (size_t i = 0; i < sizeof(sides) / sizeof(sides[0]); i++) {
		char *side = xasprintf("%s%s", db, sides[i]);
		unlink(side);
		free(side);
	}
	if (rename(copy, db) != 0) {
		*error = xasprintf("cannot rename %s to %s: %s", copy, db, strerror(errno));
		unlink(copy);
		goto out;
	}
	int dfd = open(data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	fprintf(out,
	        "restored %s into %s: %" PRIu64 " runs, schema version %d, %" PRIu64
	        " bytes, SHA-256 %s (checked, and SQLite's integrity check ok)\n"
	        "start a coordinator on it: rota-coordinator --data-dir %s (add --read-only to"
	        " look without running anything)\n",
	        file, db, res.runs, res.schema_version, res.bytes, res.sha256, data_dir);
	rc = 0;
out:
	free(db);
	free(copy);
	dirlock_release(&lock);
	return rc;
}
