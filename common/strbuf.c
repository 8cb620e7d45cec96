/* strbuf: a growable string (strbuf.h). */
#include "strbuf.h"

#include <string.h>

#include "xalloc.h"

void
strbuf_add(strbuf_t *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->data = xrealloc(b->data, b->cap);
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
strbuf_adds(strbuf_t *b, const char *s)
{
	strbuf_add(b, s, strlen(s));
}
