/* file: a whole file read into memory (file.h).
 *
 * open(2) and read(2), not stdio: a FILE allocates and fills a 4 KiB
 * buffer of its own, and at 100,000 runbooks that malloc, copy and free
 * were a tenth of the catalog's start. A regular file gets one buffer of
 * its size and, most of the time, one read. */
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xalloc.h"

/* Frees a buffer of cap bytes after wiping it. */
static void
file_wipe_free(char *buf, size_t cap)
{
	if (buf != NULL) {
		explicit_bzero(buf, cap);
		free(buf);
	}
}

file_status_t
file_read_fd(int fd, size_t max, char **data, size_t *len)
{
	*data = NULL;
	*len = 0;
	size_t cap = max < 4096 ? max + 1 : 4096, n = 0;
	char *buf = xmalloc(cap); /* owned: returned */
	for (;;) {
		if (n == cap) {
			if (cap > max) {
				file_wipe_free(buf, cap);
				errno = EFBIG;
				return FILE_ERR_TOO_LARGE;
			}
			size_t grown = cap * 2 > max + 1 ? max + 1 : cap * 2;
			char *bigger = xmalloc(grown);
			memcpy(bigger, buf, n);
			file_wipe_free(buf, cap);
			buf = bigger;
			cap = grown;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			file_wipe_free(buf, cap);
			errno = e;
			return FILE_ERR_READ;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > max) {
		file_wipe_free(buf, cap);
		errno = EFBIG;
		return FILE_ERR_TOO_LARGE;
	}
	if (n == cap)
		buf = xrealloc(buf, cap + 1);
	buf[n] = '\0';
	*data = buf;
	*len = n;
	return FILE_OK;
}

/* Reads up to want bytes of a regular file; fewer if it shrank. */
static file_status_t
file_read_regular(int fd, size_t want, char **data, size_t *len)
{
	char *buf = xmalloc(want + 1); /* owned: returned */
	size_t n = 0;
	while (n < want) {
		ssize_t r = read(fd, buf + n, want - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			file_wipe_free(buf, want + 1);
			errno = e;
			return FILE_ERR_READ;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*data = buf;
	*len = n;
	return FILE_OK;
}

file_status_t
file_read_all(const char *path, size_t max, int flags, char **data, size_t *len, struct stat *st)
{
	struct stat local;
	if (st == NULL)
		st = &local;
	memset(st, 0, sizeof(*st));
	*data = NULL;
	*len = 0;
	int oflags = O_RDONLY | O_CLOEXEC | O_NOCTTY;
	if (flags & FILE_NONBLOCK)
		oflags |= O_NONBLOCK;
	int fd = -1;
	if (flags & FILE_NOATIME)
		fd = open(path, oflags | O_NOATIME);
	if (fd < 0 && (!(flags & FILE_NOATIME) || errno == EPERM))
		fd = open(path, oflags);
	if (fd < 0)
		return FILE_ERR_OPEN;
	file_status_t rc;
	if (fstat(fd, st) != 0) {
		rc = FILE_ERR_STAT;
	} else if (S_ISREG(st->st_mode)) {
		if (st->st_size < 0 || (unsigned long long)st->st_size > max) {
			errno = EFBIG;
			rc = FILE_ERR_TOO_LARGE;
		} else if (st->st_size == 0) {
			/* Empty, or a file of /proc or /sys, whose size says 0
			 * whatever it holds: read to its end. */
			rc = file_read_fd(fd, max, data, len);
		} else {
			rc = file_read_regular(fd, (size_t)st->st_size, data, len);
		}
	} else if (flags & FILE_ANY_KIND) {
		rc = file_read_fd(fd, max, data, len);
	} else {
		rc = FILE_ERR_NOT_REGULAR;
	}
	int e = errno;
	close(fd);
	errno = e;
	return rc;
}
