/* launcher_params: a run's params and alert values, and where each came
 * from (launcher_internal.h).
 *
 * A param's value is, strongest first: -p; the alert's label its
 * from_alert names; the configuration's vars for the host (later entries
 * win); the runbook's default. Scheduled, alert-started and manual runs
 * all take them so, each host its own vars. Every value is checked
 * against the param's type where it is chosen, and the message names
 * where the bad one came from.
 *
 * Must never: let a secret's value into a stored line, or take a secret
 * from vars (the configuration file is no place for one: a secret comes
 * with the request, -p, or is the runbook's default). */
#include "launcher_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "services.h"
#include "xalloc.h"

void
launcher_params_var_secret(vars_t *v, const char *name, const char *value, bool secret)
{
	char *n = xstrdup(name), *val = xstrdup(value);
	strlist_add(&v->owned, n);
	strlist_add(&v->owned, val);
	v->vars = xrealloc(v->vars, (v->count + 1) * sizeof(*v->vars));
	v->vars[v->count].name = n;
	v->vars[v->count].value = val;
	v->vars[v->count].secret = secret;
	v->count++;
}

void
launcher_params_var(vars_t *v, const char *name, const char *value)
{
	launcher_params_var_secret(v, name, value, false);
}

void
launcher_params_vars_free(vars_t *v)
{
	/* The values may be secrets: wiped before they go back to the heap. */
	for (size_t i = 0; i < v->count; i++)
		if (v->vars[i].secret)
			explicit_bzero((char *)v->vars[i].value, strlen(v->vars[i].value));
	free(v->vars);
	strlist_free(&v->owned);
	memset(v, 0, sizeof(*v));
}

const char *
launcher_params_var_get(const vars_t *v, const char *name)
{
	for (size_t i = v->count; i > 0; i--)
		if (strcmp(v->vars[i - 1].name, name) == 0)
			return v->vars[i - 1].value;
	return NULL;
}

/* A copy of text with every control character a space; the caller frees. */
static char *
params_field(const char *text)
{
	char *out = xstrdup(text);
	for (char *c = out; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = ' ';
	return out;
}

/* One line for `rota show`: "NAME=VALUE\tSOURCE[\tHOST]". A value comes
 * from outside (an alert's label, -p) and may hold a tab or a newline,
 * which would forge a line or a source: every control character of each
 * field becomes a space. */
static void
params_line(params_t *ps, const char *name, const char *value, const char *source, const char *host)
{
	char *n = params_field(name), *v = params_field(value), *s = params_field(source);
	char *h = host ? params_field(host) : NULL;
	strlist_add(&ps->lines,
	            h ? xasprintf("%s=%s\t%s\t%s", n, v, s, h) : xasprintf("%s=%s\t%s", n, v, s));
	free(n);
	free(v);
	free(s);
	free(h);
}

static char *
declared_list(const runbook_t *rb)
{
	strlist_t declared = {0};
	for (size_t k = 0; k < rb->param_count; k++)
		strlist_add(&declared, xstrdup(rb->params[k].name));
	char *names = strlist_join(&declared, "none");
	strlist_free(&declared);
	return names;
}

/* The alert's values as template vars: its labels, annotations and start,
 * then those -p gives (which win, being later). lines get one each. */
static int
params_alert(const launch_t *req, params_t *ps, char **error)
{
	const runbook_t *rb = req->rb;
	const launch_alert_t *a = req->alert;
	for (size_t i = 0; a != NULL && i < a->label_count; i++) {
		char *name = xasprintf(RUNBOOK_ALERT_LABELS "%s", a->labels[i].name);
		launcher_params_var(&ps->alert, name, a->labels[i].value);
		params_line(ps, name, a->labels[i].value, "alert", NULL);
		free(name);
	}
	for (size_t i = 0; a != NULL && i < a->annotation_count; i++) {
		char *name = xasprintf(RUNBOOK_ALERT_ANNOTATIONS "%s", a->annotations[i].name);
		launcher_params_var(&ps->alert, name, a->annotations[i].value);
		free(name);
	}
	if (a != NULL && a->starts_ms > 0) {
		time_t t = (time_t)(a->starts_ms / 1000);
		struct tm tm;
		char at[32];
		gmtime_r(&t, &tm);
		strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
		launcher_params_var(&ps->alert, RUNBOOK_ALERT_STARTS_AT, at);
		params_line(ps, RUNBOOK_ALERT_STARTS_AT, at, "alert", NULL);
	}
	for (size_t i = 0; i < req->n_params; i++) {
		const Rota__Label *p = req->params[i];
		if (strncmp(p->key, "alert.", 6) != 0)
			continue;
		if (rb->trigger_count == 0) {
			*error =
			    xasprintf("runbook %s has no triggers, so it takes no alert values;"
			              " drop -p %s",
			              rb->name, p->key);
			return -1;
		}
		if (!runbook_alert_name_valid(p->key)) {
			*error = xasprintf("-p %s: an alert value is alert.labels.NAME,"
			                   " alert.annotations.NAME or alert.starts_at",
			                   p->key);
			return -1;
		}
		launcher_params_var(&ps->alert, p->key, p->value);
		params_line(ps, p->key, p->value, "-p", NULL);
	}
	return 0;
}

/* The run-wide value of p: its default, the alert's label, -p. */
static void
params_one(const launch_t *req, params_t *ps, const runbook_param_t *p, param_value_t *v)
{
	v->p = p;
	if (p->default_value != NULL) {
		v->value = p->default_value;
		v->rank = SOURCE_DEFAULT;
		v->source = xstrdup("default");
	}
	for (size_t k = 0; k < p->from_alert_count; k++) {
		char *name = xasprintf(RUNBOOK_ALERT_LABELS "%s", p->from_alert[k]);
		const char *got = launcher_params_var_get(&ps->alert, name);
		free(name);
		if (got == NULL)
			continue;
		/* Given by hand (-p alert.labels.X) or by the alert itself. */
		bool by_hand = false;
		for (size_t i = 0; i < req->n_params; i++)
			by_hand =
			    by_hand || (strncmp(req->params[i]->key, RUNBOOK_ALERT_LABELS,
			                        strlen(RUNBOOK_ALERT_LABELS)) == 0 &&
			                strcmp(req->params[i]->key + strlen(RUNBOOK_ALERT_LABELS),
			                       p->from_alert[k]) == 0);
		free(v->source);
		v->value = got;
		v->rank = SOURCE_ALERT;
		v->source = xasprintf("alert (label %s%s)", p->from_alert[k],
		                      by_hand ? ", given by -p" : "");
		break;
	}
	for (size_t i = 0; i < req->n_params; i++) {
		if (strcmp(req->params[i]->key, p->name) != 0)
			continue;
		free(v->source);
		v->value = req->params[i]->value;
		v->rank = SOURCE_GIVEN;
		v->source = xstrdup("-p");
	}
}

int
launcher_params_resolve(const launch_t *req, params_t *ps, char **error)
{
	const runbook_t *rb = req->rb;
	memset(ps, 0, sizeof(*ps));
	for (size_t i = 0; i < req->n_params; i++) {
		const Rota__Label *p = req->params[i];
		if (strncmp(p->key, "alert.", 6) == 0 || runbook_param_find(rb, p->key) != NULL)
			continue;
		char *names = declared_list(rb);
		*error = xasprintf("runbook %s has no param '%s' (its params: %s)", rb->name,
		                   p->key, names);
		free(names);
		return -1;
	}
	if (params_alert(req, ps, error) != 0)
		return -1;
	ps->values = xcalloc(rb->param_count + 1, sizeof(*ps->values));
	ps->count = rb->param_count;
	for (size_t k = 0; k < rb->param_count; k++) {
		param_value_t *v = &ps->values[k];
		params_one(req, ps, &rb->params[k], v);
		if (v->value != NULL)
			params_line(ps, v->p->name, v->p->secret ? "****" : v->value, v->source,
			            NULL);
	}
	return 0;
}

/* The first step that takes param name as its hold, interval or timeout
 * (into *step), and which of them; NULL when none does. */
static const char *
params_timing_use(const runbook_t *rb, const char *name, const char **step)
{
	for (size_t i = 0; i < rb->step_count; i++) {
		const runbook_step_t *s = &rb->steps[i];
		*step = s->id;
		if (s->hold_param != NULL && strcmp(s->hold_param, name) == 0)
			return "hold";
		if (s->interval_param != NULL && strcmp(s->interval_param, name) == 0)
			return "interval";
		if (s->timeout_param != NULL && strcmp(s->timeout_param, name) == 0)
			return "timeout";
	}
	return NULL;
}

/* Whether value fits p; else *error names the value's source (and the
 * step that takes it as a duration, when one does). */
static int
params_check(const runbook_t *rb, const runbook_param_t *p, const char *value, const char *source,
             const char *host, char **error)
{
	if (value == NULL) {
		/* An alert-started run: say which labels it lacked. */
		char *labels =
		    strlist_join_sep(&(strlist_t){p->from_alert, p->from_alert_count}, " or ", "");
		*error = xasprintf("runbook %s needs param '%s' on %s%s%s%s; pass -p %s=VALUE (or"
		                   " give it to the host in the configuration's vars)",
		                   rb->name, p->name, host,
		                   labels[0] ? " (it takes the alert's label " : "", labels,
		                   labels[0] ? ", which the run was not given)" : "", p->name);
		free(labels);
		return -1;
	}
	if (p->required && value[0] == '\0') {
		*error = xasprintf("param '%s' of runbook %s is required and cannot be empty (it is"
		                   " empty from %s on %s); pass -p %s=VALUE",
		                   p->name, rb->name, source, host, p->name);
		return -1;
	}
	char *bad = runbook_param_check(p, value);
	if (bad == NULL)
		return 0;
	/* The check's message quotes the value: not for a secret. */
	*error = p->secret
	             ? xasprintf("runbook %s: param '%s' (secret) does not fit its type", rb->name,
	                         p->name)
	             : xasprintf("runbook %s: %s (from %s, on %s)", rb->name, bad, source, host);
	const char *step = NULL, *use = params_timing_use(rb, p->name, &step);
	if (use != NULL) {
		char *more = xasprintf("%s; step %s takes it as its %s", *error, step, use);
		free(*error);
		*error = more;
	}
	free(bad);
	return -1;
}

int
launcher_params_host(const launcher_t *l, const launch_t *req, params_t *ps, const worker_t *w,
                     vars_t *into, char **error)
{
	const fleetvars_t *fv =
	    launcher_services(l)->config ? launcher_services(l)->config->vars : NULL;
	for (size_t k = 0; k < ps->count; k++) {
		const param_value_t *v = &ps->values[k];
		const char *value = v->value, *source = v->source;
		const char *vars_source = NULL;
		const char *given = v->rank < SOURCE_VARS && !v->p->secret && w != NULL
		                        ? fleetvars_value(fv, w, v->p->name, &vars_source)
		                        : NULL;
		if (given != NULL) {
			value = given;
			source = vars_source;
		}
		if (params_check(req->rb, v->p, value, source ? source : "nowhere", w ? w->id : "?",
		                 error) != 0)
			return -1;
		char *name = xasprintf("params.%s", v->p->name);
		launcher_params_var_secret(into, name, value, v->p->secret);
		free(name);
		if (given == NULL)
			continue;
		if (ps->host_lines < LAUNCHER_MAX_HOST_PARAM_LINES) {
			params_line(ps, v->p->name, value, source, w->id);
			ps->host_lines++;
		} else {
			ps->host_lines_dropped++;
		}
	}
	return 0;
}

char *
launcher_params_text(const params_t *ps)
{
	char *joined = strlist_join_sep(&ps->lines, "\n", ""); /* owned: freed here */
	char *text = ps->lines.count == 0 ? xstrdup("")
	             : ps->host_lines_dropped == 0
	                 ? xasprintf("%s\n", joined)
	                 : xasprintf("%s\n...=%zu more per-host values, not kept\tvars\n", joined,
	                             ps->host_lines_dropped);
	free(joined);
	return text;
}

void
launcher_params_free(params_t *ps)
{
	for (size_t k = 0; k < ps->count; k++)
		free(ps->values[k].source);
	free(ps->values);
	launcher_params_vars_free(&ps->alert);
	strlist_free(&ps->lines);
	memset(ps, 0, sizeof(*ps));
}

/* ---- the params of a called runbook (a `runbook` step, expanded) ---- */

/* Frame k's vars (1-based; 0: host's own): host's vars but params.*, then
 * the called runbook's params, each rendered in its caller's vars. */
static const vars_t *
frame_vars(const runbook_t *rb, size_t k, const vars_t *host, frame_vars_t *fv, params_t *ps,
           const char *host_id, char **error)
{
	if (k == 0 || k > rb->frame_count)
		return host;
	if (fv->built[k - 1])
		return &fv->vars[k - 1];
	const runbook_frame_t *f = &rb->frames[k - 1];
	const vars_t *caller = frame_vars(rb, f->parent, host, fv, ps, host_id, error);
	if (caller == NULL)
		return NULL;
	vars_t *v = &fv->vars[k - 1];
	for (size_t i = 0; i < host->count; i++)
		if (strncmp(host->vars[i].name, "params.", 7) != 0)
			launcher_params_var_secret(v, host->vars[i].name, host->vars[i].value,
			                           host->vars[i].secret);
	for (size_t i = 0; i < f->bind_count; i++) {
		const runbook_bind_t *b = &f->binds[i];
		char *err = NULL;
		char *value = template_render(b->text, caller->vars, caller->count, &err);
		runbook_param_t p = {.name = b->name, .type = b->type};
		if (value != NULL)
			err = runbook_param_check(&p, value);
		if (err != NULL) {
			*error = xasprintf("step %s runs runbook %s: its param %s: %s", f->step,
			                   f->runbook, b->name, err);
			free(err);
			free(value);
			return NULL;
		}
		char *name = xasprintf("params.%s", b->name);
		launcher_params_var(v, name, value);
		free(name);
		/* For `rota show`: "cleanup.path", from the runbook step. */
		if (ps->host_lines < LAUNCHER_MAX_HOST_PARAM_LINES) {
			char *shown = xasprintf("%s.%s", f->step, b->name);
			char *source = xasprintf("runbook step %s (%s)", f->step, f->runbook);
			params_line(ps, shown, value, source, host_id);
			ps->host_lines++;
			free(shown);
			free(source);
		} else {
			ps->host_lines_dropped++;
		}
		free(value);
	}
	fv->built[k - 1] = true;
	return v;
}

const vars_t *
launcher_frame_vars(const runbook_t *rb, const runbook_step_t *step, const vars_t *host,
                    frame_vars_t *fv, params_t *ps, const char *host_id, char **error)
{
	if (step->frame == 0)
		return host;
	if (fv->vars == NULL) {
		fv->vars = xcalloc(rb->frame_count + 1, sizeof(*fv->vars));
		fv->built = xcalloc(rb->frame_count + 1, sizeof(*fv->built));
		fv->count = rb->frame_count;
	}
	return frame_vars(rb, step->frame, host, fv, ps, host_id, error);
}

void
launcher_frame_vars_free(frame_vars_t *fv)
{
	for (size_t i = 0; fv->vars != NULL && i < fv->count; i++)
		launcher_params_vars_free(&fv->vars[i]);
	free(fv->vars);
	free(fv->built);
	memset(fv, 0, sizeof(*fv));
}
