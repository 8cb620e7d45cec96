/* rota-testsmtp: a small SMTP receiver for tests of e-mail delivery.
 *
 *   rota-testsmtp PORTFILE MAILFILE
 *
 * Listens on an ephemeral 127.0.0.1 port, writes the port number to
 * PORTFILE (atomically, once listening), and takes messages one
 * connection at a time until SIGTERM or SIGINT: EHLO/HELO, MAIL FROM,
 * RCPT TO, DATA, RSET, NOOP, QUIT. Each message is appended to MAILFILE
 * as "MAIL FROM:<a>", one "RCPT TO:<b>" line per recipient, the message
 * as received (dot-stuffing undone), and a line "--END--". Anything else
 * is answered 502. A connection silent for 10 s is closed.
 *
 * Must never: hang on a client that stops talking (the read timeout). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "publish.h"

#define SMTP_LINE_MAX 4096

static volatile sig_atomic_t stopping;

static void
on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

/* One line (CRLF or LF stripped) into line; -1 at EOF or timeout. */
static int
read_line(FILE *in, char *line, size_t len)
{
	if (fgets(line, (int)len, in) == NULL)
		return -1;
	size_t n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	return 0;
}

static void
reply(FILE *out, const char *text)
{
	fprintf(out, "%s\r\n", text);
	fflush(out);
}

static void
serve(int fd, const char *mailfile)
{
	struct timeval tv = {.tv_sec = 10};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	FILE *in = fdopen(fd, "r");
	FILE *out = fdopen(dup(fd), "w");
	if (in == NULL || out == NULL)
		goto done;
	char line[SMTP_LINE_MAX];
	char from[SMTP_LINE_MAX] = "";
	char rcpts[4 * SMTP_LINE_MAX] = "";
	reply(out, "220 rota-testsmtp ready");
	while (read_line(in, line, sizeof(line)) == 0) {
		if (strncasecmp(line, "EHLO", 4) == 0) {
			reply(out, "250-rota-testsmtp");
			reply(out, "250 8BITMIME");
		} else if (strncasecmp(line, "HELO", 4) == 0 || strncasecmp(line, "NOOP", 4) == 0) {
			reply(out, "250 ok");
		} else if (strncasecmp(line, "MAIL FROM:", 10) == 0) {
			snprintf(from, sizeof(from), "%s", line);
			rcpts[0] = '\0';
			reply(out, "250 ok");
		} else if (strncasecmp(line, "RCPT TO:", 8) == 0) {
			size_t used = strlen(rcpts), n = strlen(line);
			if (used + n + 2 <= sizeof(rcpts)) { /* more recipients are dropped */
				memcpy(rcpts + used, line, n);
				memcpy(rcpts + used + n, "\n", 2);
			}
			reply(out, "250 ok");
		} else if (strncasecmp(line, "RSET", 4) == 0) {
			from[0] = rcpts[0] = '\0';
			reply(out, "250 ok");
		} else if (strncasecmp(line, "DATA", 4) == 0) {
			if (from[0] == '\0' || rcpts[0] == '\0') {
				reply(out, "503 MAIL FROM and RCPT TO first");
				continue;
			}
			reply(out, "354 end with a line of one dot");
			FILE *mail = fopen(mailfile, "a");
			if (mail != NULL)
				fprintf(mail, "%s\n%s", from, rcpts);
			int got = 0;
			while ((got = read_line(in, line, sizeof(line))) == 0 &&
			       strcmp(line, ".") != 0)
				if (mail != NULL)
					fprintf(mail, "%s\n", line[0] == '.' ? line + 1 : line);
			if (mail != NULL) {
				fprintf(mail, "--END--\n");
				fclose(mail);
			}
			if (got != 0)
				break;
			printf("message from %s\n", from);
			fflush(stdout);
			reply(out, "250 ok: queued");
			from[0] = rcpts[0] = '\0';
		} else if (strncasecmp(line, "QUIT", 4) == 0) {
			reply(out, "221 bye");
			break;
		} else {
			reply(out, "502 not implemented");
		}
	}
done:
	if (in != NULL)
		fclose(in);
	else
		close(fd);
	if (out != NULL)
		fclose(out);
}

int
main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: rota-testsmtp PORTFILE MAILFILE\n");
		return 2;
	}
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t alen = sizeof(addr);
	if (ls < 0 || bind(ls, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(ls, 8) != 0 ||
	    getsockname(ls, (struct sockaddr *)&addr, &alen) != 0) {
		perror("rota-testsmtp: listen");
		return 1;
	}
	if (publish_port(argv[1], ntohs(addr.sin_port)) != 0)
		return 1;
	while (!stopping) {
		int fd = accept(ls, NULL, NULL);
		if (fd < 0)
			continue; /* EINTR from a signal: the loop checks stopping */
		serve(fd, argv[2]);
	}
	close(ls);
	return 0;
}
