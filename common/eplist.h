/* eplist: the coordinators a client may dial, and the one it dials now.
 *
 * rota-worker --coordinator and rota --coordinator (ROTA_COORDINATOR) take
 * one endpoint or several, comma-separated (`tcp://a:7400,tcp://b:7400`):
 * the coordinators of one high-availability group. The client dials the
 * current one; when it fails, the next, round robin; when a follower
 * answers with a Redirect, the leader it names (which need not be in the
 * list: a Redirect comes over the authenticated socket, from a coordinator
 * holding the group's server key). After a redirect target fails, the
 * rotation goes on with the entry after the one that redirected.
 *
 * Only tcp:// and ipc:// endpoints are taken: what ZeroMQ would also dial
 * (inproc://, pgm://...) is never where a coordinator is.
 *
 * Must never: hold an endpoint it did not check, or grow without bound. */
#ifndef ROTA_EPLIST_H
#define ROTA_EPLIST_H

#include <stdbool.h>
#include <stddef.h>

#define EPLIST_MAX 16           /* endpoints in one list */
#define EPLIST_MAX_ENDPOINT 255 /* bytes of one endpoint */

typedef struct eplist eplist_t;

/* Parses "EP" or "EP1,EP2,..." (spaces around commas allowed, duplicates
 * kept once). NULL with *error (the caller frees) naming the bad entry
 * and the fix: an empty list or entry, a scheme other than tcp or ipc, a
 * tcp endpoint without a host and port, more than EPLIST_MAX. */
eplist_t *eplist_parse(const char *text, char **error);
void eplist_destroy(eplist_t **lp);

/* Whether ep is an endpoint a client may be sent to: tcp://HOST:PORT or
 * ipc://PATH, at most EPLIST_MAX_ENDPOINT bytes. With why (len bytes),
 * says what is wrong with it. */
bool eplist_endpoint_ok(const char *ep, char *why, size_t len);
/* Whether ep is a tcp endpoint whose host is every address (the host '*',
 * 0.0.0.0 or [::]) or whose port is chosen at bind time ('*'): fine to
 * bind, never to dial. */
bool eplist_endpoint_wildcard(const char *ep);

/* The endpoints as given (not counting a redirect target). */
size_t eplist_count(const eplist_t *l);
/* The i-th endpoint as given; borrowed. */
const char *eplist_at(const eplist_t *l, size_t i);
/* The endpoint to dial now: a redirect target, or an entry of the list.
 * Borrowed, good until the next call that changes the list. */
const char *eplist_current(const eplist_t *l);
/* Moves to the next entry, round robin (after a redirect target: the
 * entry after the one that redirected), and returns it. */
const char *eplist_next(eplist_t *l);
/* Dials ep next (a Redirect): the list's own entry when ep is one of
 * them, else a target kept beside the list (copied). -1 when ep is not an
 * endpoint a client may be sent to (eplist_endpoint_ok), with why. */
int eplist_follow(eplist_t *l, const char *ep, char *why, size_t len);
/* Whether the current endpoint is a redirect target outside the list. */
bool eplist_redirected(const eplist_t *l);

#endif
