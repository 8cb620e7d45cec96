/* session: one operator's conversation with the coordinator, as the CLI
 * reports it.
 *
 * Wraps the client with what a failed call means to the operator: it
 * prints the message (unreachable, refused, an answer it cannot use) and
 * turns it into the CLI's exit code, so commands only handle success. The
 * connection is made on the first call, so a command whose arguments are
 * wrong never touches the network. */
#ifndef ROTA_SESSION_H
#define ROTA_SESSION_H

#include "client.h"
#include "eplist.h"
#include "rota.pb-c.h"

typedef struct session session_t;

/* Takes the endpoints (nulls *endpoints): one coordinator, or the
 * coordinators of one group (eplist.h), tried in turn. Never NULL. */
session_t *session_new(eplist_t **endpoints);
void session_destroy(session_t **sp);

/* Makes the session a CURVE client: key_path is this operator's secret
 * key file, coordinator_key_path the coordinator's public key (both
 * copied; read at the first call, so a command that does not call never
 * needs them). */
void session_set_keys(session_t *s, const char *key_path, const char *coordinator_key_path);

/* While run_id is set (NULL clears it; copied), a coordinator that stops
 * answering is reported as lost while following that run. */
void session_set_following(session_t *s, const char *run_id);

/* Sends req and waits CLI_TIMEOUT_MS for its answer. With several
 * coordinators, one that refuses the connection or does not answer is
 * left for the next (a request that may have been read there only while
 * following a run, whose polls are reads: nothing is done twice), and a
 * follower's Redirect is followed (CLI_MAX_REDIRECTS at most); while
 * following, rounds go on for CLI_FAILOVER_MS. Returns CLI_EXIT_OK
 * with *reply the caller's (free with client_reply_free), whose response
 * has body expect set; or, having printed why on stderr,
 * CLI_EXIT_UNREACHABLE (also: the handshake failed, as with a coordinator
 * whose key is not the one pinned), CLI_EXIT_REFUSED (the coordinator set
 * error, answered with another body, or refused our key), or
 * CLI_EXIT_USAGE (the endpoint is malformed, a key file cannot be used). */
int session_call(session_t *s, Rota__Request *req, Rota__Response__BodyCase expect,
                 Rota__Envelope **reply);
/* The same for a request an older coordinator may not know: its refusal
 * as unknown is returned as CLI_EXIT_UNKNOWN_REQUEST, unsaid, so the
 * caller can fall back to what that coordinator knows. */
int session_call_new(session_t *s, Rota__Request *req, Rota__Response__BodyCase expect,
                     Rota__Envelope **reply);
/* Events of a streaming request (FollowRequest) go to fn (client.h). */
void session_set_event_sink(session_t *s, client_event_fn fn, void *ctx);

#endif
