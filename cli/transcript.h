/* transcript: step output, as chunks arrive, turned into prefixed lines.
 *
 * Output chunks split lines anywhere, and chunks of different steps and
 * hosts interleave. The transcript keeps a partial line per (host, step,
 * attempt, stream) and prints a line only when it is whole, so every line
 * on the terminal starts with its own prefix:
 *
 *     web-1 disk | /dev/sda1 63% free     stdout
 *     web-1 disk ! df: /mnt: no such...   stderr
 *     web-1 disk # output truncated       rota's own note
 *     web-1 disk#2 | ...                  a retry (attempt 2)
 *
 * Step output is made safe for the terminal first (sanitize.h: control
 * characters and invalid UTF-8 shown visibly, tabs kept), so a step cannot
 * set the title, move the cursor or rewrite a line's prefix; with
 * transcript_set_raw its bytes are printed as they came (rota logs --raw). */
#ifndef ROTA_TRANSCRIPT_H
#define ROTA_TRANSCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct transcript transcript_t;

/* Lines go to out (borrowed; not closed). */
transcript_t *transcript_new(FILE *out);
/* raw: print the steps' bytes as they are, not sanitized. */
void transcript_set_raw(transcript_t *t, bool raw);
/* Ends every partial line first (transcript_flush). */
void transcript_destroy(transcript_t **tp);

/* Adds len bytes of data from one step's stream (a Stream enum value),
 * printing every line it completes. */
void transcript_feed(transcript_t *t, const char *host, const char *step_id, uint32_t attempt,
                     int stream, const uint8_t *data, size_t len);
/* Prints every partial line as a line of its own: the output has ended. */
void transcript_flush(transcript_t *t);

#endif
