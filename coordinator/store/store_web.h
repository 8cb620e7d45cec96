/* store_web: the web console's sign-ins (table web_sessions): one-time
 * login links and the sessions they open, each found by the hash of its
 * secret. Writers go in the loop's turn (store_begin), like every write. */
#ifndef ROTA_STORE_WEB_H
#define ROTA_STORE_WEB_H

#include <stdint.h>

typedef struct store store_t;

typedef struct {
	char id[129];  /* the secret's hash, hex */
	char kind[16]; /* "login" or "session" */
	char operator[128];
	int role;     /* keyring_role_t */
	char key[64]; /* the operator key's fingerprint, or "" */
	char csrf[65];
	int64_t created_ms;
	int64_t expires_ms;
} store_web_session_t;

/* Adds one, in the open turn. 0 or -1. */
int store_web_add(store_t *s, const store_web_session_t *w);
/* The row of id and kind that has not expired by now_ms: 0 with *out, 1
 * when there is none, -1 on a failure. */
int store_web_get(store_t *s, const char *id, const char *kind, int64_t now_ms,
                  store_web_session_t *out);
/* Deletes the row of id (used once: a login link). 0 or -1. */
int store_web_delete(store_t *s, const char *id);
/* Deletes every session and link of operator (NULL: everyone's) and every
 * row expired by now_ms; *count is how many of the operator's went. */
int store_web_revoke(store_t *s, const char *operator, int64_t now_ms, uint64_t *count);

#endif
