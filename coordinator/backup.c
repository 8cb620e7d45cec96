/* backup: the backup in progress and the last one's outcome (backup.h).
 * The copy itself is the store's (store_backup_step); this module owns
 * when it runs, what it reports and what is remembered of it. */
#include "backup.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "xalloc.h"

/* What is remembered of a backup; strings owned. */
typedef struct {
	char *path, *state, *actor, *sha256, *error, *last_success_path;
	int64_t started_ms, ended_ms, last_success_ms;
	uint64_t bytes, runs, slices, max_pause_us, max_slice_cpu_us;
	uint32_t schema_version;
} backup_record_t;

struct backup {
	store_t *store;         /* borrowed */
	store_backup_t *job;    /* owned: the backup running, or NULL */
	backup_record_t rec;    /* the running one, else the last */
	uint64_t last_slice_us; /* the running one's last slice (backup_wait_ms) */
};

/* The meta keys a record is kept under, one per field. */
#define BACKUP_KEY(name) "backup." name

static void
backup_record_clear(backup_record_t *r)
{
	free(r->path);
	free(r->state);
	free(r->actor);
	free(r->sha256);
	free(r->error);
	free(r->last_success_path);
	memset(r, 0, sizeof(*r));
}

/* One field of the last backup's record. A failed read leaves it unset:
 * the record only informs `rota status` and /metrics, so a store that
 * cannot be read now does not stop the coordinator; it is logged. */
static void
backup_meta_text(store_t *s, const char *key, char **out)
{
	if (store_meta_get(s, key, out) != 0)
		log_warn("cannot read %s from the store: shown as unset", key);
}

static int64_t
backup_meta_int(store_t *s, const char *key)
{
	char *v; /* owned here */
	backup_meta_text(s, key, &v);
	int64_t n = v ? strtoll(v, NULL, 10) : 0;
	free(v);
	return n;
}

static void
backup_meta_put_int(store_t *s, const char *key, int64_t v)
{
	char text[32];
	snprintf(text, sizeof(text), "%" PRId64, v);
	store_meta_set(s, key, text);
}

backup_t *
backup_new(store_t *store)
{
	backup_t *b = xcalloc(1, sizeof(*b));
	b->store = store;
	backup_record_t *r = &b->rec;
	backup_meta_text(store, BACKUP_KEY("path"), &r->path);
	backup_meta_text(store, BACKUP_KEY("state"), &r->state);
	backup_meta_text(store, BACKUP_KEY("actor"), &r->actor);
	backup_meta_text(store, BACKUP_KEY("sha256"), &r->sha256);
	backup_meta_text(store, BACKUP_KEY("error"), &r->error);
	backup_meta_text(store, BACKUP_KEY("last_success_path"), &r->last_success_path);
	r->started_ms = backup_meta_int(store, BACKUP_KEY("started_ms"));
	r->ended_ms = backup_meta_int(store, BACKUP_KEY("ended_ms"));
	r->last_success_ms = backup_meta_int(store, BACKUP_KEY("last_success_ms"));
	r->bytes = (uint64_t)backup_meta_int(store, BACKUP_KEY("bytes"));
	r->runs = (uint64_t)backup_meta_int(store, BACKUP_KEY("runs"));
	r->slices = (uint64_t)backup_meta_int(store, BACKUP_KEY("slices"));
	r->max_pause_us = (uint64_t)backup_meta_int(store, BACKUP_KEY("max_pause_us"));
	r->max_slice_cpu_us = (uint64_t)backup_meta_int(store, BACKUP_KEY("max_slice_cpu_us"));
	r->schema_version = (uint32_t)backup_meta_int(store, BACKUP_KEY("schema_version"));
	return b;
}

void
backup_destroy(backup_t **bp)
{
	backup_t *b = *bp;
	if (b == NULL)
		return;
	if (b->job != NULL)
		log_warn("backup to %s given up: the coordinator stops", b->rec.path);
	store_backup_abort(&b->job);
	backup_record_clear(&b->rec);
	free(b);
	*bp = NULL;
}

int
backup_start(backup_t *b, const char *path, const char *actor, int64_t now_ms, char **error)
{
	if (b->job != NULL) {
		*error = xasprintf("a backup to %s is running (started by %s): wait for it (rota"
		                   " status shows it)",
		                   b->rec.path, b->rec.actor ? b->rec.actor : "?");
		return -1;
	}
	store_backup_t *job = store_backup_begin(b->store, path, error);
	if (job == NULL)
		return -1;
	int64_t last_ms = b->rec.last_success_ms;
	char *last_path = b->rec.last_success_path;
	b->rec.last_success_path = NULL;
	backup_record_clear(&b->rec);
	b->rec.last_success_ms = last_ms;
	b->rec.last_success_path = last_path;
	b->rec.path = xstrdup(path);
	b->rec.state = xstrdup("running");
	b->rec.actor = xstrdup(actor);
	b->rec.started_ms = now_ms;
	b->job = job;
	log_info("backup to %s started by %s", path, actor);
	return 0;
}

bool
backup_running(const backup_t *b)
{
	return b->job != NULL;
}

long
backup_wait_ms(const backup_t *b)
{
	if (b->job == NULL)
		return -1;
	if (b->rec.slices == 0)
		return 0;
	long ms = (long)((b->last_slice_us + 999) / 1000);
	return ms > BACKUP_PACE_MIN_MS ? ms : BACKUP_PACE_MIN_MS;
}

/* Written in the caller's turn: the record, so a restart still knows it. */
static void
backup_remember(backup_t *b)
{
	store_t *s = b->store;
	const backup_record_t *r = &b->rec;
	store_meta_set(s, BACKUP_KEY("path"), r->path);
	store_meta_set(s, BACKUP_KEY("state"), r->state);
	store_meta_set(s, BACKUP_KEY("actor"), r->actor ? r->actor : "");
	store_meta_set(s, BACKUP_KEY("sha256"), r->sha256 ? r->sha256 : "");
	store_meta_set(s, BACKUP_KEY("error"), r->error ? r->error : "");
	store_meta_set(s, BACKUP_KEY("last_success_path"),
	               r->last_success_path ? r->last_success_path : "");
	backup_meta_put_int(s, BACKUP_KEY("started_ms"), r->started_ms);
	backup_meta_put_int(s, BACKUP_KEY("ended_ms"), r->ended_ms);
	backup_meta_put_int(s, BACKUP_KEY("last_success_ms"), r->last_success_ms);
	backup_meta_put_int(s, BACKUP_KEY("bytes"), (int64_t)r->bytes);
	backup_meta_put_int(s, BACKUP_KEY("runs"), (int64_t)r->runs);
	backup_meta_put_int(s, BACKUP_KEY("slices"), (int64_t)r->slices);
	backup_meta_put_int(s, BACKUP_KEY("max_pause_us"), (int64_t)r->max_pause_us);
	backup_meta_put_int(s, BACKUP_KEY("max_slice_cpu_us"), (int64_t)r->max_slice_cpu_us);
	backup_meta_put_int(s, BACKUP_KEY("schema_version"), r->schema_version);
}

void
backup_turn(backup_t *b, int64_t now_ms)
{
	if (b->job == NULL)
		return;
	char *error = NULL;
	const char *phase = store_backup_phase(b->job);
	int64_t start = clock_mono_us(), cpu = clock_thread_cpu_us();
	int rc = store_backup_step(b->job, BACKUP_SLICE_PAGES, &error);
	uint64_t took = (uint64_t)(clock_mono_us() - start);
	uint64_t took_cpu = (uint64_t)(clock_thread_cpu_us() - cpu);
	if (took > BACKUP_SLOW_SLICE_US)
		log_info("backup to %s: a slice (%s) took %.1f ms (%.1f ms of CPU)", b->rec.path,
		         phase, (double)took / 1000.0, (double)took_cpu / 1000.0);
	backup_record_t *r = &b->rec;
	r->slices++;
	b->last_slice_us = took;
	if (took > r->max_pause_us)
		r->max_pause_us = took;
	if (took_cpu > r->max_slice_cpu_us)
		r->max_slice_cpu_us = took_cpu;
	if (rc == 1)
		return;
	r->ended_ms = now_ms;
	free(r->state);
	if (rc == 0) {
		const store_backup_result_t *res = store_backup_result(b->job);
		r->state = xstrdup("ok");
		r->bytes = res->bytes;
		r->runs = res->runs;
		r->schema_version = (uint32_t)res->schema_version;
		r->sha256 = xstrdup(res->sha256);
		r->last_success_ms = now_ms;
		free(r->last_success_path);
		r->last_success_path = xstrdup(r->path);
		log_info("backup to %s done: %" PRIu64 " bytes, %" PRIu64
		         " runs, schema version %u,"
		         " sha256 %s; %" PRIu64 " slices, the longest %.2f ms",
		         r->path, r->bytes, r->runs, r->schema_version, r->sha256, r->slices,
		         (double)r->max_pause_us / 1000.0);
	} else {
		r->state = xstrdup("failed");
		r->error = error;
		error = NULL;
		log_error("backup to %s failed: %s", r->path, r->error);
	}
	store_backup_abort(&b->job);
	backup_remember(b);
}

void
backup_info(const backup_t *b, Rota__BackupInfo *out)
{
	const backup_record_t *r = &b->rec;
	out->path = r->path ? r->path : "";
	out->state = r->state ? r->state : "";
	out->actor = r->actor ? r->actor : "";
	out->sha256 = r->sha256 ? r->sha256 : "";
	out->error = r->error ? r->error : "";
	out->last_success_path = r->last_success_path ? r->last_success_path : "";
	out->started_ms = r->started_ms;
	out->ended_ms = r->ended_ms;
	out->last_success_ms = r->last_success_ms;
	out->bytes = r->bytes;
	out->runs = r->runs;
	out->slices = r->slices;
	out->max_pause_us = r->max_pause_us;
	out->max_slice_cpu_us = r->max_slice_cpu_us;
	out->schema_version = r->schema_version;
}

int64_t
backup_last_success_ms(const backup_t *b)
{
	return b->rec.last_success_ms;
}
