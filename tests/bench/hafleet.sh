#!/usr/bin/env bash
# The per-coordinator figures of a high-availability group under a fleet
# (issue 14; docs/ha.md, "More workers than one coordinator can hold", and
# docs/benchmarks.md have them): what each coordinator of a leader and a
# follower holds and costs while BENCH_HAFLEET_WORKERS simulated workers
# are given both endpoints.
#
#   tests/bench/hafleet.sh BIN_DIR WORK_DIR
#
# Prints "name value unit" lines on stdout (tests/bench/run.sh turns them
# into figures), its progress on stderr. Per coordinator (leader, follower):
#   hafleet_<role>_held            workers it holds (rota_workers_connected
#                                  of its /metrics)
#   hafleet_<role>_tcp             TCP connections established to its worker
#                                  endpoint (the sockets it really holds)
#   hafleet_<role>_idle_cpu        its CPU (user + system, % of one core) over
#                                  BENCH_HAFLEET_IDLE_SECONDS (20) of an idle
#                                  fleet: heartbeats, lease renewals
#   hafleet_<role>_rss             its RSS at the end of that window
#   hafleet_<role>_rss_start       its RSS before the fleet came
#   hafleet_<role>_db_conns        its connections to PostgreSQL
#                                  (pg_stat_activity, by application_name)
#   hafleet_leader_rss_per_worker  (rss - rss_start) / held, KiB
# and for the group:
#   hafleet_workers                the fleet's size
#   hafleet_welcome_rate           workers welcomed per second, from the
#                                  first dial to the last Welcome (capped by
#                                  the simulator's --connect-rate,
#                                  BENCH_HAFLEET_CONNECT_RATE, 2000, per
#                                  rota-fleetsim process of 5000 workers)
#   hafleet_redirects              Redirects the fleet followed
#   hafleet_fanout_p50, _p99       a one-noop-step run to every connected
#                                  worker, submit to end read from the
#                                  database, 10 runs
#
# The simulated workers get the list FOLLOWER,LEADER (BENCH_HAFLEET_FIRST=
# leader reverses it): each one's first Hello goes to the follower, which
# redirects it, so the welcome rate includes the Redirect and the follower's
# share of a fleet's arrival is measured. Without the work-sharing design
# of docs/ha.md the leader holds every worker and the follower none.
#
# Set-up: a private PostgreSQL (tests/pg/pgcluster.sh), two coordinators on
# it (the first started leads), rota-fleetsim processes of at most 5000
# workers each. Everything it starts is stopped on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$(cd "$1" && pwd)
W=$2/hafleet
NWORK=${BENCH_HAFLEET_WORKERS:-1000}
IDLE_S=${BENCH_HAFLEET_IDLE_SECONDS:-20}
RATE=${BENCH_HAFLEET_CONNECT_RATE:-2000}
FIRST=${BENCH_HAFLEET_FIRST:-follower}
FANOUT_RUNS=10
SIM_PER_PROCESS=5000 # 2 fds per simulated worker: inside the fd limit
CLK_TCK=$(getconf CLK_TCK)
# Bounds, not timings: a scenario that does not get there failed.
WAIT_START_S=60
WAIT_FLEET_S=$((60 + NWORK / 100))

PGCLUSTER=$ROOT/tests/pg/pgcluster.sh
PG_STATE=$W/pg/cluster.env
PIDS=()
FLEET=()
mkdir -p "$W/pg" "$W/runbooks"

cleanup() {
	local i
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do kill -TERM "${PIDS[$i]}" 2>/dev/null || true; done
	for i in "${PIDS[@]}"; do wait "$i" 2>/dev/null || true; done
	bash "$PGCLUSTER" --state "$PG_STATE" stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

BENCH=hafleet
# shellcheck source=halib.sh
. "$ROOT/tests/bench/halib.sh"

# set -e ends the script on a failed command: say which.
trap 'die "a command failed at line $LINENO"' ERR

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }

echo "  (load average at start: $(cut -d' ' -f1-3 /proc/loadavg))" >&2
bench_pg_start hafleet

cp "$ROOT/tests/fixtures/bench-fanout.yaml" "$W/runbooks/"

# Per coordinator (leader, follower): its pid, endpoints, RSS before the
# fleet (KiB) and CPU ticks at the window's start.
declare -A CPID WEP API HTTP RSS0 CPU0

# start_coord NAME: sets CPID, WEP, API, HTTP [NAME].
start_coord() {
	local name=$1 data=$W/$1
	mkdir -p "$data"
	"$BIN/rota-coordinator" --data-dir "$data" --runbooks "$W/runbooks" \
		--store "$URL&application_name=bench_$name" \
		--worker-endpoint "tcp://127.0.0.1:*" --api-endpoint "tcp://127.0.0.1:*" \
		--http 127.0.0.1:0 >>"$W/coordinator-$name.log" 2>&1 &
	local pid=$! end=$((SECONDS + WAIT_START_S))
	PIDS+=("$pid")
	CPID[$name]=$pid
	while [ ! -f "$data/endpoints" ]; do
		[ $SECONDS -lt $end ] || die "coordinator $name wrote no endpoints"
		kill -0 "$pid" 2>/dev/null || die "coordinator $name exited at start"
		sleep 0.05
	done
	WEP[$name]=$(sed -n 's/^worker=//p' "$data/endpoints")
	API[$name]=$(sed -n 's/^api=//p' "$data/endpoints")
	HTTP[$name]=$(sed -n 's/^http=//p' "$data/endpoints")
}

# metric NAME ROLE: a metric's value on that coordinator's /metrics.
# A busy coordinator may answer late: a few tries, then empty.
metric() {
	local v='' i
	for i in 1 2 3 4 5; do
		v=$(curl -s --max-time 10 "http://${HTTP[$2]}/metrics" | awk -v m="$1" '$1 == m {print $2; exit}') || true
		[ -z "$v" ] || break
	done
	echo "$v"
}

# wait_until SECONDS DESCRIPTION COMMAND...: a bounded poll.
wait_until() {
	local limit=$1 what=$2
	local end=$((SECONDS + limit))
	shift 2
	until "$@"; do
		[ $SECONDS -lt $end ] || die "$what not within $limit s"
		sleep 0.1
	done
}
leads() { [ "$(metric rota_leader "$1")" = 1 ]; }
follows() { [ "$(metric rota_leader "$1")" = 0 ]; }

# Leader first: it makes the schema and takes the lease; then the follower.
start_coord leader
wait_until "$WAIT_START_S" "the first coordinator leading" leads leader
start_coord follower
"$BIN/rota-bench" ready "${API[leader]}" 60000 >/dev/null || die "the leader does not answer"
wait_until "$WAIT_START_S" "the follower following" follows follower
sleep 2 # both past their start: the baseline is a settled process
for r in leader follower; do RSS0[$r]=$(rss_kib "${CPID[$r]}"); done

if [ "$FIRST" = leader ]; then
	LIST="${WEP[leader]},${WEP[follower]}"
else
	LIST="${WEP[follower]},${WEP[leader]}"
fi
echo "  (leader and follower on PostgreSQL; $NWORK simulated workers given $FIRST first," \
	"--connect-rate $RATE)" >&2
left=$NWORK k=0
t0=$(now_ms)
while [ "$left" -gt 0 ]; do
	k=$((k + 1))
	m=$((left < SIM_PER_PROCESS ? left : SIM_PER_PROCESS))
	prefix=sim-
	[ $k -gt 1 ] && prefix=sim$k-
	"$BIN/rota-fleetsim" --coordinator "$LIST" --workers "$m" --id-prefix "$prefix" \
		--connect-rate "$RATE" --ready-file "$W/fleet$k.ready" >"$W/fleetsim$k.log" 2>&1 &
	FLEET+=($!)
	PIDS+=($!)
	left=$((left - m))
done
fleet_ready() {
	local i
	for i in $(seq "$k"); do [ -f "$W/fleet$i.ready" ] || return 1; done
}
wait_until "$WAIT_FLEET_S" "$NWORK workers welcomed" fleet_ready
t1=$(now_ms)
echo "  ($NWORK welcomed in $((t1 - t0)) ms)" >&2

sleep 5 # let the connection storm's retries settle
for r in leader follower; do CPU0[$r]=$(cpu_ticks "${CPID[$r]}"); done
sleep "$IDLE_S"
for r in leader follower; do
	pid=${CPID[$r]}
	d=$(($(cpu_ticks "$pid") - CPU0[$r]))
	rss=$(rss_kib "$pid")
	held=$(metric rota_workers_connected "$r")
	port=${WEP[$r]##*:}
	tcp=$(ss -Htn state established "( sport = :$port )" | wc -l)
	conns=$(sql "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = 'bench_$r'") ||
		die "cannot count the database connections"
	[ -n "$held" ] || die "the $r's /metrics did not answer"
	echo "hafleet_${r}_held ${held:-0} workers"
	echo "hafleet_${r}_tcp $tcp connections"
	echo "hafleet_${r}_idle_cpu $(awk -v d="$d" -v hz="$CLK_TCK" -v s="$IDLE_S" \
		'BEGIN {printf "%.1f", 100 * d / hz / s}') %"
	echo "hafleet_${r}_rss $(mib "$rss") MiB"
	echo "hafleet_${r}_rss_start $(mib "${RSS0[$r]}") MiB"
	echo "hafleet_${r}_db_conns $conns connections"
	if [ "$r" = leader ] && [ "${held:-0}" -gt 0 ]; then
		echo "hafleet_leader_rss_per_worker $(awk -v a="$rss" -v b="${RSS0[$r]}" -v n="$held" \
			'BEGIN {printf "%.1f", (a - b) / n}') KiB"
	fi
done
echo "hafleet_workers $NWORK workers"
echo "hafleet_welcome_rate $(awk -v n="$NWORK" -v ms=$((t1 - t0)) 'BEGIN {printf "%.0f", n * 1000 / ms}') workers/s"

echo "  (fan-out: $FANOUT_RUNS runs of one noop step to every worker, through the leader)" >&2
read -r p50 p99 < <("$BIN/rota-bench" once "${API[leader]}" "$URL" bench-fanout "$FANOUT_RUNS") ||
	die "fan-out failed"
echo "hafleet_fanout_p50 $p50 ms"
echo "hafleet_fanout_p99 $p99 ms"

# The fleet's own count of Redirects, in its exit line.
for pid in "${FLEET[@]}"; do
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
done
echo "hafleet_redirects $(cat "$W"/fleetsim*.log | sed -n 's/.* \([0-9]*\) redirects$/\1/p' |
	awk '{n += $1} END {print n + 0}') redirects"
echo "  (load average at end: $(cut -d' ' -f1-3 /proc/loadavg))" >&2
