#!/usr/bin/env bash
# make bench: rota's benchmarks (issue 7; docs/benchmarks.md has the figures
# and what limits them). Each scenario starts a coordinator on a fresh data
# directory with loopback endpoints and the simulated fleet it needs, prints
# one line per figure, "name value unit", and all of them go to
# build/bench.json. Benchmarks are not tests: nothing here fails on a slow
# figure, only on a scenario that could not run.
#
#   tests/bench/run.sh [BIN_DIR] [JSON_OUT]
#
# BENCH_SECONDS (throughput window, 30), BENCH_IDLE_SECONDS (60) and
# BENCH_ONLY (a space-separated list of: throughput fanout1000 fleet10000
# worker wait three console sse sched sqlite search pg ha hafleet backup retention pruneload) shorten a run
# while working on one figure. BENCH_BACKUP_MB (128) is the size of the
# store the backup scenario copies; BENCH_BACKUP_MB=1024 makes backup_1gb_s
# a measured figure rather than one scaled from a smaller store.
# BENCH_PRUNE_ROWS (100000) is the store retention prunes: 1000000 measures
# prune_1m_rows_s itself (about five minutes, most of it filling the store)
# instead of scaling it.
#
# pruneload (dispatch_p99_during_prune and its ratio to
# dispatch_p99_without_prune): a coordinator on a store filled by
# rota-prune-bench with BENCH_PRUNE_LOAD_ROWS step runs (300000; all older
# than retention), 100 simulated workers; the fan-out scenario's p99
# (20 runs to all of them) before a pass, then again while `rota prune`
# runs its pass. The pass must still be running when the second
# measurement ends (said, else). prune_slice_p99_ms and prune_slice_max_ms
# are how long the pass's slices held the loop (each slice's batches and
# its commit, from the coordinator's log), prune_slices_put_off the turns
# that put a slice off because a message was waiting.
#
# search (search_<size>_ms: rota search's query for a rare word over that
# much stored step output, p50 of 50; tests/bench/search_bench.c) fills a
# SQLite store of BENCH_SEARCH_MB MiB of output (64 by default, under a
# minute; 1024 gives search_1gb_ms, several minutes and about 3 GB of disk).
#
# console (console_runs_page_ms and its deep and filtered pages) seeds
# BENCH_CONSOLE_RUNS (100000) runs by SQL, a few seconds; sse
# (sse_100_followers) runs the throughput scenario once alone, then
# BENCH_SSE_PAIRS (3) pairs of BENCH_SSE_WINDOW (10) s windows beside a
# 10 MB run, without and with 100 followers, alternating, then two 10 MB
# runs on their own: about three minutes.
# BENCH_PG_FLEET (1000): the simulated workers (and submits in flight) of
# throughput_pg. BENCH_KEEP=1 keeps the data directory and logs.
#
# pg (throughput_pg, pg_ceiling) starts a private PostgreSQL cluster of its
# own (tests/pg/pgcluster.sh: the postgres user's, in a temporary
# directory, a free port and a unix socket) and stops it at the end; it is
# skipped, saying why, when PostgreSQL's server is not installed.
#
# ha (ha_failover_p50/p99, ha_frozen_depose: tests/bench/ha.sh) runs
# coordinators on a private PostgreSQL of its own, and kills and freezes
# their leader; skipped likewise without PostgreSQL.
#
# hafleet (hafleet_*: tests/bench/hafleet.sh) runs a leader and a follower
# on a private PostgreSQL with BENCH_HAFLEET_WORKERS (1000) simulated
# workers given both endpoints, and prints what each coordinator holds and
# costs (workers, CPU and RSS over BENCH_HAFLEET_IDLE_SECONDS (20) idle,
# database connections), the welcome rate and the fan-out to all of them;
# skipped likewise without PostgreSQL.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$(cd "${1:-$ROOT/build/bin}" && pwd)
JSON=${2:-$ROOT/build/bench.json}
SECONDS_THROUGHPUT=${BENCH_SECONDS:-30}
SECONDS_IDLE=${BENCH_IDLE_SECONDS:-60}
ONLY=${BENCH_ONLY:-throughput fanout1000 fleet10000 worker wait three console sse sched sqlite search pg ha hafleet backup retention pruneload}
# console_runs_page_ms: runs in the store the console's runs page reads.
CONSOLE_RUNS=${BENCH_CONSOLE_RUNS:-100000}
BACKUP_MB=${BENCH_BACKUP_MB:-128}
# throughput_pg's fleet and window (1000): smaller on a machine so loaded
# that 1000 simulated workers miss their heartbeats.
PG_FLEET=${BENCH_PG_FLEET:-1000}
SEARCH_MB=${BENCH_SEARCH_MB:-64}
# sse: the length of the two windows sse_100_followers compares (the 10 MB
# run writes for about 10 s) and how many of each it takes, alternating.
SSE_WINDOW=${BENCH_SSE_WINDOW:-10}
SSE_PAIRS=${BENCH_SSE_PAIRS:-3}
# One rota-fleetsim holds 2 fds per worker: stay well inside the fd limit.
SIM_PER_PROCESS=5000
CLK_TCK=$(getconf CLK_TCK)
W=$(mktemp -d "${TMPDIR:-/tmp}/rota-bench.XXXXXX")
PIDS=()
FIGURES=()

PGCLUSTER=$ROOT/tests/pg/pgcluster.sh
PG_STATE=

cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
	if [ -n "$PG_STATE" ]; then
		bash "$PGCLUSTER" --state "$PG_STATE" stop >/dev/null 2>&1 || true
	fi
	[ -n "${BENCH_KEEP:-}" ] || rm -rf "$W"
}
trap cleanup EXIT

die() {
	echo "bench: $*" >&2
	for f in "$W"/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; tail -n 15 "$f" >&2; }; done
	exit 1
}

# figure NAME VALUE UNIT
figure() {
	printf '%s %s %s\n' "$1" "$2" "$3"
	FIGURES+=("$(printf '    "%s": {"value": %s, "unit": "%s"}' "$1" "$2" "$3")")
}

# turn_figures NAME LOG TICKS RUNS: what a result cost the coordinator,
# figures that do not move with the machine's load as the rate does:
# NAME_cpu_us_per_run, its CPU (all threads, user + system; TICKS over
# the stream) over the RUNS ended; from the turns line it logs at stop
# (turnstats.h), NAME_loop_cpu_us_per_result (the loop's thread alone,
# its whole life) and NAME_results_per_commit.
turn_figures() {
	local line
	[ "$4" -gt 0 ] && figure "$1_cpu_us_per_run" \
		"$(awk -v t="$3" -v h="$CLK_TCK" -v r="$4" 'BEGIN {printf "%.0f", t * 1e6 / h / r}')" us
	line=$(grep -o 'turns: .*' "$2" | tail -n 1) || return 0
	figure "$1_loop_cpu_us_per_result" "$(sed -n 's/.*loop CPU \([0-9.]*\) us a result.*/\1/p' <<<"$line")" us
	figure "$1_results_per_commit" "$(sed -n 's/.*committed, \([0-9.]*\) results a commit.*/\1/p' <<<"$line")" results
	echo "  (the loop's $line)" >&2
}

want() { case " $ONLY " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# sum_ticks PID...: their CPU together (a process gone since counts 0).
sum_ticks() {
	local pid t=0
	for pid in "$@"; do t=$((t + $(cpu_ticks "$pid" 2>/dev/null || echo 0))); done
	echo "$t"
}
rss_mib() { awk '/^VmRSS:/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }

# start_coordinator NAME RUNBOOK_DIR [--store URL]: fresh data dir; sets
# CPID, WEP, API, DB (the SQLite file, or the URL of the store given).
start_coordinator() {
	local data=$W/$1 name=$1 books=$2
	shift 2
	rm -rf "$data"
	"$BIN/rota-coordinator" --data-dir "$data" --runbooks "$books" \
		--worker-endpoint "tcp://127.0.0.1:*" --api-endpoint "tcp://127.0.0.1:*" --http off \
		"$@" >"$W/coordinator-$name.log" 2>&1 &
	CPID=$!
	PIDS+=("$CPID")
	for _ in $(seq 600); do
		[ -f "$data/endpoints" ] && break
		kill -0 "$CPID" 2>/dev/null || die "coordinator $name exited at start"
		sleep 0.05
	done
	[ -f "$data/endpoints" ] || die "coordinator $name wrote no endpoints"
	WEP=$(sed -n 's/^worker=//p' "$data/endpoints")
	API=$(sed -n 's/^api=//p' "$data/endpoints")
	DB=$data/rota.db
	[ "${1:-}" = --store ] && DB=$2
	"$BIN/rota-bench" ready "$API" 60000 >/dev/null || die "coordinator $name does not answer"
}

stop_pid() {
	kill -TERM "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# start_fleet N [fleetsim flags]: N simulated workers sim-1.. (in processes
# of SIM_PER_PROCESS, prefixes sim-, sim2-, ...); waits until all are
# welcomed. Sets FLEET (their pids).
start_fleet() {
	local n=$1 left=$1 k=0 prefix
	shift
	FLEET=()
	while [ "$left" -gt 0 ]; do
		k=$((k + 1))
		local m=$((left < SIM_PER_PROCESS ? left : SIM_PER_PROCESS))
		prefix=sim-
		[ $k -gt 1 ] && prefix=sim$k-
		rm -f "$W/fleet$k.ready"
		"$BIN/rota-fleetsim" --coordinator "$WEP" --workers "$m" --id-prefix "$prefix" \
			--ready-file "$W/fleet$k.ready" "$@" >"$W/fleetsim$k.log" 2>&1 &
		FLEET+=($!)
		PIDS+=($!)
		left=$((left - m))
	done
	local start=$SECONDS
	for i in $(seq $k); do
		while [ ! -f "$W/fleet$i.ready" ]; do
			[ $((SECONDS - start)) -lt 120 ] || die "fleet of $n not welcomed in 120 s"
			sleep 0.2
		done
	done
	echo "  ($n simulated workers welcomed in $((SECONDS - start)) s)" >&2
}

stop_fleet() {
	local pid
	for pid in "${FLEET[@]}"; do stop_pid "$pid"; done
	FLEET=()
}

RB=$W/runbooks
mkdir -p "$RB"
cat >"$RB/bench-noop.yaml" <<'EOF'
name: bench-noop
description: one noop step; the benchmark names the host
steps:
  - id: nothing
    noop: {}
EOF
cp "$ROOT/tests/fixtures/bench-fanout.yaml" "$RB/"
cat >"$RB/bench-true.yaml" <<'EOF'
name: bench-true
description: one shell step that does nothing, on a real worker
steps:
  - id: t
    shell: "true"
EOF

# bench_three_steps_20_hosts: a fleet run of three real shell steps.
cat >"$RB/bench-three.yaml" <<'EOF'
name: bench-three
description: three shell steps on each host; the benchmark names the hosts
steps:
  - id: t
    shell: "true"
  - id: df
    shell: "df -P /"
  - id: ok
    shell: "echo ok"
EOF

# sse_100_followers: the run the followers follow, about 10 MB of output
# written over about 10 s (100 bursts of 1,000 lines of 100 bytes).
cat >"$RB/bench-10mb.yaml" <<'EOF'
name: bench-10mb
description: writes about 10 MB of output over about 10 s
steps:
  - id: write
    shell: "for i in $(seq 100); do head -c 99000 /dev/zero | tr '\\0' x | fold -w 99; sleep 0.1; done"
EOF

echo "rota bench: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r); data in $W" >&2

if want throughput; then
	echo "== throughput: 1000 simulated workers, one-step noop runs to single hosts, ${SECONDS_THROUGHPUT} s" >&2
	start_coordinator throughput "$RB"
	start_fleet 1000
	cpu0=$(cpu_ticks "$CPID")
	read -r rate submits < <("$BIN/rota-bench" stream "$API" "$DB" bench-noop sim- 1000 3 \
		"$SECONDS_THROUGHPUT" 1000) || die "throughput stream failed"
	cpu1=$(cpu_ticks "$CPID")
	figure throughput "$rate" results/s
	figure throughput_submits "$submits" submits/s
	stop_fleet
	stop_pid "$CPID"
	turn_figures throughput "$W/coordinator-throughput.log" "$((cpu1 - cpu0))" \
		"$(sqlite3 "$DB" "SELECT COUNT(*) FROM runs WHERE status IN (3, 4)")"
	# The statements a run costs on SQLite: what the coordinator's store
	# connections ran over its life (db.c logs it at close: start, the
	# fleet's Hellos and the outbox's polls included, a few thousand)
	# over the runs that ended. A count, steady whatever the load.
	stmts=$(grep -o 'store: sqlite: [0-9]* statements run' "$W/coordinator-throughput.log" |
		awk '{n += $3} END {print n + 0}')
	runs=$(sqlite3 "$DB" "SELECT COUNT(*) FROM runs WHERE status IN (3, 4)")
	made=$(sqlite3 "$DB" "SELECT COUNT(*) FROM runs")
	if [ "$runs" -gt 0 ] && [ "$stmts" -gt 0 ]; then
		figure throughput_statements_per_run "$(awk -v s="$stmts" -v r="$runs" 'BEGIN {printf "%.1f", s / r}')" statements
		echo "  ($stmts statements, $runs runs ended, $made made: $(awk -v s="$stmts" -v r="$made" 'BEGIN {printf "%.1f", s / r}') a run made)" >&2
	fi
fi

if want fanout1000; then
	echo "== fan-out to 1000 simulated workers, 10 runs" >&2
	start_coordinator fanout1000 "$RB"
	start_fleet 1000
	read -r p50 p99 < <("$BIN/rota-bench" once "$API" "$DB" bench-fanout 10) ||
		die "fan-out 1000 failed"
	figure fanout_1000_p50 "$p50" ms
	figure fanout_1000_p99 "$p99" ms
	stop_fleet
	stop_pid "$CPID"
fi

if want fleet10000; then
	# BENCH_FLEET (10000) simulated workers; a machine that cannot keep
	# 10,000 up (their heartbeats late, workers lost) measures a smaller
	# fleet, named in the figures (idle_2000_cpu). BENCH_MAX_HEARTBEATS
	# passes --max-heartbeats-per-second (the coordinator's default else):
	# with BENCH_FLEET=2000 BENCH_MAX_HEARTBEATS=700, 2,000 workers get the
	# interval and message rate per worker 10,000 get by default.
	# idle_N_lost: workers the coordinator declared lost during the idle
	# window (must be 0: else the CPU figure measured a broken fleet).
	# BENCH_CONNECT_RATE (2000): workers dialled a second at start; a
	# loaded machine welcomes a fleet dialled slower.
	FN=${BENCH_FLEET:-10000}
	extra=()
	[ -n "${BENCH_MAX_HEARTBEATS:-}" ] && extra=(--max-heartbeats-per-second "$BENCH_MAX_HEARTBEATS")
	echo "== idle fleet of $FN simulated workers, ${SECONDS_IDLE} s; then fan-out to them, 10 runs" >&2
	start_coordinator fleet10000 "$RB" "${extra[@]}"
	start_fleet "$FN" --connect-rate "${BENCH_CONNECT_RATE:-2000}"
	sleep 5 # let the connection storm's retries settle
	lost0=$(grep -c ' lost: silent' "$W/coordinator-fleet10000.log" || true)
	t0=$(cpu_ticks "$CPID")
	sleep "$SECONDS_IDLE"
	t1=$(cpu_ticks "$CPID")
	lost1=$(grep -c ' lost: silent' "$W/coordinator-fleet10000.log" || true)
	figure "idle_${FN}_rss" "$(rss_mib "$CPID")" MiB
	figure "idle_${FN}_cpu" "$(awk -v d=$((t1 - t0)) -v hz="$CLK_TCK" -v s="$SECONDS_IDLE" \
		'BEGIN {printf "%.1f", 100 * d / hz / s}')" %
	figure "idle_${FN}_lost" "$((lost1 - lost0))" workers
	sed -n 's/.*\(heartbeats: .* is lost\)$/  (\1)/p' "$W/coordinator-fleet10000.log" | tail -n 1 >&2
	read -r p50 p99 < <("$BIN/rota-bench" once "$API" "$DB" bench-fanout 10) ||
		die "fan-out $FN failed"
	figure "fanout_${FN}_p50" "$p50" ms
	figure "fanout_${FN}_p99" "$p99" ms
	figure "fanout_${FN}_rss" "$(rss_mib "$CPID")" MiB
	stop_fleet
	stop_pid "$CPID"
fi

if want worker; then
	echo "== one real rota-worker: shell true steps back to back" >&2
	start_coordinator worker "$RB"
	"$BIN/rota-worker" --coordinator "$WEP" --id w1 --spool "$W/spool-w1" \
		>"$W/worker.log" 2>&1 &
	WPID=$!
	PIDS+=("$WPID")
	for _ in $(seq 100); do
		[ "$(ROTA_COORDINATOR=$API "$BIN/rota" workers 2>/dev/null | grep -c ' connected ')" -ge 1 ] && break
		sleep 0.1
	done
	sleep 1
	figure worker_idle_rss "$(rss_mib "$WPID")" MiB
	read -r p50 p99 < <("$BIN/rota-bench" once "$API" "$DB" bench-true 300 w1) ||
		die "worker latency failed"
	figure worker_true_p50 "$p50" ms
	figure worker_true_p99 "$p99" ms
	figure worker_load_rss "$(awk '/^VmHWM:/ {printf "%.1f", $2 / 1024}' "/proc/$WPID/status")" MiB
	stop_pid "$WPID"
	stop_pid "$CPID"
fi

if want wait; then
	# wait_overhead_ms: what `rota submit --wait` adds to a one-step `true`
	# run on one real worker: the command's whole time (process start,
	# submit, dispatch, the result, the run's end told through the event
	# stream) less the step's own time as the store recorded it; p50 of 30.
	# Times are bash's $EPOCHREALTIME, read without starting a process
	# (a `date` started inside the interval was part of the figure).
	# Beside it, the parts of the CLI's floor (wait_cli_floor_ms: `rota
	# status`, one read): wait_exec_floor_ms starts /bin/true (the
	# machine's exec), wait_cli_start_ms `rota --version` (the process with
	# its libraries: libzmq's tree, about 20 of them; no connection).
	echo "== wait_overhead_ms: rota submit --wait of bench-true on one real worker" >&2
	start_coordinator wait "$RB"
	"$BIN/rota-worker" --coordinator "$WEP" --id w1 --spool "$W/spool-wait" \
		>"$W/worker-wait.log" 2>&1 &
	WPID=$!
	PIDS+=("$WPID")
	for _ in $(seq 100); do
		[ "$(ROTA_COORDINATOR=$API "$BIN/rota" workers 2>/dev/null | grep -c ' connected ')" -ge 1 ] && break
		sleep 0.1
	done
	# now_us: the wall clock in microseconds, without a process.
	now_us() { local t=${EPOCHREALTIME/[.,]/}; echo "$t"; }
	: >"$W/wait.ms"
	: >"$W/status.ms"
	: >"$W/start.ms"
	: >"$W/exec.ms"
	for _ in $(seq 30); do
		t0=$(now_us)
		ROTA_COORDINATOR=$API "$BIN/rota" submit bench-true --target w1 --wait >"$W/wait.out" ||
			die "submit --wait failed: $(cat "$W/wait.out")"
		t1=$(now_us)
		run=$(head -n 1 "$W/wait.out")
		step=$(sqlite3 "$DB" "SELECT ended_ms - started_ms FROM step_runs WHERE run_id = '$run'")
		awk -v d=$((t1 - t0)) -v s="$step" 'BEGIN {printf "%.1f\n", d / 1000 - s}' >>"$W/wait.ms"
		# The floor any rota command has on this machine: one read.
		t0=$(now_us)
		ROTA_COORDINATOR=$API "$BIN/rota" status >/dev/null || die "rota status failed"
		t1=$(now_us)
		echo $((t1 - t0)) >>"$W/status.ms"
		t0=$(now_us)
		"$BIN/rota" --version >/dev/null
		t1=$(now_us)
		echo $((t1 - t0)) >>"$W/start.ms"
		t0=$(now_us)
		/bin/true
		t1=$(now_us)
		echo $((t1 - t0)) >>"$W/exec.ms"
	done
	p50_ms() { sort -n "$1" | awk -v k="$2" '{v[NR] = $1} END {printf "%.1f", v[int((NR + 1) / 2)] / k}'; }
	figure wait_overhead_ms "$(p50_ms "$W/wait.ms" 1)" ms
	figure wait_cli_floor_ms "$(p50_ms "$W/status.ms" 1000)" ms
	figure wait_cli_start_ms "$(p50_ms "$W/start.ms" 1000)" ms
	figure wait_exec_floor_ms "$(p50_ms "$W/exec.ms" 1000)" ms
	stop_pid "$WPID"
	stop_pid "$CPID"
fi

if want three; then
	# bench_three_steps_20_hosts_p50/_p99: `rota submit --wait` of bench-three
	# (true, df -P /, echo ok) on 20 real rota-workers on loopback, each
	# with its own spool; the command's whole time, from its start to its
	# exit, over 20 submits after 2 warm-up ones. Also the CPU the
	# coordinator and the 20 workers spent per run (steadier than the
	# times on a shared machine; the workers' with their steps' processes).
	echo "== three steps on 20 real workers: rota submit --wait, 20 runs" >&2
	start_coordinator three "$RB"
	TW=()
	for k in $(seq 20); do
		"$BIN/rota-worker" --coordinator "$WEP" --id "t$k" --label bench=three \
			--spool "$W/spool-t$k" >"$W/worker-t$k.log" 2>&1 &
		TW+=($!)
		PIDS+=($!)
	done
	for _ in $(seq 300); do
		[ "$(ROTA_COORDINATOR=$API "$BIN/rota" workers 2>/dev/null | grep -c ' connected ')" -ge 20 ] && break
		sleep 0.1
	done
	[ "$(ROTA_COORDINATOR=$API "$BIN/rota" workers 2>/dev/null | grep -c ' connected ')" -ge 20 ] ||
		die "the 20 workers did not connect"
	: >"$W/three.ms"
	for i in $(seq 22); do
		if [ "$i" = 3 ]; then
			c0=$(cpu_ticks "$CPID")
			w0=$(for pid in "${TW[@]}"; do awk '{print $14 + $15 + $16 + $17}' "/proc/$pid/stat"; done | awk '{n += $1} END {print n}')
		fi
		t0=$(date +%s%N)
		ROTA_COORDINATOR=$API "$BIN/rota" submit bench-three --target bench=three --wait \
			>"$W/three.out" 2>&1 || die "submit --wait of bench-three failed: $(cat "$W/three.out")"
		t1=$(date +%s%N)
		[ "$i" -le 2 ] || echo $(((t1 - t0) / 1000000)) >>"$W/three.ms"
	done
	c1=$(cpu_ticks "$CPID")
	w1=$(for pid in "${TW[@]}"; do awk '{print $14 + $15 + $16 + $17}' "/proc/$pid/stat"; done | awk '{n += $1} END {print n}')
	hosts=$(sqlite3 "$DB" "SELECT COUNT(DISTINCT host) FROM step_runs WHERE run_id = '$(head -n 1 "$W/three.out")'")
	[ "$hosts" = 20 ] || die "the last bench-three run had $hosts hosts, not 20"
	figure bench_three_steps_20_hosts_p50 "$(sort -n "$W/three.ms" | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}')" ms
	figure bench_three_steps_20_hosts_p99 "$(sort -n "$W/three.ms" | awk '{v[NR] = $1} END {i = int(NR * 0.99 + 0.999); print v[i]}')" ms
	figure bench_three_coordinator_cpu_ms "$(awk -v d=$((c1 - c0)) -v hz="$CLK_TCK" 'BEGIN {printf "%.1f", d * 1000 / hz / 20}')" ms
	figure bench_three_workers_cpu_ms "$(awk -v d=$((w1 - w0)) -v hz="$CLK_TCK" 'BEGIN {printf "%.1f", d * 1000 / hz / 20}')" ms
	for pid in "${TW[@]}"; do stop_pid "$pid"; done
	stop_pid "$CPID"
fi

# p50 in ms of N GETs of URL (curl's whole time: connect, answer, read).
http_p50() {
	local n=$1 url=$2
	for _ in $(seq "$n"); do
		curl -s -o /dev/null -w '%{time_total}\n' "$url" || die "GET $url failed"
	done | sort -n | awk '{v[NR] = $1 * 1000} END {printf "%.1f", v[int((NR + 1) / 2)]}'
}

if want console; then
	# console_runs_page_ms: the runs page's JSON (GET /v1/runs, its first
	# page and a deep before= page) with CONSOLE_RUNS runs in the store,
	# each with a step on a host; p50 of 50 each. The store is seeded by
	# SQL into a stopped coordinator's file (a run a second for 100,000
	# seconds), not by running the runs.
	echo "== console_runs_page_ms: GET /v1/runs with $CONSOLE_RUNS runs in the store" >&2
	start_coordinator console "$RB"
	stop_pid "$CPID"
	sqlite3 "$DB" <<SQL || die "seeding $CONSOLE_RUNS runs failed"
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $CONSOLE_RUNS)
INSERT INTO runs (id, runbook, status, created_ms, started_ms, ended_ms, trigger, hosts_ok,
                  hosts_failed)
SELECT printf('20260101-%06d-%06x', i, i), CASE i % 3 WHEN 0 THEN 'bench-true' ELSE 'other' END,
       CASE WHEN i % 10 = 0 THEN 4 ELSE 3 END, 1767225600000 + i * 1000,
       1767225600000 + i * 1000, 1767225600000 + i * 1000 + 40, 'manual', 1, 0 FROM n;
INSERT INTO step_runs (run_id, step_id, host, attempt, position, status, started_ms, ended_ms)
SELECT id, 'ok', 'w' || (created_ms / 1000 % 20), 1, 0, 4, started_ms, ended_ms FROM runs;
COMMIT;
SQL
	data=$W/console
	"$BIN/rota-coordinator" --data-dir "$data" --runbooks "$RB" \
		--worker-endpoint "tcp://127.0.0.1:*" --api-endpoint "tcp://127.0.0.1:*" \
		--http 127.0.0.1:0 >"$W/coordinator-console2.log" 2>&1 &
	CPID=$!
	PIDS+=("$CPID")
	rm -f "$data/endpoints"
	for _ in $(seq 600); do
		[ -f "$data/endpoints" ] && break
		kill -0 "$CPID" 2>/dev/null || die "coordinator console exited at start"
		sleep 0.05
	done
	HTTP=$(sed -n 's/^http=//p' "$data/endpoints")
	[ -n "$HTTP" ] || die "the coordinator wrote no http endpoint"
	n=$(curl -s "http://$HTTP/v1/runs?limit=1" | jq -r '.runs | length')
	[ "$n" = 1 ] || die "GET /v1/runs answered no run"
	deep=$(printf '20260101-%06d-%06x' 1000 1000)
	figure console_runs_page_ms "$(http_p50 50 "http://$HTTP/v1/runs")" ms
	figure console_runs_deep_page_ms "$(http_p50 50 "http://$HTTP/v1/runs?before=$deep")" ms
	figure console_runs_filtered_page_ms \
		"$(http_p50 50 "http://$HTTP/v1/runs?runbook=bench-true&status=failed&before=$deep")" ms
	stop_pid "$CPID"
fi

if want sse; then
	# sse_100_followers: the throughput scenario's rate (results/s over
	# BENCH_SECONDS) alone, beside a run on a real worker that writes
	# about 10 MB, then beside another such run that 100 SSE clients
	# follow; the figure is the rate the followers cost, in %. The clients are one rota-ssefollow process (one poll
	# loop, plain sockets): a client whose stream ends (the request
	# deadline, or a resync after falling behind the ring) comes back with
	# Last-Event-ID, as a browser does.
	echo "== sse_100_followers: throughput with and without 100 SSE followers of a 10 MB run" >&2
	# --output-limit: the run's whole 10 MB is kept and streamed (the
	# default keeps the first 1 MiB of a step).
	start_coordinator sse "$RB" --http 127.0.0.1:0 --output-limit 16777216
	HTTP=$(sed -n 's/^http=//p' "$W/sse/endpoints")
	[ -n "$HTTP" ] || die "the coordinator wrote no http endpoint"
	start_fleet 1000
	"$BIN/rota-worker" --coordinator "$WEP" --id w1 --spool "$W/spool-sse" \
		>"$W/worker-sse.log" 2>&1 &
	WPID=$!
	PIDS+=("$WPID")
	ended() { sqlite3 "$DB" "SELECT COUNT(*) FROM runs WHERE status IN (3, 4)"; }
	# sse_run_end RUN: waits (bounded) until RUN has ended, and says so
	# when it did not succeed (its figures would be of a shorter run).
	sse_run_end() {
		local st
		for _ in $(seq 3000); do
			st=$(sqlite3 "$DB" "SELECT status FROM runs WHERE id = '$1'")
			if [ "${st:-0}" -ge 3 ]; then
				[ "$st" = 3 ] || die "run $1 (bench-10mb) ended with status $st, not succeeded"
				return 0
			fi
			sleep 0.1
		done
		die "run $1 (bench-10mb) did not end in 300 s"
	}
	# sse_follow N RUN: N followers of RUN in the background (SSE_PID);
	# sse_follow_end stops them and reads their counts into SSE_COUNTS:
	# bytes events resyncs streams cpu_s.
	sse_follow() {
		rm -f "$W/sse.stop"
		"$BIN/rota-ssefollow" "$HTTP" "$2" "$1" "$W/sse.stop" 300 >"$W/sse.out" \
			2>"$W/ssefollow.log" &
		SSE_PID=$!
		PIDS+=("$SSE_PID")
	}
	sse_follow_end() {
		touch "$W/sse.stop"
		wait "$SSE_PID" 2>/dev/null || true
		read -r -a SSE_COUNTS <"$W/sse.out" || die "rota-ssefollow printed nothing"
	}
	cpu_s() { awk -v t="$1" -v h="$CLK_TCK" 'BEGIN {printf "%.2f", t / h}'; }
	per_k() { awk -v t="$1" -v h="$CLK_TCK" -v n="$2" 'BEGIN {printf "%.1f", (n > 0 ? 1e6 * t / h / n : 0)}'; }

	# The stream alone, one window of BENCH_SECONDS; then the two windows
	# the figure compares, each as long as the 10 MB run writes
	# (SSE_WINDOW): beside such a run without a follower (what the run
	# itself costs the stream), and beside another with its 100
	# followers. They are taken SSE_PAIRS times, alternating A B B A A B,
	# and summed: one after the other, a VM's drift between two windows
	# was larger than the followers' cost (docs/benchmarks.md, "Idle
	# figures at the default window"), and a window longer than the run
	# measured mostly the stream without it.
	cpu0=$(cpu_ticks "$CPID")
	n0=$(ended)
	read -r rate0 _ < <("$BIN/rota-bench" stream "$API" "$DB" bench-noop sim- 1000 3 \
		"$SECONDS_THROUGHPUT" 1000) || die "throughput stream (alone) failed"
	cpu1=$(cpu_ticks "$CPID")
	n1=$(ended)
	# sse_window FOLLOWERS: one window beside a new 10 MB run (followed by
	# FOLLOWERS SSE clients, none when 0); adds its rate, CPU and runs
	# ended to the totals of its kind.
	sum_rate=(0 0) sum_cpu=(0 0) sum_runs=(0 0) sse_bytes=0 sse_resyncs=0 sse_streams=0 sse_client=0
	sse_window() {
		local k=$(($1 > 0 ? 1 : 0)) c0 e0 rate run
		run=$(ROTA_COORDINATOR=$API "$BIN/rota" submit bench-10mb --target w1 | head -n 1) ||
			die "submit bench-10mb failed"
		if [ "$1" -gt 0 ]; then
			sse_follow "$1" "$run"
		fi
		c0=$(cpu_ticks "$CPID")
		e0=$(ended)
		read -r rate _ < <("$BIN/rota-bench" stream "$API" "$DB" bench-noop sim- 1000 3 \
			"$SSE_WINDOW" 1000) || die "throughput stream (beside a 10 MB run, $1 followers) failed"
		sse_run_end "$run"
		sum_cpu[k]=$((sum_cpu[k] + $(cpu_ticks "$CPID") - c0))
		sum_runs[k]=$((sum_runs[k] + $(ended) - e0))
		sum_rate[k]=$((sum_rate[k] + rate))
		if [ "$1" -gt 0 ]; then
			sleep 2 # the followers catch up with the run's last events
			sse_follow_end
			sse_bytes=$((sse_bytes + SSE_COUNTS[0]))
			sse_resyncs=$((sse_resyncs + SSE_COUNTS[2]))
			sse_streams=$((sse_streams + SSE_COUNTS[3]))
			sse_client=$(awk -v a="$sse_client" -v b="${SSE_COUNTS[4]}" 'BEGIN {print a + b}')
		fi
		echo "  window beside a 10 MB run, $1 followers: $rate results/s" >&2
	}
	for p in $(seq "$SSE_PAIRS"); do
		if [ $((p % 2)) -eq 1 ]; then
			sse_window 0
			sse_window 100
		else
			sse_window 100
			sse_window 0
		fi
	done
	rate_run=$((sum_rate[0] / SSE_PAIRS))
	rate1=$((sum_rate[1] / SSE_PAIRS))
	lost() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", (a > 0 ? 100 * (a - b) / a : 0)}'; }
	figure throughput_alone "$rate0" results/s
	figure throughput_beside_10mb_run "$rate_run" results/s
	figure throughput_with_100_sse "$rate1" results/s
	# The followers' cost: the streams beside the 10 MB runs with their
	# 100 followers against the same streams beside such runs without
	# them (the run itself, its worker's shell pipeline and its
	# recording, is not the followers'; docs/decisions.md, "What
	# sse_100_followers measures"). Then the stream's loss to the run
	# and its followers together.
	figure sse_100_followers "$(lost "$rate_run" "$rate1")" "%"
	figure sse_100_followers_and_run "$(lost "$rate0" "$rate1")" "%"
	figure sse_100_followers_mib "$(awk -v n="$sse_bytes" -v p="$SSE_PAIRS" 'BEGIN {printf "%.0f", n / p / 1048576}')" MiB
	figure sse_100_followers_rss "$(rss_mib "$CPID")" MiB
	# Streams cut because their follower fell behind the ring (each comes
	# back and catches up from the store), and streams opened in all (a
	# window's, on average).
	figure sse_100_followers_resyncs "$((sse_resyncs / SSE_PAIRS))" streams
	figure sse_100_followers_streams "$((sse_streams / SSE_PAIRS))" streams
	# What the 100 followers cost the cores themselves (one process, a window).
	figure sse_100_followers_client_cpu_s "$(awk -v a="$sse_client" -v p="$SSE_PAIRS" 'BEGIN {printf "%.2f", a / p}')" s
	# The coordinator's CPU (user + system) over each kind of window
	# (until its 10 MB run ended; a window's, on average), and per 1000
	# runs ended in them: steadier than the rates on a shared machine.
	figure throughput_alone_cpu_s "$(cpu_s $((cpu1 - cpu0)))" s
	figure throughput_beside_10mb_run_cpu_s "$(cpu_s $((sum_cpu[0] / SSE_PAIRS)))" s
	figure throughput_with_100_sse_cpu_s "$(cpu_s $((sum_cpu[1] / SSE_PAIRS)))" s
	figure throughput_alone_cpu_ms_per_1000 "$(per_k $((cpu1 - cpu0)) $((n1 - n0)))" ms
	figure throughput_beside_10mb_run_cpu_ms_per_1000 "$(per_k "${sum_cpu[0]}" "${sum_runs[0]}")" ms
	figure throughput_with_100_sse_cpu_ms_per_1000 "$(per_k "${sum_cpu[1]}" "${sum_runs[1]}")" ms
	# The cost of serving the followers alone, without the throughput
	# stream beside it: the coordinator's CPU over the 10 MB run with no
	# follower, then over the same run followed by 100 (each until the run
	# ended and 2 s more; the idle fleet stays connected through both).
	cpu3=$(cpu_ticks "$CPID")
	run=$(ROTA_COORDINATOR=$API "$BIN/rota" submit bench-10mb --target w1 | head -n 1) ||
		die "submit bench-10mb failed"
	sse_run_end "$run"
	sleep 2
	cpu4=$(cpu_ticks "$CPID")
	run=$(ROTA_COORDINATOR=$API "$BIN/rota" submit bench-10mb --target w1 | head -n 1) ||
		die "submit bench-10mb failed"
	sse_follow 100 "$run"
	sse_run_end "$run"
	sleep 2
	sse_follow_end
	cpu5=$(cpu_ticks "$CPID")
	figure sse_10mb_run_cpu_s "$(cpu_s $((cpu4 - cpu3)))" s
	figure sse_10mb_run_100_followers_cpu_s "$(cpu_s $((cpu5 - cpu4)))" s
	figure sse_10mb_run_100_followers_mib "$(awk -v n="${SSE_COUNTS[0]}" 'BEGIN {printf "%.0f", n / 1048576}')" MiB
	figure sse_10mb_run_100_followers_resyncs "${SSE_COUNTS[2]}" streams
	stop_pid "$WPID"
	stop_fleet
	stop_pid "$CPID"
fi

if want sched; then
	echo "== 100000 schedules" >&2
	# The runbook directory must not be the data directory start_coordinator
	# makes afresh ($W/NAME): the first round's figure (1 to 5 s) was of a
	# coordinator that had deleted its runbooks and loaded none.
	mkdir -p "$W/sched-runbooks"
	"$BIN/rota-bench" schedules "$W/sched-runbooks" 100000 || die "cannot write the schedules"
	start=$(date +%s%N)
	start_coordinator sched "$W/sched-runbooks"
	figure sched_100000_start "$(awk -v ns=$(($(date +%s%N) - start)) 'BEGIN {printf "%.2f", ns / 1e9}')" s
	# Its CPU (user + system) up to the first answer: less sensitive than
	# the wall time to the load of a shared machine.
	figure sched_100000_start_cpu "$(awk -v d="$(cpu_ticks "$CPID")" -v hz="$CLK_TCK" \
		'BEGIN {printf "%.2f", d / hz}')" s
	grep -q "loaded 100000 runbook(s)" "$W/coordinator-sched.log" ||
		die "the coordinator did not load the 100000 schedules"
	sleep 2
	t0=$(cpu_ticks "$CPID")
	sleep 10
	t1=$(cpu_ticks "$CPID")
	# COORDINATOR_TICK_MS = 100: 100 ticks in 10 s. The whole process's
	# CPU is counted, so this is an upper bound of the scheduler's share.
	figure sched_tick_cpu "$(awk -v d=$((t1 - t0)) -v hz="$CLK_TCK" \
		'BEGIN {printf "%.0f", d / hz * 1e6 / 100}')" us
	stop_pid "$CPID"
	rm -rf "$W/sched-runbooks"
	echo "== no schedules (the same tick with nothing loaded)" >&2
	mkdir -p "$W/empty"
	start_coordinator sched0 "$W/empty"
	sleep 2
	t0=$(cpu_ticks "$CPID")
	sleep 10
	t1=$(cpu_ticks "$CPID")
	figure sched_tick_cpu_0 "$(awk -v d=$((t1 - t0)) -v hz="$CLK_TCK" \
		'BEGIN {printf "%.0f", d / hz * 1e6 / 100}')" us
	stop_pid "$CPID"
fi

if want sqlite; then
	echo "== plain SQLite inserts on the same disk (the store's ceiling)" >&2
	figure sqlite_ceiling "$("$BIN/rota-sqlite-ceiling" "$W" 5 1000)" rows/s
fi

if want search; then
	echo "== search: rota search for a rare word over ${SEARCH_MB} MiB of stored output" >&2
	size=${SEARCH_MB}mb
	[ "$SEARCH_MB" = 1024 ] && size=1gb
	mkdir -p "$W/search"
	read -r fill p50 p99 hits turn_ms index_ms < <("$BIN/rota-search-bench" "$W/search/rota.db" \
		"$SEARCH_MB" 50 2>"$W/search.log") || die "search failed"
	echo "  (filled in $fill s, store $(du -m "$W/search/rota.db" | cut -f1) MiB; p99 $p99 ms; $hits hits)" >&2
	figure "search_${size}_ms" "$p50" ms
	figure "search_${size}_fill_s" "$fill" s
	# A 16 KiB chunk: its cost in the turn that stores it, and indexing
	# it afterwards (the indexer's slices, outside the turn).
	figure search_store_chunk_ms "$turn_ms" ms
	figure search_index_chunk_ms "$index_ms" ms
	rm -rf "$W/search"
fi

if want pg; then
	if [ ! -x /usr/lib/postgresql/15/bin/postgres ] && ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
		echo "== pg: skipped, PostgreSQL's server is not installed (deploy/install-deps.sh)" >&2
	else
		echo "== throughput_pg: the throughput scenario with the store on a private PostgreSQL, ${SECONDS_THROUGHPUT} s" >&2
		PG_STATE=$W/pg/cluster.env
		mkdir -p "$W/pg"
		# initdb once per build directory, as the suite's cluster does.
		# pg_stat_statements: the statements a run costs, a count that
		# does not move with the machine's load as the rate does.
		PGCLUSTER_CONF="shared_preload_libraries = 'pg_stat_statements'" \
			ROTA_PG_TEMPLATE=${ROTA_PG_TEMPLATE:-$BIN/../pg/template} \
			bash "$PGCLUSTER" --state "$PG_STATE" start >"$W/pg-start.log" 2>&1 ||
			die "could not start PostgreSQL: $(tail -n 5 "$W/pg-start.log")"
		# shellcheck disable=SC1090
		. "$PG_STATE"
		bash "$PGCLUSTER" --state "$PG_STATE" newdb bench >/dev/null || die "newdb bench"
		bash "$PGCLUSTER" --state "$PG_STATE" newdb ceiling >/dev/null || die "newdb ceiling"
		# Over the cluster's unix socket, the way a coordinator on the
		# database's host would connect (loopback TCP: PG_BASE_URL).
		pg_url() { echo "postgresql:///$1?host=$PG_SOCKET&port=$PG_PORT&user=rota"; }
		pg_super() { psql -X -q -At -v ON_ERROR_STOP=1 -h "$PG_SOCKET" -p "$PG_PORT" -U postgres -d bench -c "$1"; }
		pg_super "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null || die "pg_stat_statements"
		start_coordinator throughput_pg "$RB" --store "$(pg_url bench)"
		start_fleet "$PG_FLEET"
		# The server's processes: the postmaster and its children (the
		# coordinator's backend, the WAL writer, the checkpointer...).
		pg_pids() {
			local pm
			pm=$(head -n 1 "$PG_SOCKET/data/postmaster.pid")
			echo "$pm" $(ps -o pid= --ppid "$pm")
		}
		cpu0=$(cpu_ticks "$CPID")
		pgpids=$(pg_pids)
		# Counted from here: the stream alone, not the start or the fleet's
		# Hellos. The reader's own COUNT(*) is left out of the statements.
		runs0=$(pg_super "SELECT pg_stat_statements_reset(); SELECT pg_stat_reset(); SELECT COUNT(*) FROM runs WHERE status IN (3, 4)" | tail -n 1)
		# shellcheck disable=SC2086 # the pids, split on purpose
		pgcpu0=$(sum_ticks $pgpids)
		# The postmaster's children that ended since (autovacuum workers,
		# short sessions such as pg_super's): not in the sum above, which
		# is of the processes there at the start.
		reaped() { awk '{print $16 + $17}' "/proc/${pgpids%% *}/stat"; }
		reaped0=$(reaped)
		fleetcpu0=$(sum_ticks "${FLEET[@]}")
		read -r rate submits < <(/usr/bin/time -f '%U %S' -o "$W/bench-pg.time" \
			"$BIN/rota-bench" stream "$API" "$DB" bench-noop sim- "$PG_FLEET" 3 \
			"$SECONDS_THROUGHPUT" "$PG_FLEET") || die "throughput_pg stream failed"
		# The runs still going when the stream stopped are let end (60 s
		# at most), so the CPU and the statements below are those of
		# whole runs: counted over the window alone, a loaded machine
		# that ended fewer of the runs it had started showed more of
		# everything a run.
		for _ in $(seq 600); do
			[ "$(pg_super "SELECT COUNT(*) FROM runs WHERE status NOT IN (3, 4)")" = 0 ] && break
			sleep 0.1
		done
		cpu1=$(cpu_ticks "$CPID")
		# shellcheck disable=SC2086
		pgcpu1=$(sum_ticks $pgpids)
		reaped1=$(reaped)
		fleetcpu1=$(sum_ticks "${FLEET[@]}")
		benchcpu=$(awk '{printf "%.0f", ($1 + $2) * '"$CLK_TCK"'}' "$W/bench-pg.time")
		figure throughput_pg "$rate" results/s
		figure throughput_pg_submits "$submits" submits/s
		bench_stmts="query NOT LIKE '%COUNT(*) FROM runs%' AND query NOT LIKE '%pg_stat%'"
		runs=$(($(pg_super "SELECT COUNT(*) FROM runs WHERE status IN (3, 4)") - runs0))
		if [ "$runs" -gt 0 ]; then
			figure throughput_pg_statements_per_run "$(pg_super "SELECT round(SUM(calls)::numeric / $runs, 1) FROM pg_stat_statements WHERE $bench_stmts")" statements
			figure throughput_pg_commits_per_run "$(pg_super "SELECT round(xact_commit::numeric / $runs, 2) FROM pg_stat_database WHERE datname = 'bench'")" commits
			# CPU a run, by process, over the stream (ticks of 1/CLK_TCK s):
			# where the 2 cores go, whatever the load.
			per_run() { awk -v t="$1" -v h="$CLK_TCK" -v r="$runs" 'BEGIN {printf "%.0f", t * 1e6 / h / r}'; }
			# Rows read by sequential scans of the two tables a run: a
			# count, whatever the load (a plan that scans the whole table
			# for a turn's updates shows here).
			figure throughput_pg_seq_rows_per_run "$(pg_super "SELECT round(COALESCE(SUM(seq_tup_read), 0)::numeric / $runs, 1) FROM pg_stat_user_tables WHERE relname IN ('runs', 'step_runs')")" rows
			# Updates that wrote no index entry (HOT) of all updates, and
			# index entries a run (each table's updates not HOT, times its
			# indexes, plus its inserts, times its indexes): a count.
			figure throughput_pg_hot_update_pct "$(pg_super "SELECT round(100.0 * SUM(n_tup_hot_upd) / GREATEST(SUM(n_tup_upd), 1), 1) FROM pg_stat_user_tables WHERE relname IN ('runs', 'step_runs')")" "%"
			figure throughput_pg_index_entries_per_run "$(pg_super "SELECT round(SUM((n_tup_ins + n_tup_upd - n_tup_hot_upd) * (SELECT COUNT(*) FROM pg_index i WHERE i.indrelid = t.relid))::numeric / $runs, 1) FROM pg_stat_user_tables t")" entries
			echo "  rows a run by table (inserted, updated, of them HOT; indexes):" >&2
			pg_super "SELECT relname || ' ' || round(n_tup_ins::numeric / $runs, 2) || ' ' || round(n_tup_upd::numeric / $runs, 2) || ' ' || round(n_tup_hot_upd::numeric / $runs, 2) || '; ' || (SELECT COUNT(*) FROM pg_index i WHERE i.indrelid = t.relid) FROM pg_stat_user_tables t WHERE n_tup_ins + n_tup_upd > 0 ORDER BY n_tup_ins + n_tup_upd DESC" | sed 's/^/    /' >&2
			figure throughput_pg_coordinator_cpu_us_per_stream_run "$(per_run $((cpu1 - cpu0)))" us
			figure throughput_pg_server_cpu_us_per_run "$(per_run $((pgcpu1 - pgcpu0)))" us
			figure throughput_pg_server_reaped_cpu_us_per_run "$(per_run $((reaped1 - reaped0)))" us
			figure throughput_pg_fleet_cpu_us_per_run "$(per_run $((fleetcpu1 - fleetcpu0)))" us
			figure throughput_pg_client_cpu_us_per_run "$(per_run "$benchcpu")" us
			# The server's time in each (its wall time, so the machine's
			# load is in it: a share, not a cost).
			echo "  the statements of one run (calls / runs ended, $runs runs; the server's us a run in each):" >&2
			pg_super "SELECT round(calls::numeric / $runs, 2) || '  ' || lpad(round(total_exec_time::numeric * 1000 / $runs)::text, 4) || ' us  ' || left(regexp_replace(query, '\s+', ' ', 'g'), 100) FROM pg_stat_statements WHERE $bench_stmts ORDER BY calls DESC LIMIT 25" | sed 's/^/    /' >&2
		fi
		ended=$(pg_super "SELECT COUNT(*) FROM runs WHERE status IN (3, 4)")
		stop_fleet
		stop_pid "$CPID"
		turn_figures throughput_pg "$W/coordinator-throughput_pg.log" "$((cpu1 - cpu0))" "$ended"
		# The store's own count, over the coordinator's life (db_pg.c).
		grep -o 'store: postgresql: .*round trips' "$W/coordinator-throughput_pg.log" | sed 's/^/  /' >&2 || true
		# Round trips a run: each statement waited for is one, each read
		# of the pipeline another (the store's whole life, both connections).
		trips=$(sed -n 's/.*store: postgresql: \([0-9]*\) statements waited for, [0-9]* sent and left, read in \([0-9]*\) round trips.*/\1 \2/p' \
			"$W/coordinator-throughput_pg.log" | awk '{t += $1 + $2} END {print t + 0}')
		[ "$ended" -gt 0 ] && figure throughput_pg_round_trips_per_run \
			"$(awk -v t="$trips" -v r="$ended" 'BEGIN {printf "%.3f", t / r}')" trips
		echo "== plain libpq inserts on the same server (the ceiling), 5 s each" >&2
		figure pg_ceiling "$("$BIN/rota-pg-ceiling" "$(pg_url ceiling)" 5 1000)" rows/s
		figure pg_ceiling_pipeline "$("$BIN/rota-pg-ceiling" "$(pg_url ceiling)" 5 1000 pipeline)" rows/s
		bash "$PGCLUSTER" --state "$PG_STATE" stop >/dev/null 2>&1 || true
		PG_STATE=
	fi
fi

if want ha; then
	if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 && ! command -v postgres >/dev/null; then
		echo "== ha: skipped, PostgreSQL's server is not installed (deploy/install-deps.sh)" >&2
	else
		echo "== ha: leader failover on a private PostgreSQL (tests/bench/ha.sh)" >&2
		bash "$ROOT/tests/bench/ha.sh" "$BIN" "$W" >"$W/ha.figures" || die "ha failed"
		while read -r name value unit; do figure "$name" "$value" "$unit"; done <"$W/ha.figures"
	fi
fi

if want hafleet; then
	if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 && ! command -v postgres >/dev/null; then
		echo "== hafleet: skipped, PostgreSQL's server is not installed (deploy/install-deps.sh)" >&2
	else
		echo "== hafleet: a leader and a follower under ${BENCH_HAFLEET_WORKERS:-1000} simulated workers (tests/bench/hafleet.sh)" >&2
		bash "$ROOT/tests/bench/hafleet.sh" "$BIN" "$W" >"$W/hafleet.figures" || die "hafleet failed"
		while read -r name value unit; do figure "$name" "$value" "$unit"; done <"$W/hafleet.figures"
	fi
fi

if want retention; then
	rows=${BENCH_PRUNE_ROWS:-100000}
	echo "== retention: a pass over $rows step runs, batch by batch (rota-prune-bench)" >&2
	mkdir -p "$W/prune"
	"$BIN/rota-prune-bench" "$W/prune" "$rows" >"$W/prune.figures" 2>"$W/prune.log" ||
		die "rota-prune-bench failed"
	grep -v ' INFO ' "$W/prune.log" >&2 || true
	while read -r name value unit; do figure "$name" "$value" "$unit"; done <"$W/prune.figures"
	rm -rf "$W/prune"

	echo "== output_compression_ratio: shipped runbooks run on a real worker" >&2
	start_coordinator retention "$ROOT/runbooks"
	"$BIN/rota-worker" --coordinator "$WEP" --id w1 --spool "$W/spool-r1" \
		>"$W/worker-r1.log" 2>&1 &
	WPID=$!
	PIDS+=("$WPID")
	for _ in $(seq 100); do
		[ "$(ROTA_COORDINATOR=$API "$BIN/rota" workers 2>/dev/null | grep -c ' connected ')" -ge 1 ] && break
		sleep 0.1
	done
	# The diagnostic runbooks (they read the host; the performance review's
	# disk test is cut to 16 MB and its reports go to the bench's directory;
	# the security scan scans the runbook directory).
	for args in "daily-health-check -p cpu_sample_seconds=1" \
		"weekly-performance-review -p disk_mb=16 -p scratch_dir=$W -p report_dir=$W/reports" \
		"weekly-security-scan -p scan_dir=$ROOT/runbooks -p report_dir=$W/reports"; do
		# shellcheck disable=SC2086 # the runbook and its params, split on purpose
		ROTA_COORDINATOR=$API timeout 300 "$BIN/rota" submit $args --target w1 --wait \
			>>"$W/retention-runs.log" 2>&1 || true
	done
	# The two that wait for an approval before restarting anything: their
	# diagnostics, then cancelled at the approval.
	for args in "high-memory" "high-cpu -p sample_seconds=2"; do
		# shellcheck disable=SC2086 # the runbook and its params, split on purpose
		run=$(ROTA_COORDINATOR=$API "$BIN/rota" submit $args --target w1 2>>"$W/retention-runs.log") ||
			continue
		for _ in $(seq 1200); do
			ROTA_COORDINATOR=$API "$BIN/rota" show "$run" 2>/dev/null | grep -q ' waiting' && break
			sleep 0.1
		done
		ROTA_COORDINATOR=$API "$BIN/rota" cancel "$run" >>"$W/retention-runs.log" 2>&1 || true
	done
	# As sent (step_runs.output_bytes) against as stored.
	read -r raw stored < <(sqlite3 -separator ' ' "$DB" \
		"SELECT (SELECT SUM(output_bytes) FROM step_runs), (SELECT SUM(LENGTH(data)) FROM outputs)")
	[ -n "$stored" ] && [ "$stored" -gt 0 ] || die "no output stored by the shipped runbooks"
	echo "   $raw bytes of output stored in $stored" >&2
	figure output_compression_ratio "$(awk -v r="$raw" -v s="$stored" 'BEGIN {printf "%.2f", r / s}')" x
	stop_pid "$WPID"
	stop_pid "$CPID"
fi

if want pruneload; then
	rows=${BENCH_PRUNE_LOAD_ROWS:-300000}
	echo "== dispatch during retention: fan-out to 100 workers on a store of $rows old step runs" >&2
	start_coordinator pruneload "$RB"
	stop_pid "$CPID"
	"$BIN/rota-prune-bench" "$W/pruneload" "$rows" fill 2>"$W/pruneload-fill.log" ||
		die "rota-prune-bench fill failed"
	"$BIN/rota-coordinator" --data-dir "$W/pruneload" --runbooks "$RB" --http off \
		--worker-endpoint "tcp://127.0.0.1:*" --api-endpoint "tcp://127.0.0.1:*" \
		>>"$W/coordinator-pruneload.log" 2>&1 &
	CPID=$!
	PIDS+=("$CPID")
	for _ in $(seq 600); do
		WEP=$(sed -n 's/^worker=//p' "$W/pruneload/endpoints" 2>/dev/null)
		API=$(sed -n 's/^api=//p' "$W/pruneload/endpoints" 2>/dev/null)
		[ -n "$API" ] && "$BIN/rota-bench" ready "$API" 1000 >/dev/null 2>&1 && break
		sleep 0.1
	done
	DB=$W/pruneload/rota.db
	start_fleet 100
	read -r p50a p99a < <("$BIN/rota-bench" once "$API" "$DB" bench-fanout 20) ||
		die "fan-out without pruning failed"
	ROTA_CONFIG=/dev/null "$BIN/rota" --coordinator "$API" prune >"$W/pruneload-prune.log" 2>&1 &
	PPID_PRUNE=$!
	PIDS+=("$PPID_PRUNE")
	for _ in $(seq 100); do
		ROTA_CONFIG=/dev/null "$BIN/rota" --coordinator "$API" status --json 2>/dev/null |
			grep -q '"prune_running":true' && break
		sleep 0.05
	done
	read -r p50b p99b < <("$BIN/rota-bench" once "$API" "$DB" bench-fanout 20) ||
		die "fan-out during pruning failed"
	ROTA_CONFIG=/dev/null "$BIN/rota" --coordinator "$API" status --json 2>/dev/null |
		grep -q '"prune_running":true' ||
		echo "  (the pass ended before the measurement did: raise BENCH_PRUNE_LOAD_ROWS)" >&2
	wait "$PPID_PRUNE" 2>/dev/null || true
	# The pass's own account of its slices (pruner.c logs it when the pass
	# ends): how long each held the loop, and how many turns put one off
	# because a message was waiting.
	done_line=
	for _ in $(seq 1200); do
		done_line=$(grep -m1 'retention: pass done' "$W/coordinator-pruneload.log" || true)
		[ -n "$done_line" ] && break
		sleep 0.5
	done
	[ -n "$done_line" ] || die "the pass did not end"
	slices=$(sed -n 's/.*; \([0-9]*\) slices (p99 \([0-9.]*\) ms, max \([0-9.]*\) ms), \([0-9]*\) put off.*/\1 \2 \3 \4/p' <<<"$done_line")
	read -r n_slices slice_p99 slice_max put_off <<<"$slices"
	echo "  (without pruning p50 $p50a ms; during p50 $p50b ms; load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
	echo "  (the pass: $n_slices slices, $put_off put off while a message waited)" >&2
	figure dispatch_p99_without_prune "$p99a" ms
	figure dispatch_p99_during_prune "$p99b" ms
	figure dispatch_p99_prune_ratio "$(awk -v a="$p99a" -v b="$p99b" 'BEGIN { printf "%.2f", b / a }')" x
	figure prune_slice_p99_ms "$slice_p99" ms
	figure prune_slice_max_ms "$slice_max" ms
	figure prune_slices_put_off "$put_off" turns
	stop_fleet
	stop_pid "$CPID"
	rm -rf "$W/pruneload"
fi

if want backup; then
	echo "== backup: rota backup of a ${BACKUP_MB} MB store while the coordinator runs" >&2
	start_coordinator backup "$RB"
	stop_pid "$CPID"
	# The store's own tables, then pages of filler up to the size: the
	# online backup copies pages, whatever their rows are.
	sqlite3 "$W/backup/rota.db" "CREATE TABLE bench_filler (b BLOB);
		WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < $((BACKUP_MB * 256)))
		INSERT INTO bench_filler SELECT randomblob(3900) FROM c;" || die "cannot fill the store"
	rm -rf "$W/backup.start"
	"$BIN/rota-coordinator" --data-dir "$W/backup" --runbooks "$RB" --http off \
		--worker-endpoint "tcp://127.0.0.1:*" --api-endpoint "tcp://127.0.0.1:*" \
		>>"$W/coordinator-backup.log" 2>&1 &
	CPID=$!
	PIDS+=("$CPID")
	for _ in $(seq 600); do
		API=$(sed -n 's/^api=//p' "$W/backup/endpoints" 2>/dev/null)
		[ -n "$API" ] && "$BIN/rota-bench" ready "$API" 1000 >/dev/null 2>&1 && break
		sleep 0.1
	done
	out=$(ROTA_CONFIG=/dev/null "$BIN/rota" --coordinator "$API" backup "$W/backup.db" --json) ||
		die "rota backup failed: $out"
	num() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" <<<"$out"; }
	bytes=$(num bytes)
	took_ms=$(($(num ended_ms) - $(num started_ms)))
	echo "  ($bytes bytes in $took_ms ms, $(num slices) slices)" >&2
	figure backup_1gb_s "$(awk -v b="$bytes" -v t="$took_ms" 'BEGIN { printf "%.1f", t / 1000 * 1073741824 / b }')" s
	figure backup_max_pause_ms "$(awk -v u="$(num max_pause_us)" 'BEGIN { printf "%.2f", u / 1000 }')" ms
	figure backup_max_slice_cpu_ms "$(awk -v u="$(num max_slice_cpu_us)" 'BEGIN { printf "%.2f", u / 1000 }')" ms
	stop_pid "$CPID"
	rm -f "$W/backup.db" "$W/backup.db.sha256"
	rm -rf "$W/backup"
fi

mkdir -p "$(dirname "$JSON")"
{
	printf '{\n  "machine": {"cores": %s, "kernel": "%s", "date": "%s"},\n  "figures": {\n' \
		"$(nproc)" "$(uname -r)" "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	for i in "${!FIGURES[@]}"; do
		printf '%s%s\n' "${FIGURES[$i]}" "$([ "$i" -lt $((${#FIGURES[@]} - 1)) ] && echo ,)"
	done
	printf '  }\n}\n'
} >"$JSON"
echo "figures written to $JSON" >&2
