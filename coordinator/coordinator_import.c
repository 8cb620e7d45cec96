/* coordinator_import: `rota-coordinator --import-sqlite DATA_DIR --store
 * URL`, moving a single-box install to PostgreSQL. Takes the install's
 * locks (so no coordinator writes its store meanwhile), opens its SQLite
 * store (migrating it to this rota's schema) and the PostgreSQL one
 * (creating the schema in an empty database), copies everything with
 * store_import and prints the rows per table. The copy itself is the store
 * room's (store/store_import.c).
 *
 * Must never: write into a database that holds anything of rota's, run
 * beside a coordinator on the same data directory, or print a password
 * (the URL holds none: coordinator_store_plan refuses one). */
#include "coordinator.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "dirlock.h"
#include "store/store.h"
#include "xalloc.h"

/* The PostgreSQL store to import into, from the same flags, environment and
 * configuration a start would use. 0, or -1 with *error. */
static int
coordinator_import_target(const coordinator_config_t *cfg, coordinator_store_plan_t *plan,
                          char **error)
{
	config_t *config = NULL; /* owned */
	if (cfg->config_path != NULL && (config = config_load(cfg->config_path, error)) == NULL)
		return -1;
	int rc = coordinator_store_plan(cfg, config, plan, error);
	config_destroy(&config);
	if (rc != 0)
		return -1;
	if (plan->target == NULL) {
		*error = xstrdup("--import-sqlite copies into a PostgreSQL database: give it with"
		                 " --store postgresql://USER@HOST:PORT/DATABASE (or ROTA_STORE, or"
		                 " store: in --config)");
		coordinator_store_plan_clear(plan);
		return -1;
	}
	return 0;
}

/* Prints what was copied, one line per table and a total. */
static void
coordinator_import_print(FILE *out, const char *from, const char *to,
                         const store_import_report_t *report)
{
	int64_t total = 0;
	fprintf(out, "imported %s into %s:\n", from, to);
	for (size_t i = 0; i < store_import_table_count(); i++) {
		fprintf(out, "  %-16s %lld\n", store_import_table(i)->name,
		        (long long)report->rows[i]);
		total += report->rows[i];
	}
	fprintf(out, "  %-16s %lld rows\n", "total", (long long)total);
	fprintf(out,
	        "start the coordinators with --store %s; keep %s as it is (the SQLite"
	        " store is left unchanged) until they run\n",
	        to, from);
}

int
coordinator_import(const coordinator_config_t *cfg, const char *dir, FILE *out, char **error)
{
	coordinator_store_plan_t plan; /* owns its strings */
	if (coordinator_import_target(cfg, &plan, error) != 0)
		return -1;
	char *path = xasprintf("%s/rota.db", dir); /* owned */
	int lockfd = -1;
	storelock_t *filelock = NULL; /* owned */
	store_t *src = NULL;          /* owned */
	store_t *dst = NULL;          /* owned */
	int rc = -1;
	struct stat st;
	/* storelock_take would create a missing file: an empty store imported
	 * would be a silent mistake (a wrong directory). */
	if (stat(path, &st) != 0) {
		*error = xasprintf("%s: %s; give the data directory of the install to move"
		                   " (the one its coordinator ran with --data-dir)",
		                   path, strerror(errno));
		goto out;
	}
	lockfd = dirlock_take(dir, "rota-coordinator", error);
	if (lockfd < 0)
		goto out;
	if ((filelock = storelock_take(path, error)) == NULL)
		goto out;
	store_options_t so = {.target = path};
	if ((src = store_open(&so, error)) == NULL)
		goto out;
	store_options_t po = {.target = plan.target, .password_file = plan.password_file};
	if ((dst = store_open(&po, error)) == NULL)
		goto out;
	store_import_report_t report;
	if (store_import(dst, src, &report, error) != 0)
		goto out;
	coordinator_import_print(out, path, plan.target, &report);
	rc = 0;
out:
	store_destroy(&dst);
	store_destroy(&src);
	storelock_release(&filelock);
	dirlock_release(&lockfd);
	free(path);
	coordinator_store_plan_clear(&plan);
	return rc;
}
