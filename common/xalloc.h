/* xalloc: allocation that never returns NULL.
 *
 * rota's daemons treat memory exhaustion as unrecoverable: a half-recorded
 * result is worse than a restart that the spool and the store recover from.
 * So these abort with a message instead of making every caller handle NULL.
 * Everything that comes from outside (sizes from a peer, a file) must be
 * bounded before it reaches these. */
#ifndef ROTA_XALLOC_H
#define ROTA_XALLOC_H

#include <stdarg.h>
#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t n);
void *xrealloc(void *p, size_t n);
/* Returns a copy the caller frees; NULL in gives NULL out. */
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a new string the caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

#endif
