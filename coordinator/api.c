/* api: the operator API's request handlers. */
#include "api.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "clock.h"
#include "security/security.h"
#include "keys.h"
#include "log.h"
#include "services.h"
#include "runbook.h"
#include "launcher.h"
#include "run.h"
#include "wire.h"
#include "xalloc.h"

/* Who may do what. A request not listed here is refused as unknown. */
typedef struct {
	Rota__Request__BodyCase body;
	const char *name; /* as the operator types it, after "rota " */
	keyring_role_t need;
} api_rule_t;

static const api_rule_t api_rules[] = {
    {ROTA__REQUEST__BODY_RUNS, "runs", KEYRING_ROLE_VIEWER},
    {ROTA__REQUEST__BODY_SHOW, "show", KEYRING_ROLE_VIEWER},
    {ROTA__REQUEST__BODY_LOGS, "logs", KEYRING_ROLE_VIEWER},
    {ROTA__REQUEST__BODY_WORKERS, "workers", KEYRING_ROLE_VIEWER},
    {ROTA__REQUEST__BODY_RUNBOOKS, "runbooks", KEYRING_ROLE_VIEWER},
    {ROTA__REQUEST__BODY_SCHEDULES, "schedules", KEYRING_ROLE_VIEWER},
    {ROTA__REQUEST__BODY_INCIDENTS, "incidents", KEYRING_ROLE_VIEWER},
    {ROTA__REQUEST__BODY_INCIDENT_SHOW, "incident show", KEYRING_ROLE_VIEWER},
    {ROTA__REQUEST__BODY_STATUS, "status", KEYRING_ROLE_VIEWER},
    {ROTA__REQUEST__BODY_SUBMIT, "submit", KEYRING_ROLE_OPERATOR},
    {ROTA__REQUEST__BODY_CANCEL, "cancel", KEYRING_ROLE_OPERATOR},
    {ROTA__REQUEST__BODY_APPROVE, "approve", KEYRING_ROLE_OPERATOR}, /* and reject */
    {ROTA__REQUEST__BODY_INCIDENT_OPEN, "incident open", KEYRING_ROLE_OPERATOR},
    {ROTA__REQUEST__BODY_ACK, "ack", KEYRING_ROLE_OPERATOR},
    {ROTA__REQUEST__BODY_RESOLVE, "resolve", KEYRING_ROLE_OPERATOR},
    {ROTA__REQUEST__BODY_RELOAD, "reload", KEYRING_ROLE_ADMIN},
    /* The audit trail says who did what: not for every viewer. */
    {ROTA__REQUEST__BODY_AUDIT, "audit", KEYRING_ROLE_ADMIN},
    /* Forgetting a host changes what runs target; the key list says who
     * may connect: both are the fleet's administration. */
    {ROTA__REQUEST__BODY_REMOVE_WORKER, "workers remove", KEYRING_ROLE_ADMIN},
    {ROTA__REQUEST__BODY_KEYS, "keys", KEYRING_ROLE_ADMIN},
};

static const api_rule_t *
api_rule(const Rota__Request *req)
{
	for (size_t i = 0; i < sizeof(api_rules) / sizeof(api_rules[0]); i++)
		if (api_rules[i].body == req->body_case)
			return &api_rules[i];
	return NULL;
}

/* The request's name for messages and the audit trail. */
static const char *
api_request_name(const Rota__Request *req, const api_rule_t *rule)
{
	if (req->body_case == ROTA__REQUEST__BODY_APPROVE && req->approve->reject)
		return "reject";
	return rule->name;
}

static const char *
api_article(const char *word)
{
	return strchr("aeiou", word[0]) != NULL ? "an" : "a";
}

int
api_caller_role(const api_t *api)
{
	return api->curve ? api->caller_role : KEYRING_ROLE_ADMIN;
}

/* The caller as the audit trail and messages name it. */
static const char *
api_actor(const api_t *api)
{
	return api->caller != NULL && api->caller[0] ? api->caller : "anonymous";
}

static void
api_note(api_t *api, char *note)
{
	free(api->note);
	api->note = note;
}

/* What to ask for instead of an answer too large for one frame. */
static const char *
api_too_large_hint(Rota__Response__BodyCase body)
{
	switch (body) {
	case ROTA__RESPONSE__BODY_RUNS:
	case ROTA__RESPONSE__BODY_INCIDENTS:
	case ROTA__RESPONSE__BODY_AUDIT:
	case ROTA__RESPONSE__BODY_WORKERS:
		return "use --limit N for fewer";
	case ROTA__RESPONSE__BODY_SHOW:
		return "use rota logs RUN --host HOST";
	case ROTA__RESPONSE__BODY_LOGS:
		return "use --host HOST, or a smaller --limit";
	case ROTA__RESPONSE__BODY_SCHEDULES:
		return "use a smaller --next";
	default:
		return "see the coordinator's log";
	}
}

/* Queues resp for the peer; resp's fields stay the caller's. An answer
 * over WIRE_MAX_ANSWER_BYTES is never sent: no CLI could read it, so it is
 * replaced by an error that says how to ask for less. */
static void
api_reply(api_t *api, const uint8_t *identity, size_t identity_len, Rota__Response *resp)
{
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.version = WIRE_VERSION;
	env.body_case = ROTA__ENVELOPE__BODY_RESPONSE;
	env.response = resp;
	size_t size = rota__envelope__get_packed_size(&env);
	Rota__Error err = ROTA__ERROR__INIT;
	Rota__Response small = ROTA__RESPONSE__INIT;
	char msg[256];
	if (size > WIRE_MAX_ANSWER_BYTES) {
		snprintf(msg, sizeof(msg), "answer too large (%zu bytes; the limit is %d); %s",
		         size, WIRE_MAX_ANSWER_BYTES, api_too_large_hint(resp->body_case));
		log_warn(
		    "api: an answer to request %llu was %zu bytes, over the limit of %d: refused"
		    " instead",
		    (unsigned long long)resp->id, size, WIRE_MAX_ANSWER_BYTES);
		err.code = ROTA__ERROR_CODE__ERR_BAD_REQUEST;
		err.message = msg;
		small.id = resp->id;
		small.error = &err;
		env.response = &small;
	}
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
	/* The audit row says why: a refusal, or a failure of ours. */
	api->outcome = code == ROTA__ERROR_CODE__ERR_INTERNAL ? AUDIT_FAILED : AUDIT_REFUSED;
	api_note(api, xstrdup(msg));
	Rota__Error err = ROTA__ERROR__INIT;
	err.code = code;
	err.message = msg;
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = id;
	resp.error = &err;
	api_reply(api, identity, identity_len, &resp);
}

/* Whether the caller may run rb (its allowed_operators / allowed_roles);
 * false after refusing the request with who may. A role listed admits the
 * roles above it too. Without CURVE nobody has a name to check. */
static bool
api_runbook_allows(api_t *api, const uint8_t *identity, size_t identity_len, uint64_t id,
                   const runbook_t *rb, const char *path)
{
	if (!api->curve || (rb->allowed_operator_count == 0 && rb->allowed_role_count == 0))
		return true;
	int role = api_caller_role(api);
	for (size_t i = 0; i < rb->allowed_operator_count; i++)
		if (strcmp(rb->allowed_operators[i], api->caller) == 0)
			return true;
	for (size_t i = 0; i < rb->allowed_role_count; i++) {
		keyring_role_t need;
		if (keyring_role_parse(rb->allowed_roles[i], &need) == 0 && role >= (int)need)
			return true;
	}
	char who[2048] = "";
	size_t off = 0;
	size_t total = rb->allowed_operator_count + rb->allowed_role_count;
	for (size_t i = 0; i < total && off < sizeof(who); i++) {
		const char *sep = i == 0 ? "" : i + 1 == total ? " or " : ", ";
		int w = i < rb->allowed_operator_count
		            ? snprintf(who + off, sizeof(who) - off, "%s%s", sep,
		                       rb->allowed_operators[i])
		            : snprintf(who + off, sizeof(who) - off, "%sany %s", sep,
		                       rb->allowed_roles[i - rb->allowed_operator_count]);
		if (w < 0)
			break;
		off += (size_t)w;
	}
	const char *role_name = keyring_role_name((keyring_role_t)role);
	api_refuse(api, identity, identity_len, id, ROTA__ERROR_CODE__ERR_FORBIDDEN,
	           "runbook %s may be run only by %s (allowed_operators/allowed_roles in %s);"
	           " %s is %s %s",
	           rb->name, who, path, api_actor(api), api_article(role_name), role_name);
	return false;
}

/* Whether the caller may submit a runbook file (an ad-hoc run): the
 * `adhoc` of their operators.yaml entry (admins by default). A file
 * carries its own allowed_operators, which is the submitter's to write, so
 * this is the check that keeps a restricted runbook's copy from running.
 * Without CURVE every caller is an admin and may. false after refusing. */
static bool
api_adhoc_allowed(api_t *api, const uint8_t *identity, size_t identity_len, uint64_t id,
                  const char *path)
{
	if (!api->curve)
		return true;
	const keyring_t *k = api->security ? security_keyring(api->security) : NULL;
	const keyring_entry_t *e = k ? keyring_operator_by_name(k, api->caller) : NULL;
	if (e != NULL && e->adhoc)
		return true;
	const char *role_name = keyring_role_name((keyring_role_t)api_caller_role(api));
	api_refuse(api, identity, identity_len, id, ROTA__ERROR_CODE__ERR_FORBIDDEN,
	           "submitting a runbook file (%s) is an ad-hoc run, which %s (%s %s) may not"
	           " start: load the runbook on the coordinator and submit it by name, or"
	           " have an admin set 'adhoc: true' on %s in operators.yaml",
	           path, api_actor(api), api_article(role_name), role_name, api_actor(api));
	return false;
}

static void
api_submit(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req)
{
	const Rota__SubmitRequest *sub = req->submit;
	runbook_t *owned_rb = NULL;
	const runbook_t *rb = NULL;
	const char *yaml = NULL;

	if ((sub->runbook_yaml && sub->runbook_yaml[0]) ||
	    (sub->runbook_path && sub->runbook_path[0])) {
		/* A file, even an empty one: the parser says what is wrong. */
		runbook_errors_t errs = {0};
		const char *name =
		    sub->runbook_path && sub->runbook_path[0] ? sub->runbook_path : "<submitted>";
		if (!api_adhoc_allowed(api, identity, identity_len, req->id, name))
			return;
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
	/* A file names its own restriction, which is the submitter's to write:
	 * checked all the same, so a file and its loaded copy behave alike. */
	const catalog_entry_t *entry = owned_rb ? NULL : catalog_find(api->catalog, sub->runbook);
	if (!api_runbook_allows(api, identity, identity_len, req->id, rb,
	                        entry ? entry->path : rb->path)) {
		runbook_destroy(&owned_rb);
		return;
	}

	const launcher_t *l = api->svc->launcher;
	launch_t lr = {
	    .rb = rb,
	    .yaml = yaml,
	    .params = sub->params,
	    .n_params = sub->n_params,
	    .targets = sub->targets,
	    .n_targets = sub->n_targets,
	    .trigger = "manual",
	    .adhoc = owned_rb != NULL,
	};
	launch_result_t res;
	if (launcher_start(l, &lr, &res) != 0) {
		api_refuse(api, identity, identity_len, req->id, (Rota__ErrorCode)res.code, "%s",
		           res.error ? res.error : "the run could not start");
	} else {
		api_note(api, xasprintf("%srun %s%s%s on %zu host(s)", owned_rb ? "ad-hoc " : "",
		                        res.run_id, owned_rb ? " of " LAUNCHER_ADHOC_PREFIX : "",
		                        owned_rb ? rb->name : "", res.host_count));
		Rota__SubmitResponse sr = ROTA__SUBMIT_RESPONSE__INIT;
		sr.run_id = res.run_id;
		sr.n_hosts = res.host_count;
		sr.hosts = res.hosts;
		Rota__Response resp = ROTA__RESPONSE__INIT;
		resp.id = req->id;
		resp.body_case = ROTA__RESPONSE__BODY_SUBMIT;
		resp.submit = &sr;
		api_reply(api, identity, identity_len, &resp);
	}
	launch_result_clear(&res);
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

/* Whether row k's step has a `when: {failed: ...}` step after it that
 * succeeded on the same host. rows are ordered by host, position, attempt. */
static bool
api_failure_remediated(const runbook_t *rb, Rota__StepRunInfo *const *rows, size_t n, size_t k)
{
	const Rota__StepRunInfo *failed = rows[k];
	for (size_t u = k + 1; u < n && strcmp(rows[u]->host, failed->host) == 0; u++) {
		uint32_t p = rows[u]->position;
		if (p < rb->step_count && rb->steps[p].when.kind == RUNBOOK_WHEN_FAILED &&
		    rb->steps[p].when.step_index == failed->position &&
		    rows[u]->status == ROTA__STEP_STATUS__STEP_SUCCEEDED)
			return true;
	}
	return false;
}

/* Marks the failed steps that do not fail their host, by the rules of the
 * runbook the run was started from, so that `rota submit --wait` and
 * `rota show` do not call a host failed when its run counted it ok. A
 * runbook that no longer parses marks nothing. */
static void
api_mark_handled(api_t *api, Rota__ShowRunResponse *body)
{
	char *yaml = NULL, *trigger = NULL;
	bool cancelled = false;
	if (store_run_yaml(api->store, body->run->id, &yaml, &trigger, &cancelled) != 0) {
		free(yaml);
		free(trigger);
		return;
	}
	runbook_errors_t errs = {0};
	runbook_t *rb = runbook_parse_string(yaml, strlen(yaml), body->run->runbook, &errs);
	for (size_t k = 0; rb != NULL && k < body->n_steps; k++) {
		Rota__StepRunInfo *st = body->steps[k];
		if (!run_step_status_failed(st->status) || st->position >= rb->step_count)
			continue;
		st->handled = rb->steps[st->position].continue_on_failure ||
		              api_failure_remediated(rb, body->steps, body->n_steps, k);
	}
	runbook_destroy(&rb);
	runbook_errors_clear(&errs);
	free(yaml);
	free(trigger);
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
	api_mark_handled(api, body);
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
	store_run_summary_clear(&sum);
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
	body.total = (uint32_t)n;
	if (req->workers->limit > 0 && req->workers->limit < n)
		n = req->workers->limit;
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
		/* Known from the store and not seen since the start (no
		 * monotonic sighting): back soon, or lost once settled. */
		bool returning = !w->connected && w->last_seen_mono == 0 && api->settling;
		info->state = returning       ? "reconnecting"
		              : !w->connected ? "lost"
		              : w->stopping   ? "stopping"
		                              : "connected";
		info->replaced = w->replaced;
		info->peer = w->peer;
		info->spool_error = w->spool_error;
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
			/* A manual or notify step runs on no worker. */
			if (s < 0 || w == NULL || run->policy[s].kind != RUN_KIND_WORKER)
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

/* At most this many ids are named in a refusal for an unknown worker: the
 * message must stay one readable line however large the fleet. */
#define API_MAX_NAMED_WORKERS 20

/* "w1, w2, ... and N more" (or "none"): the workers the registry knows, for
 * an unknown id's refusal; the caller frees. */
static char *
api_known_workers(api_t *api)
{
	size_t n = registry_count(api->registry);
	if (n == 0)
		return xstrdup("none");
	size_t shown = n < API_MAX_NAMED_WORKERS ? n : API_MAX_NAMED_WORKERS;
	size_t len = 32;
	for (size_t i = 0; i < shown; i++)
		len += strlen(registry_at(api->registry, i)->id) + 2;
	char *out = xmalloc(len);
	size_t off = 0;
	for (size_t i = 0; i < shown; i++)
		off += (size_t)snprintf(out + off, len - off, "%s%s", i ? ", " : "",
		                        registry_at(api->registry, i)->id);
	if (shown < n)
		snprintf(out + off, len - off, " and %zu more", n - shown);
	return out;
}

/* The first active run that still has a step of worker id to finish
 * (pending, in flight, waiting for approval, or a later batch), with the
 * step, or NULL: removing the worker then would leave the run waiting for
 * a host nobody can bring back under that name. */
static const run_t *
api_worker_busy(api_t *api, const char *id, const run_step_t **step)
{
	for (run_t *run = dispatcher_runs(api->dispatcher); run; run = run->next) {
		int h = run_find_host(run, id);
		if (h < 0 || run_host_done(run, (size_t)h))
			continue;
		*step = NULL;
		for (size_t k = 0; k < run->step_count && *step == NULL; k++)
			if (!run_step_status_terminal(run->hosts[h].steps[k].status))
				*step = &run->hosts[h].steps[k];
		return run;
	}
	return NULL;
}

/* rota workers remove ID: forgets a worker that is gone for good (a
 * decommissioned host), so that it stops showing as lost and new runs stop
 * recording it as unreachable. Its past step runs keep its id. */
static void
api_remove_worker(api_t *api, const uint8_t *identity, size_t identity_len,
                  const Rota__Request *req)
{
	const char *id = req->remove_worker->id;
	if (id == NULL || id[0] == '\0') {
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_BAD_REQUEST,
		           "name the worker to remove");
		return;
	}
	worker_t *w = registry_find(api->registry, id);
	if (w == NULL) {
		char *known = api_known_workers(api);
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_NOT_FOUND,
		           "unknown worker '%s'; the coordinator knows: %s", id, known);
		free(known);
		return;
	}
	/* A connected worker would only be known again at its next message:
	 * removing it would hide it, not retire it. */
	if (w->connected) {
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_CONFLICT,
		           "worker %s is connected; stop it first (and remove its key from"
		           " authorized_workers/ if it must not come back)",
		           w->id);
		return;
	}
	const run_step_t *step = NULL;
	const run_t *run = api_worker_busy(api, w->id, &step);
	if (run != NULL) {
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_CONFLICT,
		           "worker %s still has step %s %s in run %s; let the run end, or cancel"
		           " it there first (rota cancel %s --host %s)",
		           w->id, step ? step->step_id : "?",
		           step ? run_step_status_name(step->status) : "pending", run->id, run->id,
		           w->id);
		return;
	}
	/* The store first: when it cannot forget the worker, memory is left as
	 * it was and the operator is told. (A commit that fails later leaves
	 * the row behind; the worker then shows as lost again after a restart
	 * and is removed again.) */
	if (store_worker_delete(api->store, w->id) != 0) {
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_INTERNAL,
		           "the store could not forget worker %s (see the coordinator's log)",
		           w->id);
		return;
	}
	const keyring_t *keys = api->security ? security_keyring(api->security) : NULL;
	const char *dir = api->security ? security_workers_dir(api->security) : NULL;
	bool key_listed = keys != NULL && keyring_worker_by_id(keys, w->id) != NULL;
	char *key_path = key_listed && dir ? xasprintf("%s/%s", dir, w->id) : xstrdup("");
	char seen[32];
	clock_format(w->last_seen_wall, seen, sizeof(seen));

	Rota__RemoveWorkerResponse body = ROTA__REMOVE_WORKER_RESPONSE__INIT;
	body.id = xstrdup(w->id);
	body.state = "lost"; /* as rota workers shows one not connected */
	body.last_seen_ms = w->last_seen_wall;
	body.key_listed = key_listed;
	body.key_path = key_path;
	body.curve = api->curve;
	api_note(api,
	         xasprintf("forgot worker %s (lost, last seen %s UTC)%s", w->id, seen,
	                   key_listed ? "; its key is still listed: it can connect again" : ""));
	if (registry_remove(api->registry, w->id) != 0)
		log_error("workers remove: %s vanished from the registry", body.id);
	log_info("worker %s removed by %s%s", body.id, api_actor(api),
	         key_listed ? " (its key is still listed: it can connect again)" : "");
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = req->id;
	resp.body_case = ROTA__RESPONSE__BODY_REMOVE_WORKER;
	resp.remove_worker = &body;
	api_reply(api, identity, identity_len, &resp);
	free(body.id);
	free(key_path);
}

/* One KeyInfo, its strings owned (freed with the response). */
static Rota__KeyInfo *
api_key_info(const keyring_entry_t *e, const char *role, const char *state)
{
	char fp[KEYS_FINGERPRINT_CHARS + 1];
	Rota__KeyInfo *k = xmalloc(sizeof(*k));
	rota__key_info__init(k);
	k->name = xstrdup(e->name);
	k->fingerprint = xstrdup(keys_fingerprint(e->key, fp, sizeof(fp)));
	k->role = xstrdup(role);
	k->state = xstrdup(state);
	return k;
}

/* rota keys: who the coordinator admits now. Fingerprints only, as in the
 * audit trail: the list says who may connect, and the keys themselves
 * are in the files it names. */
static void
api_keys(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req)
{
	Rota__ListKeysResponse *body = xmalloc(sizeof(*body));
	rota__list_keys_response__init(body);
	const keyring_t *keys = api->security ? security_keyring(api->security) : NULL;
	body->curve = keys != NULL;
	const char *z85 = api->security ? security_public_z85(api->security) : "";
	body->coordinator_fingerprint = xstrndup(z85, KEYS_FINGERPRINT_CHARS);
	const char *dir = api->security ? security_workers_dir(api->security) : NULL;
	const char *ops = api->security ? security_operators_file(api->security) : NULL;
	body->workers_dir = xstrdup(keys && dir ? dir : "");
	body->operators_file = xstrdup(keys && ops ? ops : "");
	size_t nw = keys ? keyring_worker_count(keys) : 0;
	size_t no = keys ? keyring_operator_count(keys) : 0;
	body->workers = xcalloc(nw + 1, sizeof(*body->workers));
	body->operators = xcalloc(no + 1, sizeof(*body->operators));
	for (size_t i = 0; i < nw; i++) {
		const keyring_entry_t *e = keyring_worker_at(keys, i);
		const worker_t *w = registry_find(api->registry, e->name);
		const char *state = w == NULL       ? "never seen"
		                    : !w->connected ? "lost"
		                    : w->stopping   ? "stopping"
		                                    : "connected";
		body->workers[body->n_workers++] = api_key_info(e, "", state);
	}
	for (size_t i = 0; i < no; i++) {
		const keyring_entry_t *e = keyring_operator_at(keys, i);
		body->operators[body->n_operators++] =
		    api_key_info(e, keyring_role_name(e->role), "");
	}
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = req->id;
	resp.body_case = ROTA__RESPONSE__BODY_KEYS;
	resp.keys = body;
	api_reply(api, identity, identity_len, &resp);
	rota__list_keys_response__free_unpacked(body, NULL);
}

/* ---- runbooks, schedules, approvals ----------------------------------- */

static Rota__RunbookInfo *
api_runbook_info(const char *name, const char *path, const char *state, const char *errors)
{
	Rota__RunbookInfo *i = xmalloc(sizeof(*i));
	rota__runbook_info__init(i);
	i->name = xstrdup(name ? name : "");
	i->path = xstrdup(path);
	i->state = xstrdup(state);
	i->errors = xstrdup(errors ? errors : "");
	i->hash = xstrdup("");
	i->description = xstrdup("");
	i->cron = xstrdup("");
	i->timezone = xstrdup("");
	return i;
}

void
api_runbooks_fill(const catalog_t *catalog, Rota__RunbookInfo ***out, size_t *n)
{
	size_t total = catalog_count(catalog) + catalog_invalid(catalog);
	*out = xcalloc(total + 1, sizeof(**out));
	*n = 0;
	for (size_t k = 0; k < catalog_count(catalog); k++) {
		const catalog_entry_t *e = catalog_at(catalog, k);
		const runbook_t *rb = e->rb;
		Rota__RunbookInfo *i =
		    api_runbook_info(rb->name, e->path, e->errors ? "stale" : "loaded", e->errors);
		free(i->hash);
		i->hash = xstrdup(e->hash);
		free(i->description);
		i->description = xstrdup(rb->description ? rb->description : "");
		if (rb->schedule.present) {
			free(i->cron);
			free(i->timezone);
			i->cron = xstrdup(rb->schedule.cron);
			i->timezone =
			    xstrdup(rb->schedule.timezone ? rb->schedule.timezone : "UTC");
		}
		i->step_count = (uint32_t)rb->step_count;
		i->loaded_ms = e->loaded_ms;
		(*out)[(*n)++] = i;
	}
	for (size_t k = 0; k < catalog_invalid(catalog); k++) {
		const catalog_problem_t *p = catalog_problem_at(catalog, k);
		(*out)[(*n)++] = api_runbook_info(NULL, p->path, "invalid", p->errors);
	}
}

static void
api_runbooks_free(Rota__RunbookInfo **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		rota__runbook_info__free_unpacked(list[i], NULL);
	free(list);
}

void
api_reload_response_clear(Rota__ReloadResponse *out)
{
	api_runbooks_free(out->runbooks, out->n_runbooks);
	out->runbooks = NULL;
	out->n_runbooks = 0;
}

static void
api_runbooks(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req)
{
	Rota__ListRunbooksResponse body = ROTA__LIST_RUNBOOKS_RESPONSE__INIT;
	api_runbooks_fill(api->catalog, &body.runbooks, &body.n_runbooks);
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = req->id;
	resp.body_case = ROTA__RESPONSE__BODY_RUNBOOKS;
	resp.runbooks = &body;
	api_reply(api, identity, identity_len, &resp);
	api_runbooks_free(body.runbooks, body.n_runbooks);
}

static void
api_reload(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req)
{
	Rota__ReloadResponse body;
	api->reload(api->reload_ctx, &body);
	api_note(api, xasprintf("%u loaded (%u added, %u changed, %u removed), %u invalid",
	                        body.loaded, body.added, body.changed, body.removed, body.invalid));
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = req->id;
	resp.body_case = ROTA__RESPONSE__BODY_RELOAD;
	resp.reload = &body;
	api_reply(api, identity, identity_len, &resp);
	api_reload_response_clear(&body);
}

/* At most this many upcoming fire times per schedule. */
#define API_MAX_UPCOMING 1000

static Rota__ScheduleInfo *
api_schedule_info(api_t *api, const schedule_t *sc, uint32_t upcoming)
{
	Rota__ScheduleInfo *i = xmalloc(sizeof(*i));
	rota__schedule_info__init(i);
	i->runbook = xstrdup(sc->runbook);
	i->cron = xstrdup(sc->cron);
	i->timezone = xstrdup(sc->timezone);
	i->next_ms = sc->next_ms > 0 ? sc->next_ms : 0;
	i->last_ms = sc->last_slot_ms;
	i->last_run_id = xstrdup(sc->last_run_id ? sc->last_run_id : "");
	i->catchup = xstrdup(scheduler_catchup_name(sc->catchup));
	i->concurrency = xstrdup(scheduler_concurrency_name(sc->concurrency));
	i->jitter_ms = sc->jitter_ms;
	if (sc->last_run_id) {
		Rota__RunSummary sum;
		if (store_run_summary(api->store, sc->last_run_id, &sum) == 0) {
			i->last_status = sum.status;
			store_run_summary_clear(&sum);
		}
	}
	if (upcoming > API_MAX_UPCOMING)
		upcoming = API_MAX_UPCOMING;
	i->upcoming = xcalloc(upcoming + 1, sizeof(*i->upcoming));
	int64_t t = sc->next_ms;
	for (uint32_t k = 0; k < upcoming && t > 0; k++) {
		i->upcoming[i->n_upcoming++] = t;
		t = cron_next(&sc->expr, sc->timezone, t);
	}
	return i;
}

static void
api_schedules(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req)
{
	const Rota__ListSchedulesRequest *lr = req->schedules;
	Rota__ListSchedulesResponse body = ROTA__LIST_SCHEDULES_RESPONSE__INIT;
	size_t n = scheduler_count(api->scheduler);
	if (lr->runbook && lr->runbook[0]) {
		const schedule_t *sc = scheduler_find(api->scheduler, lr->runbook);
		if (sc == NULL) {
			const catalog_entry_t *e = catalog_find(api->catalog, lr->runbook);
			api_refuse(
			    api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_NOT_FOUND,
			    e ? "runbook %s has no schedule (add schedule: {cron: ...} to %s)"
			      : "unknown runbook '%s'%s; rota schedules lists the scheduled"
			        " ones",
			    lr->runbook, e ? e->path : "");
			return;
		}
		body.schedules = xcalloc(1, sizeof(*body.schedules));
		body.schedules[body.n_schedules++] = api_schedule_info(api, sc, lr->next);
	} else {
		body.schedules = xcalloc(n + 1, sizeof(*body.schedules));
		for (size_t k = 0; k < n; k++)
			body.schedules[body.n_schedules++] =
			    api_schedule_info(api, scheduler_at(api->scheduler, k), lr->next);
	}
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = req->id;
	resp.body_case = ROTA__RESPONSE__BODY_SCHEDULES;
	resp.schedules = &body;
	api_reply(api, identity, identity_len, &resp);
	for (size_t k = 0; k < body.n_schedules; k++)
		rota__schedule_info__free_unpacked(body.schedules[k], NULL);
	free(body.schedules);
}

static void
api_approve(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req)
{
	const Rota__ApproveRequest *ar = req->approve;
	if (ar->step_id == NULL || ar->step_id[0] == '\0') {
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_BAD_REQUEST,
		           "name the manual step to %s", ar->reject ? "reject" : "approve");
		return;
	}
	char *run_id = api_resolve_run(api, identity, identity_len, req->id, ar->run_id);
	if (run_id == NULL)
		return;
	uint32_t released = 0;
	char *error = NULL;
	if (dispatcher_approve(api->dispatcher, run_id, ar->step_id, ar->reject, ar->note,
	                       &released, &error) != 0) {
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_CONFLICT,
		           "%s", error);
		free(error);
		free(run_id);
		return;
	}
	api_note(api,
	         xasprintf("%s on %u host(s)%s%s", ar->reject ? "rejected" : "approved", released,
	                   ar->note && ar->note[0] ? ": " : "", ar->note ? ar->note : ""));
	Rota__ApproveResponse body = ROTA__APPROVE_RESPONSE__INIT;
	body.run_id = run_id;
	body.step_id = ar->step_id;
	body.hosts = released;
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = req->id;
	resp.body_case = ROTA__RESPONSE__BODY_APPROVE;
	resp.approve = &body;
	api_reply(api, identity, identity_len, &resp);
	free(run_id);
}

static void
api_cancel(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req)
{
	const Rota__CancelRequest *cr = req->cancel;
	char *run_id = api_resolve_run(api, identity, identity_len, req->id, cr->run_id);
	if (run_id == NULL)
		return;
	run_t *run = dispatcher_find_run(api->dispatcher, run_id);
	const char *host = cr->host && cr->host[0] ? cr->host : NULL;
	if (run == NULL) {
		Rota__RunSummary sum;
		bool known = store_run_summary(api->store, run_id, &sum) == 0;
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_CONFLICT,
		           "run %s has already ended (%s): nothing to cancel", run_id,
		           known ? run_status_name(sum.status) : "ended");
		if (known)
			store_run_summary_clear(&sum);
		free(run_id);
		return;
	}
	if (host != NULL && run_find_host(run, host) < 0) {
		bool has = false;
		char *hosts = store_run_hosts(api->store, run_id, host, &has);
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_NOT_FOUND,
		           "run %s has no host '%s' (its hosts: %s)", run_id, host, hosts);
		free(hosts);
		free(run_id);
		return;
	}
	char *reason = xasprintf("cancelled by an operator%s%s",
	                         cr->note && cr->note[0] ? ": " : "", cr->note ? cr->note : "");
	size_t signalled = 0;
	dispatcher_cancel(api->dispatcher, run, host, reason, &signalled);
	free(reason);
	api_note(api, xasprintf("%zu running step(s) signalled%s%s", signalled,
	                        cr->note && cr->note[0] ? ": " : "", cr->note ? cr->note : ""));
	Rota__CancelResponse body = ROTA__CANCEL_RESPONSE__INIT;
	body.run_id = run_id;
	body.signalled = (uint32_t)signalled;
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = req->id;
	resp.body_case = ROTA__RESPONSE__BODY_CANCEL;
	resp.cancel = &body;
	api_reply(api, identity, identity_len, &resp);
	free(run_id);
}

/* ---- incidents --------------------------------------------------------- */

static void
api_incident_open(api_t *api, const uint8_t *identity, size_t identity_len,
                  const Rota__Request *req)
{
	Rota__OpenIncidentRequest open = *req->incident_open;
	const Rota__SubmitRequest *sub = open.submit;
	const catalog_entry_t *e = sub && sub->runbook && sub->runbook[0]
	                               ? catalog_find(api->catalog, sub->runbook)
	                               : NULL;
	if (e != NULL && !api_runbook_allows(api, identity, identity_len, req->id, e->rb, e->path))
		return;
	/* Under CURVE the key says who opened it, whatever the CLI sent. */
	if (api->curve)
		open.by = (char *)api->caller;
	Rota__IncidentResponse body;
	int code = 0;
	char *error = NULL;
	if (responder_open(api->responder, &open, &body, &code, &error) != 0) {
		api_refuse(api, identity, identity_len, req->id, (Rota__ErrorCode)code, "%s", error);
		free(error);
		return;
	}
	api_note(api, xasprintf("%s, run %s",
	                        body.incident && body.incident->id ? body.incident->id : "?",
	                        body.run_id ? body.run_id : "none"));
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = req->id;
	resp.body_case = ROTA__RESPONSE__BODY_INCIDENT_OPEN;
	resp.incident_open = &body;
	api_reply(api, identity, identity_len, &resp);
	responder_response_clear(&body);
}

static void
api_incidents(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req)
{
	uint32_t limit = req->incidents->limit ? req->incidents->limit : API_DEFAULT_LIST;
	if (limit > API_MAX_LIST)
		limit = API_MAX_LIST;
	Rota__ListIncidentsResponse *body = xmalloc(sizeof(*body));
	if (incidents_list(api->incidents, req->incidents->open_only, limit, body) != 0) {
		rota__list_incidents_response__free_unpacked(body, NULL);
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_INTERNAL,
		           "the store could not be read");
		return;
	}
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = req->id;
	resp.body_case = ROTA__RESPONSE__BODY_INCIDENTS;
	resp.incidents = body;
	api_reply(api, identity, identity_len, &resp);
	rota__list_incidents_response__free_unpacked(body, NULL);
}

/* The incident the request names, or NULL after refusing it. */
static char *
api_incident_id(api_t *api, const uint8_t *identity, size_t identity_len, uint64_t request_id,
                const char *text)
{
	char *id = NULL, *error = NULL;
	if (incidents_resolve_id(api->incidents, text, &id, &error) != 0) {
		api_refuse(api, identity, identity_len, request_id, ROTA__ERROR_CODE__ERR_NOT_FOUND,
		           "%s", error);
		free(error);
		return NULL;
	}
	return id;
}

static void
api_incident_show(api_t *api, const uint8_t *identity, size_t identity_len,
                  const Rota__Request *req)
{
	char *id = api_incident_id(api, identity, identity_len, req->id, req->incident_show->id);
	if (id == NULL)
		return;
	Rota__ShowIncidentResponse *body = xmalloc(sizeof(*body));
	if (incidents_show(api->incidents, id, body) != 0) {
		rota__show_incident_response__free_unpacked(body, NULL);
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_INTERNAL,
		           "the store could not be read");
		free(id);
		return;
	}
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = req->id;
	resp.body_case = ROTA__RESPONSE__BODY_INCIDENT_SHOW;
	resp.incident_show = body;
	api_reply(api, identity, identity_len, &resp);
	rota__show_incident_response__free_unpacked(body, NULL);
	free(id);
}

/* ack and resolve. */
static void
api_incident_action(api_t *api, const uint8_t *identity, size_t identity_len,
                    const Rota__Request *req, bool resolve)
{
	const Rota__IncidentActionRequest *ar = resolve ? req->resolve : req->ack;
	char *id = api_incident_id(api, identity, identity_len, req->id, ar->id);
	if (id == NULL)
		return;
	int code = 0;
	char *error = NULL;
	int64_t now = clock_wall_ms();
	/* Under CURVE the key says who, whatever the CLI sent as --by. */
	const char *by = api->curve ? api->caller : ar->by;
	int rc = resolve ? incidents_resolve(api->incidents, id, by, ar->note, now, &code, &error)
	                 : incidents_ack(api->incidents, id, by, ar->note, now, &code, &error);
	if (rc != 0) {
		api_refuse(api, identity, identity_len, req->id, (Rota__ErrorCode)code, "%s", error);
		free(error);
		free(id);
		return;
	}
	Rota__IncidentResponse body = ROTA__INCIDENT_RESPONSE__INIT;
	Rota__IncidentInfo info;
	if (incidents_info(api->incidents, id, &info) != 0) {
		/* Done, but it cannot be read back: say so rather than invent it. */
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_INTERNAL,
		           "incident %s was %s, but the store could not be read back", id,
		           resolve ? "resolved" : "acknowledged");
		free(id);
		return;
	}
	body.incident = &info;
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = req->id;
	if (resolve) {
		resp.body_case = ROTA__RESPONSE__BODY_RESOLVE;
		resp.resolve = &body;
	} else {
		resp.body_case = ROTA__RESPONSE__BODY_ACK;
		resp.ack = &body;
	}
	api_reply(api, identity, identity_len, &resp);
	incidents_info_clear(&info);
	free(id);
}

/* ---- status and audit -------------------------------------------------- */

static void
api_status(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req)
{
	Rota__StatusResponse body = ROTA__STATUS_RESPONSE__INIT;
	if (api->status != NULL)
		api->status(api->status_ctx, &body);
	body.curve = api->curve;
	body.caller = (char *)(api->caller ? api->caller : "");
	body.role = (char *)keyring_role_name((keyring_role_t)api_caller_role(api));
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = req->id;
	resp.body_case = ROTA__RESPONSE__BODY_STATUS;
	resp.status = &body;
	api_reply(api, identity, identity_len, &resp);
}

static void
api_audit(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req)
{
	Rota__AuditResponse *body = xmalloc(sizeof(*body));
	if (audit_list(api->store, req->audit->since_ms, req->audit->limit, body) != 0) {
		rota__audit_response__free_unpacked(body, NULL);
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_INTERNAL,
		           "the store could not read the audit trail (see the coordinator's log)");
		return;
	}
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = req->id;
	resp.body_case = ROTA__RESPONSE__BODY_AUDIT;
	resp.audit = body;
	api_reply(api, identity, identity_len, &resp);
	rota__audit_response__free_unpacked(body, NULL);
}

/* What a request acts on, for its audit row (caller frees). */
static char *
api_target(const Rota__Request *req)
{
	switch (req->body_case) {
	case ROTA__REQUEST__BODY_SUBMIT:
		return xstrdup(req->submit->runbook && req->submit->runbook[0]
		                   ? req->submit->runbook
		               : req->submit->runbook_path ? req->submit->runbook_path
		                                           : "");
	case ROTA__REQUEST__BODY_CANCEL:
		return req->cancel->host && req->cancel->host[0]
		           ? xasprintf("%s host %s", req->cancel->run_id, req->cancel->host)
		           : xstrdup(req->cancel->run_id);
	case ROTA__REQUEST__BODY_APPROVE:
		return xasprintf("%s/%s", req->approve->run_id, req->approve->step_id);
	case ROTA__REQUEST__BODY_INCIDENT_OPEN:
		return xstrdup(req->incident_open->submit && req->incident_open->submit->runbook
		                   ? req->incident_open->submit->runbook
		                   : "");
	case ROTA__REQUEST__BODY_ACK:
		return xstrdup(req->ack->id);
	case ROTA__REQUEST__BODY_RESOLVE:
		return xstrdup(req->resolve->id);
	case ROTA__REQUEST__BODY_RELOAD:
		return xstrdup("runbooks");
	case ROTA__REQUEST__BODY_REMOVE_WORKER:
		return xstrdup(req->remove_worker->id ? req->remove_worker->id : "");
	default:
		return xstrdup("");
	}
}

/* The request's audit row, in the turn that made its change. A row that
 * cannot be written fails the turn (store.h): then the change and its
 * answer are withheld too, never done unaudited. */
static void
api_audit_request(api_t *api, const Rota__Request *req, const char *name)
{
	char *target = api_target(req);
	audit_entry_t e = {
	    .at_ms = clock_wall_ms(),
	    .actor = api_actor(api),
	    .role = keyring_role_name((keyring_role_t)api_caller_role(api)),
	    .action = name,
	    .target = target,
	    .outcome = api->outcome,
	    .detail = api->note,
	    .peer = api->caller_peer,
	    .key = api->caller_key,
	};
	if (audit_record(api->store, &e) != 0)
		log_error("audit: cannot record %s by %s; the turn will not commit", name,
		          api_actor(api));
	free(target);
}

void
api_clear(api_t *api)
{
	api_note(api, NULL);
}

bool
api_request_writes(const Rota__Request *req)
{
	return req->body_case == ROTA__REQUEST__BODY_SUBMIT ||
	       req->body_case == ROTA__REQUEST__BODY_INCIDENT_OPEN ||
	       req->body_case == ROTA__REQUEST__BODY_ACK ||
	       req->body_case == ROTA__REQUEST__BODY_RESOLVE ||
	       req->body_case == ROTA__REQUEST__BODY_APPROVE ||
	       req->body_case == ROTA__REQUEST__BODY_RELOAD ||
	       req->body_case == ROTA__REQUEST__BODY_CANCEL ||
	       req->body_case == ROTA__REQUEST__BODY_REMOVE_WORKER;
}

/* Dispatches a request whose role was checked. */
static void
api_dispatch(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req)
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
	case ROTA__REQUEST__BODY_RUNBOOKS:
		api_runbooks(api, identity, identity_len, req);
		break;
	case ROTA__REQUEST__BODY_RELOAD:
		api_reload(api, identity, identity_len, req);
		break;
	case ROTA__REQUEST__BODY_SCHEDULES:
		api_schedules(api, identity, identity_len, req);
		break;
	case ROTA__REQUEST__BODY_APPROVE:
		api_approve(api, identity, identity_len, req);
		break;
	case ROTA__REQUEST__BODY_CANCEL:
		api_cancel(api, identity, identity_len, req);
		break;
	case ROTA__REQUEST__BODY_INCIDENT_OPEN:
		api_incident_open(api, identity, identity_len, req);
		break;
	case ROTA__REQUEST__BODY_INCIDENTS:
		api_incidents(api, identity, identity_len, req);
		break;
	case ROTA__REQUEST__BODY_INCIDENT_SHOW:
		api_incident_show(api, identity, identity_len, req);
		break;
	case ROTA__REQUEST__BODY_ACK:
		api_incident_action(api, identity, identity_len, req, false);
		break;
	case ROTA__REQUEST__BODY_RESOLVE:
		api_incident_action(api, identity, identity_len, req, true);
		break;
	case ROTA__REQUEST__BODY_STATUS:
		api_status(api, identity, identity_len, req);
		break;
	case ROTA__REQUEST__BODY_AUDIT:
		api_audit(api, identity, identity_len, req);
		break;
	case ROTA__REQUEST__BODY_REMOVE_WORKER:
		api_remove_worker(api, identity, identity_len, req);
		break;
	case ROTA__REQUEST__BODY_KEYS:
		api_keys(api, identity, identity_len, req);
		break;
	default:
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_BAD_REQUEST,
		           "unknown request; is this rota newer than the coordinator?");
		break;
	}
}

void
api_handle(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req)
{
	api->outcome = AUDIT_OK;
	api_note(api, NULL);
	const api_rule_t *rule = api_rule(req);
	if (rule == NULL) {
		api_dispatch(api, identity, identity_len, req); /* says it is unknown */
		return;
	}
	const char *name = api_request_name(req, rule);
	int role = api_caller_role(api);
	bool writes = api_request_writes(req);
	if (role < (int)rule->need) {
		const char *need = keyring_role_name(rule->need);
		const char *has = keyring_role_name((keyring_role_t)role);
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_FORBIDDEN,
		           "rota %s needs the %s role; %s is %s %s", name, need, api_actor(api),
		           api_article(has), has);
		/* Refusals for a role are audited for reads too: an attempt at
		 * what one may not do is worth a row. */
		api_audit_request(api, req, name);
		api_note(api, NULL);
		return;
	}
	if (api->stopping && writes)
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_UNAVAILABLE,
		           "the coordinator is stopping; try again when it is back");
	else
		api_dispatch(api, identity, identity_len, req);
	if (writes)
		api_audit_request(api, req, name);
	api_note(api, NULL);
}
