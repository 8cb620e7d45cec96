/* fixture_pg: a fresh PostgreSQL database for a unit test, in the suite's
 * private cluster (tests/pg/pgcluster.sh), when the test runs as a pg.*
 * variant (ROTA_TEST_STORE=postgresql; tests/pg/CMakeLists.txt).
 *
 * The variant's environment names the cluster's state file
 * (ROTA_TEST_PG_STATE) and the script (ROTA_TEST_PGCLUSTER); each database
 * is made empty by `pgcluster.sh newdb`, so tests running in parallel never
 * share one, and goes with the cluster at the end of the run.
 *
 * Must never: touch a cluster other than the one the state file names. */
#ifndef ROTA_FIXTURE_PG_H
#define ROTA_FIXTURE_PG_H

#include <stdbool.h>
#include <stddef.h>

/* True when the test runs against PostgreSQL (ROTA_TEST_STORE=postgresql). */
bool fixture_pg_enabled(void);
/* Makes an empty database for name (any text: a database name is made of
 * it, the pid and a counter) and writes its URL (postgresql://, no
 * password) into url. 0, or -1 (said on stderr; url is then ""). */
int fixture_pg_newdb(const char *name, char *url, size_t url_len);

#endif
