#!/usr/bin/env bash
# The high-availability benchmarks of make bench (issue 14; docs/benchmarks.md
# has the figures): how long the coordinators stop dispatching when their
# leader dies or freezes.
#
#   tests/bench/ha.sh BIN_DIR WORK_DIR
#
# Prints "name value unit" lines on stdout (tests/bench/run.sh turns them
# into figures), its progress on stderr:
#   ha_failover_p50, ha_failover_p99  the leader SIGKILLed BENCH_HA_KILLS
#       (10) times, restarted as a follower each time: from the SIGKILL to
#       the first step the new leader dispatches
#   ha_frozen_depose                  the leader SIGSTOPped: from the SIGSTOP
#       to the new leader's first dispatch (then SIGCONTed: it steps down)
#   ha_frozen_takeover                the SIGSTOP to the successor's log
#       line "leader: took the lease" (the coordinators' part of the above;
#       the rest is the workers noticing the frozen one's silence, 5
#       heartbeats, and reaching the successor)
#   ha_lease, ha_heartbeat            the --lease and --heartbeat used
#
# Set-up: a private PostgreSQL (tests/pg/pgcluster.sh), BENCH_HA_COORDS (2)
# coordinators on it with --lease BENCH_HA_LEASE (2s, the shortest) and
# --heartbeat BENCH_HA_HEARTBEAT (1s), BENCH_HA_WORKERS (100) workers given
# the list of every coordinator, and a steady workload: a run of ten
# `sleep 0.3` shell steps submitted to the next worker every 0.3 s (about
# ten runs in flight), so that at any kill steps are running and their
# successors wait for a leader.
#
# The workers are real rota-worker processes: rota-fleetsim dials one
# endpoint and follows no Redirect, so it cannot fail over.
#
# A "dispatch" is read from the database: a trigger this script adds to
# step_runs records, for every row written with status dispatched (2) from
# another status, the database's clock and the writing connection's
# application_name (each coordinator's is bench_NAME). The first one after
# the kill written by another coordinator than the killed one is the new
# leader's first dispatch (a leader commits a step as dispatched in the
# turn it sends it; a rolled-back, fenced transaction leaves no row). Not
# step_runs.started_ms: a step sent by the old leader just before its death
# can start on its worker just after, and its result, recorded by the new
# leader, carries the worker's start time. All the processes share this
# machine's clock. The figure includes everything a user waits for: the
# successor taking the lease, loading the active runs, the workers finding
# it (a refused connection, a follower's Redirect) and saying Hello, the
# results held during the gap, and the next step.
#
# Everything it starts (the cluster, coordinators, workers, the submitter)
# is stopped on exit, a frozen coordinator SIGCONTed first.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$(cd "$1" && pwd)
W=$2/ha
KILLS=${BENCH_HA_KILLS:-10}
NCOORD=${BENCH_HA_COORDS:-2}
NWORK=${BENCH_HA_WORKERS:-100}
LEASE=${BENCH_HA_LEASE:-2s}
HEARTBEAT=${BENCH_HA_HEARTBEAT:-1s}
# Bounds, not timings: a scenario that does not get there failed.
WAIT_DISPATCH_S=60
WAIT_START_S=60

# bash reports each SIGKILLed child ("line N: PID Killed  COMMAND") on its
# stderr whenever it reaps it; those lines are the benchmark's own doing.
exec 3>&2 2> >(grep -v --line-buffered -E '^.*line [0-9]+: +[0-9]+ Killed ' >&3)

PGCLUSTER=$ROOT/tests/pg/pgcluster.sh
PG_STATE=$W/pg/cluster.env
PIDS=()
SUBMITTER=
mkdir -p "$W/pg" "$W/runbooks" "$W/spool"

cleanup() {
	local pid
	[ -z "$SUBMITTER" ] || { kill -TERM "$SUBMITTER" 2>/dev/null || true; wait "$SUBMITTER" 2>/dev/null || true; }
	# Workers first (started last), so that none is left reconnecting.
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
		kill -CONT "${PIDS[$i]}" 2>/dev/null || true
		kill -TERM "${PIDS[$i]}" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
	bash "$PGCLUSTER" --state "$PG_STATE" stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

BENCH=ha
# shellcheck source=halib.sh
. "$ROOT/tests/bench/halib.sh"

bench_pg_start ha

{
	echo "name: bench-ha"
	echo "description: ten short shell steps on the host named; the HA benchmark's workload"
	echo "steps:"
	for i in $(seq 10); do
		echo "  - id: s$i"
		echo "    shell: \"sleep 0.3\""
	done
} >"$W/runbooks/bench-ha.yaml"

# start_coord NAME: on the ports of its first start (so the workers' list
# stays true); sets CPID_<NAME>, and EP_W/EP_A/EP_H_<NAME> the first time.
start_coord() {
	local name=$1 data=$W/$1
	local wv=EP_W_$1 av=EP_A_$1 hv=EP_H_$1
	mkdir -p "$data"
	rm -f "$data/endpoints"
	"$BIN/rota-coordinator" --data-dir "$data" --runbooks "$W/runbooks" \
		--store "$URL&application_name=bench_$name" \
		--lease "$LEASE" --heartbeat "$HEARTBEAT" \
		--worker-endpoint "${!wv:-tcp://127.0.0.1:*}" --api-endpoint "${!av:-tcp://127.0.0.1:*}" \
		--http "${!hv:-127.0.0.1:0}" >>"$W/coordinator-$name.log" 2>&1 &
	local pid=$!
	PIDS+=("$pid")
	eval "CPID_$name=$pid"
	local end=$((SECONDS + WAIT_START_S))
	while [ ! -f "$data/endpoints" ]; do
		[ $SECONDS -lt $end ] || die "coordinator $name wrote no endpoints"
		kill -0 "$pid" 2>/dev/null || die "coordinator $name exited at start"
		sleep 0.05
	done
	eval "EP_W_$name=$(sed -n 's/^worker=//p' "$data/endpoints")"
	eval "EP_A_$name=$(sed -n 's/^api=//p' "$data/endpoints")"
	eval "EP_H_$name=$(sed -n 's/^http=//p' "$data/endpoints")"
}

leads() {
	local hv=EP_H_$1
	[ "$(curl -s --max-time 2 -o /dev/null -w '%{http_code}' "http://${!hv}/healthz?role=leader" || true)" = 200 ]
}

# find_leader [EXCEPT]: sets LEADER to the coordinator (other than EXCEPT)
# that leads, waiting for one (bounded).
find_leader() {
	local end=$((SECONDS + WAIT_START_S)) c
	while [ $SECONDS -lt $end ]; do
		for c in "${COORDS[@]}"; do
			[ "$c" != "${1:-}" ] || continue
			local pv=CPID_$c
			kill -0 "${!pv}" 2>/dev/null || continue
			if leads "$c"; then
				LEADER=$c
				return 0
			fi
		done
		sleep 0.1
	done
	die "no coordinator leads"
}

COORDS=()
for i in $(seq "$NCOORD"); do COORDS+=("c$i"); done
for c in "${COORDS[@]}"; do
	start_coord "$c"
	[ "$c" = c1 ] || continue
	find_leader # c1 makes the schema and leads
	sql "CREATE TABLE bench_dispatch (at_ms BIGINT NOT NULL, app TEXT NOT NULL);
	CREATE FUNCTION bench_dispatch_note() RETURNS trigger LANGUAGE plpgsql AS \$\$
	BEGIN
		IF TG_OP = 'INSERT' OR OLD.status <> 2 THEN
			INSERT INTO bench_dispatch VALUES
			    ((extract(epoch FROM clock_timestamp()) * 1000)::bigint,
			     current_setting('application_name'));
		END IF;
		RETURN NULL;
	END \$\$;
	CREATE TRIGGER bench_dispatch AFTER INSERT OR UPDATE ON step_runs
	    FOR EACH ROW WHEN (NEW.status = 2) EXECUTE FUNCTION bench_dispatch_note();" ||
		die "cannot add the dispatch trigger"
done
WEPS=() AEPS=()
for c in "${COORDS[@]}"; do
	wv=EP_W_$c av=EP_A_$c
	WEPS+=("${!wv}")
	AEPS+=("${!av}")
done
WLIST=$(IFS=,; echo "${WEPS[*]}")
export ROTA_COORDINATOR
ROTA_COORDINATOR=$(IFS=,; echo "${AEPS[*]}")

echo "  ($NCOORD coordinators, --lease $LEASE --heartbeat $HEARTBEAT; starting $NWORK rota-worker)" >&2
for i in $(seq "$NWORK"); do
	"$BIN/rota-worker" --coordinator "$WLIST" --id "w$i" --spool "$W/spool/w$i" \
		>>"$W/worker-w$i.log" 2>&1 &
	PIDS+=($!)
done
end=$((SECONDS + 120))
while [ "$("$BIN/rota" workers 2>/dev/null | grep -c ' connected ' || true)" -lt "$NWORK" ]; do
	[ $SECONDS -lt $end ] || die "$NWORK workers not connected in 120 s"
	sleep 0.5
done

# The steady workload; the CLI follows the leader through the list.
(
	trap 'exit 0' TERM
	i=0
	while :; do
		"$BIN/rota" submit bench-ha --target "w$((i % NWORK + 1))" >/dev/null 2>&1 || true
		i=$((i + 1))
		sleep 0.3
	done
) &
SUBMITTER=$!

# first_dispatch_after MS [NOT_BY]: the time of the first dispatch after MS
# (by a coordinator other than NOT_BY), waiting for it.
first_dispatch_after() {
	local end=$((SECONDS + WAIT_DISPATCH_S)) v
	while [ $SECONDS -lt $end ]; do
		v=$(sql "SELECT COALESCE(MIN(at_ms), 0) FROM bench_dispatch
			WHERE at_ms > $1 AND app <> 'bench_${2:-}'" 2>/dev/null || echo 0)
		[ "${v:-0}" -gt 0 ] && { echo "$v"; return 0; }
		sleep 0.05
	done
	die "no step dispatched within $WAIT_DISPATCH_S s of ms $1"
}

# steady: the leader dispatches (a step sent in the last second).
steady() {
	first_dispatch_after "$(($(now_ms) - 1000))" >/dev/null
	first_dispatch_after "$(now_ms)" >/dev/null
}

echo "== ha_failover: the leader SIGKILLed $KILLS times" >&2
GAPS=()
for k in $(seq "$KILLS"); do
	find_leader
	steady
	pv=CPID_$LEADER
	# The clock is read just after the signal, not before: a step the
	# leader sent between the two reads would count as its successor's.
	kill -KILL "${!pv}"
	t=$(now_ms)
	first=$(first_dispatch_after "$t" "$LEADER")
	{ wait "${!pv}" || true; } 2>/dev/null # no "Killed" line
	GAPS+=($((first - t)))
	echo "  kill $k of $LEADER: first dispatch after $((first - t)) ms" >&2
	killed=$LEADER
	find_leader "$killed" # its successor leads before it comes back
	start_coord "$killed" # back as a follower
done
pct() { printf '%s\n' "${GAPS[@]}" | sort -n | awk -v p="$1" '{v[NR] = $1}
	END {i = int(NR * p / 100); if (i < NR * p / 100) i++; if (i < 1) i = 1; printf "%.2f", v[i] / 1000}'; }
echo "ha_failover_p50 $(pct 50) s"
echo "ha_failover_p99 $(pct 99) s"

echo "== ha_frozen_depose: the leader SIGSTOPped" >&2
find_leader
steady
pv=CPID_$LEADER
kill -STOP "${!pv}"
t=$(now_ms)
first=$(first_dispatch_after "$t" "$LEADER")
kill -CONT "${!pv}"
echo "  $LEADER frozen: first dispatch by its successor after $((first - t)) ms" >&2
echo "ha_frozen_depose $(awk -v d=$((first - t)) 'BEGIN {printf "%.2f", d / 1000}') s"
# The successor's "took the lease" line after t (log times are UTC, ms).
took=0
for c in "${COORDS[@]}"; do
	[ "$c" != "$LEADER" ] || continue
	while read -r stamp _; do
		ms=$(date -d "$stamp" +%s%3N)
		[ "$ms" -le "$t" ] || { took=$ms; break; }
	done < <(grep 'leader: took the lease' "$W/coordinator-$c.log" || true)
	[ "$took" = 0 ] || break
done
[ "$took" != 0 ] || die "no successor logged taking the lease"
echo "  its successor took the lease after $((took - t)) ms" >&2
echo "ha_frozen_takeover $(awk -v d=$((took - t)) 'BEGIN {printf "%.2f", d / 1000}') s"
secs() { awk -v l="$1" 'BEGIN {if (l ~ /ms$/) {sub(/ms$/, "", l); print l / 1000} else {sub(/s$/, "", l); print l}}'; }
echo "ha_lease $(secs "$LEASE") s"
echo "ha_heartbeat $(secs "$HEARTBEAT") s"
