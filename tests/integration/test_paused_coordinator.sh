# The coordinator freezes (SIGSTOP) while a step runs and the step finishes
# meanwhile: when it thaws, the worker reconnects and its spooled result is
# recorded; nothing stays running.
. "$(dirname "$0")/lib.sh"
rota_setup
start_coordinator
start_worker w1
wait_workers 1

run=$(rota submit "$FIXTURES/short.yaml" --target w1)
wait_for "[ \"\$(store \"SELECT status FROM step_runs WHERE run_id = '$run'\")\" = 3 ]" 10 "the step to run"
kill -STOP "$COORD_PID"
wait_for "grep -q 'finished: ok' '$T/worker-w1.log'" 10 "the step to finish on the worker"
sleep 6 # past the worker's 5 heartbeats: it drops the connection and retries
kill -CONT "$COORD_PID"
wait_for "[ \"\$(run_status $run)\" = 3 ]" 20 "the run to be recorded after the thaw"
assert_eq "$(store "SELECT status FROM step_runs WHERE run_id = '$run'")" 4 "step status"
wait_for "[ -z \"\$(sqlite3 '$T/spool-w1/spool.db' 'SELECT key FROM results')\" ]" 10 "the worker's spool to empty"
pass "a frozen coordinator loses no result"
