/* store_outbox: the outbox table (see store_outbox.h): the loop's INSERT in
 * its turn, and the sender thread's own connection with its scan and its
 * outcome UPDATEs. */
#include "store_int.h"

#include <stdlib.h>

#include "log.h"
#include "xalloc.h"

static const char sql_add[] =
    "INSERT INTO outbox (incident_id, channel, kind, severity, title, text, hosts,"
    " created_ms, next_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
static const char sql_counts[] = "SELECT COALESCE(SUM(delivered_ms = 0 AND given_up_ms = 0), 0),"
                                 " COALESCE(SUM(given_up_ms != 0), 0) FROM outbox";

/* Due rows in id order; a row waits while an earlier row of its incident on
 * its channel is pending, so PagerDuty sees trigger before resolve. A notice
 * outside an incident (incident_id NULL) waits for nothing. */
static const char sql_due[] =
    "SELECT id, COALESCE(incident_id, ''), channel, kind, severity, title, text, hosts,"
    " created_ms, attempts, COALESCE(last_error, '') FROM outbox o"
    " WHERE delivered_ms = 0 AND given_up_ms = 0 AND next_ms <= ?1"
    " AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.incident_id = o.incident_id"
    "   AND p.channel = o.channel AND p.id < o.id"
    "   AND p.delivered_ms = 0 AND p.given_up_ms = 0)"
    " ORDER BY id";
static const char sql_next[] = "SELECT MIN(next_ms) FROM outbox"
                               " WHERE delivered_ms = 0 AND given_up_ms = 0 AND next_ms > ?1";
static const char sql_delivered[] =
    "UPDATE outbox SET delivered_ms = ?2, attempts = attempts + 1, last_status = ?3"
    " WHERE id = ?1";
static const char sql_retry[] =
    "UPDATE outbox SET attempts = attempts + 1, last_status = ?2, last_error = ?3,"
    " next_ms = ?4 WHERE id = ?1";
/* ?5: 1 when this outcome was an attempt (a 4xx), 0 for a give-up by age or
 * configuration, where nothing was sent. */
static const char sql_give_up[] =
    "UPDATE outbox SET given_up_ms = ?2, attempts = attempts + ?5,"
    " last_status = CASE WHEN ?5 THEN ?3 ELSE last_status END, last_error = ?4"
    " WHERE id = ?1";

int
store_outbox_add(store_t *s, const store_outbox_item_t *item, int64_t now_ms)
{
	sqlite3_stmt *st = store_stmt(s, sql_add);
	if (st == NULL)
		return -1;
	store_bind_text(
	    st, 1,
	    item->incident_id != NULL && item->incident_id[0] != '\0' ? item->incident_id : NULL);
	store_bind_text(st, 2, item->channel);
	store_bind_text(st, 3, item->kind);
	sqlite3_bind_int(st, 4, item->severity);
	store_bind_text(st, 5, item->title ? item->title : "");
	store_bind_text(st, 6, item->text ? item->text : "");
	store_bind_text(st, 7, item->hosts ? item->hosts : "");
	sqlite3_bind_int64(st, 8, now_ms);
	sqlite3_bind_int64(st, 9, now_ms); /* due at once */
	return store_stmt_done(s, st);
}

int
store_outbox_counts(store_t *s, uint64_t *pending, uint64_t *given_up)
{
	sqlite3_stmt *st = store_stmt(s, sql_counts);
	if (st == NULL)
		return -1;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*pending = (uint64_t)sqlite3_column_int64(st, 0);
		*given_up = (uint64_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* ---- the sender thread's side ------------------------------------------ */

struct store_outbox {
	sqlite3 *db;                                                      /* owned */
	sqlite3_stmt *q_due, *q_next, *u_delivered, *u_retry, *u_give_up; /* owned */
};

void
store_outbox_close(store_outbox_t **op)
{
	store_outbox_t *o = *op;
	if (o == NULL)
		return;
	sqlite3_finalize(o->q_due);
	sqlite3_finalize(o->q_next);
	sqlite3_finalize(o->u_delivered);
	sqlite3_finalize(o->u_retry);
	sqlite3_finalize(o->u_give_up);
	sqlite3_close(o->db);
	free(o);
	*op = NULL;
}

store_outbox_t *
store_outbox_open(const char *path, int busy_timeout_ms, char **error)
{
	store_outbox_t *o = xcalloc(1, sizeof(*o)); /* owned: returned, or closed on failure */
	/* NOMUTEX: the connection is only ever used by one thread at a time
	 * (opened here, then handed to the sender). */
	if (sqlite3_open_v2(path, &o->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		*error = xasprintf("outbox: cannot open %s: %s", path,
		                   o->db ? sqlite3_errmsg(o->db) : "out of memory");
		store_outbox_close(&o);
		return NULL;
	}
	sqlite3_busy_timeout(o->db, busy_timeout_ms);
	struct {
		sqlite3_stmt **st;
		const char *sql;
	} stmts[] = {
	    {&o->q_due, sql_due},
	    {&o->q_next, sql_next},
	    {&o->u_delivered, sql_delivered},
	    {&o->u_retry, sql_retry},
	    {&o->u_give_up, sql_give_up},
	};
	for (size_t i = 0; i < sizeof(stmts) / sizeof(stmts[0]); i++)
		if (sqlite3_prepare_v3(o->db, stmts[i].sql, -1, SQLITE_PREPARE_PERSISTENT,
		                       stmts[i].st, NULL) != SQLITE_OK) {
			*error = xasprintf("outbox: %s: %s", path, sqlite3_errmsg(o->db));
			store_outbox_close(&o);
			return NULL;
		}
	return o;
}

/* Steps an UPDATE; -1 (logged) when it did not land. */
static int
store_outbox_done(store_outbox_t *o, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		log_error("outbox: %s: %s", sqlite3_sql(st), sqlite3_errmsg(o->db));
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	return 0;
}

int
store_outbox_due(store_outbox_t *o, int64_t now_ms, store_outbox_due_fn fn, void *ctx)
{
	sqlite3_stmt *st = o->q_due;
	sqlite3_bind_int64(st, 1, now_ms);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		store_outbox_row_t row = {
		    .id = sqlite3_column_int64(st, 0),
		    .incident_id = store_column_text(st, 1),
		    .channel = (const char *)sqlite3_column_text(st, 2),
		    .kind = store_column_text(st, 3),
		    .severity = sqlite3_column_int(st, 4),
		    .title = store_column_text(st, 5),
		    .text = store_column_text(st, 6),
		    .hosts = store_column_text(st, 7),
		    .created_ms = sqlite3_column_int64(st, 8),
		    .attempts = sqlite3_column_int64(st, 9),
		    .last_error = store_column_text(st, 10),
		};
		if (fn(ctx, &row))
			break;
	}
	int out = 0;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		log_error("outbox: reading due notices: %s", sqlite3_errmsg(o->db));
		out = -1;
	}
	sqlite3_reset(st);
	return out;
}

int
store_outbox_next(store_outbox_t *o, int64_t now_ms, int64_t *next_ms)
{
	sqlite3_stmt *st = o->q_next;
	sqlite3_bind_int64(st, 1, now_ms);
	int found = 0;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		*next_ms = sqlite3_column_int64(st, 0);
		found = 1;
	}
	sqlite3_reset(st);
	return found;
}

int
store_outbox_delivered(store_outbox_t *o, int64_t id, int64_t at_ms, long status)
{
	sqlite3_stmt *st = o->u_delivered;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, at_ms);
	sqlite3_bind_int64(st, 3, status);
	return store_outbox_done(o, st);
}

int
store_outbox_retry(store_outbox_t *o, int64_t id, long status, const char *error, int64_t next_ms)
{
	sqlite3_stmt *st = o->u_retry;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, status);
	store_bind_text(st, 3, error);
	sqlite3_bind_int64(st, 4, next_ms);
	return store_outbox_done(o, st);
}

int
store_outbox_give_up(store_outbox_t *o, int64_t id, int64_t at_ms, bool attempted, long status,
                     const char *error)
{
	sqlite3_stmt *st = o->u_give_up;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, at_ms);
	sqlite3_bind_int64(st, 3, status);
	store_bind_text(st, 4, error);
	sqlite3_bind_int(st, 5, attempted ? 1 : 0);
	return store_outbox_done(o, st);
}
