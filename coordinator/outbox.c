/* outbox: durable notifications (see outbox.h). The sender comes with the
 * outbox branch; this is the writer the loop needs. */
#include "outbox.h"

#include <stdlib.h>

#include "store_sql.h"
#include "xalloc.h"

static const char outbox_insert_sql[] =
    "INSERT INTO outbox (incident_id, channel, kind, severity, title, text, hosts, created_ms,"
    " next_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";

int
outbox_add(store_t *s, const outbox_item_t *item, int64_t now_ms)
{
	if (store_begin(s) != 0)
		return -1;
	sqlite3_stmt *st = store_stmt(s, outbox_insert_sql);
	if (st == NULL)
		return -1;
	if (item->incident_id && item->incident_id[0])
		sqlite3_bind_text(st, 1, item->incident_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, item->channel, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, item->kind, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 4, item->severity);
	sqlite3_bind_text(st, 5, item->title ? item->title : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 6, item->text ? item->text : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 7, item->hosts ? item->hosts : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 8, now_ms);
	sqlite3_bind_int64(st, 9, now_ms);
	return store_stmt_done(s, st);
}

/* Until the sender lands, rows wait in the table. */
struct outbox {
	int unused;
};

outbox_t *
outbox_start(const outbox_config_t *cfg, char **error)
{
	(void)cfg;
	(void)error;
	return xcalloc(1, sizeof(outbox_t));
}

void
outbox_wake(outbox_t *o)
{
	(void)o;
}

void
outbox_stats(outbox_t *o, outbox_stats_t *out)
{
	(void)o;
	*out = (outbox_stats_t){0};
}

void
outbox_stop(outbox_t **op)
{
	free(*op);
	*op = NULL;
}
