/* rota-bench: the drivers of tests/bench/run.sh.
 *
 *   rota-bench ready API TIMEOUT_MS
 *       waits until the operator API answers a request; prints the ms waited.
 *   rota-bench stream API DB RUNBOOK PREFIX WORKERS WARMUP_S SECONDS WINDOW
 *       submits RUNBOOK to one host at a time (PREFIX1..PREFIXWORKERS in
 *       turn), keeping WINDOW submits unanswered, for WARMUP_S + SECONDS;
 *       prints the runs that ended (committed in DB) per second over the
 *       last SECONDS, and the submits answered per second.
 *   rota-bench count API DB RUNBOOK PREFIX WORKERS N WINDOW
 *       submits N runs as stream does (WINDOW unanswered at most), then
 *       waits until N more runs have ended in DB; prints the runs that
 *       ended. A fixed amount of work, for counts that must not depend on
 *       the machine's speed (instructions or syscalls a run).
 *   rota-bench once API DB RUNBOOK REPS [TARGET]
 *       REPS times: submit RUNBOOK (to TARGET when given), then read DB
 *       until the run has ended; prints "p50 P99" in ms of submit to end.
 *   rota-bench schedules DIR N
 *       writes N runbooks with a yearly schedule into DIR.
 *
 * Ends are read from the coordinator's SQLite file with a separate
 * read-only connection: what it sees is committed, which is what the
 * benchmarks promise to measure (the durable path). The reads are short
 * and WAL readers do not block the writer. A DB that is a postgresql://
 * URL is read the same way over libpq (a connection of its own, outside
 * the coordinator's transactions: committed rows only). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "clock.h"
#include "wire.h"
#include "xalloc.h"

#define BENCH_POLL_US 1000 /* between reads of a run's status */
#define BENCH_RUN_TIMEOUT_MS 120000
#define BENCH_PAUSE_MS 300 /* between repetitions */
#define BENCH_MAX_REPS 100000

typedef struct {
	void *ctx;
	void *sock;
	uint64_t next_id;
	wire_stats_t stats;
} bench_api_t;

static int
api_open(bench_api_t *a, const char *endpoint)
{
	memset(a, 0, sizeof(*a));
	a->next_id = 1;
	a->ctx = zmq_ctx_new();
	a->sock = a->ctx ? zmq_socket(a->ctx, ZMQ_DEALER) : NULL;
	int hwm = 0; /* the window bounds what is queued */
	if (a->sock == NULL || wire_socket_setup(a->sock) != 0 ||
	    zmq_setsockopt(a->sock, ZMQ_SNDHWM, &hwm, sizeof(hwm)) != 0 ||
	    zmq_setsockopt(a->sock, ZMQ_RCVHWM, &hwm, sizeof(hwm)) != 0 ||
	    zmq_connect(a->sock, endpoint) != 0) {
		fprintf(stderr, "rota-bench: cannot connect to %s: %s\n", endpoint,
		        zmq_strerror(errno));
		return -1;
	}
	return 0;
}

static void
api_close(bench_api_t *a)
{
	if (a->sock)
		zmq_close(a->sock);
	if (a->ctx)
		zmq_ctx_term(a->ctx);
}

static int
api_send(bench_api_t *a, Rota__Request *req)
{
	req->id = a->next_id++;
	Rota__Envelope env = ROTA__ENVELOPE__INIT;
	env.body_case = ROTA__ENVELOPE__BODY_REQUEST;
	env.request = req;
	for (;;) {
		if (wire_send(a->sock, NULL, 0, &env) == 0)
			return 0;
		if (errno != EAGAIN && errno != EINTR)
			return -1;
		usleep(100);
	}
}

/* Waits up to timeout_ms for one Response; *out is the caller's. 0 when
 * one came, 1 at the timeout, -1 on error. */
static int
api_recv(bench_api_t *a, int timeout_ms, Rota__Envelope **out)
{
	int64_t deadline = clock_mono_ms() + timeout_ms;
	for (;;) {
		wire_msg_t msg;
		int rc = wire_recv(a->sock, 0, &msg, &a->stats);
		if (rc == WIRE_OK) {
			if (msg.env->body_case == ROTA__ENVELOPE__BODY_RESPONSE) {
				*out = msg.env;
				return 0;
			}
			wire_msg_clear(&msg);
			continue;
		}
		if (rc != WIRE_ERR_AGAIN && rc != WIRE_ERR_IO)
			continue;
		int64_t left = deadline - clock_mono_ms();
		if (left <= 0)
			return 1;
		zmq_pollitem_t it = {a->sock, 0, ZMQ_POLLIN, 0};
		if (zmq_poll(&it, 1, (long)left) < 0 && errno != EINTR)
			return -1;
	}
}

static int
api_submit(bench_api_t *a, const char *runbook, char *target)
{
	Rota__SubmitRequest sub = ROTA__SUBMIT_REQUEST__INIT;
	sub.runbook = (char *)runbook;
	char *targets[1] = {target};
	if (target) {
		sub.n_targets = 1;
		sub.targets = targets;
	}
	Rota__Request req = ROTA__REQUEST__INIT;
	req.body_case = ROTA__REQUEST__BODY_SUBMIT;
	req.submit = &sub;
	return api_send(a, &req);
}

/* The run id of a submit's Response into id; -1 (with the reason printed)
 * when it was refused. */
static int
submit_answer(Rota__Envelope *env, char *id, size_t len)
{
	const Rota__Response *r = env->response;
	if (r->error != NULL || r->body_case != ROTA__RESPONSE__BODY_SUBMIT) {
		fprintf(stderr, "rota-bench: submit refused: %s\n",
		        r->error && r->error->message ? r->error->message : "(no reason)");
		return -1;
	}
	snprintf(id, len, "%s", r->submit->run_id);
	return 0;
}

/* Where run ends are read: the SQLite file, or the PostgreSQL database. */
typedef struct {
	sqlite3 *lite;
	sqlite3_stmt *status; /* SELECT status FROM runs WHERE id = ? */
	PGconn *pg;
} bench_db_t;

static const char bench_sql_status[] = "SELECT status FROM runs WHERE id = $1";
/* runs_status_created is an index: a count over it, not a table scan. */
static const char bench_sql_ended[] = "SELECT COUNT(*) FROM runs WHERE status IN (3, 4)";

static void
db_close(bench_db_t *d)
{
	sqlite3_finalize(d->status);
	sqlite3_close(d->lite);
	if (d->pg != NULL)
		PQfinish(d->pg);
	memset(d, 0, sizeof(*d));
}

static int
db_open(bench_db_t *d, const char *where)
{
	memset(d, 0, sizeof(*d));
	if (strncmp(where, "postgresql://", 13) == 0 || strncmp(where, "postgres://", 11) == 0) {
		d->pg = PQconnectdb(where);
		if (PQstatus(d->pg) != CONNECTION_OK) {
			fprintf(stderr, "rota-bench: cannot connect: %s", PQerrorMessage(d->pg));
			db_close(d);
			return -1;
		}
		return 0;
	}
	if (sqlite3_open_v2(where, &d->lite, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(d->lite, "SELECT status FROM runs WHERE id = ?", -1, &d->status,
	                       NULL) != SQLITE_OK) {
		fprintf(stderr, "rota-bench: cannot open %s: %s\n", where,
		        d->lite ? sqlite3_errmsg(d->lite) : "out of memory");
		db_close(d);
		return -1;
	}
	sqlite3_busy_timeout(d->lite, 2000);
	return 0;
}

/* The first column of a one-row PostgreSQL answer as an integer; -1. */
static int64_t
db_pg_int(bench_db_t *d, const char *sql, const char *arg)
{
	PGresult *r = PQexecParams(d->pg, sql, arg ? 1 : 0, NULL, &arg, NULL, NULL, 0);
	int64_t v = -1;
	if (PQresultStatus(r) == PGRES_TUPLES_OK)
		v = PQntuples(r) > 0 ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
	else
		fprintf(stderr, "rota-bench: %s", PQerrorMessage(d->pg));
	PQclear(r);
	return v;
}

/* A run's status (RunStatus) as committed; 0 when not there yet. */
static int
db_run_status(bench_db_t *d, const char *run_id)
{
	if (d->pg != NULL)
		return (int)db_pg_int(d, bench_sql_status, run_id);
	int status = 0;
	sqlite3_reset(d->status);
	sqlite3_bind_text(d->status, 1, run_id, -1, SQLITE_STATIC);
	if (sqlite3_step(d->status) == SQLITE_ROW)
		status = sqlite3_column_int(d->status, 0);
	sqlite3_reset(d->status);
	return status;
}

static int64_t
db_count_ended(bench_db_t *d)
{
	if (d->pg != NULL)
		return db_pg_int(d, bench_sql_ended, NULL);
	sqlite3_stmt *st = NULL;
	int64_t n = -1;
	if (sqlite3_prepare_v2(d->lite, bench_sql_ended, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v. */
static double
pct(const int64_t *v, size_t n, double p)
{
	size_t k = (size_t)(p / 100.0 * (double)n + 0.999999);
	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return (double)v[k - 1];
}

static int64_t
now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int
cmd_ready(char **argv)
{
	bench_api_t a;
	int64_t start = clock_mono_ms();
	long timeout = strtol(argv[1], NULL, 10);
	if (api_open(&a, argv[0]) != 0)
		return 1;
	int rc = 1;
	while (clock_mono_ms() - start < timeout) {
		Rota__ListRunsRequest lr = ROTA__LIST_RUNS_REQUEST__INIT;
		lr.limit = 1;
		Rota__Request req = ROTA__REQUEST__INIT;
		req.body_case = ROTA__REQUEST__BODY_RUNS;
		req.runs = &lr;
		if (api_send(&a, &req) != 0)
			break;
		Rota__Envelope *env = NULL;
		if (api_recv(&a, 200, &env) == 0) {
			rota__envelope__free_unpacked(env, NULL);
			printf("%lld\n", (long long)(clock_mono_ms() - start));
			rc = 0;
			break;
		}
	}
	api_close(&a);
	return rc;
}

static int
cmd_stream(char **argv)
{
	const char *runbook = argv[2], *prefix = argv[3];
	long workers = strtol(argv[4], NULL, 10), warmup = strtol(argv[5], NULL, 10);
	long seconds = strtol(argv[6], NULL, 10), window = strtol(argv[7], NULL, 10);
	if (workers <= 0 || seconds <= 0 || window <= 0 || warmup < 0)
		return 2;
	bench_api_t a;
	bench_db_t db;
	if (db_open(&db, argv[1]) != 0 || api_open(&a, argv[0]) != 0)
		return 1;
	int64_t start = clock_mono_ms();
	int64_t t0 = 0, n0 = 0, answered0 = 0;
	int64_t answered = 0, sent = 0, refused = 0;
	long next = 0;
	char target[256];
	int rc = 0;
	for (;;) {
		int64_t now = clock_mono_ms();
		if (t0 == 0 && now - start >= warmup * 1000) {
			t0 = now;
			n0 = db_count_ended(&db);
			answered0 = answered;
		}
		if (t0 != 0 && now - t0 >= seconds * 1000)
			break;
		while (sent - answered < window) {
			snprintf(target, sizeof(target), "%s%ld", prefix, next % workers + 1);
			next++;
			if (api_submit(&a, runbook, target) != 0) {
				rc = 1;
				goto out;
			}
			sent++;
		}
		Rota__Envelope *env = NULL;
		int r = api_recv(&a, 1000, &env);
		if (r < 0) {
			rc = 1;
			goto out;
		}
		if (r == 0) {
			char id[64];
			answered++;
			if (submit_answer(env, id, sizeof(id)) != 0 && ++refused > 10) {
				rota__envelope__free_unpacked(env, NULL);
				rc = 1;
				goto out;
			}
			rota__envelope__free_unpacked(env, NULL);
		}
	}
	int64_t t1 = clock_mono_ms();
	int64_t n1 = db_count_ended(&db);
	double secs = (double)(t1 - t0) / 1000.0;
	printf("%.0f %.0f\n", (double)(n1 - n0) / secs, (double)(answered - answered0) / secs);
out:
	api_close(&a);
	db_close(&db);
	return rc;
}

static int
cmd_count(char **argv)
{
	const char *runbook = argv[2], *prefix = argv[3];
	long workers = strtol(argv[4], NULL, 10), n = strtol(argv[5], NULL, 10);
	long window = strtol(argv[6], NULL, 10);
	if (workers <= 0 || n <= 0 || window <= 0)
		return 2;
	bench_api_t a;
	bench_db_t db;
	if (db_open(&db, argv[1]) != 0 || api_open(&a, argv[0]) != 0)
		return 1;
	int64_t n0 = db_count_ended(&db), answered = 0, sent = 0;
	char target[256];
	int rc = 0;
	while (answered < n) {
		while (sent < n && sent - answered < window) {
			snprintf(target, sizeof(target), "%s%ld", prefix, sent % workers + 1);
			if (api_submit(&a, runbook, target) != 0) {
				rc = 1;
				goto out;
			}
			sent++;
		}
		Rota__Envelope *env = NULL;
		int r = api_recv(&a, 10000, &env);
		if (r != 0) {
			fprintf(stderr, "rota-bench: no answer after %lld submits\n",
			        (long long)answered);
			rc = 1;
			goto out;
		}
		char id[64];
		answered++;
		int bad = submit_answer(env, id, sizeof(id));
		rota__envelope__free_unpacked(env, NULL);
		if (bad != 0) {
			rc = 1;
			goto out;
		}
	}
	int64_t start = clock_mono_ms(), ended = 0;
	while ((ended = db_count_ended(&db) - n0) < n) {
		if (clock_mono_ms() - start > BENCH_RUN_TIMEOUT_MS) {
			fprintf(stderr, "rota-bench: %lld of %ld runs ended\n", (long long)ended,
			        n);
			rc = 1;
			break;
		}
		usleep(10 * BENCH_POLL_US);
	}
	printf("%lld\n", (long long)ended);
out:
	api_close(&a);
	db_close(&db);
	return rc;
}

static int
cmd_once(int argc, char **argv)
{
	const char *runbook = argv[2];
	long reps = strtol(argv[3], NULL, 10);
	char *target = argc > 4 ? argv[4] : NULL;
	if (reps <= 0 || reps > BENCH_MAX_REPS)
		return 2;
	bench_api_t a;
	bench_db_t db;
	if (db_open(&db, argv[1]) != 0 || api_open(&a, argv[0]) != 0)
		return 1;
	int64_t *lat = xcalloc((size_t)reps, sizeof(*lat));
	int rc = 0;
	for (long i = 0; i < reps && rc == 0; i++) {
		int64_t t0 = now_us();
		Rota__Envelope *env = NULL;
		char id[64];
		if (api_submit(&a, runbook, target) != 0 || api_recv(&a, 10000, &env) != 0) {
			fprintf(stderr, "rota-bench: no answer to submit %ld\n", i + 1);
			rc = 1;
			break;
		}
		int ok = submit_answer(env, id, sizeof(id));
		rota__envelope__free_unpacked(env, NULL);
		if (ok != 0) {
			rc = 1;
			break;
		}
		for (;;) {
			int s = db_run_status(&db, id);
			if (s >= ROTA__RUN_STATUS__RUN_SUCCEEDED)
				break;
			if (now_us() - t0 > (int64_t)BENCH_RUN_TIMEOUT_MS * 1000) {
				fprintf(stderr, "rota-bench: run %s did not end\n", id);
				rc = 1;
				break;
			}
			usleep(BENCH_POLL_US);
		}
		lat[i] = now_us() - t0;
		if (reps <= 20 && i + 1 < reps)
			usleep(BENCH_PAUSE_MS * 1000);
	}
	if (rc == 0) {
		qsort(lat, (size_t)reps, sizeof(*lat), cmp_i64);
		printf("%.1f %.1f\n", pct(lat, (size_t)reps, 50) / 1000.0,
		       pct(lat, (size_t)reps, 99) / 1000.0);
	}
	free(lat);
	db_close(&db);
	api_close(&a);
	return rc;
}

static int
cmd_schedules(char **argv)
{
	long n = strtol(argv[1], NULL, 10);
	for (long i = 0; i < n; i++) {
		char *path = xasprintf("%s/sched-%06ld.yaml", argv[0], i);
		FILE *f = fopen(path, "w");
		if (f == NULL) {
			fprintf(stderr, "rota-bench: %s: %s\n", path, strerror(errno));
			free(path);
			return 1;
		}
		/* Spread over the year's minutes, none due during a benchmark. */
		fprintf(f,
		        "name: sched-%06ld\n"
		        "schedule: { cron: \"%ld %ld %ld %ld *\", timezone: UTC }\n"
		        "targets: { all: true }\n"
		        "steps:\n"
		        "  - id: nothing\n"
		        "    noop: {}\n",
		        i, i % 60, (i / 60) % 24, (i / 1440) % 28 + 1, (i / 40320) % 12 + 1);
		int bad = fclose(f);
		free(path);
		if (bad != 0)
			return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "ready") == 0)
		return cmd_ready(argv + 2);
	if (argc >= 10 && strcmp(argv[1], "stream") == 0)
		return cmd_stream(argv + 2);
	if (argc >= 9 && strcmp(argv[1], "count") == 0)
		return cmd_count(argv + 2);
	if (argc >= 6 && strcmp(argv[1], "once") == 0)
		return cmd_once(argc - 2, argv + 2);
	if (argc >= 4 && strcmp(argv[1], "schedules") == 0)
		return cmd_schedules(argv + 2);
	fprintf(stderr, "usage: rota-bench ready|stream|count|once|schedules ... (see bench.c)\n");
	return 2;
}
