/* runbook/render: a step of a parsed runbook into the StepSpec a worker
 * (or the coordinator) runs, for one host: every templated field rendered
 * with the run's vars and checked again by the parser's rule for it, and
 * every secret moved out of the spec into secret_env. The kind's own
 * fields are its file's render (step_*.c); this file holds what every kind
 * shares and the helpers they render with.
 *
 * Must never: put a secret's value into a spec (a spec is stored), or
 * send a spec whose fields did not render into valid values (it becomes
 * `invalid` instead). */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"
#include "xalloc.h"

void *
render_alloc(render_t *r, size_t size)
{
	void *p = xcalloc(1, size ? size : 1);
	strlist_add(&r->owned, p);
	return p;
}

/* text rendered with secret params as mode says (template.h). */
static const char *
render_as(render_t *r, const char *text, template_secret_mode_t mode)
{
	if (text == NULL || r->error)
		return NULL;
	char *err = NULL;
	char *out = template_render_secret(text, r->vars, r->var_count, mode, &err);
	if (out == NULL) {
		r->error = xasprintf("step %s: %s", r->step, err ? err : "template error");
		free(err);
		return NULL;
	}
	strlist_add(&r->owned, out);
	return out;
}

const char *
render(render_t *r, const char *text)
{
	return render_as(r, text, TEMPLATE_SECRET_MASK);
}

/* A shell command: every value becomes one shell word quoted by rota, a
 * secret a quoted reference to its variable (template.h, TEMPLATE_SHELL). */
const char *
render_shell(render_t *r, const char *text)
{
	return render_as(r, text, TEMPLATE_SHELL);
}

void
render_fail(render_t *r, const char *fmt, ...)
{
	if (r->error)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	r->error = xasprintf("step %s: %s", r->step, msg);
	free(msg);
}

/* Renders a field and checks the result by the parser's rule for key, so a
 * templated value is held to what a literal one would be. */
const char *
render_field(render_t *r, const char *key, const char *text)
{
	const char *v = render(r, text);
	if (v == NULL)
		return NULL;
	char *bad = runbook_field_check(key, v);
	if (bad != NULL) {
		render_fail(r, "%s", bad);
		free(bad);
		return NULL;
	}
	return v;
}

double
render_double(render_t *r, const char *key, const char *text)
{
	const char *v = render_field(r, key, text);
	return v ? strtod(v, NULL) : 0;
}

uint64_t
render_bytes(render_t *r, const char *text)
{
	return render_bytes_of(r, "min_free_bytes", text);
}

uint64_t
render_bytes_of(render_t *r, const char *key, const char *text)
{
	const char *v = render_field(r, key, text);
	uint64_t n = 0;
	if (v != NULL && runbook_bytes_parse(v, &n) != 0)
		render_fail(r, "'%s' is '%s', not a byte count like 500M or 10G", key, v);
	return n;
}

/* The secret params a text names, for the step's secret_env. */
typedef struct {
	const render_t *r;
	strlist_t *names; /* param names, without "params." */
} secret_refs_t;

static int
secret_ref_visit(void *ctx, const char *name)
{
	secret_refs_t *sr = ctx;
	for (size_t i = 0; i < sr->r->var_count; i++) {
		const template_var_t *v = &sr->r->vars[i];
		if (v->secret && strcmp(v->name, name) == 0) {
			const char *param = name + strlen("params.");
			if (!strlist_has(sr->names, param))
				strlist_add(sr->names, xstrdup(param));
		}
	}
	return 0;
}

void
render_secret_refs(const render_t *r, const char *text, strlist_t *names)
{
	secret_refs_t sr = {.r = r, .names = names};
	char *err = NULL;
	/* A syntax error is reported by the render that follows. */
	(void)template_names(text, secret_ref_visit, &sr, &err);
	free(err);
}

void
render_secret_env_add(render_t *r, Rota__StepSpec *ss, const char *key, const char *param)
{
	Rota__Label *lab = xmalloc(sizeof(*lab));
	rota__label__init(lab);
	char *k = xstrdup(key), *v = xstrdup(param);
	strlist_add(&r->owned, k);
	strlist_add(&r->owned, v);
	lab->key = k;
	lab->value = v;
	ss->secret_env = xrealloc(ss->secret_env, (ss->n_secret_env + 1) * sizeof(*ss->secret_env));
	ss->secret_env[ss->n_secret_env++] = lab;
}

/* The value of the duration param a timing key names, into *ms; -1 with
 * *error when it has none or it is no duration (a typed param's value was
 * checked at submit already: this is the last guard). */
static int
timing_param(const runbook_step_t *step, const char *key, const char *param,
             const template_var_t *vars, size_t var_count, uint32_t *ms, char **error)
{
	const char *value = NULL;
	for (size_t i = 0; i < var_count && value == NULL; i++)
		if (strncmp(vars[i].name, "params.", 7) == 0 &&
		    strcmp(vars[i].name + 7, param) == 0)
			value = vars[i].value;
	uint64_t v = 0;
	if (value == NULL || value[0] == '\0') {
		*error = xasprintf("step %s: '%s' takes param '%s', which has no value; pass -p"
		                   " %s=DURATION (e.g. 15m) or give it a default",
		                   step->id, key, param, param);
		return -1;
	}
	if (duration_parse(value, &v) != 0 || v == 0) {
		*error = xasprintf("step %s: '%s' takes param '%s', which is '%s', not a duration"
		                   " longer than 0 (e.g. 30s, 15m)",
		                   step->id, key, param, value);
		return -1;
	}
	*ms = (uint32_t)v; /* DURATION_MAX_MS < UINT32_MAX */
	return 0;
}

/* " (param 'NAME')" when a timing key took a param, for messages. */
static const char *
timing_from(const char *param, char *buf, size_t len)
{
	if (param == NULL)
		return "";
	snprintf(buf, len, " (param '%s')", param);
	return buf;
}

int
runbook_step_timing(const runbook_step_t *step, const template_var_t *vars, size_t var_count,
                    runbook_timing_t *out, char **error)
{
	*out = (runbook_timing_t){step->timeout_ms, step->hold_ms, step->interval_ms};
	*error = NULL;
	if (step->hold_param == NULL && step->interval_param == NULL && step->timeout_param == NULL)
		return 0; /* all literal: linted already */
	if ((step->hold_param != NULL && timing_param(step, "hold", step->hold_param, vars,
	                                              var_count, &out->hold_ms, error) != 0) ||
	    (step->interval_param != NULL &&
	     timing_param(step, "interval", step->interval_param, vars, var_count,
	                  &out->interval_ms, error) != 0) ||
	    (step->timeout_param != NULL && timing_param(step, "timeout", step->timeout_param, vars,
	                                                 var_count, &out->timeout_ms, error) != 0))
		return -1;
	if (out->hold_ms == 0)
		return 0; /* no hold: a timeout param alone */
	if (step->hold_param != NULL && !step->timeout_given) {
		/* As the parser does for a literal hold: the kind's own, plus it. */
		uint64_t sum = (uint64_t)step->timeout_ms + out->hold_ms;
		out->timeout_ms = sum > UINT32_MAX ? UINT32_MAX : (uint32_t)sum;
	}
	char hold[32], other[32], f1[RUNBOOK_MAX_NAME_LEN + 16], f2[RUNBOOK_MAX_NAME_LEN + 16];
	duration_format(out->hold_ms, hold, sizeof(hold));
	if (out->interval_ms > out->hold_ms) {
		duration_format(out->interval_ms, other, sizeof(other));
		*error =
		    xasprintf("step %s re-checks every %s%s, longer than its hold of %s%s; the"
		              " interval must be shorter than the hold",
		              step->id, other, timing_from(step->interval_param, f1, sizeof(f1)),
		              hold, timing_from(step->hold_param, f2, sizeof(f2)));
		return -1;
	}
	if (out->timeout_ms <= out->hold_ms) {
		duration_format(out->timeout_ms, other, sizeof(other));
		*error =
		    xasprintf("step %s holds for %s%s but its timeout is %s%s: the timeout must be"
		              " longer than the hold",
		              step->id, hold, timing_from(step->hold_param, f1, sizeof(f1)), other,
		              timing_from(step->timeout_param, f2, sizeof(f2)));
		return -1;
	}
	return 0;
}

bool
runbook_step_spec(const runbook_step_t *step, const runbook_spec_in_t *in, uint8_t **spec,
                  size_t *spec_len)
{
	render_t r = {.vars = in->vars, .var_count = in->var_count, .step = step->id};
	Rota__StepSpec ss = ROTA__STEP_SPEC__INIT;
	Rota__NoopSpec noop = ROTA__NOOP_SPEC__INIT;
	const step_kind_t *kind = step_kind_find(step->type);

	runbook_timing_t timing;
	if (runbook_step_timing(step, in->vars, in->var_count, &timing, &r.error) != 0)
		timing = (runbook_timing_t){step->timeout_ms, 0, 0};
	ss.timeout_ms = timing.timeout_ms;
	ss.hold_ms = timing.hold_ms;
	ss.hold_interval_ms = timing.interval_ms;
	Rota__RecordSpec rec = ROTA__RECORD_SPEC__INIT;
	if (step->record != NULL) {
		rec.name = step->record;
		rec.median_of_last = step->baseline_of;
		rec.has_max_increase = step->has_max_increase;
		rec.max_increase_pct = step->max_increase_pct;
		rec.has_max_decrease = step->has_max_decrease;
		rec.max_decrease_pct = step->max_decrease_pct;
		ss.record = &rec;
	}
	ss.runbook = (char *)in->runbook;
	ss.adhoc = in->adhoc;
	ss.run_as = step->run_as ? step->run_as : (char *)"";
	ss.output_limit = in->output_limit;
	if (kind != NULL) {
		kind->render(&r, step, &ss);
	} else {
		ss.kind_case = ROTA__STEP_SPEC__KIND_NOOP;
		ss.noop = &noop;
	}
	bool invalid = r.error != NULL;
	Rota__Label **secret_env = ss.secret_env;
	size_t n_secret_env = ss.n_secret_env;
	if (invalid) {
		/* Recorded, not refused: the step may never run (a `when` gate
		 * for an opt-in check whose param was left empty). */
		Rota__StepSpec bad = ROTA__STEP_SPEC__INIT;
		bad.timeout_ms = timing.timeout_ms;
		bad.runbook = (char *)in->runbook;
		bad.adhoc = in->adhoc;
		bad.invalid = r.error;
		bad.kind_case = ROTA__STEP_SPEC__KIND_NOOP;
		bad.noop = &noop;
		ss = bad;
	}
	*spec_len = rota__step_spec__get_packed_size(&ss);
	*spec = xmalloc(*spec_len ? *spec_len : 1);
	rota__step_spec__pack(&ss, *spec);
	free(r.error);
	for (size_t i = 0; i < n_secret_env; i++)
		free(secret_env[i]);
	free(secret_env);
	strlist_free(&r.owned);
	return invalid;
}
