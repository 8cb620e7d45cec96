/* publish: one line in a file, written whole (publish.h). */
#include "publish.h"

#include <stdio.h>

int
publish_line(const char *path, const char *line)
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (f == NULL)
		return -1;
	int ok = fprintf(f, "%s\n", line) > 0;
	if (fclose(f) != 0 || !ok || rename(tmp, path) != 0)
		return -1;
	return 0;
}

int
publish_port(const char *path, unsigned port)
{
	char line[16];
	snprintf(line, sizeof(line), "%u", port);
	return publish_line(path, line);
}
