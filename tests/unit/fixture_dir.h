/* fixture_dir: a temporary directory for unit tests, so no test writes its
 * own mkdtemp and rm -rf.
 *
 * Directories are /tmp/rota-<name>.XXXXXX, made into the test's own
 * buffer; fixture_dir_remove removes one with everything in it.
 *
 * Must never: remove a directory it did not make. */
#ifndef ROTA_FIXTURE_DIR_H
#define ROTA_FIXTURE_DIR_H

#include <stddef.h>

/* Makes the temporary directory into dir. 0, or -1 (said on stderr; dir
 * is then ""). */
int fixture_dir_make(const char *name, char *dir, size_t dir_len);
/* Removes dir with everything in it. 0, or -1 when it could not be
 * removed or is not a /tmp/rota-* directory. */
int fixture_dir_remove(const char *dir);
/* "dir/name", in a buffer of this module's (borrowed, valid until the
 * next call). */
char *fixture_dir_path(const char *dir, const char *name);

#endif
