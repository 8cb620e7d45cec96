/* skipdates: the dates a schedule does not fire on (a runbook's
 * `schedule.skip_dates`), each with why: written in the runbook, or read
 * from a holiday file of lines "YYYY-MM-DD  name" (# starts a comment).
 *
 * A date is a local date in the schedule's timezone: a slot is skipped when
 * its wall-clock date there is listed. The list is small (a year's
 * holidays), kept sorted and searched by bisection.
 *
 * Must never: accept a date that does not exist (2026-02-30), or a holiday
 * file line it cannot read without saying file:line:column. */
#ifndef ROTA_SKIPDATES_H
#define ROTA_SKIPDATES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SKIPDATES_FILE_MAX_BYTES (1024 * 1024)

typedef struct {
	char date[11]; /* "YYYY-MM-DD" */
	char *why;     /* owned; "" when not given */
} skipdate_t;

typedef struct {
	skipdate_t *items; /* owned, sorted by date, no duplicates */
	size_t count;
} skipdates_t;

/* True when text is a real calendar date written YYYY-MM-DD. */
bool skipdates_valid(const char *text);

/* Adds date (valid) with why (may be NULL); a date already listed keeps
 * its first reason. */
void skipdates_add(skipdates_t *s, const char *date, const char *why);

/* Reads a holiday file into s. On a bad line returns -1 with *error (the
 * caller frees) as "PATH:LINE:COLUMN: what", and adds nothing. */
int skipdates_read(skipdates_t *s, const char *path, char **error);

/* The entry for the local date of slot_ms in tz, or NULL. */
const skipdate_t *skipdates_find(const skipdates_t *s, int64_t slot_ms, const char *tz);

/* "2026-12-25 (Christmas Day) is in the schedule's skip_dates", or "" for
 * NULL; the caller frees. */
char *skipdates_describe(const skipdate_t *d);

void skipdates_clear(skipdates_t *s);

#endif
