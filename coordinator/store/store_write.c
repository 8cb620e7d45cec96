/* store_write: the writers the loop calls inside its turn: runs, step
 * runs, output in seq order, workers, runbooks and schedules. Each opens
 * the turn's transaction (store_begin) and marks the turn failed when a
 * write fails, so the turn does not commit half of a change. */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xalloc.h"

int
store_run_insert(store_t *s, const store_run_t *run)
{
	if (store_begin(s) != 0)
		return -1;
	/* PostgreSQL: held for the turn's one INSERT of runs (store_adds.c). */
	if (store_is_postgresql(s)) {
		if (store_adds_run(s, run) != 0)
			return -1;
		return store_event_run(s, run->id, run->status);
	}
	db_stmt_t *st = store_q(s, Q_RUN_INSERT);
	db_bind_text(st, 1, run->id);
	db_bind_text(st, 2, run->runbook);
	db_bind_text(st, 3, run->runbook_yaml);
	db_bind_text(st, 4, run->params_json);
	db_bind_int64(st, 5, run->status);
	db_bind_int64(st, 6, run->created_ms);
	db_bind_text(st, 7, run->trigger ? run->trigger : "manual");
	db_bind_text(st, 8, run->reason);
	db_bind_int64(st, 9, run->slot_ms);
	db_bind_int64(st, 10, run->started_ms);
	db_bind_int64(st, 11, run->ended_ms);
	if (store_done(s, st) != 0)
		return -1;
	return store_event_run(s, run->id, run->status);
}

int
store_run_update(store_t *s, const char *run_id, int status, int64_t started_ms, int64_t ended_ms)
{
	/* Held to the turn's end: a run submitted, started and ended in one
	 * turn is written once (store_batch.c). On PostgreSQL a run inserted
	 * in this turn and not yet written takes the update into its INSERT
	 * (store_adds.c): one row version, not an INSERT and an UPDATE. */
	if (store_begin(s) != 0)
		return -1;
	if (!(store_is_postgresql(s) &&
	      store_adds_run_update(s, run_id, status, started_ms, ended_ms)) &&
	    store_batch_run(s, run_id, status, started_ms, ended_ms) != 0)
		return -1;
	return store_event_run(s, run_id, status);
}

static int
store_id_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* PostgreSQL: the next step run id, from a block of STORE_STEP_IDS taken
 * from step_runs' own sequence in one round trip. The insert then names its
 * id and returns nothing, so db_pg.c sends it without waiting, where an
 * INSERT ... RETURNING id was a round trip of every step run. A sequence
 * never hands a value out twice, whoever asks and whatever rolls back, so
 * the block needs no fence of its own (the turn's commit has one); ids a
 * failed turn or a lost lease leave unused are only gaps. */
static int
store_step_id(store_t *s, int64_t *id)
{
	if (s->step_id_next == s->step_id_count || s->step_ids_epoch != s->fence_epoch) {
		static const char sql[] =
		    "SELECT nextval(pg_get_serial_sequence('step_runs', 'id'))"
		    " FROM generate_series(1, " STORE_STEP_IDS_TEXT ")";
		db_stmt_t *st = store_stmt(s, sql);
		if (st == NULL)
			return -1;
		size_t n = 0;
		int rc;
		while ((rc = db_step(st)) == DB_ROW && n < STORE_STEP_IDS)
			s->step_ids[n++] = db_column_int64(st, 0);
		if (rc == DB_ERROR || n == 0) {
			store_stmt_failed(s, st);
			s->step_id_next = s->step_id_count = 0;
			return -1;
		}
		db_reset(st);
		/* In the order they are used: ids rise as step runs are made. */
		qsort(s->step_ids, n, sizeof(s->step_ids[0]), store_id_cmp);
		s->step_id_next = 0;
		s->step_id_count = n;
		s->step_ids_epoch = s->fence_epoch;
	}
	*id = s->step_ids[s->step_id_next++];
	return 0;
}

int
store_step_insert(store_t *s, const char *run_id, const char *step_id, const char *host,
                  uint32_t attempt, uint32_t position, int status, const uint8_t *spec,
                  size_t spec_len, int64_t *row)
{
	if (store_begin(s) != 0)
		return -1;
	if (store_is_postgresql(s)) {
		/* Its id from the sequence's block, the row held for the turn's
		 * one INSERT of step runs (store_adds.c). */
		if (store_step_id(s, row) != 0)
			return -1;
		return store_adds_step(s, *row, run_id, step_id, host, attempt, position, status,
		                       spec, spec_len);
	}
	db_stmt_t *st = store_q(s, Q_STEP_INSERT);
	db_bind_text(st, 1, run_id);
	db_bind_text(st, 2, step_id);
	db_bind_text(st, 3, host);
	db_bind_int64(st, 4, attempt);
	db_bind_int64(st, 5, position);
	db_bind_int64(st, 6, status);
	db_bind_blob(st, 7, spec, spec_len);
	/* SQLite only here (PostgreSQL's ids come from the block above): the
	 * rowid it gave, read at once, not RETURNING id, which made SQLite
	 * keep the returned row in a table of its own. */
	if (store_done(s, st) != 0)
		return -1;
	*row = db_sqlite_last_id(s->db);
	return 0;
}

int
store_step_update(store_t *s, int64_t row, const store_step_state_t *stt)
{
	/* Held like a run's (store_batch.c): dispatched, running and ended in
	 * one turn is one UPDATE. */
	if (store_begin(s) != 0)
		return -1;
	/* On PostgreSQL a step run inserted in this turn and not yet written
	 * takes the update into its INSERT (store_adds.c): its row is
	 * written once, as a submit's dispatch in the same turn made it
	 * twice. */
	if (!(store_is_postgresql(s) && store_adds_step_update(s, row, stt)) &&
	    store_batch_step(s, row, stt) != 0)
		return -1;
	return store_event_step(s, stt->run_id, row, stt->status);
}

static int
store_output_insert(store_t *s, int64_t row, int64_t seq, int stream, const uint8_t *data,
                    size_t len, int64_t at_ms, bool *inserted)
{
	/* Packed as it is stored: the row is written once, and a finished
	 * step's output is never held in the store as sent (store_codec.h). */
	uint8_t *packed = NULL; /* owned, freed below */
	size_t packed_len = 0;
	int codec = store_codec_pack(data, len, &packed, &packed_len);
	db_stmt_t *st = store_q(s, Q_OUTPUT_INSERT);
	db_bind_int64(st, 1, row);
	db_bind_int64(st, 2, seq);
	db_bind_int64(st, 3, stream);
	if (packed != NULL)
		db_bind_blob(st, 4, packed, packed_len);
	else
		db_bind_blob(st, 4, data, len);
	db_bind_int64(st, 5, at_ms);
	db_bind_int64(st, 6, codec);
	free(packed); /* the binding copied it */
	if (store_done(s, st) != 0)
		return -1;
	int64_t changed = db_changes(s->db);
	if (changed < 0)
		return -1;
	*inserted = changed > 0;
	/* Only queued for the search index: indexing costs milliseconds a
	 * chunk, which the turn that acknowledges it must not wait for. */
	if (*inserted && store_search_enqueue(s, row, seq) != 0)
		return -1;
	return *inserted ? store_event_output(s, row, seq, at_ms) : 0;
}

int
store_step_find(store_t *s, const char *run_id, const char *step_id, const char *host,
                uint32_t attempt, int64_t *row)
{
	db_stmt_t *st = store_q(s, Q_STEP_FIND);
	db_bind_text(st, 1, run_id);
	db_bind_text(st, 2, step_id);
	db_bind_text(st, 3, host);
	db_bind_int64(st, 4, attempt);
	int rc = db_step(st);
	if (rc == DB_ROW)
		*row = db_column_int64(st, 0);
	db_reset(st);
	if (rc == DB_ROW)
		return 0;
	if (rc == DB_DONE)
		return 1;
	log_error("store: cannot look up step run %s/%s/%s#%u: %s", run_id, step_id, host, attempt,
	          db_errmsg(s->db));
	return -1;
}

/* The output state of a step run; -1 when it cannot be read. */
typedef struct {
	uint64_t bytes;
	int truncated; /* STORE_OUTPUT_CUT | STORE_OUTPUT_LOST */
	uint64_t seq;
	bool dispatched;
} store_output_state_t;

static int
store_output_state(store_t *s, int64_t row, store_output_state_t *out)
{
	db_stmt_t *st = store_q(s, Q_STEP_OUTPUT_STATE);
	db_bind_int64(st, 1, row);
	if (db_step(st) != DB_ROW) {
		db_reset(st);
		return -1;
	}
	out->bytes = (uint64_t)db_column_int64(st, 0);
	out->truncated = (int)db_column_int64(st, 1);
	out->seq = (uint64_t)db_column_int64(st, 2);
	out->dispatched = (int)db_column_int64(st, 3) != 0;
	db_reset(st);
	return 0;
}

int
store_output_seq(store_t *s, int64_t row, uint64_t *seq)
{
	store_output_state_t os;
	if (store_output_state(s, row, &os) != 0)
		return -1;
	*seq = os.seq;
	return 0;
}

int
store_output_append(store_t *s, int64_t row, uint64_t seq, int stream, const uint8_t *data,
                    size_t len, uint64_t cap, int64_t at_ms, store_output_t *outcome,
                    uint64_t *recorded)
{
	*outcome = STORE_OUTPUT_REFUSED;
	*recorded = 0;
	if (store_begin(s) != 0)
		return -1;
	store_output_state_t os;
	if (store_output_state(s, row, &os) != 0) {
		s->failed = true;
		return -1;
	}
	*recorded = os.seq;
	if (!os.dispatched || seq == 0)
		return 0;
	if (seq <= os.seq) {
		*outcome = STORE_OUTPUT_DUPLICATE;
		return 0;
	}
	if (seq > os.seq + 1) {
		/* An earlier chunk is missing: storing this one now would put
		 * the step's lines out of order. The worker sends it again
		 * after the missing one. */
		*outcome = STORE_OUTPUT_AHEAD;
		return 0;
	}

	size_t keep = (os.truncated & STORE_OUTPUT_CUT) ? 0 : len;
	if (!(os.truncated & STORE_OUTPUT_CUT) && os.bytes + len > cap)
		keep = os.bytes >= cap ? 0 : (size_t)(cap - os.bytes);
	bool inserted = false;
	if (keep > 0 &&
	    store_output_insert(s, row, (int64_t)seq, stream, data, keep, at_ms, &inserted) != 0)
		return -1;
	if (!(os.truncated & STORE_OUTPUT_CUT) && keep < len) {
		/* Seq 0 is never used by a worker, so the marker has a slot of its
		 * own and is stored once. */
		char note[128];
		int n = snprintf(
		    note, sizeof(note),
		    "[rota: output truncated: more than %llu bytes; the rest was dropped]\n",
		    (unsigned long long)cap);
		bool marker = false;
		if (store_output_insert(s, row, 0, ROTA__STREAM__STREAM_SYSTEM,
		                        (const uint8_t *)note, (size_t)n, at_ms, &marker) != 0)
			return -1;
		os.truncated |= STORE_OUTPUT_CUT;
	}
	/* A chunk past the cap is not kept, but it is accounted for: the
	 * step's seq moves on all the same. */
	db_stmt_t *st = store_q(s, Q_STEP_OUTPUT_SET);
	db_bind_int64(st, 1, (int64_t)(os.bytes + keep));
	db_bind_int64(st, 2, os.truncated);
	db_bind_int64(st, 3, (int64_t)seq);
	db_bind_int64(st, 4, row);
	if (store_done(s, st) != 0)
		return -1;
	*recorded = seq;
	*outcome = STORE_OUTPUT_STORED;
	return 0;
}

/* n with a comma every three digits: 183,412. */
static void
store_group_digits(uint64_t n, char *buf, size_t len)
{
	char digits[32];
	int nd = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)n);
	size_t o = 0;
	for (int i = 0; i < nd && o + 2 < len; i++) {
		if (i > 0 && (nd - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
}

int
store_output_lost(store_t *s, int64_t row, uint64_t upto, uint64_t sent_bytes, const char *why,
                  int64_t at_ms)
{
	if (store_begin(s) != 0)
		return -1;
	store_output_state_t os;
	if (store_output_state(s, row, &os) != 0) {
		s->failed = true;
		return -1;
	}
	if (upto <= os.seq)
		return 0;
	/* The note takes the first missing seq: a chunk that still comes is
	 * then a duplicate, and the lines stay in order. */
	char note[400];
	int n;
	if (why && why[0] && sent_bytes > os.bytes) {
		char bytes[40];
		store_group_digits(sent_bytes - os.bytes, bytes, sizeof(bytes));
		n = snprintf(note, sizeof(note), "[rota: %s bytes of output lost: %.200s]\n", bytes,
		             why);
	} else if (why && why[0]) {
		n = snprintf(note, sizeof(note),
		             "[rota: output lost: chunks %llu to %llu of this step: %.200s]\n",
		             (unsigned long long)os.seq + 1, (unsigned long long)upto, why);
	} else {
		n = snprintf(
		    note, sizeof(note),
		    "[rota: output lost: chunks %llu to %llu of this step never arrived]\n",
		    (unsigned long long)os.seq + 1, (unsigned long long)upto);
	}
	if (n < 0 || (size_t)n >= sizeof(note))
		n = (int)sizeof(note) - 1;
	bool inserted = false;
	if (store_output_insert(s, row, (int64_t)os.seq + 1, ROTA__STREAM__STREAM_SYSTEM,
	                        (const uint8_t *)note, (size_t)n, at_ms, &inserted) != 0)
		return -1;
	/* Output is missing: the step's output is marked truncated. */
	return STORE_WRITE_Q(s, Q_STEP_OUTPUT_SET, STORE_INT((int64_t)os.bytes),
	                     STORE_INT(os.truncated | STORE_OUTPUT_LOST), STORE_INT((int64_t)upto),
	                     STORE_INT(row));
}

int
store_worker_upsert(store_t *s, const char *id, const char *hostname, const char *labels,
                    const char *version, const char *state, int64_t last_seen_ms)
{
	if (store_begin(s) != 0 || store_event_worker(s, id, state) != 0)
		return -1;
	return STORE_WRITE_Q(s, Q_WORKER_UPSERT, STORE_TEXT(id), STORE_TEXT(hostname),
	                     STORE_TEXT(labels), STORE_TEXT(version), STORE_TEXT(state),
	                     STORE_INT(last_seen_ms));
}

int
store_worker_delete(store_t *s, const char *id)
{
	return STORE_WRITE_Q(s, Q_WORKER_DELETE, STORE_TEXT(id));
}

int
store_run_outcome(store_t *s, const char *run_id, uint32_t hosts_ok, uint32_t hosts_failed,
                  const char *reason)
{
	if (store_begin(s) != 0)
		return -1;
	return store_batch_outcome(s, run_id, hosts_ok, hosts_failed, reason);
}

int
store_run_cancel(store_t *s, const char *run_id, const char *reason)
{
	return STORE_WRITE_Q(s, Q_RUN_CANCEL, STORE_TEXT(reason), STORE_TEXT(run_id));
}

int
store_runbook_put(store_t *s, const char *name, const char *path, const char *hash,
                  const char *yaml, int64_t loaded_ms)
{
	if (store_begin(s) != 0)
		return -1;
	db_stmt_t *st = store_q(s, Q_RUNBOOK_SAVE);
	db_bind_text(st, 1, name);
	db_bind_text(st, 2, path);
	db_bind_text(st, 3, hash);
	db_bind_text(st, 4, yaml);
	db_bind_int64(st, 5, loaded_ms);
	return store_done(s, st);
}

int
store_runbook_forget_path(store_t *s, const char *path, const char *name)
{
	return STORE_WRITE_Q(s, Q_RUNBOOK_PATH_OTHERS, STORE_TEXT(path), STORE_TEXT(name));
}

int
store_runbook_save(store_t *s, const char *name, const char *path, const char *hash,
                   const char *yaml, int64_t loaded_ms)
{
	if (store_runbook_put(s, name, path, hash, yaml, loaded_ms) != 0)
		return -1;
	return store_runbook_forget_path(s, path, name);
}

int
store_runbook_delete(store_t *s, const char *name)
{
	return STORE_WRITE_Q(s, Q_RUNBOOK_DELETE, STORE_TEXT(name));
}

int
store_schedule_put(store_t *s, const store_schedule_t *sc)
{
	return STORE_WRITE_Q(s, Q_SCHEDULE_PUT, STORE_TEXT(sc->runbook), STORE_TEXT(sc->cron),
	                     STORE_TEXT(sc->timezone), STORE_INT(sc->next_ms),
	                     STORE_INT(sc->last_slot_ms), STORE_TEXT(sc->last_run_id));
}

int
store_schedule_delete(store_t *s, const char *runbook)
{
	return STORE_WRITE_Q(s, Q_SCHEDULE_DELETE, STORE_TEXT(runbook));
}
