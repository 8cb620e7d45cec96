/* agent_kind: the worker's side of the step-kind table.
 *
 * One row per kind a StepSpec may carry: its kind case, its name (what
 * --allow-step-types and the refusals name) and how this worker runs it. A
 * new kind is one row here plus its own code: a kind that runs as a shell
 * child or through rota-check needs nothing else in the agent (a new check
 * is also a row in check.c's table and a check_*.c of its own). The
 * coordinator's side of the table (parse, lint, render, where it runs)
 * lives in common/ and coordinator/.
 *
 * Pure: no I/O, no allocation, no state. Must never: run anything. */
#ifndef ROTA_AGENT_KIND_H
#define ROTA_AGENT_KIND_H

#include <stdbool.h>
#include <stddef.h>

#include "rota.pb-c.h"

/* How this worker runs a kind. */
typedef enum {
	AGENT_KIND_SHELL = 0,   /* a shell child with the step's environment */
	AGENT_KIND_CHECK,       /* a child that execs rota-check with the spec */
	AGENT_KIND_NOOP,        /* nothing to run: accepted and succeeded at once */
	AGENT_KIND_COORDINATOR, /* the coordinator's own (manual, notify): refused */
} agent_kind_runs_t;

typedef struct {
	Rota__StepSpec__KindCase kind_case;
	const char *name; /* as runbooks and --allow-step-types write it */
	agent_kind_runs_t runs;
	/* Whether the spec carries the kind's settings; NULL: it needs none. */
	bool (*present)(const Rota__StepSpec *spec);
} agent_kind_t;

/* The row of spec's kind (borrowed, static), or NULL for a kind this
 * worker does not know (a coordinator newer than the worker). */
const agent_kind_t *agent_kind_find(const Rota__StepSpec *spec);

/* Whether name is a kind this worker runs (what --allow-step-types may
 * list), and, into buf, the list of those names ("shell, http_check, ..."). */
bool agent_kind_runs_name(const char *name);
void agent_kind_names(char *buf, size_t len);

/* The name of spec's kind; "?" for a kind this worker does not run (the
 * coordinator's own, or one it does not know). Static. */
const char *agent_kind_name(const Rota__StepSpec *spec);

/* Whether this worker refuses spec outright whatever its own rules say,
 * and why (into why, always written when true): a kind it does not know,
 * the coordinator's own kinds, or settings missing. worker_id is named in
 * the reason. */
bool agent_kind_refuses(const Rota__StepSpec *spec, const char *worker_id, char *why, size_t len);

#endif
