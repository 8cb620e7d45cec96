/* rota-testhttp: a small HTTP server for integration tests of the built-in
 * checks, where neither python3 nor any other server can be assumed.
 *
 *   rota-testhttp PORTFILE [DIR]
 *                            serves on an ephemeral 127.0.0.1 port, writes
 *                            the port number to PORTFILE (atomically, once
 *                            listening), and runs until SIGTERM or SIGINT.
 *
 * Routes (any method):
 *   /health   200 "ok"
 *   /down     503 "service unavailable"
 *   /body     200 "hello from rota-testhttp"
 *   /slow     200 after 3 s (for timeouts)
 *   /metrics  200, Prometheus text format (see metrics_text below)
 *   /countdown 200 to the first 3 requests, then 503 (a service that goes
 *             bad while a check holds: hold's tests)
 *   /file/NAME with DIR: 200 and the file DIR/NAME as it is now, 503 when
 *             it does not exist: a service a test (or a runbook's command
 *             under test) brings up, takes down, deploys a version to or
 *             changes a metric of by writing a file. NAME is one file
 *             name (A-Z a-z 0-9 . _ -, not starting with '.')
 *   else      404
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "publish.h"

static const char metrics_text[] = "# HELP errors_total Errors served.\n"
                                   "# TYPE errors_total counter\n"
                                   "errors_total{job=\"api\"} 3\n"
                                   "errors_total{job=\"db\"} 12\n"
                                   "http_requests_total{code=\"500\",instance=\"a\"} 7\n"
                                   "http_requests_total{code=\"500\",instance=\"b\"} 150\n"
                                   "queue_depth NaN\n";

static enum MHD_Result
respond(struct MHD_Connection *c, unsigned status, const char *body)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	enum MHD_Result rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static const char *files_dir; /* argv[2], or NULL: no /file/ routes */

/* The file DIR/NAME, for /file/NAME: 503 when it is missing, 404 for a
 * name that is not one plain file name. */
static enum MHD_Result
respond_file(struct MHD_Connection *c, const char *name)
{
	if (files_dir == NULL || name[0] == '\0' || name[0] == '.' ||
	    strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") !=
	        strlen(name))
		return respond(c, 404, "not found\n");
	char path[4096];
	if (snprintf(path, sizeof(path), "%s/%s", files_dir, name) >= (int)sizeof(path))
		return respond(c, 404, "not found\n");
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return respond(c, 503, "down: no such file\n");
	char buf[65536];
	size_t len = 0;
	for (;;) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len == sizeof(buf))
			break;
	}
	close(fd);
	struct MHD_Response *r = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	enum MHD_Result rc = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
        const char *version, const char *upload, size_t *upload_len, void **con)
{
	static int seen;
	(void)cls;
	(void)method;
	(void)version;
	(void)upload;
	if (*con == NULL) { /* headers only: answer when the request is whole */
		*con = &seen;
		return MHD_YES;
	}
	if (*upload_len != 0) {
		*upload_len = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/health") == 0)
		return respond(c, 200, "ok\n");
	if (strcmp(url, "/down") == 0)
		return respond(c, 503, "service unavailable\n");
	if (strcmp(url, "/body") == 0)
		return respond(c, 200, "hello from rota-testhttp\n");
	if (strcmp(url, "/slow") == 0) {
		sleep(3);
		return respond(c, 200, "late\n");
	}
	if (strcmp(url, "/metrics") == 0)
		return respond(c, 200, metrics_text);
	if (strcmp(url, "/countdown") == 0) {
		/* one server thread per connection: the count is atomic */
		static int served;
		if (__atomic_fetch_add(&served, 1, __ATOMIC_SEQ_CST) < 3)
			return respond(c, 200, "ok\n");
		return respond(c, 503, "gone bad\n");
	}
	if (strncmp(url, "/file/", 6) == 0)
		return respond_file(c, url + 6);
	return respond(c, 404, "not found\n");
}

int
main(int argc, char **argv)
{
	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: rota-testhttp PORTFILE [DIR]\n");
		return 2;
	}
	files_dir = argc == 3 ? argv[2] : NULL;
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
	                     NULL, NULL, handler, NULL, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "rota-testhttp: cannot start the server\n");
		return 1;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	if (info == NULL || info->port == 0 || publish_port(argv[1], info->port) != 0) {
		fprintf(stderr, "rota-testhttp: cannot write %s: %s\n", argv[1], strerror(errno));
		MHD_stop_daemon(d);
		return 1;
	}
	int sig = 0;
	while (sigwait(&stop, &sig) != 0)
		;
	MHD_stop_daemon(d);
	return 0;
}
