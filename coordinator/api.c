/* api: the operator API's request handlers. */
#include "api.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "clock.h"
#include "log.h"
#include "runbook.h"
#include "template.h"
#include "xalloc.h"

/* Queues resp for the peer; resp's fields stay the caller's. */
static void
api_reply(api_t *api, const uint8_t *identity, size_t identity_len, Rota__Response *resp)
{
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_RESPONSE;
	env.response = resp;
	sendq_push(api->sendq, api->api_sock, identity, identity_len, &env);
}

static void api_refuse(api_t *api, const uint8_t *identity, size_t identity_len, uint64_t id,
                       Rota__ErrorCode code, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static void
api_refuse(api_t *api, const uint8_t *identity, size_t identity_len, uint64_t id,
           Rota__ErrorCode code, const char *fmt, ...)
{
	char msg[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	Rota__Error err = ROTA__ERROR__INIT;
	err.code = code;
	err.message = msg;
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = id;
	resp.error = &err;
	api_reply(api, identity, identity_len, &resp);
}

void
api_run_id(char *buf, size_t len)
{
	uint32_t r = 0;
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
		r = (uint32_t)(clock_mono_ms() * 2654435761u);
	r &= 0xffffff;
	time_t t = (time_t)(clock_wall_ms() / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	char stamp[20];
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	snprintf(buf, len, "%s-%06x", stamp, (unsigned)r);
}

/* ---- submit ------------------------------------------------------------ */

/* A list of strings that grows; frees everything at once. */
typedef struct {
	char **items;
	size_t count;
} strlist_t;

static void
strlist_add(strlist_t *l, char *owned)
{
	l->items = xrealloc(l->items, (l->count + 1) * sizeof(*l->items));
	l->items[l->count++] = owned;
}

static void
strlist_free(strlist_t *l)
{
	for (size_t i = 0; i < l->count; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->count = 0;
}

static bool
strlist_has(const strlist_t *l, const char *s)
{
	for (size_t i = 0; i < l->count; i++) {
		if (strcmp(l->items[i], s) == 0)
			return true;
	}
	return false;
}

static char *
strlist_join(const strlist_t *l, const char *empty)
{
	if (l->count == 0)
		return xstrdup(empty);
	size_t len = 1;
	for (size_t i = 0; i < l->count; i++)
		len += strlen(l->items[i]) + 2;
	char *s = xmalloc(len);
	s[0] = '\0';
	for (size_t i = 0; i < l->count; i++) {
		if (i)
			strcat(s, ", ");
		strcat(s, l->items[i]);
	}
	return s;
}

/* Resolves targets into connected worker ids. Host ids are taken one by
 * one; label terms all have to match. On failure returns -1 with *error. */
static int
api_resolve_targets(api_t *api, const runbook_t *rb, const Rota__SubmitRequest *req,
                    strlist_t *hosts, char **error)
{
	strlist_t ids = {0}, label_keys = {0}, label_values = {0};
	bool all = false;
	if (req->n_targets > 0) {
		for (size_t i = 0; i < req->n_targets; i++) {
			const char *t = req->targets[i];
			const char *eq = strchr(t, '=');
			if (strcmp(t, "all") == 0) {
				all = true;
			} else if (eq) {
				strlist_add(&label_keys, xstrndup(t, (size_t)(eq - t)));
				strlist_add(&label_values, xstrdup(eq + 1));
			} else {
				strlist_add(&ids, xstrdup(t));
			}
		}
	} else {
		all = rb->targets.all;
		for (size_t i = 0; i < rb->targets.host_count; i++)
			strlist_add(&ids, xstrdup(rb->targets.hosts[i]));
		for (size_t i = 0; i < rb->targets.label_count; i++) {
			strlist_add(&label_keys, xstrdup(rb->targets.labels[i].key));
			strlist_add(&label_values, xstrdup(rb->targets.labels[i].values[0]));
		}
	}

	strlist_t connected = {0};
	for (size_t i = 0; i < registry_count(api->registry); i++) {
		worker_t *w = registry_at(api->registry, i);
		if (!w->connected)
			continue;
		char *labels = registry_labels_string(w);
		strlist_add(&connected,
		            labels[0] ? xasprintf("%s (%s)", w->id, labels) : xstrdup(w->id));
		free(labels);
	}
	char *known = strlist_join(&connected, "none");
	int rc = 0;

	if (!all && ids.count == 0 && label_keys.count == 0) {
		*error = xasprintf("runbook %s names no targets; pass --target WORKER_ID or "
		                   "--target label=value (connected workers: %s)",
		                   rb->name, known);
		rc = -1;
		goto out;
	}
	for (size_t i = 0; i < ids.count; i++) {
		worker_t *w = registry_find(api->registry, ids.items[i]);
		if (w == NULL || !w->connected) {
			*error = xasprintf("worker '%s' is %s (connected workers: %s)",
			                   ids.items[i], w ? "not connected" : "unknown", known);
			rc = -1;
			goto out;
		}
		if (!strlist_has(hosts, w->id))
			strlist_add(hosts, xstrdup(w->id));
	}
	if (all || label_keys.count > 0) {
		for (size_t i = 0; i < registry_count(api->registry); i++) {
			worker_t *w = registry_at(api->registry, i);
			if (!w->connected)
				continue;
			bool match = true;
			for (size_t k = 0; k < label_keys.count && match; k++) {
				const char *v = registry_label(w, label_keys.items[k]);
				match = v != NULL && strcmp(v, label_values.items[k]) == 0;
			}
			if (match && !strlist_has(hosts, w->id))
				strlist_add(hosts, xstrdup(w->id));
		}
	}
	if (hosts->count == 0) {
		strlist_t terms = {0};
		for (size_t k = 0; k < label_keys.count; k++)
			strlist_add(&terms,
			            xasprintf("%s=%s", label_keys.items[k], label_values.items[k]));
		char *want = strlist_join(&terms, "all");
		*error = xasprintf("no connected worker matches %s%s (connected workers: %s)", want,
		                   terms.count > 1 ? " (every label must match)" : "", known);
		free(want);
		strlist_free(&terms);
		rc = -1;
	}
out:
	free(known);
	strlist_free(&connected);
	strlist_free(&ids);
	strlist_free(&label_keys);
	strlist_free(&label_values);
	return rc;
}

/* Template variables for one host: params.*, run.id, host.id, host.labels.*.
 * Names and values are owned by the two lists. */
typedef struct {
	template_var_t *vars;
	size_t count;
	strlist_t owned;
} api_vars_t;

static void
api_vars_add(api_vars_t *v, const char *name, const char *value)
{
	char *n = xstrdup(name), *val = xstrdup(value);
	strlist_add(&v->owned, n);
	strlist_add(&v->owned, val);
	v->vars = xrealloc(v->vars, (v->count + 1) * sizeof(*v->vars));
	v->vars[v->count].name = n;
	v->vars[v->count].value = val;
	v->count++;
}

static void
api_vars_free(api_vars_t *v)
{
	free(v->vars);
	strlist_free(&v->owned);
	memset(v, 0, sizeof(*v));
}

/* A step's template names "host.labels.K" for a label the worker lacks:
 * say so plainly rather than as an unknown template name. */
typedef struct {
	const worker_t *w;
	char *missing_copy; /* owned: the first label it lacks */
} api_label_check_t;

static int
api_label_visit(void *ctx, const char *name)
{
	api_label_check_t *c = ctx;
	static const char prefix[] = "host.labels.";
	if (strncmp(name, prefix, sizeof(prefix) - 1) != 0)
		return 0;
	const char *key = name + sizeof(prefix) - 1;
	if (registry_label(c->w, key) != NULL)
		return 0;
	c->missing_copy = xstrdup(key);
	return 1;
}

static int
api_check_labels(const runbook_step_t *step, const worker_t *w, char **error)
{
	api_label_check_t c = {.w = w};
	const char *texts[2] = {step->run, step->workdir};
	for (size_t i = 0; i < 2 + step->env_count && c.missing_copy == NULL; i++) {
		const char *t = i < 2 ? texts[i] : step->env[i - 2].value;
		char *err = NULL;
		if (t != NULL)
			template_names(t, api_label_visit, &c, &err);
		free(err);
	}
	if (c.missing_copy == NULL)
		return 0;
	char *labels = registry_labels_string(w);
	*error = xasprintf("step %s uses {{ host.labels.%s }} but worker %s has no label '%s'"
	                   " (its labels: %s); start it with --label %s=VALUE or target other"
	                   " workers",
	                   step->id, c.missing_copy, w->id, c.missing_copy,
	                   labels[0] ? labels : "none", c.missing_copy);
	free(labels);
	free(c.missing_copy);
	return -1;
}

/* Builds the StepSpec of one step for one host, packed into *spec.
 * Returns -1 with *error when a template does not expand. */
static int
api_build_spec(api_t *api, const runbook_step_t *step, const api_vars_t *vars, uint8_t **spec,
               size_t *spec_len, char **error)
{
	Rota__ShellSpec shell = ROTA__SHELL_SPEC__INIT;
	Rota__StepSpec ss = ROTA__STEP_SPEC__INIT;
	int rc = -1;
	char *err = NULL;
	char *run = template_render(step->run, vars->vars, vars->count, &err);
	char *workdir = NULL;
	Rota__Label *env = xcalloc(step->env_count, sizeof(*env));
	Rota__Label **envp = xcalloc(step->env_count, sizeof(*envp));
	size_t env_done = 0;
	if (run == NULL)
		goto out;
	if (step->workdir) {
		workdir = template_render(step->workdir, vars->vars, vars->count, &err);
		if (workdir == NULL)
			goto out;
	}
	for (; env_done < step->env_count; env_done++) {
		rota__label__init(&env[env_done]);
		env[env_done].key = step->env[env_done].key;
		env[env_done].value =
		    template_render(step->env[env_done].value, vars->vars, vars->count, &err);
		if (env[env_done].value == NULL)
			goto out;
		envp[env_done] = &env[env_done];
	}
	shell.run = run;
	shell.workdir = workdir ? workdir : (char *)"";
	shell.n_env = step->env_count;
	shell.env = envp;
	ss.timeout_ms = step->timeout_ms;
	/* The worker may send a little more than the coordinator keeps, so the
	 * coordinator sees the overflow and marks the truncation itself. */
	ss.output_limit = api->output_cap + 65536;
	ss.kind_case = ROTA__STEP_SPEC__KIND_SHELL;
	ss.shell = &shell;
	*spec_len = rota__step_spec__get_packed_size(&ss);
	*spec = xmalloc(*spec_len);
	rota__step_spec__pack(&ss, *spec);
	rc = 0;
out:
	if (rc != 0)
		*error = xasprintf("step %s: %s", step->id, err ? err : "template error");
	free(err);
	free(run);
	free(workdir);
	for (size_t i = 0; i < env_done; i++)
		free(env[i].value);
	free(env);
	free(envp);
	return rc;
}

/* The parser reads the whole runbook language; this coordinator runs only
 * shell steps in order on every target at once. Anything else is refused
 * at submit rather than run differently (a 'when: {failed: x}' step run as
 * if it had no 'when', a check dispatched as an empty shell command).
 * Returns NULL, or a message the caller frees. Remove a line here when the
 * coordinator learns the feature. */
static char *
api_unsupported(const runbook_t *rb)
{
	const char *what = NULL;
	const char *step = NULL;
	for (size_t i = 0; i < rb->targets.label_count && what == NULL; i++)
		if (rb->targets.labels[i].value_count > 1)
			what = "a label with several values";
	if (rb->targets.batch.value != 0)
		what = "'batch'";
	else if (rb->targets.max_failures.value != 0)
		what = "'max_failures'";
	for (size_t i = 0; i < rb->step_count && what == NULL; i++) {
		const runbook_step_t *s = &rb->steps[i];
		step = s->id;
		if (s->type != RUNBOOK_STEP_SHELL)
			what = runbook_step_type_name(s->type);
		else if (s->when.kind != RUNBOOK_WHEN_DEFAULT)
			what = "'when'";
		else if (s->retries.count > 0)
			what = "'retries'";
		else if (s->continue_on_failure)
			what = "'continue_on_failure'";
	}
	if (what == NULL)
		return NULL;
	if (step != NULL)
		return xasprintf("runbook %s uses %s (step %s), which this coordinator cannot run "
		                 "yet",
		                 rb->name, what, step);
	return xasprintf("runbook %s uses %s, which this coordinator cannot run yet", rb->name,
	                 what);
}

static void
api_submit(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req)
{
	const Rota__SubmitRequest *sub = req->submit;
	runbook_t *owned_rb = NULL;
	const runbook_t *rb = NULL;
	const char *yaml = NULL;
	strlist_t hosts = {0};
	strlist_t param_lines = {0};
	api_vars_t base = {0};
	run_t *run = NULL;
	char *error = NULL;

	if ((sub->runbook_yaml && sub->runbook_yaml[0]) ||
	    (sub->runbook_path && sub->runbook_path[0])) {
		/* A file, even an empty one: the parser says what is wrong. */
		runbook_errors_t errs = {0};
		const char *name =
		    sub->runbook_path && sub->runbook_path[0] ? sub->runbook_path : "<submitted>";
		owned_rb =
		    runbook_parse_string(sub->runbook_yaml, strlen(sub->runbook_yaml), name, &errs);
		if (owned_rb == NULL) {
			char *msg = runbook_errors_format(&errs);
			runbook_errors_clear(&errs);
			api_refuse(api, identity, identity_len, req->id,
			           ROTA__ERROR_CODE__ERR_BAD_RUNBOOK, "runbook is invalid:\n%s",
			           msg);
			free(msg);
			return;
		}
		runbook_errors_clear(&errs);
		rb = owned_rb;
		yaml = sub->runbook_yaml;
	} else if (sub->runbook && sub->runbook[0]) {
		const catalog_entry_t *e = catalog_find(api->catalog, sub->runbook);
		if (e == NULL) {
			char *names = catalog_names(api->catalog);
			api_refuse(api, identity, identity_len, req->id,
			           ROTA__ERROR_CODE__ERR_UNKNOWN_RUNBOOK,
			           "unknown runbook '%s'; the coordinator has: %s (or pass a"
			           " file path)",
			           sub->runbook, names);
			free(names);
			return;
		}
		rb = e->rb;
		yaml = e->yaml;
	} else {
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_BAD_REQUEST,
		           "submit names no runbook");
		return;
	}

	if ((error = api_unsupported(rb)) != NULL) {
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_BAD_RUNBOOK,
		           "%s", error);
		goto out;
	}

	/* Params: every given one must be declared; every required one given. */
	for (size_t i = 0; i < sub->n_params; i++) {
		const Rota__Label *p = sub->params[i];
		if (runbook_param_find(rb, p->key) == NULL) {
			strlist_t declared = {0};
			for (size_t k = 0; k < rb->param_count; k++)
				strlist_add(&declared, xstrdup(rb->params[k].name));
			char *names = strlist_join(&declared, "none");
			error = xasprintf("runbook %s has no param '%s' (its params: %s)", rb->name,
			                  p->key, names);
			free(names);
			strlist_free(&declared);
			goto refuse_params;
		}
	}
	for (size_t k = 0; k < rb->param_count; k++) {
		const runbook_param_t *p = &rb->params[k];
		const char *value = p->default_value;
		for (size_t i = 0; i < sub->n_params; i++) {
			if (strcmp(sub->params[i]->key, p->name) == 0)
				value = sub->params[i]->value;
		}
		if (value == NULL) {
			error = xasprintf("runbook %s needs param '%s'; pass -p %s=VALUE", rb->name,
			                  p->name, p->name);
			goto refuse_params;
		}
		if (p->required && value[0] == '\0') {
			error =
			    xasprintf("param '%s' of runbook %s is required and cannot be empty;"
			              " pass -p %s=VALUE",
			              p->name, rb->name, p->name);
			goto refuse_params;
		}
		char *name = xasprintf("params.%s", p->name);
		api_vars_add(&base, name, value);
		free(name);
		strlist_add(&param_lines, xasprintf("%s=%s", p->name, value));
	}

	if (api_resolve_targets(api, rb, sub, &hosts, &error) != 0) {
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_NO_TARGETS,
		           "%s", error);
		goto out;
	}

	char run_id[32];
	api_run_id(run_id, sizeof(run_id));
	while (dispatcher_find_run(api->dispatcher, run_id) != NULL ||
	       store_run_exists(api->store, run_id))
		api_run_id(run_id, sizeof(run_id));
	api_vars_add(&base, "run.id", run_id);
	run = run_new(run_id, rb->name, hosts.count, rb->step_count);
	run->created_ms = clock_wall_ms();
	for (size_t h = 0; h < hosts.count; h++) {
		worker_t *w = registry_find(api->registry, hosts.items[h]);
		api_vars_t vars = {0};
		for (size_t i = 0; i < base.count; i++)
			api_vars_add(&vars, base.vars[i].name, base.vars[i].value);
		api_vars_add(&vars, "host.id", w->id);
		for (size_t i = 0; i < w->label_count; i++) {
			char *name = xasprintf("host.labels.%s", w->labels[i].key);
			api_vars_add(&vars, name, w->labels[i].value);
			free(name);
		}
		run->hosts[h].host = xstrdup(w->id);
		for (size_t s = 0; s < rb->step_count; s++) {
			run_step_t *step = &run->hosts[h].steps[s];
			step->step_id = xstrdup(rb->steps[s].id);
			if (api_check_labels(&rb->steps[s], w, &error) != 0) {
				api_vars_free(&vars);
				goto refuse_params;
			}
			if (api_build_spec(api, &rb->steps[s], &vars, &step->spec, &step->spec_len,
			                   &error) != 0) {
				char *inner = error;
				error = xasprintf("host %s, %s", w->id, inner);
				free(inner);
				api_vars_free(&vars);
				goto refuse_params;
			}
		}
		api_vars_free(&vars);
	}

	char *params = NULL;
	{
		size_t len = 1;
		for (size_t i = 0; i < param_lines.count; i++)
			len += strlen(param_lines.items[i]) + 1;
		params = xmalloc(len);
		params[0] = '\0';
		for (size_t i = 0; i < param_lines.count; i++) {
			strcat(params, param_lines.items[i]);
			strcat(params, "\n");
		}
	}
	int rc = dispatcher_submit(api->dispatcher, &run, yaml, params);
	free(params);
	if (rc != 0) {
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_INTERNAL,
		           "the coordinator could not record the run (see its log)");
		goto out;
	}
	Rota__SubmitResponse sr = ROTA__SUBMIT_RESPONSE__INIT;
	sr.run_id = run_id;
	sr.n_hosts = hosts.count;
	sr.hosts = hosts.items;
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = req->id;
	resp.body_case = ROTA__RESPONSE__BODY_SUBMIT;
	resp.submit = &sr;
	api_reply(api, identity, identity_len, &resp);
	goto out;

refuse_params:
	api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_BAD_PARAMS, "%s",
	           error);
out:
	free(error);
	run_destroy(&run);
	api_vars_free(&base);
	strlist_free(&param_lines);
	strlist_free(&hosts);
	runbook_destroy(&owned_rb);
}

/* ---- queries ----------------------------------------------------------- */

static void
api_runs(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req)
{
	uint32_t limit = req->runs->limit ? req->runs->limit : API_DEFAULT_LIST;
	if (limit > API_MAX_LIST)
		limit = API_MAX_LIST;
	Rota__ListRunsResponse *body = xmalloc(sizeof(*body));
	if (store_runs_list(api->store, limit, body) != 0) {
		rota__list_runs_response__free_unpacked(body, NULL);
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_INTERNAL,
		           "the store could not list runs (see the coordinator's log)");
		return;
	}
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = req->id;
	resp.body_case = ROTA__RESPONSE__BODY_RUNS;
	resp.runs = body;
	api_reply(api, identity, identity_len, &resp);
	rota__list_runs_response__free_unpacked(body, NULL);
}

/* The run an operator named (see store_run_resolve), in a string the caller
 * frees; NULL after refusing the request when there is no such run. */
static char *
api_resolve_run(api_t *api, const uint8_t *identity, size_t identity_len, uint64_t request_id,
                const char *text)
{
	char *run_id = NULL, *error = NULL;
	if (store_run_resolve(api->store, text, &run_id, &error) != 0) {
		api_refuse(api, identity, identity_len, request_id, ROTA__ERROR_CODE__ERR_NOT_FOUND,
		           "%s", error);
		free(error);
		return NULL;
	}
	return run_id;
}

static void
api_show(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req)
{
	uint32_t tail = req->show->tail_lines;
	if (tail > API_MAX_TAIL_LINES)
		tail = API_MAX_TAIL_LINES;
	char *run_id = api_resolve_run(api, identity, identity_len, req->id, req->show->run_id);
	if (run_id == NULL)
		return;
	Rota__ShowRunResponse *body = xmalloc(sizeof(*body));
	int rc = store_run_show(api->store, run_id, tail, body);
	if (rc != 0) {
		rota__show_run_response__free_unpacked(body, NULL);
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_INTERNAL,
		           "the store could not read run %s", run_id);
		free(run_id);
		return;
	}
	free(run_id);
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = req->id;
	resp.body_case = ROTA__RESPONSE__BODY_SHOW;
	resp.show = body;
	api_reply(api, identity, identity_len, &resp);
	rota__show_run_response__free_unpacked(body, NULL);
}

static void
api_logs(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req)
{
	const Rota__LogsRequest *lr = req->logs;
	char *run_id = api_resolve_run(api, identity, identity_len, req->id, lr->run_id);
	if (run_id == NULL)
		return;
	Rota__RunSummary sum;
	int rc = store_run_summary(api->store, run_id, &sum);
	if (rc != 0) {
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_INTERNAL,
		           "the store could not read run %s", run_id);
		free(run_id);
		return;
	}
	free(sum.id);
	free(sum.runbook);
	if (lr->host[0] != '\0') {
		bool has = false;
		char *hosts = store_run_hosts(api->store, run_id, lr->host, &has);
		if (!has) {
			api_refuse(api, identity, identity_len, req->id,
			           ROTA__ERROR_CODE__ERR_NOT_FOUND,
			           "run %s did not run on host '%s' (its hosts: %s)", run_id,
			           lr->host, hosts[0] ? hosts : "none");
			free(hosts);
			free(run_id);
			return;
		}
		free(hosts);
	}
	uint32_t limit = lr->limit ? lr->limit : API_MAX_LOG_CHUNKS;
	if (limit > API_MAX_LOG_CHUNKS)
		limit = API_MAX_LOG_CHUNKS;
	Rota__LogsResponse *body = xmalloc(sizeof(*body));
	rc = store_logs(api->store, run_id, lr->host, lr->after, limit, body);
	free(run_id);
	if (rc != 0) {
		rota__logs_response__free_unpacked(body, NULL);
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_INTERNAL,
		           "the store could not read the output of run %s", lr->run_id);
		return;
	}
	/* The status is read before the chunks: a run seen finished has no
	 * output after this answer, so a follower may stop once it drains. */
	body->run_status = sum.status;
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = req->id;
	resp.body_case = ROTA__RESPONSE__BODY_LOGS;
	resp.logs = body;
	api_reply(api, identity, identity_len, &resp);
	rota__logs_response__free_unpacked(body, NULL);
}

static void
api_workers(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req)
{
	size_t n = registry_count(api->registry);
	Rota__ListWorkersResponse body = ROTA__LIST_WORKERS_RESPONSE__INIT;
	Rota__WorkerInfo *infos = xcalloc(n, sizeof(*infos));
	body.workers = xcalloc(n, sizeof(*body.workers));
	body.n_workers = n;
	for (size_t i = 0; i < n; i++) {
		worker_t *w = registry_at(api->registry, i);
		Rota__WorkerInfo *info = &infos[i];
		rota__worker_info__init(info);
		info->id = w->id;
		info->hostname = w->hostname;
		info->version = w->version;
		info->state = w->connected ? "connected" : "lost";
		info->last_seen_ms = w->last_seen_wall;
		info->n_labels = w->label_count;
		info->labels = xcalloc(w->label_count, sizeof(*info->labels));
		for (size_t k = 0; k < w->label_count; k++) {
			Rota__Label *l = xmalloc(sizeof(*l));
			rota__label__init(l);
			l->key = w->labels[k].key;
			l->value = w->labels[k].value;
			info->labels[k] = l;
		}
		body.workers[i] = info;
	}
	/* The steps in flight on each worker, from the active runs. The keys
	 * borrow the runs' strings. */
	for (run_t *run = dispatcher_runs(api->dispatcher); run; run = run->next) {
		for (size_t h = 0; h < run->host_count; h++) {
			int s = run_inflight_step(run, h);
			worker_t *w = registry_find(api->registry, run->hosts[h].host);
			if (s < 0 || w == NULL)
				continue;
			for (size_t i = 0; i < n; i++) {
				Rota__WorkerInfo *info = &infos[i];
				if (info->id != w->id)
					continue;
				Rota__StepKey *k = xmalloc(sizeof(*k));
				rota__step_key__init(k);
				k->run_id = run->id;
				k->step_id = run->hosts[h].steps[s].step_id;
				k->host = run->hosts[h].host;
				k->attempt = run->hosts[h].steps[s].attempt;
				info->running =
				    xrealloc(info->running, (info->n_running + 1) * sizeof(k));
				info->running[info->n_running++] = k;
			}
		}
	}
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = req->id;
	resp.body_case = ROTA__RESPONSE__BODY_WORKERS;
	resp.workers = &body;
	api_reply(api, identity, identity_len, &resp);
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < infos[i].n_labels; k++)
			free(infos[i].labels[k]);
		free(infos[i].labels);
		for (size_t k = 0; k < infos[i].n_running; k++)
			free(infos[i].running[k]);
		free(infos[i].running);
	}
	free(infos);
	free(body.workers);
}

void
api_handle(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req)
{
	switch (req->body_case) {
	case ROTA__REQUEST__BODY_SUBMIT:
		api_submit(api, identity, identity_len, req);
		break;
	case ROTA__REQUEST__BODY_RUNS:
		api_runs(api, identity, identity_len, req);
		break;
	case ROTA__REQUEST__BODY_SHOW:
		api_show(api, identity, identity_len, req);
		break;
	case ROTA__REQUEST__BODY_LOGS:
		api_logs(api, identity, identity_len, req);
		break;
	case ROTA__REQUEST__BODY_WORKERS:
		api_workers(api, identity, identity_len, req);
		break;
	default:
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_BAD_REQUEST,
		           "unknown request; is this rota newer than the coordinator?");
		break;
	}
}
