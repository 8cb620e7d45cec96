/* store_stats: the incidents' times (see store_stats.h). */
#include "store_int.h"

static const char sql_times[] = "SELECT severity, created_ms, acked_ms, resolved_ms,"
                                " CASE WHEN status = 'suppressed' THEN 1 ELSE 0 END"
                                " FROM incidents WHERE created_ms >= ?";

int
store_incident_times(store_t *s, int64_t since_ms, store_incident_times_fn fn, void *ctx)
{
	db_stmt_t *st = store_stmt(s, sql_times);
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, since_ms);
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		store_incident_times_t t = {
		    .severity = (int)db_column_int64(st, 0),
		    .created_ms = db_column_int64(st, 1),
		    .acked_ms = db_column_int64(st, 2),
		    .resolved_ms = db_column_int64(st, 3),
		    .suppressed = (int)db_column_int64(st, 4),
		};
		fn(ctx, &t);
	}
	if (rc != DB_DONE) {
		store_stmt_failed(s, st);
		return -1;
	}
	db_reset(st);
	return 0;
}
