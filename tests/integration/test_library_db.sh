#!/usr/bin/env bash
# The shipped database-health runbook end to end, on a real worker against
# a private PostgreSQL cluster (tests/pg/pgcluster.sh, started and stopped
# here): a role that needs a password connects through a pgpass file given
# as a param (the password is never a param, and never shown); a primary
# with no replicas reports none and passes; connections above the limit, a
# missing password file and a server that does not answer each fail the
# step that should fail, and the steps that always run still do. Skipped
# (77) when PostgreSQL's server is not installed.
. "$(dirname "$0")/lib.sh"
rota_setup

have_server=
for d in /usr/lib/postgresql/*/bin; do
	[ -x "$d/initdb" ] && [ -x "$d/postgres" ] && have_server=1
done
command -v initdb >/dev/null 2>&1 && have_server=1
if [ -z "$have_server" ] || ! command -v psql >/dev/null 2>&1 || ! command -v pg_isready >/dev/null 2>&1; then
	echo "SKIP: $TEST_NAME: PostgreSQL's server or its clients (psql, pg_isready) are not installed"
	exit 77
fi

# A cluster of this test's own (its own state file, so a coordinator's
# store on the suite's cluster is never touched), stopped when the test
# exits, before the rest of the cleanup.
DBT=$T/pg-target
export ROTA_PG_TEMPLATE=${ROTA_PG_TEMPLATE:-$ROTA_BIN/../pg/template}
mkdir -p "$DBT"
trap 'bash "$PGCLUSTER" --state "$DBT/cluster.env" stop >/dev/null 2>&1 || true; cleanup' EXIT
bash "$PGCLUSTER" --state "$DBT/cluster.env" start >"$DBT/start.log" 2>&1 ||
	fail "could not start a PostgreSQL cluster: $(cat "$DBT/start.log")"
. "$DBT/cluster.env"
pw=$(head -n 1 "$PG_PW_FILE")
(umask 077 && printf '127.0.0.1:%s:*:%s:%s\n' "$PG_PORT" "$PG_PW_ROLE" "$pw" >"$T/pgpass")

start_coordinator
start_worker w1 --label role=web
wait_workers 1

SUCCEEDED=4 FAILED=5 SKIPPED=8
RUN_SUCCEEDED=3 RUN_FAILED=4
submit() {
	RUN=$(rota submit database-health --target w1 "$@" 2>&1) || fail "rota submit $*: $RUN"
	wait_for '[ "$(run_status "$RUN")" -ge 3 ] 2>/dev/null' 30 "database-health $* to end"
}
st() {
	store "SELECT status FROM step_runs WHERE run_id = '$RUN' AND step_id = '$1' AND host = 'w1'
	       ORDER BY attempt DESC LIMIT 1"
}
steps_are() { # steps_are STATUS STEP...
	local want=$1 s
	shift
	for s in "$@"; do
		assert_eq "$(st "$s")" "$want" "run $RUN step $s"
	done
}
conn=(-p pg_host=127.0.0.1 -p pg_port="$PG_PORT" -p pg_user="$PG_PW_ROLE" -p pg_database=rota)

submit "${conn[@]}" -p pgpassfile="$T/pgpass"
assert_eq "$(run_status "$RUN")" $RUN_SUCCEEDED "database-health on a healthy primary:
$(rota logs "$RUN" 2>&1 | tail -n 30)"
steps_are $SUCCEEDED ready connections replication activity
logs=$(rota logs "$RUN" 2>&1)
assert_contains "$logs" "127.0.0.1:$PG_PORT accepts connections OK" "ready"
has_line "$logs" "connections: [0-9]+ of 200 in use \([0-9]+%\), at most 80% OK" "connections"
assert_contains "$logs" "a primary with no replicas connected; no lag to check OK" "replication"
assert_not_contains "$logs$(rota show "$RUN" 2>&1)" "$pw" "the run's output and params"
pass "database-health passes on a primary without replicas, through a pgpass file"

submit "${conn[@]}" -p pgpassfile="$T/pgpass" -p max_connections_pct=0
assert_eq "$(run_status "$RUN")" $RUN_FAILED "database-health with max_connections_pct=0"
steps_are $SUCCEEDED ready replication activity
steps_are $FAILED connections
has_line "$(rota logs "$RUN" 2>&1)" "connections: [0-9]+ of 200 in use \([0-9]+%\), more than 0% FAILED" "connections"
pass "database-health: connections above the limit fail"

submit "${conn[@]}"
assert_eq "$(run_status "$RUN")" $RUN_FAILED "database-health without the password file"
steps_are $SUCCEEDED ready
steps_are $FAILED connections replication
assert_contains "$(rota logs "$RUN" 2>&1)" "connections: psql failed: " "connections without a password"
pass "database-health: a role whose password is not given fails, without waiting for one"

# A port nothing listens on now (probed; chosen at run time).
free_port=$(bash -c 'for p in $(shuf -i 20000-30000 -n 50); do (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null || { echo $p; exit 0; }; done; exit 1') ||
	fail "no free port found"
submit -p pg_host=127.0.0.1 -p pg_port="$free_port" -p pg_user="$PG_PW_ROLE" -p pgpassfile="$T/pgpass"
assert_eq "$(run_status "$RUN")" $RUN_FAILED "database-health against no server"
steps_are $FAILED ready replication
steps_are $SKIPPED connections
assert_contains "$(rota logs "$RUN" 2>&1)" "ready: no answer from 127.0.0.1:$free_port FAILED" "ready"
pass "database-health: a server that does not answer fails at once"
