/* maintenance: maintenance windows (see maintenance.h). */
#include "maintenance.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "duration.h"
#include "xalloc.h"

typedef struct {
	char *name; /* owned */
	char *cron; /* owned: as written */
	char *timezone;
	cron_t expr;
	int64_t duration_ms;
	char *target; /* owned */
	char *reason; /* owned */
	bool freeze;
} recurring_t;

struct maint_plan {
	recurring_t *items; /* owned */
	size_t count;
};

static const char *const keys_window[] = {"name",   "cron",   "timezone", "duration",
                                          "target", "reason", "freeze"};

/* ---- targets ------------------------------------------------------------ */

int
maintenance_target_check(const char *target, char **error)
{
	if (target == NULL || target[0] == '\0') {
		*error = xstrdup("a target is needed: a worker id, label=value or all");
		return -1;
	}
	for (const char *p = target; *p; p++) {
		if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p)) {
			*error = xasprintf("target '%s' holds a space; give one worker id,"
			                   " label=value or all",
			                   target);
			return -1;
		}
	}
	const char *eq = strchr(target, '=');
	if (eq != NULL && (eq == target || eq[1] == '\0' || strchr(eq + 1, '=') != NULL)) {
		*error = xasprintf("target '%s' is not label=value (like role=db)", target);
		return -1;
	}
	return 0;
}

bool
maintenance_target_matches(const char *target, const worker_t *w)
{
	if (strcmp(target, "all") == 0)
		return true;
	const char *eq = strchr(target, '=');
	if (eq == NULL)
		return strcmp(target, w->id) == 0;
	for (size_t i = 0; i < w->label_count; i++) {
		const registry_label_t *l = &w->labels[i];
		if (strlen(l->key) == (size_t)(eq - target) &&
		    strncmp(l->key, target, (size_t)(eq - target)) == 0)
			return strcmp(l->value, eq + 1) == 0;
	}
	return false;
}

const maint_window_t *
maintenance_covering(const maint_set_t *set, const worker_t *w)
{
	/* A freeze pauses schedules, not hosts: alerts still page and a
	 * runbook marked `maintenance: ignore` still runs on them. */
	for (size_t i = 0; set != NULL && i < set->count; i++)
		if (!set->items[i].freeze && maintenance_target_matches(set->items[i].target, w))
			return &set->items[i];
	return NULL;
}

const maint_window_t *
maintenance_covering_all(const maint_set_t *set)
{
	for (size_t i = 0; set != NULL && i < set->count; i++)
		if (!set->items[i].freeze && strcmp(set->items[i].target, "all") == 0)
			return &set->items[i];
	return NULL;
}

const maint_window_t *
maintenance_freeze(const maint_set_t *set)
{
	for (size_t i = 0; set != NULL && i < set->count; i++)
		if (set->items[i].freeze && strcmp(set->items[i].target, "all") == 0)
			return &set->items[i];
	return NULL;
}

int64_t
maintenance_parse_id(const char *text)
{
	if (text == NULL)
		return -1;
	if (strncasecmp(text, MAINTENANCE_ID_PREFIX, strlen(MAINTENANCE_ID_PREFIX)) == 0)
		text += strlen(MAINTENANCE_ID_PREFIX);
	if (*text == '\0' || strlen(text) > 15)
		return -1;
	int64_t v = 0;
	for (const char *p = text; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return -1;
		v = v * 10 + (*p - '0');
	}
	return v > 0 ? v : -1;
}

const maint_window_t *
maintenance_find_recurring(const maint_set_t *set, const char *text)
{
	if (text == NULL)
		return NULL;
	size_t plen = strlen(MAINTENANCE_ID_PREFIX);
	const char *name = strncasecmp(text, MAINTENANCE_ID_PREFIX, plen) == 0 ? text + plen : text;
	for (size_t i = 0; set != NULL && i < set->count; i++)
		if (set->items[i].recurring && strcmp(set->items[i].id + plen, name) == 0)
			return &set->items[i];
	return NULL;
}

keyring_role_t
maintenance_role_needed(const char *target, uint64_t for_ms, bool freeze, const char **why)
{
	/* A freeze pauses every schedule; "all" silences every alert: the
	 * reviewer's finding was an operator doing either for 30 days. A
	 * short window on everything (a network change) stays an operator's
	 * call, as does any window on a host or a label. */
	if (freeze) {
		*why = "for --freeze (it pauses every schedule)";
		return KEYRING_ROLE_ADMIN;
	}
	if (target != NULL && strcmp(target, "all") == 0 &&
	    for_ms > (uint64_t)MAINTENANCE_OPERATOR_ALL_MS) {
		*why = "for --target all longer than 4h (it silences every host's alerts)";
		return KEYRING_ROLE_ADMIN;
	}
	*why = "";
	return KEYRING_ROLE_OPERATOR;
}

char *
maintenance_describe(const maint_window_t *w)
{
	char until[32];
	clock_format(w->ends_ms, until, sizeof(until));
	return xasprintf("window %s (%s, until %s UTC: %s)", w->id, w->target, until, w->reason);
}

/* ---- the configuration's recurring windows ------------------------------ */

static const char *
text_of(yamltree_report_t *rep, const yamltree_node_t *entry, const char *key, bool required)
{
	const yamltree_node_t *v = yamltree_map_get(entry, key);
	if (v == NULL) {
		if (required)
			yamltree_report_add(rep, entry->mark, "maintenance: a window needs '%s'",
			                    key);
		return NULL;
	}
	if (!yamltree_is_text(v) || v->text[0] == '\0') {
		yamltree_report_add(rep, v->mark, "maintenance: %s must be a value, not %s", key,
		                    yamltree_kind_name(v));
		return NULL;
	}
	return v->text;
}

static void
read_window(yamltree_report_t *rep, const yamltree_node_t *n, maint_plan_t *p)
{
	if (n->kind != YAMLTREE_MAPPING) {
		yamltree_report_add(rep, n->mark,
		                    "maintenance: a window must be a mapping (name, cron, duration,"
		                    " target, reason), not %s",
		                    yamltree_kind_name(n));
		return;
	}
	for (size_t i = 0; i + 1 < n->count; i += 2) {
		bool known = false;
		for (size_t j = 0; j < sizeof(keys_window) / sizeof(keys_window[0]); j++)
			known = known || strcmp(n->kids[i]->text, keys_window[j]) == 0;
		if (!known)
			yamltree_report_add(
			    rep, n->kids[i]->mark,
			    "maintenance: unknown key '%s' in a window (expected name,"
			    " cron, timezone, duration, target, reason, freeze)",
			    yamltree_shown(n->kids[i]->text).s);
	}
	const char *name = text_of(rep, n, "name", true);
	const char *cron = text_of(rep, n, "cron", true);
	const char *tz = text_of(rep, n, "timezone", false);
	const char *dur = text_of(rep, n, "duration", true);
	const char *target = text_of(rep, n, "target", true);
	const char *reason = text_of(rep, n, "reason", false);
	const char *freeze = text_of(rep, n, "freeze", false);
	recurring_t w = {0};
	bool ok = name && cron && dur && target;
	if (name) {
		bool name_ok = strlen(name) <= 40;
		for (const char *c = name; *c; c++)
			if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_')
				name_ok = false;
		for (size_t i = 0; i < p->count; i++)
			if (strcmp(p->items[i].name, name) == 0)
				name_ok = false;
		ok = ok && name_ok;
		if (!name_ok)
			yamltree_report_add(
			    rep, yamltree_map_get(n, "name")->mark,
			    "maintenance: name '%s' must be unique, at most 40 letters,"
			    " digits, '-' or '_'",
			    yamltree_shown(name).s);
		/* Its id MW-NAME would be that of a window started by hand
		 * (MW-7): rota maintenance end would find that one instead. */
		int64_t hand = name_ok ? maintenance_parse_id(name) : -1;
		if (hand > 0) {
			yamltree_report_add(rep, yamltree_map_get(n, "name")->mark,
			                    "maintenance: name '%s' reads as MW-%lld, the id of a"
			                    " window started by hand; give it a word (patch-night)",
			                    name, (long long)hand);
			ok = false;
		}
	}
	char err[160];
	int column = 0;
	if (cron && cron_parse(cron, &w.expr, err, sizeof(err), &column) != 0) {
		yamltree_report_add(rep, yamltree_map_get(n, "cron")->mark, "maintenance: cron: %s",
		                    err);
		ok = false;
	}
	if (tz && !cron_timezone_valid(tz)) {
		yamltree_report_add(rep, yamltree_map_get(n, "timezone")->mark,
		                    "maintenance: unknown timezone '%s' (an IANA name like"
		                    " Europe/London)",
		                    yamltree_shown(tz).s);
		ok = false;
	}
	uint64_t ms = 0;
	/* Not beyond 30d: what the store keeps of an occurrence ended early
	 * (maintenance_ended) is read back for 30 days only. */
	if (dur &&
	    (duration_parse(dur, &ms) != 0 || ms < 60000 || ms > (uint64_t)MAINTENANCE_MAX_MS)) {
		yamltree_report_add(rep, yamltree_map_get(n, "duration")->mark,
		                    "maintenance: duration '%s' must be from 1m to 30d, like 2h",
		                    yamltree_shown(dur).s);
		ok = false;
	}
	char *why = NULL;
	if (target && maintenance_target_check(target, &why) != 0) {
		yamltree_report_add(rep, yamltree_map_get(n, "target")->mark, "maintenance: %s",
		                    why);
		free(why);
		ok = false;
	}
	if (freeze && strcmp(freeze, "true") != 0 && strcmp(freeze, "false") != 0) {
		yamltree_report_add(rep, yamltree_map_get(n, "freeze")->mark,
		                    "maintenance: freeze must be true or false");
		ok = false;
	}
	/* maintenance_freeze and maintenance_covering both pass over a freeze
	 * on less than all: it would pause nothing and cover nothing. */
	if (freeze && strcmp(freeze, "true") == 0 && target && strcmp(target, "all") != 0) {
		yamltree_report_add(rep, yamltree_map_get(n, "freeze")->mark,
		                    "maintenance: freeze pauses every schedule, so it goes with"
		                    " target: all, not %s",
		                    yamltree_shown(target).s);
		ok = false;
	}
	if (!ok)
		return;
	w.name = xstrdup(name);
	w.cron = xstrdup(cron);
	w.timezone = xstrdup(tz ? tz : "UTC");
	w.duration_ms = (int64_t)ms;
	w.target = xstrdup(target);
	w.reason = xstrdup(reason ? reason : "scheduled maintenance");
	w.freeze = freeze && strcmp(freeze, "true") == 0;
	p->items[p->count++] = w;
}

maint_plan_t *
maintenance_plan_read(yamltree_report_t *rep, const yamltree_node_t *node)
{
	maint_plan_t *p = xcalloc(1, sizeof(*p));
	if (node == NULL || yamltree_is_null(node))
		return p;
	if (node->kind != YAMLTREE_SEQUENCE) {
		yamltree_report_add(rep, node->mark,
		                    "maintenance must be a list of windows (- name: ..., cron: ...,"
		                    " duration: ..., target: ...), not %s",
		                    yamltree_kind_name(node));
		return p;
	}
	if (node->count > MAINTENANCE_MAX_RECURRING) {
		yamltree_report_add(rep, node->mark, "maintenance: more than %d windows",
		                    MAINTENANCE_MAX_RECURRING);
		return p;
	}
	p->items = xcalloc(node->count + 1, sizeof(*p->items));
	for (size_t i = 0; i < node->count; i++)
		read_window(rep, node->kids[i], p);
	return p;
}

void
maintenance_plan_destroy(maint_plan_t **pp)
{
	maint_plan_t *p = *pp;
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->count; i++) {
		free(p->items[i].name);
		free(p->items[i].cron);
		free(p->items[i].timezone);
		free(p->items[i].target);
		free(p->items[i].reason);
	}
	free(p->items);
	free(p);
	*pp = NULL;
}

size_t
maintenance_plan_count(const maint_plan_t *p)
{
	return p ? p->count : 0;
}

static bool
recurring_same(const recurring_t *a, const recurring_t *b)
{
	return strcmp(a->cron, b->cron) == 0 && strcmp(a->timezone, b->timezone) == 0 &&
	       a->duration_ms == b->duration_ms && strcmp(a->target, b->target) == 0 &&
	       strcmp(a->reason, b->reason) == 0 && a->freeze == b->freeze;
}

static const recurring_t *
plan_find(const maint_plan_t *p, const char *name)
{
	for (size_t i = 0; p != NULL && i < p->count; i++)
		if (strcmp(p->items[i].name, name) == 0)
			return &p->items[i];
	return NULL;
}

maint_plan_diff_t
maintenance_plan_diff(const maint_plan_t *old, const maint_plan_t *fresh)
{
	maint_plan_diff_t d = {0};
	for (size_t i = 0; fresh != NULL && i < fresh->count; i++) {
		const recurring_t *was = plan_find(old, fresh->items[i].name);
		if (was == NULL)
			d.added++;
		else if (!recurring_same(was, &fresh->items[i]))
			d.changed++;
	}
	for (size_t i = 0; old != NULL && i < old->count; i++)
		if (plan_find(fresh, old->items[i].name) == NULL)
			d.removed++;
	return d;
}

/* ---- sets ---------------------------------------------------------------- */

static maint_window_t *
set_push(maint_set_t *set)
{
	set->items = xrealloc(set->items, (set->count + 1) * sizeof(*set->items));
	maint_window_t *w = &set->items[set->count++];
	memset(w, 0, sizeof(*w));
	return w;
}

/* Stored windows ending after now_ms (active_only: started by then). */
static int
set_read(store_t *store, int64_t now_ms, bool active_only, maint_set_t *out)
{
	if (store_maint_list(store, now_ms, MAINTENANCE_MAX_WINDOWS, &out->rows, &out->row_count) !=
	    0)
		return -1;
	for (size_t i = 0; i < out->row_count; i++) {
		const store_maint_t *r = &out->rows[i];
		if (active_only && r->starts_ms > now_ms)
			continue;
		maint_window_t *w = set_push(out);
		snprintf(w->id, sizeof(w->id), MAINTENANCE_ID_PREFIX "%lld", (long long)r->id);
		w->target = r->target;
		w->reason = r->reason;
		w->by = r->created_by;
		w->freeze = r->freeze;
		w->starts_ms = r->starts_ms;
		w->ends_ms = r->ends_ms;
	}
	return 0;
}

/* The recurring occurrences ended early that may still matter at now_ms
 * (started within the longest window before it). Only when plan has
 * recurring windows: a store read saved on every call otherwise. */
static int
set_read_ended(store_t *store, const maint_plan_t *plan, int64_t now_ms, maint_set_t *out)
{
	if (store == NULL || maintenance_plan_count(plan) == 0)
		return 0;
	return store_maint_ended_list(store, now_ms - MAINTENANCE_MAX_MS - 1,
	                              MAINTENANCE_MAX_WINDOWS, &out->ended, &out->ended_count);
}

static bool
set_ended(const maint_set_t *set, const char *name, int64_t starts_ms)
{
	for (size_t i = 0; i < set->ended_count; i++)
		if (set->ended[i].starts_ms == starts_ms && strcmp(set->ended[i].name, name) == 0)
			return true;
	return false;
}

static void
set_recurring(const maint_plan_t *plan, int64_t now_ms, bool upcoming, maint_set_t *out)
{
	for (size_t i = 0; plan != NULL && i < plan->count; i++) {
		const recurring_t *r = &plan->items[i];
		/* The latest start within the duration before now, if any: the
		 * first slot strictly after now - duration. An occurrence ended
		 * early is over; the next one begins on time. */
		int64_t start = cron_next(&r->expr, r->timezone, now_ms - r->duration_ms);
		while (start >= 0 && start <= now_ms && set_ended(out, r->name, start))
			start = cron_next(&r->expr, r->timezone, start);
		bool active = start >= 0 && start <= now_ms;
		if (!active) {
			if (!upcoming)
				continue;
			start = cron_next(&r->expr, r->timezone, now_ms);
			if (start < 0)
				continue;
		}
		maint_window_t *w = set_push(out);
		snprintf(w->id, sizeof(w->id), MAINTENANCE_ID_PREFIX "%s", r->name);
		w->target = r->target;
		w->reason = r->reason;
		w->by = "config";
		w->freeze = r->freeze;
		w->recurring = true;
		w->starts_ms = start;
		w->ends_ms = start + r->duration_ms;
	}
}

int
maintenance_active(store_t *store, const maint_plan_t *plan, int64_t now_ms, maint_set_t *out)
{
	memset(out, 0, sizeof(*out));
	if (store != NULL && set_read(store, now_ms, true, out) != 0)
		return -1;
	if (set_read_ended(store, plan, now_ms, out) != 0) {
		maintenance_set_free(out);
		return -1;
	}
	set_recurring(plan, now_ms, false, out);
	return 0;
}

int
maintenance_list(store_t *store, const maint_plan_t *plan, int64_t now_ms, maint_set_t *out)
{
	memset(out, 0, sizeof(*out));
	if (store != NULL && set_read(store, now_ms, false, out) != 0)
		return -1;
	if (set_read_ended(store, plan, now_ms, out) != 0) {
		maintenance_set_free(out);
		return -1;
	}
	set_recurring(plan, now_ms, true, out);
	return 0;
}

void
maintenance_set_free(maint_set_t *set)
{
	free(set->items);
	store_maint_free(set->rows, set->row_count);
	store_maint_ended_free(set->ended, set->ended_count);
	memset(set, 0, sizeof(*set));
}
