/* launcher: turns a runbook, params and targets into a run and starts it.
 *
 * The operator API (rota submit) and the scheduler both start runs here,
 * so a scheduled run and a manual one are built the same way: params are
 * checked against their declared types, targets resolve to connected
 * workers (known but disconnected ones are listed as unreachable), and
 * every step's templates are rendered into the spec its host receives.
 *
 * A manual submit that cannot start is refused with a message for the
 * operator; a scheduled one is recorded as a failed run with that message
 * as its reason, so a missed duty is never silent. */
#ifndef ROTA_LAUNCHER_H
#define ROTA_LAUNCHER_H

#include <stddef.h>
#include <stdint.h>

#include "dispatcher.h"
#include "registry.h"
#include "runbook.h"
#include "store/store.h"

/* The coordinator's services (services.h includes this header). */
typedef struct services services_t;

typedef struct launcher launcher_t;

/* The only way to make a launcher: one, in the coordinator's services, that
 * starts runs with svc's store, registry and dispatcher (read where they
 * are used, never copied). Free with launcher_destroy, which accepts NULL. */
launcher_t *launcher_new(services_t *svc);
void launcher_destroy(launcher_t **lp);

#define LAUNCHER_ADHOC_PREFIX "adhoc:"
/* Lines of per-host param values a run keeps for `rota show`: past this
 * many, one line says how many more there were (a fan-out to thousands of
 * hosts would otherwise store a page per host). */
#define LAUNCHER_MAX_HOST_PARAM_LINES 200

/* One label or annotation of an alert, borrowed. */
typedef struct {
	const char *name;
	const char *value;
} launch_pair_t;

/* The alert that starts a run (everything borrowed for the call): what
 * {{ alert.labels.NAME }}, {{ alert.annotations.NAME }}, {{ alert.starts_at
 * }} and a param's from_alert read (docs/runbooks.md). */
typedef struct {
	const launch_pair_t *labels;
	size_t label_count;
	const launch_pair_t *annotations;
	size_t annotation_count;
	int64_t starts_ms; /* 0: unknown */
} launch_alert_t;

typedef struct {
	const runbook_t *rb;
	const char *yaml;     /* the text rb was parsed from, kept with the run */
	Rota__Label **params; /* given values, may be none */
	size_t n_params;
	char **targets; /* worker ids, label=value or "all": replace rb's targets */
	size_t n_targets;
	const char *trigger; /* "manual", "schedule" or "alert" */
	/* The alert that started it; NULL for any other run, which may still
	 * be given alert values by hand: -p alert.labels.NAME=VALUE. */
	const launch_alert_t *alert;
	/* A file the submitter sent, not a loaded runbook: the run is named
	 * LAUNCHER_ADHOC_PREFIX + rb->name (a loaded runbook's name cannot
	 * hold ':', so it never takes one's name) and its steps say so to
	 * the worker (StepSpec.adhoc, for --allow-adhoc). */
	bool adhoc;
	int64_t slot_ms; /* schedule: the slot it fires for */
	/* rota submit --incident: the incident (its stored id) the run joins,
	 * linked with a timeline line naming by before the run's first step,
	 * so a notify step of a resolved incident is suppressed from the
	 * start. NULL: none. */
	const char *incident;
	const char *by;
	/* rota submit --force: run on hosts in a maintenance window too. A
	 * manual run without it is refused when one of its hosts is in one;
	 * a scheduled or alert run skips them (maintenance.h). */
	bool force;
} launch_t;

typedef struct {
	char run_id[32];
	char **hosts; /* owned: the connected hosts it runs on */
	size_t host_count;
	int code;    /* when refused: a Rota__ErrorCode */
	char *error; /* owned: when refused, or the reason of a recorded failure */
} launch_result_t;

/* Whether worker id is one of rb's own targets (connected or not), as a
 * run of rb without --target would pick them: an alert may narrow a run
 * to one host, never widen it beyond the runbook. When not, *why (the
 * caller frees) says what the targets are. */
bool launcher_in_targets(const launcher_t *l, const runbook_t *rb, const char *id, char **why);

/* 0 when the run started (or, for a scheduled run that could not, was
 * recorded as failed: then out->error holds why); -1 when a manual run is
 * refused (out->code, out->error) or the store failed. */
int launcher_start(const launcher_t *l, const launch_t *req, launch_result_t *out);
void launch_result_clear(launch_result_t *out);

/* Records a run of req that is over before it starts (status failed or
 * skipped, with the reason) under a new id written to run_id. 0, or -1 on a
 * store error. */
int launcher_record_ended(const launcher_t *l, const launch_t *req, int status, const char *reason,
                          char *run_id, size_t len);

/* Makes a run id, "YYYYMMDD-HHMMSS-eecccc" (UTC, then the epoch's low byte
 * and a count of this process's ids, in hex): unique by construction, with
 * no query unless the wall clock went back (docs/decisions.md, "Run ids"). */
void launcher_run_id(const launcher_t *l, char *buf, size_t len);

#endif
