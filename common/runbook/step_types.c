/* runbook/step_types: one checker per step type and the table that names
 * them (internal.h, step_type_t): a type's mapping keys, its fields into
 * runbook_step_t, and its default timeout. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* The known keys of each step type's mapping. */
static const char *const keys_shell[] = {"run", "timeout", "env", "workdir"};
static const char *const keys_http[] = {"url", "method", "expect_status", "body_contains",
                                        "timeout"};
static const char *const keys_disk[] = {"path", "min_free_pct", "min_free_bytes", "timeout"};
static const char *const keys_metric[] = {"url", "metric", "op", "value", "timeout"};
static const char *const keys_manual[] = {"prompt", "timeout"};
static const char *const keys_notify[] = {"message", "channel", "timeout"};
static const char *const keys_noop[] = {"timeout"};
static const char *const names_method[] = {"GET", "HEAD", "POST", "PUT", "DELETE"};
static const char *const names_op[] = {"<", "<=", ">", ">=", "==", "!="};

/* Starts checking the mapping v of a step type: its keys and its timeout.
 * Returns false (after reporting) when v is not a mapping. where gets
 * "TYPE of step 'x'" for the type's own messages. */
static bool
type_map(check_t *c, const yamltree_node_t *v, runbook_step_t *s, const step_ctx_t *sc,
         const char *type, const char *const *keys, size_t nkeys, char *where, size_t wlen)
{
	char list[128];

	snprintf(where, wlen, "%s of %s", type, sc->label);
	if (v->kind != YAMLTREE_MAPPING) {
		yamltree_report_add(c->r, v->mark, "'%s' must be a mapping (%s), not %s", type,
		                    names_join(keys, nkeys, false, list, sizeof(list)),
		                    yamltree_kind_name(v));
		return false;
	}
	keys_check(c, v, keys, nkeys, where);
	const yamltree_node_t *to = yamltree_map_get(v, "timeout");
	if (to == NULL)
		return true;
	if (sc->step_timeout != NULL)
		yamltree_report_add(c->r, to->mark,
		                    "'timeout' is given both on %s and in its %s; keep one",
		                    sc->label, type);
	else
		want_duration(c, to, "timeout", &s->timeout_ms);
	return true;
}

static void
check_env(check_t *c, const yamltree_node_t *v, runbook_step_t *s)
{
	if (yamltree_is_null(v))
		return;
	if (v->kind != YAMLTREE_MAPPING) {
		yamltree_report_add(c->r, v->mark, "'env' must be a mapping of NAME: value, not %s",
		                    yamltree_kind_name(v));
		return;
	}
	s->env = xcalloc(v->count / 2 + 1, sizeof(*s->env));
	for (size_t i = 0; i + 1 < v->count; i += 2) {
		const yamltree_node_t *k = v->kids[i];
		const yamltree_node_t *val = v->kids[i + 1];
		if (!name_valid(k->text, CHARS_IDENT, MAX_ENV_NAME_LEN, true)) {
			yamltree_report_add(
			    c->r, k->mark,
			    "environment variable name '%s' is not valid (a letter or _, "
			    "then letters, digits or _)",
			    yamltree_shown(k->text).s);
			continue;
		}
		char *value = want_string(c, val, k->text);
		if (value == NULL)
			continue;
		tmpl_check_rule(c, val, k->text, value, SECRET_WHOLE_VALUE);
		s->env[s->env_count].key = xstrdup(k->text);
		s->env[s->env_count].value = value;
		s->env_count++;
	}
}

static void
check_shell(check_t *c, const yamltree_node_t *v, runbook_step_t *s, const step_ctx_t *sc)
{
	char where[WHERE_LEN];
	const yamltree_node_t *run = v;

	if (v->kind == YAMLTREE_MAPPING) {
		type_map(c, v, s, sc, "shell", keys_shell, COUNT_OF(keys_shell), where,
		         sizeof(where));
		run = yamltree_map_get(v, "run");
		if (run == NULL)
			yamltree_report_add(c->r, v->mark, "shell of %s has no 'run'", sc->label);
		const yamltree_node_t *env = yamltree_map_get(v, "env");
		if (env != NULL)
			check_env(c, env, s);
		const yamltree_node_t *wd = yamltree_map_get(v, "workdir");
		if (wd != NULL) {
			s->workdir = want_string(c, wd, "workdir");
			if (s->workdir != NULL && s->workdir[0] == '\0')
				yamltree_report_add(c->r, wd->mark, "'workdir' is empty");
			else if (s->workdir != NULL)
				tmpl_check(c, wd, "workdir", s->workdir);
		}
	} else if (!yamltree_is_text(v)) {
		yamltree_report_add(
		    c->r, v->mark,
		    "'shell' must be a command or a mapping (run, timeout, env, workdir), "
		    "not %s",
		    yamltree_kind_name(v));
		return;
	}
	if (run == NULL)
		return;
	s->run = want_string(c, run, "run");
	if (s->run == NULL)
		return;
	if (text_blank(s->run)) {
		yamltree_report_add(c->r, run->mark, "'run' is empty");
		return;
	}
	tmpl_check(c, run, "run", s->run);
}

static void
check_http(check_t *c, const yamltree_node_t *v, runbook_step_t *s, const step_ctx_t *sc)
{
	char where[WHERE_LEN];

	if (!type_map(c, v, s, sc, "http_check", keys_http, COUNT_OF(keys_http), where,
	              sizeof(where)))
		return;
	s->url = field_text(c, v, "url", true, where);
	s->method = field_enum(c, v, "method", names_method, COUNT_OF(names_method));
	s->expect_status = field_text(c, v, "expect_status", false, where);
	s->body_contains = field_text(c, v, "body_contains", false, where);
	if (s->body_contains != NULL && s->method != NULL && strcmp(s->method, "HEAD") == 0)
		yamltree_report_add(
		    c->r, yamltree_map_get(v, "body_contains")->mark,
		    "'body_contains' cannot be checked with method HEAD (its answer has "
		    "no body)");
}

static void
check_disk(check_t *c, const yamltree_node_t *v, runbook_step_t *s, const step_ctx_t *sc)
{
	char where[WHERE_LEN];

	if (!type_map(c, v, s, sc, "disk_check", keys_disk, COUNT_OF(keys_disk), where,
	              sizeof(where)))
		return;
	s->path = field_text(c, v, "path", true, where);
	s->min_free_pct = field_text(c, v, "min_free_pct", false, where);
	s->min_free_bytes = field_text(c, v, "min_free_bytes", false, where);
	if (yamltree_map_get(v, "min_free_pct") == NULL &&
	    yamltree_map_get(v, "min_free_bytes") == NULL)
		yamltree_report_add(
		    c->r, v->mark,
		    "%s checks nothing; give 'min_free_pct', 'min_free_bytes' or both", where);
}

static void
check_metric(check_t *c, const yamltree_node_t *v, runbook_step_t *s, const step_ctx_t *sc)
{
	char where[WHERE_LEN];

	if (!type_map(c, v, s, sc, "metric_check", keys_metric, COUNT_OF(keys_metric), where,
	              sizeof(where)))
		return;
	s->url = field_text(c, v, "url", true, where);
	s->metric = field_text(c, v, "metric", true, where);
	if (yamltree_map_get(v, "op") == NULL)
		yamltree_report_add(c->r, v->mark, "%s has no 'op'", where);
	s->op = field_enum(c, v, "op", names_op, COUNT_OF(names_op));
	s->value = field_text(c, v, "value", true, where);
}

static void
check_manual(check_t *c, const yamltree_node_t *v, runbook_step_t *s, const step_ctx_t *sc)
{
	char where[WHERE_LEN];

	if (!type_map(c, v, s, sc, "manual", keys_manual, COUNT_OF(keys_manual), where,
	              sizeof(where)))
		return;
	s->prompt = field_text(c, v, "prompt", true, where);
}

static void
check_notify(check_t *c, const yamltree_node_t *v, runbook_step_t *s, const step_ctx_t *sc)
{
	char where[WHERE_LEN];

	if (!type_map(c, v, s, sc, "notify", keys_notify, COUNT_OF(keys_notify), where,
	              sizeof(where)))
		return;
	s->message = field_text(c, v, "message", true, where);
	s->channel = field_text(c, v, "channel", false, where);
}

/* noop does nothing: "noop:", "noop: true", or "noop: {}" (which may hold
 * a timeout, like every type's mapping). */
static void
check_noop(check_t *c, const yamltree_node_t *v, runbook_step_t *s, const step_ctx_t *sc)
{
	char where[WHERE_LEN];

	if (yamltree_is_null(v) ||
	    (v->kind == YAMLTREE_SCALAR && v->plain && strcmp(v->text, "true") == 0))
		return;
	if (v->kind == YAMLTREE_MAPPING) {
		type_map(c, v, s, sc, "noop", keys_noop, COUNT_OF(keys_noop), where, sizeof(where));
		return;
	}
	if (v->kind == YAMLTREE_SCALAR)
		yamltree_report_add(c->r, v->mark, "'noop' must be empty, {} or true, not '%s'",
		                    yamltree_shown(v->text).s);
	else
		yamltree_report_add(c->r, v->mark, "'noop' must be empty, {} or true, not %s",
		                    yamltree_kind_name(v));
}

/* Every step type: a new type is a row here, a checker, and its fields in
 * runbook_step_t. */
const step_type_t step_types[STEP_TYPE_COUNT] = {
    {"shell", RUNBOOK_STEP_SHELL, RUNBOOK_DEFAULT_STEP_TIMEOUT_MS, check_shell},
    {"http_check", RUNBOOK_STEP_HTTP_CHECK, RUNBOOK_DEFAULT_HTTP_TIMEOUT_MS, check_http},
    {"disk_check", RUNBOOK_STEP_DISK_CHECK, RUNBOOK_DEFAULT_DISK_TIMEOUT_MS, check_disk},
    {"metric_check", RUNBOOK_STEP_METRIC_CHECK, RUNBOOK_DEFAULT_METRIC_TIMEOUT_MS, check_metric},
    {"manual", RUNBOOK_STEP_MANUAL, RUNBOOK_DEFAULT_MANUAL_TIMEOUT_MS, check_manual},
    {"notify", RUNBOOK_STEP_NOTIFY, RUNBOOK_DEFAULT_NOTIFY_TIMEOUT_MS, check_notify},
    {"noop", RUNBOOK_STEP_NOOP, RUNBOOK_DEFAULT_NOOP_TIMEOUT_MS, check_noop},
};
_Static_assert(COUNT_OF(step_types) == STEP_TYPE_COUNT, "STEP_TYPE_COUNT is the table's size");
