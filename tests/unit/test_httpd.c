/* test_httpd: the coordinator's HTTP endpoint, spoken to with libcurl over
 * real loopback sockets. The server runs as in the coordinator: one thread
 * polling httpd_fd with httpd_timeout_ms and calling httpd_run (here a
 * thread of the test, so that curl's blocking calls can be the client).
 * Handlers record what reached them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http/httpd.h"

/* ---- handlers ------------------------------------------------------------- */

typedef struct {
	bool healthy;
	bool follower;   /* /healthz?role=leader answers 503 */
	char *last_body; /* owned: the last body the alert handler got */
	size_t last_len;
	int alert_calls;
	uint64_t sse_first; /* the cursor a stream's first read asked from */
	int sse_reads;
} state_t;

static void
on_alerts(void *ctx, const char *peer, const char *body, size_t len, unsigned *status, char **reply)
{
	state_t *st = ctx;
	assert_true(strncmp(peer, "127.0.0.1:", 10) == 0); /* the client's address */
	free(st->last_body);
	st->last_body = malloc(len + 1);
	memcpy(st->last_body, body, len + 1); /* the NUL httpd promises */
	st->last_len = len;
	st->alert_calls++;
	*status = 202;
	*reply = strdup("{\"accepted\":1}");
}

static char *
on_metrics(void *ctx)
{
	(void)ctx;
	return strdup("# HELP rota_workers_connected Workers.\n"
	              "# TYPE rota_workers_connected gauge\n"
	              "rota_workers_connected 3\n");
}

/* Healthy and the leader unless told otherwise; ?role=leader is answered
 * 503 by a follower. */
static bool
on_healthy(void *ctx, const char *role, char **why)
{
	state_t *st = ctx;
	if (!st->healthy) {
		*why = strdup("store not writable: disk full");
		return false;
	}
	if (role != NULL && strcmp(role, "leader") == 0 && st->follower) {
		*why = strdup("not the leader: a follower");
		return false;
	}
	*why = strdup(st->follower ? "ok follower" : "ok leader");
	return true;
}

/* ---- the server's loop ------------------------------------------------------ */

typedef struct fixture fixture_t;
struct fixture {
	httpd_t *server;
	state_t st;
	pthread_t thread;
	atomic_bool stop;
	/* When set, called in the server's thread after each httpd_run (a
	 * test's stand-in for the coordinator's commits and wakes). */
	void (*turn)(fixture_t *f);
	void *turn_ctx;
};

/* GET /v1/events: run "nope" is unknown; from cursor 0 one event, then
 * caught up; the next live read finds the stream behind the ring. */
static int
on_events_open(void *ctx, const char *run_text, char **run, char **why)
{
	(void)ctx;
	*run = NULL;
	if (run_text != NULL && strcmp(run_text, "nope") == 0) {
		*why = strdup("run=nope: no run 'nope'");
		return 404;
	}
	return 0;
}

static int
on_events_text(void *ctx, const char *run, uint64_t cursor, bool catch_up, size_t max, char **text,
               uint64_t *next)
{
	state_t *st = ctx;
	(void)run;
	(void)max;
	if (st->sse_reads++ == 0)
		st->sse_first = cursor;
	*text = NULL;
	*next = cursor;
	if (!catch_up)
		return 1;
	if (cursor == 0) {
		*text = strdup("id: 1\nevent: output\ndata: {\"cursor\":1}\n\n");
		*next = 1;
	}
	return 0;
}

static void *
serve(void *arg)
{
	fixture_t *f = arg;
	while (!atomic_load(&f->stop)) {
		struct pollfd p = {httpd_fd(f->server), POLLIN, 0};
		long t = httpd_timeout_ms(f->server);
		/* 50 ms at most, so a stop is seen promptly. */
		int wait = t < 0 || t > 50 ? 50 : (int)t;
		if (poll(&p, 1, wait) < 0)
			break;
		httpd_run(f->server);
		if (f->turn != NULL)
			f->turn(f);
	}
	return NULL;
}

static fixture_t *
fixture_start_ex(const char *token, bool protect_metrics)
{
	fixture_t *f = calloc(1, sizeof(*f));
	f->st.healthy = true;
	httpd_handlers_t h = {.alerts = on_alerts,
	                      .metrics = on_metrics,
	                      .healthy = on_healthy,
	                      .ctx = &f->st,
	                      .alert_token = token,
	                      .protect_metrics = protect_metrics};
	h.events_open = on_events_open;
	h.events_text = on_events_text;
	char *error = NULL;
	f->server = httpd_start("127.0.0.1:0", &h, &error);
	if (f->server == NULL)
		fail_msg("httpd_start: %s", error);
	assert_true(httpd_port(f->server) != 0);
	assert_true(httpd_fd(f->server) >= 0);
	assert_int_equal(pthread_create(&f->thread, NULL, serve, f), 0);
	return f;
}

static fixture_t *
fixture_start(const char *token)
{
	return fixture_start_ex(token, false);
}

static void
fixture_stop(fixture_t *f)
{
	atomic_store(&f->stop, true);
	pthread_join(f->thread, NULL);
	httpd_stop(&f->server);
	assert_null(f->server);
	free(f->st.last_body);
	free(f);
}

static int
setup(void **state)
{
	*state = fixture_start(NULL);
	return 0;
}

static int
teardown(void **state)
{
	fixture_stop(*state);
	return 0;
}

/* ---- the client ------------------------------------------------------------- */

typedef struct {
	long status;
	char body[64 * 1024];
	size_t len;
	char type[128];
	char allow[128];
} reply_t;

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	reply_t *r = arg;
	size_t len = size * n;
	size_t room = sizeof(r->body) - 1 - r->len;
	size_t take = len < room ? len : room;
	memcpy(r->body + r->len, p, take);
	r->len += take;
	r->body[r->len] = '\0';
	return len;
}

static void
copy_header(char *dst, size_t dstlen, const char *p, size_t len)
{
	while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == '\n'))
		len--;
	snprintf(dst, dstlen, "%.*s", (int)len, p);
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	reply_t *r = arg;
	size_t len = size * n;
	if (len > 14 && strncasecmp(p, "Content-Type: ", 14) == 0)
		copy_header(r->type, sizeof(r->type), p + 14, len - 14);
	if (len > 7 && strncasecmp(p, "Allow: ", 7) == 0)
		copy_header(r->allow, sizeof(r->allow), p + 7, len - 7);
	return len;
}

typedef struct {
	const char *data;
	size_t len;
	size_t pos;
} upload_t;

static size_t
on_read(char *buf, size_t size, size_t n, void *arg)
{
	upload_t *u = arg;
	size_t take = size * n;
	if (take > u->len - u->pos)
		take = u->len - u->pos;
	memcpy(buf, u->data + u->pos, take);
	u->pos += take;
	return take;
}

/* method NULL: GET. chunked: send body without a Content-Length. */
static CURLcode
request(fixture_t *f, const char *method, const char *path, const char *body, size_t len,
        bool chunked, const char *auth, reply_t *r)
{
	memset(r, 0, sizeof(*r));
	char url[256];
	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", (unsigned)httpd_port(f->server), path);
	CURL *c = curl_easy_init();
	assert_non_null(c);
	struct curl_slist *headers = NULL;
	upload_t up = {body, len, 0};
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	if (method != NULL && strcmp(method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(c, CURLOPT_READDATA, &up);
		if (chunked)
			headers = curl_slist_append(headers, "Transfer-Encoding: chunked");
		else
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		headers = curl_slist_append(headers, "Content-Type: application/json");
	} else if (method != NULL && strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (method != NULL) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	}
	if (auth != NULL)
		headers = curl_slist_append(headers, auth);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	CURLcode rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(headers);
	curl_easy_cleanup(c);
	return rc;
}

static void
get(fixture_t *f, const char *path, reply_t *r)
{
	assert_int_equal(request(f, NULL, path, NULL, 0, false, NULL, r), CURLE_OK);
}

/* ---- tests ------------------------------------------------------------------ */

/* The stream: its events with their ids, then a reader behind the ring is
 * cut with a resync naming its cursor and the stream ends; Last-Event-ID
 * wins over ?cursor=; bad input is refused. */
static void
test_events_stream(void **state)
{
	fixture_t *f = *state;
	reply_t r;
	get(f, "/v1/events", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.type, "text/event-stream");
	r.body[r.len] = '\0';
	assert_non_null(strstr(r.body, "retry: 1000\n\nid: 1\nevent: output\n"));
	assert_non_null(strstr(r.body, "event: resync\ndata: {\"cursor\":1}\n\n"));
	assert_int_equal(f->st.sse_first, 0);

	f->st.sse_reads = 0;
	assert_int_equal(
	    request(f, NULL, "/v1/events?cursor=3", NULL, 0, false, "Last-Event-ID: 7", &r),
	    CURLE_OK);
	r.body[r.len] = '\0';
	assert_int_equal(f->st.sse_first, 7);
	assert_non_null(strstr(r.body, "event: resync\ndata: {\"cursor\":7}"));

	get(f, "/v1/events?cursor=x1", &r);
	assert_int_equal(r.status, 400);
	r.body[r.len] = '\0';
	assert_non_null(strstr(r.body, "cursor=x1: not a cursor"));
	get(f, "/v1/events?run=nope", &r);
	assert_int_equal(r.status, 404);
}

static void
test_healthz(void **state)
{
	fixture_t *f = *state;
	reply_t r;
	get(f, "/healthz", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "ok leader\n");
	get(f, "/healthz?role=leader", &r);
	assert_int_equal(r.status, 200);
	f->st.follower = true;
	get(f, "/healthz", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "ok follower\n");
	get(f, "/healthz?role=leader", &r);
	assert_int_equal(r.status, 503);
	assert_string_equal(r.body, "not the leader: a follower\n");
	f->st.follower = false;
	f->st.healthy = false;
	get(f, "/healthz", &r);
	assert_int_equal(r.status, 503);
	assert_string_equal(r.body, "store not writable: disk full\n");
	assert_string_equal(r.type, "text/plain; charset=utf-8");
}

static void
test_metrics(void **state)
{
	fixture_t *f = *state;
	reply_t r;
	get(f, "/metrics", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.type, "text/plain; version=0.0.4; charset=utf-8");
	assert_non_null(strstr(r.body, "rota_workers_connected 3\n"));
	/* HEAD: the status and headers, no body */
	assert_int_equal(request(f, "HEAD", "/metrics", NULL, 0, false, NULL, &r), CURLE_OK);
	assert_int_equal(r.status, 200);
}

static void
test_alerts_reach_the_handler(void **state)
{
	fixture_t *f = *state;
	reply_t r;
	const char *body = "{\"version\":\"4\",\"status\":\"firing\",\"alerts\":[]}";
	assert_int_equal(
	    request(f, "POST", "/v1/alerts/alertmanager", body, strlen(body), false, NULL, &r),
	    CURLE_OK);
	assert_int_equal(r.status, 202);
	assert_string_equal(r.body, "{\"accepted\":1}");
	assert_string_equal(r.type, "application/json");
	assert_int_equal(f->st.alert_calls, 1);
	assert_int_equal(f->st.last_len, strlen(body));
	assert_string_equal(f->st.last_body, body);

	/* A body of many reads, chunked, arrives whole (and one byte short
	 * of the cap is fine). */
	size_t big = HTTPD_BODY_MAX_BYTES;
	char *data = malloc(big);
	for (size_t i = 0; i < big; i++)
		data[i] = (char)('a' + i % 26);
	assert_int_equal(request(f, "POST", "/v1/alerts/alertmanager", data, big, true, NULL, &r),
	                 CURLE_OK);
	assert_int_equal(r.status, 202);
	assert_int_equal(f->st.last_len, big);
	assert_memory_equal(f->st.last_body, data, big);
	free(data);

	/* An empty body reaches the handler too (it answers 400, not us). */
	assert_int_equal(request(f, "POST", "/v1/alerts/alertmanager", "", 0, false, NULL, &r),
	                 CURLE_OK);
	assert_int_equal(r.status, 202);
	assert_int_equal(f->st.last_len, 0);
	assert_int_equal(f->st.alert_calls, 3);
}

static void
test_not_found_and_methods(void **state)
{
	fixture_t *f = *state;
	reply_t r;
	get(f, "/nope", &r);
	assert_int_equal(r.status, 404);
	/* The console's pages are httpd's own, with or without a web handler. */
	get(f, "/", &r);
	assert_int_equal(r.status, 200);
	get(f, "/metrics/", &r);
	assert_int_equal(r.status, 404);
	get(f, "/v1/alerts/alertmanager", &r);
	assert_int_equal(r.status, 405);
	assert_string_equal(r.allow, "POST");
	assert_int_equal(request(f, "POST", "/metrics", "x", 1, false, NULL, &r), CURLE_OK);
	assert_int_equal(r.status, 405);
	assert_string_equal(r.allow, "GET, HEAD");
	assert_int_equal(request(f, "DELETE", "/healthz", NULL, 0, false, NULL, &r), CURLE_OK);
	assert_int_equal(r.status, 405);
	assert_int_equal(request(f, "PUT", "/v1/alerts/alertmanager", NULL, 0, false, NULL, &r),
	                 CURLE_OK);
	assert_int_equal(r.status, 405);
	assert_int_equal(f->st.alert_calls, 0);
}

static void
test_too_large(void **state)
{
	fixture_t *f = *state;
	reply_t r;
	size_t big = HTTPD_BODY_MAX_BYTES + 1;
	char *data = calloc(1, big);
	memset(data, ' ', big);
	/* With a Content-Length: refused before the body is read. curl may
	 * see the connection close while it still sends; the status is what
	 * counts. */
	request(f, "POST", "/v1/alerts/alertmanager", data, big, false, NULL, &r);
	assert_int_equal(r.status, 413);
	/* Chunked: read, dropped, then refused. */
	request(f, "POST", "/v1/alerts/alertmanager", data, big, true, NULL, &r);
	assert_int_equal(r.status, 413);
	assert_int_equal(f->st.alert_calls, 0);
	free(data);
	/* The server is fine afterwards. */
	get(f, "/healthz", &r);
	assert_int_equal(r.status, 200);
}

/* A client that sends half a request and waits holds one connection, not
 * the loop: others are served meanwhile. */
static void
test_slow_client_does_not_block(void **state)
{
	fixture_t *f = *state;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(httpd_port(f->server))};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	const char *half =
	    "POST /v1/alerts/alertmanager HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{";
	assert_int_equal(write(fd, half, strlen(half)), (ssize_t)strlen(half));
	reply_t r;
	get(f, "/healthz", &r);
	assert_int_equal(r.status, 200);
	get(f, "/metrics", &r);
	assert_int_equal(r.status, 200);
	close(fd);
	assert_int_equal(f->st.alert_calls, 0);
}

static void
test_token(void **state)
{
	(void)state;
	fixture_t *f = fixture_start("s3cret-token");
	reply_t r;
	const char *body = "{}";
	request(f, "POST", "/v1/alerts/alertmanager", body, 2, false, NULL, &r);
	assert_int_equal(r.status, 401);
	request(f, "POST", "/v1/alerts/alertmanager", body, 2, false,
	        "Authorization: Bearer wrong-token!", &r);
	assert_int_equal(r.status, 401);
	request(f, "POST", "/v1/alerts/alertmanager", body, 2, false,
	        "Authorization: Bearer s3cret-token", &r);
	assert_int_equal(r.status, 202);
	assert_int_equal(f->st.alert_calls, 1);
	/* /metrics and /healthz stay open to scrapers. */
	get(f, "/healthz", &r);
	assert_int_equal(r.status, 200);
	fixture_stop(f);

	/* Unless http_protect_metrics says otherwise. */
	f = fixture_start_ex("s3cret-token", true);
	get(f, "/healthz", &r);
	assert_int_equal(r.status, 401);
	get(f, "/metrics", &r);
	assert_int_equal(r.status, 401);
	request(f, "GET", "/metrics", NULL, 0, false, "Authorization: Bearer s3cret-token", &r);
	assert_int_equal(r.status, 200);
	request(f, "POST", "/v1/alerts/alertmanager", body, 2, false, NULL, &r);
	assert_int_equal(r.status, 401);
	fixture_stop(f);
}

/* Writes text to a new file of mode in dir; returns its path (caller frees). */
static char *
token_file(const char *dir, const char *name, const char *text, mode_t mode)
{
	char *path = NULL;
	assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	return path;
}

/* A stream of one run: events 1 and `last` of its run, the rest other
 * runs' events; what its wakes asked. Touched by the server's thread only,
 * read by the test once the stream is over. */
typedef struct {
	uint64_t published, last;
	atomic_int texts, news, step;
	atomic_int texts_after_quiet; /* texts read after wakes without news */
} run_stream_t;

static int
on_run_open(void *ctx, const char *run_text, char **run, char **why)
{
	(void)ctx;
	(void)why;
	*run = strdup(run_text);
	return 0;
}

static int
on_run_text(void *ctx, const char *run, uint64_t cursor, bool catch_up, size_t max, char **text,
            uint64_t *next)
{
	run_stream_t *rs = ctx;
	(void)catch_up;
	(void)max;
	assert_string_equal(run, "r");
	atomic_fetch_add(&rs->texts, 1);
	*text = NULL;
	*next = rs->published;
	if (cursor < rs->last) {
		char line[96];
		snprintf(line, sizeof(line), "id: %llu\nevent: run\ndata: {}\n\n",
		         (unsigned long long)rs->last);
		*text = strdup(line);
	}
	return 0;
}

static bool
on_run_news(void *ctx, const char *run, uint64_t cursor, uint64_t *next)
{
	run_stream_t *rs = ctx;
	(void)run;
	atomic_fetch_add(&rs->news, 1);
	*next = cursor;
	return rs->last > cursor;
}

static uint64_t
on_run_last(void *ctx, const char *run)
{
	run_stream_t *rs = ctx;
	(void)run;
	return rs->last;
}

/* The coordinator's turns: once the stream waits (3 texts: its first
 * event, caught up, live), five commits of other runs' events, then one
 * of its run's. */
static void
run_stream_turn(fixture_t *f)
{
	run_stream_t *rs = f->turn_ctx;
	int step = atomic_load(&rs->step);
	if (step == 0 && atomic_load(&rs->texts) < 3)
		return;
	if (step < 5) {
		rs->published += 10;
	} else if (step == 5) {
		atomic_store(&rs->texts_after_quiet, atomic_load(&rs->texts));
		rs->last = rs->published = rs->published + 1;
	} else
		return;
	atomic_store(&rs->step, step + 1);
	httpd_sse_wake(f->server);
}

/* A waiting stream of one run is woken when its run's newest event
 * changed, asked once for the run, not once for each stream (events_news
 * is never asked while events_last knows), and not woken by other runs'
 * commits; it gets its run's event, and it still ends at its life's end
 * while it waits (the keepalive walk only when one is due). */
static void
test_events_wake_by_run(void **state)
{
	(void)state;
	run_stream_t rs = {.published = 1, .last = 1};
	fixture_t *f = calloc(1, sizeof(*f));
	httpd_handlers_t h = {.events_open = on_run_open,
	                      .events_text = on_run_text,
	                      .events_news = on_run_news,
	                      .events_last = on_run_last,
	                      .ctx = &rs,
	                      .request_deadline_ms = 2000};
	char *error = NULL;
	f->server = httpd_start("127.0.0.1:0", &h, &error);
	if (f->server == NULL)
		fail_msg("httpd_start: %s", error);
	f->turn = run_stream_turn;
	f->turn_ctx = &rs;
	assert_int_equal(pthread_create(&f->thread, NULL, serve, f), 0);
	reply_t r;
	get(f, "/v1/events?run=r", &r); /* ends after 1 s: half the deadline */
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "id: 1\nevent: run\n"));
	assert_non_null(strstr(r.body, "id: 52\nevent: run\n"));
	assert_int_equal(atomic_load(&rs.step), 6);
	assert_int_equal(atomic_load(&rs.texts_after_quiet), 3);
	assert_int_equal(atomic_load(&rs.news), 0);
	fixture_stop(f);
}

static void
test_read_token(void **state)
{
	(void)state;
	char dir[] = "/tmp/rota-token.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *token = NULL, *error = NULL;
	char *ok = token_file(dir, "ok", "0123456789abcdef-XYZ\n", 0600);
	assert_int_equal(httpd_read_token(ok, &token, &error), 0);
	assert_string_equal(token, "0123456789abcdef-XYZ");
	free(token);
	char *open_ = token_file(dir, "open", "0123456789abcdef-XYZ\n", 0644);
	assert_int_equal(httpd_read_token(open_, &token, &error), -1);
	assert_non_null(strstr(error, "chmod 600"));
	free(error);
	char *shrt = token_file(dir, "short", "abc\n", 0600);
	assert_int_equal(httpd_read_token(shrt, &token, &error), -1);
	assert_non_null(strstr(error, "is 3 characters; use at least 16"));
	free(error);
	char *space = token_file(dir, "space", "0123456789 abcdef\n", 0600);
	assert_int_equal(httpd_read_token(space, &token, &error), -1);
	assert_non_null(strstr(error, "offset 10"));
	free(error);
	char *missing = NULL;
	assert_true(asprintf(&missing, "%s/missing", dir) > 0);
	assert_int_equal(httpd_read_token(missing, &token, &error), -1);
	assert_non_null(strstr(error, "No such file"));
	free(error);
	char *files[] = {ok, open_, shrt, space, missing};
	for (size_t i = 0; i < 5; i++) {
		unlink(files[i]);
		free(files[i]);
	}
	rmdir(dir);
}

static void
test_parse_addr(void **state)
{
	(void)state;
	static const struct {
		const char *text, *host;
		int port;
	} good[] = {
	    {"127.0.0.1:7480", "127.0.0.1", 7480},
	    {"[::1]:7480", "::1", 7480},
	    {":7480", "", 7480},
	    {"rota.internal.example:0", "rota.internal.example", 0},
	    {"0.0.0.0:65535", "0.0.0.0", 65535},
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char *host = NULL, *error = NULL;
		uint16_t port = 1;
		if (httpd_parse_addr(good[i].text, &host, &port, &error) != 0)
			fail_msg("%s: %s", good[i].text, error);
		assert_string_equal(host, good[i].host);
		assert_int_equal(port, good[i].port);
		free(host);
	}
	static const char *const bad[] = {
	    "7480",    "off",       "127.0.0.1", "127.0.0.1:", "::1:7480", "[::1]",
	    "[]:7480", "[::1]7480", "h:65536",   "h:-1",       "h:80x",    "h:000080"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *host = NULL, *error = NULL;
		uint16_t port;
		if (httpd_parse_addr(bad[i], &host, &port, &error) == 0)
			fail_msg("%s: accepted", bad[i]);
		assert_null(host);
		assert_non_null(strstr(error, bad[i]));
		free(error);
	}
	assert_true(httpd_addr_is_loopback("127.0.0.1"));
	assert_true(httpd_addr_is_loopback("::1"));
	assert_true(httpd_addr_is_loopback("localhost"));
	assert_false(httpd_addr_is_loopback(""));
	assert_false(httpd_addr_is_loopback("10.0.0.1"));
	/* Only a numeric 127.0.0.0/8 or ::1, or the name localhost: a name
	 * that merely starts like one may resolve anywhere. */
	assert_true(httpd_addr_is_loopback("127.255.3.4"));
	assert_true(httpd_addr_is_loopback("0:0:0:0:0:0:0:1"));
	const char *not_loopback[] = {"127.evil.example",
	                              "127.0.0.1.evil.example",
	                              "127.",
	                              "127.0.0.256",
	                              "localhost.evil",
	                              "localhostx",
	                              "::1x",
	                              "128.0.0.1",
	                              "::2",
	                              "::"};
	for (size_t i = 0; i < sizeof(not_loopback) / sizeof(not_loopback[0]); i++)
		if (httpd_addr_is_loopback(not_loopback[i]))
			fail_msg("%s: taken for loopback", not_loopback[i]);
}

static void
test_start_errors(void **state)
{
	fixture_t *f = *state;
	httpd_handlers_t h = {
	    .alerts = on_alerts, .metrics = on_metrics, .healthy = on_healthy, .ctx = &f->st};
	char addr[64], *error = NULL;
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", (unsigned)httpd_port(f->server));
	httpd_t *s = httpd_start(addr, &h, &error);
	assert_null(s);
	assert_non_null(strstr(error, "cannot serve http on 127.0.0.1:"));
	free(error);
	error = NULL;
	assert_null(httpd_start("nonsense", &h, &error));
	assert_non_null(strstr(error, "expected HOST:PORT"));
	free(error);
	httpd_stop(&s); /* NULL is fine */
}

static void
test_ipv6_and_idle_timeout(void **state)
{
	(void)state;
	state_t st = {.healthy = true};
	httpd_handlers_t h = {
	    .alerts = on_alerts, .metrics = on_metrics, .healthy = on_healthy, .ctx = &st};
	char *error = NULL;
	httpd_t *s = httpd_start("[::1]:0", &h, &error);
	if (s == NULL) {
		/* A host without IPv6 loopback (some containers) cannot run it. */
		print_message("skipping IPv6: %s\n", error);
		free(error);
		return;
	}
	assert_true(httpd_port(s) != 0);
	/* Idle, with no connection: nothing is due. */
	assert_int_equal(httpd_timeout_ms(s), -1);
	httpd_run(s); /* harmless when nothing is ready */
	httpd_stop(&s);
}

int
main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_healthz, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_metrics, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_alerts_reach_the_handler, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_not_found_and_methods, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_too_large, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_slow_client_does_not_block, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_start_errors, setup, teardown),
	    cmocka_unit_test(test_token),
	    cmocka_unit_test_setup_teardown(test_events_stream, setup, teardown),
	    cmocka_unit_test(test_events_wake_by_run),
	    cmocka_unit_test(test_read_token),
	    cmocka_unit_test(test_parse_addr),
	    cmocka_unit_test(test_ipv6_and_idle_timeout),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
