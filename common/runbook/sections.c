/* runbook/sections: the runbook's own keys, checked into the runbook_t:
 * name, description, targets, params, schedule, severity, escalation,
 * triggers, allowed_operators and allowed_roles; then the documentation
 * keys (doc.c) and the steps (steps.c). */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "cron.h"
#include "duration.h"
#include "keys.h"
#include "xalloc.h"

/* The known keys of each mapping, for "unknown key" and "did you mean". */
static const char *const keys_top[] = {
    "name",     "description",       "targets",          "params",
    "steps",    "schedule",          "severity",         "escalation",
    "triggers", "allowed_operators", "allowed_roles",    "maintenance",
    "alert",    "prevention",        "escalation_notes", "category",
};
/* maintenance: what a freeze window does to the runbook's schedule. */
static const char *const names_maintenance[] = {"pause", "ignore"};
static const char *const keys_schedule[] = {
    "cron", "timezone", "jitter", "catchup", "catchup_max", "concurrency", "skip_dates",
};
static const char *const keys_skip_date[] = {"date", "reason", "file"};
static const char *const keys_targets[] = {
    "hosts", "labels", "all", "coordinator", "batch", "max_failures",
};
static const char *const keys_param[] = {
    "default", "required", "description", "type", "secret", "from_alert", "command",
};
static const char *const keys_trigger[] = {"alertmanager"};

/* Enumerations, in the order of their C enums (index = value, except
 * where a table of values says otherwise). */
static const char *const names_severity[] = {"P1", "P2", "P3", "P4"};
/* allowed_roles: the roles that may submit at all (a viewer never may). */
static const char *const names_allowed_role[] = {"operator", "admin"};
static const char *const names_param_type[] = {"string", "int", "bool", "duration"};
static const char *const names_catchup[] = {"latest", "none", "all"};
static const char *const names_concurrency[] = {"forbid", "allow", "replace"};

/* ---- targets ---- */

/* Adds v to targets.hosts, which the caller sized for every candidate. */
static void
check_host(check_t *c, const yamltree_node_t *v)
{
	runbook_targets_t *t = &c->rb->targets;

	if (!yamltree_is_text(v)) {
		yamltree_report_add(c->r, v->mark, "a host in 'hosts' must be a worker id, not %s",
		                    yamltree_kind_name(v));
		return;
	}
	size_t n = strlen(v->text);
	bool ok = n > 0 && n <= MAX_HOST_LEN;
	for (size_t i = 0; ok && i < n; i++) {
		unsigned char ch = (unsigned char)v->text[i];
		if (ch <= ' ' || ch == 0x7f)
			ok = false;
	}
	if (!ok) {
		yamltree_report_add(
		    c->r, v->mark,
		    "host '%s' is not a valid worker id (1 to %d characters, no spaces)",
		    yamltree_shown(v->text).s, MAX_HOST_LEN);
		return;
	}
	t->hosts[t->host_count++] = xstrdup(v->text);
}

static void
check_hosts(check_t *c, const yamltree_node_t *hosts)
{
	runbook_targets_t *t = &c->rb->targets;

	if (hosts->kind == YAMLTREE_SCALAR) {
		t->hosts = xcalloc(1, sizeof(*t->hosts));
		check_host(c, hosts); /* one host written without brackets */
	} else if (hosts->kind == YAMLTREE_SEQUENCE) {
		t->hosts = xcalloc(hosts->count + 1, sizeof(*t->hosts));
		for (size_t i = 0; i < hosts->count; i++)
			check_host(c, hosts->kids[i]);
	} else {
		yamltree_report_add(c->r, hosts->mark,
		                    "'hosts' must be a sequence of worker ids, not %s",
		                    yamltree_kind_name(hosts));
	}
}

/* One label: "role: web" or "role: [web, api]" (any of them matches). */
static void
check_label(check_t *c, const yamltree_node_t *k, const yamltree_node_t *v)
{
	runbook_targets_t *t = &c->rb->targets;

	if (!runbook_name_valid(k->text, CHARS_LABEL_KEY, RUNBOOK_MAX_NAME_LEN, false)) {
		yamltree_report_add(
		    c->r, k->mark,
		    "label '%s' is not a valid label name (1 to %d of A-Z a-z 0-9 . _ / -)",
		    yamltree_shown(k->text).s, RUNBOOK_MAX_NAME_LEN);
		return;
	}
	if (v->kind == YAMLTREE_SEQUENCE && v->count == 0) {
		yamltree_report_add(c->r, v->mark, "label '%s' lists no values; give at least one",
		                    yamltree_shown(k->text).s);
		return;
	}
	size_t n = v->kind == YAMLTREE_SEQUENCE ? v->count : 1;
	char **values = xcalloc(n, sizeof(*values));
	size_t got = 0;
	for (size_t i = 0; i < n; i++) {
		char *value =
		    runbook_want_string(c, v->kind == YAMLTREE_SEQUENCE ? v->kids[i] : v, k->text);
		if (value != NULL)
			values[got++] = value;
	}
	if (got < n) {
		for (size_t i = 0; i < got; i++)
			free(values[i]);
		free(values);
		return;
	}
	runbook_label_match_t *m = &t->labels[t->label_count++];
	m->key = xstrdup(k->text);
	m->values = values;
	m->value_count = n;
}

static void
check_labels(check_t *c, const yamltree_node_t *labels)
{
	runbook_targets_t *t = &c->rb->targets;

	if (labels->kind != YAMLTREE_MAPPING) {
		yamltree_report_add(c->r, labels->mark,
		                    "'labels' must be a mapping of label: value, not %s",
		                    yamltree_kind_name(labels));
		return;
	}
	t->labels = xcalloc(labels->count / 2 + 1, sizeof(*t->labels));
	for (size_t i = 0; i + 1 < labels->count; i += 2)
		check_label(c, labels->kids[i], labels->kids[i + 1]);
}

/* A count of hosts ("5") or a percentage of them ("25%"), at least 1 unless
 * min is 0 (max_failures: 0 stops a rollout at the first failed host). */
static void
check_amount(check_t *c, const yamltree_node_t *v, const char *key, uint64_t min,
             runbook_amount_t *out)
{
	uint64_t n;
	const char *least = min == 0 ? "0" : "1";

	if (yamltree_is_text(v)) {
		size_t len = strlen(v->text);
		if (len > 1 && v->text[len - 1] == '%') {
			char digits[8];
			if (len - 1 < sizeof(digits)) {
				memcpy(digits, v->text, len - 1);
				digits[len - 1] = '\0';
				if (runbook_text_uint(digits, 100, &n) && n >= min) {
					*out = (runbook_amount_t){(uint32_t)n, true, true};
					return;
				}
			}
		} else if (runbook_text_uint(v->text, UINT32_MAX, &n) && n >= min) {
			*out = (runbook_amount_t){(uint32_t)n, false, true};
			return;
		}
		yamltree_report_add(
		    c->r, v->mark,
		    "'%s' must be a number of hosts (%s or more) or a percentage from"
		    " %s%% to 100%%, not '%s'",
		    key, least, least, yamltree_shown(v->text).s);
		return;
	}
	yamltree_report_add(
	    c->r, v->mark,
	    "'%s' must be a number of hosts (%s or more) or a percentage from %s%% to"
	    " 100%%, not %s",
	    key, least, least, yamltree_kind_name(v));
}

/* `coordinator: true`: the runbook runs on the coordinator alone, so no
 * other key may choose hosts or pace them (its steps are checked once they
 * are read: runbook_check_coordinator_steps). */
static void
check_coordinator(check_t *c, const yamltree_node_t *v)
{
	runbook_targets_t *t = &c->rb->targets;
	const yamltree_node_t *n = yamltree_map_get(v, "coordinator");
	if (n == NULL || runbook_want_bool(c, n, "coordinator", &t->coordinator) != 0 ||
	    !t->coordinator)
		return;
	t->coordinator_mark = n->mark;
	static const char *const others[] = {"hosts", "labels", "all", "batch", "max_failures"};
	for (size_t i = 0; i < COUNT_OF(others); i++)
		if (yamltree_map_get(v, others[i]) != NULL)
			yamltree_report_add(c->r, n->mark,
			                    "'coordinator: true' cannot be combined with '%s': the"
			                    " run has one host, the coordinator itself",
			                    others[i]);
}

/* Every step of a runbook that runs on the coordinator must be one the
 * coordinator runs itself: there is no worker to send another to. */
static void
check_coordinator_steps(check_t *c)
{
	const runbook_t *rb = c->rb;
	if (!rb->targets.coordinator)
		return;
	for (size_t i = 0; i < rb->step_count; i++) {
		const runbook_step_t *s = &rb->steps[i];
		const runbook_step_info_t *k = runbook_step_info(s->type);
		if (k == NULL || k->runs_on == RUNBOOK_RUNS_COORDINATOR)
			continue;
		yamltree_report_add(c->r, s->mark,
		                    "step '%s' is a %s step, but the runbook has 'targets: {"
		                    " coordinator: true }', which runs no worker: only manual and"
		                    " notify steps can run there (give it worker targets, or move"
		                    " this step to another runbook)",
		                    s->id ? s->id : "?", k->name);
	}
}

static void
check_targets(check_t *c, const yamltree_node_t *v)
{
	runbook_targets_t *t = &c->rb->targets;

	if (yamltree_is_null(v))
		return;
	if (v->kind != YAMLTREE_MAPPING) {
		yamltree_report_add(
		    c->r, v->mark,
		    "'targets' must be a mapping (hosts, labels, all, coordinator, batch,"
		    " max_failures), "
		    "not %s",
		    yamltree_kind_name(v));
		return;
	}
	runbook_keys_check(c, v, keys_targets, COUNT_OF(keys_targets), "targets");

	const yamltree_node_t *hosts = yamltree_map_get(v, "hosts");
	if (hosts != NULL && !yamltree_is_null(hosts))
		check_hosts(c, hosts);
	const yamltree_node_t *labels = yamltree_map_get(v, "labels");
	if (labels != NULL && !yamltree_is_null(labels))
		check_labels(c, labels);

	const yamltree_node_t *all = yamltree_map_get(v, "all");
	if (all != NULL && runbook_want_bool(c, all, "all", &t->all) == 0 && t->all &&
	    ((hosts != NULL && !yamltree_is_null(hosts)) ||
	     (labels != NULL && !yamltree_is_null(labels))))
		yamltree_report_add(c->r, all->mark,
		                    "'all: true' cannot be combined with 'hosts' or 'labels'");

	const yamltree_node_t *n;
	if ((n = yamltree_map_get(v, "batch")) != NULL)
		check_amount(c, n, "batch", 1, &t->batch);
	if ((n = yamltree_map_get(v, "max_failures")) != NULL)
		check_amount(c, n, "max_failures", 0, &t->max_failures);
	check_coordinator(c, v);
}

/* ---- params ---- */

/* Does text fit a param type? what gets the words for an error. */
bool
runbook_param_value_fits(runbook_param_type_t type, const char *text, const char **what)
{
	bool b;

	switch (type) {
	case RUNBOOK_PARAM_INT:
		*what = "an integer";
		return runbook_text_int64(text);
	case RUNBOOK_PARAM_BOOL:
		*what = "true, false, yes, no, 1 or 0";
		return runbook_text_bool(text, &b);
	case RUNBOOK_PARAM_DURATION:
		*what = "a duration such as 30s, 5m or 1h30m";
		return runbook_text_duration(text);
	default:
		*what = "text";
		return true;
	}
}

/* One label name of from_alert into p. */
static void
check_from_alert_name(check_t *c, const yamltree_node_t *n, runbook_param_t *p)
{
	if (!yamltree_is_text(n) ||
	    !runbook_name_valid(n->text, CHARS_LABEL_KEY, RUNBOOK_MAX_NAME_LEN, false)) {
		yamltree_report_add(c->r, n->mark,
		                    "param '%s': from_alert names an alert label (like mountpoint"
		                    " or service), not %s",
		                    p->name,
		                    yamltree_is_text(n) ? yamltree_shown(n->text).s
		                                        : yamltree_kind_name(n));
		return;
	}
	p->from_alert[p->from_alert_count++] = xstrdup(n->text);
}

/* from_alert: a label's name, or a list of them (the first the alert
 * has). Only an alert-started run has an alert: a runbook without
 * triggers has none to take from. */
static void
check_from_alert(check_t *c, const yamltree_node_t *n, runbook_param_t *p)
{
	if (c->rb->trigger_count == 0) {
		yamltree_report_add(c->r, n->mark,
		                    "param '%s': from_alert needs 'triggers': only a run an alert"
		                    " started has an alert to take a value from",
		                    p->name);
		return;
	}
	bool list = n->kind == YAMLTREE_SEQUENCE;
	size_t count = list ? n->count : 1;
	if (count == 0 || count > RUNBOOK_MAX_FROM_ALERT) {
		yamltree_report_add(c->r, n->mark,
		                    "param '%s': from_alert takes 1 to %d label names", p->name,
		                    RUNBOOK_MAX_FROM_ALERT);
		return;
	}
	p->from_alert = xcalloc(count, sizeof(*p->from_alert));
	for (size_t i = 0; i < count; i++)
		check_from_alert_name(c, list ? n->kids[i] : n, p);
}

/* The param's settings from its mapping. */
static void
check_param_map(check_t *c, const yamltree_node_t *v, runbook_param_t *p)
{
	char where[RUNBOOK_MAX_NAME_LEN + 16];

	snprintf(where, sizeof(where), "param '%s'", p->name);
	runbook_keys_check(c, v, keys_param, COUNT_OF(keys_param), where);

	const yamltree_node_t *n;
	if ((n = yamltree_map_get(v, "type")) != NULL) {
		int type;
		if (runbook_want_enum(c, n, "type", names_param_type, COUNT_OF(names_param_type),
		                      &type) == 0)
			p->type = (runbook_param_type_t)type;
	}
	const yamltree_node_t *dv = yamltree_map_get(v, "default");
	if (dv != NULL && (p->default_value = runbook_want_string(c, dv, "default")) != NULL) {
		const char *what;
		if (!runbook_param_value_fits(p->type, p->default_value, &what))
			yamltree_report_add(c->r, dv->mark, "param '%s': default '%s' is not %s",
			                    p->name, yamltree_shown(p->default_value).s,
			                    p->type == RUNBOOK_PARAM_INT ? "an int" : what);
	}
	if ((n = yamltree_map_get(v, "description")) != NULL)
		p->description = runbook_want_string(c, n, "description");
	if ((n = yamltree_map_get(v, "secret")) != NULL)
		runbook_want_bool(c, n, "secret", &p->secret);
	if ((n = yamltree_map_get(v, "from_alert")) != NULL)
		check_from_alert(c, n, p);
	if ((n = yamltree_map_get(v, "command")) != NULL &&
	    runbook_want_bool(c, n, "command", &p->command) == 0 && p->command &&
	    yamltree_map_get(v, "from_alert") != NULL)
		yamltree_report_add(c->r, n->mark,
		                    "param '%s' is a command (run as shell) and takes from_alert:"
		                    " an alert's label would be run on the host; drop one of them",
		                    p->name);

	const yamltree_node_t *rq = yamltree_map_get(v, "required");
	bool required = true;
	if (rq != NULL && runbook_want_bool(c, rq, "required", &required) == 0) {
		if (required && dv != NULL)
			yamltree_report_add(
			    c->r, rq->mark,
			    "param '%s' is required and has a default; drop one of them", p->name);
		else if (!required && dv == NULL)
			yamltree_report_add(
			    c->r, rq->mark,
			    "param '%s' is not required but has no default; give it one "
			    "(default: \"\" for empty)",
			    p->name);
	}
	p->required = dv == NULL;
}

/* A param is required unless it has a default. "required: true" with a
 * default, or "required: false" without one, contradict each other and are
 * errors rather than a guess: a param that silently expands to "" can turn
 * "rm -rf {{ params.dir }}/" into something nobody meant. */
static void
check_param(check_t *c, const yamltree_node_t *v, runbook_param_t *p)
{
	p->required = true;
	p->type = RUNBOOK_PARAM_STRING;
	if (yamltree_is_null(v))
		return; /* "name:" alone: a required param */
	if (v->kind == YAMLTREE_SCALAR) {
		p->default_value = xstrdup(v->text); /* shorthand for the default */
		p->required = false;
		return;
	}
	if (v->kind != YAMLTREE_MAPPING) {
		yamltree_report_add(
		    c->r, v->mark,
		    "param '%s' must be a default value or a mapping (default, required, "
		    "description, type, secret), not %s",
		    p->name, yamltree_kind_name(v));
		return;
	}
	check_param_map(c, v, p);
}

static void
check_params(check_t *c, const yamltree_node_t *v)
{
	runbook_t *rb = c->rb;

	if (yamltree_is_null(v))
		return;
	if (v->kind != YAMLTREE_MAPPING) {
		yamltree_report_add(c->r, v->mark,
		                    "'params' must be a mapping of param names, not %s",
		                    yamltree_kind_name(v));
		return;
	}
	if (v->count / 2 > RUNBOOK_MAX_PARAMS) {
		yamltree_report_add(c->r, v->mark, "more than %d params", RUNBOOK_MAX_PARAMS);
		return;
	}
	rb->params = xcalloc(v->count / 2 + 1, sizeof(*rb->params));
	for (size_t i = 0; i + 1 < v->count; i += 2) {
		const yamltree_node_t *k = v->kids[i];
		if (!runbook_name_valid(k->text, CHARS_IDENT, RUNBOOK_MAX_NAME_LEN, true)) {
			yamltree_report_add(
			    c->r, k->mark,
			    "param name '%s' is not valid (a letter or _, then letters, "
			    "digits or _; at most %d)",
			    yamltree_shown(k->text).s, RUNBOOK_MAX_NAME_LEN);
			continue;
		}
		runbook_param_t *p = &rb->params[rb->param_count++];
		p->name = xstrdup(k->text);
		p->mark = k->mark;
		check_param(c, v->kids[i + 1], p);
	}
}

/* ---- schedule ---- */

/* Where in the file column col (1-based) of scalar n's text is: exact when
 * the scalar sits on one line and its text is what was written (plain, or
 * quoted without escapes: then its width is the text's length, plus the two
 * quotes); otherwise the scalar's own position. */
static runbook_mark_t
mark_inside(const yamltree_node_t *n, int col)
{
	bool quoted = n->style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
	              n->style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	size_t width = strlen(n->text) + (quoted ? 2 : 0);
	runbook_mark_t m = n->mark;

	if ((n->plain || quoted) && n->end.line == n->mark.line && col >= 1 &&
	    (size_t)(n->end.column - n->mark.column) == width && (size_t)col <= width)
		m.column += col - 1 + (quoted ? 1 : 0);
	return m;
}

static void
check_cron(check_t *c, const yamltree_node_t *v, runbook_schedule_t *sc)
{
	char err[256];
	int col = 0;
	cron_t cron;

	if (!yamltree_is_text(v)) {
		yamltree_report_add(
		    c->r, v->mark,
		    "'cron' must be a cron expression such as \"0 8 * * 1-5\" or \"@daily\", "
		    "not %s",
		    yamltree_kind_name(v));
		return;
	}
	err[0] = '\0';
	if (cron_parse(v->text, &cron, err, sizeof(err), &col) != 0) {
		yamltree_report_add(c->r, mark_inside(v, col), "bad cron expression: %s",
		                    err[0] ? err : "not a cron expression");
		return;
	}
	sc->cron = xstrdup(v->text);
	sc->expr = cron;
}

static void
check_timezone(check_t *c, const yamltree_node_t *v, runbook_schedule_t *sc)
{
	char *tz = runbook_want_string(c, v, "timezone");

	if (tz == NULL)
		return;
	if (!cron_timezone_valid(tz)) {
		yamltree_report_add(c->r, v->mark,
		                    "unknown timezone '%s' (an IANA name like Europe/London "
		                    "or UTC)",
		                    yamltree_shown(tz).s);
		free(tz);
		return;
	}
	free(sc->timezone);
	sc->timezone = tz;
}

/* One item of skip_dates: "2026-12-25", {date: 2026-12-25, reason: T} or
 * {file: PATH} (read later, by runbook_skip_file_load). */
static void
check_skip_date(check_t *c, const yamltree_node_t *v, runbook_schedule_t *sc)
{
	const yamltree_node_t *d = v, *why = NULL, *file = NULL;
	if (v->kind == YAMLTREE_MAPPING) {
		runbook_keys_check(c, v, keys_skip_date, COUNT_OF(keys_skip_date),
		                   "skip_dates item");
		d = yamltree_map_get(v, "date");
		why = yamltree_map_get(v, "reason");
		file = yamltree_map_get(v, "file");
		if (file != NULL) {
			char *path = runbook_want_string(c, file, "file");
			if (path != NULL && sc->skip_file != NULL) {
				yamltree_report_add(
				    c->r, file->mark,
				    "skip_dates: one holiday file per schedule (list "
				    "other dates in it or beside it)");
				free(path);
			} else if (path != NULL) {
				sc->skip_file = path;
				sc->skip_file_mark = file->mark;
			}
			if (d != NULL)
				yamltree_report_add(
				    c->r, v->mark,
				    "skip_dates: an item is a 'date' or a 'file', not both");
			return;
		}
		if (d == NULL) {
			yamltree_report_add(
			    c->r, v->mark,
			    "skip_dates: an item needs 'date' (YYYY-MM-DD) or 'file'");
			return;
		}
	}
	if (!yamltree_is_text(d) || !skipdates_valid(d->text)) {
		yamltree_report_add(c->r, d->mark,
		                    "skip_dates: '%s' is not a date; write YYYY-MM-DD (as in "
		                    "2026-12-25)",
		                    yamltree_is_text(d) ? yamltree_shown(d->text).s : "?");
		return;
	}
	char *reason = why != NULL ? runbook_want_string(c, why, "reason") : NULL;
	skipdates_add(&sc->skip, d->text, reason);
	free(reason);
}

static void
check_skip_dates(check_t *c, const yamltree_node_t *v, runbook_schedule_t *sc)
{
	if (v->kind != YAMLTREE_SEQUENCE) {
		yamltree_report_add(c->r, v->mark,
		                    "'skip_dates' must be a list of dates (YYYY-MM-DD), "
		                    "{date, reason} and {file: PATH}, not %s",
		                    yamltree_kind_name(v));
		return;
	}
	for (size_t i = 0; i < v->count; i++)
		check_skip_date(c, v->kids[i], sc);
}

static void
check_schedule_map(check_t *c, const yamltree_node_t *v, runbook_schedule_t *sc)
{
	const yamltree_node_t *n;
	int e;

	runbook_keys_check(c, v, keys_schedule, COUNT_OF(keys_schedule), "schedule");
	if ((n = yamltree_map_get(v, "cron")) != NULL)
		check_cron(c, n, sc);
	else
		yamltree_report_add(c->r, v->mark, "schedule has no 'cron'");
	if ((n = yamltree_map_get(v, "timezone")) != NULL)
		check_timezone(c, n, sc);
	if ((n = yamltree_map_get(v, "jitter")) != NULL)
		runbook_want_duration_ex(c, n, "jitter", true, &sc->jitter_ms);
	if ((n = yamltree_map_get(v, "catchup")) != NULL &&
	    runbook_want_enum(c, n, "catchup", names_catchup, COUNT_OF(names_catchup), &e) == 0)
		sc->catchup = (runbook_catchup_t)e;
	if ((n = yamltree_map_get(v, "concurrency")) != NULL &&
	    runbook_want_enum(c, n, "concurrency", names_concurrency, COUNT_OF(names_concurrency),
	                      &e) == 0)
		sc->concurrency = (runbook_concurrency_t)e;
	if ((n = yamltree_map_get(v, "catchup_max")) != NULL &&
	    runbook_want_uint(c, n, "catchup_max", 1, RUNBOOK_MAX_CATCHUP, &sc->catchup_max) == 0 &&
	    sc->catchup != RUNBOOK_CATCHUP_ALL)
		/* Said rather than ignored: the writer expects it to matter. */
		yamltree_report_add(c->r, n->mark,
		                    "'catchup_max' only applies with 'catchup: all'");
	if ((n = yamltree_map_get(v, "skip_dates")) != NULL)
		check_skip_dates(c, n, sc);
}

/* "schedule: EXPR" is short for "schedule: {cron: EXPR}". */
static void
check_schedule(check_t *c, const yamltree_node_t *v)
{
	runbook_schedule_t *sc = &c->rb->schedule;

	sc->present = true;
	sc->mark = v->mark;
	sc->timezone = xstrdup("UTC");
	sc->catchup = RUNBOOK_CATCHUP_LATEST;
	sc->catchup_max = RUNBOOK_DEFAULT_CATCHUP_MAX;
	sc->concurrency = RUNBOOK_CONCURRENCY_FORBID;
	if (yamltree_is_text(v))
		check_cron(c, v, sc);
	else if (v->kind == YAMLTREE_MAPPING)
		check_schedule_map(c, v, sc);
	else
		yamltree_report_add(
		    c->r, v->mark,
		    "'schedule' must be a cron expression or a mapping (cron, timezone, "
		    "jitter, catchup, catchup_max, concurrency, skip_dates), not %s",
		    yamltree_kind_name(v));
}

/* ---- severity, escalation, triggers ---- */

static void
check_severity(check_t *c, const yamltree_node_t *v)
{
	int index;

	if (runbook_want_enum(c, v, "severity", names_severity, COUNT_OF(names_severity), &index) ==
	    0)
		c->rb->severity = index + 1;
}

static void
check_escalation(check_t *c, const yamltree_node_t *v)
{
	char *name = runbook_want_string(c, v, "escalation");

	if (name == NULL)
		return;
	if (!runbook_name_valid(name, CHARS_RUNBOOK_NAME, RUNBOOK_MAX_NAME_LEN, false)) {
		yamltree_report_add(
		    c->r, v->mark,
		    "escalation policy name '%s' is not valid (1 to %d of A-Z a-z 0-9 . _ -)",
		    yamltree_shown(name).s, RUNBOOK_MAX_NAME_LEN);
		free(name);
		return;
	}
	c->rb->escalation = name;
}

/* The alert labels a trigger matches: Prometheus label names, text values. */
static void
check_trigger_match(check_t *c, const yamltree_node_t *v, runbook_trigger_t *t, const char *where)
{
	if (v->kind != YAMLTREE_MAPPING || v->count == 0) {
		yamltree_report_add(
		    c->r, v->mark,
		    "'alertmanager' in %s must be a mapping of alert labels such as "
		    "{alertname: ServiceDown}, not %s",
		    where,
		    v->kind == YAMLTREE_MAPPING ? "an empty mapping" : yamltree_kind_name(v));
		return;
	}
	t->match = xcalloc(v->count / 2, sizeof(*t->match));
	for (size_t i = 0; i + 1 < v->count; i += 2) {
		const yamltree_node_t *k = v->kids[i];
		if (runbook_metric_name_len(k->text, false) != strlen(k->text) ||
		    k->text[0] == '\0') {
			yamltree_report_add(
			    c->r, k->mark,
			    "alert label '%s' is not a valid label name (a letter or _, then "
			    "letters, digits or _)",
			    yamltree_shown(k->text).s);
			continue;
		}
		char *value = runbook_want_string(c, v->kids[i + 1], k->text);
		if (value == NULL)
			continue;
		t->match[t->match_count].key = xstrdup(k->text);
		t->match[t->match_count].value = value;
		t->match_count++;
	}
}

static void
check_trigger(check_t *c, const yamltree_node_t *v, size_t index, runbook_trigger_t *t)
{
	char where[32];

	snprintf(where, sizeof(where), "trigger %zu", index + 1);
	t->mark = v->mark;
	if (v->kind != YAMLTREE_MAPPING || v->count != 2) {
		yamltree_report_add(
		    c->r, v->mark,
		    "%s must be a mapping with one source, such as {alertmanager: "
		    "{alertname: ServiceDown}}, not %s",
		    where, v->kind == YAMLTREE_MAPPING ? "several keys" : yamltree_kind_name(v));
		if (v->kind == YAMLTREE_MAPPING)
			runbook_keys_check(c, v, keys_trigger, COUNT_OF(keys_trigger), where);
		return;
	}
	runbook_keys_check(c, v, keys_trigger, COUNT_OF(keys_trigger), where);
	const yamltree_node_t *am = yamltree_map_get(v, "alertmanager");
	if (am == NULL)
		return;
	t->source = xstrdup("alertmanager");
	check_trigger_match(c, am, t, where);
}

static void
check_triggers(check_t *c, const yamltree_node_t *v)
{
	runbook_t *rb = c->rb;

	if (yamltree_is_null(v))
		return;
	if (v->kind != YAMLTREE_SEQUENCE) {
		yamltree_report_add(
		    c->r, v->mark,
		    "'triggers' must be a sequence such as [{alertmanager: {alertname: "
		    "ServiceDown}}], not %s",
		    yamltree_kind_name(v));
		return;
	}
	rb->triggers = xcalloc(v->count + 1, sizeof(*rb->triggers));
	rb->trigger_count = v->count;
	for (size_t i = 0; i < v->count; i++)
		check_trigger(c, v->kids[i], i, &rb->triggers[i]);
}

/* ---- allowed_operators, allowed_roles ---- */

/* A sequence of distinct names into *out; roles must be one of
 * names_allowed_role, operators valid key names (keys.h). */
static void
check_allowed(check_t *c, const yamltree_node_t *v, const char *key, bool roles, char ***out,
              size_t *count)
{
	if (v->kind != YAMLTREE_SEQUENCE) {
		yamltree_report_add(c->r, v->mark, "'%s' must be a sequence such as %s, not %s",
		                    key, roles ? "[admin]" : "[alice, bob]", yamltree_kind_name(v));
		return;
	}
	if (v->count == 0) {
		yamltree_report_add(
		    c->r, v->mark,
		    "'%s' names nobody: nobody could submit this runbook (remove the key to"
		    " let every operator)",
		    key);
		return;
	}
	if (v->count > RUNBOOK_MAX_ALLOWED) {
		yamltree_report_add(c->r, v->mark, "'%s' names more than %d", key,
		                    RUNBOOK_MAX_ALLOWED);
		return;
	}
	*out = xcalloc(v->count, sizeof(**out));
	for (size_t i = 0; i < v->count; i++) {
		const yamltree_node_t *item = v->kids[i];
		char *name = runbook_want_string(c, item, key);
		if (name == NULL)
			continue;
		int index;
		if (roles && strcmp(name, "viewer") == 0) {
			yamltree_report_add(
			    c->r, item->mark,
			    "'%s': a viewer cannot submit anything; list operator or admin", key);
			free(name);
			continue;
		}
		if (roles && runbook_want_enum(c, item, key, names_allowed_role,
		                               COUNT_OF(names_allowed_role), &index) != 0) {
			free(name);
			continue;
		}
		if (!roles && !keys_valid_name(name)) {
			yamltree_report_add(
			    c->r, item->mark,
			    "'%s': operator name '%s' is not valid (1 to 128 of A-Z a-z 0-9"
			    " . _ -, not starting with '.')",
			    key, yamltree_shown(name).s);
			free(name);
			continue;
		}
		bool twice = false;
		for (size_t k = 0; k < *count && !twice; k++)
			twice = strcmp((*out)[k], name) == 0;
		if (twice) {
			yamltree_report_add(c->r, item->mark, "'%s' names '%s' twice", key,
			                    yamltree_shown(name).s);
			free(name);
			continue;
		}
		(*out)[(*count)++] = name;
	}
}
void
runbook_check_root(check_t *c, const yamltree_node_t *root)
{
	runbook_t *rb = c->rb;

	if (root->kind != YAMLTREE_MAPPING) {
		yamltree_report_add(
		    c->r, root->mark,
		    "a runbook must be a mapping of keys (name, steps, ...), not %s",
		    yamltree_kind_name(root));
		return;
	}
	runbook_keys_check(c, root, keys_top, COUNT_OF(keys_top), "runbook");

	const yamltree_node_t *v = yamltree_map_get(root, "name");
	if (v == NULL) {
		yamltree_report_add(c->r, root->mark, "missing required key 'name'");
	} else if ((rb->name = runbook_want_string(c, v, "name")) != NULL &&
	           !runbook_name_valid(rb->name, CHARS_RUNBOOK_NAME, RUNBOOK_MAX_NAME_LEN, false)) {
		yamltree_report_add(c->r, v->mark,
		                    "runbook name '%s' is not valid (1 to %d of A-Z a-z 0-9 . _ -)",
		                    yamltree_shown(rb->name).s, RUNBOOK_MAX_NAME_LEN);
	}
	if ((v = yamltree_map_get(root, "description")) != NULL)
		rb->description = runbook_want_string(c, v, "description");
	if ((v = yamltree_map_get(root, "targets")) != NULL)
		check_targets(c, v);
	if ((v = yamltree_map_get(root, "schedule")) != NULL)
		check_schedule(c, v);
	if ((v = yamltree_map_get(root, "severity")) != NULL)
		check_severity(c, v);
	if ((v = yamltree_map_get(root, "escalation")) != NULL)
		check_escalation(c, v);
	if ((v = yamltree_map_get(root, "triggers")) != NULL)
		check_triggers(c, v);
	int mode;
	if ((v = yamltree_map_get(root, "maintenance")) != NULL &&
	    runbook_want_enum(c, v, "maintenance", names_maintenance, COUNT_OF(names_maintenance),
	                      &mode) == 0)
		rb->maintenance_ignore = mode == 1;
	const yamltree_node_t *ops = yamltree_map_get(root, "allowed_operators");
	const yamltree_node_t *roles = yamltree_map_get(root, "allowed_roles");
	if (ops != NULL)
		check_allowed(c, ops, "allowed_operators", false, &rb->allowed_operators,
		              &rb->allowed_operator_count);
	if (roles != NULL)
		check_allowed(c, roles, "allowed_roles", true, &rb->allowed_roles,
		              &rb->allowed_role_count);
	if (ops != NULL || roles != NULL)
		rb->allowed_mark = (ops != NULL ? ops : roles)->mark;
	runbook_check_doc(c, root);
	/* params before steps: templates in steps name params. */
	if ((v = yamltree_map_get(root, "params")) != NULL)
		check_params(c, v);
	runbook_check_steps(c, root);
	check_coordinator_steps(c);
}
