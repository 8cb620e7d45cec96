# A worker is frozen (SIGSTOP) while a step with retries runs, long enough
# to be declared lost, and the step finishes meanwhile. When it thaws
# (SIGCONT) the coordinator asks it to say Hello again: it is connected
# within a few heartbeats, takes new work, and the step is recorded as it
# really ended (succeeded, attempt 1): no retry was spent while the worker
# could take none, and the step ran once.
. "$(dirname "$0")/lib.sh"
rota_setup
start_coordinator
start_worker w1
wait_workers 1

step_of() { # run -> "attempt status" of every attempt, in order
	store "SELECT attempt || ':' || status FROM step_runs WHERE run_id = '$1' ORDER BY attempt" |
		tr '\n' ' '
}

run=$(rota submit "$FIXTURES/paused.yaml" --target w1)
[ -n "$run" ] || fail "submit printed no run id"
wait_for "[ \"\$(step_of $run)\" = '1:3 ' ]" 10 "the step to run"
kill -STOP "$WORKER_PID_w1"
# Frozen past the coordinator's 5 silent heartbeats: it is declared lost.
wait_for "rota workers | grep -Eq '^w1 .* lost '" 20 "w1 to be shown lost"
# The step ends while its worker is still frozen.
touch "$T/release"
wait_for "[ -f '$T/finished' ]" 10 "the step to finish on the frozen worker"
# While no worker can take it, no attempt is used up.
assert_eq "$(step_of "$run")" "1:3 " "attempts while w1 is away"
kill -CONT "$WORKER_PID_w1"

wait_for "rota workers | grep -Eq '^w1 .* connected '" 15 "w1 to be connected again"
wait_for "[ \"\$(run_status $run)\" = 3 ]" 15 "the run to be recorded succeeded"
assert_eq "$(step_of "$run")" "1:4 " "attempts (one, succeeded)"
assert_eq "$(wc -l <"$T/executions")" 1 "executions of the step"
logs=$(rota logs "$run")
assert_contains "$logs" "w1 work | finished" "rota logs"

# It takes new work.
again=$(rota submit "$FIXTURES/short.yaml" --target w1)
wait_for "[ \"\$(run_status $again)\" = 3 ]" 15 "a new run on w1 to succeed"
wait_for "[ -z \"\$(sqlite3 '$T/spool-w1/spool.db' 'SELECT key FROM results')\" ]" 10 "the worker's spool to empty"
# The rule itself, without the race of a real worker thawing (it may notice
# its own silence first and reconnect by itself): a worker declared lost
# that speaks again is answered with a Heartbeat of epoch 0, which no
# coordinator welcomes with, so the worker says Hello.
"$ROTA_TESTS_BIN/rota-testpeer" silent "$WORKER_EP" ghost "$T/go" >"$T/ghost.out" 2>"$T/ghost.err" &
ghost=$!
PIDS+=("$ghost")
wait_for "grep -q '^welcome ' '$T/ghost.out'" 10 "the silent peer to be welcomed"
wait_for "rota workers | grep -Eq '^ghost .* lost '" 20 "the silent peer to be shown lost"
touch "$T/go"
wait "$ghost" || fail "rota-testpeer silent: $(cat "$T/ghost.err")"
assert_eq "$(sed -n 's/^heartbeat //p' "$T/ghost.out")" 0 "epoch of the answer to a worker declared lost"
pass "a worker frozen past the lost window is taken back; its result is recorded, no retry spent"
