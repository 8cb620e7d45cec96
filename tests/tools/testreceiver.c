/* rota-testreceiver: a webhook receiver for tests of notification delivery
 * and for `make demo`: it records what it is sent and fails on command.
 *
 *   rota-testreceiver PORTFILE RECORDFILE
 *
 * Serves on an ephemeral 127.0.0.1 port, writes the port number to
 * PORTFILE (atomically, once listening), and runs until SIGTERM or SIGINT.
 * Every request but /control is appended to RECORDFILE as one JSON line:
 *
 *   {"path", "method", "status", "ok", "idempotency_key", "body"}
 *
 * status is what it answered (0: no answer, it hung); ok is true when that
 * was a 2xx, so counting the ok lines counts deliveries. body is the
 * request body as a JSON string. One short line per request on stdout.
 *
 * POST /control with a command as its body changes the next answers:
 *   ok                          answer 200 "ok" again (the default)
 *   fail CODE N                 the next N requests get CODE, then 200
 *   fail CODE N retry-after S   ... with a Retry-After: S header
 *   fail CODE N retry-date S    ... with Retry-After as the HTTP-date S
 *                               seconds after the answer
 *   hang N                      the next N requests get no answer for 30 s
 *                               (or until shutdown), then the connection
 *                               is closed
 * It answers 200 "ok" or 400 with the reason. Bodies over 1 MiB get 413.
 *
 * Must never: let a hanging request hold up another request or shutdown. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "publish.h"

#define RECEIVER_BODY_MAX (1024 * 1024)
#define RECEIVER_HANG_S 30

/* What the next requests get; guarded by lock. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t stopping_cond = PTHREAD_COND_INITIALIZER;
static bool stopping;
static unsigned fail_status;
static long fail_count;
static long retry_after = -1; /* seconds; -1: no header */
static bool retry_as_date;    /* send it as an HTTP-date */
static long hang_count;
static int record_fd = -1;

/* A request's body as it arrives (MHD calls the handler per chunk). */
typedef struct {
	char *data; /* owned */
	size_t len;
	bool too_big;
} request_t;

static enum MHD_Result
respond(struct MHD_Connection *c, unsigned status, const char *body, long retry)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	if (retry >= 0) {
		char v[64];
		if (retry_as_date) {
			time_t t = time(NULL) + retry;
			struct tm tm;
			gmtime_r(&t, &tm);
			strftime(v, sizeof(v), "%a, %d %b %Y %H:%M:%S GMT", &tm);
		} else
			snprintf(v, sizeof(v), "%ld", retry);
		MHD_add_response_header(r, "Retry-After", v);
	}
	enum MHD_Result rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

/* Applies a /control command; NULL or the reason it was refused. */
static const char *
control(const char *cmd)
{
	char word[16] = "", extra[16] = "";
	unsigned code = 0;
	long n = 0, secs = -1;
	int got = sscanf(cmd, "%15s", word);
	if (got != 1)
		return "empty command";
	pthread_mutex_lock(&lock);
	const char *err = NULL;
	if (strcmp(word, "ok") == 0) {
		fail_count = hang_count = 0;
		retry_after = -1;
	} else if (strcmp(word, "fail") == 0) {
		got = sscanf(cmd, "%*s %u %ld %15s %ld", &code, &n, extra, &secs);
		if (got < 2 || code < 100 || code > 599 || n < 0 ||
		    (got >= 3 &&
		     ((strcmp(extra, "retry-after") != 0 && strcmp(extra, "retry-date") != 0) ||
		      got != 4 || secs < 0)))
			err = "usage: fail CODE N [retry-after|retry-date SECONDS]";
		else {
			fail_status = code;
			fail_count = n;
			retry_after = got == 4 ? secs : -1;
			retry_as_date = got == 4 && strcmp(extra, "retry-date") == 0;
		}
	} else if (strcmp(word, "hang") == 0) {
		if (sscanf(cmd, "%*s %ld", &n) != 1 || n < 0)
			err = "usage: hang N";
		else
			hang_count = n;
	} else
		err = "unknown command (ok, fail, hang)";
	pthread_mutex_unlock(&lock);
	return err;
}

/* Appends one record line; called with lock held so lines never interleave. */
static void
record(const char *path, const char *method, unsigned status, const char *key, const request_t *req)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "path", json_object_new_string(path));
	json_object_object_add(o, "method", json_object_new_string(method));
	json_object_object_add(o, "status", json_object_new_int((int)status));
	json_object_object_add(o, "ok", json_object_new_boolean(status >= 200 && status < 300));
	json_object_object_add(o, "idempotency_key", key ? json_object_new_string(key) : NULL);
	json_object_object_add(
	    o, "body", json_object_new_string_len(req->data ? req->data : "", (int)req->len));
	const char *line = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	                                                         JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t len = strlen(line);
	char *buf = malloc(len + 1); /* owned: one write, so a line is whole */
	if (buf != NULL) {
		memcpy(buf, line, len);
		buf[len] = '\n';
		if (write(record_fd, buf, len + 1) != (ssize_t)(len + 1))
			fprintf(stderr, "rota-testreceiver: cannot record: %s\n", strerror(errno));
		free(buf);
	}
	json_object_put(o);
	char answer[32];
	if (status == 0)
		snprintf(answer, sizeof(answer), "no answer (hang)");
	else
		snprintf(answer, sizeof(answer), "%u", status);
	printf("rota-testreceiver: %s %s -> %s%s%s\n", method, path, answer, key ? " " : "",
	       key ? key : "");
	fflush(stdout);
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
        const char *version, const char *upload, size_t *upload_len, void **con)
{
	(void)cls;
	(void)version;
	request_t *req = *con;
	if (req == NULL) { /* headers only: answer when the request is whole */
		req = calloc(1, sizeof(*req));
		if (req == NULL)
			return MHD_NO;
		*con = req;
		return MHD_YES;
	}
	if (*upload_len != 0) {
		if (req->len + *upload_len > RECEIVER_BODY_MAX)
			req->too_big = true;
		else {
			char *grown = realloc(req->data, req->len + *upload_len + 1);
			if (grown == NULL)
				return MHD_NO;
			req->data = grown;
			memcpy(req->data + req->len, upload, *upload_len);
			req->len += *upload_len;
			req->data[req->len] = '\0';
		}
		*upload_len = 0;
		return MHD_YES;
	}
	if (req->too_big)
		return respond(c, 413, "too big\n", -1);
	if (strcmp(url, "/control") == 0) {
		const char *err = control(req->data ? req->data : "");
		return err ? respond(c, 400, err, -1) : respond(c, 200, "ok\n", -1);
	}

	const char *key = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Idempotency-Key");
	pthread_mutex_lock(&lock);
	unsigned status = 200;
	long retry = -1;
	bool hang = false;
	if (hang_count > 0) {
		hang_count--;
		hang = true;
		status = 0;
	} else if (fail_count > 0) {
		fail_count--;
		status = fail_status;
		retry = retry_after;
	}
	record(url, method, status, key, req);
	if (hang) {
		/* Each connection has its own thread: waiting here holds up no
		 * other request, and shutdown wakes it. */
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += RECEIVER_HANG_S;
		while (!stopping &&
		       pthread_cond_timedwait(&stopping_cond, &lock, &until) != ETIMEDOUT)
			;
		pthread_mutex_unlock(&lock);
		return MHD_NO; /* closes the connection without an answer */
	}
	pthread_mutex_unlock(&lock);
	return respond(c, status, status >= 200 && status < 300 ? "ok\n" : "failing on command\n",
	               retry);
}

static void
completed(void *cls, struct MHD_Connection *c, void **con, enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	request_t *req = *con;
	if (req != NULL) {
		free(req->data);
		free(req);
		*con = NULL;
	}
}

int
main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: rota-testreceiver PORTFILE RECORDFILE\n");
		return 2;
	}
	record_fd = open(argv[2], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (record_fd < 0) {
		fprintf(stderr, "rota-testreceiver: cannot open %s: %s\n", argv[2],
		        strerror(errno));
		return 1;
	}
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	/* Blocked before the server's threads start, so they inherit it and
	 * only sigwait below sees the signals. */
	sigprocmask(SIG_BLOCK, &stop, NULL);

	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct MHD_Daemon *d =
	    MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0,
	                     NULL, NULL, handler, NULL, MHD_OPTION_SOCK_ADDR, &sa,
	                     MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "rota-testreceiver: cannot start the server\n");
		return 1;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	if (info == NULL || info->port == 0 || publish_port(argv[1], info->port) != 0) {
		fprintf(stderr, "rota-testreceiver: cannot write %s: %s\n", argv[1],
		        strerror(errno));
		MHD_stop_daemon(d);
		return 1;
	}
	int sig = 0;
	sigwait(&stop, &sig);
	pthread_mutex_lock(&lock);
	stopping = true;
	pthread_cond_broadcast(&stopping_cond);
	pthread_mutex_unlock(&lock);
	MHD_stop_daemon(d);
	close(record_fd);
	return 0;
}
