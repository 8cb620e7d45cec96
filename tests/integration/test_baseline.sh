# record and baseline on a check, through a real coordinator, worker and
# store: the first value passes and says there is no baseline yet, the next
# is compared with the previous one, and a rise past max_increase_pct fails
# the step with both values; `rota show` and its JSON show them.
. "$(dirname "$0")/lib.sh"
rota_setup

start_testhttp
start_coordinator
start_worker w1
wait_workers 1
cat >"$T/errs.yaml" <<YAML
name: errs
description: record and baseline, integration test
params:
  metric: { default: 'errors_total{job="api"}' }
steps:
  - id: errors
    metric_check: { url: "$U/metrics", metric: "{{ params.metric }}", op: "<", value: 100 }
    record: errors
    baseline: { against: previous, max_increase_pct: 50 }
YAML
run_errs() {
	RUN=$(rota submit "$T/errs.yaml" --target w1 "$@" 2>&1) || fail "submit refused: $RUN"
	wait_for '[ "$(run_status "$RUN")" -ge 3 ] 2>/dev/null' 30 "the run to end"
}
step() {
	store "SELECT status || '|' || COALESCE(detail, '') FROM step_runs WHERE run_id = '$RUN' AND step_id = 'errors'"
}
run_errs
assert_contains "$(step)" "4|errors_total{job=\"api\"} is 3, < 100" "the first run passes"
assert_contains "$(step)" "; recorded errors = 3, the first: no baseline yet" "the first value"
run_errs
assert_contains "$(step)" "; recorded errors = 3, +0.0% from the previous (3)" "compared with the previous"
run_errs -p metric='errors_total{job="db"}'
assert_contains "$(step)" "5|errors = 12, +300.0% from the previous (3): more than the +50% allowed, a regression; errors_total{job=\"db\"} is 12" \
	"a regression fails the step with both values"
assert_eq "$(run_status "$RUN")" 4 "the run with a regression failed"
assert_contains "$(rota show "$RUN")" "errors = 12, +300.0% from the previous (3)" "rota show"
assert_contains "$(rota show "$RUN" --json)" "errors = 12, +300.0% from the previous (3)" "rota show --json"
assert_contains "$(rota logs "$RUN" --raw)" "recorded value: 12" "the value in the output"
assert_eq "$(store "SELECT group_concat(value, ',') FROM recorded_values WHERE runbook = 'adhoc:errs' AND host = 'w1' AND name = 'errors'")" \
	"3,3,12" "the values kept"
pass "record and baseline: first value, comparison, regression"
