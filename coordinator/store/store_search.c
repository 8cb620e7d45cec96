/* store_search: the search index over step output and `rota search`.
 *
 * Every output chunk the store keeps is also written, as printable text
 * (sanitize_text: valid UTF-8, no control character), into output_text.
 * Not in the turn that stores it: that turn only queues the chunk's id in
 * search_queue (store_search_enqueue, called by store_output_append), and
 * store_search_feed, driven a bounded slice at a time after the turn's
 * commit (coordinator/indexer.h), reads queued chunks back from outputs
 * (unpacked as every reader does), oldest first, and indexes them. So the
 * index holds exactly what was stored, which the worker has already
 * redacted, and a search finds a chunk once the queue has reached it.
 * SQLite indexes output_text with FTS5, PostgreSQL with a GIN index on
 * to_tsvector('simple', text): both match words as written (no
 * stemming), case-insensitively.
 *
 * A search is a phrase: the words of TEXT, in order. The newest matching
 * chunks come first; in each, the lines holding the words are the hits,
 * with lines of context around them taken from the chunk and its
 * neighbours of the same step run and stream. A chunk's indexed text
 * starts with the line the stream's previous chunk left unfinished, so a
 * line (and a word) cut between two chunks is found whole.
 *
 * Must never: index a chunk that is not stored (one retention removed
 * while queued is only dequeued); index a stream's chunks out of order
 * (each carries its predecessor's unfinished line: the queue is fed in
 * outputs' id order, which is seq order within a step run); give the
 * database a query it could parse as anything but one phrase. */
#include "store_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sanitize.h"
#include "xalloc.h"

/* The most bytes of a chunk one row of the index takes (their text, once
 * escaped, at most 4 times as long: well under PostgreSQL's 1 MiB). */
#define STORE_SEARCH_PIECE_MAX 65536

/* The most of an unfinished line carried into the next chunk's text: a
 * stream without newlines must not make every row longer than the last. */
#define STORE_SEARCH_CARRY_MAX 4096

/* The most queued chunks one store_search_feed takes (each up to a
 * frame, 4 MiB, held unpacked while the batch is indexed). */
#define STORE_SEARCH_FEED_MAX 16

/* The end of the last chunk of row's stream after its last newline: the
 * line it left unfinished (caller frees; "" when none). */
static char *
store_search_tail(store_t *s, int64_t row, int stream)
{
	static const char sql[] = "SELECT text FROM output_text WHERE step_run = ? AND stream = ?"
	                          " ORDER BY id DESC LIMIT 1";
	db_stmt_t *st = store_stmt(s, sql);
	if (st == NULL)
		return NULL;
	db_bind_int64(st, 1, row);
	db_bind_int64(st, 2, stream);
	char *tail = NULL;
	int rc = db_step(st);
	if (rc == DB_ROW) {
		const char *text = db_column_text(st, 0);
		const char *nl = strrchr(text, '\n');
		const char *from = nl != NULL ? nl + 1 : text;
		size_t len = strlen(from);
		if (len > STORE_SEARCH_CARRY_MAX) {
			from += len - STORE_SEARCH_CARRY_MAX;
			/* from a character's start */
			while (((unsigned char)*from & 0xC0) == 0x80)
				from++;
		}
		tail = xstrdup(from);
	} else if (rc == DB_DONE) {
		tail = xstrdup("");
	}
	db_reset(st);
	return tail;
}

/* One row of the index: at most STORE_SEARCH_PIECE_MAX bytes of a chunk. */
static int
store_search_index_piece(store_t *s, int64_t row, int stream, const uint8_t *data, size_t len,
                         int64_t at_ms)
{
	static const char sql[] = "INSERT INTO output_text (step_run, stream, at_ms, carry, text)"
	                          " VALUES (?, ?, ?, ?, ?)";
	char *tail = store_search_tail(s, row, stream); /* owned */
	db_stmt_t *st = tail != NULL ? store_stmt(s, sql) : NULL;
	if (st == NULL) {
		free(tail);
		s->failed = true;
		return -1;
	}
	char *chunk = sanitize_text(data, len, SANITIZE_KEEP_NEWLINE); /* owned */
	/* owned: the carried line, then the chunk (joined by hand: a printf
	 * of 16 KiB strings costs as much again as the copy) */
	size_t tail_len = strlen(tail), chunk_len = strlen(chunk);
	char *text = xmalloc(tail_len + chunk_len + 1);
	memcpy(text, tail, tail_len);
	memcpy(text + tail_len, chunk, chunk_len + 1);
	db_bind_int64(st, 1, row);
	db_bind_int64(st, 2, stream);
	db_bind_int64(st, 3, at_ms);
	db_bind_int64(st, 4, (int64_t)tail_len);
	db_bind_text(st, 5, text);
	free(text);
	free(chunk);
	free(tail);
	return store_stmt_done(s, st);
}

static int
store_search_index(store_t *s, int64_t row, int stream, const uint8_t *data, size_t len,
                   int64_t at_ms)
{
	/* A chunk may be as large as a frame (a worker's is 16 KiB, but the
	 * wire takes 4 MiB): PostgreSQL refuses a tsvector over 1 MiB, so a
	 * large chunk is indexed in pieces, each carrying the line the one
	 * before left unfinished like a chunk of its own. */
	size_t off = 0;
	do {
		size_t n = len - off < STORE_SEARCH_PIECE_MAX ? len - off : STORE_SEARCH_PIECE_MAX;
		if (store_search_index_piece(s, row, stream, data + off, n, at_ms) != 0)
			return -1;
		off += n;
	} while (off < len);
	return 0;
}

int
store_search_enqueue(store_t *s, int64_t row, int64_t seq)
{
	/* By step run and seq (the outputs row's unique key): the insert's
	 * id needs no answer, so PostgreSQL's pipeline is not waited on.
	 * DO NOTHING: SQLite may reuse the id of a pruned chunk still
	 * queued, which stands for the new one then. */
	static const char sql[] = "INSERT INTO search_queue (output_id)"
	                          " SELECT id FROM outputs WHERE step_run = ? AND seq = ?"
	                          " ON CONFLICT (output_id) DO NOTHING";
	db_stmt_t *st = store_stmt(s, sql);
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, row);
	db_bind_int64(st, 2, seq);
	if (store_stmt_done(s, st) != 0)
		return -1;
	s->search_queued++;
	return 0;
}

/* A queued chunk, copied out before it is indexed. */
typedef struct {
	int64_t id;
	bool stored; /* its outputs row is still there */
	int64_t row;
	int stream;
	int64_t at_ms;
	uint8_t *data; /* owned: unpacked */
	size_t len;
} store_queued_t;

int
store_search_feed(store_t *s, uint32_t rows)
{
	if (rows == 0)
		return 0;
	if (rows > STORE_SEARCH_FEED_MAX)
		rows = STORE_SEARCH_FEED_MAX;
	if (store_begin(s) != 0)
		return -1;
	static const char sql_next[] =
	    "SELECT q.output_id, CASE WHEN o.id IS NULL THEN 0 ELSE 1 END, o.step_run, o.stream,"
	    " o.at_ms, o.data, o.codec FROM search_queue q"
	    " LEFT JOIN outputs o ON o.id = q.output_id ORDER BY q.output_id LIMIT ?";
	db_stmt_t *st = store_stmt(s, sql_next);
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, rows);
	/* Copied out first: indexing runs other statements, and a
	 * PostgreSQL row is the statement's until reset. */
	store_queued_t batch[STORE_SEARCH_FEED_MAX];
	uint32_t n = 0;
	int rc = DB_DONE;
	while (n < rows && (rc = db_step(st)) == DB_ROW) {
		store_queued_t *q = &batch[n++];
		*q = (store_queued_t){.id = db_column_int64(st, 0),
		                      .stored = db_column_int64(st, 1) != 0};
		if (q->stored) {
			q->row = db_column_int64(st, 2);
			q->stream = (int)db_column_int64(st, 3);
			q->at_ms = db_column_int64(st, 4);
			q->data = store_codec_column_dup(st, 5, 6, &q->len);
		}
	}
	if (n < rows && rc == DB_ERROR) {
		store_stmt_failed(s, st);
		for (uint32_t i = 0; i < n; i++)
			free(batch[i].data);
		return -1;
	}
	db_reset(st);
	int ret = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (ret == 0 && batch[i].stored &&
		    store_search_index(s, batch[i].row, batch[i].stream, batch[i].data,
		                       batch[i].len, batch[i].at_ms) != 0)
			ret = -1;
		free(batch[i].data);
	}
	if (ret != 0 || n == 0)
		return ret;
	/* The batch was the queue's lowest ids: all of it goes at once. */
	static const char sql_done[] = "DELETE FROM search_queue WHERE output_id <= ?";
	st = store_stmt(s, sql_done);
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, batch[n - 1].id);
	if (store_stmt_done(s, st) != 0)
		return -1;
	return (int)n;
}

int
store_search_backlog(store_t *s, int64_t *rows)
{
	static const char sql[] = "SELECT COUNT(*) FROM search_queue";
	db_stmt_t *st = store_stmt(s, sql);
	if (st == NULL)
		return -1;
	int rc = db_step(st);
	if (rc == DB_ROW)
		*rows = db_column_int64(st, 0);
	db_reset(st);
	return rc == DB_ROW ? 0 : -1;
}

uint64_t
store_search_queued(const store_t *s)
{
	return s->search_queued;
}

/* The words of text (runs of letters, digits and any non-ASCII byte, as
 * both engines' tokenizers split), lower-cased, in *words (caller frees
 * each and the array). */
static size_t
store_search_words(const char *text, char ***words)
{
	size_t n = 0;
	*words = NULL;
	const unsigned char *p = (const unsigned char *)text;
	while (*p != '\0') {
		while (*p != '\0' && !(isalnum(*p) || *p >= 0x80))
			p++;
		const unsigned char *start = p;
		while (*p != '\0' && (isalnum(*p) || *p >= 0x80))
			p++;
		if (p == start)
			continue;
		char *w = xstrndup((const char *)start, (size_t)(p - start));
		for (char *c = w; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		*words = xrealloc(*words, (n + 1) * sizeof(**words));
		(*words)[n++] = w;
	}
	return n;
}

static void
store_search_words_free(char **words, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(words[i]);
	free(words);
}

/* The phrase as the engine's query: FTS5's "w1 w2" (the words only, so no
 * operator or quote of TEXT reaches the parser); PostgreSQL's
 * phraseto_tsquery takes the words joined by spaces. Caller frees. */
static char *
store_search_query(char **words, size_t n, bool fts5)
{
	size_t len = 3;
	for (size_t i = 0; i < n; i++)
		len += strlen(words[i]) + 1;
	char *q = xmalloc(len);
	size_t o = 0;
	if (fts5)
		q[o++] = '"';
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			q[o++] = ' ';
		size_t wl = strlen(words[i]);
		memcpy(q + o, words[i], wl);
		o += wl;
	}
	if (fts5)
		q[o++] = '"';
	q[o] = '\0';
	return q;
}

/* Whether line[0..len) holds word as a whole word, ASCII case ignored. */
static bool
store_search_line_has(const char *line, size_t len, const char *word)
{
	size_t wl = strlen(word);
	for (size_t i = 0; i + wl <= len; i++) {
		if (strncasecmp(line + i, word, wl) != 0)
			continue;
		unsigned char before = i > 0 ? (unsigned char)line[i - 1] : ' ';
		unsigned char after = i + wl < len ? (unsigned char)line[i + wl] : ' ';
		if (!(isalnum(before) || before >= 0x80) && !(isalnum(after) || after >= 0x80))
			return true;
	}
	return false;
}

/* A line of a buffer: [start, end), end before its newline. */
typedef struct {
	size_t start, end;
} store_line_t;

/* The lines of buf, in *lines (caller frees). */
static size_t
store_search_lines(const char *buf, size_t len, store_line_t **lines)
{
	size_t n = 0;
	*lines = NULL;
	size_t start = 0;
	while (start < len) {
		const char *nl = memchr(buf + start, '\n', len - start);
		size_t end = nl != NULL ? (size_t)(nl - buf) : len;
		*lines = xrealloc(*lines, (n + 1) * sizeof(**lines));
		(*lines)[n++] = (store_line_t){start, end};
		start = end + 1;
	}
	return n;
}

/* A neighbour of chunk id in its step run's stream: the one before
 * (older) or after it. Its text and carry (text caller frees; NULL when
 * there is none). */
static char *
store_search_neighbour(store_t *s, int64_t row, int stream, int64_t id, bool older, size_t *carry)
{
	static const char sql_before[] = "SELECT text, carry FROM output_text WHERE step_run = ?"
	                                 " AND stream = ? AND id < ? ORDER BY id DESC LIMIT 1";
	static const char sql_after[] = "SELECT text, carry FROM output_text WHERE step_run = ?"
	                                " AND stream = ? AND id > ? ORDER BY id LIMIT 1";
	db_stmt_t *st = store_stmt(s, older ? sql_before : sql_after);
	if (st == NULL)
		return NULL;
	db_bind_int64(st, 1, row);
	db_bind_int64(st, 2, stream);
	db_bind_int64(st, 3, id);
	char *text = NULL;
	if (db_step(st) == DB_ROW) {
		text = store_column_dup(st, 0);
		int64_t c = db_column_int64(st, 1);
		*carry = c > 0 && (size_t)c <= strlen(text) ? (size_t)c : 0;
	}
	db_reset(st);
	return text;
}

/* What a matching chunk's row says, copied before the next step. */
typedef struct {
	int64_t id;
	int64_t row;
	int stream;
	int64_t at_ms;
	char *run_id, *runbook, *host, *step_id; /* owned */
	uint32_t attempt;
	char *text; /* owned */
} store_match_t;

static void
store_match_clear(store_match_t *m)
{
	free(m->run_id);
	free(m->runbook);
	free(m->host);
	free(m->step_id);
	free(m->text);
}

/* A line of a hit or its context, cut to STORE_SEARCH_LINE_MAX bytes (at
 * a character's start) with "..." after: one long line must not fill the
 * answer. Caller frees. */
static char *
store_search_line(const char *buf, const store_line_t *l)
{
	size_t len = l->end - l->start;
	if (len <= STORE_SEARCH_LINE_MAX)
		return xstrndup(buf + l->start, len);
	len = STORE_SEARCH_LINE_MAX;
	while (len > 0 && ((unsigned char)buf[l->start + len] & 0xC0) == 0x80)
		len--;
	return xasprintf("%.*s...", (int)len, buf + l->start);
}

static char **
store_search_copy_lines(const char *buf, const store_line_t *lines, size_t from, size_t to,
                        size_t *n)
{
	*n = to - from;
	char **out = xcalloc(*n ? *n : 1, sizeof(*out));
	for (size_t k = from; k < to; k++)
		out[k - from] = store_search_line(buf, &lines[k]);
	return out;
}

/* Adds the hits of one matching chunk to out, up to limit (more set when
 * there were more). */
static void
store_search_hits(store_t *s, const store_match_t *m, char **words, size_t nwords, uint32_t context,
                  uint32_t limit, Rota__SearchResponse *out)
{
	/* The chunk with its stream's neighbours around it, for context: the
	 * one before up to its last newline (its unfinished line starts this
	 * chunk's text), the one after without what it carried from this. */
	size_t prev_carry = 0, carry = 0;
	char *prev = store_search_neighbour(s, m->row, m->stream, m->id, true, &prev_carry);
	char *next = store_search_neighbour(s, m->row, m->stream, m->id, false, &carry);
	bool last = next == NULL;
	if (prev != NULL) {
		char *nl = strrchr(prev, '\n');
		*(nl != NULL ? nl + 1 : prev) = '\0';
	}
	char *buf = xasprintf("%s%s%s", prev != NULL ? prev : "", m->text,
	                      next != NULL ? next + carry : "");
	size_t from = prev != NULL ? strlen(prev) : 0, to = from + strlen(m->text);
	free(prev);
	free(next);
	store_line_t *lines = NULL;
	size_t n = store_search_lines(buf, strlen(buf), &lines);
	/* A line with every word of the phrase is a hit (a phrase the index
	 * matched across a line's end gives none). */
	for (size_t k = 0; k < n; k++) {
		/* A chunk's hits are the lines that end in it (its unfinished
		 * last one is the next chunk's, whole there), so no line is a
		 * hit of two chunks. */
		if (lines[k].start < from || lines[k].start >= to || (lines[k].end >= to && !last))
			continue;
		bool hit = true;
		for (size_t w = 0; w < nwords && hit; w++)
			hit = store_search_line_has(buf + lines[k].start,
			                            lines[k].end - lines[k].start, words[w]);
		if (!hit)
			continue;
		if (out->n_hits >= limit) {
			out->more = true;
			break;
		}
		Rota__SearchHit *h = xmalloc(sizeof(*h));
		rota__search_hit__init(h);
		h->run_id = xstrdup(m->run_id);
		h->runbook = xstrdup(m->runbook);
		h->host = xstrdup(m->host);
		h->step_id = xstrdup(m->step_id);
		h->attempt = m->attempt;
		h->at_ms = m->at_ms;
		h->stream = (Rota__Stream)m->stream;
		h->line = store_search_line(buf, &lines[k]);
		size_t b0 = k > context ? k - context : 0;
		size_t a1 = k + 1 + context < n ? k + 1 + context : n;
		h->before = store_search_copy_lines(buf, lines, b0, k, &h->n_before);
		h->after = store_search_copy_lines(buf, lines, k + 1, a1, &h->n_after);
		out->hits = xrealloc(out->hits, (out->n_hits + 1) * sizeof(*out->hits));
		out->hits[out->n_hits++] = h;
	}
	free(lines);
	free(buf);
}

int
store_search(store_t *s, const store_search_t *q, Rota__SearchResponse *out)
{
	rota__search_response__init(out);
	/* The text as the index holds text (invalid UTF-8 as U+FFFD), so
	 * PostgreSQL takes it and it matches what was indexed. */
	const char *text = q->text != NULL ? q->text : "";
	char *clean = sanitize_text(text, strlen(text), 0); /* owned */
	char **words = NULL;
	size_t nwords = store_search_words(clean, &words);
	free(clean);
	if (nwords == 0) {
		store_search_words_free(words, nwords);
		return 1;
	}
	bool fts5 = !store_is_postgresql(s);
	char *query = store_search_query(words, nwords, fts5);
	/* The newest matching chunks first; each gives one hit or more, so a
	 * page of chunks as large as the limit is enough. On SQLite FTS5
	 * walks its index newest first (ORDER BY its rowid). */
	static const char sql[] =
	    "SELECT t.id, t.step_run, t.stream, t.at_ms, s.run_id, r.runbook, s.host,"
	    " s.step_id, s.attempt, t.text"
	    " FROM output_fts f JOIN output_text t ON t.id = f.rowid"
	    " JOIN step_runs s ON s.id = t.step_run JOIN runs r ON r.id = s.run_id"
	    " WHERE output_fts MATCH ?1 AND (?2 = '' OR r.runbook = ?2)"
	    " AND (?3 = '' OR s.host = ?3) AND t.at_ms >= ?4"
	    " ORDER BY f.rowid DESC LIMIT ?5";
	static const char pg_sql[] =
	    "SELECT t.id, t.step_run, t.stream, t.at_ms, s.run_id, r.runbook, s.host,"
	    " s.step_id, s.attempt, t.text"
	    " FROM output_text t JOIN step_runs s ON s.id = t.step_run"
	    " JOIN runs r ON r.id = s.run_id"
	    " WHERE to_tsvector('simple', t.text) @@ phraseto_tsquery('simple', CAST(?1 AS TEXT))"
	    " AND (CAST(?2 AS TEXT) = '' OR r.runbook = ?2)"
	    " AND (CAST(?3 AS TEXT) = '' OR s.host = ?3) AND t.at_ms >= ?4"
	    " ORDER BY t.id DESC LIMIT ?5";
	db_stmt_t *st = store_stmt2(s, sql, pg_sql);
	if (st == NULL) {
		free(query);
		store_search_words_free(words, nwords);
		return -1;
	}
	db_bind_text(st, 1, query);
	db_bind_text(st, 2, q->runbook != NULL ? q->runbook : "");
	db_bind_text(st, 3, q->host != NULL ? q->host : "");
	db_bind_int64(st, 4, q->since_ms);
	db_bind_int64(st, 5, (int64_t)q->limit + 1);
	free(query);
	/* Copied out first: the hits' neighbours are read with other
	 * statements, and a PostgreSQL row is the statement's until reset. */
	store_match_t *m = NULL;
	size_t n = 0;
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		m = xrealloc(m, (n + 1) * sizeof(*m));
		m[n] = (store_match_t){
		    .id = db_column_int64(st, 0),
		    .row = db_column_int64(st, 1),
		    .stream = (int)db_column_int64(st, 2),
		    .at_ms = db_column_int64(st, 3),
		    .run_id = store_column_dup(st, 4),
		    .runbook = store_column_dup(st, 5),
		    .host = store_column_dup(st, 6),
		    .step_id = store_column_dup(st, 7),
		    .attempt = (uint32_t)db_column_int64(st, 8),
		    .text = store_column_dup(st, 9),
		};
		n++;
	}
	if (rc != DB_DONE)
		log_warn("store: search: %s", db_errmsg(s->db));
	db_reset(st);
	for (size_t i = 0; i < n; i++) {
		if (rc == DB_DONE && !out->more)
			store_search_hits(s, &m[i], words, nwords, q->context, q->limit, out);
		store_match_clear(&m[i]);
	}
	free(m);
	store_search_words_free(words, nwords);
	return rc == DB_DONE ? 0 : -1;
}
