/* sanitize: printable text from outside bytes; strict UTF-8 checks. */
#include "sanitize.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "xalloc.h"

/* Decodes one UTF-8 sequence at p (left bytes). Returns its length and the
 * code point in *cp, or 0 when it is not valid strict UTF-8 (*why then
 * says how). */
static size_t
sanitize_decode(const uint8_t *p, size_t left, uint32_t *cp, const char **why)
{
	uint8_t c = p[0];
	size_t n;
	uint32_t v, min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		v = c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		v = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		v = c & 0x07;
		min = 0x10000;
	} else {
		*why = c == 0xc0 || c == 0xc1   ? "an overlong encoding"
		       : c >= 0x80 && c <= 0xbf ? "a continuation byte with no lead byte"
		                                : "a byte that is never valid UTF-8";
		return 0;
	}
	if (left < n) {
		*why = "a truncated sequence";
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80) {
			*why = "a truncated sequence";
			return 0;
		}
		v = (v << 6) | (p[i] & 0x3f);
	}
	if (v < min) {
		*why = "an overlong encoding";
		return 0;
	}
	if (v >= 0xd800 && v <= 0xdfff) {
		*why = "a surrogate (U+D800 to U+DFFF)";
		return 0;
	}
	if (v > 0x10ffff) {
		*why = "a code point above U+10FFFF";
		return 0;
	}
	*cp = v;
	return n;
}

size_t
sanitize_utf8_check(const void *data, size_t len, const char **why)
{
	const uint8_t *p = data;
	size_t i = 0;
	while (i < len) {
		uint32_t cp;
		const char *w = NULL;
		size_t n = sanitize_decode(p + i, len - i, &cp, &w);
		if (n == 0) {
			if (why)
				*why = w;
			return i;
		}
		i += n;
	}
	return len;
}

/* Whether a valid code point must be shown escaped. */
static bool
sanitize_hidden(uint32_t cp, unsigned flags)
{
	if ((cp == '\t' && !(flags & SANITIZE_ESCAPE_TAB)) ||
	    (cp == '\n' && (flags & SANITIZE_KEEP_NEWLINE)))
		return false;
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 ||
	       cp == 0x2029;
}

/* An ASCII byte shown as it is: what sanitize_hidden keeps of one. */
static inline bool
sanitize_plain(uint8_t c, unsigned flags)
{
	return (c >= 0x20 && c < 0x7f) || (c == '\n' && (flags & SANITIZE_KEEP_NEWLINE)) ||
	       (c == '\t' && !(flags & SANITIZE_ESCAPE_TAB));
}

char *
sanitize_text(const void *data, size_t len, unsigned flags)
{
	const uint8_t *p = data;
	/* At most 6 bytes out per byte in (\u202e for 3 bytes, \x1b or
	 * U+FFFD for 1), plus the NUL. */
	size_t cap = len * 6 + 1;
	char *out = xmalloc(cap);
	size_t o = 0;
	size_t i = 0;
	while (i < len) {
		/* A run of printable ASCII (most output is) is copied at once:
		 * the same bytes decoding each would keep, without a decode
		 * per byte (a step's output is sanitized again to be indexed). */
		size_t plain = i;
		while (plain < len && sanitize_plain(p[plain], flags))
			plain++;
		if (plain > i) {
			memcpy(out + o, p + i, plain - i);
			o += plain - i;
			i = plain;
			continue;
		}
		uint32_t cp;
		const char *why = NULL;
		size_t n = sanitize_decode(p + i, len - i, &cp, &why);
		if (n == 0) {
			memcpy(out + o, "\xef\xbf\xbd", 3); /* U+FFFD */
			o += 3;
			i++;
			continue;
		}
		if (sanitize_hidden(cp, flags)) {
			o += (size_t)snprintf(out + o, cap - o, cp < 0x80 ? "\\x%02x" : "\\u%04x",
			                      (unsigned)cp);
		} else {
			memcpy(out + o, p + i, n);
			o += n;
		}
		i += n;
	}
	out[o] = '\0';
	return out;
}
