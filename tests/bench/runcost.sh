#!/usr/bin/env bash
# runcost.sh: what one run costs the coordinator, in figures that do not
# move with the machine's load (docs/benchmarks.md, "A run's cost in the
# coordinator"): a fixed number of one-step noop runs to single hosts
# (rota-bench count) after a warm-up, measured one of three ways.
#
#   bash tests/bench/runcost.sh BIN MODE [RUNS] [WORKERS] [WINDOW]
#
# MODE callgrind: the coordinator under valgrind --tool=callgrind
#      --separate-threads=yes, instrumented only over the RUNS (files
#      callgrind.out.PID.1-THREAD in the kept directory); strace: strace -c
#      -f over the RUNS (strace.txt); cpu: each thread's CPU over the RUNS
#      (from /proc, printed in µs a run). Defaults: 2000 runs, 100
#      workers, a window of 100 submits unanswered. The coordinator's
#      heartbeat is 30 s so no simulated worker resends a result or says
#      hello again while valgrind slows the loop. Prints the directory
#      kept (the coordinator's log with its turns line and statements).
set -euo pipefail

BIN=$(cd "$1" && pwd)
MODE=$2
RUNS=${3:-2000}
WORKERS=${4:-100}
WINDOW=${5:-100}
W=$(mktemp -d "${TMPDIR:-/tmp}/rota-runcost.XXXXXX")
mkdir -p "$W/runbooks"
cat >"$W/runbooks/bench-noop.yaml" <<'Y'
name: bench-noop
description: one noop step; the benchmark names the host
steps:
  - id: nothing
    noop: {}
Y

PRE=()
[ "$MODE" = callgrind ] && PRE=(valgrind --tool=callgrind --separate-threads=yes
	--instr-atstart=no "--callgrind-out-file=$W/callgrind.out.%p")
"${PRE[@]}" "$BIN/rota-coordinator" --data-dir "$W/data" --runbooks "$W/runbooks" \
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
"$BIN/rota-fleetsim" --coordinator "$WEP" --workers "$WORKERS" --id-prefix sim- \
	--ready-file "$W/ready" >"$W/fleetsim.log" 2>&1 &
FPID=$!
while [ ! -f "$W/ready" ]; do sleep 0.2; done
"$BIN/rota-bench" count "$API" "$W/data/rota.db" bench-noop sim- "$WORKERS" 300 "$WINDOW" >/dev/null

threads() {
	local t
	for t in /proc/"$CPID"/task/*; do
		echo "$(basename "$t") $(cat "$t/comm") $(awk '{print $14 + $15}' "$t/stat")"
	done | sort
}
case $MODE in
callgrind) callgrind_control -i on "$CPID" >/dev/null ;;
strace)
	strace -c -f -p "$CPID" -o "$W/strace.txt" &
	SPID=$!
	sleep 1
	;;
cpu) threads >"$W/cpu0" ;;
*) echo "runcost: MODE is callgrind, strace or cpu" >&2 && exit 2 ;;
esac
"$BIN/rota-bench" count "$API" "$W/data/rota.db" bench-noop sim- "$WORKERS" "$RUNS" "$WINDOW" >/dev/null
case $MODE in
callgrind)
	callgrind_control -i off "$CPID" >/dev/null
	callgrind_control -d "$CPID" >/dev/null
	;;
strace)
	kill -INT "$SPID"
	wait "$SPID" || true
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
grep -o 'turns: .*' "$W/coordinator.log" | tail -n 1 || true
echo "$W"
