# The shipped weekly-performance-review on a real worker: the benchmark's
# own failure fails the step (its output goes through tee), and a refused
# endpoint is counted as an error, never as a fast request (curl prints a
# time_total even for a refused connection).
. "$(dirname "$0")/lib.sh"
rota_setup

start_coordinator
start_worker w1
wait_workers 1
mkdir -p "$T/reports" "$T/scratch"
DEAD="http://127.0.0.1:$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')/health"

# run_review -p ...: runs the shipped runbook on w1 to its end; sets RUN.
run_review() {
	RUN=$(rota submit weekly-performance-review --target w1 -p report_dir="$T/reports" \
		-p scratch_dir="$T/scratch" -p disk_mb=1 "$@" 2>&1) || fail "submit refused: $RUN"
	wait_for '[ "$(run_status "$RUN")" -ge 3 ] 2>/dev/null' 30 "the review to end"
}
bench() {
	store "SELECT status || '|' || exit_code FROM step_runs WHERE run_id = '$RUN' AND step_id = 'benchmark'"
}

# A site benchmark that fails.
run_review -p benchmark='echo figure x 1 ms; exit 3'
assert_eq "$(bench)" "5|1" "a failing site benchmark fails the step"
assert_contains "$(rota logs "$RUN" --raw)" "exited 3 FAILED" "the benchmark's exit status"

# The built-in benchmark whose scratch directory cannot be written.
run_review -p scratch_dir="$T/missing" -p requests=0
assert_eq "$(bench)" "5|1" "a built-in benchmark that cannot write its file fails the step"

# Every request to the endpoint refused: no latency figure, the errors
# counted, the step failed.
run_review -p health_url="$DEAD" -p requests=3
logs=$(rota logs "$RUN" --raw)
assert_not_contains "$logs" "figure endpoint_p50_ms" "no latency from refused requests"
assert_contains "$logs" "figure endpoint_errors 3 requests" "refused requests counted"
assert_eq "$(bench)" "5|1" "an endpoint that refuses every request fails the benchmark"
pass "weekly-performance-review fails on its benchmark's failure and on a refused endpoint"
