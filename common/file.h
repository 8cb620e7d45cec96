/* file: a whole file read into memory, the one way rota does it.
 *
 * Key files, runbooks, param files and the HTTP token are read whole, with
 * a size limit checked before the bytes are touched. The caller words the
 * error: each has its own message (tests assert them), so these functions
 * return what went wrong and leave errno as the system set it.
 *
 * Must never: read more than max bytes, or block opening a FIFO when asked
 * not to (FILE_NONBLOCK). */
#ifndef ROTA_FILE_H
#define ROTA_FILE_H

#include <stddef.h>
#include <sys/stat.h>

typedef enum {
	FILE_OK = 0,
	FILE_ERR_OPEN,        /* open(2) failed: errno says why */
	FILE_ERR_STAT,        /* fstat(2) failed: errno says why */
	FILE_ERR_NOT_REGULAR, /* a directory, FIFO, device ... (without FILE_ANY_KIND) */
	FILE_ERR_TOO_LARGE,   /* over max bytes; errno is EFBIG */
	FILE_ERR_READ,        /* read(2) failed: errno says why */
} file_status_t;

/* Flags of file_read_all. */
#define FILE_NONBLOCK 0x1 /* open with O_NONBLOCK: a FIFO must not wait for a writer */
#define FILE_ANY_KIND 0x2 /* read a FIFO or device too (/dev/stdin), as a stream */
/* Leave the file's access time alone where the kernel allows it (O_NOATIME:
 * files of this user, or with CAP_FOWNER; elsewhere read as usual). */
#define FILE_NOATIME 0x4

/* Reads the file at path, at most max bytes, into *data: a new buffer the
 * caller frees, NUL-terminated after its *len bytes (the file may hold NUL
 * bytes of its own). A regular file is read up to the size fstat gave: one
 * that grows meanwhile is cut there, one that shrinks ends early; one whose
 * size is 0 (a file of /proc) is read to its end as a stream. With
 * FILE_ANY_KIND anything else is read to its end as a stream.
 * st, when not NULL, receives fstat(2) of the file opened (its mode and
 * size: what is checked is what is read); it is filled from
 * FILE_ERR_NOT_REGULAR on.
 * On failure *data is NULL, *len 0, and what was read is wiped before it
 * is freed (a key file holds a secret). */
file_status_t file_read_all(const char *path, size_t max, int flags, char **data, size_t *len,
                            struct stat *st);

/* Reads fd to its end, at most max bytes, into *data as file_read_all does
 * (FILE_OK, FILE_ERR_TOO_LARGE or FILE_ERR_READ). Does not close fd. */
file_status_t file_read_fd(int fd, size_t max, char **data, size_t *len);

#endif
