/* store_inbox: alerts taken in by a follower, for the leader to act on
 * (store.h, "the alert inbox"; docs/ha.md).
 *
 * Must never: lose an alert a follower answered 202, or let one be acted
 * on twice: the leader deletes a row in the very transaction that acts on
 * it, and that transaction is fenced like every other of the leader's. */
#include "store_int.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xalloc.h"

int
store_inbox_add(store_t *s, const char *peer, const char *actor, const char *role, const char *body,
                size_t len, int64_t now_ms)
{
	static const char sql[] = "INSERT INTO alert_inbox (received_ms, peer, actor, role, body)"
	                          " VALUES (?, ?, ?, ?, ?)";
	if (s->in_tx)
		return -1;
	db_stmt_t *st = store_stmt(s, sql);
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, now_ms);
	db_bind_text(st, 2, peer);
	db_bind_text(st, 3, actor);
	db_bind_text(st, 4, role);
	db_bind_blob(st, 5, body, len);
	/* One statement outside any transaction: committed when it is done. */
	return store_done(s, st);
}

int
store_inbox_next(store_t *s, store_inbox_item_t *item)
{
	static const char sql[] = "SELECT id, received_ms, peer, actor, role, body FROM alert_inbox"
	                          " ORDER BY id LIMIT 1";
	memset(item, 0, sizeof(*item));
	db_stmt_t *st = store_stmt(s, sql);
	if (st == NULL)
		return -1;
	int rc = db_step(st);
	if (rc == DB_ERROR) {
		store_stmt_failed(s, st);
		return -1;
	}
	if (rc != DB_ROW) {
		db_reset(st);
		return 1;
	}
	item->id = db_column_int64(st, 0);
	item->received_ms = db_column_int64(st, 1);
	item->peer = xstrdup(db_column_text(st, 2));
	item->actor = xstrdup(db_column_text(st, 3));
	item->role = xstrdup(db_column_text(st, 4));
	const void *body = db_column_blob(st, 5, &item->len);
	item->body = xmalloc(item->len + 1);
	memcpy(item->body, body, item->len);
	item->body[item->len] = '\0';
	db_reset(st);
	return 0;
}

int
store_inbox_delete(store_t *s, int64_t id)
{
	static const char sql[] = "DELETE FROM alert_inbox WHERE id = ?";
	return STORE_WRITE_SQL(s, sql, STORE_INT(id));
}

void
store_inbox_clear(store_inbox_item_t *item)
{
	free(item->peer);
	free(item->actor);
	free(item->role);
	free(item->body);
	memset(item, 0, sizeof(*item));
}
