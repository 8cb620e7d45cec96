/* store_values: the numbers checks record (`record: NAME` on a check), per
 * runbook, host and name, and the latest of them for a baseline. Included
 * through store.h. */
#ifndef ROTA_STORE_VALUES_H
#define ROTA_STORE_VALUES_H

#include <stddef.h>
#include <stdint.h>

typedef struct store store_t;

#define STORE_VALUES_MAX 100 /* the most a baseline reads (median_of_last) */

typedef struct {
	const char *runbook, *host, *name; /* borrowed */
	const char *run_id, *step_id;      /* borrowed */
	double value;
	int64_t at_ms;
} store_value_t;

/* Adds a value, in the turn's transaction. 0, or -1. */
int store_value_add(store_t *s, const store_value_t *v);
/* The latest n (at most STORE_VALUES_MAX) values of runbook, host and
 * name, newest first, into out; *count how many there were. 0, or -1. */
int store_values_latest(store_t *s, const char *runbook, const char *host, const char *name,
                        size_t n, double *out, size_t *count);

#endif
