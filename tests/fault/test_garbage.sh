# Fault 5: garbage, truncated and oversized frames on both endpoints for the
# whole workload (rota-testpeer garbage in a loop). Nothing may change: the
# workload ends exactly as without them, and no intruder is registered.
# Plain TCP: under CURVE garbage dies in the handshake, before the frame
# checks this scenario is for (test_security covers refused handshakes).
FAULT_PLAIN=1
. "$(dirname "$0")/lib.sh"
fault_setup
fault_start_coordinator
fault_start_workers

garbage_loop() {
	local n=0
	while [ ! -f "$T/garbage.stop" ]; do
		"$ROTA_TESTS_BIN/rota-testpeer" garbage "$WORKER_EP" >>"$T/garbage.log" 2>&1 || true
		"$ROTA_TESTS_BIN/rota-testpeer" garbage "$API_EP" >>"$T/garbage.log" 2>&1 || true
		n=$((n + 1))
		echo "$n" >"$T/garbage.rounds"
	done
}
garbage_loop &
PIDS+=("$!")
garbage_pid=$!

fault_workload_start
fault_workload_wait 90
touch "$T/garbage.stop"
wait "$garbage_pid" || true
rounds=$(cat "$T/garbage.rounds")
echo "garbage rounds (both endpoints each): $rounds" >>"$T/faults"
[ "$rounds" -ge 5 ] || fail "only $rounds rounds of garbage"

fault_check garbage 0
assert_eq "$(store 'SELECT COUNT(*) FROM runs')" "$FAULT_RUNS" "runs (no run from garbage, no submit repeated)"
assert_eq "$(store "SELECT COUNT(*) FROM workers WHERE id = 'intruder'")" 0 "an intruder registered"
grep -q "dropped a frame from worker peer" "$T/coordinator.log" || fail "no drop logged for the worker endpoint"
grep -q "dropped a frame from api peer" "$T/coordinator.log" || fail "no drop logged for the api endpoint"
pass "$rounds rounds of garbage on both endpoints changed nothing"
