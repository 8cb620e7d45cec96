/* store_lease: the leader's lease, its epoch and the fence (store.h,
 * "leadership"; docs/ha.md).
 *
 * PostgreSQL: the lease is the `leader` row (epoch, holder, the holder's
 * session, expires_ms on the database's clock) and a session advisory lock
 * on the store's own connection. The lock makes a killed leader's
 * successor quick (it goes with the session); the epoch, checked inside
 * every write transaction (store_lease_fence), is what makes a stale
 * leader harmless. Every statement here but the fence runs outside the
 * turn's transaction, between turns.
 *
 * SQLite: one coordinator holds the file (storelock.h), so it always
 * leads: taking is the next epoch at once (store_epoch_next), renewing and
 * fencing cost nothing, the coordinators list is left empty (rota status
 * shows the one coordinator from memory).
 *
 * Must never: let a write transaction commit under an epoch that is no
 * longer the lease's, or on a coordinator that does not lead. */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xalloc.h"

/* The lease's advisory lock: 'rota' then 2 (store_schema_pg.c's migration
 * lock is 'rota' then 1), and the same key as pg_locks shows it. */
#define LEASE_LOCK "8245935278387085314"
#define LEASE_LOCK_HELD                                                                            \
	"EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"    \
	" AND classid = 1919906913 AND objid = 2 AND objsubid = 1 AND granted)"
/* Held by this session already, or taken now (CASE: evaluated in order, so
 * a held lock is not taken twice, which would stack). */
#define LEASE_LOCK_TAKE                                                                            \
	"(CASE WHEN " LEASE_LOCK_HELD " THEN true ELSE pg_try_advisory_lock(" LEASE_LOCK ") END)"
/* What the fence's failure says on the server, and how a failed COMMIT is
 * known to be the fence's. */
#define STORE_FENCE_REFUSAL "rota fence: the lease has another epoch"
/* The database's clock, in ms since the Unix epoch. */
#define DB_NOW_MS "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)"
/* A coordinator not heard from for this long is left out of rota status. */
#define LEASE_LIST_MAX_AGE_MS "86400000"

bool
store_shared(const store_t *s)
{
	return store_is_postgresql(s);
}

/* A statement of this file failed: logged (once per kind of failure, the
 * loop calls these every second), and a lost connection tried again, so
 * the next second finds a working one. */
static void
store_lease_failed(store_t *s, db_stmt_t *st, const char *what)
{
	db_error_class_t cls = db_error_class(s->db);
	log_warn("store: %s: %s", what, db_errmsg(s->db));
	if (st != NULL)
		db_reset(st);
	if (cls == DB_ERR_UNAVAILABLE && !s->in_tx && db_reconnect(s->db) == 0)
		log_info("store: reconnected to the database");
}

/* Runs a one-row statement whose first column is a boolean: 1 true, 0
 * false or no row, -1 on error. */
static int
store_lease_bool(db_stmt_t *st)
{
	int rc = db_step(st);
	if (rc == DB_ERROR)
		return -1;
	int v = rc == DB_ROW && db_column_text(st, 0)[0] == 't';
	db_reset(st);
	return v;
}

/* A follower without the lock: when the holder's lease has expired on the
 * database's clock, its session is ended, which frees the lock it holds
 * (a frozen leader keeps its session, and so its lock, for ever). */
static void
store_lease_evict(store_t *s)
{
	static const char sql[] = "SELECT backend_pid, holder, epoch, " DB_NOW_MS " - expires_ms"
	                          " FROM leader WHERE id = 1 AND expires_ms < " DB_NOW_MS
	                          " AND backend_pid <> 0 AND backend_pid <> pg_backend_pid()";
	static const char kill[] = "SELECT pg_terminate_backend(CAST(? AS INTEGER))";
	db_stmt_t *st = store_stmt(s, sql);
	if (st == NULL)
		return;
	int rc = db_step(st);
	if (rc == DB_ERROR) {
		store_lease_failed(s, st, "reading the lease");
		return;
	}
	if (rc != DB_ROW) {
		db_reset(st);
		return;
	}
	int64_t pid = db_column_int64(st, 0);
	char *holder = xstrdup(db_column_text(st, 1)); /* owned */
	int64_t epoch = db_column_int64(st, 2);
	int64_t late = db_column_int64(st, 3);
	db_reset(st);
	db_stmt_t *k = store_stmt(s, kill);
	if (k != NULL) {
		db_bind_int64(k, 1, pid);
		if (store_lease_bool(k) < 0)
			store_lease_failed(s, k, "ending the expired leader's session");
		else
			log_warn(
			    "leader %s (epoch %lld) let its lease expire %lld ms ago: ended its"
			    " database session %lld, so that its lock goes",
			    holder, (long long)epoch, (long long)late, (long long)pid);
	}
	free(holder);
}

int
store_lease_take(store_t *s, const store_lease_t *lease, uint64_t *epoch)
{
	if (!store_shared(s)) {
		if (store_epoch_next(s, epoch) != 0)
			return -1;
		s->fence_epoch = *epoch;
		return 1;
	}
	static const char lock[] = "SELECT " LEASE_LOCK_TAKE;
	static const char take[] =
	    "UPDATE leader SET epoch = epoch + 1, holder = ?1, backend_pid = pg_backend_pid(),"
	    " expires_ms = " DB_NOW_MS " + ?2, worker_endpoint = ?3, api_endpoint = ?4,"
	    " http_endpoint = ?5 WHERE id = 1 RETURNING epoch";
	if (s->in_tx)
		return -1;
	db_stmt_t *st = store_stmt(s, lock);
	if (st == NULL)
		return -1;
	int got = store_lease_bool(st);
	if (got < 0) {
		store_lease_failed(s, st, "trying the lease's lock");
		return -1;
	}
	if (!got) {
		store_lease_evict(s);
		return 0;
	}
	/* The lock is ours: whoever held the lease before is gone (its
	 * session ended) or gave it up. The epoch moves on in one statement. */
	st = store_stmt(s, take);
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, lease->holder);
	db_bind_int64(st, 2, lease->lease_ms);
	db_bind_text(st, 3, lease->worker_endpoint);
	db_bind_text(st, 4, lease->api_endpoint);
	db_bind_text(st, 5, lease->http_endpoint ? lease->http_endpoint : "");
	if (db_step(st) != DB_ROW) {
		store_lease_failed(s, st, "taking the lease");
		return -1;
	}
	*epoch = (uint64_t)db_column_int64(st, 0);
	db_reset(st);
	s->fence_epoch = *epoch;
	return 1;
}

int
store_lease_renew(store_t *s, const store_lease_t *lease, uint64_t epoch)
{
	if (!store_shared(s))
		return 1;
	/* The lock too: after a reconnect the session is new, and a lease
	 * renewed without the lock could be taken by whoever gets it. */
	static const char sql[] = "UPDATE leader SET expires_ms = " DB_NOW_MS " + ?2,"
	                          " backend_pid = pg_backend_pid() WHERE id = 1 AND epoch = ?1"
	                          " AND " LEASE_LOCK_TAKE " RETURNING epoch";
	if (s->in_tx)
		return -1;
	db_stmt_t *st = store_stmt(s, sql);
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, (int64_t)epoch);
	db_bind_int64(st, 2, lease->lease_ms);
	int rc = db_step(st);
	if (rc == DB_ERROR) {
		store_lease_failed(s, st, "renewing the lease");
		return -1;
	}
	db_reset(st);
	return rc == DB_ROW ? 1 : 0;
}

void
store_lease_drop(store_t *s)
{
	s->fence_epoch = 0;
	if (s->in_tx) {
		/* Whatever the turn wrote goes with the role. */
		s->failed = true;
		store_commit(s);
	}
	if (store_shared(s) && db_exec(s->db, "SELECT pg_advisory_unlock_all()") != 0)
		log_debug("store: letting the lease's lock go: %s", db_errmsg(s->db));
}

void
store_lease_release(store_t *s, uint64_t epoch)
{
	store_lease_drop(s);
	if (!store_shared(s))
		return;
	/* Expired now: rota status says so at once; the lock is what lets a
	 * successor in, and it went above. */
	static const char sql[] = "UPDATE leader SET expires_ms = " DB_NOW_MS ", backend_pid = 0"
	                          " WHERE id = 1 AND epoch = ?";
	db_stmt_t *st = store_stmt(s, sql);
	if (st == NULL)
		return;
	db_bind_int64(st, 1, (int64_t)epoch);
	if (db_step(st) == DB_ERROR)
		store_lease_failed(s, st, "giving the lease up");
	else
		db_reset(st);
}

int
store_lease_raise(store_t *s, uint64_t epoch, uint64_t *next)
{
	if (!store_shared(s)) {
		if (store_epoch_next(s, next) != 0)
			return -1;
		s->fence_epoch = *next;
		return 1;
	}
	static const char sql[] =
	    "UPDATE leader SET epoch = epoch + 1 WHERE id = 1 AND epoch = ? RETURNING epoch";
	if (s->in_tx)
		return -1;
	db_stmt_t *st = store_stmt(s, sql);
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, (int64_t)epoch);
	int rc = db_step(st);
	if (rc == DB_ERROR) {
		store_lease_failed(s, st, "raising the epoch");
		return -1;
	}
	if (rc == DB_ROW)
		*next = (uint64_t)db_column_int64(st, 0);
	db_reset(st);
	if (rc != DB_ROW)
		return 0;
	s->fence_epoch = *next;
	return 1;
}

int
store_lease_fence(store_t *s)
{
	s->deposed = false;
	if (!store_shared(s))
		return 0;
	if (s->fence_epoch == 0) {
		s->deposed = true;
		snprintf(s->why, sizeof(s->why),
		         "deposed: this coordinator does not lead, so it writes nothing");
		log_error("store: a write transaction of a coordinator that does not lead: rolled"
		          " back");
		return -1;
	}
	/* A write that fails on the server when the epoch is not this one,
	 * so it is sent behind the turn's writes without waiting, and the
	 * COMMIT after it fails with it (a COMMIT may then be left in
	 * flight, db_pg_tx.c). The row's lock: a takeover's UPDATE of it
	 * waits for this commit, or this UPDATE waits for the takeover and,
	 * READ COMMITTED, evaluates the new row: another epoch, and the cast
	 * of STORE_FENCE_REFUSAL to a boolean fails. (A CASE on the column,
	 * not on a constant, so the planner cannot fold it into an error of
	 * its own.) */
	static const char sql[] =
	    "UPDATE leader SET epoch = epoch WHERE id = 1 AND"
	    " CAST(CASE WHEN epoch = ? THEN 'true' ELSE '" STORE_FENCE_REFUSAL "' END AS BOOLEAN)";
	db_stmt_t *st = store_stmt(s, sql);
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, (int64_t)s->fence_epoch);
	int rc = db_step(st);
	db_reset(st);
	if (rc == DB_DONE)
		return 0;
	store_note_error(s);
	if (!store_lease_fenced(s, db_errmsg(s->db)))
		log_error("store: the fence: %s", db_errmsg(s->db));
	return -1;
}

bool
store_lease_fenced(store_t *s, const char *error)
{
	/* Quoted as the server quotes a value it cannot cast: the SQL, which
	 * an error may quote too, has it in single quotes. */
	if (!store_shared(s) || error == NULL ||
	    strstr(error, "\"" STORE_FENCE_REFUSAL "\"") == NULL)
		return false;
	s->deposed = true;
	snprintf(s->why, sizeof(s->why),
	         "deposed: the lease's epoch is no longer %llu (another coordinator leads)",
	         (unsigned long long)s->fence_epoch);
	log_error("store: %s: the turn is rolled back", s->why);
	return true;
}

bool
store_deposed(const store_t *s)
{
	return s->deposed;
}

int
store_leader_read(store_t *s, store_leader_t *out)
{
	memset(out, 0, sizeof(*out));
	if (!store_shared(s))
		return 1;
	static const char sql[] =
	    "SELECT epoch, holder, worker_endpoint, api_endpoint,"
	    " http_endpoint, expires_ms - " DB_NOW_MS " FROM leader WHERE id = 1";
	db_stmt_t *st = store_stmt(s, sql);
	if (st == NULL)
		return -1;
	int rc = db_step(st);
	if (rc == DB_ERROR) {
		store_lease_failed(s, st, "reading the lease");
		return -1;
	}
	if (rc != DB_ROW || db_column_text(st, 1)[0] == '\0') {
		db_reset(st);
		return 1;
	}
	out->epoch = (uint64_t)db_column_int64(st, 0);
	out->holder = xstrdup(db_column_text(st, 1));
	out->worker_endpoint = xstrdup(db_column_text(st, 2));
	out->api_endpoint = xstrdup(db_column_text(st, 3));
	out->http_endpoint = xstrdup(db_column_text(st, 4));
	out->expires_in_ms = db_column_int64(st, 5);
	db_reset(st);
	return 0;
}

void
store_leader_clear(store_leader_t *l)
{
	free(l->holder);
	free(l->worker_endpoint);
	free(l->api_endpoint);
	free(l->http_endpoint);
	memset(l, 0, sizeof(*l));
}

int
store_coordinator_seen(store_t *s, const store_lease_t *self, const char *role, uint64_t epoch)
{
	if (!store_shared(s) || s->in_tx)
		return 0;
	static const char sql[] =
	    "INSERT INTO coordinators (api_endpoint, id, role, worker_endpoint, http_endpoint,"
	    " epoch, last_seen_ms) VALUES (?, ?, ?, ?, ?, ?, " DB_NOW_MS ")"
	    " ON CONFLICT (api_endpoint) DO UPDATE SET id = excluded.id, role = excluded.role,"
	    " worker_endpoint = excluded.worker_endpoint, http_endpoint = excluded.http_endpoint,"
	    " epoch = excluded.epoch, last_seen_ms = excluded.last_seen_ms";
	db_stmt_t *st = store_stmt(s, sql);
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, self->api_endpoint);
	db_bind_text(st, 2, self->holder);
	db_bind_text(st, 3, role);
	db_bind_text(st, 4, self->worker_endpoint);
	db_bind_text(st, 5, self->http_endpoint ? self->http_endpoint : "");
	db_bind_int64(st, 6, (int64_t)epoch);
	if (db_step(st) == DB_ERROR) {
		store_lease_failed(s, st, "recording this coordinator as alive");
		return -1;
	}
	db_reset(st);
	return 0;
}

int
store_coordinators_list(store_t *s, Rota__StatusResponse *out)
{
	out->coordinators = NULL;
	out->n_coordinators = 0;
	if (!store_shared(s))
		return 0;
	static const char sql[] =
	    "SELECT id, role, worker_endpoint, api_endpoint, http_endpoint, epoch,"
	    " " DB_NOW_MS " - last_seen_ms FROM coordinators"
	    " WHERE last_seen_ms > " DB_NOW_MS " - " LEASE_LIST_MAX_AGE_MS
	    " ORDER BY id, api_endpoint LIMIT 256";
	db_stmt_t *st = store_stmt(s, sql);
	if (st == NULL)
		return -1;
	size_t cap = 0;
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		if (out->n_coordinators == cap) {
			cap = cap ? cap * 2 : 8;
			out->coordinators =
			    xrealloc(out->coordinators, cap * sizeof(*out->coordinators));
		}
		Rota__CoordinatorInfo *ci = xmalloc(sizeof(*ci));
		rota__coordinator_info__init(ci);
		ci->id = xstrdup(db_column_text(st, 0));
		ci->role = xstrdup(db_column_text(st, 1));
		ci->worker_endpoint = xstrdup(db_column_text(st, 2));
		ci->api_endpoint = xstrdup(db_column_text(st, 3));
		ci->http_endpoint = xstrdup(db_column_text(st, 4));
		ci->epoch = (uint64_t)db_column_int64(st, 5);
		ci->last_seen_ago_ms = db_column_int64(st, 6);
		out->coordinators[out->n_coordinators++] = ci;
	}
	if (rc == DB_ERROR) {
		store_lease_failed(s, st, "listing the coordinators");
		store_coordinators_clear(out);
		return -1;
	}
	db_reset(st);
	return 0;
}

void
store_coordinators_clear(Rota__StatusResponse *out)
{
	for (size_t i = 0; i < out->n_coordinators; i++)
		rota__coordinator_info__free_unpacked(out->coordinators[i], NULL);
	free(out->coordinators);
	out->coordinators = NULL;
	out->n_coordinators = 0;
}
