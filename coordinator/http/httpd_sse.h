/* httpd_sse: GET /v1/events, the event stream as Server-Sent Events
 * (httpd_sse.c), a part of the httpd module kept in its own file.
 *
 * A stream is a callback response that pulls text from handlers.events
 * when the client can take more; with nothing to send it is suspended and
 * httpd_sse_wake (after each commit) or its keepalive resumes it. So a
 * client that stops reading holds only its cursor: it is never sent more
 * than the socket takes, and when it reads again from a cursor older than
 * the coordinator's ring it gets "event: resync" and the stream ends; it
 * comes back with Last-Event-ID and is served from the store. A stream ends
 * before the request deadline; EventSource reconnects by itself. */
#ifndef ROTA_HTTPD_SSE_H
#define ROTA_HTTPD_SSE_H

#include <microhttpd.h>

#include "httpd.h"

/* Keepalive comment after this long without a byte (under MHD's idle
 * timeout); the stream's longest life is the request deadline less
 * HTTPD_SSE_MARGIN_MS. */
#define HTTPD_SSE_KEEPALIVE_MS 5000
#define HTTPD_SSE_MARGIN_MS 3000
/* Text asked of handlers.events at once. */
#define HTTPD_SSE_CHUNK_BYTES (64 * 1024)

typedef struct httpd_sse_list httpd_sse_list_t;

httpd_sse_list_t *httpd_sse_list_new(void);
/* Resumes every stream (MHD must not stop with one suspended) and frees
 * the list; the streams themselves end with their connections. */
void httpd_sse_list_free(httpd_sse_list_t **lp);
/* GET /v1/events on c: checks the arguments and starts the stream. */
enum MHD_Result httpd_sse_serve(httpd_t *s, httpd_sse_list_t *l, const httpd_handlers_t *h,
                                struct MHD_Connection *c, int64_t deadline_ms);
/* After a commit: resumes the waiting streams that may have news (those
 * of every run; those of a run whose newest event changed). */
void httpd_sse_list_wake(httpd_sse_list_t *l);
/* Resumes the streams whose keepalive or end is due; returns the ms until
 * the next is (-1: none). */
long httpd_sse_due(httpd_sse_list_t *l);

#endif
