/* redactor: secrets out of streamed bytes (see redactor.h).
 *
 * Held-back bytes are only ever a proper prefix of some secret, so what is
 * emitted can never end in the first half of a secret whose second half is
 * still to come. Each position is matched against every secret, longest
 * first (a secret that contains a shorter one is masked whole); a fleet's
 * runbook has a handful of secrets, so the product is small. */
#include "redactor.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

struct redactor {
	char **secrets; /* owned, non-empty, longest first */
	size_t *lens;
	size_t n;
	uint8_t *held; /* owned: a proper prefix of some secret */
	size_t held_len;
	size_t held_cap;
};

static int
by_length_desc(const void *a, const void *b)
{
	size_t la = strlen(*(char *const *)a), lb = strlen(*(char *const *)b);
	return la < lb ? 1 : la > lb ? -1 : 0;
}

redactor_t *
redactor_new(const char *const *secrets, size_t n)
{
	size_t live = 0;
	for (size_t i = 0; i < n; i++)
		live += secrets[i] != NULL && secrets[i][0] != '\0';
	if (live == 0)
		return NULL;
	redactor_t *r = xcalloc(1, sizeof(*r));
	r->secrets = xcalloc(live, sizeof(*r->secrets));
	r->lens = xcalloc(live, sizeof(*r->lens));
	size_t longest = 0;
	for (size_t i = 0; i < n; i++) {
		if (secrets[i] == NULL || secrets[i][0] == '\0')
			continue;
		r->secrets[r->n++] = xstrdup(secrets[i]);
	}
	qsort(r->secrets, r->n, sizeof(*r->secrets), by_length_desc);
	for (size_t i = 0; i < r->n; i++) {
		r->lens[i] = strlen(r->secrets[i]);
		if (r->lens[i] > longest)
			longest = r->lens[i];
	}
	r->held_cap = longest;
	r->held = xmalloc(longest);
	return r;
}

void
redactor_destroy(redactor_t **rp)
{
	if (rp == NULL || *rp == NULL)
		return;
	redactor_t *r = *rp;
	for (size_t i = 0; i < r->n; i++) {
		explicit_bzero(r->secrets[i], r->lens[i]);
		free(r->secrets[i]);
	}
	explicit_bzero(r->held, r->held_cap);
	free(r->held);
	free(r->secrets);
	free(r->lens);
	free(r);
	*rp = NULL;
}

size_t
redactor_pending(const redactor_t *r)
{
	return r ? r->held_len : 0;
}

typedef enum { MATCH_NONE, MATCH_FULL, MATCH_PREFIX } match_t;

/* What starts at buf[i]: a whole secret (*len set), the start of one cut
 * by the end of buf, or neither. A longer secret cut by the end wins over
 * a shorter whole one (MATCH_PREFIX, with *len the shorter's length for a
 * final pass): the next bytes may complete the longer. */
static match_t
redactor_match(const redactor_t *r, const uint8_t *buf, size_t i, size_t end, size_t *len)
{
	bool prefix = false;
	*len = 0;
	for (size_t k = 0; k < r->n; k++) {
		size_t sl = r->lens[k];
		if ((uint8_t)r->secrets[k][0] != buf[i])
			continue;
		size_t avail = end - i;
		if (avail >= sl) {
			if (memcmp(buf + i, r->secrets[k], sl) == 0) {
				*len = sl;
				return prefix ? MATCH_PREFIX : MATCH_FULL;
			}
		} else if (memcmp(buf + i, r->secrets[k], avail) == 0) {
			prefix = true;
		}
	}
	return prefix ? MATCH_PREFIX : MATCH_NONE;
}

static void
redactor_run(redactor_t *r, const uint8_t *data, size_t len, bool final, uint8_t **out,
             size_t *out_len)
{
	/* Scans held + data as one buffer. */
	size_t total = r->held_len + len;
	uint8_t *buf = xmalloc(total ? total : 1);
	memcpy(buf, r->held, r->held_len);
	if (len > 0)
		memcpy(buf + r->held_len, data, len);
	/* Output is at most total bytes plus the mask's growth per match. */
	size_t cap = total + 16, n = 0;
	uint8_t *o = xmalloc(cap);
	size_t i = 0;
	r->held_len = 0;
	while (i < total) {
		size_t mlen = 0;
		match_t m = redactor_match(r, buf, i, total, &mlen);
		if (m == MATCH_PREFIX && !final) {
			r->held_len = total - i; /* < longest secret by construction */
			memcpy(r->held, buf + i, r->held_len);
			break;
		}
		if (m == MATCH_PREFIX && mlen > 0)
			m = MATCH_FULL; /* the end came: the shorter whole one it is */
		size_t add = m == MATCH_FULL ? sizeof(REDACTOR_MASK) - 1 : 1;
		if (n + add > cap) {
			cap = cap * 2 + add;
			o = xrealloc(o, cap);
		}
		if (m == MATCH_FULL) {
			memcpy(o + n, REDACTOR_MASK, add);
			i += mlen;
		} else {
			o[n] = buf[i++];
		}
		n += add;
	}
	explicit_bzero(buf, total);
	free(buf);
	if (n == 0) {
		free(o);
		o = NULL;
	}
	*out = o;
	*out_len = n;
}

void
redactor_feed(redactor_t *r, const uint8_t *data, size_t len, uint8_t **out, size_t *out_len)
{
	redactor_run(r, data, len, false, out, out_len);
}

void
redactor_flush(redactor_t *r, uint8_t **out, size_t *out_len)
{
	redactor_run(r, NULL, 0, true, out, out_len);
}

char *
redactor_text(const char *text, const char *const *secrets, size_t n)
{
	if (text == NULL)
		return NULL;
	redactor_t *r = redactor_new(secrets, n);
	if (r == NULL)
		return xstrdup(text);
	uint8_t *out = NULL;
	size_t len = 0;
	redactor_run(r, (const uint8_t *)text, strlen(text), true, &out, &len);
	redactor_destroy(&r);
	char *s = xmalloc(len + 1);
	if (len > 0)
		memcpy(s, out, len);
	s[len] = '\0';
	free(out);
	return s;
}
