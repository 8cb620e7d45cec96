/* maintenance: maintenance windows, the hosts they cover and what they
 * pause (docs/incidents.md, "Maintenance windows").
 *
 * A window covers a target: one worker by id, every worker with a label
 * (label=value), or "all". Windows come from two places: started by hand
 * (rota maintenance start; kept in the store, store_maint.h) and recurring
 * ones in the coordinator's configuration:
 *
 *     maintenance:
 *       - name: patch-night
 *         cron: "0 2 * * TUE"        # when each window starts (cron.h)
 *         timezone: Europe/London     # default UTC
 *         duration: 2h
 *         target: role=db             # a worker id, label=value or all
 *         reason: "weekly patching"
 *         freeze: false               # with target all: pause schedules
 *
 * Which windows are active is computed from the store and the
 * configuration at the instant asked, never remembered: a window ends on
 * time across a restart, a failover or a reload. During a window the
 * scheduler's runs skip its hosts, alerts for them open no incident, and a
 * manual submit to them needs --force (launcher.c, responder.c).
 *
 * Must never: keep a window in memory past the call that read it, or let
 * a window it cannot read pass for "no maintenance" silently (errors are
 * returned and logged by the caller). */
#ifndef ROTA_MAINTENANCE_H
#define ROTA_MAINTENANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cron.h"
#include "registry.h"
#include "security/security.h"
#include "store/store.h"
#include "yamltree.h"

/* At most this many recurring windows in the configuration. */
#define MAINTENANCE_MAX_RECURRING 64
/* At most this many windows listed or held active at once. */
#define MAINTENANCE_MAX_WINDOWS 500
/* The longest window: 30 days (DURATION_MAX_MS). */
#define MAINTENANCE_MAX_MS (30LL * 24 * 3600 * 1000)
/* Ids: "MW-" and the stored number, or "MW-" and the recurring window's
 * name. */
#define MAINTENANCE_ID_PREFIX "MW-"
#define MAINTENANCE_ID_MAX 80
/* The longest window an operator may put on every host ("all"); longer,
 * or any freeze, is the admin's (maintenance_role_needed). */
#define MAINTENANCE_OPERATOR_ALL_MS (4LL * 3600 * 1000)

/* One window, as a caller sees it; the strings are borrowed from the set
 * (or plan) it came from. */
typedef struct {
	char id[MAINTENANCE_ID_MAX];
	const char *target;
	const char *reason;
	const char *by; /* who started it; "config" for a recurring one */
	bool freeze;
	bool recurring;
	int64_t starts_ms;
	int64_t ends_ms;
} maint_window_t;

/* The recurring windows of the configuration. */
typedef struct maint_plan maint_plan_t;

/* Reads the value of `maintenance:` (a list of windows), reporting every
 * problem into rep at file:line:column (node NULL: none). Returns the plan
 * (the caller's; free with maintenance_plan_destroy), also when something
 * was reported: the caller discards it then. */
maint_plan_t *maintenance_plan_read(yamltree_report_t *rep, const yamltree_node_t *node);
void maintenance_plan_destroy(maint_plan_t **pp);
size_t maintenance_plan_count(const maint_plan_t *p);
/* What a reload changes: windows of fresh not in old (by name), in both
 * but defined differently, and of old not in fresh (those end at once). */
typedef struct {
	unsigned added, changed, removed;
} maint_plan_diff_t;
maint_plan_diff_t maintenance_plan_diff(const maint_plan_t *old, const maint_plan_t *fresh);

/* A set of windows read at one instant: items (owned, with what they
 * borrow) until maintenance_set_free. */
typedef struct {
	maint_window_t *items;
	size_t count;
	store_maint_t *rows; /* owned: what items borrow from the store */
	size_t row_count;
	store_maint_ended_t *ended; /* owned: recurring occurrences ended early */
	size_t ended_count;
} maint_set_t;

/* The windows active at now_ms: stored ones with starts <= now < ends, and
 * recurring ones of plan (may be NULL) whose latest start is within their
 * duration, unless that occurrence was ended early (store_maint_ended;
 * store NULL: none was). 0, or -1 when the store cannot be read (*out
 * empty). */
int maintenance_active(store_t *store, const maint_plan_t *plan, int64_t now_ms, maint_set_t *out);
/* For rota maintenance list: the active ones and those still to come (a
 * recurring window not active now, or whose occurrence was ended early, is
 * listed at its next start). */
int maintenance_list(store_t *store, const maint_plan_t *plan, int64_t now_ms, maint_set_t *out);
void maintenance_set_free(maint_set_t *set);

/* 0 when target is a worker id, label=value or "all"; else -1 with *error
 * (the caller frees) saying what is wrong. */
int maintenance_target_check(const char *target, char **error);
/* Whether target covers worker w (by its id or its labels). */
bool maintenance_target_matches(const char *target, const worker_t *w);
/* The first window of set covering w, or NULL. A freeze window covers no
 * host: it pauses schedules only (maintenance_freeze). */
const maint_window_t *maintenance_covering(const maint_set_t *set, const worker_t *w);
/* The first window of set on "all" that is not a freeze, or NULL: what
 * covers the coordinator's pseudo-host (a runbook with targets: {
 * coordinator: true }), which no window on a host or a label names. */
const maint_window_t *maintenance_covering_all(const maint_set_t *set);
/* The first freeze window with target "all", or NULL: every schedule
 * pauses but those of runbooks marked `maintenance: ignore`. */
const maint_window_t *maintenance_freeze(const maint_set_t *set);
/* The stored number of "MW-12", "mw-12" or "12"; -1 for anything else. */
int64_t maintenance_parse_id(const char *text);
/* The recurring window of set named by "MW-NAME", "mw-NAME" or "NAME", or
 * NULL. */
const maint_window_t *maintenance_find_recurring(const maint_set_t *set, const char *text);
/* The least role that may start a window on target for for_ms: the
 * operator's for a host or a label, and for "all" up to
 * MAINTENANCE_OPERATOR_ALL_MS; the admin's for any freeze and for "all"
 * beyond that, since those silence every alert or pause every schedule.
 * *why (static text) says which, for the refusal; "" at operator. */
keyring_role_t maintenance_role_needed(const char *target, uint64_t for_ms, bool freeze,
                                       const char **why);
/* "window MW-3 (until 2026-12-06 18:00:00 UTC: kernel upgrade)", for the
 * reasons and errors that name a window. The caller frees. */
char *maintenance_describe(const maint_window_t *w);

#endif
