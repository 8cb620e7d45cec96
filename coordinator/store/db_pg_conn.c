/* db_pg_conn: connecting to PostgreSQL, and the password rules.
 *
 * The password is never in the URL (refused: a command line, a process
 * list and a log would show it). It comes from libpq's own PGPASSFILE or
 * ~/.pgpass, or from the store's password_file, checked like a secret key
 * file (a regular file, not readable by group or others: the fix is chmod
 * 600) and handed to libpq as its password keyword, beside the URL
 * (PQconnectdbParams with expand_dbname). sslmode and the other TLS
 * settings are libpq's, from the URL, untouched.
 *
 * Must never: put a password into an error or a log; name the target but
 * as db_target_redacted does. */
#include "db_pg.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "file.h"
#include "log.h"
#include "xalloc.h"

/* A password file holds one line; anything larger is the wrong file. */
#define DB_PG_PASSWORD_FILE_MAX_BYTES 4096

/* libpq defaults the store overrides (the URL may set its own): a server
 * that does not answer is given up on in seconds, so a coordinator cut off
 * from its database notices and a follower can take over, instead of
 * waiting for TCP's own timeouts (minutes). */
#define DB_PG_CONNECT_TIMEOUT_S "10"
#define DB_PG_KEEPALIVES_IDLE_S "5"
#define DB_PG_KEEPALIVES_INTERVAL_S "2"
#define DB_PG_KEEPALIVES_COUNT "3"
#define DB_PG_TCP_USER_TIMEOUT_MS "10000"
/* The planner's cost of a page read at random, for this connection: a
 * cached page's (PostgreSQL's docs suggest a lower value than its default
 * of 4, a disk's, when the data is mostly in memory; the store's writes
 * touch the newest runs and steps, which are). At 4, a turn's batched
 * update of a few hundred rows on a table of tens of thousands of rows
 * was planned as a hash join over a scan of the whole table, every turn:
 * about 40 rows read a run and a sixth of the server's CPU under the
 * throughput benchmark (docs/benchmarks.md, "Batched updates by key").
 * A URL's own options (a search_path, say) go after these, so a
 * random_page_cost it sets is the one that holds. */
#define DB_PG_SESSION_OPTIONS "-c random_page_cost=1.1"

/* db_pg.h */
char *
db_pg_one_line(const char *msg)
{
	char *out = xmalloc(strlen(msg) + 1);
	size_t o = 0;
	for (const char *p = msg; *p; p++) {
		bool space = *p == ' ' || *p == '\n' || *p == '\t' || *p == '\r';
		if (!space)
			out[o++] = *p;
		else if (o > 0 && out[o - 1] != ' ')
			out[o++] = ' ';
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
	return out;
}

/* True when the URL's userinfo holds a password (user:password@) or one of
 * its parameters is a password (password=, sslpassword=); judged before
 * libpq parses it, so that no parse error can echo it either. */
static bool
pg_url_has_password(const char *target)
{
	const char *auth = strstr(target, "://");
	if (auth != NULL) {
		auth += 3;
		size_t auth_len = strcspn(auth, "/?#");
		const char *at = NULL;
		for (const char *p = auth; p < auth + auth_len; p++)
			if (*p == '@')
				at = p;
		if (at != NULL && memchr(auth, ':', (size_t)(at - auth)) != NULL)
			return true;
	}
	const char *q = strchr(target, '?');
	while (q != NULL) {
		q++;
		size_t key = strcspn(q, "=&");
		if (key >= 8 && strncasecmp(q + key - 8, "password", 8) == 0)
			return true;
		q = strchr(q, '&');
	}
	return false;
}

/* The session's options: the store's, then the URL's own (a new string
 * the caller frees). */
static char *
pg_conninfo_options(const PQconninfoOption *opts)
{
	for (const PQconninfoOption *o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, "options") == 0 && o->val != NULL && o->val[0] != '\0')
			return xasprintf("%s %s", DB_PG_SESSION_OPTIONS, o->val);
	return xstrdup(DB_PG_SESSION_OPTIONS);
}

/* True when libpq's reading of the target sets a password (a form the
 * scan above does not know, such as a percent-encoded key). */
static bool
pg_conninfo_has_password(const PQconninfoOption *opts)
{
	for (const PQconninfoOption *o = opts; o->keyword != NULL; o++)
		if ((strcmp(o->keyword, "password") == 0 ||
		     strcmp(o->keyword, "sslpassword") == 0) &&
		    o->val != NULL && o->val[0] != '\0')
			return true;
	return false;
}

/* The password file's first line into a new string the caller wipes and
 * frees, or NULL with *error. */
static char *
pg_read_password_file(const char *path, char **error)
{
	struct stat st;
	char *buf = NULL; /* owned: wiped and freed here */
	size_t n = 0;
	switch (file_read_all(path, DB_PG_PASSWORD_FILE_MAX_BYTES, FILE_NONBLOCK, &buf, &n, &st)) {
	case FILE_OK:
		break;
	case FILE_ERR_NOT_REGULAR:
		*error = xasprintf("password file %s is not a regular file", path);
		return NULL;
	case FILE_ERR_TOO_LARGE:
		*error = xasprintf("password file %s is over %d bytes: it should hold one line",
		                   path, DB_PG_PASSWORD_FILE_MAX_BYTES);
		return NULL;
	default:
		*error = xasprintf("cannot read password file %s: %s", path, strerror(errno));
		return NULL;
	}
	if ((st.st_mode & 077) != 0) {
		*error = xasprintf("password file %s is readable by group or others (mode %04o):"
		                   " run 'chmod 600 %s'",
		                   path, (unsigned)(st.st_mode & 07777), path);
		explicit_bzero(buf, n);
		free(buf);
		return NULL;
	}
	size_t len = strcspn(buf, "\r\n");
	char *pw = xstrndup(buf, len);
	explicit_bzero(buf, n);
	free(buf);
	if (len == 0) {
		*error =
		    xasprintf("password file %s is empty: its first line is the password", path);
		free(pw);
		return NULL;
	}
	return pw;
}

/* NOTICEs (an IF NOT EXISTS that found the table, ...) are libpq's to
 * print on stderr by default; they are the log's, at debug level. */
static void
pg_conn_notice(void *arg, const char *message)
{
	(void)arg;
	size_t n = strlen(message);
	while (n > 0 && message[n - 1] == '\n')
		n--;
	log_msg(LOGL_DEBUG, "store: postgresql: %.*s", (int)n, message);
}

PGconn *
db_pg_connect(const db_options_t *o, char **error)
{
	static const char refused[] = "%.*s: the store URL holds a password, which a command line"
	                              " and a log would show; put it in a password_file (mode"
	                              " 0600) or in libpq's PGPASSFILE or ~/.pgpass instead";
	char *shown = db_target_redacted(o->target); /* owned */
	/* A URL refused for its password is named without its parameters:
	 * the password may be in one redaction does not know. */
	int bare = (int)strcspn(shown, "?");
	if (pg_url_has_password(o->target)) {
		*error = xasprintf(refused, bare, shown);
		free(shown);
		return NULL;
	}
	char *perr = NULL;
	PQconninfoOption *parsed = PQconninfoParse(o->target, &perr);
	if (parsed == NULL) {
		*error =
		    xasprintf("%s: not a PostgreSQL URL: %.*s", shown,
		              perr ? (int)strcspn(perr, "\n") : 13, perr ? perr : "out of memory");
		PQfreemem(perr);
		free(shown);
		return NULL;
	}
	bool has_password = pg_conninfo_has_password(parsed);
	char *options = pg_conninfo_options(parsed); /* owned */
	PQconninfoFree(parsed);
	if (has_password) {
		*error = xasprintf(refused, bare, shown);
		free(options);
		free(shown);
		return NULL;
	}
	char *password = NULL; /* owned: wiped and freed below */
	if (o->password_file != NULL) {
		password = pg_read_password_file(o->password_file, error);
		if (password == NULL) {
			char *why = *error;
			*error = xasprintf("%s: %s", shown, why);
			free(why);
			free(options);
			free(shown);
			return NULL;
		}
	}
	/* Keywords before dbname are defaults the URL may override; the
	 * options (the URL's among them) and the password after it. */
	const char *keys[] = {"application_name",
	                      "connect_timeout",
	                      "keepalives_idle",
	                      "keepalives_interval",
	                      "keepalives_count",
	                      "tcp_user_timeout",
	                      "dbname",
	                      "options",
	                      password ? "password" : NULL,
	                      NULL};
	const char *values[] = {"rota-coordinator",
	                        DB_PG_CONNECT_TIMEOUT_S,
	                        DB_PG_KEEPALIVES_IDLE_S,
	                        DB_PG_KEEPALIVES_INTERVAL_S,
	                        DB_PG_KEEPALIVES_COUNT,
	                        DB_PG_TCP_USER_TIMEOUT_MS,
	                        o->target,
	                        options,
	                        password,
	                        NULL};
	PGconn *conn = PQconnectdbParams(keys, values, 1);
	free(options);
	if (password != NULL) {
		explicit_bzero(password, strlen(password));
		free(password);
	}
	if (conn == NULL || PQstatus(conn) != CONNECTION_OK) {
		char *why = db_pg_one_line(conn ? PQerrorMessage(conn) : "out of memory");
		*error = xasprintf("cannot connect to %s: %s", shown, why);
		free(why);
		PQfinish(conn);
		free(shown);
		return NULL;
	}
	free(shown);
	PQsetNoticeProcessor(conn, pg_conn_notice, NULL);
	return conn;
}
