/* store_schema: the store's tables and the statements the store prepares
 * at open. Migrations run forward only, each in its own transaction with
 * its version bump; a file newer than this rota is refused. */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>

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
    /* 5 -> 6: incident_runs gets an id, the order runs were linked in,
     * which was its rowid (PostgreSQL has no rowid). */
    "CREATE TABLE incident_runs_6 ("
    "  id INTEGER PRIMARY KEY, incident_id TEXT NOT NULL REFERENCES incidents (id),"
    "  run_id TEXT NOT NULL, UNIQUE (incident_id, run_id));"
    "INSERT INTO incident_runs_6 (id, incident_id, run_id)"
    "  SELECT rowid, incident_id, run_id FROM incident_runs ORDER BY rowid;"
    "DROP TABLE incident_runs;"
    "ALTER TABLE incident_runs_6 RENAME TO incident_runs;"
    "CREATE INDEX incident_runs_run ON incident_runs (run_id);",
    /* 6 -> 7: leadership (store_lease.c, docs/ha.md). leader holds one
     * row (id 1): the lease's epoch, its holder, the holder's database
     * session and when the lease expires, in ms on the database's clock,
     * and where the holder is reached. coordinators: one row per
     * coordinator that said it is alive, by its operator endpoint. On
     * SQLite the one coordinator leads under meta's epoch and leaves both
     * as made. (IF NOT EXISTS: a test takes a store back to version 5 and
     * migrates it again.) */
    "CREATE TABLE IF NOT EXISTS leader ("
    "  id INTEGER PRIMARY KEY, epoch INTEGER NOT NULL, holder TEXT NOT NULL DEFAULT '',"
    "  backend_pid INTEGER NOT NULL DEFAULT 0, expires_ms INTEGER NOT NULL DEFAULT 0,"
    "  worker_endpoint TEXT NOT NULL DEFAULT '', api_endpoint TEXT NOT NULL DEFAULT '',"
    "  http_endpoint TEXT NOT NULL DEFAULT '');"
    "INSERT INTO leader (id, epoch) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;"
    "CREATE TABLE IF NOT EXISTS coordinators ("
    "  api_endpoint TEXT PRIMARY KEY, id TEXT NOT NULL, role TEXT NOT NULL,"
    "  worker_endpoint TEXT NOT NULL DEFAULT '', http_endpoint TEXT NOT NULL DEFAULT '',"
    "  epoch INTEGER NOT NULL DEFAULT 0, last_seen_ms INTEGER NOT NULL);"
    /* Alerts a follower took in (store_inbox.c): durable before its 202,
     * acted on by the leader, which deletes each in the same transaction. */
    "CREATE TABLE IF NOT EXISTS alert_inbox ("
    "  id INTEGER PRIMARY KEY, received_ms INTEGER NOT NULL, peer TEXT NOT NULL,"
    "  actor TEXT NOT NULL, role TEXT NOT NULL, body BLOB NOT NULL);",
    /* 7 -> 8: incidents that end cleanly (docs/incidents.md). A note
     * (rota note) is an incident_events row of kind 'note' with its
     * author and note_kind (action, finding, cause, prevention), or a
     * run_notes row for a run. approved_by/approved_ms: who decided a
     * manual step and when. */
    "ALTER TABLE incident_events ADD COLUMN author TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE incident_events ADD COLUMN note_kind TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE step_runs ADD COLUMN approved_by TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE step_runs ADD COLUMN approved_ms INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE run_notes ("
    "  id INTEGER PRIMARY KEY, run_id TEXT NOT NULL, at_ms INTEGER NOT NULL,"
    "  note_kind TEXT NOT NULL, author TEXT NOT NULL, text TEXT NOT NULL);"
    "CREATE INDEX run_notes_run ON run_notes (run_id, id);",
    /* 8 -> 9: the event stream (store_events.c, coordinator/events.h). One
     * row per committed change; its id is the followers' cursor, so it
     * survives a restart (AUTOINCREMENT: never reused, even after rows are
     * pruned). kind is the Event body's field number: 10 output (ref: the
     * outputs row), 11 step (ref: the step_runs row), 12 run, 14 worker
     * (subject: its id), 15 incident (subject: its id). status: the new
     * status (a worker's: 1 connected, 2 stopping, 3 lost, 4 stopped; an incident's:
     * 1 triggered, 2 acknowledged, 3 resolved). The output and run status already stored become
     * events, so older runs can be followed too. */
    "CREATE TABLE IF NOT EXISTS events ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT, at_ms INTEGER NOT NULL, kind INTEGER NOT NULL,"
    "  run_id TEXT, ref INTEGER NOT NULL DEFAULT 0, status INTEGER NOT NULL DEFAULT 0,"
    "  subject TEXT);"
    "CREATE INDEX IF NOT EXISTS events_run ON events (run_id, id);"
    /* Once (a test migrates a store again from an older version). */
    "INSERT INTO events (at_ms, kind, run_id, ref)"
    "  SELECT o.at_ms, 10, s.run_id, o.id FROM outputs o JOIN step_runs s ON s.id = o.step_run"
    "  WHERE NOT EXISTS (SELECT 1 FROM events) ORDER BY o.id;"
    "INSERT INTO events (at_ms, kind, run_id, status)"
    "  SELECT created_ms, 12, id, status FROM runs"
    "  WHERE NOT EXISTS (SELECT 1 FROM events WHERE kind = 12) ORDER BY created_ms, id;",
    /* 9 -> 10: the web console's sign-in (coordinator/webapi_session.c):
     * one-time login links (kind 'login') and sessions (kind 'session'),
     * each by the hash of its secret (the secret itself is never kept),
     * with the operator, role and key it stands for, its CSRF token, and
     * when it ends. Kept here so sessions survive a restart. */
    "CREATE TABLE IF NOT EXISTS web_sessions ("
    "  id TEXT PRIMARY KEY, kind TEXT NOT NULL, operator TEXT NOT NULL,"
    "  role INTEGER NOT NULL, key TEXT NOT NULL, csrf TEXT NOT NULL,"
    "  created_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS web_sessions_expires ON web_sessions (expires_ms);",
    /* 10 -> 11: retention and compact output (store_prune.c, store_codec.c).
     * outputs.codec says how data is stored (0 as sent, 1 zstd); rows
     * from before are 0. The indexes let the pruner walk each table
     * oldest first (runs in a total order, for its cursor) and find the
     * newest runs of a runbook without a sort. The file's switch to
     * auto_vacuum = INCREMENTAL is not here: it needs a VACUUM, which no
     * transaction may hold (store_open does it once). */
    "ALTER TABLE outputs ADD COLUMN codec INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX runs_created_id ON runs (created_ms, id);"
    "CREATE INDEX runs_runbook_keep ON runs (runbook, created_ms, id);"
    "CREATE INDEX outbox_created ON outbox (created_ms);",
    /* 11 -> 12: history and search (store_history.c, store_search.c;
     * docs/history.md). Indexes for `rota runs`' filters (runbook and
     * time have runs_runbook and runs_created already). output_text holds
     * each stored output chunk's text as it was stored (already redacted
     * by the worker), written in the same turn as the chunk, so search
     * never depends on the form outputs keep (compressed or not); it goes
     * with its step run (ON DELETE CASCADE). A chunk's text starts with
     * the line its stream's previous chunk left unfinished (carry bytes of
     * it), so a word cut between two chunks is found. output_fts is SQLite's FTS5
     * index over it (external content, kept in step by the triggers);
     * PostgreSQL has a GIN index on to_tsvector('simple', text) instead.
     * Output stored before this version is not indexed. (IF NOT EXISTS:
     * a test takes a store back to version 5 and migrates it again.) */
    "CREATE INDEX IF NOT EXISTS runs_status_created ON runs (status, created_ms);"
    "CREATE INDEX IF NOT EXISTS runs_trigger ON runs (trigger, created_ms);"
    "CREATE INDEX IF NOT EXISTS step_runs_host ON step_runs (host, run_id);"
    "CREATE TABLE IF NOT EXISTS output_text ("
    "  id INTEGER PRIMARY KEY,"
    "  step_run INTEGER NOT NULL REFERENCES step_runs (id) ON DELETE CASCADE,"
    "  stream INTEGER NOT NULL, at_ms INTEGER NOT NULL, carry INTEGER NOT NULL,"
    "  text TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS output_text_step ON output_text (step_run, stream, id);"
    "CREATE VIRTUAL TABLE IF NOT EXISTS output_fts USING fts5("
    "  text, content = 'output_text', content_rowid = 'id');"
    "CREATE TRIGGER IF NOT EXISTS output_text_insert AFTER INSERT ON output_text BEGIN"
    "  INSERT INTO output_fts (rowid, text) VALUES (new.id, new.text); END;"
    "CREATE TRIGGER IF NOT EXISTS output_text_delete AFTER DELETE ON output_text BEGIN"
    "  INSERT INTO output_fts (output_fts, rowid, text) VALUES ('delete', old.id, old.text);"
    "  END;",
    /* 12 -> 13: on-call overrides (store_oncall.c; rota oncall override):
     * who covers a rotation from when until when, who said so, and when.
     * Kept so an override outlives a restart; the configuration's own
     * overrides are read from the file instead. (IF NOT EXISTS: a test
     * takes a store back to version 5 and migrates it again.) */
    "CREATE TABLE IF NOT EXISTS oncall_overrides ("
    "  id INTEGER PRIMARY KEY, rotation TEXT NOT NULL, person TEXT NOT NULL,"
    "  from_ms INTEGER NOT NULL, until_ms INTEGER NOT NULL,"
    "  created_by TEXT NOT NULL, created_ms INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS oncall_overrides_rotation"
    " ON oncall_overrides (rotation, until_ms);",
    /* 13 -> 14: the numbers checks record (`record: NAME`, store_values.c),
     * per runbook, host and name, newest by id; the value as text (%.17g,
     * read back exactly on both engines). Kept when their run is pruned:
     * a baseline outlives the runs it came from. */
    "CREATE TABLE IF NOT EXISTS recorded_values ("
    "  id INTEGER PRIMARY KEY, runbook TEXT NOT NULL, host TEXT NOT NULL,"
    "  name TEXT NOT NULL, value TEXT NOT NULL, run_id TEXT NOT NULL,"
    "  step_id TEXT NOT NULL, at_ms INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS recorded_values_key ON recorded_values"
    "  (runbook, host, name, id);",
    /* 14 -> 15: maintenance windows started by hand (rota maintenance;
     * store_maint.c, docs/incidents.md). A window is over once ends_ms has
     * passed: ending it early moves ends_ms to that instant and says who
     * did (ended_by), so a window ends on time across a restart with no
     * timer to remember. target is a worker id, label=value or "all".
     * (IF NOT EXISTS: a test takes a store back to version 5 and migrates
     * it again.) */
    "CREATE TABLE IF NOT EXISTS maintenance_windows ("
    "  id INTEGER PRIMARY KEY, target TEXT NOT NULL, reason TEXT NOT NULL,"
    "  is_freeze INTEGER NOT NULL DEFAULT 0, starts_ms INTEGER NOT NULL,"
    "  ends_ms INTEGER NOT NULL, created_by TEXT NOT NULL,"
    "  ended_by TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX IF NOT EXISTS maintenance_windows_ends ON maintenance_windows (ends_ms);",
    /* 15 -> 16: the search index fed after the turn (store_search.c).
     * search_queue holds the ids of output chunks stored but not yet in
     * output_text; the turn that stores a chunk only adds its id, and the
     * indexer's slices index and remove them. Output stored before 11 ->
     * 12 (no output_text row for its step run) is queued here, so the
     * same slices index it. The insert trigger on output_text stays: it
     * now fires in the indexer's slice. (IF NOT EXISTS, DO NOTHING: a
     * test takes a store back to version 5 and migrates it again.) */
    "CREATE TABLE IF NOT EXISTS search_queue (output_id INTEGER PRIMARY KEY);"
    "INSERT INTO search_queue (output_id) SELECT o.id FROM outputs o"
    "  WHERE NOT EXISTS (SELECT 1 FROM output_text t WHERE t.step_run = o.step_run)"
    "  ORDER BY o.id ON CONFLICT (output_id) DO NOTHING;",
    /* 16 -> 17: occurrences of the configuration's recurring maintenance
     * windows ended early (rota maintenance end MW-NAME; store_maint.c).
     * One row per occurrence, named by the window and the instant it
     * started: that occurrence is over at ended_ms, the next one (another
     * starts_ms) begins on time, and a restart reads it back. */
    "CREATE TABLE IF NOT EXISTS maintenance_ended ("
    "  name TEXT NOT NULL, starts_ms INTEGER NOT NULL, ended_ms INTEGER NOT NULL,"
    "  ended_by TEXT NOT NULL, PRIMARY KEY (name, starts_ms));",
    /* 17 -> 18: calendar feed links of rotations (rota oncall feed;
     * store_oncall.c). Only the secret's hash is kept: a copy of the
     * store opens no feed. --revoke deletes a rotation's rows. */
    "CREATE TABLE IF NOT EXISTS oncall_feeds ("
    "  token_hash TEXT PRIMARY KEY, rotation TEXT NOT NULL,"
    "  created_by TEXT NOT NULL, created_ms INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS oncall_feeds_rotation ON oncall_feeds (rotation);",
    /* 18 -> 19: runs' indexes that lead another go (docs/benchmarks.md,
     * "Fewer indexes on runs"): runs_created is runs_created_id's first
     * column, runs_status runs_status_created's, runs_runbook
     * runs_runbook_keep's first two, so every query they served seeks the
     * longer one instead, and each run written or updated maintains three
     * index entries fewer. (IF EXISTS: a test takes a store back to
     * version 5 and migrates it again.) */
    "DROP INDEX IF EXISTS runs_created;"
    "DROP INDEX IF EXISTS runs_status;"
    "DROP INDEX IF EXISTS runs_runbook;",
};
#define STORE_MIGRATION_COUNT (sizeof(store_migrations) / sizeof(store_migrations[0]))

const store_sql_t store_sql[Q_COUNT] = {
    [Q_RUN_INSERT] = {.sql =
                          "INSERT INTO runs (id, runbook, runbook_yaml, params, status, created_ms,"
                          " trigger, reason, slot_ms, started_ms, ended_ms)"
                          " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"},
    [Q_STEP_INSERT] =
        {.sql = "INSERT INTO step_runs (run_id, step_id, host, attempt, position, status,"
                " spec) VALUES (?, ?, ?, ?, ?, ?, ?)"},
    [Q_STEP_OUTPUT_STATE] = {.sql = "SELECT output_bytes, output_truncated, output_seq, dispatched"
                                    " FROM step_runs WHERE id = ?"},
    [Q_STEP_OUTPUT_SET] = {.sql = "UPDATE step_runs SET output_bytes = ?, output_truncated = ?,"
                                  " output_seq = ? WHERE id = ?"},
    [Q_STEP_FIND] = {.sql = "SELECT id FROM step_runs WHERE run_id = ? AND step_id = ? AND host = ?"
                            " AND attempt = ?"},
    [Q_OUTPUT_INSERT] = {.sql =
                             "INSERT INTO outputs (step_run, seq, stream, data, at_ms, codec)"
                             " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (step_run, seq) DO NOTHING"},
    [Q_WORKER_UPSERT] =
        {.sql = "INSERT INTO workers (id, hostname, labels, version, state, last_seen_ms)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
                " hostname = excluded.hostname, labels = excluded.labels,"
                " version = excluded.version, state = excluded.state,"
                " last_seen_ms = excluded.last_seen_ms"},
    [Q_RUNS_LIST] = {.sql = "SELECT id FROM runs ORDER BY created_ms DESC, id DESC LIMIT ?"},
    [Q_RUN_GET] = {.sql = "SELECT id, runbook, status, created_ms, started_ms, ended_ms, trigger,"
                          " reason, slot_ms, hosts_ok, hosts_failed FROM runs WHERE id = ?"},
    /* A host is ok when every step succeeded, failed when any step ended
     * in anything but success or skip (0 or 1 each: CASE, never a boolean,
     * which PostgreSQL would give as t/f). */
    [Q_RUN_HOSTS] = {.sql = "SELECT host, MIN(CASE WHEN status = 4 THEN 1 ELSE 0 END),"
                            " MAX(CASE WHEN status IN (5, 6, 7, 9, 10) THEN 1 ELSE 0 END)"
                            " FROM step_runs WHERE run_id = ? GROUP BY host"},
    [Q_STEPS_OF_RUN] = {.sql = "SELECT id, host, step_id, attempt, status, exit_code, signal,"
                               " started_ms, ended_ms, detail, position, approved_by,"
                               " approved_ms FROM step_runs"
                               " WHERE run_id = ? ORDER BY host, position, attempt"},
    [Q_STEP_TAIL] =
        {.sql = "SELECT data, codec FROM outputs WHERE step_run = ? ORDER BY id DESC LIMIT 32"},
    [Q_LOGS] = {.sql =
                    "SELECT o.id, s.host, s.step_id, s.attempt, o.stream, o.data, o.at_ms, o.codec"
                    " FROM outputs o JOIN step_runs s ON s.id = o.step_run"
                    " WHERE s.run_id = ? AND o.id > ? ORDER BY o.id LIMIT ?"},
    [Q_LOGS_HOST] =
        {.sql = "SELECT o.id, s.host, s.step_id, s.attempt, o.stream, o.data, o.at_ms, o.codec"
                " FROM outputs o JOIN step_runs s ON s.id = o.step_run"
                " WHERE s.run_id = ? AND s.host = ? AND o.id > ? ORDER BY o.id LIMIT ?"},
    [Q_WORKERS_LIST] = {.sql =
                            "SELECT id, hostname, labels, version, state, last_seen_ms FROM workers"
                            " ORDER BY id"},
    [Q_WORKER_DELETE] = {.sql = "DELETE FROM workers WHERE id = ?"},
    [Q_ACTIVE_STEPS] = {.sql = "SELECT s.id, s.run_id, s.step_id, s.host, s.attempt, s.position,"
                               " s.status, s.spec, s.started_ms, r.created_ms, r.started_ms"
                               " FROM step_runs s JOIN runs r ON r.id = s.run_id"
                               " WHERE r.status IN (1, 2) ORDER BY r.created_ms, s.run_id, s.host,"
                               " s.position, s.attempt"},
    [Q_RUN_RUNBOOK] = {.sql = "SELECT runbook FROM runs WHERE id = ?"},
    /* A run named by the start or the end of its id (PostgreSQL's substr
     * has no negative start: right()). */
    [Q_RUN_MATCH] = {.sql = "SELECT id FROM runs WHERE substr(id, 1, length(?1)) = ?1"
                            " OR substr(id, -length(?1)) = ?1 ORDER BY created_ms DESC LIMIT 6",
                     "SELECT id FROM runs WHERE left(id, length(CAST(?1 AS TEXT))) = ?1"
                     " OR right(id, length(CAST(?1 AS TEXT))) = ?1"
                     " ORDER BY created_ms DESC LIMIT 6"},
    [Q_RUN_LAST] = {.sql = "SELECT id FROM runs ORDER BY created_ms DESC, id DESC LIMIT 1"},
    [Q_RUN_HOST_LIST] = {.sql =
                             "SELECT DISTINCT host FROM step_runs WHERE run_id = ? ORDER BY host"},
    [Q_RUNBOOK_SAVE] = {.sql =
                            "INSERT INTO runbooks (name, path, hash, yaml, loaded_ms)"
                            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET"
                            " path = excluded.path, hash = excluded.hash, yaml = excluded.yaml,"
                            " loaded_ms = excluded.loaded_ms WHERE runbooks.hash != excluded.hash"
                            " OR runbooks.path != excluded.path"},
    [Q_RUNBOOK_BY_PATH] = {.sql =
                               "SELECT name, hash, yaml, loaded_ms FROM runbooks WHERE path = ?"},
    [Q_RUNBOOK_DELETE] = {.sql = "DELETE FROM runbooks WHERE name = ?"},
    /* A path serves one runbook: a name it served before is gone. */
    [Q_RUNBOOK_PATH_OTHERS] = {.sql = "DELETE FROM runbooks WHERE path = ? AND name != ?"},
    [Q_RUNBOOK_LIST] = {.sql = "SELECT name, path, hash FROM runbooks"},
    [Q_SCHEDULE_PUT] =
        {.sql = "INSERT INTO schedules (runbook, cron, timezone, next_ms, last_slot_ms,"
                " last_run_id) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (runbook) DO UPDATE"
                " SET cron = excluded.cron, timezone = excluded.timezone,"
                " next_ms = excluded.next_ms, last_slot_ms = excluded.last_slot_ms,"
                " last_run_id = excluded.last_run_id"},
    [Q_SCHEDULE_GET] = {.sql = "SELECT runbook, cron, timezone, next_ms, last_slot_ms, last_run_id"
                               " FROM schedules WHERE runbook = ?"},
    [Q_SCHEDULE_DELETE] = {.sql = "DELETE FROM schedules WHERE runbook = ?"},
    [Q_SCHEDULE_LIST] = {.sql = "SELECT runbook, cron, timezone, next_ms, last_slot_ms,"
                                " last_run_id FROM schedules"},
    [Q_RUN_YAML] = {.sql = "SELECT runbook_yaml, trigger, cancelled FROM runs WHERE id = ?"},
    [Q_RUN_CANCEL] = {.sql = "UPDATE runs SET cancelled = 1, reason = ? WHERE id = ?"},
};

int
store_schema_version(store_t *s)
{
	if (store_is_postgresql(s))
		return store_schema_version_pg(s);
	/* A PRAGMA's answer is a row like any query's. */
	db_stmt_t *st = db_prepare(s->db, "PRAGMA user_version");
	int v = -1;
	if (st == NULL)
		return -1;
	if (db_step(st) == DB_ROW)
		v = (int)db_column_int64(st, 0);
	db_finalize(st);
	return v;
}

int
store_migrate(store_t *s, char **error)
{
	int v = store_schema_version(s);
	if (v < 0) {
		*error = xasprintf("cannot read the schema version: %s", db_errmsg(s->db));
		return -1;
	}
	if ((size_t)v > STORE_MIGRATION_COUNT) {
		*error = xasprintf("the store has schema version %d, newer than this rota (%zu);"
		                   " upgrade rota-coordinator",
		                   v, STORE_MIGRATION_COUNT);
		return -1;
	}
	for (size_t i = (size_t)v; i < STORE_MIGRATION_COUNT; i++) {
		char pragma[64];
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %zu;", i + 1);
		/* Each migration and its version bump commit together. */
		if (db_begin(s->db) != 0 || db_exec(s->db, store_migrations[i]) != 0 ||
		    db_exec(s->db, pragma) != 0 || db_commit(s->db) != 0) {
			*error = xasprintf("migration %zu -> %zu failed: %s", i, i + 1,
			                   db_errmsg(s->db));
			db_rollback(s->db);
			return -1;
		}
		log_info("store: migrated schema to version %zu", i + 1);
	}
	return 0;
}
