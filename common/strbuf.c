/* strbuf: a growable string (strbuf.h). */
#include "strbuf.h"

#include <string.h>

#include "xalloc.h"

void
strbuf_reserve(strbuf_t *b, size_t more)
{
	if (b->len + more + 1 <= b->cap)
		return;
	/* Doubling keeps a string built a byte at a time linear. */
	size_t cap = b->cap * 2;
	if (cap < b->len + more + 1)
		cap = b->len + more + 1;
	b->data = xrealloc(b->data, cap);
	if (b->cap == 0)
		b->data[0] = '\0';
	b->cap = cap;
}

void
strbuf_add(strbuf_t *b, const char *s, size_t n)
{
	strbuf_reserve(b, n);
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
strbuf_adds(strbuf_t *b, const char *s)
{
	strbuf_add(b, s, strlen(s));
}
