/* incident: incidents and their escalation (see incident.h). */
#include "incident.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "duration.h"
#include "log.h"
#include "outbox.h"
#include "store/store_sql.h"
#include "strlist.h"
#include "xalloc.h"

struct incidents {
	store_t *store;         /* borrowed */
	const config_t *config; /* borrowed */
	/* The earliest next_ms of any incident (0: none), so a tick with
	 * nothing due costs a comparison, not a query. Recomputed after
	 * every change. */
	int64_t next_due;
	bool next_known;
	bool wake;
};

#define INCIDENT_COLUMNS                                                                       \
	"id, title, severity, status, source, COALESCE(runbook, ''), hosts, policy, tier,"     \
	" next_ms, ack_due_ms, created_ms, acked_ms, COALESCE(acked_by, ''), resolved_ms,"     \
	" COALESCE(note, ''), overdue"

enum {
	COL_ID,
	COL_TITLE,
	COL_SEVERITY,
	COL_STATUS,
	COL_SOURCE,
	COL_RUNBOOK,
	COL_HOSTS,
	COL_POLICY,
	COL_TIER,
	COL_NEXT,
	COL_ACK_DUE,
	COL_CREATED,
	COL_ACKED,
	COL_ACKED_BY,
	COL_RESOLVED,
	COL_NOTE,
	COL_OVERDUE,
};

static const char sql_insert[] =
    "INSERT INTO incidents (id, title, severity, status, source, runbook, hosts, policy,"
    " ack_due_ms, created_ms, dedup) VALUES (?, ?, ?, 'triggered', ?, ?, ?, ?, ?, ?, ?)";
static const char sql_next_number[] =
    "SELECT COALESCE(MAX(CAST(substr(id, 5) AS INTEGER)), 0) + 1 FROM incidents";
static const char sql_get[] = "SELECT " INCIDENT_COLUMNS " FROM incidents WHERE id = ?";
static const char sql_find_open[] =
    "SELECT id FROM incidents WHERE dedup = ? AND status != 'resolved'"
    " ORDER BY created_ms DESC LIMIT 1";
static const char sql_due[] = "SELECT id FROM incidents WHERE next_ms > 0 AND next_ms <= ?"
                              " ORDER BY next_ms LIMIT 100";
static const char sql_min_due[] = "SELECT COALESCE(MIN(next_ms), 0) FROM incidents"
                                  " WHERE next_ms > 0";
static const char sql_set_climb[] =
    "UPDATE incidents SET tier = ?, next_ms = ?, overdue = ? WHERE id = ?";
static const char sql_set_status[] =
    "UPDATE incidents SET status = ?, next_ms = 0, acked_ms = ?, acked_by = ?,"
    " resolved_ms = ?, note = ? WHERE id = ?";
static const char sql_set_hosts[] = "UPDATE incidents SET hosts = ? WHERE id = ?";
static const char sql_event[] =
    "INSERT INTO incident_events (incident_id, at_ms, kind, text) VALUES (?, ?, ?, ?)";
static const char sql_events[] =
    "SELECT at_ms, kind, text FROM incident_events WHERE incident_id = ? ORDER BY id";
static const char sql_link_run[] =
    "INSERT OR IGNORE INTO incident_runs (incident_id, run_id) VALUES (?, ?)";
static const char sql_runs_of[] =
    "SELECT run_id FROM incident_runs WHERE incident_id = ? ORDER BY rowid";
static const char sql_of_run[] = "SELECT incident_id FROM incident_runs WHERE run_id = ?"
                                 " LIMIT 1";
static const char sql_escalation[] =
    "INSERT INTO escalations (incident_id, tier, at_ms, channels) VALUES (?, ?, ?, ?)";
static const char sql_last_escalation[] =
    "SELECT COALESCE(MAX(at_ms), 0) FROM escalations WHERE incident_id = ? AND tier = ?";
static const char sql_notified[] =
    "SELECT DISTINCT channel FROM outbox WHERE incident_id = ?"
    " AND kind IN ('trigger', 'escalate', 'overdue') ORDER BY channel";
static const char sql_deliveries[] =
    "SELECT id, channel, kind, attempts, COALESCE(last_error, ''), created_ms,"
    " delivered_ms, given_up_ms, next_ms FROM outbox WHERE incident_id = ? ORDER BY id";
static const char sql_delivery_counts[] =
    "SELECT COALESCE(SUM(delivered_ms = 0 AND given_up_ms = 0), 0),"
    " COALESCE(SUM(given_up_ms != 0), 0) FROM outbox WHERE incident_id = ?";
static const char sql_list[] = "SELECT " INCIDENT_COLUMNS " FROM incidents"
                               " ORDER BY created_ms DESC, id DESC LIMIT ?";
static const char sql_list_open[] = "SELECT " INCIDENT_COLUMNS " FROM incidents"
                                    " WHERE status != 'resolved'"
                                    " ORDER BY created_ms DESC, id DESC LIMIT ?";
static const char sql_alert_get[] =
    "SELECT a.incident_id, a.status, i.status != 'resolved' FROM alerts a"
    " JOIN incidents i ON i.id = a.incident_id WHERE a.fingerprint = ?";
static const char sql_alert_put[] =
    "INSERT INTO alerts (fingerprint, incident_id, status, alertname, host, run_id,"
    " starts_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (fingerprint) DO UPDATE SET incident_id = excluded.incident_id,"
    " status = excluded.status, run_id = COALESCE(excluded.run_id, run_id),"
    " updated_ms = excluded.updated_ms";
static const char sql_alerts_firing[] =
    "SELECT COUNT(*) FROM alerts WHERE incident_id = ? AND status = 'firing'";
static const char sql_counts[] =
    "SELECT severity, status, COUNT(*) FROM incidents GROUP BY severity, status";
static const char sql_outbox_counts[] =
    "SELECT COALESCE(SUM(delivered_ms = 0 AND given_up_ms = 0), 0),"
    " COALESCE(SUM(given_up_ms != 0), 0) FROM outbox";

static void
bind_str(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
}

static char *
col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return xstrdup(t ? (const char *)t : "");
}

incidents_t *
incidents_new(store_t *store, const config_t *config)
{
	incidents_t *in = xcalloc(1, sizeof(*in));
	in->store = store;
	in->config = config;
	return in;
}

void
incidents_destroy(incidents_t **ip)
{
	free(*ip);
	*ip = NULL;
}

bool
incidents_take_wake(incidents_t *in)
{
	bool w = in->wake;
	in->wake = false;
	return w;
}

void
incidents_resync(incidents_t *in)
{
	in->wake = false;
	in->next_known = false;
}

void
incidents_set_wake(incidents_t *in)
{
	in->wake = true;
}

/* One incident row, as the climb and the API need it. */
typedef struct {
	char *id, *title, *status, *source, *runbook, *hosts, *policy, *acked_by, *note; /* owned */
	int severity, tier;
	bool overdue;
	int64_t next_ms, ack_due_ms, created_ms, acked_ms, resolved_ms;
} row_t;

static void
row_clear(row_t *r)
{
	free(r->id);
	free(r->title);
	free(r->status);
	free(r->source);
	free(r->runbook);
	free(r->hosts);
	free(r->policy);
	free(r->acked_by);
	free(r->note);
	memset(r, 0, sizeof(*r));
}

static void
row_read(sqlite3_stmt *st, row_t *r)
{
	r->id = col_dup(st, COL_ID);
	r->title = col_dup(st, COL_TITLE);
	r->severity = sqlite3_column_int(st, COL_SEVERITY);
	r->status = col_dup(st, COL_STATUS);
	r->source = col_dup(st, COL_SOURCE);
	r->runbook = col_dup(st, COL_RUNBOOK);
	r->hosts = col_dup(st, COL_HOSTS);
	r->policy = col_dup(st, COL_POLICY);
	r->tier = sqlite3_column_int(st, COL_TIER);
	r->next_ms = sqlite3_column_int64(st, COL_NEXT);
	r->ack_due_ms = sqlite3_column_int64(st, COL_ACK_DUE);
	r->created_ms = sqlite3_column_int64(st, COL_CREATED);
	r->acked_ms = sqlite3_column_int64(st, COL_ACKED);
	r->acked_by = col_dup(st, COL_ACKED_BY);
	r->resolved_ms = sqlite3_column_int64(st, COL_RESOLVED);
	r->note = col_dup(st, COL_NOTE);
	r->overdue = sqlite3_column_int(st, COL_OVERDUE) != 0;
}

/* 0, 1 when there is none, -1. */
static int
row_get(incidents_t *in, const char *id, row_t *r)
{
	sqlite3_stmt *st = store_stmt(in->store, sql_get);
	if (st == NULL)
		return -1;
	bind_str(st, 1, id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		row_read(st, r);
	else if (rc != SQLITE_DONE)
		store_stmt_failed(in->store, st);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

int
incidents_note(incidents_t *in, const char *id, const char *kind, const char *text,
               int64_t now_ms)
{
	if (store_begin(in->store) != 0)
		return -1;
	sqlite3_stmt *st = store_stmt(in->store, sql_event);
	if (st == NULL)
		return -1;
	bind_str(st, 1, id);
	sqlite3_bind_int64(st, 2, now_ms);
	bind_str(st, 3, kind);
	bind_str(st, 4, text);
	return store_stmt_done(in->store, st);
}

/* Queues one notice per channel; the names go into *said (a ", " list). */
static int
notify_channels(incidents_t *in, const row_t *r, char *const *channels, size_t n,
                const char *kind, const char *text, int64_t now_ms)
{
	for (size_t i = 0; i < n; i++) {
		outbox_item_t item = {
		    .incident_id = r->id,
		    .channel = channels[i],
		    .kind = kind,
		    .severity = r->severity,
		    .title = r->title,
		    .text = text,
		    .hosts = r->hosts,
		};
		if (outbox_add(in->store, &item, now_ms) != 0)
			return -1;
		in->wake = true;
	}
	return 0;
}

static int
record_escalation(incidents_t *in, const row_t *r, int tier, const config_tier_t *t,
                  int64_t now_ms)
{
	char *names = strlist_join(&(strlist_t){t->notify, t->notify_count}, "");
	sqlite3_stmt *st = store_stmt(in->store, sql_escalation);
	int rc = -1;
	if (st != NULL) {
		bind_str(st, 1, r->id);
		sqlite3_bind_int(st, 2, tier);
		sqlite3_bind_int64(st, 3, now_ms);
		bind_str(st, 4, names);
		rc = store_stmt_done(in->store, st);
	}
	free(names);
	return rc;
}

static int64_t
last_escalation(incidents_t *in, const char *id, int tier)
{
	sqlite3_stmt *st = store_stmt(in->store, sql_last_escalation);
	if (st == NULL)
		return 0;
	bind_str(st, 1, id);
	sqlite3_bind_int(st, 2, tier);
	int64_t at = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return at;
}

static void
min_time(int64_t *best, int64_t t)
{
	if (t > 0 && (*best == 0 || t < *best))
		*best = t;
}

/* Moves a triggered incident as far as now allows: every tier whose time
 * has come is notified in order, the deadline is marked once, the last
 * tier repeats. Writes the new tier and when to look next. */
static int
climb(incidents_t *in, row_t *r, int64_t now_ms)
{
	if (store_begin(in->store) != 0)
		return -1;
	const config_policy_t *pol = config_policy(in->config, r->policy);
	/* The policy may have fewer tiers than when the incident climbed (the
	 * config was edited, or its name now falls back to 'default'): it
	 * stands on the last tier there is. */
	if (pol && r->tier >= (int)pol->tier_count)
		r->tier = (int)pol->tier_count - 1;
	int64_t next = 0;
	char text[512];
	char when[32];
	if (strcmp(r->status, "triggered") == 0) {
		if (!r->overdue && r->ack_due_ms > 0 && now_ms >= r->ack_due_ms) {
			r->overdue = true;
			duration_format(r->ack_due_ms - r->created_ms, when, sizeof(when));
			snprintf(text, sizeof(text),
			         "not acknowledged within P%d's deadline of %s", r->severity, when);
			if (incidents_note(in, r->id, "overdue", text, now_ms) != 0)
				return -1;
			if (pol && r->tier >= 0 &&
			    notify_channels(in, r, pol->tiers[r->tier].notify,
			                    pol->tiers[r->tier].notify_count, "overdue", text,
			                    now_ms) != 0)
				return -1;
		}
		while (pol && r->tier + 1 < (int)pol->tier_count &&
		       r->created_ms + pol->tiers[r->tier + 1].after_ms <= now_ms) {
			r->tier++;
			const config_tier_t *t = &pol->tiers[r->tier];
			char *names =
			    strlist_join(&(strlist_t){t->notify, t->notify_count}, "");
			if (t->after_ms == 0)
				snprintf(when, sizeof(when), "at once");
			else
				duration_format(t->after_ms, when, sizeof(when));
			if (r->tier == 0)
				snprintf(text, sizeof(text), "P%d incident opened: %s", r->severity,
				         r->title);
			else
				snprintf(text, sizeof(text),
				         "escalated to tier %d of policy %s (not acknowledged after %s)",
				         r->tier + 1, pol->name, when);
			char *event = xasprintf("tier %d (%s%s): notified %s", r->tier + 1,
			                        t->after_ms ? "after " : "", when, names);
			free(names);
			int rc = incidents_note(in, r->id, "escalated", event, now_ms);
			free(event);
			if (rc != 0 || record_escalation(in, r, r->tier, t, now_ms) != 0 ||
			    notify_channels(in, r, t->notify, t->notify_count,
			                    r->tier == 0 ? "trigger" : "escalate", text, now_ms) != 0)
				return -1;
		}
		if (pol && r->tier + 1 < (int)pol->tier_count)
			min_time(&next, r->created_ms + pol->tiers[r->tier + 1].after_ms);
		if (pol && r->tier >= 0 && r->tier + 1 == (int)pol->tier_count &&
		    pol->tiers[r->tier].repeat_ms > 0) {
			const config_tier_t *t = &pol->tiers[r->tier];
			int64_t last = last_escalation(in, r->id, r->tier);
			if (last > 0 && now_ms >= last + t->repeat_ms) {
				duration_format(now_ms - r->created_ms, when, sizeof(when));
				snprintf(text, sizeof(text), "still not acknowledged after %s", when);
				char *names = strlist_join(&(strlist_t){t->notify, t->notify_count}, "");
				char *event = xasprintf("tier %d repeated: notified %s", r->tier + 1,
				                        names);
				free(names);
				int rc = incidents_note(in, r->id, "escalated", event, now_ms);
				free(event);
				if (rc != 0 || record_escalation(in, r, r->tier, t, now_ms) != 0 ||
				    notify_channels(in, r, t->notify, t->notify_count, "escalate", text,
				                    now_ms) != 0)
					return -1;
				last = now_ms;
			}
			min_time(&next, last + t->repeat_ms);
		}
		if (!r->overdue)
			min_time(&next, r->ack_due_ms);
	}
	r->next_ms = next;
	sqlite3_stmt *st = store_stmt(in->store, sql_set_climb);
	if (st == NULL)
		return -1;
	sqlite3_bind_int(st, 1, r->tier);
	sqlite3_bind_int64(st, 2, next);
	sqlite3_bind_int(st, 3, r->overdue);
	bind_str(st, 4, r->id);
	in->next_known = false;
	return store_stmt_done(in->store, st);
}

int
incidents_open(incidents_t *in, const incident_spec_t *spec, int64_t now_ms, char *id,
               size_t len)
{
	if (store_begin(in->store) != 0)
		return -1;
	sqlite3_stmt *st = store_stmt(in->store, sql_next_number);
	if (st == NULL || sqlite3_step(st) != SQLITE_ROW) {
		if (st)
			store_stmt_failed(in->store, st);
		return -1;
	}
	snprintf(id, len, "INC-%lld", (long long)sqlite3_column_int64(st, 0));
	sqlite3_reset(st);
	int severity = spec->severity >= 1 && spec->severity <= 4 ? spec->severity
	                                                          : INCIDENT_DEFAULT_SEVERITY;
	const char *policy = spec->policy && spec->policy[0] ? spec->policy : "default";
	st = store_stmt(in->store, sql_insert);
	if (st == NULL)
		return -1;
	bind_str(st, 1, id);
	bind_str(st, 2, spec->title);
	sqlite3_bind_int(st, 3, severity);
	bind_str(st, 4, spec->source);
	bind_str(st, 5, spec->runbook);
	bind_str(st, 6, spec->hosts ? spec->hosts : "");
	bind_str(st, 7, policy);
	sqlite3_bind_int64(st, 8, config_ack_due(in->config, severity, now_ms));
	sqlite3_bind_int64(st, 9, now_ms);
	bind_str(st, 10, spec->dedup);
	if (store_stmt_done(in->store, st) != 0)
		return -1;
	char *text = xasprintf("opened by %s (%s): P%d %s%s%s", spec->by ? spec->by : spec->source,
	                       spec->source, severity, spec->title,
	                       spec->hosts && spec->hosts[0] ? " on " : "",
	                       spec->hosts ? spec->hosts : "");
	int rc = incidents_note(in, id, "opened", text, now_ms);
	free(text);
	if (rc != 0)
		return -1;
	const config_policy_t *pol = config_policy(in->config, policy);
	if (pol == NULL) {
		text = xasprintf("no escalation policy '%s' (nor 'default') in the coordinator's"
		                 " configuration: nobody is notified",
		                 policy);
		log_warn("incident %s: %s", id, text);
		rc = incidents_note(in, id, "escalated", text, now_ms);
		free(text);
		if (rc != 0)
			return -1;
	} else if (strcmp(pol->name, policy) != 0) {
		text = xasprintf("no escalation policy '%s' in the coordinator's configuration;"
		                 " using 'default'",
		                 policy);
		rc = incidents_note(in, id, "escalated", text, now_ms);
		free(text);
		if (rc != 0)
			return -1;
	}
	row_t r = {0};
	if (row_get(in, id, &r) != 0)
		return -1;
	rc = climb(in, &r, now_ms);
	log_info("incident %s opened (%s, P%d): %s", id, spec->source, severity, spec->title);
	row_clear(&r);
	return rc;
}

/* The id column of the first row sql finds by key: 1 (id filled), 0 none,
 * -1 on error. */
static int
lookup_id(incidents_t *in, const char *sql, const char *key, char *id, size_t len)
{
	sqlite3_stmt *st = store_stmt(in->store, sql);
	if (st == NULL)
		return -1;
	bind_str(st, 1, key);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(id, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int
incidents_find_open(incidents_t *in, const char *dedup, char *id, size_t len)
{
	return lookup_id(in, sql_find_open, dedup, id, len);
}

int
incidents_link_run(incidents_t *in, const char *id, const char *run_id)
{
	if (store_begin(in->store) != 0)
		return -1;
	sqlite3_stmt *st = store_stmt(in->store, sql_link_run);
	if (st == NULL)
		return -1;
	bind_str(st, 1, id);
	bind_str(st, 2, run_id);
	return store_stmt_done(in->store, st);
}

int
incidents_of_run(incidents_t *in, const char *run_id, char *id, size_t len)
{
	return lookup_id(in, sql_of_run, run_id, id, len);
}

int
incidents_add_hosts(incidents_t *in, const char *id, const char *hosts)
{
	row_t r = {0};
	if (hosts == NULL || hosts[0] == '\0' || row_get(in, id, &r) != 0)
		return hosts == NULL || hosts[0] == '\0' ? 0 : -1;
	strlist_t list = {0};
	strlist_split(&list, r.hosts, ',');
	size_t before = list.count;
	strlist_t add = {0};
	strlist_split(&add, hosts, ',');
	for (size_t i = 0; i < add.count; i++)
		if (!strlist_has(&list, add.items[i]))
			strlist_add(&list, xstrdup(add.items[i]));
	int rc = 0;
	if (list.count != before) {
		char *joined = strlist_join_sep(&list, ",", "");
		sqlite3_stmt *st =
		    store_begin(in->store) == 0 ? store_stmt(in->store, sql_set_hosts) : NULL;
		rc = -1;
		if (st != NULL) {
			bind_str(st, 1, joined);
			bind_str(st, 2, id);
			rc = store_stmt_done(in->store, st);
		}
		free(joined);
	}
	strlist_free(&list);
	strlist_free(&add);
	row_clear(&r);
	return rc;
}

static int
set_status(incidents_t *in, const row_t *r)
{
	if (store_begin(in->store) != 0)
		return -1;
	sqlite3_stmt *st = store_stmt(in->store, sql_set_status);
	if (st == NULL)
		return -1;
	bind_str(st, 1, r->status);
	sqlite3_bind_int64(st, 2, r->acked_ms);
	bind_str(st, 3, r->acked_by && r->acked_by[0] ? r->acked_by : NULL);
	sqlite3_bind_int64(st, 4, r->resolved_ms);
	bind_str(st, 5, r->note && r->note[0] ? r->note : NULL);
	bind_str(st, 6, r->id);
	in->next_known = false;
	return store_stmt_done(in->store, st);
}

/* Tells every channel that was told of the incident. */
static int
notify_notified(incidents_t *in, const row_t *r, const char *kind, const char *text,
                int64_t now_ms)
{
	sqlite3_stmt *st = store_stmt(in->store, sql_notified);
	if (st == NULL)
		return -1;
	bind_str(st, 1, r->id);
	strlist_t channels = {0};
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		strlist_add(&channels, xstrdup((const char *)sqlite3_column_text(st, 0)));
	if (rc != SQLITE_DONE)
		store_stmt_failed(in->store, st);
	sqlite3_reset(st);
	int out = rc == SQLITE_DONE ? notify_channels(in, r, channels.items, channels.count, kind,
	                                              text, now_ms)
	                            : -1;
	strlist_free(&channels);
	return out;
}

static int
refuse(int *code, char **error, int c, char *msg)
{
	*code = c;
	*error = msg;
	return -1;
}

/* Reads the incident an operator acts on, or refuses: 0, or -1 with *code
 * and *error set. */
static int
load_for_action(incidents_t *in, const char *id, row_t *r, int *code, char **error)
{
	int got = row_get(in, id, r);
	if (got == 0)
		return 0;
	return refuse(code, error,
	              got > 0 ? ROTA__ERROR_CODE__ERR_NOT_FOUND : ROTA__ERROR_CODE__ERR_INTERNAL,
	              got > 0 ? xasprintf("no incident %s; `rota incidents` lists them", id)
	                      : xstrdup("the store could not be read"));
}

/* Records r's new status with its timeline line (kind, text) and tells
 * every channel that was notified (notice). */
static int
record_action(incidents_t *in, const row_t *r, const char *kind, const char *notice,
              const char *text, int64_t now_ms, int *code, char **error)
{
	if (set_status(in, r) != 0 || incidents_note(in, r->id, kind, text, now_ms) != 0 ||
	    notify_notified(in, r, notice, text, now_ms) != 0)
		return refuse(code, error, ROTA__ERROR_CODE__ERR_INTERNAL,
		              xasprintf("the store could not record that incident %s was %s", r->id,
		                        kind));
	log_info("incident %s: %s", r->id, text);
	return 0;
}

int
incidents_ack(incidents_t *in, const char *id, const char *by, const char *note,
              int64_t now_ms, int *code, char **error)
{
	row_t r = {0};
	if (load_for_action(in, id, &r, code, error) != 0)
		return -1;
	int rc;
	if (strcmp(r.status, "triggered") != 0) {
		char at[32];
		clock_format(strcmp(r.status, "resolved") == 0 ? r.resolved_ms : r.acked_ms, at,
		             sizeof(at));
		rc = refuse(code, error, ROTA__ERROR_CODE__ERR_CONFLICT,
		            strcmp(r.status, "resolved") == 0
		                ? xasprintf("incident %s was resolved at %s UTC; nothing to"
		                            " acknowledge",
		                            id, at)
		                : xasprintf("incident %s was already acknowledged by %s at %s UTC",
		                            id, r.acked_by[0] ? r.acked_by : "someone", at));
	} else {
		free(r.status);
		r.status = xstrdup("acknowledged");
		r.acked_ms = now_ms;
		free(r.acked_by);
		r.acked_by = xstrdup(by && by[0] ? by : "an operator");
		char *text = xasprintf("acknowledged by %s%s%s: escalation stopped", r.acked_by,
		                       note && note[0] ? ": " : "", note && note[0] ? note : "");
		rc = record_action(in, &r, "acknowledged", "acknowledge", text, now_ms, code, error);
		free(text);
	}
	row_clear(&r);
	return rc;
}

int
incidents_resolve(incidents_t *in, const char *id, const char *by, const char *note,
                  int64_t now_ms, int *code, char **error)
{
	row_t r = {0};
	if (load_for_action(in, id, &r, code, error) != 0)
		return -1;
	int rc;
	if (strcmp(r.status, "resolved") == 0) {
		char at[32];
		clock_format(r.resolved_ms, at, sizeof(at));
		rc = refuse(code, error, ROTA__ERROR_CODE__ERR_CONFLICT,
		            xasprintf("incident %s was already resolved at %s UTC%s%s", id, at,
		                      r.note[0] ? ": " : "", r.note));
	} else {
		free(r.status);
		r.status = xstrdup("resolved");
		r.resolved_ms = now_ms;
		free(r.note);
		r.note = xstrdup(note ? note : "");
		char *text = xasprintf("resolved by %s%s%s", by && by[0] ? by : "an operator",
		                       note && note[0] ? ": " : "", note && note[0] ? note : "");
		rc = record_action(in, &r, "resolved", "resolve", text, now_ms, code, error);
		free(text);
	}
	row_clear(&r);
	return rc;
}

int
incidents_tick(incidents_t *in, int64_t now_ms)
{
	if (!in->next_known) {
		sqlite3_stmt *st = store_stmt(in->store, sql_min_due);
		if (st == NULL)
			return -1;
		if (sqlite3_step(st) != SQLITE_ROW) {
			sqlite3_reset(st);
			return -1;
		}
		in->next_due = sqlite3_column_int64(st, 0);
		in->next_known = true;
		sqlite3_reset(st);
	}
	if (in->next_due == 0 || now_ms < in->next_due)
		return 0;
	sqlite3_stmt *st = store_stmt(in->store, sql_due);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, now_ms);
	strlist_t due = {0};
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		strlist_add(&due, xstrdup((const char *)sqlite3_column_text(st, 0)));
	sqlite3_reset(st);
	int out = rc == SQLITE_DONE ? 0 : -1;
	for (size_t i = 0; i < due.count && out == 0; i++) {
		row_t r = {0};
		if (row_get(in, due.items[i], &r) != 0 || climb(in, &r, now_ms) != 0)
			out = -1;
		row_clear(&r);
	}
	strlist_free(&due);
	in->next_known = false;
	return out;
}

int
incidents_resolve_id(incidents_t *in, const char *text, char **id, char **error)
{
	*id = NULL;
	if (text == NULL || text[0] == '\0') {
		*error = xstrdup("no incident id given; `rota incidents` lists them");
		return -1;
	}
	const char *digits = text;
	if (strncasecmp(text, "INC-", 4) == 0)
		digits = text + 4;
	bool numeric = digits[0] != '\0';
	for (const char *p = digits; *p; p++)
		numeric = numeric && isdigit((unsigned char)*p);
	if (!numeric) {
		*error = xasprintf("'%s' is not an incident id (like INC-7, or 7); `rota incidents`"
		                   " lists them",
		                   text);
		return -1;
	}
	/* Parsed with an overflow check: strtoll would clamp an overlong
	 * number to the largest one and name an incident nobody asked for. */
	errno = 0;
	long long n = strtoll(digits, NULL, 10);
	if (errno == ERANGE) {
		*error = xasprintf("invalid incident id '%.64s': the number is out of range;"
		                   " `rota incidents` lists them",
		                   text);
		return -1;
	}
	char *candidate = xasprintf("INC-%lld", n);
	row_t r = {0};
	int got = row_get(in, candidate, &r);
	row_clear(&r);
	if (got != 0) {
		*error = got > 0 ? xasprintf("no incident %s; `rota incidents` lists them", candidate)
		                 : xstrdup("the store could not be read");
		free(candidate);
		return -1;
	}
	*id = candidate;
	return 0;
}

static void
info_fill(incidents_t *in, const row_t *r, Rota__IncidentInfo *out)
{
	rota__incident_info__init(out);
	out->id = xstrdup(r->id);
	out->title = xstrdup(r->title);
	out->severity = (uint32_t)r->severity;
	out->status = xstrdup(r->status);
	out->source = xstrdup(r->source);
	out->runbook = xstrdup(r->runbook);
	strlist_t hosts = {0};
	strlist_split(&hosts, r->hosts, ',');
	out->hosts = hosts.items; /* the list's array becomes the message's */
	out->n_hosts = hosts.count;
	out->policy = xstrdup(r->policy);
	out->tier = r->tier;
	out->created_ms = r->created_ms;
	out->acked_ms = r->acked_ms;
	out->resolved_ms = r->resolved_ms;
	out->next_escalation_ms = r->next_ms;
	out->ack_due_ms = r->ack_due_ms;
	out->acked_by = xstrdup(r->acked_by);
	out->note = xstrdup(r->note);
	sqlite3_stmt *st = store_stmt(in->store, sql_runs_of);
	if (st != NULL) {
		strlist_t runs = {0};
		bind_str(st, 1, r->id);
		while (sqlite3_step(st) == SQLITE_ROW)
			strlist_add(&runs, xstrdup((const char *)sqlite3_column_text(st, 0)));
		sqlite3_reset(st);
		out->run_ids = runs.items;
		out->n_run_ids = runs.count;
	}
	st = store_stmt(in->store, sql_delivery_counts);
	if (st != NULL) {
		bind_str(st, 1, r->id);
		if (sqlite3_step(st) == SQLITE_ROW) {
			out->deliveries_pending = (uint32_t)sqlite3_column_int(st, 0);
			out->deliveries_failed = (uint32_t)sqlite3_column_int(st, 1);
		}
		sqlite3_reset(st);
	}
}

void
incidents_info_clear(Rota__IncidentInfo *info)
{
	free(info->id);
	free(info->title);
	free(info->status);
	free(info->source);
	free(info->runbook);
	for (size_t i = 0; i < info->n_hosts; i++)
		free(info->hosts[i]);
	free(info->hosts);
	free(info->policy);
	for (size_t i = 0; i < info->n_run_ids; i++)
		free(info->run_ids[i]);
	free(info->run_ids);
	free(info->acked_by);
	free(info->note);
	rota__incident_info__init(info);
}

int
incidents_info(incidents_t *in, const char *id, Rota__IncidentInfo *out)
{
	row_t r = {0};
	int got = row_get(in, id, &r);
	if (got == 0)
		info_fill(in, &r, out);
	row_clear(&r);
	return got;
}

int
incidents_list(incidents_t *in, bool open_only, uint32_t limit, Rota__ListIncidentsResponse *out)
{
	rota__list_incidents_response__init(out);
	sqlite3_stmt *st = store_stmt(in->store, open_only ? sql_list_open : sql_list);
	if (st == NULL)
		return -1;
	sqlite3_bind_int(st, 1, (int)limit);
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row_t r = {0};
		row_read(st, &r);
		if (out->n_incidents == cap) {
			cap = cap ? cap * 2 : 16;
			out->incidents = xrealloc(out->incidents, cap * sizeof(*out->incidents));
		}
		Rota__IncidentInfo *info = xmalloc(sizeof(*info));
		/* info_fill runs its own queries: this one is kept stepping, so
		 * they must be other statements (they are). */
		info_fill(in, &r, info);
		out->incidents[out->n_incidents++] = info;
		row_clear(&r);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
incidents_show(incidents_t *in, const char *id, Rota__ShowIncidentResponse *out)
{
	rota__show_incident_response__init(out);
	out->incident = xmalloc(sizeof(*out->incident));
	int got = incidents_info(in, id, out->incident);
	if (got != 0) {
		free(out->incident);
		out->incident = NULL;
		return got;
	}
	sqlite3_stmt *st = store_stmt(in->store, sql_events);
	if (st == NULL)
		return -1;
	bind_str(st, 1, id);
	size_t cap = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (out->n_events == cap) {
			cap = cap ? cap * 2 : 16;
			out->events = xrealloc(out->events, cap * sizeof(*out->events));
		}
		Rota__IncidentEvent *e = xmalloc(sizeof(*e));
		rota__incident_event__init(e);
		e->at_ms = sqlite3_column_int64(st, 0);
		e->kind = col_dup(st, 1);
		e->text = col_dup(st, 2);
		out->events[out->n_events++] = e;
	}
	sqlite3_reset(st);
	st = store_stmt(in->store, sql_deliveries);
	if (st == NULL)
		return -1;
	bind_str(st, 1, id);
	cap = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (out->n_deliveries == cap) {
			cap = cap ? cap * 2 : 16;
			out->deliveries = xrealloc(out->deliveries, cap * sizeof(*out->deliveries));
		}
		Rota__Delivery *d = xmalloc(sizeof(*d));
		rota__delivery__init(d);
		d->id = (uint64_t)sqlite3_column_int64(st, 0);
		d->channel = col_dup(st, 1);
		d->kind = col_dup(st, 2);
		d->attempts = (uint32_t)sqlite3_column_int(st, 3);
		d->last_error = col_dup(st, 4);
		d->created_ms = sqlite3_column_int64(st, 5);
		d->delivered_ms = sqlite3_column_int64(st, 6);
		int64_t given_up = sqlite3_column_int64(st, 7);
		d->next_ms = sqlite3_column_int64(st, 8);
		d->state = xstrdup(d->delivered_ms ? "delivered" : given_up ? "failed" : "pending");
		out->deliveries[out->n_deliveries++] = d;
	}
	sqlite3_reset(st);
	for (size_t i = 0; i < out->incident->n_run_ids; i++) {
		Rota__RunSummary *sum = xmalloc(sizeof(*sum));
		if (store_run_summary(in->store, out->incident->run_ids[i], sum) != 0) {
			free(sum);
			continue;
		}
		out->runs = xrealloc(out->runs, (out->n_runs + 1) * sizeof(*out->runs));
		out->runs[out->n_runs++] = sum;
	}
	return 0;
}

int
incidents_alert_get(incidents_t *in, const char *fingerprint, incident_alert_t *out)
{
	sqlite3_stmt *st = store_stmt(in->store, sql_alert_get);
	if (st == NULL)
		return -1;
	bind_str(st, 1, fingerprint);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(out->incident_id, sizeof(out->incident_id), "%s",
		         (const char *)sqlite3_column_text(st, 0));
		snprintf(out->status, sizeof(out->status), "%s",
		         (const char *)sqlite3_column_text(st, 1));
		out->incident_open = sqlite3_column_int(st, 2) != 0;
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int
incidents_alert_put(incidents_t *in, const char *fingerprint, const char *incident_id,
                    const char *status, const char *alertname, const char *host,
                    const char *run_id, int64_t starts_ms, int64_t now_ms)
{
	if (store_begin(in->store) != 0)
		return -1;
	sqlite3_stmt *st = store_stmt(in->store, sql_alert_put);
	if (st == NULL)
		return -1;
	bind_str(st, 1, fingerprint);
	bind_str(st, 2, incident_id);
	bind_str(st, 3, status);
	bind_str(st, 4, alertname);
	bind_str(st, 5, host);
	bind_str(st, 6, run_id);
	sqlite3_bind_int64(st, 7, starts_ms);
	sqlite3_bind_int64(st, 8, now_ms);
	return store_stmt_done(in->store, st);
}

int
incidents_alerts_firing(incidents_t *in, const char *incident_id)
{
	sqlite3_stmt *st = store_stmt(in->store, sql_alerts_firing);
	if (st == NULL)
		return -1;
	bind_str(st, 1, incident_id);
	int n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	sqlite3_reset(st);
	return n;
}

int
incidents_counts(incidents_t *in, uint64_t counts[5][3])
{
	memset(counts, 0, sizeof(uint64_t) * 5 * 3);
	sqlite3_stmt *st = store_stmt(in->store, sql_counts);
	if (st == NULL)
		return -1;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int sev = sqlite3_column_int(st, 0);
		const char *status = (const char *)sqlite3_column_text(st, 1);
		int k = strcmp(status, "triggered") == 0      ? 0
		        : strcmp(status, "acknowledged") == 0 ? 1
		                                              : 2;
		if (sev >= 1 && sev <= 4)
			counts[sev][k] = (uint64_t)sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
incidents_outbox_counts(incidents_t *in, uint64_t *pending, uint64_t *given_up)
{
	sqlite3_stmt *st = store_stmt(in->store, sql_outbox_counts);
	if (st == NULL)
		return -1;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*pending = (uint64_t)sqlite3_column_int64(st, 0);
		*given_up = (uint64_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : -1;
}
