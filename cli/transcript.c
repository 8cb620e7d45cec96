/* transcript: per-stream line assembly for `logs` and `submit --wait`.
 *
 * Must never: print a prefix in the middle of a line, or hold more than
 * CLI_MAX_LINE_BYTES of one line (a longer one is printed in pieces). */
#include "transcript.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "rota.pb-c.h"
#include "sanitize.h"
#include "xalloc.h"

typedef struct {
	char *host;
	char *step_id;
	uint32_t attempt;
	int stream;
	char *partial; /* bytes of a line not yet ended */
	size_t len;
	size_t cap;
} transcript_line_t;

struct transcript {
	FILE *out;
	/* A run has hosts x steps streams, a few hundred at most: a linear
	 * search is simpler than a hash and fast enough for the terminal. */
	transcript_line_t *lines;
	size_t nlines;
	size_t cap;
	bool raw; /* the steps' bytes as they are (rota logs --raw) */
};

transcript_t *
transcript_new(FILE *out)
{
	transcript_t *t = xcalloc(1, sizeof(*t));
	t->out = out;
	return t;
}

void
transcript_set_raw(transcript_t *t, bool raw)
{
	t->raw = raw;
}

void
transcript_destroy(transcript_t **tp)
{
	transcript_t *t = *tp;
	if (t == NULL)
		return;
	transcript_flush(t);
	for (size_t i = 0; i < t->nlines; i++) {
		free(t->lines[i].host);
		free(t->lines[i].step_id);
		free(t->lines[i].partial);
	}
	free(t->lines);
	free(t);
	*tp = NULL;
}

static transcript_line_t *
transcript_line(transcript_t *t, const char *host, const char *step_id, uint32_t attempt,
                int stream)
{
	for (size_t i = 0; i < t->nlines; i++) {
		transcript_line_t *l = &t->lines[i];
		if (l->attempt == attempt && l->stream == stream && strcmp(l->host, host) == 0 &&
		    strcmp(l->step_id, step_id) == 0)
			return l;
	}
	if (t->nlines == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->lines = xrealloc(t->lines, t->cap * sizeof(*t->lines));
	}
	transcript_line_t *l = &t->lines[t->nlines++];
	memset(l, 0, sizeof(*l));
	l->host = xstrdup(host);
	l->step_id = xstrdup(step_id);
	l->attempt = attempt;
	l->stream = stream;
	return l;
}

static char
transcript_mark(int stream)
{
	switch (stream) {
	case ROTA__STREAM__STREAM_STDERR:
		return '!';
	case ROTA__STREAM__STREAM_SYSTEM:
		return '#';
	default:
		return '|';
	}
}

static void transcript_keep(transcript_line_t *l, const char *data, size_t len);

/* Prints one whole line: the prefix, the partial bytes, then len bytes of
 * data, then a newline. */
static void
transcript_emit(transcript_t *t, transcript_line_t *l, const char *data, size_t len)
{
	char *host = sanitize_text(l->host, strlen(l->host), 0);
	char *step = sanitize_text(l->step_id, strlen(l->step_id), 0);
	if (l->attempt > 1)
		fprintf(t->out, "%s %s#%u %c ", host, step, l->attempt, transcript_mark(l->stream));
	else
		fprintf(t->out, "%s %s %c ", host, step, transcript_mark(l->stream));
	free(host);
	free(step);
	if (!t->raw) {
		/* ESC, CR, an OSC title, invalid UTF-8: shown, never obeyed
		 * (sanitize.h). The line is whole here, so a character split
		 * between chunks is whole too. */
		transcript_keep(l, data, len);
		char *clean = sanitize_text(l->partial, l->len, 0);
		fputs(clean, t->out);
		free(clean);
	} else {
		/* fwrite's buffer must not be NULL, even for zero bytes. */
		if (l->len > 0)
			fwrite(l->partial, 1, l->len, t->out);
		if (len > 0)
			fwrite(data, 1, len, t->out);
	}
	fputc('\n', t->out);
	l->len = 0;
}

static void
transcript_keep(transcript_line_t *l, const char *data, size_t len)
{
	if (l->len + len > l->cap) {
		size_t cap = l->cap ? l->cap : 256;
		while (cap < l->len + len)
			cap *= 2;
		l->partial = xrealloc(l->partial, cap);
		l->cap = cap;
	}
	if (len > 0)
		memcpy(l->partial + l->len, data, len);
	l->len += len;
}

void
transcript_feed(transcript_t *t, const char *host, const char *step_id, uint32_t attempt,
                int stream, const uint8_t *data, size_t len)
{
	transcript_line_t *l = transcript_line(t, host, step_id, attempt, stream);
	const char *p = (const char *)data;
	while (len > 0) {
		const char *nl = memchr(p, '\n', len);
		size_t n = nl != NULL ? (size_t)(nl - p) : len;
		/* The line so far plus this piece is too long to hold: print
		 * what fits as a line of its own and go on. */
		if (l->len + n > CLI_MAX_LINE_BYTES) {
			size_t room = CLI_MAX_LINE_BYTES - l->len;
			transcript_emit(t, l, p, room);
			p += room;
			len -= room;
			continue;
		}
		if (nl == NULL) {
			transcript_keep(l, p, n);
			return;
		}
		transcript_emit(t, l, p, n);
		p += n + 1;
		len -= n + 1;
	}
}

void
transcript_flush(transcript_t *t)
{
	for (size_t i = 0; i < t->nlines; i++) {
		if (t->lines[i].len > 0)
			transcript_emit(t, &t->lines[i], "", 0);
	}
}
