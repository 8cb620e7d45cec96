/* rota-sqlite-ceiling: how many rows a second plain SQLite takes on this
 * disk, the ceiling of rota's store.
 *
 *   rota-sqlite-ceiling DIR SECONDS [ROWS_PER_TX]
 *
 * Inserts step_runs-shaped rows (the same columns, UNIQUE key and index as
 * the store's table) with one prepared statement, in transactions of
 * ROWS_PER_TX rows (default 1000, the coordinator's messages per turn),
 * into DIR/ceiling.db in WAL mode with synchronous = NORMAL, as the store
 * runs. Prints the rows committed per second. Nothing else: no protocol,
 * no decoding, no run state, so the gap to `throughput` is what rota
 * itself costs per result (a result is one UPDATE of such a row, plus the
 * run's row when the run ends). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <time.h>

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "rota-sqlite-ceiling: %s: %s\n", sql, err ? err : "?");
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: rota-sqlite-ceiling DIR SECONDS [ROWS_PER_TX]\n");
		return 2;
	}
	double seconds = atof(argv[2]);
	long per_tx = argc > 3 ? atol(argv[3]) : 1000;
	if (seconds <= 0 || per_tx <= 0)
		return 2;
	char path[4096];
	snprintf(path, sizeof(path), "%s/ceiling.db", argv[1]);
	remove(path);
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	if (sqlite3_open(path, &db) != SQLITE_OK) {
		fprintf(stderr, "rota-sqlite-ceiling: cannot open %s\n", path);
		return 1;
	}
	if (exec(db, "PRAGMA journal_mode = WAL") != 0 ||
	    exec(db, "PRAGMA synchronous = NORMAL") != 0 ||
	    exec(db, "CREATE TABLE step_runs ("
	             "  id INTEGER PRIMARY KEY, run_id TEXT NOT NULL,"
	             "  step_id TEXT NOT NULL, host TEXT NOT NULL, attempt INTEGER NOT NULL,"
	             "  position INTEGER NOT NULL, status INTEGER NOT NULL,"
	             "  exit_code INTEGER NOT NULL DEFAULT 0, signal INTEGER NOT NULL DEFAULT 0,"
	             "  started_ms INTEGER NOT NULL DEFAULT 0, ended_ms INTEGER NOT NULL DEFAULT 0,"
	             "  detail TEXT, spec BLOB,"
	             "  UNIQUE (run_id, step_id, host, attempt));"
	             "CREATE INDEX step_runs_run ON step_runs (run_id, host, position);") != 0 ||
	    sqlite3_prepare_v2(db,
	                       "INSERT INTO step_runs (run_id, step_id, host, attempt, position,"
	                       " status, started_ms, ended_ms, detail, spec)"
	                       " VALUES (?, 'nothing', ?, 1, 0, 4, ?, ?, '', ?)",
	                       -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "rota-sqlite-ceiling: %s\n", sqlite3_errmsg(db));
		sqlite3_close(db);
		return 1;
	}
	static const unsigned char spec[24] = {0x08, 0x90, 0x4e, 0x7a, 0x00};
	double start = now_s(), end = start + seconds;
	long rows = 0;
	char run[64], host[32];
	while (now_s() < end) {
		if (exec(db, "BEGIN IMMEDIATE") != 0)
			return 1;
		for (long i = 0; i < per_tx; i++, rows++) {
			snprintf(run, sizeof(run), "20261123-060000-%08lx", rows);
			snprintf(host, sizeof(host), "sim-%ld", rows % 1000 + 1);
			sqlite3_bind_text(st, 1, run, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(st, 2, host, -1, SQLITE_TRANSIENT);
			sqlite3_bind_int64(st, 3, (sqlite3_int64)rows);
			sqlite3_bind_int64(st, 4, (sqlite3_int64)rows + 1);
			sqlite3_bind_blob(st, 5, spec, sizeof(spec), SQLITE_STATIC);
			if (sqlite3_step(st) != SQLITE_DONE) {
				fprintf(stderr, "rota-sqlite-ceiling: %s\n", sqlite3_errmsg(db));
				return 1;
			}
			sqlite3_reset(st);
		}
		if (exec(db, "COMMIT") != 0)
			return 1;
	}
	printf("%.0f\n", (double)rows / (now_s() - start));
	sqlite3_finalize(st);
	sqlite3_close(db);
	remove(path);
	return 0;
}
