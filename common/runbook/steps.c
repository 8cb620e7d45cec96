/* runbook/steps: the steps sequence and what every step has whatever its
 * kind: id, exactly one kind key (step_kinds.c), timeout, when, retries,
 * continue_on_failure, idempotent and run_as. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"
#include "strlist.h"
#include "template.h"
#include "xalloc.h"

/* A step's own keys; then one per step kind (step_kinds[]), then run_as. */
static const char *const keys_step[] = {
    "id",          "timeout", "when",     "retries", "continue_on_failure",
    "idempotent",  "hold",    "interval", "record",  "baseline",
    "description", "phase",   "params",
};
/* What a `runbook` step cannot have: its runbook's steps keep their own. */
static const char *const keys_not_on_call[] = {
    "timeout", "when",     "retries", "continue_on_failure", "idempotent", "hold", "interval",
    "record",  "baseline", "run_as",
};
static const char *const keys_baseline[] = {"against", "median_of_last", "max_increase_pct",
                                            "max_decrease_pct"};
static const char *const keys_when[] = {"failed", "succeeded"};
static const char *const keys_retries[] = {"count", "backoff", "max_backoff"};

/* ---- per-step settings ---- */

/* The shape of 'when'; the step it names is checked against the steps
 * before it by check_when_target. *target gets the node naming it. */
static void
check_when(check_t *c, const yamltree_node_t *v, runbook_step_t *s, const step_ctx_t *sc,
           const yamltree_node_t **target)
{
	static const char *shape = "always, {failed: STEP} or {succeeded: STEP}";
	char where[WHERE_LEN];

	if (yamltree_is_text(v) && strcmp(v->text, "always") == 0) {
		s->when.kind = RUNBOOK_WHEN_ALWAYS;
		return;
	}
	if (v->kind != YAMLTREE_MAPPING) {
		if (yamltree_is_text(v))
			yamltree_report_add(c->r, v->mark, "'when' must be %s, not '%s'", shape,
			                    yamltree_shown(v->text).s);
		else
			yamltree_report_add(c->r, v->mark, "'when' must be %s, not %s", shape,
			                    yamltree_kind_name(v));
		return;
	}
	snprintf(where, sizeof(where), "when of %s", sc->label);
	runbook_keys_check(c, v, keys_when, COUNT_OF(keys_when), where);
	const yamltree_node_t *failed = yamltree_map_get(v, "failed");
	const yamltree_node_t *succeeded = yamltree_map_get(v, "succeeded");
	if (failed != NULL && succeeded != NULL) {
		yamltree_report_add(c->r, v->mark,
		                    "'when' takes 'failed' or 'succeeded', not both");
		return;
	}
	if (failed == NULL && succeeded == NULL) {
		if (v->count == 0)
			yamltree_report_add(c->r, v->mark,
			                    "'when' must be %s, not an empty mapping", shape);
		return;
	}
	const yamltree_node_t *id = failed != NULL ? failed : succeeded;
	s->when.step = runbook_want_string(c, id, failed != NULL ? "failed" : "succeeded");
	if (s->when.step == NULL)
		return;
	s->when.kind = failed != NULL ? RUNBOOK_WHEN_FAILED : RUNBOOK_WHEN_SUCCEEDED;
	*target = id;
}

static void
check_retries_map(check_t *c, const yamltree_node_t *v, runbook_retries_t *r, const step_ctx_t *sc)
{
	char where[WHERE_LEN];
	const yamltree_node_t *n;

	snprintf(where, sizeof(where), "retries of %s", sc->label);
	runbook_keys_check(c, v, keys_retries, COUNT_OF(keys_retries), where);
	if ((n = yamltree_map_get(v, "count")) != NULL)
		runbook_want_uint(c, n, "count", 0, RUNBOOK_MAX_RETRIES, &r->count);
	else
		yamltree_report_add(c->r, v->mark, "%s has no 'count'", where);
	if ((n = yamltree_map_get(v, "backoff")) != NULL)
		runbook_want_duration_ex(c, n, "backoff", true, &r->backoff_ms);
	const yamltree_node_t *mb = yamltree_map_get(v, "max_backoff");
	if (mb != NULL && runbook_want_duration(c, mb, "max_backoff", &r->max_backoff_ms) == 0 &&
	    r->max_backoff_ms < r->backoff_ms) {
		/* Both shown: the backoff may be the default, not written. */
		char max[32], first[32];
		duration_format(r->max_backoff_ms, max, sizeof(max));
		duration_format(r->backoff_ms, first, sizeof(first));
		yamltree_report_add(c->r, mb->mark,
		                    "'max_backoff' (%s) is shorter than 'backoff' (%s)", max,
		                    first);
	}
}

/* "retries: 2" or "retries: {count: 2, backoff: 10s, max_backoff: 1m}". */
static void
check_retries(check_t *c, const yamltree_node_t *v, runbook_retries_t *r, const step_ctx_t *sc)
{
	r->backoff_ms = RUNBOOK_DEFAULT_RETRY_BACKOFF_MS;
	if (v->kind == YAMLTREE_MAPPING) {
		check_retries_map(c, v, r, sc);
		return;
	}
	uint64_t n;
	if (yamltree_is_text(v) && runbook_is_digit(v->text[0])) {
		if (runbook_text_uint(v->text, RUNBOOK_MAX_RETRIES, &n))
			r->count = (uint32_t)n;
		else
			yamltree_report_add(c->r, v->mark,
			                    "'retries' must be an integer from 0 to %d, not '%s'",
			                    RUNBOOK_MAX_RETRIES, yamltree_shown(v->text).s);
		return;
	}
	if (yamltree_is_text(v))
		yamltree_report_add(c->r, v->mark,
		                    "'retries' must be an integer or a mapping {count, backoff, "
		                    "max_backoff}, not '%s'",
		                    yamltree_shown(v->text).s);
	else
		yamltree_report_add(c->r, v->mark,
		                    "'retries' must be an integer or a mapping {count, backoff, "
		                    "max_backoff}, not %s",
		                    yamltree_kind_name(v));
}

/* run_as: a user name as useradd allows it. Only steps a worker runs
 * can have one; whether the worker allows it is its own decision. */
static void
check_run_as(check_t *c, const yamltree_node_t *v, runbook_step_t *s, const step_ctx_t *sc)
{
	char *user = runbook_want_string(c, v, "run_as");
	if (user == NULL)
		return;
	if (!runbook_name_valid(user, CHARS_USER, MAX_USER_LEN, false) || user[0] == '-') {
		yamltree_report_add(
		    c->r, v->mark,
		    "'run_as' must be a user name (1 to %d of a-z A-Z 0-9 . _ -, not "
		    "starting with -), not '%s'",
		    MAX_USER_LEN, yamltree_shown(user).s);
		free(user);
		return;
	}
	const step_kind_t *kind = step_kind_find(s->type);
	if (kind != NULL && !kind->info.run_as) {
		yamltree_report_add(c->r, v->mark,
		                    "%s cannot have 'run_as': only shell steps and checks run on a "
		                    "worker as a user",
		                    sc->label);
		free(user);
		return;
	}
	s->run_as = user;
}

/* The settings every step type shares. *when_target: see check_when. */
static void
check_step_settings(check_t *c, const yamltree_node_t *n, runbook_step_t *s, const step_ctx_t *sc,
                    const yamltree_node_t **when_target)
{
	const yamltree_node_t *v;

	if ((v = yamltree_map_get(n, "when")) != NULL)
		check_when(c, v, s, sc, when_target);
	const yamltree_node_t *retries = yamltree_map_get(n, "retries");
	if (retries != NULL)
		check_retries(c, retries, &s->retries, sc);
	if ((v = yamltree_map_get(n, "continue_on_failure")) != NULL)
		runbook_want_bool(c, v, "continue_on_failure", &s->continue_on_failure);
	if ((v = yamltree_map_get(n, "run_as")) != NULL)
		check_run_as(c, v, s, sc);
	s->idempotent = true;
	if ((v = yamltree_map_get(n, "idempotent")) != NULL)
		runbook_want_bool(c, v, "idempotent", &s->idempotent);
	/* Retrying a step that must not run twice would be the very harm the
	 * flag exists to prevent. */
	if (!s->idempotent && s->retries.count > 0)
		yamltree_report_add(
		    c->r, retries->mark,
		    "%s is not idempotent, so it is never retried automatically; remove "
		    "'retries' or make it idempotent",
		    sc->label);
}

/* The one template name a duration key may hold. */
static int
duration_param_ref(void *ctx, const char *name)
{
	strlist_t *names = ctx;
	strlist_add(names, xstrdup(name));
	return 0;
}

/* A duration key (hold, interval, timeout): a literal duration into *ms
 * (returns 0), or the whole value one param of type duration,
 * "{{ params.NAME }}", whose name goes to *param (returns 1: its value is
 * taken at submit, runbook_step_timing); -1 when neither (reported). */
static int
want_duration_or_param(check_t *c, const yamltree_node_t *v, const char *key, const step_ctx_t *sc,
                       uint32_t *ms, char **param)
{
	if (!yamltree_is_text(v) || !runbook_text_templated(v->text))
		return runbook_want_duration(c, v, key, ms);
	strlist_t names = {0};
	char *err = NULL;
	const char *t = v->text;
	while (*t == ' ')
		t++;
	size_t len = strlen(t);
	while (len > 0 && t[len - 1] == ' ')
		len--;
	bool whole = template_names(v->text, duration_param_ref, &names, &err) == 0 &&
	             names.count == 1 && len >= 4 && strncmp(t, "{{", 2) == 0 &&
	             strncmp(t + len - 2, "}}", 2) == 0 &&
	             strncmp(names.items[0], "params.", 7) == 0;
	const runbook_param_t *p = whole ? runbook_param_find(c->rb, names.items[0] + 7) : NULL;
	int rc = -1;
	if (!whole)
		yamltree_report_add(c->r, v->mark,
		                    "'%s' of %s must be a duration (30s, 15m) or one duration"
		                    " param, \"{{ params.NAME }}\" with 'type: duration', not '%s'",
		                    key, sc->label, yamltree_shown(v->text).s);
	else if (p == NULL)
		yamltree_report_add(c->r, v->mark,
		                    "'%s' of %s names param '%s', which is not declared", key,
		                    sc->label, yamltree_shown(names.items[0] + 7).s);
	else if (p->type != RUNBOOK_PARAM_DURATION)
		yamltree_report_add(c->r, v->mark,
		                    "'%s' of %s takes param '%s', which must be declared with"
		                    " 'type: duration' (so a value that is not one is refused at"
		                    " submit)",
		                    key, sc->label, p->name);
	else if (p->secret)
		yamltree_report_add(c->r, v->mark, "'%s' of %s cannot take secret param '%s'", key,
		                    sc->label, p->name);
	else {
		*param = xstrdup(p->name);
		rc = 1;
	}
	free(err);
	strlist_free(&names);
	return rc;
}

/* hold and interval: a check that must keep passing for hold, re-run every
 * interval (in rota-check, so a cancel or the timeout kills it at once). The
 * step's timeout bounds the whole hold: given, it must exceed hold; not
 * given, it is hold plus the kind's own timeout for the last run. Each may
 * be a duration param: the rules between them are then checked at submit,
 * for each host (runbook_step_timing), and here only among literals. */
static void
check_hold(check_t *c, const yamltree_node_t *n, runbook_step_t *s, const step_ctx_t *sc, int t)
{
	const yamltree_node_t *hold = yamltree_map_get(n, "hold");
	const yamltree_node_t *every = yamltree_map_get(n, "interval");

	if (hold == NULL) {
		if (every != NULL)
			yamltree_report_add(c->r, every->mark,
			                    "'interval' of %s says how often a 'hold' re-runs the "
			                    "check; add 'hold: DURATION' or remove it",
			                    sc->label);
		return;
	}
	if (t >= 0 && step_kinds[t].info.runs_on != RUNBOOK_RUNS_CHECK) {
		yamltree_report_add(c->r, hold->mark,
		                    "'hold' is for checks (http_check, disk_check, metric_check, "
		                    "file_check, tls_check, promql_check), not a %s step",
		                    step_kinds[t].info.name);
		return;
	}
	if (want_duration_or_param(c, hold, "hold", sc, &s->hold_ms, &s->hold_param) < 0)
		return;
	s->interval_ms = RUNBOOK_DEFAULT_HOLD_INTERVAL_MS;
	if (every != NULL && want_duration_or_param(c, every, "interval", sc, &s->interval_ms,
	                                            &s->interval_param) < 0)
		return;
	if (s->hold_param != NULL)
		return; /* the timeout gets the hold at submit when not given */
	char hold_text[32], other[32];
	duration_format(s->hold_ms, hold_text, sizeof(hold_text));
	if (s->interval_param == NULL && s->interval_ms > s->hold_ms) {
		duration_format(s->interval_ms, other, sizeof(other));
		yamltree_report_add(c->r, (every ? every : hold)->mark,
		                    "%s re-checks every %s, longer than its hold of %s; make "
		                    "'interval' shorter than 'hold'",
		                    sc->label, other, hold_text);
	}
	if (!s->timeout_given) {
		uint64_t sum = (uint64_t)s->timeout_ms + s->hold_ms;
		s->timeout_ms = sum > UINT32_MAX ? UINT32_MAX : (uint32_t)sum;
	} else if (s->timeout_param == NULL && s->timeout_ms <= s->hold_ms) {
		duration_format(s->timeout_ms, other, sizeof(other));
		yamltree_report_add(c->r, hold->mark,
		                    "%s holds for %s but its timeout is %s: the timeout must "
		                    "be longer than the hold (or leave it out: then it is the "
		                    "hold plus the check's own)",
		                    sc->label, hold_text, other);
	}
}

/* A percentage of change: a number from 0 up. */
static bool
want_pct(check_t *c, const yamltree_node_t *v, const char *key, double *out)
{
	char *end = NULL;
	if (yamltree_is_text(v)) {
		*out = strtod(v->text, &end);
		if (end != v->text && *end == '\0' && *out >= 0 && *out <= 1e6)
			return true;
	}
	yamltree_report_add(
	    c->r, v->mark, "'%s' must be a percentage from 0 (e.g. 20 or 12.5), not %s", key,
	    yamltree_is_text(v) ? yamltree_shown(v->text).s : yamltree_kind_name(v));
	return false;
}

/* record: NAME keeps a check's number per runbook and host; baseline
 * compares it with the previous one or the median of the last N (the
 * coordinator does, when the result comes: dispatch/dispatcher_reports.c). */
static void
check_record(check_t *c, const yamltree_node_t *n, runbook_step_t *s, const step_ctx_t *sc, int t)
{
	const yamltree_node_t *rec = yamltree_map_get(n, "record");
	const yamltree_node_t *base = yamltree_map_get(n, "baseline");
	char where[WHERE_LEN];

	if (rec == NULL) {
		if (base != NULL)
			yamltree_report_add(
			    c->r, base->mark,
			    "'baseline' of %s compares the values 'record' keeps; add "
			    "'record: NAME'",
			    sc->label);
		return;
	}
	if (t >= 0 && step_kinds[t].info.runs_on != RUNBOOK_RUNS_CHECK) {
		yamltree_report_add(c->r, rec->mark,
		                    "'record' keeps a check's number; a %s step has none",
		                    step_kinds[t].info.name);
		return;
	}
	if ((s->record = runbook_want_string(c, rec, "record")) != NULL &&
	    !runbook_name_valid(s->record, CHARS_STEP_ID, RUNBOOK_MAX_NAME_LEN, false))
		yamltree_report_add(c->r, rec->mark,
		                    "record name '%s' is not valid (1 to %d of A-Z a-z 0-9 _ -)",
		                    yamltree_shown(s->record).s, RUNBOOK_MAX_NAME_LEN);
	if (base == NULL)
		return;
	snprintf(where, sizeof(where), "baseline of %s", sc->label);
	if (base->kind != YAMLTREE_MAPPING) {
		yamltree_report_add(
		    c->r, base->mark,
		    "'baseline' must be a mapping (against: previous or "
		    "median_of_last: N, max_increase_pct, max_decrease_pct), not %s",
		    yamltree_kind_name(base));
		return;
	}
	runbook_keys_check(c, base, keys_baseline, COUNT_OF(keys_baseline), where);
	const yamltree_node_t *against = yamltree_map_get(base, "against");
	const yamltree_node_t *median = yamltree_map_get(base, "median_of_last");
	s->baseline_of = 1;
	if (against != NULL && median != NULL)
		yamltree_report_add(c->r, median->mark,
		                    "%s gives both 'against' and 'median_of_last'; keep one",
		                    where);
	else if (against != NULL &&
	         (!yamltree_is_text(against) || strcmp(against->text, "previous") != 0))
		yamltree_report_add(c->r, against->mark,
		                    "'against' must be previous (or use median_of_last: N), not %s",
		                    yamltree_is_text(against) ? yamltree_shown(against->text).s
		                                              : yamltree_kind_name(against));
	else if (median != NULL)
		runbook_want_uint(c, median, "median_of_last", 1, 100, &s->baseline_of);
	const yamltree_node_t *inc = yamltree_map_get(base, "max_increase_pct");
	const yamltree_node_t *dec = yamltree_map_get(base, "max_decrease_pct");
	if (inc != NULL)
		s->has_max_increase = want_pct(c, inc, "max_increase_pct", &s->max_increase_pct);
	if (dec != NULL)
		s->has_max_decrease = want_pct(c, dec, "max_decrease_pct", &s->max_decrease_pct);
	if (inc == NULL && dec == NULL)
		yamltree_report_add(c->r, base->mark,
		                    "%s has no limit; add max_increase_pct or max_decrease_pct",
		                    where);
}

/* The step's type: exactly one type key. Returns its index in step_kinds,
 * or -1 (reported). */
static int
step_type_find(check_t *c, const yamltree_node_t *n, const char *label)
{
	char list[128];
	const yamltree_node_t *type_key = NULL;
	int found = -1;

	for (size_t i = 0; i + 1 < n->count; i += 2) {
		const yamltree_node_t *k = n->kids[i];
		for (size_t j = 0; j < COUNT_OF(step_kinds); j++) {
			if (strcmp(k->text, step_kinds[j].info.name) != 0)
				continue;
			if (type_key != NULL) {
				yamltree_report_add(c->r, k->mark,
				                    "%s has more than one type: '%s' and '%s'",
				                    label, type_key->text, k->text);
			} else {
				type_key = k;
				found = (int)j;
			}
		}
	}
	if (type_key == NULL) {
		const char *names[COUNT_OF(step_kinds)];
		for (size_t j = 0; j < COUNT_OF(step_kinds); j++)
			names[j] = step_kinds[j].info.name;
		yamltree_report_add(
		    c->r, n->mark, "%s has no step type; add one of %s", label,
		    runbook_names_join(names, COUNT_OF(names), true, list, sizeof(list)));
	}
	return found;
}

/* `params` belongs to a runbook step, and a runbook step has no settings
 * of its own: its steps are the called runbook's, each with its own (a
 * `when` on the call would have to gate them all and is not supported
 * yet). Returns true for a runbook step (checked here and by its kind). */
static bool
check_call_keys(check_t *c, const yamltree_node_t *n, int t, const char *label)
{
	const yamltree_node_t *params = yamltree_map_get(n, "params");
	if (t < 0 || step_kinds[t].info.type != RUNBOOK_STEP_RUNBOOK) {
		if (params != NULL)
			yamltree_report_add(c->r, params->mark,
			                    "'params' of %s is for a runbook step (runbook: NAME), "
			                    "the values of the runbook it runs",
			                    label);
		return false;
	}
	for (size_t i = 0; i < COUNT_OF(keys_not_on_call); i++) {
		const yamltree_node_t *v = yamltree_map_get(n, keys_not_on_call[i]);
		if (v == NULL)
			continue;
		/* The key, not its value: the value may be a mapping. */
		for (size_t k = 0; k + 1 < n->count; k += 2)
			if (n->kids[k + 1] == v)
				v = n->kids[k];
		yamltree_report_add(c->r, v->mark,
		                    "%s runs runbook steps, which keep their own settings: "
		                    "'%s' goes on the steps of the runbook it runs",
		                    label, keys_not_on_call[i]);
	}
	return true;
}

/* The nodes of a step that runbook_check_steps needs after check_step. */
typedef struct {
	const yamltree_node_t *id;          /* its valid id, or NULL */
	const yamltree_node_t *when_target; /* the step its 'when' names, or NULL */
} step_nodes_t;

static void
check_step(check_t *c, const yamltree_node_t *n, size_t index, runbook_step_t *s,
           step_nodes_t *nodes)
{
	char label[RUNBOOK_MAX_NAME_LEN + 16];

	s->mark = n->mark;
	s->timeout_ms = RUNBOOK_DEFAULT_STEP_TIMEOUT_MS;
	s->idempotent = true;
	if (n->kind != YAMLTREE_MAPPING) {
		yamltree_report_add(c->r, n->mark,
		                    "step %zu must be a mapping with 'id' and a step type, not %s",
		                    index + 1, yamltree_kind_name(n));
		return;
	}

	snprintf(label, sizeof(label), "step %zu", index + 1);
	const yamltree_node_t *idv = yamltree_map_get(n, "id");
	if (idv == NULL) {
		yamltree_report_add(c->r, n->mark, "step %zu has no 'id'", index + 1);
	} else if ((s->id = runbook_want_string(c, idv, "id")) != NULL) {
		if (!runbook_name_valid(s->id, CHARS_STEP_ID, RUNBOOK_MAX_NAME_LEN, false)) {
			yamltree_report_add(
			    c->r, idv->mark,
			    "step id '%s' is not valid (1 to %d of A-Z a-z 0-9 _ -)",
			    yamltree_shown(s->id).s, RUNBOOK_MAX_NAME_LEN);
		} else {
			snprintf(label, sizeof(label), "step '%s'", s->id);
			nodes->id = idv;
		}
	}
	const char *keys[COUNT_OF(keys_step) + STEP_KIND_COUNT + 1];
	size_t nkeys = 0;
	for (size_t i = 0; i < COUNT_OF(keys_step); i++)
		keys[nkeys++] = keys_step[i];
	for (size_t i = 0; i < COUNT_OF(step_kinds); i++)
		keys[nkeys++] = step_kinds[i].info.name;
	keys[nkeys++] = "run_as";
	runbook_keys_check(c, n, keys, nkeys, label);

	step_ctx_t sc = {.label = label, .step_timeout = yamltree_map_get(n, "timeout"), .step = n};
	int t = step_type_find(c, n, label);
	if (check_call_keys(c, n, t, label)) {
		s->type = RUNBOOK_STEP_RUNBOOK;
		step_kinds[t].parse(c, yamltree_map_get(n, step_kinds[t].info.name), s, &sc);
		s->idempotent = true;
		runbook_check_step_doc(c, n, s);
		return;
	}
	if (t >= 0) {
		s->type = step_kinds[t].info.type;
		s->timeout_ms = step_kinds[t].info.default_timeout_ms;
	}
	if (sc.step_timeout != NULL)
		want_duration_or_param(c, sc.step_timeout, "timeout", &sc, &s->timeout_ms,
		                       &s->timeout_param);
	if (t >= 0)
		step_kinds[t].parse(c, yamltree_map_get(n, step_kinds[t].info.name), s, &sc);
	const yamltree_node_t *kv = t >= 0 ? yamltree_map_get(n, step_kinds[t].info.name) : NULL;
	s->timeout_given = sc.step_timeout != NULL || (kv != NULL && kv->kind == YAMLTREE_MAPPING &&
	                                               yamltree_map_get(kv, "timeout") != NULL);
	check_hold(c, n, s, &sc, t);
	check_record(c, n, s, &sc, t);
	check_step_settings(c, n, s, &sc, &nodes->when_target);
	runbook_check_step_doc(c, n, s);
}

/* 'when' names a step: it must be one before this one, so the order of a
 * runbook is the order it runs in and no step can wait on a later one. */
static void
check_when_target(check_t *c, runbook_step_t *steps, const step_nodes_t *nodes, size_t i)
{
	runbook_step_t *s = &steps[i];
	char list[MAX_LISTED_STEPS * (RUNBOOK_MAX_NAME_LEN + 2) + 8];
	size_t off = 0, listed = 0;

	if (nodes[i].when_target == NULL)
		return;
	for (size_t j = 0; j < i; j++) {
		if (nodes[j].id != NULL && strcmp(steps[j].id, s->when.step) == 0) {
			s->when.step_index = j;
			return;
		}
	}
	list[0] = '\0';
	for (size_t j = 0; j < i; j++) {
		if (nodes[j].id == NULL)
			continue;
		if (listed++ == MAX_LISTED_STEPS) {
			snprintf(list + off, sizeof(list) - off, ", ...");
			break;
		}
		int w =
		    snprintf(list + off, sizeof(list) - off, "%s%s", off ? ", " : "", steps[j].id);
		off += w > 0 ? (size_t)w : 0;
	}
	if (listed == 0)
		yamltree_report_add(
		    c->r, nodes[i].when_target->mark,
		    "when: step '%s' is not an earlier step (there are no steps before this "
		    "one)",
		    yamltree_shown(s->when.step).s);
	else
		yamltree_report_add(
		    c->r, nodes[i].when_target->mark,
		    "when: step '%s' is not an earlier step (steps before this one: %s)",
		    yamltree_shown(s->when.step).s, list);
}

void
runbook_check_steps(check_t *c, const yamltree_node_t *root)
{
	runbook_t *rb = c->rb;
	const yamltree_node_t *v = yamltree_map_get(root, "steps");

	if (v == NULL) {
		yamltree_report_add(c->r, root->mark, "missing required key 'steps'");
		return;
	}
	if (v->kind != YAMLTREE_SEQUENCE) {
		yamltree_report_add(c->r, v->mark, "'steps' must be a sequence of steps, not %s",
		                    yamltree_kind_name(v));
		return;
	}
	if (v->count == 0) {
		yamltree_report_add(c->r, v->mark,
		                    "'steps' is empty; a runbook needs at least one step");
		return;
	}
	if (v->count > RUNBOOK_MAX_STEPS) {
		yamltree_report_add(c->r, v->mark, "more than %d steps", RUNBOOK_MAX_STEPS);
		return;
	}
	rb->steps = xcalloc(v->count, sizeof(*rb->steps));
	rb->step_count = v->count;
	step_nodes_t *nodes = xcalloc(v->count, sizeof(*nodes));
	for (size_t i = 0; i < v->count; i++) {
		check_step(c, v->kids[i], i, &rb->steps[i], &nodes[i]);
		check_when_target(c, rb->steps, nodes, i);
	}

	/* n^2 is fine: at most RUNBOOK_MAX_STEPS. */
	for (size_t i = 1; i < v->count; i++) {
		for (size_t j = 0; nodes[i].id != NULL && j < i; j++) {
			if (nodes[j].id != NULL &&
			    strcmp(nodes[i].id->text, nodes[j].id->text) == 0) {
				yamltree_report_add(
				    c->r, nodes[i].id->mark,
				    "duplicate step id '%s' (first used at line %d, column %d)",
				    nodes[i].id->text, nodes[j].id->mark.line,
				    nodes[j].id->mark.column);
				break;
			}
		}
	}
	free(nodes);
}
