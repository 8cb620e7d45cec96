/* json: a small streaming JSON writer for the CLI's --json output.
 *
 * It builds one document in memory; callers emit values in order and the
 * writer puts commas and colons where they belong. Strings are escaped so
 * the output is always valid JSON, whatever bytes a peer put in them:
 * quotes, backslashes and control characters are escaped, valid UTF-8
 * passes through unchanged, and each byte of invalid UTF-8 becomes U+FFFD.
 * It never parses JSON. Misuse (a value where a key is due, unbalanced
 * ends) is a bug in the caller and is caught by assert. */
#ifndef ROTA_JSON_H
#define ROTA_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Deep enough for any document the CLI writes. */
#define JSON_MAX_DEPTH 16

typedef struct json json_t;

json_t *json_new(void);
/* A new document with its top object begun: every --json answer is one
 * object. End it with json_print_object. */
json_t *json_new_object(void);
void json_destroy(json_t **jp);

void json_object_begin(json_t *j);
void json_object_end(json_t *j);
void json_array_begin(json_t *j);
void json_array_end(json_t *j);

/* Inside an object, every value is preceded by its key. */
void json_key(json_t *j, const char *key);

/* s NULL writes null. */
void json_string(json_t *j, const char *s);
/* len bytes of s, which may hold NUL and invalid UTF-8 (step output). */
void json_string_len(json_t *j, const char *s, size_t len);
void json_int(json_t *j, int64_t v);
void json_uint(json_t *j, uint64_t v);
/* A finite number with one decimal (a percentage: 83.3). */
void json_fixed1(json_t *j, double v);
void json_bool(json_t *j, bool v);
void json_null(json_t *j);

/* One member of an object: json_key() then the value. */
void json_member_string(json_t *j, const char *key, const char *s);
void json_member_int(json_t *j, const char *key, int64_t v);
void json_member_uint(json_t *j, const char *key, uint64_t v);
void json_member_bool(json_t *j, const char *key, bool v);
/* A wall time: ms since the epoch, or null when ms is 0 ("not yet"). */
void json_member_time(json_t *j, const char *key, int64_t ms);
/* Text the coordinator sends as "" for "not set": null when s is NULL or
 * empty. */
void json_member_text(json_t *j, const char *key, const char *s);
/* A number that may be absent: v when present, else null. */
void json_member_int_or_null(json_t *j, const char *key, bool present, int64_t v);

/* "key": [...] with an object for each non-NULL items[i], i < n, whose
 * members member(j, items[i]) writes. items is a peer's repeated message
 * field: protobuf-c leaves no NULL in one, but the CLI never trusted that.
 * A macro so that member keeps the type of the items. */
#define JSON_MEMBER_OBJECTS(j, key, items, n, member)                                              \
	do {                                                                                       \
		json_key((j), (key));                                                              \
		json_array_begin(j);                                                               \
		for (size_t json_i_ = 0; json_i_ < (n); json_i_++) {                               \
			if ((items)[json_i_] == NULL)                                              \
				continue;                                                          \
			json_object_begin(j);                                                      \
			member((j), (items)[json_i_]);                                             \
			json_object_end(j);                                                        \
		}                                                                                  \
		json_array_end(j);                                                                 \
	} while (0)

/* The document so far; borrowed, valid until the next call on j. */
const char *json_text(const json_t *j);
size_t json_length(const json_t *j);
/* Prints the finished document on stdout with the newline a shell wants,
 * and destroys it. */
void json_print(json_t **jp);
/* Ends the top object json_new_object began, then json_print. */
void json_print_object(json_t **jp);

/* The JSON string literal, quotes included, for len bytes of s: the
 * escaping on its own, for tests and one-off use. Returns a new string the
 * caller frees. */
char *json_quote(const char *s, size_t len);

#endif
