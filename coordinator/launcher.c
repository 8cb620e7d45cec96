/* launcher: builds runs from runbooks (see launcher.h). */
#include "launcher.h"
#include "launcher_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "incidents/incidents.h"
#include "log.h"
#include "maintenance.h"
#include "services.h"
#include "strlist.h"
#include "template.h"
#include "xalloc.h"

/* launcher_targets: nothing to run on but workers stopped on purpose. */
#define LAUNCHER_ALL_STOPPED 1

/* What run ids are made of (launcher_run_id): changed by each id made, so
 * kept apart from the launcher, whose functions take it const. */
typedef struct {
	uint32_t count;        /* ids made by this process */
	int64_t last_second;   /* the latest wall-clock second an id was made in */
	uint32_t second_first; /* count at the first id of last_second */
} launcher_ids_t;

struct launcher {
	services_t *svc;     /* borrowed: the store, registry, dispatcher and output cap */
	launcher_ids_t *ids; /* owned */
};

launcher_t *
launcher_new(services_t *svc)
{
	launcher_t *l = xcalloc(1, sizeof(*l));
	l->svc = svc;
	l->ids = xcalloc(1, sizeof(*l->ids));
	return l;
}

services_t *
launcher_services(const launcher_t *l)
{
	return l->svc;
}

void
launcher_destroy(launcher_t **lp)
{
	if (*lp != NULL)
		free((*lp)->ids);
	free(*lp);
	*lp = NULL;
}

void
launch_result_clear(launch_result_t *out)
{
	for (size_t i = 0; i < out->host_count; i++)
		free(out->hosts[i]);
	free(out->hosts);
	free(out->error);
	memset(out, 0, sizeof(*out));
}

void
launcher_run_id(const launcher_t *l, char *buf, size_t len)
{
	/* Unique by construction, so that no query stands between a submit
	 * and its answer (a waited round trip on PostgreSQL): the second,
	 * then the epoch's low byte (a new one at every start, resync and
	 * lease) and this process's count of ids. Two ids of one process
	 * differ in their count unless 65,536 runs start within one second;
	 * two processes differ in their epoch. Only a wall clock stepped back
	 * (a second this process already used comes again) or a count gone
	 * round within one second can repeat an id, so only then is the
	 * store asked, as every id once was; the store's primary key would
	 * refuse the impossible rest (epochs 256 apart in the same second). */
	launcher_ids_t *ids = l->ids;
	int64_t second = clock_wall_ms() / 1000;
	if (second > ids->last_second) {
		ids->last_second = second;
		ids->second_first = ids->count;
	}
	bool replayed = second < ids->last_second;
	do {
		replayed = replayed || ids->count - ids->second_first > 0xffff;
		time_t t = (time_t)second;
		struct tm tm;
		gmtime_r(&t, &tm);
		char stamp[20];
		strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
		uint32_t n = ids->count++;
		snprintf(buf, len, "%s-%02x%04x", stamp, (unsigned)(l->svc->epoch & 0xff),
		         (unsigned)(n & 0xffff));
	} while (dispatcher_find_run(l->svc->dispatcher, buf) != NULL ||
	         (replayed && store_run_exists(l->svc->store, buf)));
}

/* ---- targets ----------------------------------------------------------- */

/* One label term: the host's value must be one of values. */
typedef struct {
	const char *key;
	const char *const *values;
	size_t count;
} term_t;

static bool
launcher_matches(const worker_t *w, const term_t *terms, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		const char *v = registry_label(w, terms[k].key);
		bool any = false;
		for (size_t i = 0; v != NULL && i < terms[k].count && !any; i++)
			any = strcmp(v, terms[k].values[i]) == 0;
		if (!any)
			return false;
	}
	return true;
}

static char *
launcher_connected_list(registry_t *reg)
{
	strlist_t connected = {0};
	for (size_t i = 0; i < registry_count(reg); i++) {
		worker_t *w = registry_at(reg, i);
		if (!w->connected)
			continue;
		char *labels = registry_labels_string(w);
		strlist_add(&connected,
		            labels[0] ? xasprintf("%s (%s)", w->id, labels) : xstrdup(w->id));
		free(labels);
	}
	char *known = strlist_join(&connected, "none");
	strlist_free(&connected);
	return known;
}

/* Where a matching worker goes: a worker stopped on purpose (it said
 * Goodbye and went silent) is skipped, and so is one in a maintenance
 * window of maint (NULL: none counted); one silent without a word is
 * unreachable. A connected one that is stopping is a host: its orders are
 * held until it is back (it drains). */
static strlist_t *
launcher_list_for(const worker_t *w, const maint_set_t *maint, strlist_t *hosts,
                  strlist_t *unreachable, strlist_t *stopped)
{
	if (maintenance_covering(maint, w) != NULL)
		return stopped;
	if (w->connected)
		return hosts;
	return w->stopping ? stopped : unreachable;
}

/* Resolves targets into connected hosts, known-but-disconnected ones and
 * stopped ones. Host ids name one worker each; label terms all have to
 * match. -1 with *error when a host id is unknown or nothing connected
 * matches. */
/* The targets of a runbook that runs on the coordinator: its one pseudo-
 * host, which no worker has to be connected for. --target may only name
 * it. A maintenance window on "all" covers it (a scheduled or alert run is
 * skipped, a manual one needs --force); a window on a host or a label never
 * does: the coordinator is neither. */
static int
launcher_targets_coordinator(const launch_t *req, const maint_set_t *maint, strlist_t *hosts,
                             strlist_t *stopped, char **error)
{
	for (size_t i = 0; i < req->n_targets; i++) {
		if (strcmp(req->targets[i], RUNBOOK_COORDINATOR_HOST) == 0)
			continue;
		*error =
		    xasprintf("runbook %s runs on the coordinator (targets: { coordinator: true"
		              " }), not on workers: --target %s does not apply (leave"
		              " --target out)",
		              req->rb->name, req->targets[i]);
		return -1;
	}
	const maint_window_t *mw = maintenance_covering_all(maint);
	if (mw == NULL) {
		strlist_add(hosts, xstrdup(RUNBOOK_COORDINATOR_HOST));
		return 0;
	}
	strlist_add(stopped, xstrdup(RUNBOOK_COORDINATOR_HOST));
	char *what = maintenance_describe(mw);
	*error = xasprintf("the runbook runs on the coordinator, and every host is in"
	                   " maintenance, %s",
	                   what);
	free(what);
	return LAUNCHER_ALL_STOPPED;
}

static int
launcher_targets(const launcher_t *l, const launch_t *req, const maint_set_t *maint,
                 strlist_t *hosts, strlist_t *unreachable, strlist_t *stopped, char **error)
{
	const runbook_t *rb = req->rb;
	if (rb->targets.coordinator)
		return launcher_targets_coordinator(req, maint, hosts, stopped, error);
	strlist_t ids = {0};
	term_t *terms = NULL;
	size_t nterms = 0;
	bool all = false;
	const char **cli_values = xcalloc(req->n_targets + 1, sizeof(*cli_values));
	strlist_t cli_keys = {0};
	int rc = 0;

	if (req->n_targets > 0) {
		terms = xcalloc(req->n_targets, sizeof(*terms));
		for (size_t i = 0; i < req->n_targets; i++) {
			const char *t = req->targets[i];
			const char *eq = strchr(t, '=');
			if (strcmp(t, "all") == 0) {
				all = true;
			} else if (eq) {
				strlist_add(&cli_keys, xstrndup(t, (size_t)(eq - t)));
				cli_values[nterms] = eq + 1;
				terms[nterms].key = cli_keys.items[cli_keys.count - 1];
				terms[nterms].values = &cli_values[nterms];
				terms[nterms].count = 1;
				nterms++;
			} else {
				strlist_add(&ids, xstrdup(t));
			}
		}
	} else {
		all = rb->targets.all;
		for (size_t i = 0; i < rb->targets.host_count; i++)
			strlist_add(&ids, xstrdup(rb->targets.hosts[i]));
		terms = xcalloc(rb->targets.label_count + 1, sizeof(*terms));
		for (size_t i = 0; i < rb->targets.label_count; i++) {
			terms[nterms].key = rb->targets.labels[i].key;
			terms[nterms].values = (const char *const *)rb->targets.labels[i].values;
			terms[nterms].count = rb->targets.labels[i].value_count;
			nterms++;
		}
	}

	/* The list of connected workers is for error messages only, and
	 * costs O(fleet): built only on the paths that refuse. */
	char *known = NULL;
	if (!all && ids.count == 0 && nterms == 0) {
		known = launcher_connected_list(l->svc->registry);
		*error = xasprintf("runbook %s names no targets; pass --target WORKER_ID or "
		                   "--target label=value (connected workers: %s)",
		                   rb->name, known);
		rc = -1;
		goto out;
	}
	for (size_t i = 0; i < ids.count; i++) {
		worker_t *w = registry_find(l->svc->registry, ids.items[i]);
		if (w == NULL) {
			known = launcher_connected_list(l->svc->registry);
			*error = xasprintf("worker '%s' is unknown (connected workers: %s)",
			                   ids.items[i], known);
			rc = -1;
			goto out;
		}
		strlist_t *into = launcher_list_for(w, maint, hosts, unreachable, stopped);
		if (!strlist_has(into, w->id))
			strlist_add(into, xstrdup(w->id));
	}
	if (all || nterms > 0) {
		for (size_t i = 0; i < registry_count(l->svc->registry); i++) {
			worker_t *w = registry_at(l->svc->registry, i);
			if (!launcher_matches(w, terms, nterms))
				continue;
			strlist_t *into = launcher_list_for(w, maint, hosts, unreachable, stopped);
			/* The registry lists each id once: only ids named
			 * outright can be there already. Without the check a
			 * fan-out to N hosts was O(N^2) string compares. */
			if (ids.count == 0 ||
			    (!strlist_has(hosts, w->id) && !strlist_has(unreachable, w->id) &&
			     !strlist_has(stopped, w->id)))
				strlist_add(into, xstrdup(w->id));
		}
	}
	if (hosts->count == 0 && unreachable->count == 0 && stopped->count > 0) {
		char *gone = strlist_join(stopped, "");
		const worker_t *first = registry_find(l->svc->registry, stopped->items[0]);
		const maint_window_t *mw = first ? maintenance_covering(maint, first) : NULL;
		if (mw != NULL) {
			char *what = maintenance_describe(mw);
			*error =
			    xasprintf("every worker it targets is in maintenance or stopped: %s;"
			              " %s is in %s",
			              gone, first->id, what);
			free(what);
		} else {
			*error =
			    xasprintf("every worker it targets is stopped (it said Goodbye): %s;"
			              " start them, or rota workers remove those retired",
			              gone);
		}
		free(gone);
		rc = LAUNCHER_ALL_STOPPED;
	} else if (hosts->count == 0) {
		strlist_t want = {0};
		for (size_t k = 0; k < ids.count; k++)
			strlist_add(&want, xstrdup(ids.items[k]));
		for (size_t k = 0; k < nterms; k++) {
			char *vals = NULL;
			for (size_t v = 0; v < terms[k].count; v++) {
				char *next = vals ? xasprintf("%s|%s", vals, terms[k].values[v])
				                  : xstrdup(terms[k].values[v]);
				free(vals);
				vals = next;
			}
			strlist_add(&want, xasprintf("%s=%s", terms[k].key, vals ? vals : ""));
			free(vals);
		}
		char *w = strlist_join(&want, "all");
		char *gone = strlist_join(unreachable, "");
		known = launcher_connected_list(l->svc->registry);
		*error =
		    xasprintf("no connected worker matches %s%s%s%s (connected workers: %s)", w,
		              nterms > 1 ? " (every label must match)" : "",
		              unreachable->count ? "; known but not connected: " : "", gone, known);
		free(w);
		free(gone);
		strlist_free(&want);
		rc = -1;
	}
out:
	free(known);
	free(terms);
	free(cli_values);
	strlist_free(&cli_keys);
	strlist_free(&ids);
	return rc;
}

bool
launcher_in_targets(const launcher_t *l, const runbook_t *rb, const char *id, char **why)
{
	strlist_t hosts = {0}, unreachable = {0}, stopped = {0};
	char *error = NULL;
	launch_t own = {.rb = rb};
	*why = NULL;
	(void)launcher_targets(l, &own, NULL, &hosts, &unreachable, &stopped, &error);
	bool in = id != NULL && (strlist_has(&hosts, id) || strlist_has(&unreachable, id) ||
	                         strlist_has(&stopped, id));
	strlist_free(&hosts);
	strlist_free(&unreachable);
	strlist_free(&stopped);
	free(error);
	if (in)
		return true;
	strlist_t want = {0};
	for (size_t i = 0; i < rb->targets.host_count; i++)
		strlist_add(&want, xstrdup(rb->targets.hosts[i]));
	for (size_t k = 0; k < rb->targets.label_count; k++) {
		const runbook_label_match_t *m = &rb->targets.labels[k];
		char *vals = strlist_join_sep(&(strlist_t){m->values, m->value_count}, "|", "");
		strlist_add(&want, xasprintf("%s=%s", m->key, vals));
		free(vals);
	}
	char *text = strlist_join_sep(&want, ", ", "");
	strlist_free(&want);
	if (!rb->targets.all && text[0] == '\0')
		*why = xasprintf("runbook %s names no targets, so an alert cannot pick a host for"
		                 " it (give it targets: the hosts an alert may choose among)",
		                 rb->name);
	else
		*why = xasprintf("%s is not among the targets of runbook %s (%s%s%s)",
		                 id ? id : "?", rb->name, rb->targets.all ? "all" : "",
		                 rb->targets.all && text[0] ? ", " : "", text);
	free(text);
	return false;
}

/* ---- templates --------------------------------------------------------- */

/* A step's template names "host.labels.K" for a label the worker lacks,
 * or an alert value the run was not given: say so plainly rather than as
 * an unknown template name. */
typedef struct {
	const worker_t *w;
	const vars_t *alert; /* the run's alert.* values */
	char *missing;       /* owned: the first label it lacks */
	char *missing_alert; /* owned: the first alert.* name it lacks */
} label_check_t;

static int
label_visit(void *ctx, const char *name)
{
	label_check_t *c = ctx;
	static const char prefix[] = "host.labels.";
	if (strncmp(name, "alert.", 6) == 0 && launcher_params_var_get(c->alert, name) == NULL) {
		c->missing_alert = xstrdup(name);
		return 1;
	}
	if (strncmp(name, prefix, sizeof(prefix) - 1) != 0)
		return 0;
	const char *key = name + sizeof(prefix) - 1;
	if (c->w != NULL && registry_label(c->w, key) != NULL)
		return 0;
	c->missing = xstrdup(key);
	return 1;
}

static int
launcher_check_labels(const runbook_step_t *step, const worker_t *w, const vars_t *alert,
                      char **error)
{
	label_check_t c = {.w = w, .alert = alert};
	const char *texts[RUNBOOK_STEP_MAX_TEXTS];
	size_t n = runbook_step_texts(step, texts);
	for (size_t i = 0; i < n + step->env_count && c.missing == NULL && c.missing_alert == NULL;
	     i++) {
		const char *t = i < n ? texts[i] : step->env[i - n].value;
		char *err = NULL;
		template_names(t, label_visit, &c, &err);
		free(err);
	}
	if (c.missing_alert != NULL) {
		*error = xasprintf("step %s uses {{ %s }} but the run has no such alert value (an"
		                   " alert without it, or a run started by hand); pass -p %s=VALUE,"
		                   " or use a param with from_alert and a default",
		                   step->id, c.missing_alert, c.missing_alert);
		free(c.missing_alert);
		return -1;
	}
	if (c.missing == NULL)
		return 0;
	if (w == NULL) {
		/* The coordinator's pseudo-host (lint says so first). */
		*error = xasprintf("step %s uses {{ host.labels.%s }} but the runbook runs on the"
		                   " coordinator, which has no labels",
		                   step->id, c.missing);
		free(c.missing);
		return -1;
	}
	char *labels = registry_labels_string(w);
	*error = xasprintf("step %s uses {{ host.labels.%s }} but worker %s has no label '%s'"
	                   " (its labels: %s); start it with --label %s=VALUE or target other"
	                   " workers",
	                   step->id, c.missing, w->id, c.missing, labels[0] ? labels : "none",
	                   c.missing);
	free(labels);
	free(c.missing);
	return -1;
}

/* ---- step specs -------------------------------------------------------- */

/* Builds the StepSpec of one step for one host, packed into *spec. A field
 * that does not render into a valid value makes an `invalid` spec that
 * says why; returns whether it did. */
static bool
launcher_build_spec(const launcher_t *l, const run_t *run, bool adhoc, const runbook_step_t *step,
                    const vars_t *vars, uint8_t **spec, size_t *spec_len)
{
	/* Each kind renders its own fields (common/runbook/step_*.c). */
	runbook_spec_in_t in = {
	    .runbook = run->runbook,
	    .adhoc = adhoc,
	    /* The worker keeps the first and the last half of this and one
	     * note between them: what it sends fits what the coordinator
	     * keeps. */
	    .output_limit = l->svc->options.output_cap > 512 ? l->svc->options.output_cap - 256
	                                                     : l->svc->options.output_cap,
	    .vars = vars->vars,
	    .var_count = vars->count,
	};
	return runbook_step_spec(step, &in, spec, spec_len);
}

/* ---- the run ----------------------------------------------------------- */

static int
launcher_fill_host(const launcher_t *l, const launch_t *req, run_t *run, size_t h,
                   const vars_t *base, params_t *ps, char **error)
{
	const runbook_t *rb = req->rb;
	worker_t *w = registry_find(l->svc->registry, run->hosts[h].host);
	vars_t vars = {0};
	for (size_t i = 0; i < base->count; i++)
		launcher_params_var_secret(&vars, base->vars[i].name, base->vars[i].value,
		                           base->vars[i].secret);
	/* The host's own params: vars may give each host its value. */
	if (launcher_params_host(l, req, ps, w, &vars, error) != 0) {
		launcher_params_vars_free(&vars);
		return -1;
	}
	/* w is NULL only for the coordinator's pseudo-host (no labels). */
	launcher_params_var(&vars, "host.id", run->hosts[h].host);
	for (size_t i = 0; w != NULL && i < w->label_count; i++) {
		char *name = xasprintf("host.labels.%s", w->labels[i].key);
		launcher_params_var(&vars, name, w->labels[i].value);
		free(name);
	}
	int rc = 0;
	frame_vars_t frames = {0};
	for (size_t s = 0; s < rb->step_count && rc == 0; s++) {
		run_step_t *step = &run->hosts[h].steps[s];
		runbook_timing_t timing;
		char *bad = NULL;
		const vars_t *sv = launcher_frame_vars(rb, &rb->steps[s], &vars, &frames, ps,
		                                       run->hosts[h].host, error);
		if (sv == NULL || launcher_check_labels(&rb->steps[s], w, &ps->alert, error) != 0) {
			rc = -1;
		} else if (runbook_step_timing(&rb->steps[s], sv->vars, sv->count, &timing, &bad) !=
		           0) {
			/* A hold or timeout from a param: refused, not run with a
			 * value the linter would have refused. */
			*error = xasprintf("%s (on %s)", bad, run->hosts[h].host);
			free(bad);
			rc = -1;
		} else {
			step->invalid = launcher_build_spec(l, run, req->adhoc, &rb->steps[s], sv,
			                                    &step->spec, &step->spec_len);
		}
	}
	launcher_frame_vars_free(&frames);
	launcher_params_vars_free(&vars);
	return rc;
}

int
launcher_record_ended(const launcher_t *l, const launch_t *req, int status, const char *reason,
                      char *run_id, size_t len)
{
	launcher_run_id(l, run_id, len);
	int64_t now = clock_wall_ms();
	store_run_t rec = {
	    .id = run_id,
	    .runbook = req->rb->name,
	    .runbook_yaml = req->yaml,
	    .params_json = "",
	    .status = status,
	    .created_ms = now,
	    .trigger = req->trigger,
	    .reason = reason,
	    .slot_ms = req->slot_ms,
	    .ended_ms = now,
	};
	return dispatcher_record(l->svc->dispatcher, &rec) == 0 ? 0 : -1;
}

/* Host h's worker was stopped on purpose, or in a maintenance window of
 * maint, when the run started: every step skipped, saying so (with the
 * window's id); the host fails nothing (RUN_HOST_STOPPED). */
static void
launcher_skip_stopped(const launcher_t *l, const maint_set_t *maint, run_t *run, size_t h)
{
	const char *id = run->hosts[h].host;
	worker_t *w = registry_find(l->svc->registry, id);
	const maint_window_t *mw = w ? maintenance_covering(maint, w) : NULL;
	if (mw != NULL) {
		char *what = maintenance_describe(mw);
		char *why = xasprintf("host %s is in maintenance, %s: skipped", id, what);
		run_host_stop(run, h, why);
		free(why);
		free(what);
		return;
	}
	char seen[32];
	clock_format(w ? w->last_seen_wall : 0, seen, sizeof(seen));
	char *why = xasprintf("worker %s is stopped (it said Goodbye; last seen %s UTC): skipped",
	                      id, seen);
	run_host_stop(run, h, why);
	free(why);
}

/* The run joins req->incident: incident show lists it, what it does is news
 * for it, and its timeline says who linked it. */
static void
launcher_link_incident(const launcher_t *l, const launch_t *req, const char *run_id)
{
	char *text = xasprintf("run %s of %s linked by %s", run_id, req->rb->name,
	                       req->by && req->by[0] ? req->by : "an operator");
	incidents_link_run(l->svc->incidents, req->incident, run_id);
	incidents_note(l->svc->incidents, req->incident, "run", text, clock_wall_ms());
	free(text);
}

/* A manual run without --force that would reach a host in a maintenance
 * window is refused, naming the window: true after filling out. A
 * scheduled or alert run skips such hosts instead. */
static bool
launcher_maintenance_refuses(const launcher_t *l, const launch_t *req, const maint_set_t *maint,
                             const strlist_t *stopped, launch_result_t *out)
{
	if (req->force || (req->trigger != NULL && strcmp(req->trigger, "manual") != 0))
		return false;
	for (size_t i = 0; i < stopped->count; i++) {
		worker_t *w = registry_find(l->svc->registry, stopped->items[i]);
		const maint_window_t *mw = w ? maintenance_covering(maint, w)
		                           : req->rb->targets.coordinator
		                               ? maintenance_covering_all(maint)
		                               : NULL;
		if (mw == NULL)
			continue;
		char *what = maintenance_describe(mw);
		free(out->error);
		out->error = xasprintf("%s %s is in maintenance, %s; rota submit --force runs on"
		                       " it anyway, or rota maintenance end %s",
		                       w ? "worker" : "host", stopped->items[i], what, mw->id);
		out->code = ROTA__ERROR_CODE__ERR_NO_TARGETS;
		free(what);
		return true;
	}
	return false;
}

int
launcher_start(const launcher_t *l, const launch_t *req, launch_result_t *out)
{
	const runbook_t *rb = req->rb;
	bool scheduled = req->trigger && strcmp(req->trigger, "schedule") == 0;
	strlist_t hosts = {0}, unreachable = {0}, stopped = {0};
	vars_t base = {0}; /* run.id and the alert's values: every host's */
	params_t ps;       /* the params, and where each came from */
	run_t *run = NULL;
	int rc = -1;
	int skipped = 0;         /* a scheduled run with every target stopped: skipped */
	maint_set_t maint = {0}; /* the windows active now; none under --force */

	memset(out, 0, sizeof(*out));
	if (launcher_params_resolve(req, &ps, &out->error) != 0) {
		out->code = ROTA__ERROR_CODE__ERR_BAD_PARAMS;
		goto refused;
	}
	if (!req->force && maintenance_active(l->svc->store, config_maintenance(l->svc->config),
	                                      clock_wall_ms(), &maint) != 0) {
		out->code = ROTA__ERROR_CODE__ERR_INTERNAL;
		out->error = xstrdup("the coordinator could not read its maintenance windows (see"
		                     " its log)");
		goto refused;
	}
	int targeted =
	    launcher_targets(l, req, &maint, &hosts, &unreachable, &stopped, &out->error);
	if (targeted == 0 || targeted == LAUNCHER_ALL_STOPPED)
		if (launcher_maintenance_refuses(l, req, &maint, &stopped, out))
			goto refused;
	if (targeted != 0) {
		out->code = ROTA__ERROR_CODE__ERR_NO_TARGETS;
		skipped = targeted == LAUNCHER_ALL_STOPPED;
		goto refused;
	}
	launcher_run_id(l, out->run_id, sizeof(out->run_id));
	launcher_params_var(&base, "run.id", out->run_id);
	for (size_t i = 0; i < ps.alert.count; i++)
		launcher_params_var(&base, ps.alert.vars[i].name, ps.alert.vars[i].value);

	char *name =
	    req->adhoc ? xasprintf(LAUNCHER_ADHOC_PREFIX "%s", rb->name) : xstrdup(rb->name);
	size_t reached = hosts.count + unreachable.count;
	run = run_new(out->run_id, name, reached + stopped.count, rb->step_count);
	free(name);
	run->created_ms = clock_wall_ms();
	free(run->trigger);
	run->trigger = xstrdup(req->trigger ? req->trigger : "manual");
	run->slot_ms = req->slot_ms;
	run_apply_runbook(run, rb);
	/* Secret values stay with the run in memory only (run.h). */
	for (size_t k = 0; k < ps.count; k++)
		if (ps.values[k].p->secret && ps.values[k].value != NULL)
			run_add_secret(run, ps.values[k].p->name, ps.values[k].value);
	for (size_t h = 0; h < run->host_count; h++) {
		bool gone = h >= hosts.count;
		run_host_t *host = &run->hosts[h];
		host->host = xstrdup(h >= reached ? stopped.items[h - reached]
		                     : gone       ? unreachable.items[h - hosts.count]
		                                  : hosts.items[h]);
		for (size_t s = 0; s < rb->step_count; s++)
			host->steps[s].step_id = xstrdup(rb->steps[s].id);
		if (h >= reached) {
			launcher_skip_stopped(l, &maint, run, h);
			continue;
		}
		if (!gone) {
			if (launcher_fill_host(l, req, run, h, &base, &ps, &out->error) != 0) {
				out->code = ROTA__ERROR_CODE__ERR_BAD_PARAMS;
				goto refused;
			}
			continue;
		}
		/* Known but not connected: on record, not waited for. */
		host->phase = RUN_HOST_UNREACHABLE;
		worker_t *w = registry_find(l->svc->registry, host->host);
		char seen[32];
		clock_format(w ? w->last_seen_wall : 0, seen, sizeof(seen));
		for (size_t s = 0; s < rb->step_count; s++) {
			run_step_t *step = &host->steps[s];
			step->status = ROTA__STEP_STATUS__STEP_UNREACHABLE;
			step->note =
			    xasprintf("worker %s was not connected when the run started (last"
			              " seen %s UTC)",
			              host->host, seen);
			step->dirty = true;
		}
	}

	/* "NAME=VALUE\tSOURCE[\tHOST]\n" a value, for rota show. */
	char *params = launcher_params_text(&ps);
	uint32_t jitter = scheduled && rb->schedule.present ? rb->schedule.jitter_ms : 0;
	if (req->incident != NULL) {
		launcher_link_incident(l, req, out->run_id);
		run->incident = xstrdup(req->incident);
	}
	rc = dispatcher_submit(l->svc->dispatcher, &run, req->yaml, params, jitter);
	free(params);
	if (rc != 0) {
		out->code = ROTA__ERROR_CODE__ERR_INTERNAL;
		out->error = xstrdup("the coordinator could not record the run (see its log)");
		goto out;
	}
	out->hosts = hosts.items;
	out->host_count = hosts.count;
	hosts.items = NULL;
	hosts.count = 0;
	goto out;

refused:
	rc = -1;
	if (scheduled) {
		log_warn("scheduled run of %s cannot start: %s", rb->name, out->error);
		/* A scheduled run that cannot start is still a run: recorded
		 * as failed with the reason, so `rota runs` and escalation see
		 * it; skipped when its hosts were stopped on purpose, which is
		 * no one's fault and pages no one. */
		rc = launcher_record_ended(
		    l, req, skipped ? ROTA__RUN_STATUS__RUN_SKIPPED : ROTA__RUN_STATUS__RUN_FAILED,
		    out->error, out->run_id, sizeof(out->run_id));
	}
out:
	run_destroy(&run);
	launcher_params_vars_free(&base);
	launcher_params_free(&ps);
	strlist_free(&hosts);
	strlist_free(&unreachable);
	strlist_free(&stopped);
	maintenance_set_free(&maint);
	return rc;
}
