/* test_step_policy: what a step may do on a worker: the runbooks and step
 * types it accepts (ad-hoc runs included), who it runs as, where it runs
 * and the whole environment it gets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "step_policy.h"

static agent_config_t
config(void)
{
	agent_config_t cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.id = "w1";
	return cfg;
}

static Rota__StepSpec
shell_spec(Rota__ShellSpec *sh, const char *runbook)
{
	Rota__StepSpec spec = ROTA__STEP_SPEC__INIT;
	spec.kind_case = ROTA__STEP_SPEC__KIND_SHELL;
	spec.shell = sh;
	spec.runbook = (char *)runbook;
	return spec;
}

/* Asserts that the worker of cfg accepts spec. */
static void
accepts(const agent_config_t *cfg, const Rota__StepSpec *spec)
{
	char why[512] = "";
	assert_false(step_policy_refuses(cfg, spec, why, sizeof(why)));
}

/* Asserts that the worker of cfg refuses spec, saying want (NULL: any
 * reason). */
static void
refuses(const agent_config_t *cfg, const Rota__StepSpec *spec, const char *want)
{
	char why[512] = "";
	assert_true(step_policy_refuses(cfg, spec, why, sizeof(why)));
	if (want != NULL)
		assert_string_equal(why, want);
}

/* ---- runbooks and step types ------------------------------------------ */

static void
test_no_rules_accept_all(void **state)
{
	agent_config_t cfg = config();
	Rota__ShellSpec sh = ROTA__SHELL_SPEC__INIT;
	Rota__StepSpec spec = shell_spec(&sh, "");
	(void)state;
	accepts(&cfg, &spec);
	spec.adhoc = true;
	spec.runbook = "adhoc:x";
	accepts(&cfg, &spec);
	const char *empty[] = {NULL};
	cfg.allow_types = empty;
	cfg.allow_runbooks = empty;
	accepts(&cfg, &spec);
}

static void
test_step_types(void **state)
{
	agent_config_t cfg = config();
	const char *types[] = {"shell", "disk_check", NULL};
	Rota__ShellSpec sh = ROTA__SHELL_SPEC__INIT;
	Rota__StepSpec spec = shell_spec(&sh, "db");
	(void)state;
	cfg.allow_types = types;
	accepts(&cfg, &spec);
	spec.kind_case = ROTA__STEP_SPEC__KIND_HTTP_CHECK;
	refuses(&cfg, &spec,
	        "worker w1 does not accept http_check steps"
	        " (--allow-step-types shell, disk_check)");
	spec.kind_case = ROTA__STEP_SPEC__KIND_NOOP;
	refuses(&cfg, &spec,
	        "worker w1 does not accept noop steps"
	        " (--allow-step-types shell, disk_check)");
}

static void
test_runbook_globs(void **state)
{
	agent_config_t cfg = config();
	const char *globs[] = {"db-*", "web", NULL};
	Rota__ShellSpec sh = ROTA__SHELL_SPEC__INIT;
	Rota__StepSpec spec = shell_spec(&sh, "db-backup");
	(void)state;
	cfg.allow_runbooks = globs;
	accepts(&cfg, &spec);
	spec.runbook = "web";
	accepts(&cfg, &spec);
	spec.runbook = "webshop";
	refuses(&cfg, &spec,
	        "worker w1 does not accept runbook webshop (--allow-runbooks db-*, web)");
	/* No name matches no glob, not even "*". */
	const char *all[] = {"*", NULL};
	cfg.allow_runbooks = all;
	spec.runbook = "";
	refuses(&cfg, &spec, "worker w1 does not accept runbook (unnamed) (--allow-runbooks *)");
	spec.runbook = NULL;
	refuses(&cfg, &spec, NULL);
}

static void
test_adhoc(void **state)
{
	agent_config_t cfg = config();
	const char *all[] = {"*", NULL};
	Rota__ShellSpec sh = ROTA__SHELL_SPEC__INIT;
	Rota__StepSpec spec = shell_spec(&sh, "adhoc:fix");
	char why[512];
	(void)state;
	spec.adhoc = true;
	/* A glob that matches every name still does not admit an ad-hoc run. */
	cfg.allow_runbooks = all;
	refuses(&cfg, &spec,
	        "worker w1 does not accept ad-hoc runs (adhoc:fix, a submitted"
	        " file; --allow-runbooks * without --allow-adhoc)");
	spec.runbook = NULL;
	assert_true(step_policy_refuses(&cfg, &spec, why, sizeof(why)));
	assert_non_null(strstr(why, "ad-hoc runs (?, a submitted file"));
	cfg.allow_adhoc = true;
	accepts(&cfg, &spec);
	/* --allow-adhoc admits ad-hoc runs only: a runbook still needs a glob. */
	const char *db[] = {"db-*", NULL};
	cfg.allow_runbooks = db;
	spec.adhoc = false;
	spec.runbook = "web";
	refuses(&cfg, &spec, NULL);
}

/* ---- the user ------------------------------------------------------------ */

static void
test_user_own(void **state)
{
	agent_config_t cfg = config();
	step_policy_user_t u;
	char why[512];
	(void)state;
	assert_int_equal(step_policy_user(&cfg, "", &u, why, sizeof(why)), 0);
	assert_false(u.switch_ids);
	assert_null(u.groups);
	struct passwd *pw = getpwuid(geteuid());
	if (pw != NULL) {
		assert_string_equal(u.name, pw->pw_name);
		assert_string_equal(u.home, pw->pw_dir);
		/* Allowed by name and already that user: nothing to switch. */
		const char *users[] = {pw->pw_name, NULL};
		cfg.allow_users = users;
		char name[64];
		snprintf(name, sizeof(name), "%s", pw->pw_name);
		assert_int_equal(step_policy_user(&cfg, name, &u, why, sizeof(why)), 0);
		assert_false(u.switch_ids);
		assert_string_equal(u.name, name);
	}
	free(u.groups);
}

static void
test_user_not_allowed(void **state)
{
	agent_config_t cfg = config();
	step_policy_user_t u;
	char why[512];
	(void)state;
	assert_int_equal(step_policy_user(&cfg, "nobody", &u, why, sizeof(why)), -1);
	assert_string_equal(why, "worker w1 does not allow steps to run as nobody"
	                         " (--allow-user: none)");
	const char *users[] = {"alice", "bob", NULL};
	cfg.allow_users = users;
	assert_int_equal(step_policy_user(&cfg, "nobody", &u, why, sizeof(why)), -1);
	assert_string_equal(why, "worker w1 does not allow steps to run as nobody"
	                         " (--allow-user: alice, bob)");
	free(u.groups);
}

static void
test_user_unknown(void **state)
{
	agent_config_t cfg = config();
	const char *users[] = {"rota-no-such-user-x", NULL};
	step_policy_user_t u;
	char why[512];
	(void)state;
	cfg.allow_users = users;
	assert_int_equal(step_policy_user(&cfg, "rota-no-such-user-x", &u, why, sizeof(why)), -1);
	assert_string_equal(why, "worker w1 has no user rota-no-such-user-x");
	free(u.groups);
}

static void
test_user_other(void **state)
{
	agent_config_t cfg = config();
	const char *users[] = {"nobody", NULL};
	step_policy_user_t u;
	char why[512];
	(void)state;
	struct passwd *pw = getpwnam("nobody");
	if (pw == NULL || pw->pw_uid == geteuid())
		skip();
	uid_t uid = pw->pw_uid;
	cfg.allow_users = users;
	int rc = step_policy_user(&cfg, "nobody", &u, why, sizeof(why));
	if (geteuid() == 0) {
		/* Root switches to the user, with its groups. */
		assert_int_equal(rc, 0);
		assert_true(u.switch_ids);
		assert_int_equal(u.uid, uid);
		assert_true(u.ngroups >= 1);
		assert_non_null(u.groups);
	} else {
		assert_int_equal(rc, -1);
		char want[256];
		snprintf(want, sizeof(want),
		         "worker w1 runs as uid %u, not root, so it cannot run a step as nobody",
		         (unsigned)geteuid());
		assert_string_equal(why, want);
	}
	free(u.groups);
}

/* ---- the workdir --------------------------------------------------------- */

typedef struct {
	char root[PATH_MAX + 16];  /* the worker's --workdir */
	char outer[PATH_MAX + 16]; /* a directory beside it */
} dirs_t;

static int
dirs_setup(void **state)
{
	dirs_t *d = calloc(1, sizeof(*d));
	char base[] = "/tmp/rota-policy-XXXXXX";
	if (d == NULL || mkdtemp(base) == NULL)
		return -1;
	/* Resolved, as the answers are. */
	char real[PATH_MAX];
	if (realpath(base, real) == NULL)
		return -1;
	snprintf(d->root, sizeof(d->root), "%s/root", real);
	snprintf(d->outer, sizeof(d->outer), "%s/outer", real);
	char sub[PATH_MAX + 32], link[PATH_MAX + 32];
	snprintf(sub, sizeof(sub), "%s/sub", d->root);
	snprintf(link, sizeof(link), "%s/out", d->root);
	if (mkdir(d->root, 0700) != 0 || mkdir(d->outer, 0700) != 0 || mkdir(sub, 0700) != 0 ||
	    symlink(d->outer, link) != 0)
		return -1;
	*state = d;
	return 0;
}

static int
dirs_teardown(void **state)
{
	dirs_t *d = *state;
	char cmd[PATH_MAX * 2];
	char *slash = strrchr(d->root, '/');
	*slash = '\0';
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->root);
	int rc = system(cmd);
	free(d);
	return rc == 0 ? 0 : -1;
}

static void
test_workdir(void **state)
{
	dirs_t *d = *state;
	agent_config_t cfg = config();
	char out[PATH_MAX], why[512], want[PATH_MAX * 2];

	/* No --workdir: "/" and anything in it. */
	assert_int_equal(step_policy_workdir(&cfg, NULL, out, sizeof(out), why, sizeof(why)), 0);
	assert_string_equal(out, "/");
	assert_int_equal(step_policy_workdir(&cfg, d->outer, out, sizeof(out), why, sizeof(why)),
	                 0);
	assert_string_equal(out, d->outer);

	cfg.workdir = d->root;
	assert_int_equal(step_policy_workdir(&cfg, "", out, sizeof(out), why, sizeof(why)), 0);
	assert_string_equal(out, d->root);
	snprintf(want, sizeof(want), "%s/sub", d->root);
	assert_int_equal(step_policy_workdir(&cfg, want, out, sizeof(out), why, sizeof(why)), 0);
	assert_string_equal(out, want);
	/* Resolved: '..' and a symlink that lead out are outside. */
	snprintf(want, sizeof(want), "%s/sub/../../outer", d->root);
	assert_int_equal(step_policy_workdir(&cfg, want, out, sizeof(out), why, sizeof(why)), -1);
	char msg[PATH_MAX * 4];
	snprintf(msg, sizeof(msg), "workdir %s is outside this worker's --workdir %s", want,
	         d->root);
	assert_string_equal(why, msg);
	snprintf(want, sizeof(want), "%s/out", d->root);
	assert_int_equal(step_policy_workdir(&cfg, want, out, sizeof(out), why, sizeof(why)), -1);
	/* A prefix is not a parent: /x/root2 is not inside /x/root. */
	snprintf(want, sizeof(want), "%s2", d->root);
	assert_int_equal(mkdir(want, 0700), 0);
	assert_int_equal(step_policy_workdir(&cfg, want, out, sizeof(out), why, sizeof(why)), -1);
	rmdir(want);
	/* One that does not exist is left for chdir to report. */
	assert_int_equal(
	    step_policy_workdir(&cfg, "/rota/no/such/dir", out, sizeof(out), why, sizeof(why)), 0);
	assert_string_equal(out, "/rota/no/such/dir");
}

/* ---- the environment ----------------------------------------------------- */

static size_t
env_count(char **env)
{
	size_t n = 0;
	while (env[n])
		n++;
	return n;
}

static void
test_env(void **state)
{
	agent_config_t cfg = config();
	const char *pass[] = {"ROTA_TEST_PASSED", "ROTA_TEST_UNSET", NULL};
	Rota__Label e1 = ROTA__LABEL__INIT, e2 = ROTA__LABEL__INIT, s1 = ROTA__LABEL__INIT;
	Rota__Label *envs[] = {&e1, &e2}, *secrets[] = {&s1};
	Rota__ShellSpec sh = ROTA__SHELL_SPEC__INIT;
	Rota__StepSpec spec = shell_spec(&sh, "db-backup");
	Rota__StepKey key = ROTA__STEP_KEY__INIT;
	Rota__Dispatch d = ROTA__DISPATCH__INIT;
	step_policy_user_t u;
	(void)state;
	e1.key = "A";
	e1.value = "1";
	e2.key = "PATH"; /* the step's own env comes after the fixed one */
	e2.value = "/mine";
	s1.key = "TOKEN";
	s1.value = "s3cret";
	sh.n_env = 2;
	sh.env = envs;
	spec.n_secret_env = 1;
	spec.secret_env = secrets;
	key.run_id = "r1";
	key.step_id = "s1";
	key.attempt = 2;
	d.key = &key;
	d.spec = &spec;
	memset(&u, 0, sizeof(u));
	snprintf(u.name, sizeof(u.name), "alice");
	snprintf(u.home, sizeof(u.home), "/home/alice");
	cfg.pass_env = pass;
	setenv("ROTA_TEST_PASSED", "yes", 1);
	unsetenv("ROTA_TEST_UNSET");
	setenv("ROTA_TEST_NOT_PASSED", "no", 1);

	char **env = step_policy_env(&cfg, &d, &u);
	const char *want[] = {
	    ("PATH=" AGENT_STEP_PATH),
	    "HOME=/home/alice",
	    "USER=alice",
	    "LOGNAME=alice",
	    "ROTA_TEST_PASSED=yes",
	    "ROTA_RUN_ID=r1",
	    "ROTA_STEP_ID=s1",
	    "ROTA_ATTEMPT=2",
	    "ROTA_HOST=w1",
	    "ROTA_RUNBOOK=db-backup",
	    "A=1",
	    "PATH=/mine",
	    "TOKEN=s3cret",
	};
	assert_int_equal(env_count(env), sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_string_equal(env[i], want[i]);
	step_policy_env_free(env);

	/* Not a shell step: no step env, the secrets still. */
	spec.kind_case = ROTA__STEP_SPEC__KIND_NOOP;
	spec.runbook = NULL;
	cfg.pass_env = NULL;
	env = step_policy_env(&cfg, &d, &u);
	assert_int_equal(env_count(env), 10);
	assert_string_equal(env[8], "ROTA_RUNBOOK=");
	assert_string_equal(env[9], "TOKEN=s3cret");
	step_policy_env_free(env);
	step_policy_env_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_no_rules_accept_all),
	    cmocka_unit_test(test_step_types),
	    cmocka_unit_test(test_runbook_globs),
	    cmocka_unit_test(test_adhoc),
	    cmocka_unit_test(test_user_own),
	    cmocka_unit_test(test_user_not_allowed),
	    cmocka_unit_test(test_user_unknown),
	    cmocka_unit_test(test_user_other),
	    cmocka_unit_test_setup_teardown(test_workdir, dirs_setup, dirs_teardown),
	    cmocka_unit_test(test_env),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
