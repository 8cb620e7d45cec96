/* dirlock: an exclusive flock on DIR/lock (see dirlock.h). */
#include "dirlock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xalloc.h"

int
dirlock_take(const char *dir, const char *program, char **error)
{
	char *path = xasprintf("%s/lock", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		*error = xasprintf("cannot open %s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int err = errno;
		char holder[32] = "";
		ssize_t n = pread(fd, holder, sizeof(holder) - 1, 0);
		holder[n > 0 ? n : 0] = '\0';
		holder[strcspn(holder, "\n")] = '\0';
		if (err == EWOULDBLOCK)
			*error = xasprintf("%s is in use by another %s (pid %s); stop it or give"
			                   " this one another directory",
			                   dir, program, holder[0] ? holder : "unknown");
		else
			*error = xasprintf("cannot lock %s: %s", path, strerror(err));
		close(fd);
		free(path);
		return -1;
	}
	char pid[32];
	int len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)len, 0) != len) {
		/* The pid is only a courtesy for the message above. */
	}
	free(path);
	return fd;
}

void
dirlock_release(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

bool
dirlock_held(int fd, const char *dir)
{
	struct stat open_st, path_st;
	char *path = xasprintf("%s/lock", dir);
	bool held = fstat(fd, &open_st) == 0 && open_st.st_nlink > 0 && stat(path, &path_st) == 0 &&
	            path_st.st_dev == open_st.st_dev && path_st.st_ino == open_st.st_ino;
	free(path);
	return held;
}
