# The coordinator is killed (SIGKILL) while a step runs and started again on
# the same endpoints: the worker reconnects, the step stays attached to its
# run, its result is recorded once and the run goes on to its next step.
. "$(dirname "$0")/lib.sh"
rota_setup
start_coordinator
start_worker w1
wait_workers 1
worker_ep=$WORKER_EP
api_ep=$API_EP

run=$(rota submit "$FIXTURES/long.yaml" --target w1)
wait_for "[ \"\$(store \"SELECT status FROM step_runs WHERE run_id = '$run' AND step_id = 'work'\")\" = 3 ]" 10 "the step to run"
kill -KILL "$COORD_PID"
wait "$COORD_PID" 2>/dev/null || true
touch "$T/coordinator.start"
sleep 0.01
"$ROTA_BIN/rota-coordinator" --data-dir "$T/data" --worker-endpoint "$worker_ep" \
	--api-endpoint "$api_ep" --runbooks "$ROTA_SOURCE_DIR/runbooks" --http 127.0.0.1:0 "${STORE_FLAGS[@]}" \
	>>"$T/coordinator.log" 2>&1 &
COORD_PID=$!
PIDS+=("$COORD_PID")

wait_for "[ \"\$(run_status $run)\" = 3 ]" 20 "the run to succeed after the restart"
assert_eq "$(store "SELECT COUNT(*) FROM step_runs WHERE run_id = '$run'")" 2 "step runs (no duplicates)"
assert_eq "$(store "SELECT status FROM step_runs WHERE run_id = '$run' ORDER BY position" | tr '\n' ' ')" "4 4 " "step statuses"
logs=$(rota logs "$run")
assert_contains "$logs" "w1 work | before" "output from before the restart"
assert_contains "$logs" "w1 work | after" "output from after the restart"
assert_contains "$logs" "w1 next | next step on w1" "the next step"
grep -q "resuming 1 unfinished run" "$T/coordinator.log" || fail "the coordinator did not resume the run"
grep -q "saying hello again" "$T/worker-w1.log" || fail "the worker did not notice the new epoch"
rota workers | grep -E '^w1 .* connected ' >/dev/null || fail "w1 is not connected after the restart"
pass "a coordinator restart mid-step loses nothing and records the result once"
