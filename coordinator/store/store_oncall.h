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

#endif
