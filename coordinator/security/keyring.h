/* keyring: the public keys the coordinator admits, and whose they are.
 *
 * Workers: a directory with one file per worker; the file name is the
 * worker id, the content its public key (keys.h format, or the bare key).
 * Operators: operators.yaml,
 *
 *   operators:
 *     - name: alice
 *       key: "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
 *       role: admin        # viewer | operator | admin
 *       adhoc: false       # may submit runbook files (default: admins only)
 *
 * A keyring is loaded whole and never changed: a reload (SIGHUP) builds a
 * new one and swaps it in, so a broken file keeps the keys already loaded.
 * Lookups are linear: a fleet lists hundreds of keys, and one is looked up
 * per handshake and per message; a hash is for when that shows.
 *
 * Must never: admit two identities with one key (its user id would be
 * ambiguous), or accept a file it did not fully understand. */
#ifndef ROTA_KEYRING_H
#define ROTA_KEYRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keys.h"

/* Kept at the end of a ZAP handshake as the caller's role (roles are
 * enforced by the API; this only names them). */
typedef enum {
	KEYRING_ROLE_NONE = 0,
	KEYRING_ROLE_VIEWER,
	KEYRING_ROLE_OPERATOR,
	KEYRING_ROLE_ADMIN,
} keyring_role_t;

typedef struct {
	char *name; /* owned: worker id or operator name */
	uint8_t key[KEYS_BYTES];
	keyring_role_t role; /* operators only */
	/* operators only: may submit a runbook file (an ad-hoc run); the
	 * operators.yaml field `adhoc`, by default true for admins only */
	bool adhoc;
} keyring_entry_t;

typedef struct keyring keyring_t;

/* Loads both lists; either may be NULL (nobody of that kind is admitted).
 * A missing workers_dir or operators_file is an empty list, not an error
 * (a fresh data directory has none yet). NULL with *error (caller frees)
 * naming the file, and for operators.yaml file:line:column. */
keyring_t *keyring_load(const char *workers_dir, const char *operators_file, char **error);
void keyring_destroy(keyring_t **kp);

/* Borrowed entries, valid while the keyring lives; NULL when not listed. */
const keyring_entry_t *keyring_worker_by_key(const keyring_t *k, const uint8_t key[KEYS_BYTES]);
const keyring_entry_t *keyring_worker_by_id(const keyring_t *k, const char *id);
const keyring_entry_t *keyring_operator_by_key(const keyring_t *k, const uint8_t key[KEYS_BYTES]);
const keyring_entry_t *keyring_operator_by_name(const keyring_t *k, const char *name);
size_t keyring_worker_count(const keyring_t *k);
size_t keyring_operator_count(const keyring_t *k);
/* The i-th entry (workers sorted by id, operators in file order), borrowed;
 * NULL past the end. For `rota keys`. */
const keyring_entry_t *keyring_worker_at(const keyring_t *k, size_t i);
const keyring_entry_t *keyring_operator_at(const keyring_t *k, size_t i);

/* Parses operators.yaml into a new array (caller frees with
 * keyring_entries_free). 0, or -1 with *error (caller frees) as
 * FILE:LINE:COLUMN: what is wrong. */
int keyring_parse_operators(const char *path, keyring_entry_t **out, size_t *count, char **error);
void keyring_entries_free(keyring_entry_t *entries, size_t count);

const char *keyring_role_name(keyring_role_t role);
/* "viewer", "operator", "admin"; -1 for anything else. */
int keyring_role_parse(const char *name, keyring_role_t *out);

#endif
