/* store_maint: maintenance windows started by hand (table
 * maintenance_windows; rota maintenance). A window is active while
 * starts_ms <= now < ends_ms on the coordinator's wall clock: nothing is
 * kept in memory past the turn that read it (store_maint_list keeps its
 * rows to the turn's commit), so a restart (or a new leader) ends it on
 * time. Writers
 * go in the loop's turn (store_begin), like every write. */
#ifndef ROTA_STORE_MAINT_H
#define ROTA_STORE_MAINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct store store_t;

typedef struct {
	int64_t id;
	char *target;     /* owned: a worker id, label=value or "all" */
	char *reason;     /* owned */
	char *created_by; /* owned */
	char *ended_by;   /* owned: "" unless ended early */
	bool freeze;
	int64_t starts_ms;
	int64_t ends_ms;
} store_maint_t;

/* Adds w (its id is ignored) in the open turn; *id is the new row's. 0 or
 * -1. */
int store_maint_add(store_t *s, const store_maint_t *w, int64_t *id);
/* Ends window id at now_ms, by by: 0, 1 when it is unknown or already
 * over by now_ms, -1 on a failure. */
int store_maint_end(store_t *s, int64_t id, int64_t now_ms, const char *by);
/* The windows still running at or after after_ms (ends_ms > after_ms),
 * oldest first, at most limit: *out (the caller frees with
 * store_maint_free) holds *count. 0 or -1. */
int store_maint_list(store_t *s, int64_t after_ms, size_t limit, store_maint_t **out,
                     size_t *count);
void store_maint_free(store_maint_t *w, size_t count);

/* An occurrence of a recurring window of the configuration (maintenance:)
 * ended early: the window's name and the instant that occurrence started
 * name it (table maintenance_ended). */
typedef struct {
	char *name; /* owned */
	int64_t starts_ms;
	int64_t ended_ms;
	char *ended_by; /* owned */
} store_maint_ended_t;

/* Occurrences that started longer ago than this are forgotten: no window
 * lasts longer (30 days), so none of them can matter any more. */
#define STORE_MAINT_ENDED_KEEP_MS (31LL * 24 * 3600 * 1000)

/* Ends the occurrence of recurring window name that started at starts_ms,
 * at now_ms, by by, in the open turn, and forgets those that started over
 * STORE_MAINT_ENDED_KEEP_MS before now_ms (the table stays small): 0, 1
 * when it was already ended, -1 on a failure. */
int store_maint_end_occurrence(store_t *s, const char *name, int64_t starts_ms, int64_t now_ms,
                               const char *by);
/* The occurrences ended early that started after after_ms, at most limit,
 * the latest first (the ones that can be running now, when there are more
 * than limit): *out (the caller frees with store_maint_ended_free) holds
 * *count. 0 or -1. */
int store_maint_ended_list(store_t *s, int64_t after_ms, size_t limit, store_maint_ended_t **out,
                           size_t *count);
void store_maint_ended_free(store_maint_ended_t *e, size_t count);

#endif
