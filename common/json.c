/* json: escaping and punctuation for one JSON document in a growing buffer.
 *
 * Must never: emit invalid JSON for any input bytes, or read past len. */
#include "json.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "xalloc.h"

typedef enum { JSON_IN_ARRAY, JSON_IN_OBJECT } json_scope_t;

struct json {
	strbuf_t buf;
	json_scope_t scope[JSON_MAX_DEPTH];
	bool has_items[JSON_MAX_DEPTH]; /* a comma is due before the next item */
	int depth;
	bool key_pending; /* a key was written; its value comes next */
	bool done;        /* the top-level value is complete */
};

static void
json_buf_putc(strbuf_t *b, char ch)
{
	strbuf_add(b, &ch, 1);
}

/* Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlong
 * forms, no surrogates, nothing past U+10FFFF), or 0 when there is none. */
static size_t
json_utf8_len(const unsigned char *s, size_t left)
{
	unsigned char c = s[0];
	size_t n;
	unsigned char lo = 0x80, hi = 0xbf; /* range of the second byte */
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0; /* overlong */
		else if (c == 0xed)
			hi = 0x9f; /* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90; /* overlong */
		else if (c == 0xf4)
			hi = 0x8f; /* past U+10FFFF */
	} else {
		return 0;
	}
	if (left < n)
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	}
	return n;
}

static void
json_buf_quote(strbuf_t *b, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	json_buf_putc(b, '"');
	size_t i = 0;
	while (i < len) {
		unsigned char c = p[i];
		if (c == '"' || c == '\\') {
			char esc[2] = {'\\', (char)c};
			strbuf_add(b, esc, 2);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			/* DEL is legal in JSON, but escaped it cannot
			 * surprise a terminal that shows the document. */
			const char *short_esc = NULL;
			switch (c) {
			case '\b':
				short_esc = "\\b";
				break;
			case '\f':
				short_esc = "\\f";
				break;
			case '\n':
				short_esc = "\\n";
				break;
			case '\r':
				short_esc = "\\r";
				break;
			case '\t':
				short_esc = "\\t";
				break;
			}
			if (short_esc != NULL) {
				strbuf_add(b, short_esc, 2);
			} else {
				char esc[8];
				snprintf(esc, sizeof(esc), "\\u%04x", c);
				strbuf_add(b, esc, 6);
			}
			i++;
		} else if (c < 0x80) {
			/* Copy the run of plain ASCII in one go. */
			size_t j = i + 1;
			while (j < len && p[j] >= 0x20 && p[j] < 0x7f && p[j] != '"' &&
			       p[j] != '\\')
				j++;
			strbuf_add(b, s + i, j - i);
			i = j;
		} else {
			size_t n = json_utf8_len(p + i, len - i);
			if (n == 0) {
				strbuf_add(b, "\\ufffd", 6);
				i++;
			} else {
				strbuf_add(b, s + i, n);
				i += n;
			}
		}
	}
	json_buf_putc(b, '"');
}

char *
json_quote(const char *s, size_t len)
{
	strbuf_t b = {0};
	json_buf_quote(&b, s, len);
	return b.data;
}

json_t *
json_new(void)
{
	json_t *j = xcalloc(1, sizeof(*j));
	strbuf_reserve(&j->buf, 255);
	return j;
}

json_t *
json_new_object(void)
{
	json_t *j = json_new();
	json_object_begin(j);
	return j;
}

void
json_destroy(json_t **jp)
{
	json_t *j = *jp;
	if (j == NULL)
		return;
	free(j->buf.data);
	free(j);
	*jp = NULL;
}

/* Punctuation before any value: a comma between array items, nothing
 * after a key (json_key wrote the colon and the comma). */
static void
json_before_value(json_t *j)
{
	assert(!j->done);
	if (j->depth == 0)
		return;
	if (j->scope[j->depth - 1] == JSON_IN_OBJECT) {
		assert(j->key_pending);
		j->key_pending = false;
		return;
	}
	if (j->has_items[j->depth - 1])
		json_buf_putc(&j->buf, ',');
	j->has_items[j->depth - 1] = true;
}

static void
json_after_value(json_t *j)
{
	if (j->depth == 0)
		j->done = true;
}

static void
json_open(json_t *j, json_scope_t scope, char ch)
{
	json_before_value(j);
	assert(j->depth < JSON_MAX_DEPTH);
	json_buf_putc(&j->buf, ch);
	j->scope[j->depth] = scope;
	j->has_items[j->depth] = false;
	j->depth++;
}

static void
json_close(json_t *j, json_scope_t scope, char ch)
{
	assert(j->depth > 0 && j->scope[j->depth - 1] == scope && !j->key_pending);
	(void)scope;
	j->depth--;
	json_buf_putc(&j->buf, ch);
	json_after_value(j);
}

void
json_object_begin(json_t *j)
{
	json_open(j, JSON_IN_OBJECT, '{');
}

void
json_object_end(json_t *j)
{
	json_close(j, JSON_IN_OBJECT, '}');
}

void
json_array_begin(json_t *j)
{
	json_open(j, JSON_IN_ARRAY, '[');
}

void
json_array_end(json_t *j)
{
	json_close(j, JSON_IN_ARRAY, ']');
}

void
json_key(json_t *j, const char *key)
{
	assert(j->depth > 0 && j->scope[j->depth - 1] == JSON_IN_OBJECT && !j->key_pending);
	if (j->has_items[j->depth - 1])
		json_buf_putc(&j->buf, ',');
	j->has_items[j->depth - 1] = true;
	json_buf_quote(&j->buf, key, strlen(key));
	json_buf_putc(&j->buf, ':');
	j->key_pending = true;
}

void
json_string_len(json_t *j, const char *s, size_t len)
{
	json_before_value(j);
	json_buf_quote(&j->buf, s, len);
	json_after_value(j);
}

void
json_string(json_t *j, const char *s)
{
	if (s == NULL) {
		json_null(j);
		return;
	}
	json_string_len(j, s, strlen(s));
}

static void
json_raw(json_t *j, const char *text)
{
	json_before_value(j);
	strbuf_add(&j->buf, text, strlen(text));
	json_after_value(j);
}

void
json_int(json_t *j, int64_t v)
{
	char num[32];
	snprintf(num, sizeof(num), "%" PRId64, v);
	json_raw(j, num);
}

void
json_uint(json_t *j, uint64_t v)
{
	char num[32];
	snprintf(num, sizeof(num), "%" PRIu64, v);
	json_raw(j, num);
}

void
json_fixed1(json_t *j, double v)
{
	char num[48];
	snprintf(num, sizeof(num), "%.1f", v);
	json_raw(j, num);
}

void
json_bool(json_t *j, bool v)
{
	json_raw(j, v ? "true" : "false");
}

void
json_null(json_t *j)
{
	json_raw(j, "null");
}

void
json_member_string(json_t *j, const char *key, const char *s)
{
	json_key(j, key);
	json_string(j, s);
}

void
json_member_int(json_t *j, const char *key, int64_t v)
{
	json_key(j, key);
	json_int(j, v);
}

void
json_member_uint(json_t *j, const char *key, uint64_t v)
{
	json_key(j, key);
	json_uint(j, v);
}

void
json_member_bool(json_t *j, const char *key, bool v)
{
	json_key(j, key);
	json_bool(j, v);
}

void
json_member_time(json_t *j, const char *key, int64_t ms)
{
	json_key(j, key);
	if (ms > 0)
		json_int(j, ms);
	else
		json_null(j);
}

void
json_member_text(json_t *j, const char *key, const char *s)
{
	json_key(j, key);
	if (s != NULL && s[0] != '\0')
		json_string(j, s);
	else
		json_null(j);
}

void
json_member_int_or_null(json_t *j, const char *key, bool present, int64_t v)
{
	json_key(j, key);
	if (present)
		json_int(j, v);
	else
		json_null(j);
}

const char *
json_text(const json_t *j)
{
	return j->buf.data;
}

size_t
json_length(const json_t *j)
{
	return j->buf.len;
}

void
json_print(json_t **jp)
{
	fwrite(json_text(*jp), 1, json_length(*jp), stdout);
	fputc('\n', stdout);
	json_destroy(jp);
}

void
json_print_object(json_t **jp)
{
	json_object_end(*jp);
	json_print(jp);
}
