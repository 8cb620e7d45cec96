/* test_incstats: incident response times by severity: nearest-rank
 * percentiles, incidents not yet acknowledged or resolved left out of
 * those times, suppressed ones counted apart, an unknown severity as P4. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "incstats.h"

static void
test_percentiles(void **state)
{
	(void)state;
	incstats_t st = {0};
	/* P1: acked after 1..10 minutes, resolved after 1..10 hours. */
	for (int i = 1; i <= 10; i++) {
		store_incident_times_t t = {.severity = 1,
		                            .created_ms = 1000,
		                            .acked_ms = 1000 + i * 60000LL,
		                            .resolved_ms = 1000 + i * 3600000LL};
		incstats_add(&st, &t);
	}
	store_incident_times_t open = {.severity = 1, .created_ms = 5000};
	incstats_add(&st, &open);
	store_incident_times_t quiet = {.severity = 2, .created_ms = 5000, .suppressed = 1};
	incstats_add(&st, &quiet);
	store_incident_times_t odd = {.severity = 9, .created_ms = 5000, .resolved_ms = 6000};
	incstats_add(&st, &odd);

	assert_int_equal(st.sev[1].count, 11);
	assert_int_equal(st.sev[1].acked, 10);
	assert_int_equal(st.sev[1].resolved, 10);
	assert_int_equal(incstats_percentile(&st.sev[1].ack, 50), 5 * 60000LL);
	assert_int_equal(incstats_percentile(&st.sev[1].ack, 95), 10 * 60000LL);
	assert_int_equal(incstats_percentile(&st.sev[1].resolve, 50), 5 * 3600000LL);
	assert_int_equal(st.sev[2].count, 0);
	assert_int_equal(st.sev[2].suppressed, 1);
	assert_int_equal(incstats_percentile(&st.sev[2].ack, 50), -1);
	assert_int_equal(st.sev[4].resolved, 1);
	assert_int_equal(incstats_percentile(&st.sev[4].resolve, 95), 1000);
	incstats_free(&st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_percentiles),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
