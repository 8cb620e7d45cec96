/* store_import: moving a single-box install to PostgreSQL. Copies every row
 * of a SQLite store (at the current schema version: store_open migrated
 * it) into an empty PostgreSQL store, in one transaction, ids kept, then
 * moves each identity sequence past the largest id copied. Part of the
 * store room's public header (store.h includes it).
 *
 * What is copied is one list (store_import.c) naming every table and every
 * column of the schema; unit.store_import compares it with both engines'
 * schemas, so a table or column added by a migration cannot be left out
 * of an import without a test failing.
 *
 * Must never: write into a database that holds any row of rota's (an
 * import is for an empty one; merging two histories would give one run id
 * two meanings), or commit part of a copy. */
#ifndef ROTA_STORE_IMPORT_H
#define ROTA_STORE_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct store store_t;

/* One table of the list: its name and its columns in the schema's order,
 * each "name type" with type i (integer), t (text) or b (blob), separated
 * by ", ". */
typedef struct {
	const char *name;
	const char *columns;
	/* The coordinators' own state (leadership), made by the schema
	 * itself: neither counted as the install's history nor copied. */
	bool not_copied;
} store_import_table_t;

/* The list, parents before children (the order rows are inserted in). */
size_t store_import_table_count(void);
const store_import_table_t *store_import_table(size_t i);

/* Rows copied per table, in the list's order. */
#define STORE_IMPORT_TABLES_MAX 32
typedef struct {
	int64_t rows[STORE_IMPORT_TABLES_MAX];
} store_import_report_t;

/* Whether dst holds anything of rota's: 0 when empty (only the schema's
 * version in meta), 1 when not, with *why (the caller frees) naming a
 * table that has rows and how many; -1 on error with *why. */
int store_import_check_empty(store_t *dst, char **why);

/* Copies src (a SQLite store) into dst (an empty PostgreSQL store), in one
 * transaction of dst: everything or nothing. 0 with report filled, or -1
 * with *error (the caller frees): dst not empty, not PostgreSQL, src not
 * SQLite, or the first row that could not be read or written (table and
 * id, in the engine's words). */
int store_import(store_t *dst, store_t *src, store_import_report_t *report, char **error);

#endif
