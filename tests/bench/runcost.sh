#!/usr/bin/env bash
# runcost.sh: what one run costs the coordinator, or the fleet simulator,
# in figures that do not move with the machine's load (docs/benchmarks.md,
# "A run's cost in the coordinator" and "The fleet simulator's cost a
# run"): a fixed number of one-step noop runs to single hosts (rota-bench
# count) after a warm-up, measured one of four ways on one process.
#
#   [WHO=fleetsim] [SIM=PATH] bash tests/bench/runcost.sh BIN MODE [RUNS] [WORKERS] [WINDOW]
#
# WHO: coordinator (the default) or fleetsim, the process measured; the
#      other runs as usual. SIM=PATH runs another rota-fleetsim binary (an
#      A/B against another build).
# MODE callgrind: WHO under valgrind --tool=callgrind
#      --separate-threads=yes, instrumented only over the RUNS (files
#      callgrind.out.PID* in the kept directory); strace: strace -c -f over
#      the RUNS (strace.txt); cpu: each thread's CPU over the RUNS (from
#      /proc, printed in µs a run); perf: perf stat's task-clock, context
#      switches and system calls (the raw_syscalls tracepoint: counted
#      from the first run, unlike strace's attach) over the RUNS, a run
#      each. Defaults: 2000 runs, 100 workers, a window of 100 submits
#      unanswered (for the simulator 1000 and 1000, the throughput bench's
#      fleet). The coordinator's heartbeat is 30 s so no simulated worker
#      resends a result or says hello again while valgrind slows either.
#      Prints the figures and the directory kept (the logs: the
#      coordinator's turns line and statements, the simulator's counts).
set -euo pipefail

BIN=$(cd "$1" && pwd)
MODE=$2
WHO=${WHO:-coordinator}
case $WHO in
coordinator) WORKERS=${4:-100} WINDOW=${5:-100} ;;
fleetsim) WORKERS=${4:-1000} WINDOW=${5:-1000} ;;
*) echo "runcost: WHO is coordinator or fleetsim" >&2 && exit 2 ;;
esac
case $MODE in
callgrind | strace | cpu | perf) ;;
*) echo "runcost: MODE is callgrind, strace, perf or cpu" >&2 && exit 2 ;;
esac
RUNS=${3:-2000}
SIM=${SIM:-$BIN/rota-fleetsim}
W=$(mktemp -d "${TMPDIR:-/tmp}/rota-runcost.XXXXXX")
mkdir -p "$W/runbooks"
cat >"$W/runbooks/bench-noop.yaml" <<'Y'
name: bench-noop
description: one noop step; the benchmark names the host
steps:
  - id: nothing
    noop: {}
Y

# under WHAT: valgrind's words when WHAT is the process measured by callgrind.
under() {
	[ "$MODE" = callgrind ] && [ "$WHO" = "$1" ] &&
		echo valgrind --tool=callgrind --separate-threads=yes --instr-atstart=no \
			"--callgrind-out-file=$W/callgrind.out.%p"
	return 0
}
CPID='' FPID=''
# A failed step (set -e) leaves no coordinator or simulator behind.
trap 'kill $CPID $FPID 2>/dev/null || true' EXIT
# shellcheck disable=SC2046 # under's words are the command's
$(under coordinator) "$BIN/rota-coordinator" --data-dir "$W/data" --runbooks "$W/runbooks" \
	--worker-endpoint "tcp://127.0.0.1:*" --api-endpoint "tcp://127.0.0.1:*" --http off \
	--heartbeat 30s >"$W/coordinator.log" 2>&1 &
CPID=$!
for _ in $(seq 1200); do
	[ -f "$W/data/endpoints" ] && break
	sleep 0.1
done
WEP=$(sed -n 's/^worker=//p' "$W/data/endpoints")
API=$(sed -n 's/^api=//p' "$W/data/endpoints")
"$BIN/rota-bench" ready "$API" 120000 >/dev/null
# shellcheck disable=SC2046
$(under fleetsim) "$SIM" --coordinator "$WEP" --workers "$WORKERS" --id-prefix sim- \
	--ready-file "$W/ready" >"$W/fleetsim.log" 2>&1 &
FPID=$!
while [ ! -f "$W/ready" ]; do sleep 0.2; done
"$BIN/rota-bench" count "$API" "$W/data/rota.db" bench-noop sim- "$WORKERS" 300 "$WINDOW" >/dev/null
PID=$CPID
[ "$WHO" = fleetsim ] && PID=$FPID

threads() {
	local t
	for t in /proc/"$PID"/task/*; do
		echo "$(basename "$t") $(cat "$t/comm") $(awk '{print $14 + $15}' "$t/stat")"
	done | sort
}
case $MODE in
callgrind) callgrind_control -i on "$PID" >/dev/null ;;
strace)
	strace -c -f -p "$PID" -o "$W/strace.txt" &
	SPID=$!
	sleep 1
	;;
cpu) threads >"$W/cpu0" ;;
esac
# perf stat counts the process for as long as the given command runs.
PERF=()
[ "$MODE" = perf ] && PERF=(perf stat -e "task-clock,context-switches,raw_syscalls:sys_enter"
	-p "$PID" -o "$W/perf.txt" --)
"${PERF[@]}" "$BIN/rota-bench" count "$API" "$W/data/rota.db" bench-noop sim- "$WORKERS" \
	"$RUNS" "$WINDOW" >/dev/null
case $MODE in
callgrind)
	callgrind_control -i off "$PID" >/dev/null
	callgrind_control -d "$PID" >/dev/null
	;;
strace)
	# TERM: an asynchronous command of a script ignores SIGINT.
	kill -TERM "$SPID"
	wait "$SPID" || true
	;;
cpu)
	threads >"$W/cpu1"
	join "$W/cpu0" "$W/cpu1" | awk -v n="$RUNS" -v hz="$(getconf CLK_TCK)" \
		'{t = $5 - $3; all += t; if (t > 0) printf "%s %s %.1f us a run\n", $1, $2, t * 1e6 / hz / n}
		 END {printf "process %.1f us a run\n", all * 1e6 / hz / n}'
	;;
perf)
	awk -v n="$RUNS" '$2 == "msec" {printf "task-clock %.1f us a run\n", $1 * 1000 / n}
		$2 == "context-switches" || $2 == "raw_syscalls:sys_enter" {
			gsub(",", "", $1); printf "%s %.2f a run\n", $2, $1 / n}' "$W/perf.txt"
	;;
esac
kill -TERM "$FPID"
wait "$FPID" || true
kill -TERM "$CPID"
wait "$CPID" || true
grep -o 'turns: .*' "$W/coordinator.log" | tail -n 1 || true
grep 'stopped' "$W/fleetsim.log" | tail -n 1 || true
echo "$W"
