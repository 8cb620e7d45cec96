/* test_backup: the backup module's pacing on a real store file. While a
 * backup runs the loop sleeps between its slices (backup_wait_ms: at least
 * as long as the last slice, at least BACKUP_PACE_MIN_MS), so a backup never
 * spins the coordinator's core; without a backup the loop's wait is its
 * own (-1); the backup still ends, whole, and says so. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "backup.h"
#include "fixture_store.h"
#include "xalloc.h"

static void
test_the_loop_sleeps_between_slices(void **state)
{
	fixture_store_t *f = *state;
	store_t *s = f->store;
	/* Enough pages for several slices. */
	assert_int_equal(store_begin(s), 0);
	char yaml[4096];
	memset(yaml, 'x', sizeof(yaml) - 1);
	yaml[sizeof(yaml) - 1] = '\0';
	for (int i = 0; i < 400; i++) {
		char id[32];
		snprintf(id, sizeof(id), "r-%04d", i);
		fixture_store_run(s, id, "b", yaml, ROTA__RUN_STATUS__RUN_SUCCEEDED, 1 + i);
	}
	assert_int_equal(store_commit(s), 0);
	backup_t *b = backup_new(s);
	assert_int_equal(backup_wait_ms(b), -1);
	char *path = xasprintf("%s/copy.db", f->dir);
	char *error = NULL;
	assert_int_equal(backup_start(b, path, "ops", 1000, &error), 0);
	assert_int_equal(backup_wait_ms(b), 0); /* the first slice at once */
	int slices = 0;
	while (backup_running(b)) {
		backup_turn(b, 2000);
		slices++;
		if (backup_running(b))
			assert_true(backup_wait_ms(b) >= BACKUP_PACE_MIN_MS);
		if (store_in_transaction(s))
			assert_int_equal(store_commit(s), 0);
		assert_true(slices < 10000);
	}
	assert_true(slices > 2);
	assert_int_equal(backup_wait_ms(b), -1);
	Rota__BackupInfo info = ROTA__BACKUP_INFO__INIT;
	backup_info(b, &info);
	assert_string_equal(info.state, "ok");
	assert_int_equal(info.runs, 400);
	backup_destroy(&b);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_the_loop_sleeps_between_slices,
	                                    fixture_store_setup_test, fixture_store_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
