# A two-step runbook on two workers: output lines and exit codes land in the
# store and `rota show` shows them; a failed step stops its host only.
. "$(dirname "$0")/lib.sh"
rota_setup
start_coordinator
start_worker w1 --label role=web
start_worker w2 --label role=web
wait_workers 2

set +e
out=$(rota submit "$FIXTURES/two-step.yaml" --target role=web -p greeting=hi --wait 2>&1)
rc=$?
set -e
assert_eq "$rc" 1 "submit --wait exit code (w2 fails)"
run=$(rota runs --limit 1 --json | sed -n 's/.*"id": *"\([^"]*\)".*/\1/p' | head -n 1)
[ -n "$run" ] || fail "no run listed"
assert_contains "$out" "hi from w1 in run $run" "--wait output"

assert_eq "$(run_status "$run")" 4 "run status (failed)"
assert_eq "$(store "SELECT host || ':' || step_id || ':' || status || ':' || exit_code FROM step_runs WHERE run_id = '$run' ORDER BY host, position" | tr '\n' ' ')" \
	"w1:greet:4:0 w1:finish:4:0 w2:greet:4:0 w2:finish:5:3 " "step runs in the store"
stored=$(store "SELECT $(sql_agg "$(sql_text o.data)" '') FROM outputs o JOIN step_runs s ON s.id = o.step_run WHERE s.run_id = '$run' AND s.host = 'w1'")
assert_contains "$stored" "hi from w1 in run $run" "stored stdout"
assert_contains "$stored" "a warning from w1" "stored stderr"
assert_eq "$(store "SELECT COUNT(*) FROM outputs o JOIN step_runs s ON s.id = o.step_run WHERE s.run_id = '$run' AND o.stream = 2")" 2 "stderr chunks"

show=$(rota show "$run")
assert_contains "$show" "finished on w1" "rota show"
assert_contains "$show" "w2 gives up" "rota show"
assert_contains "$show" "exited with status 3" "rota show detail"
echo "$show" | grep -E '^\s*finish\s+failed\s+3\b' >/dev/null || fail "rota show does not list w2's finish as failed with exit 3: $show"

logs=$(rota logs "$run" --host w2)
assert_contains "$logs" "hi from w2" "rota logs --host w2"
assert_not_contains "$logs" "from w1" "rota logs --host w2"

runs=$(rota runs)
echo "$runs" | grep -E "^$run +adhoc:two-step +manual +failed +1/1/2 " >/dev/null || fail "rota runs line: $runs"
pass "two hosts, two steps, output and exit codes stored and shown"
