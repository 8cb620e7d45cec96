/* store_codec: how a step's output is kept in outputs.data: as sent
 * (codec 0, every row from before schema 9, and chunks too small to
 * gain), or compressed with zstd (codec 1). The store's writer packs each
 * chunk as it is stored, and every reader unpacks, so show, logs and
 * whatever reads through them see the bytes the worker sent.
 *
 * Must never: be included outside coordinator/store/; hand a reader bytes
 * that are not the output (a row that cannot be unpacked reads as a note
 * saying so). */
#ifndef ROTA_STORE_CODEC_H
#define ROTA_STORE_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

enum { STORE_CODEC_RAW = 0, STORE_CODEC_ZSTD = 1 };

/* Chunks shorter than this are kept as sent: zstd's frame alone would
 * eat what it saves. */
#define STORE_CODEC_MIN_BYTES 64
/* zstd's level: 3 is its default, about 300 MB/s on one core here. */
#define STORE_CODEC_LEVEL 3

/* The form data is stored in: STORE_CODEC_ZSTD with *out (caller frees)
 * when compressing saves bytes, else STORE_CODEC_RAW with *out NULL (store
 * data itself). */
int store_codec_pack(const uint8_t *data, size_t len, uint8_t **out, size_t *out_len);
/* The output of a row read by st: its data_col unpacked by its codec_col
 * (caller frees; never NULL). */
uint8_t *store_codec_column_dup(db_stmt_t *st, int data_col, int codec_col, size_t *len);

#endif
