# Garbage frames on both endpoints change nothing; the coordinator keeps
# serving workers and operators.
. "$(dirname "$0")/lib.sh"
rota_setup
start_coordinator
start_worker w1
wait_workers 1
before=$(store "SELECT COUNT(*) FROM runs")

"$ROTA_TESTS_BIN/rota-testpeer" garbage "$WORKER_EP" || fail "testpeer on the worker endpoint"
"$ROTA_TESTS_BIN/rota-testpeer" garbage "$API_EP" || fail "testpeer on the api endpoint"
sleep 0.5
kill -0 "$COORD_PID" 2>/dev/null || fail "the coordinator died"

assert_eq "$(store "SELECT COUNT(*) FROM runs")" "$before" "runs after garbage"
assert_eq "$(store "SELECT COUNT(*) FROM workers WHERE id = 'intruder'")" 0 "an intruder registered"
grep -q "dropped a frame from worker peer intruder" "$T/coordinator.log" || fail "no drop logged for the worker endpoint"
grep -q "dropped a frame from api peer" "$T/coordinator.log" || fail "no drop logged for the api endpoint"

out=$(rota submit "$FIXTURES/two-step.yaml" --target w1 --wait 2>&1) || fail "a run after garbage failed: $out"
assert_contains "$out" "hello from w1" "run after garbage"
rota workers | grep -E '^w1 .* connected ' >/dev/null || fail "w1 is no longer connected"
pass "garbage dropped and counted; the coordinator still serves"
