/* fnv: FNV-1a, 64 bits: the hash of the in-memory indexes (runs, hosts,
 * runbooks, held rows) and of version tags and jitters that must be the
 * same on every build and restart. Not a security hash.
 *
 * Its start is the one rota's hashes have always used, which is FNV's
 * published offset basis (14695981039346656037) less its last digit: the
 * runbooks' version tags and the schedules' jitters come from it, so it
 * stays; a hash's spread does not depend on it. */
#ifndef ROTA_FNV_H
#define ROTA_FNV_H

#include <stddef.h>
#include <stdint.h>

#define FNV_START 1469598103934665603ULL

/* h carried on over the bytes of the string s (its NUL not included):
 * fnv_add(FNV_START, s) is s's hash. */
uint64_t fnv_add(uint64_t h, const char *s);
/* The same over n bytes at data. */
uint64_t fnv_add_bytes(uint64_t h, const void *data, size_t n);

#endif
