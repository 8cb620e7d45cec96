/* fixture_store: a temporary store for unit tests, so no test writes its
 * own mkdtemp, store_open and rm -rf.
 *
 * A test keeps the directory, the file name and the store in its own
 * fixture and hands their buffers in; fixture_store_remove undoes all of
 * it. Directories are /tmp/rota-<name>.XXXXXX; the store's file is
 * <dir>/rota.db, or, in a pg.unit.* variant (fixture_pg.h), path is the
 * URL of a fresh PostgreSQL database.
 *
 * Must never: remove a directory it did not make. */
#ifndef ROTA_FIXTURE_STORE_H
#define ROTA_FIXTURE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "store/db.h"
#include "store/store.h"

/* Makes the temporary directory into dir and the store's file name into
 * path (may be NULL); opens nothing. 0, or -1 (said on stderr). */
int fixture_store_dir(const char *name, char *dir, size_t dir_len, char *path, size_t path_len);
/* fixture_store_dir, then opens (so migrates) the store: the store (the
 * caller's, for fixture_store_remove), or NULL (said on stderr). */
store_t *fixture_store_new(const char *name, char *dir, size_t dir_len, char *path,
                           size_t path_len);
/* Opens the store at path again (a restart): NULL (said on stderr) when it
 * cannot. */
store_t *fixture_store_open(const char *path);
/* Closes *sp (sp or *sp may be NULL; *sp is set to NULL) and removes dir with everything in
 * it. 0, or -1 when it could not be removed. */
int fixture_store_remove(store_t **sp, const char *dir);

/* The plain fixture of a test that needs only a store: cmocka's state is
 * one of these (fixture_store_setup's, freed by fixture_store_teardown). */
typedef struct {
	char dir[64];
	char path[128];
	store_t *store;
} fixture_store_t;

/* A fixture_store_t with a new store under /tmp/rota-<name>.XXXXXX, as
 * *state. 0, or -1 (said on stderr). */
int fixture_store_setup(void **state, const char *name);
/* fixture_store_setup named for the test program (test_events:
 * /tmp/rota-test_events.XXXXXX), for a cmocka table to name as it is. */
int fixture_store_setup_test(void **state);
/* Closes and removes *state's store and frees it. 0, or -1. */
int fixture_store_teardown(void **state);

/* Opens the store at target as it is, taking no lease (a test of the
 * store's own opening); fails the test when it cannot. */
store_t *fixture_store_plain(const char *target);
/* Opens the database at target (a file is made when missing) through the
 * store's db layer, without the store; fails the test when it cannot. */
db_t *fixture_store_db(const char *target);
/* The fixture of a test of the PostgreSQL store on a server of the
 * caller's (pg.unit.store_import, pg.unit.store_schema_pg): a fresh schema
 * of the database ROTA_TEST_PG_URL names, <prefix>_<pid>_<counter>, and
 * the URL that works in it; a temporary directory if the test makes one. */
typedef struct {
	char dir[64];   /* "" until the test makes one (fixture_dir_make) */
	char path[128]; /* the test's own: a file in dir, if it wants one */
	char schema[64];
	char *url; /* owned; NULL when ROTA_TEST_PG_URL is not set */
} fixture_store_pg_t;

/* A fixture_store_pg_t as *state, with its schema made when there is a
 * server. 0, or -1. */
int fixture_store_pg_setup(void **state, const char *prefix);
/* Drops the schema, removes dir if made, frees *state. 0. */
int fixture_store_pg_teardown(void **state);
/* *state, or the test skipped (said, naming the ctest test that sets
 * ROTA_TEST_PG_URL) when there is no server. */
fixture_store_pg_t *fixture_store_pg_need(void **state, const char *ctest_name);

/* fixture_store_new, and the runbook directory <dir>/books beside the
 * store (a catalog's) into books: the store (the caller's, for
 * fixture_store_remove); fails the test when it cannot. */
store_t *fixture_store_new_books(const char *name, char *dir, size_t dir_len, char *books,
                                 size_t books_len);

/* The retention the store's tests prune by: the default windows (runs 90
 * days, output 30, audit 400, notifications 30, incidents 400) and the
 * newest keep_runs runs of each runbook. */
store_retention_t fixture_store_retention(int64_t keep_runs);

/* Inserts run id of runbook with its copy yaml, no parameters ("{}"), in
 * status, made at created_ms, in the caller's transaction if it has one;
 * fails the test when it cannot. */
void fixture_store_run(store_t *s, const char *id, const char *runbook, const char *yaml,
                       int status, int64_t created_ms);

/* Inserts the plain incident id of the store tests ("t", P2, from a run,
 * no hosts, the default policy), opened at created_ms, in the caller's
 * transaction if it has one; fails the test when it cannot. */
void fixture_store_incident(store_t *s, const char *id, int64_t created_ms);

struct sqlite3;
/* The one number the query sql answers on the SQLite database db (its
 * first column of its first row); fails the test when there is none. */
int64_t fixture_store_sqlite_int(struct sqlite3 *db, const char *sql);

/* The run's output as one string, in the order `rota logs` lists it (the
 * caller frees); fails the test when the store cannot list it. */
char *fixture_store_logs(store_t *s, const char *run_id);

#endif
