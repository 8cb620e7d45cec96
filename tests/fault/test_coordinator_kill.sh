# Fault 1: the coordinator is SIGKILLed three times at random moments of the
# workload and started again each time on the same endpoints. Nothing may
# be lost, nothing run twice, every result recorded once. The first kill
# comes while a step is held running on w1 (so a run is certainly open: the
# restarted coordinator must resume it); the workload goes on until the
# third kill is done.
. "$(dirname "$0")/lib.sh"
fault_setup
fault_start_coordinator
fault_start_workers
fault_workload_start

for i in 1 2 3; do
	# 1.0 to 3.9 s into the workload, then again after each restart.
	sleep "$((1 + RANDOM % 3)).$((RANDOM % 10))"
	[ "$i" = 1 ] && fault_hold w1
	fault_kill_coordinator
	echo "killed the coordinator at $((SECONDS - FAULT_T0)) s" >>"$T/faults"
	sleep "0.$((RANDOM % 10))"
	fault_restart_coordinator
	if [ "$i" = 1 ]; then
		wait_for "grep -q 'resuming [0-9]* unfinished run' '$T/coordinator.log'" 30 \
			"the restarted coordinator to resume the open runs"
		fault_release w1
	fi
	# Every worker says hello to the new coordinator (which starts with
	# none connected) before the next kill.
	wait_for "[ \"\$(rota workers 2>/dev/null | grep -c ' connected ')\" = ${#FAULT_WORKERS[@]} ]" \
		30 "every worker to say hello to the restarted coordinator"
done

fault_workload_wait 90
fault_check coordinator-kill 0
pass "three coordinator kills: nothing lost, nothing run twice"
