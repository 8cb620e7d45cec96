/* db: the public functions of db.h, shared by both engines: what a target
 * names, opening the right engine, and the calls that go through the
 * connection's operations (db_engine.h). */
#include "db_engine.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "xalloc.h"

static bool
db_has_prefix(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

bool
db_target_is_postgresql(const char *target)
{
	return target != NULL &&
	       (db_has_prefix(target, "postgresql://") || db_has_prefix(target, "postgres://"));
}

char *
db_target_redacted(const char *target)
{
	if (target == NULL)
		return xstrdup("");
	if (!db_target_is_postgresql(target))
		return xstrdup(target);
	/* scheme://[user[:password]@]host...: drop ":password" from the
	 * userinfo, the part before the last '@' of the authority. */
	const char *auth = strstr(target, "://") + 3;
	size_t auth_len = strcspn(auth, "/?#");
	const char *at = NULL;
	for (const char *p = auth; p < auth + auth_len; p++)
		if (*p == '@')
			at = p;
	const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
	char *out;
	if (colon != NULL)
		out = xasprintf("%.*s%s", (int)(colon - target), target, at);
	else
		out = xstrdup(target);
	/* A password given as a parameter (?password=...) is dropped too. */
	char *q = strchr(out, '?');
	if (q != NULL) {
		char *w = q + 1, *r = q + 1;
		while (*r) {
			size_t n = strcspn(r, "&");
			bool secret = strncasecmp(r, "password=", 9) == 0;
			if (!secret) {
				if (w != q + 1)
					*w++ = '&';
				memmove(w, r, n);
				w += n;
			}
			r += n;
			if (*r == '&')
				r++;
		}
		*w = '\0';
		if (w == q + 1)
			*q = '\0';
	}
	return out;
}

#ifndef ROTA_HAVE_DB_PG
/* Built without db_pg.c (no libpq): a URL is refused, saying so. */
db_t *
db_pg_open(const db_options_t *options, char **error)
{
	char *t = db_target_redacted(options->target);
	*error = xasprintf("%s: PostgreSQL support is not built into this rota", t);
	free(t);
	return NULL;
}
#endif

db_t *
db_open(const db_options_t *options, char **error)
{
	*error = NULL;
	if (db_target_is_postgresql(options->target))
		return db_pg_open(options, error);
	return db_sqlite_open(options, error);
}

void
db_close(db_t **db)
{
	if (*db == NULL)
		return;
	log_info("store: %s: %llu statements run",
	         (*db)->engine == DB_POSTGRESQL ? "postgresql" : "sqlite",
	         (unsigned long long)(*db)->statements);
	(*db)->ops->close(*db);
	*db = NULL;
}

db_engine_t
db_engine(const db_t *db)
{
	return db->engine;
}

int
db_exec(db_t *db, const char *sql)
{
	db->statements++;
	return db->ops->exec(db, sql);
}

uint64_t
db_statements(const db_t *db)
{
	return db->statements;
}

uint64_t
db_prepares(const db_t *db)
{
	return db->prepares;
}

db_stmt_t *
db_prepare(db_t *db, const char *sql)
{
	db->prepares++;
	return db->ops->prepare(db, sql);
}

db_stmt_t *
db_prepare2(db_t *db, const char *sql, const char *pg_sql)
{
	if (db->engine == DB_POSTGRESQL && pg_sql != NULL)
		sql = pg_sql;
	db->prepares++;
	return db->ops->prepare(db, sql);
}

void
db_finalize(db_stmt_t *st)
{
	if (st != NULL)
		st->db->ops->finalize(st);
}

void
db_reset(db_stmt_t *st)
{
	st->stepped = false;
	st->db->ops->reset(st);
}

void
db_bind_null(db_stmt_t *st, int i)
{
	st->db->ops->bind_null(st, i);
}

void
db_bind_int64(db_stmt_t *st, int i, int64_t v)
{
	st->db->ops->bind_int64(st, i, v);
}

void
db_bind_text(db_stmt_t *st, int i, const char *v)
{
	if (v == NULL)
		st->db->ops->bind_null(st, i);
	else
		st->db->ops->bind_text_n(st, i, v, strlen(v));
}

void
db_bind_text_n(db_stmt_t *st, int i, const char *v, size_t n)
{
	if (v == NULL) {
		st->db->ops->bind_null(st, i);
		return;
	}
	size_t len = strnlen(v, n);
	st->db->ops->bind_text_n(st, i, v, len);
}

void
db_bind_blob(db_stmt_t *st, int i, const void *data, size_t len)
{
	st->db->ops->bind_blob(st, i, len ? data : "", len);
}

int
db_step(db_stmt_t *st)
{
	if (!st->stepped) {
		st->stepped = true;
		st->db->statements++;
	}
	return st->db->ops->step(st);
}

bool
db_column_is_null(db_stmt_t *st, int i)
{
	return st->db->ops->column_is_null(st, i);
}

int64_t
db_column_int64(db_stmt_t *st, int i)
{
	return st->db->ops->column_int64(st, i);
}

const char *
db_column_text(db_stmt_t *st, int i)
{
	const char *t = st->db->ops->column_text(st, i);
	return t ? t : "";
}

const void *
db_column_blob(db_stmt_t *st, int i, size_t *len)
{
	const void *d = st->db->ops->column_blob(st, i, len);
	if (d == NULL || *len == 0) {
		*len = 0;
		return "";
	}
	return d;
}

int64_t
db_changes(db_t *db)
{
	return db->ops->changes(db);
}

const char *
db_errmsg(db_t *db)
{
	const char *m = db->ops->errmsg(db);
	return m ? m : "";
}

db_error_class_t
db_error_class(db_t *db)
{
	return db->ops->error_class(db);
}

const char *
db_sql(db_stmt_t *st)
{
	const char *s = st->db->ops->sql(st);
	return s ? s : "";
}

int
db_begin(db_t *db)
{
	db->statements++;
	return db->ops->begin(db);
}

int
db_commit(db_t *db)
{
	db->statements++;
	return db->ops->commit(db);
}

int
db_commit_start(db_t *db)
{
	db->statements++;
	return db->ops->commit_start ? db->ops->commit_start(db) : db->ops->commit(db);
}

int
db_commit_finish(db_t *db)
{
	return db->ops->commit_finish ? db->ops->commit_finish(db) : 0;
}

int
db_socket(db_t *db)
{
	return db->ops->socket ? db->ops->socket(db) : -1;
}

void
db_rollback(db_t *db)
{
	db->ops->rollback(db);
}

bool
db_in_transaction(db_t *db)
{
	return db->ops->in_transaction(db);
}

int
db_reconnect(db_t *db)
{
	return db->ops->reconnect(db);
}
