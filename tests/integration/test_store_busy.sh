# Another process holds the store's write lock while a step finishes: the
# coordinator cannot commit the result, so it must not acknowledge it; once
# the lock is gone the worker's resent result is recorded and the run ends.
. "$(dirname "$0")/lib.sh"
rota_setup
start_coordinator
start_worker w1
wait_workers 1

run=$(rota submit "$FIXTURES/short.yaml" --target w1)
wait_for "[ \"\$(store \"SELECT status FROM step_runs WHERE run_id = '$run'\")\" = 3 ]" 10 "the step to run"
# Hold the write lock for 6 s, across the step's end.
(printf 'BEGIN IMMEDIATE;\nUPDATE meta SET value = value WHERE key = %s;\n' "'epoch'"; sleep 6; printf 'COMMIT;\n') |
	sqlite3 "$T/data/rota.db" &
locker=$!
wait_for "grep -q 'finished: ok' '$T/worker-w1.log'" 10 "the step to finish on the worker"
wait "$locker"
wait_for "[ \"\$(run_status $run)\" = 3 ]" 20 "the run to be recorded after the lock"
grep -q "could not be committed" "$T/coordinator.log" || fail "the coordinator did not notice the failed commit"
assert_eq "$(store "SELECT status || ':' || exit_code FROM step_runs WHERE run_id = '$run'")" "4:0" "step"
logs=$(rota logs "$run")
assert_contains "$logs" "w1 work | begin" "output committed before the lock"
# Output chunks that arrived during the failed turn are not resent yet
# (output acknowledgement is the reliability issue's); the result is.
kill -0 "$COORD_PID" || fail "the coordinator died"
pass "a result that could not be committed was not acknowledged, and was recorded later"
