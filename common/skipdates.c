/* skipdates: the dates a schedule does not fire on (skipdates.h). */
#include "skipdates.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cron.h"
#include "file.h"
#include "xalloc.h"

bool
skipdates_valid(const char *text)
{
	static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (text == NULL || strlen(text) != 10 || text[4] != '-' || text[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)text[i]))
			return false;
	int y =
	    (text[0] - '0') * 1000 + (text[1] - '0') * 100 + (text[2] - '0') * 10 + (text[3] - '0');
	int m = (text[5] - '0') * 10 + (text[6] - '0');
	int d = (text[8] - '0') * 10 + (text[9] - '0');
	if (y < 1900 || m < 1 || m > 12 || d < 1 || d > days[m - 1])
		return false;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return !(m == 2 && d == 29 && !leap);
}

/* Index of date in s, or of where it would go (*found false). */
static size_t
skipdates_index(const skipdates_t *s, const char *date, bool *found)
{
	size_t lo = 0, hi = s->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(s->items[mid].date, date);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

void
skipdates_add(skipdates_t *s, const char *date, const char *why)
{
	bool found;
	size_t at = skipdates_index(s, date, &found);
	if (found)
		return;
	s->items = xrealloc(s->items, (s->count + 1) * sizeof(*s->items));
	memmove(&s->items[at + 1], &s->items[at], (s->count - at) * sizeof(*s->items));
	snprintf(s->items[at].date, sizeof(s->items[at].date), "%s", date);
	s->items[at].why = xstrdup(why != NULL ? why : "");
	s->count++;
}

/* One line of a holiday file: blank, a comment, or "DATE [name]". */
static int
skipdates_line(skipdates_t *s, const char *path, size_t no, char *line, char **error)
{
	char *hash = strchr(line, '#');
	if (hash != NULL)
		*hash = '\0';
	char *p = line + strspn(line, " \t\r");
	if (*p == '\0')
		return 0;
	size_t n = strcspn(p, " \t\r");
	char date[16] = "";
	if (n < sizeof(date))
		memcpy(date, p, n);
	if (n >= sizeof(date) || !skipdates_valid(date)) {
		*error = xasprintf("%s:%zu:%zu: '%.*s' is not a date; write YYYY-MM-DD (as in "
		                   "2026-12-25 Christmas Day)",
		                   path, no, (size_t)(p - line) + 1, (int)(n > 40 ? 40 : n), p);
		return -1;
	}
	char *why = p + n + strspn(p + n, " \t");
	size_t wl = strlen(why);
	while (wl > 0 && (why[wl - 1] == ' ' || why[wl - 1] == '\t' || why[wl - 1] == '\r'))
		why[--wl] = '\0';
	skipdates_add(s, date, why);
	return 0;
}

int
skipdates_read(skipdates_t *s, const char *path, char **error)
{
	char *data = NULL; /* owned */
	size_t len = 0;
	file_status_t st =
	    file_read_all(path, SKIPDATES_FILE_MAX_BYTES, FILE_NONBLOCK, &data, &len, NULL);
	if (st != FILE_OK) {
		*error = st == FILE_ERR_TOO_LARGE
		             ? xasprintf("%s: larger than %d bytes; is it a holiday file?", path,
		                         SKIPDATES_FILE_MAX_BYTES)
		         : st == FILE_ERR_NOT_REGULAR ? xasprintf("%s: not a regular file", path)
		                                      : xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	if (strlen(data) != len) {
		free(data);
		*error = xasprintf("%s: holds a NUL byte; is it a holiday file?", path);
		return -1;
	}
	skipdates_t read = {0}; /* owned until merged */
	char *next = NULL;
	size_t no = 0;
	int rc = 0;
	/* Lines one at a time, counted (strtok_r would skip empty ones). */
	for (char *line = data; line != NULL && rc == 0; line = next) {
		char *nl = strchr(line, '\n');
		next = nl != NULL ? nl + 1 : NULL;
		if (nl != NULL)
			*nl = '\0';
		rc = skipdates_line(&read, path, ++no, line, error);
	}
	free(data);
	if (rc == 0)
		for (size_t i = 0; i < read.count; i++)
			skipdates_add(s, read.items[i].date, read.items[i].why);
	skipdates_clear(&read);
	return rc;
}

const skipdate_t *
skipdates_find(const skipdates_t *s, int64_t slot_ms, const char *tz)
{
	char local[64];
	if (s == NULL || s->count == 0 || cron_format(slot_ms, tz, local, sizeof(local)) != 0)
		return NULL;
	local[10] = '\0';
	bool found;
	size_t at = skipdates_index(s, local, &found);
	return found ? &s->items[at] : NULL;
}

char *
skipdates_describe(const skipdate_t *d)
{
	if (d == NULL)
		return xstrdup("");
	return xasprintf("%s%s%s%s is in the schedule's skip_dates", d->date, d->why[0] ? " (" : "",
	                 d->why, d->why[0] ? ")" : "");
}

void
skipdates_clear(skipdates_t *s)
{
	for (size_t i = 0; i < s->count; i++)
		free(s->items[i].why);
	free(s->items);
	s->items = NULL;
	s->count = 0;
}
