/* restore: `rota-coordinator --restore FILE --data-dir DIR [--force]`: a
 * backup made by `rota backup` checked and put in place as DIR/rota.db,
 * so that a coordinator can start on DIR.
 *
 * The file is copied into DIR first and the copy is what is checked: its
 * SHA-256 against FILE.sha256, SQLite's integrity check, and a schema
 * version not newer than this binary's (store_backup_verify). Only a copy
 * that passes is renamed to rota.db.
 *
 * Must never: touch a data directory that is not empty without --force,
 * or one a coordinator is running on; leave a half-copied rota.db. */
#ifndef ROTA_RESTORE_H
#define ROTA_RESTORE_H

#include <stdbool.h>
#include <stdio.h>

/* Restores file into data_dir (made 0700 when missing). With force, a
 * non-empty data_dir keeps what it holds (keys, operators, runbooks) but
 * its store (rota.db and its WAL) is replaced. Says what it did on out.
 * 0, or -1 with *error (caller frees) naming the check that failed. */
int restore_run(const char *file, const char *data_dir, bool force, FILE *out, char **error);

#endif
