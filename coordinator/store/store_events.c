/* store_events: the event stream's rows. Every writer that records a change
 * a follower can see (a run's or a step's status, an output chunk, a worker
 * coming or going) adds a row to `events` in the same transaction, so an
 * event exists exactly when its change is committed, and its id, the
 * followers' cursor, survives a restart. The row holds only what the event
 * is about; the reader joins the output and step rows it points at, so a
 * chunk's bytes are stored once. A step's, a run's and an incident's
 * event is held to the turn's end and written with the turn's others in
 * one statement (store_batch.c); an output's and a worker's read other
 * rows and are written at once, after the ones held. */
#include "store_int.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "xalloc.h"

/* Event body field numbers (Rota__Event__BodyCase), kept in `events.kind`. */
enum {
	EV_OUTPUT = ROTA__EVENT__BODY_OUTPUT,
	EV_STEP = ROTA__EVENT__BODY_STEP,
	EV_RUN = ROTA__EVENT__BODY_RUN,
	EV_WORKER = ROTA__EVENT__BODY_WORKER,
	EV_INCIDENT = ROTA__EVENT__BODY_INCIDENT,
};

/* A worker's state as events.status holds it; the index is the number. */
static const char *const store_worker_states[] = {"", "connected", "stopping", "lost", "stopped"};
#define STORE_WORKER_STATE_COUNT (sizeof(store_worker_states) / sizeof(store_worker_states[0]))

static int
store_worker_state_number(const char *state)
{
	for (size_t i = 1; i < STORE_WORKER_STATE_COUNT; i++)
		if (strcmp(store_worker_states[i], state) == 0)
			return (int)i;
	return 0;
}

int
store_event_output(store_t *s, int64_t step_row, int64_t seq, int64_t at_ms)
{
	static const char sql[] = "INSERT INTO events (at_ms, kind, run_id, ref)"
	                          " SELECT ?, 10, s.run_id, o.id FROM outputs o"
	                          " JOIN step_runs s ON s.id = o.step_run"
	                          " WHERE o.step_run = ? AND o.seq = ?";
	return STORE_WRITE_SQL(s, sql, STORE_INT(at_ms), STORE_INT(step_row), STORE_INT(seq));
}

int
store_event_step(store_t *s, const char *run_id, int64_t step_row, int status)
{
	static const char sql[] = "INSERT INTO events (at_ms, kind, run_id, ref, status)"
	                          " SELECT ?, 11, run_id, id, ? FROM step_runs WHERE id = ?";
	if (run_id != NULL)
		return store_batch_event(s, clock_wall_ms(), EV_STEP, run_id, step_row, status,
		                         NULL);
	return STORE_WRITE_SQL(s, sql, STORE_INT(clock_wall_ms()), STORE_INT(status),
	                       STORE_INT(step_row));
}

int
store_event_run(store_t *s, const char *run_id, int status)
{
	return store_batch_event(s, clock_wall_ms(), EV_RUN, run_id, 0, status, NULL);
}

int
store_event_worker(store_t *s, const char *id, const char *state)
{
	/* Only a change: the same state written again (a worker's last
	 * sighting at stop) is no event. */
	static const char sql[] =
	    "INSERT INTO events (at_ms, kind, status, subject) SELECT ?, 14, ?, ?"
	    " WHERE NOT EXISTS (SELECT 1 FROM workers WHERE id = ? AND state = ?)";
	int number = store_worker_state_number(state);
	if (number == 0)
		return 0;
	return STORE_WRITE_SQL(s, sql, STORE_INT(clock_wall_ms()), STORE_INT(number),
	                       STORE_TEXT(id), STORE_TEXT(id), STORE_TEXT(state));
}

/* An incident's status as events.status holds it; the index is the number. */
static const char *const store_incident_states[] = {"", "triggered", "acknowledged", "resolved"};
#define STORE_INCIDENT_STATE_COUNT                                                                 \
	(sizeof(store_incident_states) / sizeof(store_incident_states[0]))

int
store_event_incident(store_t *s, const char *id, const char *status)
{
	int number = 0;
	for (size_t i = 1; i < STORE_INCIDENT_STATE_COUNT; i++)
		if (status != NULL && strcmp(store_incident_states[i], status) == 0)
			number = (int)i;
	if (store_begin(s) != 0)
		return -1;
	return store_batch_event(s, clock_wall_ms(), EV_INCIDENT, NULL, 0, number, id);
}

int
store_events_last(store_t *s, uint64_t *cursor)
{
	static const char sql[] = "SELECT COALESCE(MAX(id), 0) FROM events";
	*cursor = 0;
	db_stmt_t *st = store_stmt(s, sql);
	if (st == NULL)
		return -1;
	int rc = db_step(st);
	if (rc == DB_ROW)
		*cursor = (uint64_t)db_column_int64(st, 0);
	db_reset(st);
	return rc == DB_ROW ? 0 : -1;
}

#define STORE_EVENTS_COLUMNS                                                                       \
	"SELECT e.id, e.kind, e.run_id, e.status, e.subject, e.at_ms, s.host, s.step_id,"          \
	" s.attempt, s.exit_code, s.signal, s.position, s.started_ms, s.ended_ms, s.detail,"       \
	" o.id, o.stream, o.data, o.at_ms, i.title, i.severity, o.codec"                           \
	" FROM events e LEFT JOIN outputs o ON e.kind = 10 AND o.id = e.ref"                       \
	" LEFT JOIN incidents i ON e.kind = 15 AND i.id = e.subject"                               \
	" LEFT JOIN step_runs s ON s.id = CASE e.kind WHEN 10 THEN o.step_run"                     \
	" WHEN 11 THEN e.ref END"

/* One row of STORE_EVENTS_COLUMNS as an Event (every field malloc'd). */
static Rota__Event *
store_event_of(db_stmt_t *st)
{
	Rota__Event *ev = xmalloc(sizeof(*ev));
	rota__event__init(ev);
	ev->cursor = (uint64_t)db_column_int64(st, 0);
	int kind = (int)db_column_int64(st, 1);
	ev->run_id = store_column_dup(st, 2);
	int status = (int)db_column_int64(st, 3);
	ev->at_ms = db_column_int64(st, 5);
	if (kind == EV_OUTPUT && !db_column_is_null(st, 15)) {
		Rota__OutputChunk *c = xmalloc(sizeof(*c));
		rota__output_chunk__init(c);
		c->host = store_column_dup(st, 6);
		c->step_id = store_column_dup(st, 7);
		c->attempt = (uint32_t)db_column_int64(st, 8);
		c->id = (uint64_t)db_column_int64(st, 15);
		c->stream = (Rota__Stream)db_column_int64(st, 16);
		/* Stored packed (store_codec.h): the bytes as the worker sent them. */
		c->data.data = store_codec_column_dup(st, 17, 21, &c->data.len);
		c->at_ms = db_column_int64(st, 18);
		ev->body_case = ROTA__EVENT__BODY_OUTPUT;
		ev->output = c;
	} else if (kind == EV_STEP && !db_column_is_null(st, 6)) {
		Rota__StepRunInfo *i = xmalloc(sizeof(*i));
		rota__step_run_info__init(i);
		i->host = store_column_dup(st, 6);
		i->step_id = store_column_dup(st, 7);
		i->attempt = (uint32_t)db_column_int64(st, 8);
		i->status = (Rota__StepStatus)status;
		i->exit_code = (int32_t)db_column_int64(st, 9);
		i->signal = (int32_t)db_column_int64(st, 10);
		i->position = (uint32_t)db_column_int64(st, 11);
		i->started_ms = db_column_int64(st, 12);
		i->ended_ms = db_column_int64(st, 13);
		i->detail = store_column_dup(st, 14);
		ev->body_case = ROTA__EVENT__BODY_STEP;
		ev->step = i;
	} else if (kind == EV_RUN) {
		Rota__RunSummary *r = xmalloc(sizeof(*r));
		rota__run_summary__init(r);
		r->id = xstrdup(ev->run_id);
		r->status = (Rota__RunStatus)status;
		ev->body_case = ROTA__EVENT__BODY_RUN;
		ev->run = r;
	} else if (kind == EV_WORKER) {
		Rota__WorkerInfo *w = xmalloc(sizeof(*w));
		rota__worker_info__init(w);
		w->id = store_column_dup(st, 4);
		w->state = xstrdup(
		    (size_t)status < STORE_WORKER_STATE_COUNT ? store_worker_states[status] : "");
		ev->body_case = ROTA__EVENT__BODY_WORKER;
		ev->worker = w;
	} else if (kind == EV_INCIDENT) {
		Rota__IncidentInfo *inc = xmalloc(sizeof(*inc));
		rota__incident_info__init(inc);
		inc->id = store_column_dup(st, 4);
		inc->status = xstrdup((size_t)status < STORE_INCIDENT_STATE_COUNT
		                          ? store_incident_states[status]
		                          : "");
		inc->title = store_column_dup(st, 19);
		inc->severity = (uint32_t)db_column_int64(st, 20);
		ev->body_case = ROTA__EVENT__BODY_INCIDENT;
		ev->incident = inc;
	}
	/* A row whose output or step was pruned stays an event without a
	 * body: its cursor still counts. */
	return ev;
}

int
store_events_read(store_t *s, uint64_t after, uint64_t upto, const char *run_id, uint32_t limit,
                  Rota__Event ***out, size_t *count)
{
	static const char sql_all[] =
	    STORE_EVENTS_COLUMNS " WHERE e.id > ? AND e.id <= ? ORDER BY e.id LIMIT ?";
	static const char sql_run[] = STORE_EVENTS_COLUMNS
	    " WHERE e.run_id = ? AND e.id > ? AND e.id <= ? ORDER BY e.id LIMIT ?";
	*out = NULL;
	*count = 0;
	bool by_run = run_id != NULL && run_id[0] != '\0';
	db_stmt_t *st = store_stmt(s, by_run ? sql_run : sql_all);
	if (st == NULL)
		return -1;
	int i = 1;
	if (by_run)
		db_bind_text(st, i++, run_id);
	db_bind_int64(st, i++, (int64_t)after);
	db_bind_int64(st, i++, (int64_t)upto);
	db_bind_int64(st, i, limit);
	Rota__Event **evs = xcalloc(limit > 0 ? limit : 1, sizeof(*evs));
	size_t n = 0;
	int rc;
	while ((rc = db_step(st)) == DB_ROW && n < limit)
		evs[n++] = store_event_of(st);
	db_reset(st);
	if (rc == DB_ERROR) {
		log_warn("store: cannot read events: %s", db_errmsg(s->db));
		store_events_free(evs, n);
		return -1;
	}
	*out = evs;
	*count = n;
	return 0;
}

void
store_events_free(Rota__Event **evs, size_t count)
{
	for (size_t i = 0; i < count; i++)
		rota__event__free_unpacked(evs[i], NULL);
	free(evs);
}
