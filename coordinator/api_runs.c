/* api_runs: the operator requests about runs: submit, runs, show, logs,
 * approve (and reject), cancel.
 *
 * Each handler answers or refuses its request through api_reply /
 * api_refuse (api_internal.h); the role, the "stopping" refusal and the
 * audit row are api.c's, before and after. Must never: start or change a
 * run for a caller the runbook does not allow. */
#include "api_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "incidents/incidents.h"
#include "launcher.h"
#include "log.h"
#include "run.h"
#include "runbook.h"
#include "xalloc.h"

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
	const keyring_t *k = api->svc->security ? security_keyring(api->svc->security) : NULL;
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

/* Whether the caller may give each -p of sub for a `command: true` param
 * of a loaded runbook: such a value is run as shell on the hosts, which is
 * as much as an ad-hoc run, so it needs that permission (a file is checked
 * as a whole before). false after refusing. */
static bool
api_command_params_allowed(api_t *api, const uint8_t *identity, size_t identity_len, uint64_t id,
                           const runbook_t *rb, const Rota__SubmitRequest *sub)
{
	if (!api->curve)
		return true;
	const keyring_t *k = api->svc->security ? security_keyring(api->svc->security) : NULL;
	const keyring_entry_t *e = k ? keyring_operator_by_name(k, api->caller) : NULL;
	if (e != NULL && e->adhoc)
		return true;
	for (size_t i = 0; i < sub->n_params; i++) {
		const char *name = sub->params[i] ? sub->params[i]->key : NULL;
		for (size_t j = 0; name != NULL && j < rb->param_count; j++) {
			if (!rb->params[j].command || strcmp(rb->params[j].name, name) != 0)
				continue;
			const char *role_name =
			    keyring_role_name((keyring_role_t)api_caller_role(api));
			api_refuse(
			    api, identity, identity_len, id, ROTA__ERROR_CODE__ERR_FORBIDDEN,
			    "-p %s: param %s of runbook %s is a command run as shell on its"
			    " hosts, so giving it is an ad-hoc run's permission, which %s (%s"
			    " %s) does not have: leave it out (its default or the"
			    " configuration's vars apply), or have an admin set 'adhoc: true'"
			    " on %s in operators.yaml",
			    name, name, rb->name, api_actor(api), api_article(role_name), role_name,
			    api_actor(api));
			return false;
		}
	}
	return true;
}

void
api_submit(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req)
{
	const Rota__SubmitRequest *sub = req->submit;
	runbook_t *owned_rb = NULL;
	const runbook_t *rb = NULL;
	const char *yaml = NULL;
	char *bundle = NULL; /* owned: what an ad-hoc run keeps */

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
		/* Its runbook steps run the coordinator's runbooks, and the run
		 * keeps the versions it ran (a bundle). */
		if (runbook_expand(owned_rb, catalog_resolve, api->svc->catalog, &errs) != 0) {
			char *msg = runbook_errors_format(&errs);
			runbook_errors_clear(&errs);
			api_refuse(api, identity, identity_len, req->id,
			           ROTA__ERROR_CODE__ERR_BAD_RUNBOOK, "runbook is invalid:\n%s",
			           msg);
			free(msg);
			runbook_destroy(&owned_rb);
			return;
		}
		runbook_errors_clear(&errs);
		rb = owned_rb;
		bundle = runbook_bundle(owned_rb, sub->runbook_yaml);
		yaml = bundle;
	} else if (sub->runbook && sub->runbook[0]) {
		const catalog_entry_t *e = catalog_find(api->svc->catalog, sub->runbook);
		if (e == NULL) {
			char *names = catalog_names(api->svc->catalog);
			api_refuse(api, identity, identity_len, req->id,
			           ROTA__ERROR_CODE__ERR_UNKNOWN_RUNBOOK,
			           "unknown runbook '%s'; the coordinator has: %s (or pass a"
			           " file path)",
			           sub->runbook, names);
			free(names);
			return;
		}
		rb = e->rb;
		yaml = catalog_run_yaml(e);
	} else {
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_BAD_REQUEST,
		           "submit names no runbook");
		return;
	}
	/* A file names its own restriction, which is the submitter's to write:
	 * checked all the same, so a file and its loaded copy behave alike. */
	const catalog_entry_t *entry =
	    owned_rb ? NULL : catalog_find(api->svc->catalog, sub->runbook);
	if (!api_runbook_allows(api, identity, identity_len, req->id, rb,
	                        entry ? entry->path : rb->path) ||
	    !api_command_params_allowed(api, identity, identity_len, req->id, rb, sub)) {
		runbook_destroy(&owned_rb);
		free(bundle);
		return;
	}

	/* --incident: the incident must exist before anything starts. */
	char *incident = NULL;
	if (sub->incident && sub->incident[0]) {
		char *error = NULL;
		if (incidents_resolve_id(api->svc->incidents, sub->incident, &incident, &error) !=
		    0) {
			api_refuse(api, identity, identity_len, req->id,
			           ROTA__ERROR_CODE__ERR_NOT_FOUND, "%s", error);
			free(error);
			runbook_destroy(&owned_rb);
			free(bundle);
			return;
		}
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
	    .incident = incident,
	    .by = api_operator(api, sub->by),
	    .force = sub->force,
	};
	launch_result_t res;
	if (launcher_start(l, &lr, &res) != 0) {
		api_refuse(api, identity, identity_len, req->id, (Rota__ErrorCode)res.code, "%s",
		           res.error ? res.error : "the run could not start");
	} else {
		api_note(api,
		         xasprintf("%srun %s%s%s on %zu host(s)%s%s%s", owned_rb ? "ad-hoc " : "",
		                   res.run_id, owned_rb ? " of " LAUNCHER_ADHOC_PREFIX : "",
		                   owned_rb ? rb->name : "", res.host_count,
		                   incident ? ", linked to " : "", incident ? incident : "",
		                   sub->force ? " (--force: maintenance windows overridden)" : ""));
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
	free(bundle);
	free(incident);
}

/* The runbook submitted: its name, or the file's path. */
char *
api_submit_target(const Rota__Request *req)
{
	return xstrdup(req->submit->runbook && req->submit->runbook[0] ? req->submit->runbook
	               : req->submit->runbook_path                     ? req->submit->runbook_path
	                                                               : "");
}

int
api_run_status_parse(const char *name)
{
	for (int st = 0; st < 32; st++)
		if (strcmp(run_status_name(st), name) == 0 && strcmp(name, "unknown") != 0)
			return st;
	return -1;
}

static char *api_resolve_run(api_t *api, const uint8_t *identity, size_t identity_len,
                             uint64_t request_id, const char *text);

void
api_runs(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req)
{
	const Rota__ListRunsRequest *q = req->runs;
	uint32_t limit = q->limit ? q->limit : API_DEFAULT_LIST;
	if (limit > API_MAX_LIST)
		limit = API_MAX_LIST;
	const Rota__RunsFilter *rf = q->filter;
	store_runs_filter_t f = {0};
	if (rf != NULL) {
		f.runbook = rf->runbook;
		f.trigger = rf->trigger;
		f.host = rf->host;
		f.since_ms = rf->since_ms;
		f.until_ms = rf->until_ms;
		if (rf->status != NULL && rf->status[0] != '\0' &&
		    (f.status = api_run_status_parse(rf->status)) < 0) {
			api_refuse(
			    api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_BAD_REQUEST,
			    "status \"%.40s\": not a run status; use one of pending, running,"
			    " succeeded, failed, cancelled, skipped",
			    rf->status);
			return;
		}
	}
	/* The cursor is named as any run is: its id, or a unique start or
	 * end of it. */
	char *before = NULL;
	if (rf != NULL && rf->before != NULL && rf->before[0] != '\0') {
		if ((before = api_resolve_run(api, identity, identity_len, req->id, rf->before)) ==
		    NULL)
			return;
		f.before = before;
	}
	Rota__ListRunsResponse *body = xmalloc(sizeof(*body));
	int rc = store_runs_find(api->svc->store, rf != NULL ? &f : NULL, limit, body);
	free(before);
	if (rc != 0) {
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
	if (store_run_resolve(api->svc->store, text, &run_id, &error) != 0) {
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
	if (store_run_yaml(api->svc->store, body->run->id, &yaml, &trigger, &cancelled) != 0) {
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

void
api_show(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req)
{
	uint32_t tail = req->show->tail_lines;
	if (tail > API_MAX_TAIL_LINES)
		tail = API_MAX_TAIL_LINES;
	char *run_id = api_resolve_run(api, identity, identity_len, req->id, req->show->run_id);
	if (run_id == NULL)
		return;
	Rota__ShowRunResponse *body = xmalloc(sizeof(*body));
	int rc = store_run_show(api->svc->store, run_id, tail, body);
	if (rc != 0) {
		rota__show_run_response__free_unpacked(body, NULL);
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_INTERNAL,
		           "the store could not read run %s", run_id);
		free(run_id);
		return;
	}
	/* Notes and links are extras: a show without them beats none. */
	if (store_note_run_list(api->svc->store, run_id, body) != 0)
		log_warn("api: the notes of run %s could not be read", run_id);
	free(run_id);
	api_mark_handled(api, body);
	Rota__Response resp = ROTA__RESPONSE__INIT;
	resp.id = req->id;
	resp.body_case = ROTA__RESPONSE__BODY_SHOW;
	resp.show = body;
	api_reply(api, identity, identity_len, &resp);
	rota__show_run_response__free_unpacked(body, NULL);
}

void
api_logs(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req)
{
	const Rota__LogsRequest *lr = req->logs;
	char *run_id = api_resolve_run(api, identity, identity_len, req->id, lr->run_id);
	if (run_id == NULL)
		return;
	Rota__RunSummary sum;
	int rc = store_run_summary(api->svc->store, run_id, &sum);
	if (rc != 0) {
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_INTERNAL,
		           "the store could not read run %s", run_id);
		free(run_id);
		return;
	}
	store_run_summary_clear(&sum);
	if (lr->host[0] != '\0') {
		bool has = false;
		char *hosts = store_run_hosts(api->svc->store, run_id, lr->host, &has);
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
	rc = store_logs(api->svc->store, run_id, lr->host, lr->after, limit, body);
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

void
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
	/* The audit row names the run, not the alias typed (`last`). */
	api_target(api, xasprintf("%s/%s", run_id, ar->step_id));
	uint32_t released = 0;
	char *error = NULL;
	if (dispatcher_approve(api->svc->dispatcher, run_id, ar->step_id, ar->reject,
	                       api_operator(api, ar->by), ar->note, &released, &error) != 0) {
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

char *
api_approve_target(const Rota__Request *req)
{
	return xasprintf("%s/%s", req->approve->run_id, req->approve->step_id);
}

void
api_cancel(api_t *api, const uint8_t *identity, size_t identity_len, const Rota__Request *req)
{
	const Rota__CancelRequest *cr = req->cancel;
	char *run_id = api_resolve_run(api, identity, identity_len, req->id, cr->run_id);
	if (run_id == NULL)
		return;
	api_target(api, cr->host && cr->host[0] ? xasprintf("%s host %s", run_id, cr->host)
	                                        : xstrdup(run_id));
	run_t *run = dispatcher_find_run(api->svc->dispatcher, run_id);
	const char *host = cr->host && cr->host[0] ? cr->host : NULL;
	if (run == NULL) {
		Rota__RunSummary sum;
		bool known = store_run_summary(api->svc->store, run_id, &sum) == 0;
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
		char *hosts = store_run_hosts(api->svc->store, run_id, host, &has);
		api_refuse(api, identity, identity_len, req->id, ROTA__ERROR_CODE__ERR_NOT_FOUND,
		           "run %s has no host '%s' (its hosts: %s)", run_id, host, hosts);
		free(hosts);
		free(run_id);
		return;
	}
	char *reason = xasprintf("cancelled by an operator%s%s",
	                         cr->note && cr->note[0] ? ": " : "", cr->note ? cr->note : "");
	size_t signalled = 0;
	dispatcher_cancel(api->svc->dispatcher, run, host, reason, &signalled);
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

char *
api_cancel_target(const Rota__Request *req)
{
	return req->cancel->host && req->cancel->host[0]
	           ? xasprintf("%s host %s", req->cancel->run_id, req->cancel->host)
	           : xstrdup(req->cancel->run_id);
}
