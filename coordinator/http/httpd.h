/* httpd: the coordinator's HTTP endpoint (libmicrohttpd), turned by the
 * coordinator's one zmq_poll loop.
 *
 *   POST /v1/alerts/alertmanager   Alertmanager's webhook  -> handlers.alerts
 *   GET  /metrics                  Prometheus text format  -> handlers.metrics
 *   GET  /healthz[?role=leader]    200 "ok ..." / 503 why  -> handlers.healthy
 *   GET  /v1/events?cursor&run     Server-Sent Events      -> handlers.events_*
 *
 * No threads: the daemon runs in MHD's external-polling mode on epoll, so
 * the whole server is one fd for zmq_poll (httpd_fd) plus a timeout
 * (httpd_timeout_ms), and every handler runs in the loop's own thread,
 * between two polls, like any other event. Handlers must therefore be
 * quick: they read and queue, never wait on the network or the disk.
 *
 * Must never: let one client hold the loop or its memory, or keep others
 * out. A body is capped (413), connections are limited in number, idle
 * time and total time per request, and a client that sends slowly costs a
 * slot for at most the deadline (and less when the slots run short).
 *
 * Typical use in the loop:
 *
 *   zmq_pollitem_t it = {NULL, httpd_fd(h), ZMQ_POLLIN, 0};
 *   long t = httpd_timeout_ms(h);   // fold into the poll's timeout
 *   zmq_poll(..., wait);
 *   if ((it.revents & ZMQ_POLLIN) || t == 0 || (t > 0 && waited >= t))
 *           httpd_run(h);
 *
 * Calling httpd_run when nothing is due is harmless (it does not block). */
#ifndef ROTA_HTTPD_H
#define ROTA_HTTPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sharedbuf.h"

/* A request body larger than this is refused with 413 (an Alertmanager
 * group of the default max 0 = unlimited alerts can be large, but 1 MiB
 * is about 1000 alerts with generous labels). */
#define HTTPD_BODY_MAX_BYTES (1024 * 1024)
/* Connections open at once: beyond the soft limit (overall, or from one
 * address) the oldest connection is closed to make room, so slow clients
 * cannot keep a probe or a scrape out; the hard limit only refuses a burst
 * of connections that arrive within one loop turn. */
#define HTTPD_CONNECTION_SOFT_LIMIT 96
#define HTTPD_PER_IP_CONNECTION_LIMIT 16
/* Event streams (GET /v1/events) are counted apart: a stream lives long by
 * nature, so under the limits above each newcomer would cut the oldest
 * stream, which comes back at once with its Last-Event-ID (100 followers
 * of a run reconnected without end). Beyond these the oldest stream gives
 * way. */
#define HTTPD_STREAMS_LIMIT 256
#define HTTPD_STREAMS_PER_IP_LIMIT 128
#define HTTPD_CONNECTION_LIMIT (HTTPD_CONNECTION_SOFT_LIMIT + HTTPD_STREAMS_LIMIT + 32)
/* A connection idle (nothing read or written) this long is closed. */
#define HTTPD_CONNECTION_TIMEOUT_S 10
/* A request's whole time, from the connection's opening (or the previous
 * answer on it) until its answer is sent, headers and body included: a
 * client trickling a byte at a time is never idle, but is closed at this
 * deadline (http_request_deadline in the configuration). */
#define HTTPD_REQUEST_DEADLINE_MS 20000
/* Lines about misbehaving clients: once a minute per kind, with a count. */
#define HTTPD_LOG_INTERVAL_MS 60000
/* Memory MHD may use per connection for headers and buffering. */
#define HTTPD_CONNECTION_MEMORY_BYTES (64 * 1024)

#define HTTPD_PATH_ALERTS "/v1/alerts/alertmanager"
#define HTTPD_PATH_METRICS "/metrics"
#define HTTPD_PATH_HEALTHZ "/healthz"
#define HTTPD_PATH_EVENTS "/v1/events"

/* Every answer carries this policy: no inline script, nothing from another
 * origin, no framing (the console's pages and the API alike). */
#define HTTPD_CSP                                                                                  \
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self';"                 \
	" connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self';"             \
	" frame-ancestors 'none'"

/* One request to a route httpd does not serve itself (the API under /v1/,
 * the console), as the web handler sees it. Everything is borrowed for the
 * call. */
typedef struct {
	const char *method; /* "GET", "POST", ... */
	const char *path;   /* without the query string */
	const char *peer;   /* the client's "ADDR:PORT" */
	const char *body;   /* a POST's or PUT's whole body, NUL-terminated; "" else */
	size_t len;
	bool too_large; /* the body was over HTTPD_BODY_MAX_BYTES and dropped */
	bool tls;       /* it came over HTTPS */
	void *conn;     /* MHD's connection, for the lookups below */
} httpd_request_t;

/* A query argument, a header, a cookie of the request: NULL when absent. */
const char *httpd_request_arg(const httpd_request_t *r, const char *name);
const char *httpd_request_header(const httpd_request_t *r, const char *name);
const char *httpd_request_cookie(const httpd_request_t *r, const char *name);

/* What the web handler answers. Strings marked owned are malloc'd and freed
 * by httpd. */
typedef struct {
	unsigned status;   /* unset (0) is sent as 500 */
	char *body;        /* owned; NULL for none */
	const char *type;  /* static; NULL: application/json */
	char *set_cookie;  /* owned; a Set-Cookie header, or NULL */
	char *location;    /* owned; a Location header, or NULL */
	const char *allow; /* static; an Allow header (405), or NULL */
} httpd_reply_t;

typedef struct {
	/* Every request httpd does not answer itself (anything but the alert
	 * intake, /metrics and /healthz), with its body read: the JSON API
	 * and the console. NULL: those are 404. */
	void (*web)(void *ctx, const httpd_request_t *req, httpd_reply_t *out);
	void *web_ctx; /* web's ctx (borrowed; outlives the server) */
	/* POST /v1/alerts/alertmanager with the whole body (len bytes; it is
	 * also NUL-terminated), from peer (the client's "ADDR:PORT"). Sets *status (e.g. 202, 400)
	 * and *reply: a malloc'd string that httpd frees, sent as application/json when it starts
	 * with '{' or '[', else text/plain; NULL for an empty body. An unset *status is sent as
	 * 500. */
	void (*alerts)(void *ctx, const char *peer, const char *body, size_t len, unsigned *status,
	               char **reply);
	/* GET /metrics: the page in Prometheus text format, malloc'd (httpd
	 * frees it); NULL is answered with 500. */
	char *(*metrics)(void *ctx);
	/* GET /healthz[?role=R]: true for 200, false for 503; *text is the
	 * body either way (malloc'd, httpd frees it; may be left NULL: "ok" or
	 * "unhealthy"). role is the query's role argument, or NULL. */
	bool (*healthy)(void *ctx, const char *role, char **text);
	void *ctx;
	/* When not NULL, POST /v1/alerts/alertmanager must carry
	 * "Authorization: Bearer <token>" (401 otherwise): DESIGN.md wants a
	 * token when the endpoint is not on loopback. Copied at start. */
	const char *alert_token;
	/* With alert_token: GET /metrics and /healthz need it too
	 * (http_protect_metrics in the configuration). */
	bool protect_metrics;
	/* A request's deadline; 0 = HTTPD_REQUEST_DEADLINE_MS. */
	uint32_t request_deadline_ms;
	/* GET /v1/events?cursor=N&run=RUN (httpd_sse.h). events_open: the run
	 * an operator named (NULL or "": every run) as its full id in *run
	 * (malloc'd; NULL for every run); 0, or an HTTP status (404) with
	 * *why (malloc'd). events_text: the stream's next text after cursor,
	 * at most about max bytes, as SSE lines ("id: N", "event: KIND",
	 * "data: JSON"), in *text (malloc'd; NULL when nothing is new), with
	 * the cursor to go on from in *next; catch_up lets it read the store
	 * (a stream's first reads). 0; 1 when the cursor is older than what
	 * memory holds and catch_up is off (the stream is cut: resync); -1 on
	 * an error. NULL: /v1/events answers 404. */
	int (*events_open)(void *ctx, const char *run_text, char **run, char **why);
	/* GET /v1/events where a bearer token is set: true when the request
	 * carries a console session instead (a viewer or more, as `rota logs`
	 * needs), so the console's pages follow runs beyond loopback; it gets
	 * web_ctx. NULL: only the token. */
	bool (*events_signed_in)(void *web_ctx, const httpd_request_t *req);
	int (*events_text)(void *ctx, const char *run, uint64_t cursor, bool catch_up, size_t max,
	                   char **text, uint64_t *next);
	/* events_text without a copy, preferred when set: the same frames,
	 * each given to put (borrowed for the call; put holds what it keeps),
	 * so a frame made once is sent to every stream. Returns and *next as
	 * events_text. */
	int (*events_frames)(void *ctx, const char *run, uint64_t cursor, bool catch_up, size_t max,
	                     void (*put)(void *put_ctx, sharedbuf_t *frame), void *put_ctx,
	                     uint64_t *next);
	/* Whether anything of run came after cursor, asked for each live
	 * stream of one run after each commit (NULL: every stream wakes);
	 * *next is the cursor the stream may skip to (every event up to it
	 * is another run's), true or false. Under a busy loop most commits
	 * are not of the run a stream follows. */
	bool (*events_news)(void *ctx, const char *run, uint64_t cursor, uint64_t *next);
	/* The cursor of run's newest event in memory, asked once per run
	 * followed after each commit: its waiting streams, which have read
	 * every event of it there, wake only when it changed. 0 when memory
	 * cannot say (then events_news is asked for each stream). NULL:
	 * events_news alone. */
	uint64_t (*events_last)(void *ctx, const char *run);
	/* PEM certificate chain and key (their text, copied at start): with
	 * both, the endpoint speaks HTTPS only (libmicrohttpd's GnuTLS). */
	const char *tls_cert;
	const char *tls_key;
} httpd_handlers_t;

/* A bearer token must be at least this long: a short one can be guessed. */
#define HTTPD_TOKEN_MIN_CHARS 16
#define HTTPD_TOKEN_MAX_BYTES 4096

/* Reads a bearer token from path: one line of printable characters
 * without spaces (trailing whitespace dropped), at least
 * HTTPD_TOKEN_MIN_CHARS long. A file group or others can read is refused
 * like a secret key file (chmod 600). 0 with *token (caller frees), or -1
 * with *error (caller frees) naming the file and the fix. */
int httpd_read_token(const char *path, char **token, char **error);

typedef struct httpd httpd_t;

/* Splits "127.0.0.1:7480", "[::1]:7480", "web.internal.example:7480" or
 * ":7480" (all IPv4 interfaces; "[::]:7480" for IPv6) into *host (a new
 * string the caller frees; "" for all interfaces) and *port (0 allowed:
 * any free port). "off" is the caller's to handle. 0, or -1 with *error
 * (the caller frees) saying what is wrong. */
int httpd_parse_addr(const char *text, char **host, uint16_t *port, char **error);

/* True when the address is a loopback one, where the endpoint needs no
 * token: a numeric 127.0.0.0/8 or ::1, or the name "localhost"; any other
 * name (even "127.x.example") is not, whatever it resolves to. */
bool httpd_addr_is_loopback(const char *host);

/* Listens on addr (as httpd_parse_addr) and serves h (copied; h->ctx is
 * borrowed and must outlive the server). NULL with *error (the caller
 * frees) when the address is wrong or cannot be bound. */
httpd_t *httpd_start(const char *addr, const httpd_handlers_t *h, char **error);
/* The port bound (the real one when addr asked for port 0). */
uint16_t httpd_port(const httpd_t *s);
/* The one fd to poll for readability (MHD's epoll fd). */
int httpd_fd(const httpd_t *s);
/* How long the loop may sleep before httpd_run must be called even without
 * activity on the fd (a connection's timeout, data already buffered): 0 =
 * now, -1 = no limit. */
long httpd_timeout_ms(httpd_t *s);
/* Accepts, reads, runs handlers for complete requests, writes, and closes
 * timed-out connections, without blocking. */
void httpd_run(httpd_t *s);
/* After a commit: resumes the event streams waiting for news. */
void httpd_sse_wake(httpd_t *s);
/* Closes every connection and the listening socket. Accepts NULL and sets
 * *sp to NULL. */
void httpd_stop(httpd_t **sp);

#endif
