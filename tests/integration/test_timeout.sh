# A step that exceeds its timeout is killed and fails with status timeout;
# the step after it is skipped.
. "$(dirname "$0")/lib.sh"
rota_setup
start_coordinator
start_worker w1
wait_workers 1

start=$SECONDS
set +e
rota submit "$FIXTURES/slow.yaml" --target w1 --wait >"$T/out" 2>&1
rc=$?
set -e
elapsed=$((SECONDS - start))
assert_eq "$rc" 1 "submit --wait exit code"
[ $elapsed -lt 15 ] || fail "the timed-out run took ${elapsed}s"
run=$(rota runs --limit 1 --json | sed -n 's/.*"id": *"\([^"]*\)".*/\1/p' | head -n 1)
assert_eq "$(store "SELECT status FROM step_runs WHERE run_id = '$run' AND step_id = 'nap'")" 6 "nap status (timeout)"
assert_eq "$(store "SELECT status FROM step_runs WHERE run_id = '$run' AND step_id = 'after'")" 8 "after status (skipped)"
show=$(rota show "$run")
echo "$show" | grep -E '^\s*nap\s+timeout' >/dev/null || fail "rota show does not say timeout: $show"
assert_contains "$show" "timed out after 1s" "rota show detail"
assert_contains "$show" "napping" "rota show output"
echo "$show" | grep -E '^\s*after\s+skipped' >/dev/null || fail "rota show does not say skipped: $show"
# A step that cannot start ends in error, and says why once.
set +e
rota submit "$FIXTURES/badstart.yaml" --target w1 --wait >"$T/out" 2>&1
rc=$?
set -e
assert_eq "$rc" 1 "submit --wait of a step that cannot start"
run=$(rota runs --limit 1 --json | sed -n 's/.*"id": *"\([^"]*\)".*/\1/p' | head -n 1)
show=$(rota show "$run")
echo "$show" | grep -E '^\s*nodir\s+error' >/dev/null || fail "rota show does not say error: $show"
assert_contains "$show" "could not start: cannot change to workdir /nonexistent/rota-test-dir" "detail"
assert_not_contains "$show" "could not start: could not start" "detail"
pass "timeout kills the step and skips the rest (${elapsed}s); a step that cannot start is an error"
