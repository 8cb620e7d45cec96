/* strbuf: a growable NUL-terminated string, for text built piece by piece
 * (a message, an SQL array literal). */
#ifndef ROTA_STRBUF_H
#define ROTA_STRBUF_H

#include <stddef.h>

typedef struct {
	char *data; /* owned: free(b.data), or taken by the caller */
	size_t len, cap;
} strbuf_t;

/* Makes room for more bytes and the NUL after them; data is a string
 * (empty at first) from then on. */
void strbuf_reserve(strbuf_t *b, size_t more);
/* Appends the n bytes at s; data stays NUL-terminated. */
void strbuf_add(strbuf_t *b, const char *s, size_t n);
/* Appends the string s. */
void strbuf_adds(strbuf_t *b, const char *s);

#endif
