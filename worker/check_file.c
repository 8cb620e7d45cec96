/* check_file: file_check, the files matching a path or glob (see check.h):
 * how many there are, and the newest one's age and size. What a backup's
 * operator checks by hand with ls -lt and find -mtime.
 *
 * Must never: write anywhere, or follow a match into a directory: only
 * regular files count (a directory named like a backup is not one). */
#include <errno.h>
#include <glob.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "check_internal.h"
#include "clock.h"
#include "duration.h"

/* "2 h 10 min" from ms, for the report. */
static void
check_file_age(char *buf, size_t len, int64_t ms)
{
	if (ms < 0)
		ms = 0; /* a file from the future (clock skew) is as new as it gets */
	int64_t s = ms / 1000;
	if (s < 120)
		snprintf(buf, len, "%" PRId64 " s", s);
	else if (s < 7200)
		snprintf(buf, len, "%" PRId64 " min", s / 60);
	else if (s < 172800)
		snprintf(buf, len, "%" PRId64 " h %" PRId64 " min", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, len, "%" PRId64 " d %" PRId64 " h", s / 86400, s % 86400 / 3600);
}

check_verdict_t
check_file(const Rota__FileCheckSpec *spec, int fd)
{
	char path[CHECK_SHOW_MAX];
	if (spec == NULL || check_str_or_empty(spec->path)[0] != '/') {
		check_say(fd, "file_check: give an absolute path or glob\n");
		return CHECK_ERROR;
	}
	check_show(spec->path, path, sizeof(path));
	glob_t g;
	memset(&g, 0, sizeof(g));
	int rc = glob(spec->path, GLOB_NOSORT, NULL, &g);
	if (rc != 0 && rc != GLOB_NOMATCH) {
		check_say(fd, "file_check: cannot list %s: %s\n", path,
		          rc == GLOB_NOSPACE ? "out of memory" : "a directory could not be read");
		globfree(&g);
		return CHECK_ERROR;
	}
	size_t count = 0;
	const char *newest = NULL;
	struct stat newest_st;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct stat st;
		if (stat(g.gl_pathv[i], &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		count++;
		if (newest == NULL || st.st_mtim.tv_sec > newest_st.st_mtim.tv_sec ||
		    (st.st_mtim.tv_sec == newest_st.st_mtim.tv_sec &&
		     st.st_mtim.tv_nsec > newest_st.st_mtim.tv_nsec)) {
			newest = g.gl_pathv[i];
			newest_st = st;
		}
	}
	uint32_t min_count = spec->min_count > 0 ? spec->min_count : 1;
	bool ok = count >= min_count;
	/* record: how many files match (0 too), so a baseline's
	 * max_decrease_pct catches backups that stop being kept; the newest
	 * one's age moves with the clock and max_age already bounds it. */
	check_value((double)count);
	if (newest == NULL) {
		check_say(fd, "%s: no file matches; needs at least %" PRIu32 "\n", path, min_count);
		globfree(&g);
		return CHECK_FAIL;
	}
	int64_t age_ms = clock_wall_ms() - ((int64_t)newest_st.st_mtim.tv_sec * 1000 +
	                                    newest_st.st_mtim.tv_nsec / 1000000);
	char name[CHECK_SHOW_MAX], age[48], size[32], needs[160] = "";
	check_show(newest, name, sizeof(name));
	check_file_age(age, sizeof(age), age_ms);
	check_fmt_bytes(size, sizeof(size), (double)newest_st.st_size);
	size_t n = 0;
	if (spec->max_age_ms > 0) {
		char max[32];
		ok = ok && age_ms <= (int64_t)spec->max_age_ms;
		duration_format(spec->max_age_ms, max, sizeof(max));
		n += (size_t)snprintf(needs + n, sizeof(needs) - n, "at most %s old", max);
	}
	if (spec->min_size > 0) {
		char min[32];
		ok = ok && (uint64_t)newest_st.st_size >= spec->min_size;
		check_fmt_bytes(min, sizeof(min), (double)spec->min_size);
		n += (size_t)snprintf(needs + n, sizeof(needs) - n, "%sat least %s", n ? ", " : "",
		                      min);
	}
	if (spec->min_count > 0)
		snprintf(needs + n, sizeof(needs) - n, "%sat least %" PRIu32 " file%s",
		         n ? ", " : "", min_count, min_count == 1 ? "" : "s");
	check_say(fd, "%s: %zu file%s; newest %s: %s, %s old%s%s\n", path, count,
	          count == 1 ? "" : "s", name, size, age, needs[0] ? "; needs " : "", needs);
	globfree(&g);
	return ok ? CHECK_PASS : CHECK_FAIL;
}
