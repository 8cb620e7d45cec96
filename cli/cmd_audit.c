/* cmd_audit: AuditResponse as a table or a JSON document.
 *
 * Must never: hide how many events a row stands for (a rate-limited flood
 * of failed handshakes is one row with a count). */
#include "cmd_audit.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ask.h"
#include "cli.h"
#include "clock.h"
#include "duration.h"
#include "format.h"
#include "json.h"
#include "jsondoc.h"
#include "options.h"
#include "table.h"
#include "usage.h"

#define AUDIT_SYNOPSIS "[--since 1h|RFC3339] [--limit N] [--json]"

/* Digits only, exactly n of them, into *out. */
static int
cmd_audit_digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int
cmd_audit_parse_since(const char *text, int64_t now_ms, int64_t *since_ms)
{
	uint64_t ms;
	if (duration_parse(text, &ms) == 0) {
		*since_ms = now_ms - (int64_t)ms;
		return 0;
	}
	/* YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM); 't' and ' ' for 'T'. */
	struct tm tm = {0};
	int y, mo, d, h, mi, sec;
	size_t len = strlen(text);
	if (len < 20 || cmd_audit_digits(text, 4, &y) || text[4] != '-' ||
	    cmd_audit_digits(text + 5, 2, &mo) || text[7] != '-' ||
	    cmd_audit_digits(text + 8, 2, &d) ||
	    (text[10] != 'T' && text[10] != 't' && text[10] != ' ') ||
	    cmd_audit_digits(text + 11, 2, &h) || text[13] != ':' ||
	    cmd_audit_digits(text + 14, 2, &mi) || text[16] != ':' ||
	    cmd_audit_digits(text + 17, 2, &sec))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -1;
	const char *p = text + 19;
	int frac_ms = 0;
	if (*p == '.') {
		int digits = 0;
		for (p++; *p >= '0' && *p <= '9'; p++, digits++)
			if (digits < 3)
				frac_ms = frac_ms * 10 + (*p - '0');
		if (digits == 0)
			return -1;
		for (; digits < 3; digits++)
			frac_ms *= 10;
	}
	int offset_min = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh, om;
		if (cmd_audit_digits(p + 1, 2, &oh) || p[3] != ':' ||
		    cmd_audit_digits(p + 4, 2, &om) || oh > 23 || om > 59)
			return -1;
		offset_min = (oh * 60 + om) * (*p == '-' ? -1 : 1);
		p += 6;
	} else {
		return -1;
	}
	if (*p != '\0')
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	time_t t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	*since_ms = ((int64_t)t - (int64_t)offset_min * 60) * 1000 + frac_ms;
	return 0;
}

static void
cmd_audit_json(const Rota__Response *r)
{
	json_t *j = jsondoc_audit(r->audit);
	json_print(&j);
}

static const char *
cmd_audit_or_dash(const char *s)
{
	return s != NULL && s[0] ? s : "-";
}

static void
cmd_audit_table(const Rota__Response *r)
{
	const Rota__AuditResponse *resp = r->audit;
	static const char *const headers[] = {"TIME (UTC)", "ACTOR", "ROLE", "ACTION", "TARGET",
	                                      "OUTCOME",    "PEER",  "KEY",  "DETAIL"};
	table_t *t = table_new(9, headers);
	for (size_t i = 0; i < resp->n_entries; i++) {
		const Rota__AuditEntry *e = resp->entries[i];
		if (e == NULL)
			continue;
		char at[FORMAT_BUF_BYTES];
		format_time(e->at_ms, at, sizeof(at));
		table_row(t);
		table_cell(t, at);
		table_cell(t, cmd_audit_or_dash(e->actor));
		table_cell(t, cmd_audit_or_dash(e->role));
		table_cell(t, cmd_audit_or_dash(e->action));
		table_cell(t, cmd_audit_or_dash(e->target));
		if (e->count > 1)
			table_cellf(t, "%s x%u", e->outcome, e->count);
		else
			table_cell(t, cmd_audit_or_dash(e->outcome));
		table_cell(t, cmd_audit_or_dash(e->peer));
		table_cell(t, cmd_audit_or_dash(e->key));
		table_cell(t, cmd_audit_or_dash(e->detail));
	}
	table_print(t, stdout);
	table_destroy(&t);
}

/* --since T into the int64_t at ctx. */
static int
cmd_audit_take_since(void *ctx, int ch, char *arg)
{
	(void)ch;
	if (cmd_audit_parse_since(arg, clock_wall_ms(), ctx) != 0)
		return usage_error("audit: --since '%s': give a duration back from now"
		                   " (30m, 1h, 2d) or an RFC 3339 time"
		                   " (2026-11-23T08:00:00Z)",
		                   arg);
	return CLI_EXIT_OK;
}

int
cmd_audit_list(session_t *s, int argc, char **argv)
{
	static const struct option own[] = {
	    {"since", required_argument, NULL, 's'},
	    {NULL, 0, NULL, 0},
	};
	int64_t since = 0;
	const options_spec_t spec = {
	    .command = "audit",
	    .synopsis = AUDIT_SYNOPSIS,
	    .shortopts = ":h",
	    .limit_max = CLI_AUDIT_MAX_LIMIT,
	    .limit_got = "not",
	    .own = own,
	    .take = cmd_audit_take_since,
	    .ctx = &since,
	};
	options_t o = {.limit = CLI_AUDIT_DEFAULT_LIMIT};
	int done = options_parse(&spec, argc, argv, &o);
	if (done >= 0)
		return done;
	if (optind < argc)
		return usage_error(
		    "audit takes no arguments, got '%s'; usage: rota audit " AUDIT_SYNOPSIS,
		    argv[optind]);
	Rota__AuditRequest body = ROTA__AUDIT_REQUEST__INIT;
	body.since_ms = since;
	body.limit = o.limit;
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_AUDIT;
	req.audit = &body;
	return ask_print(s, &req, ROTA__RESPONSE__BODY_AUDIT,
	                 o.json ? cmd_audit_json : cmd_audit_table);
}
