/* sha256: the SHA-256 digest (FIPS 180-4), for the checksum a backup of the
 * store carries (FILE.sha256, read by `sha256sum -c` as well as by
 * rota-coordinator --restore).
 *
 * Written here rather than linked: rota links no crypto library of its own
 * (CURVE is libzmq's), and a digest of files needs nothing more than this.
 * Not for secrets: nothing here is constant-time.
 *
 * Must never: read past the bytes it is given. */
#ifndef ROTA_SHA256_H
#define ROTA_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_BYTES 32
/* Hex digits and the NUL. */
#define SHA256_HEX_BYTES 65

typedef struct {
	uint32_t h[8];
	uint64_t bytes; /* hashed so far */
	uint8_t block[64];
	size_t fill; /* bytes waiting in block */
} sha256_t;

void sha256_init(sha256_t *c);
void sha256_update(sha256_t *c, const void *data, size_t len);
/* The digest as lowercase hex (the context is spent). */
void sha256_final_hex(sha256_t *c, char hex[SHA256_HEX_BYTES]);

/* The digest of the file at path, read whole in chunks. 0, or -1 with
 * errno set by open(2) or read(2). */
int sha256_file(const char *path, char hex[SHA256_HEX_BYTES]);

#endif
