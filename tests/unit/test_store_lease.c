/* store_lease: the leader's lease on the store. On SQLite the one
 * coordinator always leads, each start under the next epoch. On
 * PostgreSQL (the pg.unit.store_lease variant: a fresh database in the
 * suite's private cluster; skipped, saying so, without one), two real
 * connections stand for two coordinators: one leads; the other takes over
 * at once when the leader's session ends, and only once the lease has
 * expired when it is frozen (its session ended for it); a deposed leader's
 * write transaction commits nothing, nor does a follower's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture_dir.h"
#include "fixture_store.h"
#include "fixture_pg.h"
#include "store/db.h"
#include "store/store.h"
#include "store/store_audit.h"
#include "xalloc.h"

typedef struct {
	char dir[64];
	char url[512]; /* "" on SQLite */
	char *target;  /* owned: the file or the URL */
} fixture_t;

static int
setup_sqlite(void **state)
{
	fixture_t *f = xcalloc(1, sizeof(*f));
	if (fixture_dir_make("lease", f->dir, sizeof(f->dir)) != 0)
		return -1;
	f->target = xstrdup(fixture_dir_path(f->dir, "rota.db"));
	*state = f;
	return 0;
}

/* A fresh database, or none (f->target NULL: the test skips). */
static int
setup_pg(void **state)
{
	fixture_t *f = xcalloc(1, sizeof(*f));
	if (fixture_pg_enabled()) {
		if (fixture_pg_newdb("lease", f->url, sizeof(f->url)) != 0)
			return -1;
		f->target = xstrdup(f->url);
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	fixture_t *f = *state;
	if (f->dir[0] != '\0' && fixture_dir_remove(f->dir) != 0)
		return -1;
	free(f->target);
	free(f);
	return 0;
}

static fixture_t *
need_pg(void **state)
{
	fixture_t *f = *state;
	if (f->target == NULL) {
		print_message("skipped: no PostgreSQL (run as pg.unit.store_lease, which the"
		              " suite's private cluster backs)\n");
		skip();
	}
	return f;
}

static const store_lease_t lease_a = {"a", "tcp://a:7400", "tcp://a:7401", "a:7480", 5000};
static const store_lease_t lease_b = {"b", "tcp://b:7400", "tcp://b:7401", "", 5000};

/* A write transaction of one worker row; the commit's result. */
static int
write_one(store_t *s, const char *id)
{
	if (store_worker_upsert(s, id, "host", "", "1", "connected", 1) != 0)
		return -1;
	return store_commit(s);
}

static int
workers_named(store_t *s, const char *id)
{
	Rota__ListWorkersResponse *w = xmalloc(sizeof(*w));
	assert_int_equal(store_workers_list(s, w), 0);
	int n = 0;
	for (size_t i = 0; i < w->n_workers; i++)
		n += strcmp(w->workers[i]->id, id) == 0;
	rota__list_workers_response__free_unpacked(w, NULL);
	store_commit(s);
	return n;
}

/* SQLite: the coordinator leads at once, a new epoch each time; renewing
 * and the fence never stand in its way. */
static void
test_sqlite_always_leads(void **state)
{
	fixture_t *f = *state;
	store_t *s = fixture_store_plain(f->target);
	assert_false(store_shared(s));
	uint64_t e1 = 0, e2 = 0, e3 = 0;
	assert_int_equal(store_lease_take(s, &lease_a, &e1), 1);
	assert_int_equal(store_lease_renew(s, &lease_a, e1), 1);
	assert_int_equal(write_one(s, "w1"), 0);
	assert_false(store_deposed(s));
	store_destroy(&s);
	s = fixture_store_plain(f->target); /* a restart */
	assert_int_equal(store_lease_take(s, &lease_a, &e2), 1);
	assert_true(e2 > e1);
	assert_int_equal(store_lease_raise(s, e2, &e3), 1);
	assert_true(e3 > e2);
	store_leader_t l;
	assert_int_equal(store_leader_read(s, &l), 1);
	Rota__StatusResponse st = ROTA__STATUS_RESPONSE__INIT;
	assert_int_equal(store_coordinators_list(s, &st), 0);
	assert_int_equal(st.n_coordinators, 0);
	assert_int_equal(workers_named(s, "w1"), 1);
	store_destroy(&s);
}

/* One leads; the other cannot take the lease nor renew it, and reads who
 * leads and where. */
static void
test_pg_one_leader(void **state)
{
	fixture_t *f = need_pg(state);
	store_t *a = fixture_store_plain(f->target), *b = fixture_store_plain(f->target);
	assert_true(store_shared(a));
	uint64_t ea = 0, eb = 0;
	assert_int_equal(store_lease_take(a, &lease_a, &ea), 1);
	assert_int_equal(store_lease_take(b, &lease_b, &eb), 0);
	assert_int_equal(store_lease_renew(a, &lease_a, ea), 1);
	assert_int_equal(store_lease_renew(b, &lease_b, ea), 0);
	store_leader_t l;
	assert_int_equal(store_leader_read(b, &l), 0);
	assert_string_equal(l.holder, "a");
	assert_int_equal(l.epoch, ea);
	assert_string_equal(l.worker_endpoint, "tcp://a:7400");
	assert_string_equal(l.api_endpoint, "tcp://a:7401");
	assert_true(l.expires_in_ms > 0 && l.expires_in_ms <= 5000);
	store_leader_clear(&l);
	/* Each says it is alive; status lists both. */
	assert_int_equal(store_coordinator_seen(a, &lease_a, "leader", ea), 0);
	assert_int_equal(store_coordinator_seen(b, &lease_b, "follower", ea), 0);
	Rota__StatusResponse st = ROTA__STATUS_RESPONSE__INIT;
	assert_int_equal(store_coordinators_list(b, &st), 0);
	assert_int_equal(st.n_coordinators, 2);
	assert_string_equal(st.coordinators[0]->id, "a");
	assert_string_equal(st.coordinators[0]->role, "leader");
	assert_string_equal(st.coordinators[1]->role, "follower");
	store_coordinators_clear(&st);
	store_destroy(&a);
	store_destroy(&b);
}

/* Takes the lease on s, trying for up to 30 s: an ended session lets its
 * lock go a moment after pg_terminate_backend answers. */
static uint64_t
take_within(store_t *s, const store_lease_t *lease)
{
	uint64_t e = 0;
	for (int i = 0; i < 300; i++) {
		int rc = store_lease_take(s, lease, &e);
		assert_true(rc >= 0);
		if (rc == 1)
			return e;
		usleep(100 * 1000);
	}
	fail_msg("the lease was not taken over within 30 s");
	return 0;
}

/* The leader's session ends (killed): the other takes over as soon as the
 * server has let the session's lock go, under the next epoch, without
 * waiting for the lease. */
static void
test_pg_killed_leader(void **state)
{
	fixture_t *f = need_pg(state);
	store_t *a = fixture_store_plain(f->target), *b = fixture_store_plain(f->target);
	uint64_t ea = 0, eb = 0;
	/* An hour's lease: only the lock going with the session lets b in
	 * within take_within's 30 s. */
	store_lease_t hour = lease_a;
	hour.lease_ms = 3600 * 1000;
	assert_int_equal(store_lease_take(a, &hour, &ea), 1);
	store_destroy(&a);
	/* The server frees a closed session's lock a moment after the client
	 * has gone, not before: b tries until it has. */
	eb = take_within(b, &lease_b);
	assert_int_equal(eb, ea + 1);
	store_destroy(&b);
}

/* A frozen leader keeps its session: the other takes over only once the
 * lease has expired (a lease of -1 ms is expired from the start), by
 * ending that session. Thawed, the old leader's renewal fails, then finds
 * itself deposed, and its write transaction under the old epoch commits
 * nothing. */
static void
test_pg_frozen_leader_is_fenced(void **state)
{
	fixture_t *f = need_pg(state);
	store_t *a = fixture_store_plain(f->target), *b = fixture_store_plain(f->target);
	store_lease_t live = lease_a, expired = lease_a;
	expired.lease_ms = -1;
	uint64_t ea = 0, eb = 0;
	/* A live lease is not taken over. */
	assert_int_equal(store_lease_take(a, &live, &ea), 1);
	assert_int_equal(store_lease_take(b, &lease_b, &eb), 0);
	assert_int_equal(store_lease_renew(a, &expired, ea), 1);
	eb = take_within(b, &lease_b);
	assert_int_equal(eb, ea + 1);
	/* The thawed leader: its session was ended; the first renewal
	 * fails (and reconnects), the next finds the epoch gone. */
	assert_int_equal(store_lease_renew(a, &live, ea), -1);
	assert_int_equal(store_lease_renew(a, &live, ea), 0);
	/* Whatever it still tries to write under its old epoch is refused. */
	assert_int_equal(write_one(a, "stale"), -1);
	assert_true(store_deposed(a));
	assert_non_null(strstr(store_last_error(a), "deposed"));
	assert_int_equal(workers_named(b, "stale"), 0);
	/* The new leader writes. */
	assert_int_equal(write_one(b, "fresh"), 0);
	assert_false(store_deposed(b));
	assert_int_equal(workers_named(a, "fresh"), 1);
	store_destroy(&a);
	store_destroy(&b);
}

/* A turn's COMMIT left in flight (store_commit_start) while the next turn
 * begins: a commit meanwhile is refused (the turn in flight is finished
 * first), the finish says it committed, and the next turn commits after
 * it. */
static void
test_pg_commit_in_flight(void **state)
{
	fixture_t *f = need_pg(state);
	store_t *a = fixture_store_plain(f->target), *b = fixture_store_plain(f->target);
	uint64_t ea = 0;
	assert_int_equal(store_lease_take(a, &lease_a, &ea), 1);
	assert_int_equal(store_worker_upsert(a, "first", "host", "", "1", "connected", 1), 0);
	assert_int_equal(store_commit_start(a), 0);
	assert_true(store_commit_inflight(a));
	assert_true(store_socket(a) >= 0);
	/* The next turn writes while the COMMIT is on its way. */
	assert_int_equal(store_worker_upsert(a, "second", "host", "", "1", "connected", 1), 0);
	assert_int_equal(store_commit(a), -1); /* the turn in flight goes first */
	assert_int_equal(store_commit_finish(a), 0);
	assert_false(store_commit_inflight(a));
	assert_int_equal(workers_named(b, "first"), 1);
	assert_int_equal(workers_named(b, "second"), 0); /* refused with its commit */
	assert_int_equal(store_worker_upsert(a, "third", "host", "", "1", "connected", 1), 0);
	assert_int_equal(store_commit_start(a), 0);
	assert_int_equal(store_commit_finish(a), 0);
	assert_int_equal(workers_named(b, "third"), 1);
	/* A turn that wrote nothing leaves nothing in flight to fail. */
	assert_int_equal(store_commit_start(a), 0);
	assert_int_equal(store_commit_finish(a), 0);
	store_destroy(&a);
	store_destroy(&b);
}

/* A deposed leader whose turn's COMMIT is in flight: the fence, sent
 * without waiting, fails it on the server; the finish says deposed, and
 * what the next turn began meanwhile is rolled back with it. Another
 * coordinator's takeover is the epoch moved on a connection of the
 * test's own, so that a's session, and its prepared fence, stay. */
static void
test_pg_fenced_in_flight(void **state)
{
	fixture_t *f = need_pg(state);
	store_t *a = fixture_store_plain(f->target), *b = fixture_store_plain(f->target);
	uint64_t ea = 0;
	assert_int_equal(store_lease_take(a, &lease_a, &ea), 1);
	assert_int_equal(write_one(a, "before"), 0);
	char *error = NULL;
	db_options_t o = {.target = f->target};
	db_t *other = db_open(&o, &error);
	assert_non_null(other);
	assert_int_equal(db_exec(other, "UPDATE leader SET epoch = epoch + 1 WHERE id = 1"), 0);
	db_close(&other);
	assert_int_equal(store_worker_upsert(a, "stale", "host", "", "1", "connected", 1), 0);
	assert_int_equal(store_commit_start(a), 0);
	assert_int_equal(store_worker_upsert(a, "later", "host", "", "1", "connected", 1), 0);
	assert_int_equal(store_commit_finish(a), -1);
	assert_true(store_deposed(a));
	assert_non_null(strstr(store_last_error(a), "deposed"));
	assert_false(store_in_transaction(a));
	assert_int_equal(workers_named(b, "before"), 1);
	assert_int_equal(workers_named(b, "stale"), 0);
	assert_int_equal(workers_named(b, "later"), 0);
	store_destroy(&a);
	store_destroy(&b);
}

/* Audit rows by actor, read on a connection of the test's own. */
static int64_t
audit_by(const char *target, const char *actor)
{
	db_t *db = fixture_store_db(target);
	db_stmt_t *st = db_prepare(db, "SELECT COUNT(*) FROM audit WHERE actor = ?");
	assert_non_null(st);
	db_bind_text(st, 1, actor);
	assert_int_equal(db_step(st), DB_ROW);
	int64_t n = db_column_int64(st, 0);
	db_finalize(st);
	db_close(&db);
	return n;
}

/* A held write of the turn by actor: an audit row (PostgreSQL holds a
 * turn's audit rows for one INSERT at its end). */
static void
hold_audit(store_t *s, const char *actor)
{
	store_audit_entry_t e = {.at_ms = 1,
	                         .actor = actor,
	                         .role = "admin",
	                         .action = "test",
	                         .target = "t",
	                         .outcome = "ok",
	                         .detail = "",
	                         .peer = "",
	                         .key = ""};
	assert_int_equal(store_audit_insert(s, &e, 256), 0);
}

/* The next turn's held writes go to the server while the turn before is
 * still committing (store_send_held: the server takes them up right after
 * that COMMIT). They commit with their own turn; when the COMMIT before
 * them fails (here: fenced, the epoch moved on), they are rolled back with
 * it and nothing of theirs is seen. */
static void
test_pg_held_sent_in_flight(void **state)
{
	fixture_t *f = need_pg(state);
	store_t *a = fixture_store_plain(f->target);
	uint64_t ea = 0;
	assert_int_equal(store_lease_take(a, &lease_a, &ea), 1);
	assert_int_equal(store_worker_upsert(a, "first", "host", "", "1", "connected", 1), 0);
	assert_int_equal(store_commit_start(a), 0);
	assert_int_equal(store_worker_upsert(a, "second", "host", "", "1", "connected", 1), 0);
	hold_audit(a, "held-ok");
	uint64_t sent = store_statements(a);
	assert_int_equal(store_send_held(a), 0);
	assert_true(store_statements(a) > sent); /* sent now, not at the turn's end */
	assert_int_equal(store_commit_finish(a), 0);
	assert_int_equal(store_commit_start(a), 0);
	assert_int_equal(store_commit_finish(a), 0);
	assert_int_equal(audit_by(f->target, "held-ok"), 1);

	db_t *other = fixture_store_db(f->target);
	assert_int_equal(db_exec(other, "UPDATE leader SET epoch = epoch + 1 WHERE id = 1"), 0);
	db_close(&other);
	assert_int_equal(store_worker_upsert(a, "stale", "host", "", "1", "connected", 1), 0);
	assert_int_equal(store_commit_start(a), 0);
	assert_int_equal(store_worker_upsert(a, "later", "host", "", "1", "connected", 1), 0);
	hold_audit(a, "held-lost");
	assert_int_equal(store_send_held(a), 0);
	assert_int_equal(store_commit_finish(a), -1);
	assert_true(store_deposed(a));
	assert_false(store_in_transaction(a));
	assert_int_equal(store_commit_start(a), 0); /* nothing left to commit */
	assert_int_equal(audit_by(f->target, "held-lost"), 0);
	store_destroy(&a);
}

/* A follower's write transaction never commits; a leader that gives the
 * lease up lets the other in at once; a raised epoch moves the fence. */
static void
test_pg_follower_release_raise(void **state)
{
	fixture_t *f = need_pg(state);
	store_t *a = fixture_store_plain(f->target), *b = fixture_store_plain(f->target);
	assert_int_equal(write_one(b, "follower"), -1);
	assert_true(store_deposed(b));
	uint64_t ea = 0, eb = 0, next = 0;
	assert_int_equal(store_lease_take(a, &lease_a, &ea), 1);
	assert_int_equal(store_lease_raise(a, ea, &next), 1);
	assert_int_equal(next, ea + 1);
	assert_int_equal(write_one(a, "raised"), 0);
	assert_int_equal(store_lease_raise(a, ea, &next), 0); /* not the lease's now */
	store_lease_release(a, ea + 1);
	assert_int_equal(write_one(a, "released"), -1);
	assert_int_equal(store_lease_take(b, &lease_b, &eb), 1);
	assert_int_equal(eb, ea + 2);
	assert_int_equal(workers_named(b, "follower"), 0);
	assert_int_equal(workers_named(b, "raised"), 1);
	assert_int_equal(workers_named(b, "released"), 0);
	store_destroy(&a);
	store_destroy(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_sqlite_always_leads, setup_sqlite, teardown),
	    cmocka_unit_test_setup_teardown(test_pg_one_leader, setup_pg, teardown),
	    cmocka_unit_test_setup_teardown(test_pg_killed_leader, setup_pg, teardown),
	    cmocka_unit_test_setup_teardown(test_pg_frozen_leader_is_fenced, setup_pg, teardown),
	    cmocka_unit_test_setup_teardown(test_pg_follower_release_raise, setup_pg, teardown),
	    cmocka_unit_test_setup_teardown(test_pg_commit_in_flight, setup_pg, teardown),
	    cmocka_unit_test_setup_teardown(test_pg_fenced_in_flight, setup_pg, teardown),
	    cmocka_unit_test_setup_teardown(test_pg_held_sent_in_flight, setup_pg, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
