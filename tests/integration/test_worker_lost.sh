# SIGKILL a worker in the middle of a long step: its host is marked lost
# within 10 s while the other host finishes.
. "$(dirname "$0")/lib.sh"
rota_setup
start_coordinator
start_worker w1
start_worker w2
wait_workers 2

run=$(rota submit "$FIXTURES/lost.yaml" --target w1 --target w2)
[ -n "$run" ] || fail "submit printed no run id"
wait_for "[ \"\$(store \"SELECT status FROM step_runs WHERE run_id = '$run' AND host = 'w1'\")\" = 3 ]" 10 "w1's step to run"
kill -KILL "$WORKER_PID_w1"
killed=$SECONDS
wait_for "[ \"\$(store \"SELECT status FROM step_runs WHERE run_id = '$run' AND host = 'w1'\")\" = 7 ]" 10 "w1's step to be marked lost"
lost_after=$((SECONDS - killed))
[ $lost_after -le 10 ] || fail "lost after ${lost_after}s"
wait_for "[ \"\$(run_status $run)\" = 4 ]" 10 "the run to finish failed"
assert_eq "$(store "SELECT status FROM step_runs WHERE run_id = '$run' AND host = 'w2'")" 4 "w2's step (succeeded)"
show=$(rota show "$run")
echo "$show" | grep -E '^\s*work\s+lost' >/dev/null || fail "rota show does not say lost: $show"
assert_contains "$show" "done on w2" "rota show"
workers=$(rota workers)
echo "$workers" | grep -E '^w1 .* lost ' >/dev/null || fail "rota workers does not show w1 lost: $workers"
pass "a killed worker's host is lost after ${lost_after}s; the other host finished"
