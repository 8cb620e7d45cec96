/* catalog_read: the files of a runbook directory read and parsed on a few
 * threads, before the catalog takes them in file name order on the
 * loop's thread (catalog_load).
 *
 * At 100,000 runbooks reading and parsing the files is two thirds of a
 * start, and each file's work touches nothing another file's does: each
 * thread takes the next files in turn and writes only their own slots, so
 * the results, and the errors in them, are the same and in the same order
 * whatever the number of threads. Nothing here logs, nor touches the store
 * or a catalog: the caller does, in file name order, once every file is
 * in. */
#ifndef ROTA_CATALOG_READ_H
#define ROTA_CATALOG_READ_H

#include <stddef.h>

#include "runbook.h"

/* At most this many threads read (the loop's own included). */
#define CATALOG_READ_THREADS_MAX 4

/* One file, read and parsed. */
typedef struct {
	char *text;     /* owned: the file's bytes, NUL-terminated; NULL: unreadable */
	size_t len;     /* of text */
	runbook_t *rb;  /* owned: the runbook; NULL when the file is invalid */
	char *errors;   /* owned: "file:line:column: message" lines when rb is NULL */
	char *warnings; /* owned: a valid runbook's warnings as rota lint says them, or NULL */
} catalog_read_t;

/* Reads and parses dir/names[i] into out[i] for i < n (out zeroed by the
 * caller) on threads threads (0: one per online CPU, at most
 * CATALOG_READ_THREADS_MAX; never more than the files call for). Returns
 * how many threads read. A thread that cannot be started leaves its share
 * to the others: every file is read whatever happens. */
unsigned catalog_read_all(const char *dir, char *const *names, size_t n, unsigned threads,
                          catalog_read_t *out);
/* Frees what r holds and zeroes it. */
void catalog_read_clear(catalog_read_t *r);

#endif
