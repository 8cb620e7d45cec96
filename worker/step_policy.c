/* step_policy: what a step may do on this worker (see step_policy.h). */
#include "step_policy.h"

#include <fnmatch.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_kind.h"
#include "xalloc.h"

static bool
step_policy_list_empty(const char *const *list)
{
	return list == NULL || list[0] == NULL;
}

/* "a, b, c" of a NULL-terminated list, into buf. */
static const char *
step_policy_list_text(const char *const *list, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = '\0';
	for (size_t i = 0; list && list[i] && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? ", " : "", list[i]);
	return buf;
}

/* This worker's own rules (--allow-runbooks, --allow-step-types): a step
 * they refuse never runs, and the reason is its recorded detail. */
bool
step_policy_refuses(const agent_config_t *cfg, const Rota__StepSpec *spec, char *why, size_t len)
{
	char list[512];
	const char *kind = agent_kind_name(spec);
	if (!step_policy_list_empty(cfg->allow_types)) {
		bool ok = false;
		for (size_t i = 0; cfg->allow_types[i] && !ok; i++)
			ok = strcmp(cfg->allow_types[i], kind) == 0;
		if (!ok) {
			snprintf(why, len,
			         "worker %s does not accept %s steps (--allow-step-types %s)",
			         cfg->id, kind,
			         step_policy_list_text(cfg->allow_types, list, sizeof(list)));
			return true;
		}
	}
	if (!step_policy_list_empty(cfg->allow_runbooks) && spec->adhoc) {
		/* The name of an ad-hoc run is the submitter's to write: no
		 * glob may match it, only --allow-adhoc admits it. */
		if (!cfg->allow_adhoc) {
			snprintf(why, len,
			         "worker %s does not accept ad-hoc runs (%s, a submitted file;"
			         " --allow-runbooks %s without --allow-adhoc)",
			         cfg->id, spec->runbook && spec->runbook[0] ? spec->runbook : "?",
			         step_policy_list_text(cfg->allow_runbooks, list, sizeof(list)));
			return true;
		}
	} else if (!step_policy_list_empty(cfg->allow_runbooks)) {
		const char *rb = spec->runbook ? spec->runbook : "";
		bool ok = false;
		for (size_t i = 0; cfg->allow_runbooks[i] && !ok; i++)
			ok = rb[0] != '\0' && fnmatch(cfg->allow_runbooks[i], rb, 0) == 0;
		if (!ok) {
			snprintf(why, len,
			         "worker %s does not accept runbook %s (--allow-runbooks %s)",
			         cfg->id, rb[0] ? rb : "(unnamed)",
			         step_policy_list_text(cfg->allow_runbooks, list, sizeof(list)));
			return true;
		}
	}
	return false;
}

/* Fills u for run_as ("" = the worker's own user). -1 with why when the
 * step may not, or cannot, run as that user. */
int
step_policy_user(const agent_config_t *cfg, const char *run_as, step_policy_user_t *u, char *why,
                 size_t len)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	memset(u, 0, sizeof(*u));
	uid_t me = geteuid();
	if (run_as[0] == '\0') {
		if (getpwuid_r(me, &pw, buf, sizeof(buf), &res) != 0 || res == NULL) {
			/* No passwd entry (a container's arbitrary uid): still run. */
			snprintf(u->name, sizeof(u->name), "%u", (unsigned)me);
			snprintf(u->home, sizeof(u->home), "/");
			return 0;
		}
		snprintf(u->name, sizeof(u->name), "%s", pw.pw_name);
		snprintf(u->home, sizeof(u->home), "%s", pw.pw_dir);
		return 0;
	}
	bool allowed = false;
	for (size_t i = 0; cfg->allow_users && cfg->allow_users[i] && !allowed; i++)
		allowed = strcmp(cfg->allow_users[i], run_as) == 0;
	if (!allowed) {
		char list[512];
		snprintf(why, len, "worker %s does not allow steps to run as %s (--allow-user: %s)",
		         cfg->id, run_as,
		         step_policy_list_empty(cfg->allow_users)
		             ? "none"
		             : step_policy_list_text(cfg->allow_users, list, sizeof(list)));
		return -1;
	}
	int rc = getpwnam_r(run_as, &pw, buf, sizeof(buf), &res);
	if (rc != 0 || res == NULL) {
		snprintf(why, len, "worker %s has no user %s%s%s", cfg->id, run_as, rc ? ": " : "",
		         rc ? strerror(rc) : "");
		return -1;
	}
	snprintf(u->name, sizeof(u->name), "%s", pw.pw_name);
	snprintf(u->home, sizeof(u->home), "%s", pw.pw_dir);
	if (pw.pw_uid == me)
		return 0; /* already that user: nothing to switch */
	if (me != 0) {
		snprintf(why, len,
		         "worker %s runs as uid %u, not root, so it cannot run a step as %s",
		         cfg->id, (unsigned)me, run_as);
		return -1;
	}
	u->switch_ids = true;
	u->uid = pw.pw_uid;
	u->gid = pw.pw_gid;
	int n = 32;
	for (int tries = 0; tries < 4; tries++) {
		free(u->groups);
		u->groups = xcalloc((size_t)n, sizeof(*u->groups));
		int want = n;
		if (getgrouplist(pw.pw_name, pw.pw_gid, u->groups, &want) >= 0) {
			u->ngroups = want;
			return 0;
		}
		n = want > n ? want : n * 2;
	}
	free(u->groups);
	u->groups = NULL;
	snprintf(why, len, "worker %s cannot list the groups of user %s", cfg->id, run_as);
	return -1;
}

/* Where the step runs: the worker's --workdir, or the step's workdir when
 * that is inside it (resolved, so no '..' or symlink leads out). A
 * directory that does not exist is left for chdir to report as before. */
int
step_policy_workdir(const agent_config_t *cfg, const char *want, char *out, size_t len, char *why,
                    size_t whylen)
{
	const char *root = cfg->workdir ? cfg->workdir : AGENT_DEFAULT_WORKDIR;
	if (want == NULL || want[0] == '\0') {
		snprintf(out, len, "%s", root);
		return 0;
	}
	char real[PATH_MAX], rroot[PATH_MAX];
	if (realpath(want, real) == NULL) {
		snprintf(out, len, "%s", want);
		return 0;
	}
	if (realpath(root, rroot) == NULL)
		snprintf(rroot, sizeof(rroot), "%s", root);
	size_t rl = strlen(rroot);
	bool inside = strcmp(rroot, "/") == 0 ||
	              (strncmp(real, rroot, rl) == 0 && (real[rl] == '\0' || real[rl] == '/'));
	if (!inside) {
		snprintf(why, whylen, "workdir %s is outside this worker's --workdir %s", want,
		         root);
		return -1;
	}
	snprintf(out, len, "%s", real);
	return 0;
}

/* The whole environment of a step (exec_spec_t.env_only): a fixed PATH,
 * the user's HOME/USER/LOGNAME, the variables --pass-env names, ROTA_*
 * about the step, the step's env, then its secrets. Strings owned by the
 * returned list. */
char **
step_policy_env(const agent_config_t *cfg, const Rota__Dispatch *d, const step_policy_user_t *u)
{
	const Rota__StepSpec *spec = d->spec;
	const Rota__ShellSpec *sh =
	    spec->kind_case == ROTA__STEP_SPEC__KIND_SHELL ? spec->shell : NULL;
	size_t npass = 0;
	while (cfg->pass_env && cfg->pass_env[npass])
		npass++;
	size_t cap = 16 + npass + (sh ? sh->n_env : 0) + spec->n_secret_env;
	char **env = xcalloc(cap + 1, sizeof(*env));
	size_t n = 0;
	env[n++] = xasprintf("PATH=%s", AGENT_STEP_PATH);
	env[n++] = xasprintf("HOME=%s", u->home);
	env[n++] = xasprintf("USER=%s", u->name);
	env[n++] = xasprintf("LOGNAME=%s", u->name);
	for (size_t i = 0; i < npass; i++) {
		const char *v = getenv(cfg->pass_env[i]);
		if (v != NULL)
			env[n++] = xasprintf("%s=%s", cfg->pass_env[i], v);
	}
	env[n++] = xasprintf("ROTA_RUN_ID=%s", d->key->run_id);
	env[n++] = xasprintf("ROTA_STEP_ID=%s", d->key->step_id);
	env[n++] = xasprintf("ROTA_ATTEMPT=%u", d->key->attempt);
	env[n++] = xasprintf("ROTA_HOST=%s", cfg->id);
	env[n++] = xasprintf("ROTA_RUNBOOK=%s", spec->runbook ? spec->runbook : "");
	for (size_t i = 0; sh && i < sh->n_env; i++)
		env[n++] = xasprintf("%s=%s", sh->env[i]->key, sh->env[i]->value);
	for (size_t i = 0; i < spec->n_secret_env; i++)
		env[n++] = xasprintf("%s=%s", spec->secret_env[i]->key, spec->secret_env[i]->value);
	env[n] = NULL;
	return env;
}

void
step_policy_env_free(char **env)
{
	for (size_t i = 0; env && env[i]; i++) {
		explicit_bzero(env[i], strlen(env[i])); /* may hold a secret */
		free(env[i]);
	}
	free(env);
}
