/* dirlock: one daemon per data directory.
 *
 * Two coordinators on one store, or two workers on one spool, would each
 * believe they own what they read and write. The first to start takes an
 * exclusive flock on DIR/lock (and writes its pid there); the second is
 * refused with a message naming the holder. The kernel drops the lock when
 * the holder exits, however it exits, so a crash never leaves it stale. */
#ifndef ROTA_DIRLOCK_H
#define ROTA_DIRLOCK_H

#include <stdbool.h>

/* Returns the lock's file descriptor (keep it open for the life of the
 * daemon), or -1 with *error set (the caller frees it). */
int dirlock_take(const char *dir, const char *program, char **error);
void dirlock_release(int *fd);
/* True while DIR/lock is still the file fd holds (not deleted, not
 * replaced): a lock on a file that lost its name keeps nobody out. */
bool dirlock_held(int fd, const char *dir);

#endif
