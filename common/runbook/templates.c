/* runbook/templates: the {{ }} templates in a step's values: names that
 * exist (params, host.id, host.labels.*, run.id), secret params only where
 * they reach a step through its environment, and a shell step's templates
 * only where rota's quoting makes each one shell word. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shellword.h"
#include "template.h"
#include "strlist.h"
#include "xalloc.h"

/* ---- templates ---- */

/* A template of a text being checked. */
typedef struct {
	char *name; /* owned */
	bool raw;
	bool secret; /* a secret param */
	size_t offset, length;
} tmpl_ref_t;

typedef struct {
	check_t *c;
	runbook_mark_t mark;
	const char *key;
	secret_rule_t rule;
	size_t names;     /* templates seen */
	bool secret;      /* a secret param among them */
	tmpl_ref_t *refs; /* owned: every template, in order */
} tmpl_ctx_t;

static runbook_mark_t tmpl_mark(const check_t *c, const yamltree_node_t *n, size_t index,
                                size_t count);

static const char *
param_list(check_t *c)
{
	if (c->param_list == NULL) {
		strlist_t names = {0}; /* owned: freed here */
		for (size_t i = 0; i < c->rb->param_count; i++)
			strlist_add(&names, xstrdup(c->rb->params[i].name));
		c->param_list = strlist_join_sep(&names, ", ", "");
		strlist_free(&names);
	}
	return c->param_list;
}

/* Returns 0 always: every unknown name in a text is reported, not just the
 * first. */
static int
tmpl_check_name(tmpl_ctx_t *tc, const char *name)
{
	check_t *c = tc->c;

	tc->names++;
	if (strncmp(name, "params.", 7) == 0) {
		const runbook_param_t *p = runbook_param_find(c->rb, name + 7);
		if (p != NULL && p->secret) {
			tc->secret = true;
			if (tc->rule == SECRET_REFUSED)
				yamltree_report_add(
				    c->r, tc->mark,
				    "'%s' cannot use secret param '%s': a secret reaches a "
				    "step only through its environment (use it in a shell "
				    "step's run or env)",
				    tc->key, name + 7);
		}
		if (p != NULL)
			return 0;
		if (c->rb->param_count == 0)
			yamltree_report_add(c->r, tc->mark,
			                    "unknown template name '%s'; no params are declared",
			                    yamltree_shown(name).s);
		else
			yamltree_report_add(c->r, tc->mark,
			                    "unknown template name '%s'; declared params: %s",
			                    yamltree_shown(name).s, param_list(c));
		return 0;
	}
	if (strcmp(name, "host.id") == 0 || strcmp(name, "run.id") == 0)
		return 0;
	if (strncmp(name, "host.labels.", 12) == 0 &&
	    runbook_name_valid(name + 12, CHARS_LABEL_KEY, RUNBOOK_MAX_NAME_LEN, false))
		return 0;
	/* alert.*: whether the runbook may use them at all (triggers) is
	 * reported by the caller, at the template's own column. */
	if (runbook_alert_name_valid(name))
		return 0;
	yamltree_report_add(
	    c->r, tc->mark,
	    "unknown template name '%s'; use params.NAME, host.id, host.labels.KEY, "
	    "run.id, alert.labels.NAME, alert.annotations.NAME or alert.starts_at",
	    yamltree_shown(name).s);
	return 0;
}

bool
runbook_alert_name_valid(const char *name)
{
	static const char *const prefixes[] = {RUNBOOK_ALERT_LABELS, RUNBOOK_ALERT_ANNOTATIONS};
	if (strcmp(name, RUNBOOK_ALERT_STARTS_AT) == 0)
		return true;
	for (size_t i = 0; i < COUNT_OF(prefixes); i++) {
		size_t n = strlen(prefixes[i]);
		if (strncmp(name, prefixes[i], n) == 0 &&
		    runbook_name_valid(name + n, CHARS_LABEL_KEY, RUNBOOK_MAX_NAME_LEN, false))
			return true;
	}
	return false;
}

/* An alert's values exist only in a run an alert started (or one given
 * them with -p alert.labels.NAME=...): a runbook no alert can start has
 * none, and a template naming one is a mistake, reported where it is. */
static void
tmpl_check_alert(check_t *c, const yamltree_node_t *n, const tmpl_ctx_t *tc)
{
	/* Nor has the coordinator, the one host of a runbook that runs
	 * there, any labels. */
	for (size_t i = 0; c->rb->targets.coordinator && i < tc->names; i++)
		if (strncmp(tc->refs[i].name, "host.labels.", 12) == 0)
			yamltree_report_add(
			    c->r, tmpl_mark(c, n, i, tc->names),
			    "{{ %s }}: the runbook runs on the coordinator (targets: {"
			    " coordinator: true }), which has no labels",
			    yamltree_shown(tc->refs[i].name).s);
	if (c->rb->trigger_count > 0)
		return;
	for (size_t i = 0; i < tc->names; i++)
		if (strncmp(tc->refs[i].name, "alert.", 6) == 0)
			yamltree_report_add(
			    c->r, tmpl_mark(c, n, i, tc->names),
			    "{{ %s }}: the runbook has no 'triggers', so no alert starts it and"
			    " there is no alert to take values from (add triggers, or use a"
			    " param)",
			    yamltree_shown(tc->refs[i].name).s);
}

static int
tmpl_check_ref(void *vctx, const template_ref_t *ref)
{
	tmpl_ctx_t *tc = vctx;
	bool had_secret = tc->secret;
	bool was = false;

	tc->secret = false;
	tmpl_check_name(tc, ref->name);
	was = tc->secret;
	tc->secret = had_secret || was;
	tc->refs = xrealloc(tc->refs, (tc->names) * sizeof(*tc->refs));
	tc->refs[tc->names - 1] = (tmpl_ref_t){
	    .name = xstrdup(ref->name),
	    .raw = ref->raw,
	    .secret = was,
	    .offset = ref->offset,
	    .length = ref->length,
	};
	return 0;
}

/* The byte offset of mark (line, column in characters) in the file. */
static size_t
offset_of_mark(const check_t *c, runbook_mark_t m)
{
	size_t i = 0;
	for (int line = 1; line < m.line && i < c->len; i++)
		if (c->text[i] == '\n')
			line++;
	for (int col = 1; col < m.column && i < c->len && c->text[i] != '\n'; col++) {
		i++;
		while (i < c->len && ((unsigned char)c->text[i] & 0xC0) == 0x80)
			i++;
	}
	return i;
}

/* Where the index-th template of the value of scalar n starts in the file:
 * the index-th "{{ ... }}" between the scalar's start and end there, when
 * the file holds as many as the value (quotes, indentation and folded
 * lines do not change them); else the scalar's own mark. */
static runbook_mark_t
tmpl_mark(const check_t *c, const yamltree_node_t *n, size_t index, size_t count)
{
	if (c->text == NULL || n->kind != YAMLTREE_SCALAR)
		return n->mark;
	size_t from = offset_of_mark(c, n->mark);
	size_t to = n->end.line > 0 ? offset_of_mark(c, n->end) : c->len;
	size_t found = 0, at = 0;
	for (size_t i = from; i + 1 < to;) {
		if (c->text[i] != '{' || c->text[i + 1] != '{') {
			i++;
			continue;
		}
		if (found == index)
			at = i;
		found++;
		size_t j = i + 2;
		while (j + 1 < to && !(c->text[j] == '}' && c->text[j + 1] == '}'))
			j++;
		i = j + 2;
	}
	if (found != count)
		return n->mark;
	/* Count lines and characters from the scalar's start. */
	return yamltree_mark_advance(n->mark, c->text + from, at > from ? at - from : 0);
}

/* A shell step's run: every template (but a raw one) must stand where
 * rota's quoting makes its value exactly one shell word (shellword.h);
 * raw is for params that are not secret, and is warned about. */
static void
tmpl_check_shell(check_t *c, const yamltree_node_t *n, const char *text, const tmpl_ctx_t *tc)
{
	size_t count = tc->names;
	size_t *offsets = xcalloc(count + 1, sizeof(*offsets));
	size_t *lengths = xcalloc(count + 1, sizeof(*lengths));
	shellword_place_t *places = xcalloc(count + 1, sizeof(*places));
	for (size_t i = 0; i < count; i++) {
		offsets[i] = tc->refs[i].offset;
		lengths[i] = tc->refs[i].length;
	}
	shellword_places(text, offsets, lengths, count, places);
	for (size_t i = 0; i < count; i++) {
		const tmpl_ref_t *ref = &tc->refs[i];
		if (ref->raw && ref->secret)
			yamltree_report_add(
			    c->r, tmpl_mark(c, n, i, count),
			    "run: {{ %s | raw }}: a secret param cannot be raw; it reaches "
			    "the command only as \"${%s%s}\" (remove '| raw')",
			    yamltree_shown(ref->name).s, TEMPLATE_SECRET_ENV_PREFIX, ref->name + 7);
		else if (ref->raw)
			yamltree_report_add(
			    c->warn, tmpl_mark(c, n, i, count),
			    "run: {{ %s | raw }} is pasted into the command as shell, "
			    "unquoted: a ';', '$(...)' or quote in its value runs as "
			    "commands; remove '| raw' unless the value is meant to be shell",
			    yamltree_shown(ref->name).s);
		else if (places[i] != SHELLWORD_WORD)
			yamltree_report_add(c->r, tmpl_mark(c, n, i, count), "run: {{ %s }} is %s",
			                    yamltree_shown(ref->name).s,
			                    shellword_place_hint(places[i]));
	}
	free(places);
	free(lengths);
	free(offsets);
}

/* Checks the templates in text (the value of key, at node n) under a
 * secret rule. */
void
runbook_tmpl_check_rule(check_t *c, const yamltree_node_t *n, const char *key, const char *text,
                        secret_rule_t rule)
{
	tmpl_ctx_t tc = {.c = c, .mark = n->mark, .key = key, .rule = rule};
	char *error = NULL;

	if (template_each(text, tmpl_check_ref, &tc, &error) != 0 && error != NULL)
		yamltree_report_add(c->r, n->mark, "bad template in '%s': %s", key, error);
	free(error);
	tmpl_check_alert(c, n, &tc);
	if (strcmp(key, "run") == 0 && rule == SECRET_RENDERED) {
		tmpl_check_shell(c, n, text, &tc);
	} else {
		for (size_t i = 0; i < tc.names; i++)
			if (tc.refs[i].raw) {
				yamltree_report_add(
				    c->r, tmpl_mark(c, n, i, tc.names),
				    "'%s': '| raw' applies only in a shell step's run (values "
				    "here are not shell); remove it",
				    key);
				break;
			}
	}
	for (size_t i = 0; i < tc.names; i++)
		free(tc.refs[i].name);
	free(tc.refs);
	if (rule != SECRET_WHOLE_VALUE || !tc.secret)
		return;
	/* The value travels apart from the spec (secret_env), so it cannot be
	 * assembled with other text. */
	size_t len = strlen(text);
	while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t'))
		len--;
	const char *p = text;
	while (*p == ' ' || *p == '\t')
		p++;
	if (tc.names != 1 || strncmp(p, "{{", 2) != 0 || len < 2 ||
	    strncmp(text + len - 2, "}}", 2) != 0)
		yamltree_report_add(
		    c->r, n->mark,
		    "env %s: a secret param must be the whole value (\"{{ params.NAME "
		    "}}\"), not part of it",
		    key);
}

/* Secret params are rendered in a command, a prompt or a message; refused
 * in every other field. */
void
runbook_tmpl_check(check_t *c, const yamltree_node_t *n, const char *key, const char *text)
{
	bool rendered =
	    strcmp(key, "run") == 0 || strcmp(key, "prompt") == 0 || strcmp(key, "message") == 0;
	runbook_tmpl_check_rule(c, n, key, text, rendered ? SECRET_RENDERED : SECRET_REFUSED);
}

/* A value is left for submit when it holds a template: only the rendered
 * text can be checked. */
bool
runbook_text_templated(const char *s)
{
	return strstr(s, "{{") != NULL;
}
