/* step_policy: what a step may do on this worker (docs/security.md), as
 * functions of the worker's configuration and the step's spec: which
 * runbooks and step types it accepts (--allow-runbooks, --allow-adhoc,
 * --allow-step-types), which user a step runs as (--allow-user), where it
 * runs (--workdir) and the whole environment it gets (--pass-env).
 *
 * No state of its own: the agent asks, and records a refusal's reason as
 * the step's detail. Reads only the passwd and group databases, the file
 * system (realpath) and the worker's environment (for --pass-env).
 *
 * Must never: let a step out of the configured bounds (a run_as not
 * allowed, a workdir outside --workdir, a variable not named in
 * --pass-env), nor run anything itself. */
#ifndef ROTA_STEP_POLICY_H
#define ROTA_STEP_POLICY_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "agent.h"
#include "rota.pb-c.h"

/* Who a step runs as, resolved before the fork (getpwnam and getgrouplist
 * are not async-signal-safe). */
typedef struct {
	char name[64];
	char home[PATH_MAX];
	bool switch_ids;
	uid_t uid;
	gid_t gid;
	gid_t *groups; /* owned */
	int ngroups;
} step_policy_user_t;

/* This worker's own rules (--allow-runbooks, --allow-adhoc,
 * --allow-step-types): true when they refuse spec, with the reason in why
 * (the step never runs, and the reason is its recorded detail). */
bool step_policy_refuses(const agent_config_t *cfg, const Rota__StepSpec *spec, char *why,
                         size_t len);

/* Fills u for run_as ("" = the worker's own user). -1 with why when the
 * step may not, or cannot, run as that user. u->groups is the caller's to
 * free, whatever the answer. */
int step_policy_user(const agent_config_t *cfg, const char *run_as, step_policy_user_t *u,
                     char *why, size_t len);

/* Where the step runs, into out: the worker's --workdir, or want when that
 * is inside it (resolved, so no '..' or symlink leads out). -1 with why
 * when want is outside. A want that does not exist is passed on as it is,
 * for chdir to report. */
int step_policy_workdir(const agent_config_t *cfg, const char *want, char *out, size_t len,
                        char *why, size_t whylen);

/* The whole environment of a step (exec_spec_t.env_only): a fixed PATH,
 * u's HOME/USER/LOGNAME, the variables --pass-env names, ROTA_* about the
 * step, the shell step's env, then its secrets. NULL-terminated; the list
 * and its strings are the caller's, freed with step_policy_env_free. */
char **step_policy_env(const agent_config_t *cfg, const Rota__Dispatch *d,
                       const step_policy_user_t *u);
/* Frees an environment of step_policy_env, wiping each string first (it
 * may hold a secret). NULL is fine. */
void step_policy_env_free(char **env);

#endif
