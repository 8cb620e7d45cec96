/* fixture_dir: a temporary directory for unit tests (fixture_dir.h). */
#include "fixture_dir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
fixture_dir_make(const char *name, char *dir, size_t dir_len)
{
	snprintf(dir, dir_len, "/tmp/rota-%s.XXXXXX", name);
	if (mkdtemp(dir) == NULL) {
		fprintf(stderr, "fixture_dir: mkdtemp %s failed\n", dir);
		dir[0] = '\0';
		return -1;
	}
	return 0;
}

int
fixture_dir_remove(const char *dir)
{
	if (dir == NULL || strncmp(dir, "/tmp/rota-", 10) != 0)
		return -1;
	char cmd[320];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

char *
fixture_dir_path(const char *dir, const char *name)
{
	static char buf[256];
	snprintf(buf, sizeof(buf), "%s/%s", dir, name);
	return buf;
}
