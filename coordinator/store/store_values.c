/* store_values: the numbers checks record (see store_values.h). */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>

static const char sql_add[] =
    "INSERT INTO recorded_values (runbook, host, name, value, run_id, step_id, at_ms)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)";
static const char sql_latest[] = "SELECT value FROM recorded_values WHERE runbook = ? AND"
                                 " host = ? AND name = ? ORDER BY id DESC LIMIT ?";

int
store_value_add(store_t *s, const store_value_t *v)
{
	char text[64];
	if (store_begin(s) != 0)
		return -1;
	db_stmt_t *st = store_stmt(s, sql_add);
	if (st == NULL)
		return -1;
	snprintf(text, sizeof(text), "%.17g", v->value);
	db_bind_text(st, 1, v->runbook);
	db_bind_text(st, 2, v->host);
	db_bind_text(st, 3, v->name);
	db_bind_text(st, 4, text);
	db_bind_text(st, 5, v->run_id);
	db_bind_text(st, 6, v->step_id);
	db_bind_int64(st, 7, v->at_ms);
	return store_stmt_done(s, st);
}

int
store_values_latest(store_t *s, const char *runbook, const char *host, const char *name, size_t n,
                    double *out, size_t *count)
{
	*count = 0;
	if (n > STORE_VALUES_MAX)
		n = STORE_VALUES_MAX;
	db_stmt_t *st = store_stmt(s, sql_latest);
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, runbook);
	db_bind_text(st, 2, host);
	db_bind_text(st, 3, name);
	db_bind_int64(st, 4, (int64_t)n);
	int rc;
	while ((rc = db_step(st)) == DB_ROW && *count < n)
		out[(*count)++] = strtod(db_column_text(st, 0), NULL);
	db_reset(st);
	return rc == DB_ERROR ? -1 : 0;
}
