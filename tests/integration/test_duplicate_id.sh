# A second worker process starts with the id of one that is connected and
# running a step. Its Hello replaces the first one's connection: logged with
# both peer addresses, counted and shown by rota workers. The step the first
# one ran is lost (the new process does not run it), and the first one's
# late result for it is not recorded as if the other had run it.
. "$(dirname "$0")/lib.sh"
rota_setup
start_coordinator
start_worker w1
first=$LAST_WORKER_PID
wait_workers 1

run=$(rota submit "$FIXTURES/drain.yaml" --target w1 -p secs=3)
wait_for "[ \"\$(store \"SELECT status FROM step_runs WHERE run_id = '$run'\")\" = 3 ]" 10 "the step to run on the first w1"

"$ROTA_BIN/rota-worker" --coordinator "$WORKER_EP" --id w1 --spool "$T/spool-w1-second" --drain 0 \
	>>"$T/worker-w1-second.log" 2>&1 &
second=$!
PIDS+=("$second")
wait_for "grep -q 'worker w1: a Hello from' '$T/coordinator.log'" 10 "the coordinator to log the replacement"
line=$(grep 'worker w1: a Hello from' "$T/coordinator.log" | head -1)
new_peer=$(sed -n 's/.*a Hello from \([^ ]*\) .*/\1/p' <<<"$line")
old_peer=$(sed -n 's/.*replaces its connection from \([^ ]*\) .*/\1/p' <<<"$line")
has_line "$new_peer" '^127\.0\.0\.1:[0-9]+$' "the new peer address"
has_line "$old_peer" '^127\.0\.0\.1:[0-9]+$' "the old peer address"
[ "$new_peer" != "$old_peer" ] || fail "both peers logged as $new_peer: $line"

wait_for "[ \"\$(store \"SELECT status FROM step_runs WHERE run_id = '$run'\")\" = 7 ]" 10 "the step to be lost"
assert_contains "$(store "SELECT detail FROM step_runs WHERE run_id = '$run'")" "restarted" "the lost step's detail"
rota workers | grep -Eq '^w1 .*\(replaced [0-9]+x\)' || fail "rota workers does not show the replacement: $(rota workers)"
assert_contains "$(rota workers --json)" '"replaced":' "rota workers --json"

# The first process finishes its step and reports it; that result must not
# turn the lost step into a success.
wait_for "grep -q 'step $run/work#1 finished: ok' '$T/worker-w1.log'" 10 "the first w1 to finish its step"
sleep 2
assert_eq "$(store "SELECT status FROM step_runs WHERE run_id = '$run'")" 7 "the step after the first w1's late result"
assert_eq "$(store "SELECT COUNT(*) FROM step_runs WHERE run_id = '$run'")" 1 "step runs of the run"
assert_eq "$(run_status "$run")" 4 "the run (failed)"
kill -0 "$COORD_PID" || fail "the coordinator died"
kill -TERM "$first" "$second"
pass "a second w1 replaces the first (logged $old_peer -> $new_peer); the first's late result is not recorded"
