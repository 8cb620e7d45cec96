/* keys: CURVE key pairs in files (docs/security.md, Key files).
 *
 * A key pair NAME is two files:
 *
 *   NAME.key         the public key; may be given to anyone
 *       # rota CURVE public key of NAME
 *       public-key = <40 Z85 characters>
 *
 *   NAME.key_secret  both keys; mode 0600, never leaves its host
 *       # rota CURVE secret key of NAME: keep this file private (mode 0600)
 *       public-key = <40 Z85 characters>
 *       secret-key = <40 Z85 characters>
 *
 * Lines starting with '#' and blank lines are comments. A public key file
 * may also hold just the 40 characters on one line, so a key pasted from
 * `rota keygen`'s output into authorized_workers/NAME is read the same.
 *
 * Must never: read a secret from a file group or others can read (the
 * refusal names the file and `chmod 600 FILE`), or accept a secret key whose
 * public half is not the public key written beside it. */
#ifndef ROTA_KEYS_H
#define ROTA_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KEYS_BYTES 32     /* a CURVE key */
#define KEYS_Z85_CHARS 40 /* its Z85 text */
/* A key file is a few lines; anything longer is not one. */
#define KEYS_FILE_MAX_BYTES 4096
/* Characters of the Z85 public key that name it in log lines. */
#define KEYS_FINGERPRINT_CHARS 8

/* Plain data. secret_* are set only when has_secret; keys_wipe clears them. */
typedef struct {
	uint8_t public_key[KEYS_BYTES];
	uint8_t secret_key[KEYS_BYTES];
	char public_z85[KEYS_Z85_CHARS + 1];
	char secret_z85[KEYS_Z85_CHARS + 1];
	bool has_secret;
} keys_pair_t;

/* Makes a new key pair (libzmq with libsodium). -1 when libzmq has no CURVE. */
int keys_generate(keys_pair_t *out);

/* Decodes 40 Z85 characters into key. -1 when text is not a key. */
int keys_decode(const char *text, uint8_t key[KEYS_BYTES]);

/* Reads a public key file into out (has_secret false). A secret key file
 * is read too, for its public key only (and its mode is not checked,
 * since its secret is not used). -1 with *error (caller frees) naming
 * FILE:LINE for a malformed key. */
int keys_load_public(const char *path, keys_pair_t *out, char **error);

/* Reads a secret key file into out. -1 with *error (caller frees) when the
 * file is readable by group or others (the fix: chmod 600 FILE), malformed
 * (FILE:LINE), lacks a key, or its keys do not belong together. */
int keys_load_secret(const char *path, keys_pair_t *out, char **error);

/* Writes DIR/NAME.key (0644) and DIR/NAME.key_secret (0600). An existing
 * file is an error unless force. *public_path and *secret_path (caller
 * frees) say where they went; -1 with *error (caller frees). */
int keys_write(const char *dir, const char *name, const keys_pair_t *pair, bool force,
               char **public_path, char **secret_path, char **error);

/* Whether name is usable as a key pair's, worker's or operator's name:
 * 1 to 128 letters, digits, '-', '_' or '.', not starting with '.'. */
bool keys_valid_name(const char *name);

/* The first KEYS_FINGERPRINT_CHARS characters of the Z85 form of key, for
 * log lines; into buf (at least KEYS_FINGERPRINT_CHARS + 1 bytes). */
const char *keys_fingerprint(const uint8_t key[KEYS_BYTES], char *buf, size_t len);

/* Clears the secret key from memory. */
void keys_wipe(keys_pair_t *pair);

#endif
