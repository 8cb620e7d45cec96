/* spool: the worker's durable memory, a SQLite file in --spool DIR.
 *
 * Every Result is written here before it is sent and deleted only when the
 * coordinator acknowledges it, so a result survives a lost connection, a
 * coordinator restart and the worker's own restart. The spool also records
 * every step attempt the worker started, so it never starts one twice. */
#ifndef ROTA_SPOOL_H
#define ROTA_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct spool spool_t;

/* Opens DIR/spool.db, creating DIR (0700) and the file. NULL with *error. */
spool_t *spool_open(const char *dir, char **error);
void spool_close(spool_t **sp);

/* key is the step key in text form (see agent.c). */
int spool_put(spool_t *s, const char *key, const uint8_t *result, size_t len);
int spool_delete(spool_t *s, const char *key);
/* Calls fn for each spooled result in the order they were written; stops
 * when fn returns non-zero. */
int spool_each(spool_t *s, int (*fn)(void *ctx, const char *key, const uint8_t *data, size_t len),
               void *ctx);
size_t spool_count(spool_t *s);
/* The spooled result under key in a new buffer the caller frees, or NULL. */
uint8_t *spool_get(spool_t *s, const char *key, size_t *len);

/* Records that an attempt was started; returns 1 if it already was. */
int spool_mark_started(spool_t *s, const char *key);

#endif
