#!/usr/bin/env bash
# simcost.sh: what one run costs the fleet simulator (docs/benchmarks.md,
# "The fleet simulator's cost a run"), in figures that do not move with the
# machine's load: a fixed number of one-step noop runs to single hosts
# (rota-bench count) after a warm-up, measured one of three ways on the
# rota-fleetsim process (the coordinator runs as usual).
#
#   bash tests/bench/simcost.sh BIN MODE [RUNS] [WORKERS] [WINDOW]
#
# MODE callgrind: the simulator under valgrind --tool=callgrind,
#      instrumented only over the RUNS (callgrind.out.PID* in the kept
#      directory); strace: strace -c -f over the RUNS (strace.txt); cpu:
#      each of its threads' CPU over the RUNS (from /proc, in µs a run);
#      perf: perf stat's task-clock, context switches and system calls
#      (the raw_syscalls tracepoint: counted from the first run, unlike
#      strace's attach) over the RUNS, a run each.
#      Defaults: 2000 runs, 1000 workers (the throughput bench's fleet), a
#      window of 1000 submits unanswered. SIM=PATH runs another
#      rota-fleetsim binary (an A/B against another build). The
#      coordinator's heartbeat is 30 s so that no worker resends a result
#      or says hello again while valgrind slows the simulator. Prints the
#      figures and the directory kept.
set -euo pipefail

BIN=$(cd "$1" && pwd)
MODE=$2
RUNS=${3:-2000}
WORKERS=${4:-1000}
WINDOW=${5:-1000}
SIM=${SIM:-$BIN/rota-fleetsim}
W=$(mktemp -d "${TMPDIR:-/tmp}/rota-simcost.XXXXXX")
mkdir -p "$W/runbooks"
cat >"$W/runbooks/bench-noop.yaml" <<'Y'
name: bench-noop
description: one noop step; the benchmark names the host
steps:
  - id: nothing
    noop: {}
Y

"$BIN/rota-coordinator" --data-dir "$W/data" --runbooks "$W/runbooks" \
	--worker-endpoint "tcp://127.0.0.1:*" --api-endpoint "tcp://127.0.0.1:*" --http off \
	--heartbeat 30s >"$W/coordinator.log" 2>&1 &
CPID=$!
FPID=
# A failed step (set -e) leaves no coordinator or simulator behind.
trap 'kill $CPID $FPID 2>/dev/null || true' EXIT
for _ in $(seq 1200); do
	[ -f "$W/data/endpoints" ] && break
	sleep 0.1
done
WEP=$(sed -n 's/^worker=//p' "$W/data/endpoints")
API=$(sed -n 's/^api=//p' "$W/data/endpoints")
"$BIN/rota-bench" ready "$API" 120000 >/dev/null
PRE=()
[ "$MODE" = callgrind ] && PRE=(valgrind --tool=callgrind --instr-atstart=no
	"--callgrind-out-file=$W/callgrind.out.%p")
"${PRE[@]}" "$SIM" --coordinator "$WEP" --workers "$WORKERS" --id-prefix sim- \
	--ready-file "$W/ready" >"$W/fleetsim.log" 2>&1 &
FPID=$!
while [ ! -f "$W/ready" ]; do sleep 0.2; done
"$BIN/rota-bench" count "$API" "$W/data/rota.db" bench-noop sim- "$WORKERS" 300 "$WINDOW" >/dev/null

threads() {
	local t
	for t in /proc/"$FPID"/task/*; do
		echo "$(basename "$t") $(cat "$t/comm") $(awk '{print $14 + $15}' "$t/stat")"
	done | sort
}
case $MODE in
callgrind) callgrind_control -i on "$FPID" >/dev/null ;;
strace)
	strace -c -f -p "$FPID" -o "$W/strace.txt" &
	SPID=$!
	sleep 1
	;;
cpu) threads >"$W/cpu0" ;;
perf) ;;
*) echo "simcost: MODE is callgrind, strace, perf or cpu" >&2 && exit 2 ;;
esac
# perf stat counts the simulator for as long as the given command runs.
PERF=()
[ "$MODE" = perf ] && PERF=(perf stat -e task-clock,context-switches,raw_syscalls:sys_enter
	-p "$FPID" -o "$W/perf.txt" --)
"${PERF[@]}" "$BIN/rota-bench" count "$API" "$W/data/rota.db" bench-noop sim- "$WORKERS" "$RUNS" "$WINDOW" >/dev/null
case $MODE in
callgrind)
	callgrind_control -i off "$FPID" >/dev/null
	callgrind_control -d "$FPID" >/dev/null
	;;
strace)
	# TERM: an asynchronous command of a script ignores SIGINT.
	kill -TERM "$SPID"
	wait "$SPID" || true
	;;
perf)
	awk -v n="$RUNS" '$2 == "msec" {printf "task-clock %.1f us a run\n", $1 * 1000 / n}
		$2 == "context-switches" || $2 == "raw_syscalls:sys_enter" {
			gsub(",", "", $1); printf "%s %.2f a run\n", $2, $1 / n}' "$W/perf.txt"
	;;
cpu)
	threads >"$W/cpu1"
	join "$W/cpu0" "$W/cpu1" | awk -v n="$RUNS" -v hz="$(getconf CLK_TCK)" \
		'{t = $5 - $3; all += t; if (t > 0) printf "%s %s %.1f us a run\n", $1, $2, t * 1e6 / hz / n}
		 END {printf "process %.1f us a run\n", all * 1e6 / hz / n}'
	;;
esac
kill -TERM "$FPID"
wait "$FPID" || true
kill -TERM "$CPID"
wait "$CPID" || true
grep 'stopped' "$W/fleetsim.log" | tail -n 1 || true
echo "$W"
