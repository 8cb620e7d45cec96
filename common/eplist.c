/* eplist: see eplist.h. */
#include "eplist.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

struct eplist {
	char *items[EPLIST_MAX]; /* owned, each */
	size_t count;
	size_t at;      /* the entry dialled, or the one that redirected */
	char *redirect; /* owned: a Redirect's target outside the list; NULL: none */
};

void
eplist_destroy(eplist_t **lp)
{
	eplist_t *l = *lp;
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->count; i++)
		free(l->items[i]);
	free(l->redirect);
	free(l);
	*lp = NULL;
}

/* The host and port of a tcp endpoint: "HOST:PORT", "[V6]:PORT", or
 * "IFACE;HOST:PORT" (ZeroMQ's source-address form, where only the part
 * after ';' is dialled). Sets *host (not terminated: hlen bytes) and
 * *port. false when either is missing. */
static bool
eplist_tcp_split(const char *rest, const char **host, size_t *hlen, const char **port)
{
	const char *semi = strchr(rest, ';');
	if (semi != NULL)
		rest = semi + 1;
	const char *colon = strrchr(rest, ':');
	if (colon == NULL || colon == rest || colon[1] == '\0')
		return false;
	*host = rest;
	*hlen = (size_t)(colon - rest);
	*port = colon + 1;
	return true;
}

bool
eplist_endpoint_ok(const char *ep, char *why, size_t len)
{
	char scratch[8];
	if (why == NULL) {
		why = scratch;
		len = sizeof(scratch);
	}
	if (ep == NULL || ep[0] == '\0') {
		snprintf(why, len, "an empty endpoint");
		return false;
	}
	if (strlen(ep) > EPLIST_MAX_ENDPOINT) {
		snprintf(why, len, "longer than %d bytes", EPLIST_MAX_ENDPOINT);
		return false;
	}
	for (const char *p = ep; *p; p++) {
		if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p)) {
			snprintf(why, len, "holds a space or a control character");
			return false;
		}
	}
	if (strncmp(ep, "ipc://", 6) == 0) {
		if (ep[6] == '\0') {
			snprintf(why, len, "an ipc endpoint without a path (ipc:///run/rota/api)");
			return false;
		}
		return true;
	}
	if (strncmp(ep, "tcp://", 6) != 0) {
		snprintf(why, len,
		         "not a tcp:// or ipc:// endpoint (like tcp://coord1.example:7401)");
		return false;
	}
	const char *host, *port;
	size_t hlen;
	if (!eplist_tcp_split(ep + 6, &host, &hlen, &port)) {
		snprintf(why, len, "a tcp endpoint needs a host and a port (tcp://HOST:PORT)");
		return false;
	}
	if (strcmp(port, "*") != 0) {
		char *end = NULL;
		unsigned long v = strtoul(port, &end, 10);
		if (end == port || *end != '\0' || v == 0 || v > 65535) {
			snprintf(why, len, "the port '%s' is not a number from 1 to 65535", port);
			return false;
		}
	}
	(void)host;
	return true;
}

bool
eplist_endpoint_wildcard(const char *ep)
{
	if (ep == NULL || strncmp(ep, "tcp://", 6) != 0)
		return false;
	const char *host, *port;
	size_t hlen;
	if (!eplist_tcp_split(ep + 6, &host, &hlen, &port))
		return false;
	static const char *const any[] = {"*", "0.0.0.0", "[::]", "::", "[*]"};
	for (size_t i = 0; i < sizeof(any) / sizeof(any[0]); i++) {
		if (hlen == strlen(any[i]) && strncmp(host, any[i], hlen) == 0)
			return true;
	}
	return strcmp(port, "*") == 0;
}

eplist_t *
eplist_parse(const char *text, char **error)
{
	*error = NULL;
	eplist_t *l = xcalloc(1, sizeof(*l)); /* owned: returned */
	const char *p = text ? text : "";
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		while (n > 0 && isspace((unsigned char)*p)) {
			p++;
			n--;
		}
		while (n > 0 && isspace((unsigned char)p[n - 1]))
			n--;
		char *ep = xstrndup(p, n); /* owned: kept, or freed below */
		char why[160];
		if (n == 0) {
			*error = xasprintf("'%s': an empty entry; give endpoints separated by"
			                   " commas, like tcp://coord1:7401,tcp://coord2:7401",
			                   text ? text : "");
		} else if (!eplist_endpoint_ok(ep, why, sizeof(why))) {
			*error = xasprintf("'%s': %s", ep, why);
		} else if (l->count == EPLIST_MAX) {
			*error = xasprintf("'%s': more than %d endpoints", text, EPLIST_MAX);
		}
		if (*error != NULL) {
			free(ep);
			eplist_destroy(&l);
			return NULL;
		}
		bool dup = false;
		for (size_t i = 0; i < l->count; i++)
			dup = dup || strcmp(l->items[i], ep) == 0;
		if (dup)
			free(ep);
		else
			l->items[l->count++] = ep;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	return l;
}

size_t
eplist_count(const eplist_t *l)
{
	return l->count;
}

const char *
eplist_at(const eplist_t *l, size_t i)
{
	return i < l->count ? l->items[i] : NULL;
}

const char *
eplist_current(const eplist_t *l)
{
	return l->redirect ? l->redirect : l->items[l->at];
}

const char *
eplist_next(eplist_t *l)
{
	free(l->redirect);
	l->redirect = NULL;
	l->at = (l->at + 1) % l->count;
	return l->items[l->at];
}

int
eplist_follow(eplist_t *l, const char *ep, char *why, size_t len)
{
	if (!eplist_endpoint_ok(ep, why, len))
		return -1;
	if (eplist_endpoint_wildcard(ep)) {
		snprintf(why, len, "binds every address or any port: it cannot be dialled");
		return -1;
	}
	for (size_t i = 0; i < l->count; i++) {
		if (strcmp(l->items[i], ep) == 0) {
			free(l->redirect);
			l->redirect = NULL;
			l->at = i;
			return 0;
		}
	}
	char *copy = xstrdup(ep); /* owned by l */
	free(l->redirect);
	l->redirect = copy;
	return 0;
}

bool
eplist_redirected(const eplist_t *l)
{
	return l->redirect != NULL;
}
