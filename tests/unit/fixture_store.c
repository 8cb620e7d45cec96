/* fixture_store: a temporary store for unit tests (fixture_store.h). */
#include "fixture_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
fixture_store_dir(const char *name, char *dir, size_t dir_len, char *path, size_t path_len)
{
	snprintf(dir, dir_len, "/tmp/rota-%s.XXXXXX", name);
	if (mkdtemp(dir) == NULL) {
		fprintf(stderr, "fixture_store: mkdtemp %s failed\n", dir);
		dir[0] = '\0';
		return -1;
	}
	if (path != NULL)
		snprintf(path, path_len, "%s/rota.db", dir);
	return 0;
}

store_t *
fixture_store_open(const char *path)
{
	char *err = NULL;
	store_t *s = store_open(path, &err);
	if (s == NULL) {
		fprintf(stderr, "store_open: %s\n", err ? err : "?");
		free(err);
	}
	return s;
}

store_t *
fixture_store_new(const char *name, char *dir, size_t dir_len, char *path, size_t path_len)
{
	char own[256];
	if (path == NULL) {
		path = own;
		path_len = sizeof(own);
	}
	if (fixture_store_dir(name, dir, dir_len, path, path_len) != 0)
		return NULL;
	return fixture_store_open(path);
}

int
fixture_store_remove(store_t **sp, const char *dir)
{
	if (sp != NULL)
		store_destroy(sp);
	if (dir == NULL || strncmp(dir, "/tmp/rota-", 10) != 0)
		return -1;
	char cmd[320];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}
