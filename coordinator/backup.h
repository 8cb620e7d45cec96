/* backup: `rota backup FILE`, the one backup of the store that may run at
 * a time, turned a slice per loop turn, and the last one's outcome (kept
 * in the store, so rota status and /metrics still know it after a
 * restart).
 *
 * A slice copies BACKUP_SLICE_PAGES pages of the store (then, once the
 * copy is whole, reads as many back for its checksum): the loop is paused
 * for one slice at a time, never for the whole copy. The longest slice is
 * measured and reported (BackupInfo.max_pause_us, docs/operations.md).
 *
 * Must never: run a slice with the turn's transaction open, or block the
 * loop for the whole copy. */
#ifndef ROTA_BACKUP_H
#define ROTA_BACKUP_H

#include <stdbool.h>
#include <stdint.h>

#include "rota.pb-c.h"
#include "store/store.h"

/* Pages (4 KiB each by default) a loop turn copies, or reads back for the
 * checksum: 256 KiB, 1.5 ms of CPU a slice typically and 7 ms at most on
 * the bench machine (docs/benchmarks.md), while a 1 GB store still copies
 * in 4,096 turns. */
#define BACKUP_SLICE_PAGES 64

/* Between two slices the loop sleeps (waking at once for a message) at
 * least as long as the last slice took, and at least this long: a backup
 * takes at most about half of the coordinator's CPU, never all of it (a
 * loop that never slept spun one core for the whole copy). */
#define BACKUP_PACE_MIN_MS 1

/* A slice longer than this is logged, with what it did. */
#define BACKUP_SLOW_SLICE_US 5000

typedef struct backup backup_t;

/* Borrows store (which must outlive it); reads the last outcome from it. */
backup_t *backup_new(store_t *store);
/* Ends a backup still running (its partial file removed). Accepts NULL;
 * nulls *bp. */
void backup_destroy(backup_t **bp);

/* Starts a backup to path (absolute; the caller checked where it may be).
 * 0, or -1 with *error (caller frees): one is running, the store is
 * PostgreSQL, path exists or cannot be made. actor is copied. */
int backup_start(backup_t *b, const char *path, const char *actor, int64_t now_ms, char **error);
bool backup_running(const backup_t *b);
/* How long the loop may sleep before the next slice is due: -1 with no
 * backup running, else the last slice's time rounded up, at least
 * BACKUP_PACE_MIN_MS (0 before the first slice). */
long backup_wait_ms(const backup_t *b);
/* One slice, between turns (no transaction open). When the backup ends,
 * its outcome is written to the store in a transaction the caller
 * commits. */
void backup_turn(backup_t *b, int64_t now_ms);
/* The backup running or the last one (its strings borrowed from b until
 * the next call of backup_start or backup_turn). */
void backup_info(const backup_t *b, Rota__BackupInfo *out);
/* The end of the last successful backup, wall clock ms (0: none). */
int64_t backup_last_success_ms(const backup_t *b);

#endif
