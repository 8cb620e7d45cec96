/* agent_kind: the worker's step-kind table (see agent_kind.h). */
#include "agent_kind.h"

#include <stdio.h>
#include <string.h>

static bool
agent_kind_has_shell(const Rota__StepSpec *spec)
{
	return spec->shell != NULL;
}

static bool
agent_kind_has_http_check(const Rota__StepSpec *spec)
{
	return spec->http_check != NULL;
}

static bool
agent_kind_has_disk_check(const Rota__StepSpec *spec)
{
	return spec->disk_check != NULL;
}

static bool
agent_kind_has_file_check(const Rota__StepSpec *spec)
{
	return spec->file_check != NULL;
}

static bool
agent_kind_has_tls_check(const Rota__StepSpec *spec)
{
	return spec->tls_check != NULL;
}

static bool
agent_kind_has_metric_check(const Rota__StepSpec *spec)
{
	return spec->metric_check != NULL;
}

static bool
agent_kind_has_promql_check(const Rota__StepSpec *spec)
{
	return spec->promql_check != NULL;
}

/* Shell steps and the built-in checks run here; a noop needs no settings;
 * manual and notify steps are the coordinator's own and are never meant
 * to reach a worker. */
static const agent_kind_t agent_kinds[] = {
    {ROTA__STEP_SPEC__KIND_SHELL, "shell", AGENT_KIND_SHELL, agent_kind_has_shell},
    {ROTA__STEP_SPEC__KIND_HTTP_CHECK, "http_check", AGENT_KIND_CHECK, agent_kind_has_http_check},
    {ROTA__STEP_SPEC__KIND_DISK_CHECK, "disk_check", AGENT_KIND_CHECK, agent_kind_has_disk_check},
    {ROTA__STEP_SPEC__KIND_METRIC_CHECK, "metric_check", AGENT_KIND_CHECK,
     agent_kind_has_metric_check},
    {ROTA__STEP_SPEC__KIND_FILE_CHECK, "file_check", AGENT_KIND_CHECK, agent_kind_has_file_check},
    {ROTA__STEP_SPEC__KIND_TLS_CHECK, "tls_check", AGENT_KIND_CHECK, agent_kind_has_tls_check},
    {ROTA__STEP_SPEC__KIND_PROMQL_CHECK, "promql_check", AGENT_KIND_CHECK,
     agent_kind_has_promql_check},
    {ROTA__STEP_SPEC__KIND_NOOP, "noop", AGENT_KIND_NOOP, NULL},
    {ROTA__STEP_SPEC__KIND_MANUAL, "manual", AGENT_KIND_COORDINATOR, NULL},
    {ROTA__STEP_SPEC__KIND_NOTIFY, "notify", AGENT_KIND_COORDINATOR, NULL},
};

const agent_kind_t *
agent_kind_find(const Rota__StepSpec *spec)
{
	for (size_t i = 0; i < sizeof(agent_kinds) / sizeof(agent_kinds[0]); i++) {
		if (agent_kinds[i].kind_case == spec->kind_case)
			return &agent_kinds[i];
	}
	return NULL;
}

bool
agent_kind_runs_name(const char *name)
{
	for (size_t i = 0; i < sizeof(agent_kinds) / sizeof(agent_kinds[0]); i++)
		if (agent_kinds[i].runs != AGENT_KIND_COORDINATOR &&
		    strcmp(agent_kinds[i].name, name) == 0)
			return true;
	return false;
}

void
agent_kind_names(char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(agent_kinds) / sizeof(agent_kinds[0]) && n < len; i++)
		if (agent_kinds[i].runs != AGENT_KIND_COORDINATOR)
			n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? ", " : "",
			                      agent_kinds[i].name);
}

const char *
agent_kind_name(const Rota__StepSpec *spec)
{
	const agent_kind_t *k = agent_kind_find(spec);
	return k && k->runs != AGENT_KIND_COORDINATOR ? k->name : "?";
}

bool
agent_kind_refuses(const Rota__StepSpec *spec, const char *worker_id, char *why, size_t len)
{
	const agent_kind_t *k = agent_kind_find(spec);
	if (k == NULL) {
		snprintf(why, len,
		         "worker %s (version %s) does not know this step type (kind %d); is"
		         " the coordinator newer than the worker?",
		         worker_id, ROTA_VERSION, (int)spec->kind_case);
		return true;
	}
	if (k->runs == AGENT_KIND_COORDINATOR) {
		snprintf(why, len,
		         "a %s step is run by the coordinator itself, never by a worker; worker"
		         " %s was sent one and did not run it",
		         k->name, worker_id);
		return true;
	}
	if (k->present != NULL && !k->present(spec)) {
		snprintf(why, len, "the %s step came without its settings", k->name);
		return true;
	}
	return false;
}
