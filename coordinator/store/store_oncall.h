/* store_oncall: on-call overrides set by operators (rota oncall override,
 * schema 13). Part of the store room's public header (store.h includes
 * it). The configuration's own overrides are not stored: they are read
 * from the file at start.
 *
 * Must never: write outside the turn's transaction (each write begins it). */
#ifndef ROTA_STORE_ONCALL_H
#define ROTA_STORE_ONCALL_H

#include <stddef.h>
#include <stdint.h>

#include "rotation.h"

typedef struct store store_t;

/* Records an override of rotation: person from from_ms until until_ms,
 * set by `by` at at_ms. 0, or -1 (the turn marked failed). */
int store_oncall_override_add(store_t *s, const char *rotation, const rotation_override_t *o,
                              int64_t at_ms);
/* The overrides of rotation that end after after_ms, oldest first, into
 * *out (the caller's: rotation_override_clear each, then free) and *n.
 * 0 or -1. */
int store_oncall_overrides(store_t *s, const char *rotation, int64_t after_ms,
                           rotation_override_t **out, size_t *n);

/* Calendar feed links (rota oncall feed, schema 18): a link's secret is
 * never stored, only its hash (hex, at most 128 chars). */
/* Records a link of rotation by its hash. 0, or -1 (the turn failed). */
int store_oncall_feed_add(store_t *s, const char *rotation, const char *hash, const char *by,
                          int64_t at_ms);
/* Deletes every link of rotation; *count says how many. 0 or -1. */
int store_oncall_feed_revoke(store_t *s, const char *rotation, uint64_t *count);
/* The rotation of the link whose hash is hash, into out (len bytes):
 * 0 found, 1 none, -1 the store could not be read. */
int store_oncall_feed_find(store_t *s, const char *hash, char *out, size_t len);

#endif
