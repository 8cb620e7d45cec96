# A Result with numbers no process reports (signal -5, exit code
# INT32_MIN, ended_ms INT64_MAX) is refused as it is decoded: counted in
# /metrics (reason "range"), said in the coordinator's log, and never
# stored.
. "$(dirname "$0")/lib.sh"
rota_setup
start_coordinator

"$ROTA_TESTS_BIN/rota-testpeer" oddhello "$WORKER_EP" w9 box \
	run-1 step-1 1 -5 -2147483648 9223372036854775807 || fail "the test peer was not welcomed"
wait_for "curl -sf http://$HTTP_EP/metrics | grep -q '^rota_frames_dropped_total{endpoint=\"worker\",reason=\"range\"} 1'" 10 \
	"the drop to be counted"
grep -q "a field is out of its range (exit code 0-255, signal 0-64" "$T/coordinator.log" \
	|| fail "the coordinator did not log the drop"
assert_eq "$(store "SELECT COUNT(*) FROM step_runs")" 0 "step runs stored"
pass "an out-of-range Result is refused, counted and logged"
