/* store_incidents: the incidents room's tables (see store_incidents.h).
 *
 * Statements are prepared on first use and kept by the store (store_stmt).
 * A query that steps to an error marks the turn failed only where the
 * incidents module always did (reads inside a write: the notified
 * channels, the next number, the row an action reads). */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#define INCIDENT_COLUMNS                                                                           \
	"id, title, severity, status, source, COALESCE(runbook, ''), hosts, policy, tier,"         \
	" next_ms, ack_due_ms, created_ms, acked_ms, COALESCE(acked_by, ''), resolved_ms,"         \
	" COALESCE(note, ''), overdue"

enum {
	COL_ID,
	COL_TITLE,
	COL_SEVERITY,
	COL_STATUS,
	COL_SOURCE,
	COL_RUNBOOK,
	COL_HOSTS,
	COL_POLICY,
	COL_TIER,
	COL_NEXT,
	COL_ACK_DUE,
	COL_CREATED,
	COL_ACKED,
	COL_ACKED_BY,
	COL_RESOLVED,
	COL_NOTE,
	COL_OVERDUE,
};

static const char sql_insert[] =
    "INSERT INTO incidents (id, title, severity, status, source, runbook, hosts, policy,"
    " ack_due_ms, created_ms, dedup) VALUES (?, ?, ?, 'triggered', ?, ?, ?, ?, ?, ?, ?)";
static const char sql_next_number[] =
    "SELECT COALESCE(MAX(CAST(substr(id, 5) AS INTEGER)), 0) + 1 FROM incidents";
static const char sql_get[] = "SELECT " INCIDENT_COLUMNS " FROM incidents WHERE id = ?";
static const char sql_find_open[] =
    "SELECT id FROM incidents WHERE dedup = ? AND status NOT IN ('resolved', 'suppressed')"
    " ORDER BY created_ms DESC LIMIT 1";
static const char sql_due[] = "SELECT id FROM incidents WHERE next_ms > 0 AND next_ms <= ?"
                              " ORDER BY next_ms LIMIT 100";
static const char sql_min_due[] = "SELECT COALESCE(MIN(next_ms), 0) FROM incidents"
                                  " WHERE next_ms > 0";
static const char sql_set_climb[] =
    "UPDATE incidents SET tier = ?, next_ms = ?, overdue = ? WHERE id = ?";
static const char sql_set_status[] =
    "UPDATE incidents SET status = ?, next_ms = 0, acked_ms = ?, acked_by = ?,"
    " resolved_ms = ?, note = ? WHERE id = ?";
static const char sql_set_hosts[] = "UPDATE incidents SET hosts = ? WHERE id = ?";
static const char sql_event[] =
    "INSERT INTO incident_events (incident_id, at_ms, kind, text) VALUES (?, ?, ?, ?)";
static const char sql_events[] =
    "SELECT at_ms, kind, text, author, note_kind FROM incident_events WHERE incident_id = ?"
    " ORDER BY id";
static const char sql_link_run[] = "INSERT INTO incident_runs (incident_id, run_id) VALUES (?, ?)"
                                   " ON CONFLICT (incident_id, run_id) DO NOTHING";
static const char sql_runs_of[] =
    "SELECT run_id FROM incident_runs WHERE incident_id = ? ORDER BY id";
/* The first linked, as the dispatcher remembers it (dispatcher_run_incident). */
static const char sql_of_run[] = "SELECT incident_id FROM incident_runs WHERE run_id = ?"
                                 " ORDER BY id LIMIT 1";
static const char sql_escalation[] =
    "INSERT INTO escalations (incident_id, tier, at_ms, channels) VALUES (?, ?, ?, ?)";
static const char sql_last_escalation[] =
    "SELECT COALESCE(MAX(at_ms), 0) FROM escalations WHERE incident_id = ? AND tier = ?";
static const char sql_notified[] =
    "SELECT DISTINCT channel FROM outbox WHERE incident_id = ?"
    " AND kind IN ('trigger', 'escalate', 'overdue') ORDER BY channel";
static const char sql_deliveries[] =
    "SELECT id, channel, kind, attempts, COALESCE(last_error, ''), created_ms,"
    " delivered_ms, given_up_ms, next_ms FROM outbox WHERE incident_id = ? ORDER BY id";
static const char sql_delivery_counts[] =
    "SELECT COALESCE(SUM(CASE WHEN delivered_ms = 0 AND given_up_ms = 0 THEN 1 ELSE 0 END), 0),"
    " COALESCE(SUM(CASE WHEN given_up_ms != 0 THEN 1 ELSE 0 END), 0)"
    " FROM outbox WHERE incident_id = ?";
static const char sql_list[] = "SELECT " INCIDENT_COLUMNS " FROM incidents"
                               " ORDER BY created_ms DESC, id DESC LIMIT ?";
static const char sql_list_open[] = "SELECT " INCIDENT_COLUMNS " FROM incidents"
                                    " WHERE status NOT IN ('resolved', 'suppressed')"
                                    " ORDER BY created_ms DESC, id DESC LIMIT ?";
static const char sql_alert_get[] =
    "SELECT a.incident_id, a.status, CASE WHEN i.status NOT IN ('resolved', 'suppressed') THEN 1 "
    "ELSE 0 END"
    " FROM alerts a"
    " JOIN incidents i ON i.id = a.incident_id WHERE a.fingerprint = ?";
static const char sql_alert_put[] =
    "INSERT INTO alerts (fingerprint, incident_id, status, alertname, host, run_id,"
    " starts_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (fingerprint) DO UPDATE SET incident_id = excluded.incident_id,"
    " status = excluded.status, run_id = COALESCE(excluded.run_id, alerts.run_id),"
    " updated_ms = excluded.updated_ms";
static const char sql_alerts_firing[] =
    "SELECT COUNT(*) FROM alerts WHERE incident_id = ? AND status = 'firing'";
static const char sql_counts[] =
    "SELECT severity, status, COUNT(*) FROM incidents GROUP BY severity, status";

void
store_incident_clear(store_incident_t *r)
{
	free(r->id);
	free(r->title);
	free(r->status);
	free(r->source);
	free(r->runbook);
	free(r->hosts);
	free(r->policy);
	free(r->acked_by);
	free(r->note);
	memset(r, 0, sizeof(*r));
}

static void
store_incident_read(db_stmt_t *st, store_incident_t *r)
{
	r->id = store_column_dup(st, COL_ID);
	r->title = store_column_dup(st, COL_TITLE);
	r->severity = (int)db_column_int64(st, COL_SEVERITY);
	r->status = store_column_dup(st, COL_STATUS);
	r->source = store_column_dup(st, COL_SOURCE);
	r->runbook = store_column_dup(st, COL_RUNBOOK);
	r->hosts = store_column_dup(st, COL_HOSTS);
	r->policy = store_column_dup(st, COL_POLICY);
	r->tier = (int)db_column_int64(st, COL_TIER);
	r->next_ms = db_column_int64(st, COL_NEXT);
	r->ack_due_ms = db_column_int64(st, COL_ACK_DUE);
	r->created_ms = db_column_int64(st, COL_CREATED);
	r->acked_ms = db_column_int64(st, COL_ACKED);
	r->acked_by = store_column_dup(st, COL_ACKED_BY);
	r->resolved_ms = db_column_int64(st, COL_RESOLVED);
	r->note = store_column_dup(st, COL_NOTE);
	r->overdue = (int)db_column_int64(st, COL_OVERDUE) != 0;
}

int
store_incident_next_id(store_t *s, char *id, size_t len)
{
	db_stmt_t *st = store_stmt(s, sql_next_number);
	if (st == NULL || db_step(st) != DB_ROW) {
		if (st)
			store_stmt_failed(s, st);
		return -1;
	}
	snprintf(id, len, "INC-%lld", (long long)db_column_int64(st, 0));
	db_reset(st);
	return 0;
}

int
store_incident_insert(store_t *s, const store_incident_new_t *n)
{
	db_stmt_t *st = store_stmt(s, sql_insert);
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, n->id);
	db_bind_text(st, 2, n->title);
	db_bind_int64(st, 3, n->severity);
	db_bind_text(st, 4, n->source);
	db_bind_text(st, 5, n->runbook);
	db_bind_text(st, 6, n->hosts);
	db_bind_text(st, 7, n->policy);
	db_bind_int64(st, 8, n->ack_due_ms);
	db_bind_int64(st, 9, n->created_ms);
	db_bind_text(st, 10, n->dedup);
	if (store_stmt_done(s, st) != 0)
		return -1;
	return store_event_incident(s, n->id, "triggered");
}

int
store_incident_get(store_t *s, const char *id, store_incident_t *r)
{
	db_stmt_t *st = store_stmt(s, sql_get);
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, id);
	int rc = db_step(st);
	if (rc == DB_ROW)
		store_incident_read(st, r);
	else if (rc != DB_DONE)
		store_stmt_failed(s, st);
	db_reset(st);
	return rc == DB_ROW ? 0 : rc == DB_DONE ? 1 : -1;
}

int
store_incident_set_climb(store_t *s, const char *id, int tier, int64_t next_ms, bool overdue)
{
	return STORE_WRITE_SQL(s, sql_set_climb, STORE_INT(tier), STORE_INT(next_ms),
	                       STORE_INT(overdue), STORE_TEXT(id));
}

int
store_incident_set_status(store_t *s, const store_incident_t *r)
{
	db_stmt_t *st = store_stmt(s, sql_set_status);
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, r->status);
	db_bind_int64(st, 2, r->acked_ms);
	db_bind_text(st, 3, r->acked_by && r->acked_by[0] ? r->acked_by : NULL);
	db_bind_int64(st, 4, r->resolved_ms);
	db_bind_text(st, 5, r->note && r->note[0] ? r->note : NULL);
	db_bind_text(st, 6, r->id);
	if (store_stmt_done(s, st) != 0)
		return -1;
	return store_event_incident(s, r->id, r->status);
}

int
store_incident_set_hosts(store_t *s, const char *id, const char *hosts)
{
	return STORE_WRITE_SQL(s, sql_set_hosts, STORE_TEXT(hosts), STORE_TEXT(id));
}

int
store_incident_event_add(store_t *s, const char *id, int64_t at_ms, const char *kind,
                         const char *text)
{
	return STORE_WRITE_SQL(s, sql_event, STORE_TEXT(id), STORE_INT(at_ms), STORE_TEXT(kind),
	                       STORE_TEXT(text));
}

int
store_incident_escalation_add(store_t *s, const char *id, int tier, int64_t at_ms,
                              const char *channels)
{
	return STORE_WRITE_SQL(s, sql_escalation, STORE_TEXT(id), STORE_INT(tier), STORE_INT(at_ms),
	                       STORE_TEXT(channels));
}

int64_t
store_incident_last_escalation(store_t *s, const char *id, int tier)
{
	db_stmt_t *st = store_stmt(s, sql_last_escalation);
	if (st == NULL)
		return 0;
	db_bind_text(st, 1, id);
	db_bind_int64(st, 2, tier);
	int64_t at = db_step(st) == DB_ROW ? db_column_int64(st, 0) : 0;
	db_reset(st);
	return at;
}

int
store_incident_link_run(store_t *s, const char *id, const char *run_id)
{
	return STORE_WRITE_SQL(s, sql_link_run, STORE_TEXT(id), STORE_TEXT(run_id));
}

/* The id column of the first row sql finds by key: 1 (id filled), 0 none,
 * -1 on error. */
static int
store_incident_lookup(store_t *s, const char *sql, const char *key, char *id, size_t len)
{
	db_stmt_t *st = store_stmt(s, sql);
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, key);
	int rc = db_step(st);
	if (rc == DB_ROW)
		store_column_copy(st, 0, id, len);
	db_reset(st);
	return rc == DB_ROW ? 1 : rc == DB_DONE ? 0 : -1;
}

int
store_incident_find_open(store_t *s, const char *dedup, char *id, size_t len)
{
	return store_incident_lookup(s, sql_find_open, dedup, id, len);
}

int
store_incident_of_run(store_t *s, const char *run_id, char *id, size_t len)
{
	return store_incident_lookup(s, sql_of_run, run_id, id, len);
}

int
store_incident_notified(store_t *s, const char *id, strlist_t *channels)
{
	db_stmt_t *st = store_stmt(s, sql_notified);
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, id);
	int rc;
	while ((rc = db_step(st)) == DB_ROW)
		strlist_add(channels, store_column_dup(st, 0));
	if (rc != DB_DONE)
		store_stmt_failed(s, st);
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}

int
store_incident_min_due(store_t *s, int64_t *next_ms)
{
	db_stmt_t *st = store_stmt(s, sql_min_due);
	if (st == NULL)
		return -1;
	if (db_step(st) != DB_ROW) {
		db_reset(st);
		return -1;
	}
	*next_ms = db_column_int64(st, 0);
	db_reset(st);
	return 0;
}

int
store_incident_due(store_t *s, int64_t now_ms, strlist_t *ids)
{
	db_stmt_t *st = store_stmt(s, sql_due);
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, now_ms);
	int rc;
	while ((rc = db_step(st)) == DB_ROW)
		strlist_add(ids, store_column_dup(st, 0));
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}

int
store_incident_list(store_t *s, bool open_only, uint32_t limit, store_incident_t **rows,
                    size_t *count)
{
	*rows = NULL;
	*count = 0;
	db_stmt_t *st = store_stmt(s, open_only ? sql_list_open : sql_list);
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, (int)limit);
	size_t cap = 0;
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		if (*count == cap) {
			cap = cap ? cap * 2 : 16;
			*rows = xrealloc(*rows, cap * sizeof(**rows));
		}
		store_incident_t *r = &(*rows)[(*count)++];
		memset(r, 0, sizeof(*r));
		store_incident_read(st, r);
	}
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}

void
store_incident_rows_free(store_incident_t *rows, size_t count)
{
	for (size_t i = 0; i < count; i++)
		store_incident_clear(&rows[i]);
	free(rows);
}

int
store_incident_runs(store_t *s, const char *id, strlist_t *runs)
{
	db_stmt_t *st = store_stmt(s, sql_runs_of);
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, id);
	while (db_step(st) == DB_ROW)
		strlist_add(runs, store_column_dup(st, 0));
	db_reset(st);
	return 0;
}

int
store_incident_delivery_counts(store_t *s, const char *id, uint32_t *pending, uint32_t *failed)
{
	db_stmt_t *st = store_stmt(s, sql_delivery_counts);
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, id);
	int rc = db_step(st);
	if (rc == DB_ROW) {
		*pending = (uint32_t)db_column_int64(st, 0);
		*failed = (uint32_t)db_column_int64(st, 1);
	}
	db_reset(st);
	return rc == DB_ROW ? 0 : -1;
}

int
store_incident_events(store_t *s, const char *id, Rota__ShowIncidentResponse *out)
{
	db_stmt_t *st = store_stmt(s, sql_events);
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, id);
	size_t cap = 0;
	while (db_step(st) == DB_ROW) {
		if (out->n_events == cap) {
			cap = cap ? cap * 2 : 16;
			out->events = xrealloc(out->events, cap * sizeof(*out->events));
		}
		Rota__IncidentEvent *e = xmalloc(sizeof(*e));
		rota__incident_event__init(e);
		e->at_ms = db_column_int64(st, 0);
		e->kind = store_column_dup(st, 1);
		e->text = store_column_dup(st, 2);
		e->by = store_column_dup(st, 3);
		e->note_kind = store_column_dup(st, 4);
		out->events[out->n_events++] = e;
	}
	db_reset(st);
	return 0;
}

int
store_incident_deliveries(store_t *s, const char *id, Rota__ShowIncidentResponse *out)
{
	db_stmt_t *st = store_stmt(s, sql_deliveries);
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, id);
	size_t cap = 0;
	while (db_step(st) == DB_ROW) {
		if (out->n_deliveries == cap) {
			cap = cap ? cap * 2 : 16;
			out->deliveries = xrealloc(out->deliveries, cap * sizeof(*out->deliveries));
		}
		Rota__Delivery *d = xmalloc(sizeof(*d));
		rota__delivery__init(d);
		d->id = (uint64_t)db_column_int64(st, 0);
		d->channel = store_column_dup(st, 1);
		d->kind = store_column_dup(st, 2);
		d->attempts = (uint32_t)db_column_int64(st, 3);
		d->last_error = store_column_dup(st, 4);
		d->created_ms = db_column_int64(st, 5);
		d->delivered_ms = db_column_int64(st, 6);
		int64_t given_up = db_column_int64(st, 7);
		d->next_ms = db_column_int64(st, 8);
		d->state = xstrdup(d->delivered_ms ? "delivered" : given_up ? "failed" : "pending");
		out->deliveries[out->n_deliveries++] = d;
	}
	db_reset(st);
	return 0;
}

int
store_incident_counts(store_t *s, uint64_t counts[5][3])
{
	memset(counts, 0, sizeof(uint64_t) * 5 * 3);
	db_stmt_t *st = store_stmt(s, sql_counts);
	if (st == NULL)
		return -1;
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		int sev = (int)db_column_int64(st, 0);
		const char *status = db_column_text(st, 1);
		int k = strcmp(status, "triggered") == 0      ? 0
		        : strcmp(status, "acknowledged") == 0 ? 1
		                                              : 2;
		if (sev >= 1 && sev <= 4)
			counts[sev][k] = (uint64_t)db_column_int64(st, 2);
	}
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}

int
store_alert_get(store_t *s, const char *fingerprint, char *incident_id, size_t id_len, char *status,
                size_t status_len, bool *incident_open)
{
	db_stmt_t *st = store_stmt(s, sql_alert_get);
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, fingerprint);
	int rc = db_step(st);
	if (rc == DB_ROW) {
		store_column_copy(st, 0, incident_id, id_len);
		store_column_copy(st, 1, status, status_len);
		*incident_open = (int)db_column_int64(st, 2) != 0;
	}
	db_reset(st);
	return rc == DB_ROW ? 1 : rc == DB_DONE ? 0 : -1;
}

int
store_alert_put(store_t *s, const char *fingerprint, const char *incident_id, const char *status,
                const char *alertname, const char *host, const char *run_id, int64_t starts_ms,
                int64_t now_ms)
{
	return STORE_WRITE_SQL(s, sql_alert_put, STORE_TEXT(fingerprint), STORE_TEXT(incident_id),
	                       STORE_TEXT(status), STORE_TEXT(alertname), STORE_TEXT(host),
	                       STORE_TEXT(run_id), STORE_INT(starts_ms), STORE_INT(now_ms));
}

int
store_alerts_firing(store_t *s, const char *incident_id)
{
	db_stmt_t *st = store_stmt(s, sql_alerts_firing);
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, incident_id);
	int n = db_step(st) == DB_ROW ? (int)db_column_int64(st, 0) : -1;
	db_reset(st);
	return n;
}
