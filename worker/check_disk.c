/* check_disk: disk_check, the free space of a filesystem (see check.h).
 *
 * Must never: write anywhere; a statvfs on a stuck mount blocks, which is
 * why it runs in the check child and not in the worker's loop. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>

#include "check_internal.h"

check_verdict_t
check_disk(const Rota__DiskCheckSpec *spec, int fd)
{
	char path[CHECK_SHOW_MAX];
	if (spec == NULL || check_str_or_empty(spec->path)[0] == '\0') {
		check_say(fd, "disk_check: no path given\n");
		return CHECK_ERROR;
	}
	check_show(spec->path, path, sizeof(path));
	if (isnan(spec->min_free_pct) || spec->min_free_pct < 0 || spec->min_free_pct > 100) {
		check_say(fd, "disk_check: min_free_pct %g is not a percentage (0 to 100)\n",
		          spec->min_free_pct);
		return CHECK_ERROR;
	}
	struct statvfs sv;
	if (statvfs(spec->path, &sv) != 0) {
		check_say(fd, "disk_check: cannot read the filesystem of %s: %s\n", path,
		          strerror(errno));
		return CHECK_ERROR;
	}
	if (sv.f_blocks == 0) {
		check_say(
		    fd, "disk_check: the filesystem of %s reports no size (a pseudo filesystem?)\n",
		    path);
		return CHECK_ERROR;
	}
	/* f_bavail, not f_bfree: the blocks reserved for root are no help to
	 * the services that fill the disk. */
	double frsize = (double)sv.f_frsize;
	double avail = (double)sv.f_bavail * frsize;
	double total = (double)sv.f_blocks * frsize;
	double pct = 100.0 * (double)sv.f_bavail / (double)sv.f_blocks;
	bool ok = true;
	char avail_s[32], total_s[32], need_s[32], needs[96] = "";
	check_fmt_bytes(avail_s, sizeof(avail_s), avail);
	check_fmt_bytes(total_s, sizeof(total_s), total);
	if (spec->min_free_pct > 0) {
		ok = ok && pct >= spec->min_free_pct;
		snprintf(needs, sizeof(needs), "%g%%", spec->min_free_pct);
	}
	if (spec->min_free_bytes > 0) {
		ok = ok && avail >= (double)spec->min_free_bytes;
		check_fmt_bytes(need_s, sizeof(need_s), (double)spec->min_free_bytes);
		size_t n = strlen(needs);
		snprintf(needs + n, sizeof(needs) - n, "%s%s", n ? " and " : "", need_s);
	}
	/* record: the used percentage, 100 minus the free one printed, so a
	 * baseline's max_increase_pct reads as "the disk fills faster". */
	check_value(100.0 - pct);
	/* Rounded down, so 19.96% never shows as the 20.0% it lacks. */
	check_say(fd, "%s: %.1f%% free (%s of %s)%s%s\n", path, floor(pct * 10.0) / 10.0, avail_s,
	          total_s, needs[0] ? "; needs at least " : "", needs);
	return ok ? CHECK_PASS : CHECK_FAIL;
}
