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
static const char sql_counts[] =
    "SELECT COALESCE(SUM(CASE WHEN delivered_ms = 0 AND given_up_ms = 0 THEN 1 ELSE 0 END), 0),"
    " COALESCE(SUM(CASE WHEN given_up_ms != 0 THEN 1 ELSE 0 END), 0) FROM outbox";

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
    " last_status = CASE WHEN ?5 = 1 THEN ?3 ELSE last_status END, last_error = ?4"
    " WHERE id = ?1";

int
store_outbox_add(store_t *s, const store_outbox_item_t *item, int64_t now_ms)
{
	db_stmt_t *st = store_stmt(s, sql_add);
	if (st == NULL)
		return -1;
	db_bind_text(st, 1,
	             item->incident_id != NULL && item->incident_id[0] != '\0' ? item->incident_id
	                                                                       : NULL);
	db_bind_text(st, 2, item->channel);
	db_bind_text(st, 3, item->kind);
	db_bind_int64(st, 4, item->severity);
	db_bind_text(st, 5, item->title ? item->title : "");
	db_bind_text(st, 6, item->text ? item->text : "");
	db_bind_text(st, 7, item->hosts ? item->hosts : "");
	db_bind_int64(st, 8, now_ms);
	db_bind_int64(st, 9, now_ms); /* due at once */
	return store_stmt_done(s, st);
}

int
store_outbox_counts(store_t *s, uint64_t *pending, uint64_t *given_up)
{
	db_stmt_t *st = store_stmt(s, sql_counts);
	if (st == NULL)
		return -1;
	int rc = db_step(st);
	if (rc == DB_ROW) {
		*pending = (uint64_t)db_column_int64(st, 0);
		*given_up = (uint64_t)db_column_int64(st, 1);
	}
	db_reset(st);
	return rc == DB_ROW ? 0 : -1;
}

/* ---- the sender thread's side ------------------------------------------ */

struct store_outbox {
	db_t *db;                                                      /* owned */
	db_stmt_t *q_due, *q_next, *u_delivered, *u_retry, *u_give_up; /* owned by db */
};

void
store_outbox_close(store_outbox_t **op)
{
	store_outbox_t *o = *op;
	if (o == NULL)
		return;
	db_close(&o->db); /* finalizes the statements */
	free(o);
	*op = NULL;
}

store_outbox_t *
store_outbox_open(const store_options_t *opt, int busy_timeout_ms, char **error)
{
	store_outbox_t *o = xcalloc(1, sizeof(*o)); /* owned: returned, or closed on failure */
	/* One thread at a time uses the connection (opened here, then handed
	 * to the sender). The store was opened first: never create it. */
	db_options_t dbo = {
	    .target = opt->target,
	    .password_file = opt->password_file,
	    .busy_timeout_ms = busy_timeout_ms,
	    .create = false,
	};
	char *inner = NULL;
	if ((o->db = db_open(&dbo, &inner)) == NULL) {
		*error = xasprintf("outbox: %s", inner);
		free(inner);
		store_outbox_close(&o);
		return NULL;
	}
	struct {
		db_stmt_t **st;
		const char *sql;
	} stmts[] = {
	    {&o->q_due, sql_due},
	    {&o->q_next, sql_next},
	    {&o->u_delivered, sql_delivered},
	    {&o->u_retry, sql_retry},
	    {&o->u_give_up, sql_give_up},
	};
	for (size_t i = 0; i < sizeof(stmts) / sizeof(stmts[0]); i++)
		if ((*stmts[i].st = db_prepare(o->db, stmts[i].sql)) == NULL) {
			char *where = db_target_redacted(opt->target);
			*error = xasprintf("outbox: %s: %s", where, db_errmsg(o->db));
			free(where);
			store_outbox_close(&o);
			return NULL;
		}
	return o;
}

/* Steps an UPDATE; -1 (logged) when it did not land. */
static int
store_outbox_done(store_outbox_t *o, db_stmt_t *st)
{
	int rc = db_step(st);
	if (rc != DB_DONE) {
		log_error("outbox: %s: %s", db_sql(st), db_errmsg(o->db));
		db_reset(st);
		return -1;
	}
	db_reset(st);
	return 0;
}

int
store_outbox_due(store_outbox_t *o, int64_t now_ms, store_outbox_due_fn fn, void *ctx)
{
	db_stmt_t *st = o->q_due;
	db_reset(st);
	db_bind_int64(st, 1, now_ms);
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		store_outbox_row_t row = {
		    .id = db_column_int64(st, 0),
		    .incident_id = db_column_text(st, 1),
		    .channel = db_column_text(st, 2),
		    .kind = db_column_text(st, 3),
		    .severity = (int)db_column_int64(st, 4),
		    .title = db_column_text(st, 5),
		    .text = db_column_text(st, 6),
		    .hosts = db_column_text(st, 7),
		    .created_ms = db_column_int64(st, 8),
		    .attempts = db_column_int64(st, 9),
		    .last_error = db_column_text(st, 10),
		};
		if (fn(ctx, &row))
			break;
	}
	int out = 0;
	if (rc != DB_ROW && rc != DB_DONE) {
		log_error("outbox: reading due notices: %s", db_errmsg(o->db));
		out = -1;
	}
	db_reset(st);
	return out;
}

int
store_outbox_next(store_outbox_t *o, int64_t now_ms, int64_t *next_ms)
{
	db_stmt_t *st = o->q_next;
	db_reset(st);
	db_bind_int64(st, 1, now_ms);
	int found = 0;
	if (db_step(st) == DB_ROW && !db_column_is_null(st, 0)) {
		*next_ms = db_column_int64(st, 0);
		found = 1;
	}
	db_reset(st);
	return found;
}

int
store_outbox_delivered(store_outbox_t *o, int64_t id, int64_t at_ms, long status)
{
	db_stmt_t *st = o->u_delivered;
	db_reset(st);
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, at_ms);
	db_bind_int64(st, 3, status);
	return store_outbox_done(o, st);
}

int
store_outbox_retry(store_outbox_t *o, int64_t id, long status, const char *error, int64_t next_ms)
{
	db_stmt_t *st = o->u_retry;
	db_reset(st);
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, status);
	db_bind_text(st, 3, error);
	db_bind_int64(st, 4, next_ms);
	return store_outbox_done(o, st);
}

int
store_outbox_give_up(store_outbox_t *o, int64_t id, int64_t at_ms, bool attempted, long status,
                     const char *error)
{
	db_stmt_t *st = o->u_give_up;
	db_reset(st);
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, at_ms);
	db_bind_int64(st, 3, status);
	db_bind_text(st, 4, error);
	db_bind_int64(st, 5, attempted ? 1 : 0);
	return store_outbox_done(o, st);
}
