/* leader: the role state machine with a fake store and a fake clock: a
 * follower takes over when the store lets it, a leader renews once a
 * second, and steps down when deposed, when a commit is fenced, or when
 * the store has not confirmed the lease for a whole lease; a failed
 * promotion gives the lease back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "leader.h"

typedef struct {
	int take_rc;    /* what take answers */
	uint64_t next;  /* the epoch take hands out */
	int renew_rc;   /* what renew answers */
	int promote_rc; /* what promote answers */
	unsigned takes, renews, releases, promotes, demotes;
	uint64_t promoted, demoted, released;
	char why[200];
} fake_t;

static int
fake_take(void *ctx, uint64_t *epoch)
{
	fake_t *f = ctx;
	f->takes++;
	if (f->take_rc == 1)
		*epoch = ++f->next;
	return f->take_rc;
}

static int
fake_renew(void *ctx, uint64_t epoch)
{
	fake_t *f = ctx;
	(void)epoch;
	f->renews++;
	return f->renew_rc;
}

static void
fake_release(void *ctx, uint64_t epoch)
{
	fake_t *f = ctx;
	f->releases++;
	f->released = epoch;
}

static int
fake_promote(void *ctx, uint64_t epoch)
{
	fake_t *f = ctx;
	f->promotes++;
	f->promoted = epoch;
	return f->promote_rc;
}

static void
fake_demote(void *ctx, uint64_t epoch, const char *why)
{
	fake_t *f = ctx;
	f->demotes++;
	f->demoted = epoch;
	strncpy(f->why, why, sizeof(f->why) - 1);
}

static leader_t *
fake_leader(fake_t *f, int64_t lease_ms)
{
	memset(f, 0, sizeof(*f));
	f->renew_rc = 1;
	leader_ops_t ops = {fake_take, fake_renew, fake_release, fake_promote, fake_demote, f};
	return leader_new(&ops, lease_ms);
}

/* A follower tries once a second until the store lets it; then it leads
 * under the epoch the store gave and has been promoted once. */
static void
test_follower_takes_over(void **state)
{
	(void)state;
	fake_t f;
	leader_t *l = fake_leader(&f, 5000);
	f.take_rc = 0;
	leader_turn(l, 1000);
	assert_int_equal(leader_role(l), LEADER_FOLLOWER);
	assert_int_equal(f.takes, 1);
	leader_turn(l, 1500); /* not due yet */
	assert_int_equal(f.takes, 1);
	leader_turn(l, 2000);
	assert_int_equal(f.takes, 2);
	f.take_rc = 1;
	f.next = 41;
	leader_turn(l, 3000);
	assert_true(leader_is_leader(l));
	assert_int_equal(leader_epoch(l), 42);
	assert_int_equal(f.promotes, 1);
	assert_int_equal(f.promoted, 42);
	assert_int_equal(leader_changes(l), 1);
	/* A leader renews, it does not take again. */
	leader_turn(l, 4000);
	assert_int_equal(f.takes, 3);
	assert_int_equal(f.renews, 1);
	leader_destroy(&l);
	assert_null(l);
}

/* A renewal that finds the epoch gone: step down at once, and do not give
 * up a lease that is another's. */
static void
test_deposed_on_renew(void **state)
{
	(void)state;
	fake_t f;
	leader_t *l = fake_leader(&f, 5000);
	f.take_rc = 1;
	leader_turn(l, 0);
	assert_true(leader_is_leader(l));
	f.take_rc = 0;
	f.renew_rc = 0;
	leader_turn(l, 1000);
	assert_int_equal(leader_role(l), LEADER_FOLLOWER);
	assert_int_equal(f.demotes, 1);
	assert_int_equal(f.demoted, 1);
	assert_int_equal(f.releases, 0);
	assert_non_null(strstr(f.why, "took the lease over"));
	assert_int_equal(leader_changes(l), 2);
	/* Back to trying to take it, once a second. */
	leader_turn(l, 2000);
	assert_int_equal(f.takes, 2);
	leader_destroy(&l);
}

/* The store cannot be reached: the leader goes on for less than a lease
 * counted from the start of its last good renewal, then steps down. A
 * renewal that succeeds in between starts the count again. */
static void
test_unreachable_for_a_lease(void **state)
{
	(void)state;
	fake_t f;
	leader_t *l = fake_leader(&f, 5000);
	f.take_rc = 1;
	leader_turn(l, 0);
	f.renew_rc = -1;
	for (int64_t t = 1000; t < 5000; t += 1000) {
		leader_turn(l, t);
		assert_true(leader_is_leader(l));
	}
	f.renew_rc = 1;
	leader_turn(l, 5000); /* confirmed at 5000 */
	f.renew_rc = -1;
	for (int64_t t = 6000; t < 10000; t += 1000) {
		leader_turn(l, t);
		assert_true(leader_is_leader(l));
	}
	leader_turn(l, 10000);
	assert_int_equal(leader_role(l), LEADER_FOLLOWER);
	assert_int_equal(f.demotes, 1);
	assert_int_equal(f.releases, 1); /* in case the store hears it after all */
	assert_non_null(strstr(f.why, "has not confirmed the lease"));
	leader_destroy(&l);
}

/* Frozen past its lease (no turn at all for a long time): the first turn
 * after asks the store at once, before the renewal would be due by the
 * schedule, and steps down when the epoch is gone. */
static void
test_thawed_leader_asks_first(void **state)
{
	(void)state;
	fake_t f;
	leader_t *l = fake_leader(&f, 5000);
	f.take_rc = 1;
	leader_turn(l, 0);
	leader_turn(l, 999); /* not due */
	assert_int_equal(f.renews, 0);
	f.renew_rc = 0;
	leader_turn(l, 60000);
	assert_int_equal(f.renews, 1);
	assert_int_equal(leader_role(l), LEADER_FOLLOWER);
	leader_destroy(&l);
}

/* A commit refused by the fence steps the leader down at once; a follower
 * told so stays as it is. */
static void
test_fenced_commit(void **state)
{
	(void)state;
	fake_t f;
	leader_t *l = fake_leader(&f, 5000);
	leader_deposed(l, "fenced"); /* follower: nothing */
	assert_int_equal(f.demotes, 0);
	f.take_rc = 1;
	leader_turn(l, 0);
	leader_deposed(l, "a commit was refused: the epoch is no longer the lease's");
	assert_int_equal(leader_role(l), LEADER_FOLLOWER);
	assert_int_equal(f.demotes, 1);
	assert_int_equal(f.releases, 0);
	leader_destroy(&l);
}

/* A promotion that fails (the runs cannot be read) gives the lease back
 * at once, so another coordinator may lead; the next try is a second
 * later, under a new epoch. */
static void
test_failed_promotion(void **state)
{
	(void)state;
	fake_t f;
	leader_t *l = fake_leader(&f, 5000);
	f.take_rc = 1;
	f.promote_rc = -1;
	leader_turn(l, 0);
	assert_int_equal(leader_role(l), LEADER_FOLLOWER);
	assert_int_equal(f.releases, 1);
	assert_int_equal(f.released, 1);
	f.promote_rc = 0;
	leader_turn(l, 1000);
	assert_true(leader_is_leader(l));
	assert_int_equal(leader_epoch(l), 2);
	leader_destroy(&l);
}

/* Stopping gives the lease up; a follower has none to give. */
static void
test_stop_releases(void **state)
{
	(void)state;
	fake_t f;
	leader_t *l = fake_leader(&f, 5000);
	leader_stop(l);
	assert_int_equal(f.releases, 0);
	f.take_rc = 1;
	leader_turn(l, 0);
	leader_stop(l);
	assert_int_equal(f.releases, 1);
	assert_int_equal(f.demotes, 0); /* the process is going: nothing to drop */
	assert_false(leader_is_leader(l));
	leader_destroy(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_follower_takes_over),
	    cmocka_unit_test(test_deposed_on_renew),
	    cmocka_unit_test(test_unreachable_for_a_lease),
	    cmocka_unit_test(test_thawed_leader_asks_first),
	    cmocka_unit_test(test_fenced_commit),
	    cmocka_unit_test(test_failed_promotion),
	    cmocka_unit_test(test_stop_releases),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
