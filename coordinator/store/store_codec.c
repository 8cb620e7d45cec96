/* store_codec: outputs packed with zstd (see store_codec.h). */
#include "store_codec.h"

#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "log.h"
#include "xalloc.h"

/* A frame claiming more than this is refused as corrupt: the coordinator
 * never keeps more than its output cap (1 MiB by default) of one step, in
 * chunks of at most a frame's size. */
#define STORE_CODEC_MAX_UNPACKED (64u * 1024 * 1024)

int
store_codec_pack(const uint8_t *data, size_t len, uint8_t **out, size_t *out_len)
{
	*out = NULL;
	*out_len = 0;
	if (len < STORE_CODEC_MIN_BYTES)
		return STORE_CODEC_RAW;
	size_t bound = ZSTD_compressBound(len);
	uint8_t *buf = xmalloc(bound);
	size_t n = ZSTD_compress(buf, bound, data, len, STORE_CODEC_LEVEL);
	if (ZSTD_isError(n) || n >= len) {
		free(buf); /* no gain (or zstd failed): keep it as sent */
		return STORE_CODEC_RAW;
	}
	*out = buf;
	*out_len = n;
	return STORE_CODEC_ZSTD;
}

static uint8_t *
note(const char *text, size_t *len)
{
	*len = strlen(text);
	return (uint8_t *)xstrdup(text);
}

uint8_t *
store_codec_column_dup(db_stmt_t *st, int data_col, int codec_col, size_t *len)
{
	size_t n = 0;
	const uint8_t *d = db_column_blob(st, data_col, &n);
	int64_t codec = db_column_int64(st, codec_col);
	if (codec == STORE_CODEC_RAW) {
		uint8_t *copy = xmalloc(n ? n : 1);
		if (n)
			memcpy(copy, d, n);
		*len = n;
		return copy;
	}
	if (codec != STORE_CODEC_ZSTD) {
		log_error("store: an output row has codec %lld, unknown to this rota",
		          (long long)codec);
		return note("[rota: this output is stored in a form this rota cannot read]\n", len);
	}
	unsigned long long size = ZSTD_getFrameContentSize(d, n);
	if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN ||
	    size > STORE_CODEC_MAX_UNPACKED) {
		log_error("store: an output row is not a zstd frame of a known size");
		return note("[rota: this output is damaged in the store]\n", len);
	}
	uint8_t *out = xmalloc(size ? (size_t)size : 1);
	size_t got = ZSTD_decompress(out, (size_t)size, d, n);
	if (ZSTD_isError(got) || got != size) {
		free(out);
		log_error("store: an output row cannot be decompressed: %s",
		          ZSTD_isError(got) ? ZSTD_getErrorName(got) : "short");
		return note("[rota: this output is damaged in the store]\n", len);
	}
	*len = got;
	return out;
}
