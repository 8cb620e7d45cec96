/* coordinator_store: which store the coordinator opens, decided once from
 * --store / ROTA_STORE / the configuration's store: (in that order, as the
 * CLI picks its endpoint), and the password file that goes with a
 * PostgreSQL one. Shared by the start and --check, so both refuse the same
 * things. Must never: print or log a password, or accept a store URL that
 * holds one (it would show in the process list, the shell's history and
 * every log line that names the store). */
#include "coordinator.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "file.h"
#include "xalloc.h"

/* A password file holds one line; anything this large is another file. */
#define COORDINATOR_STORE_PASSWORD_MAX_BYTES 4096

/* How to give a password instead, said by every refusal of one. */
#define COORDINATOR_STORE_PASSWORD_HINT                                                            \
	"take it out and give it in a file: --store-password-file FILE (or"                        \
	" store_password_file: in the configuration; mode 0600), or libpq's PGPASSFILE or"         \
	" ~/.pgpass"

static bool
coordinator_store_has_scheme(const char *url)
{
	return strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0;
}

/* The value of one hex digit, or -1. */
static int
coordinator_store_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Whether the query parameter name in [p, end) is "password", after
 * percent-decoding as libpq does (pass%77ord is password to it). */
static bool
coordinator_store_is_password_key(const char *p, const char *end)
{
	static const char want[] = "password";
	size_t k = 0;
	while (p < end) {
		char c = *p++;
		if (c == '%' && end - p >= 2 && coordinator_store_hex(p[0]) >= 0 &&
		    coordinator_store_hex(p[1]) >= 0) {
			c = (char)(coordinator_store_hex(p[0]) * 16 + coordinator_store_hex(p[1]));
			p += 2;
		}
		if (k >= sizeof(want) - 1 || c != want[k])
			return false;
		k++;
	}
	return k == sizeof(want) - 1;
}

int
coordinator_store_check_url(const char *url, char **why)
{
	if (url == NULL || url[0] == '\0') {
		*why =
		    xstrdup("give a URL: postgresql://USER@HOST:PORT/DATABASE?sslmode=verify-full");
		return -1;
	}
	/* Password first: a refusal must not repeat what it refuses. A
	 * key=value connection string (password=...) is caught here too. */
	const char *rest = strstr(url, "://");
	rest = rest ? rest + 3 : url;
	/* USER:PASSWORD@: the last @ before the query, not only before the
	 * first /, so a password with a / in it is caught too (libpq would
	 * read it as a host and port and might echo it). A database name
	 * with an @ writes it %40. */
	size_t before_query = strcspn(rest, "?");
	const char *at = NULL;
	for (size_t i = 0; i < before_query; i++)
		if (rest[i] == '@')
			at = rest + i;
	bool in_userinfo = at != NULL && memchr(rest, ':', (size_t)(at - rest)) != NULL;
	bool in_query = false;
	const char *q = strchr(url, '?');
	for (const char *p = q ? q + 1 : NULL; p != NULL && !in_query;) {
		const char *amp = strchr(p, '&');
		const char *end = amp ? amp : p + strlen(p);
		const char *eq = memchr(p, '=', (size_t)(end - p));
		in_query = coordinator_store_is_password_key(p, eq ? eq : end);
		p = amp ? amp + 1 : NULL;
	}
	if (in_userinfo || in_query ||
	    (!coordinator_store_has_scheme(url) && strcasestr(url, "password") != NULL)) {
		*why = xasprintf("the URL holds a password, which would be seen in the process list"
		                 " and the logs; %s",
		                 COORDINATOR_STORE_PASSWORD_HINT);
		return -1;
	}
	if (!coordinator_store_has_scheme(url)) {
		*why = xasprintf("'%s' is not a PostgreSQL URL: give"
		                 " postgresql://USER@HOST:PORT/DATABASE?sslmode=verify-full, or no"
		                 " store for SQLite in the data directory",
		                 url);
		return -1;
	}
	return 0;
}

int
coordinator_store_check_password_file(const char *path, char **why)
{
	struct stat st;
	char *buf = NULL; /* owned: wiped and freed here */
	size_t len = 0;
	file_status_t rc =
	    file_read_all(path, COORDINATOR_STORE_PASSWORD_MAX_BYTES, 0, &buf, &len, &st);
	int ok = -1;
	/* The mode of the file opened, not of a name that may be swapped. */
	if (rc == FILE_ERR_OPEN || rc == FILE_ERR_READ)
		*why = xasprintf("cannot read the store's password file %s: %s", path,
		                 strerror(errno));
	else if (rc == FILE_ERR_STAT || rc == FILE_ERR_NOT_REGULAR)
		*why = xasprintf("the store's password file %s is not a regular file", path);
	else if ((st.st_mode & 077) != 0)
		*why = xasprintf("the store's password file %s is readable by others (mode %04o):"
		                 " anyone who can read it can use the database as rota; run"
		                 " 'chmod 600 %s' (and change the password if it may have been"
		                 " copied)",
		                 path, (unsigned)(st.st_mode & 07777), path);
	else if (rc == FILE_ERR_TOO_LARGE)
		*why = xasprintf("the store's password file %s is larger than %d bytes: it should"
		                 " hold the password on its first line",
		                 path, COORDINATOR_STORE_PASSWORD_MAX_BYTES);
	else if (len == 0 || buf[0] == '\n' || buf[0] == '\r')
		*why = xasprintf("the store's password file %s is empty: write the password on its"
		                 " first line",
		                 path);
	else
		ok = 0;
	if (buf != NULL) {
		explicit_bzero(buf, len);
		free(buf);
	}
	return ok;
}

void
coordinator_store_plan_clear(coordinator_store_plan_t *p)
{
	free(p->target);
	free(p->password_file);
	free(p->source);
	memset(p, 0, sizeof(*p));
}

int
coordinator_store_plan(const coordinator_config_t *opts, const config_t *config,
                       coordinator_store_plan_t *p, char **error)
{
	memset(p, 0, sizeof(*p));
	const char *env = getenv(COORDINATOR_STORE_ENV);
	const char *url = NULL;
	if (opts->store != NULL) {
		url = opts->store;
		p->source = xstrdup("--store");
	} else if (env != NULL && env[0] != '\0') {
		url = env;
		p->source = xstrdup(COORDINATOR_STORE_ENV);
	} else if (config != NULL && config->store != NULL) {
		url = config->store;
		p->source =
		    xasprintf("%s: store", config->path ? config->path : "the configuration");
	}
	const char *pw = opts->store_password_file;
	const char *pw_source = "--store-password-file";
	if (pw == NULL && config != NULL && config->store_password_file != NULL) {
		pw = config->store_password_file;
		pw_source = "store_password_file";
	}
	char *why = NULL; /* owned */
	if (url != NULL && coordinator_store_check_url(url, &why) != 0) {
		*error = xasprintf("%s: %s", p->source, why);
		goto fail;
	}
	if (pw != NULL && url == NULL) {
		*error =
		    xasprintf("%s is for a PostgreSQL store (--store postgresql://...); without"
		              " one the store is SQLite in the data directory (%s/rota.db)",
		              pw_source, opts->data_dir);
		goto fail;
	}
	if (pw != NULL && coordinator_store_check_password_file(pw, &why) != 0) {
		*error = why;
		why = NULL;
		goto fail;
	}
	p->target = url ? xstrdup(url) : NULL;
	p->password_file = pw ? xstrdup(pw) : NULL;
	return 0;
fail:
	free(why);
	coordinator_store_plan_clear(p);
	return -1;
}
