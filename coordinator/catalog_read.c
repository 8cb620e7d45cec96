/* catalog_read: a runbook directory's files read and parsed on a few
 * threads (catalog_read.h).
 *
 * Thread-safe because what a file's parse calls keeps no state between
 * calls: the runbook parser and yamltree (a libyaml parser per file),
 * cron_parse and cron_timezone_valid (not cron_next, whose zone cache is
 * the loop's), skipdates_read; errno is per thread, and glibc's strerror
 * gives a constant string for every errno there is. The loop's thread
 * waits in catalog_read_all meanwhile, so nothing else sets TZ. */
#include "catalog_read.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog.h"
#include "xalloc.h"

/* Files a thread takes at a time: few enough that the threads end
 * together, enough that they rarely meet on the counter. */
#define CATALOG_READ_CHUNK 32

typedef struct {
	const char *dir;     /* borrowed */
	char *const *names;  /* borrowed */
	size_t n;            /* of names and out */
	catalog_read_t *out; /* borrowed: out[i] is written by one thread only */
	atomic_size_t next;  /* the first file no thread has taken yet */
} catalog_reader_t;

void
catalog_read_clear(catalog_read_t *r)
{
	free(r->text);
	runbook_destroy(&r->rb);
	free(r->errors);
	free(r->warnings);
	memset(r, 0, sizeof(*r));
}

/* The file at path: its text, and its runbook or its errors. */
static void
catalog_read_one(const char *path, catalog_read_t *r)
{
	char *err = NULL;
	r->text = catalog_read_file(path, RUNBOOK_MAX_FILE_BYTES, &r->len, &err);
	if (r->text == NULL) {
		r->errors = xasprintf("%s\n", err);
		free(err);
		return;
	}
	runbook_errors_t errs = {0};
	r->rb = runbook_parse_string(r->text, r->len, path, &errs);
	if (r->rb == NULL)
		r->errors = runbook_errors_format(&errs);
	runbook_errors_clear(&errs);
	char *skip_err = NULL;
	if (r->rb != NULL && runbook_skip_file_load(r->rb, path, &skip_err) != 0) {
		/* A schedule that would fire on a holiday it was told to skip is
		 * as wrong as a bad cron line: the file is invalid. */
		r->errors = xasprintf("%s:%d:%d: %s\n", path, r->rb->schedule.skip_file_mark.line,
		                      r->rb->schedule.skip_file_mark.column, skip_err);
		free(skip_err);
		runbook_destroy(&r->rb);
	}
	if (r->rb != NULL && r->rb->warnings.count > 0)
		r->warnings = runbook_errors_format(&r->rb->warnings);
}

/* Takes files CATALOG_READ_CHUNK at a time until none is left. */
static void
catalog_read_share(catalog_reader_t *rd)
{
	size_t dirlen = strlen(rd->dir), cap = 0;
	char *path = NULL; /* owned: "dir/name", grown to the longest name met */
	for (;;) {
		size_t first = atomic_fetch_add(&rd->next, CATALOG_READ_CHUNK);
		if (first >= rd->n)
			break;
		size_t end =
		    first + CATALOG_READ_CHUNK < rd->n ? first + CATALOG_READ_CHUNK : rd->n;
		for (size_t i = first; i < end; i++) {
			size_t len = strlen(rd->names[i]);
			if (dirlen + len + 2 > cap) {
				cap = dirlen + len + 2 + 64;
				path = xrealloc(path, cap);
				memcpy(path, rd->dir, dirlen);
				path[dirlen] = '/';
			}
			memcpy(path + dirlen + 1, rd->names[i], len + 1);
			catalog_read_one(path, &rd->out[i]);
		}
	}
	free(path);
}

static void *
catalog_read_run(void *arg)
{
	catalog_read_share(arg);
	return NULL;
}

/* One per online CPU, at most CATALOG_READ_THREADS_MAX, and no more than
 * there are chunks of files. */
static unsigned
catalog_read_threads(size_t n, unsigned want)
{
	if (want == 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		want = cpus > 0 ? (unsigned)cpus : 1;
	}
	if (want > CATALOG_READ_THREADS_MAX)
		want = CATALOG_READ_THREADS_MAX;
	size_t chunks = (n + CATALOG_READ_CHUNK - 1) / CATALOG_READ_CHUNK;
	if (want > chunks)
		want = chunks > 0 ? (unsigned)chunks : 1;
	return want;
}

unsigned
catalog_read_all(const char *dir, char *const *names, size_t n, unsigned threads,
                 catalog_read_t *out)
{
	catalog_reader_t rd = {.dir = dir, .names = names, .n = n, .out = out};
	atomic_init(&rd.next, 0);
	unsigned want = catalog_read_threads(n, threads);
	pthread_t tids[CATALOG_READ_THREADS_MAX];
	unsigned started = 0;
	if (want > 1) {
		/* The readers take no signal: the process's are for the loop
		 * (blocked there already, read from its signalfd). */
		sigset_t all, old;
		sigfillset(&all);
		int masked = pthread_sigmask(SIG_SETMASK, &all, &old);
		for (unsigned k = 0; masked == 0 && k + 1 < want; k++)
			if (pthread_create(&tids[started], NULL, catalog_read_run, &rd) == 0)
				started++;
		if (masked == 0)
			pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	/* The caller's thread reads too, and alone when no thread started. */
	catalog_read_share(&rd);
	for (unsigned k = 0; k < started; k++)
		pthread_join(tids[k], NULL);
	return started + 1;
}
