# SIGTERM to a worker: a step that ends within --drain finishes and succeeds,
# an order that arrives meanwhile is held (not refused, not run) until the
# worker is back; a step that outlives the drain is stopped, recorded as
# cancelled with a detail that says why, and leaves no process behind. The
# worker exits 0 both times.
. "$(dirname "$0")/lib.sh"
rota_setup
start_coordinator

step_status() { store "SELECT status FROM step_runs WHERE run_id = '$1' ORDER BY attempt DESC LIMIT 1"; }

# stop_worker PID: SIGTERM, then its exit code in RC (20 s at most).
stop_worker() {
	kill -TERM "$1"
	wait_for "! kill -0 $1 2>/dev/null" 20 "worker $1 to exit"
	set +e
	wait "$1"
	RC=$?
	set -e
}

start_worker w1 --drain 10s
wait_workers 1
run=$(rota submit "$FIXTURES/drain.yaml" --target w1 -p secs=3)
wait_for "[ \"\$(step_status $run)\" = 3 ]" 10 "the 3 s step to run"
kill -TERM "$WORKER_PID_w1"
wait_for "rota workers | grep -Eq '^w1 .* stopping '" 5 "rota workers to show w1 stopping"
held=$(rota submit "$FIXTURES/short.yaml" --target w1)
sleep 0.5
assert_eq "$(step_status "$held")" 1 "a step submitted while w1 drains (pending, held)"
wait_for "! kill -0 $WORKER_PID_w1 2>/dev/null" 15 "w1 to exit after its step"
set +e
wait "$WORKER_PID_w1"
RC=$?
set -e
assert_eq "$RC" 0 "w1's exit code after the drain"
assert_eq "$(step_status "$run")" 4 "the step that ran during the drain (succeeded)"
assert_contains "$(rota logs "$run")" "end on w1" "the drained step's output"
grep -q "is stopping" "$T/coordinator.log" || fail "the coordinator did not log the worker's goodbye"
grep -q "not run again\|needs an operator" "$T/coordinator.log" && fail "a held step was treated as lost"

# Back (same spool): the held order goes out and runs.
start_worker w1 --drain 1s
wait_for "[ \"\$(run_status $held)\" = 3 ]" 15 "the held run to succeed once w1 is back"

# A 30 s step and a 1 s drain: stopped, cancelled, recorded, nothing left.
run2=$(rota submit "$FIXTURES/drain.yaml" --target w1 -p secs=30)
wait_for "[ \"\$(step_status $run2)\" = 3 ]" 10 "the 30 s step to run"
wait_for "[ -s $T/pgids/w1 ]" 5 "the step to record its process group"
pgid=$(cat "$T/pgids/w1")
started=$SECONDS
stop_worker "$WORKER_PID_w1"
assert_eq "$RC" 0 "w1's exit code after stopping its step"
took=$((SECONDS - started))
[ "$took" -le 12 ] || fail "the worker took ${took}s to stop with --drain 1s"
assert_eq "$(step_status "$run2")" 9 "the step stopped by the drain (cancelled)"
detail=$(store "SELECT detail FROM step_runs WHERE run_id = '$run2'")
assert_contains "$detail" "worker w1 stopped and the step did not finish within its drain time (1s)" "the step's detail"
# Living ones: a killed child reparented to init may linger a moment as a
# zombie, which runs nothing.
alive() { ps -e -o pgid=,stat=,pid=,args= | awk -v g="$pgid" '$1 == g && $2 !~ /^Z/'; }
[ -z "$(alive)" ] || fail "processes left in the step's group $pgid: $(alive)"
assert_eq "$(run_status "$run2")" 4 "the run whose step was cancelled (failed)"
pass "a draining worker finishes a 3 s step, holds new orders, and stops a 30 s one after 1 s (${took}s)"
