/* runbook/compose: `runbook` steps expanded (runbook_expand). A runbook
 * step is replaced by the steps of the runbook it calls, their ids
 * prefixed with its own ("cleanup.disk"), their `when` kept (inside the
 * called runbook) and their params bound through a frame: the step's
 * `params` (templates in the caller's context) and the called runbook's
 * defaults, rendered per host by the launcher. So a composed run is a run
 * of ordinary steps: dispatch, exactly-once recording, retries, approvals
 * and output need nothing new (docs/decisions.md says why).
 *
 * The called runbooks' texts come from a resolver (the catalog when it
 * loads, a run's bundle when its runbook is read back) and are parsed
 * here, each time: a called runbook is never shared with the catalog.
 *
 * Must never: loop on a cycle (a -> b -> a is an error naming the chain),
 * go deeper than RUNBOOK_MAX_CALL_DEPTH, or splice more than
 * RUNBOOK_MAX_STEPS steps. */
#include "internal.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* One expansion: the root runbook, where its errors go, what it builds. */
typedef struct {
	runbook_t *root;
	yamltree_report_t *r;
	runbook_resolve_fn resolve;
	void *ctx;
	const char *chain[RUNBOOK_MAX_CALL_DEPTH + 2]; /* runbook names, root first */
	size_t depth;
	const char *root_step; /* the id of the root's step being expanded */
	runbook_step_t *out;   /* the expanded steps */
	size_t count, cap;
	runbook_frame_t *frames;
	size_t frame_count;
	bool failed;
} expand_t;

bool
runbook_has_calls(const runbook_t *rb)
{
	for (size_t i = 0; rb != NULL && i < rb->step_count; i++)
		if (rb->steps[i].type == RUNBOOK_STEP_RUNBOOK)
			return true;
	return false;
}

/* "a -> b -> c" of the chain, then last when not NULL. */
static char *
chain_text(const expand_t *e, const char *last)
{
	strlist_t names = {0};
	for (size_t i = 0; i <= e->depth; i++)
		strlist_add(&names, xstrdup(e->chain[i]));
	if (last != NULL)
		strlist_add(&names, xstrdup(last));
	char *s = strlist_join_sep(&names, " -> ", "");
	strlist_free(&names);
	return s;
}

/* An error of the call at `at` (a step of the root), or, deeper, of a step
 * in a called runbook: then said with the chain and where in that file. */
static void __attribute__((format(printf, 5, 6)))
expand_error(expand_t *e, runbook_mark_t at, const runbook_t *in, const runbook_step_t *s,
             const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (e->depth == 0) {
		yamltree_report_add(e->r, at, "%s", msg);
	} else {
		char *chain = chain_text(e, NULL);
		yamltree_report_add(e->r, at, "in %s: %s:%d:%d: %s", chain, in->path, s->mark.line,
		                    s->mark.column, msg);
		free(chain);
	}
	free(msg);
	e->failed = true;
}

/* Moves *s (its strings too) to the end of the output; *s is zeroed. */
static runbook_step_t *
expand_push(expand_t *e, runbook_step_t *s)
{
	if (e->count == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 16;
		e->out = xrealloc(e->out, e->cap * sizeof(*e->out));
	}
	e->out[e->count] = *s;
	memset(s, 0, sizeof(*s));
	return &e->out[e->count++];
}

static void
expand_keep_text(expand_t *e, const char *name, const char *yaml)
{
	runbook_t *rb = e->root;
	for (size_t i = 0; i < rb->included_count; i++)
		if (strcmp(rb->included[i].name, name) == 0)
			return;
	rb->included = xrealloc(rb->included, (rb->included_count + 1) * sizeof(*rb->included));
	rb->included[rb->included_count].name = xstrdup(name);
	rb->included[rb->included_count].yaml = xstrdup(yaml);
	rb->included_count++;
}

/* Whether text may be given to a command param (run as shell) of a called
 * runbook: a literal (the runbook's author wrote it), or exactly
 * {{ params.NAME }} of a command param of in, which -p may set only with
 * the ad-hoc permission; any other template would run a value that -p or
 * an alert gives. */
static bool
expand_command_value(const runbook_t *in, const char *text)
{
	if (!runbook_text_templated(text))
		return true;
	char name[RUNBOOK_MAX_NAME_LEN + 1];
	int end = 0;
	if (sscanf(text, " {{ params.%100[A-Za-z0-9_] }}%n", name, &end) != 1 || end == 0 ||
	    text[end] != '\0')
		return false;
	const runbook_param_t *p = runbook_param_find(in, name);
	return p != NULL && p->command;
}

/* The params of callee as the call binds them, into a new frame; returns
 * its number (1-based), or 0 after reporting. */
static size_t
expand_bind(expand_t *e, runbook_mark_t at, const runbook_t *in, const runbook_step_t *call,
            const runbook_t *callee, const char *prefix, size_t parent)
{
	bool ok = true;
	for (size_t i = 0; i < call->call_param_count; i++) {
		const char *name = call->call_params[i].key;
		if (runbook_param_find(callee, name) != NULL)
			continue;
		strlist_t names = {0};
		for (size_t k = 0; k < callee->param_count; k++)
			strlist_add(&names, xstrdup(callee->params[k].name));
		char *list = strlist_join_sep(&names, ", ", "none");
		strlist_free(&names);
		expand_error(e, at, in, call, "runbook %s has no param '%s' (its params: %s)",
		             callee->name, name, list);
		free(list);
		ok = false;
	}
	runbook_bind_t *binds = xcalloc(callee->param_count + 1, sizeof(*binds));
	size_t n = 0;
	for (size_t k = 0; k < callee->param_count; k++) {
		const runbook_param_t *p = &callee->params[k];
		const char *text = NULL, *what;
		for (size_t i = 0; i < call->call_param_count; i++)
			if (strcmp(call->call_params[i].key, p->name) == 0)
				text = call->call_params[i].value;
		if (p->secret) {
			expand_error(
			    e, at, in, call,
			    "param '%s' of runbook %s is secret; a runbook step cannot pass "
			    "a secret yet (run %s by itself)",
			    p->name, callee->name, callee->name);
			ok = false;
			continue;
		}
		if (text == NULL && (p->required || p->default_value == NULL)) {
			expand_error(
			    e, at, in, call,
			    "runbook %s needs param '%s', which has no default: give it in "
			    "the step's params (params: { %s: VALUE })",
			    callee->name, p->name, p->name);
			ok = false;
			continue;
		}
		if (text != NULL && p->command && !expand_command_value(in, text)) {
			expand_error(e, at, in, call,
			             "param '%s' of runbook %s is a command (run as shell): give it"
			             " a literal, or {{ params.NAME }} of a param of this runbook"
			             " that is command: true too (%s is not)",
			             p->name, callee->name, yamltree_shown(text).s);
			ok = false;
			continue;
		}
		if (text == NULL)
			text = p->default_value;
		else if (!runbook_text_templated(text) &&
		         !runbook_param_value_fits(p->type, text, &what)) {
			expand_error(e, at, in, call,
			             "param '%s' of runbook %s must be %s, not '%s'", p->name,
			             callee->name, what, yamltree_shown(text).s);
			ok = false;
			continue;
		}
		binds[n].name = xstrdup(p->name);
		binds[n].text = xstrdup(text);
		binds[n].type = p->type;
		n++;
	}
	if (!ok) {
		for (size_t i = 0; i < n; i++) {
			free(binds[i].name);
			free(binds[i].text);
		}
		free(binds);
		return 0;
	}
	e->frames = xrealloc(e->frames, (e->frame_count + 1) * sizeof(*e->frames));
	runbook_frame_t *f = &e->frames[e->frame_count++];
	f->step = xstrdup(prefix);
	f->runbook = xstrdup(callee->name);
	f->parent = parent;
	f->binds = binds;
	f->bind_count = n;
	return e->frame_count;
}

static void expand_steps(expand_t *e, runbook_mark_t at, runbook_t *rb, const char *prefix,
                         size_t frame);

/* The call step s of rb (at: where the root's call is): its runbook
 * resolved, checked and its steps spliced in. */
static void
expand_call(expand_t *e, runbook_mark_t at, const runbook_t *rb, const runbook_step_t *s,
            const char *prefix, size_t frame)
{
	for (size_t i = 0; i <= e->depth; i++) {
		if (strcmp(e->chain[i], s->call) == 0) {
			/* Said at the root's step, with the chain: the loop is
			 * the point, not where it closes. */
			char *chain = chain_text(e, s->call);
			if (e->depth == 0)
				yamltree_report_add(e->r, at, "runbook step '%s' makes a cycle: %s",
				                    s->id, chain);
			else
				yamltree_report_add(
				    e->r, at,
				    "runbook step '%s' makes a cycle: %s (step '%s' "
				    "at %s:%d:%d runs %s)",
				    e->root_step, chain, s->id, rb->path, s->mark.line,
				    s->mark.column, s->call);
			e->failed = true;
			free(chain);
			return;
		}
	}
	if (e->depth + 1 > RUNBOOK_MAX_CALL_DEPTH) {
		char *chain = chain_text(e, s->call);
		expand_error(e, at, rb, s, "runbook steps call deeper than %d runbooks: %s",
		             RUNBOOK_MAX_CALL_DEPTH, chain);
		free(chain);
		return;
	}
	const char *path = NULL;
	const char *yaml = e->resolve(e->ctx, s->call, &path);
	if (yaml == NULL) {
		expand_error(e, at, rb, s, "runbook step '%s' runs runbook %s, which is not loaded",
		             s->id, s->call);
		return;
	}
	runbook_errors_t errs = {0};
	runbook_t *callee =
	    runbook_parse_string(yaml, strlen(yaml), path != NULL ? path : s->call, &errs);
	if (callee == NULL) {
		char *why = runbook_errors_format(&errs);
		size_t n = strlen(why);
		if (n > 0 && why[n - 1] == '\n')
			why[n - 1] = '\0';
		expand_error(e, at, rb, s,
		             "runbook step '%s' runs runbook %s, which is invalid: %s", s->id,
		             s->call, why);
		free(why);
		runbook_errors_clear(&errs);
		return;
	}
	runbook_errors_clear(&errs);
	if (strcmp(callee->name, s->call) != 0) {
		expand_error(e, at, rb, s,
		             "runbook step '%s' runs runbook %s, but its file names %s", s->id,
		             s->call, callee->name);
		runbook_destroy(&callee);
		return;
	}
	char *sub = prefix != NULL ? xasprintf("%s.%s", prefix, s->id) : xstrdup(s->id);
	size_t f = expand_bind(e, at, rb, s, callee, sub, frame);
	if (f > 0) {
		expand_keep_text(e, s->call, yaml);
		e->chain[++e->depth] = callee->name;
		expand_steps(e, at, callee, sub, f);
		e->depth--;
	}
	free(sub);
	runbook_destroy(&callee);
}

/* Every step of rb onto the output (moved out of rb): its own, prefixed,
 * in frame; its calls expanded. at: the root's step being expanded (for
 * the root itself, each step's own mark). */
static void
expand_steps(expand_t *e, runbook_mark_t at, runbook_t *rb, const char *prefix, size_t frame)
{
	/* Where each of rb's steps went: SIZE_MAX for a call. */
	size_t *moved = xcalloc(rb->step_count + 1, sizeof(*moved));
	/* The root's steps are all checked (each call's errors said); inside
	 * a called runbook the first error is enough. */
	for (size_t i = 0; i < rb->step_count && (e->depth == 0 || !e->failed); i++) {
		runbook_step_t *s = &rb->steps[i];
		runbook_mark_t here = e->depth == 0 ? s->mark : at;
		moved[i] = SIZE_MAX;
		if (s->type == RUNBOOK_STEP_RUNBOOK) {
			if (e->depth == 0)
				e->root_step = s->id;
			expand_call(e, here, rb, s, prefix, frame);
			continue;
		}
		if (s->when.kind == RUNBOOK_WHEN_FAILED || s->when.kind == RUNBOOK_WHEN_SUCCEEDED) {
			size_t to = moved[s->when.step_index];
			if (to == SIZE_MAX) {
				expand_error(
				    e, here, rb, s,
				    "'when' of step '%s' names step '%s', a runbook step; a "
				    "when cannot name one yet (name a step before it)",
				    s->id, s->when.step);
				continue;
			}
			free(s->when.step);
			s->when.step = xstrdup(e->out[to].id);
			s->when.step_index = to;
		}
		if (e->count >= RUNBOOK_MAX_STEPS) {
			expand_error(e, here, rb, s,
			             "with the steps of the runbooks it runs, %s has "
			             "more than %d steps",
			             e->root->name, RUNBOOK_MAX_STEPS);
			break;
		}
		if (prefix != NULL) {
			char *id = xasprintf("%s.%s", prefix, s->id);
			free(s->id);
			s->id = id;
		}
		s->frame = frame;
		moved[i] = e->count;
		expand_push(e, s);
	}
	free(moved);
}

static void
frames_free(runbook_frame_t *frames, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(frames[i].step);
		free(frames[i].runbook);
		for (size_t k = 0; k < frames[i].bind_count; k++) {
			free(frames[i].binds[k].name);
			free(frames[i].binds[k].text);
		}
		free(frames[i].binds);
	}
	free(frames);
}

void
runbook_frames_free(runbook_t *rb)
{
	frames_free(rb->frames, rb->frame_count);
	rb->frames = NULL;
	rb->frame_count = 0;
	for (size_t i = 0; i < rb->included_count; i++) {
		free(rb->included[i].name);
		free(rb->included[i].yaml);
	}
	free(rb->included);
	rb->included = NULL;
	rb->included_count = 0;
}

int
runbook_expand(runbook_t *rb, runbook_resolve_fn resolve, void *ctx, runbook_errors_t *errs)
{
	if (!runbook_has_calls(rb))
		return 0;
	yamltree_report_t r;
	yamltree_report_init(&r, errs, rb->path);
	expand_t e = {.root = rb, .r = &r, .resolve = resolve, .ctx = ctx, .chain = {rb->name}};
	expand_steps(&e, (runbook_mark_t){0}, rb, NULL, 0);
	yamltree_report_finish(&r);
	/* What was not moved (the calls, and the rest after an error). */
	for (size_t i = 0; i < rb->step_count; i++)
		runbook_step_free(&rb->steps[i]);
	free(rb->steps);
	rb->steps = e.out;
	rb->step_count = e.count;
	rb->frames = e.frames;
	rb->frame_count = e.frame_count;
	return e.failed ? -1 : 0;
}

/* ---- the bundle a run keeps ---- */

/* A double-quoted YAML scalar of text: every byte kept, newlines and
 * controls escaped, so the text comes back exactly. */
static void
bundle_quote(strlist_t *out, const char *text)
{
	size_t n = strlen(text), k = 0;
	char *q = xmalloc(4 * n + 3);
	q[k++] = '"';
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if (*p == '"' || *p == '\\') {
			q[k++] = '\\';
			q[k++] = (char)*p;
		} else if (*p == '\n') {
			q[k++] = '\\';
			q[k++] = 'n';
		} else if (*p < 0x20 || *p == 0x7f) {
			k += (size_t)snprintf(q + k, 5, "\\x%02x", *p);
		} else {
			q[k++] = (char)*p;
		}
	}
	q[k++] = '"';
	q[k] = '\0';
	strlist_add(out, q);
}

char *
runbook_bundle(const runbook_t *rb, const char *yaml)
{
	if (rb->included_count == 0)
		return xstrdup(yaml);
	strlist_t parts = {0};
	strlist_add(&parts, xstrdup(RUNBOOK_BUNDLE_MARK "runbook: "));
	bundle_quote(&parts, yaml);
	strlist_add(&parts, xstrdup("\nincluded:\n"));
	for (size_t i = 0; i < rb->included_count; i++) {
		strlist_add(&parts, xstrdup("  "));
		bundle_quote(&parts, rb->included[i].name);
		strlist_add(&parts, xstrdup(": "));
		bundle_quote(&parts, rb->included[i].yaml);
		strlist_add(&parts, xstrdup("\n"));
	}
	char *s = strlist_join_sep(&parts, "", "");
	strlist_free(&parts);
	return s;
}

/* A bundle's included texts, by name, for runbook_expand. */
typedef struct {
	const yamltree_node_t *included;
} bundle_t;

static const char *
bundle_resolve(void *ctx, const char *name, const char **path)
{
	const bundle_t *b = ctx;
	const yamltree_node_t *v = yamltree_map_get(b->included, name);
	*path = name;
	return v != NULL && yamltree_is_text(v) ? v->text : NULL;
}

/* How a bundle is read: larger than one file, since it holds several. */
static const yamltree_options_t BUNDLE_YAML = {
    .noun = "runbook bundle",
    .empty_hint = "it needs 'runbook' and 'included'",
    .max_bytes = RUNBOOK_MAX_FILE_BYTES * (RUNBOOK_MAX_CALL_DEPTH + 4),
};

runbook_t *
runbook_bundle_parse(const char *text, size_t len, const char *name, runbook_errors_t *errs)
{
	yamltree_report_t r;
	yamltree_report_init(&r, errs, name);
	yamltree_node_t *root = yamltree_parse(&r, text, len, &BUNDLE_YAML);
	const yamltree_node_t *inner = root != NULL && root->kind == YAMLTREE_MAPPING
	                                   ? yamltree_map_get(root, "runbook")
	                                   : NULL;
	bundle_t b = {.included = inner != NULL ? yamltree_map_get(root, "included") : NULL};
	runbook_t *rb = NULL;
	if (root != NULL && (inner == NULL || !yamltree_is_text(inner) || b.included == NULL ||
	                     b.included->kind != YAMLTREE_MAPPING))
		yamltree_report_add(&r, root->mark,
		                    "a runbook bundle needs 'runbook' (a text) and "
		                    "'included' (a mapping of texts)");
	else if (root != NULL &&
	         strncmp(inner->text, RUNBOOK_BUNDLE_MARK, strlen(RUNBOOK_BUNDLE_MARK)) == 0)
		yamltree_report_add(&r, inner->mark, "a runbook bundle cannot hold another");
	else if (root != NULL)
		rb = runbook_parse_string(inner->text, strlen(inner->text), name, errs);
	if (rb != NULL && runbook_expand(rb, bundle_resolve, &b, errs) != 0)
		runbook_destroy(&rb);
	yamltree_destroy(&root);
	yamltree_report_finish(&r);
	return rb;
}
