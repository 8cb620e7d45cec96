/* redactor: replaces secret values with "****" in a stream of bytes.
 *
 * A step's output arrives in chunks that may split a secret anywhere, so the
 * redactor holds back the end of a chunk while it could still be the start
 * of a secret (at most len(longest secret) - 1 bytes) and decides when the
 * next chunk, or the end of the stream, comes. One redactor per stream.
 *
 * Must never: let any complete secret through, or hold back more than a
 * secret's prefix. Empty secrets are ignored (they would match everywhere).
 * A secret of one character masks every occurrence of that character: the
 * price of never showing it. */
#ifndef ROTA_REDACTOR_H
#define ROTA_REDACTOR_H

#include <stddef.h>
#include <stdint.h>

#define REDACTOR_MASK "****"

typedef struct redactor redactor_t;

/* A redactor for the n secrets (copied; the caller keeps its own). Returns
 * NULL when no secret is non-empty: there is then nothing to redact, and
 * callers skip the work. */
redactor_t *redactor_new(const char *const *secrets, size_t n);
/* Wipes the copies of the secrets and what is held back, frees. */
void redactor_destroy(redactor_t **rp);

/* Feeds len bytes. *out (the caller frees; NULL when *out_len is 0) gets
 * what may be passed on now, redacted; the rest is held for the next feed. */
void redactor_feed(redactor_t *r, const uint8_t *data, size_t len, uint8_t **out, size_t *out_len);
/* The end of the stream: what was held back, redacted. */
void redactor_flush(redactor_t *r, uint8_t **out, size_t *out_len);
/* Bytes held back now (for tests). */
size_t redactor_pending(const redactor_t *r);

/* text with every secret replaced (the caller frees). text may be NULL:
 * then NULL. */
char *redactor_text(const char *text, const char *const *secrets, size_t n);

#endif
