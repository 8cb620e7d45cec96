/* store_outbox: the outbox table (see store_outbox.h). */
#include "store_int.h"

#include <stdlib.h>

static const char sql_outbox_counts[] =
    "SELECT COALESCE(SUM(delivered_ms = 0 AND given_up_ms = 0), 0),"
    " COALESCE(SUM(given_up_ms != 0), 0) FROM outbox";

int
store_outbox_counts(store_t *s, uint64_t *pending, uint64_t *given_up)
{
	sqlite3_stmt *st = store_stmt(s, sql_outbox_counts);
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
