/* Unit tests for audit: rows in and out of a real store, and the limit on
 * authentication-failure rows (one per address per second, with a count;
 * every failure in the metrics). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture_store.h"
#include "security/audit.h"
#include "store/store.h"

typedef fixture_store_t fixture_t;

/* Every row, oldest first. */
static Rota__AuditResponse *
rows(fixture_t *f)
{
	assert_int_equal(store_commit(f->store), 0);
	Rota__AuditResponse *out = malloc(sizeof(*out));
	assert_int_equal(audit_list(f->store, 0, AUDIT_MAX_LIST, out), 0);
	return out;
}

static void
test_record_and_list(void **state)
{
	fixture_t *f = *state;
	for (int i = 0; i < 3; i++) {
		char target[16];
		snprintf(target, sizeof(target), "r%d", i);
		audit_entry_t e = {.at_ms = 1000 * (i + 1),
		                   .actor = "alice",
		                   .role = "operator",
		                   .action = "submit",
		                   .target = target,
		                   .outcome = AUDIT_OK,
		                   .peer = "127.0.0.1:5",
		                   .key = "abcdefgh"};
		assert_int_equal(audit_record(f->store, &e), 0);
	}
	Rota__AuditResponse *out = rows(f);
	assert_int_equal(out->n_entries, 3);
	assert_string_equal(out->entries[0]->target, "r0"); /* oldest first */
	assert_string_equal(out->entries[2]->target, "r2");
	assert_int_equal(out->entries[2]->count, 1);
	assert_string_equal(out->entries[1]->detail, "");
	rota__audit_response__free_unpacked(out, NULL);
	/* The newest two; and since a time. */
	out = malloc(sizeof(*out));
	assert_int_equal(audit_list(f->store, 0, 2, out), 0);
	assert_int_equal(out->n_entries, 2);
	assert_string_equal(out->entries[0]->target, "r1");
	rota__audit_response__free_unpacked(out, NULL);
	out = malloc(sizeof(*out));
	assert_int_equal(audit_list(f->store, 3000, 0, out), 0);
	assert_int_equal(out->n_entries, 1);
	rota__audit_response__free_unpacked(out, NULL);
	assert_int_equal(store_commit(f->store), 0);
}

static void
test_auth_flood(void **state)
{
	fixture_t *f = *state;
	audit_t *a = audit_new(f->store);
	audit_tick(a, 0, 0, true);
	/* 100 failures from one address within a second: one row now, one
	 * with the other 99 once the second is over. */
	for (int i = 0; i < 100; i++)
		audit_auth_failure(a, 10000 + i, 50000 + i, AUDIT_EP_OPERATORS, AUDIT_AUTH_UNLISTED,
		                   "10.0.0.9", "K3yPr3fx",
		                   "key K3yPr3fx... is not in operators.yaml");
	audit_auth_failure(a, 10000, 50000, AUDIT_EP_WORKERS, AUDIT_AUTH_MALFORMED, "10.0.0.7", "",
	                   "not CURVE");
	Rota__AuditResponse *out = rows(f);
	assert_int_equal(out->n_entries, 2);
	assert_string_equal(out->entries[0]->peer, "10.0.0.9");
	assert_string_equal(out->entries[0]->action, "auth");
	assert_string_equal(out->entries[0]->target, "operators");
	assert_string_equal(out->entries[0]->outcome, AUDIT_REFUSED);
	assert_string_equal(out->entries[0]->key, "K3yPr3fx");
	assert_int_equal(out->entries[0]->count, 1);
	assert_non_null(strstr(out->entries[0]->detail, "(unlisted_key)"));
	assert_string_equal(out->entries[1]->peer, "10.0.0.7");
	rota__audit_response__free_unpacked(out, NULL);
	audit_tick(a, 10500, 50500, true); /* not yet */
	out = rows(f);
	assert_int_equal(out->n_entries, 2);
	rota__audit_response__free_unpacked(out, NULL);
	/* The store cannot be written: the rows wait. */
	audit_tick(a, 11200, 51200, false);
	out = rows(f);
	assert_int_equal(out->n_entries, 2);
	rota__audit_response__free_unpacked(out, NULL);
	audit_tick(a, 11300, 51300, true);
	out = rows(f);
	assert_int_equal(out->n_entries, 3);
	assert_int_equal(out->entries[2]->count, 99);
	assert_non_null(strstr(out->entries[2]->detail, "the latest of several"));
	rota__audit_response__free_unpacked(out, NULL);
	/* Every failure is counted, rows or not. */
	assert_int_equal(audit_auth_count(a, AUDIT_EP_OPERATORS, AUDIT_AUTH_UNLISTED), 100);
	assert_int_equal(audit_auth_count(a, AUDIT_EP_WORKERS, AUDIT_AUTH_MALFORMED), 1);
	assert_int_equal(audit_auth_count(a, AUDIT_EP_WORKERS, AUDIT_AUTH_UNLISTED), 0);
	/* A second later a failure is written at once again. */
	audit_auth_failure(a, 12400, 52400, AUDIT_EP_OPERATORS, AUDIT_AUTH_UNLISTED, "10.0.0.9",
	                   "K3yPr3fx", "again");
	out = rows(f);
	assert_int_equal(out->n_entries, 4);
	rota__audit_response__free_unpacked(out, NULL);
	audit_destroy(&a);
	assert_null(a);
}

/* More addresses than slots: the oldest is written out and reused, so the
 * table stays bounded and no held-back failure is dropped. */
static void
test_auth_many_addresses(void **state)
{
	fixture_t *f = *state;
	audit_t *a = audit_new(f->store);
	audit_tick(a, 0, 0, true);
	char addr[32];
	for (int i = 0; i < AUDIT_AUTH_SLOTS + 10; i++) {
		snprintf(addr, sizeof(addr), "10.1.%d.%d", i / 256, i % 256);
		audit_auth_failure(a, 5000, 5000, AUDIT_EP_WORKERS, AUDIT_AUTH_UNLISTED, addr, "k",
		                   "x");
		audit_auth_failure(a, 5001, 5001, AUDIT_EP_WORKERS, AUDIT_AUTH_UNLISTED, addr, "k",
		                   "x");
	}
	audit_tick(a, 7000, 7000, true);
	Rota__AuditResponse *out = rows(f);
	uint64_t total = 0;
	for (size_t i = 0; i < out->n_entries; i++)
		total += out->entries[i]->count;
	assert_int_equal(total, 2 * (AUDIT_AUTH_SLOTS + 10));
	rota__audit_response__free_unpacked(out, NULL);
	audit_destroy(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_record_and_list, fixture_store_setup_test,
	                                    fixture_store_teardown),
	    cmocka_unit_test_setup_teardown(test_auth_flood, fixture_store_setup_test,
	                                    fixture_store_teardown),
	    cmocka_unit_test_setup_teardown(test_auth_many_addresses, fixture_store_setup_test,
	                                    fixture_store_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
