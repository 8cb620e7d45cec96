/* preflight: rota-coordinator --check (see preflight.h). */
#include "preflight.h"

#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "config.h"
#include "keys.h"
#include "redirect.h"
#include "security/security.h"
#include "xalloc.h"

/* Prints every line of a multi-line message, each as its own problem. */
static size_t
preflight_print_lines(FILE *err, const char *text)
{
	size_t n = 0;
	const char *p = text;
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (len > 0) {
			fprintf(err, "%.*s\n", (int)len, p);
			n++;
		}
		p = nl ? nl + 1 : NULL;
	}
	return n;
}

/* The config file: config_load names file:line:column in its message. */
static size_t
preflight_config(const coordinator_config_t *cfg, FILE *err, config_t **out)
{
	char *error = NULL; /* owned */
	*out = cfg->config_path ? config_load(cfg->config_path, &error) : config_default();
	if (*out != NULL)
		return 0;
	size_t n = preflight_print_lines(err, error);
	free(error);
	return n ? n : 1;
}

/* What a notify step or an escalation names that the config does not
 * have: valid at start, a surprise at 3 a.m., so a warning. */
static void
preflight_runbook_names(const config_t *config, const runbook_t *rb, FILE *err, size_t *warnings)
{
	const config_policy_t *pol = config_policy(config, rb->escalation);
	if (rb->escalation && strcmp(rb->escalation, "default") != 0 &&
	    (pol == NULL || strcmp(pol->name, rb->escalation) != 0)) {
		fprintf(err,
		        "%s: warning: escalation policy '%s' is not in the configuration;"
		        " %s\n",
		        rb->path, rb->escalation,
		        pol ? "the default policy is used" : "its incidents notify no one");
		(*warnings)++;
	}
	for (size_t i = 0; i < rb->step_count; i++) {
		const runbook_step_t *s = &rb->steps[i];
		if (s->type != RUNBOOK_STEP_NOTIFY || s->channel == NULL || s->channel[0] == '\0' ||
		    strstr(s->channel, "{{") != NULL ||
		    config_channel(config, s->channel) != NULL ||
		    (strncmp(s->channel, CONFIG_ONCALL_PREFIX, strlen(CONFIG_ONCALL_PREFIX)) == 0 &&
		     config_rotation(config, s->channel + strlen(CONFIG_ONCALL_PREFIX)) != NULL))
			continue;
		fprintf(err,
		        "%s:%d:%d: warning: step '%s' notifies channel '%s', which is not in"
		        " the configuration; the step will fail\n",
		        rb->path, s->mark.line, s->mark.column, s->id, s->channel);
		(*warnings)++;
	}
}

/* Every runbook file, with all of each file's errors. */
static size_t
preflight_runbooks(const coordinator_config_t *cfg, const config_t *config, FILE *err,
                   size_t *loaded, size_t *warnings)
{
	char *error = NULL; /* owned */
	catalog_t *cat = catalog_load(cfg->runbooks_dir, NULL, NULL, &error);
	if (cat == NULL) {
		fprintf(err, "%s: %s\n", cfg->runbooks_dir, error);
		free(error);
		return 1;
	}
	size_t n = 0;
	for (size_t i = 0; i < catalog_invalid(cat); i++)
		n += preflight_print_lines(err, catalog_problem_at(cat, i)->errors);
	*loaded = catalog_count(cat);
	/* A start logs them (log is off here); said as rota lint says them. */
	for (size_t i = 0; i < *loaded; i++) {
		const runbook_errors_t *w = &catalog_at(cat, i)->rb->warnings;
		for (size_t k = 0; k < w->count; k++, (*warnings)++)
			fprintf(err, "%s:%d:%d: warning: %s\n", w->items[k].file, w->items[k].line,
			        w->items[k].column, w->items[k].message);
	}
	/* Without a configuration file notifications are only logged: that
	 * is a choice, not a mistake. */
	for (size_t i = 0; config != NULL && cfg->config_path != NULL && i < *loaded; i++)
		preflight_runbook_names(config, catalog_at(cat, i)->rb, err, warnings);
	catalog_destroy(&cat);
	return n;
}

/* The coordinator's key, the admitted workers and operators, the HTTP
 * token: what coordinator_new reads, read the same way. */
static size_t
preflight_keys(const coordinator_config_t *cfg, const config_t *config, FILE *err, size_t *workers,
               size_t *operators)
{
	size_t n = 0;
	char *error = NULL; /* owned, per check */
	if (cfg->key_file != NULL) {
		keys_pair_t pair;
		if (keys_load_secret(cfg->key_file, &pair, &error) != 0) {
			fprintf(err, "%s: %s\n", cfg->key_file, error);
			free(error);
			error = NULL;
			n++;
		}
		keys_wipe(&pair);
		keyring_t *ring = keyring_load(cfg->workers_dir, cfg->operators_file, &error);
		if (ring == NULL) {
			n += preflight_print_lines(err, error);
			free(error);
			error = NULL;
		} else {
			*workers = keyring_worker_count(ring);
			*operators = keyring_operator_count(ring);
			keyring_destroy(&ring);
		}
	}
	/* Without a key the endpoints stay on loopback (unless --insecure):
	 * the rule security_new applies. */
	const char *far = NULL;
	if (security_check_endpoints(cfg->key_file, cfg->worker_endpoint, cfg->api_endpoint,
	                             cfg->insecure, &far, &error) != 0) {
		fprintf(err, "%s\n", error);
		free(error);
		error = NULL;
		n++;
	}
	/* --advertise-*: what start refuses of them, by the same code. */
	if (redirect_advertise_check(cfg, &error) != 0) {
		fprintf(err, "%s\n", error);
		free(error);
		error = NULL;
		n++;
	}
	/* HTTP: the decision start makes (address, token, loopback), made by
	 * the same function; nothing of it when HTTP is off. A configuration
	 * that did not load is reported already. */
	coordinator_http_plan_t plan; /* owns its strings */
	if (config != NULL) {
		if (coordinator_http_plan(cfg, config, cfg->key_file != NULL, &plan, &error) != 0) {
			fprintf(err, "%s\n", error);
			free(error);
			n++;
		} else {
			coordinator_http_plan_clear(&plan);
		}
	}
	return n;
}

/* The store start would open: --store, ROTA_STORE or store:, and its
 * password file, decided by the start's own function. Connecting is left
 * to the start: --check reads files, it does not reach other machines. */
static size_t
preflight_store(const coordinator_config_t *cfg, const config_t *config, FILE *err, bool *pg)
{
	coordinator_store_plan_t plan; /* owns its strings */
	char *error = NULL;            /* owned */
	if (coordinator_store_plan(cfg, config, &plan, &error) != 0) {
		fprintf(err, "%s\n", error);
		free(error);
		return 1;
	}
	*pg = plan.target != NULL;
	coordinator_store_plan_clear(&plan);
	return 0;
}

int
preflight_run(const coordinator_config_t *cfg, FILE *out, FILE *err)
{
	config_t *config = NULL; /* owned */
	size_t loaded = 0, warnings = 0, workers = 0, operators = 0;
	size_t errors = preflight_config(cfg, err, &config);
	errors += preflight_runbooks(cfg, config, err, &loaded, &warnings);
	errors += preflight_keys(cfg, config, err, &workers, &operators);
	bool pg = false;
	errors += preflight_store(cfg, config, err, &pg);
	if (errors > 0) {
		fprintf(err, "rota-coordinator: %zu error%s in the configuration\n", errors,
		        errors == 1 ? "" : "s");
	} else {
		fprintf(out, "configuration OK: %zu runbook%s", loaded, loaded == 1 ? "" : "s");
		if (config != NULL)
			fprintf(out, ", %zu channel%s, %zu polic%s", config->channel_count,
			        config->channel_count == 1 ? "" : "s", config->policy_count,
			        config->policy_count == 1 ? "y" : "ies");
		if (config != NULL && (config->people_count > 0 || config->rotation_count > 0))
			fprintf(out, ", %zu %s, %zu rotation%s", config->people_count,
			        config->people_count == 1 ? "person" : "people",
			        config->rotation_count, config->rotation_count == 1 ? "" : "s");
		if (cfg->key_file != NULL)
			fprintf(out, ", %zu worker%s and %zu operator%s admitted", workers,
			        workers == 1 ? "" : "s", operators, operators == 1 ? "" : "s");
		else
			fprintf(out, ", no key (loopback only, no CURVE)");
		if (pg)
			fprintf(out, ", store on PostgreSQL");
		fprintf(out, "%s\n", warnings ? "; see the warnings above" : "");
	}
	config_destroy(&config);
	return errors > 0 ? 1 : 0;
}
