/* store: runs, step runs, output and workers in one SQLite file.
 *
 * Statements are prepared once and reused. Every writer opens the turn's
 * transaction lazily; the loop commits once per turn ("group commit"), so a
 * burst of results costs one fsync, not one each. */
#include "store.h"
#include "store_sql.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "xalloc.h"

/* Each migration takes the schema from version i to i + 1. Never edit one
 * that has shipped: add another. */
static const char *const store_migrations[] = {
    /* 0 -> 1 */
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE workers ("
    "  id TEXT PRIMARY KEY, hostname TEXT, labels TEXT, version TEXT,"
    "  state TEXT NOT NULL, last_seen_ms INTEGER NOT NULL);"
    "CREATE TABLE runs ("
    "  id TEXT PRIMARY KEY, runbook TEXT NOT NULL, runbook_yaml TEXT,"
    "  params TEXT, status INTEGER NOT NULL, created_ms INTEGER NOT NULL,"
    "  started_ms INTEGER NOT NULL DEFAULT 0, ended_ms INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX runs_created ON runs (created_ms);"
    "CREATE INDEX runs_status ON runs (status);"
    "CREATE TABLE step_runs ("
    "  id INTEGER PRIMARY KEY, run_id TEXT NOT NULL REFERENCES runs (id),"
    "  step_id TEXT NOT NULL, host TEXT NOT NULL, attempt INTEGER NOT NULL,"
    "  position INTEGER NOT NULL, status INTEGER NOT NULL,"
    "  exit_code INTEGER NOT NULL DEFAULT 0, signal INTEGER NOT NULL DEFAULT 0,"
    "  started_ms INTEGER NOT NULL DEFAULT 0, ended_ms INTEGER NOT NULL DEFAULT 0,"
    "  detail TEXT, spec BLOB,"
    "  output_bytes INTEGER NOT NULL DEFAULT 0,"
    /* output_truncated: 0 all kept; bit 1 cut at the cap; bit 2 some lost */
    "  output_truncated INTEGER NOT NULL DEFAULT 0,"
    "  UNIQUE (run_id, step_id, host, attempt));"
    "CREATE INDEX step_runs_run ON step_runs (run_id, host, position);"
    "CREATE TABLE outputs ("
    "  id INTEGER PRIMARY KEY, step_run INTEGER NOT NULL REFERENCES step_runs (id),"
    "  seq INTEGER NOT NULL, stream INTEGER NOT NULL, data BLOB NOT NULL,"
    "  at_ms INTEGER NOT NULL, UNIQUE (step_run, seq));",
    /* 1 -> 2: the runbook language and the scheduler. hosts_ok/failed are
     * the run's own verdict, written when it ends (a handled failure or a
     * skipped step is not a failed host). */
    "ALTER TABLE runs ADD COLUMN trigger TEXT NOT NULL DEFAULT 'manual';"
    "ALTER TABLE runs ADD COLUMN reason TEXT;"
    "ALTER TABLE runs ADD COLUMN slot_ms INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE runs ADD COLUMN hosts_ok INTEGER;"
    "ALTER TABLE runs ADD COLUMN hosts_failed INTEGER;"
    "ALTER TABLE runs ADD COLUMN cancelled INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX runs_runbook ON runs (runbook, created_ms);"
    "CREATE TABLE runbooks ("
    "  name TEXT PRIMARY KEY, path TEXT NOT NULL, hash TEXT NOT NULL,"
    "  yaml TEXT NOT NULL, loaded_ms INTEGER NOT NULL);"
    "CREATE INDEX runbooks_path ON runbooks (path);"
    "CREATE TABLE schedules ("
    "  runbook TEXT PRIMARY KEY, cron TEXT NOT NULL, timezone TEXT NOT NULL,"
    "  next_ms INTEGER NOT NULL, last_slot_ms INTEGER NOT NULL DEFAULT 0,"
    "  last_run_id TEXT);",
    /* 2 -> 3: output delivery. output_seq: every chunk of the step run up
     * to it is accounted for (stored in seq order, cut by the cap, or
     * recorded lost), what an OutputAck says. dispatched: the attempt was
     * sent to its worker, the only one that may report output for it.
     * Rows from before are judged by what they show. */
    "ALTER TABLE step_runs ADD COLUMN output_seq INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE step_runs ADD COLUMN dispatched INTEGER NOT NULL DEFAULT 0;"
    "UPDATE step_runs SET"
    "  output_seq = COALESCE((SELECT MAX(seq) FROM outputs WHERE step_run = step_runs.id), 0),"
    "  dispatched = status IN (2, 3, 4, 5, 6)"
    "    OR EXISTS (SELECT 1 FROM outputs WHERE step_run = step_runs.id);",
    /* 3 -> 4: incidents and escalation (docs/incidents.md). Times are wall
     * clock ms. incidents.next_ms is when the escalation timer next looks
     * at it (0: nothing pending); dedup finds the open incident a new
     * failure or alert belongs to. outbox holds every notification from
     * the transaction that caused it until a 2xx (delivered_ms) or the
     * give-up age (given_up_ms); what it sends is rendered from these
     * fields and the channel's config at send time, so no URL or key is
     * ever in the store. */
    "CREATE TABLE incidents ("
    "  id TEXT PRIMARY KEY, title TEXT NOT NULL, severity INTEGER NOT NULL,"
    "  status TEXT NOT NULL, source TEXT NOT NULL, runbook TEXT,"
    "  hosts TEXT NOT NULL DEFAULT '', policy TEXT NOT NULL,"
    "  tier INTEGER NOT NULL DEFAULT -1, next_ms INTEGER NOT NULL DEFAULT 0,"
    "  ack_due_ms INTEGER NOT NULL DEFAULT 0, created_ms INTEGER NOT NULL,"
    "  acked_ms INTEGER NOT NULL DEFAULT 0, acked_by TEXT,"
    "  resolved_ms INTEGER NOT NULL DEFAULT 0, note TEXT, dedup TEXT,"
    "  overdue INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX incidents_next ON incidents (next_ms) WHERE next_ms > 0;"
    "CREATE INDEX incidents_created ON incidents (created_ms);"
    "CREATE INDEX incidents_dedup ON incidents (dedup, status);"
    "CREATE TABLE incident_events ("
    "  id INTEGER PRIMARY KEY, incident_id TEXT NOT NULL REFERENCES incidents (id),"
    "  at_ms INTEGER NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL);"
    "CREATE INDEX incident_events_incident ON incident_events (incident_id, id);"
    "CREATE TABLE incident_runs ("
    "  incident_id TEXT NOT NULL REFERENCES incidents (id), run_id TEXT NOT NULL,"
    "  PRIMARY KEY (incident_id, run_id));"
    "CREATE INDEX incident_runs_run ON incident_runs (run_id);"
    "CREATE TABLE escalations ("
    "  incident_id TEXT NOT NULL REFERENCES incidents (id), tier INTEGER NOT NULL,"
    "  at_ms INTEGER NOT NULL, channels TEXT NOT NULL);"
    "CREATE INDEX escalations_incident ON escalations (incident_id, at_ms);"
    "CREATE TABLE alerts ("
    "  fingerprint TEXT PRIMARY KEY, incident_id TEXT REFERENCES incidents (id),"
    "  status TEXT NOT NULL, alertname TEXT, host TEXT, run_id TEXT,"
    "  starts_ms INTEGER NOT NULL DEFAULT 0, updated_ms INTEGER NOT NULL);"
    "CREATE INDEX alerts_incident ON alerts (incident_id);"
    "CREATE TABLE outbox ("
    "  id INTEGER PRIMARY KEY, incident_id TEXT, channel TEXT NOT NULL,"
    "  kind TEXT NOT NULL, severity INTEGER NOT NULL DEFAULT 0,"
    "  title TEXT NOT NULL DEFAULT '', text TEXT NOT NULL DEFAULT '',"
    "  hosts TEXT NOT NULL DEFAULT '', created_ms INTEGER NOT NULL,"
    "  attempts INTEGER NOT NULL DEFAULT 0, next_ms INTEGER NOT NULL DEFAULT 0,"
    "  delivered_ms INTEGER NOT NULL DEFAULT 0, given_up_ms INTEGER NOT NULL DEFAULT 0,"
    "  last_status INTEGER NOT NULL DEFAULT 0, last_error TEXT);"
    "CREATE INDEX outbox_due ON outbox (next_ms) WHERE delivered_ms = 0 AND given_up_ms = 0;"
    "CREATE INDEX outbox_incident ON outbox (incident_id, id);",
    /* 4 -> 5: the audit trail (coordinator/audit.h, docs/security.md):
     * every state-changing operator request with its outcome (ok, refused,
     * failed) and every authentication failure. count > 1: a row standing
     * for a rate-limited flood of failures from one address. key is the
     * key's fingerprint (its first Z85 characters), never the key. */
    "CREATE TABLE audit ("
    "  id INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, actor TEXT NOT NULL,"
    "  role TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL DEFAULT '',"
    "  outcome TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '',"
    "  peer TEXT NOT NULL DEFAULT '', key TEXT NOT NULL DEFAULT '',"
    "  count INTEGER NOT NULL DEFAULT 1);"
    "CREATE INDEX audit_at ON audit (at_ms);",
};
#define STORE_MIGRATION_COUNT (sizeof(store_migrations) / sizeof(store_migrations[0]))

enum {
	Q_RUN_INSERT,
	Q_RUN_UPDATE,
	Q_STEP_INSERT,
	Q_STEP_UPDATE,
	Q_STEP_OUTPUT_STATE,
	Q_STEP_OUTPUT_SET,
	Q_STEP_FIND,
	Q_OUTPUT_INSERT,
	Q_WORKER_UPSERT,
	Q_RUNS_LIST,
	Q_RUN_GET,
	Q_RUN_HOSTS,
	Q_STEPS_OF_RUN,
	Q_STEP_TAIL,
	Q_LOGS,
	Q_LOGS_HOST,
	Q_WORKERS_LIST,
	Q_WORKER_DELETE,
	Q_ACTIVE_STEPS,
	Q_RUN_RUNBOOK,
	Q_RUN_MATCH,
	Q_RUN_LAST,
	Q_RUN_HOST_LIST,
	Q_RUN_OUTCOME,
	Q_RUNBOOK_SAVE,
	Q_RUNBOOK_BY_PATH,
	Q_RUNBOOK_DELETE,
	Q_RUNBOOK_PATH_OTHERS,
	Q_SCHEDULE_PUT,
	Q_SCHEDULE_GET,
	Q_SCHEDULE_DELETE,
	Q_RUN_YAML,
	Q_RUN_CANCEL,
	Q_COUNT
};

static const char *const store_sql[Q_COUNT] = {
    [Q_RUN_INSERT] = "INSERT INTO runs (id, runbook, runbook_yaml, params, status, created_ms,"
                     " trigger, reason, slot_ms, started_ms, ended_ms)"
                     " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    [Q_RUN_UPDATE] = "UPDATE runs SET status = ?, started_ms = ?, ended_ms = ? WHERE id = ?",
    [Q_STEP_INSERT] = "INSERT INTO step_runs (run_id, step_id, host, attempt, position, status,"
                      " spec) VALUES (?, ?, ?, ?, ?, ?, ?)",
    /* Status 2 (dispatched) marks the row as sent to its worker for good. */
    [Q_STEP_UPDATE] = "UPDATE step_runs SET status = ?1, exit_code = ?2, signal = ?3,"
                      " started_ms = ?4, ended_ms = ?5, detail = ?6,"
                      " dispatched = dispatched OR ?1 = 2 WHERE id = ?7",
    [Q_STEP_OUTPUT_STATE] = "SELECT output_bytes, output_truncated, output_seq, dispatched"
                            " FROM step_runs WHERE id = ?",
    [Q_STEP_OUTPUT_SET] = "UPDATE step_runs SET output_bytes = ?, output_truncated = ?,"
                          " output_seq = ? WHERE id = ?",
    [Q_STEP_FIND] = "SELECT id FROM step_runs WHERE run_id = ? AND step_id = ? AND host = ?"
                    " AND attempt = ?",
    [Q_OUTPUT_INSERT] = "INSERT OR IGNORE INTO outputs (step_run, seq, stream, data, at_ms)"
                        " VALUES (?, ?, ?, ?, ?)",
    [Q_WORKER_UPSERT] = "INSERT INTO workers (id, hostname, labels, version, state, last_seen_ms)"
                        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
                        " hostname = excluded.hostname, labels = excluded.labels,"
                        " version = excluded.version, state = excluded.state,"
                        " last_seen_ms = excluded.last_seen_ms",
    [Q_RUNS_LIST] = "SELECT id FROM runs ORDER BY created_ms DESC, id DESC LIMIT ?",
    [Q_RUN_GET] = "SELECT id, runbook, status, created_ms, started_ms, ended_ms, trigger,"
                  " reason, slot_ms, hosts_ok, hosts_failed FROM runs WHERE id = ?",
    /* A host is ok when every step succeeded, failed when any step ended
     * in anything but success or skip. */
    [Q_RUN_HOSTS] = "SELECT host, SUM(status = 4) = COUNT(*),"
                    " SUM(status IN (5, 6, 7, 9, 10)) > 0 FROM step_runs"
                    " WHERE run_id = ? GROUP BY host",
    [Q_STEPS_OF_RUN] = "SELECT id, host, step_id, attempt, status, exit_code, signal,"
                       " started_ms, ended_ms, detail, position FROM step_runs"
                       " WHERE run_id = ? ORDER BY host, position, attempt",
    [Q_STEP_TAIL] = "SELECT data FROM outputs WHERE step_run = ? ORDER BY id DESC LIMIT 32",
    [Q_LOGS] = "SELECT o.id, s.host, s.step_id, s.attempt, o.stream, o.data, o.at_ms"
               " FROM outputs o JOIN step_runs s ON s.id = o.step_run"
               " WHERE s.run_id = ? AND o.id > ? ORDER BY o.id LIMIT ?",
    [Q_LOGS_HOST] = "SELECT o.id, s.host, s.step_id, s.attempt, o.stream, o.data, o.at_ms"
                    " FROM outputs o JOIN step_runs s ON s.id = o.step_run"
                    " WHERE s.run_id = ? AND s.host = ? AND o.id > ? ORDER BY o.id LIMIT ?",
    [Q_WORKERS_LIST] = "SELECT id, hostname, labels, version, state, last_seen_ms FROM workers"
                       " ORDER BY id",
    [Q_WORKER_DELETE] = "DELETE FROM workers WHERE id = ?",
    [Q_ACTIVE_STEPS] = "SELECT s.id, s.run_id, s.step_id, s.host, s.attempt, s.position,"
                       " s.status, s.spec, s.started_ms, r.created_ms, r.started_ms"
                       " FROM step_runs s JOIN runs r ON r.id = s.run_id"
                       " WHERE r.status IN (1, 2) ORDER BY r.created_ms, s.run_id, s.host,"
                       " s.position, s.attempt",
    [Q_RUN_RUNBOOK] = "SELECT runbook FROM runs WHERE id = ?",
    /* A run named by the start or the end of its id. */
    [Q_RUN_MATCH] = "SELECT id FROM runs WHERE substr(id, 1, length(?1)) = ?1"
                    " OR substr(id, -length(?1)) = ?1 ORDER BY created_ms DESC LIMIT 6",
    [Q_RUN_LAST] = "SELECT id FROM runs ORDER BY created_ms DESC, id DESC LIMIT 1",
    [Q_RUN_HOST_LIST] = "SELECT DISTINCT host FROM step_runs WHERE run_id = ? ORDER BY host",
    [Q_RUN_OUTCOME] = "UPDATE runs SET hosts_ok = ?, hosts_failed = ?,"
                      " reason = COALESCE(?, reason) WHERE id = ?",
    [Q_RUNBOOK_SAVE] = "INSERT INTO runbooks (name, path, hash, yaml, loaded_ms)"
                       " VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET"
                       " path = excluded.path, hash = excluded.hash, yaml = excluded.yaml,"
                       " loaded_ms = excluded.loaded_ms WHERE hash != excluded.hash"
                       " OR path != excluded.path",
    [Q_RUNBOOK_BY_PATH] = "SELECT name, hash, yaml, loaded_ms FROM runbooks WHERE path = ?",
    [Q_RUNBOOK_DELETE] = "DELETE FROM runbooks WHERE name = ?",
    /* A path serves one runbook: a name it served before is gone. */
    [Q_RUNBOOK_PATH_OTHERS] = "DELETE FROM runbooks WHERE path = ? AND name != ?",
    [Q_SCHEDULE_PUT] = "INSERT INTO schedules (runbook, cron, timezone, next_ms, last_slot_ms,"
                       " last_run_id) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (runbook) DO UPDATE"
                       " SET cron = excluded.cron, timezone = excluded.timezone,"
                       " next_ms = excluded.next_ms, last_slot_ms = excluded.last_slot_ms,"
                       " last_run_id = excluded.last_run_id",
    [Q_SCHEDULE_GET] = "SELECT cron, timezone, next_ms, last_slot_ms, last_run_id FROM schedules"
                       " WHERE runbook = ?",
    [Q_SCHEDULE_DELETE] = "DELETE FROM schedules WHERE runbook = ?",
    [Q_RUN_YAML] = "SELECT runbook_yaml, trigger, cancelled FROM runs WHERE id = ?",
    [Q_RUN_CANCEL] = "UPDATE runs SET cancelled = 1, reason = ? WHERE id = ?",
};

struct store {
	sqlite3 *db;              /* owned */
	sqlite3_stmt *q[Q_COUNT]; /* owned, prepared at open */
	/* Statements of the modules that keep their own SQL (store_sql.h),
	 * prepared on first use and found by their text's address. */
	struct {
		const char *sql;
		sqlite3_stmt *st; /* owned */
	} extra[STORE_EXTRA_MAX];
	size_t extra_count;
	bool in_tx;
	/* A write of this turn failed: the turn must not commit, so that no
	 * half-recorded change is acknowledged. */
	bool failed;
	/* SQLite's word for the turn's first failure ("database is locked"),
	 * for the answers withheld with it (store_last_error). */
	char why[256];
};

/* Keeps SQLite's message for the turn's first failure. */
static void
store_note_error(store_t *s)
{
	if (s->why[0] == '\0')
		snprintf(s->why, sizeof(s->why), "%s", sqlite3_errmsg(s->db));
}

static int
store_exec(store_t *s, const char *sql)
{
	char *err = NULL;
	if (sqlite3_exec(s->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		store_note_error(s);
		log_error("store: %s: %s", sql, err ? err : "?");
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

int
store_schema_version(store_t *s)
{
	sqlite3_stmt *st;
	int v = -1;
	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int
store_migrate(store_t *s, char **error)
{
	int v = store_schema_version(s);
	if (v < 0) {
		*error = xasprintf("cannot read the schema version: %s", sqlite3_errmsg(s->db));
		return -1;
	}
	if ((size_t)v > STORE_MIGRATION_COUNT) {
		*error = xasprintf("the store has schema version %d, newer than this rota (%zu);"
		                   " upgrade rota-coordinator",
		                   v, STORE_MIGRATION_COUNT);
		return -1;
	}
	for (size_t i = (size_t)v; i < STORE_MIGRATION_COUNT; i++) {
		char *err = NULL;
		char pragma[64];
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %zu;", i + 1);
		/* Each migration and its version bump commit together. */
		if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, &err) != SQLITE_OK ||
		    sqlite3_exec(s->db, store_migrations[i], NULL, NULL, &err) != SQLITE_OK ||
		    sqlite3_exec(s->db, pragma, NULL, NULL, &err) != SQLITE_OK ||
		    sqlite3_exec(s->db, "COMMIT", NULL, NULL, &err) != SQLITE_OK) {
			*error = xasprintf("migration %zu -> %zu failed: %s", i, i + 1,
			                   err ? err : sqlite3_errmsg(s->db));
			sqlite3_free(err);
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
		log_info("store: migrated schema to version %zu", i + 1);
	}
	return 0;
}

store_t *
store_open(const char *path, char **error)
{
	store_t *s = xcalloc(1, sizeof(*s));
	*error = NULL;
	/* NOMUTEX: one thread uses this connection, so SQLite's per-call
	 * mutexes only cost (4 % of the coordinator under load). */
	if (sqlite3_open_v2(path, &s->db,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	                    NULL) !=
	    SQLITE_OK) {
		*error = xasprintf("cannot open %s: %s", path,
		                   s->db ? sqlite3_errmsg(s->db) : "out of memory");
		store_destroy(&s);
		return NULL;
	}
	sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);
	if (store_exec(s, "PRAGMA journal_mode = WAL") != 0 ||
	    store_exec(s, "PRAGMA synchronous = NORMAL") != 0 ||
	    store_exec(s, "PRAGMA foreign_keys = ON") != 0) {
		*error = xasprintf("cannot configure %s: %s", path, sqlite3_errmsg(s->db));
		store_destroy(&s);
		return NULL;
	}
	if (store_migrate(s, error) != 0) {
		char *inner = *error;
		*error = xasprintf("%s: %s", path, inner);
		free(inner);
		store_destroy(&s);
		return NULL;
	}
	for (int i = 0; i < Q_COUNT; i++) {
		if (sqlite3_prepare_v3(s->db, store_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->q[i],
		                       NULL) != SQLITE_OK) {
			*error = xasprintf("cannot prepare a query: %s", sqlite3_errmsg(s->db));
			store_destroy(&s);
			return NULL;
		}
	}
	return s;
}

int
store_backup(store_t *s, const char *dest, char **error)
{
	/* Made here, new and 0600 like the store: never over another file. */
	int fd = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		*error = xasprintf("cannot create %s: %s", dest, strerror(errno));
		return -1;
	}
	close(fd);
	sqlite3 *out = NULL;
	int rc = sqlite3_open_v2(dest, &out, SQLITE_OPEN_READWRITE, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_backup *b = sqlite3_backup_init(out, "main", s->db, "main");
		if (b == NULL) {
			rc = sqlite3_errcode(out);
		} else {
			sqlite3_backup_step(b, -1);
			rc = sqlite3_backup_finish(b);
		}
	}
	if (rc != SQLITE_OK)
		*error = xasprintf("cannot copy the store to %s: %s", dest,
		                   out ? sqlite3_errmsg(out) : sqlite3_errstr(rc));
	sqlite3_close(out);
	return rc == SQLITE_OK ? 0 : -1;
}

void
store_destroy(store_t **sp)
{
	store_t *s = *sp;
	if (s == NULL)
		return;
	if (s->in_tx)
		store_commit(s);
	for (int i = 0; i < Q_COUNT; i++)
		sqlite3_finalize(s->q[i]);
	for (size_t i = 0; i < s->extra_count; i++)
		sqlite3_finalize(s->extra[i].st);
	if (s->db != NULL)
		sqlite3_close(s->db);
	free(s);
	*sp = NULL;
}

int
store_begin(store_t *s)
{
	if (s->failed)
		return -1;
	if (s->in_tx)
		return 0;
	if (store_exec(s, "BEGIN IMMEDIATE") != 0) {
		s->failed = true;
		return -1;
	}
	s->in_tx = true;
	return 0;
}

/* Rolls back what is open. SQLite may have rolled the transaction back
 * itself (a full disk, an I/O error: sqlite3_get_autocommit says so), and a
 * ROLLBACK then would only log "no transaction is active". */
static void
store_rollback(store_t *s)
{
	if (!sqlite3_get_autocommit(s->db))
		store_exec(s, "ROLLBACK");
}

int
store_commit(store_t *s)
{
	if (s->failed) {
		if (s->in_tx)
			store_rollback(s);
		s->in_tx = false;
		s->failed = false;
		return -1;
	}
	if (!s->in_tx) {
		s->why[0] = '\0';
		return 0;
	}
	s->in_tx = false;
	if (store_exec(s, "COMMIT") != 0) {
		store_rollback(s);
		return -1;
	}
	s->why[0] = '\0';
	return 0;
}

const char *
store_last_error(const store_t *s)
{
	return s->why[0] ? s->why : "unknown error";
}

bool
store_in_transaction(const store_t *s)
{
	return s->in_tx;
}

bool
store_failed(const store_t *s)
{
	return s->failed;
}

bool
store_run_exists(store_t *s, const char *run_id)
{
	char *name = store_run_runbook(s, run_id);
	free(name);
	return name != NULL;
}

/* Resets a statement for reuse; returns it bound to nothing. */
static sqlite3_stmt *
store_q(store_t *s, int which)
{
	sqlite3_stmt *st = s->q[which];
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

/* Runs a statement that returns no rows. */
static int
store_done(store_t *s, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		log_error("store: %s: %s", sqlite3_sql(st), sqlite3_errmsg(s->db));
		store_note_error(s);
		sqlite3_reset(st);
		if (s->in_tx)
			s->failed = true;
		return -1;
	}
	sqlite3_reset(st);
	return 0;
}

int
store_runs_by_status(store_t *s, uint64_t *counts, size_t n)
{
	static const char sql[] = "SELECT status, COUNT(*) FROM runs GROUP BY status";
	sqlite3_stmt *st = store_stmt(s, sql);
	if (st == NULL)
		return -1;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int status = sqlite3_column_int(st, 0);
		if (status >= 0 && (size_t)status < n)
			counts[status] = (uint64_t)sqlite3_column_int64(st, 1);
	}
	if (rc != SQLITE_DONE)
		log_warn("store: cannot count runs by status for /metrics: %s", sqlite3_errmsg(s->db));
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

sqlite3_stmt *
store_stmt(store_t *s, const char *sql)
{
	for (size_t i = 0; i < s->extra_count; i++)
		if (s->extra[i].sql == sql) {
			sqlite3_reset(s->extra[i].st);
			sqlite3_clear_bindings(s->extra[i].st);
			return s->extra[i].st;
		}
	sqlite3_stmt *st = NULL;
	if (s->extra_count == STORE_EXTRA_MAX ||
	    sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
		log_error("store: cannot prepare %s: %s", sql,
		          s->extra_count == STORE_EXTRA_MAX ? "too many statements"
		                                            : sqlite3_errmsg(s->db));
		sqlite3_finalize(st);
		/* The caller's write is lost: the turn must not commit without it. */
		if (s->in_tx)
			s->failed = true;
		return NULL;
	}
	s->extra[s->extra_count].sql = sql;
	s->extra[s->extra_count].st = st;
	s->extra_count++;
	return st;
}

int
store_stmt_done(store_t *s, sqlite3_stmt *st)
{
	return store_done(s, st);
}

void
store_stmt_failed(store_t *s, sqlite3_stmt *st)
{
	log_error("store: %s: %s", sqlite3_sql(st), sqlite3_errmsg(s->db));
	store_note_error(s);
	sqlite3_reset(st);
	if (s->in_tx)
		s->failed = true;
}

static void
bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
}

static char *
column_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return xstrdup(t ? (const char *)t : "");
}

int
store_epoch_next(store_t *s, uint64_t *epoch)
{
	sqlite3_stmt *st;
	if (store_begin(s) != 0)
		return -1;
	if (store_exec(s, "INSERT INTO meta (key, value) VALUES ('epoch', '1')"
	                  " ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1") !=
	    0) {
		store_commit(s);
		return -1;
	}
	if (sqlite3_prepare_v2(s->db, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'epoch'",
	                       -1, &st, NULL) != SQLITE_OK) {
		s->failed = true;
		store_commit(s);
		return -1;
	}
	int rc = sqlite3_step(st) == SQLITE_ROW ? 0 : -1;
	*epoch = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (store_commit(s) != 0)
		return -1;
	return rc;
}

int
store_run_insert(store_t *s, const store_run_t *run)
{
	if (store_begin(s) != 0)
		return -1;
	sqlite3_stmt *st = store_q(s, Q_RUN_INSERT);
	bind_text(st, 1, run->id);
	bind_text(st, 2, run->runbook);
	bind_text(st, 3, run->runbook_yaml);
	bind_text(st, 4, run->params_json);
	sqlite3_bind_int(st, 5, run->status);
	sqlite3_bind_int64(st, 6, run->created_ms);
	bind_text(st, 7, run->trigger ? run->trigger : "manual");
	bind_text(st, 8, run->reason);
	sqlite3_bind_int64(st, 9, run->slot_ms);
	sqlite3_bind_int64(st, 10, run->started_ms);
	sqlite3_bind_int64(st, 11, run->ended_ms);
	return store_done(s, st);
}

int
store_run_update(store_t *s, const char *run_id, int status, int64_t started_ms, int64_t ended_ms)
{
	if (store_begin(s) != 0)
		return -1;
	sqlite3_stmt *st = store_q(s, Q_RUN_UPDATE);
	sqlite3_bind_int(st, 1, status);
	sqlite3_bind_int64(st, 2, started_ms);
	sqlite3_bind_int64(st, 3, ended_ms);
	bind_text(st, 4, run_id);
	return store_done(s, st);
}

int
store_step_insert(store_t *s, const char *run_id, const char *step_id, const char *host,
                  uint32_t attempt, uint32_t position, int status, const uint8_t *spec,
                  size_t spec_len, int64_t *row)
{
	if (store_begin(s) != 0)
		return -1;
	sqlite3_stmt *st = store_q(s, Q_STEP_INSERT);
	bind_text(st, 1, run_id);
	bind_text(st, 2, step_id);
	bind_text(st, 3, host);
	sqlite3_bind_int64(st, 4, attempt);
	sqlite3_bind_int64(st, 5, position);
	sqlite3_bind_int(st, 6, status);
	sqlite3_bind_blob(st, 7, spec, (int)spec_len, SQLITE_TRANSIENT);
	if (store_done(s, st) != 0)
		return -1;
	*row = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int
store_step_update(store_t *s, int64_t row, const store_step_state_t *stt)
{
	if (store_begin(s) != 0)
		return -1;
	sqlite3_stmt *st = store_q(s, Q_STEP_UPDATE);
	sqlite3_bind_int(st, 1, stt->status);
	sqlite3_bind_int(st, 2, stt->exit_code);
	sqlite3_bind_int(st, 3, stt->signal);
	sqlite3_bind_int64(st, 4, stt->started_ms);
	sqlite3_bind_int64(st, 5, stt->ended_ms);
	bind_text(st, 6, stt->detail);
	sqlite3_bind_int64(st, 7, row);
	return store_done(s, st);
}

static int
store_output_insert(store_t *s, int64_t row, int64_t seq, int stream, const uint8_t *data,
                    size_t len, int64_t at_ms, bool *inserted)
{
	sqlite3_stmt *st = store_q(s, Q_OUTPUT_INSERT);
	sqlite3_bind_int64(st, 1, row);
	sqlite3_bind_int64(st, 2, seq);
	sqlite3_bind_int(st, 3, stream);
	sqlite3_bind_blob(st, 4, data, (int)len, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 5, at_ms);
	if (store_done(s, st) != 0)
		return -1;
	*inserted = sqlite3_changes(s->db) > 0;
	return 0;
}

int
store_step_find(store_t *s, const char *run_id, const char *step_id, const char *host,
                uint32_t attempt, int64_t *row)
{
	sqlite3_stmt *st = store_q(s, Q_STEP_FIND);
	bind_text(st, 1, run_id);
	bind_text(st, 2, step_id);
	bind_text(st, 3, host);
	sqlite3_bind_int64(st, 4, attempt);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*row = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return 1;
	log_error("store: cannot look up step run %s/%s/%s#%u: %s", run_id, step_id, host, attempt,
	          sqlite3_errmsg(s->db));
	return -1;
}

/* The output state of a step run; -1 when it cannot be read. */
typedef struct {
	uint64_t bytes;
	int truncated; /* STORE_OUTPUT_CUT | STORE_OUTPUT_LOST */
	uint64_t seq;
	bool dispatched;
} store_output_state_t;

static int
store_output_state(store_t *s, int64_t row, store_output_state_t *out)
{
	sqlite3_stmt *st = store_q(s, Q_STEP_OUTPUT_STATE);
	sqlite3_bind_int64(st, 1, row);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return -1;
	}
	out->bytes = (uint64_t)sqlite3_column_int64(st, 0);
	out->truncated = sqlite3_column_int(st, 1);
	out->seq = (uint64_t)sqlite3_column_int64(st, 2);
	out->dispatched = sqlite3_column_int(st, 3) != 0;
	sqlite3_reset(st);
	return 0;
}

int
store_output_seq(store_t *s, int64_t row, uint64_t *seq)
{
	store_output_state_t os;
	if (store_output_state(s, row, &os) != 0)
		return -1;
	*seq = os.seq;
	return 0;
}

int
store_output_append(store_t *s, int64_t row, uint64_t seq, int stream, const uint8_t *data,
                    size_t len, uint64_t cap, int64_t at_ms, store_output_t *outcome,
                    uint64_t *recorded)
{
	*outcome = STORE_OUTPUT_REFUSED;
	*recorded = 0;
	if (store_begin(s) != 0)
		return -1;
	store_output_state_t os;
	if (store_output_state(s, row, &os) != 0) {
		s->failed = true;
		return -1;
	}
	*recorded = os.seq;
	if (!os.dispatched || seq == 0)
		return 0;
	if (seq <= os.seq) {
		*outcome = STORE_OUTPUT_DUPLICATE;
		return 0;
	}
	if (seq > os.seq + 1) {
		/* An earlier chunk is missing: storing this one now would put
		 * the step's lines out of order. The worker sends it again
		 * after the missing one. */
		*outcome = STORE_OUTPUT_AHEAD;
		return 0;
	}

	size_t keep = (os.truncated & STORE_OUTPUT_CUT) ? 0 : len;
	if (!(os.truncated & STORE_OUTPUT_CUT) && os.bytes + len > cap)
		keep = os.bytes >= cap ? 0 : (size_t)(cap - os.bytes);
	bool inserted = false;
	if (keep > 0 &&
	    store_output_insert(s, row, (int64_t)seq, stream, data, keep, at_ms, &inserted) != 0)
		return -1;
	if (!(os.truncated & STORE_OUTPUT_CUT) && keep < len) {
		/* Seq 0 is never used by a worker, so the marker has a slot of its
		 * own and is stored once. */
		char note[128];
		int n = snprintf(
		    note, sizeof(note),
		    "[rota: output truncated: more than %llu bytes; the rest was dropped]\n",
		    (unsigned long long)cap);
		bool marker = false;
		if (store_output_insert(s, row, 0, ROTA__STREAM__STREAM_SYSTEM,
		                        (const uint8_t *)note, (size_t)n, at_ms, &marker) != 0)
			return -1;
		os.truncated |= STORE_OUTPUT_CUT;
	}
	/* A chunk past the cap is not kept, but it is accounted for: the
	 * step's seq moves on all the same. */
	sqlite3_stmt *st = store_q(s, Q_STEP_OUTPUT_SET);
	sqlite3_bind_int64(st, 1, (int64_t)(os.bytes + keep));
	sqlite3_bind_int(st, 2, os.truncated);
	sqlite3_bind_int64(st, 3, (int64_t)seq);
	sqlite3_bind_int64(st, 4, row);
	if (store_done(s, st) != 0)
		return -1;
	*recorded = seq;
	*outcome = STORE_OUTPUT_STORED;
	return 0;
}

/* n with a comma every three digits: 183,412. */
static void
store_group_digits(uint64_t n, char *buf, size_t len)
{
	char digits[32];
	int nd = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)n);
	size_t o = 0;
	for (int i = 0; i < nd && o + 2 < len; i++) {
		if (i > 0 && (nd - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
}

int
store_output_lost(store_t *s, int64_t row, uint64_t upto, uint64_t sent_bytes, const char *why,
                  int64_t at_ms)
{
	if (store_begin(s) != 0)
		return -1;
	store_output_state_t os;
	if (store_output_state(s, row, &os) != 0) {
		s->failed = true;
		return -1;
	}
	if (upto <= os.seq)
		return 0;
	/* The note takes the first missing seq: a chunk that still comes is
	 * then a duplicate, and the lines stay in order. */
	char note[400];
	int n;
	if (why && why[0] && sent_bytes > os.bytes) {
		char bytes[40];
		store_group_digits(sent_bytes - os.bytes, bytes, sizeof(bytes));
		n = snprintf(note, sizeof(note), "[rota: %s bytes of output lost: %.200s]\n", bytes,
		             why);
	} else if (why && why[0]) {
		n = snprintf(note, sizeof(note),
		             "[rota: output lost: chunks %llu to %llu of this step: %.200s]\n",
		             (unsigned long long)os.seq + 1, (unsigned long long)upto, why);
	} else {
		n = snprintf(
		    note, sizeof(note),
		    "[rota: output lost: chunks %llu to %llu of this step never arrived]\n",
		    (unsigned long long)os.seq + 1, (unsigned long long)upto);
	}
	if (n < 0 || (size_t)n >= sizeof(note))
		n = (int)sizeof(note) - 1;
	bool inserted = false;
	if (store_output_insert(s, row, (int64_t)os.seq + 1, ROTA__STREAM__STREAM_SYSTEM,
	                        (const uint8_t *)note, (size_t)n, at_ms, &inserted) != 0)
		return -1;
	/* Output is missing: the step's output is marked truncated. */
	sqlite3_stmt *st = store_q(s, Q_STEP_OUTPUT_SET);
	sqlite3_bind_int64(st, 1, (int64_t)os.bytes);
	sqlite3_bind_int(st, 2, os.truncated | STORE_OUTPUT_LOST);
	sqlite3_bind_int64(st, 3, (int64_t)upto);
	sqlite3_bind_int64(st, 4, row);
	return store_done(s, st);
}

int
store_worker_upsert(store_t *s, const char *id, const char *hostname, const char *labels,
                    const char *version, const char *state, int64_t last_seen_ms)
{
	if (store_begin(s) != 0)
		return -1;
	sqlite3_stmt *st = store_q(s, Q_WORKER_UPSERT);
	bind_text(st, 1, id);
	bind_text(st, 2, hostname);
	bind_text(st, 3, labels);
	bind_text(st, 4, version);
	bind_text(st, 5, state);
	sqlite3_bind_int64(st, 6, last_seen_ms);
	return store_done(s, st);
}

int
store_worker_delete(store_t *s, const char *id)
{
	if (store_begin(s) != 0)
		return -1;
	sqlite3_stmt *st = store_q(s, Q_WORKER_DELETE);
	bind_text(st, 1, id);
	return store_done(s, st);
}

/* ---- queries --------------------------------------------------------- */

int
store_run_summary(store_t *s, const char *run_id, Rota__RunSummary *out)
{
	sqlite3_stmt *st = store_q(s, Q_RUN_GET);
	bind_text(st, 1, run_id);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? 1 : -1;
	}
	rota__run_summary__init(out);
	out->id = column_dup(st, 0);
	out->runbook = column_dup(st, 1);
	out->status = (Rota__RunStatus)sqlite3_column_int(st, 2);
	out->created_ms = sqlite3_column_int64(st, 3);
	out->started_ms = sqlite3_column_int64(st, 4);
	out->ended_ms = sqlite3_column_int64(st, 5);
	out->trigger = column_dup(st, 6);
	out->reason = column_dup(st, 7);
	out->slot_ms = sqlite3_column_int64(st, 8);
	bool verdict = sqlite3_column_type(st, 9) != SQLITE_NULL;
	int64_t hosts_ok = sqlite3_column_int64(st, 9);
	int64_t hosts_failed = sqlite3_column_int64(st, 10);
	sqlite3_reset(st);

	st = store_q(s, Q_RUN_HOSTS);
	bind_text(st, 1, run_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		out->hosts_total++;
		if (sqlite3_column_int(st, 1))
			out->hosts_ok++;
		else if (sqlite3_column_int(st, 2))
			out->hosts_failed++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		free(out->id);
		free(out->runbook);
		free(out->trigger);
		free(out->reason);
		out->id = out->runbook = out->trigger = out->reason = NULL;
		return -1;
	}
	if (verdict) {
		/* The finished run's own verdict beats the step-status guess. */
		out->hosts_ok = (uint32_t)hosts_ok;
		out->hosts_failed = (uint32_t)hosts_failed;
	}
	return 0;
}

int
store_runs_list(store_t *s, uint32_t limit, Rota__ListRunsResponse *out)
{
	rota__list_runs_response__init(out);
	sqlite3_stmt *st = store_q(s, Q_RUNS_LIST);
	sqlite3_bind_int64(st, 1, limit);
	char **ids = NULL;
	size_t n = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ids = xrealloc(ids, (n + 1) * sizeof(*ids));
		ids[n++] = column_dup(st, 0);
	}
	sqlite3_reset(st);
	out->runs = xcalloc(n, sizeof(*out->runs));
	for (size_t i = 0; i < n; i++) {
		Rota__RunSummary *r = xmalloc(sizeof(*r));
		if (rc == SQLITE_DONE && store_run_summary(s, ids[i], r) == 0)
			out->runs[out->n_runs++] = r;
		else
			free(r);
		free(ids[i]);
	}
	free(ids);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* The last `lines` lines of a step's output, from its newest chunks, at
 * most max bytes of them. Returns whether it cut anything. */
static bool
store_step_tail(store_t *s, int64_t row, uint32_t lines, size_t max, ProtobufCBinaryData *out)
{
	sqlite3_stmt *st = store_q(s, Q_STEP_TAIL);
	sqlite3_bind_int64(st, 1, row);
	/* Chunks come newest first; collect them, then join oldest first. */
	uint8_t *buf = NULL;
	size_t len = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const void *d = sqlite3_column_blob(st, 0);
		size_t n = (size_t)sqlite3_column_bytes(st, 0);
		uint8_t *joined = xmalloc(n + len);
		if (n)
			memcpy(joined, d, n);
		if (len)
			memcpy(joined + n, buf, len);
		free(buf);
		buf = joined;
		len += n;
		size_t newlines = 0;
		for (size_t i = 0; i < len; i++)
			newlines += buf[i] == '\n';
		if (newlines > lines || len > max)
			break;
	}
	sqlite3_reset(st);
	/* Keep from the start of the lines-th line from the end. */
	size_t start = len;
	uint32_t seen = 0;
	size_t end = len;
	if (end > 0 && buf[end - 1] == '\n')
		end--;
	start = end;
	while (start > 0) {
		if (buf[start - 1] == '\n' && ++seen == lines)
			break;
		start--;
	}
	bool cut = false;
	if (len - start > max) {
		/* From a line's start when one begins in the last max bytes. */
		size_t from = len - max;
		const uint8_t *nl = memchr(buf + from, '\n', len - from);
		start = nl != NULL && nl + 1 < buf + len ? (size_t)(nl + 1 - buf) : from;
		cut = true;
	}
	out->len = len - start;
	out->data = xmalloc(out->len ? out->len : 1);
	if (out->len)
		memcpy(out->data, buf + start, out->len);
	free(buf);
	return cut;
}

int
store_run_show(store_t *s, const char *run_id, uint32_t tail_lines, Rota__ShowRunResponse *out)
{
	rota__show_run_response__init(out);
	Rota__RunSummary *sum = xmalloc(sizeof(*sum));
	int rc = store_run_summary(s, run_id, sum);
	if (rc != 0) {
		free(sum);
		return rc;
	}
	out->run = sum;

	typedef struct {
		Rota__StepRunInfo *info;
		int64_t row;
	} row_t;
	row_t *rows = NULL;
	size_t n = 0;
	sqlite3_stmt *st = store_q(s, Q_STEPS_OF_RUN);
	bind_text(st, 1, run_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		Rota__StepRunInfo *i = xmalloc(sizeof(*i));
		rota__step_run_info__init(i);
		rows = xrealloc(rows, (n + 1) * sizeof(*rows));
		rows[n].row = sqlite3_column_int64(st, 0);
		i->host = column_dup(st, 1);
		i->step_id = column_dup(st, 2);
		i->attempt = (uint32_t)sqlite3_column_int64(st, 3);
		i->status = (Rota__StepStatus)sqlite3_column_int(st, 4);
		i->exit_code = sqlite3_column_int(st, 5);
		i->signal = sqlite3_column_int(st, 6);
		i->started_ms = sqlite3_column_int64(st, 7);
		i->ended_ms = sqlite3_column_int64(st, 8);
		i->detail = column_dup(st, 9);
		i->position = (uint32_t)sqlite3_column_int64(st, 10);
		rows[n++].info = i;
	}
	sqlite3_reset(st);
	out->steps = xcalloc(n, sizeof(*out->steps));
	out->n_steps = n;
	size_t budget = STORE_SHOW_TAILS_MAX_BYTES;
	for (size_t k = 0; k < n; k++) {
		if (tail_lines > 0) {
			/* Once the answer's previews are spent, max is 0: a step
			 * with output then has an empty preview marked cut. */
			size_t max = budget < STORE_TAIL_MAX_BYTES ? budget : STORE_TAIL_MAX_BYTES;
			rows[k].info->tail_cut =
			    store_step_tail(s, rows[k].row, tail_lines, max, &rows[k].info->tail);
			budget -= rows[k].info->tail.len;
		}
		out->steps[k] = rows[k].info;
	}
	free(rows);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_logs(store_t *s, const char *run_id, const char *host, uint64_t after, uint32_t limit,
           Rota__LogsResponse *out)
{
	rota__logs_response__init(out);
	sqlite3_stmt *st;
	if (host != NULL && host[0] != '\0') {
		st = store_q(s, Q_LOGS_HOST);
		bind_text(st, 1, run_id);
		bind_text(st, 2, host);
		sqlite3_bind_int64(st, 3, (int64_t)after);
		sqlite3_bind_int64(st, 4, limit);
	} else {
		st = store_q(s, Q_LOGS);
		bind_text(st, 1, run_id);
		sqlite3_bind_int64(st, 2, (int64_t)after);
		sqlite3_bind_int64(st, 3, limit);
	}
	out->next = after;
	out->chunks = xcalloc(limit, sizeof(*out->chunks));
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && out->n_chunks < limit) {
		Rota__OutputChunk *c = xmalloc(sizeof(*c));
		rota__output_chunk__init(c);
		c->id = (uint64_t)sqlite3_column_int64(st, 0);
		c->host = column_dup(st, 1);
		c->step_id = column_dup(st, 2);
		c->attempt = (uint32_t)sqlite3_column_int64(st, 3);
		c->stream = (Rota__Stream)sqlite3_column_int(st, 4);
		c->data.len = (size_t)sqlite3_column_bytes(st, 5);
		c->data.data = xmalloc(c->data.len ? c->data.len : 1);
		if (c->data.len)
			memcpy(c->data.data, sqlite3_column_blob(st, 5), c->data.len);
		c->at_ms = sqlite3_column_int64(st, 6);
		out->chunks[out->n_chunks++] = c;
		out->next = c->id;
	}
	sqlite3_reset(st);
	return (rc == SQLITE_DONE || rc == SQLITE_ROW) ? 0 : -1;
}

int
store_workers_list(store_t *s, Rota__ListWorkersResponse *out)
{
	rota__list_workers_response__init(out);
	sqlite3_stmt *st = store_q(s, Q_WORKERS_LIST);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		Rota__WorkerInfo *w = xmalloc(sizeof(*w));
		rota__worker_info__init(w);
		w->id = column_dup(st, 0);
		w->hostname = column_dup(st, 1);
		/* Labels are stored as "k=v,k=v"; the registry fills them in
		 * structured form for connected workers. */
		char *labels = column_dup(st, 2);
		size_t cap = 1;
		for (char *p = labels; *p; p++)
			cap += *p == ',';
		w->labels = xcalloc(cap, sizeof(*w->labels));
		char *save = NULL;
		for (char *tok = strtok_r(labels, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save)) {
			char *eq = strchr(tok, '=');
			if (eq == NULL)
				continue;
			Rota__Label *l = xmalloc(sizeof(*l));
			rota__label__init(l);
			l->key = xstrndup(tok, (size_t)(eq - tok));
			l->value = xstrdup(eq + 1);
			w->labels[w->n_labels++] = l;
		}
		free(labels);
		w->version = column_dup(st, 3);
		w->state = column_dup(st, 4);
		w->last_seen_ms = sqlite3_column_int64(st, 5);
		out->workers = xrealloc(out->workers, (out->n_workers + 1) * sizeof(*out->workers));
		out->workers[out->n_workers++] = w;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_active_steps(store_t *s, store_step_row_t **rows, size_t *count)
{
	*rows = NULL;
	*count = 0;
	sqlite3_stmt *st = store_q(s, Q_ACTIVE_STEPS);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*rows = xrealloc(*rows, (*count + 1) * sizeof(**rows));
		store_step_row_t *r = &(*rows)[(*count)++];
		r->row = sqlite3_column_int64(st, 0);
		r->run_id = column_dup(st, 1);
		r->step_id = column_dup(st, 2);
		r->host = column_dup(st, 3);
		r->attempt = (uint32_t)sqlite3_column_int64(st, 4);
		r->position = (uint32_t)sqlite3_column_int64(st, 5);
		r->status = sqlite3_column_int(st, 6);
		r->spec_len = (size_t)sqlite3_column_bytes(st, 7);
		r->spec = xmalloc(r->spec_len ? r->spec_len : 1);
		if (r->spec_len)
			memcpy(r->spec, sqlite3_column_blob(st, 7), r->spec_len);
		r->started_ms = sqlite3_column_int64(st, 8);
		r->run_created_ms = sqlite3_column_int64(st, 9);
		r->run_started_ms = sqlite3_column_int64(st, 10);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

void
store_step_rows_free(store_step_row_t *rows, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		free(rows[i].run_id);
		free(rows[i].step_id);
		free(rows[i].host);
		free(rows[i].spec);
	}
	free(rows);
}

char *
store_run_runbook(store_t *s, const char *run_id)
{
	sqlite3_stmt *st = store_q(s, Q_RUN_RUNBOOK);
	bind_text(st, 1, run_id);
	char *name = NULL;
	if (sqlite3_step(st) == SQLITE_ROW)
		name = column_dup(st, 0);
	sqlite3_reset(st);
	return name;
}

int
store_run_resolve(store_t *s, const char *text, char **id, char **error)
{
	*id = NULL;
	*error = NULL;
	if (text == NULL || text[0] == '\0') {
		*error = xstrdup("no run id given; `rota runs` lists the recent ones");
		return 1;
	}
	if (store_run_exists(s, text)) {
		*id = xstrdup(text);
		return 0;
	}
	sqlite3_stmt *st;
	if (strcmp(text, "last") == 0) {
		st = store_q(s, Q_RUN_LAST);
		if (sqlite3_step(st) == SQLITE_ROW)
			*id = column_dup(st, 0);
		sqlite3_reset(st);
		if (*id == NULL)
			*error = xstrdup("there are no runs yet");
		return *id ? 0 : 1;
	}
	st = store_q(s, Q_RUN_MATCH);
	bind_text(st, 1, text);
	char *found[6];
	size_t n = 0;
	while (n < 6 && sqlite3_step(st) == SQLITE_ROW)
		found[n++] = column_dup(st, 0);
	sqlite3_reset(st);
	if (n == 1) {
		*id = found[0];
		return 0;
	}
	if (n == 0) {
		*error = xasprintf("no run '%s'; `rota runs` lists the recent ones", text);
	} else {
		*error = xasprintf("'%s' matches %s%zu runs (%s, %s%s); give more of the id", text,
		                   n == 6 ? "more than " : "", n == 6 ? (size_t)5 : n, found[0],
		                   found[1], n > 2 ? ", ..." : "");
	}
	for (size_t i = 0; i < n; i++)
		free(found[i]);
	return 1;
}

char *
store_run_hosts(store_t *s, const char *run_id, const char *host, bool *has_host)
{
	sqlite3_stmt *st = store_q(s, Q_RUN_HOST_LIST);
	bind_text(st, 1, run_id);
	char *list = xstrdup("");
	*has_host = false;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *h = (const char *)sqlite3_column_text(st, 0);
		if (h == NULL)
			continue;
		if (host && strcmp(h, host) == 0)
			*has_host = true;
		char *grown = xasprintf("%s%s%s", list, list[0] ? ", " : "", h);
		free(list);
		list = grown;
	}
	sqlite3_reset(st);
	return list;
}

int
store_run_outcome(store_t *s, const char *run_id, uint32_t hosts_ok, uint32_t hosts_failed,
                  const char *reason)
{
	if (store_begin(s) != 0)
		return -1;
	sqlite3_stmt *st = store_q(s, Q_RUN_OUTCOME);
	sqlite3_bind_int64(st, 1, hosts_ok);
	sqlite3_bind_int64(st, 2, hosts_failed);
	bind_text(st, 3, reason);
	bind_text(st, 4, run_id);
	return store_done(s, st);
}

int
store_run_yaml(store_t *s, const char *run_id, char **yaml, char **trigger, bool *cancelled)
{
	sqlite3_stmt *st = store_q(s, Q_RUN_YAML);
	bind_text(st, 1, run_id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*yaml = column_dup(st, 0);
		*trigger = column_dup(st, 1);
		*cancelled = sqlite3_column_int(st, 2) != 0;
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

int
store_runbook_save(store_t *s, const char *name, const char *path, const char *hash,
                   const char *yaml, int64_t loaded_ms)
{
	if (store_begin(s) != 0)
		return -1;
	sqlite3_stmt *st = store_q(s, Q_RUNBOOK_SAVE);
	bind_text(st, 1, name);
	bind_text(st, 2, path);
	bind_text(st, 3, hash);
	bind_text(st, 4, yaml);
	sqlite3_bind_int64(st, 5, loaded_ms);
	if (store_done(s, st) != 0)
		return -1;
	st = store_q(s, Q_RUNBOOK_PATH_OTHERS);
	bind_text(st, 1, path);
	bind_text(st, 2, name);
	return store_done(s, st);
}

int
store_runbook_by_path(store_t *s, const char *path, char **name, char **hash, char **yaml,
                      int64_t *loaded_ms)
{
	sqlite3_stmt *st = store_q(s, Q_RUNBOOK_BY_PATH);
	bind_text(st, 1, path);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*name = column_dup(st, 0);
		*hash = column_dup(st, 1);
		*yaml = column_dup(st, 2);
		*loaded_ms = sqlite3_column_int64(st, 3);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

int
store_runbook_delete(store_t *s, const char *name)
{
	if (store_begin(s) != 0)
		return -1;
	sqlite3_stmt *st = store_q(s, Q_RUNBOOK_DELETE);
	bind_text(st, 1, name);
	return store_done(s, st);
}

int
store_schedule_put(store_t *s, const store_schedule_t *sc)
{
	if (store_begin(s) != 0)
		return -1;
	sqlite3_stmt *st = store_q(s, Q_SCHEDULE_PUT);
	bind_text(st, 1, sc->runbook);
	bind_text(st, 2, sc->cron);
	bind_text(st, 3, sc->timezone);
	sqlite3_bind_int64(st, 4, sc->next_ms);
	sqlite3_bind_int64(st, 5, sc->last_slot_ms);
	bind_text(st, 6, sc->last_run_id);
	return store_done(s, st);
}

int
store_schedule_get(store_t *s, const char *runbook, store_schedule_t *out)
{
	memset(out, 0, sizeof(*out));
	sqlite3_stmt *st = store_q(s, Q_SCHEDULE_GET);
	bind_text(st, 1, runbook);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->runbook = xstrdup(runbook);
		out->cron = column_dup(st, 0);
		out->timezone = column_dup(st, 1);
		out->next_ms = sqlite3_column_int64(st, 2);
		out->last_slot_ms = sqlite3_column_int64(st, 3);
		out->last_run_id =
		    sqlite3_column_type(st, 4) == SQLITE_NULL ? NULL : column_dup(st, 4);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

void
store_schedule_clear(store_schedule_t *sc)
{
	free(sc->runbook);
	free(sc->cron);
	free(sc->timezone);
	free(sc->last_run_id);
	memset(sc, 0, sizeof(*sc));
}

int
store_schedule_delete(store_t *s, const char *runbook)
{
	if (store_begin(s) != 0)
		return -1;
	sqlite3_stmt *st = store_q(s, Q_SCHEDULE_DELETE);
	bind_text(st, 1, runbook);
	return store_done(s, st);
}

void
store_run_summary_clear(Rota__RunSummary *sum)
{
	free(sum->id);
	free(sum->runbook);
	free(sum->trigger);
	free(sum->reason);
	sum->id = sum->runbook = sum->trigger = sum->reason = NULL;
}

int
store_run_cancel(store_t *s, const char *run_id, const char *reason)
{
	if (store_begin(s) != 0)
		return -1;
	sqlite3_stmt *st = store_q(s, Q_RUN_CANCEL);
	bind_text(st, 1, reason);
	bind_text(st, 2, run_id);
	return store_done(s, st);
}
