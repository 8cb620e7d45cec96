/* fleetvars: param values per host, kept in the coordinator's
 * configuration (`vars:`), as Salt pillars or Ansible's group_vars and
 * host_vars are:
 *
 *     vars:
 *       - match: { role: api }          # hosts with every one of these labels
 *         params: { health_url: "http://127.0.0.1:8000/health" }
 *       - host: db-1                    # one worker, by id
 *         params: { health_url: "http://127.0.0.1:5433/ready" }
 *
 * An entry with neither match nor host applies to every host; with both,
 * a host must satisfy both. Entries apply in the file's order, so a later
 * one wins; a run takes them for every param its runbook declares (a name
 * no runbook declares is ignored, so one list serves the whole library),
 * each host its own. The launcher puts them above the runbook's default
 * and below an alert's values and -p (docs/runbooks.md).
 *
 * Must never: accept an entry it did not fully understand (every problem
 * is reported at file:line:column), or keep a pointer into the YAML tree. */
#ifndef ROTA_FLEETVARS_H
#define ROTA_FLEETVARS_H

#include <stdbool.h>
#include <stddef.h>

#include "registry.h"
#include "yamltree.h"

typedef struct fleetvars fleetvars_t;

/* Reads the value of `vars:` (a sequence of entries), reporting every
 * problem into rep (node NULL: an empty list, nothing reported). Returns the list (the caller's;
 * free with fleetvars_destroy), also when something was reported: the caller discards it then. */
fleetvars_t *fleetvars_read(yamltree_report_t *rep, const yamltree_node_t *node);
void fleetvars_destroy(fleetvars_t **fvp);

/* How many entries; 0 for NULL. */
size_t fleetvars_count(const fleetvars_t *fv);

/* The value the entries give param on worker w (the last entry that
 * matches w and names param), borrowed from fv; NULL when none does. Then
 * *source (borrowed, may be NULL) says which entry: "vars (role=api)",
 * "vars (host db-1)" or "vars (every host)", with the file's line. */
const char *fleetvars_value(const fleetvars_t *fv, const worker_t *w, const char *param,
                            const char **source);

#endif
