# Fault 2: a worker is SIGKILLed in the middle of a step and started again
# with the same id and spool, twice (two workers). The step it was running
# must end recorded — lost and retried as a new attempt, or its spooled
# result — never silently missing, never left running, never run twice
# under one attempt; the idempotent: false step is never run again.
# Each kill waits for a step held running on its worker (fault_hold), and
# the workload goes on until both kills are done: neither can miss.
. "$(dirname "$0")/lib.sh"
fault_setup
fault_start_coordinator
fault_start_workers
fault_workload_start

for w in w2 w3; do
	sleep "$((1 + RANDOM % 3)).$((RANDOM % 10))"
	fault_hold "$w"
	fault_kill_worker "$w"
	echo "killed $w at $((SECONDS - FAULT_T0)) s" >>"$T/faults"
	fault_release "$w"
	sleep 1 # down for a second: the coordinator may notice before it is back
	fault_start_worker "$w"
	# The restarted worker is welcomed again (its id, its spool).
	wait_for "[ \"\$(grep -c 'connected to coordinator' '$T/worker-$w.log')\" -ge 2 ]" 30 \
		"the restarted $w to connect"
done

fault_workload_wait 90
FAULT_LOST_HOSTS="w2 w3" fault_check worker-kill any
for w in w2 w3; do
	assert_eq "$(grep -c "worker $w starting" "$T/worker-$w.log")" 2 "starts of $w"
done
pass "killed workers: every step they ran recorded, lost ones retried, nothing run twice"
