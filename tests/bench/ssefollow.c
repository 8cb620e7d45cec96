/* rota-ssefollow: N Server-Sent Events clients of GET /v1/events in one
 * poll loop, for the sse scenario of tests/bench/run.sh.
 *
 *   rota-ssefollow HOST:PORT RUN N STOP_FILE [MAX_SECONDS [over]]
 *
 * Each client opens GET /v1/events?run=RUN over HTTP/1.1 (plain sockets,
 * chunked transfer read), counts the stream's bytes and events, and when
 * the stream ends (the coordinator's request deadline, or a resync after
 * falling behind the events kept in memory) comes back with Last-Event-ID
 * set to the last id it saw, as a browser's EventSource does. The clients
 * stop when STOP_FILE exists (looked at every 100 ms) or after
 * MAX_SECONDS (600), or, with "over", once every client has read the
 * run's last event (its `run` event with "over":true); then one line goes
 * to stdout:
 *
 *   bytes events resyncs streams cpu_s
 *
 * (cpu_s: this process's own CPU, user + system, in seconds.)
 *
 * One process, no threads, a few KiB per client: the followers' own CPU is
 * small beside the coordinator's, so what the throughput loses beside them
 * is what serving them costs the coordinator, not the followers' share of
 * the cores. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SSEFOLLOW_MAX_CLIENTS 1000
#define SSEFOLLOW_LINE 256 /* an SSE line's first bytes kept: ids and event names */
#define SSEFOLLOW_HEAD 4096
/* Clients connecting or waiting for their headers at once: a browser's
 * tabs do not open 100 streams in one instant, and the coordinator's limit
 * of connections from one address (16) counts a stream only once its
 * request is read, so a burst of 100 would cut its own oldest. */
#define SSEFOLLOW_PENDING 8
/* How long a client waits before coming back when its stream said no
 * "retry:" (EventSource's default is the browser's; rota sends 1000). */
#define SSEFOLLOW_RETRY_MS 1000

typedef enum {
	SF_CONNECTING,
	SF_HEAD,       /* the status line and headers */
	SF_CHUNK_SIZE, /* a chunk's size line */
	SF_CHUNK_DATA,
	SF_CHUNK_END, /* the CRLF after a chunk's data */
	SF_CLOSED,
} sf_state_t;

typedef struct {
	int fd;
	sf_state_t state;
	char head[SSEFOLLOW_HEAD];
	size_t head_len;
	char size_line[32];
	size_t size_len;
	uint64_t chunk_left;
	char line[SSEFOLLOW_LINE]; /* the SSE line being read (its first bytes) */
	size_t line_len;
	bool line_long;
	bool has_data;  /* the event being read has a line */
	bool run_event; /* the event being read is an "event: run" */
	bool over;      /* read the followed run's last event */
	uint64_t last_id;
	uint64_t retry_ms;    /* the stream's "retry:", as EventSource waits */
	uint64_t retry_at_ms; /* a refused or failed stream: when to try again */
} sf_client_t;

static struct sockaddr_in sf_addr;
static char sf_request_path[512];
static uint64_t sf_bytes, sf_events, sf_resyncs, sf_streams, sf_failed;
static int sf_pending; /* clients in SF_CONNECTING or SF_HEAD */
static int sf_over;    /* clients that read the run's last event */

static uint64_t
sf_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
sf_close(sf_client_t *c, uint64_t retry_in_ms)
{
	if (c->state == SF_CONNECTING || c->state == SF_HEAD) {
		sf_pending--;
		sf_failed++;
	}
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->state = SF_CLOSED;
	c->retry_at_ms = sf_now_ms() + retry_in_ms;
}

static void
sf_open(sf_client_t *c)
{
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		perror("ssefollow: socket");
		exit(1);
	}
	c->state = SF_CONNECTING;
	sf_pending++;
	c->head_len = c->size_len = c->line_len = 0;
	c->line_long = c->has_data = false;
	if (connect(c->fd, (struct sockaddr *)&sf_addr, sizeof(sf_addr)) != 0 &&
	    errno != EINPROGRESS)
		sf_close(c, SSEFOLLOW_RETRY_MS);
}

/* The request, once connected: small, so one write takes it whole. */
static void
sf_send_request(sf_client_t *c)
{
	char req[1024];
	int n = snprintf(req, sizeof(req),
	                 "GET %s HTTP/1.1\r\nHost: %s:%u\r\nAccept: text/event-stream\r\n"
	                 "Last-Event-ID: %" PRIu64 "\r\n\r\n",
	                 sf_request_path, inet_ntoa(sf_addr.sin_addr),
	                 (unsigned)ntohs(sf_addr.sin_port), c->last_id);
	if (write(c->fd, req, (size_t)n) != n) {
		sf_close(c, SSEFOLLOW_RETRY_MS);
		return;
	}
	c->state = SF_HEAD;
}

/* One whole SSE line (its first bytes in c->line). */
static void
sf_line(sf_client_t *c)
{
	if (c->line_len == 0) {
		if (c->has_data)
			sf_events++;
		c->has_data = c->run_event = false;
		return;
	}
	c->line[c->line_len < SSEFOLLOW_LINE ? c->line_len : SSEFOLLOW_LINE - 1] = '\0';
	/* An event is a block with data (a "retry:" or a comment alone is
	 * none, as EventSource dispatches none for it). */
	if (strncmp(c->line, "data:", 5) == 0)
		c->has_data = true;
	if (strncmp(c->line, "id: ", 4) == 0)
		c->last_id = strtoull(c->line + 4, NULL, 10);
	else if (strcmp(c->line, "event: resync") == 0)
		sf_resyncs++;
	else if (strcmp(c->line, "event: run") == 0)
		c->run_event = true;
	else if (c->run_event && !c->over && strncmp(c->line, "data: ", 6) == 0 &&
	         strstr(c->line, "\"over\":true") != NULL) {
		c->over = true;
		sf_over++;
	} else if (strncmp(c->line, "retry: ", 7) == 0)
		c->retry_ms = strtoull(c->line + 7, NULL, 10);
}

/* Body bytes: SSE lines. By memchr: a 16 KiB data line is skipped, not
 * looked at a byte at a time (that loop was most of this process's CPU,
 * taken from the cores the coordinator shares with it). */
static void
sf_body(sf_client_t *c, const char *p, size_t n)
{
	sf_bytes += n;
	while (n > 0) {
		const char *nl = memchr(p, '\n', n);
		size_t len = nl != NULL ? (size_t)(nl - p) : n;
		size_t room = SSEFOLLOW_LINE - 1 - c->line_len;
		size_t keep = len < room ? len : room;
		memcpy(c->line + c->line_len, p, keep);
		c->line_len += keep;
		if (nl == NULL)
			return;
		sf_line(c);
		c->line_len = 0;
		p = nl + 1;
		n -= len + 1;
	}
}

/* The status line and headers: 200 and chunked, or the stream is dropped
 * (and tried again a second later, as EventSource would not: a bench
 * wants to see it in the counts, so it is said). Returns the bytes of p
 * taken; -1: closed. */
static ssize_t
sf_head(sf_client_t *c, const char *p, size_t n)
{
	size_t take = 0;
	while (take < n && c->head_len < SSEFOLLOW_HEAD - 1) {
		c->head[c->head_len++] = p[take++];
		if (c->head_len >= 4 && memcmp(c->head + c->head_len - 4, "\r\n\r\n", 4) == 0)
			break;
	}
	c->head[c->head_len] = '\0';
	if (c->head_len < 4 || memcmp(c->head + c->head_len - 4, "\r\n\r\n", 4) != 0) {
		if (c->head_len >= SSEFOLLOW_HEAD - 1) {
			fprintf(stderr, "ssefollow: headers too long\n");
			sf_close(c, 1000);
			return -1;
		}
		return (ssize_t)take;
	}
	if (strncmp(c->head, "HTTP/1.1 200", 12) != 0) {
		char *eol = strchr(c->head, '\r');
		fprintf(stderr, "ssefollow: refused: %.*s\n", (int)(eol ? eol - c->head : 40),
		        c->head);
		sf_close(c, 1000);
		return -1;
	}
	if (strcasestr(c->head, "transfer-encoding: chunked") == NULL) {
		fprintf(stderr, "ssefollow: the answer is not chunked\n");
		sf_close(c, 1000);
		return -1;
	}
	c->state = SF_CHUNK_SIZE;
	sf_pending--;
	sf_streams++;
	return (ssize_t)take;
}

/* What one read brought. */
static void
sf_feed(sf_client_t *c, const char *p, size_t n)
{
	while (n > 0 && c->state != SF_CLOSED) {
		switch (c->state) {
		case SF_HEAD: {
			ssize_t t = sf_head(c, p, n);
			if (t < 0)
				return;
			p += t;
			n -= (size_t)t;
			break;
		}
		case SF_CHUNK_SIZE:
			if (*p == '\n') {
				c->size_line[c->size_len] = '\0';
				c->chunk_left = strtoull(c->size_line, NULL, 16);
				c->size_len = 0;
				if (c->chunk_left == 0) {
					/* The stream's end: back from the last id,
					 * after the retry the stream asked for. */
					sf_close(c, c->retry_ms);
					return;
				}
				c->state = SF_CHUNK_DATA;
			} else if (c->size_len < sizeof(c->size_line) - 1) {
				c->size_line[c->size_len++] = *p;
			}
			p++;
			n--;
			break;
		case SF_CHUNK_DATA: {
			size_t t = n < c->chunk_left ? n : (size_t)c->chunk_left;
			sf_body(c, p, t);
			c->chunk_left -= t;
			p += t;
			n -= t;
			if (c->chunk_left == 0)
				c->state = SF_CHUNK_END;
			break;
		}
		case SF_CHUNK_END:
			if (*p == '\n')
				c->state = SF_CHUNK_SIZE;
			p++;
			n--;
			break;
		default:
			return;
		}
	}
}

static void
sf_readable(sf_client_t *c)
{
	char buf[65536];
	for (;;) {
		ssize_t n = read(c->fd, buf, sizeof(buf));
		if (n > 0) {
			sf_feed(c, buf, (size_t)n);
			if (c->state == SF_CLOSED || (size_t)n < sizeof(buf))
				return;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		/* EOF or an error: back from the last id. */
		sf_close(c, c->retry_ms);
		return;
	}
}

int
main(int argc, char **argv)
{
	if (argc < 5 || argc > 7 || (argc == 7 && strcmp(argv[6], "over") != 0)) {
		fprintf(stderr,
		        "usage: rota-ssefollow HOST:PORT RUN N STOP_FILE [MAX_SECONDS [over]]\n");
		return 2;
	}
	bool until_over = argc == 7;
	char host[64];
	const char *colon = strrchr(argv[1], ':');
	if (colon == NULL || (size_t)(colon - argv[1]) >= sizeof(host)) {
		fprintf(stderr, "ssefollow: '%s': give HOST:PORT\n", argv[1]);
		return 2;
	}
	memcpy(host, argv[1], (size_t)(colon - argv[1]));
	host[colon - argv[1]] = '\0';
	sf_addr.sin_family = AF_INET;
	sf_addr.sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &sf_addr.sin_addr) != 1) {
		fprintf(stderr, "ssefollow: '%s': not an IPv4 address\n", host);
		return 2;
	}
	snprintf(sf_request_path, sizeof(sf_request_path), "/v1/events?run=%s", argv[2]);
	int n = atoi(argv[3]);
	if (n < 1 || n > SSEFOLLOW_MAX_CLIENTS) {
		fprintf(stderr, "ssefollow: N: 1 to %d\n", SSEFOLLOW_MAX_CLIENTS);
		return 2;
	}
	const char *stop = argv[4];
	uint64_t ends = sf_now_ms() + 1000 * (uint64_t)(argc >= 6 ? atoi(argv[5]) : 600);

	sf_client_t *cs = calloc((size_t)n, sizeof(*cs));
	struct pollfd *pfd = calloc((size_t)n, sizeof(*pfd));
	if (cs == NULL || pfd == NULL)
		return 1;
	for (int i = 0; i < n; i++) {
		cs[i].fd = -1;
		cs[i].state = SF_CLOSED;
		cs[i].retry_ms = SSEFOLLOW_RETRY_MS;
	}
	uint64_t looked = 0;
	for (;;) {
		uint64_t now = sf_now_ms();
		if (now >= ends || (until_over && sf_over == n))
			break;
		if (now - looked >= 100) {
			struct stat sb;
			if (stat(stop, &sb) == 0)
				break;
			looked = now;
		}
		for (int i = 0; i < n; i++) {
			sf_client_t *c = &cs[i];
			if (c->state == SF_CLOSED && now >= c->retry_at_ms &&
			    sf_pending < SSEFOLLOW_PENDING)
				sf_open(c);
			pfd[i].fd = c->state == SF_CLOSED ? -1 : c->fd;
			pfd[i].events = c->state == SF_CONNECTING ? POLLOUT : POLLIN;
			pfd[i].revents = 0;
		}
		int rc = poll(pfd, (nfds_t)n, 100);
		if (rc < 0 && errno != EINTR) {
			perror("ssefollow: poll");
			return 1;
		}
		for (int i = 0; i < n && rc > 0; i++) {
			sf_client_t *c = &cs[i];
			if (pfd[i].revents == 0 || c->state == SF_CLOSED)
				continue;
			if (c->state == SF_CONNECTING) {
				int err = 0;
				socklen_t len = sizeof(err);
				getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
				if (err != 0)
					sf_close(c, c->retry_ms);
				else
					sf_send_request(c);
				continue;
			}
			sf_readable(c);
		}
	}
	for (int i = 0; i < n; i++)
		if (cs[i].fd >= 0)
			close(cs[i].fd);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
	             ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
	printf("%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %.2f\n", sf_bytes, sf_events,
	       sf_resyncs, sf_streams, cpu);
	if (sf_failed > 0)
		fprintf(stderr,
		        "ssefollow: %" PRIu64 " connections closed or refused before a stream\n",
		        sf_failed);
	free(cs);
	free(pfd);
	return 0;
}
