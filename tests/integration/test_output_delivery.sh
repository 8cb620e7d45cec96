# Output is delivered at least once and recorded exactly once: a step prints
# numbered lines while the coordinator is killed (SIGKILL) and started again,
# and, in a second run, while it is frozen (SIGSTOP) past the workers'
# heartbeat window. Every line is in `rota logs` once, in order, and the
# worker's spool holds no output once the runs are over.
. "$(dirname "$0")/lib.sh"
rota_setup
start_coordinator
start_worker w1
wait_workers 1

# The lines of RUN's tick step, as `rota logs` lists them, must be tick 1 to
# tick 120, each once, in order.
check_ticks() {
	local run=$1 what=$2 logs got want
	logs=$(rota logs "$run")
	got=$(sed -n 's/^w1 tick | //p' <<<"$logs")
	want=$(seq 1 120 | sed 's/^/tick /')
	if [ "$got" != "$want" ]; then
		diff <(echo "$want") <(echo "$got") >&2 || true
		fail "$what: the tick lines are not tick 1..120 once each, in order"
	fi
	assert_contains "$logs" "w1 after | after the ticks" "$what: the next step's output"
	assert_not_contains "$logs" "output lost" "$what"
	assert_eq "$(store "SELECT COUNT(*) FROM outputs o JOIN step_runs s ON s.id = o.step_run WHERE s.run_id = '$run' AND s.step_id = 'tick' AND s.output_seq != (SELECT MAX(seq) FROM outputs WHERE step_run = s.id)")" 0 "$what: output_seq is the last chunk"
}

spool_output() {
	sqlite3 "$T/spool-w1/spool.db" "SELECT COUNT(*) FROM outputs"
}

# 1. SIGKILL mid-step, restart a second later on the same endpoints.
run=$(rota submit "$FIXTURES/ticker.yaml" --target w1)
wait_for "[ \"\$(store \"SELECT COUNT(*) FROM outputs o JOIN step_runs s ON s.id = o.step_run WHERE s.run_id = '$run'\")\" -ge 10 ]" 10 "the first lines"
kill -KILL "$COORD_PID"
wait "$COORD_PID" 2>/dev/null || true
sleep 1
restart_coordinator
wait_for "[ \"\$(run_status $run)\" = 3 ]" 30 "the run to succeed after the restart"
wait_for "[ \"\$(spool_output)\" = 0 ]" 15 "the worker's spool to let go of the output"
check_ticks "$run" "after SIGKILL"
grep -q "saying hello again" "$T/worker-w1.log" || fail "the worker did not notice the restart"

# 2. SIGSTOP past five heartbeats (the worker drops the connection and
# reconnects), then SIGCONT.
run=$(rota submit "$FIXTURES/ticker.yaml" --target w1)
wait_for "[ \"\$(store \"SELECT COUNT(*) FROM outputs o JOIN step_runs s ON s.id = o.step_run WHERE s.run_id = '$run'\")\" -ge 10 ]" 10 "the first lines"
kill -STOP "$COORD_PID"
sleep 6.5
kill -CONT "$COORD_PID"
wait_for "[ \"\$(run_status $run)\" = 3 ]" 30 "the run to succeed after the thaw"
wait_for "[ \"\$(spool_output)\" = 0 ]" 15 "the worker's spool to let go of the output"
check_ticks "$run" "after SIGSTOP"
grep -q "is silent" "$T/worker-w1.log" || fail "the worker did not drop the frozen coordinator"
wait_for "[ -z \"\$(sqlite3 '$T/spool-w1/spool.db' 'SELECT key FROM results')\" ]" 10 "the worker's results to be acked"
pass "every line once and in order across a coordinator SIGKILL and a SIGSTOP"
