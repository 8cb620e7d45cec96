/* db_pg_sql: SQLite's parameters (`?`, `?N`) in PostgreSQL's words (`$N`),
 * so the store writes its SQL once for both engines.
 *
 * Must never: touch a `?` inside a string, a quoted name, a dollar-quoted
 * body or a comment. */
#include "db_pg.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xalloc.h"

/* True when the character before p (in sql) belongs to a name, so a `$`
 * at p is part of that name, not a parameter or a quote. */
static bool
pg_ident_char(const char *p, const char *sql)
{
	if (p == sql)
		return false;
	char c = p[-1];
	return c == '_' || c == '$' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

/* Length of the dollar-quote tag ($tag$ or $$) at p, or 0 when p does not
 * start one. */
static size_t
pg_dollar_tag(const char *p)
{
	size_t n = 1;
	while (p[n] == '_' || (p[n] >= 'a' && p[n] <= 'z') || (p[n] >= 'A' && p[n] <= 'Z') ||
	       (n > 1 && p[n] >= '0' && p[n] <= '9'))
		n++;
	return p[n] == '$' ? n + 1 : 0;
}

/* A bare `?` is one more than the largest number so far. Quoted strings
 * ('..', E'..' with its backslashes), quoted names, dollar-quoted bodies
 * and comments are copied as they are. */
char *
db_pg_translate(const char *sql, int *nparams)
{
	size_t cap = strlen(sql) * 2 + 16; /* `?` (1) to `$N` (up to 6) is rare */
	char *out = xmalloc(cap);
	size_t o = 0;
	int max = 0;
	const char *p = sql;
	while (*p) {
		if (o + 16 > cap) {
			cap *= 2;
			out = xrealloc(out, cap);
		}
		const char *start = p;
		if (*p == '\'' || *p == '"') {
			char q = *p;
			bool backslash = q == '\'' && p > sql && (p[-1] == 'E' || p[-1] == 'e');
			p++;
			while (*p) {
				if (backslash && *p == '\\' && p[1]) {
					p += 2;
				} else if (*p == q && p[1] == q) {
					p += 2;
				} else if (*p == q) {
					p++;
					break;
				} else {
					p++;
				}
			}
		} else if (p[0] == '-' && p[1] == '-') {
			p += strcspn(p, "\n");
		} else if (p[0] == '/' && p[1] == '*') {
			int depth = 1; /* PostgreSQL's block comments nest */
			p += 2;
			while (*p && depth > 0) {
				if (p[0] == '/' && p[1] == '*') {
					depth++;
					p += 2;
				} else if (p[0] == '*' && p[1] == '/') {
					depth--;
					p += 2;
				} else {
					p++;
				}
			}
		} else if (*p == '$' && pg_dollar_tag(p) > 0 && !pg_ident_char(p, sql)) {
			size_t tag = pg_dollar_tag(p);
			const char *end = NULL;
			for (const char *s = p + tag; (s = strchr(s, '$')) != NULL; s++)
				if (strncmp(s, p, tag) == 0) {
					end = s;
					break;
				}
			p = end ? end + tag : p + strlen(p);
		} else if (*p == '?') {
			int n;
			p++;
			if (*p >= '0' && *p <= '9') {
				long v = strtol(p, (char **)&p, 10);
				n = v > 32766 ? 32767 : (int)v;
			} else {
				n = max + 1;
			}
			if (n > max)
				max = n;
			o += (size_t)snprintf(out + o, cap - o, "$%d", n);
			continue;
		} else if (*p == '$' && p[1] >= '0' && p[1] <= '9' && !pg_ident_char(p, sql)) {
			/* A PostgreSQL variant (db_prepare2) may number its own
			 * parameters: they count too. */
			long v = strtol(p + 1, (char **)&p, 10);
			if (v > max)
				max = v > 32767 ? 32767 : (int)v;
		} else {
			p++;
		}
		size_t len = (size_t)(p - start);
		if (o + len + 16 > cap) {
			cap = o + len + 16 + cap;
			out = xrealloc(out, cap);
		}
		memcpy(out + o, start, len);
		o += len;
	}
	out[o] = '\0';
	*nparams = max;
	return out;
}

/* An INSERT, UPDATE or DELETE without RETURNING: what the caller reads of
 * it is only whether it succeeded, which may wait for the COMMIT. */
bool
db_pg_plain_write(const char *sql)
{
	while (*sql == ' ' || *sql == '\n' || *sql == '\t')
		sql++;
	if (strncasecmp(sql, "INSERT", 6) != 0 && strncasecmp(sql, "UPDATE", 6) != 0 &&
	    strncasecmp(sql, "DELETE", 6) != 0)
		return false;
	for (const char *p = sql; *p; p++)
		if (strncasecmp(p, "RETURNING", 9) == 0)
			return false;
	return true;
}

/* Why: a prepared statement's plan is made for the tables as they were
 * at its first runs. The store's batched updates (store_batch.c) are first
 * run on a new store's empty tables, where a sequential scan and a hash
 * join cost least; PostgreSQL then keeps that plan (its generic plan)
 * until the tables are next analyzed, and every turn's UPDATE read the
 * whole table: under the throughput benchmark, most of the server's CPU
 * a run (docs/benchmarks.md, "PostgreSQL turn: where a run waits").
 * Planned at each run, the join looks each row up by its primary key
 * once the table is large enough for that to pay. The planning costs
 * little beside the rows written: once a turn per table. */
bool
db_pg_replanned(const char *sql)
{
	while (*sql == ' ' || *sql == '\n' || *sql == '\t')
		sql++;
	return strncasecmp(sql, "UPDATE", 6) == 0 &&
	       (strstr(sql, " FROM (VALUES ") != NULL || strstr(sql, " FROM unnest(") != NULL);
}
