/* fixture_pg: a fresh PostgreSQL database for a unit test (fixture_pg.h). */
#include "fixture_pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool
fixture_pg_enabled(void)
{
	const char *store = getenv("ROTA_TEST_STORE");
	return store != NULL && strcmp(store, "postgresql") == 0;
}

int
fixture_pg_newdb(const char *name, char *url, size_t url_len)
{
	static unsigned counter; /* databases made by this process */
	url[0] = '\0';
	const char *script = getenv("ROTA_TEST_PGCLUSTER");
	if (script == NULL || getenv("ROTA_TEST_PG_STATE") == NULL) {
		fprintf(stderr, "fixture_pg: ROTA_TEST_PGCLUSTER and ROTA_TEST_PG_STATE must be set"
		                " (run the test as its pg.* variant: ctest -R pg.unit)\n");
		return -1;
	}
	/* Lower-case letters, digits and _ only: pgcluster.sh's rule, so the
	 * name needs no quoting in its SQL or in the URL. */
	char db[64];
	size_t n = (size_t)snprintf(db, sizeof(db), "u_");
	for (const char *p = name; *p != '\0' && n < 40; p++) {
		char c = *p;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		db[n++] = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ? c : '_';
	}
	snprintf(db + n, sizeof(db) - n, "_%ld_%u", (long)getpid(), counter++);
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "bash '%s' newdb %s", script, db);
	FILE *f = popen(cmd, "r");
	if (f == NULL) {
		fprintf(stderr, "fixture_pg: cannot run %s\n", cmd);
		return -1;
	}
	if (fgets(url, (int)url_len, f) == NULL)
		url[0] = '\0';
	int rc = pclose(f);
	url[strcspn(url, "\n")] = '\0';
	if (rc != 0 || strncmp(url, "postgresql://", 13) != 0) {
		fprintf(stderr, "fixture_pg: %s failed (exit %d)\n", cmd, rc);
		url[0] = '\0';
		return -1;
	}
	return 0;
}
