/* httpd: the HTTP endpoint on libmicrohttpd, external polling (see httpd.h). */
#include "httpd.h"
#include "httpd_sse.h"
#include "web.h"

#include <errno.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "file.h"
#include "log.h"
#include "strbuf.h"
#include "xalloc.h"

/* One open connection, for the request deadline and the fair limits that
 * MHD's own options cannot give (its timeout is per idle period, so a
 * client trickling a byte a second never reaches it; its per-address limit
 * refuses the newcomer, which locks out a Prometheus that shares an address
 * with a slow client). */
typedef struct {
	struct MHD_Connection *conn; /* borrowed; NULL = a free slot */
	int fd;                      /* MHD's; only ever shut down here */
	int64_t since_ms;            /* opened, or its last request answered */
	char addr[48];               /* the client's address, for limits and logs */
	bool cut;                    /* shut down; MHD closes it on its next turn */
	bool stream;                 /* an event stream: counted apart */
} httpd_conn_t;

struct httpd {
	struct MHD_Daemon *daemon; /* owned */
	httpd_handlers_t h;
	char *alert_token;    /* owned: h.alert_token points here */
	char *tls_cert;       /* owned: PEM text, or NULL */
	char *tls_key;        /* owned: PEM text, or NULL; wiped when freed */
	char last_error[256]; /* MHD's last log line, for httpd_start's error */
	uint16_t port;
	int fd;
	int64_t deadline_ms; /* a request's whole time, headers to answer */
	/* A fixed table: O(HTTPD_CONNECTION_LIMIT) scans on each accept and
	 * turn, HTTPD_CONNECTION_LIMIT (384) slots at most; a heap would pay off
	 * only far beyond. */
	httpd_conn_t conns[HTTPD_CONNECTION_LIMIT];
	log_limit_t log_limit; /* MHD's messages and ours, once a minute each */
	httpd_sse_list_t *sse; /* owned: the event streams (httpd_sse.c) */
};

/* One request's state between MHD's calls: only POST bodies need it. */
typedef struct {
	strbuf_t body;  /* owned (body.data): what came so far */
	bool too_large; /* the rest is read and dropped; answered 413 */
	bool web;       /* for the web handler (else the alert intake) */
} request_t;

typedef enum {
	ROUTE_NONE,
	ROUTE_ALERTS,
	ROUTE_METRICS,
	ROUTE_HEALTHZ,
	ROUTE_EVENTS,
	ROUTE_WEB
} route_t;

/* MHD's messages go to our log; the last one is kept so a failed start can
 * say why (MHD_start_daemon itself only returns NULL). */
__attribute__((format(printf, 2, 0))) static void
httpd_log(void *cls, const char *fmt, va_list ap)
{
	httpd_t *s = cls;
	vsnprintf(s->last_error, sizeof(s->last_error), fmt, ap);
	size_t n = strlen(s->last_error);
	while (n > 0 && (s->last_error[n - 1] == '\n' || s->last_error[n - 1] == '.'))
		s->last_error[--n] = '\0';
	/* Clients cause most of these (a malformed request, the limit
	 * reached): once a minute per kind of message, with a count. */
	uint64_t suppressed = 0;
	if (!log_limit_allow(&s->log_limit, fmt, clock_mono_ms(), HTTPD_LOG_INTERVAL_MS,
	                     &suppressed))
		return;
	if (suppressed > 0)
		log_warn("http: %s (and %" PRIu64 " more like it in the last minute)",
		         s->last_error, suppressed);
	else
		log_warn("http: %s", s->last_error);
}

/* ---- connections: the deadline and the fair limits -------------------- */

/* Closes c's connection: MHD sees the end of the stream on its next turn
 * and frees it (and calls httpd_notify with CLOSED). */
static void
httpd_cut(httpd_t *s, httpd_conn_t *c, const char *why)
{
	c->cut = true;
	shutdown(c->fd, SHUT_RDWR);
	uint64_t suppressed = 0;
	if (!log_limit_allow(&s->log_limit, why, clock_mono_ms(), HTTPD_LOG_INTERVAL_MS,
	                     &suppressed))
		return;
	if (suppressed > 0)
		log_warn("http: closed a connection from %s: %s (and %" PRIu64
		         " more like it in the last minute)",
		         c->addr, why, suppressed);
	else
		log_warn("http: closed a connection from %s: %s", c->addr, why);
}

/* The oldest connection still open, from addr (or from anyone: NULL),
 * among the event streams or among the others. */
static httpd_conn_t *
httpd_oldest(httpd_t *s, const char *addr, bool stream, size_t *count)
{
	httpd_conn_t *oldest = NULL;
	*count = 0;
	for (size_t i = 0; i < HTTPD_CONNECTION_LIMIT; i++) {
		httpd_conn_t *c = &s->conns[i];
		if (c->conn == NULL || c->cut || c->stream != stream ||
		    (addr != NULL && strcmp(c->addr, addr) != 0))
			continue;
		(*count)++;
		if (oldest == NULL || c->since_ms < oldest->since_ms)
			oldest = c;
	}
	return oldest;
}

static void
httpd_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
             enum MHD_ConnectionNotificationCode code)
{
	httpd_t *s = cls;
	httpd_conn_t *c = *socket_context;
	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (c != NULL)
			memset(c, 0, sizeof(*c));
		*socket_context = NULL;
		return;
	}
	for (size_t i = 0; i < HTTPD_CONNECTION_LIMIT && c == NULL; i++)
		if (s->conns[i].conn == NULL)
			c = &s->conns[i];
	const union MHD_ConnectionInfo *fd =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (c == NULL || fd == NULL)
		return; /* cannot happen: MHD accepts no more than the table holds */
	c->conn = conn;
	c->fd = fd->connect_fd;
	c->since_ms = clock_mono_ms();
	c->cut = false;
	snprintf(c->addr, sizeof(c->addr), "?");
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci != NULL && ci->client_addr != NULL)
		getnameinfo(ci->client_addr,
		            ci->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
		                                                   : sizeof(struct sockaddr_in),
		            c->addr, sizeof(c->addr), NULL, 0, NI_NUMERICHOST);
	*socket_context = c;
	/* Over a limit, the oldest connection gives way, not the newcomer: a
	 * slow client holds a slot only until someone needs it, and a quick
	 * request (a probe, a scrape) is never the oldest for long. */
	size_t n = 0;
	httpd_conn_t *old = httpd_oldest(s, c->addr, false, &n);
	if (n > HTTPD_PER_IP_CONNECTION_LIMIT && old != NULL && old != c)
		httpd_cut(s, old, "too many connections from one address; the oldest gave way");
	old = httpd_oldest(s, NULL, false, &n);
	if (n > HTTPD_CONNECTION_SOFT_LIMIT && old != NULL && old != c)
		httpd_cut(s, old, "too many connections; the oldest gave way");
}

/* c's request is an event stream: from now on its connection counts
 * against the streams' limits, not the others' (HTTPD_STREAMS_LIMIT). */
static void
httpd_stream_admit(httpd_t *s, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	httpd_conn_t *c = ci != NULL ? ci->socket_context : NULL;
	if (c == NULL)
		return;
	c->stream = true;
	size_t n = 0;
	httpd_conn_t *old = httpd_oldest(s, c->addr, true, &n);
	if (n > HTTPD_STREAMS_PER_IP_LIMIT && old != NULL && old != c)
		httpd_cut(s, old, "too many event streams from one address; the oldest gave way");
	old = httpd_oldest(s, NULL, true, &n);
	if (n > HTTPD_STREAMS_LIMIT && old != NULL && old != c)
		httpd_cut(s, old, "too many event streams; the oldest gave way");
}

/* Cuts every connection whose request has taken longer than the deadline;
 * returns the ms until the next one is due (-1: none open). */
static long
httpd_sweep(httpd_t *s)
{
	int64_t now = clock_mono_ms(), next = -1;
	for (size_t i = 0; i < HTTPD_CONNECTION_LIMIT; i++) {
		httpd_conn_t *c = &s->conns[i];
		if (c->conn == NULL || c->cut)
			continue;
		int64_t left = c->since_ms + s->deadline_ms - now;
		if (left <= 0)
			httpd_cut(s, c,
			          "its request took longer than the deadline"
			          " (http_request_deadline)");
		else if (next < 0 || left < next)
			next = left;
	}
	return (long)next;
}

/* ---- answers ------------------------------------------------------------ */

/* Queues status with body (taken: malloc'd, or NULL for none) and type. */
static enum MHD_Result
answer(struct MHD_Connection *c, unsigned status, char *body, const char *type, const char *allow)
{
	size_t len = body != NULL ? strlen(body) : 0;
	struct MHD_Response *r =
	    body != NULL ? MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE)
	                 : MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	if (r == NULL) {
		free(body);
		return MHD_NO; /* MHD closes the connection */
	}
	if (type != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (allow != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	MHD_add_response_header(r, "Content-Security-Policy", HTTPD_CSP);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	enum MHD_Result rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result
answer_text(struct MHD_Connection *c, unsigned status, const char *text)
{
	return answer(c, status, xasprintf("%s\n", text), "text/plain; charset=utf-8", NULL);
}

static route_t
route_of(const char *url)
{
	if (strcmp(url, HTTPD_PATH_ALERTS) == 0)
		return ROUTE_ALERTS;
	if (strcmp(url, HTTPD_PATH_METRICS) == 0)
		return ROUTE_METRICS;
	if (strcmp(url, HTTPD_PATH_HEALTHZ) == 0)
		return ROUTE_HEALTHZ;
	if (strcmp(url, HTTPD_PATH_EVENTS) == 0)
		return ROUTE_EVENTS;
	return ROUTE_WEB;
}

static enum MHD_Result
serve_metrics(httpd_t *s, struct MHD_Connection *c)
{
	char *page = s->h.metrics != NULL ? s->h.metrics(s->h.ctx) : NULL; /* taken by answer */
	if (page == NULL)
		return answer_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "metrics are not available");
	return answer(c, MHD_HTTP_OK, page, "text/plain; version=0.0.4; charset=utf-8", NULL);
}

static enum MHD_Result
serve_healthz(httpd_t *s, struct MHD_Connection *c)
{
	char *why = NULL; /* owned here until answered */
	/* ?role=leader: healthy only on the leader (for a load balancer). */
	const char *role = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "role");
	bool ok = s->h.healthy != NULL ? s->h.healthy(s->h.ctx, role, &why) : true;
	if (ok) {
		enum MHD_Result rc = answer_text(c, MHD_HTTP_OK, why != NULL ? why : "ok");
		free(why);
		return rc;
	}
	enum MHD_Result rc =
	    answer_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, why != NULL ? why : "unhealthy");
	free(why);
	return rc;
}

static bool
token_ok(httpd_t *s, struct MHD_Connection *c)
{
	if (s->alert_token == NULL)
		return true;
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	if (auth == NULL || strncasecmp(auth, "Bearer ", 7) != 0)
		return false;
	const char *given = auth + 7;
	size_t n = strlen(s->alert_token);
	if (strlen(given) != n)
		return false;
	/* Constant time in the token's length: no early exit on a mismatch. */
	unsigned char diff = 0;
	for (size_t i = 0; i < n; i++)
		diff |= (unsigned char)(given[i] ^ s->alert_token[i]);
	return diff == 0;
}

/* The client's "ADDR:PORT" ("[ADDR]:PORT" for IPv6), for audit rows. */
static void
peer_of(struct MHD_Connection *c, char *peer, size_t len)
{
	char host[NI_MAXHOST] = "?", serv[NI_MAXSERV] = "?";
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci != NULL && ci->client_addr != NULL)
		(void)getnameinfo(
		    ci->client_addr,
		    ci->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
		                                           : sizeof(struct sockaddr_in),
		    host, sizeof(host), serv, sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV);
	snprintf(peer, len, strchr(host, ':') ? "[%s]:%s" : "%s:%s", host, serv);
}

static enum MHD_Result
serve_alerts(httpd_t *s, struct MHD_Connection *c, request_t *req)
{
	if (req->too_large)
		return answer_text(c, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large");
	unsigned status = 0;
	char *reply = NULL; /* taken by answer */
	/* The client's address, for the audit rows of what the alert does. */
	char peer[NI_MAXHOST + NI_MAXSERV + 4];
	peer_of(c, peer, sizeof(peer));
	if (s->h.alerts != NULL)
		s->h.alerts(s->h.ctx, peer, req->body.data != NULL ? req->body.data : "",
		            req->body.len, &status, &reply);
	if (status < 100 || status > 599) {
		log_error("http: the alert handler set no valid status (%u): answering 500",
		          status);
		status = MHD_HTTP_INTERNAL_SERVER_ERROR;
	}
	const char *type = NULL;
	if (reply != NULL)
		type = reply[0] == '{' || reply[0] == '[' ? "application/json"
		                                          : "text/plain; charset=utf-8";
	return answer(c, status, reply, type, NULL);
}

const char *
httpd_request_arg(const httpd_request_t *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *
httpd_request_header(const httpd_request_t *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *
httpd_request_cookie(const httpd_request_t *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, name);
}

/* Whether GET /v1/events carries a console session (handlers'
 * events_signed_in). */
static bool
events_signed_in(httpd_t *s, struct MHD_Connection *c, const char *url)
{
	if (s->h.events_signed_in == NULL)
		return false;
	char peer[NI_MAXHOST + NI_MAXSERV + 4];
	peer_of(c, peer, sizeof(peer));
	httpd_request_t r = {
	    .method = MHD_HTTP_METHOD_GET,
	    .path = url,
	    .peer = peer,
	    .body = "",
	    .tls = s->tls_cert != NULL,
	    .conn = c,
	};
	return s->h.events_signed_in(s->h.web_ctx, &r);
}

/* Hands a request to the web handler and sends what it answers. */
static enum MHD_Result
serve_web(httpd_t *s, struct MHD_Connection *c, const char *url, const char *method,
          const request_t *req)
{
	if (s->h.web == NULL)
		return answer_text(c, MHD_HTTP_NOT_FOUND, "not found");
	char peer[NI_MAXHOST + NI_MAXSERV + 4];
	peer_of(c, peer, sizeof(peer));
	httpd_request_t r = {
	    .method = method,
	    .path = url,
	    .peer = peer,
	    .body = req != NULL && req->body.data != NULL ? req->body.data : "",
	    .len = req != NULL ? req->body.len : 0,
	    .too_large = req != NULL && req->too_large,
	    .tls = s->tls_cert != NULL,
	    .conn = c,
	};
	httpd_reply_t out = {0};
	s->h.web(s->h.web_ctx, &r, &out);
	if (out.status < 100 || out.status > 599) {
		log_error("http: the web handler set no valid status (%u) for %s %s: answering 500",
		          out.status, method, url);
		out.status = MHD_HTTP_INTERNAL_SERVER_ERROR;
	}
	size_t len = out.body != NULL ? strlen(out.body) : 0;
	struct MHD_Response *resp =
	    out.body != NULL
	        ? MHD_create_response_from_buffer(len, out.body, MHD_RESPMEM_MUST_FREE)
	        : MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	if (resp == NULL) {
		free(out.body);
		free(out.set_cookie);
		free(out.location);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	                        out.type != NULL ? out.type : "application/json");
	MHD_add_response_header(resp, "Content-Security-Policy", HTTPD_CSP);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	/* Answers hold operators' data: never kept by a shared cache. */
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (out.allow != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, out.allow);
	if (out.set_cookie != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, out.set_cookie);
	if (out.location != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, out.location);
	free(out.set_cookie);
	free(out.location);
	enum MHD_Result rc = MHD_queue_response(c, out.status, resp);
	MHD_destroy_response(resp);
	return rc;
}

/* MHD calls this once when the headers are in, then once per chunk of body
 * read (*upload_data_size > 0; we must consume it), then once more with
 * *upload_data_size == 0 when the request is complete. */
static enum MHD_Result
httpd_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
              const char *version, const char *upload_data, size_t *upload_data_size,
              void **req_cls)
{
	httpd_t *s = cls;
	(void)version;
	request_t *req = *req_cls;
	if (req == NULL) {
		/* Headers only so far: route, and refuse what can be refused
		 * before any body is read. */
		route_t route = route_of(url);
		bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
		           strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
		if ((route == ROUTE_METRICS || route == ROUTE_HEALTHZ) && s->h.protect_metrics &&
		    !token_ok(s, c))
			return answer_text(c, MHD_HTTP_UNAUTHORIZED, "a bearer token is required");
		switch (route) {
		case ROUTE_METRICS:
			if (!get)
				return answer(c, MHD_HTTP_METHOD_NOT_ALLOWED, NULL, NULL,
				              "GET, HEAD");
			return serve_metrics(s, c);
		case ROUTE_HEALTHZ:
			if (!get)
				return answer(c, MHD_HTTP_METHOD_NOT_ALLOWED, NULL, NULL,
				              "GET, HEAD");
			return serve_healthz(s, c);
		case ROUTE_EVENTS:
			/* Run output is for operators: the token whenever one is set
			 * (beyond loopback), as a viewer reads runs on the socket;
			 * or a console session, which stands for an operator. */
			if (s->alert_token != NULL && !token_ok(s, c) &&
			    !events_signed_in(s, c, url))
				return answer_text(c, MHD_HTTP_UNAUTHORIZED,
				                   "a bearer token or a console session (rota web"
				                   " login) is required");
			if (!get)
				return answer(c, MHD_HTTP_METHOD_NOT_ALLOWED, NULL, NULL,
				              "GET, HEAD");
			httpd_stream_admit(s, c);
			return httpd_sse_serve(s, s->sse, &s->h, c, s->deadline_ms);
		case ROUTE_WEB:
			/* The console's pages and files (web.c): static, served
			 * here without a copy; the rest is the web handler's. */
			if (web_find(url) != NULL)
				return get ? (enum MHD_Result)web_serve(c, url)
				           : answer(c, MHD_HTTP_METHOD_NOT_ALLOWED, NULL, NULL,
				                    "GET, HEAD");
			/* Only a request that may carry a body waits for it. */
			if (get || strcmp(method, MHD_HTTP_METHOD_DELETE) == 0 ||
			    strcmp(method, MHD_HTTP_METHOD_OPTIONS) == 0)
				return serve_web(s, c, url, method, NULL);
			break;
		case ROUTE_ALERTS:
			if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
				return answer(c, MHD_HTTP_METHOD_NOT_ALLOWED, NULL, NULL, "POST");
			if (!token_ok(s, c))
				return answer_text(c, MHD_HTTP_UNAUTHORIZED,
				                   "a bearer token is required");
			break;
		case ROUTE_NONE:
		default:
			return answer_text(c, MHD_HTTP_NOT_FOUND, "not found");
		}
		/* A declared length over the cap is refused now, before the
		 * body is read (curl and Go's client wait for it on Expect:
		 * 100-continue). */
		const char *cl =
		    MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl != NULL && strtoull(cl, NULL, 10) > HTTPD_BODY_MAX_BYTES)
			return answer_text(c, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large");
		req = xcalloc(1, sizeof(*req));
		req->web = route == ROUTE_WEB;
		*req_cls = req; /* freed in httpd_completed */
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		size_t n = *upload_data_size;
		*upload_data_size = 0; /* consumed, kept or not */
		if (req->too_large)
			return MHD_YES;
		if (req->body.len + n > HTTPD_BODY_MAX_BYTES) {
			/* Chunked, without a length: read and drop the rest,
			 * answer 413 at the end. The idle timeout bounds how
			 * long that may take. */
			req->too_large = true;
			free(req->body.data);
			req->body = (strbuf_t){0};
			return MHD_YES;
		}
		strbuf_add(&req->body, upload_data, n);
		return MHD_YES;
	}
	if (req->web)
		return serve_web(s, c, url, method, req);
	return serve_alerts(s, c, req);
}

static void
httpd_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                enum MHD_RequestTerminationCode code)
{
	httpd_t *s = cls;
	request_t *req = *req_cls;
	/* Answered: the deadline starts again for the next request on a
	 * kept-alive connection. */
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	if (ci != NULL && ci->socket_context != NULL) {
		((httpd_conn_t *)ci->socket_context)->since_ms = clock_mono_ms();
		((httpd_conn_t *)ci->socket_context)->stream = false;
	}
	uint64_t suppressed = 0;
	if (code != MHD_REQUEST_TERMINATED_COMPLETED_OK && req != NULL &&
	    log_limit_allow(&s->log_limit, "ended early", clock_mono_ms(), HTTPD_LOG_INTERVAL_MS,
	                    &suppressed))
		log_info("http: a request with a body ended early (%d)%s", (int)code,
		         suppressed > 0 ? " (and more like it in the last minute)" : "");
	if (req != NULL) {
		free(req->body.data);
		free(req);
		*req_cls = NULL;
	}
}

/* ---- the token ------------------------------------------------------------ */

/* Trims the token's trailing blanks in place and checks what is left:
 * one word of printable ASCII, long enough. */
static int
httpd_token_take(const char *path, char *buf, ssize_t n, char **token, char **error)
{
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' ||
	                 buf[n - 1] == '\t'))
		n--;
	buf[n] = '\0';
	for (ssize_t i = 0; i < n; i++)
		if ((unsigned char)buf[i] <= ' ' || (unsigned char)buf[i] >= 0x7f) {
			*error =
			    xasprintf("the HTTP token file %s holds a space, a control character"
			              " or a non-ASCII byte at offset %zd: a token is one word of"
			              " printable ASCII",
			              path, i);
			return -1;
		}
	if (n < HTTPD_TOKEN_MIN_CHARS) {
		*error = xasprintf("the HTTP token in %s is %zd characters; use at least %d (for"
		                   " example: head -c 32 /dev/urandom | base64 > %s; chmod 600 %s)",
		                   path, n, HTTPD_TOKEN_MIN_CHARS, path, path);
		return -1;
	}
	*token = xstrdup(buf);
	return 0;
}

int
httpd_read_token(const char *path, char **token, char **error)
{
	*token = NULL;
	struct stat st;
	char *buf = NULL; /* owned: wiped and freed here */
	size_t len = 0;
	file_status_t rc = file_read_all(path, HTTPD_TOKEN_MAX_BYTES, 0, &buf, &len, &st);
	int ok = -1;
	/* The mode of the file opened, not of a name that may be swapped. */
	if (rc == FILE_ERR_OPEN) {
		*error = xasprintf("cannot read the HTTP token file %s: %s", path, strerror(errno));
	} else if (rc == FILE_ERR_STAT || rc == FILE_ERR_NOT_REGULAR) {
		*error = xasprintf("the HTTP token file %s is not a regular file", path);
	} else if ((st.st_mode & 077) != 0) {
		*error =
		    xasprintf("the HTTP token file %s is readable by others (mode %04o): anyone"
		              " who can read it can send alerts; run 'chmod 600 %s' (and make"
		              " a new token if it may have been copied)",
		              path, (unsigned)(st.st_mode & 07777), path);
	} else if (rc == FILE_ERR_READ) {
		*error = xasprintf("cannot read the HTTP token file %s: %s", path, strerror(errno));
	} else if (rc == FILE_ERR_TOO_LARGE) {
		*error = xasprintf("the HTTP token file %s is larger than %d bytes: not a token",
		                   path, HTTPD_TOKEN_MAX_BYTES);
	} else {
		ok = httpd_token_take(path, buf, (ssize_t)len, token, error);
	}
	if (buf != NULL) {
		explicit_bzero(buf, len);
		free(buf);
	}
	return ok;
}

/* ---- addresses ---------------------------------------------------------- */

int
httpd_parse_addr(const char *text, char **host, uint16_t *port, char **error)
{
	*host = NULL;
	const char *colon, *h = text;
	size_t hlen;
	if (text[0] == '[') {
		const char *close = strchr(text, ']');
		if (close == NULL || close[1] != ':') {
			*error = xasprintf("http address \"%s\": expected [IPV6]:PORT", text);
			return -1;
		}
		h = text + 1;
		hlen = (size_t)(close - h);
		colon = close + 1;
		if (hlen == 0) {
			*error = xasprintf("http address \"%s\": empty IPv6 address", text);
			return -1;
		}
	} else {
		colon = strrchr(text, ':');
		if (colon == NULL || memchr(text, ':', (size_t)(colon - text)) != NULL) {
			*error =
			    xasprintf("http address \"%s\": expected HOST:PORT, [IPV6]:PORT, :PORT "
			              "or off",
			              text);
			return -1;
		}
		hlen = (size_t)(colon - text);
	}
	const char *p = colon + 1;
	unsigned long v = 0;
	if (*p == '\0' || strlen(p) > 5 || strspn(p, "0123456789") != strlen(p) ||
	    (v = strtoul(p, NULL, 10)) > 65535) {
		*error = xasprintf("http address \"%s\": the port must be a number from 0 to 65535",
		                   text);
		return -1;
	}
	*host = xstrndup(h, hlen);
	*port = (uint16_t)v;
	return 0;
}

bool
httpd_addr_is_loopback(const char *host)
{
	/* Parsed, not prefix-matched: "127.evil.example" is a name that can
	 * resolve to any address. Only numeric forms and the one name. */
	if (strcmp(host, "localhost") == 0)
		return true;
	struct in_addr v4;
	if (inet_pton(AF_INET, host, &v4) == 1)
		return (ntohl(v4.s_addr) >> 24) == 127;
	struct in6_addr v6;
	if (inet_pton(AF_INET6, host, &v6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&v6);
	return false;
}

/* ---- the server --------------------------------------------------------- */

httpd_t *
httpd_start(const char *addr, const httpd_handlers_t *h, char **error)
{
	char *host = NULL; /* owned here */
	uint16_t port = 0;
	if (httpd_parse_addr(addr, &host, &port, error) != 0)
		return NULL;
	httpd_t *s = xcalloc(1, sizeof(*s));
	s->sse = httpd_sse_list_new();
	s->h = *h;
	s->alert_token = xstrdup(h->alert_token);
	s->h.alert_token = s->alert_token;
	if (h->tls_cert != NULL && h->tls_key != NULL) {
		s->tls_cert = xstrdup(h->tls_cert);
		s->tls_key = xstrdup(h->tls_key);
	}
	s->h.tls_cert = s->h.tls_key = NULL; /* s->tls_* are the copies */
	s->fd = -1;
	s->deadline_ms = h->request_deadline_ms > 0 ? (int64_t)h->request_deadline_ms
	                                            : HTTPD_REQUEST_DEADLINE_MS;

	/* Resolved once, at start (a name is allowed, as for the ZeroMQ
	 * endpoints); the first address wins. */
	char service[8];
	snprintf(service, sizeof(service), "%u", (unsigned)port);
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
	                         .ai_socktype = SOCK_STREAM,
	                         .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *ai = NULL; /* owned here */
	int gai = getaddrinfo(host[0] != '\0' ? host : "0.0.0.0", service, &hints, &ai);
	if (gai != 0) {
		*error = xasprintf("http address \"%s\": %s", addr, gai_strerror(gai));
		goto fail;
	}
	/* Suspend and resume: an event stream waits for news without MHD
	 * calling it again and again. */
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/* HTTPS through MHD's GnuTLS when a certificate was given: the
	 * options only then, through MHD_OPTION_ARRAY. */
	struct MHD_OptionItem tls[] = {
	    {MHD_OPTION_HTTPS_MEM_CERT, 0, s->tls_cert},
	    {MHD_OPTION_HTTPS_MEM_KEY, 0, s->tls_key},
	    {MHD_OPTION_END, 0, NULL},
	};
	if (s->tls_cert != NULL) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			*error = xasprintf("cannot serve HTTPS on %s: this libmicrohttpd was built"
			                   " without TLS",
			                   addr);
			freeaddrinfo(ai);
			goto fail;
		}
		flags |= MHD_USE_TLS;
	} else {
		tls[0].option = MHD_OPTION_END;
	}
	s->daemon = MHD_start_daemon(
	    /* The logger first, or MHD's own logs what comes before it. */
	    flags, port, NULL, NULL, httpd_request, s, MHD_OPTION_EXTERNAL_LOGGER, httpd_log, s,
	    MHD_OPTION_SOCK_ADDR, ai->ai_addr, MHD_OPTION_NOTIFY_COMPLETED, httpd_completed, s,
	    MHD_OPTION_NOTIFY_CONNECTION, httpd_notify, s,
	    /* Hard caps; httpd_notify keeps below the soft ones by closing
	     * the oldest connection, so these refuse only a burst that
	     * arrives within one turn. */
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTPD_CONNECTION_LIMIT,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    (unsigned)(HTTPD_CONNECTION_SOFT_LIMIT + HTTPD_STREAMS_PER_IP_LIMIT),
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTPD_CONNECTION_TIMEOUT_S,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTPD_CONNECTION_MEMORY_BYTES,
	    MHD_OPTION_ARRAY, tls, MHD_OPTION_END);
	freeaddrinfo(ai);
	if (s->daemon == NULL) {
		*error =
		    xasprintf("cannot serve http on %s: %s", addr,
		              s->last_error[0] ? s->last_error : "libmicrohttpd refused to start");
		goto fail;
	}
	const union MHD_DaemonInfo *info =
	    MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
	const union MHD_DaemonInfo *efd = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_EPOLL_FD);
	if (info == NULL || efd == NULL || efd->epoll_fd < 0) {
		*error = xasprintf(
		    "cannot serve http on %s: no port or epoll fd from libmicrohttpd", addr);
		goto fail;
	}
	s->port = info->port;
	s->fd = efd->epoll_fd;
	free(host);
	return s;
fail:
	free(host);
	httpd_stop(&s);
	return NULL;
}

uint16_t
httpd_port(const httpd_t *s)
{
	return s->port;
}

int
httpd_fd(const httpd_t *s)
{
	return s->fd;
}

long
httpd_timeout_ms(httpd_t *s)
{
	long next = httpd_sweep(s);
	long sse = httpd_sse_due(s->sse);
	if (sse >= 0 && (next < 0 || sse < next))
		next = sse;
	MHD_UNSIGNED_LONG_LONG t = 0;
	if (MHD_get_timeout(s->daemon, &t) != MHD_YES)
		return next;
	long mhd = t > (MHD_UNSIGNED_LONG_LONG)LONG_MAX ? LONG_MAX : (long)t;
	return next >= 0 && next < mhd ? next : mhd;
}

void
httpd_run(httpd_t *s)
{
	httpd_sweep(s);
	httpd_sse_due(s->sse);
	if (MHD_run(s->daemon) != MHD_YES)
		log_warn("http: libmicrohttpd could not run a turn");
}

void
httpd_sse_wake(httpd_t *s)
{
	httpd_sse_list_wake(s->sse);
}

void
httpd_stop(httpd_t **sp)
{
	if (sp == NULL || *sp == NULL)
		return;
	httpd_t *s = *sp;
	httpd_sse_list_free(&s->sse);
	if (s->daemon != NULL)
		MHD_stop_daemon(s->daemon);
	free(s->alert_token);
	free(s->tls_cert);
	if (s->tls_key != NULL) {
		explicit_bzero(s->tls_key, strlen(s->tls_key));
		free(s->tls_key);
	}
	free(s);
	*sp = NULL;
}
