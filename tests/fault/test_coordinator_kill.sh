# Fault 1: the coordinator is SIGKILLed three times at random moments of the
# workload and started again each time on the same endpoints. Nothing may
# be lost, nothing run twice, every result recorded once.
. "$(dirname "$0")/lib.sh"
fault_setup
fault_start_coordinator
fault_start_workers
fault_workload_start

for i in 1 2 3; do
	# 1.0 to 3.9 s into the workload, then again after each restart.
	sleep "$((1 + RANDOM % 3)).$((RANDOM % 10))"
	fault_kill_coordinator
	echo "killed the coordinator at $((SECONDS - FAULT_T0)) s" >>"$T/faults"
	sleep "0.$((RANDOM % 10))"
	fault_restart_coordinator
done
grep -c "resuming" "$T/coordinator.log" >/dev/null || true

fault_workload_wait 90
fault_check coordinator-kill 0
pass "three coordinator kills: nothing lost, nothing run twice"
