# Fault 3: the coordinator is frozen (SIGSTOP) mid-workload, once for longer
# than the heartbeat window (5 intervals: the workers give up on it and
# reconnect) and once for shorter, then thawed (SIGCONT). A frozen
# coordinator must not declare its workers lost for its own silence, and
# nothing may be lost or run twice.
. "$(dirname "$0")/lib.sh"
HEARTBEAT_MS=300
fault_setup
fault_start_coordinator --heartbeat ${HEARTBEAT_MS}ms
fault_start_workers
fault_workload_start

sleep "$((2 + RANDOM % 2)).$((RANDOM % 10))"
kill -STOP "$COORD_PID"
echo "stopped the coordinator for 4 s at $((SECONDS - FAULT_T0)) s" >>"$T/faults"
sleep 4 # more than 5 x 300 ms
kill -CONT "$COORD_PID"

sleep "$((2 + RANDOM % 2)).$((RANDOM % 10))"
kill -STOP "$COORD_PID"
echo "stopped the coordinator for 0.5 s at $((SECONDS - FAULT_T0)) s" >>"$T/faults"
sleep 0.5 # less than 5 x 300 ms
kill -CONT "$COORD_PID"

fault_workload_wait 90
fault_check coordinator-stop 0
grep -q "did not run for" "$T/coordinator.log" || fail "the coordinator did not notice it was stopped"
grep -q "reconnecting in" "$T"/worker-w*.log || fail "no worker gave up on the stopped coordinator"
pass "a stopped coordinator loses nothing and runs nothing twice"
