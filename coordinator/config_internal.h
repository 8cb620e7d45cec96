/* config_internal: what config.c and config_roster.c (people: and
 * rotations:) share; not for other modules. */
#ifndef ROTA_CONFIG_INTERNAL_H
#define ROTA_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "yamltree.h"

/* Every problem is reported and reading goes on with the next key, so an
 * operator sees all of a file's errors at once. */
typedef struct {
	yamltree_report_t rep;
} config_reader_t;

/* Records an error at n ("FILE:LINE:COLUMN: what"); always false, so
 * callers can `return config_fail(...)`. */
bool config_fail(config_reader_t *r, const yamltree_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* n's text when it is a scalar, else NULL. */
const char *config_scalar(const yamltree_node_t *n);
/* Pairs of a mapping: kids[2i] is a key, kids[2i+1] its value. */
size_t config_pairs(const yamltree_node_t *map);
/* True when n is of kind; else reports "WHAT must be ..." */
bool config_expect(config_reader_t *r, const yamltree_node_t *n, yamltree_kind_t kind,
                   const char *what);
bool config_read_duration(config_reader_t *r, const yamltree_node_t *n, const char *what,
                          int64_t *out);
/* A value given directly (KEY) or through the environment (KEY_env), into
 * *out (replaced; owned by the caller). */
bool config_read_secret(config_reader_t *r, const yamltree_node_t *key, const yamltree_node_t *val,
                        const char *name, char **out);
/* One channel's kind node and options into ch (ch->name set first). */
bool config_read_channel_body(config_reader_t *r, const yamltree_node_t *kind,
                              const yamltree_node_t *opts, channel_t *ch);

/* config_roster.c: `people:` (read after channels:, before the rest) and
 * `rotations:` (after people:). given is the key, for "given twice". */
void config_read_smtp(config_reader_t *r, const yamltree_node_t *n, config_t *c);
void config_read_people(config_reader_t *r, const yamltree_node_t *given, const yamltree_node_t *n,
                        config_t *c);
void config_read_rotations(config_reader_t *r, const yamltree_node_t *given,
                           const yamltree_node_t *n, config_t *c);
/* Frees c's people and rotations. */
void config_roster_clear(config_t *c);

#endif
