/* store_import: a SQLite store copied into an empty PostgreSQL one (see
 * store_import.h). The whole copy is one transaction of the PostgreSQL
 * connection, under an advisory lock, after the emptiness check inside it:
 * two imports (or an import and a coordinator's first start) cannot both
 * find the database empty and both write. The SQLite side is read in one
 * transaction too, so the copy is one moment of its history.
 *
 * Rows are sent STORE_IMPORT_BATCH to an INSERT (a round trip per batch,
 * not per row: an install's outputs table holds millions of chunks). */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xalloc.h"

/* The advisory lock key of an import: 'rota' then 2 (store_schema_pg.c's
 * migrations hold 'rota' then 1). */
#define STORE_IMPORT_LOCK "8245935278387085314"

/* Rows per INSERT. The widest table (incidents, 18 columns) needs
 * 18 * 64 parameters, far below PostgreSQL's 65535. */
#define STORE_IMPORT_BATCH 64

/* Every table and column of the schema at STORE_SCHEMA_VERSION, in the
 * schema's column order, parents first (PostgreSQL checks every foreign
 * key as a row goes in). A column added by a migration goes here in the
 * same commit: unit.store_import fails until it does. */
static const store_import_table_t store_import_tables[] = {
    {"meta", "key t, value t", false},
    {"workers", "id t, hostname t, labels t, version t, state t, last_seen_ms i", false},
    {"runs",
     "id t, runbook t, runbook_yaml t, params t, status i, created_ms i, started_ms i,"
     " ended_ms i, trigger t, reason t, slot_ms i, hosts_ok i, hosts_failed i,"
     " cancelled i",
     false},
    {"step_runs",
     "id i, run_id t, step_id t, host t, attempt i, position i, status i,"
     " exit_code i, signal i, started_ms i, ended_ms i, detail t, spec b,"
     " output_bytes i, output_truncated i, output_seq i, dispatched i, approved_by t,"
     " approved_ms i",
     false},
    {"outputs", "id i, step_run i, seq i, stream i, data b, at_ms i, codec i", false},
    {"runbooks", "name t, path t, hash t, yaml t, loaded_ms i", false},
    {"schedules", "runbook t, cron t, timezone t, next_ms i, last_slot_ms i, last_run_id t", false},
    {"incidents",
     "id t, title t, severity i, status t, source t, runbook t, hosts t, policy t,"
     " tier i, next_ms i, ack_due_ms i, created_ms i, acked_ms i, acked_by t,"
     " resolved_ms i, note t, dedup t, overdue i",
     false},
    {"incident_events", "id i, incident_id t, at_ms i, kind t, text t, author t, note_kind t",
     false},
    {"incident_runs", "id i, incident_id t, run_id t", false},
    {"escalations", "incident_id t, tier i, at_ms i, channels t", false},
    {"alerts",
     "fingerprint t, incident_id t, status t, alertname t, host t, run_id t,"
     " starts_ms i, updated_ms i",
     false},
    {"outbox",
     "id i, incident_id t, channel t, kind t, severity i, title t, text t, hosts t,"
     " created_ms i, attempts i, next_ms i, delivered_ms i, given_up_ms i,"
     " last_status i, last_error t",
     false},
    {"audit",
     "id i, at_ms i, actor t, role t, action t, target t, outcome t, detail t, peer t,"
     " key t, count i",
     false},
    /* Leadership is the new database's own: its first leader takes the
     * lease there. Alerts a follower took in are history not acted on. */
    {"leader",
     "id i, epoch i, holder t, backend_pid i, expires_ms i, worker_endpoint t,"
     " api_endpoint t, http_endpoint t",
     true},
    {"coordinators",
     "api_endpoint t, id t, role t, worker_endpoint t, http_endpoint t, epoch i,"
     " last_seen_ms i",
     true},
    {"alert_inbox", "id i, received_ms i, peer t, actor t, role t, body b", false},
    {"run_notes", "id i, run_id t, at_ms i, note_kind t, author t, text t", false},
    /* The followers' cursors go on from the same ids. */
    {"events", "id i, at_ms i, kind i, run_id t, ref i, status i, subject t", false},
    /* Sign-ins stay with the store they were made in: sign in again. */
    {"web_sessions", "id t, kind t, operator t, role i, key t, csrf t, created_ms i, expires_ms i",
     true},
    /* The search index's text; each engine indexes it its own way. */
    {"output_text", "id i, step_run i, stream i, at_ms i, carry i, text t", false},
    /* Chunks not yet in output_text: the new store's indexer feeds them. */
    {"search_queue", "output_id i", false},
    /* rota oncall override's rows (store_oncall.c). */
    {"oncall_overrides",
     "id i, rotation t, person t, from_ms i, until_ms i, created_by t, created_ms i", false},
    {"recorded_values", "id i, runbook t, host t, name t, value t, run_id t, step_id t, at_ms i",
     false},
    {"maintenance_windows",
     "id i, target t, reason t, is_freeze i, starts_ms i, ends_ms i, created_by t, ended_by t",
     false},
    {"maintenance_ended", "name t, starts_ms i, ended_ms i, ended_by t", false},
    /* Calendar feed links (hashes only): subscriptions go on working. */
    {"oncall_feeds", "token_hash t, rotation t, created_by t, created_ms i", false},
};
#define STORE_IMPORT_TABLE_COUNT (sizeof(store_import_tables) / sizeof(store_import_tables[0]))
_Static_assert(STORE_IMPORT_TABLE_COUNT <= STORE_IMPORT_TABLES_MAX,
               "raise STORE_IMPORT_TABLES_MAX");

/* meta's schema version is the database's own (each engine keeps its
 * version its way): never copied, and not a sign of data. */
#define STORE_IMPORT_META_FILTER " WHERE key != 'schema_version'"

size_t
store_import_table_count(void)
{
	return STORE_IMPORT_TABLE_COUNT;
}

const store_import_table_t *
store_import_table(size_t i)
{
	return i < STORE_IMPORT_TABLE_COUNT ? &store_import_tables[i] : NULL;
}

/* One table's columns, parsed from the list. */
typedef struct {
	char names[1024]; /* "a, b, c" as SQL */
	char types[64];   /* one letter per column */
	int count;
} store_import_cols_t;

static void
store_import_parse(const store_import_table_t *t, store_import_cols_t *c)
{
	memset(c, 0, sizeof(*c));
	size_t used = 0;
	const char *p = t->columns;
	while (*p != '\0' && c->count < (int)sizeof(c->types) - 1) {
		size_t name_len = strcspn(p, " ");
		const char *type = p + name_len + 1;
		/* Quoted: key, trigger and position are words of SQL. */
		used += (size_t)snprintf(c->names + used, sizeof(c->names) - used, "%s\"%.*s\"",
		                         c->count > 0 ? ", " : "", (int)name_len, p);
		c->types[c->count++] = *type;
		p = type + 1;
		p += strspn(p, ", ");
	}
}

static const char *
store_import_filter(const store_import_table_t *t)
{
	return strcmp(t->name, "meta") == 0 ? STORE_IMPORT_META_FILTER : "";
}

/* The table's row count, or -1 (db_errmsg says why). */
static int64_t
store_import_count(db_t *db, const store_import_table_t *t)
{
	char sql[160];
	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM %s%s", t->name, store_import_filter(t));
	db_stmt_t *st = db_prepare(db, sql);
	if (st == NULL)
		return -1;
	int64_t n = db_step(st) == DB_ROW ? db_column_int64(st, 0) : -1;
	db_finalize(st);
	return n;
}

int
store_import_check_empty(store_t *dst, char **why)
{
	for (size_t i = 0; i < STORE_IMPORT_TABLE_COUNT; i++) {
		const store_import_table_t *t = &store_import_tables[i];
		if (t->not_copied)
			continue;
		int64_t n = store_import_count(dst->db, t);
		if (n < 0) {
			*why = xasprintf("cannot count the rows of %s: %s", t->name,
			                 db_errmsg(dst->db));
			return -1;
		}
		if (n > 0) {
			*why =
			    xasprintf("the database is not empty: its table %s holds %lld row%s"
			              " (a coordinator has run on it, or it was imported into"
			              " already). An import only fills an empty database, so that"
			              " no run id means two runs; create a new database (CREATE"
			              " DATABASE name OWNER role) and give its URL",
			              t->name, (long long)n, n == 1 ? "" : "s");
			return 1;
		}
	}
	return 0;
}

/* INSERT INTO t (cols) VALUES (?, ...), ... for rows rows (caller frees). */
static char *
store_import_insert_sql(const store_import_table_t *t, const store_import_cols_t *c, int rows)
{
	size_t one = (size_t)c->count * 3 + 4;
	size_t len = strlen(t->name) + strlen(c->names) + 64 + one * (size_t)rows;
	char *sql = xmalloc(len); /* owned by the caller */
	size_t used = (size_t)snprintf(sql, len, "INSERT INTO %s (%s) VALUES ", t->name, c->names);
	for (int r = 0; r < rows; r++) {
		used += (size_t)snprintf(sql + used, len - used, "%s(", r > 0 ? ", " : "");
		for (int k = 0; k < c->count; k++)
			used += (size_t)snprintf(sql + used, len - used, "%s?", k > 0 ? ", " : "");
		used += (size_t)snprintf(sql + used, len - used, ")");
	}
	return sql;
}

/* Binds the source row's columns at parameters base+1.. of to. */
static void
store_import_bind_row(db_stmt_t *to, int base, db_stmt_t *from, const store_import_cols_t *c)
{
	for (int k = 0; k < c->count; k++) {
		int i = base + k + 1;
		if (db_column_is_null(from, k)) {
			db_bind_null(to, i);
		} else if (c->types[k] == 'i') {
			db_bind_int64(to, i, db_column_int64(from, k));
		} else if (c->types[k] == 'b') {
			size_t len = 0;
			const void *data = db_column_blob(from, k, &len);
			db_bind_blob(to, i, data, len);
		} else {
			db_bind_text(to, i, db_column_text(from, k));
		}
	}
}

/* Copies one table; its row count in *rows. 0, or -1 with *error. */
static int
store_import_table_copy(db_t *dst, db_t *src, const store_import_table_t *t, int64_t *rows,
                        char **error)
{
	store_import_cols_t c;
	store_import_parse(t, &c);
	*rows = 0;
	int64_t total = store_import_count(src, t);
	if (total < 0) {
		*error =
		    xasprintf("cannot read %s from the SQLite store: %s", t->name, db_errmsg(src));
		return -1;
	}
	char *sel = xasprintf("SELECT %s FROM %s%s ORDER BY rowid", c.names, t->name,
	                      store_import_filter(t));                        /* owned */
	char *batch_sql = store_import_insert_sql(t, &c, STORE_IMPORT_BATCH); /* owned */
	char *one_sql = store_import_insert_sql(t, &c, 1);                    /* owned */
	db_stmt_t *from = db_prepare(src, sel);
	db_stmt_t *batch = total >= STORE_IMPORT_BATCH ? db_prepare(dst, batch_sql) : NULL;
	db_stmt_t *one = db_prepare(dst, one_sql);
	free(sel);
	free(batch_sql);
	free(one_sql);
	int rc = -1;
	if (from == NULL) {
		*error =
		    xasprintf("cannot read %s from the SQLite store: %s", t->name, db_errmsg(src));
		goto out;
	}
	if (one == NULL || (total >= STORE_IMPORT_BATCH && batch == NULL)) {
		*error = xasprintf("cannot write %s into PostgreSQL: %s", t->name, db_errmsg(dst));
		goto out;
	}
	/* The first total - total % BATCH rows in batches, the rest one by
	 * one (the count was read in the same read transaction). */
	int64_t in_batches = total - total % STORE_IMPORT_BATCH;
	int pending = 0;
	int step;
	while ((step = db_step(from)) == DB_ROW) {
		bool batched = *rows < in_batches;
		db_stmt_t *to = batched ? batch : one;
		store_import_bind_row(to, batched ? pending * c.count : 0, from, &c);
		(*rows)++;
		if (batched && ++pending < STORE_IMPORT_BATCH)
			continue;
		pending = 0;
		if (db_step(to) == DB_ERROR) {
			*error =
			    xasprintf("cannot write %s (row %lld of %lld) into PostgreSQL: %s",
			              t->name, (long long)*rows, (long long)total, db_errmsg(dst));
			goto out;
		}
		db_reset(to);
	}
	if (step == DB_ERROR) {
		*error =
		    xasprintf("cannot read %s from the SQLite store: %s", t->name, db_errmsg(src));
		goto out;
	}
	/* The next id the database gives is past every id copied. */
	if (strncmp(t->columns, "id i,", 5) == 0) {
		char sql[200];
		snprintf(
		    sql, sizeof(sql),
		    "SELECT setval(pg_get_serial_sequence('%s', 'id'), COALESCE(MAX(id), 0) + 1,"
		    " false) FROM %s",
		    t->name, t->name);
		if (db_exec(dst, sql) != 0) {
			*error =
			    xasprintf("cannot move %s's id sequence: %s", t->name, db_errmsg(dst));
			goto out;
		}
	}
	rc = 0;
out:
	db_finalize(from);
	db_finalize(batch);
	db_finalize(one);
	return rc;
}

int
store_import(store_t *dst, store_t *src, store_import_report_t *report, char **error)
{
	memset(report, 0, sizeof(*report));
	if (!store_is_postgresql(dst) || store_is_postgresql(src)) {
		*error = xstrdup("an import copies a SQLite store into a PostgreSQL one");
		return -1;
	}
	if (db_begin(src->db) != 0) {
		*error = xasprintf("cannot read the SQLite store: %s", db_errmsg(src->db));
		return -1;
	}
	int rc = -1;
	if (db_begin(dst->db) != 0 ||
	    db_exec(dst->db, "SELECT pg_advisory_xact_lock(" STORE_IMPORT_LOCK ")") != 0) {
		*error = xasprintf("cannot start the import: %s", db_errmsg(dst->db));
		goto out;
	}
	if (store_import_check_empty(dst, error) != 0)
		goto out;
	for (size_t i = 0; i < STORE_IMPORT_TABLE_COUNT; i++) {
		const store_import_table_t *t = &store_import_tables[i];
		if (t->not_copied)
			continue;
		if (store_import_table_copy(dst->db, src->db, t, &report->rows[i], error) != 0)
			goto out;
		log_debug("import: %s: %lld rows", t->name, (long long)report->rows[i]);
	}
	if (db_commit(dst->db) != 0) {
		*error = xasprintf("the import's commit failed (nothing was imported): %s",
		                   db_errmsg(dst->db));
		goto out;
	}
	rc = 0;
out:
	if (db_in_transaction(dst->db))
		db_rollback(dst->db);
	db_rollback(src->db);
	return rc;
}
