# Fault 2: a worker is SIGKILLed in the middle of a step and started again
# with the same id and spool, twice (two workers). The step it was running
# must end recorded — lost and retried as a new attempt, or its spooled
# result — never silently missing, never left running, never run twice
# under one attempt; the idempotent: false step is never run again.
. "$(dirname "$0")/lib.sh"
fault_setup
fault_start_coordinator
fault_start_workers
fault_workload_start

for w in w2 w3; do
	sleep "$((2 + RANDOM % 3)).$((RANDOM % 10))"
	wait_for "[ \"\$(store \"SELECT COUNT(*) FROM step_runs WHERE host = '$w' AND status = 3\")\" -gt 0 ]" \
		30 "a step running on $w"
	fault_kill_worker "$w"
	echo "killed $w at $((SECONDS - FAULT_T0)) s" >>"$T/faults"
	sleep 1
	fault_start_worker "$w"
done

fault_workload_wait 90
FAULT_LOST_HOSTS="w2 w3" fault_check worker-kill any
grep -q "saying hello\|welcomed\|Welcome" "$T/worker-w2.log" || true
pass "killed workers: every step they ran recorded, lost ones retried, nothing run twice"
