/* sharedbuf: counted bytes shared without a copy; see sharedbuf.h. */
#include "sharedbuf.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

sharedbuf_t *
sharedbuf_alloc(size_t len)
{
	sharedbuf_t *b = xmalloc(sizeof(*b) + len + 1);
	atomic_init(&b->refs, 1);
	b->len = len;
	b->data[len] = '\0';
	return b;
}

sharedbuf_t *
sharedbuf_new(const char *data, size_t len)
{
	sharedbuf_t *b = sharedbuf_alloc(len);
	memcpy(b->data, data, len);
	return b;
}

sharedbuf_t *
sharedbuf_from(char *text)
{
	sharedbuf_t *b = sharedbuf_new(text, strlen(text));
	free(text);
	return b;
}

sharedbuf_t *
sharedbuf_hold(sharedbuf_t *b)
{
	atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
	return b;
}

void
sharedbuf_drop(sharedbuf_t **bp)
{
	sharedbuf_t *b = *bp;
	if (b == NULL)
		return;
	*bp = NULL;
	/* acq_rel: the last holder sees every other holder's reads done. */
	if (atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) == 1)
		free(b);
}
