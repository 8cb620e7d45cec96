/* runbook: turns a runbook YAML file into a runbook_t, or into a list of
 * errors that each point at a line and column.
 *
 * Two passes. Pass 1 (yamltree_parse, yamltree.h) turns libyaml's events
 * into a small tree of scalar / sequence / mapping nodes that remember where
 * they started, and rejects what the language does not allow at the YAML
 * level: anchors and aliases, tags, duplicate keys, several documents, deep
 * nesting, NUL bytes.
 * Pass 2 (check_*) walks the tree key by key against a table of known keys
 * per mapping, so a typo gets "did you mean" and a key from the full language
 * that this version does not run yet gets "not supported ... yet" instead of
 * being ignored. Step kinds are a table (step_kinds.c): a new kind is a
 * file (its parse, lint and render) and a row there.
 *
 * Errors are collected, not returned at the first one: `rota lint` shows them
 * all, sorted by position. Pass 2 only runs on a tree pass 1 accepted, so one
 * YAML-level mistake does not bury the user in follow-on errors.
 *
 * Must never: crash, hang or grow without bound on any input (every input
 * size, depth, node count and error count is bounded below), or return a
 * runbook when it reported an error. */
#include "runbook.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "xalloc.h"
#include "yamltree.h"

/* ------------------------------------------------------------------ */
/* Public                                                             */

/* How the YAML tree names a runbook in its messages, and its size limit. */
static const yamltree_options_t RUNBOOK_YAML = {
    .noun = "runbook",
    .empty_hint = "it needs at least 'name' and 'steps'",
    .max_bytes = RUNBOOK_MAX_FILE_BYTES,
};

runbook_t *
runbook_parse_string(const char *text, size_t len, const char *name, runbook_errors_t *errs)
{
	runbook_errors_t local = {0};
	yamltree_report_t r;
	runbook_t *rb = NULL;

	if (errs == NULL)
		errs = &local;
	if (text != NULL && len >= strlen(RUNBOOK_BUNDLE_MARK) &&
	    memcmp(text, RUNBOOK_BUNDLE_MARK, strlen(RUNBOOK_BUNDLE_MARK)) == 0) {
		/* A run's copy of a runbook that runs others (compose.c). */
		rb = runbook_bundle_parse(text, len, name ? name : "<string>", errs);
		runbook_errors_clear(&local);
		return rb;
	}
	yamltree_report_init(&r, errs, name ? name : "<string>");

	yamltree_node_t *root = yamltree_parse(&r, text, len, &RUNBOOK_YAML);
	if (root != NULL) {
		rb = xcalloc(1, sizeof(*rb));
		rb->path = xstrdup(r.file);
		yamltree_report_t w;
		yamltree_report_init(&w, &rb->warnings, r.file);
		check_t c = {.r = &r, .warn = &w, .rb = rb, .text = text, .len = len};
		runbook_check_root(&c, root);
		yamltree_report_sort(&w);
		free(c.param_list);
		yamltree_destroy(&root);
	}

	yamltree_report_finish(&r);
	if (r.count > 0)
		runbook_destroy(&rb);
	runbook_errors_clear(&local);
	return rb;
}

runbook_t *
runbook_parse_file(const char *path, runbook_errors_t *errs)
{
	runbook_errors_t local = {0};
	yamltree_report_t r;
	size_t len = 0;
	runbook_t *rb = NULL;

	if (errs == NULL)
		errs = &local;
	if (path == NULL)
		path = "<null>";
	yamltree_report_init(&r, errs, path);

	char *buf = yamltree_read_file(&r, path, &RUNBOOK_YAML, &len);
	if (buf != NULL)
		rb = runbook_parse_string(buf, len, path, errs);
	free(buf);
	runbook_errors_clear(&local);
	return rb;
}

/* A step's kind fields are freed through its kind's texts (each kind lists
 * the fields it fills, and only its own parse fills them); the rest here. */
void
runbook_step_free(runbook_step_t *s)
{
	const step_kind_t *kind = step_kind_find(s->type);
	const char *texts[RUNBOOK_STEP_MAX_TEXTS];
	size_t n = kind != NULL ? kind->texts(s, texts) : 0;

	for (size_t i = 0; i < n; i++)
		free((char *)texts[i]);
	free(s->id);
	free(s->when.step);
	free(s->run_as);
	free(s->record);
	free(s->hold_param);
	free(s->interval_param);
	free(s->timeout_param);
	free(s->description);
	runbook_kv_free(s->env, s->env_count);
	runbook_kv_free(s->call_params, s->call_param_count);
}

void
runbook_destroy(runbook_t **rbp)
{
	if (rbp == NULL || *rbp == NULL)
		return;
	runbook_t *rb = *rbp;

	runbook_errors_clear(&rb->warnings);
	free(rb->path);
	free(rb->name);
	free(rb->description);
	free(rb->alert);
	free(rb->prevention);
	free(rb->escalation_notes);
	free(rb->category);
	for (size_t i = 0; i < rb->targets.host_count; i++)
		free(rb->targets.hosts[i]);
	free(rb->targets.hosts);
	for (size_t i = 0; i < rb->targets.label_count; i++) {
		runbook_label_match_t *m = &rb->targets.labels[i];
		free(m->key);
		for (size_t k = 0; k < m->value_count; k++)
			free(m->values[k]);
		free(m->values);
	}
	free(rb->targets.labels);
	free(rb->schedule.cron);
	free(rb->schedule.timezone);
	skipdates_clear(&rb->schedule.skip);
	free(rb->schedule.skip_file);
	free(rb->escalation);
	for (size_t i = 0; i < rb->trigger_count; i++) {
		free(rb->triggers[i].source);
		runbook_kv_free(rb->triggers[i].match, rb->triggers[i].match_count);
	}
	free(rb->triggers);
	for (size_t i = 0; i < rb->param_count; i++) {
		free(rb->params[i].name);
		free(rb->params[i].default_value);
		free(rb->params[i].description);
		for (size_t k = 0; k < rb->params[i].from_alert_count; k++)
			free(rb->params[i].from_alert[k]);
		free(rb->params[i].from_alert);
	}
	free(rb->params);
	for (size_t i = 0; i < rb->step_count; i++)
		runbook_step_free(&rb->steps[i]);
	free(rb->steps);
	runbook_frames_free(rb);
	for (size_t i = 0; i < rb->allowed_operator_count; i++)
		free(rb->allowed_operators[i]);
	free(rb->allowed_operators);
	for (size_t i = 0; i < rb->allowed_role_count; i++)
		free(rb->allowed_roles[i]);
	free(rb->allowed_roles);
	free(rb);
	*rbp = NULL;
}

const runbook_param_t *
runbook_param_find(const runbook_t *rb, const char *name)
{
	if (rb == NULL || name == NULL)
		return NULL;
	for (size_t i = 0; i < rb->param_count; i++)
		if (rb->params[i].name != NULL && strcmp(rb->params[i].name, name) == 0)
			return &rb->params[i];
	return NULL;
}

int
runbook_step_find(const runbook_t *rb, const char *id)
{
	if (rb == NULL || id == NULL)
		return -1;
	for (size_t i = 0; i < rb->step_count && i < INT_MAX; i++)
		if (rb->steps[i].id != NULL && strcmp(rb->steps[i].id, id) == 0)
			return (int)i;
	return -1;
}

bool
runbook_step_on_coordinator(runbook_step_type_t type)
{
	const runbook_step_info_t *k = runbook_step_info(type);
	return k != NULL && k->runs_on == RUNBOOK_RUNS_COORDINATOR;
}

const char *
runbook_step_type_name(runbook_step_type_t type)
{
	const runbook_step_info_t *k = runbook_step_info(type);
	return k != NULL ? k->name : "unknown";
}

char *
runbook_param_check(const runbook_param_t *p, const char *value)
{
	const char *what;

	if (p == NULL || value == NULL)
		return xstrdup("no param or no value to check");
	if (runbook_param_value_fits(p->type, value, &what))
		return NULL;
	return xasprintf("param '%s' must be %s, not '%s'", p->name, what, yamltree_shown(value).s);
}

size_t
runbook_amount_of(runbook_amount_t a, size_t total)
{
	if (a.value == 0)
		return a.set ? 0 : total; /* max_failures: 0, or unset */
	if (!a.percent)
		return a.value < total ? a.value : total;
	/* ceil(total * value / 100) without overflowing total * value. */
	size_t v = a.value > 100 ? 100 : a.value;
	size_t n = (total / 100) * v + ((total % 100) * v + 99) / 100;
	return n == 0 && total > 0 ? 1 : n;
}

char *
runbook_field_check(const char *key, const char *value)
{
	const field_rule_t *rule = key != NULL ? runbook_field_rule(key) : NULL;

	if (rule == NULL || value == NULL || rule->fits(value))
		return NULL;
	return xasprintf("'%s' must be %s, not '%s'", key, rule->what, yamltree_shown(value).s);
}

char *
runbook_errors_format(const runbook_errors_t *errs)
{
	return yamltree_errors_format(errs);
}

void
runbook_errors_clear(runbook_errors_t *errs)
{
	yamltree_errors_clear(errs);
}

int
runbook_skip_file_load(runbook_t *rb, const char *runbook_path, char **error)
{
	const runbook_schedule_t *sc = &rb->schedule;
	if (sc->skip_file == NULL)
		return 0;
	char *path; /* owned */
	const char *slash = runbook_path != NULL ? strrchr(runbook_path, '/') : NULL;
	if (sc->skip_file[0] == '/' || slash == NULL)
		path = xstrdup(sc->skip_file);
	else
		path =
		    xasprintf("%.*s/%s", (int)(slash - runbook_path), runbook_path, sc->skip_file);
	char *why = NULL; /* owned */
	int rc = skipdates_read(&rb->schedule.skip, path, &why);
	if (rc != 0) {
		*error = xasprintf("skip_dates: %s", why);
		free(why);
	}
	free(path);
	return rc;
}
